//! MySQL/MariaDB commit each DDL statement: when a migration fails half-way, the migrator says
//! which statements were committed and which failed, for online statements (`ALGORITHM=...`,
//! `NOWAIT`) too, and says truly whether the migration is still recorded, in both directions.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use std::path::Path;
use tidemark::backend::Backend;
use tidemark::entities;

macro_rules! item {
    ($version:ident, { $($code:tt)* }, { $($extra:tt)* }) => {
        mod $version {
            pub mod item {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "item")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    $($code)*
                    pub code: String,
                    $($extra)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

item!(plain, { #[sea_orm(column_type = "String(StringLen::N(20))")] }, {});
item!(unique_with_note, { #[sea_orm(unique, column_type = "String(StringLen::N(20))")] }, {
    pub note: Option<String>,
});

fn run(binary: &Path, url: &str, args: &[&str]) -> (bool, String, String) {
    let out = fixture::run_migrator(binary, url, args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `up` adds a column (committed, online: `ALGORITHM=INSTANT`, `NOWAIT`) and then a unique
/// index that duplicates refuse.
#[tokio::test]
async fn a_half_applied_migration_is_reported_in_both_directions() {
    let Some(db) = TestDatabase::create(Backend::Mysql, "partial").await else {
        return;
    };
    let (_dir, ws) = fixture::workspace(&[
        entities![plain::item::Entity],
        entities![unique_with_note::item::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    let url = db.url.clone();
    assert!(run(&binary, &url, &["up", "-n", "1"]).0);
    exec(
        &url,
        "INSERT INTO item (id, code) VALUES (1, 'a'), (2, 'a')",
    )
    .await;

    let (ok, _, stderr) = run(&binary, &url, &["up"]);
    assert!(!ok, "up succeeded over duplicates");
    assert!(stderr.contains("is NOT recorded as applied"), "{stderr}");
    let applied = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("applied: "))
        .unwrap_or_else(|| panic!("no applied statement listed: {stderr}"));
    assert!(applied.contains("ADD COLUMN `note`"), "{stderr}");
    assert!(stderr.contains("failed:  "), "{stderr}");
    assert!(stderr.contains("UNIQUE"), "{stderr}");
    let (_, status, _) = run(&binary, &url, &["status"]);
    assert!(status.contains("step_1'... Pending"), "{status}");

    // Repaired by hand as the report says (the column undone), the migration then applies.
    exec(&url, "ALTER TABLE item DROP COLUMN note").await;
    exec(&url, "UPDATE item SET code = 'b' WHERE id = 2").await;
    let (ok, _, stderr) = run(&binary, &url, &["up"]);
    assert!(ok, "{stderr}");

    let (ok, _, stderr) = run(&binary, &url, &["down", "-n", "1"]);
    assert!(ok, "{stderr}");
    db.drop().await;
}

/// A `down` that fails half-way leaves the migration recorded as applied, and says so.
#[tokio::test]
async fn a_failed_down_says_the_migration_is_still_applied() {
    let Some(db) = TestDatabase::create(Backend::Mysql, "partial_down").await else {
        return;
    };
    // Up drops the unique key and the note column; down adds the column back, then the key.
    let (_dir, ws) = fixture::workspace_destructive(&[
        entities![unique_with_note::item::Entity],
        entities![plain::item::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    let url = db.url.clone();
    assert!(run(&binary, &url, &["up"]).0);
    exec(
        &url,
        "INSERT INTO item (id, code) VALUES (1, 'a'), (2, 'a')",
    )
    .await;

    let (ok, _, stderr) = run(&binary, &url, &["down", "-n", "1"]);
    assert!(!ok, "down succeeded over duplicates");
    assert!(stderr.contains("is STILL recorded as applied"), "{stderr}");
    assert!(!stderr.contains("NOT recorded"), "{stderr}");
    assert!(stderr.contains("failed:  "), "{stderr}");
    let (_, status, _) = run(&binary, &url, &["status"]);
    assert!(status.contains("step_1'... Applied"), "{status}");
    db.drop().await;
}
