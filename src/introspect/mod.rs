//! A live database -> [`Schema`]: the second source of the model, and the comparison that
//! tells whether a database is what a snapshot says.
//!
//! A database stores less than an entity says, and spells it its own way: SQLite keeps no
//! comments, enum values or foreign key names; PostgreSQL says `character varying` where
//! sea-query wrote `varchar`; MariaDB keeps JSON as `longtext` and booleans as `tinyint(1)`.
//! So two schemas are compared after [`normalize`] brings both to what the backend holds.

mod mysql;
mod postgres;
mod sqlite;

use crate::backend::{self, Backend};
use crate::diff::{self, Renames};
use crate::error::{Error, Result};
use crate::extract::classify_default_sql;
use crate::model::{ColumnType, DefaultValue, ForeignKey, ForeignKeyAction, Index, Schema};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

pub use mysql::mysql;
pub use postgres::postgres;
pub use sqlite::sqlite;

pub use tidemark_runtime::__private::VIEW_COMMENT;

/// Tables that belong to the migrator or the database, not to the application.
const MIGRATOR_TABLES: [&str; 3] = [
    "seaql_migrations",
    tidemark_runtime::__private::HISTORY_TABLE,
    "sqlite_sequence",
];

/// Reads the schema of whatever database `db` is connected to.
pub async fn introspect(db: &DatabaseConnection) -> Result<Schema> {
    introspect_in(db, None).await
}

/// [`introspect`] in PostgreSQL schema `pg_schema` (the session's current one when `None`);
/// MySQL and SQLite have no schema to choose. The result names the schema it was read from
/// as the entities do.
pub async fn introspect_in(db: &DatabaseConnection, pg_schema: Option<&str>) -> Result<Schema> {
    let mut schema = match db.get_database_backend() {
        DbBackend::Postgres => postgres(db, pg_schema).await?,
        DbBackend::MySql => mysql(db).await?,
        _ => sqlite(db).await?,
    };
    schema.pg_schema = pg_schema.map(str::to_owned);
    Ok(schema)
}

/// The [`Backend`] of a connection.
pub fn backend_of(db: &DatabaseConnection) -> Backend {
    match db.get_database_backend() {
        DbBackend::Postgres => Backend::Postgres,
        DbBackend::MySql => Backend::Mysql,
        _ => Backend::Sqlite,
    }
}

struct Query<'a> {
    db: &'a DatabaseConnection,
    /// PostgreSQL: the schema to read, as an SQL literal, in place of `current_schema()`.
    namespace: Option<String>,
}

impl Query<'_> {
    async fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<sea_orm::QueryResult>> {
        let backend = self.db.get_database_backend();
        let replaced;
        let sql = match &self.namespace {
            Some(namespace) => {
                replaced = sql.replace("current_schema()", namespace);
                replaced.as_str()
            }
            None => sql,
        };
        self.db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(|source| Error::Database {
                context: format!("reading the schema ({sql})"),
                source,
            })
    }

    fn get<T: sea_orm::TryGetable>(&self, row: &sea_orm::QueryResult, i: usize) -> Result<T> {
        row.try_get_by_index(i).map_err(|source| Error::Database {
            context: "reading the schema".into(),
            source,
        })
    }
}

/// SQLite keeps no foreign key names: one is made from what the key connects.
fn sqlite_fk_name(table: &str, fk: &ForeignKey) -> String {
    format!(
        "{table}({})->{}({})",
        fk.columns.join(","),
        fk.ref_table,
        fk.ref_columns.join(",")
    )
}

/// A type as the backend spells it, in one canonical spelling (`character varying(100)` and
/// `varchar(100)` are the same PostgreSQL type; `int(11)` and `int` the same MariaDB one).
pub fn canonical_type(physical: &str, backend: Backend) -> String {
    let lower = physical.trim().to_ascii_lowercase().replace('"', "");
    // `decimal(12, 2)` and `numeric(12,2)`; `enum('a', 'b')` and `enum('a','b')`.
    let compact = {
        let mut out = String::with_capacity(lower.len());
        let mut in_quote = false;
        let mut chars = lower.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                in_quote = !in_quote;
            }
            out.push(c);
            if c == ',' && !in_quote {
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
        }
        out
    };
    match backend {
        Backend::Postgres => {
            let (base, args) = match compact.split_once('(') {
                Some((b, a)) => (b.trim().to_owned(), format!("({a}")),
                None => (compact.clone(), String::new()),
            };
            let base = match base.as_str() {
                "character varying" => "varchar",
                "character" | "bpchar" => "char",
                "numeric" => "decimal",
                "boolean" => "bool",
                "int" | "int4" => "integer",
                "int8" => "bigint",
                "int2" => "smallint",
                "float4" => "real",
                "float8" => "double precision",
                "timestamp" | "timestamp without time zone" => "timestamp without time zone",
                "timestamptz" => "timestamp with time zone",
                "time without time zone" => "time",
                other => other,
            };
            format!("{base}{args}")
        }
        Backend::Mysql => {
            let (base, args) = match compact.split_once('(') {
                Some((b, a)) => (b.trim().to_owned(), format!("({a}")),
                None => (compact.clone(), String::new()),
            };
            match base.as_str() {
                // MariaDB keeps JSON as longtext with a json_valid check.
                "json" | "longtext" => "longtext".to_owned(),
                "bool" | "boolean" => "tinyint(1)".to_owned(),
                "tinyint" if args == "(1)" => "tinyint(1)".to_owned(),
                // Display widths (`int(11)`) mean nothing to the values.
                "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" => {
                    let base = if base == "integer" {
                        "int"
                    } else {
                        base.as_str()
                    };
                    let unsigned = if compact.ends_with("unsigned") {
                        " unsigned"
                    } else {
                        ""
                    };
                    format!("{base}{unsigned}")
                }
                _ => compact,
            }
        }
        Backend::Sqlite => compact,
    }
}

