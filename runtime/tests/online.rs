//! The runtime's online forms on real servers: lock-timeout retries, concurrent index builds,
//! NOT VALID constraints validated apart, and backfills committed batch by batch.

mod common;

use common::Scratch;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DbBackend, Statement, TransactionTrait,
};
use tidemark_runtime::backfill::{self, Backfill, Batches};
use tidemark_runtime::postgres;

struct AddColumn;

impl MigrationName for AddColumn {
    fn name(&self) -> &str {
        "m20260101_000001_add_column"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddColumn {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        tidemark_runtime::locked(manager, |manager| {
            Box::pin(async move {
                let _ = backend;
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new("item"))
                            .add_column(ColumnDef::new(Alias::new("note")).text().null())
                            .to_owned(),
                    )
                    .await
            })
        })
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        tidemark_runtime::locked(manager, |manager| {
            Box::pin(async move {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new("item"))
                            .drop_column(Alias::new("note"))
                            .to_owned(),
                    )
                    .await?;
                tidemark_runtime::postgres::set_not_null(manager, "item", "id").await
            })
        })
        .await
    }
}

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(AddColumn)]
    }
}

#[tokio::test]
async fn busy_lock_is_retried_without_holding_anything() {
    let Some(scratch) = Scratch::create(DbBackend::Postgres, "lock").await else {
        return;
    };
    let run = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    scratch
        .exec("CREATE TABLE item (id serial PRIMARY KEY)")
        .await;

    // A reader in a long transaction holds ACCESS SHARE on `item`; ADD COLUMN needs ACCESS
    // EXCLUSIVE and must not queue behind it.
    let holder = Database::connect(&scratch.url).await.unwrap();
    let reader = holder.begin().await.unwrap();
    reader.execute_raw(run("SELECT * FROM item")).await.unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        reader.commit().await.unwrap();
    });

    let before = tidemark_runtime::lock::retries();
    let outcome = Migrator::up(&scratch.db, None).await;
    release.await.unwrap();
    let retried = tidemark_runtime::lock::retries() - before;
    let columns = scratch
        .number("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'item'")
        .await;
    Migrator::down(&scratch.db, None).await.unwrap();
    holder.close().await.unwrap();
    scratch.drop().await;

    outcome.unwrap();
    assert!(
        retried >= 1,
        "the busy lock was not retried ({retried} retries)"
    );
    assert_eq!(
        columns, 2,
        "the column was not added after the lock came free"
    );
}

#[tokio::test]
async fn a_backfill_commits_each_batch_on_postgres_and_mariadb() {
    for backend in [DbBackend::Postgres, DbBackend::MySql] {
        let Some(db) = Scratch::create(backend, "backfill").await else {
            continue;
        };
        db.exec("CREATE TABLE item (id integer PRIMARY KEY, code varchar(10) NULL, CHECK (code IS NULL OR code <> 'bad'))")
            .await;
        for id in 1..=100 {
            db.exec(&format!("INSERT INTO item (id) VALUES ({id})"))
                .await;
        }
        let manager = SchemaManager::new(&db.db);
        let batches = Batches {
            size: 10,
            pause: std::time::Duration::ZERO,
        };
        // Rows above 55 break the check: the sixth batch fails as a whole.
        let failing = Backfill {
            table: "item",
            column: "code",
            expression: "CASE WHEN id > 55 THEN 'bad' ELSE 'ok' END",
            integer_key: Some("id"),
        };
        let err = backfill::run_with(&manager, failing, batches).await;
        assert!(err.is_err(), "{backend:?}: the failing batch did not fail");
        let kept = db
            .number("SELECT COUNT(*) FROM item WHERE code = 'ok'")
            .await;
        assert_eq!(
            kept, 50,
            "{backend:?}: the five batches before the failure were not committed"
        );

        // Running again carries on: only the rows still NULL are filled.
        let fixed = Backfill {
            expression: "'new'",
            ..failing
        };
        backfill::run_with(&manager, fixed, batches).await.unwrap();
        assert_eq!(
            db.number("SELECT COUNT(*) FROM item WHERE code = 'ok'")
                .await,
            50
        );
        assert_eq!(
            db.number("SELECT COUNT(*) FROM item WHERE code = 'new'")
                .await,
            50
        );

        // An expression that leaves rows NULL is refused before any batch runs.
        db.exec("UPDATE item SET code = NULL WHERE id > 90").await;
        let null = Backfill {
            expression: "NULL",
            ..failing
        };
        let err = backfill::run_with(&manager, null, batches)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("gives NULL"), "{err}");
        db.drop().await;
    }
}

