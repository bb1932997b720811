//! PostgreSQL: tables, columns, keys, indexes and enum types of the current schema, read from
//! the system catalogs (`pg_catalog`), which say exactly what `information_schema` blurs
//! (identity columns, index definitions, enum order).

use super::{MIGRATOR_TABLES, Query};
use crate::error::Result;
use crate::extract::classify_default_sql;
use crate::model::{
    Column, ColumnType, EnumType, ForeignKey, ForeignKeyAction, Index, Schema, Table,
};
use sea_orm::DatabaseConnection;

/// Reads `schema`, or the current one (`current_schema()`, normally `public`).
pub async fn postgres(db: &DatabaseConnection, schema: Option<&str>) -> Result<Schema> {
    let q = Query {
        db,
        namespace: schema.map(|s| format!("'{}'", s.replace('\'', "''"))),
    };
    let mut schema = Schema::default();

    for row in q
        .rows(
            "SELECT t.typname::text, e.enumlabel::text FROM pg_type t \
             JOIN pg_enum e ON e.enumtypid = t.oid \
             JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE n.nspname = current_schema() ORDER BY t.typname, e.enumsortorder",
            vec![],
        )
        .await?
    {
        let name: String = q.get(&row, 0)?;
        let label: String = q.get(&row, 1)?;
        schema
            .enums
            .entry(name.clone())
            .or_insert_with(|| EnumType {
                name,
                values: Vec::new(),
            })
            .values
            .push(label);
    }

    let tables = q
        .rows(
            "SELECT c.relname::text, obj_description(c.oid, 'pg_class') FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            vec![],
        )
        .await?;
    for row in tables {
        let name: String = q.get(&row, 0)?;
        if MIGRATOR_TABLES.contains(&name.as_str()) {
            continue;
        }
        let comment: Option<String> = q.get(&row, 1)?;
        let table = table(&q, &name, comment, &schema).await?;
        schema.tables.insert(name, table);
    }

    // tidemark's compatibility views carry its comment; the application's own views are not
    // part of the schema tidemark manages.
    for row in q
        .rows(
            "SELECT u.view_name::text, u.table_name::text FROM information_schema.view_table_usage u \
             JOIN pg_namespace n ON n.nspname = u.view_schema \
             JOIN pg_class c ON c.relname = u.view_name AND c.relnamespace = n.oid \
             WHERE u.view_schema = current_schema() AND c.relkind = 'v' \
             AND obj_description(c.oid, 'pg_class') = $1",
            vec![super::VIEW_COMMENT.into()],
        )
        .await?
    {
        schema.views.insert(q.get(&row, 0)?, q.get(&row, 1)?);
    }
    Ok(schema)
}

/// The table's oid, found in the current schema whatever its name needs for quoting.
const OID: &str = "(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE n.nspname = current_schema() AND c.relname = $1)";

async fn table(
    q: &Query<'_>,
    name: &str,
    comment: Option<String>,
    schema: &Schema,
) -> Result<Table> {
    let mut table = Table {
        name: name.to_owned(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Default::default(),
        foreign_keys: Default::default(),
        comment,
        shadow_columns: Default::default(),
        conversions: Default::default(),
    };
    let columns = q
        .rows(
            &format!(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                 pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, col_description(a.attrelid, a.attnum), \
                 t.typname::text, t.typtype::text \
                 FROM pg_attribute a \
                 JOIN pg_type t ON t.oid = a.atttypid \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE a.attrelid = {OID} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
            ),
            vec![name.into()],
        )
        .await?;
    for row in columns {
        let column: String = q.get(&row, 0)?;
        let formatted: String = q.get(&row, 1)?;
        let not_null: bool = q.get(&row, 2)?;
        let default: Option<String> = q.get(&row, 3)?;
        let identity: String = q.get(&row, 4)?;
        let comment: Option<String> = q.get(&row, 5)?;
        let type_name: String = q.get(&row, 6)?;
        let type_kind: String = q.get(&row, 7)?;
        let serial = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        let ty = if type_kind == "e" && schema.enums.contains_key(&type_name) {
            ColumnType::Enum(type_name)
        } else {
            ColumnType::Custom(formatted)
        };
        table.columns.push(Column {
            name: column,
            ty,
            nullable: !not_null,
            default: if serial {
                None
            } else {
                default
                    .as_deref()
                    .map(|d| classify_default_sql(&super::strip_pg_cast(d)))
            },
            auto_increment: !identity.is_empty() || serial,
            unique: false,
            comment,
        });
    }

    // Constraints: primary key, single-column unique constraints, foreign keys.
    let constraints = q
        .rows(
            &format!(
                "SELECT con.conname::text, con.contype::text, \
                 ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) \
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), \
                 ref.relname::text, \
                 ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) \
                       JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i), \
                 con.confdeltype::text, con.confupdtype::text \
                 FROM pg_constraint con LEFT JOIN pg_class ref ON ref.oid = con.confrelid \
                 WHERE con.conrelid = {OID} ORDER BY con.conname"
            ),
            vec![name.into()],
        )
        .await?;
    for row in constraints {
        let constraint: String = q.get(&row, 0)?;
        let kind: String = q.get(&row, 1)?;
        let columns: Vec<String> = q.get(&row, 2)?;
        match kind.as_str() {
            "p" => table.primary_key = columns,
            "u" if columns.len() == 1 => {
                if let Some(c) = table.columns.iter_mut().find(|c| c.name == columns[0]) {
                    c.unique = true;
                }
            }
            "u" => {
                table.indexes.insert(
                    constraint.clone(),
                    Index {
                        name: constraint,
                        columns,
                        unique: true,
                    },
                );
            }
            "f" => {
                let ref_table: Option<String> = q.get(&row, 3)?;
                let ref_columns: Vec<String> = q.get(&row, 4)?;
                let on_delete: String = q.get(&row, 5)?;
                let on_update: String = q.get(&row, 6)?;
                table.foreign_keys.insert(
                    constraint.clone(),
                    ForeignKey {
                        name: constraint,
                        columns,
                        ref_table: ref_table.unwrap_or_default(),
                        ref_columns,
                        on_delete: action(&on_delete),
                        on_update: action(&on_update),
                    },
                );
            }
            _ => {}
        }
    }

    // Indexes that no constraint owns.
    let indexes = q
        .rows(
            &format!(
                "SELECT ic.relname::text, i.indisunique, \
                 ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o) \
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) \
                 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
                 WHERE i.indrelid = {OID} AND NOT i.indisprimary \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
                 ORDER BY ic.relname"
            ),
            vec![name.into()],
        )
        .await?;
    for row in indexes {
        let index: String = q.get(&row, 0)?;
        let unique: bool = q.get(&row, 1)?;
        let columns: Vec<String> = q.get(&row, 2)?;
        table.indexes.insert(
            index.clone(),
            Index {
                name: index,
                columns,
                unique,
            },
        );
    }
    Ok(table)
}

fn action(code: &str) -> ForeignKeyAction {
    match code {
        "r" => ForeignKeyAction::Restrict,
        "c" => ForeignKeyAction::Cascade,
        "n" => ForeignKeyAction::SetNull,
        "d" => ForeignKeyAction::SetDefault,
        _ => ForeignKeyAction::NoAction,
    }
}
