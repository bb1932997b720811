//! The command line: parses arguments, calls the library, renders results and errors for a
//! person. Exit codes: 0 success or in sync, 1 the check found something, 2 error.

use crate::diff::Renames;
use crate::error::{Error, Result};
use crate::extract::EntitySet;
use crate::generate::{self, GenerateOptions, NoTerminal, Outcome, Questioner};
use crate::plan::{Backfills, Safety};
use crate::workspace::Workspace;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// `println!` that reports a closed standard output (`tidemark diff | head -1`) as an error
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*).map_err(Error::io("standard output"))?
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "tidemark",
    version,
    about = "Reviewed, reversible, production-safe SeaORM migrations generated from your entities"
)]
struct Cli {
    /// The workspace root, holding the `migration/` crate.
    #[arg(long, global = true, default_value = ".")]
    workspace: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Record the entities as the schema the already registered migrations produce, for a
    /// workspace that adopts tidemark with migrations written before it.
    Baseline,
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
struct GenerateArgs {
    /// The migration's description; it also names the file.
    #[arg(short, long)]
    message: String,
    /// Compare the entities with the snapshot and write the changes.
    #[arg(long)]
    autogenerate: bool,
    #[command(flatten)]
    renames: RenameArgs,
    /// The value existing rows get in a new NOT NULL column: TABLE.COLUMN=SQL.
    #[arg(long = "backfill", value_name = "TABLE.COLUMN=SQL", value_parser = parse_backfill)]
    backfills: Vec<((String, String), String)>,
    /// How a type change computes the new values from the old, where a cast would change them
    /// (`price_cents` from a decimal price: products.price_cents="price_cents * 100"): SQL over
    /// the column alone, named as after the migration. Needs --convert-down.
    #[arg(long = "convert", value_name = "TABLE.COLUMN=SQL", value_parser = parse_backfill, requires = "convert_down")]
    conversions: Vec<((String, String), String)>,
    /// The inverse, which `down` uses to give the column its old values back
    /// (products.price_cents="price_cents / 100.0").
    #[arg(long = "convert-down", value_name = "TABLE.COLUMN=SQL", value_parser = parse_backfill, requires = "conversions")]
    convert_down: Vec<((String, String), String)>,
    /// Allow changes that destroy data (drop table or column, remove an enum value, narrow a type).
    #[arg(long)]
    allow_destructive: bool,
    /// Write the plain DDL in one transaction instead of the zero-downtime forms (concurrent
    /// indexes, NOT VALID constraints, batched backfills): only for tables known to be small.
    #[arg(long = "unsafe")]
    unsafe_ddl: bool,
    /// Expand/contract: write now only what running code survives (a renamed column added
    /// and filled, dropped columns and tables kept); the contract is written later, once the
    /// code no longer uses the old schema. The deploy order is printed.
    #[arg(long, conflicts_with = "unsafe_ddl")]
    phased: bool,
    /// Print the migration instead of writing it.
    #[arg(long)]
    dry_run: bool,
    /// The backend whose plan (locks, costs, risks) to print; the migration runs on all three.
    #[arg(long, value_enum, default_value_t = BackendArg::Postgres)]
    backend: BackendArg,
}

/// `--backend`, as the command line spells it; the library's `Backend` knows no clap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum BackendArg {
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
struct RenameArgs {
    /// A column rename the entities cannot express: TABLE.OLD=NEW (TABLE is the new table name).
    #[arg(long = "rename-column", value_name = "TABLE.OLD=NEW", value_parser = parse_column_rename)]
    rename_columns: Vec<((String, String), String)>,
    /// A table rename: OLD=NEW.
    #[arg(long = "rename-table", value_name = "OLD=NEW", value_parser = parse_table_rename)]
    rename_tables: Vec<(String, String)>,
}

impl RenameArgs {
    fn renames(&self) -> Renames {
        Renames {
            tables: self.rename_tables.iter().cloned().collect(),
            columns: self.rename_columns.iter().cloned().collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
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

/// Asks on the terminal, like Django's makemigrations questioner.
struct Terminal;

impl Questioner for Terminal {
    fn confirm(&mut self, question: &str) -> Option<bool> {
        eprint!("{question} [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        Some(matches!(answer.trim(), "y" | "Y" | "yes"))
    }
}

fn questioner() -> Box<dyn Questioner> {
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        Box::new(Terminal)
    } else {
        Box::new(NoTerminal)
    }
}

/// Runs the CLI over `entities`. `entity_crate` names the crate they come from, so that an
/// entity registered with SeaORM there but missing from the list is reported.
pub fn main(entity_crate: &str, entities: EntitySet) -> ExitCode {
    let cli = Cli::parse();
    for missing in entities.unlisted_registered_entities(entity_crate) {
        eprintln!(
            "warning: `{missing}::Entity` is registered with SeaORM but not in tidemark's entity \
             list; its table is left out of every comparison"
        );
    }
    match run(cli, &entities) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli, entities: &EntitySet) -> Result<ExitCode> {
    let ws = Workspace::new(&cli.workspace);
    match cli.command {
        Command::Generate(args) => generate_command(&ws, entities, args),
        Command::Check(renames) => {
            let pending = generate::pending(&ws, entities, &renames.renames(), &mut NoTerminal)?;
            if pending.changes.is_empty() {
                say!(
                    "In sync: the entities match {}.",
                    ws.display(&ws.snapshot())
                );
                return Ok(ExitCode::SUCCESS);
            }
            let deferred = generate::deferred_contract(&ws)?;
            let summary = pending.summary();
            if pending.only_deferred(&deferred) {
                say!("In sync but for the contract that `--phased` deferred:");
                for line in &summary {
                    say!("  - {line}");
                }
                say!(
                    "Write it once no running code uses the old schema: `cargo run -- generate \
                     --autogenerate -m \"contract\" --allow-destructive`."
                );
                return Ok(ExitCode::SUCCESS);
            }
            if ws.snapshot().exists() {
                say!("The entities differ from {}:", ws.display(&ws.snapshot()));
            } else {
                say!(
                    "No migration recorded a schema yet ({} does not exist): every table is \
                     pending:",
                    ws.display(&ws.snapshot())
                );
            }
            for line in pending.summary() {
                say!("  - {line}");
            }
            say!("Run `cargo run -- generate --autogenerate -m \"...\"` to write the migration.");
            Ok(ExitCode::from(1))
        }
        Command::Diff { renames, format } => {
            let pending = generate::pending(&ws, entities, &renames.renames(), &mut NoTerminal)?;
            match format {
                Format::Json => {
                    let json = serde_json::to_string_pretty(&pending.changes)
                        .expect("changes always serialise");
                    say!("{json}");
                }
                Format::Text if pending.changes.is_empty() => say!("No changes detected"),
                Format::Text => {
                    for line in pending.summary() {
                        say!("- {line}");
                    }
                }
            }
            // The contract of every reporting command: 1 when it found something.
            Ok(if pending.changes.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Record { database_url } => {
            let mut stdout = std::io::stdout();
            let changed = runtime()?.block_on(crate::verify::record(
                &ws,
                database_url.as_deref(),
                &mut stdout,
            ))?;
            if changed.is_empty() {
                say!("Nothing new: every snapshot already records what its migration adds.");
            } else {
                say!(
                    "Recorded in {} snapshot(s); `verify` and `drift` now leave those objects alone.",
                    changed.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { database_url } => {
            let mut stdout = std::io::stdout();
            let ok = runtime()?.block_on(crate::verify::verify(
                &ws,
                database_url.as_deref(),
                &mut stdout,
            ))?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Sql {
            name,
            down,
            backend,
        } => {
            let backend = backend.into();
            write!(
                std::io::stdout(),
                "{}",
                crate::verify::sql(&ws, name.as_deref(), down, backend)?
            )
            .map_err(Error::io("standard output"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Drift {
            database_url,
            write_migration,
            message,
            allow_destructive,
        } => {
            let drift = runtime()?.block_on(crate::verify::drift(&ws, &database_url))?;
            if drift.differences.is_empty() {
                say!(
                    "No drift: the database matches the snapshot of `{}`.",
                    drift.applied
                );
                return Ok(ExitCode::SUCCESS);
            }
            say!(
                "The database drifted from the snapshot of `{}` (its last applied migration).",
                drift.applied
            );
            say!("To bring it back to the snapshot:");
            for d in &drift.differences {
                say!("  - {d}");
            }
            if write_migration {
                let opts = GenerateOptions {
                    message: message.unwrap_or_default(),
                    autogenerate: true,
                    renames: Renames::default(),
                    backfills: Backfills::new(),
                    conversions: Default::default(),
                    allow_destructive,
                    safety: Default::default(),
                    phased: false,
                    dry_run: false,
                    now: chrono::Utc::now().naive_utc(),
                };
                if let Outcome::Generated(g) =
                    generate::reconcile(&ws, &drift.live, &drift.applied, drift.backend, &opts)?
                {
                    say!(
                        "Wrote {}; apply it with `cargo run -p migration -- up`.",
                        ws.display(&ws.migration_file(&g.module))
                    );
                }
            }
            Ok(ExitCode::from(1))
        }
        Command::Lint {
            name,
            backend,
            rules,
        } => {
            let backend: crate::backend::Backend = backend.into();
            if rules {
                for rule in crate::lint::RULES {
                    let on: Vec<&str> = rule.backends.iter().map(|b| b.name()).collect();
                    say!(
                        "{} ({})\n  why:  {}\n  safe: {}",
                        rule.id,
                        on.join(", "),
                        rule.why,
                        rule.safe
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let report = crate::lint::lint(&ws, name.as_deref(), backend)?;
            for finding in &report.findings {
                say!("{}\n", crate::lint::render(finding, backend));
            }
            for bad in &report.bad_waivers {
                say!("invalid waiver: {bad}\n");
            }
            for (migration, w) in &report.waived {
                say!("waived in {migration}: {} -- {}", w.rule, w.reason);
            }
            say!(
                "{} migration(s) checked on {}: {} finding(s)",
                report.checked,
                backend.name(),
                report.findings.len() + report.bad_waivers.len()
            );
            Ok(if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Preflight { database_url } => {
            let report = runtime()?.block_on(crate::preflight::preflight(&ws, &database_url))?;
            print_preflight(&report)?;
            Ok(if report.has_problems() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Merge => {
            match crate::chain::merge(&ws)? {
                None => say!("The history is one chain already: nothing to merge."),
                Some(merged) => {
                    say!(
                        "Merged after `{}`: yours first ({}), then theirs ({}), whose snapshots \
                         now hold yours too.",
                        merged.parent,
                        merged.ours.join(", "),
                        merged.theirs.join(", ")
                    );
                    say!(
                        "Next: `git add migration/` to finish the merge, `cargo run -- check`, \
                         `cargo run -- verify`. A database that applied theirs but not yours \
                         rolls theirs back first (`cargo run -p migration -- down`)."
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Squash { count, message } => {
            let mut stdout = std::io::stdout();
            let squashed =
                runtime()?.block_on(crate::squash::squash(&ws, count, &message, &mut stdout))?;
            say!(
                "Wrote {} in place of {}; a database that applied those records it in their \
                 place at its next `up`. Their files and snapshots are gone (git keeps them).",
                ws.display(&ws.migration_file(&squashed.module)),
                squashed.replaced.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Rehash => {
            let lib = std::fs::read_to_string(ws.lib_rs())
                .map_err(crate::error::Error::io(ws.lib_rs()))?;
            let registered = crate::registry::registered(&lib, &ws.lib_rs())?;
            let sum = crate::integrity::compute(&ws, &registered)?;
            crate::write::write_all(&[(crate::integrity::path(&ws), sum.render())])?;
            say!(
                "Recorded {} migration(s) as they are now in {}.",
                registered.len(),
                ws.display(&crate::integrity::path(&ws))
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Baseline => {
            let module = generate::baseline(&ws, entities)?;
            say!(
                "Recorded the entities as the schema after `{module}` in {}.",
                ws.display(&ws.snapshot())
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_preflight(report: &crate::preflight::Preflight) -> Result<()> {
    use crate::preflight::Level;
    if report.pending.is_empty() {
        say!("No pending migrations: nothing to check.");
        return Ok(());
    }
    say!(
        "Preflight of {} pending migration(s) on {} (read-only):",
        report.pending.len(),
        report.backend.name()
    );
    let mut problems = 0;
    for check in &report.pending {
        say!("{}", check.migration);
        for finding in &check.findings {
            let tag = match finding.level {
                Level::Ok => "ok     ",
                Level::Warning => "warning",
                Level::Problem => "PROBLEM",
            };
            problems += usize::from(finding.level == Level::Problem);
            say!("  {tag} {}", finding.text);
            if let Some(query) = &finding.query {
                say!("          list them: {query}");
            }
        }
    }
    if problems > 0 {
        say!("{problems} problem(s): these migrations would fail on this data; fix it first.");
    } else {
        say!("No problem found in the data.");
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(crate::error::Error::io("the Tokio runtime"))
}

/// Pairs each `--convert` with its `--convert-down`.
fn conversions(
    up: Vec<((String, String), String)>,
    down: Vec<((String, String), String)>,
) -> Result<crate::plan::Conversions> {
    let mut downs: std::collections::BTreeMap<_, _> = std::collections::BTreeMap::new();
    for (key, sql) in down {
        if downs.insert(key.clone(), sql).is_some() {
            return Err(Error::InvalidArgument {
                flag: "--convert-down",
                value: format!("{}.{}", key.0, key.1),
                reason: "given twice".into(),
            });
        }
    }
    let mut conversions = crate::plan::Conversions::new();
    for (key, sql) in up {
        let Some(down) = downs.remove(&key) else {
            return Err(Error::InvalidArgument {
                flag: "--convert",
                value: format!("{}.{}={sql}", key.0, key.1),
                reason: format!(
                    "`down` needs the inverse to give the column its values back: add \
                     --convert-down {}.{}=SQL",
                    key.0, key.1
                ),
            });
        };
        let conversion = crate::model::Conversion { up: sql, down };
        if conversions.insert(key.clone(), conversion).is_some() {
            return Err(Error::InvalidArgument {
                flag: "--convert",
                value: format!("{}.{}", key.0, key.1),
                reason: "given twice".into(),
            });
        }
    }
    if let Some(((table, column), sql)) = downs.into_iter().next() {
        return Err(Error::InvalidArgument {
            flag: "--convert-down",
            value: format!("{table}.{column}={sql}"),
            reason: format!("no --convert {table}.{column}=SQL goes with it"),
        });
    }
    Ok(conversions)
}

fn generate_command(ws: &Workspace, entities: &EntitySet, args: GenerateArgs) -> Result<ExitCode> {
    let mut backfills = Backfills::new();
    for (key, sql) in args.backfills {
        if backfills.insert(key.clone(), sql).is_some() {
            return Err(Error::InvalidArgument {
                flag: "--backfill",
                value: format!("{}.{}", key.0, key.1),
                reason: "given twice".into(),
            });
        }
    }
    let conversions = conversions(args.conversions, args.convert_down)?;
    let opts = GenerateOptions {
        message: args.message,
        autogenerate: args.autogenerate,
        renames: args.renames.renames(),
        backfills,
        conversions,
        allow_destructive: args.allow_destructive,
        safety: if args.unsafe_ddl {
            Safety::Naive
        } else {
            Safety::Online
        },
        phased: args.phased,
        dry_run: args.dry_run,
        now: chrono::Utc::now().naive_utc(),
    };
    let backend = args.backend.into();
    let mut asker = questioner();
    match generate::generate(ws, entities, &opts, asker.as_mut())? {
        Outcome::NoChanges => {
            say!("No changes detected");
        }
        Outcome::Generated(g) if !g.written => {
            write!(std::io::stdout(), "{}", g.source).map_err(Error::io("standard output"))?;
            for line in plan_report(&g, backend) {
                eprintln!("{line}");
            }
        }
        Outcome::Generated(g) => {
            say!("Migrations for 'migration':");
            say!("  {}", ws.display(&ws.migration_file(&g.module)));
            if g.summary.is_empty() {
                say!("    - Empty migration: fill in `up` and `down` by hand, then record it as");
                say!("      written with `cargo run -- rehash`, and what it makes beyond the");
                say!("      entities with `cargo run -- record`");
            }
            for line in &g.summary {
                say!("    - {line}");
            }
            if !g.lossy_down.is_empty() {
                say!("  `down` restores the schema but not all data:");
                for line in &g.lossy_down {
                    say!("    - {line}");
                }
            }
            for line in plan_report(&g, backend) {
                say!("{line}");
            }
            if let Some(phased) = &g.phased {
                for line in phased_report(phased) {
                    say!("{line}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            say!("Apply it with `cargo run -p migration -- up`; roll back with `down -n 1`.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Expand, move the code, contract: the deploy order between the two migrations.
fn phased_report(phased: &generate::Phased) -> Vec<String> {
    let mut steps = vec![
        "Apply this migration (`cargo run -p migration -- up`); the old code keeps working."
            .to_owned(),
    ];
    if !phased.code_steps.is_empty() {
        steps.push(format!(
            "Deploy code that: {}. Let every old instance drain.",
            phased.code_steps.join("; ")
        ));
    }
    let consent = if phased.contract_destroys {
        " --allow-destructive"
    } else {
        ""
    };
    let refill = if phased.copies.is_empty() {
        ""
    } else {
        " (rows the old code wrote meanwhile get the new column from the old one)"
    };
    steps.push(format!(
        "Then write the contract: `cargo run -- generate --autogenerate -m \"contract\"{consent}`{refill}. It will:"
    ));
    let contract_at = steps.len();
    steps.push(if phased.with_contract.is_empty() {
        "Apply the contract. Until then `check` reports it as deferred, not drift.".to_owned()
    } else {
        format!(
            "Apply the contract and, in the same release, deploy code that: {}. Until then \
             `check` reports it as deferred, not drift.",
            phased.with_contract.join("; ")
        )
    });
    let mut lines = vec![
        "Phased (expand/contract): this is the expand migration; the contract waits.".to_owned(),
    ];
    for (i, text) in steps.iter().enumerate() {
        lines.push(format!("  {}. {text}", i + 1));
        if i + 1 == contract_at {
            lines.extend(phased.contract.iter().map(|c| format!("       - {c}")));
        }
    }
    lines
}

/// The plan on `backend` and the rollout order.
fn plan_report(g: &generate::Generated, backend: crate::backend::Backend) -> Vec<String> {
    let Some(plan) = &g.plan else {
        return Vec::new();
    };
    let mut lines = crate::report::plan_lines(plan, backend);
    lines.extend(crate::report::rollout_lines(&g.changes, &g.schema));
    lines
}
