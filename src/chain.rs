//! The migrations form one chain: each snapshot records the migration it was generated after
//! (`parent`), and every registered migration must follow its parent directly. Two branches
//! that each generated a migration from the same parent break that, however git's conflicts
//! were resolved; [`problems`] says so, and [`merge`] makes the chain whole again: both
//! branches' migrations kept, yours first, theirs after, their snapshots rebuilt as base +
//! yours + theirs, and a change both made to one object refused with both names.

use crate::diff::{self, Change};
use crate::error::{Error, Result};
use crate::model::{Column, Schema};
use crate::snapshot::Snapshot;
use crate::workspace::Workspace;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Why `merge` cannot order two branches' migrations by itself.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(
        "`{migration}` was generated after `{parent}`, which lib.rs does not register: merge the \
         branch that holds `{parent}` first"
    )]
    UnknownParent { migration: String, parent: String },

    #[error(
        "more than two branches meet here (`{migration}` follows `{follows}` but was generated \
         after another migration): merge them two at a time"
    )]
    MoreThanTwoBranches { migration: String, follows: String },

    #[error("`{migration}` has no snapshot ({path}): merge needs every migration's snapshot")]
    NoSnapshot { migration: String, path: PathBuf },

    #[error(
        "`{ours}` and `{theirs}` both change {what}: merge cannot order them. Keep one, roll the \
         other back where it was applied, and generate it again on top \
         (docs/troubleshooting.md#conflicting-branches)"
    )]
    BothChange {
        ours: String,
        theirs: String,
        what: String,
    },

    #[error("cannot rebase `{migration}` onto yours: {reason}")]
    Rebase { migration: String, reason: String },
}

/// The migration each registered one was generated after, as its snapshot records it (read
/// without the schema, which the check does not need).
pub fn parents(ws: &Workspace, registered: &[String]) -> Result<Vec<Option<String>>> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        parent: Option<String>,
    }
    let mut out = Vec::new();
    for module in registered {
        let path = ws.history_snapshot(module);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(None);
                continue;
            }
            Err(e) => return Err(Error::io(&path)(e)),
        };
        crate::merge::refuse_conflict_markers(&path, &text)?;
        let head: Head =
            serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
                Error::CorruptSnapshot {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?;
        out.push(head.parent);
    }
    Ok(out)
}

/// Where the chain breaks: a migration registered after another than the one it was
/// generated after.
pub fn problems(registered: &[String], parents: &[Option<String>]) -> Vec<String> {
    let mut out = Vec::new();
    for i in 1..registered.len() {
        let Some(parent) = parents[i].as_ref() else {
            continue;
        };
        if *parent != registered[i - 1] {
            out.push(format!(
                "`{}` was generated after `{parent}`, but lib.rs registers it after `{}`: two \
                 branches' migrations were combined without `cargo run -- merge`, so the snapshot \
                 describes only one of them",
                registered[i],
                registered[i - 1]
            ));
        }
    }
    out
}

