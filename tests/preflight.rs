//! `preflight` on PostgreSQL, MariaDB and SQLite: the pending migration would make a column
//! NOT NULL, a column unique and add a foreign key, and the data breaks all three. Preflight
//! names each with the query that lists the rows, changes nothing, and is clean once the data
//! is fixed.

#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/servers.rs"]
mod servers;

use sea_orm::{ConnectionTrait, Database, Statement};
use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;
use tidemark::preflight::{Level, preflight};

macro_rules! versions {
    ($version:ident, name: $name:ty, nick: { $($nick:tt)* }, relation: { $($relation:tt)* }) => {
        mod $version {
            pub mod team {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "team")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }

            pub mod player {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "player")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    pub team_id: i32,
                    #[sea_orm(column_type = "String(StringLen::N(50))")]
                    pub name: $name,
                    $($nick)*
                    pub nick: String,
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

versions!(
    v1,
    name: Option<String>,
    nick: { #[sea_orm(column_type = "String(StringLen::N(50))")] },
    relation: {}
);
versions!(
    v2,
    name: String,
    nick: { #[sea_orm(unique, column_type = "String(StringLen::N(50))")] },
    relation: {
        #[sea_orm(
            belongs_to = "super::team::Entity",
            from = "Column::TeamId",
            to = "super::team::Column::Id"
        )]
        Team,
    }
);

async fn state(url: &str) -> (tidemark::model::Schema, Vec<String>) {
    let db = Database::connect(url).await.unwrap();
    let schema = tidemark::introspect::introspect(&db).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(id AS CHAR(10)) || '/' || CAST(team_id AS CHAR(10)) || '/' || COALESCE(name, '-') || '/' || nick FROM player ORDER BY id"
                .to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    db.close().await.ok();
    (schema, rows)
}

#[tokio::test]
async fn preflight_finds_the_rows_each_coming_constraint_rejects_and_changes_nothing() {
    let (_dir, ws) = fixture::workspace(&[
        entities![v1::team::Entity, v1::player::Entity],
        entities![v2::team::Entity, v2::player::Entity],
    ]);
    let binary = tidemark::migrator::build_migrator(&ws).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "preflight").await else {
            continue;
        };
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        exec(&db.url, "INSERT INTO team (id) VALUES (1)").await;
        // A NULL name, a duplicated nick and a player of a team that does not exist.
        exec(
            &db.url,
            "INSERT INTO player (id, team_id, name, nick) VALUES (1, 1, NULL, 'ace'), (2, 9, 'b', 'ace'), (3, 1, 'c', 'cy')",
        )
        .await;
        let before = state(&db.url).await;

        let report = preflight(&ws, &db.url).await.unwrap();
        assert_eq!(report.pending.len(), 1, "{backend:?}");
        let problems: Vec<&tidemark::preflight::Finding> = report.pending[0]
            .findings
            .iter()
            .filter(|f| f.level == Level::Problem)
            .collect();
        let texts: Vec<&str> = problems.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(problems.len(), 3, "{backend:?}: {texts:#?}");
        assert!(
            texts
                .iter()
                .any(|t| t.contains("`player.name` becomes NOT NULL but 1 row(s) hold NULL")),
            "{texts:#?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("`player` (nick) has 1 duplicated value(s)")),
            "{texts:#?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("1 row(s) of `player` (team_id) point at no `team` row")),
            "{texts:#?}"
        );
        assert!(report.has_problems());

        // Each query lists exactly the rows at fault.
        let checker = Database::connect(&db.url).await.unwrap();
        for problem in &problems {
            let query = problem.query.as_ref().expect("a listing query");
            let rows = checker
                .query_all_raw(Statement::from_string(
                    checker.get_database_backend(),
                    query.clone(),
                ))
                .await
                .unwrap_or_else(|e| panic!("{backend:?}: {query}: {e}"));
            assert_eq!(rows.len(), 1, "{backend:?}: {query}");
        }
        checker.close().await.ok();

        // The table each step touches is sized.
        assert!(
            report.pending[0]
                .findings
                .iter()
                .any(|f| f.text.starts_with("`player`: about")),
            "{backend:?}: {:#?}",
            report.pending[0].findings
        );
        assert_eq!(
            state(&db.url).await,
            before,
            "{backend:?}: preflight changed the database"
        );

        // Fixed data passes, and the migration then applies.
        exec(&db.url, "UPDATE player SET name = 'a' WHERE id = 1").await;
        exec(
            &db.url,
            "UPDATE player SET nick = 'bo', team_id = 1 WHERE id = 2",
        )
        .await;
        let report = preflight(&ws, &db.url).await.unwrap();
        assert!(!report.has_problems(), "{backend:?}: {:#?}", report.pending);
        fixture::migrate(&binary, &db.url, &["up"]);
        let report = preflight(&ws, &db.url).await.unwrap();
        assert!(report.pending.is_empty());
        db.drop().await;
    }
}

mod indexed {
    pub mod team {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "team")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(indexed)]
            pub score: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

mod unindexed {
    pub mod team {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "team")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub score: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// A plain `CREATE INDEX` (`--unsafe`) on a table big enough to block writes past the 100 ms
/// budget is a warning with its estimate; the concurrent form is not.
#[tokio::test]
async fn preflight_estimates_how_long_a_blocking_step_holds_writes() {
    for (safety, warned) in [
        (tidemark::plan::Safety::Naive, true),
        (tidemark::plan::Safety::Online, false),
    ] {
        let (_dir, ws) = fixture::workspace_with(
            &[
                entities![unindexed::team::Entity],
                entities![indexed::team::Entity],
            ],
            safety,
        );
        let binary = tidemark::migrator::build_migrator(&ws).unwrap();
        let Some(db) = TestDatabase::create(Backend::Postgres, "estimate").await else {
            return;
        };
        fixture::migrate(&binary, &db.url, &["up", "-n", "1"]);
        exec(
            &db.url,
            "INSERT INTO team (id, score) SELECT g, g % 97 FROM generate_series(1, 300000) g",
        )
        .await;
        let report = preflight(&ws, &db.url).await.unwrap();
        let findings = &report.pending[0].findings;
        let estimate = findings
            .iter()
            .find(|f| f.text.starts_with("create-index-blocks-writes"));
        match (warned, estimate) {
            (true, Some(f)) => {
                assert_eq!(f.level, Level::Warning, "{f:?}");
                // The row count may be the planner's estimate once autovacuum has analysed
                // the table, so the seconds are checked to one digit.
                assert!(f.text.contains("blocks writes for about 0.2"), "{f:?}");
            }
            (false, None) => {}
            _ => panic!("{safety:?}: {findings:#?}"),
        }
        assert!(!report.has_problems(), "{findings:#?}");
        db.drop().await;
    }
}

/// A database no migrator has touched has no `seaql_migrations`: every migration is pending
/// (found by looking the table up, so that any other failure stays an error).
#[tokio::test]
async fn on_a_database_never_migrated_every_migration_is_pending() {
    let (_dir, ws) = fixture::workspace(&[
        entities![v1::team::Entity, v1::player::Entity],
        entities![v2::team::Entity, v2::player::Entity],
    ]);
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some(db) = TestDatabase::create(backend, "preflight_fresh").await else {
            continue;
        };
        let report = preflight(&ws, &db.url).await.unwrap();
        assert_eq!(report.pending.len(), 2, "{backend:?}");
        assert!(!report.has_problems(), "{backend:?}: {:#?}", report.pending);
        db.drop().await;
    }
}
