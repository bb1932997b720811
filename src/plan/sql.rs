//! The raw SQL the planner writes where sea-query has no builder, per backend.

use super::Op;
use crate::backend::Backend;
use crate::model::{Column, EnumType};

pub(super) fn ident(backend: Backend, name: &str) -> String {
    backend.quote(name)
}

fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

pub(super) fn drop_default(table: &str, column: &str) -> String {
    let (t, c) = (
        ident(Backend::Postgres, table),
        ident(Backend::Postgres, column),
    );
    format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")
}

pub(super) fn pg_drop_unique(table: &str, column: &str) -> String {
    let t = ident(Backend::Postgres, table);
    let name = ident(Backend::Postgres, &format!("{table}_{column}_key"));
    format!("ALTER TABLE {t} DROP CONSTRAINT {name}")
}

/// One statement per element: a prepared statement may hold only one command.
pub(super) fn set_primary_key(backend: Backend, table: &str, columns: &[String]) -> Vec<String> {
    let t = ident(backend, table);
    let cols: Vec<String> = columns.iter().map(|c| ident(backend, c)).collect();
    match backend {
        // The constraint's name depends on how the table was created; look it up.
        Backend::Postgres => vec![
            format!(
                "DO $$ DECLARE pk text; BEGIN \
                 SELECT conname INTO pk FROM pg_constraint WHERE conrelid = {}::regclass AND contype = 'p'; \
                 IF pk IS NOT NULL THEN EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', {}, pk); END IF; \
                 END $$",
                literal(&t),
                literal(table)
            ),
            format!("ALTER TABLE {t} ADD PRIMARY KEY ({})", cols.join(", ")),
        ],
        _ => vec![format!(
            "ALTER TABLE {t} DROP PRIMARY KEY, ADD PRIMARY KEY ({})",
            cols.join(", ")
        )],
    }
}

pub(super) fn comment_on_table(backend: Backend, table: &str, comment: Option<&str>) -> String {
    let t = ident(backend, table);
    match backend {
        Backend::Mysql => format!(
            "ALTER TABLE {t} COMMENT = {}",
            literal(comment.unwrap_or(""))
        ),
        _ => format!(
            "COMMENT ON TABLE {t} IS {}",
            comment.map_or("NULL".into(), literal)
        ),
    }
}

pub(super) fn pg_comment_on_column(table: &str, column: &str, comment: Option<&str>) -> String {
    format!(
        "COMMENT ON COLUMN {}.{} IS {}",
        ident(Backend::Postgres, table),
        ident(Backend::Postgres, column),
        comment.map_or("NULL".into(), literal)
    )
}

/// PostgreSQL cannot drop or reorder enum values: rename the old type away, create the new
/// one, convert each column through text, drop the old type.
pub(super) fn pg_recreate_enum(
    from: &EnumType,
    to: &EnumType,
    columns: &[(String, Column)],
) -> Vec<Op> {
    let name = ident(Backend::Postgres, &to.name);
    let old = ident(Backend::Postgres, &format!("{}__tidemark_old", from.name));
    let values: Vec<String> = to.values.iter().map(|v| literal(v)).collect();
    let mut sql = vec![
        Op::Sql(format!("ALTER TYPE {name} RENAME TO {old}")),
        Op::Sql(format!(
            "CREATE TYPE {name} AS ENUM ({})",
            values.join(", ")
        )),
    ];
    for (table, column) in columns {
        let (t, c) = (
            ident(Backend::Postgres, table),
            ident(Backend::Postgres, &column.name),
        );
        if column.default.is_some() {
            sql.push(Op::Sql(format!(
                "ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"
            )));
        }
        // Every row is converted: a rewrite, which fails on a value the type lost.
        sql.push(Op::SqlRewrite(format!(
            "ALTER TABLE {t} ALTER COLUMN {c} TYPE {name} USING {c}::text::{name}"
        )));
        if let Some(default) = &column.default {
            let value = crate::backend::default_sql(default, Backend::Postgres);
            sql.push(Op::Sql(format!(
                "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {value}"
            )));
        }
    }
    sql.push(Op::Sql(format!("DROP TYPE {old}")));
    sql
}
