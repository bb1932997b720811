//! The contract of a phased type change, and its undoing.
//!
//! The expand added a shadow column of the new type, a trigger that copies the column into it
//! on every write, and the shadow's indexes, and filled it in batches; all of that ran while
//! the old code went on writing. What is left is short: drop the column, give the shadow its
//! name and its indexes the names of the column's, and tighten it (NOT NULL through a
//! validated check, the default). Undoing it renames the column back to the shadow and brings
//! the column of the old type back, filled from it in batches and kept in step again.
//!
//! PostgreSQL and MySQL/MariaDB swap in place (`tidemark_runtime::shadow`); SQLite rebuilds the
//! table, which [`super::sqlite_rebuilds`] arranges.

use super::{Backfills, Op, Step, plan_alter_column};
use crate::backend::Backend;
use crate::diff::ColumnSwap;
use crate::model::{Column, Schema};

/// Swaps the shadow in: `from` is the expand's schema, `to` the entities'.
pub(super) fn swap_in(summary: String, swap: &ColumnSwap, from: &Schema, to: &Schema) -> Step {
    let ColumnSwap {
        table,
        kept,
        shadow,
        swapped,
        indexes,
        ..
    } = swap;
    let op = Op::SwapIn {
        table: table.clone(),
        column: kept.name.clone(),
        shadow: shadow.name.clone(),
        indexes: indexes.clone(),
    };
    // Renamed, the shadow is the column with the shadow's nullability and default.
    let renamed = Column {
        name: swapped.name.clone(),
        ..shadow.clone()
    };
    let tighten = plan_alter_column(
        String::new(),
        table,
        &renamed,
        swapped,
        from,
        to,
        &Backfills::new(),
        None,
    );
    // The old code wrote the column until now; what the trigger converted must have fit.
    let check = |backend| {
        let conversion = swap.conversion.as_ref()?;
        Some(Op::RequireFit {
            table: table.clone(),
            column: kept.name.clone(),
            fit: super::fit::fit_into(&swapped.ty, backend)?,
            conversion: Some(conversion.up.clone()),
        })
    };
    let postgres = check(Backend::Postgres).into_iter().chain([op.clone()]);
    let mysql = check(Backend::Mysql).into_iter().chain([op]);
    Step {
        summary,
        guard: None,
        sqlite: vec![],
        postgres: postgres.chain(tighten.postgres).collect(),
        mysql: mysql.chain(tighten.mysql).collect(),
    }
}

/// Undoes [`swap_in`]: `from` is the entities' schema, `to` the expand's.
pub(super) fn swap_out(summary: String, swap: &ColumnSwap, from: &Schema, to: &Schema) -> Step {
    let ColumnSwap {
        table,
        kept,
        shadow,
        swapped,
        indexes,
        conversion,
    } = swap;
    let column = &kept.name;
    let renamed = Column {
        name: shadow.name.clone(),
        ..swapped.clone()
    };
    let relax = plan_alter_column(
        String::new(),
        table,
        &renamed,
        shadow,
        from,
        to,
        &Backfills::new(),
        None,
    );
    // The column of the old type comes back empty, nullable and without a default, so that
    // the backfill (which fills NULLs) reaches every row; then it is tightened as it was.
    let empty = Column {
        nullable: true,
        default: None,
        unique: false,
        ..kept.clone()
    };
    let add = Op::AddColumn {
        table: table.clone(),
        column: empty.clone(),
    };
    let sync = Op::InstallSync {
        table: table.clone(),
        column: column.clone(),
        shadow: shadow.name.clone(),
        conversion: conversion.as_ref().map(|c| c.up.clone()),
    };
    // The column of the old type is filled from the shadow, converted back when the expand
    // converted it.
    let expr = match conversion {
        Some(c) => format!(
            "({})",
            tidemark_runtime::__private::substitute(&c.down, column, &shadow.name)
        ),
        None => shadow.name.clone(),
    };
    let fill = Op::Backfill {
        table: table.clone(),
        column: column.clone(),
        expr,
    };
    let tighten = plan_alter_column(
        String::new(),
        table,
        &empty,
        kept,
        from,
        to,
        &Backfills::new(),
        None,
    );
    let reindex: Vec<Op> = to
        .table(table)
        .map(|t| {
            t.indexes
                .values()
                .filter(|i| indexes.iter().any(|(_, name)| *name == i.name))
                .map(|index| Op::CreateIndex {
                    table: table.clone(),
                    index: index.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let op = Op::SwapOut {
        table: table.clone(),
        column: column.clone(),
        shadow: shadow.name.clone(),
        indexes: indexes.clone(),
    };
    let ops = |relax: Vec<Op>, tighten: Vec<Op>| {
        [
            vec![op.clone()],
            relax,
            vec![add.clone(), sync.clone(), fill.clone()],
            tighten,
            reindex.clone(),
        ]
        .concat()
    };
    Step {
        summary,
        guard: None,
        sqlite: vec![],
        postgres: ops(relax.postgres, tighten.postgres),
        mysql: ops(relax.mysql, tighten.mysql),
    }
}
