//! The neutral schema model: what every stage speaks.
//!
//! Entities (extract), the recorded snapshot and a live database (introspect) all become a
//! [`Schema`]; diff compares two of them. Types are SeaORM's abstract column types, not SQL
//! text, so one snapshot serves PostgreSQL, MySQL/MariaDB and SQLite alike. Maps are sorted
//! and every field serialises in a fixed order, so the snapshot diffs cleanly in review.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole database schema: tables and (PostgreSQL) enum types, keyed by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, EnumType>,
    /// Compatibility views by name, each showing the whole of one table (the value) under
    /// that name: the expand of a phased table rename, until its contract gives the table
    /// the view's name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<String, String>,
    /// The PostgreSQL schema every table lives in, when the entities name one other than
    /// `public` (`#[sea_orm(schema_name = "app")]`). MySQL and SQLite have none to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_schema: Option<String>,
}

/// A compatibility view: `SELECT *` of `table`, readable and writable under `name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    pub table: String,
}

/// A named enum type. On PostgreSQL it is a `CREATE TYPE ... AS ENUM`; MySQL stores the
/// variants in the column type; SQLite keeps the values as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// In definition order, which is also the order `CREATE TABLE` uses.
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, Index>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub foreign_keys: BTreeMap<String, ForeignKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Shadow columns (by name) that a trigger keeps equal to another column (the value):
    /// the expand of a phased type change, until its contract swaps the shadow in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shadow_columns: BTreeMap<String, String>,
    /// The conversions of shadow columns (by shadow name) that the trigger computes instead
    /// of copying: the contract's `down` needs them to fill the column of the old type again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conversions: BTreeMap<String, Conversion>,
}

/// How a column's values become those of its new type (`up`), and back (`down`): SQL
/// expressions over the column, named as it is after the migration
/// (see `tidemark_runtime::convert`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    pub up: String,
    pub down: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_increment: bool,
    /// A single-column unique constraint declared on the column itself.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// SeaORM's column types, by meaning rather than by any one backend's spelling.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Char(Option<u32>),
    /// `None` is a string without a declared length (`varchar` on PostgreSQL and SQLite,
    /// `varchar(255)` on MySQL).
    String(Option<u32>),
    Text,
    TinyInteger,
    SmallInteger,
    Integer,
    BigInteger,
    TinyUnsigned,
    SmallUnsigned,
    Unsigned,
    BigUnsigned,
    Float,
    Double,
    /// Precision and scale.
    Decimal(Option<(u32, u32)>),
    DateTime,
    Timestamp,
    TimestampWithTimeZone,
    Time,
    Date,
    Year,
    Binary(u32),
    VarBinary(Option<u32>),
    Blob,
    Boolean,
    Money(Option<(u32, u32)>),
    Json,
    JsonBinary,
    Uuid,
    /// An enum; its values live in [`Schema::enums`] under this name.
    Enum(String),
    /// A type SeaORM passes through verbatim (`column_type = "custom(...)"`).
    Custom(String),
}

/// A column default, as SeaORM declares it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultValue {
    Bool(bool),
    /// Integers and decimals, kept as their exact text.
    Number(String),
    String(String),
    /// An SQL expression such as `CURRENT_TIMESTAMP`, written verbatim.
    Expr(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: ForeignKeyAction,
    pub on_update: ForeignKeyAction,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForeignKeyAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether `column` takes part in the primary key, an index or a foreign key: SQLite
    /// cannot `DROP COLUMN` such a column.
    pub fn is_constrained(&self, column: &str) -> bool {
        self.primary_key.iter().any(|c| c == column)
            || self.column(column).is_some_and(|c| c.unique)
            || self
                .indexes
                .values()
                .any(|i| i.columns.iter().any(|c| c == column))
            || self
                .foreign_keys
                .values()
                .any(|f| f.columns.iter().any(|c| c == column))
    }
}

impl ColumnType {
    /// Whether the type is an integer, the only kind a database can auto-increment.
    pub fn is_integer(&self) -> bool {
        use ColumnType::*;
        matches!(
            self,
            TinyInteger
                | SmallInteger
                | Integer
                | BigInteger
                | TinyUnsigned
                | SmallUnsigned
                | Unsigned
                | BigUnsigned
        )
    }

    /// Whether converting every value of `self` into `to` can fail or lose information.
    pub fn narrows_to(&self, to: &ColumnType) -> bool {
        use ColumnType::*;
        let rank = |t: &ColumnType| match t {
            TinyInteger => Some(1),
            SmallInteger => Some(2),
            Integer => Some(3),
            BigInteger => Some(4),
            _ => None,
        };
        match (self, to) {
            (a, b) if a == b => false,
            (String(Some(a)), String(Some(b))) | (Char(Some(a)), Char(Some(b))) => b < a,
            (String(_) | Char(_), String(None) | Text) => false,
            (Text, String(None)) => false,
            (Decimal(Some((p1, s1))), Decimal(Some((p2, s2)))) => {
                s2 < s1 || (p2 - s2.min(p2)) < (p1 - s1.min(p1))
            }
            (Float, Double) => false,
            (Json, JsonBinary) | (JsonBinary, Json) => false,
            (a, b) => match (rank(a), rank(b)) {
                (Some(x), Some(y)) => y < x,
                _ => true,
            },
        }
    }

    /// A short human description, used in summaries and refusals.
    pub fn describe(&self) -> String {
        use ColumnType::*;
        match self {
            Char(Some(n)) => format!("char({n})"),
            Char(None) => "char".into(),
            String(Some(n)) => format!("varchar({n})"),
            String(None) => "varchar".into(),
            Decimal(Some((p, s))) => format!("decimal({p},{s})"),
            Decimal(None) => "decimal".into(),
            Money(Some((p, s))) => format!("money({p},{s})"),
            Money(None) => "money".into(),
            Binary(n) => format!("binary({n})"),
            VarBinary(Some(n)) => format!("varbinary({n})"),
            VarBinary(None) => "varbinary".into(),
            Enum(name) => format!("enum {name}"),
            Custom(name) => name.clone(),
            other => heck::AsSnakeCase(format!("{other:?}")).to_string(),
        }
    }
}
