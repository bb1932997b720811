//! [`Change`]s -> [`Plan`]: *how* to apply them on each backend.
//!
//! Diff says what changed; planning decides the order (dependencies first, drops last, foreign
//! key cycles broken), the statements per backend, and where a backend cannot do a change
//! directly (SQLite's `ALTER TABLE` cannot alter a column, so the table is rebuilt). It also
//! finds the changes that destroy data, which the CLI refuses without consent.

mod assess;
mod describe;
pub mod fit;
mod hazards;
mod online;
mod ops;
mod order;
pub mod phased;
mod rebuild;
mod sql;
mod swap;

pub use assess::{Assessment, Cost, assess};
pub use describe::describe;
pub use hazards::{Hazard, hazards};
pub use ops::{Guard, Op};

use order::{
    Direction, SQLITE_REBUILD_PHASE, cycle_drops, deferred_foreign_keys, order_tables, phase,
};
use rebuild::{rebuild_steps, shadowed, sqlite_rebuilds};

use crate::backend::{self, Backend};
use crate::diff::{self, Change};
use crate::error::{Error, Result};
use crate::model::{Column, ColumnType, Index, Schema};
use std::collections::{BTreeMap, BTreeSet};

/// Backfill expressions for new NOT NULL columns, by (table, column).
pub type Backfills = BTreeMap<(String, String), String>;

/// Conversion expressions for type changes, by (table, column after the migration).
pub type Conversions = BTreeMap<(String, String), crate::model::Conversion>;

/// How a migration applies changes to tables that already hold rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Safety {
    /// The zero-downtime forms of docs/locks.md: concurrent index builds, `NOT VALID` foreign
    /// keys and checks validated separately, batched backfills. A migration holding one of
    /// them runs outside a transaction, each step in a short transaction of its own.
    #[default]
    Online,
    /// The plain DDL, in one transaction, for tables known to be small (`--unsafe`).
    Naive,
}

/// A migration's `up` and `down`, step by step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub up: Vec<Step>,
    pub down: Vec<Step>,
    /// What `down` cannot give back (dropped data comes back empty).
    pub lossy_down: Vec<String>,
}

/// One logical change with the statements each backend runs for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// A person's description, rendered as the comment above the code.
    pub summary: String,
    /// Run the step only when this holds (reconciliation migrations, which must also pass over
    /// databases that never drifted).
    pub guard: Option<Guard>,
    pub sqlite: Vec<Op>,
    pub postgres: Vec<Op>,
    pub mysql: Vec<Op>,
}

impl Step {
    fn everywhere(summary: String, ops: Vec<Op>) -> Step {
        Step {
            summary,
            guard: None,
            sqlite: ops.clone(),
            postgres: ops.clone(),
            mysql: ops,
        }
    }

    pub fn ops(&self, backend: Backend) -> &[Op] {
        match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
            Backend::Mysql => &self.mysql,
        }
    }
}

impl Plan {
    /// Whether any step, up or down, on any backend, must run outside a transaction.
    pub fn runs_outside_transaction(&self) -> bool {
        self.up
            .iter()
            .chain(&self.down)
            .flat_map(|s| Backend::ALL.into_iter().flat_map(move |b| s.ops(b)))
            .any(Op::runs_outside_transaction)
    }
}

/// Plans a reconciliation: `changes` take a drifted database (`live`) back to the snapshot.
///
/// The migration is registered like any other, so it also runs on databases that never
/// drifted: each step that adds or drops a table, column or index runs only when the database
/// is in the drifted state. `down` does nothing, because the drift was never part of the
/// migration history.
pub fn plan_reconciliation(
    live: &Schema,
    snapshot: &Schema,
    changes: &[Change],
    backfills: &Backfills,
    safety: Safety,
) -> Result<Plan> {
    let up = plan_direction(
        live,
        snapshot,
        changes,
        backfills,
        &Backfills::new(),
        Direction::Reconcile,
        safety,
    )?;
    Ok(Plan {
        up,
        down: Vec::new(),
        lossy_down: vec![
            "`down` does nothing: the drift this migration removes was never part of the migration history".into(),
        ],
    })
}

