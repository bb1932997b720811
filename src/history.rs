//! `migration/snapshots/<module>.json`: the schema after each migration, stored as what that
//! migration changed.
//!
//! A history entry names the migration it is a change of (`delta_of`) and holds only the
//! tables, enums and views that differ from that one's schema, plus what it removed; the first
//! migration (and a baseline or a squash) holds the whole schema. A repository therefore grows
//! by the size of each change, not of the schema, and reading an entry puts the whole schema
//! back together from the chain, exactly: `verify`, `drift` and `preflight` compare databases
//! with the same schemas as when every entry held a full copy. Entries that hold a full
//! schema (written before this format) read as they always did.

use crate::error::{Error, Result};
use crate::model::Schema;
use crate::snapshot::{Removed, Snapshot};
use crate::workspace::Workspace;
use std::collections::BTreeMap;

/// Reads history entries, putting each schema together once however often it is asked for.
pub struct History<'a> {
    ws: &'a Workspace,
    schemas: BTreeMap<String, Schema>,
}

impl<'a> History<'a> {
    pub fn new(ws: &'a Workspace) -> Self {
        History {
            ws,
            schemas: BTreeMap::new(),
        }
    }

    /// The snapshot after `module`, with its whole schema; `None` when it has no entry.
    pub fn read(&mut self, module: &str) -> Result<Option<Snapshot>> {
        let Some(mut entry) = read_entry(self.ws, module)? else {
            return Ok(None);
        };
        entry.schema = self.schema_of(module, entry.clone())?;
        entry.delta_of = None;
        entry.removed = Removed::default();
        Ok(Some(entry))
    }

    fn schema_of(&mut self, module: &str, entry: Snapshot) -> Result<Schema> {
        if let Some(schema) = self.schemas.get(module) {
            return Ok(schema.clone());
        }
        // Walk back to a whole schema (or one already put together), then forward.
        let mut chain = vec![(module.to_owned(), entry)];
        let base = loop {
            let (name, last) = chain.last().expect("the chain starts with the entry");
            let Some(base) = last.delta_of.clone() else {
                break None;
            };
            if let Some(schema) = self.schemas.get(&base) {
                break Some(schema.clone());
            }
            if chain.iter().any(|(m, _)| *m == base) {
                return Err(
                    self.corrupt(name, format!("`delta_of` goes round in a loop at `{base}`"))
                );
            }
            let Some(entry) = read_entry(self.ws, &base)? else {
                return Err(self.corrupt(
                    name,
                    format!("it is a change of `{base}`, which has no snapshot"),
                ));
            };
            chain.push((base, entry));
        };
        let mut schema = base.unwrap_or_default();
        for (name, entry) in chain.into_iter().rev() {
            if entry.delta_of.is_some() {
                apply(&mut schema, entry.schema, &entry.removed);
            } else {
                schema = entry.schema;
            }
            Snapshot::new(name.clone(), schema.clone())
                .validate()
                .map_err(|reason| self.corrupt(&name, reason))?;
            self.schemas.insert(name, schema.clone());
        }
        Ok(schema)
    }

    fn corrupt(&self, module: &str, reason: String) -> Error {
        Error::CorruptSnapshot {
            path: self.ws.history_snapshot(module),
            reason,
        }
    }
}

/// The snapshot after `module` with its whole schema (see [`History`] for many).
pub fn read(ws: &Workspace, module: &str) -> Result<Option<Snapshot>> {
    History::new(ws).read(module)
}

/// The entry as stored: a change of another migration's schema, or a whole one.
pub fn read_entry(ws: &Workspace, module: &str) -> Result<Option<Snapshot>> {
    Snapshot::read(&ws.history_snapshot(module))
}

/// The text of `snapshot`'s history entry: the change from `base` (a migration and its whole
/// schema) when there is one, else the whole schema.
pub fn entry_text(snapshot: &Snapshot, base: Option<(&str, &Schema)>) -> String {
    let Some((base_module, base_schema)) = base else {
        let mut whole = snapshot.clone();
        whole.delta_of = None;
        whole.removed = Removed::default();
        return whole.to_json();
    };
    let mut entry = snapshot.clone();
    let (changed, removed) = delta(base_schema, &snapshot.schema);
    entry.schema = changed;
    entry.removed = removed;
    entry.delta_of = Some(base_module.to_owned());
    entry.to_json()
}

