//! SQLite's table rebuild, for the schema changes its `ALTER TABLE` cannot make.
//!
//! SQLite cannot change a column's type, nullability or default, add or drop a foreign key on
//! an existing table, or drop a column that an index or constraint uses. The documented
//! remedy (<https://www.sqlite.org/lang_altertable.html#otheralter>) is to create the table
//! anew under another name, copy the rows, drop the old table, rename the new one and
//! re-create its indexes. Generated migrations run in a transaction, so a failure at any
//! point (a NULL where NOT NULL is coming, an orphan row under a new foreign key) rolls the
//! whole migration back and leaves no temporary table behind.

#[cfg(feature = "sqlite")]
mod definition;
#[cfg(feature = "sqlite")]
mod live;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

pub use crate::names::REBUILD_PREFIX;

/// Rebuilds `table` (named by the statement) with the definition `table` gives, keeping its
/// rows.
///
/// Columns present in both the old and the new definition are copied; a column in
/// `backfills` is filled from its SQL expression over the old row instead; any other new
/// column takes its default. `indexes` are the table's indexes after the rebuild (the old
/// ones go with the old table).
pub async fn rebuild_table(
    manager: &SchemaManager<'_>,
    table: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
    backfills: Vec<(&str, &str)>,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend != DbBackend::Sqlite {
        return Err(DbErr::Migration(format!(
            "rebuild_table is SQLite's substitute for ALTER TABLE and cannot run on {backend:?}"
        )));
    }
    let name = table_name(&table)?;
    let scratch = format!("{REBUILD_PREFIX}{name}");
    let fail = |what: &str, err: DbErr| {
        DbErr::Migration(format!("rebuilding SQLite table `{name}`: {what}: {err}"))
    };

    refuse_cascading_drop(manager, &name).await?;
    let old_columns = column_names(manager, &name).await?;

    let mut scratch_table = table.clone();
    scratch_table.table(Alias::new(&scratch));
    create_table(manager, scratch_table)
        .await
        .map_err(|e| fail("creating the new table", e))?;

    let mut targets: Vec<Alias> = Vec::new();
    let mut sources: Vec<Expr> = Vec::new();
    for column in table.get_columns() {
        let column = column.get_column_name();
        if let Some((_, sql)) = backfills.iter().find(|(c, _)| *c == column) {
            targets.push(Alias::new(&column));
            sources.push(Expr::cust(String::from(*sql)));
        } else if old_columns.contains(&column) {
            targets.push(Alias::new(&column));
            sources.push(Expr::col(Alias::new(&column)));
        }
    }
    if crate::preview::previewing() {
        // Which columns are copied depends on the live table, which a preview does not have.
        let note = format!(
            "-- copy the rows: INSERT INTO \"{scratch}\" (...) SELECT ... FROM \"{name}\", \
             for the columns both definitions share{}",
            backfills
                .iter()
                .map(|(column, sql)| format!(", filling \"{column}\" with {sql}"))
                .collect::<String>()
        );
        manager
            .get_connection()
            .execute_raw(Statement::from_string(DbBackend::Sqlite, note))
            .await?;
    } else if !targets.is_empty() {
        let copy = Query::insert()
            .into_table(Alias::new(&scratch))
            .columns(targets)
            .select_from(
                Query::select()
                    .exprs(sources)
                    .from(Alias::new(&name))
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(format!("rebuilding `{name}`: {e}")))?
            .to_owned();
        manager.exec_stmt(copy).await.map_err(|e| {
            fail(
                "copying the rows into the new definition failed (do existing rows violate it?)",
                e,
            )
        })?;
    }

    replace_with_scratch(manager, &name, &scratch).await?;
    for index in indexes {
        manager
            .create_index(index)
            .await
            .map_err(|e| fail("re-creating an index", e))?;
    }
    check_foreign_keys(manager, &name).await
}

/// Drops `table` and renames `scratch`, which holds its rows in their new definition, into
/// its place.
async fn replace_with_scratch(
    manager: &SchemaManager<'_>,
    table: &str,
    scratch: &str,
) -> Result<(), DbErr> {
    let fail = |what: &str, err: DbErr| {
        DbErr::Migration(format!("rebuilding SQLite table `{table}`: {what}: {err}"))
    };
    manager
        .drop_table(Table::drop().table(Alias::new(table)).to_owned())
        .await
        .map_err(|e| fail("dropping the old table", e))?;
    // Between the drop and the rename a view of the table (a phased rename's compatibility
    // view) names a table that is not there, and SQLite's checked rename refuses to run
    // (`error in view ...`). The legacy rename does not check views; they name the table by
    // its name, which is right again once the rename is done.
    let legacy = |on: bool| {
        Statement::from_string(
            DbBackend::Sqlite,
            format!(
                "PRAGMA legacy_alter_table = {}",
                if on { "ON" } else { "OFF" }
            ),
        )
    };
    manager.get_connection().execute_raw(legacy(true)).await?;
    let renamed = manager
        .rename_table(
            Table::rename()
                .table(Alias::new(scratch), Alias::new(table))
                .to_owned(),
        )
        .await;
    manager.get_connection().execute_raw(legacy(false)).await?;
    renamed.map_err(|e| fail("renaming the new table into place", e))
}

