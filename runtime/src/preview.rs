//! Offline SQL preview: run a migration against a connection that records statements instead
//! of executing them, so `tidemark sql` can show exactly what `up` or `down` would run on a
//! backend without a database.

use sea_orm::{MockDatabase, MockExecResult, Value};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

static PREVIEWING: AtomicBool = AtomicBool::new(false);

/// Whether the running migration is being previewed, not applied.
pub fn previewing() -> bool {
    PREVIEWING.load(Ordering::Relaxed)
}

/// More statements than any one migration runs; the mock answers each with "done, no rows".
const ANSWERS: usize = 100_000;

/// The statements `migration`'s `up` (or `down`) runs on `backend`.
pub async fn statements(
    migration: &dyn MigrationTrait,
    backend: DbBackend,
    down: bool,
) -> Result<Vec<String>, DbErr> {
    // Nothing exists in a preview: every lookup finds no rows and every command succeeds.
    let db = MockDatabase::new(backend)
        .append_exec_results(vec![MockExecResult::default(); ANSWERS])
        .append_query_results(vec![Vec::<BTreeMap<String, Value>>::new(); ANSWERS])
        .into_connection();
    PREVIEWING.store(true, Ordering::Relaxed);
    let result = {
        let manager = SchemaManager::new(&db);
        if down {
            migration.down(&manager).await
        } else {
            migration.up(&manager).await
        }
    };
    PREVIEWING.store(false, Ordering::Relaxed);
    result?;
    let statements = db
        .into_transaction_log()
        .into_iter()
        .flat_map(|t| t.statements().to_vec())
        .map(|s| s.to_string())
        .filter(|s| !s.starts_with("SELECT") && !s.starts_with("PRAGMA") && !s.contains("pragma_"))
        .collect();
    Ok(statements)
}

/// In a migration that runs in a transaction, the units that `tidemark_runtime::locked` opens
/// are savepoints: say so, as the server will see them.
fn as_savepoints(statements: Vec<String>) -> Vec<String> {
    statements
        .into_iter()
        .map(|s| match s.as_str() {
            "BEGIN" => "SAVEPOINT tidemark_unit".to_owned(),
            "COMMIT" => "RELEASE SAVEPOINT tidemark_unit".to_owned(),
            "ROLLBACK" => "ROLLBACK TO SAVEPOINT tidemark_unit".to_owned(),
            _ => s,
        })
        .collect()
}

/// Whether sea-orm-migration runs `migration` in a transaction on `backend`.
fn transactional(migration: &dyn MigrationTrait, backend: DbBackend) -> bool {
    migration
        .use_transaction()
        .unwrap_or(backend == DbBackend::Postgres)
}

/// Prints, as JSON, what every migration (or only `name`) runs up and down on `backend`:
/// `[{"migration", "down", "transactional", "statements"}]`, for `tidemark lint`.
pub async fn print_json<M: MigratorTrait>(
    backend: DbBackend,
    name: Option<&str>,
) -> Result<(), String> {
    let mut out = Vec::new();
    for migration in M::migrations() {
        if name.is_some_and(|n| n != migration.name()) {
            continue;
        }
        for down in [false, true] {
            let statements = statements(migration.as_ref(), backend, down)
                .await
                .map_err(|e| format!("{}: {e}", migration.name()))?;
            let transactional = transactional(migration.as_ref(), backend);
            let statements = if transactional {
                as_savepoints(statements)
            } else {
                statements
            };
            out.push(serde_json::json!({
                "migration": migration.name(),
                "down": down,
                "transactional": transactional,
                "statements": statements,
            }));
        }
    }
    if out.is_empty() {
        return Err(match name {
            Some(name) => format!("no migration named `{name}` is registered"),
            None => "no migrations are registered".to_owned(),
        });
    }
    println!("{}", serde_json::Value::Array(out));
    Ok(())
}

/// Prints the SQL of migration `name` (the last one when `None`) for `backend`.
pub async fn print<M: MigratorTrait>(
    backend: DbBackend,
    name: Option<&str>,
    down: bool,
) -> Result<(), String> {
    let migrations = M::migrations();
    let migration = match name {
        Some(name) => migrations.iter().find(|m| m.name() == name),
        None => migrations.last(),
    }
    .ok_or_else(|| match name {
        Some(name) => format!("no migration named `{name}` is registered"),
        None => "no migrations are registered".to_owned(),
    })?;
    let statements = statements(migration.as_ref(), backend, down)
        .await
        .map_err(|e| e.to_string())?;
    let transactional = transactional(migration.as_ref(), backend);
    let statements = if transactional {
        as_savepoints(statements)
    } else {
        statements
    };
    println!(
        "-- {} ({}) on {backend:?}{}",
        migration.name(),
        if down { "down" } else { "up" },
        if transactional && backend == DbBackend::MySql {
            ", in a transaction (MySQL still commits each DDL statement)"
        } else if transactional {
            ", in one transaction"
        } else {
            ""
        }
    );
    if transactional {
        println!("BEGIN;");
    }
    for statement in statements {
        if statement.starts_with("--") {
            println!("{statement}");
        } else {
            println!("{statement};");
        }
    }
    if transactional {
        println!("COMMIT;");
    }
    Ok(())
}
