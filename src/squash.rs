//! `squash`: the first N migrations replaced by one that makes, on a new database, the schema
//! the N made (Django's `replaces`). Databases that applied the N keep working: the squash
//! declares what it replaces (`tidemark_runtime::squash`), and the migrator records it in
//! their place before it runs anything. `verify` runs on the history before and after, so both
//! paths are proven to reach the same recorded schema; when the squash does not verify, every
//! file is put back as it was.

use crate::diff::{self, Renames};
use crate::error::{Error, Result};
use crate::model::Schema;
use crate::plan::{self, Backfills, Op, Step};
use crate::workspace::Workspace;
use std::io::Write;
use std::path::PathBuf;

/// Why `squash` leaves the history as it is.
#[derive(Debug, thiserror::Error)]
pub enum SquashError {
    #[error("squash replaces from 2 to {registered} migrations (the registered ones), not {count}")]
    Count { count: usize, registered: usize },

    #[error("`{migration}` recorded no snapshot ({path}): squash needs the schema it leaves")]
    NoSnapshot { migration: String, path: PathBuf },

    #[error("`{module}` is registered already: give the squash another message")]
    NameTaken { module: String },

    #[error("the history does not verify as it is (see above): squash it once it does")]
    HistoryDoesNotVerify,

    #[error(
        "the squashed history does not reach the recorded schemas (see above): every file is \
         as it was"
    )]
    SquashDoesNotVerify,
}

/// What `squash` did.
#[derive(Clone, Debug)]
pub struct Squashed {
    pub module: String,
    pub replaced: Vec<String>,
}

/// Replaces the first `count` registered migrations by one named after `message`.
pub async fn squash(
    ws: &Workspace,
    count: usize,
    message: &str,
    out: &mut dyn Write,
) -> Result<Squashed> {
    let state = crate::generate::load_state(ws)?;
    let registered = &state.registered;
    if count < 2 || count > registered.len() {
        return Err(SquashError::Count {
            count,
            registered: registered.len(),
        }
        .into());
    }
    let replaced = registered[..count].to_vec();
    let last = &replaced[count - 1];
    let target = crate::history::read(ws, last)?.ok_or_else(|| {
        Error::from(SquashError::NoSnapshot {
            migration: last.clone(),
            path: ws.display(&ws.history_snapshot(last)).into(),
        })
    })?;
    let slug = crate::generate::slug(message);
    if slug.is_empty() {
        return Err(Error::InvalidArgument {
            flag: "-m",
            value: message.to_owned(),
            reason: "the message needs at least one letter or digit; it names the migration".into(),
        });
    }
    let module = format!("{}_{slug}", &last[..16.min(last.len())]);
    if registered.contains(&module) {
        return Err(SquashError::NameTaken { module }.into());
    }

    writeln!(out, "Verifying the history as it is").ok();
    if !crate::verify::verify(ws, None, out).await? {
        return Err(SquashError::HistoryDoesNotVerify.into());
    }

    let empty = Schema {
        pg_schema: target.schema.pg_schema.clone(),
        ..Default::default()
    };
    let changes = diff::diff(&empty, &target.schema, &Renames::default());
    let mut plan = plan::plan(
        &empty,
        &target.schema,
        &changes,
        &Backfills::new(),
        plan::Safety::Online,
    )?;
    let stand_in = Op::Replaces(replaced.clone());
    plan.up.insert(
        0,
        Step {
            summary: format!(
                "Stand in for the {count} migrations it replaces where a database applied them"
            ),
            guard: None,
            sqlite: vec![stand_in.clone()],
            postgres: vec![stand_in.clone()],
            mysql: vec![stand_in],
        },
    );
    let mut summary = vec![format!(
        "Replaces {} (squashed: a new database runs this one instead)",
        replaced.join(", ")
    )];
    summary.extend(changes.iter().map(|c| plan::describe(c, &target.schema)));
    let crate::render::Rendered { source, code_hash } = crate::render::render_migration(
        message,
        &summary,
        &plan,
        &empty,
        &target.schema,
        &[],
        false,
    );

    let mut snapshot = target.clone();
    snapshot.migration = module.clone();
    snapshot.parent = None;
    snapshot.deferred = Vec::new();
    snapshot.phased_copies = Vec::new();
    snapshot.conversions = Vec::new();
    snapshot.renamed_tables = Default::default();
    snapshot.renamed_columns = Vec::new();

    // Everything written, and everything as it was, to put back if the squash does not verify.
    let lib = crate::registry::replace_first(&state.lib_source, &ws.lib_rs(), &replaced, &module)?;
    let mut files = vec![
        (ws.migration_file(&module), source.clone()),
        (ws.history_snapshot(&module), snapshot.to_json()),
        (ws.lib_rs(), lib),
    ];
    let mut restore = vec![(ws.lib_rs(), state.lib_source.clone())];
    match registered.get(count) {
        Some(next) => {
            if let Some(mut after) = crate::history::read_entry(ws, next)? {
                let path = ws.history_snapshot(next);
                restore.push((
                    path.clone(),
                    std::fs::read_to_string(&path).map_err(Error::io(&path))?,
                ));
                after.parent = Some(module.clone());
                // The squashed migration leaves the schema the last one it replaces left.
                if after.delta_of.as_ref() == Some(last) {
                    after.delta_of = Some(module.clone());
                }
                files.push((path, after.to_json()));
            }
        }
        None => {
            let path = ws.snapshot();
            restore.push((
                path.clone(),
                std::fs::read_to_string(&path).map_err(Error::io(&path))?,
            ));
            files.push((path, snapshot.to_json()));
        }
    }
    let mut entries = vec![(module.clone(), code_hash)];
    entries.extend(crate::integrity::compute(ws, &registered[count..])?.entries);
    let sum_path = crate::integrity::path(ws);
    if let Ok(text) = std::fs::read_to_string(&sum_path) {
        restore.push((sum_path.clone(), text));
    }
    files.push((sum_path, crate::integrity::Sum::new(entries).render()));
    crate::write::write_all(&files)?;

    writeln!(
        out,
        "Verifying the history with `{module}` in place of {count} migrations"
    )
    .ok();
    let verified = crate::verify::verify(ws, None, out).await;
    if !matches!(verified, Ok(true)) {
        crate::write::write_all(&restore)?;
        std::fs::remove_file(ws.migration_file(&module)).ok();
        std::fs::remove_file(ws.history_snapshot(&module)).ok();
        return Err(match verified {
            Err(err) => err,
            _ => SquashError::SquashDoesNotVerify.into(),
        });
    }
    for old in &replaced {
        std::fs::remove_file(ws.migration_file(old)).ok();
        std::fs::remove_file(ws.history_snapshot(old)).ok();
    }
    Ok(Squashed { module, replaced })
}
