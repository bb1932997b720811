//! [`Change`]s -> [`Plan`]: *how* to apply them on each backend.
//!
//! Diff says what changed; planning decides the order (dependencies first, drops last, foreign
//! key cycles broken), the statements per backend, and where a backend cannot do a change
//! directly (SQLite's `ALTER TABLE` cannot alter a column, so the table is rebuilt). It also
//! finds the changes that destroy data, which the CLI refuses without consent.

mod assess;
pub mod fit;
mod online;
pub mod phased;
mod swap;

pub use assess::{Assessment, Cost, assess};

use crate::backend::{self, Backend};
use crate::diff::{self, Change};
use crate::error::{Error, Result};
use crate::model::{Column, ColumnType, DefaultValue, EnumType, ForeignKey, Index, Schema, Table};
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

/// A condition on the live schema, checked when the migration runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    TableExists(String, bool),
    ColumnExists(String, String, bool),
    IndexExists(String, String, bool),
}

/// One statement (or one runtime helper call) in a migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    CreateEnumType(EnumType),
    AddEnumValue {
        name: String,
        value: String,
    },
    DropEnumType(String),
    /// `CREATE TABLE` without the foreign keys named in `skip_foreign_keys` (added later, to
    /// break a cycle).
    CreateTable {
        table: Table,
        skip_foreign_keys: Vec<String>,
    },
    DropTable(String),
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
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// MySQL's `MODIFY COLUMN` with the full definition.
    ModifyColumn {
        table: String,
        column: Column,
    },
    /// PostgreSQL's targeted `ALTER COLUMN ... TYPE / SET NOT NULL / SET DEFAULT`, one
    /// statement each, for the parts flagged.
    AlterColumnParts {
        table: String,
        column: Column,
        ty: bool,
        /// The type change rewrites the table (see `backend::pg_type_change_rewrites`).
        rewrites: bool,
        nullable: bool,
        default: bool,
        /// The conversion's `USING` expression, when the user gave one.
        using: Option<String>,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    DropIndex {
        table: String,
        name: String,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    DropForeignKey {
        table: String,
        name: String,
    },
    /// MySQL: drop the key and the index MySQL created to back it.
    DropForeignKeyAndIndex {
        table: String,
        name: String,
    },
    /// Backend-specific SQL for what sea-query has no builder for, written by the planner.
    Sql(String),
    /// The same, for a statement that rewrites its table (PostgreSQL's enum column converted
    /// to a re-created type).
    SqlRewrite(String),
    /// MySQL/MariaDB: give foreign key `key` an index of its own before `dropping`, which
    /// InnoDB may be using for it, goes.
    KeepKeyIndex {
        table: String,
        key: String,
        columns: Vec<String>,
        dropping: String,
    },
    /// Stop before anything changes when rows would break a foreign key added to a table
    /// that holds rows (see `tidemark_runtime::references`).
    RequireParents {
        table: String,
        columns: Vec<String>,
        parent: String,
        parent_columns: Vec<String>,
        parent_is_new: bool,
        nulls_are_filled: bool,
    },
    /// Stop before a narrowing type change when a value of the column does not fit.
    RequireFit {
        table: String,
        column: String,
        fit: fit::Fit,
        /// The conversion whose values must fit, when the user gave one.
        conversion: Option<String>,
    },
    /// Stop before an enum loses values when a row holds one of those (MySQL).
    RequireValues {
        table: String,
        column: String,
        values: Vec<String>,
    },
    /// Fill `column` from `expr` where it is NULL, in one `UPDATE`.
    Backfill {
        table: String,
        column: String,
        expr: String,
    },
    /// The same in committed batches, by ranges of `integer_key` when the table has one.
    BatchedBackfill {
        table: String,
        column: String,
        expr: String,
        integer_key: Option<String>,
    },
    /// PostgreSQL: a unique constraint `name` over `columns`.
    AddUniqueConstraint {
        table: String,
        name: String,
        columns: Vec<String>,
    },
    /// PostgreSQL: the same through a unique index built concurrently.
    AddUniqueConcurrently {
        table: String,
        name: String,
        columns: Vec<String>,
    },
    /// PostgreSQL: `CREATE INDEX CONCURRENTLY`.
    CreateIndexConcurrently {
        table: String,
        index: Index,
    },
    /// PostgreSQL: `DROP INDEX CONCURRENTLY`.
    DropIndexConcurrently {
        table: String,
        name: String,
    },
    /// PostgreSQL: the foreign key `NOT VALID`, then `VALIDATE CONSTRAINT` on its own.
    AddForeignKeyNotValid {
        table: String,
        foreign_key: ForeignKey,
    },
    /// MySQL/MariaDB: the op with `ALGORITHM=INSTANT` or `INPLACE, LOCK=NONE` where the
    /// server can, and a note where it cannot (see `tidemark_runtime::mysql::online`).
    MysqlOnline(Box<Op>),
    /// PostgreSQL: `SET NOT NULL` proven by a validated `CHECK (column IS NOT NULL)`.
    SetNotNullOnline {
        table: String,
        column: String,
    },
    /// A trigger that copies `column` into `shadow` on every insert and update
    /// (`tidemark_runtime::shadow::install_sync`).
    InstallSync {
        table: String,
        column: String,
        shadow: String,
        /// What the trigger writes instead of the column's value.
        conversion: Option<String>,
    },
    /// MySQL: `column` converted to its new type by `conversion`, through a shadow column
    /// that takes its place (`tidemark_runtime::shadow::convert_column`); nullable until the
    /// `ModifyColumn` that follows.
    ConvertColumn {
        table: String,
        column: Column,
        conversion: String,
    },
    /// Removes that trigger.
    RemoveSync {
        table: String,
        column: String,
        shadow: String,
    },
    /// PostgreSQL, MySQL: drop `column` and the sync, rename `shadow` to `column` and its
    /// indexes `(shadow's, column's)` to the column's names, in one short statement or
    /// transaction.
    SwapIn {
        table: String,
        column: String,
        shadow: String,
        indexes: Vec<(String, String)>,
    },
    /// The reverse renames: `column` back to `shadow`, its indexes back to the shadow's names.
    SwapOut {
        table: String,
        column: String,
        shadow: String,
        indexes: Vec<(String, String)>,
    },
    /// A view `view` of the whole of `table` that old or new code can read and write as the
    /// table (`tidemark_runtime::view::create_view`).
    CreateView {
        view: String,
        table: String,
    },
    DropView {
        view: String,
    },
    /// Drops the view `view` and renames `table` to `view`, in one transaction (PostgreSQL,
    /// SQLite) or one `RENAME TABLE` (MySQL).
    ViewToTable {
        view: String,
        table: String,
    },
    /// Renames the table `view` back to `table` and makes the view again.
    TableToView {
        view: String,
        table: String,
    },
    /// A squash: declares the migrations it replaces (`tidemark_runtime::squash::replaces`).
    Replaces(Vec<String>),
    /// SQLite: rebuild the table into `table`'s definition, copying rows.
    RebuildTable {
        table: Table,
        backfills: Vec<(String, String)>,
    },
}

impl Op {
    /// Whether the op manages its own transactions (it builds concurrently, commits batch by
    /// batch, or validates apart from the lock that added the constraint), so that the
    /// migration holding it must run outside a transaction.
    pub fn runs_outside_transaction(&self) -> bool {
        matches!(
            self,
            Op::BatchedBackfill { .. }
                | Op::AddUniqueConcurrently { .. }
                | Op::CreateIndexConcurrently { .. }
                | Op::DropIndexConcurrently { .. }
                | Op::AddForeignKeyNotValid { .. }
                | Op::SetNotNullOnline { .. }
        )
    }

    /// The existing table whose rows a statement reads or writes, for the ops whose cost
    /// depends on the table's size.
    pub fn scanned_table(&self) -> Option<&str> {
        match self {
            Op::AddForeignKey { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::AddUniqueConstraint { table, .. } => Some(table),
            Op::MysqlOnline(inner) => inner.scanned_table(),
            _ => None,
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

/// A change that destroys data, with the safer sequence a careful person would use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub what: String,
    pub safer: String,
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
    /// `up` of a reconciliation migration: guarded steps.
    Reconcile,
}

/// Where a change runs within a migration. Foreign keys and indexes come off before the
/// objects they depend on change, tables are created parents first and dropped children
/// first, and new indexes and foreign keys go on last, once everything they name exists.
///
/// Every change names tables and columns as they are after `up`'s renames. So `up` renames
/// first, and `down`, which runs the same changes reversed, undoes the renames last. A view
/// comes off before anything (PostgreSQL will not drop or retype a column a view reads) and
/// goes on after everything (its `SELECT *` takes the columns the table has then).
fn phase(change: &Change, direction: Direction) -> u8 {
    let undoing = direction == Direction::Down;
    match change {
        Change::DropView(_) => 0,
        Change::RenameTable { .. } | Change::ViewToTable(_) | Change::TableToView(_) => {
            if undoing {
                15
            } else {
                1
            }
        }
        Change::DropForeignKey { .. } => 2,
        Change::DropIndex { .. } => 3,
        Change::CreateEnum(_) | Change::AlterEnum { .. } => 4,
        Change::RenameColumn { .. } => {
            if undoing {
                14
            } else {
                5
            }
        }
        Change::CreateTable(_) => 6,
        Change::AddColumn { .. } => 7,
        Change::AlterColumn { .. }
        | Change::AlterPrimaryKey { .. }
        | Change::AlterTableComment { .. }
        | Change::SwapColumn(_)
        | Change::UnswapColumn(_) => 8,
        Change::DropColumn { .. } => 9,
        Change::DropTable(_) => 10,
        Change::DropEnum(_) => 11,
        Change::CreateIndex { .. } => 12,
        Change::AddForeignKey { .. } => 13,
        Change::CreateView(_) => 16,
    }
}

/// SQLite table rebuilds run after columns are added, altered and dropped and before tables
/// are dropped: by then renames are done and every table a new foreign key names exists.
const SQLITE_REBUILD_PHASE: u8 = 10;

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

/// Creates parents before children and drops children before parents.
fn order_tables(ordered: Vec<&Change>, direction: Direction) -> Vec<&Change> {
    let mut out = Vec::with_capacity(ordered.len());
    let mut i = 0;
    while i < ordered.len() {
        let p = phase(ordered[i], direction);
        let mut j = i;
        while j < ordered.len() && phase(ordered[j], direction) == p {
            j += 1;
        }
        let group = &ordered[i..j];
        match ordered[i] {
            Change::CreateTable(_) => out.extend(topo_sort(group, false)),
            Change::DropTable(_) => out.extend(topo_sort(group, true)),
            _ => out.extend_from_slice(group),
        }
        i = j;
    }
    out
}

fn table_of(change: &Change) -> &Table {
    match change {
        Change::CreateTable(t) | Change::DropTable(t) => t,
        _ => unreachable!("only table creations and drops are sorted"),
    }
}

/// Orders table creations so that referenced tables come first (reverse for drops); tables in
/// a cycle keep their alphabetical order and the cycle's foreign keys are deferred.
fn topo_sort<'a>(group: &[&'a Change], reverse: bool) -> Vec<&'a Change> {
    let names: BTreeSet<&str> = group.iter().map(|c| table_of(c).name.as_str()).collect();
    let mut placed: Vec<&'a Change> = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    while placed.len() < group.len() {
        let ready = group.iter().find(|c| {
            let t = table_of(c);
            !done.contains(t.name.as_str())
                && t.foreign_keys.values().all(|fk| {
                    fk.ref_table == t.name
                        || !names.contains(fk.ref_table.as_str())
                        || done.contains(fk.ref_table.as_str())
                })
        });
        // In a cycle nothing is ready: place the first remaining table.
        let next = ready.copied().unwrap_or_else(|| {
            *group
                .iter()
                .find(|c| !done.contains(table_of(c).name.as_str()))
                .expect("a table remains")
        });
        done.insert(table_of(next).name.as_str());
        placed.push(next);
    }
    if reverse {
        placed.reverse();
    }
    placed
}

