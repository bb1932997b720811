//! Expand/contract (`--phased`): the changes that running code cannot survive are split so
//! that the migration written now only adds, and the rest waits until the code has moved.
//!
//! The expand migration takes the schema to an intermediate one (`mid`) that both the old
//! and the new code can run against: a renamed column exists under both names (the new one
//! filled from the old), a dropped column or table is still there (a dropped NOT NULL column
//! turns nullable, so that new code may stop writing it), a renamed table keeps its old name
//! and gets the new one as a writable view. The contract is then simply the
//! difference between `mid` and the entities, which `generate` writes later, once the old
//! code is gone.

use super::Backfills;
use crate::diff::Change;
use crate::error::Result;
use crate::model::{Column, Index, Schema, Table};
use std::collections::BTreeMap;

/// The intermediate schema and how to fill what the expand adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expand {
    pub mid: Schema,
    /// New columns filled from the old ones (`(table, column) -> SQL`).
    pub backfills: Backfills,
    /// What code must do between the two migrations, in words.
    pub code_steps: Vec<String>,
    /// What the code deployed together with the contract must do, in words.
    pub with_contract: Vec<String>,
}

/// A change `--phased` cannot split into expand and contract by itself.
#[derive(Debug, thiserror::Error)]
pub enum PhasedError {
    #[error(
        "--phased renames `{from}` through a view named `{to}`, and MySQL's 64-character limit \
         leaves room for a name of 49 characters at most; rename it without --phased"
    )]
    ViewNameTooLong { from: String, to: String },

    #[error(
        "--phased cannot split the rename of `{table}.{column}` inside a table that is renamed \
         or created in the same migration"
    )]
    RenameInNewTable { table: String, column: String },

    #[error(
        "--phased copies `{table}.{from}` into `{to}` with an SQL expression, which needs plain \
         lower-case names; rename it without --phased"
    )]
    RenameNeedsPlainNames {
        table: String,
        from: String,
        to: String,
    },

    #[error(
        "--phased cannot split the type change of `{table}.{column}` inside a table renamed \
         from `{old_table}` in the same migration: phase the rename first, then the type change"
    )]
    TypeChangeInRenamedTable {
        table: String,
        column: String,
        old_table: String,
    },

    /// With the recipe that phases it by hand.
    #[error(
        "--phased cannot split the type change of `{table}.{column}` ({from} -> {to}) by \
         itself: {reason}.\n  \
         1. Expand: add a field for the new column (`{column}_new`, an Option of the new type) \
         and run `generate --autogenerate --backfill {table}.{column}_new=<{column} converted>`; \
         deploy code that writes both and reads `{column}_new`.\n  \
         2. Contract: remove the field `{column}` and run `generate --autogenerate \
         --allow-destructive`.\n  \
         3. To get the old name back, rename `{column}_new` to `{column}` \
         (#[sea_orm(renamed_from = \"{column}_new\")]) and run `generate --autogenerate \
         --phased`, which adds `{column}` filled from `{column}_new` and keeps `{column}_new` \
         until its own contract."
    )]
    TypeChange {
        table: String,
        column: String,
        from: String,
        to: String,
        reason: String,
    },
}

