//! Test databases on the machine's servers: each test creates its own uniquely named
//! database and drops it afterwards, never relying on what an earlier run left.
//!
//! PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, user root) are
//! expected; `TIDEMARK_TEST_POSTGRES_URL` and `TIDEMARK_TEST_MYSQL_URL` point elsewhere (an
//! admin URL on 127.0.0.1). When a server cannot be reached the test is skipped with a loud
//! message, unless `TIDEMARK_REQUIRE_SERVERS=1` (set by CI) makes that a failure.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::sync::atomic::{AtomicU32, Ordering};
use tidemark::backend::Backend;

pub fn admin_url(backend: Backend) -> Option<String> {
    match backend {
        Backend::Postgres => Some(
            std::env::var("TIDEMARK_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        ),
        Backend::Mysql => Some(
            std::env::var("TIDEMARK_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into()),
        ),
        Backend::Sqlite => None,
    }
}

/// Connects to a server's admin database, giving up quickly when nothing listens.
pub async fn connect_admin(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(std::time::Duration::from_secs(3))
        .acquire_timeout(std::time::Duration::from_secs(3))
        .max_connections(1)
        .sqlx_logging(false);
    Database::connect(options).await
}

pub fn servers_required() -> bool {
    std::env::var("TIDEMARK_REQUIRE_SERVERS").is_ok_and(|v| v == "1" || v == "true")
}

/// One test's database; `url` connects to it.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    name: String,
    _sqlite_dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// `None` when the backend's server is unreachable and not required (a skip, announced).
    pub async fn create(backend: Backend, label: &str) -> Option<TestDatabase> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let short: String = label.chars().take(24).collect();
        let name = format!(
            "tidemark_{short}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let Some(admin) = admin_url(backend) else {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("test.sqlite").display()
            );
            return Some(TestDatabase {
                url,
                backend,
                name,
                _sqlite_dir: Some(dir),
            });
        };
        let db = match connect_admin(&admin).await {
            Ok(db) => db,
            Err(err) => {
                let message = format!("{} at {admin} is unreachable: {err}", backend.name());
                assert!(
                    !servers_required(),
                    "{message} (TIDEMARK_REQUIRE_SERVERS is set)"
                );
                eprintln!("SKIPPED {label} on {}: {message}", backend.name());
                return None;
            }
        };
        exec(&db, &format!("CREATE DATABASE {}", quoted(backend, &name))).await;
        db.close().await.ok();
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        Some(TestDatabase {
            url: format!("{base}/{name}"),
            backend,
            name,
            _sqlite_dir: None,
        })
    }

    /// Drops the database (a no-op for SQLite, whose file goes with its folder).
    pub async fn drop(self) {
        let Some(admin) = admin_url(self.backend) else {
            return;
        };
        let db = Database::connect(&admin)
            .await
            .expect("the server answered a moment ago");
        let sql = match self.backend {
            Backend::Postgres => format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quoted(self.backend, &self.name)
            ),
            _ => format!(
                "DROP DATABASE IF EXISTS {}",
                quoted(self.backend, &self.name)
            ),
        };
        exec(&db, &sql).await;
        db.close().await.ok();
    }
}

fn quoted(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Mysql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs one statement on the database at `url`.
#[allow(dead_code)] // not every test binary that includes this module runs raw SQL
pub async fn exec_at(url: &str, sql: &str) {
    let db = Database::connect(url).await.unwrap();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await.ok();
}
