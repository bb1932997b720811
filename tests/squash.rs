//! `squash` replaces the first migrations by one: a new database runs it, a database that
//! applied the originals records it in their place and goes on, one that applied only some of
//! them is refused; both paths reach the same schema (verified before the files change).

#[path = "common/fixture.rs"]
mod fixture;
#[macro_use]
#[path = "common/tables.rs"]
mod tables;
#[path = "common/servers.rs"]
mod servers;

use servers::{TestDatabase, exec_at as exec};
use tidemark::backend::Backend;
use tidemark::entities;
use tidemark::generate::{self, NoTerminal};

tables!(v1, item: {});
tables!(v2, item: { pub note: Option<String>, });
tables!(v3, item: { pub note: Option<String>, }, tag: { pub label: String, });

#[tokio::test]
async fn a_squash_serves_new_databases_and_databases_that_applied_the_originals() {
    let (_scratch, ws) = fixture::workspace(&[
        entities![v1::item::Entity],
        entities![v2::item::Entity],
        entities![v3::item::Entity, v3::tag::Entity],
    ]);
    let original = tidemark::migrator::build_migrator(&ws).unwrap();
    let kept = tempfile::tempdir().unwrap();
    let before = kept.path().join("migrator");
    std::fs::copy(&original, &before).unwrap();

    let mut out = Vec::new();
    let squashed = tidemark::squash::squash(&ws, 2, "squashed start", &mut out)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out)));
    assert_eq!(
        squashed.replaced,
        ["m20260101_000000_step_0", "m20260101_000100_step_1"]
    );
    assert_eq!(squashed.module, "m20260101_000100_squashed_start");
    assert!(!ws.migration_file("m20260101_000000_step_0").exists());
    // The history is one chain that matches the entities.
    let pending = generate::pending(
        &ws,
        &entities![v3::item::Entity, v3::tag::Entity],
        &Default::default(),
        &mut NoTerminal,
    )
    .unwrap();
    assert!(pending.changes.is_empty(), "{:?}", pending.summary());
    let after = tidemark::migrator::build_migrator(&ws).unwrap();

    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        // A database that applied the originals.
        let Some(old) = TestDatabase::create(backend, "squash_old").await else {
            continue;
        };
        fixture::migrate(&before, &old.url, &["up", "-n", "2"]);
        exec(&old.url, "INSERT INTO item (id, note) VALUES (1, 'kept')").await;
        let up = fixture::run_migrator(&after, &old.url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr);
        assert!(up.status.success(), "{backend:?}: {stderr}");
        assert!(
            stderr.contains("recorded it as applied in their place"),
            "{backend:?}: {stderr}"
        );
        let drift = tidemark::verify::drift(&ws, &old.url).await.unwrap();
        assert!(
            drift.differences.is_empty(),
            "{backend:?}: {:?}",
            drift.differences
        );
        fixture::migrate(&after, &old.url, &["status"]);

        // A new database runs the squash.
        let fresh = TestDatabase::create(backend, "squash_new").await.unwrap();
        fixture::migrate(&after, &fresh.url, &["up"]);
        let drift = tidemark::verify::drift(&ws, &fresh.url).await.unwrap();
        assert!(
            drift.differences.is_empty(),
            "{backend:?}: {:?}",
            drift.differences
        );

        // One that applied only the first original cannot take the squash.
        let partial = TestDatabase::create(backend, "squash_partial")
            .await
            .unwrap();
        fixture::migrate(&before, &partial.url, &["up", "-n", "1"]);
        let up = fixture::run_migrator(&after, &partial.url, &["up"]);
        let stderr = String::from_utf8_lossy(&up.stderr);
        assert!(!up.status.success(), "{backend:?}");
        assert!(
            stderr.contains("this database applied 1 of the 2 migrations that `m20260101_000100_squashed_start` replaces"),
            "{backend:?}: {stderr}"
        );
        old.drop().await;
        fresh.drop().await;
        partial.drop().await;
    }
}
