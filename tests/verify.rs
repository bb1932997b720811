//! `verify` and `drift` against real databases, on a small fixture workspace whose migrations
//! tidemark generates and whose migration crate it builds and runs.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use std::path::PathBuf;
use tidemark::backend::Backend;
use tidemark::diff::Renames;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal};
use tidemark::plan::Backfills;
use tidemark::workspace::Workspace;

mod v1 {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(column_type = "String(StringLen::N(100))")]
            pub name: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

mod v2 {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(column_type = "String(StringLen::N(100))")]
            pub name: String,
            pub note: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// A workspace with a buildable migration crate and two generated migrations.
fn fixture() -> (fixture::Scratch, Workspace) {
    fixture::workspace(&[entities![v1::item::Entity], entities![v2::item::Entity]])
}

fn second_migration(ws: &Workspace) -> PathBuf {
    ws.migration_file("m20260101_000100_step_1")
}

async fn verify(ws: &Workspace, url: Option<&str>) -> (bool, String) {
    let mut out = Vec::new();
    let ok = tidemark::verify::verify(ws, url, &mut out).await.unwrap();
    (ok, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn verify_passes_a_correct_history_on_every_backend() {
    let (_dir, ws) = fixture();
    let (ok, report) = verify(&ws, None).await;
    assert!(ok, "{report}");
    assert!(report.contains("ok   m20260101_000100_step_1"), "{report}");
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(url) = servers::admin_url(backend) else {
            continue;
        };
        if servers::connect_admin(&url).await.is_err() {
            assert!(
                !servers::servers_required(),
                "{} is required",
                backend.name()
            );
            eprintln!("SKIPPED verify on {}: unreachable", backend.name());
            continue;
        }
        let (ok, report) = verify(&ws, Some(&url)).await;
        assert!(ok, "{}: {report}", backend.name());
        assert!(report.contains(backend.name()), "{report}");
    }
}

#[tokio::test]
async fn verify_catches_a_down_that_does_not_undo_up() {
    let (_dir, ws) = fixture();
    let path = second_migration(&ws);
    let source = std::fs::read_to_string(&path).unwrap();
    // Sabotage `down`: it no longer drops the column `up` added.
    let (up, down) = source.split_once("async fn down").unwrap();
    let broken_down = down.replacen("Change::drop_column(Item::Table, Item::Note)", "", 1);
    assert_ne!(broken_down, down, "the fixture's down drops the column");
    std::fs::write(&path, format!("{up}async fn down{broken_down}")).unwrap();

    let (ok, report) = verify(&ws, None).await;
    assert!(!ok, "{report}");
    assert!(report.contains("FAIL m20260101_000100_step_1"), "{report}");
    assert!(report.contains("after down"), "{report}");
    assert!(report.contains("`item.note`"), "{report}");
}

#[tokio::test]
async fn verify_reports_hand_written_migrations_it_cannot_compare() {
    let (_dir, ws) = fixture();
    std::fs::remove_file(ws.history_snapshot("m20260101_000100_step_1")).unwrap();
    let (ok, report) = verify(&ws, None).await;
    assert!(ok, "{report}");
    assert!(
        report.contains("recorded no snapshot, so its schema was not compared"),
        "{report}"
    );
}

#[tokio::test]
async fn drift_catches_a_column_changed_by_hand_on_every_backend() {
    let (_dir, ws) = fixture();
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "drift").await else {
            continue;
        };
        fixture::migrate(&binary, &db.url, &["up"]);
        let drift = tidemark::verify::drift(&ws, &db.url).await.unwrap();
        assert_eq!(drift.applied, "m20260101_000100_step_1");
        assert!(
            drift.differences.is_empty(),
            "{}: {:?}",
            backend.name(),
            drift.differences
        );

        let widen = match backend {
            Backend::Postgres => "ALTER TABLE item ALTER COLUMN name TYPE varchar(200)",
            Backend::Mysql => "ALTER TABLE item MODIFY name varchar(200) NOT NULL",
            Backend::Sqlite => "ALTER TABLE item ADD COLUMN hand_added text",
        };
        exec(&db.url, widen).await;
        let differences = tidemark::verify::drift(&ws, &db.url)
            .await
            .unwrap()
            .differences;
        db.drop().await;
        let expected = match backend {
            Backend::Sqlite => "Drop column `item.hand_added`",
            _ => "Alter column `item.name`",
        };
        assert!(
            differences.iter().any(|d| d.starts_with(expected)),
            "{}: {differences:?}",
            backend.name()
        );
    }
}

