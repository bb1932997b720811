//! The migrator binary's entry point: sea-orm-migration's CLI with tidemark's defaults.

use crate::message::{describe, redact_url, scrub};
use crate::migrator_lock::{self, MigratorLock};
use clap::{Parser, Subcommand};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbConn, metric,
};
use std::sync::Mutex;
use std::time::Duration;

/// Used when neither the environment nor `.env` names a database, so that a new user can run
/// the migrator without a server.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://tidemark.sqlite?mode=rwc";

/// Runs the migrator's CLI (`up`, `down -n N`, `status`, `fresh`, `refresh`, `reset`, as
/// sea-orm-migration's) for `migrator`, with `DATABASE_URL` from the environment, `.env`,
/// `--database-url`, or the SQLite default.
///
/// Call it from a plain `fn main()`: it builds its own Tokio runtime. It never panics on bad
/// input: an unreachable database or a malformed URL exits 2 with the URL shown without its
/// password, a failed migration exits 1 with the database's message.
///
/// The tidemark generator's `sql`, `lint` and `verify` commands run this same binary in a
/// preview mode of their own, which prints a migration's SQL without connecting to any
/// database.
///
/// ```no_run
/// # mod migration { pub struct Migrator; #[async_trait::async_trait]
/// # impl sea_orm_migration::MigratorTrait for Migrator {
/// #     fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> { vec![] } } }
/// // migration/src/main.rs
/// fn main() {
///     tidemark_runtime::run_cli(migration::Migrator);
/// }
/// ```
pub fn run_cli<M: MigratorTrait + Send + Sync>(_migrator: M) {
    if let Ok(backend) = std::env::var("TIDEMARK_SQL_PREVIEW") {
        let backend = match backend.as_str() {
            "postgres" => DbBackend::Postgres,
            "mysql" => DbBackend::MySql,
            "sqlite" => DbBackend::Sqlite,
            other => {
                eprintln!(
                    "unknown TIDEMARK_SQL_PREVIEW backend `{other}` (postgres, mysql or sqlite)"
                );
                std::process::exit(2);
            }
        };
        let name = std::env::var("TIDEMARK_SQL_MIGRATION").ok();
        let down = std::env::var("TIDEMARK_SQL_DOWN").is_ok_and(|v| v == "1");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("failed to start the Tokio runtime");
        let json = std::env::var("TIDEMARK_SQL_FORMAT").is_ok_and(|f| f == "json");
        let printed = if json {
            runtime.block_on(crate::preview::print_json::<M>(backend, name.as_deref()))
        } else {
            runtime.block_on(crate::preview::print::<M>(backend, name.as_deref(), down))
        };
        if let Err(err) = printed {
            eprintln!("{err}");
            std::process::exit(2);
        }
        return;
    }
    dotenvy::dotenv().ok();
    let mut cli = Cli::parse();
    let json = matches!(
        cli.command,
        Some(Command::Status {
            format: Format::Json
        })
    );
    setup_tracing(cli.verbose, json);
    let fail = |message: String| {
        eprintln!("error: {message}");
        if json {
            println!("{}", status_error_json(&message));
        }
        2
    };
    let url = cli
        .database_url
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let mut options = ConnectOptions::new(url.clone());
    let timeout = connect_timeout();
    options.set_schema_search_path(cli.database_schema.as_deref().unwrap_or("public"));
    one_session(&mut options, timeout);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("failed to start the Tokio runtime");
    let code = runtime.block_on(async {
        let db = match connect(options).await {
            Ok(db) => db,
            Err(_) if missing_driver(&url).is_some() => {
                return fail(missing_driver(&url).unwrap_or_default());
            }
            Err(err) if crate::message::is_bad_url(&err) => {
                return fail(format!(
                    "the database URL {} is not valid: {}\n  DATABASE_URL comes from the \
                     environment, `.env` or `--database-url`; its form is \
                     postgres://user:password@host:5432/db, mysql://user:password@host:3306/db or \
                     sqlite://path/to/file.sqlite?mode=rwc. See docs/troubleshooting.md#cannot-connect",
                    redact_url(&url),
                    scrub(&describe(&err), &url),
                ));
            }
            Err(err) => {
                return fail(format!(
                    "cannot reach the database at {}: {}\n  DATABASE_URL comes from the \
                     environment, `.env` or `--database-url`; the wait is bounded by \
                     TIDEMARK_CONNECT_TIMEOUT_S ({} s). See docs/troubleshooting.md#cannot-connect",
                    redact_url(&url),
                    scrub(&describe(&err), &url),
                    timeout.as_secs()
                ));
            }
        };
        let command = cli.command.take().unwrap_or(Command::Up {
            num: None,
            accept_edited: Vec::new(),
        });
        let direction = match command {
            Command::Up { .. } | Command::Status { .. } | Command::Resolve { .. } => Direction::Up,
            Command::Down { .. } | Command::Reset => Direction::Down,
            Command::Fresh | Command::Refresh => Direction::Both,
        };
        let lock = if matches!(command, Command::Status { .. }) {
            None
        } else {
            match MigratorLock::acquire(&db, &url, migrator_lock::wait_limit()).await {
                Ok(lock) => Some(lock),
                Err(err) => {
                    eprintln!("error: {}", scrub(&describe(&err), &url));
                    return 2;
                }
            }
        };
        let done = match guard_history::<M>(&db, &command).await {
            Ok(current) => {
                let done = match &command {
                    Command::Up { num, .. } => M::up(&db, *num).await,
                    Command::Down { num } => M::down(&db, Some(*num)).await,
                    Command::Status {
                        format: Format::Json,
                    } => print_status_json::<M>(&db, &current).await,
                    Command::Status {
                        format: Format::Text,
                    } => M::status(&db).await,
                    Command::Fresh => M::fresh(&db).await,
                    Command::Refresh => M::refresh(&db).await,
                    Command::Reset => M::reset(&db).await,
                    Command::Resolve {
                        name, applied, ..
                    } => crate::history::resolve(&db, &current, name, *applied)
                        .await
                        .map(|done| eprintln!("tidemark: {done}")),
                };
                // What stopped, and on MySQL what it had committed, before anything else runs.
                let report = match &done {
                    Err(_) if db.get_database_backend() == DbBackend::MySql => {
                        mysql_failure_report(direction)
                    }
                    _ => None,
                };
                settle_history(&db, &command, &current, cli.database_schema.as_deref()).await;
                if let (Err(err), Command::Up { .. }) = (&done, &command) {
                    let detail = match &report {
                        Some(report) => format!("{}\n{report}", describe(err)),
                        None => describe(err),
                    };
                    if let Ok(Some(name)) =
                        crate::history::record_failure(&db, &current, &scrub(&detail, &url)).await
                    {
                        eprintln!(
                            "tidemark: recorded `{name}` as failed; `status` shows it. Fix the \
                             cause and run `up` again (generated migrations carry on where they \
                             stopped), or record a repair made by hand: `resolve --applied {name}` \
                             or `resolve --rolled-back {name}`"
                        );
                    }
                }
                done.map_err(|err| HistoryOr::Db(err, report))
            }
            Err(err) => Err(err),
        };
        if let Some(lock) = lock
            && let Err(err) = lock.release(&db).await
        {
            eprintln!("warning: {}", describe(&err));
        }
        match done {
            Ok(()) => 0,
            Err(HistoryOr::History(problems)) => {
                for problem in &problems {
                    eprintln!("error: {}", scrub(&problem.to_string(), &url));
                }
                eprintln!(
                    "  nothing was run. Restore the applied migration as it was (git log -p \
                     migration/src/), or, for a deliberate fix, accept it as it is now: \
                     up --accept-edited NAME. See docs/troubleshooting.md#edited-migration"
                );
                2
            }
            Err(HistoryOr::Db(err, _)) if json => fail(scrub(&describe(&err), &url)),
            Err(HistoryOr::Db(err, report)) => {
                eprintln!("error: {}", scrub(&describe(&err), &url));
                if let Some(report) = report {
                    eprintln!("{}", scrub(&report, &url));
                }
                1
            }
        }
    });
    if code != 0 {
        std::process::exit(code);
    }
}

