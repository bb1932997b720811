//! `generate` over a workspace: extract -> diff -> plan -> render -> write, where only `write`
//! touches files. The recorded state, the pending changes, `--phased`, drift reconciliation,
//! consent and naming are the submodules it calls.

mod consent;
mod naming;
mod pending;
mod phased;
mod reconcile;
mod state;

pub(crate) use naming::slug;
pub use pending::{NoTerminal, Pending, Questioner, deferred_contract, pending};
pub use phased::Phased;
pub use reconcile::reconcile;
pub(crate) use state::{State, load_state};
pub use state::{baseline, check_history, record_baseline};

use consent::{check_backfills, check_conversions, refuse_hazards, unconverted, waivers};
use naming::module_name;
use pending::pending_from;
use phased::{contract_copies, split_phases};

use crate::diff::{self, Change, Renames};
use crate::error::{Error, Result};
use crate::extract::EntitySet;
use crate::model::Schema;
use crate::plan::{self, Backfills, Plan};
use crate::registry;
use crate::render;
use crate::snapshot::{ConvertedColumn, Deferred, PhasedCopy, Snapshot};
use crate::workspace::Workspace;
use crate::write;

#[derive(Clone, Debug)]
pub struct GenerateOptions {
    pub message: String,
    /// Compare the entities with the snapshot; without it, write an empty migration.
    pub autogenerate: bool,
    pub renames: Renames,
    pub backfills: Backfills,
    /// How type changes convert values (`--convert` and `--convert-down`).
    pub conversions: plan::Conversions,
    pub allow_destructive: bool,
    /// Zero-downtime forms (the default), or plain DDL for small tables (`--unsafe`).
    pub safety: plan::Safety,
    /// Expand/contract: write only what running code survives; keep the rest for later.
    pub phased: bool,
    pub dry_run: bool,
    /// The migration's timestamp (UTC).
    pub now: chrono::NaiveDateTime,
}

/// What `generate` did.
#[derive(Clone, Debug)]
pub enum Outcome {
    NoChanges,
    Generated(Box<Generated>),
}

#[derive(Clone, Debug)]
pub struct Generated {
    pub module: String,
    pub source: String,
    /// The source's hash as `tidemark.sum` records it.
    pub code_hash: String,
    /// One line per change, for a person.
    pub summary: Vec<String>,
    pub lossy_down: Vec<String>,
    /// The plan the migration follows, and the changes it makes (none for an empty migration).
    pub plan: Option<Plan>,
    pub changes: Vec<Change>,
    /// The schema after the migration (what the snapshot records).
    pub schema: Schema,
    /// With `--phased`: what the code does between this expand and the contract, and the
    /// contract's changes.
    pub phased: Option<Phased>,
    pub written: bool,
}

