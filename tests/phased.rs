//! `--phased`: a renamed column and a dropped column, split into an expand migration that the
//! old code survives and a contract written later; applied on every backend with rows, and
//! with a row the old code writes between the two.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use sea_orm::{ConnectionTrait, Database, Statement};
use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::diff::Renames;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal, Outcome};
use tidemark::plan::Backfills;
use tidemark::snapshot::Snapshot;
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
            #[sea_orm(column_type = "String(StringLen::N(100))")]
            pub legacy: String,
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
            #[sea_orm(column_type = "String(StringLen::N(100))", renamed_from = "name")]
            pub title: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

fn options(message: &str, minute: u32, phased: bool) -> GenerateOptions {
    GenerateOptions {
        message: message.into(),
        autogenerate: true,
        renames: Renames::default(),
        backfills: Backfills::new(),
        allow_destructive: false,
        safety: Default::default(),
        phased,
        dry_run: false,
        now: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, minute, 0)
            .unwrap(),
    }
}

async fn titles(url: &str, column: &str) -> Vec<String> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {column} FROM item ORDER BY id"),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|r| {
            r.try_get_by_index::<Option<String>>(0)
                .unwrap()
                .unwrap_or_else(|| "NULL".into())
        })
        .collect()
}

fn expand_then_contract(ws: &Workspace) {
    let v2 = entities![v2::item::Entity];
    let Outcome::Generated(expand) =
        generate::generate(ws, &v2, &options("expand", 1, true), &mut NoTerminal).unwrap()
    else {
        panic!("no expand migration");
    };
    // The expand only adds: nothing destructive, so no --allow-destructive was needed.
    assert_eq!(
        expand.summary,
        [
            "Alter column `item.legacy`: make nullable",
            "Add column `item.title` (varchar(100), NULL)",
        ]
    );
    let phased = expand.phased.expect("a phased outcome");
    assert_eq!(
        phased.contract,
        [
            "Alter column `item.title`: make NOT NULL",
            "Drop column `item.name`",
            "Drop column `item.legacy`",
        ]
    );
    let snapshot = Snapshot::read(&ws.snapshot()).unwrap().unwrap();
    assert_eq!(snapshot.deferred, phased.contract);
    // What is left pending is exactly the deferred contract.
    let pending = generate::pending(ws, &v2, &Renames::default(), &mut NoTerminal).unwrap();
    assert_eq!(pending.summary(), phased.contract);

    // The contract, later: destructive, so it needs consent; the rows the old code wrote in
    // between get their title from the name without being told.
    let mut contract = options("contract", 2, false);
    assert!(generate::generate(ws, &v2, &contract, &mut NoTerminal).is_err());
    contract.allow_destructive = true;
    let Outcome::Generated(written) =
        generate::generate(ws, &v2, &contract, &mut NoTerminal).unwrap()
    else {
        panic!("no contract migration");
    };
    // Its `down` gives `name` its values back from `title`; only `legacy` comes back empty.
    assert_eq!(
        written.lossy_down,
        ["column `item.legacy` comes back without the values `up` dropped"]
    );
    assert!(
        Snapshot::read(&ws.snapshot())
            .unwrap()
            .unwrap()
            .deferred
            .is_empty()
    );
}

#[tokio::test]
async fn a_phased_rename_keeps_old_code_working_until_the_contract() {
    let (_dir, ws) = fixture::workspace(&[entities![v1::item::Entity]]);
    expand_then_contract(&ws);
    let binary = tidemark::verify::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "phased").await else {
            continue;
        };
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        exec(
            &db.url,
            "INSERT INTO item (id, name, legacy) VALUES (1, 'one', 'x'), (2, 'two', 'y')",
        )
        .await;
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        assert_eq!(
            titles(&db.url, "title").await,
            ["one", "two"],
            "{backend:?}: expand"
        );
        // The old code still writes `name` only, and no longer has to write `legacy`.
        exec(&db.url, "INSERT INTO item (id, name) VALUES (3, 'three')").await;
        fixture::migrate(&binary, &db.url, &["up"]);
        assert_eq!(
            titles(&db.url, "title").await,
            ["one", "two", "three"],
            "{backend:?}: contract"
        );
        let live = {
            let conn = Database::connect(&db.url).await.unwrap();
            let live = tidemark::introspect::introspect(&conn).await.unwrap();
            conn.close().await.ok();
            live
        };
        let expected = Snapshot::read(&ws.snapshot()).unwrap().unwrap().schema;
        assert_eq!(
            tidemark::introspect::differences(&live, &expected, backend),
            Vec::<String>::new(),
            "{backend:?}"
        );
        // Rolling back the contract and the expand gives every name back.
        fixture::migrate(&binary, &db.url, &["down", "-n", "2"]);
        assert_eq!(
            titles(&db.url, "name").await,
            ["one", "two", "three"],
            "{backend:?}: down"
        );
        db.drop().await;
    }
}

mod narrow {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(column_type = "String(StringLen::N(100))")]
            pub name: String,
            pub legacy: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// A rewriting type change cannot be phased from the entities alone: the refusal gives the
/// expand/contract recipe through the entities, and nothing is written.
#[test]
fn a_phased_type_change_is_refused_with_the_recipe() {
    let (dir, ws) = fixture::workspace(&[entities![v1::item::Entity]]);
    let before = std::fs::read_to_string(ws.snapshot()).unwrap();
    let mut options = options("retype", 1, true);
    options.allow_destructive = true;
    let err = generate::generate(
        &ws,
        &entities![narrow::item::Entity],
        &options,
        &mut NoTerminal,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cannot split the type change of `item.legacy`"),
        "{err}"
    );
    assert!(err.contains("--backfill item.legacy_new="), "{err}");
    assert_eq!(std::fs::read_to_string(ws.snapshot()).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(ws.migration_src()).unwrap().count(),
        3,
        "only lib.rs, main.rs and the first migration in {}",
        dir.path().display()
    );
}