#[tokio::test]
async fn drift_refuses_a_database_without_migrations() {
    let (_dir, ws) = fixture();
    let db = TestDatabase::create(Backend::Sqlite, "empty")
        .await
        .unwrap();
    exec(&db.url, "CREATE TABLE seaql_migrations (version varchar NOT NULL PRIMARY KEY, applied_at integer NOT NULL)").await;
    let err = tidemark::verify::drift(&ws, &db.url)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("applied no migrations"), "{err}");
}

/// Registers an empty migration (as `generate -m` writes it), for a test to fill by hand.
fn empty_migration(ws: &Workspace, message: &str, minute: u32) {
    let options = GenerateOptions {
        autogenerate: false,
        ..fixture::options_at(message, minute)
    };
    generate::generate(ws, &entities![v2::item::Entity], &options, &mut NoTerminal).unwrap();
}

/// Adds a hand-written migration that creates a table and then fails.
fn add_failing_migration(ws: &Workspace) -> String {
    empty_migration(ws, "fails halfway", 2);
    let module = "m20260101_000200_fails_halfway".to_owned();
    std::fs::write(
        ws.migration_file(&module),
        r#"use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("halfway")
                    .col(ColumnDef::new("id").integer())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("no_such_table")
                    .add_column(ColumnDef::new("x").integer())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("halfway").to_owned()).await?;
        Ok(())
    }
}
"#,
    )
    .unwrap();
    module
}

async fn has_table(url: &str, table: &str) -> bool {
    fixture::live_schema(url).await.tables.contains_key(table)
}

#[tokio::test]
async fn a_failed_migration_leaves_no_trace_on_postgres_and_sqlite() {
    let (_dir, ws) = fixture();
    let module = add_failing_migration(&ws);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDatabase::create(backend, "halfway").await else {
            continue;
        };
        let out = fixture::run_migrator(&binary, &db.url, &["up"]);
        assert!(
            !out.status.success(),
            "{}: the migration fails",
            backend.name()
        );
        // The server's own words, without the driver's wrapping or the line of the server's
        // C source that the PostgreSQL driver appends.
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(stderr.contains("error: "), "{stderr}");
        assert!(stderr.contains("no_such_table"), "{stderr}");
        assert!(!stderr.contains(" at line "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let created = has_table(&db.url, "halfway").await;
        let status = fixture::run_migrator(&binary, &db.url, &["status"]);
        db.drop().await;
        assert!(
            !created,
            "{}: the table created before the failure was rolled back",
            backend.name()
        );
        let status = String::from_utf8_lossy(&status.stdout).to_string();
        assert!(
            status.contains(&format!("Migration '{module}'... Pending")),
            "{}: {status}",
            backend.name()
        );
        assert!(
            status.contains("m20260101_000100_step_1'... Applied"),
            "{status}"
        );
    }
}

#[tokio::test]
async fn a_failed_migration_on_mariadb_says_what_was_applied() {
    let Some(db) = TestDatabase::create(Backend::Mysql, "halfway").await else {
        return;
    };
    let (_dir, ws) = fixture();
    let module = add_failing_migration(&ws);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    let out = fixture::run_migrator(&binary, &db.url, &["up"]);
    let created = has_table(&db.url, "halfway").await;
    let status = fixture::run_migrator(&binary, &db.url, &["status"]);
    db.drop().await;

    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("applied: CREATE TABLE `halfway`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("failed:  ALTER TABLE `no_such_table`"),
        "{stderr}"
    );
    assert!(stderr.contains("Fix forward"), "{stderr}");
    assert!(
        created,
        "MariaDB committed the CREATE TABLE, as the report says"
    );
    let status = String::from_utf8_lossy(&status.stdout).to_string();
    assert!(
        status.contains(&format!("Migration '{module}'... Pending")),
        "{status}"
    );
}

/// A malformed or unreachable DATABASE_URL: exit 2 within the connect timeout, with the URL
/// shown without its password, and no panic.
#[test]
fn the_migrator_reports_a_bad_database_url_without_its_password() {
    let (_dir, ws) = fixture();
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for (url, says) in [
        (
            "postgres://app:s3cret@127.0.0.1:1/app",
            "cannot reach the database at ",
        ),
        (
            "mysql://app:s3cret@127.0.0.1:1/app",
            "cannot reach the database at ",
        ),
        ("postgres://app:s3cret@[::1", "is not valid"),
        ("nosuchdb://app:s3cret@host/app", "is not valid"),
    ] {
        let started = std::time::Instant::now();
        let out = std::process::Command::new(&binary)
            .arg("status")
            .env("DATABASE_URL", url)
            .env("TIDEMARK_CONNECT_TIMEOUT_S", "2")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains(says), "{url}: {stderr}");
        assert!(stderr.contains("app:***@"), "{url}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{url}: {stderr}");
        assert!(!stderr.contains("panicked"), "{url}: {stderr}");
        // Bounded by the timeout (2 s here), with room for a slow machine.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{url}"
        );
    }
}

