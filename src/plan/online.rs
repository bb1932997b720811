//! The zero-downtime forms: planned statements on tables that already hold rows are turned
//! into the sequences of docs/locks.md. Tables created by the same migration are new and empty,
//! so their statements stay plain.

use super::Op;
use crate::model::{ColumnType, Schema};
use std::collections::BTreeSet;

pub(super) struct Context<'a> {
    created: &'a BTreeSet<&'a str>,
    to: &'a Schema,
}

impl<'a> Context<'a> {
    pub(super) fn new(created: &'a BTreeSet<&'a str>, to: &'a Schema) -> Self {
        Context { created, to }
    }

    fn existing(&self, table: &str) -> bool {
        !self.created.contains(table)
    }

    /// The table's primary key when it is one integer column: backfill batches are ranges of it.
    fn integer_key(&self, table: &str) -> Option<String> {
        let table = self.to.table(table)?;
        let [key] = table.primary_key.as_slice() else {
            return None;
        };
        let integer = matches!(
            table.column(key)?.ty,
            ColumnType::TinyInteger
                | ColumnType::SmallInteger
                | ColumnType::Integer
                | ColumnType::BigInteger
                | ColumnType::TinyUnsigned
                | ColumnType::SmallUnsigned
                | ColumnType::Unsigned
                | ColumnType::BigUnsigned
        );
        integer.then(|| key.clone())
    }

    fn batched(&self, table: String, column: String, expr: String) -> Op {
        let integer_key = self.integer_key(&table);
        Op::BatchedBackfill {
            table,
            column,
            expr,
            integer_key,
        }
    }
}

/// PostgreSQL: concurrent index builds and drops, unique constraints over a concurrently
/// built index, `NOT VALID` foreign keys validated apart, NOT NULL through a validated check,
/// batched backfills.
pub(super) fn postgres(ops: Vec<Op>, cx: &Context) -> Vec<Op> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            Op::CreateIndex { table, index } if cx.existing(&table) => {
                out.push(Op::CreateIndexConcurrently { table, index });
            }
            // An index of a table this migration drops goes with the table.
            Op::DropIndex { table, name } if cx.to.table(&table).is_some() => {
                out.push(Op::DropIndexConcurrently { table, name });
            }
            Op::AddUniqueConstraint {
                table,
                name,
                columns,
            } if cx.existing(&table) => out.push(Op::AddUniqueConcurrently {
                table,
                name,
                columns,
            }),
            Op::AddForeignKey { table, foreign_key } if cx.existing(&table) => {
                out.push(Op::AddForeignKeyNotValid { table, foreign_key });
            }
            Op::AlterColumnParts {
                table,
                column,
                ty,
                rewrites,
                nullable: true,
                default,
                using,
            } if !column.nullable && cx.existing(&table) => {
                let name = column.name.clone();
                if ty || default {
                    out.push(Op::AlterColumnParts {
                        table: table.clone(),
                        column,
                        ty,
                        rewrites,
                        nullable: false,
                        default,
                        using,
                    });
                }
                out.push(Op::SetNotNullOnline {
                    table,
                    column: name,
                });
            }
            Op::Backfill {
                table,
                column,
                expr,
            } => out.push(cx.batched(table, column, expr)),
            other => out.push(other),
        }
    }
    out
}

/// MySQL/MariaDB: batched backfills, and InnoDB's online DDL asked for explicitly on
/// existing tables, so that a change the server would do with a blocking copy says so.
pub(super) fn mysql(ops: Vec<Op>, cx: &Context) -> Vec<Op> {
    ops.into_iter()
        .map(|op| match op {
            Op::Backfill {
                table,
                column,
                expr,
            } => cx.batched(table, column, expr),
            Op::AddColumn { ref table, .. }
            | Op::DropColumn { ref table, .. }
            | Op::RenameColumn { ref table, .. }
            | Op::ModifyColumn { ref table, .. }
            | Op::CreateIndex { ref table, .. }
            | Op::DropIndex { ref table, .. }
            | Op::AddForeignKey { ref table, .. }
                if cx.existing(table) && cx.to.table(table).is_some() =>
            {
                Op::MysqlOnline(Box::new(op))
            }
            // Also on a table about to be dropped: a cycle's keys come off first.
            Op::DropForeignKey { ref table, .. } if cx.existing(table) => {
                Op::MysqlOnline(Box::new(op))
            }
            other => other,
        })
        .collect()
}