/// A default as the backend writes it back, in one canonical form.
fn canonical_default(default: &DefaultValue, backend: Backend) -> Option<DefaultValue> {
    let mut text = backend::default_sql(default, backend);
    if backend == Backend::Postgres {
        text = strip_pg_cast(&text);
    }
    let value = classify_default_sql(&text);
    Some(match (backend, value) {
        (_, DefaultValue::Expr(e)) if is_now(&e) => DefaultValue::Expr("CURRENT_TIMESTAMP".into()),
        (Backend::Mysql, DefaultValue::Expr(e)) if e.eq_ignore_ascii_case("NULL") => return None,
        (Backend::Mysql, DefaultValue::Bool(b)) => {
            DefaultValue::Number(if b { "1" } else { "0" }.into())
        }
        (Backend::Mysql, DefaultValue::String(s)) if s.parse::<f64>().is_ok() => {
            DefaultValue::Number(s)
        }
        (_, v) => v,
    })
}

fn is_now(expr: &str) -> bool {
    let e = expr.to_ascii_lowercase();
    e == "current_timestamp" || e == "current_timestamp()" || e == "now()"
}

/// `'active'::character varying` -> `'active'`; PostgreSQL casts literals in stored defaults.
pub(super) fn strip_pg_cast(text: &str) -> String {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('\'') {
        if let Some(end) = find_closing_quote(rest) {
            let after = &rest[end + 1..];
            if after.is_empty() || after.starts_with("::") {
                return format!("'{}'", &rest[..end]);
            }
        }
        return text.to_owned();
    }
    match text.split_once("::") {
        Some((value, _)) if !value.contains('(') => {
            value.trim_matches(|c| c == '(' || c == ')').to_owned()
        }
        _ => text.to_owned(),
    }
}