#[test]
fn sql_previews_a_migration_on_each_backend_without_a_database() {
    let (_dir, ws) = fixture();
    let postgres = tidemark::migrator::sql(&ws, None, false, Backend::Postgres).unwrap();
    let mysql = tidemark::migrator::sql(&ws, None, false, Backend::Mysql).unwrap();
    let sqlite = tidemark::migrator::sql(&ws, None, false, Backend::Sqlite).unwrap();
    let down = tidemark::migrator::sql(
        &ws,
        Some("m20260101_000100_step_1"),
        true,
        Backend::Postgres,
    )
    .unwrap();
    let first =
        tidemark::migrator::sql(&ws, Some("m20260101_000000_step_0"), false, Backend::Mysql)
            .unwrap();
    insta::assert_snapshot!("sql_postgres", postgres);
    insta::assert_snapshot!("sql_mysql", mysql);
    insta::assert_snapshot!("sql_sqlite", sqlite);
    insta::assert_snapshot!("sql_postgres_down", down);
    insta::assert_snapshot!("sql_mysql_first", first);

    let err = tidemark::migrator::sql(&ws, Some("m_nope"), false, Backend::Sqlite).unwrap_err();
    assert!(
        err.to_string().contains("no migration named `m_nope`"),
        "{err}"
    );
}

#[tokio::test]
async fn a_reconciliation_migration_removes_drift_and_passes_over_clean_databases() {
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(drifted) = TestDatabase::create(backend, "reconcile").await else {
            continue;
        };
        let (_dir, ws) = fixture();
        let binary = tidemark::migrator::build_migrator(&ws).unwrap();
        fixture::migrate(&binary, &drifted.url, &["up"]);
        exec(&drifted.url, "ALTER TABLE item ADD COLUMN hand_added text").await;
        exec(&drifted.url, "CREATE INDEX manual_idx ON item (name)").await;
        let drift = tidemark::verify::drift(&ws, &drifted.url).await.unwrap();
        assert_eq!(
            drift.differences.len(),
            2,
            "{}: {:?}",
            backend.name(),
            drift.differences
        );

        let options = GenerateOptions {
            message: "reconcile".into(),
            autogenerate: true,
            renames: Renames::default(),
            backfills: Backfills::new(),
            conversions: Default::default(),
            allow_destructive: false,
            safety: Default::default(),
            phased: false,
            dry_run: false,
            now: chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        };
        let refused = generate::reconcile(&ws, &drift.live, &drift.applied, backend, &options);
        assert!(refused.is_err(), "dropping a column needs consent");
        let options = GenerateOptions {
            allow_destructive: true,
            safety: Default::default(),
            phased: false,
            ..options
        };
        generate::reconcile(&ws, &drift.live, &drift.applied, backend, &options).unwrap();

        let binary = tidemark::migrator::build_migrator(&ws).unwrap();
        fixture::migrate(&binary, &drifted.url, &["up"]);
        let after = tidemark::verify::drift(&ws, &drifted.url).await.unwrap();
        drifted.drop().await;
        assert!(
            after.differences.is_empty(),
            "{}: {:?}",
            backend.name(),
            after.differences
        );

        // A database that never drifted runs the same history; the guarded steps pass over it.
        let clean = TestDatabase::create(backend, "clean").await.unwrap();
        fixture::migrate(&binary, &clean.url, &["up"]);
        let clean_drift = tidemark::verify::drift(&ws, &clean.url).await.unwrap();
        clean.drop().await;
        assert!(
            clean_drift.differences.is_empty(),
            "{}: {:?}",
            backend.name(),
            clean_drift.differences
        );
        assert_eq!(clean_drift.applied, "m20260102_000000_reconcile");

        if backend == Backend::Sqlite {
            let (ok, report) = verify(&ws, None).await;
            assert!(ok, "{report}");
        }
    }
}

/// Adds a hand-written migration with two unsafe statements, one of them waived.
fn add_hand_written_unsafe_migration(ws: &Workspace) -> String {
    empty_migration(ws, "hand written", 3);
    let module = "m20260101_000300_hand_written".to_owned();
    std::fs::write(
        ws.migration_file(&module),
        r#"use sea_orm_migration::prelude::*;

// tidemark-lint: allow backfill-in-one-statement -- `item` holds a handful of rows
// tidemark-lint: allow missing-lock-timeout

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx-item-note")
                    .table("item")
                    .col("note")
                    .to_owned(),
            )
            .await?;
        manager
            .execute(
                Query::update()
                    .table("item")
                    .value("note", "-")
                    .and_where(Expr::col("note").is_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx-item-note").table("item").to_owned())
            .await?;
        Ok(())
    }
}
"#,
    )
    .unwrap();
    module
}

