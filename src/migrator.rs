//! The workspace's migrator binary: built once, run against a database, or asked for the SQL
//! each migration runs without one (its preview).

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::workspace::Workspace;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one migration runs in one direction on one backend, as the preview recorded it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Recorded {
    pub migration: String,
    pub down: bool,
    /// Whether sea-orm-migration wraps it in a transaction.
    pub transactional: bool,
    pub statements: Vec<String>,
}

/// cargo as the user's shell runs it: without the variables `cargo run` set for this process
/// (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...). Build scripts that watch them (ring's) would
/// otherwise run again, and with them every crate above, here and on the user's next build.
pub(crate) fn cargo_command() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// Builds the migration crate's binary and returns its path.
pub fn build_migrator(ws: &Workspace) -> Result<PathBuf> {
    let manifest = ws.migration_dir().join("Cargo.toml");
    let output = cargo_command()
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--message-format", "json-render-diagnostics", "--quiet"])
        .current_dir(&ws.root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(Error::io(&manifest))?;
    if !output.status.success() {
        return Err(MigratorError::DoesNotBuild {
            dir: ws.display(&ws.migration_dir()).into(),
        }
        .into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact")
        .filter_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .next_back()
        .ok_or_else(|| {
            MigratorError::NoBinary {
                manifest: ws.display(&manifest).into(),
            }
            .into()
        })
}

/// Why tidemark cannot run the workspace's migrator, or what it reports cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MigratorError {
    #[error("the migration crate at {dir} does not build (see the compiler output above)")]
    DoesNotBuild { dir: PathBuf },

    #[error(
        "{manifest} has no binary target; tidemark runs migrations through `src/main.rs` calling \
         `tidemark_runtime::run_cli(Migrator)`"
    )]
    NoBinary { manifest: PathBuf },

    #[error("`migration {command}` failed:\n{output}")]
    Failed { command: String, output: String },

    #[error("{url} has applied no migrations yet; nothing to compare")]
    NothingApplied { url: String },

    #[error(
        "the last migration this database applied, `{migration}`, recorded no snapshot in {path}"
    )]
    NoSnapshot { migration: String, path: PathBuf },

    #[error(
        "the migrator's SQL preview is not what tidemark expects ({reason}); is the migration \
         crate's tidemark-runtime older than this tidemark?"
    )]
    UnreadablePreview { reason: String },

    #[error("the migrator could not preview the SQL: {stderr}")]
    PreviewFailed { stderr: String },
}

/// Runs the migrator binary against `url`.
pub(crate) fn migrate(binary: &Path, url: &str, args: &[&str]) -> Result<()> {
    let output = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .map_err(Error::io(binary))?;
    if output.status.success() {
        return Ok(());
    }
    Err(MigratorError::Failed {
        command: args.join(" "),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
    .into())
}

/// `sql`: the exact SQL migration `name` (the last one when `None`) runs on `backend`, read
/// without any database by the migrator's preview mode (see `tidemark_runtime::preview`).
pub fn sql(ws: &Workspace, name: Option<&str>, down: bool, backend: Backend) -> Result<String> {
    let mut command = preview_command(ws, name, backend)?;
    command.env("TIDEMARK_SQL_DOWN", if down { "1" } else { "0" });
    run_preview(command)
}

/// What every migration (or only `name`) runs up and down on `backend`, for `lint`.
pub fn recorded_sql(ws: &Workspace, name: Option<&str>, backend: Backend) -> Result<Vec<Recorded>> {
    let mut command = preview_command(ws, name, backend)?;
    command.env("TIDEMARK_SQL_FORMAT", "json");
    let json = run_preview(command)?;
    serde_json::from_str(&json).map_err(|e| {
        Error::from(MigratorError::UnreadablePreview {
            reason: e.to_string(),
        })
    })
}

/// The migration crate's binary, set to record SQL for `backend` instead of connecting.
fn preview_command(ws: &Workspace, name: Option<&str>, backend: Backend) -> Result<Command> {
    let binary = build_migrator(ws)?;
    let mut command = Command::new(&binary);
    command
        .env(
            "TIDEMARK_SQL_PREVIEW",
            match backend {
                Backend::Postgres => "postgres",
                Backend::Mysql => "mysql",
                Backend::Sqlite => "sqlite",
            },
        )
        .env_remove("DATABASE_URL");
    if let Some(name) = name {
        command.env("TIDEMARK_SQL_MIGRATION", name);
    }
    Ok(command)
}

fn run_preview(mut command: Command) -> Result<String> {
    let program = PathBuf::from(command.get_program());
    let output = command.output().map_err(Error::io(&program))?;
    if !output.status.success() {
        return Err(MigratorError::PreviewFailed {
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
