//! `--phased`: a renamed column and a dropped column, and a column whose type changes, split
//! into an expand migration that the old code survives and a contract written later; applied
//! on every backend with rows, and with rows the old code writes between the two.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use sea_orm::{ConnectionTrait, Database, QueryResult, Statement};
use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::diff::Renames;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal, Outcome};
use tidemark::plan::Backfills;
use tidemark::snapshot::{Deferred, Snapshot};
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
        conversions: Default::default(),
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

/// The values of `column` of `item`, by id, each read with `read`.
async fn values<T>(url: &str, column: &str, read: fn(&QueryResult) -> T) -> Vec<T> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {column} FROM item ORDER BY id"),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter().map(read).collect()
}

async fn titles(url: &str, column: &str) -> Vec<String> {
    values(url, column, |r| {
        r.try_get_by_index::<Option<String>>(0)
            .unwrap()
            .unwrap_or_else(|| "NULL".into())
    })
    .await
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
    // The snapshot keeps the contract as changes, which `check` compares with what is pending.
    let deferred: Vec<Deferred> = phased
        .contract_changes
        .iter()
        .map(|c| Deferred::Change(Box::new(c.clone())))
        .collect();
    assert_eq!(snapshot.deferred, deferred);
    // What is left pending is exactly the deferred contract.
    let pending = generate::pending(ws, &v2, &Renames::default(), &mut NoTerminal).unwrap();
    assert_eq!(pending.summary(), phased.contract);
    assert!(pending.only_deferred(&snapshot.deferred));
    // Stored as changes, not sentences: the snapshot's JSON holds no description to reword.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.snapshot()).unwrap()).unwrap();
    assert!(
        json["deferred"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d.is_object())
    );
    // A snapshot written before that holds the descriptions, and still reads as the contract.
    let legacy: Vec<Deferred> = serde_json::from_value(serde_json::json!(phased.contract)).unwrap();
    assert!(legacy.iter().all(|d| matches!(d, Deferred::Described(_))));
    assert!(pending.only_deferred(&legacy));

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
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
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
            tidemark::verify::differences(&live, &expected, backend),
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

/// A narrowing type change cannot go through a shadow column (the trigger would make the old
/// code's writes fail on values that do not fit): the refusal gives the
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

mod counted_v1 {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(indexed)]
            pub hits: i32,
            pub note: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

mod counted_v2 {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(indexed, default_value = 0)]
            pub hits: i64,
            pub note: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

async fn numbers(url: &str, column: &str) -> Vec<i64> {
    // SQLite and MariaDB give an `int` column back as i32, PostgreSQL `bigint` as i64.
    values(url, column, |r| {
        r.try_get_by_index::<i64>(0)
            .or_else(|_| r.try_get_by_index::<i32>(0).map(i64::from))
            .unwrap()
    })
    .await
}

async fn live_schema(url: &str) -> tidemark::model::Schema {
    let conn = Database::connect(url).await.unwrap();
    let live = tidemark::introspect::introspect(&conn).await.unwrap();
    conn.close().await.ok();
    live
}

/// A type change that rewrites the table (`int` -> `bigint`) goes through a shadow column:
/// the expand adds `hits__new`, a trigger keeps it equal to `hits` while the old code writes,
/// existing rows are copied in batches and the index is built on it; the contract swaps it in
/// without rewriting anything, and its `down` swaps it out again.
#[tokio::test]
async fn a_phased_type_change_swaps_in_a_shadow_column_kept_in_step() {
    let (_dir, ws) = fixture::workspace(&[entities![counted_v1::item::Entity]]);
    let v2 = entities![counted_v2::item::Entity];
    let Outcome::Generated(expand) =
        generate::generate(&ws, &v2, &options("expand", 1, true), &mut NoTerminal).unwrap()
    else {
        panic!("no expand migration");
    };
    assert_eq!(
        expand.summary,
        [
            "Add column `item.hits__new` (big_integer, NULL)",
            "Create index `idx-item-hits__new` on `item` (hits__new)",
        ]
    );
    let phased = expand.phased.expect("a phased outcome");
    assert_eq!(
        phased.contract,
        [
            "Swap `item.hits` to big_integer: drop the integer column and give `hits__new`, kept \
          equal to it since the expand, its name"
        ]
    );
    assert_eq!(phased.with_contract.len(), 1, "{:?}", phased.with_contract);
    insta::assert_snapshot!("type_change_expand", expand.source);
    let mid = Snapshot::read(&ws.snapshot()).unwrap().unwrap().schema;
    let expand_module = expand.module.clone();

    // The contract needs no consent: nothing is lost.
    let Outcome::Generated(contract) =
        generate::generate(&ws, &v2, &options("contract", 2, false), &mut NoTerminal).unwrap()
    else {
        panic!("no contract migration");
    };
    assert_eq!(contract.summary, phased.contract);
    insta::assert_snapshot!("type_change_contract", contract.source);
    assert_eq!(
        contract.lossy_down,
        [
            "`item.hits` is refilled as integer from the big_integer values: values that no longer \
          fit make `down` fail"
        ]
    );
    assert!(
        contract.source.contains("Change::swap_in("),
        "{}",
        contract.source
    );
    assert_eq!(
        generate::pending(&ws, &v2, &Renames::default(), &mut NoTerminal)
            .unwrap()
            .summary(),
        Vec::<String>::new()
    );
    let last = Snapshot::read(&ws.snapshot()).unwrap().unwrap().schema;
    assert_eq!(
        Snapshot::read(&ws.history_snapshot(&expand_module))
            .unwrap()
            .unwrap()
            .schema,
        mid
    );

    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    // Lint finds nothing to say about either migration on any backend.
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let report = tidemark::lint::lint(&ws, None, backend).unwrap();
        let findings: Vec<String> = report
            .findings
            .iter()
            .map(|f| tidemark::lint::render(f, backend))
            .collect();
        assert_eq!(findings, Vec::<String>::new(), "{backend:?}");
        assert!(report.bad_waivers.is_empty(), "{:?}", report.bad_waivers);
    }
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "phased_type").await else {
            continue;
        };
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        exec(&db.url, "INSERT INTO item (id, hits) VALUES (1, 1), (2, 2)").await;
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        assert_eq!(
            numbers(&db.url, "hits__new").await,
            [1, 2],
            "{backend:?}: expand"
        );
        // The old code writes `hits` only; the trigger keeps the shadow in step.
        exec(&db.url, "INSERT INTO item (id, hits) VALUES (3, 3)").await;
        exec(&db.url, "UPDATE item SET hits = 10 WHERE id = 1").await;
        assert_eq!(
            numbers(&db.url, "hits__new").await,
            [10, 2, 3],
            "{backend:?}: sync"
        );
        assert_eq!(
            tidemark::verify::differences(&live_schema(&db.url).await, &mid, backend),
            Vec::<String>::new(),
            "{backend:?}: expand"
        );
        // A value missing from the shadow (written with the trigger gone, say) is what the
        // swap would lose: preflight names it, and is content once it is copied.
        if backend == Backend::Postgres {
            exec(&db.url, "DROP TRIGGER tidemark_sync_item_hits ON item").await;
        } else {
            exec(&db.url, "DROP TRIGGER tidemark_sync_item_hits_update").await;
        }
        exec(&db.url, "UPDATE item SET hits__new = NULL WHERE id = 2").await;
        let report = tidemark::preflight::preflight(&ws, &db.url).await.unwrap();
        assert!(report.has_problems(), "{backend:?}: {report:?}");
        let problem = report.pending[0]
            .findings
            .iter()
            .find(|f| f.level == tidemark::preflight::Level::Problem)
            .unwrap();
        assert!(
            problem.text.contains("`item.hits__new` lacks 1 value(s)"),
            "{}",
            problem.text
        );
        exec(&db.url, problem.query.as_deref().unwrap()).await;
        exec(
            &db.url,
            "UPDATE item SET hits__new = hits WHERE hits__new IS NULL",
        )
        .await;
        assert!(
            !tidemark::preflight::preflight(&ws, &db.url)
                .await
                .unwrap()
                .has_problems(),
            "{backend:?}"
        );
        // Rolling the expand back and applying it again puts the trigger back.
        fixture::migrate(&binary, &db.url, &["down", "-n", "1"]);
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        exec(&db.url, "UPDATE item SET hits = 2 WHERE id = 2").await;
        assert_eq!(
            numbers(&db.url, "hits__new").await,
            [10, 2, 3],
            "{backend:?}: resync"
        );

        fixture::migrate(&binary, &db.url, &["up"]);
        assert_eq!(
            numbers(&db.url, "hits").await,
            [10, 2, 3],
            "{backend:?}: contract"
        );
        assert_eq!(
            tidemark::verify::differences(&live_schema(&db.url).await, &last, backend),
            Vec::<String>::new(),
            "{backend:?}: contract"
        );
        exec(
            &db.url,
            "INSERT INTO item (id, hits) VALUES (4, 5000000000)",
        )
        .await;
        exec(&db.url, "INSERT INTO item (id) VALUES (5)").await;
        assert_eq!(
            numbers(&db.url, "hits").await,
            [10, 2, 3, 5_000_000_000, 0],
            "{backend:?}: the new type and default"
        );

        // `down` swaps the shadow out again (once the value that only fits bigint is gone),
        // and the old code writes as before.
        exec(&db.url, "DELETE FROM item WHERE id >= 4").await;
        fixture::migrate(&binary, &db.url, &["down", "-n", "1"]);
        assert_eq!(
            tidemark::verify::differences(&live_schema(&db.url).await, &mid, backend),
            Vec::<String>::new(),
            "{backend:?}: contract undone"
        );
        exec(&db.url, "INSERT INTO item (id, hits) VALUES (4, 4)").await;
        assert_eq!(
            numbers(&db.url, "hits").await,
            [10, 2, 3, 4],
            "{backend:?}: down"
        );
        assert_eq!(
            numbers(&db.url, "hits__new").await,
            [10, 2, 3, 4],
            "{backend:?}: down"
        );
        fixture::migrate(&binary, &db.url, &["down", "-n", "1"]);
        assert_eq!(
            numbers(&db.url, "hits").await,
            [10, 2, 3, 4],
            "{backend:?}: expand undone"
        );
        exec(&db.url, "INSERT INTO item (id, hits) VALUES (5, 5)").await;
        db.drop().await;
    }
}

