//! A foreign key added to a table that holds rows fails on rows that point at no parent row,
//! and it fails late: after the statements before it (on MySQL/MariaDB, committed) and, on
//! PostgreSQL's online form, after the key was added `NOT VALID`. The typical case is a `down`:
//! it re-creates a table that `up` dropped (empty) and adds back the keys that pointed into it,
//! or tightens a column that `ON DELETE SET NULL` emptied meanwhile. [`require_parents`] runs
//! before anything of the migration and refuses, naming the rows.

use crate::raw::quote;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// A foreign key about to be added: from `table.columns` to `parent.parent_columns`.
#[derive(Clone, Copy, Debug)]
pub struct References<'a> {
    /// The child table.
    pub table: &'a str,
    /// Its columns the key covers.
    pub columns: &'a [&'a str],
    /// The table the key points at.
    pub parent: &'a str,
    /// The parent's columns, in the order of `columns`.
    pub parent_columns: &'a [&'a str],
    /// The migration creates `parent` before adding the key: it will be empty, so every row
    /// with a value points at nothing.
    pub parent_is_new: bool,
    /// The migration fills the NULLs of these columns with a placeholder before adding the key
    /// (a `down` making the column NOT NULL again): those rows will point at nothing too.
    pub nulls_are_filled: bool,
}

impl References<'_> {
    /// The condition that holds for a row of `table` the key would reject.
    pub fn orphan_condition(&self, backend: DbBackend) -> String {
        let q = |name: &str| quote(backend, name);
        let set: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("t.{} IS NOT NULL", q(c)))
            .collect();
        let set = set.join(" AND ");
        let dangling = if self.parent_is_new {
            set.clone()
        } else {
            let matches: Vec<String> = self
                .columns
                .iter()
                .zip(self.parent_columns)
                .map(|(c, p)| format!("p.{} = t.{}", q(p), q(c)))
                .collect();
            format!(
                "{set} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
                q(self.parent),
                matches.join(" AND ")
            )
        };
        if self.nulls_are_filled {
            format!("NOT ({set}) OR ({dangling})")
        } else {
            dangling
        }
    }
}

/// Fails, before anything changes, when a row of `refs.table` would break the foreign key.
pub async fn require_parents(
    manager: &SchemaManager<'_>,
    refs: References<'_>,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let t = quote(backend, refs.table);
    let condition = refs.orphan_condition(backend);
    let row = manager
        .get_connection()
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {t} t WHERE {condition}"),
        ))
        .await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    if n == 0 {
        return Ok(());
    }
    let columns = refs.columns.join(", ");
    let why = if refs.parent_is_new {
        format!(
            "`{}` comes back empty (its rows went with the table)",
            refs.parent
        )
    } else if refs.nulls_are_filled {
        format!(
            "rows holding NULL (left by ON DELETE SET NULL, say) would get a placeholder that no \
             `{}` row has",
            refs.parent
        )
    } else {
        format!("they point at no `{}` row", refs.parent)
    };
    let listed: Vec<String> = refs
        .columns
        .iter()
        .map(|c| format!("t.{}", quote(backend, c)))
        .collect();
    Err(DbErr::Migration(format!(
        "the foreign key from `{}` ({columns}) to `{}` cannot be added: {n} row(s) would break \
         it, because {why}. Nothing was changed. Delete those rows, point them at an existing \
         row (or NULL, where the column allows it), or keep the database as it is.\n  \
         list them: SELECT {} FROM {t} t WHERE {condition}\n  \
         see docs/troubleshooting.md#foreign-key-violation",
        refs.table,
        refs.parent,
        listed.join(", "),
    )))
}