/// What [`rebuild_live`] changes in a table's definition.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))] // read by the rebuild, which needs it
pub(crate) enum Edit {
    /// The column (named by the definition) takes this definition.
    Column(Box<ColumnDef>),
    AddForeignKey(Box<ForeignKeyCreateStatement>),
    /// Drops the table constraint of this name.
    DropForeignKey(String),
}

/// Rebuilds `table` from the definition the database holds with `edit` made, keeping its rows,
/// indexes and triggers; does nothing when the table has the edit already.
#[cfg(feature = "sqlite")]
pub(crate) use live::rebuild_live;

#[cfg(not(feature = "sqlite"))]
pub(crate) async fn rebuild_live(
    _manager: &SchemaManager<'_>,
    table: &str,
    _edit: Edit,
) -> Result<(), DbErr> {
    Err(DbErr::Migration(format!(
        "rebuilding SQLite table `{table}` needs tidemark-runtime's `sqlite` feature"
    )))
}

/// Creates `table` with its foreign keys named (`CONSTRAINT name FOREIGN KEY`), which sea-query
/// leaves out on SQLite, so that [`Edit::DropForeignKey`] finds them by name later.
pub(crate) async fn create_table(
    manager: &SchemaManager<'_>,
    table: TableCreateStatement,
) -> Result<(), DbErr> {
    #[cfg(feature = "sqlite")]
    {
        let sql = live::create_table_sql(&table, &table_name(&table)?)?;
        manager
            .get_connection()
            .execute_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .map(|_| ())
    }
    #[cfg(not(feature = "sqlite"))]
    manager.create_table(table).await
}

fn table_name(table: &TableCreateStatement) -> Result<String, DbErr> {
    match table.get_table_name() {
        Some(TableRef::Table(name, _)) => Ok(name.1.to_string()),
        _ => Err(DbErr::Migration(
            "rebuild_table needs a table statement with a plain table name".to_owned(),
        )),
    }
}

async fn query_strings(
    manager: &SchemaManager<'_>,
    sql: &str,
    values: Vec<sea_orm_migration::sea_orm::Value>,
) -> Result<Vec<String>, DbErr> {
    let rows = manager
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect()
}

async fn column_names(manager: &SchemaManager<'_>, table: &str) -> Result<Vec<String>, DbErr> {
    query_strings(
        manager,
        "SELECT name FROM pragma_table_info(?)",
        vec![table.into()],
    )
    .await
}

/// With enforcement on, dropping a referenced table would cascade into its children: refuse
/// rather than lose their rows.
async fn refuse_cascading_drop(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let enforced = query_strings(
        manager,
        "SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys",
        vec![],
    )
    .await?
    .first()
    .is_some_and(|v| v == "1");
    if !enforced {
        return Ok(());
    }
    let children = query_strings(
        manager,
        "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND f.\"table\" = ? AND m.name <> ?",
        vec![table.into(), table.into()],
    )
    .await?;
    if children.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "rebuilding SQLite table `{table}` needs foreign key enforcement off: with it on, \
         dropping the old table would cascade into {}. Run migrations through the migration \
         crate's binary (it connects with foreign_keys=OFF), or connect with \
         `tidemark_runtime::connect`.",
        children.join(", ")
    )))
}

async fn check_foreign_keys(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let violations = query_strings(
        manager,
        "SELECT \"table\" || ' row ' || CAST(rowid AS TEXT) || ' -> ' || parent FROM pragma_foreign_key_check(?)",
        vec![table.into()],
    )
    .await?;
    if violations.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = violations.iter().take(5).map(String::as_str).collect();
    Err(DbErr::Migration(format!(
        "rebuilding SQLite table `{table}`: {} row(s) break a foreign key ({}{}); \
         delete or fix those rows first, then run the migration again",
        violations.len(),
        shown.join(", "),
        if violations.len() > shown.len() {
            ", ..."
        } else {
            ""
        }
    )))
}