/// The schema both the code before and the code after `changes` can run against.
pub fn expand(
    old: &Schema,
    new: &Schema,
    changes: &[Change],
    conversions: &super::Conversions,
) -> Result<Expand> {
    let mut mid = new.clone();
    // Tables renamed by these changes, new name -> old name. A rename whose view a phased
    // generate already made stays as it is: its contract is still to come.
    let renamed: BTreeMap<&str, &str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameTable { from, to } => Some((to.as_str(), from.as_str())),
            Change::ViewToTable(view) => Some((view.name.as_str(), view.table.as_str())),
            _ => None,
        })
        .collect();
    let old_table = |name: &str| old.table(renamed.get(name).copied().unwrap_or(name));
    let mut backfills = Backfills::new();
    let mut code_steps = Vec::new();
    let mut with_contract = Vec::new();
    for change in changes {
        match change {
            Change::RenameTable { from, to } => {
                // MySQL renames the view aside while the table takes its name.
                if to.len() > 49 {
                    return Err(PhasedError::ViewNameTooLong {
                        from: from.clone(),
                        to: to.clone(),
                    }
                    .into());
                }
                code_steps.push(format!(
                    "use table `{to}` (until the contract it is a view of `{from}`, which the \
                     old code goes on using; on SQLite an insert into the view cannot return \
                     the new row's key, so set it or insert into `{from}` until then)"
                ));
            }
            Change::RenameColumn { table, from, to } => {
                let (Some(old_table), Some(mid_table)) =
                    (old.table(table), mid.tables.get_mut(table))
                else {
                    return Err(PhasedError::RenameInNewTable {
                        table: table.clone(),
                        column: from.clone(),
                    }
                    .into());
                };
                if !is_plain_identifier(from) || !is_plain_identifier(to) {
                    return Err(PhasedError::RenameNeedsPlainNames {
                        table: table.clone(),
                        from: from.clone(),
                        to: to.clone(),
                    }
                    .into());
                }
                if let Some(column) = mid_table.columns.iter_mut().find(|c| c.name == *to) {
                    column.nullable = true;
                    column.unique = false;
                }
                restore_column(old_table, mid_table, from, false);
                backfills.insert((table.clone(), to.clone()), from.clone());
                code_steps.push(format!(
                    "write both `{table}.{from}` and `{table}.{to}`, and read `{to}`"
                ));
            }
            Change::DropColumn { table, column } => {
                if let (Some(old_table), Some(mid_table)) =
                    (old_table(table), mid.tables.get_mut(table))
                {
                    restore_column(old_table, mid_table, &column.name, true);
                    code_steps.push(format!(
                        "stop reading and writing `{table}.{}`",
                        column.name
                    ));
                }
            }
            Change::AlterColumn { table, from, to }
                if crate::backend::pg_type_change_rewrites(&from.ty, &to.ty)
                    || from.ty.narrows_to(&to.ty)
                    || conversions.contains_key(&(table.clone(), to.name.clone())) =>
            {
                if let Some(old_name) = renamed.get(table.as_str()) {
                    return Err(PhasedError::TypeChangeInRenamedTable {
                        table: table.clone(),
                        column: to.name.clone(),
                        old_table: (*old_name).to_owned(),
                    }
                    .into());
                }
                let converted = conversions.contains_key(&(table.clone(), to.name.clone()));
                if let Some(reason) = shadow_refusal(old, new, table, from, to, converted) {
                    return Err(PhasedError::TypeChange {
                        table: table.clone(),
                        column: to.name.clone(),
                        from: from.ty.describe(),
                        to: to.ty.describe(),
                        reason,
                    }
                    .into());
                }
                let (Some(old_table), Some(new_table), Some(mid_table)) = (
                    old.table(table),
                    new.table(table),
                    mid.tables.get_mut(table),
                ) else {
                    continue;
                };
                shadow_column(old_table, new_table, mid_table, from, to);
                let shadow = shadow_name(&to.name);
                // The shadow is filled and kept with the conversion, or with the column itself
                // (the assignment cast).
                let conversion = conversions.get(&(table.clone(), to.name.clone()));
                let fill = conversion.map_or_else(|| to.name.clone(), |c| format!("({})", c.up));
                backfills.insert((table.clone(), shadow.clone()), fill);
                if let Some(conversion) = conversion {
                    mid_table
                        .conversions
                        .insert(shadow.clone(), conversion.clone());
                }
                with_contract.push(format!(
                    "reads and writes `{table}.{}` as {} (until the contract the column keeps \
                     its old type, and a trigger copies it into `{shadow}`)",
                    to.name,
                    to.ty.describe()
                ));
            }
            Change::DropTable(table) => {
                mid.tables.insert(table.name.clone(), table.clone());
                for ty in table.columns.iter().filter_map(|c| match &c.ty {
                    crate::model::ColumnType::Enum(name) => Some(name),
                    _ => None,
                }) {
                    if let Some(e) = old.enums.get(ty) {
                        mid.enums.entry(ty.clone()).or_insert_with(|| e.clone());
                    }
                }
                code_steps.push(format!("stop using table `{}`", table.name));
            }
            _ => {}
        }
    }
    // Foreign keys into tables kept for now stay until the contract too.
    for old_table in old.tables.values() {
        let Some(mid_table) = mid.tables.get_mut(&old_table.name) else {
            continue;
        };
        for (name, fk) in &old_table.foreign_keys {
            let kept_target = changes
                .iter()
                .any(|c| matches!(c, Change::DropTable(t) if t.name == fk.ref_table));
            if kept_target && !mid_table.foreign_keys.contains_key(name) {
                mid_table.foreign_keys.insert(name.clone(), fk.clone());
            }
        }
    }
    // A renamed table keeps its old name until the contract, and the new name is its view.
    for (to, from) in renamed {
        if let Some(mut table) = mid.tables.remove(to) {
            table.name = from.to_owned();
            mid.tables.insert(from.to_owned(), table);
        }
        for fk in mid
            .tables
            .values_mut()
            .flat_map(|t| t.foreign_keys.values_mut())
        {
            if fk.ref_table == to {
                fk.ref_table = from.to_owned();
            }
        }
        mid.views.insert(to.to_owned(), from.to_owned());
    }
    Ok(Expand {
        mid,
        backfills,
        code_steps,
        with_contract,
    })
}

/// The shadow of a column whose type changes: `{column}__new`.
pub fn shadow_name(column: &str) -> String {
    format!("{column}__new")
}

