//! The library's one error type. Every message names the file, table or column at fault and,
//! where there is one, the remedy; the CLI renders it and exits 2.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{path}: the schema snapshot is not valid: {reason}\n  \
         it is written by `tidemark generate`; restore it from version control \
         (`git checkout -- {path}`) rather than editing it by hand"
    )]
    CorruptSnapshot { path: PathBuf, reason: String },

    #[error(
        "{path}: snapshot format version {found} is newer than this tidemark understands \
         (up to {supported}); upgrade tidemark"
    )]
    SnapshotTooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "the snapshot belongs to migration `{snapshot}`, but the last migration registered in \
         {lib_rs} is `{registered}`\n  \
         two branches probably each generated a migration: `cargo run -- merge` keeps both, \
         in order, and rebuilds the snapshot (docs/troubleshooting.md#conflicting-branches)"
    )]
    SnapshotMismatch {
        lib_rs: PathBuf,
        snapshot: String,
        registered: String,
    },

    #[error(
        "{path}:{line}: git conflict markers: a merge (or rebase) is unfinished\n  \
         `git checkout -- FILE` refuses unmerged paths during a merge: take one side with \
         `git checkout --ours -- {path}` (or `--theirs`), or abort with `git merge --abort`. When \
         both branches generated a migration, abort, rebase one branch onto the other, move its \
         migration aside and run `generate --autogenerate` again (see \
         docs/troubleshooting.md#unfinished-merge)"
    )]
    UnfinishedMerge { path: PathBuf, line: usize },

    #[error(
        "{path}: {reason}\n  tidemark edits this file with a Rust parser; it expects the layout `sea-orm-migration init` writes (`mod m...;` items and a `vec![Box::new(m....::Migration), ...]` in `fn migrations()`)"
    )]
    UnreadableLib { path: PathBuf, reason: String },

    #[error("column `{table}.{column}` has type {ty}, which tidemark cannot map yet; {hint}")]
    UnsupportedType {
        table: String,
        column: String,
        ty: String,
        hint: &'static str,
    },

    #[error("{0}")]
    InvalidEntities(String),

    #[error("invalid {flag} value `{value}`: {reason}")]
    InvalidArgument {
        flag: &'static str,
        value: String,
        reason: String,
    },

    #[error("{0}")]
    Refused(String),

    #[error(
        "cannot reach the database at {}: {}\n  see docs/troubleshooting.md#cannot-connect",
        tidemark_runtime::redact_url(url),
        tidemark_runtime::scrub_password(&tidemark_runtime::describe_db_error(source), url)
    )]
    Connect {
        url: String,
        #[source]
        source: sea_orm::DbErr,
    },

    #[error(
        "{path}: {source}\n  the files written before it could not all be put back as they \
         were: {}; restore them from version control (`git checkout -- FILE`)",
        .unrestored.join(", ")
    )]
    WriteNotUndone {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        unrestored: Vec<String>,
    },

    #[error(
        "database error while {context}: {}",
        tidemark_runtime::describe_db_error(source)
    )]
    Database {
        context: String,
        #[source]
        source: sea_orm::DbErr,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
