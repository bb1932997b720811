//! `--phased`: the expand migration now, the contract recorded for later.

use super::{Pending, State};
use crate::diff::{self, Change, Renames};
use crate::error::Result;
use crate::plan::{self, Backfills};
use crate::snapshot::PhasedCopy;

#[derive(Clone, Debug)]
pub struct Phased {
    pub code_steps: Vec<String>,
    /// What the code deployed together with the contract must do.
    pub with_contract: Vec<String>,
    /// The contract still to write, in words.
    pub contract: Vec<String>,
    /// Its changes, as the snapshot records them.
    pub contract_changes: Vec<Change>,
    /// Whether the contract drops data, so that it needs `--allow-destructive`.
    pub contract_destroys: bool,
    /// The renamed columns the expand copies, new from old.
    pub copies: Vec<PhasedCopy>,
}

/// For the contract of a `--phased` rename: the rows the old code wrote since the expand get
/// the new column from the old one (unless `--backfill` says otherwise), and `down` gives the
/// old column its values back from the new one. Returns what `down` restores.
pub(super) fn contract_copies(
    state: &State,
    pending: &Pending,
    backfills: &mut Backfills,
) -> Backfills {
    let mut restore = Backfills::new();
    let copies = state
        .snapshot
        .as_ref()
        .map_or(&[][..], |s| &s.phased_copies[..]);
    for copy in copies {
        let dropped = pending.changes.iter().any(|c| {
            matches!(c, Change::DropColumn { table, column } if *table == copy.table && column.name == copy.from)
        });
        if !dropped {
            continue;
        }
        let tightened = pending.changes.iter().any(|c| {
            matches!(c, Change::AlterColumn { table, from, to } if *table == copy.table && to.name == copy.to && from.nullable && !to.nullable)
        });
        if tightened {
            backfills
                .entry((copy.table.clone(), copy.to.clone()))
                .or_insert_with(|| copy.from.clone());
        }
        restore.insert((copy.table.clone(), copy.from.clone()), copy.to.clone());
    }
    restore
}

/// The expand of a `--phased` change, and the contract it leaves for later.
pub(super) fn split_phases(
    pending: &Pending,
    conversions: &plan::Conversions,
) -> Result<(plan::phased::Expand, Vec<Change>, bool)> {
    let expand = plan::phased::expand(&pending.old, &pending.new, &pending.changes, conversions)?;
    let changes = diff::diff(&expand.mid, &pending.new, &Renames::default());
    let destroys = !plan::hazards(&changes).is_empty();
    Ok((expand, changes, destroys))
}
