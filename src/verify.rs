//! `verify` and `drift`: the recorded snapshots against real databases.
//!
//! Both run the workspace's own migrator binary (built once with cargo) rather than linking
//! the migrations into the generator, so hand-written migrations are exercised exactly as
//! `cargo run -p migration` runs them.

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::introspect;
use crate::migrator::{MigratorError, build_migrator, migrate};
use crate::model::Schema;
use crate::registry;
use crate::snapshot::Snapshot;
use crate::unmanaged::{self, Unmanaged};
use crate::workspace::Workspace;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::io::Write;
use std::path::Path;

/// A database that exists only for one `verify` run.
struct Scratch {
    url: String,
    server: Option<(String, String, Backend)>,
    _dir: Option<tempfile::TempDir>,
}

impl Scratch {
    async fn create(server_url: Option<&str>) -> Result<Scratch> {
        let Some(admin) = server_url else {
            let dir = tempfile::tempdir().map_err(Error::io(std::env::temp_dir()))?;
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("verify.sqlite").display()
            );
            return Ok(Scratch {
                url,
                server: None,
                _dir: Some(dir),
            });
        };
        let backend = Backend::from_url(admin).ok_or_else(|| Error::InvalidArgument {
            flag: "--database-url",
            value: tidemark_runtime::__private::redact_url(admin),
            reason: "expected a postgres:// or mysql:// URL".into(),
        })?;
        if backend == Backend::Sqlite {
            return Err(Error::InvalidArgument {
                flag: "--database-url",
                value: tidemark_runtime::__private::redact_url(admin),
                reason: "verify makes its own scratch SQLite file; give a server URL, or no URL"
                    .into(),
            });
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("tidemark_verify_{}_{nanos}", std::process::id());
        let db = connect(admin).await?;
        execute(
            &db,
            &format!("CREATE DATABASE {}", quote(backend, &name)),
            "creating the scratch database",
        )
        .await?;
        db.close().await.ok();
        let base = admin.split('?').next().unwrap_or(admin);
        let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
        Ok(Scratch {
            url: format!("{base}/{name}"),
            server: Some((admin.to_owned(), name, backend)),
            _dir: None,
        })
    }

    async fn drop(self) {
        if let Some((admin, name, backend)) = self.server {
            let sql = match backend {
                Backend::Postgres => format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote(backend, &name)
                ),
                _ => format!("DROP DATABASE IF EXISTS {}", quote(backend, &name)),
            };
            if let Ok(db) = connect(&admin).await {
                let _ = execute(&db, &sql, "dropping the scratch database").await;
                db.close().await.ok();
            }
        }
    }
}

fn quote(backend: Backend, name: &str) -> String {
    backend.quote(name)
}

pub(crate) async fn connect(url: &str) -> Result<DatabaseConnection> {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(std::time::Duration::from_secs(5))
        .acquire_timeout(std::time::Duration::from_secs(5))
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .map_err(|source| Error::Connect {
            url: url.to_owned(),
            source,
        })
}

async fn execute(db: &DatabaseConnection, sql: &str, context: &str) -> Result<()> {
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .map(|_| ())
    .map_err(|source| Error::Database {
        context: context.to_owned(),
        source,
    })
}

/// The schema each registered migration recorded, if it recorded one.
fn recorded(ws: &Workspace, module: &str) -> Result<Option<Snapshot>> {
    crate::history::read(ws, module)
}

/// The outcome of a verification: `Ok(true)` when every migration round-tripped.
pub async fn verify(ws: &Workspace, server_url: Option<&str>, out: &mut dyn Write) -> Result<bool> {
    let lib_source = std::fs::read_to_string(ws.lib_rs()).map_err(Error::io(ws.lib_rs()))?;
    let modules = registry::registered(&lib_source, &ws.lib_rs())?;
    if modules.is_empty() {
        writeln!(
            out,
            "No migrations registered in {}.",
            ws.display(&ws.lib_rs())
        )
        .ok();
        return Ok(true);
    }
    let binary = build_migrator(ws)?;
    let scratch = Scratch::create(server_url).await?;
    let result = verify_on(ws, &modules, &binary, &scratch.url, out).await;
    scratch.drop().await;
    result
}

