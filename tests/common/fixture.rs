//! A scratch workspace whose migration crate builds and runs: tidemark generates one
//! migration per entity set into it. Builds share the end-to-end suite's target folder, so
//! dependencies compile once.

use std::path::{Path, PathBuf};
use tidemark::EntitySet;
use tidemark::diff::Renames;
use tidemark::generate::{self, GenerateOptions, NoTerminal};
use tidemark::plan::{Backfills, Safety};
use tidemark::workspace::Workspace;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture's folder; dropping it also removes what its build left in the shared target
/// folder, which would otherwise grow by a binary per fixture and test run.
pub struct Scratch {
    dir: tempfile::TempDir,
    package: String,
}

impl Scratch {
    #[allow(dead_code)] // not every test binary needs the path
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let debug = target_dir().join("debug");
        for folder in ["", "deps", ".fingerprint", "incremental"] {
            let Ok(entries) = std::fs::read_dir(debug.join(folder)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let name = name.strip_prefix("lib").unwrap_or(&name);
                if name.starts_with(&self.package) {
                    let path = entry.path();
                    let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
                }
            }
        }
    }
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tidemark-e2e/target")
}

/// Generates `steps[i]` as migration `m20260101_000{i}00_step_{i}`.
#[allow(dead_code)] // each test binary uses one of the two
pub fn workspace(steps: &[EntitySet]) -> (Scratch, Workspace) {
    workspace_with(steps, Safety::Online)
}

/// The same with the plan's `safety` (`Safety::Naive` is `--unsafe`).
#[allow(dead_code)] // not every test binary needs it
pub fn workspace_with(steps: &[EntitySet], safety: Safety) -> (Scratch, Workspace) {
    workspace_generated(steps, safety, false)
}

/// The same, generated with `--allow-destructive` (drops, narrowing).
#[allow(dead_code)] // not every test binary needs it
pub fn workspace_destructive(steps: &[EntitySet]) -> (Scratch, Workspace) {
    workspace_generated(steps, Safety::Online, true)
}

/// The same, with `--backfill` values for the last step.
#[allow(dead_code)] // not every test binary needs it
pub fn workspace_with_backfills(steps: &[EntitySet], backfills: Backfills) -> (Scratch, Workspace) {
    workspace_generated_with(steps, Safety::Online, false, backfills)
}

fn workspace_generated(
    steps: &[EntitySet],
    safety: Safety,
    allow_destructive: bool,
) -> (Scratch, Workspace) {
    workspace_generated_with(steps, safety, allow_destructive, Backfills::new())
}

fn workspace_generated_with(
    steps: &[EntitySet],
    safety: Safety,
    allow_destructive: bool,
    last_backfills: Backfills,
) -> (Scratch, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path());
    let migration = ws.migration_dir();
    // A name of its own: fixtures share a target folder, and the binary is named after the package.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let package = format!("fixture_migration_{}_{nanos}", std::process::id());
    std::fs::create_dir_all(migration.join("src")).unwrap();
    std::fs::create_dir_all(dir.path().join(".cargo")).unwrap();
    let target = target_dir();
    std::fs::write(
        dir.path().join(".cargo/config.toml"),
        format!("[build]\ntarget-dir = \"{}\"\n", target.display()),
    )
    .unwrap();
    std::fs::write(
        migration.join("Cargo.toml"),
        format!(
            r#"[package]
name = "{package}"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
sea-orm-migration = {{ version = "2.0.4", default-features = false, features = ["runtime-tokio-rustls", "sqlx-sqlite", "sqlx-postgres", "sqlx-mysql", "cli"] }}
tidemark-runtime = {{ path = "{}" }}
async-trait = "0.1"
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}
"#,
            root().join("runtime").display(),
            package = package,
        ),
    )
    .unwrap();
    std::fs::copy(root().join("Cargo.lock"), migration.join("Cargo.lock")).unwrap();
    std::fs::write(
        migration.join("src/main.rs"),
        format!("fn main() {{\n    tidemark_runtime::run_cli({package}::Migrator);\n}}\n"),
    )
    .unwrap();
    std::fs::write(
        migration.join("src/lib.rs"),
        tidemark::registry::initial_lib_rs(),
    )
    .unwrap();
    for (i, set) in steps.iter().enumerate() {
        let options = GenerateOptions {
            backfills: if i + 1 == steps.len() {
                last_backfills.clone()
            } else {
                Backfills::new()
            },
            allow_destructive,
            safety,
            ..options_at(&format!("step {i}"), i as u32)
        };
        generate::generate(&ws, set, &options, &mut NoTerminal).unwrap();
    }
    (Scratch { dir, package }, ws)
}

/// Runs the fixture's migrator with `args` against `url`, and returns what it did.
#[allow(dead_code)] // not every test binary that includes this module migrates
pub fn run_migrator(binary: &Path, url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

/// The schema of the database at `url`, as introspection reads it.
#[allow(dead_code)] // not every test binary reads a live schema
pub async fn live_schema(url: &str) -> tidemark::model::Schema {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let live = tidemark::introspect::introspect(&db).await.unwrap();
    db.close().await.ok();
    live
}

/// `generate --autogenerate -m MESSAGE` as if run at minute `minute` of 2026-01-01, so that
/// module names are known in advance; set `autogenerate: false` for an empty migration.
#[allow(dead_code)] // not every test binary writes migrations of its own
pub fn options_at(message: &str, minute: u32) -> GenerateOptions {
    GenerateOptions {
        message: message.into(),
        autogenerate: true,
        renames: Renames::default(),
        backfills: Backfills::new(),
        conversions: Default::default(),
        allow_destructive: false,
        safety: Safety::Online,
        phased: false,
        dry_run: false,
        now: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, minute, 0)
            .unwrap(),
    }
}

/// Runs the fixture's migrator with `args` against `url`; panics with its output on failure.
#[allow(dead_code)] // not every test binary that includes this module migrates
pub fn migrate(binary: &Path, url: &str, args: &[&str]) {
    let out = run_migrator(binary, url, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Records the registered migrations as they are now in `tidemark.sum`, as `cargo run --
/// rehash` does after a hand-written migration is written.
#[allow(dead_code)] // not every test binary writes migrations by hand
pub fn rehash(ws: &Workspace) {
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    let registered = tidemark::registry::registered(&lib, &ws.lib_rs()).unwrap();
    let sum = tidemark::integrity::compute(ws, &registered).unwrap();
    std::fs::write(tidemark::integrity::path(ws), sum.render()).unwrap();
}

/// The number `sql` (a `SELECT COUNT(*) AS n ...`) gives on the database at `url`.
#[allow(dead_code)] // not every test binary counts rows
pub async fn count(url: &str, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url).await.unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{sql}: no row"));
    db.close().await.ok();
    row.try_get::<i64>("", "n").unwrap()
}