fn find_closing_quote(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `schema` as `backend` holds it: types and defaults in the backend's canonical spelling,
/// and what it does not store (comments and foreign key names on SQLite, enum types outside
/// PostgreSQL, indexes MySQL adds for foreign keys) left out.
pub fn normalize(schema: &Schema, backend: Backend) -> Schema {
    let mut out = Schema::default();
    for (name, table) in &schema.tables {
        let mut t = table.clone();
        for c in &mut t.columns {
            c.ty = ColumnType::Custom(canonical_type(
                &backend::physical_type(&c.ty, schema, backend),
                backend,
            ));
            c.default = c
                .default
                .as_ref()
                .and_then(|d| canonical_default(d, backend));
            if backend == Backend::Sqlite {
                c.comment = None;
            }
            if c.comment.as_deref() == Some("") {
                c.comment = None;
            }
            if c.auto_increment {
                // Identity columns and sequences carry no separate default.
                c.default = None;
            }
        }
        if t.comment.as_deref() == Some("") {
            t.comment = None;
        }
        match backend {
            Backend::Sqlite => {
                t.comment = None;
                t.foreign_keys = t
                    .foreign_keys
                    .values()
                    .map(|fk| {
                        let fk = ForeignKey {
                            name: sqlite_fk_name(name, fk),
                            ..fk.clone()
                        };
                        (fk.name.clone(), fk)
                    })
                    .collect();
            }
            Backend::Mysql => {
                // MySQL treats an unspecified action as RESTRICT, which is NO ACTION there.
                for fk in t.foreign_keys.values_mut() {
                    for action in [&mut fk.on_delete, &mut fk.on_update] {
                        if *action == ForeignKeyAction::Restrict {
                            *action = ForeignKeyAction::NoAction;
                        }
                    }
                }
                // An index InnoDB created to back a foreign key carries the key's name, or,
                // for a key declared without one, its first column's.
                let keys = &t.foreign_keys;
                let backs_a_key = |name: &str, index: &Index| {
                    keys.values().any(|fk| {
                        fk.name == name
                            || (fk.columns.first().is_some_and(|c| c == name)
                                && index.columns == fk.columns)
                    })
                };
                t.indexes
                    .retain(|name, index| index.unique || !backs_a_key(name, index));
            }
            Backend::Postgres => {}
        }
        out.tables.insert(name.clone(), t);
    }
    if backend == Backend::Postgres {
        out.enums = schema.enums.clone();
    }
    out.views = schema.views.clone();
    out
}

/// `live` with its constraints named as `expected` names them wherever they are the same
/// thing: constraints are compared by what they are, not by name. A database whose keys and
/// indexes carry other names (PostgreSQL's defaults, `item_owner_id_fkey`, or those of
/// hand-written migrations) is not drift; a unique index on one column is that column's
/// `unique`.
pub fn align_names(live: &Schema, expected: &Schema) -> Schema {
    let mut out = live.clone();
    for (name, table) in out.tables.iter_mut() {
        let Some(want) = expected.tables.get(name) else {
            continue;
        };
        // A foreign key: its columns, target and target columns.
        let unmatched: Vec<String> = table
            .foreign_keys
            .keys()
            .filter(|k| !want.foreign_keys.contains_key(*k))
            .cloned()
            .collect();
        for key in unmatched {
            let fk = &table.foreign_keys[&key];
            let same = want.foreign_keys.values().find(|w| {
                !table.foreign_keys.contains_key(&w.name)
                    && w.columns == fk.columns
                    && w.ref_table == fk.ref_table
                    && w.ref_columns == fk.ref_columns
            });
            if let Some(same) = same {
                let mut fk = table.foreign_keys.remove(&key).expect("listed above");
                fk.name = same.name.clone();
                // MySQL names the index backing a key after the key: it follows the key.
                if let Some(mut backing) = table.indexes.remove(&key) {
                    backing.name = fk.name.clone();
                    table.indexes.insert(fk.name.clone(), backing);
                }
                table.foreign_keys.insert(fk.name.clone(), fk);
            }
        }
        // An index: its columns and uniqueness; one unique column is the column's `unique`.
        let unmatched: Vec<String> = table
            .indexes
            .keys()
            .filter(|k| !want.indexes.contains_key(*k))
            .cloned()
            .collect();
        for key in unmatched {
            let index = table.indexes[&key].clone();
            let same = want.indexes.values().find(|w| {
                !table.indexes.contains_key(&w.name)
                    && w.columns == index.columns
                    && w.unique == index.unique
            });
            if let Some(same) = same {
                table.indexes.remove(&key);
                table.indexes.insert(
                    same.name.clone(),
                    crate::model::Index {
                        name: same.name.clone(),
                        ..index
                    },
                );
                continue;
            }
            if let [column] = index.columns.as_slice()
                && index.unique
                && want.column(column).is_some_and(|c| c.unique)
                && let Some(c) = table.columns.iter_mut().find(|c| &c.name == column)
            {
                table.indexes.remove(&key);
                c.unique = true;
            }
        }
    }
    out
}

/// The changes that take a live database to the schema it should have, both as `backend`
/// spells them, with that expected schema; no changes when they match.
pub fn differences(
    live: &Schema,
    expected: &Schema,
    backend: Backend,
) -> (Vec<diff::Change>, Schema) {
    let live = normalize(&align_names(live, expected), backend);
    let expected = normalize(expected, backend);
    (diff::diff(&live, &expected, &Renames::default()), expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_spellings_meet() {
        assert_eq!(
            canonical_type("character varying(100)", Backend::Postgres),
            "varchar(100)"
        );
        assert_eq!(
            canonical_type("numeric(12,2)", Backend::Postgres),
            canonical_type("decimal(12, 2)", Backend::Postgres)
        );
        assert_eq!(canonical_type("boolean", Backend::Postgres), "bool");
        assert_eq!(strip_pg_cast("'it''s'::character varying"), "'it''s'");
        assert_eq!(strip_pg_cast("0"), "0");
    }

    #[test]
    fn mysql_spellings_meet() {
        assert_eq!(canonical_type("int(11)", Backend::Mysql), "int");
        assert_eq!(canonical_type("bool", Backend::Mysql), "tinyint(1)");
        assert_eq!(
            canonical_type("json", Backend::Mysql),
            canonical_type("longtext", Backend::Mysql)
        );
        assert_eq!(
            canonical_type("enum('red', 'green')", Backend::Mysql),
            "enum('red','green')"
        );
    }
}
