//! Constraints are compared by what they are, not by name: a database whose foreign keys and
//! unique indexes carry the server's default names (`child_parent_id_fkey`, `child_ibfk_1`, a
//! unique index `child_code_key`), as hand-written migrations leave them, is not drift. A real
//! difference (another ON DELETE action) still is.

#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;

mod app {
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
            #[sea_orm(unique, column_type = "String(StringLen::N(20))")]
            pub code: String,
            #[sea_orm(unique_key = "a_b")]
            pub a: i32,
            #[sea_orm(unique_key = "a_b")]
            pub b: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::parent::Entity",
                from = "Column::ParentId",
                to = "super::parent::Column::Id",
                on_delete = "Cascade"
            )]
            Parent,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }
}

async fn differences(url: &str, backend: Backend) -> Vec<String> {
    let expected = entities![app::parent::Entity, app::child::Entity]
        .extract()
        .unwrap()
        .schema;
    let db = sea_orm::Database::connect(url).await.unwrap();
    let live = tidemark::introspect::introspect(&db).await.unwrap();
    db.close().await.ok();
    tidemark::verify::differences(&live, &expected, backend)
}

#[tokio::test]
async fn server_default_constraint_names_are_not_drift() {
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "constraint_names").await else {
            continue;
        };
        let url = db.url.clone();
        let (serial, varchar) = match backend {
            Backend::Mysql => ("int NOT NULL AUTO_INCREMENT PRIMARY KEY", "varchar(20)"),
            _ => ("serial PRIMARY KEY", "varchar(20)"),
        };
        exec(&url, &format!("CREATE TABLE parent (id {serial})")).await;
        exec(
            &url,
            &format!(
                "CREATE TABLE child (id {serial}, parent_id int NOT NULL, code {varchar} NOT NULL, \
                 a int NOT NULL, b int NOT NULL, \
                 FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE)"
            ),
        )
        .await;
        exec(&url, "CREATE UNIQUE INDEX child_code_key ON child (code)").await;
        exec(&url, "CREATE UNIQUE INDEX child_a_b_idx ON child (a, b)").await;

        let found = differences(&url, backend).await;
        assert!(found.is_empty(), "{backend:?}: {found:#?}");

        // Another ON DELETE action is a real difference.
        let (drop_fk, fk_name) = match backend {
            Backend::Mysql => (
                "ALTER TABLE child DROP FOREIGN KEY child_ibfk_1",
                "child_ibfk_1",
            ),
            _ => (
                "ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey",
                "child_parent_id_fkey",
            ),
        };
        exec(&url, drop_fk).await;
        exec(
            &url,
            &format!(
                "ALTER TABLE child ADD CONSTRAINT {fk_name} FOREIGN KEY (parent_id) \
                 REFERENCES parent (id) ON DELETE RESTRICT"
            ),
        )
        .await;
        let found = differences(&url, backend).await;
        assert!(
            found.iter().any(|d| d.contains("foreign key")),
            "{backend:?}: {found:#?}"
        );
        db.drop().await;
    }
}
