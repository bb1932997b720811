//! One schema change of a migration, as data: what to change, not how each backend does it.
//!
//! [`crate::Online::run`] turns each [`Change`] into the form its backend needs on a live
//! table (see [`crate::online`]). Builders are borrowed and cloned, so a sea-query chain goes in
//! as written, without `.to_owned()`.

use crate::fit::Fit;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;
use std::borrow::Borrow;

/// One change of a migration. Build it with the constructors; narrow it with
/// [`Change::only_on`], [`Change::except_on`] or [`Change::when`].
///
/// ```
/// use sea_orm_migration::prelude::*;
/// use tidemark_runtime::Change;
///
/// let subtitle = Index::create().name("idx_post_subtitle").table("post").col("subtitle").to_owned();
/// let changes = [
///     Change::add_column("post", ColumnDef::new("subtitle").string().null()),
///     Change::create_index(subtitle),
/// ];
/// assert_eq!(changes.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Change {
    pub(crate) kind: Kind,
    pub(crate) backends: Option<Vec<DbBackend>>,
    pub(crate) when: Option<When>,
}

/// The condition of a [`Change::when`]: run the change only if the live schema is so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    /// The table exists.
    TableExists(String),
    /// The table does not exist.
    TableMissing(String),
    /// The column `(table, column)` exists.
    ColumnExists(String, String),
    /// The column `(table, column)` does not exist.
    ColumnMissing(String, String),
    /// The index `(table, index)` exists.
    IndexExists(String, String),
    /// The index `(table, index)` does not exist.
    IndexMissing(String, String),
}

