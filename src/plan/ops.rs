//! The operations a plan is made of: what one step runs on one backend.

use super::fit;
use crate::model::{Column, EnumType, ForeignKey, Index, Table};

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
    /// server can, and a note where it cannot (see `online` in runtime/src/mysql.rs).
    MysqlOnline(Box<Op>),
    /// PostgreSQL: `SET NOT NULL` proven by a validated `CHECK (column IS NOT NULL)`.
    SetNotNullOnline {
        table: String,
        column: String,
    },
    /// A trigger that copies `column` into `shadow` on every insert and update
    /// (`install_sync` in runtime/src/shadow.rs).
    InstallSync {
        table: String,
        column: String,
        shadow: String,
        /// What the trigger writes instead of the column's value.
        conversion: Option<String>,
    },
    /// MySQL: `column` converted to its new type by `conversion`, through a shadow column
    /// that takes its place (`convert_column` in runtime/src/shadow.rs); nullable until the
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
    /// table (`create_view` in runtime/src/view.rs).
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
    /// A squash: declares the migrations it replaces (`replaces` in runtime/src/squash.rs).
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
