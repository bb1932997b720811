//! The sample application as committed: its generated migrations apply, match the recorded
//! snapshot, roll back to nothing, and the entities are in sync with them.

#[path = "common/servers.rs"]
mod servers;

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::ConnectOptions;
use std::path::Path;
use tidemark::backend::Backend;
use tidemark::snapshot::Snapshot;

#[path = "common/sample.rs"]
mod sample;

use sample::sample_entities;

#[tokio::test]
async fn committed_migrations_apply_and_match_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("sample.sqlite").display()
    );
    let db = tidemark_runtime::connect(ConnectOptions::new(url))
        .await
        .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = Snapshot::read(&root.join("migration/schema_snapshot.json"))
        .unwrap()
        .unwrap();

    migration::Migrator::up(&db, None).await.unwrap();
    let live = tidemark::introspect::sqlite(&db).await.unwrap();
    let differences = tidemark::verify::differences(&live, &snapshot.schema, Backend::Sqlite);
    assert!(differences.is_empty(), "{differences:#?}");

    migration::Migrator::reset(&db).await.unwrap();
    let live = tidemark::introspect::sqlite(&db).await.unwrap();
    assert!(
        live.tables.is_empty(),
        "down leaves {:?}",
        live.tables.keys().collect::<Vec<_>>()
    );

    migration::Migrator::up(&db, None).await.unwrap();
}

#[tokio::test]
async fn committed_migrations_match_the_snapshot_on_postgres_and_mariadb() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = Snapshot::read(&root.join("migration/schema_snapshot.json"))
        .unwrap()
        .unwrap();
    for backend in [Backend::Postgres, Backend::Mysql] {
        let Some(test_db) = servers::TestDatabase::create(backend, "sample").await else {
            continue;
        };
        let db = tidemark_runtime::connect(ConnectOptions::new(test_db.url.clone()))
            .await
            .unwrap();
        migration::Migrator::up(&db, None).await.unwrap();
        let live = tidemark::introspect::introspect(&db).await.unwrap();
        let differences = tidemark::verify::differences(&live, &snapshot.schema, backend);
        migration::Migrator::reset(&db).await.unwrap();
        let after_reset = tidemark::introspect::introspect(&db).await.unwrap();
        db.close().await.ok();
        test_db.drop().await;
        assert!(
            differences.is_empty(),
            "{}: {differences:#?}",
            backend.name()
        );
        assert!(
            after_reset.tables.is_empty(),
            "{}: {:?}",
            backend.name(),
            after_reset.tables.keys()
        );
        assert!(
            after_reset.enums.is_empty(),
            "{}: down leaves enum types {:?}",
            backend.name(),
            after_reset.enums.keys()
        );
    }
}

#[test]
fn the_entities_are_in_sync_with_the_committed_snapshot() {
    let ws = tidemark::workspace::Workspace::new(env!("CARGO_MANIFEST_DIR"));
    let pending = tidemark::generate::pending(
        &ws,
        &sample_entities(),
        &Default::default(),
        &mut tidemark::generate::NoTerminal,
    )
    .unwrap();
    assert!(
        pending.changes.is_empty(),
        "run `cargo run -- generate --autogenerate`: {:?}",
        pending.summary()
    );
}

#[test]
fn the_sample_schema_extracts_as_recorded() {
    let extracted = sample_entities().extract().unwrap();
    insta::assert_json_snapshot!(extracted.schema);
}

#[test]
fn entities_registered_with_seaorm_but_not_listed_are_reported() {
    let partial = tidemark::entities![entity::organization::Entity, entity::user::Entity];
    let missing = partial.unlisted_registered_entities("entity");
    assert!(
        missing.contains(&"entity::task_tag".to_owned()),
        "{missing:?}"
    );
    assert!(!missing.contains(&"entity::user".to_owned()), "{missing:?}");
    assert!(
        sample_entities()
            .unlisted_registered_entities("entity")
            .is_empty()
    );
}

/// An application that migrates at start-up, from several replicas at once: each call of
/// `tidemark_runtime::migrate` waits for the one that holds the migration lock, and the schema
/// ends up as one run leaves it.
#[tokio::test]
async fn applications_migrate_at_start_up_one_at_a_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = Snapshot::read(&root.join("migration/schema_snapshot.json"))
        .unwrap()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("app.sqlite").display()
    );
    let mut targets = vec![(Backend::Sqlite, sqlite, None)];
    for backend in [Backend::Postgres, Backend::Mysql] {
        if let Some(db) = servers::TestDatabase::create(backend, "startup").await {
            targets.push((backend, db.url.clone(), Some(db)));
        }
    }
    for (backend, url, db) in targets {
        let replicas: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(
                    async move { tidemark_runtime::migrate::<migration::Migrator>(&url).await },
                )
            })
            .collect();
        for replica in replicas {
            replica
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        }
        let conn = tidemark_runtime::connect(ConnectOptions::new(url.clone()))
            .await
            .unwrap();
        let live = tidemark::introspect::introspect(&conn).await.unwrap();
        conn.close().await.ok();
        let differences = tidemark::verify::differences(&live, &snapshot.schema, backend);
        if let Some(db) = db {
            db.drop().await;
        }
        assert!(differences.is_empty(), "{backend:?}: {differences:#?}");
    }
}

/// The committed sample migration is what `generate` writes today: regenerated from the
/// sample entities in a scratch workspace, every file it writes (migration, registration,
/// snapshots, `tidemark.sum`) matches the committed one byte for byte. After a change to the
/// generator, `TIDEMARK_BLESS=1 cargo nextest run --test sample_app` writes the regenerated
/// files into `migration/` for review.
#[test]
fn the_committed_sample_migration_is_what_generate_writes_today() {
    use tidemark::generate::{GenerateOptions, NoTerminal};
    let dir = tempfile::tempdir().unwrap();
    let ws = tidemark::workspace::Workspace::new(dir.path());
    std::fs::create_dir_all(ws.migration_src()).unwrap();
    std::fs::write(ws.lib_rs(), tidemark::registry::initial_lib_rs()).unwrap();
    let options = GenerateOptions {
        message: "initial schema".into(),
        autogenerate: true,
        renames: Default::default(),
        backfills: Default::default(),
        conversions: Default::default(),
        allow_destructive: false,
        safety: tidemark::plan::Safety::Online,
        phased: false,
        dry_run: false,
        now: chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(10, 59, 22)
            .unwrap(),
    };
    tidemark::generate::generate(&ws, &sample_entities(), &options, &mut NoTerminal).unwrap();

    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("migration");
    let bless = std::env::var_os("TIDEMARK_BLESS").is_some();
    let mut stale = Vec::new();
    for file in [
        "src/m20261124_105922_initial_schema.rs",
        "src/lib.rs",
        "schema_snapshot.json",
        "snapshots/m20261124_105922_initial_schema.json",
        "tidemark.sum",
    ] {
        let written = std::fs::read_to_string(ws.migration_dir().join(file)).unwrap();
        let path = committed.join(file);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(written.as_str()) {
            if bless {
                std::fs::write(&path, &written).unwrap();
            }
            stale.push(file);
        }
    }
    assert!(
        bless || stale.is_empty(),
        "generate writes other bytes than the committed {stale:?}: run \
         `TIDEMARK_BLESS=1 cargo nextest run --test sample_app` and review the change"
    );
}
