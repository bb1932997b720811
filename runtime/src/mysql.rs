//! MySQL/MariaDB specifics that generated migrations call.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, StatementBuilder};

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

/// Runs an `ALTER TABLE`, `CREATE INDEX` or `DROP INDEX` with InnoDB's online DDL asked for
/// explicitly: `ALGORITHM=INSTANT` for an added column, else `ALGORITHM=INPLACE, LOCK=NONE`
/// (reads and writes go on; <https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html>,
/// <https://mariadb.com/kb/en/innodb-online-ddl-overview/>). A server that cannot make the
/// change that way refuses it at once (errors 1845/1846) instead of silently copying the table
/// under a lock; the statement then runs as written, and a note says that it blocked writes
/// and why. Other backends run the statement as it is. `Ok(true)` when it ran online.
pub async fn online<S>(manager: &SchemaManager<'_>, statement: S) -> Result<bool, DbErr>
where
    S: StatementBuilder,
{
    let backend = manager.get_database_backend();
    let connection = manager.get_connection();
    let plain = backend.build(&statement).to_string();
    if backend != DbBackend::MySql || crate::preview::previewing() {
        let sql = if backend == DbBackend::MySql {
            with_clauses(&plain, clauses(&plain)[0])
        } else {
            plain
        };
        connection
            .execute_raw(Statement::from_string(backend, sql))
            .await?;
        return Ok(backend == DbBackend::MySql);
    }
    let mut refused = Vec::new();
    for clause in clauses(&plain) {
        let sql = with_clauses(&plain, clause);
        match connection
            .execute_raw(Statement::from_string(backend, sql))
            .await
        {
            Ok(_) => return Ok(true),
            Err(err) if is_not_online(&err) => refused.push(err.to_string()),
            Err(err) => return Err(err),
        }
    }
    eprintln!(
        "tidemark: MySQL/MariaDB cannot run this change online ({}); it ran with the server's \
         default algorithm, which may copy the table and block writes while it does: {plain}",
        refused.join("; ")
    );
    connection
        .execute_raw(Statement::from_string(backend, plain))
        .await?;
    Ok(false)
}

/// The online clauses to try, best first.
fn clauses(sql: &str) -> &'static [&'static str] {
    if sql.starts_with("ALTER TABLE") && sql.contains(" ADD COLUMN ") {
        &["ALGORITHM=INSTANT", "ALGORITHM=INPLACE, LOCK=NONE"]
    } else {
        &["ALGORITHM=INPLACE, LOCK=NONE"]
    }
}

/// `ALTER TABLE` takes the clauses as more comma-separated alterations and `CREATE INDEX` as
/// trailing options. MariaDB's `DROP INDEX` takes none, so it becomes the equivalent
/// `ALTER TABLE ... DROP INDEX`.
fn with_clauses(sql: &str, clause: &str) -> String {
    if let Some(rest) = sql.strip_prefix("DROP INDEX ")
        && let Some((index, table)) = rest.split_once(" ON ")
    {
        return format!("ALTER TABLE {table} DROP INDEX {index}, {clause}");
    }
    if sql.starts_with("ALTER TABLE") {
        format!("{sql}, {clause}")
    } else {
        format!("{sql} {}", clause.replace(", ", " "))
    }
}

/// 1845 `ER_ALTER_OPERATION_NOT_SUPPORTED`, 1846 `..._REASON`: the algorithm or lock asked for
/// is not possible for this change.
fn is_not_online(err: &DbErr) -> bool {
    use sea_orm_migration::sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let sqlx::Error::Database(e) = e.as_ref() else {
        return false;
    };
    e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .is_some_and(|m| matches!(m.number(), 1845 | 1846))
}