impl When {
    /// Only if `table` exists.
    pub fn table_exists(table: impl IntoIden) -> When {
        When::TableExists(name(table))
    }
    /// Only if `table` does not exist.
    pub fn table_missing(table: impl IntoIden) -> When {
        When::TableMissing(name(table))
    }
    /// Only if `table` has `column`.
    pub fn column_exists(table: impl IntoIden, column: impl IntoIden) -> When {
        When::ColumnExists(name(table), name(column))
    }
    /// Only if `table` has no `column`: a column a previous run or a hand-made fix added already is
    /// left alone.
    pub fn column_missing(table: impl IntoIden, column: impl IntoIden) -> When {
        When::ColumnMissing(name(table), name(column))
    }
    /// Only if `table` has the index named `index`.
    pub fn index_exists(table: impl IntoIden, index: &str) -> When {
        When::IndexExists(name(table), index.to_owned())
    }
    /// Only if `table` has no index named `index`.
    pub fn index_missing(table: impl IntoIden, index: &str) -> When {
        When::IndexMissing(name(table), index.to_owned())
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    CreateEnum {
        name: String,
        values: Vec<String>,
    },
    AddEnumValue {
        name: String,
        value: String,
    },
    DropEnum(String),
    CreateTable(TableCreateStatement),
    DropTable(String),
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: ColumnDef,
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
    ModifyColumn {
        table: String,
        column: ColumnDef,
    },
    AlterTable(TableAlterStatement),
    CreateIndex {
        table: String,
        index: IndexCreateStatement,
    },
    DropIndex {
        table: String,
        name: String,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKeyCreateStatement,
    },
    DropForeignKey {
        table: String,
        name: String,
    },
    AddUnique {
        table: String,
        name: String,
        columns: Vec<String>,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    Backfill {
        table: String,
        column: String,
        expression: String,
        integer_key: Option<String>,
    },
    Sql(String),
    RequireFit {
        table: String,
        column: String,
        fit: Fit,
        conversion: Option<String>,
    },
    RequireValues {
        table: String,
        column: String,
        values: Vec<String>,
    },
    RequireParents {
        table: String,
        columns: Vec<String>,
        parent: String,
        parent_columns: Vec<String>,
        parent_is_new: bool,
        nulls_are_filled: bool,
    },
    KeepKeyIndex {
        table: String,
        key: String,
        columns: Vec<String>,
        dropping: String,
    },
    Replaces(Vec<String>),
    InstallSync {
        table: String,
        column: String,
        shadow: String,
        conversion: Option<String>,
    },
    RemoveSync {
        table: String,
        column: String,
    },
    ConvertColumn {
        table: String,
        column: String,
        shadow: ColumnDef,
        conversion: String,
    },
    SwapIn {
        table: String,
        column: String,
        shadow: String,
        indexes: Vec<(String, String)>,
    },
    SwapOut {
        table: String,
        column: String,
        shadow: String,
        indexes: Vec<(String, String)>,
    },
    CreateView {
        view: String,
        table: String,
    },
    DropView(String),
    ViewToTable {
        view: String,
        table: String,
    },
    TableToView {
        view: String,
        table: String,
    },
    RebuildTable {
        table: TableCreateStatement,
        indexes: Vec<IndexCreateStatement>,
        backfills: Vec<(String, String)>,
    },
}

pub(crate) fn name(iden: impl IntoIden) -> String {
    iden.into_iden().to_string()
}

fn names<I: IntoIden>(idens: impl IntoIterator<Item = I>) -> Vec<String> {
    idens.into_iter().map(name).collect()
}

fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Vec<String> {
    values.into_iter().map(|v| v.as_ref().to_owned()).collect()
}

impl From<Kind> for Change {
    fn from(kind: Kind) -> Change {
        Change {
            kind,
            backends: None,
            when: None,
        }
    }
}

impl Change {
    /// Runs the change on `backend` only (a statement of that backend's dialect).
    pub fn only_on(mut self, backend: DbBackend) -> Self {
        self.backends = Some(vec![backend]);
        self
    }

    /// Runs the change on every backend but `backend`.
    pub fn except_on(mut self, backend: DbBackend) -> Self {
        let all = [DbBackend::Postgres, DbBackend::MySql, DbBackend::Sqlite];
        self.backends = Some(all.into_iter().filter(|b| *b != backend).collect());
        self
    }

    /// Runs the change only when the live schema is as `condition` says (a reconciliation,
    /// which must also pass over databases that never drifted).
    pub fn when(mut self, condition: When) -> Self {
        self.when = Some(condition);
        self
    }

    pub(crate) fn runs_on(&self, backend: DbBackend) -> bool {
        self.backends.as_ref().is_none_or(|b| b.contains(&backend))
    }

    /// A PostgreSQL enum type (`CREATE TYPE ... AS ENUM`); nothing elsewhere, where enums are
    /// column types.
    pub fn create_enum<S: AsRef<str>>(name: &str, values: impl IntoIterator<Item = S>) -> Self {
        Kind::CreateEnum {
            name: name.to_owned(),
            values: strings(values),
        }
        .into()
    }

    /// `ALTER TYPE ... ADD VALUE` on PostgreSQL; nothing elsewhere.
    pub fn add_enum_value(name: &str, value: &str) -> Self {
        Kind::AddEnumValue {
            name: name.to_owned(),
            value: value.to_owned(),
        }
        .into()
    }

    /// `DROP TYPE` on PostgreSQL; nothing elsewhere.
    pub fn drop_enum(name: &str) -> Self {
        Kind::DropEnum(name.to_owned()).into()
    }

    /// A new table. Indexes and foreign keys added to it later in the same run are built
    /// plainly: the table is empty.
    pub fn create_table(table: impl Borrow<TableCreateStatement>) -> Self {
        Kind::CreateTable(table.borrow().clone()).into()
    }

    /// Drops the table and its rows (a destructive change: the generator writes it only with
    /// consent).
    pub fn drop_table(table: impl IntoIden) -> Self {
        Kind::DropTable(name(table)).into()
    }

    /// Renames a table.
    pub fn rename_table(from: impl IntoIden, to: impl IntoIden) -> Self {
        Kind::RenameTable {
            from: name(from),
            to: name(to),
        }
        .into()
    }

    /// Adds a column. A NOT NULL column without a default on a table with rows is refused by the
    /// server; the generator adds it nullable, backfills and then sets NOT NULL.
    pub fn add_column(table: impl IntoIden, column: impl Borrow<ColumnDef>) -> Self {
        Kind::AddColumn {
            table: name(table),
            column: column.borrow().clone(),
        }
        .into()
    }

    /// Drops a column and its values; on SQLite the indexes that use it must be dropped first (the
    /// generator orders them so).
    pub fn drop_column(table: impl IntoIden, column: impl IntoIden) -> Self {
        Kind::DropColumn {
            table: name(table),
            column: name(column),
        }
        .into()
    }

    /// Renames a column.
    pub fn rename_column(table: impl IntoIden, from: impl IntoIden, to: impl IntoIden) -> Self {
        Kind::RenameColumn {
            table: name(table),
            from: name(from),
            to: name(to),
        }
        .into()
    }

    /// The column's whole new definition: `MODIFY COLUMN` on MySQL/MariaDB; on SQLite, whose
    /// `ALTER TABLE` cannot change a column, a rebuild of the table from its definition in the
    /// database with this column's replaced (rows, indexes and triggers kept).
    pub fn modify_column(table: impl IntoIden, column: impl Borrow<ColumnDef>) -> Self {
        Kind::ModifyColumn {
            table: name(table),
            column: column.borrow().clone(),
        }
        .into()
    }

    /// An `ALTER TABLE` run as it is, under the lock timeout.
    pub fn alter_table(statement: impl Borrow<TableAlterStatement>) -> Self {
        Kind::AlterTable(statement.borrow().clone()).into()
    }

    /// An index. On a table that holds rows it is built without blocking writes:
    /// `CONCURRENTLY` on PostgreSQL, `ALGORITHM=INPLACE, LOCK=NONE` on MySQL/MariaDB.
    pub fn create_index(index: impl Borrow<IndexCreateStatement>) -> Self {
        let index = index.borrow().clone();
        Kind::CreateIndex {
            table: index_table(&index),
            index,
        }
        .into()
    }

    /// Drops the index named `index` of `table`: `CONCURRENTLY` on PostgreSQL when the table holds
    /// rows.
    pub fn drop_index(table: impl IntoIden, index: &str) -> Self {
        Kind::DropIndex {
            table: name(table),
            name: index.to_owned(),
        }
        .into()
    }

    /// A foreign key. On PostgreSQL a table that holds rows gets it `NOT VALID` and then
    /// validated, so that the check of existing rows blocks no writer; the same key under
    /// another name is kept instead of doubled. SQLite keeps foreign keys in the table's
    /// definition: there the table is rebuilt from its definition in the database with
    /// `CONSTRAINT name FOREIGN KEY ...` added, unless it has the same key already.
    pub fn add_foreign_key(foreign_key: impl Borrow<ForeignKeyCreateStatement>) -> Self {
        let foreign_key = foreign_key.borrow().clone();
        let table = match foreign_key.get_foreign_key().get_table() {
            Some(TableRef::Table(table, _)) => table.1.to_string(),
            _ => String::new(),
        };
        Kind::AddForeignKey { table, foreign_key }.into()
    }

    /// Drops a foreign key (and, on MySQL/MariaDB, the index it made). On SQLite the table is
    /// rebuilt without the constraint of this name; SQLite keeps no name for a key declared
    /// without `CONSTRAINT name` (as `create_table` declares them), so there this drops keys
    /// that [`Change::add_foreign_key`] added.
    pub fn drop_foreign_key(table: impl IntoIden, key: &str) -> Self {
        Kind::DropForeignKey {
            table: name(table),
            name: key.to_owned(),
        }
        .into()
    }

    /// A unique constraint (PostgreSQL), over an index built concurrently when the table holds
    /// rows.
    pub fn add_unique<I: IntoIden>(
        table: impl IntoIden,
        constraint: &str,
        columns: impl IntoIterator<Item = I>,
    ) -> Self {
        Kind::AddUnique {
            table: name(table),
            name: constraint.to_owned(),
            columns: names(columns),
        }
        .into()
    }

    /// `SET NOT NULL` (PostgreSQL). On a table that holds rows it is proven by a validated
    /// check first, so the lock that sets it scans nothing.
    pub fn set_not_null(table: impl IntoIden, column: impl IntoIden) -> Self {
        Kind::SetNotNull {
            table: name(table),
            column: name(column),
        }
        .into()
    }

    /// Fills `column` with `expression` (SQL over the row) wherever it is NULL, in committed
    /// batches on a live table. Batches are ranges of `integer_key` when the table has one.
    pub fn backfill(table: impl IntoIden, column: impl IntoIden, expression: &str) -> Self {
        Kind::Backfill {
            table: name(table),
            column: name(column),
            expression: expression.to_owned(),
            integer_key: None,
        }
        .into()
    }

    /// [`Change::backfill`] in batches that are ranges of the integer primary key `key`.
    pub fn backfill_by(
        table: impl IntoIden,
        column: impl IntoIden,
        expression: &str,
        key: impl IntoIden,
    ) -> Self {
        Kind::Backfill {
            table: name(table),
            column: name(column),
            expression: expression.to_owned(),
            integer_key: Some(name(key)),
        }
        .into()
    }

    /// A statement written as SQL, usually of one backend's dialect (pair it with
    /// [`Change::only_on`]).
    pub fn sql(statement: &str) -> Self {
        Kind::Sql(statement.to_owned()).into()
    }

    /// Stops the migration before anything changes when a value of `column` does not fit
    /// `fit`, naming the rows.
    ///
    /// ```
    /// use sea_orm_migration::prelude::*;
    /// use tidemark_runtime::{Change, Fit};
    ///
    /// // Narrowing `user.name` to 100 characters must not cut anyone's name short.
    /// let narrow = [
    ///     Change::require_fit("user", "name", Fit::Chars(100)),
    ///     Change::modify_column("user", ColumnDef::new("name").string_len(100).not_null()),
    /// ];
    /// # let _ = narrow;
    /// ```
    pub fn require_fit(table: impl IntoIden, column: impl IntoIden, fit: Fit) -> Self {
        Kind::RequireFit {
            table: name(table),
            column: name(column),
            fit,
            conversion: None,
        }
        .into()
    }

    /// [`Change::require_fit`] for the values `conversion` (SQL over the column) makes.
    pub fn require_converted_fit(
        table: impl IntoIden,
        column: impl IntoIden,
        conversion: &str,
        fit: Fit,
    ) -> Self {
        Kind::RequireFit {
            table: name(table),
            column: name(column),
            fit,
            conversion: Some(conversion.to_owned()),
        }
        .into()
    }

    /// Stops the migration when `column` holds a value outside `values` (an enum losing one).
    pub fn require_values<S: AsRef<str>>(
        table: impl IntoIden,
        column: impl IntoIden,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        Kind::RequireValues {
            table: name(table),
            column: name(column),
            values: strings(values),
        }
        .into()
    }

    /// Stops the migration when a row of `table` would break the foreign key `columns` ->
    /// `parent(parent_columns)`, listing the rows.
    pub fn require_parents<I: IntoIden, J: IntoIden>(
        table: impl IntoIden,
        columns: impl IntoIterator<Item = I>,
        parent: impl IntoIden,
        parent_columns: impl IntoIterator<Item = J>,
    ) -> Self {
        Kind::RequireParents {
            table: name(table),
            columns: names(columns),
            parent: name(parent),
            parent_columns: names(parent_columns),
            parent_is_new: false,
            nulls_are_filled: false,
        }
        .into()
    }

    /// For [`Change::require_parents`]: the parent is created empty by this migration.
    pub fn parent_is_new(mut self) -> Self {
        if let Kind::RequireParents { parent_is_new, .. } = &mut self.kind {
            *parent_is_new = true;
        }
        self
    }

    /// For [`Change::require_parents`]: the migration fills the key's NULLs with a placeholder
    /// first.
    pub fn nulls_are_filled(mut self) -> Self {
        if let Kind::RequireParents {
            nulls_are_filled, ..
        } = &mut self.kind
        {
            *nulls_are_filled = true;
        }
        self
    }

    /// MySQL/MariaDB: gives foreign key `key` an index of its own before index `dropping`,
    /// which InnoDB may be using for it, goes.
    pub fn keep_key_index<I: IntoIden>(
        table: impl IntoIden,
        key: &str,
        columns: impl IntoIterator<Item = I>,
        dropping: &str,
    ) -> Self {
        Kind::KeepKeyIndex {
            table: name(table),
            key: key.to_owned(),
            columns: names(columns),
            dropping: dropping.to_owned(),
        }
        .into()
    }

    /// Declares the migrations a squash replaces.
    pub fn replaces<S: AsRef<str>>(migrations: impl IntoIterator<Item = S>) -> Self {
        Kind::Replaces(strings(migrations)).into()
    }

    /// Keeps `shadow` in step with `column` on every write (a trigger), converted by
    /// `conversion` when one is given.
    pub fn install_sync(
        table: impl IntoIden,
        column: impl IntoIden,
        shadow: impl IntoIden,
        conversion: Option<&str>,
    ) -> Self {
        Kind::InstallSync {
            table: name(table),
            column: name(column),
            shadow: name(shadow),
            conversion: conversion.map(str::to_owned),
        }
        .into()
    }

    /// Removes the trigger that [`Change::install_sync`] put on `table` for `column`.
    pub fn remove_sync(table: impl IntoIden, column: impl IntoIden) -> Self {
        Kind::RemoveSync {
            table: name(table),
            column: name(column),
        }
        .into()
    }

    /// MySQL/MariaDB: converts `column`'s values through a shadow of definition `shadow`.
    pub fn convert_column(
        table: impl IntoIden,
        column: impl IntoIden,
        shadow: impl Borrow<ColumnDef>,
        conversion: &str,
    ) -> Self {
        Kind::ConvertColumn {
            table: name(table),
            column: name(column),
            shadow: shadow.borrow().clone(),
            conversion: conversion.to_owned(),
        }
        .into()
    }

    /// Swaps `shadow` in for `column`, renaming each index `(shadow's, column's)`.
    pub fn swap_in<'a>(
        table: impl IntoIden,
        column: impl IntoIden,
        shadow: impl IntoIden,
        indexes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        Kind::SwapIn {
            table: name(table),
            column: name(column),
            shadow: name(shadow),
            indexes: pairs(indexes),
        }
        .into()
    }

    /// Undoes [`Change::swap_in`].
    pub fn swap_out<'a>(
        table: impl IntoIden,
        column: impl IntoIden,
        shadow: impl IntoIden,
        indexes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        Kind::SwapOut {
            table: name(table),
            column: name(column),
            shadow: name(shadow),
            indexes: pairs(indexes),
        }
        .into()
    }

