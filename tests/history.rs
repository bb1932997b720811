//! The migrator keeps a checksum of what each applied migration runs: an applied migration
//! edited afterwards, or a pending one registered below the history, stops `up` (exit 2)
//! before anything runs, until accepted one by one; formatting and comments do not count; a
//! database migrated before tidemark kept checksums adopts the table on its first run.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal};

macro_rules! item {
    ($version:ident, $($extra:tt)*) => {
        mod $version {
            pub mod item {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "item")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    $($extra)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

item!(v1,);
item!(v2, pub note: Option<String>,);

const STEP_0: &str = "m20260101_000000_step_0";
const STEP_1: &str = "m20260101_000100_step_1";
const LATE: &str = "m20260101_000200_from_another_branch";

async fn checksums(url: &str) -> i64 {
    fixture::count(url, "SELECT COUNT(*) AS n FROM tidemark_migrations").await
}

/// Edits the workspace as a careless merge would: a comment in `STEP_0` (harmless), a
/// changed statement in `STEP_1` (applied already), and a migration registered before it.
fn edit_history(ws: &tidemark::workspace::Workspace) {
    let options = GenerateOptions {
        autogenerate: false,
        ..fixture::options_at("from another branch", 2)
    };
    generate::generate(ws, &entities![v2::item::Entity], &options, &mut NoTerminal).unwrap();
    let path = ws.migration_file(STEP_0);
    let source = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("// reviewed by the team\n\n{source}\n// end\n"),
    )
    .unwrap();

    let path = ws.migration_file(STEP_1);
    let source = std::fs::read_to_string(&path).unwrap();
    let edited = source.replacen(
        "async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {",
        "async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {\n        \
         manager.get_connection().execute_unprepared(\"UPDATE item SET id = id\").await?;",
        1,
    );
    assert_ne!(
        edited, source,
        "the fixture's up has the expected signature"
    );
    std::fs::write(&path, edited).unwrap();

    // Registered before STEP_1, as a merge that kept both sides' lines might leave it.
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    let late = format!("Box::new({LATE}::Migration),");
    let step_1 = format!("Box::new({STEP_1}::Migration),");
    let lib = lib
        .replace(&late, "__LATE__")
        .replace(&step_1, &format!("{late}\n            {step_1}"))
        .replace("__LATE__", "");
    std::fs::write(ws.lib_rs(), lib).unwrap();
}

#[tokio::test]
async fn an_edited_or_reordered_history_stops_up_until_accepted() {
    let (_scratch, ws) =
        fixture::workspace(&[entities![v1::item::Entity], entities![v2::item::Entity]]);
    let original = tidemark::migrator::build_migrator(&ws).unwrap();
    let kept = tempfile::tempdir().unwrap();
    let before = kept.path().join("migrator");
    std::fs::copy(&original, &before).unwrap();
    edit_history(&ws);
    let after = tidemark::migrator::build_migrator(&ws).unwrap();

    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "history").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&before, &url, &["up"]);
        assert_eq!(checksums(&url).await, 2, "{backend:?}");
        // Settings of the run are not part of what a migration runs.
        let other_settings = std::process::Command::new(&before)
            .args(["up"])
            .env("DATABASE_URL", &url)
            .env("TIDEMARK_LOCK_TIMEOUT_MS", "2500")
            .env("TIDEMARK_BACKFILL_BATCH", "7")
            .output()
            .unwrap();
        assert!(
            other_settings.status.success(),
            "{backend:?}: {}",
            String::from_utf8_lossy(&other_settings.stderr)
        );
        exec(&url, "INSERT INTO item (id, note) VALUES (1, 'kept')").await;

        let up = fixture::run_migrator(&after, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr);
        assert_eq!(up.status.code(), Some(2), "{backend:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "`{STEP_1}` was edited after this database applied it"
            )) && stderr.contains("now:     UPDATE item SET id = id"),
            "{backend:?}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("`{LATE}` is registered before `{STEP_1}`")),
            "{backend:?}: {stderr}"
        );
        assert!(!stderr.contains(STEP_0), "a comment counted: {stderr}");
        let status = fixture::run_migrator(&after, &url, &["status"]);
        let shown = String::from_utf8_lossy(&status.stderr);
        assert!(
            shown.contains(&format!("warning: `{STEP_1}` was edited"))
                && shown.contains(&format!(
                    "warning: `{LATE}` is registered before `{STEP_1}`"
                )),
            "{backend:?}: {shown}"
        );
        let report = status_json(&after, &url, 0);
        assert_eq!(state_of(&report, STEP_1), ("applied", true), "{report}");
        assert_eq!(state_of(&report, STEP_0), ("applied", false), "{report}");
        assert_eq!(state_of(&report, LATE), ("pending", false), "{report}");
        assert_eq!(
            (report["applied"].as_u64(), report["pending"].as_u64()),
            (Some(2), Some(1))
        );

        let accepted = fixture::run_migrator(
            &after,
            &url,
            &["up", "--accept-edited", STEP_1, "--accept-edited", LATE],
        );
        assert!(
            accepted.status.success(),
            "{backend:?}: {}",
            String::from_utf8_lossy(&accepted.stderr)
        );
        assert_eq!(checksums(&url).await, 3, "{backend:?}");
        let unknown = fixture::run_migrator(&after, &url, &["up", "--accept-edited", "m_nope"]);
        assert!(
            !unknown.status.success()
                && String::from_utf8_lossy(&unknown.stderr)
                    .contains("`m_nope` is not a migration of this crate"),
            "{backend:?}"
        );
        fixture::migrate(&after, &url, &["up"]);
        fixture::migrate(&after, &url, &["down", "-n", "1"]);
        assert_eq!(checksums(&url).await, 2, "{backend:?}: down forgets");
        db.drop().await;
    }
}

