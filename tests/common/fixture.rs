//! A scratch workspace whose migration crate builds and runs: tidemark generates one
//! migration per entity set into it. Builds share the end-to-end suite's target folder, so
//! dependencies compile once.

use std::path::PathBuf;
use tidemark::EntitySet;
use tidemark::diff::Renames;
use tidemark::generate::{self, GenerateOptions, NoTerminal};
use tidemark::plan::{Backfills, Safety};
use tidemark::workspace::Workspace;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Generates `steps[i]` as migration `m20260101_000{i}00_step_{i}`.
#[allow(dead_code)] // each test binary uses one of the two
pub fn workspace(steps: &[EntitySet]) -> (tempfile::TempDir, Workspace) {
    workspace_with(steps, Safety::Online)
}

/// The same with the plan's `safety` (`Safety::Naive` is `--unsafe`).
pub fn workspace_with(steps: &[EntitySet], safety: Safety) -> (tempfile::TempDir, Workspace) {
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
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tidemark-e2e/target");
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
            message: format!("step {i}"),
            autogenerate: true,
            renames: Renames::default(),
            backfills: Backfills::new(),
            allow_destructive: false,
            safety,
            phased: false,
            dry_run: false,
            now: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, i as u32, 0)
                .unwrap(),
        };
        generate::generate(&ws, set, &options, &mut NoTerminal).unwrap();
    }
    (dir, ws)
}
