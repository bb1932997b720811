//! Entities read from their source, with no compilation: the entity crate's modules are
//! parsed with `syn` and `DeriveEntityModel`, `DeriveActiveEnum`, `DeriveValueType` and
//! `DeriveRelation` attributes are interpreted as SeaORM's macros interpret them, into the
//! same [`EntitySet`] that [`EntitySet::with`] builds from compiled entities.
//!
//! Editing an entity then costs a parse, not a rebuild of the entity crate. Whatever only the
//! compiler knows (a type from another crate, an item-level macro, a `#[cfg]` on a field, the
//! expanded entity format) stops the read with an [`Unresolved`] that names the file and line;
//! the caller then reads the compiled entities instead. The two paths must agree exactly:
//! tests compare them on every schema tidemark is tested with.

mod attrs;
mod entity;
mod modules;
mod types;

pub use modules::ReadFile;

use crate::error::Result;
use crate::extract::EntitySet;
use std::path::{Path, PathBuf};

/// The outcome of reading an entity crate's source.
pub enum Reading {
    /// Every entity, in module order.
    Entities(EntitySet),
    /// Something only the compiler can read.
    Unresolved(Unresolved),
}

/// Where and why the source reader stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub path: PathBuf,
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.reason)
    }
}

/// Reads the crate whose root is `lib_rs`, named `crate_name` in module paths (`entity`
/// gives `entity::task`). Files that are missing or not valid Rust are errors: the compiler
/// would refuse them too.
pub fn read_crate(lib_rs: &Path, crate_name: &str) -> Result<Reading> {
    read_crate_with(lib_rs, crate_name, &|path| std::fs::read_to_string(path))
}

/// [`read_crate`] over files that `read` supplies.
pub fn read_crate_with(lib_rs: &Path, crate_name: &str, read: ReadFile) -> Result<Reading> {
    let krate = modules::Crate::load(lib_rs, read)?;
    let crate_name = crate_name.replace('-', "_");
    let types = types::Types::new(&krate);
    let mut partials = Vec::new();
    for module in 0..krate.modules.len() {
        match entity::read(&krate, &types, module, &crate_name) {
            Ok(Some(partial)) => partials.push(partial),
            Ok(None) => {}
            Err(unresolved) => return Ok(Reading::Unresolved(unresolved)),
        }
    }
    let mut foreign_keys = Vec::with_capacity(partials.len());
    for partial in &partials {
        match entity::relations(&krate, partial, &partials) {
            Ok(fks) => foreign_keys.push(fks),
            Err(entity::RelationStop::Unresolved(unresolved)) => {
                return Ok(Reading::Unresolved(unresolved));
            }
            Err(entity::RelationStop::Invalid(at)) => {
                return Err(crate::error::Error::EntitySource {
                    path: at.path,
                    line: at.line,
                    reason: at.reason,
                });
            }
        }
    }
    let entities = partials
        .into_iter()
        .zip(foreign_keys)
        .map(|(mut partial, fks)| {
            partial.entity.table.foreign_keys = fks;
            partial.entity
        })
        .collect();
    Ok(Reading::Entities(EntitySet::from_read(entities)))
}

/// The module paths (`entity::user`) of every module of the crate at `lib_rs` that derives
/// `DeriveEntityModel`, read from the syntax alone: what the compiled fallback lists.
pub fn entity_modules(lib_rs: &Path, crate_name: &str) -> Result<Vec<String>> {
    let krate = modules::Crate::load(lib_rs, &|path| std::fs::read_to_string(path))?;
    let crate_name = crate_name.replace('-', "_");
    let derives_model = |item: &syn::Item| match item {
        syn::Item::Struct(s) => attrs::derives_any(&s.attrs, &["DeriveEntityModel"]),
        _ => false,
    };
    Ok(krate
        .modules
        .iter()
        .filter(|module| module.items.iter().any(derives_model))
        .map(|module| {
            std::iter::once(crate_name.clone())
                .chain(module.path.iter().cloned())
                .collect::<Vec<_>>()
                .join("::")
        })
        .collect())
}
