//! The recorded state of a workspace: its snapshot and registered migrations, checked
//! against each other and against tidemark.sum; `baseline` records the first one.

use crate::error::{Error, Result};
use crate::extract::EntitySet;
use crate::model::Schema;
use crate::registry;
use crate::snapshot::Snapshot;
use crate::workspace::Workspace;
use crate::write;

/// The recorded state: snapshot and registered migrations, checked against each other.
pub(crate) struct State {
    pub(crate) snapshot: Option<Snapshot>,
    pub(crate) lib_source: String,
    pub(crate) registered: Vec<String>,
}

impl State {
    pub(super) fn schema(&self) -> Schema {
        self.snapshot
            .as_ref()
            .map(|s| s.schema.clone())
            .unwrap_or_default()
    }
}

pub(crate) fn load_state(ws: &Workspace) -> Result<State> {
    let lib_path = ws.lib_rs();
    let lib_source = std::fs::read_to_string(&lib_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::UnreadableLib {
                path: lib_path.clone(),
                reason: "not found; tidemark writes into a sea-orm-migration crate at \
                         `migration/` (create one with `sea-orm-cli migrate init`)"
                    .into(),
            }
        } else {
            Error::io(&lib_path)(e)
        }
    })?;
    let registered = registry::registered(&lib_source, &lib_path)?;
    let snapshot = Snapshot::read(&ws.snapshot())?;
    match (&snapshot, registered.last()) {
        (Some(s), Some(last)) if &s.migration != last => {
            return Err(Error::SnapshotMismatch {
                lib_rs: lib_path,
                snapshot: s.migration.clone(),
                registered: last.clone(),
            });
        }
        (Some(s), None) => {
            return Err(Error::SnapshotMismatch {
                lib_rs: lib_path,
                snapshot: s.migration.clone(),
                registered: "(none)".into(),
            });
        }
        (None, Some(_)) => {
            return Err(Error::NoSnapshotForHistory {
                lib_rs: ws.display(&lib_path).into(),
                registered: registered.len(),
                snapshot: ws.display(&ws.snapshot()).into(),
            });
        }
        _ => {}
    }
    check_history(ws, &registered)?;
    Ok(State {
        snapshot,
        lib_source,
        registered,
    })
}

/// The registered migrations form one chain and are as `tidemark.sum` recorded them; otherwise
/// every problem, with the way out.
pub fn check_history(ws: &Workspace, registered: &[String]) -> Result<()> {
    let parents = crate::chain::parents(ws, registered)?;
    let mut problems = crate::chain::problems(registered, &parents);
    let merged = !problems.is_empty();
    problems.extend(crate::integrity::problems(ws, registered)?.unwrap_or_default());
    if problems.is_empty() {
        return Ok(());
    }
    let advice = if merged {
        "run `cargo run -- merge` to order both branches' migrations and rebuild the snapshot \
         (docs/troubleshooting.md#conflicting-branches)"
    } else {
        "see docs/troubleshooting.md#edited-migration"
    };
    Err(Error::HistoryNotAsRecorded { problems, advice })
}

/// `baseline`: records the entities as the schema the registered migrations already produce.
pub fn baseline(ws: &Workspace, entities: &EntitySet) -> Result<String> {
    record_baseline(ws, entities.extract()?.schema)
}

/// Records `schema` as what the registered migrations produce: the snapshot after the last
/// one, and the integrity file. Refused when there is no migration or already a snapshot.
pub fn record_baseline(ws: &Workspace, schema: crate::model::Schema) -> Result<String> {
    let lib_path = ws.lib_rs();
    let lib_source = std::fs::read_to_string(&lib_path).map_err(Error::io(&lib_path))?;
    let registered = registry::registered(&lib_source, &lib_path)?;
    let Some(last) = registered.last() else {
        return Err(Error::NothingToBaseline);
    };
    if ws.snapshot().exists() {
        return Err(Error::BaselineExists {
            path: ws.display(&ws.snapshot()).into(),
        });
    }
    let snapshot = Snapshot::new(last.clone(), schema);
    let history = ws.history_snapshot(last);
    if let Some(dir) = history.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    let sum = crate::integrity::compute(ws, &registered)?;
    write::write_all(&[
        (history, snapshot.to_json()),
        (ws.snapshot(), snapshot.to_json()),
        (crate::integrity::path(ws), sum.render()),
    ])?;
    Ok(last.clone())
}
