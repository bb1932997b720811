//! Foreign keys the database already has under another name.
//!
//! A database that adopted tidemark (`baseline`) was made by other migrations, which named
//! their keys their own way (`task_project_id_fkey`). When an entity then declares that
//! relation, the generated migration adds it under tidemark's name, and PostgreSQL and MySQL
//! both accept a second, identical key: every write is checked twice and the schema holds a
//! duplicate that `down` would not remove. [`add_foreign_key`] keeps the key the database has
//! when it is the same key (same columns, target and actions), refuses when it is the same
//! columns and target with other actions, and adds it otherwise; [`drop_foreign_key`] leaves
//! alone a key that is not there, which is what `down` of an adopted key meets.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// A foreign key as the catalog shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Existing {
    name: String,
    columns: Vec<String>,
    ref_table: String,
    ref_columns: Vec<String>,
    on_delete: String,
    on_update: String,
}

/// Adds `foreign_key` (plainly, or online on MySQL/MariaDB), unless its table has it already:
/// under its own name (a re-run after a failure) or as the same key under another name.
pub async fn add_foreign_key(
    manager: &SchemaManager<'_>,
    foreign_key: ForeignKeyCreateStatement,
) -> Result<(), DbErr> {
    if !needed(manager, &foreign_key).await? {
        return Ok(());
    }
    match manager.get_database_backend() {
        DbBackend::MySql => crate::mysql::online(manager, foreign_key).await.map(drop),
        _ => manager.create_foreign_key(foreign_key).await,
    }
}

/// Whether `foreign_key` still has to be added; `Err` when its table has a key over the same
/// columns and target whose actions differ (a second key would enforce both).
pub async fn needed(
    manager: &SchemaManager<'_>,
    foreign_key: &ForeignKeyCreateStatement,
) -> Result<bool, DbErr> {
    let backend = manager.get_database_backend();
    if crate::preview::previewing() || backend == DbBackend::Sqlite {
        return Ok(true);
    }
    let key = foreign_key.get_foreign_key();
    let (Some(table), Some(ref_table)) = (
        key.get_table().map(table_name),
        key.get_ref_table().map(table_name),
    ) else {
        return Ok(true);
    };
    let name = key.get_name().unwrap_or_default().to_owned();
    let wanted = Existing {
        name: name.clone(),
        columns: key.get_columns(),
        ref_table,
        ref_columns: key.get_ref_columns(),
        on_delete: action(key.get_on_delete()),
        on_update: action(key.get_on_update()),
    };
    let existing = foreign_keys(manager, &table).await?;
    if existing.iter().any(|k| k.name == name) {
        return Ok(false);
    }
    let same_target = |k: &&Existing| {
        k.columns == wanted.columns
            && k.ref_table == wanted.ref_table
            && k.ref_columns == wanted.ref_columns
    };
    let Some(other) = existing.iter().find(same_target) else {
        return Ok(true);
    };
    let (columns, parent) = (wanted.columns.join(", "), &wanted.ref_table);
    if other.on_delete == wanted.on_delete && other.on_update == wanted.on_update {
        eprintln!(
            "tidemark: `{table}` already has foreign key `{}` ({columns}) -> `{parent}`, the same \
             key as `{name}`: kept it instead of adding a second one",
            other.name
        );
        return Ok(false);
    }
    Err(DbErr::Migration(format!(
        "`{table}` already has foreign key `{}` ({columns}) -> `{parent}` with ON DELETE {} ON \
         UPDATE {}, and this migration adds `{name}` over the same columns with ON DELETE {} ON \
         UPDATE {}: both would be enforced. Drop `{}` first (or declare its actions on the \
         entity), then run the migration again",
        other.name,
        other.on_delete,
        other.on_update,
        wanted.on_delete,
        wanted.on_update,
        other.name
    )))
}

/// Drops foreign key `name` of `table` when it is there.
pub async fn drop_foreign_key(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    let present = crate::preview::previewing()
        || foreign_keys(manager, table)
            .await?
            .iter()
            .any(|k| k.name == name);
    if !present {
        eprintln!(
            "tidemark: `{table}` has no foreign key `{name}` to drop (the migration kept a key \
             the database already had): left as it is"
        );
        return Ok(());
    }
    manager
        .drop_foreign_key(
            ForeignKey::drop()
                .name(name)
                .table(Alias::new(table))
                .to_owned(),
        )
        .await
}

fn table_name(table: &TableRef) -> String {
    match table {
        TableRef::Table(name, _) => name.1.to_string(),
        other => format!("{other:?}"),
    }
}

/// An action as both catalogs spell it; RESTRICT and NO ACTION both refuse to orphan a row,
/// and an unspecified action is NO ACTION.
fn action(action: Option<ForeignKeyAction>) -> String {
    match action {
        Some(ForeignKeyAction::Cascade) => "CASCADE",
        Some(ForeignKeyAction::SetNull) => "SET NULL",
        Some(ForeignKeyAction::SetDefault) => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .to_owned()
}

fn catalog_action(spelled: &str) -> String {
    match spelled {
        "c" | "CASCADE" => "CASCADE",
        "n" | "SET NULL" => "SET NULL",
        "d" | "SET DEFAULT" => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .to_owned()
}

async fn foreign_keys(manager: &SchemaManager<'_>, table: &str) -> Result<Vec<Existing>, DbErr> {
    let backend = manager.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT c.conname::text, \
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.conkey) \
                 WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a \
                 ON a.attrelid = c.conrelid AND a.attnum = k.attnum), \
                r.relname::text, \
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.confkey) \
                 WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a \
                 ON a.attrelid = c.confrelid AND a.attnum = k.attnum), \
                c.confdeltype::text, c.confupdtype::text \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_class r ON r.oid = c.confrelid \
             WHERE c.contype = 'f' AND t.relname = $1 AND pg_table_is_visible(t.oid)"
        }
        DbBackend::MySql => {
            "SELECT k.CONSTRAINT_NAME, \
                GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ','), \
                MAX(k.REFERENCED_TABLE_NAME), \
                GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ','), \
                MAX(r.DELETE_RULE), MAX(r.UPDATE_RULE) \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
             ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
             AND r.TABLE_NAME = k.TABLE_NAME \
             WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? \
             AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             GROUP BY k.CONSTRAINT_NAME"
        }
        _ => return Ok(Vec::new()),
    };
    let rows = manager
        .get_connection()
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [table.into()]))
        .await?;
    let split = |s: String| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    rows.iter()
        .map(|row| {
            Ok(Existing {
                name: row.try_get_by_index(0)?,
                columns: split(row.try_get_by_index(1)?),
                ref_table: row.try_get_by_index(2)?,
                ref_columns: split(row.try_get_by_index(3)?),
                on_delete: catalog_action(&row.try_get_by_index::<String>(4)?),
                on_update: catalog_action(&row.try_get_by_index::<String>(5)?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restrict_and_no_action_are_one_action() {
        assert_eq!(action(Some(ForeignKeyAction::Restrict)), action(None));
        assert_eq!(catalog_action("r"), catalog_action("RESTRICT"));
        assert_eq!(
            catalog_action("a"),
            action(Some(ForeignKeyAction::NoAction))
        );
        assert_eq!(catalog_action("c"), action(Some(ForeignKeyAction::Cascade)));
        assert_eq!(
            catalog_action("SET NULL"),
            action(Some(ForeignKeyAction::SetNull))
        );
    }
}
