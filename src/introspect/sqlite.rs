//! SQLite: the declared schema, read through its PRAGMA table-valued functions.

use super::{MIGRATOR_TABLES, Query, sqlite_fk_name};
use crate::error::Result;
use crate::extract::classify_default_sql;
use crate::model::{Column, ColumnType, ForeignKey, ForeignKeyAction, Index, Schema, Table};
use sea_orm::DatabaseConnection;

/// Reads a SQLite database's schema.
pub async fn sqlite(db: &DatabaseConnection) -> Result<Schema> {
    let q = Query {
        db,
        namespace: None,
    };
    let mut schema = Schema::default();
    let tables = q
        .rows(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            vec![],
        )
        .await?;
    for row in tables {
        let name: String = q.get(&row, 0)?;
        if MIGRATOR_TABLES.contains(&name.as_str()) {
            continue;
        }
        let sql: String = q.get(&row, 1)?;
        let table = sqlite_table(&q, &name, &sql).await?;
        schema.tables.insert(name, table);
    }
    let views = q
        .rows(
            "SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name",
            vec![],
        )
        .await?;
    for row in views {
        let name: String = q.get(&row, 0)?;
        let sql: String = q.get(&row, 1)?;
        if let Some(table) = compatibility_view_table(&name, &sql) {
            schema.views.insert(name, table);
        }
    }
    Ok(schema)
}

/// The table of a view as `create_view` in runtime/src/view.rs writes it
/// (`CREATE VIEW "v" AS SELECT * FROM "t"`); none for any other view.
fn compatibility_view_table(name: &str, sql: &str) -> Option<String> {
    let quote = |n: &str| crate::backend::Backend::Sqlite.quote(n);
    let table = sql
        .strip_prefix(&format!("CREATE VIEW {} AS SELECT * FROM \"", quote(name)))?
        .strip_suffix('"')?;
    Some(table.replace("\"\"", "\""))
}

