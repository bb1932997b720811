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
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// Installs the trigger that copies `column` into `shadow` on every insert and update.
pub async fn install_sync(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    shadow: &str,
) -> Result<(), DbErr> {
    install(manager, table, column, shadow, None).await
}

/// [`install_sync`] where the trigger writes `conversion` of the column into `shadow` (an
/// expression over `column`, see [`crate::convert`]) instead of the column's value.
pub async fn install_converting_sync(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    shadow: &str,
    conversion: &str,
) -> Result<(), DbErr> {
    install(manager, table, column, shadow, Some(conversion)).await
}

async fn install(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    shadow: &str,
    conversion: Option<&str>,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let name = trigger_name(table, column);
    let (t, c, s) = (
        quote(backend, table),
        quote(backend, column),
        quote(backend, shadow),
    );
    // What the trigger writes into the shadow, from the row being written.
    let new_column = format!("NEW.{c}");
    let value = match conversion {
        Some(conversion) => format!(
            "({})",
            crate::convert::substitute(conversion, column, &new_column)
        ),
        None => new_column,
    };
    let statements = match backend {
        DbBackend::Postgres => {
            let f = quote(backend, &name);
            vec![
                // plpgsql assigns with the assignment cast, as the backfill's UPDATE does.
                format!(
                    "CREATE OR REPLACE FUNCTION {f}() RETURNS trigger LANGUAGE plpgsql AS \
                     $tidemark$ BEGIN NEW.{s} := {value}; RETURN NEW; END $tidemark$"
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
                    "CREATE TRIGGER {n} BEFORE {event} ON {t} FOR EACH ROW SET NEW.{s} = {value}"
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
                     UPDATE {t} SET {s} = {value} WHERE rowid = NEW.rowid; END"
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

/// The comment a converted column carries from the moment it took the place of the old one
/// until the migration gives it its final definition: a rerun after a failure in between
/// knows from it that the values were converted already, and must not be converted twice.
const CONVERTED: &str = "tidemark: converted, definition to follow";

/// MySQL/MariaDB: converts `column` to the type of `shadow` (its definition, named
/// `{column}__new`) with `conversion`, an expression over the column (see [`crate::convert`]).
///
/// MySQL cannot compute a column's new values in `MODIFY COLUMN`. So the shadow is added,
/// kept converted by a trigger ([`install_converting_sync`]) while one `UPDATE` converts the
/// rows, and then takes the column's place, name and indexes in one `ALTER TABLE` (the indexes
/// are read from the server, so that one made by hand comes along). The column is then
/// nullable and carries a marker comment, until the `MODIFY COLUMN` the migration runs next
/// gives it its definition. A rerun after a failure goes on where it stopped: with the shadow
/// there it converts again from the column, with the marker there it does nothing.
pub async fn convert_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    shadow: ColumnDef,
    conversion: &str,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend != DbBackend::MySql {
        return Err(DbErr::Migration(format!(
            "shadow::convert_column runs on MySQL/MariaDB only, not on {backend:?}"
        )));
    }
    let shadow_name = shadow.get_column_name();
    let (t, c, s) = (
        quote(backend, table),
        quote(backend, column),
        quote(backend, &shadow_name),
    );
    let value = crate::convert::substitute(conversion, column, &c);
    if crate::preview::previewing() {
        let add = Table::alter()
            .table(Alias::new(table))
            .add_column(shadow)
            .to_owned();
        manager.alter_table(add).await?;
        install(manager, table, column, &shadow_name, Some(conversion)).await?;
        return run(
            manager,
            vec![
                format!("UPDATE {t} SET {s} = ({value})"),
                format!(
                    "-- ALTER TABLE {t} DROP COLUMN {c}, CHANGE COLUMN {s} {c} <the shadow's \
                     type> <the column's place>, <its indexes made again over it>"
                ),
            ],
        )
        .await;
    }
    let columns = table_columns(manager, table).await?;
    let find = |name: &str| columns.iter().find(|(n, _, _)| n == name);
    if find(column).is_some_and(|(_, _, comment)| comment == CONVERTED) {
        return Ok(());
    }
    if find(&shadow_name).is_none() {
        let add = Table::alter()
            .table(Alias::new(table))
            .add_column(shadow)
            .to_owned();
        crate::mysql::online(manager, add).await?;
    }
    install(manager, table, column, &shadow_name, Some(conversion)).await?;
    run(manager, vec![format!("UPDATE {t} SET {s} = ({value})")]).await?;
    run(manager, drop_sync(backend, table, column)).await?;

    let columns = table_columns(manager, table).await?;
    let names: Vec<&str> = columns
        .iter()
        .map(|(n, _, _)| n.as_str())
        .filter(|n| *n != shadow_name)
        .collect();
    let (Some((_, shadow_type, _)), Some(position)) = (
        columns.iter().find(|(n, _, _)| *n == shadow_name),
        names.iter().position(|n| *n == column),
    ) else {
        return Err(DbErr::Migration(format!(
            "cannot convert `{table}.{column}`: the column or its shadow `{shadow_name}` is missing"
        )));
    };
    let place = match position {
        0 => "FIRST".to_owned(),
        p => format!("AFTER {}", quote(backend, names[p - 1])),
    };
    let rows = manager
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            [table.into()],
        ))
        .await?;
    let mut indexes: Vec<(String, bool, Vec<String>)> = Vec::new();
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        let non_unique: i64 = row.try_get_by_index(1)?;
        let col: String = row.try_get_by_index(2)?;
        match indexes.last_mut() {
            Some((last, _, cols)) if *last == name => cols.push(col),
            _ => indexes.push((name, non_unique == 0, vec![col])),
        }
    }
    indexes.retain(|(_, _, cols)| cols.iter().any(|c| c == column));
    let mut alterations: Vec<String> = indexes
        .iter()
        .map(|(name, _, _)| format!("DROP INDEX {}", quote(backend, name)))
        .collect();
    alterations.push(format!("DROP COLUMN {c}"));
    alterations.push(format!(
        "CHANGE COLUMN {s} {c} {shadow_type} NULL COMMENT '{CONVERTED}' {place}"
    ));
    for (name, unique, cols) in &indexes {
        let cols: Vec<String> = cols.iter().map(|c| quote(backend, c)).collect();
        alterations.push(format!(
            "ADD {}INDEX {} ({})",
            if *unique { "UNIQUE " } else { "" },
            quote(backend, name),
            cols.join(", ")
        ));
    }
    let sql = format!("ALTER TABLE {t} {}", alterations.join(", "));
    crate::mysql::online_sql(manager, &sql).await.map(drop)
}

/// MySQL: the columns of `table` in order, with their type and comment.
async fn table_columns(
    manager: &SchemaManager<'_>,
    table: &str,
) -> Result<Vec<(String, String, String)>, DbErr> {
    let rows = manager
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            "SELECT COLUMN_NAME, COLUMN_TYPE, COLUMN_COMMENT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            [table.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get_by_index(0)?,
                row.try_get_by_index(1)?,
                row.try_get_by_index(2)?,
            ))
        })
        .collect()
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
