//! The order of a migration's changes: phases, parents before children, cycles broken.

use super::{Op, Step, describe};
use crate::diff::Change;
use crate::model::{Schema, Table};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Up,
    Down,
    /// `up` of a reconciliation migration: guarded steps.
    Reconcile,
}

/// Where a change runs within a migration. Foreign keys and indexes come off before the
/// objects they depend on change, tables are created parents first and dropped children
/// first, and new indexes and foreign keys go on last, once everything they name exists.
///
/// Every change names tables and columns as they are after `up`'s renames. So `up` renames
/// first, and `down`, which runs the same changes reversed, undoes the renames last. A view
/// comes off before anything (PostgreSQL will not drop or retype a column a view reads) and
/// goes on after everything (its `SELECT *` takes the columns the table has then).
pub(super) fn phase(change: &Change, direction: Direction) -> u8 {
    let undoing = direction == Direction::Down;
    match change {
        Change::DropView(_) => 0,
        Change::RenameTable { .. } | Change::ViewToTable(_) | Change::TableToView(_) => {
            if undoing {
                15
            } else {
                1
            }
        }
        Change::DropForeignKey { .. } => 2,
        Change::DropIndex { .. } => 3,
        Change::CreateEnum(_) | Change::AlterEnum { .. } => 4,
        Change::RenameColumn { .. } => {
            if undoing {
                14
            } else {
                5
            }
        }
        Change::CreateTable(_) => 6,
        Change::AddColumn { .. } => 7,
        Change::AlterColumn { .. }
        | Change::AlterPrimaryKey { .. }
        | Change::AlterTableComment { .. }
        | Change::SwapColumn(_)
        | Change::UnswapColumn(_) => 8,
        Change::DropColumn { .. } => 9,
        Change::DropTable(_) => 10,
        Change::DropEnum(_) => 11,
        Change::CreateIndex { .. } => 12,
        Change::AddForeignKey { .. } => 13,
        Change::CreateView(_) => 16,
    }
}

/// SQLite table rebuilds run after columns are added, altered and dropped and before tables
/// are dropped: by then renames are done and every table a new foreign key names exists.
pub(super) const SQLITE_REBUILD_PHASE: u8 = 10;

/// Creates parents before children and drops children before parents.
pub(super) fn order_tables(ordered: Vec<&Change>, direction: Direction) -> Vec<&Change> {
    let mut out = Vec::with_capacity(ordered.len());
    let mut i = 0;
    while i < ordered.len() {
        let p = phase(ordered[i], direction);
        let mut j = i;
        while j < ordered.len() && phase(ordered[j], direction) == p {
            j += 1;
        }
        let group = &ordered[i..j];
        match ordered[i] {
            Change::CreateTable(_) => out.extend(topo_sort(group, false)),
            Change::DropTable(_) => out.extend(topo_sort(group, true)),
            _ => out.extend_from_slice(group),
        }
        i = j;
    }
    out
}

pub(super) fn table_of(change: &Change) -> &Table {
    match change {
        Change::CreateTable(t) | Change::DropTable(t) => t,
        _ => unreachable!("only table creations and drops are sorted"),
    }
}

/// Orders table creations so that referenced tables come first (reverse for drops); tables in
/// a cycle keep their alphabetical order and the cycle's foreign keys are deferred.
pub(super) fn topo_sort<'a>(group: &[&'a Change], reverse: bool) -> Vec<&'a Change> {
    let names: BTreeSet<&str> = group.iter().map(|c| table_of(c).name.as_str()).collect();
    // For each change, the tables of the group it waits for; for each table, who waits.
    let mut waiting_for: Vec<BTreeSet<&str>> = Vec::with_capacity(group.len());
    let mut waiters: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, change) in group.iter().enumerate() {
        let t = table_of(change);
        let parents: BTreeSet<&str> = t
            .foreign_keys
            .values()
            .map(|fk| fk.ref_table.as_str())
            .filter(|parent| *parent != t.name && names.contains(parent))
            .collect();
        for parent in &parents {
            waiters.entry(parent).or_default().push(i);
        }
        waiting_for.push(parents);
    }
    // The first ready change in group order goes next (Kahn's algorithm, smallest first).
    let mut pending: BTreeSet<usize> = (0..group.len()).collect();
    let mut ready: BTreeSet<usize> = (0..group.len())
        .filter(|&i| waiting_for[i].is_empty())
        .collect();
    let mut placed: Vec<&'a Change> = Vec::with_capacity(group.len());
    let mut done: BTreeSet<&str> = BTreeSet::new();
    while let Some(&first_pending) = pending.first() {
        // In a cycle nothing is ready: place the first remaining table.
        let index = ready.pop_first().unwrap_or(first_pending);
        ready.remove(&index);
        pending.remove(&index);
        let next = group[index];
        let name = table_of(next).name.as_str();
        placed.push(next);
        if done.insert(name) {
            for &waiter in waiters.get(name).into_iter().flatten() {
                waiting_for[waiter].remove(name);
                if waiting_for[waiter].is_empty() && pending.contains(&waiter) {
                    ready.insert(waiter);
                }
            }
        }
    }
    if reverse {
        placed.reverse();
    }
    placed
}

/// Foreign keys of created tables that point at a table created later in the same
/// migration (a cycle): they are left out of `CREATE TABLE` and added at the end.
pub(super) fn deferred_foreign_keys(ordered: &[&Change]) -> BTreeSet<(String, String)> {
    let mut deferred = BTreeSet::new();
    let created: Vec<&Table> = ordered
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t),
            _ => None,
        })
        .collect();
    for (i, table) in created.iter().enumerate() {
        for fk in table.foreign_keys.values() {
            if created[i + 1..]
                .iter()
                .any(|later| later.name == fk.ref_table)
            {
                deferred.insert((table.name.clone(), fk.name.clone()));
            }
        }
    }
    deferred
}

/// Dropped tables that reference each other: a table dropped later still holds a foreign key
/// to one dropped earlier, which PostgreSQL and MySQL refuse. Those keys come off first.
pub(super) fn cycle_drops(ordered: &[&Change], to: &Schema) -> Vec<Step> {
    let dropped: Vec<&Table> = ordered
        .iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t),
            _ => None,
        })
        .collect();
    let mut steps = Vec::new();
    for (i, later) in dropped.iter().enumerate() {
        for fk in later.foreign_keys.values() {
            if dropped[..i]
                .iter()
                .any(|earlier| earlier.name == fk.ref_table)
            {
                let change = Change::DropForeignKey {
                    table: later.name.clone(),
                    foreign_key: fk.clone(),
                };
                let op = Op::DropForeignKey {
                    table: later.name.clone(),
                    name: fk.name.clone(),
                };
                steps.push(Step {
                    guard: None,
                    summary: format!(
                        "{} (the dropped tables reference each other)",
                        describe(&change, to)
                    ),
                    sqlite: vec![],
                    postgres: vec![op.clone()],
                    mysql: vec![op],
                });
            }
        }
    }
    steps
}