/// `generate`: writes the next migration, registers it, records the snapshot.
pub fn generate(
    ws: &Workspace,
    entities: &EntitySet,
    opts: &GenerateOptions,
    asker: &mut dyn Questioner,
) -> Result<Outcome> {
    let state = load_state(ws)?;
    let module = module_name(&opts.now, &opts.message, &state.registered)?;

    let mut phased = None;
    let (rendered, summary, plan, changes, schema) = if opts.autogenerate {
        let mut pending = pending_from(&state, entities, &opts.renames, asker)?;
        if pending.changes.is_empty() {
            return Ok(Outcome::NoChanges);
        }
        let mut backfills = opts.backfills.clone();
        check_conversions(&opts.conversions, &pending, opts.phased)?;
        if opts.phased {
            let (expand, contract, contract_destroys) = split_phases(&pending, &opts.conversions)?;
            let contract_words = contract
                .iter()
                .map(|c| plan::describe(c, &pending.new))
                .collect();
            check_backfills(&opts.backfills, &pending)?;
            // A renamed table goes by its old name until the contract.
            backfills = backfills
                .into_iter()
                .map(|((table, column), sql)| {
                    let table = expand.mid.views.get(&table).cloned().unwrap_or(table);
                    ((table, column), sql)
                })
                .collect();
            backfills.extend(expand.backfills.clone());
            pending = Pending {
                changes: diff::diff(&pending.old, &expand.mid, &Renames::default()),
                new: expand.mid.clone(),
                renames: Renames::default(),
                old: pending.old,
            };
            phased = Some(Phased {
                contract: contract_words,
                contract_changes: contract,
                code_steps: expand.code_steps,
                with_contract: expand.with_contract,
                contract_destroys,
                // A shadow column is kept in step by its trigger, not copied by the contract.
                copies: expand
                    .backfills
                    .iter()
                    .filter(|((table, to), _)| {
                        expand
                            .mid
                            .table(table)
                            .is_none_or(|t| !t.shadow_columns.contains_key(to))
                    })
                    .map(|((table, to), from)| PhasedCopy {
                        table: table.clone(),
                        from: from.clone(),
                        to: to.clone(),
                    })
                    .collect(),
            });
        }
        refuse_hazards(&pending, &opts.conversions, opts.allow_destructive)?;
        if phased.is_none() {
            check_backfills(&opts.backfills, &pending)?;
        }
        let restore = contract_copies(&state, &pending, &mut backfills);
        let plan: Plan = plan::plan_with_restore(
            &pending.old,
            &pending.new,
            &pending.changes,
            &backfills,
            opts.safety,
            &restore,
            &opts.conversions,
        )?;
        let summary = pending.summary();
        let rendered = render::render_migration(
            &opts.message,
            &summary,
            &plan,
            &pending.old,
            &pending.new,
            &waivers(&unconverted(&pending.changes, &opts.conversions)),
            opts.safety == plan::Safety::Naive,
        );
        (rendered, summary, Some(plan), pending.changes, pending.new)
    } else {
        let rendered =
            render::render_empty_migration(&opts.message, state.schema().pg_schema.as_deref());
        (rendered, Vec::new(), None, Vec::new(), state.schema())
    };

    let mut generated = Generated {
        module: module.clone(),
        source: rendered.source,
        code_hash: rendered.code_hash,
        summary,
        lossy_down: plan
            .as_ref()
            .map(|p| p.lossy_down.clone())
            .unwrap_or_default(),
        plan,
        changes,
        schema,
        phased,
        written: false,
    };
    if opts.dry_run {
        return Ok(Outcome::Generated(Box::new(generated)));
    }
    let mut snapshot = Snapshot::new(module.clone(), generated.schema.clone());
    snapshot.unmanaged = inherited_unmanaged(&state);
    snapshot.parent = state.registered.last().cloned();
    if let Some(phased) = &generated.phased {
        snapshot.deferred = phased
            .contract_changes
            .iter()
            .map(|c| Deferred::Change(Box::new(c.clone())))
            .collect();
        snapshot.phased_copies = phased.copies.clone();
    }
    if opts.autogenerate {
        snapshot.record_renames(&opts.renames);
        snapshot.conversions = opts
            .conversions
            .iter()
            .map(|((table, column), conversion)| ConvertedColumn {
                table: table.clone(),
                column: column.clone(),
                conversion: conversion.clone(),
            })
            .collect();
    }
    write_generated(ws, &state, &module, &generated, &snapshot)?;
    generated.written = true;
    Ok(Outcome::Generated(Box::new(generated)))
}

/// The objects hand-written migrations added stay where they are across later migrations.
fn inherited_unmanaged(state: &State) -> Vec<crate::unmanaged::Unmanaged> {
    state
        .snapshot
        .as_ref()
        .map(|s| s.unmanaged.clone())
        .unwrap_or_default()
}

/// Writes a new migration, registers it, and records its snapshot: all or nothing.
fn write_generated(
    ws: &Workspace,
    state: &State,
    module: &str,
    generated: &Generated,
    snapshot: &Snapshot,
) -> Result<()> {
    let lib_source = registry::register(&state.lib_source, &ws.lib_rs(), module)?;
    let migration_path = ws.migration_file(module);
    if migration_path.exists() {
        return Err(Error::MigrationExists {
            path: ws.display(&migration_path).into(),
        });
    }
    let history = ws.history_snapshot(module);
    if let Some(dir) = history.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    let source = &generated.source;
    let sum =
        crate::integrity::with_new(ws, &state.registered, module, source, &generated.code_hash)?;
    // The head snapshot is the schema after the last registered migration: the new entry is
    // the change from it.
    let base = state
        .snapshot
        .as_ref()
        .filter(|head| state.registered.last() == Some(&head.migration))
        .map(|head| (head.migration.as_str(), &head.schema));
    write::write_all(&[
        (migration_path, source.clone()),
        (ws.lib_rs(), lib_source),
        (history, crate::history::entry_text(snapshot, base)),
        (ws.snapshot(), snapshot.to_json()),
        (crate::integrity::path(ws), sum.render()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_identifier_safe() {
        assert_eq!(slug("Add user full_name!"), "add_user_full_name");
        assert_eq!(slug("  --  "), "");
    }

    #[test]
    fn module_names_sort_after_existing_ones() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let existing = vec!["m20260101_000000_first".to_owned()];
        assert_eq!(
            module_name(&now, "next", &existing).unwrap(),
            "m20260101_000001_next"
        );
    }
}