/// In `mid`, `from` keeps its old definition and indexes, and is followed by its shadow of
/// the new type (nullable, until the contract tightens it) with copies of the column's new
/// indexes.
fn shadow_column(old: &Table, new: &Table, mid: &mut Table, from: &Column, to: &Column) {
    let shadow = Column {
        name: shadow_name(&to.name),
        ty: to.ty.clone(),
        nullable: true,
        default: None,
        auto_increment: false,
        unique: false,
        comment: None,
    };
    let Some(position) = mid.columns.iter().position(|c| c.name == to.name) else {
        return;
    };
    mid.columns[position] = from.clone();
    mid.columns.insert(position + 1, shadow.clone());
    mid.shadow_columns
        .insert(shadow.name.clone(), to.name.clone());
    let over = |i: &Index| i.columns.contains(&to.name);
    mid.indexes.retain(|_, i| !over(i));
    for (name, index) in old.indexes.iter().filter(|(_, i)| over(i)) {
        mid.indexes.insert(name.clone(), index.clone());
    }
    for index in new.indexes.values().filter(|i| over(i)) {
        let name = shadow_name(&index.name);
        let columns = index
            .columns
            .iter()
            .map(|c| {
                if *c == to.name {
                    shadow.name.clone()
                } else {
                    c.clone()
                }
            })
            .collect();
        mid.indexes.insert(
            name.clone(),
            Index {
                name,
                columns,
                unique: index.unique,
            },
        );
    }
}

/// Why the type change of `table.from` cannot go through a shadow column, if it cannot.
fn shadow_refusal(
    old: &Schema,
    new: &Schema,
    table: &str,
    from: &Column,
    to: &Column,
    converted: bool,
) -> Option<String> {
    let c = &to.name;
    let shadow = shadow_name(c);
    let (old_table, new_table) = (old.table(table)?, new.table(table)?);
    let in_key = |t: &Table| {
        t.primary_key.contains(c) || t.foreign_keys.values().any(|fk| fk.columns.contains(c))
    };
    let referenced = old.tables.values().chain(new.tables.values()).any(|t| {
        t.foreign_keys
            .values()
            .any(|fk| fk.ref_table == table && fk.ref_columns.contains(c))
    });
    // A conversion's values are checked against the new type before the expand fills the
    // shadow and again before the contract swaps it in.
    Some(if from.ty.narrows_to(&to.ty) && !converted {
        format!(
            "{} does not fit every {} value: the trigger that keeps the new column in step \
             would make the old code's writes fail",
            to.ty.describe(),
            from.ty.describe()
        )
    } else if in_key(old_table) || in_key(new_table) || referenced {
        format!("`{c}` is part of a primary or foreign key, which the swap cannot carry over")
    } else if from.unique || to.unique || from.auto_increment || to.auto_increment {
        format!("`{c}` is unique or auto-increment, which the swap cannot carry over")
    } else if from.nullable && !to.nullable {
        format!("`{c}` also becomes NOT NULL: change its type first, then tighten it")
    } else if old_table.column(&shadow).is_some() || new_table.column(&shadow).is_some() {
        format!("the table already has a column `{shadow}`, the name the new column would take")
    } else if !is_plain_identifier(c) {
        "the new column is filled from the old one by an SQL expression, which needs a plain lower-case column name".into()
    } else if table.len() + c.len() > 40
        || new_table
            .indexes
            .values()
            .any(|i| i.columns.contains(c) && i.name.len() > 58)
    {
        "the names of the trigger or of a shadow index would pass the 63 characters PostgreSQL keeps".into()
    } else {
        return None;
    })
}

/// Puts `column` of `old` back into `mid` at its old place, with the indexes and foreign keys
/// that use it; `relax` makes it nullable so that new code may stop writing it.
fn restore_column(old: &Table, mid: &mut Table, column: &str, relax: bool) {
    let Some(position) = old.columns.iter().position(|c| c.name == column) else {
        return;
    };
    if mid.column(column).is_none() {
        let mut restored = old.columns[position].clone();
        if relax && restored.default.is_none() {
            restored.nullable = true;
        }
        let at = position.min(mid.columns.len());
        mid.columns.insert(at, restored);
    }
    for (name, index) in &old.indexes {
        if index.columns.iter().any(|c| c == column) && !mid.indexes.contains_key(name) {
            mid.indexes.insert(name.clone(), index.clone());
        }
    }
    for (name, fk) in &old.foreign_keys {
        if fk.columns.iter().any(|c| c == column) && !mid.foreign_keys.contains_key(name) {
            mid.foreign_keys.insert(name.clone(), fk.clone());
        }
    }
}

/// A name that reads the same unquoted on every backend, and as a column (not a keyword
/// such as `user`, which PostgreSQL reads as `current_user`).
fn is_plain_identifier(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "all",
        "and",
        "as",
        "check",
        "column",
        "constraint",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "desc",
        "distinct",
        "from",
        "group",
        "key",
        "limit",
        "not",
        "null",
        "or",
        "order",
        "primary",
        "references",
        "select",
        "session_user",
        "table",
        "to",
        "user",
        "where",
    ];
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name)
}
