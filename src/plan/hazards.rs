//! The changes that destroy data, each with the safer sequence.

use crate::diff::Change;

/// A change that destroys data, with the safer sequence a careful person would use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub what: String,
    pub safer: String,
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