async fn sqlite_table(q: &Query<'_>, name: &str, create_sql: &str) -> Result<Table> {
    let mut table = Table {
        name: name.to_owned(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Default::default(),
        foreign_keys: Default::default(),
        comment: None,
        shadow_columns: Default::default(),
        conversions: Default::default(),
    };
    let autoincrement = create_sql.to_ascii_uppercase().contains("AUTOINCREMENT");
    let mut pk: Vec<(i64, String)> = Vec::new();
    for row in q
        .rows(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
            vec![name.into()],
        )
        .await?
    {
        let column: String = q.get(&row, 0)?;
        let declared: String = q.get(&row, 1)?;
        let not_null: i64 = q.get(&row, 2)?;
        let default: Option<String> = q.get(&row, 3)?;
        let pk_index: i64 = q.get(&row, 4)?;
        if pk_index > 0 {
            pk.push((pk_index, column.clone()));
        }
        table.columns.push(Column {
            name: column,
            ty: parse_sqlite_type(&declared),
            nullable: not_null == 0,
            default: default.as_deref().map(classify_default_sql),
            auto_increment: false,
            unique: false,
            comment: None,
        });
    }
    pk.sort();
    table.primary_key = pk.into_iter().map(|(_, c)| c).collect();
    if autoincrement && let [only] = table.primary_key.as_slice() {
        let only = only.clone();
        if let Some(c) = table.columns.iter_mut().find(|c| c.name == only) {
            c.auto_increment = true;
        }
    }

    for row in q
        .rows(
            "SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY name",
            vec![name.into()],
        )
        .await?
    {
        let index: String = q.get(&row, 0)?;
        let unique: i64 = q.get(&row, 1)?;
        let origin: String = q.get(&row, 2)?;
        let mut columns = Vec::new();
        for col in q
            .rows(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                vec![index.clone().into()],
            )
            .await?
        {
            columns.push(q.get::<String>(&col, 0)?);
        }
        match origin.as_str() {
            "pk" => {}
            // An inline UNIQUE on one column: SQLite's automatic index.
            "u" if columns.len() == 1 => {
                if let Some(c) = table.columns.iter_mut().find(|c| c.name == columns[0]) {
                    c.unique = true;
                }
            }
            _ => {
                table.indexes.insert(
                    index.clone(),
                    Index {
                        name: index,
                        columns,
                        unique: unique == 1,
                    },
                );
            }
        }
    }

    let mut fks: std::collections::BTreeMap<i64, ForeignKey> = Default::default();
    for row in q
        .rows(
            "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            vec![name.into()],
        )
        .await?
    {
        let id: i64 = q.get(&row, 0)?;
        let ref_table: String = q.get(&row, 1)?;
        let from: String = q.get(&row, 2)?;
        let to: Option<String> = q.get(&row, 3)?;
        let on_update: String = q.get(&row, 4)?;
        let on_delete: String = q.get(&row, 5)?;
        let fk = fks.entry(id).or_insert_with(|| ForeignKey {
            name: String::new(),
            columns: Vec::new(),
            ref_table,
            ref_columns: Vec::new(),
            on_delete: parse_action(&on_delete),
            on_update: parse_action(&on_update),
        });
        fk.columns.push(from);
        fk.ref_columns.extend(to);
    }
    for fk in fks.into_values() {
        let fk = ForeignKey {
            name: sqlite_fk_name(&table.name, &fk),
            ..fk
        };
        table.foreign_keys.insert(fk.name.clone(), fk);
    }
    Ok(table)
}

pub(super) fn parse_action(text: &str) -> ForeignKeyAction {
    match text.to_ascii_uppercase().as_str() {
        "CASCADE" => ForeignKeyAction::Cascade,
        "SET NULL" => ForeignKeyAction::SetNull,
        "SET DEFAULT" => ForeignKeyAction::SetDefault,
        "RESTRICT" => ForeignKeyAction::Restrict,
        _ => ForeignKeyAction::NoAction,
    }
}

/// SQLite keeps the declared type text; sea-query's spellings map back to their types and
/// anything else is kept verbatim.
fn parse_sqlite_type(declared: &str) -> ColumnType {
    let lower = declared.trim().to_ascii_lowercase();
    let args = |prefix: &str| -> Option<Vec<u32>> {
        let inner = lower
            .strip_prefix(prefix)?
            .strip_prefix('(')?
            .strip_suffix(')')?;
        inner.split(',').map(|p| p.trim().parse().ok()).collect()
    };
    if let Some(a) = args("varchar").filter(|a| a.len() == 1) {
        return ColumnType::String(Some(a[0]));
    }
    if let Some(a) = args("char").filter(|a| a.len() == 1) {
        return ColumnType::Char(Some(a[0]));
    }
    if let Some(a) = args("real").filter(|a| a.len() == 2) {
        return ColumnType::Decimal(Some((a[0], a[1])));
    }
    match lower.as_str() {
        "varchar" => ColumnType::String(None),
        "char" => ColumnType::Char(None),
        "text" => ColumnType::Text,
        "tinyint" => ColumnType::TinyInteger,
        "smallint" => ColumnType::SmallInteger,
        "integer" => ColumnType::Integer,
        "float" => ColumnType::Float,
        "double" => ColumnType::Double,
        "real_decimal" => ColumnType::Decimal(None),
        "datetime_text" => ColumnType::DateTime,
        "timestamp_text" => ColumnType::Timestamp,
        "timestamp_with_timezone_text" => ColumnType::TimestampWithTimeZone,
        "time_text" => ColumnType::Time,
        "date_text" => ColumnType::Date,
        "blob" => ColumnType::Blob,
        "boolean" => ColumnType::Boolean,
        "json_text" => ColumnType::Json,
        "jsonb_text" => ColumnType::JsonBinary,
        "uuid_text" => ColumnType::Uuid,
        _ => ColumnType::Custom(lower),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{self, Backend};

    #[test]
    fn sea_query_sqlite_spellings_round_trip() {
        let schema = Schema::default();
        for ty in [
            ColumnType::String(Some(64)),
            ColumnType::String(None),
            ColumnType::Char(Some(7)),
            ColumnType::Text,
            ColumnType::Integer,
            ColumnType::Decimal(Some((12, 2))),
            ColumnType::TimestampWithTimeZone,
            ColumnType::Json,
            ColumnType::Uuid,
            ColumnType::Boolean,
        ] {
            let physical = backend::physical_type(&ty, &schema, Backend::Sqlite);
            assert_eq!(parse_sqlite_type(&physical), ty, "{physical}");
        }
    }
}