#[tokio::test]
async fn concurrent_index_builds_run_outside_a_transaction_and_repair_a_failed_build() {
    let Some(db) = Scratch::create(DbBackend::Postgres, "concurrently").await else {
        return;
    };
    db.exec("CREATE TABLE person (id integer PRIMARY KEY, email text)")
        .await;
    db.exec("INSERT INTO person VALUES (1, 'a'), (2, 'a'), (3, 'b')")
        .await;
    let index = || {
        Index::create()
            .name("person_email_key")
            .table(Alias::new("person"))
            .col(Alias::new("email"))
            .unique()
            .to_owned()
    };

    // Inside a transaction PostgreSQL refuses CONCURRENTLY: the helper really uses it.
    let tx = db.db.begin().await.unwrap();
    let err = postgres::create_index_concurrently(&SchemaManager::new(&tx), index())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot run inside a transaction block"),
        "{err}"
    );
    tx.rollback().await.unwrap();

    // A duplicate fails the build and leaves an INVALID index behind.
    let manager = SchemaManager::new(&db.db);
    assert!(
        postgres::create_index_concurrently(&manager, index())
            .await
            .is_err()
    );
    let invalid = "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                   WHERE c.relname = 'person_email_key' AND NOT i.indisvalid";
    assert_eq!(db.number(invalid).await, 1);

    // Once the data is fixed, running again drops the debris and builds a valid index.
    db.exec("DELETE FROM person WHERE id = 2").await;
    postgres::create_index_concurrently(&manager, index())
        .await
        .unwrap();
    assert_eq!(db.number(invalid).await, 0);
    let valid = "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE c.relname = 'person_email_key' AND i.indisvalid";
    assert_eq!(db.number(valid).await, 1);

    postgres::drop_index_concurrently(&manager, "person_email_key")
        .await
        .unwrap();
    assert_eq!(db.number(valid).await, 0);
    db.drop().await;
}