/// A command stopped by the history check, or failed in the database.
enum HistoryOr {
    History(Vec<crate::history::Problem>),
    /// With MySQL's report of what the failed migration had committed.
    Db(DbErr, Option<String>),
}

/// Before a command: the migrations' checksums as they are now; `up` stops on an applied
/// migration that changed or a pending one registered below the history; `status` warns.
async fn guard_history<M: MigratorTrait>(
    db: &DatabaseConnection,
    command: &Command,
) -> Result<Vec<crate::history::Current>, HistoryOr> {
    let current = crate::history::current::<M>(db.get_database_backend())
        .await
        .map_err(|e| HistoryOr::Db(e, None))?;
    crate::history::ensure_table(db)
        .await
        .map_err(|e| HistoryOr::Db(e, None))?;
    crate::history::adopt_squashes(db, &current)
        .await
        .map_err(|e| HistoryOr::Db(e, None))?;
    match command {
        Command::Up { accept_edited, .. } => {
            let problems = crate::history::check(db, &current, accept_edited)
                .await
                .map_err(|e| HistoryOr::Db(e, None))?;
            if !problems.is_empty() {
                return Err(HistoryOr::History(problems));
            }
            for name in crate::history::failed(db)
                .await
                .map_err(|e| HistoryOr::Db(e, None))?
                .into_keys()
            {
                eprintln!(
                    "tidemark: `{name}` failed last time; running it again (generated steps skip \
                     what is done)"
                );
            }
        }
        Command::Status { .. } => {
            for problem in crate::history::edited(db, &current)
                .await
                .map_err(|e| HistoryOr::Db(e, None))?
            {
                eprintln!("warning: {problem}");
            }
            for (name, detail) in crate::history::failed(db)
                .await
                .map_err(|e| HistoryOr::Db(e, None))?
            {
                eprintln!(
                    "Failed: `{name}` stopped part-way: {}\n  fix the cause and run `up` again, or \
                     record a repair made by hand: `resolve --applied {name}` (the database is as \
                     after it) or `resolve --rolled-back {name}` (as before it)",
                    detail.lines().next().unwrap_or_default()
                );
            }
        }
        _ => crate::history::ensure_table(db)
            .await
            .map_err(|e| HistoryOr::Db(e, None))?,
    }
    Ok(current)
}