fn reconcile_guard(change: &Change) -> Option<Guard> {
    Some(match change {
        Change::CreateTable(t) => Guard::TableExists(t.name.clone(), false),
        Change::DropTable(t) => Guard::TableExists(t.name.clone(), true),
        Change::AddColumn { table, column } => {
            Guard::ColumnExists(table.clone(), column.name.clone(), false)
        }
        Change::DropColumn { table, column } => {
            Guard::ColumnExists(table.clone(), column.name.clone(), true)
        }
        Change::CreateIndex { table, index } => {
            Guard::IndexExists(table.clone(), index.name.clone(), false)
        }
        Change::DropIndex { table, index } => {
            Guard::IndexExists(table.clone(), index.name.clone(), true)
        }
        _ => return None,
    })
}

/// Puts the checks that refuse a migration on data it cannot convert into one step ahead of
/// its changes: every narrowing's value check (`Op::RequireFit`, moved out of its step) and a
/// parent check for each foreign key added to a table that holds rows (`Op::RequireParents`).
/// A migration the data would break then stops before anything changed, also on MySQL/MariaDB,
/// whose DDL commits as it goes. The step runs after the leading renames (`up` renames first);
/// a table renamed by the migration keeps its checks where they were (in `down` its renames come
/// last, so the names at the start would not match).
fn prepend_checks(steps: &mut Vec<Step>, changes: &[Change], backfills: &Backfills) {
    let renamed: BTreeSet<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameTable { from, to } => Some([from.as_str(), to.as_str()]),
            Change::RenameColumn { table, .. } => Some([table.as_str(), table.as_str()]),
            _ => None,
        })
        .flatten()
        .collect();
    let created: BTreeSet<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t.name.as_str()),
            _ => None,
        })
        .collect();
    let mut checks = Step {
        summary: "Check that the data fits what this migration adds".to_owned(),
        guard: None,
        sqlite: Vec::new(),
        postgres: Vec::new(),
        mysql: Vec::new(),
    };
    // A column the migration adds does not exist when the checks run; it starts out NULL (or
    // filled by an expression of the user's), so it has nothing to check yet.
    let added: BTreeSet<(&str, &str)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AddColumn { table, column } => Some((table.as_str(), column.name.as_str())),
            _ => None,
        })
        .collect();
    for change in changes {
        let Change::AddForeignKey { table, foreign_key } = change else {
            continue;
        };
        if foreign_key
            .columns
            .iter()
            .any(|c| added.contains(&(table.as_str(), c.as_str())))
        {
            continue;
        }
        if created.contains(table.as_str())
            || renamed.contains(table.as_str())
            || renamed.contains(foreign_key.ref_table.as_str())
        {
            continue;
        }
        let op = Op::RequireParents {
            table: table.clone(),
            columns: foreign_key.columns.clone(),
            parent: foreign_key.ref_table.clone(),
            parent_columns: foreign_key.ref_columns.clone(),
            parent_is_new: created.contains(foreign_key.ref_table.as_str()),
            nulls_are_filled: foreign_key
                .columns
                .iter()
                .any(|c| backfills.contains_key(&(table.clone(), c.clone()))),
        };
        checks.sqlite.push(op.clone());
        checks.postgres.push(op.clone());
        checks.mysql.push(op);
    }
    // The checks run before anything changes, renames included: a column that `up` renames
    // is checked under the name it has then (`down` undoes renames last, so its checks already
    // name the columns as they are when it starts).
    let tables_renamed: BTreeSet<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameTable { from, to } => Some([from.as_str(), to.as_str()]),
            _ => None,
        })
        .flatten()
        .collect();
    let columns_renamed: BTreeMap<(&str, &str), &str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameColumn { table, from, to } => {
                Some(((table.as_str(), to.as_str()), from.as_str()))
            }
            _ => None,
        })
        .collect();
    let before_renames = |op: Op| match op {
        Op::RequireFit {
            table,
            column,
            fit,
            conversion,
        } => {
            let Some(&old) = columns_renamed.get(&(table.as_str(), column.as_str())) else {
                return Op::RequireFit {
                    table,
                    column,
                    fit,
                    conversion,
                };
            };
            Op::RequireFit {
                conversion: conversion
                    .map(|c| tidemark_runtime::convert::substitute(&c, &column, old)),
                column: old.to_owned(),
                table,
                fit,
            }
        }
        other => other,
    };
    for step in steps.iter_mut().filter(|s| s.guard.is_none()) {
        for (ops, into) in [
            (&mut step.postgres, &mut checks.postgres),
            (&mut step.mysql, &mut checks.mysql),
        ] {
            let (fits, rest) = std::mem::take(ops).into_iter().partition(|op| {
                matches!(op, Op::RequireFit { table, .. } | Op::RequireValues { table, .. }
                    if !tables_renamed.contains(table.as_str()))
            });
            *ops = rest;
            into.extend(fits.into_iter().map(before_renames));
        }
    }
    if Backend::ALL.iter().all(|b| checks.ops(*b).is_empty()) {
        return;
    }
    steps.insert(0, checks);
}

