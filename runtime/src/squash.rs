//! Squashed migrations (`tidemark squash`): one migration that makes, for a new database, what
//! the first N made, while databases that applied those N keep working, as Django's
//! `replaces` does.
//!
//! The squash's `up` starts with [`replaces`], which does nothing when it runs and, in the
//! offline preview every run of the migrator makes (see `crate::history`), names the migrations
//! it replaces. Before running anything the migrator then rewrites the history of a database
//! that applied all of them: their rows in `seaql_migrations` give way to one for the squash,
//! so sea-orm-migration finds nothing missing and nothing to run again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

/// How the preview names the replaced migrations.
pub(crate) const MARKER: &str = "-- tidemark squash replaces:";

/// Declares the migrations this squash replaces; see the module's documentation.
pub async fn replaces(manager: &SchemaManager<'_>, migrations: &[&str]) -> Result<(), DbErr> {
    if crate::preview::previewing() {
        let backend = manager.get_database_backend();
        manager
            .get_connection()
            .execute_raw(Statement::from_string(
                backend,
                format!("{MARKER} {}", migrations.join(" ")),
            ))
            .await?;
    }
    Ok(())
}

/// The migrations a squash's previewed statements say it replaces.
pub(crate) fn replaced(statements: &str) -> Option<Vec<String>> {
    statements.lines().find_map(|line| {
        line.strip_prefix(MARKER)
            .map(|rest| rest.split_whitespace().map(str::to_owned).collect())
    })
}