    /// A view of the whole of `table` under the name `view`, writable as the table is.
    pub fn create_view(view: impl IntoIden, table: impl IntoIden) -> Self {
        Kind::CreateView {
            view: name(view),
            table: name(table),
        }
        .into()
    }

    /// Drops a compatibility view that [`Change::create_view`] made.
    pub fn drop_view(view: impl IntoIden) -> Self {
        Kind::DropView(name(view)).into()
    }

    /// Table `table` takes the name of its compatibility view `view`.
    pub fn view_to_table(view: impl IntoIden, table: impl IntoIden) -> Self {
        Kind::ViewToTable {
            view: name(view),
            table: name(table),
        }
        .into()
    }

    /// Table `view` is renamed to `table` and a view keeps its old name.
    pub fn table_to_view(view: impl IntoIden, table: impl IntoIden) -> Self {
        Kind::TableToView {
            view: name(view),
            table: name(table),
        }
        .into()
    }

    /// SQLite: rebuilds the table with this definition and these indexes, keeping its rows;
    /// a column in `backfills` is filled from its SQL expression over the old row.
    pub fn rebuild_table<'a>(
        table: impl Borrow<TableCreateStatement>,
        indexes: impl IntoIterator<Item = &'a mut IndexCreateStatement>,
        backfills: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        Kind::RebuildTable {
            table: table.borrow().clone(),
            indexes: indexes.into_iter().map(|i| i.clone()).collect(),
            backfills: pairs(backfills),
        }
        .into()
    }
}

fn pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

/// The table an index statement names. sea-query keeps it private, so it is read back from
/// the statement as MySQL prints it, ``CREATE [UNIQUE] INDEX `name` ON `table` ...``: the
/// second quoted identifier. (sea-query does not escape an index's name, so the name is set
/// to a plain one first.)
fn index_table(index: &IndexCreateStatement) -> String {
    let sql = index.clone().name("i").to_string(MysqlQueryBuilder);
    let mut quoted = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '`' {
            continue;
        }
        let mut ident = String::new();
        while let Some(c) = chars.next() {
            if c == '`' {
                if chars.peek() != Some(&'`') {
                    break;
                }
                chars.next();
            }
            ident.push(c);
        }
        quoted.push(ident);
        if quoted.len() == 2 {
            break;
        }
    }
    quoted
        .pop()
        .filter(|_| quoted.len() == 1)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_knows_its_table() {
        let index = Index::create()
            .name("idx ON `x`")
            .table("we`ird")
            .col("a")
            .to_owned();
        assert_eq!(
            index_table(&index),
            "we`ird",
            "{}",
            index.to_string(MysqlQueryBuilder)
        );
    }
}
