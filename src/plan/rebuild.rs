//! SQLite's table rebuilds: which tables a migration must rebuild, and why.

use super::order::{Direction, SQLITE_REBUILD_PHASE, phase};
use super::{Backfills, Op, Step, fit};
use crate::backend::{self, Backend};
use crate::diff::Change;
use crate::model::{Schema, Table};
use std::collections::{BTreeMap, BTreeSet};

/// Tables that SQLite must rebuild, each with why and with its backfills.
pub(super) struct Rebuild {
    reasons: Vec<String>,
    backfills: Vec<(String, String)>,
    /// What must hold before the rows are copied (a conversion's values).
    checks: Vec<Op>,
}

pub(super) fn sqlite_rebuilds(
    ordered: &[&Change],
    from: &Schema,
    to: &Schema,
    backfills: &Backfills,
    converts: &Backfills,
    created: &BTreeSet<&str>,
    direction: Direction,
) -> BTreeMap<String, Rebuild> {
    let mut rebuilds: BTreeMap<String, Rebuild> = BTreeMap::new();
    let mut copies: Vec<(String, String, String)> = Vec::new();
    let mut checks: Vec<(String, Op)> = Vec::new();
    let mut live: Vec<(&String, String)> = Vec::new();
    let mut need = |table: &str, reason: String| {
        rebuilds
            .entry(table.to_owned())
            .or_insert_with(|| Rebuild {
                reasons: Vec::new(),
                backfills: Vec::new(),
                checks: Vec::new(),
            })
            .reasons
            .push(reason);
    };
    for change in ordered {
        match change {
            Change::AddColumn { table, column } => {
                if backfills.contains_key(&(table.clone(), column.name.clone())) {
                    let kind = if column.nullable { "" } else { "NOT NULL " };
                    need(
                        table,
                        format!("fill the new {kind}column `{}`", column.name),
                    );
                } else if !backend::sqlite_can_add_column(column) {
                    need(
                        table,
                        format!("add column `{}`, which ADD COLUMN cannot", column.name),
                    );
                }
            }
            Change::DropColumn { table, column } => {
                let constrained = old_table(from, to, table)
                    .is_some_and(|t| still_constrained(t, &column.name, ordered, direction));
                if constrained {
                    need(
                        table,
                        format!("drop `{}`, which a key or index uses", column.name),
                    );
                }
            }
            Change::AlterColumn {
                table,
                from: before,
                to: after,
            } if converts.contains_key(&(table.clone(), after.name.clone())) => {
                need(table, format!("convert column `{}`", after.name));
                let conversion = &converts[&(table.clone(), after.name.clone())];
                // SQLite computes a decimal as a float (19.99 * 100 is 1998.9999999999998): an
                // integer column takes the conversion rounded, once its check has made sure
                // that only float noise is rounded away.
                let value = if after.ty.is_integer() {
                    format!("CAST(ROUND(({conversion})) AS INTEGER)")
                } else {
                    conversion.clone()
                };
                copies.push((table.clone(), after.name.clone(), value));
                if let Some(fit) = fit::fit_into(&after.ty, Backend::Sqlite) {
                    checks.push((
                        table.clone(),
                        Op::RequireFit {
                            table: table.clone(),
                            column: after.name.clone(),
                            fit,
                            conversion: Some(conversion.clone()),
                        },
                    ));
                }
            }
            // The runtime rebuilds the table from its live definition for these alone (see
            // `tidemark_runtime::Change::modify_column`); a table rebuilt for another reason
            // gets them from its new definition.
            Change::AlterColumn {
                table,
                from: before,
                to: after,
            } if backend::sqlite_stores_differently(before, after, from, to) => {
                live.push((table, format!("alter column `{}`", after.name)));
            }
            Change::AlterPrimaryKey { table, .. } => need(table, "change the primary key".into()),
            Change::AddForeignKey { table, foreign_key } if !created.contains(table.as_str()) => {
                live.push((table, format!("add foreign key `{}`", foreign_key.name)));
            }
            // SQLite keeps no name for a key that `CREATE TABLE` declared: the runtime finds by
            // name only the keys it added, which a `down` undoing its `up` drops.
            Change::DropForeignKey { table, foreign_key } if direction == Direction::Down => {
                live.push((table, format!("drop foreign key `{}`", foreign_key.name)));
            }
            Change::DropForeignKey { table, foreign_key } => {
                need(table, format!("drop foreign key `{}`", foreign_key.name));
            }
            // The rebuild copies the shadow into the column, or the column into the shadow.
            Change::SwapColumn(swap) => {
                need(&swap.table, format!("swap `{}` in", swap.shadow.name));
                copies.push((
                    swap.table.clone(),
                    swap.kept.name.clone(),
                    backend::Backend::Sqlite.quote(&swap.shadow.name),
                ));
            }
            Change::UnswapColumn(swap) => {
                need(&swap.table, format!("swap `{}` out", swap.shadow.name));
                let column = backend::Backend::Sqlite.quote(&swap.kept.name);
                copies.push((swap.table.clone(), swap.shadow.name.clone(), column.clone()));
                // The column of the old type holds the new values until then: converted back,
                // when the expand converted them.
                if let Some(conversion) = &swap.conversion {
                    let value = tidemark_runtime::__private::substitute(
                        &conversion.down,
                        &swap.kept.name,
                        &column,
                    );
                    copies.push((
                        swap.table.clone(),
                        swap.kept.name.clone(),
                        format!("({value})"),
                    ));
                }
            }
            _ => {}
        }
    }
    for (table, reason) in live {
        if let Some(rebuild) = rebuilds.get_mut(table) {
            rebuild.reasons.push(reason);
        }
    }
    for (table, column, value) in copies {
        if let Some(rebuild) = rebuilds.get_mut(&table) {
            rebuild.backfills.push((column, value));
        }
    }
    for (table, check) in checks {
        if let Some(rebuild) = rebuilds.get_mut(&table) {
            rebuild.checks.push(check);
        }
    }
    // Column renames that run after the rebuild (`down` undoes renames last): the rebuilt
    // table has the final names already, so a renamed column is filled from its current name,
    // and the rename step then finds itself done.
    let late_renames: BTreeMap<(&str, &str), &str> = ordered
        .iter()
        .filter(|c| phase(c, direction) > SQLITE_REBUILD_PHASE)
        .filter_map(|c| match c {
            Change::RenameColumn { table, from, to } => {
                Some(((table.as_str(), from.as_str()), to.as_str()))
            }
            _ => None,
        })
        .collect();
    for (table, rebuild) in rebuilds.iter_mut() {
        for ((t, column), sql) in backfills {
            if t != table {
                continue;
            }
            let name = late_renames
                .get(&(t.as_str(), column.as_str()))
                .copied()
                .unwrap_or(column);
            if to.table(t).and_then(|t| t.column(name)).is_none() {
                continue;
            }
            let existed = old_table(from, to, t)
                .and_then(|old| old.column(column))
                .is_some();
            let expr = if existed {
                format!(
                    "COALESCE({}, {sql})",
                    backend::Backend::Sqlite.quote(column)
                )
            } else {
                sql.clone()
            };
            rebuild.backfills.push((column.clone(), expr));
        }
        for ((t, old), new) in &late_renames {
            if *t != table {
                continue;
            }
            match rebuild.backfills.iter_mut().find(|(c, _)| c == old) {
                Some(fill) => fill.0 = (*new).to_owned(),
                None => rebuild
                    .backfills
                    .push(((*new).to_owned(), backend::Backend::Sqlite.quote(old))),
            }
        }
    }
    rebuilds
}

