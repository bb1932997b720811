//! A narrowing type change never changes a value silently, in `up` or in the `down` of a
//! widening, on PostgreSQL, MariaDB and SQLite; and `preflight` says exactly what the
//! migration will do on each.
//!
//! Before, PostgreSQL's generated `USING name::varchar(100)` cut a 150-character value to 100
//! and rounded `1.2345` to `1.23` while preflight called the migration a failure.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use sea_orm::{ConnectionTrait, Database, Statement};
use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;
use tidemark::preflight::{Level, preflight};

macro_rules! product {
    ($version:ident, name: $name:literal, price: $price:literal) => {
        mod $version {
            pub mod product {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "product")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    #[sea_orm(column_type = $name)]
                    pub name: String,
                    #[sea_orm(column_type = $price)]
                    pub price: Decimal,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

product!(wide, name: "String(StringLen::N(255))", price: "Decimal(Some((14, 4)))");
product!(narrow, name: "String(StringLen::N(100))", price: "Decimal(Some((12, 2)))");

/// `product` as text: each row's name length and price.
async fn rows(url: &str) -> Vec<String> {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let (length, text) = match backend {
        sea_orm::DbBackend::MySql => ("CHAR_LENGTH", "CAST(price AS CHAR)"),
        sea_orm::DbBackend::Postgres => ("LENGTH", "price::text"),
        _ => ("LENGTH", "CAST(price AS TEXT)"),
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT {length}(name) AS n, {text} AS p FROM product ORDER BY id"),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let n: i64 = r
                .try_get::<i64>("", "n")
                .or_else(|_| r.try_get::<i32>("", "n").map(i64::from))
                .unwrap();
            let p: String = r.try_get::<String>("", "p").unwrap().trim().to_owned();
            // PostgreSQL and MariaDB pad a decimal to its scale; SQLite keeps what it was given.
            let p = if p.contains('.') {
                p.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                p
            };
            format!("{n}/{p}")
        })
        .collect();
    db.close().await.ok();
    rows
}

async fn applied(url: &str) -> usize {
    let db = Database::connect(url).await.unwrap();
    let n = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations".to_owned(),
        ))
        .await
        .unwrap()
        .len();
    db.close().await.ok();
    n
}

#[tokio::test]
async fn narrowing_stops_on_values_that_do_not_fit_and_preflight_agrees() {
    let (_dir, ws) = fixture::workspace_destructive(&[
        entities![wide::product::Entity],
        entities![narrow::product::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    let long = "x".repeat(150);
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "narrowing").await else {
            continue;
        };
        let url = db.url.clone();
        assert!(
            fixture::run_migrator(&binary, &url, &["up", "-n", "1"])
                .status
                .success()
        );
        exec(
            &url,
            &format!(
                "INSERT INTO product (id, name, price) VALUES (1, '{long}', 1.2345), (2, 'ok', 2.5)"
            ),
        )
        .await;
        let before = rows(&url).await;
        assert_eq!(before, ["150/1.2345", "2/2.5"], "{backend:?}");

        let report = preflight(&ws, &url).await.unwrap();
        let problems: Vec<String> = report.pending[0]
            .findings
            .iter()
            .filter(|f| f.level == Level::Problem)
            .map(|f| f.text.clone())
            .collect();
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr).into_owned();

        if backend == Backend::Sqlite {
            // SQLite keeps every value: nothing to refuse, nothing changes.
            assert!(problems.is_empty(), "{problems:#?}");
            assert!(up.status.success(), "{stderr}");
            assert_eq!(rows(&url).await, before, "SQLite changed a value");
            db.drop().await;
            continue;
        }

        // Preflight names both columns; the migration stops before converting either.
        assert_eq!(problems.len(), 2, "{backend:?}: {problems:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`product.name` narrows to 100 characters")),
            "{problems:#?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`product.price` narrows to decimal(12,2)")),
            "{problems:#?}"
        );
        assert!(!up.status.success(), "{backend:?}: up succeeded");
        assert!(
            stderr.contains("`product.name` narrows to 100 characters, but 1 value(s) do not fit"),
            "{backend:?}: {stderr}"
        );
        assert!(!stderr.contains("at line"), "{stderr}");
        assert_eq!(rows(&url).await, before, "{backend:?}: a value changed");
        assert_eq!(applied(&url).await, 1, "{backend:?}: recorded as applied");
        let live = fixture::live_schema(&url).await;
        let name = live.tables["product"].column("name").unwrap();
        assert!(
            name.ty.describe().contains("255"),
            "{backend:?}: the type changed although the migration failed: {:?}",
            name.ty
        );

        // Only the name is fixed: the price still stops it, and preflight says just that.
        exec(&url, "UPDATE product SET name = 'short' WHERE id = 1").await;
        let report = preflight(&ws, &url).await.unwrap();
        let left: Vec<&str> = report.pending[0]
            .findings
            .iter()
            .filter(|f| f.level == Level::Problem)
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(left.len(), 1, "{backend:?}: {left:#?}");
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        assert!(!up.status.success());
        assert!(
            String::from_utf8_lossy(&up.stderr)
                .contains("`product.price` narrows to decimal(12,2)"),
            "{}",
            String::from_utf8_lossy(&up.stderr)
        );
        assert_eq!(rows(&url).await, ["5/1.2345", "2/2.5"], "{backend:?}");

        // Fixed data passes preflight and applies.
        exec(&url, "UPDATE product SET price = 1.23 WHERE id = 1").await;
        assert!(!preflight(&ws, &url).await.unwrap().has_problems());
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        assert!(
            up.status.success(),
            "{}",
            String::from_utf8_lossy(&up.stderr)
        );
        assert_eq!(rows(&url).await, ["5/1.23", "2/2.5"], "{backend:?}");
        db.drop().await;
    }
}

