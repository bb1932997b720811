//! The command line's arguments, as clap reads them.

use crate::diff::Renames;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tidemark",
    version,
    about = "Reviewed, reversible, production-safe SeaORM migrations generated from your entities"
)]
pub(super) struct Cli {
    /// The workspace root, holding the `migration/` crate.
    #[arg(long, global = true, default_value = ".")]
    pub(super) workspace: PathBuf,

    /// How reporting commands (generate, check, diff, lint, preflight, verify, drift) print
    /// what they found: for a person, or as one JSON object (docs/json.md).
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,

    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Write the next migration: from the entity changes with --autogenerate, else empty.
    ///
    /// The migration lands in migration/src/mYYYYMMDD_HHMMSS_<slug>.rs with `up` and `down`,
    /// is registered in migration/src/lib.rs, and migration/schema_snapshot.json records the
    /// new schema. Changes that destroy data are refused unless --allow-destructive is given.
    Generate(GenerateArgs),
    /// Exit 1 and list the changes if the entities differ from the snapshot (a CI gate).
    Check(RenameArgs),
    /// Print the pending changes without writing anything.
    Diff {
        #[command(flatten)]
        renames: RenameArgs,
    },
    /// Record the entities as the schema the already registered migrations produce, for a
    /// workspace that adopts tidemark with migrations written before it.
    Baseline,
    /// Adopt tidemark in this SeaORM workspace (an entity crate and sea-orm-cli's `migration`
    /// crate): write the tool crate, wire the migrator to tidemark's runtime, and record what
    /// the existing migrations make (applied on a scratch database) as the baseline.
    Init {
        /// The entity crate's package name, when several crates define entities.
        #[arg(long)]
        entity_crate: Option<String>,
        /// Read the baseline from this database, which has applied every migration, instead
        /// of applying them on a scratch database.
        #[arg(long, value_name = "URL")]
        from_database: Option<String>,
        /// A PostgreSQL or MySQL server to apply the migrations on (a scratch database is
        /// made there and dropped); a scratch SQLite file by default.
        #[arg(long, value_name = "URL", conflicts_with = "from_database")]
        scratch_url: Option<String>,
        /// tidemark's source folder, for the path dependencies `init` writes (by default the
        /// one this binary was built from).
        #[arg(long, value_name = "DIR")]
        tidemark_path: Option<PathBuf>,
        /// Leave the workspace's dev profile as it is. From 200 entities, `init` otherwise
        /// optimizes the generator in it (tidemark, syn, proc-macro2, serde_json, sha2 at
        /// opt-level 2): three to four times faster `generate` and `check`, for one longer
        /// first build.
        #[arg(long)]
        keep_dev_profile: bool,
    },
    /// After a git merge of two branches that each generated migrations (finished or not):
    /// keep both, yours first, rebuild the snapshot as base + yours + theirs, and refuse when
    /// both changed the same object.
    Merge,
    /// Replace the first N migrations by one that makes, on a new database, what they made;
    /// databases that applied them keep working. Both histories are verified first.
    Squash {
        /// How many migrations, from the first, to replace.
        count: usize,
        /// The squashed migration's description; it also names the file.
        #[arg(short, long)]
        message: String,
    },
    /// Record the registered migrations as they are now in migration/tidemark.sum: after
    /// writing a hand-written migration, never for one that databases applied.
    Rehash,
    /// Apply every migration on a scratch database: after each `up` the schema must match the
    /// snapshot that migration recorded, after `down` the one before it; then `up` again.
    ///
    /// The scratch database is a temporary SQLite file, or with --database-url a database
    /// created on that server for the run and dropped afterwards. Exit 1 on the first mismatch.
    Verify {
        /// A PostgreSQL or MySQL server to verify on (its database is only used to connect).
        #[arg(long, env = "TIDEMARK_VERIFY_URL")]
        database_url: Option<String>,
    },
    /// Apply every migration on a scratch database and record, in each one's snapshot, what
    /// hand-written migrations added beyond the entities (tables, columns, indexes, foreign
    /// keys): `verify` and `drift` then leave those objects alone. Run it after writing or
    /// editing a hand-written migration, on each backend the migration branches on.
    Record {
        /// A PostgreSQL or MySQL server to record on (its database is only used to connect);
        /// a scratch SQLite file by default.
        #[arg(long, env = "TIDEMARK_VERIFY_URL")]
        database_url: Option<String>,
    },
    /// Print the exact SQL a migration runs on a backend, without a database (like Alembic's
    /// `--sql` or Django's `sqlmigrate`); hand-written migrations too.
    Sql {
        /// The migration (`mYYYYMMDD_HHMMSS_slug`); the last registered one by default.
        name: Option<String>,
        /// Show `down` instead of `up`.
        #[arg(long)]
        down: bool,
        #[arg(long, value_enum)]
        backend: BackendArg,
    },
    /// Check what migrations run against named rules (non-concurrent index, validating
    /// foreign key, NOT NULL scan, ...); exit 1 on findings. Hand-written migrations too.
    ///
    /// A rule is waived for one migration by a line in its file that keeps the reason:
    /// `// tidemark-lint: allow RULE -- why`.
    Lint {
        /// The migration (`mYYYYMMDD_HHMMSS_slug`); every registered one by default.
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = BackendArg::Postgres)]
        backend: BackendArg,
        /// List the rules and exit.
        #[arg(long)]
        rules: bool,
    },
    /// Read-only checks of the pending migrations against a live database: NULLs where NOT
    /// NULL is coming, duplicates where a unique index is coming, orphan rows where a foreign
    /// key is coming (each with the query that lists them), and the size of each table a step
    /// locks, with how long it would block writes. Exit 1 when a migration would fail.
    Preflight {
        #[arg(long)]
        database_url: String,
    },
    /// Compare a live database with the snapshot of the last migration it applied; exit 1 and
    /// list the differences when it drifted.
    Drift {
        #[arg(long)]
        database_url: String,
        /// Also write a migration that brings the database back to the snapshot. Its steps
        /// are guarded, so it passes over databases that never drifted; its `down` does nothing.
        #[arg(long, requires = "message")]
        write_migration: bool,
        /// The reconciliation migration's description.
        #[arg(short, long)]
        message: Option<String>,
        /// Allow the reconciliation to drop what was added by hand.
        #[arg(long)]
        allow_destructive: bool,
    },
}

