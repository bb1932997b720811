//! Re-running a migration that failed halfway. A migration that runs outside a transaction
//! keeps the steps it finished; each plain step asks first whether the database already is in
//! the state the step leaves, so running `up` again carries on where the failure stopped.
//! (The PostgreSQL helpers and the backfill make the same check themselves.)

use sea_orm_migration::prelude::*;

/// The state a step leaves the database in.
#[derive(Clone, Copy, Debug)]
pub enum Leaves<'a> {
    Column(&'a str, &'a str),
    NoColumn(&'a str, &'a str),
    Table(&'a str),
    NoTable(&'a str),
    Index(&'a str, &'a str),
    NoIndex(&'a str, &'a str),
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
    })
}