/// Whether SQLite's `DROP COLUMN` would refuse `column` of `table` when its turn comes: a key
/// or index still uses it. Indexes, and in a `down` the foreign keys its `up` added, are
/// dropped earlier in the same migration without a rebuild.
pub(super) fn still_constrained(
    table: &Table,
    column: &str,
    ordered: &[&Change],
    direction: Direction,
) -> bool {
    let dropped_index = |name: &str| {
        ordered.iter().any(|c| {
            matches!(c, Change::DropIndex { table: t, index } if *t == table.name && index.name == name)
        })
    };
    let dropped_key = |name: &str| {
        direction == Direction::Down
            && ordered.iter().any(|c| {
                matches!(c, Change::DropForeignKey { table: t, foreign_key } if *t == table.name && foreign_key.name == name)
            })
    };
    table.primary_key.iter().any(|c| c == column)
        || table.column(column).is_some_and(|c| c.unique)
        || table
            .indexes
            .values()
            .any(|i| !dropped_index(&i.name) && i.columns.iter().any(|c| c == column))
        || table
            .foreign_keys
            .values()
            .any(|f| !dropped_key(&f.name) && f.columns.iter().any(|c| c == column))
}

/// The column a trigger copies into `column` of `table`, when `column` is a shadow.
pub(super) fn shadowed<'a>(schema: &'a Schema, table: &str, column: &str) -> Option<&'a str> {
    schema
        .table(table)?
        .shadow_columns
        .get(column)
        .map(String::as_str)
}

/// The table as it was before this migration, looked up under its new name.
pub(super) fn old_table<'a>(from: &'a Schema, _to: &Schema, name: &str) -> Option<&'a Table> {
    from.table(name)
}

pub(super) fn rebuild_steps(rebuilds: &BTreeMap<String, Rebuild>, to: &Schema) -> Vec<Step> {
    rebuilds
        .iter()
        .filter_map(|(name, rebuild)| {
            let table = to.table(name)?.clone();
            // The old table's triggers go with it: the shadows' syncs are installed anew.
            let syncs = table.shadow_columns.iter().map(|(shadow, column)| Op::InstallSync {
                table: name.clone(),
                column: column.clone(),
                shadow: shadow.clone(),
                conversion: table.conversions.get(shadow).map(|c| c.up.clone()),
            });
            let sqlite = rebuild
                .checks
                .iter()
                .cloned()
                .chain(std::iter::once(Op::RebuildTable { table: table.clone(), backfills: rebuild.backfills.clone() }))
                .chain(syncs)
                .collect();
            Some(Step {
                guard: None,
                summary: format!(
                    "SQLite's ALTER TABLE cannot {}: rebuild `{name}` with its new definition, keeping its rows",
                    rebuild.reasons.join(", ")
                ),
                sqlite,
                postgres: vec![],
                mysql: vec![],
            })
        })
        .collect()
}
