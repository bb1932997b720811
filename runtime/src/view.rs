//! Compatibility views: how a phased table rename lets the old and the new code run side by
//! side.
//!
//! The expand leaves the table under its old name, so the old code does not notice, and
//! [`create_view`]s the new name as a view of the whole table, which the new code reads and
//! writes as if it were the table (PostgreSQL and MySQL update a simple view's table
//! themselves; SQLite is given `INSTEAD OF` triggers). The contract [`view_to_table`]s: the view
//! goes and the table takes its name in one step, so the new code never finds the name
//! missing. Its `down`, [`table_to_view`], puts the old name back.
//!
//! Each helper can run again after a failure: a view that exists is made anew, one that is
//! gone is not dropped twice.

use crate::raw::{quote, run};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub use crate::names::VIEW_COMMENT;

/// Makes `view` a view of the whole of `table`, writable as the table is.
pub async fn create_view(
    manager: &SchemaManager<'_>,
    view: &str,
    table: &str,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let (v, t) = (quote(backend, view), quote(backend, table));
    let statements = match backend {
        DbBackend::Postgres => vec![
            format!("CREATE OR REPLACE VIEW {v} AS SELECT * FROM {t}"),
            format!("COMMENT ON VIEW {v} IS '{VIEW_COMMENT}'"),
        ],
        DbBackend::MySql => vec![format!("CREATE OR REPLACE VIEW {v} AS SELECT * FROM {t}")],
        DbBackend::Sqlite => {
            let mut statements = vec![
                format!("DROP VIEW IF EXISTS {v}"),
                format!("CREATE VIEW {v} AS SELECT * FROM {t}"),
            ];
            statements.extend(sqlite_write_triggers(manager, view, table).await?);
            statements
        }
        other => return Err(unsupported(other)),
    };
    run(manager, statements).await
}

/// Drops `view`; nothing when it is gone.
pub async fn drop_view(manager: &SchemaManager<'_>, view: &str) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    run(
        manager,
        vec![format!("DROP VIEW IF EXISTS {}", quote(backend, view))],
    )
    .await
}

/// Drops the view `view` and renames `table` to `view` at once. On PostgreSQL and SQLite both
/// run in the caller's transaction; MySQL/MariaDB commit DDL as they go, so there the view is
/// renamed aside and the table into its place by one `RENAME TABLE`, which is atomic.
pub async fn view_to_table(
    manager: &SchemaManager<'_>,
    view: &str,
    table: &str,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let (v, t) = (quote(backend, view), quote(backend, table));
    let statements = match backend {
        DbBackend::Postgres | DbBackend::Sqlite => vec![
            format!("DROP VIEW IF EXISTS {v}"),
            format!("ALTER TABLE {t} RENAME TO {v}"),
        ],
        DbBackend::MySql => {
            let aside = quote(backend, &aside_name(view));
            vec![
                format!("RENAME TABLE {v} TO {aside}, {t} TO {v}"),
                format!("DROP VIEW {aside}"),
            ]
        }
        other => return Err(unsupported(other)),
    };
    run(manager, statements).await
}

/// Undoes [`view_to_table`]: the table `view` takes its old name `table` back, and `view` is
/// its view again. On MySQL/MariaDB the two are separate statements: a statement on `view`
/// in the moment between them fails.
pub async fn table_to_view(
    manager: &SchemaManager<'_>,
    view: &str,
    table: &str,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let (v, t) = (quote(backend, view), quote(backend, table));
    let rename = match backend {
        DbBackend::MySql => format!("RENAME TABLE {v} TO {t}"),
        _ => format!("ALTER TABLE {v} RENAME TO {t}"),
    };
    run(manager, vec![rename]).await?;
    create_view(manager, view, table).await
}

/// MySQL: the name the view is renamed to while the table takes its name.
fn aside_name(view: &str) -> String {
    format!("{view}__tidemark_view")
}

/// SQLite's views are read-only: `INSTEAD OF` triggers pass inserts, updates and deletes on
/// to the table, by its primary key. A column left out of an insert gets the table's default.
async fn sqlite_write_triggers(
    manager: &SchemaManager<'_>,
    view: &str,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    let backend = DbBackend::Sqlite;
    let columns = sqlite_columns(manager, table).await?;
    if crate::preview::previewing() {
        // The triggers list the live table's columns, which a preview does not have.
        return Ok(vec![format!(
            "-- INSTEAD OF INSERT, UPDATE and DELETE triggers on \"{view}\" that write \"{table}\""
        )]);
    }
    let keys: Vec<&SqliteColumn> = columns.iter().filter(|c| c.key).collect();
    if keys.is_empty() {
        return Err(DbErr::Migration(format!(
            "SQLite cannot write through a view of `{table}`, which has no primary key to find \
             rows by"
        )));
    }
    let (v, t) = (quote(backend, view), quote(backend, table));
    let trigger = |event: &str| quote(backend, &format!("tidemark_view_{view}_{event}"));
    let names: Vec<String> = columns.iter().map(|c| quote(backend, &c.name)).collect();
    let values: Vec<String> = columns
        .iter()
        .map(|c| {
            let new = format!("NEW.{}", quote(backend, &c.name));
            match &c.default {
                Some(default) => format!("COALESCE({new}, {default})"),
                None => new,
            }
        })
        .collect();
    let assignments: Vec<String> = names.iter().map(|c| format!("{c} = NEW.{c}")).collect();
    let by_key = keys
        .iter()
        .map(|k| {
            let k = quote(backend, &k.name);
            format!("{k} = OLD.{k}")
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    Ok(vec![
        format!(
            "CREATE TRIGGER {} INSTEAD OF INSERT ON {v} BEGIN INSERT INTO {t} ({}) VALUES ({}); END",
            trigger("insert"),
            names.join(", "),
            values.join(", ")
        ),
        format!(
            "CREATE TRIGGER {} INSTEAD OF UPDATE ON {v} BEGIN UPDATE {t} SET {} WHERE {by_key}; END",
            trigger("update"),
            assignments.join(", ")
        ),
        format!(
            "CREATE TRIGGER {} INSTEAD OF DELETE ON {v} BEGIN DELETE FROM {t} WHERE {by_key}; END",
            trigger("delete")
        ),
    ])
}

struct SqliteColumn {
    name: String,
    default: Option<String>,
    key: bool,
}

async fn sqlite_columns(
    manager: &SchemaManager<'_>,
    table: &str,
) -> Result<Vec<SqliteColumn>, DbErr> {
    let rows = manager
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT name, dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
            [table.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SqliteColumn {
                name: row.try_get_by_index(0)?,
                default: row.try_get_by_index(1)?,
                key: row.try_get_by_index::<i64>(2)? > 0,
            })
        })
        .collect()
}

fn unsupported(backend: DbBackend) -> DbErr {
    DbErr::Migration(format!(
        "compatibility views are not supported on {backend:?}"
    ))
}
