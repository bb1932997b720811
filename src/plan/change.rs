//! One diff [`Change`] -> one [`Step`]: the statements each backend runs for it, before the
//! online rewrite (`super::online`) and SQLite's table rebuilds (`super::rebuild`).

use super::order::Direction;
use super::rebuild::shadowed;
use super::{Backfills, Op, Step, alter_column::plan_alter_column, describe, fit, sql, swap};
use crate::backend::Backend;
use crate::diff::Change;
use crate::error::{Error, Result};
use crate::model::{Column, ColumnType, EnumType, Schema};
use std::collections::BTreeSet;

pub(super) fn plan_change(
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
        } => alter_enum(summary, before, after, to),
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
            add_column(summary, table, column, to, backfills, direction)?
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
            // `keep_key_index` in runtime/src/mysql.rs).
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

/// A new column: a NOT NULL one without a default is added nullable, filled in batches by
/// its `--backfill` expression (kept in step by a trigger when it shadows a column being
/// converted), then made NOT NULL; without an expression it is refused, except in `down`,
/// which re-adds a column as it was.
fn add_column(
    summary: String,
    table: &str,
    column: &Column,
    to: &Schema,
    backfills: &Backfills,
    direction: Direction,
) -> Result<Step> {
    let key = (table.to_owned(), column.name.clone());
    let needs_value = !column.nullable && column.default.is_none();
    Ok(match backfills.get(&key) {
        Some(sql) => {
            let nullable = Column {
                nullable: true,
                ..column.clone()
            };
            let fill = Op::Backfill {
                table: table.to_owned(),
                column: column.name.clone(),
                expr: sql.clone(),
            };
            let add = Op::AddColumn {
                table: table.to_owned(),
                column: nullable,
            };
            // A shadow column is kept in step from before the backfill starts, so
            // that no row the old code writes meanwhile is missed.
            let sync = shadowed(to, table, &column.name).map(|source| Op::InstallSync {
                table: table.to_owned(),
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
                                table: table.to_owned(),
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
                    table: table.to_owned(),
                    column: column.clone(),
                    ty: false,
                    rewrites: false,
                    nullable: true,
                    default: false,
                    using: None,
                });
                mysql.push(Op::ModifyColumn {
                    table: table.to_owned(),
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
                table: table.to_owned(),
                column: column.name.clone(),
            });
        }
        None => Step::everywhere(
            summary,
            vec![Op::AddColumn {
                table: table.to_owned(),
                column: column.clone(),
            }],
        ),
    })
}

/// An enum's values changed: PostgreSQL appends new values in place and recreates the type
/// otherwise; MySQL redefines each column of the type, checking first that no row holds a
/// value the enum loses.
fn alter_enum(summary: String, before: &EnumType, after: &EnumType, to: &Schema) -> Step {
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
