//! A table rebuild from the definition the database holds, with one change made: how SQLite
//! changes a column's definition or a foreign key of a table that already has rows. Every
//! other column, constraint, index and trigger is kept as the database has it, so a migration
//! states only the change, not the whole table.

use super::definition::Definition;
use super::{Edit, REBUILD_PREFIX, check_foreign_keys, query_strings, refuse_cascading_drop};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub(crate) async fn rebuild_live(
    manager: &SchemaManager<'_>,
    table: &str,
    edit: Edit,
) -> Result<(), DbErr> {
    let fail = |what: String| {
        DbErr::Migration(format!(
            "rebuilding SQLite table `{table}` to {}: {what}",
            describe(&edit)
        ))
    };
    if crate::preview::previewing() {
        return preview(manager, table, &edit).await;
    }
    let sql = query_strings(
        manager,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
        vec![table.into()],
    )
    .await?
    .into_iter()
    .next()
    .ok_or_else(|| fail("the database has no such table".to_owned()))?;
    let mut definition = Definition::parse(&sql).map_err(fail)?;
    if !edited(manager, table, &mut definition, &edit)
        .await
        .map_err(fail)?
    {
        return Ok(());
    }

    refuse_cascading_drop(manager, table).await?;
    // The old table's indexes and triggers go with it; each is made again from its own SQL.
    // Indexes that back a UNIQUE or PRIMARY KEY constraint have none: the new definition
    // makes them.
    let dependents = query_strings(
        manager,
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') \
         AND sql IS NOT NULL ORDER BY type, name",
        vec![table.into()],
    )
    .await?;
    let columns = query_strings(
        manager,
        "SELECT name FROM pragma_table_info(?)",
        vec![table.into()],
    )
    .await?;

    let scratch = format!("{REBUILD_PREFIX}{table}");
    execute(manager, definition.create_sql(&scratch))
        .await
        .map_err(|e| fail(format!("creating the new table: {e}")))?;
    let columns: Vec<String> = columns
        .iter()
        .map(|c| crate::raw::quote(DbBackend::Sqlite, c))
        .collect();
    let copy = format!(
        "INSERT INTO {} ({list}) SELECT {list} FROM {}",
        crate::raw::quote(DbBackend::Sqlite, &scratch),
        crate::raw::quote(DbBackend::Sqlite, table),
        list = columns.join(", ")
    );
    execute(manager, copy).await.map_err(|e| {
        fail(format!(
            "copying the rows failed (do existing rows break the new definition?): {e}"
        ))
    })?;
    super::replace_with_scratch(manager, table, &scratch).await?;
    for sql in dependents {
        execute(manager, sql)
            .await
            .map_err(|e| fail(format!("re-creating an index or trigger: {e}")))?;
    }
    check_foreign_keys(manager, table).await
}

/// The rebuild as a preview shows it: a preview has no table to read, so the statements that
/// depend on the live definition say what they hold, and the rest are the ones that run. Lint
/// and preflight read them as they read any rebuild: a scratch table created, the old table
/// dropped and the scratch renamed into its place.
async fn preview(manager: &SchemaManager<'_>, table: &str, edit: &Edit) -> Result<(), DbErr> {
    let quoted = crate::raw::quote(DbBackend::Sqlite, table);
    let scratch = format!("{REBUILD_PREFIX}{table}");
    let quoted_scratch = crate::raw::quote(DbBackend::Sqlite, &scratch);
    execute(
        manager,
        format!(
            "CREATE TABLE {quoted_scratch} (/* the definition of {quoted} in the database, to {} */)",
            describe(edit)
        ),
    )
    .await?;
    execute(
        manager,
        format!("INSERT INTO {quoted_scratch} SELECT /* every column */ FROM {quoted}"),
    )
    .await?;
    super::replace_with_scratch(manager, table, &scratch).await?;
    execute(
        manager,
        format!("-- re-create the indexes and triggers of {quoted} from their SQL in the database"),
    )
    .await
}

/// Makes `edit` in `definition`; `false` when the table has it already.
async fn edited(
    manager: &SchemaManager<'_>,
    table: &str,
    definition: &mut Definition,
    edit: &Edit,
) -> Result<bool, String> {
    match edit {
        Edit::Column(column) => {
            let name = column.get_column_name();
            let text = column_sql(column);
            if definition.column(&name) == Some(text.as_str()) {
                return Ok(false);
            }
            definition.replace_column(&name, text)?;
        }
        Edit::AddForeignKey(foreign_key) => {
            let key = foreign_key.get_foreign_key();
            let name = key.get_name().unwrap_or_default();
            if definition.has_constraint(name)
                || has_foreign_key(manager, table, foreign_key)
                    .await
                    .map_err(|e| e.to_string())?
            {
                return Ok(false);
            }
            definition.add_constraint(foreign_key_sql(foreign_key), Some(name));
        }
        Edit::DropForeignKey(name) => {
            if !definition.remove_constraint(name) {
                if definition.unnamed_foreign_keys() == 0 {
                    return Ok(false);
                }
                return Err(format!(
                    "the table has no constraint named `{name}`, and SQLite keeps no names for \
                     its {} foreign key(s) declared without one, so tidemark cannot tell which \
                     is meant; rebuild the table with `Change::rebuild_table` and the \
                     definition it should have",
                    definition.unnamed_foreign_keys()
                ));
            }
        }
    }
    Ok(true)
}

