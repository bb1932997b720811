//! Entities in a PostgreSQL schema other than `public` (`schema_name = "billing"`): the
//! migrations make and change their tables there, and `drift`, `verify` and `preflight` read
//! that schema. MySQL and SQLite, which have no such schema, run the same migrations as usual.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use sea_orm::{ConnectionTrait, Database, Statement};
use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;

macro_rules! billing {
    ($version:ident, $($extra:tt)*) => {
        mod $version {
            pub mod account {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "account", schema_name = "billing")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub name: String,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }

            pub mod invoice {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "invoice", schema_name = "billing")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub account_id: i32,
                    $($extra)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {
                    #[sea_orm(belongs_to = "super::account::Entity", from = "Column::AccountId", to = "super::account::Column::Id")]
                    Account,
                }

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

billing!(v1,);
billing!(v2,
    #[sea_orm(indexed)]
    pub note: Option<String>,
);

mod elsewhere {
    pub mod ledger {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "ledger")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

async fn schemas_of(url: &str, table: &str) -> Vec<String> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT table_schema::text AS s FROM information_schema.tables \
                 WHERE table_name = '{table}' ORDER BY 1"
            ),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter().map(|r| r.try_get("", "s").unwrap()).collect()
}

#[test]
fn entities_in_several_schemas_are_refused_by_name() {
    let err = entities![v1::account::Entity, elsewhere::ledger::Entity]
        .extract()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("several PostgreSQL schemas (`billing`: ") && err.contains("`public`: "),
        "{err}"
    );
}

#[tokio::test]
async fn tables_live_in_the_entities_schema_end_to_end() {
    let (_scratch, ws) = fixture::workspace(&[
        entities![v1::account::Entity, v1::invoice::Entity],
        entities![v2::account::Entity, v2::invoice::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "pg_schema").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        // The application names the schema, as SeaORM does for these entities.
        let prefix = if backend == Backend::Postgres {
            "billing."
        } else {
            ""
        };
        exec(
            &url,
            &format!("INSERT INTO {prefix}account (id, name) VALUES (1, 'a')"),
        )
        .await;
        exec(
            &url,
            &format!("INSERT INTO {prefix}invoice (id, account_id) VALUES (1, 1)"),
        )
        .await;
        let report = tidemark::preflight::preflight(&ws, &url).await.unwrap();
        assert!(!report.has_problems(), "{backend:?}");
        fixture::migrate(&binary, &url, &["up"]);
        if backend == Backend::Postgres {
            assert_eq!(schemas_of(&url, "invoice").await, ["billing"]);
            assert_eq!(schemas_of(&url, "account").await, ["billing"]);
        }
        let drift = tidemark::verify::drift(&ws, &url).await.unwrap();
        assert!(
            drift.differences.is_empty(),
            "{backend:?}: {:?}",
            drift.differences
        );
        fixture::migrate(&binary, &url, &["down", "-n", "1"]);
        let drift = tidemark::verify::drift(&ws, &url).await.unwrap();
        assert!(
            drift.differences.is_empty(),
            "{backend:?} after down: {:?}",
            drift.differences
        );
        db.drop().await;
    }
    if let Some(server) = servers::admin_url(Backend::Postgres) {
        let mut out = Vec::new();
        let ok = tidemark::verify::verify(&ws, Some(&server), &mut out)
            .await
            .unwrap();
        assert!(ok, "{}", String::from_utf8_lossy(&out));
    }
}