/// Foreign keys of created tables that point at a table created later in the same
/// migration (a cycle): they are left out of `CREATE TABLE` and added at the end.
fn deferred_foreign_keys(ordered: &[&Change]) -> BTreeSet<(String, String)> {
    let mut deferred = BTreeSet::new();
    let created: Vec<&Table> = ordered
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) => Some(t),
            _ => None,
        })
        .collect();
    for (i, table) in created.iter().enumerate() {
        for fk in table.foreign_keys.values() {
            if created[i + 1..]
                .iter()
                .any(|later| later.name == fk.ref_table)
            {
                deferred.insert((table.name.clone(), fk.name.clone()));
            }
        }
    }
    deferred
}

/// Dropped tables that reference each other: a table dropped later still holds a foreign key
/// to one dropped earlier, which PostgreSQL and MySQL refuse. Those keys come off first.
fn cycle_drops(ordered: &[&Change], to: &Schema) -> Vec<Step> {
    let dropped: Vec<&Table> = ordered
        .iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t),
            _ => None,
        })
        .collect();
    let mut steps = Vec::new();
    for (i, later) in dropped.iter().enumerate() {
        for fk in later.foreign_keys.values() {
            if dropped[..i]
                .iter()
                .any(|earlier| earlier.name == fk.ref_table)
            {
                let change = Change::DropForeignKey {
                    table: later.name.clone(),
                    foreign_key: fk.clone(),
                };
                let op = Op::DropForeignKey {
                    table: later.name.clone(),
                    name: fk.name.clone(),
                };
                steps.push(Step {
                    guard: None,
                    summary: format!(
                        "{} (the dropped tables reference each other)",
                        describe(&change, to)
                    ),
                    sqlite: vec![],
                    postgres: vec![op.clone()],
                    mysql: vec![op],
                });
            }
        }
    }
    steps
}

