//! Declaring a relation the database already has (made by a hand-written migration, under
//! the server's default name) keeps that key instead of adding a duplicate, and `down` leaves
//! it where it was. The same columns and target with other actions is refused before the
//! migration changes anything.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;

macro_rules! app {
    ($version:ident, $($relation:tt)*) => {
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
                    pub parent_id: i32,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {
                    $($relation)*
                }

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

app!(before,);
app!(
    after,
    #[sea_orm(
        belongs_to = "super::parent::Entity",
        from = "Column::ParentId",
        to = "super::parent::Column::Id",
        on_delete = "Cascade"
    )]
    Parent,
);

async fn foreign_keys_of_child(url: &str) -> i64 {
    let sql = match Backend::from_url(url) {
        Some(Backend::Postgres) => {
            "SELECT COUNT(*) AS n FROM pg_constraint WHERE contype = 'f' AND conrelid = 'child'::regclass"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'child'"
        }
    };
    fixture::count(url, sql).await
}

fn hand_made_key(backend: Backend, on_delete: &str) -> String {
    let name = match backend {
        Backend::Postgres => "child_parent_id_fkey",
        _ => "child_ibfk_1",
    };
    format!(
        "ALTER TABLE child ADD CONSTRAINT {name} FOREIGN KEY (parent_id) REFERENCES parent (id) \
         ON DELETE {on_delete}"
    )
}

#[tokio::test]
async fn a_relation_the_database_has_is_kept_not_duplicated() {
    let (_scratch, ws) = fixture::workspace(&[
        entities![before::parent::Entity, before::child::Entity],
        entities![after::parent::Entity, after::child::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "adopted_keys").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(&url, &hand_made_key(backend, "CASCADE")).await;
        exec(&url, "INSERT INTO parent (id) VALUES (1)").await;
        exec(&url, "INSERT INTO child (id, parent_id) VALUES (1, 1)").await;

        let out = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{backend:?}: {stderr}");
        assert!(
            stderr.contains("kept it instead of adding a second one"),
            "{backend:?}: {stderr}"
        );
        assert_eq!(foreign_keys_of_child(&url).await, 1, "{backend:?}");
        let live = fixture::live_schema(&url).await;
        let expected = entities![after::parent::Entity, after::child::Entity]
            .extract()
            .unwrap()
            .schema;
        let drift = tidemark::verify::differences(&live, &expected, backend);
        assert!(drift.is_empty(), "{backend:?}: {drift:?}");

        // The key was there before `up`: `down` leaves it there.
        fixture::migrate(&binary, &url, &["down", "-n", "1"]);
        assert_eq!(foreign_keys_of_child(&url).await, 1, "{backend:?}");
        fixture::migrate(&binary, &url, &["up"]);
        assert_eq!(foreign_keys_of_child(&url).await, 1, "{backend:?}");
        db.drop().await;
    }
}

#[tokio::test]
async fn the_same_key_with_other_actions_is_refused() {
    let (_scratch, ws) = fixture::workspace(&[
        entities![before::parent::Entity, before::child::Entity],
        entities![after::parent::Entity, after::child::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "adopted_keys_refused").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(&url, &hand_made_key(backend, "RESTRICT")).await;

        let out = fixture::run_migrator(&binary, &url, &["up"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{backend:?}");
        assert!(
            stderr.contains("with ON DELETE NO ACTION ON UPDATE NO ACTION")
                && stderr.contains("with ON DELETE CASCADE")
                && stderr.contains("Drop `child_"),
            "{backend:?}: {stderr}"
        );
        assert_eq!(foreign_keys_of_child(&url).await, 1, "{backend:?}");
        let status = fixture::run_migrator(&binary, &url, &["status"]);
        assert!(
            String::from_utf8_lossy(&status.stdout).contains("Pending")
                || String::from_utf8_lossy(&status.stderr).contains("Pending"),
            "{backend:?}"
        );
        db.drop().await;
    }
}