/// Plans `changes` (which take `old` to `new`) in both directions.
pub fn plan(
    old: &Schema,
    new: &Schema,
    changes: &[Change],
    backfills: &Backfills,
    safety: Safety,
) -> Result<Plan> {
    plan_with_restore(
        old,
        new,
        changes,
        backfills,
        safety,
        &Backfills::new(),
        &Conversions::new(),
    )
}

/// [`plan`], where `down` refills the columns in `restore` from an SQL expression when it
/// adds them back (a phased rename's old column, from the new one) instead of leaving them
/// empty, and type changes convert values as `conversions` say, both ways.
pub fn plan_with_restore(
    old: &Schema,
    new: &Schema,
    changes: &[Change],
    backfills: &Backfills,
    safety: Safety,
    restore: &Backfills,
    conversions: &Conversions,
) -> Result<Plan> {
    let way = |up: bool| -> Backfills {
        conversions
            .iter()
            .map(|(key, c)| (key.clone(), if up { c.up.clone() } else { c.down.clone() }))
            .collect()
    };
    let up = plan_direction(
        old,
        new,
        changes,
        backfills,
        &way(true),
        Direction::Up,
        safety,
    )?;
    let reversed = diff::reverse(changes);
    let mut lossy_down = Vec::new();
    let mut down_backfills = Backfills::new();
    // The placeholders among them: values no parent row holds.
    let mut placeholders = Backfills::new();
    for change in &reversed {
        match change {
            Change::AddColumn { table, column }
                if let Some(expr) = restore.get(&(table.clone(), column.name.clone())) =>
            {
                down_backfills.insert((table.clone(), column.name.clone()), expr.clone());
            }
            Change::AddColumn { table, column } => {
                lossy_down.push(format!(
                    "column `{table}.{}` comes back without the values `up` dropped",
                    column.name
                ));
                if !column.nullable && column.default.is_none() {
                    let key = (table.clone(), column.name.clone());
                    down_backfills.insert(key.clone(), placeholder(&column.ty, old));
                    placeholders.insert(key, placeholder(&column.ty, old));
                }
            }
            Change::CreateTable(t) => {
                lossy_down.push(format!("table `{}` comes back empty", t.name));
            }
            Change::AlterEnum { from, to } => {
                for gone in from.values.iter().filter(|v| !to.values.contains(v)) {
                    lossy_down.push(format!(
                        "rows holding `{}` value `{gone}` make `down` fail",
                        to.name
                    ));
                }
            }
            // `up` let the column hold NULL: `down` tightens it again, so the rows written
            // in between need a value, or `down` could never run.
            Change::AlterColumn { table, from, to }
                if from.nullable && !to.nullable && to.default.is_none() =>
            {
                let value = placeholder(&to.ty, old);
                lossy_down.push(format!(
                    "rows that hold NULL in `{table}.{}` get {value} when `down` makes it NOT NULL again",
                    to.name
                ));
                placeholders.insert((table.clone(), to.name.clone()), value.clone());
                down_backfills.insert((table.clone(), to.name.clone()), value);
            }
            Change::UnswapColumn(swap) if swap.swapped.ty.narrows_to(&swap.kept.ty) => {
                lossy_down.push(format!(
                    "`{}.{}` is refilled as {} from the {} values: values that no longer fit make `down` fail",
                    swap.table,
                    swap.kept.name,
                    swap.kept.ty.describe(),
                    swap.swapped.ty.describe()
                ));
            }
            Change::AlterColumn { table, from, to }
                if from.ty.narrows_to(&to.ty)
                    && !conversions.contains_key(&(table.clone(), to.name.clone())) =>
            {
                lossy_down.push(format!(
                    "`{table}.{}` narrows back from {} to {}: values that no longer fit make `down` fail",
                    to.name,
                    from.ty.describe(),
                    to.ty.describe()
                ));
            }
            _ => {}
        }
    }
    // Keys `down` adds back refuse to run over rows that would break them: say which.
    for change in &reversed {
        let Change::AddForeignKey { table, foreign_key } = change else {
            continue;
        };
        let parent = &foreign_key.ref_table;
        let columns = foreign_key.columns.join(", ");
        if reversed
            .iter()
            .any(|c| matches!(c, Change::CreateTable(t) if &t.name == parent))
        {
            lossy_down.push(format!(
                "rows of `{table}` that point at a `{parent}` row ({columns}) make `down` refuse \
                 to run: `{parent}` comes back empty"
            ));
        } else if foreign_key
            .columns
            .iter()
            .any(|c| placeholders.contains_key(&(table.clone(), c.clone())))
        {
            lossy_down.push(format!(
                "rows of `{table}` whose {columns} is NULL (left by ON DELETE SET NULL, say) make \
                 `down` refuse to run: no `{parent}` row has the placeholder they would get"
            ));
        }
    }
    let mut down = plan_direction(
        new,
        old,
        &reversed,
        &down_backfills,
        &way(false),
        Direction::Down,
        safety,
    )?;
    let mut up = up;
    // A user's --backfill of a key column is theirs to get right: only down's placeholders
    // are known to point at nothing.
    prepend_checks(&mut up, changes, &Backfills::new());
    prepend_checks(&mut down, &reversed, &placeholders);
    Ok(Plan {
        up,
        down,
        lossy_down,
    })
}