#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
    /// The migration's description; it also names the file.
    #[arg(short, long)]
    pub(super) message: String,
    /// Compare the entities with the snapshot and write the changes.
    #[arg(long)]
    pub(super) autogenerate: bool,
    #[command(flatten)]
    pub(super) renames: RenameArgs,
    /// The value existing rows get in a new NOT NULL column: TABLE.COLUMN=SQL.
    #[arg(long = "backfill", value_name = "TABLE.COLUMN=SQL", value_parser = parse_backfill)]
    pub(super) backfills: Vec<((String, String), String)>,
    /// How a type change computes the new values from the old, where a cast would change them
    /// (`price_cents` from a decimal price: products.price_cents="price_cents * 100"): SQL over
    /// the column alone, named as after the migration. Needs --convert-down.
    #[arg(long = "convert", value_name = "TABLE.COLUMN=SQL", value_parser = parse_backfill, requires = "convert_down")]
    pub(super) conversions: Vec<((String, String), String)>,
    /// The inverse, which `down` uses to give the column its old values back
    /// (products.price_cents="price_cents / 100.0").
    #[arg(long = "convert-down", value_name = "TABLE.COLUMN=SQL", value_parser = parse_backfill, requires = "conversions")]
    pub(super) convert_down: Vec<((String, String), String)>,
    /// Allow changes that destroy data (drop table or column, remove an enum value, narrow a type).
    #[arg(long)]
    pub(super) allow_destructive: bool,
    /// Write the plain DDL in one transaction instead of the zero-downtime forms (concurrent
    /// indexes, NOT VALID constraints, batched backfills): only for tables known to be small.
    #[arg(long = "unsafe")]
    pub(super) unsafe_ddl: bool,
    /// Expand/contract: write now only what running code survives (a renamed column added
    /// and filled, dropped columns and tables kept); the contract is written later, once the
    /// code no longer uses the old schema. The deploy order is printed.
    #[arg(long, conflicts_with = "unsafe_ddl")]
    pub(super) phased: bool,
    /// Print the migration instead of writing it.
    #[arg(long)]
    pub(super) dry_run: bool,
    /// The backend whose plan (locks, costs, risks) to print; the migration runs on all three.
    #[arg(long, value_enum, default_value_t = BackendArg::Postgres)]
    pub(super) backend: BackendArg,
}