/// `lib.rs` with each git conflict resolved as the union of both sides: the lines of yours,
/// then those of theirs that yours lacks (a `mod` line or a `Box::new(...)` entry each).
pub fn union_of_sides(text: &str) -> String {
    let mut out = Vec::new();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    #[derive(PartialEq)]
    enum Side {
        Outside,
        Ours,
        Base,
        Theirs,
    }
    let mut side = Side::Outside;
    for line in text.lines() {
        if line.starts_with("<<<<<<<") {
            side = Side::Ours;
        } else if line.starts_with("|||||||") && side == Side::Ours {
            side = Side::Base;
        } else if line.starts_with("=======") && side != Side::Outside {
            side = Side::Theirs;
        } else if line.starts_with(">>>>>>>") && side == Side::Theirs {
            out.append(&mut ours);
            for line in theirs.drain(..) {
                if !out.contains(&line) {
                    out.push(line);
                }
            }
            side = Side::Outside;
        } else {
            match side {
                Side::Outside => out.push(line.to_owned()),
                Side::Ours => ours.push(line.to_owned()),
                Side::Base => {}
                Side::Theirs => theirs.push(line.to_owned()),
            }
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// An object a change touches, to find changes of two branches that meet.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Touched {
    /// The table as a whole (created, dropped, renamed, its key or comment changed).
    Table(String),
    Column(String, String),
    Index(String, String),
    ForeignKey(String, String),
    Enum(String),
}

impl Touched {
    fn table(&self) -> Option<&str> {
        match self {
            Touched::Table(t)
            | Touched::Column(t, _)
            | Touched::Index(t, _)
            | Touched::ForeignKey(t, _) => Some(t),
            Touched::Enum(_) => None,
        }
    }

    fn meets(&self, other: &Touched) -> bool {
        self == other
            || matches!(self, Touched::Table(_)) && self.table() == other.table()
            || matches!(other, Touched::Table(_)) && self.table() == other.table()
    }

    fn describe(&self) -> String {
        match self {
            Touched::Table(t) => format!("table `{t}`"),
            Touched::Column(t, c) => format!("column `{t}.{c}`"),
            Touched::Index(t, i) => format!("index `{i}` on `{t}`"),
            Touched::ForeignKey(t, k) => format!("foreign key `{k}` on `{t}`"),
            Touched::Enum(e) => format!("enum type `{e}`"),
        }
    }
}

fn touched(change: &Change) -> Vec<Touched> {
    use Touched::*;
    match change {
        Change::CreateEnum(e) | Change::DropEnum(e) => vec![Enum(e.name.clone())],
        Change::AlterEnum { to, .. } => vec![Enum(to.name.clone())],
        Change::CreateTable(t) | Change::DropTable(t) => vec![Table(t.name.clone())],
        Change::RenameTable { from, to } => vec![Table(from.clone()), Table(to.clone())],
        Change::AddColumn { table, column } | Change::DropColumn { table, column } => {
            vec![Column(table.clone(), column.name.clone())]
        }
        Change::RenameColumn { table, from, to } => vec![
            Column(table.clone(), from.clone()),
            Column(table.clone(), to.clone()),
        ],
        Change::AlterColumn { table, to, .. } => vec![Column(table.clone(), to.name.clone())],
        Change::AlterPrimaryKey { table, .. } | Change::AlterTableComment { table, .. } => {
            vec![Table(table.clone())]
        }
        Change::CreateIndex { table, index } | Change::DropIndex { table, index } => {
            vec![Index(table.clone(), index.name.clone())]
        }
        Change::AddForeignKey { table, foreign_key }
        | Change::DropForeignKey { table, foreign_key } => {
            vec![ForeignKey(table.clone(), foreign_key.name.clone())]
        }
        Change::SwapColumn(s) | Change::UnswapColumn(s) => vec![Table(s.table.clone())],
        Change::CreateView(v)
        | Change::DropView(v)
        | Change::ViewToTable(v)
        | Change::TableToView(v) => vec![Table(v.name.clone()), Table(v.table.clone())],
    }
}

/// `schema` with `changes` (which name tables and columns as after their renames) made to it.
/// `target` is the schema the changes were computed towards, where a new column's position
/// is read. Phased changes (shadow columns, views) are not rebased: `Err` names them.
pub(crate) fn apply(
    schema: &mut Schema,
    changes: &[Change],
    target: &Schema,
) -> std::result::Result<(), String> {
    // Renames first: the other changes name things as they are after them.
    for change in changes {
        match change {
            Change::RenameTable { from, to } => {
                if let Some(mut table) = schema.tables.remove(from) {
                    table.name = to.clone();
                    schema.tables.insert(to.clone(), table);
                }
                for fk in schema
                    .tables
                    .values_mut()
                    .flat_map(|t| t.foreign_keys.values_mut())
                {
                    if fk.ref_table == *from {
                        fk.ref_table = to.clone();
                    }
                }
            }
            Change::RenameColumn { table, from, to } => {
                let rename = |c: &mut String| {
                    if c == from {
                        *c = to.clone();
                    }
                };
                if let Some(t) = schema.tables.get_mut(table) {
                    t.columns.iter_mut().for_each(|c| rename(&mut c.name));
                    t.primary_key.iter_mut().for_each(rename);
                    t.indexes
                        .values_mut()
                        .for_each(|i| i.columns.iter_mut().for_each(rename));
                    t.foreign_keys
                        .values_mut()
                        .for_each(|k| k.columns.iter_mut().for_each(rename));
                }
                for fk in schema
                    .tables
                    .values_mut()
                    .flat_map(|t| t.foreign_keys.values_mut())
                {
                    if fk.ref_table == *table {
                        fk.ref_columns.iter_mut().for_each(rename);
                    }
                }
            }
            _ => {}
        }
    }
    for change in changes {
        let missing = |table: &str| format!("table `{table}` is missing on your side");
        match change {
            Change::RenameTable { .. } | Change::RenameColumn { .. } => {}
            Change::CreateEnum(e) => {
                schema.enums.insert(e.name.clone(), e.clone());
            }
            Change::DropEnum(e) => {
                schema.enums.remove(&e.name);
            }
            Change::AlterEnum { to, .. } => {
                schema.enums.insert(to.name.clone(), to.clone());
            }
            Change::CreateTable(t) => {
                schema.tables.insert(t.name.clone(), t.clone());
            }
            Change::DropTable(t) => {
                schema.tables.remove(&t.name);
            }
            Change::AddColumn { table, column } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                let after = target.table(table).and_then(|target| {
                    let at = target.columns.iter().position(|c| c.name == column.name)?;
                    at.checked_sub(1).map(|p| target.columns[p].name.clone())
                });
                let at = after
                    .and_then(|name| t.columns.iter().position(|c| c.name == name))
                    .map_or(t.columns.len(), |p| p + 1);
                t.columns.insert(at, column.clone());
            }
            Change::DropColumn { table, column } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                t.columns.retain(|c| c.name != column.name);
            }
            Change::AlterColumn { table, to, .. } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                let slot: Option<&mut Column> = t.columns.iter_mut().find(|c| c.name == to.name);
                *slot.ok_or_else(|| {
                    format!("column `{table}.{}` is missing on your side", to.name)
                })? = to.clone();
            }
            Change::AlterPrimaryKey { table, to, .. } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                t.primary_key = to.clone();
            }
            Change::AlterTableComment { table, to, .. } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                t.comment = to.clone();
            }
            Change::CreateIndex { table, index } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                t.indexes.insert(index.name.clone(), index.clone());
            }
            Change::DropIndex { table, index } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                t.indexes.remove(&index.name);
            }
            Change::AddForeignKey { table, foreign_key } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                t.foreign_keys
                    .insert(foreign_key.name.clone(), foreign_key.clone());
            }
            Change::DropForeignKey { table, foreign_key } => {
                let t = schema.tables.get_mut(table).ok_or_else(|| missing(table))?;
                t.foreign_keys.remove(&foreign_key.name);
            }
            Change::SwapColumn(_)
            | Change::UnswapColumn(_)
            | Change::CreateView(_)
            | Change::DropView(_)
            | Change::ViewToTable(_)
            | Change::TableToView(_) => {
                return Err(format!(
                    "it holds a `--phased` step ({}), which merge does not rebase yet",
                    crate::plan::describe(change, target)
                ));
            }
        }
    }
    Ok(())
}