/// Tables that SQLite must rebuild, each with why and with its backfills.
struct Rebuild {
    reasons: Vec<String>,
    backfills: Vec<(String, String)>,
    /// What must hold before the rows are copied (a conversion's values).
    checks: Vec<Op>,
}

fn sqlite_rebuilds(
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
                    let value = tidemark_runtime::convert::substitute(
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
fn still_constrained(
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
fn shadowed<'a>(schema: &'a Schema, table: &str, column: &str) -> Option<&'a str> {
    schema
        .table(table)?
        .shadow_columns
        .get(column)
        .map(String::as_str)
}

/// The table as it was before this migration, looked up under its new name.
fn old_table<'a>(from: &'a Schema, _to: &Schema, name: &str) -> Option<&'a Table> {
    from.table(name)
}

fn rebuild_steps(rebuilds: &BTreeMap<String, Rebuild>, to: &Schema) -> Vec<Step> {
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

/// The changes among `changes` that destroy data.
pub fn hazards(changes: &[Change]) -> Vec<Hazard> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::DropTable(t) => out.push(Hazard {
                what: format!("drop table `{}` and every row in it", t.name),
                safer: format!(
                    "if it was renamed, say so: --rename-table {}=NEW; otherwise stop using the \
                     entity in code, deploy, and drop it in a later migration (or keep the data \
                     by renaming the table to an archive name)",
                    t.name
                ),
            }),
            Change::DropColumn { table, column } => out.push(Hazard {
                what: format!("drop column `{table}.{}` and its values", column.name),
                safer: format!(
                    "if it was renamed, say so: --rename-column {table}.{}=NEW or \
                     #[sea_orm(renamed_from = \"{}\")]; otherwise deploy code that no longer \
                     reads or writes it first, then drop it in a later migration",
                    column.name, column.name
                ),
            }),
            Change::DropEnum(e) => out.push(Hazard {
                what: format!("drop enum type `{}`", e.name),
                safer: "drop it once no column uses it and no code writes it".into(),
            }),
            Change::AlterEnum { from, to } => {
                for gone in from.values.iter().filter(|v| !to.values.contains(v)) {
                    out.push(Hazard {
                        what: format!("remove value `{gone}` from enum `{}`", to.name),
                        safer: format!(
                            "first migrate rows holding `{gone}` to another value and deploy code \
                             that no longer writes it; then remove the value"
                        ),
                    });
                }
            }
            Change::AlterColumn { table, from, to } if from.ty.narrows_to(&to.ty) => out.push(Hazard {
                what: format!(
                    "narrow `{table}.{}` from {} to {}: values that do not fit are rejected or cut",
                    to.name,
                    from.ty.describe(),
                    to.ty.describe()
                ),
                safer: "expand/contract: add a new column of the new type, backfill it with an \
                        explicit conversion, switch reads and writes, then drop the old column"
                    .into(),
            }),
            _ => {}
        }
    }
    out
}