#[tokio::test]
async fn not_null_and_foreign_keys_are_validated_apart_and_resume_after_a_fix() {
    let Some(db) = Scratch::create(DbBackend::Postgres, "validate").await else {
        return;
    };
    db.exec("CREATE TABLE team (id integer PRIMARY KEY)").await;
    db.exec("CREATE TABLE player (id integer PRIMARY KEY, team_id integer, name text)")
        .await;
    db.exec("INSERT INTO team VALUES (1)").await;
    db.exec("INSERT INTO player VALUES (1, 1, 'a'), (2, 7, NULL)")
        .await;
    let manager = SchemaManager::new(&db.db);

    // NOT NULL: the NULL row fails VALIDATE; the check stays, NOT VALID, guarding new rows.
    assert!(
        postgres::set_not_null(&manager, "player", "name")
            .await
            .is_err()
    );
    let checks = "SELECT COUNT(*) FROM pg_constraint WHERE conname = 'player_name_not_null' AND NOT convalidated";
    assert_eq!(db.number(checks).await, 1);
    db.exec("UPDATE player SET name = 'b' WHERE id = 2").await;
    postgres::set_not_null(&manager, "player", "name")
        .await
        .unwrap();
    let not_null = "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'player' \
                    AND column_name = 'name' AND is_nullable = 'NO'";
    assert_eq!(db.number(not_null).await, 1);
    assert_eq!(
        db.number("SELECT COUNT(*) FROM pg_constraint WHERE conname = 'player_name_not_null'")
            .await,
        0,
        "the temporary check is dropped"
    );

    // Foreign key: NOT VALID goes on despite the orphan; VALIDATE names it; after the fix
    // the same steps finish.
    let fk = || {
        ForeignKey::create()
            .name("player_team_fk")
            .from(Alias::new("player"), Alias::new("team_id"))
            .to(Alias::new("team"), Alias::new("id"))
            .to_owned()
    };
    postgres::add_foreign_key_not_valid(&manager, fk())
        .await
        .unwrap();
    assert!(
        postgres::validate_constraint(&manager, "player", "player_team_fk")
            .await
            .is_err()
    );
    db.exec("UPDATE player SET team_id = 1 WHERE id = 2").await;
    postgres::add_foreign_key_not_valid(&manager, fk())
        .await
        .unwrap();
    postgres::validate_constraint(&manager, "player", "player_team_fk")
        .await
        .unwrap();
    assert_eq!(
        db.number(
            "SELECT COUNT(*) FROM pg_constraint WHERE conname = 'player_team_fk' AND convalidated"
        )
        .await,
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn mariadb_runs_ddl_online_where_it_can_and_says_where_it_cannot() {
    let Some(db) = Scratch::create(DbBackend::MySql, "online").await else {
        return;
    };
    db.exec("CREATE TABLE item (id integer PRIMARY KEY, name varchar(20), n integer)")
        .await;
    db.exec("INSERT INTO item VALUES (1, 'a', 1), (2, 'b', 2)")
        .await;
    let manager = SchemaManager::new(&db.db);
    // An added column and an index can be made without blocking writes.
    let added = tidemark_runtime::mysql::online(
        &manager,
        Table::alter()
            .table(Alias::new("item"))
            .add_column(ColumnDef::new(Alias::new("note")).text().null())
            .to_owned(),
    )
    .await
    .unwrap();
    let indexed = tidemark_runtime::mysql::online(
        &manager,
        Index::create()
            .name("idx-item-name")
            .table(Alias::new("item"))
            .col(Alias::new("name"))
            .to_owned(),
    )
    .await
    .unwrap();
    // A type change that InnoDB must copy the table for cannot run with LOCK=NONE: it still
    // runs, with the server's default.
    let retyped = tidemark_runtime::mysql::online(
        &manager,
        Table::alter()
            .table(Alias::new("item"))
            .modify_column(ColumnDef::new(Alias::new("n")).string_len(10).null())
            .to_owned(),
    )
    .await
    .unwrap();
    let dropped = tidemark_runtime::mysql::online(
        &manager,
        Index::drop()
            .name("idx-item-name")
            .table(Alias::new("item"))
            .to_owned(),
    )
    .await
    .unwrap();
    assert_eq!(
        (added, indexed, retyped, dropped),
        (true, true, false, true)
    );
    assert_eq!(
        db.number("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'item' AND COLUMN_NAME = 'n' AND DATA_TYPE = 'varchar'").await,
        1
    );
    assert_eq!(
        db.number("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'idx-item-name'").await,
        0
    );
    assert_eq!(
        db.number("SELECT COUNT(*) FROM item WHERE n = '2'").await,
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn mariadb_ddl_behind_a_long_transaction_does_not_queue_and_is_retried() {
    let Some(scratch) = Scratch::create(DbBackend::MySql, "nowait").await else {
        return;
    };
    scratch
        .exec("CREATE TABLE item (id integer PRIMARY KEY)")
        .await;
    scratch.exec("INSERT INTO item VALUES (1)").await;
    // A reader's open transaction holds a metadata lock on `item` until it commits.
    let holder = Database::connect(&scratch.url).await.unwrap();
    let reader = holder.begin().await.unwrap();
    reader
        .execute_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT * FROM item".to_owned(),
        ))
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        reader.commit().await.unwrap();
    });
    let before = tidemark_runtime::lock::retries();
    let online = tidemark_runtime::mysql::online(
        &SchemaManager::new(&scratch.db),
        Table::alter()
            .table(Alias::new("item"))
            .add_column(ColumnDef::new(Alias::new("note")).text().null())
            .to_owned(),
    )
    .await;
    release.await.unwrap();
    let retried = tidemark_runtime::lock::retries() - before;
    let columns = scratch
        .number("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'item'")
        .await;
    holder.close().await.unwrap();
    scratch.drop().await;
    assert!(online.unwrap(), "ran online");
    assert!(retried >= 1, "the busy metadata lock was not retried");
    assert_eq!(columns, 2);
}

