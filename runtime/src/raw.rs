//! Hand-written SQL for what sea-query has no builder for (triggers, views): names quoted per
//! backend, statements run one after another.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

pub(crate) use crate::names::quote;

/// Runs `statements` in order, stopping at the first that fails.
pub(crate) async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    for sql in statements {
        manager
            .get_connection()
            .execute_raw(Statement::from_string(backend, sql))
            .await?;
    }
    Ok(())
}