/// One line for a person, in the manner of Django's makemigrations summary.
pub fn describe(change: &Change, schema: &Schema) -> String {
    let column_desc = |c: &Column| {
        let mut s = format!(
            "{}, {}",
            c.ty.describe(),
            if c.nullable { "NULL" } else { "NOT NULL" }
        );
        if let Some(d) = &c.default {
            s.push_str(&format!(
                ", default {}",
                backend::default_sql(d, Backend::Postgres)
            ));
        }
        if c.unique {
            s.push_str(", unique");
        }
        s
    };
    match change {
        Change::CreateEnum(e) => format!("Create enum type `{}` ({})", e.name, e.values.join(", ")),
        Change::DropEnum(e) => format!("Drop enum type `{}`", e.name),
        Change::AlterEnum { from, to } => {
            let added: Vec<&String> = to
                .values
                .iter()
                .filter(|v| !from.values.contains(v))
                .collect();
            let removed: Vec<&String> = from
                .values
                .iter()
                .filter(|v| !to.values.contains(v))
                .collect();
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("add {}", join_quoted(&added)));
            }
            if !removed.is_empty() {
                parts.push(format!("remove {}", join_quoted(&removed)));
            }
            if parts.is_empty() {
                parts.push("reorder values".into());
            }
            format!("Alter enum type `{}`: {}", to.name, parts.join(", "))
        }
        Change::CreateTable(t) => {
            format!("Create table `{}` ({} columns)", t.name, t.columns.len())
        }
        Change::DropTable(t) => format!("Drop table `{}`", t.name),
        Change::RenameTable { from, to } => format!("Rename table `{from}` to `{to}`"),
        Change::AddColumn { table, column } => {
            format!(
                "Add column `{table}.{}` ({})",
                column.name,
                column_desc(column)
            )
        }
        Change::DropColumn { table, column } => format!("Drop column `{table}.{}`", column.name),
        Change::RenameColumn { table, from, to } => {
            format!("Rename column `{table}.{from}` to `{to}`")
        }
        Change::AlterColumn { table, from, to } => {
            let mut parts = Vec::new();
            if from.ty != to.ty {
                parts.push(format!(
                    "type {} -> {}",
                    from.ty.describe(),
                    to.ty.describe()
                ));
            }
            if from.nullable != to.nullable {
                parts.push(if to.nullable {
                    "make nullable".into()
                } else {
                    "make NOT NULL".to_string()
                });
            }
            if from.default != to.default {
                let d = |v: &Option<DefaultValue>| {
                    v.as_ref().map_or("none".into(), |d| {
                        backend::default_sql(d, Backend::Postgres)
                    })
                };
                parts.push(format!(
                    "default {} -> {}",
                    d(&from.default),
                    d(&to.default)
                ));
            }
            if from.unique != to.unique {
                parts.push(if to.unique {
                    "add unique".into()
                } else {
                    "drop unique".to_string()
                });
            }
            if from.auto_increment != to.auto_increment {
                parts.push(format!(
                    "auto-increment {} -> {}",
                    from.auto_increment, to.auto_increment
                ));
            }
            if from.comment != to.comment {
                parts.push("comment".into());
            }
            format!("Alter column `{table}.{}`: {}", to.name, parts.join(", "))
        }
        Change::AlterPrimaryKey { table, from, to } => {
            format!(
                "Change primary key of `{table}` from ({}) to ({})",
                from.join(", "),
                to.join(", ")
            )
        }
        Change::CreateIndex { table, index } => format!(
            "Create {}index `{}` on `{table}` ({})",
            if index.unique { "unique " } else { "" },
            index.name,
            index.columns.join(", ")
        ),
        Change::DropIndex { table, index } => format!("Drop index `{}` on `{table}`", index.name),
        Change::AddForeignKey {
            table,
            foreign_key: fk,
        } => format!(
            "Add foreign key `{}`: `{table}` ({}) -> `{}` ({}), on delete {}, on update {}",
            fk.name,
            fk.columns.join(", "),
            fk.ref_table,
            fk.ref_columns.join(", "),
            action_words(fk.on_delete),
            action_words(fk.on_update),
        ),
        Change::DropForeignKey { table, foreign_key } => {
            format!("Drop foreign key `{}` on `{table}`", foreign_key.name)
        }
        Change::AlterTableComment { table, .. } => {
            let _ = schema;
            format!("Change the comment on table `{table}`")
        }
        Change::SwapColumn(swap) => format!(
            "Swap `{}.{}` to {}: drop the {} column and give `{}`, kept equal to it since the \
             expand, its name",
            swap.table,
            swap.kept.name,
            swap.swapped.ty.describe(),
            swap.kept.ty.describe(),
            swap.shadow.name
        ),
        Change::CreateView(view) => format!(
            "Create view `{}` of table `{}`, writable, for the code that uses the new name",
            view.name, view.table
        ),
        Change::DropView(view) => format!("Drop view `{}` of table `{}`", view.name, view.table),
        Change::ViewToTable(view) => format!(
            "Rename table `{}` to `{}` in place of its view",
            view.table, view.name
        ),
        Change::TableToView(view) => format!(
            "Rename table `{}` back to `{}` and make `{}` its view again",
            view.name, view.table, view.name
        ),
        Change::UnswapColumn(swap) => format!(
            "Swap `{}.{}` back to {}: it becomes `{}` again, beside the {} column refilled from it",
            swap.table,
            swap.kept.name,
            swap.kept.ty.describe(),
            swap.shadow.name,
            swap.kept.ty.describe()
        ),
    }
}

