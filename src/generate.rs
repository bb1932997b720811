//! The commands over a workspace: `generate`, `check`, `diff`, `baseline`. Each runs
//! extract -> diff -> plan -> render -> write, and only `write` touches files.

use crate::diff::{self, Change, RenameCandidate, Renames};
use crate::error::{Error, Result};
use crate::extract::EntitySet;
use crate::model::Schema;
use crate::plan::{self, Backfills, Plan};
use crate::registry;
use crate::render;
use crate::snapshot::{ConvertedColumn, Deferred, PhasedCopy, Snapshot};
use crate::workspace::Workspace;
use crate::write;

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
fn contract_copies(state: &State, pending: &Pending, backfills: &mut Backfills) -> Backfills {
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
fn split_phases(
    pending: &Pending,
    conversions: &plan::Conversions,
) -> Result<(plan::phased::Expand, Vec<Change>, bool)> {
    let expand = plan::phased::expand(&pending.old, &pending.new, &pending.changes, conversions)?;
    let changes = diff::diff(&expand.mid, &pending.new, &Renames::default());
    let destroys = !plan::hazards(&changes).is_empty();
    Ok((expand, changes, destroys))
}

/// The recorded state: snapshot and registered migrations, checked against each other.
pub(crate) struct State {
    pub(crate) snapshot: Option<Snapshot>,
    pub(crate) lib_source: String,
    pub(crate) registered: Vec<String>,
}

impl State {
    fn schema(&self) -> Schema {
        self.snapshot
            .as_ref()
            .map(|s| s.schema.clone())
            .unwrap_or_default()
    }
}

pub(crate) fn load_state(ws: &Workspace) -> Result<State> {
    let lib_path = ws.lib_rs();
    let lib_source = std::fs::read_to_string(&lib_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::UnreadableLib {
                path: lib_path.clone(),
                reason: "not found; tidemark writes into a sea-orm-migration crate at \
                         `migration/` (create one with `sea-orm-cli migrate init`)"
                    .into(),
            }
        } else {
            Error::io(&lib_path)(e)
        }
    })?;
    let registered = registry::registered(&lib_source, &lib_path)?;
    let snapshot = Snapshot::read(&ws.snapshot())?;
    match (&snapshot, registered.last()) {
        (Some(s), Some(last)) if &s.migration != last => {
            return Err(Error::SnapshotMismatch {
                lib_rs: lib_path,
                snapshot: s.migration.clone(),
                registered: last.clone(),
            });
        }
        (Some(s), None) => {
            return Err(Error::SnapshotMismatch {
                lib_rs: lib_path,
                snapshot: s.migration.clone(),
                registered: "(none)".into(),
            });
        }
        (None, Some(_)) => {
            return Err(Error::NoSnapshotForHistory {
                lib_rs: ws.display(&lib_path).into(),
                registered: registered.len(),
                snapshot: ws.display(&ws.snapshot()).into(),
            });
        }
        _ => {}
    }
    check_history(ws, &registered)?;
    Ok(State {
        snapshot,
        lib_source,
        registered,
    })
}

/// The registered migrations form one chain and are as `tidemark.sum` recorded them; otherwise
/// every problem, with the way out.
pub fn check_history(ws: &Workspace, registered: &[String]) -> Result<()> {
    let parents = crate::chain::parents(ws, registered)?;
    let mut problems = crate::chain::problems(registered, &parents);
    let merged = !problems.is_empty();
    problems.extend(crate::integrity::problems(ws, registered)?.unwrap_or_default());
    if problems.is_empty() {
        return Ok(());
    }
    let advice = if merged {
        "run `cargo run -- merge` to order both branches' migrations and rebuild the snapshot \
         (docs/troubleshooting.md#conflicting-branches)"
    } else {
        "see docs/troubleshooting.md#edited-migration"
    };
    Err(Error::HistoryNotAsRecorded { problems, advice })
}

