//! The module tree of an entity crate, from `src/lib.rs` down, found the way rustc finds it:
//! `mod x;` is `x.rs` or `x/mod.rs` beside its parent (or `#[path = "..."]`), `mod x { .. }`
//! is inline. `#[cfg(test)]` modules are left out, as a normal build leaves them out.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use syn::spanned::Spanned;

/// Reads one source file; tests hand in files from memory.
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<String>;

/// One module and the items written in it (its child modules are modules of their own).
pub(super) struct Module {
    /// From the crate root: `[]` is the root, `["task"]` is `crate::task`.
    pub path: Vec<String>,
    pub file: PathBuf,
    pub items: Vec<syn::Item>,
}

pub(super) struct Crate {
    pub modules: Vec<Module>,
    by_path: std::collections::HashMap<Vec<String>, usize>,
}

impl Crate {
    pub fn load(lib_rs: &Path, read: ReadFile) -> Result<Crate> {
        let items = parse(lib_rs, read)?;
        let dir = lib_rs.parent().unwrap_or(Path::new("")).to_owned();
        let mut krate = Crate {
            modules: Vec::new(),
            by_path: Default::default(),
        };
        krate.add(Vec::new(), lib_rs.to_owned(), &dir, items, read)?;
        Ok(krate)
    }

    pub fn module(&self, path: &[String]) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    fn add(
        &mut self,
        path: Vec<String>,
        file: PathBuf,
        children_dir: &Path,
        items: Vec<syn::Item>,
        read: ReadFile,
    ) -> Result<()> {
        let mut kept = Vec::with_capacity(items.len());
        let mut children = Vec::new();
        for item in items {
            match item {
                syn::Item::Mod(module) if is_test_only(&module.attrs) => {}
                syn::Item::Mod(module) => children.push(module),
                other => kept.push(other),
            }
        }
        self.by_path.insert(path.clone(), self.modules.len());
        self.modules.push(Module {
            path: path.clone(),
            file: file.clone(),
            items: kept,
        });
        for module in children {
            let name = unraw(&module.ident);
            let mut child_path = path.clone();
            child_path.push(name.clone());
            match module.content {
                Some((_, items)) => {
                    let dir = children_dir.join(&name);
                    self.add(child_path, file.clone(), &dir, items, read)?;
                }
                None => {
                    let (child_file, text, dir) =
                        locate(&file, children_dir, &module, &name, read)?;
                    let items = parse_text(&child_file, &text)?;
                    self.add(child_path, child_file, &dir, items, read)?;
                }
            }
        }
        Ok(())
    }
}

/// The file of `mod name;` declared in `parent`, its text, and the directory its own
/// children live in.
fn locate(
    parent: &Path,
    children_dir: &Path,
    module: &syn::ItemMod,
    name: &str,
    read: ReadFile,
) -> Result<(PathBuf, String, PathBuf)> {
    if let Some(path) = path_attribute(&module.attrs) {
        let file = parent.parent().unwrap_or(Path::new("")).join(path);
        let dir = file.parent().unwrap_or(Path::new("")).to_owned();
        let text = read(&file).map_err(Error::io(&file))?;
        return Ok((file, text, dir));
    }
    let flat = children_dir.join(format!("{name}.rs"));
    let nested = children_dir.join(name).join("mod.rs");
    for file in [&flat, &nested] {
        match read(file) {
            Ok(text) => return Ok((file.clone(), text, children_dir.join(name))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io(file)(err)),
        }
    }
    Err(Error::EntitySource {
        path: parent.to_owned(),
        line: line_of(module),
        reason: format!(
            "`mod {name};` has no file: neither {} nor {} exists",
            flat.display(),
            nested.display()
        ),
    })
}

fn parse(file: &Path, read: ReadFile) -> Result<Vec<syn::Item>> {
    let text = read(file).map_err(Error::io(file))?;
    parse_text(file, &text)
}

fn parse_text(file: &Path, text: &str) -> Result<Vec<syn::Item>> {
    let parsed = syn::parse_file(text).map_err(|err| Error::EntitySource {
        path: file.to_owned(),
        line: err.span().start().line,
        reason: format!("not valid Rust: {err}"),
    })?;
    Ok(parsed.items)
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// `r#type` is the module or field `type`.
pub(super) fn unraw(ident: &syn::Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}

/// The line an item starts on, for messages.
pub(super) fn line_of(node: &impl Spanned) -> usize {
    node.span().start().line
}
