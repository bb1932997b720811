//! Where things live in a SeaORM workspace (the README's "Commands").

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

    /// `path` relative to the root, for messages.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}
