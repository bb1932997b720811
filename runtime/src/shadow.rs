//! Shadow columns: how a phased type change keeps the old code writing while the table moves
//! to the new type.
//!
//! The expand adds a shadow column of the new type and [`install_sync`]s a trigger that copies
//! the column into it on every insert and update, so that the batched backfill of the existing
//! rows never races a writer. The contract [`swap_in`]s the shadow in a short statement (no
//! row is rewritten); its `down` [`swap_out`]s it again.
//!
//! The triggers are named after the table and the column (`tidemark_sync_<table>_<column>`),
//! so that installing one twice replaces it and removing one that is gone does nothing: a
//! migration that failed halfway can run again.

use crate::raw::{quote, run};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Installs the trigger that copies `column` into `shadow` on every insert and update.
pub async fn install_sync(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    shadow: &str,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let name = trigger_name(table, column);
    let (t, c, s) = (
        quote(backend, table),
        quote(backend, column),
        quote(backend, shadow),
    );
    let statements = match backend {
        DbBackend::Postgres => {
            let f = quote(backend, &name);
            vec![
                // plpgsql assigns with the assignment cast, as the backfill's UPDATE does.
                format!(
                    "CREATE OR REPLACE FUNCTION {f}() RETURNS trigger LANGUAGE plpgsql AS \
                     $tidemark$ BEGIN NEW.{s} := NEW.{c}; RETURN NEW; END $tidemark$"
                ),
                format!("DROP TRIGGER IF EXISTS {f} ON {t}"),
                format!(
                    "CREATE TRIGGER {f} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW \
                     EXECUTE FUNCTION {f}()"
                ),
            ]
        }
        DbBackend::MySql => {
            let mut statements = drop_row_triggers(backend, &name);
            for (suffix, event) in [("insert", "INSERT"), ("update", "UPDATE")] {
                let n = quote(backend, &format!("{name}_{suffix}"));
                statements.push(format!(
                    "CREATE TRIGGER {n} BEFORE {event} ON {t} FOR EACH ROW SET NEW.{s} = NEW.{c}"
                ));
            }
            statements
        }
        DbBackend::Sqlite => {
            // SQLite's BEFORE triggers cannot change NEW: an AFTER trigger updates the row.
            let mut statements = drop_row_triggers(backend, &name);
            for (suffix, event) in [
                ("insert", "INSERT".to_owned()),
                ("update", format!("UPDATE OF {c}")),
            ] {
                let n = quote(backend, &format!("{name}_{suffix}"));
                statements.push(format!(
                    "CREATE TRIGGER {n} AFTER {event} ON {t} FOR EACH ROW BEGIN \
                     UPDATE {t} SET {s} = NEW.{c} WHERE rowid = NEW.rowid; END"
                ));
            }
            statements
        }
        other => return Err(unsupported(other)),
    };
    run(manager, statements).await
}

/// Removes the trigger [`install_sync`] installed; nothing when it is gone.
pub async fn remove_sync(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    run(manager, drop_sync(backend, table, column)).await
}

/// Swaps the shadow in: removes the sync, drops `column`, renames `shadow` to `column` and each
/// index `(shadow's, column's)` of the shadow to the column's index name. On PostgreSQL it all
/// runs in the caller's transaction (the column's indexes go with it); on MySQL/MariaDB it is
/// one `ALTER TABLE`, online where the server allows.
pub async fn swap_in(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    shadow: &str,
    indexes: &[(&str, &str)],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let (t, c, s) = (
        quote(backend, table),
        quote(backend, column),
        quote(backend, shadow),
    );
    run(manager, drop_sync(backend, table, column)).await?;
    match backend {
        DbBackend::Postgres => {
            let mut statements = vec![
                format!("ALTER TABLE {t} DROP COLUMN {c}"),
                format!("ALTER TABLE {t} RENAME COLUMN {s} TO {c}"),
            ];
            statements.extend(index_renames(backend, indexes.iter().copied()));
            run(manager, statements).await
        }
        DbBackend::MySql => {
            // Dropping the column would only take it out of a multi-column index: the
            // column's indexes are dropped by name, so the shadow's can take their names.
            let mut alterations: Vec<String> = indexes
                .iter()
                .map(|(_, name)| format!("DROP INDEX {}", quote(backend, name)))
                .collect();
            alterations.push(format!("DROP COLUMN {c}"));
            alterations.push(format!("RENAME COLUMN {s} TO {c}"));
            alterations.extend(index_renames(backend, indexes.iter().copied()));
            let sql = format!("ALTER TABLE {t} {}", alterations.join(", "));
            crate::mysql::online_sql(manager, &sql).await.map(drop)
        }
        DbBackend::Sqlite => Err(not_on_sqlite("swap_in")),
        other => Err(unsupported(other)),
    }
}

