//! Old [`Schema`] + new [`Schema`] -> the [`Change`]s between them. Pure: no I/O, and the same
//! inputs always give the same changes in the same order.
//!
//! Renames cannot be seen in two schemas; they come in as [`Renames`] (from the entities'
//! `renamed_from`, from flags, or from the user's answers) and are applied to the old schema
//! first, so that indexes and foreign keys that merely follow a rename compare equal.
//! Changes carry the old object as well as the new one, so every change can be reversed.

use crate::model::{Column, EnumType, ForeignKey, Index, Schema, Table, View};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One difference between two schemas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    CreateEnum(EnumType),
    DropEnum(EnumType),
    AlterEnum {
        from: EnumType,
        to: EnumType,
    },
    CreateTable(Table),
    DropTable(Table),
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: Column,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    AlterColumn {
        table: String,
        from: Column,
        to: Column,
    },
    AlterPrimaryKey {
        table: String,
        from: Vec<String>,
        to: Vec<String>,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    DropIndex {
        table: String,
        index: Index,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    DropForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    AlterTableComment {
        table: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// The contract of a phased type change: the column is dropped and its shadow, kept equal
    /// to it by a trigger since the expand, takes its name and its indexes' names.
    SwapColumn(ColumnSwap),
    /// The same undone: the column goes back to being the shadow, and the column of the old
    /// type comes back beside it.
    UnswapColumn(ColumnSwap),
    /// The expand of a phased table rename: the table, still under its old name, can be read
    /// and written under the new one.
    CreateView(View),
    DropView(View),
    /// The contract of a phased table rename: the view goes and the table takes its name, at
    /// once, so that the code using the new name never misses it.
    ViewToTable(View),
    /// The same undone: the table takes its old name back and the view is made again.
    TableToView(View),
}

/// A column and its shadow of another type, before and after they swap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSwap {
    pub table: String,
    /// The column as the expand left it (the old type).
    pub kept: Column,
    /// The shadow as the expand added it (the new type, nullable).
    pub shadow: Column,
    /// The column after the swap (the new type, with its final nullability and default).
    pub swapped: Column,
    /// Indexes over the shadow and the names they take over: `(shadow's, column's)`.
    pub indexes: Vec<(String, String)>,
    /// What the sync computes, when the expand converted the values.
    pub conversion: Option<crate::model::Conversion>,
}

/// Renames to apply before comparing: table renames by old name, column renames by the
/// table's new name and the column's old name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renames {
    pub tables: BTreeMap<String, String>,
    pub columns: BTreeMap<(String, String), String>,
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }
}