/// The two tables before the rename: `note` references `item`.
mod renamed_v1 {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(column_type = "String(StringLen::N(100))", default_value = "unnamed")]
            pub name: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod note {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "note")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub item_id: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::item::Entity",
                from = "Column::ItemId",
                to = "super::item::Column::Id"
            )]
            Item,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// `item` renamed to `product`, which also gains a column.
mod renamed_v2 {
    pub mod product {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "product")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(column_type = "String(StringLen::N(100))", default_value = "unnamed")]
            pub name: String,
            pub price: Option<i32>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod note {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "note")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub item_id: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::product::Entity",
                from = "Column::ItemId",
                to = "super::product::Column::Id"
            )]
            Product,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// `(id, name, price)` of every row, read through `table` (a table or a view).
async fn products(url: &str, table: &str) -> Vec<(i32, String, Option<i32>)> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT id, name, price FROM {table} ORDER BY id"),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
            )
        })
        .collect()
}

/// A table rename goes through a compatibility view: the expand leaves `item` as it is for
/// the old code and makes `product` a writable view of it for the new code; the contract
/// drops the view and renames the table into its place in one step. The foreign key into the
/// table follows it, and both migrations roll back.
#[tokio::test]
async fn a_phased_table_rename_serves_both_names_through_a_view() {
    let (_dir, ws) = fixture::workspace(&[entities![
        renamed_v1::item::Entity,
        renamed_v1::note::Entity
    ]]);
    let v2 = entities![renamed_v2::product::Entity, renamed_v2::note::Entity];
    let mut expand_options = options("expand", 1, true);
    expand_options
        .renames
        .tables
        .insert("item".into(), "product".into());
    let Outcome::Generated(expand) =
        generate::generate(&ws, &v2, &expand_options, &mut NoTerminal).unwrap()
    else {
        panic!("no expand migration");
    };
    assert_eq!(
        expand.summary,
        [
            "Add column `item.price` (integer, NULL)",
            "Create view `product` of table `item`, writable, for the code that uses the new name",
        ]
    );
    let phased = expand.phased.expect("a phased outcome");
    assert_eq!(
        phased.contract,
        ["Rename table `item` to `product` in place of its view"]
    );
    assert!(
        phased.code_steps[0].starts_with("use table `product`"),
        "{:?}",
        phased.code_steps
    );
    let mid = Snapshot::read(&ws.snapshot()).unwrap().unwrap().schema;
    assert_eq!(mid.views.get("product").map(String::as_str), Some("item"));

    // The contract: no flag needed, the snapshot's view says what was renamed; nothing is lost.
    let Outcome::Generated(contract) =
        generate::generate(&ws, &v2, &options("contract", 2, false), &mut NoTerminal).unwrap()
    else {
        panic!("no contract migration");
    };
    assert_eq!(contract.summary, phased.contract);
    assert!(contract.lossy_down.is_empty(), "{:?}", contract.lossy_down);
    insta::assert_snapshot!("table_rename_contract", contract.source);
    let last = Snapshot::read(&ws.snapshot()).unwrap().unwrap().schema;
    assert!(last.views.is_empty());
    assert_eq!(
        last.tables["note"]
            .foreign_keys
            .values()
            .next()
            .unwrap()
            .ref_table,
        "product"
    );

    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let report = tidemark::lint::lint(&ws, None, backend).unwrap();
        let findings: Vec<String> = report
            .findings
            .iter()
            .map(|f| tidemark::lint::render(f, backend))
            .collect();
        assert_eq!(findings, Vec::<String>::new(), "{backend:?}");
        assert!(report.bad_waivers.is_empty(), "{:?}", report.bad_waivers);
    }
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "phased_rename").await else {
            continue;
        };
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        exec(&db.url, "INSERT INTO item (name) VALUES ('one')").await;
        exec(&db.url, "INSERT INTO note (id, item_id) VALUES (1, 1)").await;
        // The application's own views are not tidemark's to compare.
        exec(&db.url, "CREATE VIEW named_items AS SELECT id FROM item").await;
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        assert_eq!(
            tidemark::verify::differences(&live_schema(&db.url).await, &mid, backend),
            Vec::<String>::new(),
            "{backend:?}: expand"
        );
        // The old code writes `item`; the new code reads and writes `product`, and a column it
        // leaves out (the key included) gets the table's default.
        exec(&db.url, "INSERT INTO item (name) VALUES ('two')").await;
        exec(
            &db.url,
            "INSERT INTO product (name, price) VALUES ('three', 3)",
        )
        .await;
        exec(&db.url, "INSERT INTO product (price) VALUES (4)").await;
        exec(&db.url, "UPDATE product SET price = 1 WHERE id = 1").await;
        exec(&db.url, "DELETE FROM product WHERE id = 2").await;
        // SeaORM's insert through the view: PostgreSQL returns the new row and MySQL the new
        // key as from the table; SQLite writes the row but cannot say its key (its RETURNING
        // and last_insert_rowid() do not see through the view's INSTEAD OF trigger).
        let inserted = {
            use sea_orm::{ActiveModelTrait, ActiveValue::Set};
            let conn = Database::connect(&db.url).await.unwrap();
            let inserted = renamed_v2::product::ActiveModel {
                name: Set("five".into()),
                price: Set(Some(5)),
                ..Default::default()
            }
            .insert(&conn)
            .await;
            conn.close().await.ok();
            inserted
        };
        match backend {
            Backend::Sqlite => assert!(inserted.is_err(), "{inserted:?}"),
            _ => assert_eq!(inserted.unwrap().id, 5, "{backend:?}"),
        }
        let expected = vec![
            (1, "one".to_owned(), Some(1)),
            (3, "three".to_owned(), Some(3)),
            (4, "unnamed".to_owned(), Some(4)),
            (5, "five".to_owned(), Some(5)),
        ];
        assert_eq!(products(&db.url, "item").await, expected, "{backend:?}");
        assert_eq!(products(&db.url, "product").await, expected, "{backend:?}");

        fixture::migrate(&binary, &db.url, &["up"]);
        assert_eq!(products(&db.url, "product").await, expected, "{backend:?}");
        assert_eq!(
            tidemark::verify::differences(&live_schema(&db.url).await, &last, backend),
            Vec::<String>::new(),
            "{backend:?}: contract"
        );
        exec(&db.url, "INSERT INTO note (id, item_id) VALUES (3, 3)").await;

        // The contract rolls back to the view, and the expand to the table alone.
        fixture::migrate(&binary, &db.url, &["down", "-n", "1"]);
        assert_eq!(
            tidemark::verify::differences(&live_schema(&db.url).await, &mid, backend),
            Vec::<String>::new(),
            "{backend:?}: contract undone"
        );
        exec(&db.url, "INSERT INTO product (name) VALUES ('six')").await;
        fixture::migrate(&binary, &db.url, &["down", "-n", "1"]);
        assert_eq!(
            values(&db.url, "name", |r| r
                .try_get_by_index::<String>(0)
                .unwrap())
            .await,
            ["one", "three", "unnamed", "five", "six"],
            "{backend:?}: expand undone"
        );
        db.drop().await;
    }
}

mod renamed_and_retyped {
    pub mod product {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "product")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(indexed)]
            pub hits: i64,
            pub note: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// A table renamed and retyped in one phased migration is refused with the way through (one
/// after the other), and nothing is written.
#[test]
fn a_phased_rename_with_a_type_change_inside_is_refused() {
    let (dir, ws) = fixture::workspace(&[entities![counted_v1::item::Entity]]);
    let before = std::fs::read_to_string(ws.snapshot()).unwrap();
    let mut options = options("rename and retype", 1, true);
    options
        .renames
        .tables
        .insert("item".into(), "product".into());
    let err = generate::generate(
        &ws,
        &entities![renamed_and_retyped::product::Entity],
        &options,
        &mut NoTerminal,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "cannot split the type change of `product.hits` inside a table renamed from `item`"
        ),
        "{err}"
    );
    assert!(err.contains("phase the rename first"), "{err}");
    assert_eq!(std::fs::read_to_string(ws.snapshot()).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(ws.migration_src()).unwrap().count(),
        3,
        "only lib.rs, main.rs and the first migration in {}",
        dir.path().display()
    );
}