#[tokio::test]
async fn a_database_migrated_before_checksums_adopts_them() {
    let (_scratch, ws) =
        fixture::workspace(&[entities![v1::item::Entity], entities![v2::item::Entity]]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "history_adopt").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(&url, "DROP TABLE tidemark_migrations").await;
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr);
        assert!(up.status.success(), "{backend:?}: {stderr}");
        assert!(
            stderr.contains("recorded the checksums of 1 migration(s) applied before"),
            "{backend:?}: {stderr}"
        );
        assert_eq!(checksums(&url).await, 2, "{backend:?}");
        db.drop().await;
    }
}

const FAILING: &str = r#"use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE TABLE halfway (id integer PRIMARY KEY)").await?;
        db.execute_unprepared("ALTER TABLE no_such_table ADD COLUMN x integer").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE halfway").await?;
        Ok(())
    }
}
"#;

/// A migration that stops part-way is recorded as failed; `status` shows it; `resolve`
/// records the repair made by hand, either way.
#[tokio::test]
async fn a_failed_migration_is_recorded_and_resolved() {
    let (_scratch, ws) = fixture::workspace(&[entities![v1::item::Entity]]);
    let options = GenerateOptions {
        autogenerate: false,
        ..fixture::options_at("fails halfway", 1)
    };
    generate::generate(&ws, &entities![v1::item::Entity], &options, &mut NoTerminal).unwrap();
    let module = "m20260101_000100_fails_halfway";
    std::fs::write(ws.migration_file(module), FAILING).unwrap();
    fixture::rehash(&ws);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "failed_state").await else {
            continue;
        };
        let url = db.url.clone();
        let up = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr);
        assert_eq!(up.status.code(), Some(1), "{backend:?}: {stderr}");
        assert!(
            stderr.contains(&format!("recorded `{module}` as failed")),
            "{backend:?}: {stderr}"
        );
        let status = fixture::run_migrator(&binary, &url, &["status"]);
        let shown = String::from_utf8_lossy(&status.stderr);
        assert!(
            shown.contains(&format!("Failed: `{module}` stopped part-way"))
                && shown.contains("no_such_table"),
            "{backend:?}: {shown}"
        );
        let report = status_json(&binary, &url, 0);
        assert_eq!(state_of(&report, module), ("failed", false), "{report}");
        let failure = report["migrations"]
            .as_array()
            .and_then(|all| all.iter().find(|m| m["name"] == module))
            .and_then(|m| m["failure"].as_str())
            .unwrap_or_default();
        assert!(failure.contains("no_such_table"), "{report}");

        // Repaired by hand back to before it: recorded as not applied, and failed no more.
        exec(&url, "DROP TABLE IF EXISTS halfway").await;
        let resolved = fixture::run_migrator(&binary, &url, &["resolve", "--rolled-back", module]);
        assert!(
            resolved.status.success(),
            "{backend:?}: {}",
            String::from_utf8_lossy(&resolved.stderr)
        );
        let status = fixture::run_migrator(&binary, &url, &["status"]);
        assert!(
            !String::from_utf8_lossy(&status.stderr).contains("Failed:"),
            "{backend:?}"
        );

        // Or completed by hand: recorded as applied, and `up` has nothing left to do.
        exec(&url, "CREATE TABLE halfway (id integer PRIMARY KEY)").await;
        let resolved = fixture::run_migrator(&binary, &url, &["resolve", "--applied", module]);
        assert!(resolved.status.success(), "{backend:?}");
        fixture::migrate(&binary, &url, &["up"]);
        assert_eq!(checksums(&url).await, 2, "{backend:?}");
        let unknown = fixture::run_migrator(&binary, &url, &["resolve", "--applied", "m_nope"]);
        assert!(
            !unknown.status.success()
                && String::from_utf8_lossy(&unknown.stderr)
                    .contains("not a migration of this crate"),
            "{backend:?}"
        );
        db.drop().await;
    }
}

/// `status --format json` against `url`, expecting `code`: the one object it prints.
fn status_json(binary: &std::path::Path, url: &str, code: i32) -> serde_json::Value {
    let out = fixture::run_migrator(binary, url, &["status", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("not one JSON object ({err}):\n{stdout}"));
    assert_eq!(
        (&report["format"], &report["command"]),
        (&1.into(), &"status".into())
    );
    report
}

/// A migration's `state` and `edited` in a status report.
fn state_of<'a>(report: &'a serde_json::Value, name: &str) -> (&'a str, bool) {
    let entry = report["migrations"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["name"] == name))
        .unwrap_or_else(|| panic!("`{name}` is not in {report}"));
    (
        entry["state"].as_str().unwrap_or_default(),
        entry["edited"].as_bool().unwrap_or_default(),
    )
}

#[test]
fn status_json_on_an_unreachable_database_is_an_error_object() {
    let (_scratch, ws) = fixture::workspace(&[entities![v1::item::Entity]]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    let report = status_json(&binary, "postgres://postgres@127.0.0.1:1/nowhere", 2);
    assert_eq!(report["exit"], 2, "{report}");
    let error = report["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("cannot reach the database at postgres://postgres@127.0.0.1:1/nowhere"),
        "{report}"
    );
}
