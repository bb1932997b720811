//! The migrator binary's entry point: sea-orm-migration's CLI with tidemark's defaults.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DbBackend, DbConn, metric};
use std::sync::Mutex;

/// Used when neither the environment nor `.env` names a database, so that a new user can run
/// the migrator without a server.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://tidemark.sqlite?mode=rwc";

/// Runs sea-orm-migration's CLI (`up`, `down -n N`, `status`, `fresh`, `refresh`, `reset`)
/// for `migrator`, with `DATABASE_URL` from the environment, `.env`, or the SQLite default.
///
/// Call it from a plain `fn main()`: it builds its own Tokio runtime, because setting the
/// default `DATABASE_URL` must happen before any other thread exists.
///
/// With `TIDEMARK_SQL_PREVIEW=postgres|mysql|sqlite` set (as `tidemark sql` does), it prints
/// the SQL of one migration (`TIDEMARK_SQL_MIGRATION`, default the last; `down` when
/// `TIDEMARK_SQL_DOWN=1`) instead, without connecting to any database.
pub fn run_cli<M: MigratorTrait + Send + Sync>(migrator: M) {
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
    if std::env::var_os("DATABASE_URL").is_none() {
        // SAFETY: no other thread exists yet; the runtime is built below.
        unsafe { std::env::set_var("DATABASE_URL", DEFAULT_DATABASE_URL) };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("failed to start the Tokio runtime");
    runtime.block_on(cli::run_cli_with_connection(migrator, connect));
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
/// recorded, so that a failure can say what was already applied (see [`report_partial_failure`]).
/// Every connection also gets a short `lock_wait_timeout` (see
/// [`crate::lock::LockPolicy::mysql_wait_seconds`]): the server's default lets a DDL statement
/// wait for its metadata lock for a year on MySQL and a day on MariaDB, with every query on the
/// table queued behind it.
pub async fn connect(mut options: ConnectOptions) -> Result<DbConn, DbErr> {
    if options.get_url().starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| opts.foreign_keys(false));
    }
    let seconds = crate::lock::LockPolicy::from_env().mysql_wait_seconds();
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

/// Statements the current MySQL migration has run; cleared when a migration is recorded.
static APPLIED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record_mysql_statement(info: &metric::Info<'_>) {
    let sql = info.statement.to_string();
    let head = sql.trim_start().to_ascii_uppercase();
    if head.starts_with("SELECT")
        || head.starts_with("SHOW")
        || head.contains("SEAQL_MIGRATIONS` (")
    {
        return;
    }
    let mut applied = APPLIED.lock().unwrap_or_else(|e| e.into_inner());
    if info.failed && (head.contains("ALGORITHM=") || head.contains(" NOWAIT")) {
        // An online DDL attempt the server refused, or a busy lock under NOWAIT:
        // `mysql::online` tries again.
        return;
    }
    if info.failed {
        eprintln!("{}", report_partial_failure(&applied, &sql));
        return;
    }
    if head.contains("`SEAQL_MIGRATIONS`") {
        // A migration was recorded as applied or rolled back: it is complete.
        applied.clear();
        return;
    }
    applied.push(sql);
}

/// What to tell a person when a MySQL migration fails halfway. MySQL commits every DDL
/// statement on its own (<https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html>), so
/// the statements before the failure stay applied while the migration is not recorded.
pub fn report_partial_failure(applied: &[String], failed: &str) -> String {
    let mut text = String::from(
        "\nMySQL/MariaDB cannot roll DDL back: the failed migration is NOT recorded as applied \
         (`status` shows it pending), but these statements before the failure were committed:\n",
    );
    if applied.is_empty() {
        text.push_str("  (none: the database is as it was before the migration)\n");
    }
    for sql in applied {
        text.push_str(&format!("  applied: {sql}\n"));
    }
    text.push_str(&format!("  failed:  {failed}\n"));
    text.push_str(
        "Fix forward: change the database by hand (or with a repair migration) so that it is \
         either fully before or fully after this migration. Undo the applied statements and \
         run `up` again once the failing step is fixed, or complete the remaining steps and \
         record the migration.",
    );
    text
}