async fn verify_on(
    ws: &Workspace,
    modules: &[String],
    binary: &Path,
    url: &str,
    out: &mut dyn Write,
) -> Result<bool> {
    let backend = Backend::from_url(url).unwrap_or(Backend::Sqlite);
    writeln!(
        out,
        "Verifying {} migration(s) on a scratch {} database",
        modules.len(),
        backend.name()
    )
    .ok();
    let mut previous: Option<Snapshot> = Some(Snapshot::new(String::new(), Schema::default()));
    for module in modules {
        let expected = recorded(ws, module)?;
        let steps: [(&str, &[&str], Option<&Snapshot>); 3] = [
            ("up", &["up", "-n", "1"], expected.as_ref()),
            ("down", &["down", "-n", "1"], previous.as_ref()),
            ("up again", &["up", "-n", "1"], expected.as_ref()),
        ];
        for (step, args, against) in steps {
            if let Err(err) = migrate(binary, url, args) {
                writeln!(out, "  FAIL {module}: {step} failed").ok();
                return Err(err);
            }
            let Some(differences) = compare(url, against, backend).await? else {
                continue;
            };
            if !differences.is_empty() {
                let which = if step == "down" {
                    "the snapshot before it"
                } else {
                    "its snapshot"
                };
                writeln!(
                    out,
                    "  FAIL {module}: after {step}, the database differs from {which}:"
                )
                .ok();
                for d in &differences {
                    writeln!(out, "      - {d}").ok();
                }
                return Ok(false);
            }
        }
        match (&expected, &previous) {
            (Some(_), Some(_)) => writeln!(out, "  ok   {module}: up, down, up again match the snapshots").ok(),
            (Some(_), None) => writeln!(
                out,
                "  ok   {module}: up and up again match its snapshot (the migration before it recorded none to compare `down` with)"
            )
            .ok(),
            (None, _) => writeln!(
                out,
                "  ok   {module}: applied, rolled back and applied again; it recorded no snapshot, so its schema was not compared"
            )
            .ok(),
        };
        previous = expected;
    }
    Ok(true)
}

/// `None` when there is nothing to compare with. What hand-written migrations added
/// (`record`) is left out.
async fn compare(
    url: &str,
    expected: Option<&Snapshot>,
    backend: Backend,
) -> Result<Option<Vec<String>>> {
    let Some(expected) = expected else {
        return Ok(None);
    };
    let db = connect(url).await?;
    let live = introspect::introspect_in(&db, expected.schema.pg_schema.as_deref()).await;
    db.close().await.ok();
    let live = unmanaged::strip(&live?, &expected.unmanaged);
    Ok(Some(differences(&live, &expected.schema, backend)))
}

/// The differences between a live database and the schema it should have, in words; empty
/// when they match.
pub fn differences(live: &Schema, expected: &Schema, backend: Backend) -> Vec<String> {
    let (changes, expected) = introspect::differences(live, expected, backend);
    changes
        .iter()
        .map(|c| crate::plan::describe(c, &expected))
        .collect()
}

/// `record`: applies every migration on a scratch database and writes into each one's
/// snapshot what the database has after it beyond the schema the snapshot describes: what
/// hand-written migrations added. Objects recorded before stay recorded (a migration may add
/// some on one backend only), so recording on each backend the migrations branch on adds up.
/// Returns each migration whose record changed, with what it now holds.
pub async fn record(
    ws: &Workspace,
    server_url: Option<&str>,
    out: &mut dyn Write,
) -> Result<Vec<(String, Vec<Unmanaged>)>> {
    let lib_source = std::fs::read_to_string(ws.lib_rs()).map_err(Error::io(ws.lib_rs()))?;
    let modules = registry::registered(&lib_source, &ws.lib_rs())?;
    let binary = build_migrator(ws)?;
    let scratch = Scratch::create(server_url).await?;
    let result = record_on(ws, &modules, &binary, &scratch.url, out).await;
    scratch.drop().await;
    let changed = result?;
    // One write for all, so that a failure leaves every snapshot as it was.
    let mut files = Vec::new();
    for (module, snapshot) in &changed {
        let mut entry = crate::history::read_entry(ws, module)?.unwrap_or_else(|| snapshot.clone());
        entry.unmanaged = snapshot.unmanaged.clone();
        files.push((ws.history_snapshot(module), entry.to_json()));
        if modules.last() == Some(module)
            && Snapshot::read(&ws.snapshot())?.is_some_and(|head| head.migration == *module)
        {
            files.push((ws.snapshot(), snapshot.to_json()));
        }
    }
    crate::write::write_all(&files)?;
    Ok(changed
        .into_iter()
        .map(|(module, snapshot)| (module, snapshot.unmanaged))
        .collect())
}