fn plan_direction(
    from: &Schema,
    to: &Schema,
    changes: &[Change],
    backfills: &Backfills,
    converts: &Backfills,
    direction: Direction,
    safety: Safety,
) -> Result<Vec<Step>> {
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by_key(|c| phase(c, direction));
    let ordered = order_tables(ordered, direction);
    let deferred = deferred_foreign_keys(&ordered);

    let created: BTreeSet<&str> = ordered
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t.name.as_str()),
            _ => None,
        })
        .collect();
    let rebuilds = sqlite_rebuilds(&ordered, from, to, backfills, converts, &created, direction);

    let mut steps = Vec::new();
    let mut rebuilt = false;
    for change in &ordered {
        if !rebuilt && phase(change, direction) >= SQLITE_REBUILD_PHASE {
            steps.extend(rebuild_steps(&rebuilds, to));
            steps.extend(cycle_drops(&ordered, to));
            rebuilt = true;
        }
        let mut step = plan_change(change, from, to, backfills, converts, &deferred, direction)?;
        if direction == Direction::Reconcile {
            step.guard = reconcile_guard(change);
        }
        if let Some(table) = change.table()
            && rebuilds.contains_key(table)
            && !matches!(
                change,
                Change::RenameTable { .. }
                    | Change::ViewToTable(_)
                    | Change::TableToView(_)
                    | Change::RenameColumn { .. }
                    | Change::CreateTable(_)
                    | Change::DropTable(_)
            )
        {
            step.sqlite.clear();
        }
        // A column rename after the rebuild (`down` undoes renames last) is done by it: the
        // rebuilt table has the final name already.
        if let Change::RenameColumn { table, .. } = change
            && rebuilds.contains_key(table)
            && phase(change, direction) > SQLITE_REBUILD_PHASE
        {
            step.sqlite.clear();
        }
        steps.push(step);
    }
    if !rebuilt {
        steps.extend(rebuild_steps(&rebuilds, to));
    }
    for (table, name) in &deferred {
        let Some(foreign_key) = to.table(table).and_then(|t| t.foreign_keys.get(name)) else {
            continue;
        };
        let op = Op::AddForeignKey {
            table: table.clone(),
            foreign_key: foreign_key.clone(),
        };
        let change = Change::AddForeignKey {
            table: table.clone(),
            foreign_key: foreign_key.clone(),
        };
        steps.push(Step {
            guard: None,
            summary: format!(
                "{} (left out of CREATE TABLE: the new tables reference each other)",
                describe(&change, to)
            ),
            // SQLite does not check a foreign key's target at CREATE TABLE, so there the key
            // stayed in the table definition.
            sqlite: vec![],
            postgres: vec![op.clone()],
            mysql: vec![op],
        });
    }
    if safety == Safety::Online {
        let context = online::Context::new(&created, to);
        for step in &mut steps {
            step.postgres = online::postgres(std::mem::take(&mut step.postgres), &context);
            step.mysql = online::mysql(std::mem::take(&mut step.mysql), &context);
        }
    }
    Ok(steps)
}

