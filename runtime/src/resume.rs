//! Re-running a migration that failed halfway. A migration that runs outside a transaction
//! keeps the steps it finished; each plain step asks first whether the database already is in
//! the state the step leaves, so running `up` again carries on where the failure stopped.
//! (The PostgreSQL helpers and the backfill make the same check themselves.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// The state a step leaves the database in.
#[derive(Clone, Copy, Debug)]
pub enum Leaves<'a> {
    /// The column `(table, column)` exists.
    Column(&'a str, &'a str),
    /// The column `(table, column)` does not exist.
    NoColumn(&'a str, &'a str),
    /// The table exists.
    Table(&'a str),
    /// The table does not exist.
    NoTable(&'a str),
    /// The index `(table, index)` exists.
    Index(&'a str, &'a str),
    /// The index `(table, index)` does not exist.
    NoIndex(&'a str, &'a str),
    /// A foreign key constraint `(table, name)`.
    ForeignKey(&'a str, &'a str),
    /// No foreign key constraint `(table, name)`.
    NoForeignKey(&'a str, &'a str),
    /// A PostgreSQL type (an enum).
    Type(&'a str),
    /// No PostgreSQL type of this name.
    NoType(&'a str),
}

/// Whether the step still has to run. A preview (`tidemark sql`) shows every step.
pub async fn needed(manager: &SchemaManager<'_>, leaves: Leaves<'_>) -> Result<bool, DbErr> {
    if crate::preview::previewing() {
        return Ok(true);
    }
    Ok(match leaves {
        Leaves::Column(table, column) => !manager.has_column(table, column).await?,
        Leaves::NoColumn(table, column) => manager.has_column(table, column).await?,
        Leaves::Table(table) => !manager.has_table(table).await?,
        Leaves::NoTable(table) => manager.has_table(table).await?,
        Leaves::Index(table, index) => !manager.has_index(table, index).await?,
        Leaves::NoIndex(table, index) => manager.has_index(table, index).await?,
        Leaves::ForeignKey(table, name) => !has_foreign_key(manager, table, name).await?,
        Leaves::NoForeignKey(table, name) => has_foreign_key(manager, table, name).await?,
        Leaves::Type(name) => !has_type(manager, name).await?,
        Leaves::NoType(name) => has_type(manager, name).await?,
    })
}

async fn exists(manager: &SchemaManager<'_>, sql: &str, values: Vec<Value>) -> Result<bool, DbErr> {
    let backend = manager.get_database_backend();
    Ok(manager
        .get_connection()
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .is_some())
}

async fn has_foreign_key(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<bool, DbErr> {
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            exists(
                manager,
                "SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                 WHERE c.contype = 'f' AND c.conname = $1 AND t.relname = $2 \
                 AND pg_table_is_visible(t.oid)",
                vec![name.into(), table.into()],
            )
            .await
        }
        DbBackend::MySql => {
            exists(
                manager,
                "SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_TYPE = \
                 'FOREIGN KEY' AND TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = ? AND TABLE_NAME = ?",
                vec![name.into(), table.into()],
            )
            .await
        }
        // SQLite's foreign keys are part of the table; tidemark changes them by a rebuild.
        _ => Ok(false),
    }
}

async fn has_type(manager: &SchemaManager<'_>, name: &str) -> Result<bool, DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    exists(
        manager,
        "SELECT 1 FROM pg_type WHERE typname = $1 AND pg_type_is_visible(oid)",
        vec![name.into()],
    )
    .await
}