fn join_quoted(values: &[&String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn action_words(action: crate::model::ForeignKeyAction) -> &'static str {
    use crate::model::ForeignKeyAction::*;
    match action {
        NoAction => "no action",
        Restrict => "restrict",
        Cascade => "cascade",
        SetNull => "set null",
        SetDefault => "set default",
    }
}

/// The raw SQL the planner writes where sea-query has no builder, per backend.
mod sql {
    use super::{Backend, Op};
    use crate::model::{Column, EnumType};

    pub(super) fn ident(backend: Backend, name: &str) -> String {
        backend.quote(name)
    }

    fn literal(value: &str) -> String {
        format!("'{}'", value.replace('\'', "''"))
    }

    pub(super) fn drop_default(table: &str, column: &str) -> String {
        let (t, c) = (
            ident(Backend::Postgres, table),
            ident(Backend::Postgres, column),
        );
        format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")
    }

    pub(super) fn pg_drop_unique(table: &str, column: &str) -> String {
        let t = ident(Backend::Postgres, table);
        let name = ident(Backend::Postgres, &format!("{table}_{column}_key"));
        format!("ALTER TABLE {t} DROP CONSTRAINT {name}")
    }

    /// One statement per element: a prepared statement may hold only one command.
    pub(super) fn set_primary_key(
        backend: Backend,
        table: &str,
        columns: &[String],
    ) -> Vec<String> {
        let t = ident(backend, table);
        let cols: Vec<String> = columns.iter().map(|c| ident(backend, c)).collect();
        match backend {
            // The constraint's name depends on how the table was created; look it up.
            Backend::Postgres => vec![
                format!(
                    "DO $$ DECLARE pk text; BEGIN \
                     SELECT conname INTO pk FROM pg_constraint WHERE conrelid = {}::regclass AND contype = 'p'; \
                     IF pk IS NOT NULL THEN EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', {}, pk); END IF; \
                     END $$",
                    literal(&t),
                    literal(table)
                ),
                format!("ALTER TABLE {t} ADD PRIMARY KEY ({})", cols.join(", ")),
            ],
            _ => vec![format!(
                "ALTER TABLE {t} DROP PRIMARY KEY, ADD PRIMARY KEY ({})",
                cols.join(", ")
            )],
        }
    }

    pub(super) fn comment_on_table(backend: Backend, table: &str, comment: Option<&str>) -> String {
        let t = ident(backend, table);
        match backend {
            Backend::Mysql => format!(
                "ALTER TABLE {t} COMMENT = {}",
                literal(comment.unwrap_or(""))
            ),
            _ => format!(
                "COMMENT ON TABLE {t} IS {}",
                comment.map_or("NULL".into(), literal)
            ),
        }
    }

    pub(super) fn pg_comment_on_column(table: &str, column: &str, comment: Option<&str>) -> String {
        format!(
            "COMMENT ON COLUMN {}.{} IS {}",
            ident(Backend::Postgres, table),
            ident(Backend::Postgres, column),
            comment.map_or("NULL".into(), literal)
        )
    }

    /// PostgreSQL cannot drop or reorder enum values: rename the old type away, create the new
    /// one, convert each column through text, drop the old type.
    pub(super) fn pg_recreate_enum(
        from: &EnumType,
        to: &EnumType,
        columns: &[(String, Column)],
    ) -> Vec<Op> {
        let name = ident(Backend::Postgres, &to.name);
        let old = ident(Backend::Postgres, &format!("{}__tidemark_old", from.name));
        let values: Vec<String> = to.values.iter().map(|v| literal(v)).collect();
        let mut sql = vec![
            Op::Sql(format!("ALTER TYPE {name} RENAME TO {old}")),
            Op::Sql(format!(
                "CREATE TYPE {name} AS ENUM ({})",
                values.join(", ")
            )),
        ];
        for (table, column) in columns {
            let (t, c) = (
                ident(Backend::Postgres, table),
                ident(Backend::Postgres, &column.name),
            );
            if column.default.is_some() {
                sql.push(Op::Sql(format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"
                )));
            }
            // Every row is converted: a rewrite, which fails on a value the type lost.
            sql.push(Op::SqlRewrite(format!(
                "ALTER TABLE {t} ALTER COLUMN {c} TYPE {name} USING {c}::text::{name}"
            )));
            if let Some(default) = &column.default {
                let value = crate::backend::default_sql(default, Backend::Postgres);
                sql.push(Op::Sql(format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {value}"
                )));
            }
        }
        sql.push(Op::Sql(format!("DROP TYPE {old}")));
        sql
    }
}
