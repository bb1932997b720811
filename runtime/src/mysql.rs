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
    // A re-run after a failure finds the key gone already.
    if crate::resume::needed(manager, crate::resume::Leaves::NoForeignKey(table, name)).await? {
        online(
            manager,
            ForeignKey::drop()
                .name(name)
                .table(Alias::new(table))
                .to_owned(),
        )
        .await?;
    }
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
        online(
            manager,
            Index::drop().name(name).table(Alias::new(table)).to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// Gives foreign key `key` (over `columns` of `table`) an index of its own before the index
/// `dropping` goes, when no other index starts with those columns.
///
/// InnoDB lets a foreign key use any index that starts with its columns, and silently drops the
/// index it made for the key once another can serve (a composite unique key over the same first
/// column, say). Dropping that other index then fails with error 1553 ("needed in a foreign key
/// constraint"), half-way through a migration. The index is named after the key, as the one
/// InnoDB makes, and goes with the key ([`drop_foreign_key`]).
pub async fn keep_key_index(
    manager: &SchemaManager<'_>,
    table: &str,
    key: &str,
    columns: &[&str],
    dropping: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::MySql || crate::preview::previewing() {
        return Ok(());
    }
    let rows = manager
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            [table.into()],
        ))
        .await?;
    let mut indexes: Vec<(String, Vec<String>)> = Vec::new();
    for row in rows {
        let index: String = row.try_get_by_index(0)?;
        let column: String = row.try_get_by_index(1)?;
        match indexes.last_mut() {
            Some((name, cols)) if *name == index => cols.push(column),
            _ => indexes.push((index, vec![column])),
        }
    }
    let served = indexes.iter().any(|(name, cols)| {
        name != dropping
            && cols.len() >= columns.len()
            && cols.iter().zip(columns).all(|(a, b)| a == b)
    });
    if served {
        return Ok(());
    }
    let mut index = Index::create();
    index.name(key).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    online(manager, index.to_owned()).await.map(|_| ())
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
    let plain = manager.get_database_backend().build(&statement).to_string();
    online_sql(manager, &plain).await
}

/// [`online`] for a statement written as SQL (an `ALTER TABLE` with several alterations).
pub async fn online_sql(manager: &SchemaManager<'_>, plain: &str) -> Result<bool, DbErr> {
    let backend = manager.get_database_backend();
    let connection = manager.get_connection();
    let plain = plain.to_owned();
    if backend != DbBackend::MySql || crate::preview::previewing() {
        let sql = if backend == DbBackend::MySql {
            statement_sql(&plain, Some(clauses(&plain)[0]), false)
        } else {
            plain
        };
        connection
            .execute_raw(Statement::from_string(backend, sql))
            .await?;
        return Ok(backend == DbBackend::MySql);
    }
    let nowait = is_mariadb(manager).await?;
    let mut refused = Vec::new();
    for clause in clauses(&plain) {
        match run_bounded(manager, &statement_sql(&plain, Some(clause), nowait)).await {
            Ok(()) => return Ok(true),
            Err(err) if is_not_online(&err) => refused.push(err.to_string()),
            Err(err) => return Err(err),
        }
    }
    eprintln!(
        "tidemark: MySQL/MariaDB cannot run this change online ({}); it ran with the server's \
         default algorithm, which may copy the table and block writes while it does: {plain}",
        refused.join("; ")
    );
    run_bounded(manager, &statement_sql(&plain, None, nowait)).await?;
    Ok(false)
}

async fn is_mariadb(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    let row = manager
        .get_connection()
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            "SELECT VERSION()".to_owned(),
        ))
        .await?;
    Ok(row
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .is_some_and(|v| v.contains("MariaDB")))
}

