//! The recorded schema: `migration/schema_snapshot.json`.
//!
//! It holds the schema as of the last generated migration and names that migration, so that
//! two branches that each generate one conflict in git (both rewrite the `migration` line)
//! instead of merging silently. Output is pretty-printed with a fixed key order and a
//! trailing newline: the same schema always gives the same bytes.

use crate::diff::Change;
use crate::error::{Error, Result};
use crate::model::Schema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The snapshot format this tidemark writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format_version: u32,
    /// The migration module (`mYYYYMMDD_HHMMSS_slug`) that brought the schema to this state.
    pub migration: String,
    /// The migration it was generated after: the chain `check` follows and `merge` mends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub schema: Schema,
    /// The contract of a `--phased` change, still to write once the code has moved: what
    /// `check` then finds pending is expected, not drift.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<Deferred>,
    /// The columns a `--phased` rename copies (`to` filled from `from`, both kept until the
    /// contract): the contract fills the rows the old code wrote since, and its `down` gives
    /// `from` its values back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phased_copies: Vec<PhasedCopy>,
    /// The type changes of this migration that convert values (`--convert`): `preflight`
    /// checks what the conversion gives rather than the values as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<ConvertedColumn>,
    /// The renames of this migration (`--rename-table`, `--rename-column`), so that reading
    /// its change again from the snapshots (`preflight`) does not take them for a drop and
    /// an add.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub renamed_tables: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed_columns: Vec<RenamedColumn>,
    /// What the database has after this migration that the schema does not describe, added by
    /// hand-written migrations (found by `record`): `verify` and `drift` leave it alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<crate::unmanaged::Unmanaged>,
    /// In `migration/snapshots/`: the migration whose schema this one's is a change of. The
    /// file's `schema` then holds only the tables, enums and views that differ from it, and
    /// `removed` what it no longer has ([`crate::history`] puts the whole schema together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_of: Option<String>,
    #[serde(default, skip_serializing_if = "Removed::is_empty")]
    pub removed: Removed,
}

/// What a migration removed from the schema of the one its snapshot is a change of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<String>,
}

impl Removed {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.enums.is_empty() && self.views.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenamedColumn {
    /// The table, by its name after the migration.
    pub table: String,
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertedColumn {
    pub table: String,
    pub column: String,
    #[serde(flatten)]
    pub conversion: crate::model::Conversion,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhasedCopy {
    pub table: String,
    pub from: String,
    pub to: String,
}

/// One change of a deferred contract, kept as the change itself so that `check` compares
/// changes, not sentences: rewording a description never turns a workspace into drift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Deferred {
    Change(Box<Change>),
    /// A snapshot written before contracts were stored typed holds the change's description.
    Described(String),
}

impl Deferred {
    /// Whether `change`, pending on the way to `schema`, is this deferred change.
    pub fn covers(&self, change: &Change, schema: &Schema) -> bool {
        match self {
            Deferred::Change(deferred) => **deferred == *change,
            Deferred::Described(text) => *text == crate::plan::describe(change, schema),
        }
    }
}

impl Snapshot {
    /// The renames recorded with this migration.
    pub fn renames(&self) -> crate::diff::Renames {
        crate::diff::Renames {
            tables: self.renamed_tables.clone(),
            columns: self
                .renamed_columns
                .iter()
                .map(|r| ((r.table.clone(), r.from.clone()), r.to.clone()))
                .collect(),
        }
    }

    /// Records `renames` as this migration's.
    pub fn record_renames(&mut self, renames: &crate::diff::Renames) {
        self.renamed_tables = renames.tables.clone();
        self.renamed_columns = renames
            .columns
            .iter()
            .map(|((table, from), to)| RenamedColumn {
                table: table.clone(),
                from: from.clone(),
                to: to.clone(),
            })
            .collect();
    }

    pub fn new(migration: impl Into<String>, schema: Schema) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            migration: migration.into(),
            parent: None,
            schema,
            deferred: Vec::new(),
            phased_copies: Vec::new(),
            conversions: Vec::new(),
            renamed_tables: BTreeMap::new(),
            renamed_columns: Vec::new(),
            unmanaged: Vec::new(),
            delta_of: None,
            removed: Removed::default(),
        }
    }

    /// Reads the snapshot at `path`; `Ok(None)` when there is none yet (a new project).
    pub fn read(path: &Path) -> Result<Option<Snapshot>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(Error::io(path)(err)),
        };
        Self::parse(&text, path).map(Some)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Snapshot> {
        let corrupt = |reason: String| Error::CorruptSnapshot {
            path: path.to_owned(),
            reason,
        };
        crate::merge::refuse_conflict_markers(path, text)?;
        // Tolerate a byte-order mark and CRLF line endings that editors or git may introduce.
        let text = text.trim_start_matches('\u{feff}');
        // The version first, on its own: a newer format is reported as such, not as whatever
        // field this version fails to read in it.
        #[derive(Deserialize)]
        struct Version {
            format_version: Option<serde_json::Number>,
        }
        let version: Version = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        let found = version
            .format_version
            .and_then(|n| n.as_u64())
            .ok_or_else(|| corrupt("`format_version` is missing or not a number".into()))?;
        if found > u64::from(FORMAT_VERSION) {
            return Err(Error::SnapshotTooNew {
                path: path.to_owned(),
                found: found as u32,
                supported: FORMAT_VERSION,
            });
        }
        let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        // A change-only history entry is checked once put together (`crate::history`).
        if snapshot.delta_of.is_none() {
            snapshot.validate().map_err(corrupt)?;
        }
        Ok(snapshot)
    }

    /// Structural checks that serde cannot express.
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        validate(&self.schema)
    }

    /// The exact bytes written to disk.
    pub fn to_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("the snapshot model always serialises");
        text.push('\n');
        text
    }
}

/// Structural checks that serde cannot express; a hand-edited snapshot that fails them would
/// otherwise produce a nonsensical migration.
fn validate(schema: &Schema) -> std::result::Result<(), String> {
    for (key, table) in &schema.tables {
        if key != &table.name {
            return Err(format!(
                "table key `{key}` does not match its name `{}`",
                table.name
            ));
        }
        for pk in &table.primary_key {
            if table.column(pk).is_none() {
                return Err(format!(
                    "primary key of `{key}` names unknown column `{pk}`"
                ));
            }
        }
        for index in table.indexes.values() {
            if let Some(c) = index.columns.iter().find(|c| table.column(c).is_none()) {
                return Err(format!(
                    "index `{}` on `{key}` names unknown column `{c}`",
                    index.name
                ));
            }
        }
        for fk in table.foreign_keys.values() {
            if let Some(c) = fk.columns.iter().find(|c| table.column(c).is_none()) {
                return Err(format!(
                    "foreign key `{}` on `{key}` names unknown column `{c}`",
                    fk.name
                ));
            }
        }
        for column in &table.columns {
            if let crate::model::ColumnType::Enum(name) = &column.ty
                && !schema.enums.contains_key(name)
            {
                return Err(format!(
                    "column `{key}.{}` uses enum `{name}`, which the snapshot does not define",
                    column.name
                ));
            }
        }
    }
    Ok(())
}