/// After a command: the checksums of what was applied, less what was rolled back. The
/// session's search path goes back first, so that the table is found where it was made.
async fn settle_history(
    db: &DatabaseConnection,
    command: &Command,
    current: &[crate::history::Current],
    schema: Option<&str>,
) {
    if matches!(command, Command::Status { .. }) {
        return;
    }
    if db.get_database_backend() == DbBackend::Postgres {
        let path = format!(
            "SET search_path TO {}",
            crate::names::quote(DbBackend::Postgres, schema.unwrap_or("public"))
        );
        db.execute_unprepared(&path).await.ok();
    }
    if let Err(err) = crate::history::settle(db, current).await {
        eprintln!("warning: could not record the migrations' checksums: {err}");
    }
}

/// The migrator's command line: sea-orm-migration's database commands, with the database URL
/// never echoed (`--help` hides the environment's value).
#[derive(Parser)]
#[command(version, about = "Apply and roll back this crate's migrations")]
struct Cli {
    /// Show debug messages.
    #[arg(short = 'v', long, global = true)]
    verbose: bool,
    /// PostgreSQL schema (default `public`); ignored on MySQL and SQLite.
    #[arg(short = 's', long, global = true, env = "DATABASE_SCHEMA")]
    database_schema: Option<String>,
    /// Database URL (default: the SQLite file `tidemark.sqlite`).
    #[arg(
        short = 'u',
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations (the default).
    Up {
        /// How many pending migrations to apply (all by default).
        #[arg(short, long)]
        num: Option<u32>,
        /// Accept applied migration NAME as it is now, although what it runs changed since it
        /// was applied (a deliberate fix); repeatable.
        #[arg(long = "accept-edited", value_name = "NAME")]
        accept_edited: Vec<String>,
    },
    /// Roll back applied migrations, the last first.
    Down {
        /// How many applied migrations to roll back.
        #[arg(short, long, default_value = "1")]
        num: u32,
    },
    /// Show which migrations are applied and which are pending (and which failed).
    Status {
        /// `json`: one object on standard output, for CI bots (the generator's docs/json.md).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Record a manual repair of a migration that failed part-way (or any migration): the
    /// database is now as after it (`--applied`) or as before it (`--rolled-back`).
    Resolve {
        /// The migration (`mYYYYMMDD_HHMMSS_slug`).
        name: String,
        /// The database is as after the migration: record it as applied.
        #[arg(
            long,
            conflicts_with = "rolled_back",
            required_unless_present = "rolled_back"
        )]
        applied: bool,
        /// The database is as before the migration: record it as not applied.
        #[arg(long)]
        rolled_back: bool,
    },
    /// Drop all tables, then apply every migration.
    Fresh,
    /// Roll back every applied migration, then apply them all.
    Refresh,
    /// Roll back every applied migration.
    Reset,
}

