//! PostgreSQL's online forms of schema changes, which keep writers running.
//!
//! Each helper is one step of a migration that runs outside a transaction
//! (`use_transaction() -> Some(false)`), and each can run again after a failure: a re-run
//! finds the work done, or the debris of a failed attempt, and carries on.

use crate::lock::locked;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

fn ident(name: &str) -> String {
    crate::names::quote(DbBackend::Postgres, name)
}

fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

async fn exec(manager: &SchemaManager<'_>, sql: String) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .map(|_| ())
}

async fn exists(manager: &SchemaManager<'_>, sql: String) -> Result<bool, DbErr> {
    Ok(manager
        .get_connection()
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .is_some())
}

fn index_name(index: &IndexCreateStatement) -> Result<String, DbErr> {
    index
        .get_index_spec()
        .get_name()
        .map(str::to_owned)
        .ok_or_else(|| DbErr::Migration("a concurrent index build needs a named index".into()))
}

/// `CREATE INDEX CONCURRENTLY`: builds the index while writes go on (it takes SHARE UPDATE
/// EXCLUSIVE, which conflicts with no reads or writes), at the price of two table scans.
///
/// A concurrent build that fails leaves an INVALID index behind
/// (<https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY>);
/// one with this name is dropped first, so running the migration again repairs it.
pub async fn create_index_concurrently(
    manager: &SchemaManager<'_>,
    mut index: IndexCreateStatement,
) -> Result<(), DbErr> {
    let name = index_name(&index)?;
    let invalid = exists(
        manager,
        format!(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname = {} AND NOT i.indisvalid AND pg_table_is_visible(c.oid)",
            literal(&name)
        ),
    )
    .await?;
    if invalid {
        eprintln!("tidemark: dropping the invalid index `{name}` a failed build left behind");
        drop_index_concurrently(manager, &name).await?;
    }
    index.concurrently().if_not_exists();
    manager.create_index(index).await
}

/// `DROP INDEX CONCURRENTLY IF EXISTS`: waits for queries using the index instead of
/// blocking the table.
pub async fn drop_index_concurrently(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    exec(
        manager,
        format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ident(name)),
    )
    .await
}

async fn has_constraint(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<bool, DbErr> {
    exists(
        manager,
        format!(
            "SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = {}::regclass",
            literal(name),
            literal(&ident(table))
        ),
    )
    .await
}

/// A unique constraint without a write-blocking build: a unique index built concurrently,
/// then attached as the constraint (`ADD CONSTRAINT ... UNIQUE USING INDEX`, which only
/// takes a brief lock). The index and the constraint share `name`.
pub async fn add_unique_constraint_concurrently(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    if has_constraint(manager, table, name).await? {
        return Ok(());
    }
    let mut index = Index::create();
    index.name(name).table(Alias::new(table)).unique();
    for column in columns {
        index.col(Alias::new(*column));
    }
    create_index_concurrently(manager, index.to_owned()).await?;
    let sql = format!(
        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
        ident(table),
        ident(name),
        ident(name)
    );
    run_locked(manager, sql).await
}

/// Runs `sql` as a unit under the lock timeout.
async fn run_locked(manager: &SchemaManager<'_>, sql: String) -> Result<(), DbErr> {
    locked(manager, |m| {
        let sql = sql.clone();
        Box::pin(async move { exec(m, sql).await })
    })
    .await
}

/// A foreign key that checks new rows at once and existing rows later: `NOT VALID` takes
/// only a brief lock on both tables, and [`validate_constraint`] scans without blocking
/// writes.
pub async fn add_foreign_key_not_valid(
    manager: &SchemaManager<'_>,
    foreign_key: ForeignKeyCreateStatement,
) -> Result<(), DbErr> {
    let sql = format!(
        "{} NOT VALID",
        foreign_key.to_string(sea_orm_migration::sea_query::PostgresQueryBuilder)
    );
    let table = match foreign_key.get_foreign_key().get_table() {
        Some(TableRef::Table(name, _)) => name.1.to_string(),
        _ => {
            return Err(DbErr::Migration(
                "a foreign key statement without its table".into(),
            ));
        }
    };
    let name = foreign_key
        .get_foreign_key()
        .get_name()
        .map(str::to_owned)
        .ok_or_else(|| DbErr::Migration("a NOT VALID foreign key needs a name".into()))?;
    // Done by a run before, or the table has the same key under another name.
    if has_constraint(manager, &table, &name).await?
        || !crate::adopt::needed(manager, &foreign_key).await?
    {
        return Ok(());
    }
    run_locked(manager, sql).await
}

/// `VALIDATE CONSTRAINT`: checks the existing rows under SHARE UPDATE EXCLUSIVE, which lets
/// reads and writes go on. Rows that break the constraint make it fail and leave it NOT
/// VALID (new rows are still checked).
pub async fn validate_constraint(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    // A key kept under its own name instead of this one ([`crate::adopt`]) was valid already.
    if !crate::preview::previewing() && !has_constraint(manager, table, name).await? {
        return Ok(());
    }
    let sql = format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        ident(table),
        ident(name)
    );
    run_locked(manager, sql).await
}

/// PostgreSQL: makes `schema` (created if missing) the first of the session's search path,
/// so that everything the migration makes and names lands in the schema its entities name
/// (`#[sea_orm(schema_name = "...")]`). Other backends have no schema to use: nothing happens.
/// The session keeps the setting for the migrations after this one.
pub async fn use_schema(manager: &SchemaManager<'_>, schema: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let s = ident(schema);
    exec(manager, format!("CREATE SCHEMA IF NOT EXISTS {s}")).await?;
    exec(manager, format!("SET search_path TO {s}, public")).await
}

/// The name of the temporary check that proves a column holds no NULL.
pub fn not_null_check_name(table: &str, column: &str) -> String {
    let name = format!("{table}_{column}_not_null");
    // PostgreSQL truncates identifiers at 63 bytes; keep the name what the catalog shows.
    name.char_indices()
        .take_while(|(i, c)| i + c.len_utf8() <= 63)
        .map(|(_, c)| c)
        .collect()
}

/// `SET NOT NULL` without a scan under ACCESS EXCLUSIVE: a `CHECK (column IS NOT NULL) NOT
/// VALID` (brief lock), `VALIDATE` (scans, writes go on), then `SET NOT NULL`, which
/// PostgreSQL 12+ proves from the validated check without scanning, and the check is dropped.
pub async fn set_not_null(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    let check = not_null_check_name(table, column);
    let (t, c, k) = (ident(table), ident(column), ident(&check));
    let add = format!("ALTER TABLE {t} ADD CONSTRAINT {k} CHECK ({c} IS NOT NULL) NOT VALID");
    if !has_constraint(manager, table, &check).await? {
        run_locked(manager, add).await?;
    }
    validate_constraint(manager, table, &check).await?;
    let set = format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL");
    let drop = format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {k}");
    locked(manager, |m| {
        let (set, drop) = (set.clone(), drop.clone());
        Box::pin(async move {
            exec(m, set).await?;
            exec(m, drop).await
        })
    })
    .await
}
