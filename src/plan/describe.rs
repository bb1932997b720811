//! One line for a person per change, in the manner of Django's makemigrations summary.

use crate::backend::{self, Backend};
use crate::diff::Change;
use crate::model::{Column, DefaultValue, Schema};

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

pub(super) fn join_quoted(values: &[&String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn action_words(action: crate::model::ForeignKeyAction) -> &'static str {
    use crate::model::ForeignKeyAction::*;
    match action {
        NoAction => "no action",
        Restrict => "restrict",
        Cascade => "cascade",
        SetNull => "set null",
        SetDefault => "set default",
    }
}