/// How `status` prints.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// `status --format json`: every registered migration with its state, as docs/json.md says.
async fn print_status_json<M: MigratorTrait>(
    db: &DatabaseConnection,
    current: &[crate::history::Current],
) -> Result<(), DbErr> {
    let failed = crate::history::failed(db).await?;
    let edited: Vec<String> = crate::history::edited(db, current)
        .await?
        .into_iter()
        .filter_map(|problem| match problem {
            crate::history::Problem::Edited { name, .. } => Some(name),
            _ => None,
        })
        .collect();
    let listed: Vec<(String, bool)> = M::get_migration_with_status(db)
        .await?
        .iter()
        .map(|m| {
            let applied = matches!(m.status(), sea_orm_migration::MigrationStatus::Applied);
            (m.name().to_owned(), applied)
        })
        .collect();
    println!("{}", status_json(&listed, &failed, &edited));
    Ok(())
}

fn status_json(
    migrations: &[(String, bool)],
    failed: &std::collections::BTreeMap<String, String>,
    edited: &[String],
) -> String {
    let entries: Vec<serde_json::Value> = migrations
        .iter()
        .map(|(name, applied)| {
            let mut entry = serde_json::json!({
                "name": name,
                "state": match (applied, failed.contains_key(name)) {
                    (true, _) => "applied",
                    (false, true) => "failed",
                    (false, false) => "pending",
                },
                "edited": edited.contains(name),
            });
            if let (false, Some(detail)) = (applied, failed.get(name)) {
                entry["failure"] = detail.lines().next().unwrap_or_default().into();
            }
            entry
        })
        .collect();
    let applied = migrations.iter().filter(|(_, applied)| *applied).count();
    let object = serde_json::json!({
        "format": 1,
        "command": "status",
        "exit": 0,
        "migrations": entries,
        "applied": applied,
        "pending": migrations.len() - applied,
    });
    serde_json::to_string_pretty(&object).expect("a JSON value always serialises")
}

fn status_error_json(message: &str) -> String {
    let object = serde_json::json!({
        "format": 1,
        "command": "status",
        "exit": 2,
        "error": message,
    });
    serde_json::to_string_pretty(&object).expect("a JSON value always serialises")
}

