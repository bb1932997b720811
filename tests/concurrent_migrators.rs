//! Several migrators started together on one database (replicas that each migrate at
//! start-up): every process exits 0, every migration body runs exactly once, and the schema
//! equals a one-process run. Rounds on fresh databases and on databases with rows and pending
//! online migrations (a concurrent index build on PostgreSQL), on PostgreSQL and MariaDB.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal};
use tidemark::snapshot::Snapshot;

const PROCESSES: usize = 8;
const ROUNDS: usize = 10;

macro_rules! item {
    ($version:ident, { $($extra:tt)* }) => {
        mod $version {
            pub mod item {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "item")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub name: String,
                    $($extra)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

item!(v1, {});
item!(v2, {
    #[sea_orm(indexed)]
    pub code: Option<String>,
});

/// Registers an empty migration named `message` at `minute` and fills it with `source`, as a
/// person writes a migration by hand; returns its module name.
fn hand_written(
    ws: &tidemark::workspace::Workspace,
    message: &str,
    minute: u32,
    source: &str,
) -> String {
    let options = GenerateOptions {
        autogenerate: false,
        ..fixture::options_at(message, minute)
    };
    generate::generate(ws, &entities![v2::item::Entity], &options, &mut NoTerminal).unwrap();
    let module = format!("m20260101_00{minute:02}00_{}", message.replace(' ', "_"));
    std::fs::write(ws.migration_file(&module), source).unwrap();
    fixture::rehash(ws);
    module
}

/// A hand-written migration outside a transaction that counts how often its body runs.
fn add_counting_migration(ws: &tidemark::workspace::Workspace) -> String {
    hand_written(
        ws,
        "count runs",
        9,
        r#"use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::Statement;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        db.execute_raw(Statement::from_string(backend, "CREATE TABLE IF NOT EXISTS body_runs (n int)")).await?;
        db.execute_raw(Statement::from_string(backend, "INSERT INTO body_runs (n) VALUES (1)")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager.get_connection().execute_raw(Statement::from_string(backend, "DROP TABLE body_runs")).await?;
        Ok(())
    }
}
"#,
    )
}

async fn body_runs(url: &str) -> i64 {
    fixture::count(url, "SELECT COUNT(*) AS n FROM body_runs").await
}

#[tokio::test]
async fn eight_migrators_at_once_take_turns() {
    let (_dir, ws) =
        fixture::workspace(&[entities![v1::item::Entity], entities![v2::item::Entity]]);
    add_counting_migration(&ws);
    let expected = Snapshot::read(&ws.snapshot()).unwrap().unwrap().schema;
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let mut failed = 0;
        for round in 0..ROUNDS {
            let Some(db) = TestDatabase::create(backend, "concurrent").await else {
                break;
            };
            let url = db.url.clone();
            // Odd rounds: a database with rows and the online migration still pending.
            if round % 2 == 1 {
                fixture::migrate(&binary, &url, &["up", "-n", "1"]);
                for chunk in 0..5 {
                    let values: Vec<String> = (0..200)
                        .map(|i| format!("({}, 'n{i}')", chunk * 200 + i + 1))
                        .collect();
                    exec(
                        &url,
                        &format!("INSERT INTO item (id, name) VALUES {}", values.join(", ")),
                    )
                    .await;
                }
            }
            let children: Vec<std::process::Child> = (0..PROCESSES)
                .map(|_| {
                    std::process::Command::new(&binary)
                        .arg("up")
                        .env("DATABASE_URL", &url)
                        .stdout(std::process::Stdio::piped())
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .unwrap()
                })
                .collect();
            let mut errors = Vec::new();
            for child in children {
                let out = child.wait_with_output().unwrap();
                if !out.status.success() {
                    failed += 1;
                    errors.push(String::from_utf8_lossy(&out.stderr).into_owned());
                }
            }
            assert!(errors.is_empty(), "{backend:?} round {round}: {errors:#?}");
            assert_eq!(
                body_runs(&url).await,
                1,
                "{backend:?} round {round}: body ran again"
            );
            let mut live_tables = fixture::live_schema(&url).await;
            live_tables.tables.remove("body_runs");
            let differences = tidemark::verify::differences(&live_tables, &expected, backend);
            assert!(
                differences.is_empty(),
                "{backend:?} round {round}: {differences:#?}"
            );
            db.drop().await;
        }
        eprintln!(
            "{}: {ROUNDS} rounds of {PROCESSES} migrators at once, {failed} process(es) failed",
            backend.name()
        );
    }
}

/// A slow hand-written migration (`pg_sleep` / `SLEEP`, standing in for a long index build).
fn add_slow_migration(ws: &tidemark::workspace::Workspace) {
    hand_written(
        ws,
        "slow",
        10,
        r#"use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let sleep = if backend == DbBackend::Postgres { "SELECT pg_sleep(4)" } else { "SELECT SLEEP(4)" };
        db.execute_raw(Statement::from_string(backend, sleep)).await?;
        db.execute_raw(Statement::from_string(backend, "CREATE TABLE slow_done (n int)")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager.get_connection().execute_raw(Statement::from_string(backend, "DROP TABLE slow_done")).await?;
        Ok(())
    }
}
"#,
    );
}

/// A migrator killed in the middle of a statement: the server still runs that statement in the
/// killed migrator's session, which keeps the lock, so a migrator started right away waits for
/// it (and says so) instead of racing it, then applies what is pending and exits 0.
#[tokio::test]
async fn a_rerun_after_a_killed_migrator_waits_for_its_statement() {
    let (_dir, ws) =
        fixture::workspace(&[entities![v1::item::Entity], entities![v2::item::Entity]]);
    add_counting_migration(&ws);
    add_slow_migration(&ws);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "killed").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "3"]);
        let mut first = std::process::Command::new(&binary)
            .arg("up")
            .env("DATABASE_URL", &url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        first.kill().unwrap();
        first.wait().unwrap();
        let started = std::time::Instant::now();
        let rerun = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&rerun.stderr);
        assert!(rerun.status.success(), "{backend:?}: {stderr}");
        assert!(
            stderr.contains("waiting for the migration lock, held by"),
            "{backend:?}: the rerun did not wait: {stderr}"
        );
        // It waited for the killed session's statement (4 s, 1.5 s of it gone), then ran the
        // migration itself (4 s more).
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(5),
            "{backend:?}: {:?}",
            started.elapsed()
        );
        db.drop().await;
    }
}
