//! Where things live in a SeaORM workspace (the README's "Commands").

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The paths tidemark reads and writes, relative to the workspace root.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn migration_dir(&self) -> PathBuf {
        self.root.join("migration")
    }

    pub fn migration_src(&self) -> PathBuf {
        self.migration_dir().join("src")
    }

    pub fn lib_rs(&self) -> PathBuf {
        self.migration_src().join("lib.rs")
    }

    pub fn snapshot(&self) -> PathBuf {
        self.migration_dir().join("schema_snapshot.json")
    }

    /// The schema after each migration, kept so that `verify` and `drift` can compare a
    /// database with the state any migration left it in.
    pub fn history_snapshot(&self, module: &str) -> PathBuf {
        self.migration_dir()
            .join("snapshots")
            .join(format!("{module}.json"))
    }

    pub fn migration_file(&self, module: &str) -> PathBuf {
        self.migration_src().join(format!("{module}.rs"))
    }

    /// The `src/lib.rs` of the workspace's crate named `package`: the folder of that name, or
    /// else the workspace member whose `Cargo.toml` names it.
    pub fn crate_lib_rs(&self, package: &str) -> Result<PathBuf> {
        let direct = self.root.join(package);
        if package_name(&direct).as_deref() == Some(package) {
            return Ok(lib_rs_of(&direct));
        }
        let manifest = self.root.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).map_err(Error::io(&manifest))?;
        let doc: toml_edit::DocumentMut = text.parse().map_err(|err| Error::EntitySource {
            path: manifest.clone(),
            line: 1,
            reason: format!("not valid TOML: {err}"),
        })?;
        let members = doc
            .get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(|m| m.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>())
            .unwrap_or_default();
        for member in members {
            for dir in expand_member(&self.root, member) {
                if package_name(&dir).as_deref() == Some(package) {
                    return Ok(lib_rs_of(&dir));
                }
            }
        }
        Err(Error::InvalidArgument {
            flag: "entity crate",
            value: package.to_owned(),
            reason: format!(
                "no crate of that name in {}: neither {}/Cargo.toml nor a workspace member \
                 names it",
                self.root.display(),
                direct.display()
            ),
        })
    }

    /// `path` relative to the root, for messages.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// The `[package] name` of the crate in `dir`, if it has a readable manifest.
pub(crate) fn package_name(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    doc.get("package")?.get("name")?.as_str().map(str::to_owned)
}

/// The crate root a manifest names (`[lib] path`), else `src/lib.rs`.
pub(crate) fn lib_rs_of(dir: &Path) -> PathBuf {
    let declared = std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml_edit::DocumentMut>().ok())
        .and_then(|doc| Some(doc.get("lib")?.get("path")?.as_str()?.to_owned()));
    dir.join(declared.unwrap_or_else(|| "src/lib.rs".to_owned()))
}

/// A `members` entry: a folder, or `folder/*` for every folder in it.
pub(crate) fn expand_member(root: &Path, member: &str) -> Vec<PathBuf> {
    match member.strip_suffix("/*") {
        Some(parent) => std::fs::read_dir(root.join(parent))
            .map(|entries| {
                let mut dirs: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_dir())
                    .collect();
                dirs.sort();
                dirs
            })
            .unwrap_or_default(),
        None => vec![root.join(member)],
    }
}