/// The migrator's connection settings: one session for everything, kept open for as long as
/// the migrations run, so that the migration lock (a session lock on PostgreSQL and MySQL)
/// belongs to the session that runs the statements (see [`crate::migrator_lock`]).
fn one_session(options: &mut ConnectOptions, timeout: Duration) {
    options
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_timeout(timeout)
        .acquire_timeout(timeout);
}

/// Applies `M`'s pending migrations to the database at `url`, as `run_cli`'s `up` does: under
/// the migration lock, so that replicas that all migrate at start-up take turns (the others
/// wait, then find nothing pending), on one session, with tidemark's connection settings.
///
/// ```no_run
/// # async fn start() -> Result<(), sea_orm_migration::DbErr> {
/// # struct Migrator;
/// # #[async_trait::async_trait]
/// # impl sea_orm_migration::MigratorTrait for Migrator {
/// #     fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> { vec![] }
/// # }
/// tidemark_runtime::migrate::<Migrator>("postgres://app@127.0.0.1/app").await?;
/// # Ok(()) }
/// ```
pub async fn migrate<M: MigratorTrait>(url: &str) -> Result<(), DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    one_session(&mut options, connect_timeout());
    let db = connect(options).await?;
    let lock = MigratorLock::acquire(&db, url, migrator_lock::wait_limit()).await?;
    let up = Command::Up {
        num: None,
        accept_edited: Vec::new(),
    };
    let done = match guard_history::<M>(&db, &up).await {
        Ok(current) => {
            let done = M::up(&db, None).await;
            settle_history(&db, &up, &current, None).await;
            done
        }
        Err(HistoryOr::Db(err, _)) => Err(err),
        Err(HistoryOr::History(problems)) => Err(DbErr::Migration(format!(
            "the migration history changed; nothing was run:\n{}",
            problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))),
    };
    let released = lock.release(&db).await;
    db.close().await.ok();
    done.and(released)
}

/// How long the migrator waits for a connection: `TIDEMARK_CONNECT_TIMEOUT_S`, 10 s by default,
/// so an unreachable server is reported instead of retried for the driver's 30 s.
fn connect_timeout() -> Duration {
    let seconds = std::env::var("TIDEMARK_CONNECT_TIMEOUT_S")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(10);
    Duration::from_secs(seconds)
}

/// sea-orm-migration reports progress through `tracing`: show it as its own CLI does.
fn setup_tracing(verbose: bool, to_stderr: bool) {
    use tracing_subscriber::prelude::*;
    let filter = if verbose {
        "debug"
    } else {
        "sea_orm_migration=info"
    };
    let filter = tracing_subscriber::EnvFilter::try_new(filter).expect("a valid filter");
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(move || -> Box<dyn std::io::Write> {
            if to_stderr {
                Box::new(std::io::stderr())
            } else {
                Box::new(std::io::stdout())
            }
        })
        .with_target(verbose)
        .with_level(verbose);
    let layer = if verbose {
        layer.boxed()
    } else {
        layer.without_time().boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init();
}

/// Connects the way tidemark's migrations expect.
///
/// On SQLite, foreign key enforcement is switched off for the migrator's connections: a table
/// rebuild drops and re-creates a table, and with enforcement on, `DROP TABLE` first deletes
/// every row, firing `ON DELETE CASCADE` in the tables that reference it
/// (<https://www.sqlite.org/lang_droptable.html>). This is step 1 of SQLite's own procedure
/// for schema changes (<https://www.sqlite.org/lang_altertable.html#otheralter>); every
/// rebuild ends with `PRAGMA foreign_key_check`, so integrity is still verified.
///
/// On MySQL/MariaDB, whose DDL commits as it goes, the statements of the running migration are
/// recorded, so that a failure can say what was already applied. Every connection also gets a
/// short `lock_wait_timeout` (the [`crate::LockPolicy`] timeout in whole seconds, at least 1): the
/// server's default lets a DDL statement wait for its metadata lock for a year on MySQL and a
/// day on MariaDB, with every query on the table queued behind it.
#[cfg_attr(not(any(feature = "sqlite", feature = "mysql")), allow(unused_mut))]
pub async fn connect(mut options: ConnectOptions) -> Result<DbConn, DbErr> {
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    if let Some(note) = unencrypted(options.get_url()) {
        eprintln!("{note}");
    }
    #[cfg(feature = "sqlite")]
    if options.get_url().starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| opts.foreign_keys(false));
    }
    #[cfg(feature = "mysql")]
    let seconds = crate::lock::LockPolicy::from_env().mysql_wait_seconds();
    #[cfg(feature = "mysql")]
    options.map_sqlx_mysql_pool_opts(move |pool| {
        pool.after_connect(move |conn, _| {
            Box::pin(async move {
                use sea_orm_migration::sea_orm::sqlx::{AssertSqlSafe, Executor};
                conn.execute(AssertSqlSafe(format!(
                    "SET SESSION lock_wait_timeout = {seconds}"
                )))
                .await?;
                Ok(())
            })
        })
    });
    let mut db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::MySql {
        db.set_metric_callback(record_mysql_statement);
    }
    Ok(db)
}