fn plan_change(
    change: &Change,
    from: &Schema,
    to: &Schema,
    backfills: &Backfills,
    converts: &Backfills,
    deferred: &BTreeSet<(String, String)>,
    direction: Direction,
) -> Result<Step> {
    let summary = describe(change, to);
    Ok(match change {
        Change::CreateEnum(e) => Step {
            summary,
            guard: None,
            sqlite: vec![],
            postgres: vec![Op::CreateEnumType(e.clone())],
            mysql: vec![],
        },
        Change::DropEnum(e) => Step {
            summary,
            guard: None,
            sqlite: vec![],
            postgres: vec![Op::DropEnumType(e.name.clone())],
            mysql: vec![],
        },
        Change::AlterEnum {
            from: before,
            to: after,
        } => {
            let columns = enum_columns(to, &after.name);
            let appended = after.values.starts_with(&before.values);
            let postgres = if appended {
                after.values[before.values.len()..]
                    .iter()
                    .map(|v| Op::AddEnumValue {
                        name: after.name.clone(),
                        value: v.clone(),
                    })
                    .collect()
            } else {
                sql::pg_recreate_enum(before, after, &columns)
            };
            // MySQL outside strict mode would store '' for a value the enum loses.
            let removes = before.values.iter().any(|v| !after.values.contains(v));
            let mysql = columns
                .into_iter()
                .flat_map(|(table, column)| {
                    let check = removes.then(|| Op::RequireValues {
                        table: table.clone(),
                        column: column.name.clone(),
                        values: after.values.clone(),
                    });
                    check.into_iter().chain([Op::ModifyColumn {
                        table,
                        column: Column {
                            unique: false,
                            ..column
                        },
                    }])
                })
                .collect();
            Step {
                summary,
                guard: None,
                sqlite: vec![],
                postgres,
                mysql,
            }
        }
        Change::CreateTable(table) => {
            let skip: Vec<String> = table
                .foreign_keys
                .keys()
                .filter(|fk| deferred.contains(&(table.name.clone(), (*fk).clone())))
                .cloned()
                .collect();
            let mut ops = vec![Op::CreateTable {
                table: table.clone(),
                skip_foreign_keys: skip.clone(),
            }];
            let mut sqlite = vec![Op::CreateTable {
                table: table.clone(),
                skip_foreign_keys: vec![],
            }];
            for index in table.indexes.values() {
                let op = Op::CreateIndex {
                    table: table.name.clone(),
                    index: index.clone(),
                };
                ops.push(op.clone());
                sqlite.push(op);
            }
            Step {
                summary,
                guard: None,
                sqlite,
                postgres: ops.clone(),
                mysql: ops,
            }
        }
        Change::DropTable(table) => {
            Step::everywhere(summary, vec![Op::DropTable(table.name.clone())])
        }
        Change::CreateView(v)
        | Change::DropView(v)
        | Change::ViewToTable(v)
        | Change::TableToView(v) => {
            let (view, table) = (v.name.clone(), v.table.clone());
            let op = match change {
                Change::CreateView(_) => Op::CreateView { view, table },
                Change::DropView(_) => Op::DropView { view },
                Change::ViewToTable(_) => Op::ViewToTable { view, table },
                _ => Op::TableToView { view, table },
            };
            Step::everywhere(summary, vec![op])
        }
        Change::RenameTable { from: a, to: b } => Step::everywhere(
            summary,
            vec![Op::RenameTable {
                from: a.clone(),
                to: b.clone(),
            }],
        ),
        Change::RenameColumn {
            table,
            from: a,
            to: b,
        } => Step::everywhere(
            summary,
            vec![Op::RenameColumn {
                table: table.clone(),
                from: a.clone(),
                to: b.clone(),
            }],
        ),
        Change::AddColumn { table, column } => {
            let key = (table.clone(), column.name.clone());
            let needs_value = !column.nullable && column.default.is_none();
            match backfills.get(&key) {
                Some(sql) => {
                    let nullable = Column {
                        nullable: true,
                        ..column.clone()
                    };
                    let fill = Op::Backfill {
                        table: table.clone(),
                        column: column.name.clone(),
                        expr: sql.clone(),
                    };
                    let add = Op::AddColumn {
                        table: table.clone(),
                        column: nullable,
                    };
                    // A shadow column is kept in step from before the backfill starts, so
                    // that no row the old code writes meanwhile is missed.
                    let sync = shadowed(to, table, &column.name).map(|source| Op::InstallSync {
                        table: table.clone(),
                        column: source.to_owned(),
                        shadow: column.name.clone(),
                        conversion: to
                            .table(table)
                            .and_then(|t| t.conversions.get(&column.name))
                            .map(|c| c.up.clone()),
                    });
                    let ops: Vec<Op> = std::iter::once(add).chain(sync).chain([fill]).collect();
                    let (mut postgres, mut mysql) = (ops.clone(), ops);
                    // A converting shadow: every value's conversion must fit first.
                    if let Some((source, conversion)) = shadowed(to, table, &column.name).zip(
                        to.table(table)
                            .and_then(|t| t.conversions.get(&column.name)),
                    ) {
                        for (backend, ops) in [
                            (Backend::Postgres, &mut postgres),
                            (Backend::Mysql, &mut mysql),
                        ] {
                            if let Some(fit) = fit::fit_into(&column.ty, backend) {
                                ops.insert(
                                    0,
                                    Op::RequireFit {
                                        table: table.clone(),
                                        column: source.to_owned(),
                                        fit,
                                        conversion: Some(conversion.up.clone()),
                                    },
                                );
                            }
                        }
                    }
                    // A column that stays nullable (a phased rename's new name) is done here.
                    if !column.nullable {
                        postgres.push(Op::AlterColumnParts {
                            table: table.clone(),
                            column: column.clone(),
                            ty: false,
                            rewrites: false,
                            nullable: true,
                            default: false,
                            using: None,
                        });
                        mysql.push(Op::ModifyColumn {
                            table: table.clone(),
                            column: Column {
                                unique: false,
                                ..column.clone()
                            },
                        });
                    }
                    Step {
                        summary,
                        guard: None,
                        // SQLite fills the column by rebuilding the table, and installs the
                        // sync after the rebuild.
                        sqlite: vec![],
                        postgres,
                        mysql,
                    }
                }
                None if needs_value && direction != Direction::Down => {
                    return Err(Error::BackfillNeeded {
                        table: table.clone(),
                        column: column.name.clone(),
                    });
                }
                None => Step::everywhere(
                    summary,
                    vec![Op::AddColumn {
                        table: table.clone(),
                        column: column.clone(),
                    }],
                ),
            }
        }
        Change::DropColumn { table, column } => {
            let unsync = shadowed(from, table, &column.name).map(|source| Op::RemoveSync {
                table: table.clone(),
                column: source.to_owned(),
                shadow: column.name.clone(),
            });
            let drop = Op::DropColumn {
                table: table.clone(),
                column: column.name.clone(),
            };
            Step::everywhere(summary, unsync.into_iter().chain([drop]).collect())
        }
        Change::AlterColumn {
            table,
            from: before,
            to: after,
        } => plan_alter_column(
            summary,
            table,
            before,
            after,
            from,
            to,
            backfills,
            converts
                .get(&(table.clone(), after.name.clone()))
                .map(String::as_str),
        ),
        Change::AlterPrimaryKey {
            table, to: columns, ..
        } => Step {
            summary,
            guard: None,
            sqlite: vec![],
            postgres: sql::set_primary_key(Backend::Postgres, table, columns)
                .into_iter()
                .map(Op::Sql)
                .collect(),
            mysql: sql::set_primary_key(Backend::Mysql, table, columns)
                .into_iter()
                .map(Op::Sql)
                .collect(),
        },
        Change::CreateIndex { table, index } => Step::everywhere(
            summary,
            vec![Op::CreateIndex {
                table: table.clone(),
                index: index.clone(),
            }],
        ),
        Change::DropIndex { table, index } => {
            let drop = Op::DropIndex {
                table: table.clone(),
                name: index.name.clone(),
            };
            let mut step = Step::everywhere(summary, vec![drop.clone()]);
            // InnoDB may be using this index for a foreign key that stays (see
            // `tidemark_runtime::mysql::keep_key_index`).
            let keys = to
                .table(table)
                .into_iter()
                .flat_map(|t| t.foreign_keys.values());
            let mut mysql: Vec<Op> = keys
                .filter(|fk| index.columns.starts_with(&fk.columns))
                .map(|fk| Op::KeepKeyIndex {
                    table: table.clone(),
                    key: fk.name.clone(),
                    columns: fk.columns.clone(),
                    dropping: index.name.clone(),
                })
                .collect();
            mysql.push(drop);
            step.mysql = mysql;
            step
        }
        Change::AddForeignKey { table, foreign_key } => {
            let op = Op::AddForeignKey {
                table: table.clone(),
                foreign_key: foreign_key.clone(),
            };
            Step {
                summary,
                guard: None,
                sqlite: vec![op.clone()],
                postgres: vec![op.clone()],
                mysql: vec![op],
            }
        }
        Change::DropForeignKey { table, foreign_key } => Step {
            summary,
            guard: None,
            // Elsewhere the table's rebuild drops it (see `sqlite_rebuilds`).
            sqlite: match direction {
                Direction::Down => vec![Op::DropForeignKey {
                    table: table.clone(),
                    name: foreign_key.name.clone(),
                }],
                _ => vec![],
            },
            postgres: vec![Op::DropForeignKey {
                table: table.clone(),
                name: foreign_key.name.clone(),
            }],
            mysql: vec![Op::DropForeignKeyAndIndex {
                table: table.clone(),
                name: foreign_key.name.clone(),
            }],
        },
        Change::SwapColumn(swap) => swap::swap_in(summary, swap, from, to),
        Change::UnswapColumn(swap) => swap::swap_out(summary, swap, from, to),
        Change::AlterTableComment {
            table, to: comment, ..
        } => Step {
            summary,
            guard: None,
            sqlite: vec![],
            postgres: vec![Op::Sql(sql::comment_on_table(
                Backend::Postgres,
                table,
                comment.as_deref(),
            ))],
            mysql: vec![Op::Sql(sql::comment_on_table(
                Backend::Mysql,
                table,
                comment.as_deref(),
            ))],
        },
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn plan_alter_column(
    summary: String,
    table: &str,
    before: &Column,
    after: &Column,
    from: &Schema,
    to: &Schema,
    backfills: &Backfills,
    conversion: Option<&str>,
) -> Step {
    let mut postgres = Vec::new();
    let mut mysql = Vec::new();
    let mut sqlite = Vec::new();
    let sqlite_live =
        conversion.is_none() && backend::sqlite_stores_differently(before, after, from, to);
    if let Some(sql) = backfills.get(&(table.to_owned(), after.name.clone()))
        && before.nullable
        && !after.nullable
    {
        let fill = Op::Backfill {
            table: table.to_owned(),
            column: after.name.clone(),
            expr: sql.clone(),
        };
        postgres.push(fill.clone());
        if sqlite_live {
            sqlite.push(fill.clone());
        }
        mysql.push(fill);
    }
    // SQLite's inline UNIQUE is part of the column's definition.
    if sqlite_live {
        sqlite.push(Op::ModifyColumn {
            table: table.to_owned(),
            column: after.clone(),
        });
    }
    let ty = backend::physical_type(&before.ty, from, Backend::Postgres)
        != backend::physical_type(&after.ty, to, Backend::Postgres);
    let require_fit = |backend| {
        // A conversion's values must fit the new type, whatever the old one was.
        let fit = match conversion {
            Some(_) => fit::fit_into(&after.ty, backend),
            None => fit::fit_for(&before.ty, &after.ty, backend),
        };
        fit.map(|fit| Op::RequireFit {
            table: table.to_owned(),
            column: before.name.clone(),
            fit,
            conversion: conversion.map(str::to_owned),
        })
    };
    if ty || conversion.is_some() {
        postgres.extend(require_fit(Backend::Postgres));
    }
    let nullable = before.nullable != after.nullable;
    let default = before.default != after.default;
    let set_default = default && after.default.is_some();
    if ty || nullable || set_default || conversion.is_some() {
        postgres.push(Op::AlterColumnParts {
            table: table.to_owned(),
            column: after.clone(),
            ty: ty || conversion.is_some(),
            rewrites: ty && backend::pg_type_change_rewrites(&before.ty, &after.ty)
                || conversion.is_some(),
            nullable,
            default: set_default,
            using: conversion.map(str::to_owned),
        });
    }
    if default && after.default.is_none() {
        postgres.push(Op::Sql(sql::drop_default(table, &after.name)));
    }
    let mysql_changed = backend::physical_type(&before.ty, from, Backend::Mysql)
        != backend::physical_type(&after.ty, to, Backend::Mysql)
        || nullable
        || default
        || before.comment != after.comment;
    if let Some(conversion) = conversion {
        mysql.extend(require_fit(Backend::Mysql));
        mysql.extend(mysql_convert(table, after, conversion));
    } else if mysql_changed {
        mysql.extend(require_fit(Backend::Mysql));
        mysql.push(Op::ModifyColumn {
            table: table.to_owned(),
            column: Column {
                unique: false,
                ..after.clone()
            },
        });
    }
    if before.comment != after.comment {
        postgres.push(Op::Sql(sql::pg_comment_on_column(
            table,
            &after.name,
            after.comment.as_deref(),
        )));
    }
    if before.unique != after.unique {
        // An inline UNIQUE is a constraint named `<table>_<column>_key` on PostgreSQL and an
        // index named after the column on MySQL.
        postgres.push(if after.unique {
            Op::AddUniqueConstraint {
                table: table.to_owned(),
                name: format!("{table}_{}_key", after.name),
                columns: vec![after.name.clone()],
            }
        } else {
            Op::Sql(sql::pg_drop_unique(table, &after.name))
        });
        let index = Index {
            name: after.name.clone(),
            columns: vec![after.name.clone()],
            unique: true,
        };
        mysql.push(if after.unique {
            Op::CreateIndex {
                table: table.to_owned(),
                index,
            }
        } else {
            Op::DropIndex {
                table: table.to_owned(),
                name: index.name,
            }
        });
    }
    Step {
        summary,
        guard: None,
        sqlite,
        postgres,
        mysql,
    }
}

/// MySQL cannot compute a column's new values in `MODIFY COLUMN`: the runtime converts them
/// through a shadow column, which then takes the column's place; the column's definition
/// (NOT NULL, default, comment) comes after.
fn mysql_convert(table: &str, after: &Column, conversion: &str) -> Vec<Op> {
    vec![
        Op::ConvertColumn {
            table: table.to_owned(),
            column: after.clone(),
            conversion: conversion.to_owned(),
        },
        Op::ModifyColumn {
            table: table.to_owned(),
            column: Column {
                unique: false,
                ..after.clone()
            },
        },
    ]
}

fn enum_columns(schema: &Schema, name: &str) -> Vec<(String, Column)> {
    let mut out = Vec::new();
    for table in schema.tables.values() {
        for column in &table.columns {
            if column.ty == ColumnType::Enum(name.to_owned()) {
                out.push((table.name.clone(), column.clone()));
            }
        }
    }
    out
}

/// A value of the right type for rows that must get *something* when `down` re-adds a NOT
/// NULL column whose data `up` dropped.
fn placeholder(ty: &ColumnType, schema: &Schema) -> String {
    use ColumnType::*;
    match ty {
        TinyInteger | SmallInteger | Integer | BigInteger | TinyUnsigned | SmallUnsigned
        | Unsigned | BigUnsigned | Float | Double | Decimal(_) | Money(_) | Year => "0".into(),
        Boolean => "FALSE".into(),
        Json | JsonBinary => "'{}'".into(),
        Uuid => "'00000000-0000-0000-0000-000000000000'".into(),
        DateTime | Timestamp | TimestampWithTimeZone => "'1970-01-01 00:00:00'".into(),
        Date => "'1970-01-01'".into(),
        Time => "'00:00:00'".into(),
        Enum(name) => schema
            .enums
            .get(name)
            .and_then(|e| e.values.first())
            .map_or("''".into(), |v| format!("'{}'", v.replace('\'', "''"))),
        _ => "''".into(),
    }
}