/// Renames the entities announce with `renamed_from`, where the snapshot still has the old
/// column and not the new one (once applied, the attribute is history and ignored).
fn declared_renames(
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

fn pending_from(
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

fn validate_renames(flags: &Renames, old: &Schema, new: &Schema) -> Result<()> {
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
    let (source, summary, plan, changes, schema) = if opts.autogenerate {
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
        let source = render::render_migration(
            &opts.message,
            &summary,
            &plan,
            &pending.old,
            &pending.new,
            &waivers(&unconverted(&pending.changes, &opts.conversions)),
            opts.safety == plan::Safety::Naive,
        );
        (source, summary, Some(plan), pending.changes, pending.new)
    } else {
        let source =
            render::render_empty_migration(&opts.message, state.schema().pg_schema.as_deref());
        (source, Vec::new(), None, Vec::new(), state.schema())
    };

    let mut generated = Generated {
        module: module.clone(),
        source,
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
    write_generated(ws, &state, &module, &generated.source, &snapshot)?;
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
    source: &str,
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
    let sum = crate::integrity::with_new(ws, &state.registered, module, source)?;
    write::write_all(&[
        (migration_path, source.to_owned()),
        (ws.lib_rs(), lib_source),
        (history, snapshot.to_json()),
        (ws.snapshot(), snapshot.to_json()),
        (crate::integrity::path(ws), sum.render()),
    ])
}

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
    let source = render::render_migration(
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
        write_generated(ws, &state, &module, &generated.source, &snapshot)?;
        generated.written = true;
    }
    Ok(Outcome::Generated(Box::new(generated)))
}

/// The changes that take `live` to `expected`, found on their normalised forms (so that type
/// spellings do not count) and carried back to the typed objects that rendering needs.
fn reconciliation_changes(
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

/// `baseline`: records the entities as the schema the registered migrations already produce.
pub fn baseline(ws: &Workspace, entities: &EntitySet) -> Result<String> {
    let lib_path = ws.lib_rs();
    let lib_source = std::fs::read_to_string(&lib_path).map_err(Error::io(&lib_path))?;
    let registered = registry::registered(&lib_source, &lib_path)?;
    let Some(last) = registered.last() else {
        return Err(Error::NothingToBaseline);
    };
    if ws.snapshot().exists() {
        return Err(Error::BaselineExists {
            path: ws.display(&ws.snapshot()).into(),
        });
    }
    let snapshot = Snapshot::new(last.clone(), entities.extract()?.schema);
    let history = ws.history_snapshot(last);
    if let Some(dir) = history.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    let sum = crate::integrity::compute(ws, &registered)?;
    write::write_all(&[
        (history, snapshot.to_json()),
        (ws.snapshot(), snapshot.to_json()),
        (crate::integrity::path(ws), sum.render()),
    ])?;
    Ok(last.clone())
}

/// `changes` but the converted type changes. A converted type change says how each value
/// changes, and its check stops on a value the conversion cannot store unchanged: it is not a
/// silent narrowing.
fn unconverted(changes: &[Change], conversions: &plan::Conversions) -> Vec<Change> {
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
fn waivers(changes: &[Change]) -> Vec<(String, String)> {
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

fn refuse_hazards(pending: &Pending, conversions: &plan::Conversions, allowed: bool) -> Result<()> {
    let hazards = plan::hazards(&unconverted(&pending.changes, conversions));
    if hazards.is_empty() || allowed {
        return Ok(());
    }
    Err(Error::Destructive { hazards })
}

/// Every `--convert` names a type change of this migration, and its expressions name that
/// column only (a trigger evaluates them over the row being written, where nothing else is
/// at hand).
fn check_conversions(
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

fn check_backfills(backfills: &Backfills, pending: &Pending) -> Result<()> {
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

/// `mYYYYMMDD_HHMMSS_<slug>`, later than every registered migration so the order holds even
/// when the clock is behind.
fn module_name(
    now: &chrono::NaiveDateTime,
    message: &str,
    registered: &[String],
) -> Result<String> {
    let slug = slug(message);
    if slug.is_empty() {
        return Err(Error::InvalidArgument {
            flag: "-m",
            value: message.to_owned(),
            reason: "the message needs at least one letter or digit; it names the migration".into(),
        });
    }
    let mut at = *now;
    loop {
        let stamp = at.format("%Y%m%d_%H%M%S").to_string();
        let name = format!("m{stamp}_{slug}");
        let later = registered
            .iter()
            .all(|r| r.get(..16).is_none_or(|p| p < &name[..16]));
        if later {
            return Ok(name);
        }
        at += chrono::Duration::seconds(1);
    }
}

pub(crate) fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out: String = out.trim_end_matches('_').chars().take(48).collect();
    while out.ends_with('_') {
        out.pop();
    }
    out
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