/// What the current MySQL migration has run: the statements committed since the last
/// migration was recorded, and the statement that failed last (an online attempt the server
/// refused is retried by `mysql::online`; a later success clears it).
struct MysqlLog {
    applied: Vec<String>,
    failed: Option<String>,
}

static MYSQL_LOG: Mutex<MysqlLog> = Mutex::new(MysqlLog {
    applied: Vec::new(),
    failed: None,
});

fn record_mysql_statement(info: &metric::Info<'_>) {
    let sql = info.statement.to_string();
    let head = sql.trim_start().to_ascii_uppercase();
    if head.starts_with("SELECT") || head.starts_with("SHOW") || head.starts_with("SET ") {
        return;
    }
    // tidemark's own bookkeeping (`crate::history`) is no step of any migration.
    if head.contains(crate::history::TABLE_UPPER) {
        return;
    }
    let mut log = MYSQL_LOG.lock().unwrap_or_else(|e| e.into_inner());
    if info.failed {
        log.failed = Some(sql);
        return;
    }
    log.failed = None;
    if head.contains("`SEAQL_MIGRATIONS`") || head.contains("SEAQL_MIGRATIONS` (") {
        // A migration was recorded as applied or rolled back: it is complete.
        log.applied.clear();
        return;
    }
    log.applied.push(sql);
}

/// Which way the failed command was moving, for the report of what stayed applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `up`: applying migrations.
    Up,
    /// `down`: rolling them back.
    Down,
    /// `fresh` and `refresh` roll back and apply: the migration's state is for `status` to say.
    Both,
}

/// The report of a failed MySQL command: what its migration had committed, and what failed.
/// `None` when nothing was run since the last recorded migration.
fn mysql_failure_report(direction: Direction) -> Option<String> {
    let mut log = MYSQL_LOG.lock().unwrap_or_else(|e| e.into_inner());
    let failed = log.failed.take();
    let applied = std::mem::take(&mut log.applied);
    if failed.is_none() && applied.is_empty() {
        return None;
    }
    Some(report_partial_failure(
        &applied,
        failed
            .as_deref()
            .unwrap_or("(a step of the migration's own code)"),
        direction,
    ))
}

