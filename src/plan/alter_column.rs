//! A column whose type, nullability, default, comment or uniqueness changed, per backend.

use super::{Backfills, Op, Step, fit, sql};
use crate::backend::{self, Backend};
use crate::model::{Column, Index, Schema};

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
