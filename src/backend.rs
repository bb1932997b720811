//! What each backend physically stores, and what its `ALTER TABLE` can do: the backend
//! quirks, in one place.

use crate::model::{Column, ColumnType, DefaultValue, Schema};
use sea_orm::sea_query::{
    self, Alias, ColumnDef, Expr, MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder,
    StringLen, Table,
};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Postgres,
    Mysql,
    Sqlite,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL/MariaDB",
            Backend::Sqlite => "SQLite",
        }
    }

    /// `name` as a quoted identifier in this backend's SQL.
    pub fn quote(self, name: &str) -> String {
        tidemark_runtime::__private::quote(self.db(), name)
    }

    /// sea-orm's name for this backend.
    pub fn db(self) -> sea_orm::DbBackend {
        match self {
            Backend::Postgres => sea_orm::DbBackend::Postgres,
            Backend::Mysql => sea_orm::DbBackend::MySql,
            Backend::Sqlite => sea_orm::DbBackend::Sqlite,
        }
    }

    /// The backend a database URL points at.
    pub fn from_url(url: &str) -> Option<Backend> {
        let scheme = url.split(':').next()?;
        match scheme {
            "postgres" | "postgresql" => Some(Backend::Postgres),
            "mysql" | "mariadb" => Some(Backend::Mysql),
            "sqlite" => Some(Backend::Sqlite),
            _ => None,
        }
    }
}

/// sea-query's type for a model type; `enums` supplies enum variants.
pub fn sea_query_type(ty: &ColumnType, schema: &Schema) -> sea_query::ColumnType {
    use sea_query::ColumnType as Sq;
    let len = |n: &Option<u32>| n.map_or(StringLen::None, StringLen::N);
    match ty {
        ColumnType::Char(n) => Sq::Char(*n),
        ColumnType::String(n) => Sq::String(len(n)),
        ColumnType::Text => Sq::Text,
        ColumnType::TinyInteger => Sq::TinyInteger,
        ColumnType::SmallInteger => Sq::SmallInteger,
        ColumnType::Integer => Sq::Integer,
        ColumnType::BigInteger => Sq::BigInteger,
        ColumnType::TinyUnsigned => Sq::TinyUnsigned,
        ColumnType::SmallUnsigned => Sq::SmallUnsigned,
        ColumnType::Unsigned => Sq::Unsigned,
        ColumnType::BigUnsigned => Sq::BigUnsigned,
        ColumnType::Float => Sq::Float,
        ColumnType::Double => Sq::Double,
        ColumnType::Decimal(p) => Sq::Decimal(*p),
        ColumnType::DateTime => Sq::DateTime,
        ColumnType::Timestamp => Sq::Timestamp,
        ColumnType::TimestampWithTimeZone => Sq::TimestampWithTimeZone,
        ColumnType::Time => Sq::Time,
        ColumnType::Date => Sq::Date,
        ColumnType::Year => Sq::Year,
        ColumnType::Binary(n) => Sq::Binary(*n),
        ColumnType::VarBinary(n) => Sq::VarBinary(len(n)),
        ColumnType::Blob => Sq::Blob,
        ColumnType::Boolean => Sq::Boolean,
        ColumnType::Money(p) => Sq::Money(*p),
        ColumnType::Json => Sq::Json,
        ColumnType::JsonBinary => Sq::JsonBinary,
        ColumnType::Uuid => Sq::Uuid,
        ColumnType::Custom(name) => Sq::Custom(Alias::new(name).into()),
        ColumnType::Enum(name) => Sq::Enum {
            name: Alias::new(name).into(),
            variants: schema
                .enums
                .get(name)
                .map(|e| e.values.iter().map(|v| Alias::new(v).into()).collect())
                .unwrap_or_default(),
        },
    }
}

/// The type as the backend spells it in `CREATE TABLE` (what SQLite keeps verbatim).
pub fn physical_type(ty: &ColumnType, schema: &Schema, backend: Backend) -> String {
    let sql = build_table_sql(
        ColumnDef::new_with_type(Alias::new("c"), sea_query_type(ty, schema)),
        backend,
    );
    let after = sql
        .split_once("c\" ")
        .or_else(|| sql.split_once("c` "))
        .map_or("", |(_, t)| t);
    after.trim_end_matches(')').trim().to_lowercase()
}

/// The default as the backend writes it in DDL, e.g. `'draft'`, `TRUE`, `CURRENT_TIMESTAMP`.
pub fn default_sql(default: &DefaultValue, backend: Backend) -> String {
    let sql = build_table_sql(
        ColumnDef::new_with_type(Alias::new("c"), sea_query::ColumnType::Text)
            .default(default_expr(default))
            .to_owned(),
        backend,
    );
    let after = sql.split_once(" DEFAULT ").map_or("", |(_, d)| d);
    after.strip_suffix(')').unwrap_or(after).trim().to_owned()
}

/// sea-query's expression for a default, as generated code writes it.
pub fn default_expr(default: &DefaultValue) -> Expr {
    match default {
        DefaultValue::Bool(b) => Expr::val(*b),
        DefaultValue::Number(n) => match n.parse::<i64>() {
            Ok(v) => Expr::val(v),
            Err(_) => Expr::cust(n.clone()),
        },
        DefaultValue::String(s) => Expr::val(s.clone()),
        DefaultValue::Expr(e) if e.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
            Expr::current_timestamp()
        }
        DefaultValue::Expr(e) => Expr::cust(e.clone()),
    }
}

