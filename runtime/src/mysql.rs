//! MySQL/MariaDB specifics that generated migrations call.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

/// Drops foreign key `name` on `table`, and the index MySQL created to back it.
///
/// MySQL adds an index named after the key when the referencing columns have none
/// (<https://dev.mysql.com/doc/refman/8.0/en/create-table-foreign-keys.html>) and leaves it
/// behind when the key is dropped; without this the schema would keep an index no entity
/// declares.
pub async fn drop_foreign_key(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    manager
        .drop_foreign_key(
            ForeignKey::drop()
                .name(name)
                .table(Alias::new(table))
                .to_owned(),
        )
        .await?;
    let leftover = manager
        .get_connection()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            "SELECT 1 FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? LIMIT 1",
            [table.into(), name.into()],
        ))
        .await?;
    if leftover.is_some() {
        manager
            .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
            .await?;
    }
    Ok(())
}
