//! A migration that holds PostgreSQL's concurrent steps runs outside a transaction there
//! (`use_transaction() -> Some(false)`, asked once for every backend), but on SQLite it stays
//! atomic: a failure leaves nothing of it behind. On PostgreSQL the steps that finished stay,
//! and a rerun after fixing the data carries on.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use std::path::Path;
use tidemark::backend::Backend;
use tidemark::entities;

macro_rules! item {
    ($version:ident, { $($code:tt)* }, { $($kind:tt)* }, { $($extra:tt)* }) => {
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
                    $($kind)*
                    pub kind: i32,
                    $($extra)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

item!(before, { #[sea_orm(column_type = "String(StringLen::N(20))")] }, {}, {});
// A new column (its own step everywhere), its index (concurrent on PostgreSQL), and a composite
// unique key that the rows break (a unique index of its own, also on SQLite).
item!(after, {
    #[sea_orm(unique_key = "code_kind", column_type = "String(StringLen::N(20))")]
}, {
    #[sea_orm(unique_key = "code_kind")]
}, {
    #[sea_orm(indexed)]
    pub note: Option<String>,
});

fn up(binary: &Path, url: &str) -> bool {
    fixture::run_migrator(binary, url, &["up"]).status.success()
}

async fn has_column(url: &str, table: &str, column: &str) -> bool {
    fixture::live_schema(url).await.tables[table]
        .column(column)
        .is_some()
}

#[tokio::test]
async fn an_online_migration_is_atomic_on_sqlite_and_resumable_on_postgres() {
    let (_dir, ws) = fixture::workspace(&[
        entities![before::item::Entity],
        entities![after::item::Entity],
    ]);
    let source = std::fs::read_dir(ws.migration_src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("step_1"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .next()
        .unwrap();
    assert!(
        source.contains("Some(false)"),
        "an online migration:\n{source}"
    );
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDatabase::create(backend, "atomic").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(
            &url,
            "INSERT INTO item (id, code, kind) VALUES (1, 'a', 1), (2, 'a', 1)",
        )
        .await;

        assert!(
            !up(&binary, &url),
            "{backend:?}: up succeeded over duplicates"
        );
        let kept = has_column(&url, "item", "note").await;
        if backend == Backend::Sqlite {
            assert!(!kept, "SQLite kept a step of the failed migration");
        } else {
            assert!(kept, "PostgreSQL keeps the steps that finished");
        }
        // Fixed data: the rerun completes (PostgreSQL skips what is done).
        exec(&url, "UPDATE item SET code = 'b' WHERE id = 2").await;
        assert!(up(&binary, &url), "{backend:?}: the rerun failed");
        assert!(has_column(&url, "item", "note").await);
        db.drop().await;
    }
}