async fn record_on(
    ws: &Workspace,
    modules: &[String],
    binary: &Path,
    url: &str,
    out: &mut dyn Write,
) -> Result<Vec<(String, Snapshot)>> {
    let backend = Backend::from_url(url).unwrap_or(Backend::Sqlite);
    writeln!(
        out,
        "Applying {} migration(s) on a scratch {} database",
        modules.len(),
        backend.name()
    )
    .ok();
    let mut changed = Vec::new();
    for module in modules {
        migrate(binary, url, &["up", "-n", "1"])?;
        let Some(mut snapshot) = recorded(ws, module)? else {
            writeln!(out, "  --   {module}: no snapshot to record into").ok();
            continue;
        };
        let db = connect(url).await?;
        let live = introspect::introspect_in(&db, snapshot.schema.pg_schema.as_deref()).await;
        db.close().await.ok();
        let live =
            introspect::normalize(&introspect::align_names(&live?, &snapshot.schema), backend);
        let mut found = unmanaged::beyond(&live, &introspect::normalize(&snapshot.schema, backend));
        found.extend(snapshot.unmanaged.iter().cloned());
        found.sort();
        found.dedup();
        if found == snapshot.unmanaged {
            writeln!(out, "  ok   {module}").ok();
            continue;
        }
        for object in found.iter().filter(|o| !snapshot.unmanaged.contains(o)) {
            writeln!(out, "  +    {module}: {object}").ok();
        }
        snapshot.unmanaged = found;
        changed.push((module.clone(), snapshot));
    }
    Ok(changed)
}

/// What `drift` found.
pub struct Drift {
    /// The last migration the database applied.
    pub applied: String,
    pub backend: Backend,
    /// The database's schema as read.
    pub live: Schema,
    /// What would bring it back to the snapshot, in words; empty when there is no drift.
    pub differences: Vec<String>,
}

/// `drift`: the differences between a live database and the snapshot of the last migration it
/// applied.
pub async fn drift(ws: &Workspace, url: &str) -> Result<Drift> {
    let backend = Backend::from_url(url).ok_or_else(|| Error::InvalidArgument {
        flag: "--database-url",
        value: tidemark_runtime::__private::redact_url(url),
        reason: "expected a postgres://, mysql:// or sqlite:// URL".into(),
    })?;
    let db = connect(url).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version".to_owned(),
        ))
        .await
        .map_err(|source| Error::Database {
            context: "reading the applied migrations (has this database been migrated?)".into(),
            source,
        })?;
    let applied: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    let Some(last) = applied.last() else {
        db.close().await.ok();
        return Err(MigratorError::NothingApplied {
            url: tidemark_runtime::__private::redact_url(url),
        }
        .into());
    };
    let expected = recorded(ws, last)?.ok_or_else(|| {
        Error::from(MigratorError::NoSnapshot {
            migration: last.clone(),
            path: ws.display(&ws.history_snapshot(last)).into(),
        })
    })?;
    let live = introspect::introspect_in(&db, expected.schema.pg_schema.as_deref()).await;
    db.close().await.ok();
    let live = unmanaged::strip(&live?, &expected.unmanaged);
    let expected = expected.schema;
    let live = introspect::align_names(&live, &expected);
    let differences = differences(&live, &expected, backend);
    Ok(Drift {
        applied: last.clone(),
        backend,
        live,
        differences,
    })
}

/// What every registered migration makes: applied with the workspace's migrator on a scratch
/// database (SQLite, or one made on `server_url`'s server), then read back.
pub async fn migrated_schema(
    ws: &Workspace,
    server_url: Option<&str>,
) -> Result<(Schema, Backend)> {
    let binary = build_migrator(ws)?;
    let scratch = Scratch::create(server_url).await?;
    let read = async {
        migrate(&binary, &scratch.url, &["up"])?;
        let db = connect(&scratch.url).await?;
        let live = introspect::introspect(&db).await;
        db.close().await.ok();
        Ok((
            live?,
            Backend::from_url(&scratch.url).unwrap_or(Backend::Sqlite),
        ))
    }
    .await;
    scratch.drop().await;
    read
}
