//! What the entities change against the recorded state, with the renames declared, flagged
//! or confirmed by a person.

use super::{State, load_state};
use crate::diff::{self, Change, RenameCandidate, Renames};
use crate::error::{Error, Result};
use crate::extract::EntitySet;
use crate::model::Schema;
use crate::plan::{self};
use crate::snapshot::{Deferred, Snapshot};
use crate::workspace::Workspace;

/// Asks a person to confirm a guess (a rename). Without a terminal nobody is asked.
pub trait Questioner {
    /// `None` when there is nobody to ask.
    fn confirm(&mut self, question: &str) -> Option<bool>;
}

/// For scripts, CI and tests: never asks.
pub struct NoTerminal;

impl Questioner for NoTerminal {
    fn confirm(&mut self, _question: &str) -> Option<bool> {
        None
    }
}

/// Renames the entities announce with `renamed_from`, where the snapshot still has the old
/// column and not the new one (once applied, the attribute is history and ignored).
pub(super) fn declared_renames(
    extracted: &crate::extract::Extracted,
    old: &Schema,
    flags: &Renames,
) -> Renames {
    let mut renames = flags.clone();
    for r in &extracted.renames {
        let old_table_name = renames
            .tables
            .iter()
            .find(|(_, to)| **to == r.table)
            .map_or(r.table.clone(), |(from, _)| from.clone());
        let Some(old_table) = old.table(&old_table_name) else {
            continue;
        };
        if old_table.column(&r.from).is_some() && old_table.column(&r.to).is_none() {
            renames
                .columns
                .entry((r.table.clone(), r.from.clone()))
                .or_insert(r.to.clone());
        }
    }
    renames
}

/// The changes between the snapshot and the entities, with renames resolved.
pub struct Pending {
    pub old: Schema,
    pub new: Schema,
    pub renames: Renames,
    pub changes: Vec<Change>,
}

/// The contract a `--phased` generate left for later, as the snapshot records it.
pub fn deferred_contract(ws: &Workspace) -> Result<Vec<Deferred>> {
    Ok(Snapshot::read(&ws.snapshot())?
        .map(|s| s.deferred)
        .unwrap_or_default())
}

impl Pending {
    pub fn summary(&self) -> Vec<String> {
        self.changes
            .iter()
            .map(|c| plan::describe(c, &self.new))
            .collect()
    }

    /// Whether every pending change is part of the contract a `--phased` generate deferred.
    pub fn only_deferred(&self, deferred: &[Deferred]) -> bool {
        self.changes
            .iter()
            .all(|c| deferred.iter().any(|d| d.covers(c, &self.new)))
    }
}

/// Computes what `generate --autogenerate` would write, asking about likely renames.
pub fn pending(
    ws: &Workspace,
    entities: &EntitySet,
    flags: &Renames,
    asker: &mut dyn Questioner,
) -> Result<Pending> {
    let state = load_state(ws)?;
    pending_from(&state, entities, flags, asker)
}

pub(super) fn pending_from(
    state: &State,
    entities: &EntitySet,
    flags: &Renames,
    asker: &mut dyn Questioner,
) -> Result<Pending> {
    let old = state.schema();
    let extracted = entities.extract()?;
    let new = extracted.schema.clone();
    if !old.tables.is_empty() && old.pg_schema != new.pg_schema {
        let name = |s: &Option<String>| s.clone().unwrap_or_else(|| "public".to_owned());
        return Err(Error::SchemaMoved {
            from: name(&old.pg_schema),
            to: name(&new.pg_schema),
        });
    }
    validate_renames(flags, &old, &new)?;
    let mut renames = declared_renames(&extracted, &old, flags);
    let mut changes = diff::diff(&old, &new, &renames);
    let mut asked = false;
    for candidate in diff::rename_candidates(&changes) {
        let question = match &candidate {
            RenameCandidate::Table { from, to } => format!("Was table `{from}` renamed to `{to}`?"),
            RenameCandidate::Column { table, from, to } => {
                format!("Was column `{table}.{from}` renamed to `{table}.{to}`?")
            }
        };
        if asker.confirm(&question) != Some(true) {
            continue;
        }
        match candidate {
            RenameCandidate::Table { from, to } => {
                renames.tables.insert(from, to);
            }
            RenameCandidate::Column { table, from, to } => {
                renames.columns.insert((table, from), to);
            }
        }
        asked = true;
    }
    if asked {
        changes = diff::diff(&old, &new, &renames);
    }
    Ok(Pending {
        old,
        new,
        renames,
        changes,
    })
}

pub(super) fn validate_renames(flags: &Renames, old: &Schema, new: &Schema) -> Result<()> {
    for (from, to) in &flags.tables {
        if old.table(from).is_none() {
            return Err(Error::InvalidArgument {
                flag: "--rename-table",
                value: format!("{from}={to}"),
                reason: format!("the snapshot has no table `{from}`"),
            });
        }
        if new.table(to).is_none() {
            return Err(Error::InvalidArgument {
                flag: "--rename-table",
                value: format!("{from}={to}"),
                reason: format!("no entity defines table `{to}`"),
            });
        }
    }
    for ((table, from), to) in &flags.columns {
        let old_table = flags
            .tables
            .iter()
            .find(|(_, t)| *t == table)
            .map_or(table.as_str(), |(f, _)| f.as_str());
        if old.table(old_table).and_then(|t| t.column(from)).is_none() {
            return Err(Error::InvalidArgument {
                flag: "--rename-column",
                value: format!("{table}.{from}={to}"),
                reason: format!("the snapshot has no column `{old_table}.{from}`"),
            });
        }
        if new.table(table).and_then(|t| t.column(to)).is_none() {
            return Err(Error::InvalidArgument {
                flag: "--rename-column",
                value: format!("{table}.{from}={to}"),
                reason: format!("the entities have no column `{table}.{to}`"),
            });
        }
    }
    Ok(())
}