/// The migrator's connections wait at most `lock_wait_timeout` (1 s for the default 50 ms
/// policy) for a metadata lock, so a plain DDL statement behind a long transaction fails in
/// about a second with a message that says so, instead of queueing every query on the table
/// behind it for the server's default (a day on MariaDB, a year on MySQL).
#[tokio::test]
async fn mysql_ddl_waits_a_bounded_time_for_a_metadata_lock() {
    let Some(scratch) = Scratch::create(DbBackend::MySql, "waitbound").await else {
        return;
    };
    scratch
        .exec("CREATE TABLE item (id integer PRIMARY KEY)")
        .await;
    let migrator = tidemark_runtime::connect(ConnectOptions::new(scratch.url.clone()))
        .await
        .unwrap();
    let timeout = migrator
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT CAST(@@SESSION.lock_wait_timeout AS SIGNED)".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(timeout, 1);

    let holder = Database::connect(&scratch.url).await.unwrap();
    let reader = holder.begin().await.unwrap();
    reader
        .execute_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT * FROM item".to_owned(),
        ))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tidemark_runtime::locked(&SchemaManager::new(&migrator), |manager| {
            Box::pin(async move {
                manager
                    .get_connection()
                    .execute_raw(Statement::from_string(
                        DbBackend::MySql,
                        "ALTER TABLE item ADD COLUMN note text".to_owned(),
                    ))
                    .await?;
                Ok(())
            })
        }),
    )
    .await;
    let waited = started.elapsed();
    reader.rollback().await.unwrap();
    holder.close().await.unwrap();
    migrator.close().await.unwrap();
    scratch.drop().await;
    let err = outcome
        .expect("the DDL waited for its lock without bound")
        .expect_err("the DDL ran although the table was held");
    assert!(err.to_string().contains("lock_wait_timeout"), "{err}");
    assert!(waited < std::time::Duration::from_secs(10), "{waited:?}");
}

/// What a re-run checks before each step: foreign keys and enum types, on the servers.
#[tokio::test]
async fn a_rerun_knows_which_keys_and_types_are_there() {
    use tidemark_runtime::resume::{Leaves, needed};
    for backend in [DbBackend::Postgres, DbBackend::MySql] {
        let Some(db) = Scratch::create(backend, "resume").await else {
            continue;
        };
        db.exec("CREATE TABLE team (id integer PRIMARY KEY)").await;
        db.exec("CREATE TABLE player (id integer PRIMARY KEY, team_id integer)")
            .await;
        let manager = SchemaManager::new(&db.db);
        let add = Leaves::ForeignKey("player", "fk_player_team");
        let drop = Leaves::NoForeignKey("player", "fk_player_team");
        assert!(needed(&manager, add).await.unwrap(), "{backend:?}");
        assert!(!needed(&manager, drop).await.unwrap(), "{backend:?}");
        db.exec("ALTER TABLE player ADD CONSTRAINT fk_player_team FOREIGN KEY (team_id) REFERENCES team (id)")
            .await;
        assert!(!needed(&manager, add).await.unwrap(), "{backend:?}");
        assert!(needed(&manager, drop).await.unwrap(), "{backend:?}");
        if backend == DbBackend::Postgres {
            assert!(needed(&manager, Leaves::Type("mood")).await.unwrap());
            db.exec("CREATE TYPE mood AS ENUM ('ok')").await;
            assert!(!needed(&manager, Leaves::Type("mood")).await.unwrap());
            assert!(needed(&manager, Leaves::NoType("mood")).await.unwrap());
        }
        db.drop().await;
    }
}