/// What `merge` did.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The migrations after the common parent on your side, then on theirs.
    pub ours: Vec<String>,
    pub theirs: Vec<String>,
    pub parent: String,
}

/// `merge`: after a git merge of two branches that each generated migrations (finished or
/// not: conflict markers in `lib.rs`, the snapshot and `tidemark.sum` are resolved here),
/// keeps both branches' migrations, yours first, and rebuilds theirs' snapshots on top of
/// yours. `Ok(None)` when the history is one chain already.
pub fn merge(ws: &Workspace) -> Result<Option<Merged>> {
    let lib_path = ws.lib_rs();
    let lib_text = std::fs::read_to_string(&lib_path).map_err(Error::io(&lib_path))?;
    let lib_text = if crate::merge::conflict_marker_line(&lib_text).is_some() {
        union_of_sides(&lib_text)
    } else {
        lib_text
    };
    let registered = crate::registry::registered(&lib_text, &lib_path)?;
    let mut history = crate::history::History::new(ws);
    let mut histories = Vec::new();
    for module in &registered {
        histories.push(history.read(module)?);
    }
    let break_at = (1..registered.len()).find(|&i| {
        histories[i]
            .as_ref()
            .and_then(|s| s.parent.as_ref())
            .is_some_and(|p| *p != registered[i - 1])
    });
    let Some(first_theirs) = break_at else {
        return Ok(None);
    };
    let parent = histories[first_theirs]
        .as_ref()
        .and_then(|s| s.parent.clone())
        .unwrap_or_default();
    let Some(parent_at) = registered.iter().position(|m| *m == parent) else {
        return Err(MergeError::UnknownParent {
            migration: registered[first_theirs].clone(),
            parent,
        }
        .into());
    };
    let ours: Vec<String> = registered[parent_at + 1..first_theirs].to_vec();
    let theirs: Vec<String> = registered[first_theirs..].to_vec();
    if let Some(i) = (first_theirs + 1..registered.len()).find(|&i| {
        histories[i]
            .as_ref()
            .and_then(|s| s.parent.as_ref())
            .is_some_and(|p| *p != registered[i - 1])
    }) {
        return Err(MergeError::MoreThanTwoBranches {
            migration: registered[i].clone(),
            follows: registered[i - 1].clone(),
        }
        .into());
    }
    let schema_of = |i: usize| -> Result<Snapshot> {
        histories[i].clone().ok_or_else(|| {
            MergeError::NoSnapshot {
                migration: registered[i].clone(),
                path: ws.display(&ws.history_snapshot(&registered[i])).into(),
            }
            .into()
        })
    };
    let base = schema_of(parent_at)?;
    // Each migration's own changes, with the migration they belong to.
    let steps = |from: usize, to: usize| -> Result<Vec<(String, Snapshot, Vec<Change>)>> {
        let mut previous = base.schema.clone();
        let mut out = Vec::new();
        for (i, module) in registered.iter().enumerate().take(to).skip(from) {
            let snapshot = schema_of(i)?;
            let changes = diff::diff(&previous, &snapshot.schema, &snapshot.renames());
            previous = snapshot.schema.clone();
            out.push((module.clone(), snapshot, changes));
        }
        Ok(out)
    };
    let our_steps = steps(parent_at + 1, first_theirs)?;
    let their_steps = steps(first_theirs, registered.len())?;
    for (our_name, _, our_changes) in &our_steps {
        let ours_touch: BTreeSet<Touched> = our_changes.iter().flat_map(touched).collect();
        for (their_name, _, their_changes) in &their_steps {
            for theirs_touched in their_changes.iter().flat_map(touched) {
                if let Some(meeting) = ours_touch.iter().find(|o| o.meets(&theirs_touched)) {
                    let what = if meeting == &theirs_touched {
                        meeting.describe()
                    } else {
                        format!("{} / {}", meeting.describe(), theirs_touched.describe())
                    };
                    return Err(MergeError::BothChange {
                        ours: our_name.clone(),
                        theirs: their_name.clone(),
                        what,
                    }
                    .into());
                }
            }
        }
    }
    let mut schema = match our_steps.last() {
        Some((_, snapshot, _)) => snapshot.schema.clone(),
        None => base.schema.clone(),
    };
    let mut previous = ours.last().cloned().unwrap_or_else(|| parent.clone());
    let mut files = vec![(lib_path.clone(), lib_text.clone())];
    let mut last = None;
    for (name, snapshot, changes) in their_steps {
        let before = schema.clone();
        apply(&mut schema, &changes, &snapshot.schema).map_err(|reason| MergeError::Rebase {
            migration: name.clone(),
            reason,
        })?;
        let mut rebased = snapshot.clone();
        rebased.schema = schema.clone();
        rebased.parent = Some(previous.clone());
        files.push((
            ws.history_snapshot(&name),
            crate::history::entry_text(&rebased, Some((&previous, &before))),
        ));
        previous = name;
        last = Some(rebased);
    }
    if let Some(head) = last {
        files.push((ws.snapshot(), head.to_json()));
    }
    let sum = crate::integrity::compute(ws, &registered)?;
    files.push((
        ws.migration_dir().join(crate::integrity::FILE),
        sum.render(),
    ));
    crate::write::write_all(&files)?;
    Ok(Some(Merged {
        ours,
        theirs,
        parent,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_of_a_conflict_are_kept_yours_first() {
        let merged = "mod a;\n<<<<<<< HEAD\nmod b;\n=======\nmod c;\n>>>>>>> other\n\
                      fn m() {\n<<<<<<< HEAD\n    Box::new(b::M),\n||||||| base\n=======\n    \
                      Box::new(c::M),\n>>>>>>> other\n}\n";
        assert_eq!(
            union_of_sides(merged),
            "mod a;\nmod b;\nmod c;\nfn m() {\n    Box::new(b::M),\n    Box::new(c::M),\n}\n"
        );
    }
}