fn build_table_sql(mut column: ColumnDef, backend: Backend) -> String {
    let stmt = Table::create()
        .table(Alias::new("t"))
        .col(&mut column)
        .to_owned();
    match backend {
        Backend::Postgres => stmt.to_string(PostgresQueryBuilder),
        Backend::Mysql => stmt.to_string(MysqlQueryBuilder),
        Backend::Sqlite => stmt.to_string(SqliteQueryBuilder),
    }
}

/// Whether SQLite's `ALTER TABLE ... ADD COLUMN` accepts this column
/// (<https://www.sqlite.org/lang_altertable.html#altertabaddcol>): no PRIMARY KEY or UNIQUE,
/// NOT NULL only with a non-NULL default, and no non-constant default such as
/// `CURRENT_TIMESTAMP`.
pub fn sqlite_can_add_column(column: &Column) -> bool {
    let constant_default = match &column.default {
        None => true,
        Some(DefaultValue::Expr(e)) => !is_time_keyword(e),
        Some(_) => true,
    };
    let not_null_ok = column.nullable || column.default.is_some();
    !column.unique && !column.auto_increment && constant_default && not_null_ok
}

fn is_time_keyword(expr: &str) -> bool {
    let upper = expr.trim().to_ascii_uppercase();
    upper.starts_with("CURRENT_") || upper.contains('(')
}

/// Whether SQLite would store two column definitions differently: changes it cannot see
/// (`integer` and `bigint` are both `integer`, comments are not kept) need no rebuild.
pub fn sqlite_stores_differently(from: &Column, to: &Column, old: &Schema, new: &Schema) -> bool {
    physical_type(&from.ty, old, Backend::Sqlite) != physical_type(&to.ty, new, Backend::Sqlite)
        || from.nullable != to.nullable
        || from.unique != to.unique
        || from.auto_increment != to.auto_increment
        || from
            .default
            .as_ref()
            .map(|d| default_sql(d, Backend::Sqlite))
            != to.default.as_ref().map(|d| default_sql(d, Backend::Sqlite))
}

/// Whether PostgreSQL rewrites the table to change a column from `from` to `to`, as probed
/// on PostgreSQL 15 (docs/locks.md#type-change): widening a varchar, dropping its length, or raising a
/// numeric's precision at the same scale only touch the catalog; other changes rewrite.
/// A timestamp <-> timestamptz change rewrites unless the session's TimeZone is UTC, which a
/// migration cannot count on, so it counts as a rewrite.
pub fn pg_type_change_rewrites(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (a, b) if a == b => false,
        (String(Some(a)), String(Some(b))) => b < a,
        (String(_) | Text, String(None) | Text) => false,
        (Decimal(Some((p1, s1))), Decimal(Some((p2, s2)))) => !(s1 == s2 && p2 >= p1),
        (Decimal(Some(_)), Decimal(None)) => false,
        (VarBinary(_) | Blob | Binary(_), VarBinary(_) | Blob) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_types_follow_sea_query() {
        let s = Schema::default();
        assert_eq!(
            physical_type(&ColumnType::String(Some(100)), &s, Backend::Sqlite),
            "varchar(100)"
        );
        assert_eq!(
            physical_type(&ColumnType::BigInteger, &s, Backend::Sqlite),
            "integer"
        );
        assert_eq!(
            physical_type(&ColumnType::Json, &s, Backend::Sqlite),
            "json_text"
        );
        assert_eq!(
            physical_type(&ColumnType::Decimal(Some((12, 2))), &s, Backend::Postgres),
            "decimal(12, 2)"
        );
        assert_eq!(
            physical_type(&ColumnType::Uuid, &s, Backend::Mysql),
            "binary(16)"
        );
    }

    #[test]
    fn defaults_render_per_backend() {
        assert_eq!(
            default_sql(&DefaultValue::String("a'b".into()), Backend::Sqlite),
            "'a''b'"
        );
        assert_eq!(
            default_sql(&DefaultValue::Bool(true), Backend::Sqlite),
            "TRUE"
        );
        assert_eq!(
            default_sql(
                &DefaultValue::Expr("CURRENT_TIMESTAMP".into()),
                Backend::Postgres
            ),
            "CURRENT_TIMESTAMP"
        );
    }

    #[test]
    fn pg_rewrites_follow_the_probed_table() {
        use ColumnType::*;
        assert!(!pg_type_change_rewrites(
            &String(Some(100)),
            &String(Some(255))
        ));
        assert!(pg_type_change_rewrites(
            &String(Some(255)),
            &String(Some(100))
        ));
        assert!(!pg_type_change_rewrites(&String(Some(255)), &Text));
        assert!(pg_type_change_rewrites(&Text, &String(Some(255))));
        assert!(pg_type_change_rewrites(&Integer, &BigInteger));
        assert!(!pg_type_change_rewrites(
            &Decimal(Some((10, 2))),
            &Decimal(Some((12, 2)))
        ));
        assert!(pg_type_change_rewrites(
            &Decimal(Some((12, 2))),
            &Decimal(Some((12, 4)))
        ));
    }
}
