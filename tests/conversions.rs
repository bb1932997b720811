//! A change of representation carries its conversion, both ways, on every backend.
//!
//! `price decimal(10,2)` -> `price_cents integer` must hold `price * 100` (a cast would round
//! the cents away), and `down` must give back `price` from the cents, for the rows written
//! before `up` and after it. The same through `--phased`'s trigger, backfill and swap. A
//! conversion whose values would not fit stops the migration before anything changes, and
//! `preflight` says so first.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use sea_orm::{ConnectionTrait, Database, Statement};
use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal};
use tidemark::model::Conversion;
use tidemark::preflight::{Level, preflight};

macro_rules! shop {
    ($version:ident, product: { $($p:tt)* }, ledger: { $($l:tt)* }) => {
        mod $version {
            pub mod product {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "product")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub name: String,
                    $($p)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }

            pub mod ledger {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "ledger")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    $($l)*
                    pub note: String,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

shop!(v0,
    product: {
        #[sea_orm(column_type = "Decimal(Some((10, 2)))", indexed)]
        pub price: Decimal,
    },
    ledger: {
        #[sea_orm(column_type = "Decimal(Some((10, 2)))", indexed)]
        pub amount: Decimal,
    }
);
shop!(v1,
    product: {
        #[sea_orm(indexed)]
        pub price_cents: i32,
    },
    ledger: {
        #[sea_orm(column_type = "Decimal(Some((10, 2)))", indexed)]
        pub amount: Decimal,
    }
);
shop!(v2,
    product: {
        #[sea_orm(indexed)]
        pub price_cents: i32,
    },
    ledger: {
        #[sea_orm(indexed)]
        pub amount: i32,
    }
);

fn conversion(up: &str, down: &str) -> Conversion {
    Conversion {
        up: up.into(),
        down: down.into(),
    }
}

/// The workspace: the initial schema, the plain converted rename of `product.price`, the
/// phased conversion of `ledger.amount` (expand), and its contract.
fn workspace() -> (fixture::Scratch, tidemark::workspace::Workspace) {
    let (scratch, ws) = fixture::workspace(&[entities![v0::product::Entity, v0::ledger::Entity]]);
    let mut plain = fixture::options_at("price in cents", 10);
    plain
        .renames
        .columns
        .insert(("product".into(), "price".into()), "price_cents".into());
    plain.conversions.insert(
        ("product".into(), "price_cents".into()),
        conversion("price_cents * 100", "price_cents / 100.0"),
    );
    let v1 = entities![v1::product::Entity, v1::ledger::Entity];
    generate::generate(&ws, &v1, &plain, &mut NoTerminal).unwrap();
    let v2 = entities![v2::product::Entity, v2::ledger::Entity];
    let mut expand = fixture::options_at("amount in cents", 20);
    expand.phased = true;
    expand.conversions.insert(
        ("ledger".into(), "amount".into()),
        conversion("amount * 100", "amount / 100.0"),
    );
    generate::generate(&ws, &v2, &expand, &mut NoTerminal).unwrap();
    let contract = fixture::options_at("amount in cents, contract", 30);
    generate::generate(&ws, &v2, &contract, &mut NoTerminal).unwrap();
    (scratch, ws)
}

/// The values of `column` of `table` by id, as text without trailing zeros.
async fn values(url: &str, table: &str, column: &str) -> Vec<String> {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let text = match backend {
        sea_orm::DbBackend::MySql => format!("CAST({column} AS CHAR)"),
        _ => format!("CAST({column} AS TEXT)"),
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT {text} AS v FROM {table} ORDER BY id"),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|r| {
            let v: String = r.try_get("", "v").unwrap();
            if v.contains('.') {
                v.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                v
            }
        })
        .collect()
}

#[test]
fn conversions_check_their_expressions_before_writing() {
    let (_scratch, ws) = fixture::workspace(&[entities![v0::product::Entity, v0::ledger::Entity]]);
    let before = std::fs::read_to_string(ws.lib_rs()).unwrap();
    let v1 = entities![v1::product::Entity, v1::ledger::Entity];
    let attempt = |up: &str, column: &str| -> String {
        let mut options: GenerateOptions = fixture::options_at("price in cents", 10);
        options
            .renames
            .columns
            .insert(("product".into(), "price".into()), "price_cents".into());
        options.conversions.insert(
            ("product".into(), column.into()),
            conversion(up, "price_cents / 100.0"),
        );
        generate::generate(&ws, &v1, &options, &mut NoTerminal)
            .unwrap_err()
            .to_string()
    };
    let other_column = attempt("price * 100", "price_cents");
    assert!(
        other_column.contains("names `price`, but a conversion may name only the column"),
        "{other_column}"
    );
    let broken = attempt("price_cents *", "price_cents");
    assert!(broken.contains("not an SQL expression"), "{broken}");
    let no_type_change = attempt("name || 'x'", "name");
    assert!(
        no_type_change.contains("does not change the type of `product.name`"),
        "{no_type_change}"
    );
    // Nothing was written.
    assert_eq!(std::fs::read_to_string(ws.lib_rs()).unwrap(), before);
}

#[test]
fn converted_type_changes_are_not_refused_as_narrowing() {
    let (_scratch, ws) = workspace();
    let source = std::fs::read_dir(ws.migration_dir().join("src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("price_in_cents"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
    assert!(
        source.contains(".using(Expr::cust(\"price_cents * 100\"))"),
        "{source}"
    );
    assert!(
        source.contains("Change::require_converted_fit(") && source.contains("\"price * 100\""),
        "{source}"
    );
    assert!(source.contains("Change::convert_column("), "{source}");
    assert!(!source.contains("--allow-destructive"), "{source}");
}

#[tokio::test]
async fn conversions_hold_both_ways_on_every_backend() {
    let (_scratch, ws) = workspace();
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "conversions").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(
            &url,
            "INSERT INTO product (id, name, price) VALUES (1, 'a', 19.99), (2, 'b', 2.5)",
        )
        .await;
        exec(
            &url,
            "INSERT INTO ledger (id, amount, note) VALUES (1, 1.25, 'x'), (2, 300, 'y')",
        )
        .await;

        // preflight checks what the conversions give, and finds them fine.
        let report = preflight(&ws, &url).await.unwrap();
        let findings: Vec<String> = report
            .pending
            .iter()
            .flat_map(|m| &m.findings)
            .filter(|f| f.level == Level::Problem)
            .map(|f| f.text.clone())
            .collect();
        assert!(findings.is_empty(), "{backend:?}: {findings:?}");

        // Plain: the rename and the conversion in one migration.
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        assert_eq!(
            values(&url, "product", "price_cents").await,
            ["1999", "250"],
            "{backend:?}"
        );
        exec(
            &url,
            "INSERT INTO product (id, name, price_cents) VALUES (3, 'c', 300)",
        )
        .await;

        // Phased: the old code goes on writing decimals while the trigger converts them.
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(
            &url,
            "INSERT INTO ledger (id, amount, note) VALUES (3, 0.07, 'z')",
        )
        .await;
        exec(&url, "UPDATE ledger SET amount = 2.5 WHERE id = 2").await;
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        assert_eq!(
            values(&url, "ledger", "amount").await,
            ["125", "250", "7"],
            "{backend:?}"
        );
        exec(
            &url,
            "INSERT INTO ledger (id, amount, note) VALUES (4, 1001, 'w')",
        )
        .await;

        // Every `down` gives the old representation back, to rows written after `up` too.
        fixture::migrate(&binary, &url, &["down", "-n", "1"]);
        assert_eq!(
            values(&url, "ledger", "amount").await,
            ["1.25", "2.5", "0.07", "10.01"],
            "{backend:?}"
        );
        fixture::migrate(&binary, &url, &["down", "-n", "1"]);
        fixture::migrate(&binary, &url, &["down", "-n", "1"]);
        assert_eq!(
            values(&url, "product", "price").await,
            ["19.99", "2.5", "3"],
            "{backend:?}"
        );
        // And up again: nothing converted twice.
        fixture::migrate(&binary, &url, &["up"]);
        assert_eq!(
            values(&url, "product", "price_cents").await,
            ["1999", "250", "300"],
            "{backend:?}"
        );
        assert_eq!(
            values(&url, "ledger", "amount").await,
            ["125", "250", "7", "1001"],
            "{backend:?}"
        );
        let schema = fixture::live_schema(&url).await;
        let snapshot = tidemark::snapshot::Snapshot::read(&ws.snapshot())
            .unwrap()
            .unwrap()
            .schema;
        let drift = tidemark::verify::differences(&schema, &snapshot, backend);
        assert!(drift.is_empty(), "{backend:?}: {drift:?}");
        db.drop().await;
    }
}

#[tokio::test]
async fn a_conversion_that_does_not_fit_stops_before_anything_changes() {
    let (_scratch, ws) = workspace();
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "conversion_fit").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        // 99,999,999.99 is a decimal(10,2), but 9,999,999,999 cents is no integer.
        exec(
            &url,
            "INSERT INTO product (id, name, price) VALUES (1, 'a', 19.99), (2, 'b', 99999999.99)",
        )
        .await;
        let report = preflight(&ws, &url).await.unwrap();
        assert!(
            report.pending[0]
                .findings
                .iter()
                .any(|f| f.level == Level::Problem
                    && f.text
                        .contains("`product.price_cents` converted by `price_cents * 100`")),
            "{backend:?}: {:?}",
            report.pending[0].findings
        );
        let out = fixture::run_migrator(&binary, &url, &["up", "-n", "1"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{backend:?}");
        assert!(
            stderr.contains("`product.price` becomes whole numbers from -2147483648 to 2147483647 through `price * 100`, but 1 value(s) do not fit"),
            "{backend:?}: {stderr}"
        );
        // Nothing changed: the column is still `price`, with its values.
        assert_eq!(
            values(&url, "product", "price").await,
            ["19.99", "99999999.99"],
            "{backend:?}"
        );
        db.drop().await;
    }
}

macro_rules! plain_item {
    ($version:ident, $($field:tt)*) => {
        mod $version {
            pub mod item {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "item")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    $($field)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
        }
    };
}

plain_item!(priced, #[sea_orm(column_type = "Decimal(Some((10, 2)))")] pub price: Decimal,);
plain_item!(in_cents, pub price_cents: i32,);

/// The README's example as a user runs it: a migration in one transaction (no online step),
/// on SQLite too, where decimals are floats: 19.99 * 100 must land as the integer 1999, and
/// `down` must find the column under the name it has then.
#[tokio::test]
async fn the_readme_example_in_one_transaction_on_every_backend() {
    let (_scratch, ws) = fixture::workspace(&[entities![priced::item::Entity]]);
    let mut options = fixture::options_at("price in cents", 10);
    options
        .renames
        .columns
        .insert(("item".into(), "price".into()), "price_cents".into());
    options.conversions.insert(
        ("item".into(), "price_cents".into()),
        conversion("price_cents * 100", "price_cents / 100.0"),
    );
    generate::generate(
        &ws,
        &entities![in_cents::item::Entity],
        &options,
        &mut NoTerminal,
    )
    .unwrap();
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "conversion_readme").await else {
            continue;
        };
        let url = db.url.clone();
        fixture::migrate(&binary, &url, &["up", "-n", "1"]);
        exec(
            &url,
            "INSERT INTO item (id, price) VALUES (1, 19.99), (2, 0.07)",
        )
        .await;
        fixture::migrate(&binary, &url, &["up"]);
        assert_eq!(
            values(&url, "item", "price_cents").await,
            ["1999", "7"],
            "{backend:?}"
        );
        if backend == Backend::Sqlite {
            let integers = "SELECT COUNT(*) AS n FROM item WHERE typeof(price_cents) = 'integer' \
                            AND price_cents IN (1999, 7)";
            assert_eq!(fixture::count(&url, integers).await, 2);
        }
        fixture::migrate(&binary, &url, &["down", "-n", "1"]);
        assert_eq!(
            values(&url, "item", "price").await,
            ["19.99", "0.07"],
            "{backend:?}"
        );
        db.drop().await;
    }
    let mut out = Vec::new();
    let ok = tidemark::verify::verify(&ws, None, &mut out).await.unwrap();
    assert!(ok, "{}", String::from_utf8_lossy(&out));
}