impl Change {
    /// The table a change belongs to, if any.
    pub fn table(&self) -> Option<&str> {
        match self {
            Change::CreateEnum(_) | Change::DropEnum(_) | Change::AlterEnum { .. } => None,
            Change::CreateTable(t) | Change::DropTable(t) => Some(&t.name),
            Change::RenameTable { to, .. } => Some(to),
            Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::AlterColumn { table, .. }
            | Change::AlterPrimaryKey { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::DropIndex { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::DropForeignKey { table, .. }
            | Change::AlterTableComment { table, .. } => Some(table),
            Change::SwapColumn(swap) | Change::UnswapColumn(swap) => Some(&swap.table),
            // A view is no table: it never makes SQLite rebuild one.
            Change::CreateView(_) | Change::DropView(_) => None,
            Change::ViewToTable(view) | Change::TableToView(view) => Some(&view.name),
        }
    }

    /// The change that undoes this one.
    pub fn reverse(&self) -> Change {
        match self.clone() {
            Change::CreateEnum(e) => Change::DropEnum(e),
            Change::DropEnum(e) => Change::CreateEnum(e),
            Change::AlterEnum { from, to } => Change::AlterEnum { from: to, to: from },
            Change::CreateTable(t) => Change::DropTable(t),
            Change::DropTable(t) => Change::CreateTable(t),
            Change::RenameTable { from, to } => Change::RenameTable { from: to, to: from },
            Change::AddColumn { table, column } => Change::DropColumn { table, column },
            Change::DropColumn { table, column } => Change::AddColumn { table, column },
            Change::RenameColumn { table, from, to } => Change::RenameColumn {
                table,
                from: to,
                to: from,
            },
            Change::AlterColumn { table, from, to } => Change::AlterColumn {
                table,
                from: to,
                to: from,
            },
            Change::AlterPrimaryKey { table, from, to } => Change::AlterPrimaryKey {
                table,
                from: to,
                to: from,
            },
            Change::CreateIndex { table, index } => Change::DropIndex { table, index },
            Change::DropIndex { table, index } => Change::CreateIndex { table, index },
            Change::AddForeignKey { table, foreign_key } => {
                Change::DropForeignKey { table, foreign_key }
            }
            Change::DropForeignKey { table, foreign_key } => {
                Change::AddForeignKey { table, foreign_key }
            }
            Change::AlterTableComment { table, from, to } => Change::AlterTableComment {
                table,
                from: to,
                to: from,
            },
            Change::SwapColumn(swap) => Change::UnswapColumn(swap),
            Change::UnswapColumn(swap) => Change::SwapColumn(swap),
            Change::CreateView(view) => Change::DropView(view),
            Change::DropView(view) => Change::CreateView(view),
            Change::ViewToTable(view) => Change::TableToView(view),
            Change::TableToView(view) => Change::ViewToTable(view),
        }
    }
}

/// The changes that take `old` to `new`, given the renames.
pub fn diff(old: &Schema, new: &Schema, renames: &Renames) -> Vec<Change> {
    let mut changes = Vec::new();
    let (renames, finished) = finished_views(old, new, renames);
    for (name, table) in &old.views {
        if new.views.get(name) != Some(table) && !finished.contains(name) {
            changes.push(Change::DropView(View {
                name: name.clone(),
                table: table.clone(),
            }));
        }
    }
    let views = &old.views;
    let old = apply_renames(old, &renames, &mut changes);
    for change in &mut changes {
        if let Change::RenameTable { from, to } = change
            && finished.contains(to)
        {
            *change = Change::ViewToTable(View {
                name: to.clone(),
                table: from.clone(),
            });
        }
    }

    diff_enums(&old, new, &mut changes);
    for (name, table) in &new.tables {
        match old.tables.get(name) {
            None => changes.push(Change::CreateTable(table.clone())),
            Some(before) => diff_table(before, table, &mut changes),
        }
    }
    for (name, table) in &old.tables {
        if !new.tables.contains_key(name) {
            changes.push(Change::DropTable(table.clone()));
        }
    }
    for (name, table) in &new.views {
        if views.get(name) != Some(table) {
            changes.push(Change::CreateView(View {
                name: name.clone(),
                table: table.clone(),
            }));
        }
    }
    changes
}

/// The compatibility views whose table has taken their name (the contract of a phased table
/// rename), and the renames with those tables' renames added: the view records the rename, so
/// the entities need not say it again.
fn finished_views(
    old: &Schema,
    new: &Schema,
    renames: &Renames,
) -> (Renames, std::collections::BTreeSet<String>) {
    let mut renames = renames.clone();
    let mut finished = std::collections::BTreeSet::new();
    for (view, table) in &old.views {
        let taken_over = !new.views.contains_key(view)
            && new.tables.contains_key(view)
            && !old.tables.contains_key(view)
            && old.tables.contains_key(table)
            && !new.tables.contains_key(table);
        let renamed_elsewhere = renames.tables.get(table).is_some_and(|to| to != view);
        if taken_over && !renamed_elsewhere {
            renames.tables.insert(table.clone(), view.clone());
            finished.insert(view.clone());
        }
    }
    (renames, finished)
}

/// The changes that undo `changes`, in the order they must run.
pub fn reverse(changes: &[Change]) -> Vec<Change> {
    changes.iter().rev().map(Change::reverse).collect()
}

/// Returns `old` as it looks after the renames, pushing the rename changes. References to a
/// renamed table or column (foreign keys, indexes, primary keys) follow it, as they do in the
/// database.
fn apply_renames(old: &Schema, renames: &Renames, changes: &mut Vec<Change>) -> Schema {
    let mut schema = old.clone();
    for (from, to) in &renames.tables {
        if let Some(mut table) = schema.tables.remove(from) {
            changes.push(Change::RenameTable {
                from: from.clone(),
                to: to.clone(),
            });
            table.name = to.clone();
            schema.tables.insert(to.clone(), table);
        }
    }
    for table in schema.tables.values_mut() {
        for fk in table.foreign_keys.values_mut() {
            if let Some(to) = renames.tables.get(&fk.ref_table) {
                fk.ref_table = to.clone();
            }
        }
    }
    for ((table_name, from), to) in &renames.columns {
        let Some(table) = schema.tables.get_mut(table_name) else {
            continue;
        };
        let Some(column) = table.columns.iter_mut().find(|c| &c.name == from) else {
            continue;
        };
        column.name = to.clone();
        changes.push(Change::RenameColumn {
            table: table_name.clone(),
            from: from.clone(),
            to: to.clone(),
        });
        let rename = |cols: &mut Vec<String>| {
            cols.iter_mut()
                .filter(|c| *c == from)
                .for_each(|c| *c = to.clone());
        };
        rename(&mut table.primary_key);
        table
            .indexes
            .values_mut()
            .for_each(|i| rename(&mut i.columns));
        table
            .foreign_keys
            .values_mut()
            .for_each(|f| rename(&mut f.columns));
        for other in schema.tables.values_mut() {
            for fk in other.foreign_keys.values_mut() {
                if &fk.ref_table == table_name {
                    fk.ref_columns
                        .iter_mut()
                        .filter(|c| *c == from)
                        .for_each(|c| *c = to.clone());
                }
            }
        }
    }
    schema
}

fn diff_enums(old: &Schema, new: &Schema, changes: &mut Vec<Change>) {
    for (name, e) in &new.enums {
        match old.enums.get(name) {
            None => changes.push(Change::CreateEnum(e.clone())),
            Some(before) if before.values != e.values => changes.push(Change::AlterEnum {
                from: before.clone(),
                to: e.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, e) in &old.enums {
        if !new.enums.contains_key(name) {
            changes.push(Change::DropEnum(e.clone()));
        }
    }
}

fn diff_table(old: &Table, new: &Table, changes: &mut Vec<Change>) {
    let table = || new.name.clone();
    let (swaps, unswaps) = (swaps(old, new), swaps(new, old));
    // The columns and indexes a swap takes care of.
    let swapped_column = |name: &str| {
        swaps
            .iter()
            .chain(&unswaps)
            .any(|s| s.kept.name == name || s.shadow.name == name)
    };
    let swapped_index = |name: &str| {
        swaps
            .iter()
            .chain(&unswaps)
            .any(|s| s.indexes.iter().any(|(a, b)| a == name || b == name))
    };
    changes.extend(swaps.iter().cloned().map(Change::SwapColumn));
    changes.extend(unswaps.iter().cloned().map(Change::UnswapColumn));
    for column in new.columns.iter().filter(|c| !swapped_column(&c.name)) {
        match old.column(&column.name) {
            None => changes.push(Change::AddColumn {
                table: table(),
                column: column.clone(),
            }),
            Some(before) if before != column => changes.push(Change::AlterColumn {
                table: table(),
                from: before.clone(),
                to: column.clone(),
            }),
            Some(_) => {}
        }
    }
    for column in old.columns.iter().filter(|c| !swapped_column(&c.name)) {
        if new.column(&column.name).is_none() {
            changes.push(Change::DropColumn {
                table: table(),
                column: column.clone(),
            });
        }
    }
    if old.primary_key != new.primary_key {
        changes.push(Change::AlterPrimaryKey {
            table: table(),
            from: old.primary_key.clone(),
            to: new.primary_key.clone(),
        });
    }
    for (name, index) in new.indexes.iter().filter(|(n, _)| !swapped_index(n)) {
        match old.indexes.get(name) {
            Some(before) if before == index => {}
            Some(before) => {
                changes.push(Change::DropIndex {
                    table: table(),
                    index: before.clone(),
                });
                changes.push(Change::CreateIndex {
                    table: table(),
                    index: index.clone(),
                });
            }
            None => changes.push(Change::CreateIndex {
                table: table(),
                index: index.clone(),
            }),
        }
    }
    for (name, index) in old.indexes.iter().filter(|(n, _)| !swapped_index(n)) {
        if !new.indexes.contains_key(name) {
            changes.push(Change::DropIndex {
                table: table(),
                index: index.clone(),
            });
        }
    }
    for (name, fk) in &new.foreign_keys {
        match old.foreign_keys.get(name) {
            Some(before) if before == fk => {}
            Some(before) => {
                changes.push(Change::DropForeignKey {
                    table: table(),
                    foreign_key: before.clone(),
                });
                changes.push(Change::AddForeignKey {
                    table: table(),
                    foreign_key: fk.clone(),
                });
            }
            None => changes.push(Change::AddForeignKey {
                table: table(),
                foreign_key: fk.clone(),
            }),
        }
    }
    for (name, fk) in &old.foreign_keys {
        if !new.foreign_keys.contains_key(name) {
            changes.push(Change::DropForeignKey {
                table: table(),
                foreign_key: fk.clone(),
            });
        }
    }
    if old.comment != new.comment {
        changes.push(Change::AlterTableComment {
            table: table(),
            from: old.comment.clone(),
            to: new.comment.clone(),
        });
    }
}

/// The shadow columns of `old` that `new` no longer has, where `new`'s column is of the
/// shadow's type: the contract of a phased type change swaps them in. (With the arguments the
/// other way round: the swaps its `down` undoes.)
fn swaps(old: &Table, new: &Table) -> Vec<ColumnSwap> {
    let mut swaps = Vec::new();
    for (shadow_name, column) in &old.shadow_columns {
        if new.column(shadow_name).is_some() {
            continue;
        }
        let (Some(kept), Some(shadow), Some(swapped)) = (
            old.column(column),
            old.column(shadow_name),
            new.column(column),
        ) else {
            continue;
        };
        if swapped.ty != shadow.ty {
            continue;
        }
        // Each index over the shadow takes the name of the index of `new` that has the same
        // columns with the column in the shadow's place.
        let over_column = |index: &Index| Index {
            name: String::new(),
            columns: index
                .columns
                .iter()
                .map(|c| {
                    if c == shadow_name {
                        column.clone()
                    } else {
                        c.clone()
                    }
                })
                .collect(),
            unique: index.unique,
        };
        let indexes = old
            .indexes
            .values()
            .filter(|i| i.columns.contains(shadow_name))
            .filter_map(|i| {
                let wanted = over_column(i);
                new.indexes
                    .values()
                    .find(|n| n.columns == wanted.columns && n.unique == wanted.unique)
                    .map(|n| (i.name.clone(), n.name.clone()))
            })
            .collect();
        swaps.push(ColumnSwap {
            table: new.name.clone(),
            kept: kept.clone(),
            shadow: shadow.clone(),
            swapped: swapped.clone(),
            indexes,
            conversion: old.conversions.get(shadow_name).cloned(),
        });
    }
    swaps
}

/// A dropped and an added column of the same type in one table, or a dropped and an added
/// table with the same columns: quite possibly a rename that nobody announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenameCandidate {
    Table {
        from: String,
        to: String,
    },
    Column {
        table: String,
        from: String,
        to: String,
    },
}

/// Finds rename candidates among `changes`; each dropped object is offered at most once.
pub fn rename_candidates(changes: &[Change]) -> Vec<RenameCandidate> {
    let mut found = Vec::new();
    let dropped_tables = changes.iter().filter_map(|c| match c {
        Change::DropTable(t) => Some(t),
        _ => None,
    });
    for dropped in dropped_tables {
        let shape = |t: &Table| {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect::<Vec<_>>()
        };
        let twin = changes.iter().find_map(|c| match c {
            Change::CreateTable(t) if shape(t) == shape(dropped) => Some(t),
            _ => None,
        });
        if let Some(created) = twin {
            found.push(RenameCandidate::Table {
                from: dropped.name.clone(),
                to: created.name.clone(),
            });
        }
    }
    let mut taken: Vec<(String, String)> = Vec::new();
    for change in changes {
        let Change::DropColumn { table, column } = change else {
            continue;
        };
        let twin = changes.iter().find_map(|c| match c {
            Change::AddColumn {
                table: t,
                column: added,
            } if t == table
                && added.ty == column.ty
                && !taken.contains(&(t.clone(), added.name.clone())) =>
            {
                Some(added)
            }
            _ => None,
        });
        if let Some(added) = twin {
            taken.push((table.clone(), added.name.clone()));
            found.push(RenameCandidate::Column {
                table: table.clone(),
                from: column.name.clone(),
                to: added.name.clone(),
            });
        }
    }
    found
}
