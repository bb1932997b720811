//! What a migration may do only with consent or with the user's SQL: destructive changes,
//! conversions, backfills, and the lint waivers that record why.

use super::Pending;
use crate::diff::Change;
use crate::error::{Error, Result};
use crate::plan::{self, Backfills};

/// `changes` but the converted type changes. A converted type change says how each value
/// changes, and its check stops on a value the conversion cannot store unchanged: it is not a
/// silent narrowing.
pub(super) fn unconverted(changes: &[Change], conversions: &plan::Conversions) -> Vec<Change> {
    changes
        .iter()
        .filter(|c| {
            !matches!(c, Change::AlterColumn { table, to, .. }
                if conversions.contains_key(&(table.clone(), to.name.clone())))
        })
        .cloned()
        .collect()
}

/// The lint waivers a generated migration carries, each with its reason: the destructive
/// steps a person allowed with `--allow-destructive` (without it, generation stops before
/// rendering), and the type changes that the planner knows PostgreSQL makes without a
/// rewrite, which lint cannot tell from the SQL alone.
pub(super) fn waivers(changes: &[Change]) -> Vec<(String, String)> {
    let mut waivers = Vec::new();
    let hazards = plan::hazards(changes);
    if !hazards.is_empty() {
        let what: Vec<String> = hazards.into_iter().map(|h| h.what).collect();
        waivers.push((
            "destructive-step".to_owned(),
            format!("written with --allow-destructive: {}", what.join("; ")),
        ));
    }
    let swaps: Vec<&crate::diff::ColumnSwap> = changes
        .iter()
        .filter_map(|c| match c {
            Change::SwapColumn(swap) => Some(swap),
            _ => None,
        })
        .collect();
    if !swaps.is_empty() {
        let names = |f: &dyn Fn(&crate::diff::ColumnSwap) -> String| {
            swaps.iter().map(|s| f(s)).collect::<Vec<_>>().join(", ")
        };
        waivers.push((
            "destructive-step (up)".to_owned(),
            format!(
                "the swap drops {} after copying every value into the shadow that takes its place",
                names(&|s| format!("`{}.{}`", s.table, s.kept.name))
            ),
        ));
        waivers.push((
            "rename-breaks-running-code".to_owned(),
            format!(
                "the shadow swapped into place changes the type code reads: deploy the code that \
                 reads {} together with this migration",
                names(&|s| format!(
                    "`{}.{}` as {}",
                    s.table,
                    s.kept.name,
                    s.swapped.ty.describe()
                ))
            ),
        ));
    }
    let finished: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::ViewToTable(view) => Some(format!(
                "the code moved from `{}` to `{}`, its view, with the expand; the table now takes \
                 the view's place",
                view.table, view.name
            )),
            _ => None,
        })
        .collect();
    if !finished.is_empty() {
        waivers.push(("rename-breaks-running-code".to_owned(), finished.join("; ")));
    }
    let retyped: Vec<(&String, &crate::model::Column, &crate::model::Column)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AlterColumn { table, from, to } if from.ty != to.ty => Some((table, from, to)),
            _ => None,
        })
        .collect();
    if retyped.is_empty() {
        return waivers;
    }
    let rewrites = crate::backend::pg_type_change_rewrites;
    let catalog_only = |down: bool| {
        retyped.iter().all(|(_, from, to)| {
            if down {
                !rewrites(&to.ty, &from.ty)
            } else {
                !rewrites(&from.ty, &to.ty)
            }
        })
    };
    let what: Vec<String> = retyped
        .iter()
        .map(|(table, from, to)| {
            format!(
                "`{table}.{}` {} -> {}",
                to.name,
                from.ty.describe(),
                to.ty.describe()
            )
        })
        .collect();
    let direction = match (catalog_only(false), catalog_only(true)) {
        (true, true) => "",
        (true, false) => " (up)",
        (false, true) => " (down)",
        (false, false) => return waivers,
    };
    let what = what.join(", ");
    let reason = match direction {
        " (up)" => format!(
            "{what}: the new type holds every old value, so PostgreSQL changes only the catalog"
        ),
        " (down)" => format!(
            "undoing {what} goes back to a type that holds every value, so PostgreSQL changes \
             only the catalog"
        ),
        _ => format!("{what}: PostgreSQL changes only the catalog, both ways"),
    };
    waivers.push((format!("column-type-rewrites{direction}"), reason));
    waivers
}

pub(super) fn refuse_hazards(
    pending: &Pending,
    conversions: &plan::Conversions,
    allowed: bool,
) -> Result<()> {
    let hazards = plan::hazards(&unconverted(&pending.changes, conversions));
    if hazards.is_empty() || allowed {
        return Ok(());
    }
    Err(Error::Destructive { hazards })
}

/// Every `--convert` names a type change of this migration, and its expressions name that
/// column only (a trigger evaluates them over the row being written, where nothing else is
/// at hand).
pub(super) fn check_conversions(
    conversions: &plan::Conversions,
    pending: &Pending,
    phased: bool,
) -> Result<()> {
    for ((table, column), conversion) in conversions {
        let invalid = |reason: String| Error::InvalidArgument {
            flag: "--convert",
            value: format!("{table}.{column}={}", conversion.up),
            reason,
        };
        let type_change = pending.changes.iter().any(|c| {
            matches!(c, Change::AlterColumn { table: t, from, to }
                if t == table && to.name == *column && from.ty != to.ty)
        });
        if !type_change {
            return Err(invalid(format!(
                "this migration does not change the type of `{table}.{column}` (name the \
                 column as the entities do, after any rename)"
            )));
        }
        let renamed = pending.changes.iter().any(|c| {
            matches!(c, Change::RenameColumn { table: t, to, .. } if t == table && to == column)
        });
        if phased && renamed {
            return Err(invalid(format!(
                "--phased cannot yet convert a column it also renames: rename `{table}.{column}` \
                 in one phased migration and convert it in the next, or convert it without \
                 --phased"
            )));
        }
        let in_key = pending.new.table(table).is_some_and(|t| {
            t.primary_key.contains(column)
                || t.foreign_keys
                    .values()
                    .any(|fk| fk.columns.contains(column))
        }) || pending.new.tables.values().any(|t| {
            t.foreign_keys
                .values()
                .any(|fk| fk.ref_table == *table && fk.ref_columns.contains(column))
        });
        if in_key {
            return Err(invalid(format!(
                "`{table}.{column}` is part of a primary or foreign key; converting its values \
                 would break the rows that point at it, so convert it in a hand-written migration"
            )));
        }
        for (flag, expr) in [
            ("--convert", &conversion.up),
            ("--convert-down", &conversion.down),
        ] {
            crate::conversion::check(expr, column).map_err(|reason| Error::InvalidArgument {
                flag,
                value: format!("{table}.{column}={expr}"),
                reason,
            })?;
        }
    }
    Ok(())
}

pub(super) fn check_backfills(backfills: &Backfills, pending: &Pending) -> Result<()> {
    for (table, column) in backfills.keys() {
        if pending
            .new
            .table(table)
            .and_then(|t| t.column(column))
            .is_none()
        {
            return Err(Error::InvalidArgument {
                flag: "--backfill",
                value: format!("{table}.{column}=..."),
                reason: format!("the entities have no column `{table}.{column}`"),
            });
        }
    }
    Ok(())
}