#[test]
fn lint_names_unsafe_statements_and_keeps_waivers_with_their_reasons() {
    let (_dir, ws) = fixture();
    // The generated migrations are clean on every backend.
    for backend in Backend::ALL {
        let report = tidemark::lint::lint(&ws, None, backend).unwrap();
        assert!(
            report.is_clean(),
            "{backend:?}: {:?}",
            report
                .findings
                .iter()
                .map(|f| f.rule.id)
                .collect::<Vec<_>>()
        );
        assert_eq!(report.checked, 2);
    }

    let module = add_hand_written_unsafe_migration(&ws);
    let report = tidemark::lint::lint(&ws, Some(&module), Backend::Postgres).unwrap();
    let fired: Vec<(&str, bool)> = report
        .findings
        .iter()
        .map(|f| (f.rule.id, f.down))
        .collect();
    assert_eq!(
        fired,
        [
            ("create-index-blocks-writes", false),
            ("missing-lock-timeout", false),
            ("drop-index-blocks-reads", true),
        ],
        "{:#?}",
        report.findings
    );
    assert_eq!(report.waived.len(), 1);
    assert_eq!(report.waived[0].1.rule, "backfill-in-one-statement");
    assert_eq!(report.waived[0].1.reason, "`item` holds a handful of rows");
    // A waiver without a reason waives nothing and is itself reported.
    assert_eq!(report.bad_waivers.len(), 1, "{:?}", report.bad_waivers);
    assert!(report.bad_waivers[0].contains("gives no reason"));
    let text = tidemark::lint::render(&report.findings[0], Backend::Postgres);
    assert!(
        text.contains("CREATE INDEX \"idx-item-note\" ON \"item\""),
        "{text}"
    );
    assert!(text.contains("safe: CREATE INDEX CONCURRENTLY"), "{text}");
}

/// Adds a hand-written migration that makes what entities cannot describe: a composite index
/// over an expression-free column list and a table of another tool's.
fn add_hand_written_objects(ws: &Workspace) -> String {
    empty_migration(ws, "hand made objects", 4);
    let module = "m20260101_000400_hand_made_objects".to_owned();
    std::fs::write(
        ws.migration_file(&module),
        r#"use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX item_name_note ON item (name, note)").await?;
        db.execute_unprepared("CREATE TABLE hand_audit (id integer PRIMARY KEY, what varchar(50))")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE hand_audit").await?;
        manager
            .drop_index(Index::drop().name("item_name_note").table("item").to_owned())
            .await?;
        Ok(())
    }
}
"#,
    )
    .unwrap();
    module
}

#[tokio::test]
async fn recorded_hand_written_objects_are_left_alone_on_every_backend() {
    let (_dir, ws) = fixture();
    let module = add_hand_written_objects(&ws);
    fixture::rehash(&ws);
    // Before `record`, verify sees objects no snapshot describes.
    let (ok, report) = verify(&ws, None).await;
    assert!(!ok, "{report}");
    assert!(report.contains("item_name_note"), "{report}");

    let mut out = Vec::new();
    let changed = tidemark::verify::record(&ws, None, &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(changed.len(), 1, "{out}");
    assert_eq!(changed[0].0, module);
    assert!(out.contains("index `item_name_note` on `item`"), "{out}");
    assert!(out.contains("table `hand_audit`"), "{out}");
    let head = tidemark::snapshot::Snapshot::read(&ws.snapshot())
        .unwrap()
        .unwrap();
    assert_eq!(head.unmanaged, changed[0].1);
    // Recording again finds nothing new and writes nothing.
    let again = tidemark::verify::record(&ws, None, &mut Vec::new())
        .await
        .unwrap();
    assert!(again.is_empty());

    let (ok, report) = verify(&ws, None).await;
    assert!(ok, "{report}");
    // A later migration keeps them recorded, and never proposes to drop them.
    let later = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &fixture::options_at("nothing", 5),
        &mut NoTerminal,
    )
    .unwrap();
    assert!(matches!(later, generate::Outcome::NoChanges));

    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "hand_objects").await else {
            continue;
        };
        fixture::migrate(&binary, &db.url, &["up"]);
        let drift = tidemark::verify::drift(&ws, &db.url).await.unwrap();
        assert!(
            drift.differences.is_empty(),
            "{}: {:?}",
            backend.name(),
            drift.differences
        );
        if backend != Backend::Sqlite {
            let (ok, report) = verify(&ws, Some(&servers::admin_url(backend).unwrap())).await;
            assert!(ok, "{}: {report}", backend.name());
        }
        db.drop().await;
    }
}
