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

    /// An entity source file that is not valid Rust, a module it declares that has no file,
    /// or a relation the compiler would refuse (a column its entity does not have).
    #[error("{path}:{line}: {reason}")]
    EntitySource {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    #[error("invalid {flag} value `{value}`: {reason}")]
    InvalidArgument {
        flag: &'static str,
        value: String,
        reason: String,
    },

    #[error(
        "{lib_rs} registers {registered} migration(s) but there is no {snapshot}: tidemark does \
         not know what schema they produce.\n  If the database they build matches your entities \
         today, record that as the starting point with `cargo run -- baseline`."
    )]
    NoSnapshotForHistory {
        lib_rs: PathBuf,
        registered: usize,
        snapshot: PathBuf,
    },

    #[error(
        "the migration history is not as recorded:\n{}\n  {advice}",
        bullets(problems)
    )]
    HistoryNotAsRecorded {
        problems: Vec<String>,
        advice: &'static str,
    },

    #[error("{path}: not valid Rust ({reason}); tidemark.sum hashes the migration's code")]
    UnhashableMigration { path: PathBuf, reason: String },

    #[error(
        "{path}:{line}: not a `MODULE h1:HASH` line; the file is written by tidemark \
         (`cargo run -- rehash` writes it again)"
    )]
    UnreadableSum { path: PathBuf, line: usize },

    #[error(
        "the entities moved from PostgreSQL schema `{from}` to `{to}`; tidemark does not move \
         tables between schemas: move them in a hand-written migration (ALTER TABLE ... SET \
         SCHEMA), then record the new state with `cargo run -- baseline`"
    )]
    SchemaMoved { from: String, to: String },

    #[error(
        "column `{table}.{column}` is NOT NULL without a default, and `{table}` may already hold \
         rows that have no value for it.\n  Give the value existing rows get: --backfill \
         {table}.{column}=<SQL expression> (for example --backfill {table}.{column}=\"''\"), or \
         declare a default_value, or make the field an Option first and tighten it in a later \
         migration."
    )]
    BackfillNeeded { table: String, column: String },

    #[error(
        "refusing to write a migration that destroys data (pass --allow-destructive once you \
         are sure):{}",
        hazard_list(hazards)
    )]
    Destructive { hazards: Vec<crate::plan::Hazard> },

    #[error("{path} already exists")]
    MigrationExists { path: PathBuf },

    #[error(
        "the database's last applied migration is `{applied}`, but the last registered one is \
         `{head}`: apply the pending migrations first (`cargo run -p migration -- up`), then \
         check for drift again"
    )]
    PendingBeforeDrift { applied: String, head: String },

    #[error(
        "there are no registered migrations to baseline; run `cargo run -- generate \
         --autogenerate -m \"initial\"` to write the first one"
    )]
    NothingToBaseline,

    #[error("{path} already exists; a baseline is only for a workspace without one")]
    BaselineExists { path: PathBuf },

    #[error(transparent)]
    Merge(#[from] crate::chain::MergeError),

    #[error(transparent)]
    Init(#[from] crate::init::InitError),

    #[error(
        "`{command}` reads the entities through the workspace's tool crate, and this tidemark \
         has none: run `tidemark init` in the workspace once, then `cargo run -- {command}`"
    )]
    NoToolCrate { command: &'static str },

    #[error(transparent)]
    Squash(#[from] crate::squash::SquashError),

    #[error(transparent)]
    Phased(#[from] crate::plan::phased::PhasedError),

    #[error(transparent)]
    Migrator(#[from] crate::migrator::MigratorError),

    #[error(
        "cannot reach the database at {}: {}\n  see docs/troubleshooting.md#cannot-connect",
        tidemark_runtime::__private::redact_url(url),
        tidemark_runtime::__private::scrub_password(&tidemark_runtime::__private::describe_db_error(source), url)
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
        tidemark_runtime::__private::describe_db_error(source)
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

fn bullets(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("  - {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn hazard_list(hazards: &[crate::plan::Hazard]) -> String {
    hazards
        .iter()
        .map(|h| format!("\n  - {}\n    safer: {}", h.what, h.safer))
        .collect()
}
