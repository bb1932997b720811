//! Scratch databases on the machine's PostgreSQL and MariaDB servers, created per test and
//! dropped after it. Unreachable servers skip the test loudly, or fail it when
//! `TIDEMARK_REQUIRE_SERVERS=1` (CI).

use sea_orm_migration::sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

pub struct Scratch {
    pub url: String,
    pub db: DatabaseConnection,
    admin: DatabaseConnection,
    name: String,
    backend: DbBackend,
}

fn admin_url(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => std::env::var("TIDEMARK_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        _ => std::env::var("TIDEMARK_TEST_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into()),
    }
}

impl Scratch {
    pub async fn create(backend: DbBackend, label: &str) -> Option<Scratch> {
        let admin_url = admin_url(backend);
        let admin = match Database::connect(&admin_url).await {
            Ok(db) => db,
            Err(err) if std::env::var("TIDEMARK_REQUIRE_SERVERS").is_ok_and(|v| v == "1") => {
                panic!(
                    "{admin_url} is required (TIDEMARK_REQUIRE_SERVERS=1) but unreachable: {err}"
                )
            }
            Err(err) => {
                eprintln!("SKIPPED: {admin_url} is unreachable: {err}");
                return None;
            }
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("tidemark_rt_{label}_{}_{nanos}", std::process::id());
        admin
            .execute_raw(Statement::from_string(
                backend,
                format!("CREATE DATABASE {name}"),
            ))
            .await
            .unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        let db = Database::connect(&url).await.unwrap();
        Some(Scratch {
            url,
            db,
            admin,
            name,
            backend,
        })
    }

    pub async fn exec(&self, sql: &str) {
        self.db
            .execute_raw(Statement::from_string(self.backend, sql.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn number(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.backend, sql.to_owned()))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    pub async fn drop(self) {
        self.db.close().await.ok();
        let force = if self.backend == DbBackend::Postgres {
            " WITH (FORCE)"
        } else {
            ""
        };
        self.admin
            .execute_raw(Statement::from_string(
                self.backend,
                format!("DROP DATABASE {}{force}", self.name),
            ))
            .await
            .unwrap();
    }
}
