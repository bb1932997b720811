//! Objects that hand-written migrations add and the entities do not describe: a partial
//! index, an index over an expression, a table of another tool, a column kept for a
//! trigger. `record` applies the migrations on a scratch database and writes down, in each
//! migration's snapshot, what the database has after it beyond what the snapshot describes.
//! `verify` and `drift` then leave those objects out of the comparison, and `drift
//! --write-migration` never drops them; `generate` never saw them, so it never proposes to.

use crate::model::Schema;
use serde::{Deserialize, Serialize};

/// One object tidemark leaves alone, by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unmanaged {
    Table { table: String },
    Column { table: String, column: String },
    Index { table: String, index: String },
    ForeignKey { table: String, foreign_key: String },
}

impl std::fmt::Display for Unmanaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unmanaged::Table { table } => write!(f, "table `{table}`"),
            Unmanaged::Column { table, column } => write!(f, "column `{table}.{column}`"),
            Unmanaged::Index { table, index } => write!(f, "index `{index}` on `{table}`"),
            Unmanaged::ForeignKey { table, foreign_key } => {
                write!(f, "foreign key `{foreign_key}` on `{table}`")
            }
        }
    }
}

/// What `live` has beyond `expected`, as objects tidemark does not manage. `live` is read
/// with its constraint names aligned to `expected` (`introspect::align_names`), so that a key
/// the snapshot describes under another name is not taken for a new one.
pub fn beyond(live: &Schema, expected: &Schema) -> Vec<Unmanaged> {
    let mut found = Vec::new();
    for table in live.tables.values() {
        let Some(known) = expected.table(&table.name) else {
            found.push(Unmanaged::Table {
                table: table.name.clone(),
            });
            continue;
        };
        for column in &table.columns {
            if known.column(&column.name).is_none() {
                found.push(Unmanaged::Column {
                    table: table.name.clone(),
                    column: column.name.clone(),
                });
            }
        }
        for name in table.indexes.keys() {
            if !known.indexes.contains_key(name) {
                found.push(Unmanaged::Index {
                    table: table.name.clone(),
                    index: name.clone(),
                });
            }
        }
        for name in table.foreign_keys.keys() {
            if !known.foreign_keys.contains_key(name) {
                found.push(Unmanaged::ForeignKey {
                    table: table.name.clone(),
                    foreign_key: name.clone(),
                });
            }
        }
    }
    found
}

/// `live` without the objects in `unmanaged` (those it has).
pub fn strip(live: &Schema, unmanaged: &[Unmanaged]) -> Schema {
    let mut schema = live.clone();
    for object in unmanaged {
        match object {
            Unmanaged::Table { table } => {
                schema.tables.remove(table);
            }
            Unmanaged::Column { table, column } => {
                if let Some(t) = schema.tables.get_mut(table) {
                    t.columns.retain(|c| c.name != *column);
                }
            }
            Unmanaged::Index { table, index } => {
                if let Some(t) = schema.tables.get_mut(table) {
                    t.indexes.remove(index);
                }
            }
            Unmanaged::ForeignKey { table, foreign_key } => {
                if let Some(t) = schema.tables.get_mut(table) {
                    t.foreign_keys.remove(foreign_key);
                }
            }
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, ColumnType, Index, Table};

    fn table(name: &str, columns: &[&str], indexes: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: columns
                .iter()
                .map(|c| Column {
                    name: (*c).into(),
                    ty: ColumnType::Integer,
                    nullable: false,
                    default: None,
                    auto_increment: false,
                    unique: false,
                    comment: None,
                })
                .collect(),
            primary_key: vec![],
            indexes: indexes
                .iter()
                .map(|i| {
                    (
                        (*i).to_owned(),
                        Index {
                            name: (*i).into(),
                            columns: vec![columns[0].into()],
                            unique: false,
                        },
                    )
                })
                .collect(),
            foreign_keys: Default::default(),
            comment: None,
            shadow_columns: Default::default(),
            conversions: Default::default(),
        }
    }

    fn schema(tables: Vec<Table>) -> Schema {
        Schema {
            tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn finds_what_the_snapshot_does_not_describe_and_strips_it() {
        let expected = schema(vec![table("task", &["id"], &[])]);
        let live = schema(vec![
            table("task", &["id", "search"], &["task_open"]),
            table("audit_log", &["id"], &[]),
        ]);
        let found = beyond(&live, &expected);
        assert_eq!(
            found.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "table `audit_log`",
                "column `task.search`",
                "index `task_open` on `task`"
            ]
        );
        assert_eq!(strip(&live, &found), expected);
    }
}
