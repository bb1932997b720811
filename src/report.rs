//! What `generate` tells a person about a migration before it runs: each step with the lock
//! it takes and how long, the risks, and the order in which to deploy code and migration
//! (docs/decisions.md's decision trees, made concrete for the change at hand).

use crate::backend::Backend;
use crate::diff::Change;
use crate::model::Schema;
use crate::plan::{Cost, Plan, assess};

/// The plan of `up` on `backend`, one block per step.
pub fn plan_lines(plan: &Plan, backend: Backend) -> Vec<String> {
    let mut lines = Vec::new();
    let how = match backend {
        Backend::Mysql => {
            "each statement commits on its own (MySQL has no transactional DDL), online DDL asked \
             for explicitly, each metadata lock waited for at most 1 s (lock_wait_timeout; \
             MariaDB: NOWAIT) and retried"
        }
        Backend::Postgres if plan.runs_outside_transaction() => {
            "outside a transaction, each step in a short transaction of its own, waiting at most \
             50 ms for each lock and retrying (TIDEMARK_LOCK_TIMEOUT_MS)"
        }
        Backend::Postgres => {
            "in one transaction, waiting at most 50 ms for each lock and retrying \
             (TIDEMARK_LOCK_TIMEOUT_MS)"
        }
        Backend::Sqlite if plan.runs_outside_transaction() => {
            "each step in a transaction of its own, holding the database's write lock"
        }
        Backend::Sqlite => "in one transaction, holding the database's write lock",
    };
    lines.push(format!("Plan on {} ({how}):", backend.name()));
    let mut risks = Vec::new();
    let mut n = 0;
    // Tables this migration creates are empty while it runs: nothing to scan or wait for.
    let created = plan.created_tables(backend);
    let steps = plan
        .up
        .iter()
        .filter(|s| !s.ops(backend).is_empty())
        .count();
    // A long plan (an initial migration of many tables) lists in full only the steps that
    // cost more than a brief catalog change; the brief ones are counted.
    let long = steps > LONG_PLAN;
    let mut brief_steps = 0;
    for step in &plan.up {
        let ops = step.ops(backend);
        if ops.is_empty() {
            continue;
        }
        n += 1;
        let mut step_lines = vec![format!("  {n}. {}", step.summary)];
        let mut brief = true;
        for op in ops {
            let mut a = assess(op, backend);
            if a.cost.is_risky() && op.scanned_table().is_some_and(|t| created.contains(&t)) {
                a.lock = "none that waits: the table is new and empty";
                a.cost = Cost::Brief;
            }
            brief &= a.cost == Cost::Brief;
            step_lines.push(format!(
                "     - {}: {}; {}",
                a.action,
                a.lock,
                a.cost.words()
            ));
            if a.cost.is_risky() {
                risks.push(format!("step {n}, {}: {}", a.action, a.note));
            }
        }
        if long && brief {
            brief_steps += 1;
        } else {
            lines.extend(step_lines);
        }
    }
    if brief_steps > 0 {
        let which = if brief_steps == steps {
            format!("All {steps} steps")
        } else {
            format!("The other {brief_steps} of the {steps} steps")
        };
        lines.push(format!(
            "  {which} only make brief, catalog-only changes (each statement: `cargo run -- \
             sql NAME`)"
        ));
    }
    if n == 0 {
        lines.push(format!(
            "  (nothing to run: {} stores none of these changes)",
            backend.name()
        ));
    }
    for risk in risks {
        lines.push(format!("  ! {risk}"));
    }
    lines
}

/// From this many steps, the plan lists only the steps that cost more than a brief catalog
/// change.
pub(crate) const LONG_PLAN: usize = 30;

/// The order in which to ship the code and the migration, per kind of change.
///
/// `new` is the schema after the migration: a shadow column it adds is tidemark's, not the
/// code's, so there is nothing to deploy for it.
pub fn rollout_lines(changes: &[Change], new: &Schema) -> Vec<String> {
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut together = Vec::new();
    let shadow = |table: &str, column: &str| {
        new.table(table)
            .is_some_and(|t| t.shadow_columns.contains_key(column))
    };
    for change in changes {
        match change {
            Change::CreateTable(t) => after.push(format!("table `{}`", t.name)),
            Change::AddColumn { table, column } if shadow(table, &column.name) => {}
            Change::AddColumn { table, column } => {
                after.push(format!("column `{table}.{}`", column.name));
            }
            Change::CreateEnum(e) => after.push(format!("enum type `{}`", e.name)),
            Change::AlterEnum { to, .. } => after.push(format!("new values of `{}`", to.name)),
            Change::DropTable(t) => before.push(format!("stops using table `{}`", t.name)),
            Change::DropColumn { table, column } => {
                before.push(format!(
                    "stops reading and writing `{table}.{}`",
                    column.name
                ));
            }
            Change::AlterColumn { table, from, to } if from.nullable && !to.nullable => {
                before.push(format!("always writes `{table}.{}`", to.name));
            }
            Change::RenameTable { from, to } => {
                together.push(format!("table `{from}` becomes `{to}`"));
            }
            Change::CreateView(view) => after.push(format!(
                "table `{}` (a view of `{}` until the contract)",
                view.name, view.table
            )),
            Change::ViewToTable(view) => before.push(format!(
                "no longer uses the old name `{}` (only `{}`)",
                view.table, view.name
            )),
            Change::RenameColumn { table, from, to } => {
                together.push(format!("column `{table}.{from}` becomes `{to}`"));
            }
            _ => {}
        }
    }
    let mut lines = Vec::new();
    if before.is_empty() && after.is_empty() && together.is_empty() {
        return lines;
    }
    lines.push("Rollout order:".to_owned());
    let mut n = 0;
    let mut item = |text: String| {
        n += 1;
        lines.push(format!("  {n}. {text}"));
    };
    if !before.is_empty() {
        item(format!(
            "Deploy code that {}, and let the old code drain.",
            listing(&before)
        ));
    }
    item("Apply this migration (`cargo run -p migration -- up`).".to_owned());
    if !after.is_empty() {
        item(format!("Then deploy code that uses {}.", listing(&after)));
    }
    for rename in together {
        lines.push(format!(
            "  ! A rename breaks running code at once: {rename}. Deploy the code with the \
             migration in one step, or add the new name, write both, backfill, move reads, and \
             drop the old name in a later migration."
        ));
    }
    lines
}

/// Up to eight items in full; beyond that the first six and how many more, so that an initial
/// migration of a thousand tables says so in one readable line.
pub(crate) fn listing(items: &[String]) -> String {
    const SHOWN: usize = 6;
    if items.len() <= SHOWN + 2 {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..SHOWN].join(", "),
        items.len() - SHOWN
    )
}

#[cfg(test)]
mod tests {
    use super::listing;

    #[test]
    fn long_listings_are_cut_to_a_readable_line() {
        let tables = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
        assert_eq!(listing(&tables(8)), "t0, t1, t2, t3, t4, t5, t6, t7");
        assert_eq!(
            listing(&tables(1000)),
            "t0, t1, t2, t3, t4, t5 and 994 more"
        );
    }
}
