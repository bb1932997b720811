//! A `down` that adds a foreign key back either works on the data it meets or refuses before it
//! changes anything, naming the rows and the way out; `generate` says which downs can refuse.
//! Before, the `down` of a dropped referenced table re-created it empty, failed on the key, and
//! left the table re-created (the key `NOT VALID` on PostgreSQL) with the migration still applied.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use std::path::Path;
use tidemark::backend::Backend;
use tidemark::entities;

macro_rules! parent_child {
    ($version:ident, $parent_id:ty, $on_delete:literal) => {
        mod $version {
            pub mod parent {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "parent")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }

            pub mod child {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "child")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub parent_id: $parent_id,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {
                    #[sea_orm(belongs_to = "super::parent::Entity", from = "Column::ParentId", to = "super::parent::Column::Id", on_delete = $on_delete)]
                    Parent,
                }

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

parent_child!(cascade, i32, "Cascade");
parent_child!(set_null, Option<i32>, "SetNull");

mod orphaned {
    pub mod child {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "child")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub parent_id: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

fn run(binary: &Path, url: &str, args: &[&str]) -> (bool, String) {
    let out = fixture::run_migrator(binary, url, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn lossy_down(ws: &tidemark::workspace::Workspace) -> String {
    std::fs::read_dir(ws.migration_src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("step_1"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .next()
        .unwrap()
}

#[tokio::test]
async fn the_down_of_a_dropped_referenced_table_refuses_over_its_orphans() {
    let (_dir, ws) = fixture::workspace_destructive(&[
        entities![cascade::parent::Entity, cascade::child::Entity],
        entities![orphaned::child::Entity],
    ]);
    let source = lossy_down(&ws);
    assert!(
        source.contains(
            "rows of `child` that point at a `parent` row (parent_id) make `down` refuse"
        ),
        "generate names the down that can refuse:\n{source}"
    );
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "down_parent").await else {
            continue;
        };
        let url = db.url.clone();
        assert!(run(&binary, &url, &["up", "-n", "1"]).0);
        exec(&url, "INSERT INTO parent (id) VALUES (1)").await;
        exec(&url, "INSERT INTO child (id, parent_id) VALUES (1, 1)").await;
        assert!(run(&binary, &url, &["up"]).0);
        let after_up = fixture::live_schema(&url).await;

        let (ok, out) = run(&binary, &url, &["down", "-n", "1"]);
        assert!(!ok, "{backend:?}: down succeeded over an orphan");
        assert!(
            out.contains(
                "the foreign key from `child` (parent_id) to `parent` cannot be added: 1 row(s)"
            ),
            "{backend:?}: {out}"
        );
        assert!(out.contains("comes back empty"), "{out}");
        assert!(out.contains("Nothing was changed"), "{out}");
        assert_eq!(
            fixture::live_schema(&url).await,
            after_up,
            "{backend:?}: the down changed the schema"
        );
        let (_, status) = run(&binary, &url, &["status"]);
        assert!(
            status.contains("step_1'... Applied"),
            "{backend:?}: {status}"
        );

        // The way out the message names: those rows go, and the down runs.
        exec(&url, "DELETE FROM child").await;
        let (ok, out) = run(&binary, &url, &["down", "-n", "1"]);
        assert!(ok, "{backend:?}: {out}");
        assert!(
            fixture::live_schema(&url)
                .await
                .tables
                .contains_key("parent")
        );
        db.drop().await;
    }
}

/// `up` turned `ON DELETE CASCADE` into `SET NULL`; deletes then left NULLs, which `down`
/// (NOT NULL again, with a placeholder) would turn into keys that point at nothing.
#[tokio::test]
async fn the_down_of_an_on_delete_change_refuses_after_set_null_fired() {
    let (_dir, ws) = fixture::workspace(&[
        entities![cascade::parent::Entity, cascade::child::Entity],
        entities![set_null::parent::Entity, set_null::child::Entity],
    ]);
    assert!(
        lossy_down(&ws).contains("whose parent_id is NULL (left by ON DELETE SET NULL, say) make"),
        "{}",
        lossy_down(&ws)
    );
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "down_set_null").await else {
            continue;
        };
        let url = db.url.clone();
        assert!(run(&binary, &url, &["up"]).0);
        exec(&url, "INSERT INTO parent (id) VALUES (1), (2)").await;
        exec(
            &url,
            "INSERT INTO child (id, parent_id) VALUES (1, 1), (2, NULL)",
        )
        .await;
        let after_up = fixture::live_schema(&url).await;

        let (ok, out) = run(&binary, &url, &["down", "-n", "1"]);
        assert!(!ok, "{backend:?}: down succeeded");
        assert!(
            out.contains("1 row(s) would break it"),
            "{backend:?}: {out}"
        );
        assert!(out.contains("placeholder"), "{out}");
        assert_eq!(
            fixture::live_schema(&url).await,
            after_up,
            "{backend:?}: the down changed the schema"
        );

        exec(&url, "DELETE FROM child WHERE parent_id IS NULL").await;
        let (ok, out) = run(&binary, &url, &["down", "-n", "1"]);
        assert!(ok, "{backend:?}: {out}");
        db.drop().await;
    }
}
