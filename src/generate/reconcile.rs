//! `drift --write-migration`: the migration that takes a drifted database back to its
//! snapshot.

use super::{
    GenerateOptions, Generated, Outcome, Pending, inherited_unmanaged, load_state, module_name,
    refuse_hazards, waivers, write_generated,
};
use crate::diff::{self, Change, Renames};
use crate::error::{Error, Result};
use crate::model::Schema;
use crate::plan::{self};
use crate::render;
use crate::snapshot::Snapshot;
use crate::workspace::Workspace;

/// `drift --write-migration`: a migration that brings a drifted database (`live`, whose last
/// applied migration is `applied`) back to the snapshot. The snapshot itself does not change.
pub fn reconcile(
    ws: &Workspace,
    live: &Schema,
    applied: &str,
    backend: crate::backend::Backend,
    opts: &GenerateOptions,
) -> Result<Outcome> {
    let state = load_state(ws)?;
    let head = state.registered.last().cloned().unwrap_or_default();
    if applied != head {
        return Err(Error::PendingBeforeDrift {
            applied: applied.to_owned(),
            head,
        });
    }
    let expected = state.schema();
    let changes = reconciliation_changes(live, &expected, backend);
    if changes.is_empty() {
        return Ok(Outcome::NoChanges);
    }
    let pending = Pending {
        old: live.clone(),
        new: expected.clone(),
        renames: Renames::default(),
        changes,
    };
    refuse_hazards(&pending, &plan::Conversions::new(), opts.allow_destructive)?;
    let plan = plan::plan_reconciliation(
        live,
        &expected,
        &pending.changes,
        &opts.backfills,
        opts.safety,
    )?;
    let summary = pending.summary();
    let module = module_name(&opts.now, &opts.message, &state.registered)?;
    let message = format!(
        "{} (reconciles drift found on {})",
        opts.message,
        backend.name()
    );
    let render::Rendered { source, code_hash } = render::render_migration(
        &message,
        &summary,
        &plan,
        live,
        &expected,
        &waivers(&pending.changes),
        opts.safety == plan::Safety::Naive,
    );
    let mut generated = Generated {
        module: module.clone(),
        source,
        code_hash,
        summary,
        lossy_down: plan.lossy_down.clone(),
        plan: Some(plan),
        changes: pending.changes,
        schema: expected,
        phased: None,
        written: false,
    };
    if !opts.dry_run {
        let mut snapshot = Snapshot::new(module.clone(), generated.schema.clone());
        snapshot.unmanaged = inherited_unmanaged(&state);
        snapshot.parent = state.registered.last().cloned();
        write_generated(ws, &state, &module, &generated, &snapshot)?;
        generated.written = true;
    }
    Ok(Outcome::Generated(Box::new(generated)))
}

/// The changes that take `live` to `expected`, found on their normalised forms (so that type
/// spellings do not count) and carried back to the typed objects that rendering needs.
pub(super) fn reconciliation_changes(
    live: &Schema,
    expected: &Schema,
    backend: crate::backend::Backend,
) -> Vec<Change> {
    use crate::introspect::normalize;
    let (live_n, expected_n) = (normalize(live, backend), normalize(expected, backend));
    let column = |schema: &Schema, table: &str, name: &str| {
        schema.table(table).and_then(|t| t.column(name)).cloned()
    };
    let same_ends = |a: &crate::model::ForeignKey, b: &crate::model::ForeignKey| {
        a.columns == b.columns && a.ref_table == b.ref_table && a.ref_columns == b.ref_columns
    };
    diff::diff(&live_n, &expected_n, &Renames::default())
        .into_iter()
        .map(|change| match change {
            Change::CreateTable(t) => Change::CreateTable(expected.tables[&t.name].clone()),
            Change::DropTable(t) => Change::DropTable(live.tables[&t.name].clone()),
            Change::AddColumn { table, column: c } => {
                let c = column(expected, &table, &c.name).unwrap_or(c);
                Change::AddColumn { table, column: c }
            }
            Change::DropColumn { table, column: c } => {
                let c = column(live, &table, &c.name).unwrap_or(c);
                Change::DropColumn { table, column: c }
            }
            Change::AlterColumn { table, from, to } => {
                let from = column(live, &table, &from.name).unwrap_or(from);
                let to = column(expected, &table, &to.name).unwrap_or(to);
                Change::AlterColumn { table, from, to }
            }
            Change::AddForeignKey { table, foreign_key } => {
                let typed = expected
                    .table(&table)
                    .and_then(|t| {
                        t.foreign_keys
                            .values()
                            .find(|fk| same_ends(fk, &foreign_key))
                    })
                    .cloned()
                    .unwrap_or(foreign_key);
                Change::AddForeignKey {
                    table,
                    foreign_key: typed,
                }
            }
            other => other,
        })
        .collect()
}
