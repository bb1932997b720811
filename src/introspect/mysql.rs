//! MySQL and MariaDB: the current database's tables, read from `information_schema`.

use super::{MIGRATOR_TABLES, Query};
use crate::error::Result;
use crate::extract::classify_default_sql;
use crate::model::{Column, ColumnType, ForeignKey, Index, Schema, Table};
use sea_orm::DatabaseConnection;

/// Reads the current database (`DATABASE()`).
pub async fn mysql(db: &DatabaseConnection) -> Result<Schema> {
    let q = Query {
        db,
        namespace: None,
    };
    let mut schema = Schema::default();
    let tables = q
        .rows(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(TABLE_COMMENT AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            vec![],
        )
        .await?;
    for row in tables {
        let name: String = q.get(&row, 0)?;
        if MIGRATOR_TABLES.contains(&name.as_str()) {
            continue;
        }
        let comment: String = q.get(&row, 1)?;
        let table = table(&q, &name, comment).await?;
        schema.tables.insert(name, table);
    }
    for row in q
        .rows(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(VIEW_DEFINITION AS CHAR) FROM information_schema.VIEWS \
             WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
            vec![],
        )
        .await?
    {
        let definition: String = q.get(&row, 1)?;
        let Some(table) = whole_table_view(&definition) else {
            continue;
        };
        let shows_every_column = schema.tables.get(&table).is_some_and(|t| {
            t.columns.iter().all(|c| {
                definition.contains(&format!("`{table}`.`{0}` AS `{0}`", c.name))
            })
        });
        if shows_every_column {
            schema.views.insert(q.get(&row, 0)?, table);
        }
    }
    Ok(schema)
}

/// The table a view reads unfiltered: MySQL stores `SELECT * FROM t` expanded, as
/// ``select `db`.`t`.`id` AS `id`,... from `db`.`t` ``. The application's views that join or
/// filter, or that leave columns out, are not tidemark's compatibility views.
fn whole_table_view(definition: &str) -> Option<String> {
    let (_, source) = definition.rsplit_once(" from ")?;
    let (_, table) = source.strip_prefix('`')?.split_once("`.`")?;
    let table = table.strip_suffix('`')?;
    (!table.contains('`')).then(|| table.to_owned())
}

async fn table(q: &Query<'_>, name: &str, comment: String) -> Result<Table> {
    let mut table = Table {
        name: name.to_owned(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Default::default(),
        foreign_keys: Default::default(),
        comment: (!comment.is_empty()).then_some(comment),
        shadow_columns: Default::default(),
        conversions: Default::default(),
    };
    for row in q
        .rows(
            "SELECT CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), \
             CAST(COLUMN_DEFAULT AS CHAR), CAST(EXTRA AS CHAR), CAST(COLUMN_COMMENT AS CHAR) \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
             ORDER BY ORDINAL_POSITION",
            vec![name.into()],
        )
        .await?
    {
        let column: String = q.get(&row, 0)?;
        let ty: String = q.get(&row, 1)?;
        let nullable: String = q.get(&row, 2)?;
        let default: Option<String> = q.get(&row, 3)?;
        let extra: String = q.get(&row, 4)?;
        let comment: String = q.get(&row, 5)?;
        table.columns.push(Column {
            name: column,
            ty: ColumnType::Custom(ty),
            nullable: nullable == "YES",
            default: default.as_deref().map(classify_default_sql),
            auto_increment: extra.to_ascii_lowercase().contains("auto_increment"),
            unique: false,
            comment: (!comment.is_empty()).then_some(comment),
        });
    }

    let mut indexes: std::collections::BTreeMap<String, Index> = Default::default();
    for row in q
        .rows(
            "SELECT CAST(INDEX_NAME AS CHAR), NON_UNIQUE, CAST(COLUMN_NAME AS CHAR) FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            vec![name.into()],
        )
        .await?
    {
        let index: String = q.get(&row, 0)?;
        let non_unique: i64 = q.get(&row, 1)?;
        let column: String = q.get(&row, 2)?;
        indexes
            .entry(index.clone())
            .or_insert_with(|| Index { name: index, columns: Vec::new(), unique: non_unique == 0 })
            .columns
            .push(column);
    }
    for (index_name, index) in indexes {
        if index_name == "PRIMARY" {
            table.primary_key = index.columns;
        } else if index.unique && index.columns.len() == 1 && index.columns[0] == index_name {
            // An inline UNIQUE: MySQL names its index after the column.
            if let Some(c) = table.columns.iter_mut().find(|c| c.name == index_name) {
                c.unique = true;
            }
        } else {
            table.indexes.insert(index_name, index);
        }
    }

    let mut fks: std::collections::BTreeMap<String, ForeignKey> = Default::default();
    for row in q
        .rows(
            "SELECT CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), CAST(k.REFERENCED_TABLE_NAME AS CHAR), \
             CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.UPDATE_RULE AS CHAR), CAST(r.DELETE_RULE AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
               ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
             WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            vec![name.into()],
        )
        .await?
    {
        let constraint: String = q.get(&row, 0)?;
        let column: String = q.get(&row, 1)?;
        let ref_table: String = q.get(&row, 2)?;
        let ref_column: String = q.get(&row, 3)?;
        let on_update: String = q.get(&row, 4)?;
        let on_delete: String = q.get(&row, 5)?;
        let fk = fks.entry(constraint.clone()).or_insert_with(|| ForeignKey {
            name: constraint,
            columns: Vec::new(),
            ref_table,
            ref_columns: Vec::new(),
            on_delete: super::sqlite::parse_action(&on_delete),
            on_update: super::sqlite::parse_action(&on_update),
        });
        fk.columns.push(column);
        fk.ref_columns.push(ref_column);
    }
    table.foreign_keys = fks;
    Ok(table)
}