/// Runs `sql`; on MariaDB it carries `NOWAIT`, so a busy metadata lock fails it at once
/// instead of queueing every query behind it, and it is retried with backoff like
/// [`crate::locked`] does on PostgreSQL. MySQL has no `NOWAIT` for DDL: there the statement
/// waits as the server's `lock_wait_timeout` allows.
async fn run_bounded(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let policy = crate::lock::LockPolicy::from_env();
    let mut retry = 0;
    loop {
        let outcome = manager
            .get_connection()
            .execute_raw(Statement::from_string(DbBackend::MySql, sql.to_owned()))
            .await;
        match outcome {
            Ok(_) => return Ok(()),
            Err(err) if crate::lock::is_lock_timeout(&err) && retry < policy.retries => {
                retry += 1;
                crate::lock::note_retry(&policy, retry, &err).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// The online clauses to try, best first.
fn clauses(sql: &str) -> &'static [&'static str] {
    if sql.starts_with("ALTER TABLE") && sql.contains(" ADD COLUMN ") {
        &["ALGORITHM=INSTANT", "ALGORITHM=INPLACE, LOCK=NONE"]
    } else {
        &["ALGORITHM=INPLACE, LOCK=NONE"]
    }
}

/// `plain` with the online `clause` and MariaDB's `NOWAIT`. `ALTER TABLE` takes the clauses
/// as more comma-separated alterations and `NOWAIT` after the table name; `CREATE INDEX` takes
/// both after the column list. MariaDB's `DROP INDEX` takes no algorithm, so it becomes the
/// equivalent `ALTER TABLE ... DROP INDEX`.
fn statement_sql(plain: &str, clause: Option<&str>, nowait: bool) -> String {
    let plain = match plain
        .strip_prefix("DROP INDEX ")
        .and_then(|rest| rest.split_once(" ON "))
    {
        Some((index, table)) => format!("ALTER TABLE {table} DROP INDEX {index}"),
        None => plain.to_owned(),
    };
    if let Some(rest) = plain.strip_prefix("ALTER TABLE ") {
        // The table name is the first identifier: `name` (backticks doubled inside).
        let end = rest
            .char_indices()
            .skip(1)
            .find(|&(i, c)| {
                c == '`' && !rest[i + 1..].starts_with('`') && !rest[..i].ends_with('`')
            })
            .map_or(0, |(i, _)| i + 1);
        let (table, alterations) = rest.split_at(end);
        let wait = if nowait { " NOWAIT" } else { "" };
        let clause = clause.map_or(String::new(), |c| format!(", {c}"));
        return format!("ALTER TABLE {table}{wait}{alterations}{clause}");
    }
    let mut sql = plain;
    if nowait {
        sql.push_str(" NOWAIT");
    }
    if let Some(clause) = clause {
        sql.push(' ');
        sql.push_str(&clause.replace(", ", " "));
    }
    sql
}

/// 1845 `ER_ALTER_OPERATION_NOT_SUPPORTED`, 1846 `..._REASON`: the algorithm or lock asked for
/// is not possible for this change.
fn is_not_online(err: &DbErr) -> bool {
    matches!(error_number(err), Some(1845 | 1846))
}

/// The MySQL/MariaDB error number of `err`, when the server sent one (MySQL's SQLSTATE is
/// `HY000` for most errors: the number is what tells them apart).
#[cfg(feature = "mysql")]
pub(crate) fn error_number(err: &DbErr) -> Option<u16> {
    use sea_orm_migration::sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return None;
    };
    let sqlx::Error::Database(e) = e.as_ref() else {
        return None;
    };
    e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(|m| m.number())
}

/// Built without the MySQL driver, no error comes from MySQL.
#[cfg(not(feature = "mysql"))]
pub(crate) fn error_number(_err: &DbErr) -> Option<u16> {
    None
}

#[cfg(test)]
mod tests {
    use super::statement_sql;

    #[test]
    fn online_clauses_go_where_mariadb_takes_them() {
        assert_eq!(
            statement_sql(
                "ALTER TABLE `item` ADD COLUMN `n` int",
                Some("ALGORITHM=INSTANT"),
                true
            ),
            "ALTER TABLE `item` NOWAIT ADD COLUMN `n` int, ALGORITHM=INSTANT"
        );
        assert_eq!(
            statement_sql(
                "DROP INDEX `ix` ON `item`",
                Some("ALGORITHM=INPLACE, LOCK=NONE"),
                false
            ),
            "ALTER TABLE `item` DROP INDEX `ix`, ALGORITHM=INPLACE, LOCK=NONE"
        );
        assert_eq!(
            statement_sql(
                "CREATE INDEX `ix` ON `item` (`n`)",
                Some("ALGORITHM=INPLACE, LOCK=NONE"),
                true
            ),
            "CREATE INDEX `ix` ON `item` (`n`) NOWAIT ALGORITHM=INPLACE LOCK=NONE"
        );
        assert_eq!(
            statement_sql("ALTER TABLE `a``b` DROP COLUMN `c`", None, true),
            "ALTER TABLE `a``b` NOWAIT DROP COLUMN `c`"
        );
    }
}
