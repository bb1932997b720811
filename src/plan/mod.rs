//! [`Change`]s -> [`Plan`]: *how* to apply them on each backend.
//!
//! Diff says what changed; planning decides the order (dependencies first, drops last, foreign
//! key cycles broken), the statements per backend, and where a backend cannot do a change
//! directly (SQLite's `ALTER TABLE` cannot alter a column, so the table is rebuilt). It also
//! finds the changes that destroy data, which the CLI refuses without consent.

mod alter_column;
mod assess;
mod change;
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

use alter_column::plan_alter_column;
use change::plan_change;
use order::{
    Direction, SQLITE_REBUILD_PHASE, cycle_drops, deferred_foreign_keys, order_tables, phase,
};
use rebuild::{rebuild_steps, sqlite_rebuilds};

use crate::backend::Backend;
use crate::diff::{self, Change};
use crate::error::Result;
use crate::model::{ColumnType, Schema};
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
    /// The tables `up` creates on `backend`: empty while the migration runs.
    pub fn created_tables(&self, backend: Backend) -> std::collections::BTreeSet<&str> {
        self.up
            .iter()
            .flat_map(|step| step.ops(backend))
            .filter_map(|op| match op {
                Op::CreateTable { table, .. } => Some(table.name.as_str()),
                _ => None,
            })
            .collect()
    }

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
                    .map(|c| tidemark_runtime::__private::substitute(&c, &column, old)),
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