/// `--backend`, as the command line spells it; the library's `Backend` knows no clap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum BackendArg {
    Postgres,
    #[value(alias = "mariadb")]
    Mysql,
    Sqlite,
}

impl From<BackendArg> for crate::backend::Backend {
    fn from(arg: BackendArg) -> Self {
        match arg {
            BackendArg::Postgres => crate::backend::Backend::Postgres,
            BackendArg::Mysql => crate::backend::Backend::Mysql,
            BackendArg::Sqlite => crate::backend::Backend::Sqlite,
        }
    }
}

#[derive(Debug, Args, Default)]
pub(super) struct RenameArgs {
    /// A column rename the entities cannot express: TABLE.OLD=NEW (TABLE is the new table name).
    #[arg(long = "rename-column", value_name = "TABLE.OLD=NEW", value_parser = parse_column_rename)]
    pub(super) rename_columns: Vec<((String, String), String)>,
    /// A table rename: OLD=NEW.
    #[arg(long = "rename-table", value_name = "OLD=NEW", value_parser = parse_table_rename)]
    pub(super) rename_tables: Vec<(String, String)>,
}

impl RenameArgs {
    pub(super) fn renames(&self) -> Renames {
        Renames {
            tables: self.rename_tables.iter().cloned().collect(),
            columns: self.rename_columns.iter().cloned().collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Text,
    Json,
}

fn split_assignment(value: &str) -> std::result::Result<(&str, &str), String> {
    value
        .split_once('=')
        .filter(|(l, r)| !l.is_empty() && !r.is_empty())
        .ok_or_else(|| "expected LEFT=RIGHT".to_owned())
}

fn split_table_column(value: &str) -> std::result::Result<(String, String), String> {
    value
        .split_once('.')
        .filter(|(t, c)| !t.is_empty() && !c.is_empty())
        .map(|(t, c)| (t.to_owned(), c.to_owned()))
        .ok_or_else(|| format!("`{value}` should be TABLE.COLUMN"))
}

fn parse_column_rename(value: &str) -> std::result::Result<((String, String), String), String> {
    let (left, new) = split_assignment(value)?;
    Ok((split_table_column(left)?, new.to_owned()))
}

fn parse_table_rename(value: &str) -> std::result::Result<(String, String), String> {
    let (old, new) = split_assignment(value)?;
    Ok((old.to_owned(), new.to_owned()))
}

fn parse_backfill(value: &str) -> std::result::Result<((String, String), String), String> {
    let (left, sql) = split_assignment(value)?;
    Ok((split_table_column(left)?, sql.to_owned()))
}

impl Command {
    /// The command's name, as typed.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Command::Generate(_) => "generate",
            Command::Check(_) => "check",
            Command::Diff { .. } => "diff",
            Command::Baseline => "baseline",
            Command::Init { .. } => "init",
            Command::Merge => "merge",
            Command::Squash { .. } => "squash",
            Command::Rehash => "rehash",
            Command::Verify { .. } => "verify",
            Command::Record { .. } => "record",
            Command::Sql { .. } => "sql",
            Command::Lint { .. } => "lint",
            Command::Preflight { .. } => "preflight",
            Command::Drift { .. } => "drift",
        }
    }

    /// Whether the command reports what it found, and so can say it as JSON.
    pub(super) fn reports(&self) -> bool {
        matches!(
            self,
            Command::Generate(_)
                | Command::Check(_)
                | Command::Diff { .. }
                | Command::Lint { .. }
                | Command::Preflight { .. }
                | Command::Verify { .. }
                | Command::Drift { .. }
        )
    }
}