/// What to tell a person when a MySQL migration fails halfway. MySQL commits every DDL
/// statement on its own (<https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html>), so
/// the statements before the failure stay applied while the migration's record is unchanged:
/// a failed `up` leaves it pending, a failed `down` leaves it applied.
pub fn report_partial_failure(applied: &[String], failed: &str, direction: Direction) -> String {
    let state = match direction {
        Direction::Up => {
            "the failed migration is NOT recorded as applied (`status` shows it pending), but \
             these statements of its `up` before the failure were committed"
        }
        Direction::Down => {
            "the migration whose `down` failed is STILL recorded as applied (`status` shows it \
             applied), but these statements of its `down` before the failure were committed"
        }
        Direction::Both => {
            "the failed migration's record is as `status` shows it, but these statements before \
             the failure were committed"
        }
    };
    let mut text = format!("\nMySQL/MariaDB cannot roll DDL back: {state}:\n");
    if applied.is_empty() {
        text.push_str(
            "  (none in this run; an earlier run that failed may have committed some: `status` \
             lists what it had)\n",
        );
    }
    for sql in applied {
        text.push_str(&format!("  applied: {sql}\n"));
    }
    text.push_str(&format!("  failed:  {failed}\n"));
    text.push_str(
        "Fix forward: change the database by hand (or with a repair migration) so that it is \
         either fully before or fully after this migration. Undo the applied statements and \
         run the command again once the failing step is fixed, or complete the remaining steps \
         (see docs/troubleshooting.md#failed-halfway).",
    );
    text
}

/// The URL names a backend whose driver this migrator was built without: what to do about it.
fn missing_driver(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let (backend, feature, compiled) = if lower.starts_with("sqlite:") {
        ("SQLite", "sqlite", cfg!(feature = "sqlite"))
    } else if lower.starts_with("postgres") {
        ("PostgreSQL", "postgres", cfg!(feature = "postgres"))
    } else if lower.starts_with("mysql") || lower.starts_with("mariadb") {
        ("MySQL/MariaDB", "mysql", cfg!(feature = "mysql"))
    } else {
        return None;
    };
    (!compiled).then(|| {
        format!(
            "this migrator was built without tidemark-runtime's `{feature}` feature, so it \
             cannot open the {backend} database {}: give DATABASE_URL (environment, `.env` or \
             `--database-url`) of a backend it was built for, or turn the feature on in \
             migration/Cargo.toml",
            redact_url(url)
        )
    })
}

/// Built without TLS, a server connection goes out in the clear (PostgreSQL's default
/// `sslmode=prefer` falls back silently): the note that says so, unless the URL asks for no
/// TLS itself.
#[cfg_attr(any(feature = "rustls", feature = "native-tls"), allow(dead_code))]
fn unencrypted(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let server = lower.starts_with("postgres") || lower.starts_with("mysql");
    let declined = ["sslmode=disable", "ssl-mode=disabled", "ssl-mode=disable"]
        .iter()
        .any(|opt| lower.contains(opt));
    (server && !declined).then(|| {
        format!(
            "tidemark: note: tidemark-runtime was built without TLS, so the connection to {} \
             is not encrypted (and fails where the server requires TLS); turn on its \
             `rustls` or `native-tls` feature, or say `sslmode=disable` in the URL",
            redact_url(url)
        )
    })
}

#[cfg(test)]
mod tls_tests {
    use super::{missing_driver, unencrypted};

    #[test]
    fn a_backend_built_out_is_named_with_its_feature() {
        for (url, feature, compiled) in [
            (
                "sqlite://app.db?mode=rwc",
                "`sqlite`",
                cfg!(feature = "sqlite"),
            ),
            (
                "postgres://127.0.0.1/app",
                "`postgres`",
                cfg!(feature = "postgres"),
            ),
            ("mysql://127.0.0.1/app", "`mysql`", cfg!(feature = "mysql")),
        ] {
            match missing_driver(url) {
                Some(note) => assert!(!compiled && note.contains(feature), "{note}"),
                None => assert!(compiled, "{url}"),
            }
        }
        assert!(missing_driver("redis://x").is_none());
    }

    #[test]
    fn a_server_url_without_tls_is_told() {
        let note = unencrypted("postgres://app:secret@127.0.0.1/app").unwrap();
        assert!(
            note.contains("not encrypted") && !note.contains("secret"),
            "{note}"
        );
        assert!(unencrypted("postgres://127.0.0.1/app?sslmode=disable").is_none());
        assert!(unencrypted("mysql://127.0.0.1/app?ssl-mode=DISABLED").is_none());
        assert!(unencrypted("sqlite://app.db").is_none());
    }
}