/// What `new` has that differs from `old`, and what it no longer has.
fn delta(old: &Schema, new: &Schema) -> (Schema, Removed) {
    fn changed<T: Clone + PartialEq>(
        old: &BTreeMap<String, T>,
        new: &BTreeMap<String, T>,
    ) -> (BTreeMap<String, T>, Vec<String>) {
        let kept = new
            .iter()
            .filter(|(name, value)| old.get(*name) != Some(value))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let gone = old
            .keys()
            .filter(|name| !new.contains_key(*name))
            .cloned()
            .collect();
        (kept, gone)
    }
    let (tables, removed_tables) = changed(&old.tables, &new.tables);
    let (enums, removed_enums) = changed(&old.enums, &new.enums);
    let (views, removed_views) = changed(&old.views, &new.views);
    (
        Schema {
            tables,
            enums,
            views,
            pg_schema: new.pg_schema.clone(),
        },
        Removed {
            tables: removed_tables,
            enums: removed_enums,
            views: removed_views,
        },
    )
}

fn apply(schema: &mut Schema, changed: Schema, removed: &Removed) {
    for name in &removed.tables {
        schema.tables.remove(name);
    }
    for name in &removed.enums {
        schema.enums.remove(name);
    }
    for name in &removed.views {
        schema.views.remove(name);
    }
    schema.tables.extend(changed.tables);
    schema.enums.extend(changed.enums);
    schema.views.extend(changed.views);
    schema.pg_schema = changed.pg_schema;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, ColumnType, EnumType, Table};

    fn table(name: &str, columns: &[&str]) -> Table {
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
            primary_key: vec![columns[0].into()],
            indexes: Default::default(),
            foreign_keys: Default::default(),
            comment: None,
            shadow_columns: Default::default(),
            conversions: Default::default(),
        }
    }

    fn schema(tables: &[Table]) -> Schema {
        Schema {
            tables: tables.iter().map(|t| (t.name.clone(), t.clone())).collect(),
            ..Schema::default()
        }
    }

    #[test]
    fn a_chain_of_changes_reads_back_as_each_whole_schema() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path());
        std::fs::create_dir_all(dir.path().join("migration/snapshots")).unwrap();
        let mut first = schema(&[table("a", &["id"]), table("b", &["id"])]);
        first.enums.insert(
            "mood".into(),
            EnumType {
                name: "mood".into(),
                values: vec!["up".into()],
            },
        );
        let mut second = first.clone();
        second.tables.insert("a".into(), table("a", &["id", "x"]));
        second.tables.remove("b");
        second.enums.clear();
        second.views.insert("b_old".into(), "a".into());
        let mut third = second.clone();
        third.tables.insert("c".into(), table("c", &["id"]));
        let steps = [("m1", &first), ("m2", &second), ("m3", &third)];
        let mut previous: Option<(&str, &Schema)> = None;
        for (module, schema) in steps {
            let text = entry_text(&Snapshot::new(module, schema.clone()), previous);
            std::fs::write(ws.history_snapshot(module), text).unwrap();
            previous = Some((module, schema));
        }
        let m2 = read_entry(&ws, "m2").unwrap().unwrap();
        assert_eq!(m2.delta_of.as_deref(), Some("m1"));
        assert_eq!(
            m2.schema.tables.keys().collect::<Vec<_>>(),
            ["a"],
            "only what changed"
        );
        assert_eq!(m2.removed.tables, ["b"]);
        let mut history = History::new(&ws);
        for (module, schema) in steps {
            assert_eq!(
                history.read(module).unwrap().unwrap().schema,
                *schema,
                "{module}"
            );
            assert_eq!(
                read(&ws, module).unwrap().unwrap().schema,
                *schema,
                "{module}"
            );
        }
    }

    #[test]
    fn a_change_of_a_missing_migration_is_a_corrupt_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path());
        std::fs::create_dir_all(dir.path().join("migration/snapshots")).unwrap();
        let base = schema(&[table("a", &["id"])]);
        let text = entry_text(
            &Snapshot::new("m2", base.clone()),
            Some(("m1", &Schema::default())),
        );
        std::fs::write(ws.history_snapshot("m2"), text).unwrap();
        let err = read(&ws, "m2").unwrap_err().to_string();
        assert!(
            err.contains("m2.json") && err.contains("a change of `m1`, which has no snapshot"),
            "{err}"
        );
    }
}