/// Whether `table` has a foreign key from the same columns to the same parent columns, named
/// or not (SQLite keeps no names for keys declared without `CONSTRAINT`).
async fn has_foreign_key(
    manager: &SchemaManager<'_>,
    table: &str,
    foreign_key: &ForeignKeyCreateStatement,
) -> Result<bool, DbErr> {
    let key = foreign_key.get_foreign_key();
    let parent = key
        .get_ref_table()
        .map(|t| match t {
            TableRef::Table(name, _) => name.1.to_string(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default();
    let wanted = format!(
        "{}->{parent}({})",
        key.get_columns().join(","),
        key.get_ref_columns().join(",")
    );
    let existing = query_strings(
        manager,
        "SELECT group_concat(\"from\", ',') || '->' || \"table\" || '(' || group_concat(\"to\", ',') || ')' \
         FROM (SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq) GROUP BY id",
        vec![table.into()],
    )
    .await?;
    Ok(existing.iter().any(|k| k.eq_ignore_ascii_case(&wanted)))
}

/// The `CREATE TABLE` of `table` with its foreign keys named (`CONSTRAINT name FOREIGN KEY`),
/// which sea-query leaves out on SQLite: a later [`Edit::DropForeignKey`] finds them by name.
pub(crate) fn create_table_sql(table: &TableCreateStatement, name: &str) -> Result<String, DbErr> {
    let sql = table.to_string(SqliteQueryBuilder);
    let mut definition = Definition::parse(&sql)
        .map_err(|e| DbErr::Migration(format!("creating SQLite table `{name}`: {e}")))?;
    let names: Vec<String> = table
        .get_foreign_key_create_stmts()
        .iter()
        .map(|k| {
            k.get_foreign_key()
                .get_name()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    if names.iter().any(String::is_empty) {
        return Ok(sql);
    }
    definition.name_foreign_keys(names.iter().map(String::as_str));
    let create = definition.create_sql(name);
    Ok(if sql.starts_with("CREATE TABLE IF NOT EXISTS ") {
        create.replacen("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
    } else {
        create
    })
}

/// `column`'s definition as SQLite's `CREATE TABLE` spells it.
pub(crate) fn column_sql(column: &ColumnDef) -> String {
    let sql = Table::create()
        .table("t")
        .col(column.clone())
        .to_string(SqliteQueryBuilder);
    inside_parentheses(&sql).to_owned()
}

/// `CONSTRAINT "name" FOREIGN KEY (...) REFERENCES ...` as SQLite's `CREATE TABLE` spells it.
pub(crate) fn foreign_key_sql(foreign_key: &ForeignKeyCreateStatement) -> String {
    let sql = Table::create()
        .table("t")
        .col(ColumnDef::new("c").integer())
        .foreign_key(&mut foreign_key.clone())
        .to_string(SqliteQueryBuilder);
    let inside = inside_parentheses(&sql);
    let clause = &inside[inside.find("FOREIGN KEY").unwrap_or(0)..];
    match foreign_key.get_foreign_key().get_name() {
        Some(name) => format!(
            "CONSTRAINT {} {clause}",
            crate::raw::quote(DbBackend::Sqlite, name)
        ),
        None => clause.to_owned(),
    }
}

fn inside_parentheses(sql: &str) -> &str {
    let start = sql.find(" ( ").map_or(0, |i| i + 3);
    let end = sql.rfind(" )").unwrap_or(sql.len());
    &sql[start..end.max(start)]
}

fn describe(edit: &Edit) -> String {
    match edit {
        Edit::Column(column) => format!("redefine a column as {}", column_sql(column)),
        Edit::AddForeignKey(foreign_key) => format!("add {}", foreign_key_sql(foreign_key)),
        Edit::DropForeignKey(name) => format!(
            "drop constraint {}",
            crate::raw::quote(DbBackend::Sqlite, name)
        ),
    }
}

async fn execute(manager: &SchemaManager<'_>, sql: String) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_a_column_and_a_named_foreign_key_as_sqlite_does() {
        assert_eq!(
            column_sql(
                ColumnDef::new("status")
                    .string()
                    .not_null()
                    .default("active")
            ),
            "\"status\" varchar NOT NULL DEFAULT 'active'"
        );
        assert_eq!(
            foreign_key_sql(
                ForeignKey::create()
                    .name("fk-post-author")
                    .from("post", "author_id")
                    .to("user", "id")
                    .on_delete(ForeignKeyAction::Cascade)
            ),
            "CONSTRAINT \"fk-post-author\" FOREIGN KEY (\"author_id\") REFERENCES \"user\" (\"id\") ON DELETE CASCADE"
        );
    }
}