/// Undoes [`swap_in`]'s renames: `column` becomes `shadow` again and its indexes take the
/// shadow's names. The caller adds the column of the old type back and syncs it.
pub async fn swap_out(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    shadow: &str,
    indexes: &[(&str, &str)],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let (t, c, s) = (
        quote(backend, table),
        quote(backend, column),
        quote(backend, shadow),
    );
    // The column's index names go back to the shadow's.
    let back = indexes.iter().map(|&(shadow, column)| (column, shadow));
    match backend {
        DbBackend::Postgres => {
            let mut statements = vec![format!("ALTER TABLE {t} RENAME COLUMN {c} TO {s}")];
            statements.extend(index_renames(backend, back));
            run(manager, statements).await
        }
        DbBackend::MySql => {
            let mut alterations = vec![format!("RENAME COLUMN {c} TO {s}")];
            alterations.extend(index_renames(backend, back));
            let sql = format!("ALTER TABLE {t} {}", alterations.join(", "));
            crate::mysql::online_sql(manager, &sql).await.map(drop)
        }
        DbBackend::Sqlite => Err(not_on_sqlite("swap_out")),
        other => Err(unsupported(other)),
    }
}

/// The trigger's name (PostgreSQL: also its function's): one per column.
pub fn trigger_name(table: &str, column: &str) -> String {
    format!("tidemark_sync_{table}_{column}")
}

fn drop_sync(backend: DbBackend, table: &str, column: &str) -> Vec<String> {
    let name = trigger_name(table, column);
    match backend {
        DbBackend::Postgres => {
            let (f, t) = (quote(backend, &name), quote(backend, table));
            vec![
                format!("DROP TRIGGER IF EXISTS {f} ON {t}"),
                format!("DROP FUNCTION IF EXISTS {f}()"),
            ]
        }
        _ => drop_row_triggers(backend, &name),
    }
}

/// MySQL and SQLite: the insert and the update trigger of one sync, as named by `name`.
fn drop_row_triggers(backend: DbBackend, name: &str) -> Vec<String> {
    ["insert", "update"]
        .iter()
        .map(|suffix| {
            format!(
                "DROP TRIGGER IF EXISTS {}",
                quote(backend, &format!("{name}_{suffix}"))
            )
        })
        .collect()
}

/// `ALTER INDEX .. RENAME TO ..` (PostgreSQL) or the `RENAME INDEX .. TO ..` alteration (MySQL)
/// for each `(from, to)`.
fn index_renames<'a>(
    backend: DbBackend,
    renames: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    renames
        .map(|(from, to)| {
            let (from, to) = (quote(backend, from), quote(backend, to));
            if backend == DbBackend::Postgres {
                format!("ALTER INDEX {from} RENAME TO {to}")
            } else {
                format!("RENAME INDEX {from} TO {to}")
            }
        })
        .collect()
}

fn unsupported(backend: DbBackend) -> DbErr {
    DbErr::Migration(format!("shadow columns are not supported on {backend:?}"))
}

fn not_on_sqlite(what: &str) -> DbErr {
    DbErr::Migration(format!(
        "shadow::{what} cannot run on SQLite, which swaps a shadow column by rebuilding the table"
    ))
}