/// The `down` of a widening narrows back: a row written after the `up` that needs the wider
/// type stops the `down`, which leaves the row and the migration as they were.
#[tokio::test]
async fn a_down_that_narrows_refuses_rows_written_after_the_up() {
    let (_dir, ws) = fixture::workspace(&[
        entities![narrow::product::Entity],
        entities![wide::product::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    let long = "y".repeat(150);
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "narrowing_down").await else {
            continue;
        };
        let url = db.url.clone();
        assert!(
            fixture::run_migrator(&binary, &url, &["up"])
                .status
                .success()
        );
        exec(
            &url,
            &format!("INSERT INTO product (id, name, price) VALUES (1, '{long}', 3.14)"),
        )
        .await;
        let before = rows(&url).await;
        let down = fixture::run_migrator(&binary, &url, &["down", "-n", "1"]);
        let stderr = String::from_utf8_lossy(&down.stderr).into_owned();
        if backend == Backend::Sqlite {
            assert!(down.status.success(), "{stderr}");
            assert_eq!(rows(&url).await, before, "SQLite changed a value");
        } else {
            assert!(!down.status.success(), "{backend:?}: down succeeded");
            assert!(
                stderr.contains("`product.name` narrows to 100 characters"),
                "{backend:?}: {stderr}"
            );
            assert_eq!(rows(&url).await, before, "{backend:?}: a value changed");
            assert_eq!(applied(&url).await, 2, "{backend:?}: no longer applied");
        }
        db.drop().await;
    }
}

mod optional_label {
    pub mod tag {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "tag")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub label: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

mod required_label {
    pub mod tag {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "tag")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub label: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// NULLs in a column that becomes NOT NULL with `--backfill`: the migration fills them (an
/// UPDATE on the servers, the table rebuild on SQLite), so preflight calls them fine on every
/// backend, and the migration indeed applies.
#[tokio::test]
async fn preflight_knows_the_backfill_fills_nulls_on_every_backend() {
    let mut backfills = tidemark::plan::Backfills::new();
    backfills.insert(("tag".into(), "label".into()), "'none'".into());
    let (_dir, ws) = fixture::workspace_with_backfills(
        &[
            entities![optional_label::tag::Entity],
            entities![required_label::tag::Entity],
        ],
        backfills,
    );
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "preflight_backfill").await else {
            continue;
        };
        let url = db.url.clone();
        assert!(
            fixture::run_migrator(&binary, &url, &["up", "-n", "1"])
                .status
                .success()
        );
        exec(
            &url,
            "INSERT INTO tag (id, label) VALUES (1, NULL), (2, 'x')",
        )
        .await;
        let report = preflight(&ws, &url).await.unwrap();
        assert!(
            !report.has_problems(),
            "{backend:?}: {:#?}",
            report.pending[0].findings
        );
        assert!(
            report.pending[0]
                .findings
                .iter()
                .any(|f| f.text.contains("which the migration's backfill fills")),
            "{backend:?}: {:#?}",
            report.pending[0].findings
        );
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        assert!(
            up.status.success(),
            "{}",
            String::from_utf8_lossy(&up.stderr)
        );
        db.drop().await;
    }
}

macro_rules! ticket {
    ($version:ident, $($value:ident = $text:literal),*) => {
        mod $version {
            pub mod ticket {
                use sea_orm::entity::prelude::*;

                #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
                #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "ticket_state")]
                pub enum State {
                    $(#[sea_orm(string_value = $text)] $value,)*
                }

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "ticket")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub state: State,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

ticket!(
    three_states,
    Open = "open",
    Done = "done",
    Archived = "archived"
);
ticket!(two_states, Open = "open", Done = "done");

/// An enum that loses a value stops on the rows holding it before anything changes, whatever
/// the server's SQL mode (MySQL outside strict mode would store '' in their place).
#[tokio::test]
async fn an_enum_losing_a_value_stops_on_rows_holding_it() {
    let (_dir, ws) = fixture::workspace_destructive(&[
        entities![three_states::ticket::Entity],
        entities![two_states::ticket::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "enum_removal").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        let value = |v: &str| match backend {
            Backend::Postgres => format!("'{v}'::ticket_state"),
            _ => format!("'{v}'"),
        };
        exec(
            &url,
            &format!(
                "INSERT INTO ticket (id, state) VALUES (1, {}), (2, {})",
                value("open"),
                value("archived")
            ),
        )
        .await;
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr).into_owned();
        assert!(!up.status.success(), "{backend:?}: the value was dropped");
        if backend == Backend::Mysql {
            assert!(
                stderr.contains(
                    "`ticket.state` keeps only the values 'open', 'done', but 1 value(s) do not fit"
                ),
                "{stderr}"
            );
        }
        assert_eq!(applied(&url).await, 1, "{backend:?}");
        exec(&url, "UPDATE ticket SET state = 'done' WHERE id = 2").await;
        fixture::migrate(&binary, &url, &["up"]);
        db.drop().await;
    }
}

macro_rules! reading {
    ($version:ident, $ty:ty) => {
        mod $version {
            pub mod reading {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "reading")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub value: $ty,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

reading!(double_reading, f64);
reading!(single_reading, f32);

/// `double` -> `float` keeps about 7 significant digits: a value that would read differently
/// stops the migration, and preflight says so first.
#[tokio::test]
async fn single_precision_stops_on_values_it_would_round() {
    let (_dir, ws) = fixture::workspace_destructive(&[
        entities![double_reading::reading::Entity],
        entities![single_reading::reading::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "single_precision").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(
            &url,
            "INSERT INTO reading (id, value) VALUES (1, 0.5), (2, 0.1), (3, 0.123456789)",
        )
        .await;
        let report = preflight(&ws, &url).await.unwrap();
        assert!(
            report.pending[0]
                .findings
                .iter()
                .any(|f| f.level == Level::Problem
                    && f.text
                        .contains("`reading.value` narrows to single precision")
                    && f.text.contains("1 value(s)")),
            "{backend:?}: {:?}",
            report.pending[0].findings
        );
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr);
        assert!(!up.status.success(), "{backend:?}");
        assert!(
            stderr.contains("narrows to single precision (about 7 significant digits), but 1 value(s) do not fit"),
            "{backend:?}: {stderr}"
        );
        assert_eq!(applied(&url).await, 1, "{backend:?}");
        exec(&url, "UPDATE reading SET value = 0.25 WHERE id = 3").await;
        fixture::migrate(&binary, &url, &["up"]);
        db.drop().await;
    }
}
