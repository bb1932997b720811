//! A history that cannot change silently.
//!
//! sea-orm-migration records which migrations ran (`seaql_migrations`), not what they ran.
//! tidemark keeps, next to it, a checksum of the SQL each applied migration runs on this
//! backend (`tidemark_migrations`), computed from the same offline preview as `tidemark sql`:
//! formatting and comments do not count, a changed statement does. Before `up` runs anything,
//! [`check`] compares the migrations in the crate with what was applied:
//!
//! - an applied migration whose SQL changed (the file was edited after it ran) stops `up`,
//!   naming it and the first statement that differs;
//! - a pending migration registered before an applied one (a branch merged in below the
//!   history) stops `up` too: it would run after migrations that a fresh database runs after it.
//!
//! Both are overridden, one migration at a time, by `up --accept-edited NAME`, which records
//! the migration as it is now (for the rare deliberate fix of an applied migration). A database
//! migrated before tidemark kept checksums adopts the table on the first run: the applied
//! migrations' checksums are recorded as they are then.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// tidemark's table beside `seaql_migrations`.
pub const TABLE: &str = "tidemark_migrations";
pub(crate) const TABLE_UPPER: &str = "TIDEMARK_MIGRATIONS";

/// A migration as it is in the crate now.
#[derive(Clone, Debug)]
pub struct Current {
    /// The migration's name, as `seaql_migrations` records it.
    pub name: String,
    /// The checksum of what it runs (`statements`, run settings left out).
    pub checksum: String,
    /// The statements its `up` runs on this backend, one per line.
    pub statements: String,
}

/// What [`check`] found wrong with the history, for a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Applied, and its SQL changed since.
    Edited {
        /// The migration.
        name: String,
        /// The first statement that differs, as it was applied (none: there were fewer).
        was: Option<String>,
        /// The same statement as the migration runs it now (none: there are fewer).
        now: Option<String>,
    },
    /// Pending, but registered before `applied`, which already ran.
    Reordered {
        /// The pending migration.
        name: String,
        /// The applied migration registered after it.
        applied: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Edited { name, was, now } => {
                write!(
                    f,
                    "`{name}` was edited after this database applied it (migration/src/{name}.rs): \
                     what it runs changed"
                )?;
                let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "(nothing)".into());
                write!(
                    f,
                    "\n    applied: {}\n    now:     {}",
                    show(was),
                    show(now)
                )
            }
            Problem::Reordered { name, applied } => write!(
                f,
                "`{name}` is registered before `{applied}`, which this database already applied: \
                 here it would run after `{applied}`, on a fresh database before it (a branch \
                 merged below the history; `tidemark merge` orders it after)"
            ),
        }
    }
}

/// The checksums of `M`'s migrations as previewed on `backend`, in registration order.
pub async fn current<M: MigratorTrait>(backend: DbBackend) -> Result<Vec<Current>, DbErr> {
    let mut out = Vec::new();
    for migration in M::migrations() {
        // A migration whose code cannot run against the preview's empty answers (it reads a
        // row it expects to find) is known by that failure, which is as stable as its code.
        let statements = match crate::preview::statements(migration.as_ref(), backend, false).await
        {
            Ok(statements) => statements
                .iter()
                .filter_map(|s| what_it_runs(s))
                .collect::<Vec<_>>()
                .join("\n"),
            Err(err) => format!("(no preview: {err})"),
        };
        out.push(Current {
            name: migration.name().to_owned(),
            checksum: checksum(&statements),
            statements,
        });
    }
    Ok(out)
}

/// A previewed statement as far as it is the migration's own: the lock timeout and the backfill
/// batch size come from the environment of the run (`TIDEMARK_LOCK_TIMEOUT_MS`,
/// `TIDEMARK_BACKFILL_BATCH`), and a run with other settings runs the same migration.
fn what_it_runs(statement: &str) -> Option<String> {
    if statement.starts_with("SET LOCAL lock_timeout") {
        return None;
    }
    let Some((before, after)) = statement.split_once(" in ranges of ") else {
        return Some(statement.to_owned());
    };
    let rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
    Some(format!("{before} in ranges of N{rest}"))
}

fn checksum(statements: &str) -> String {
    let digest = Sha256::digest(statements.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates the table when it is missing (a database migrated before tidemark kept checksums).
pub async fn ensure_table(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let text = if backend == DbBackend::MySql {
        "LONGTEXT"
    } else {
        "TEXT"
    };
    db.execute_raw(Statement::from_string(
        backend,
        format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (version VARCHAR(255) NOT NULL PRIMARY KEY, \
             checksum VARCHAR(64) NOT NULL, statements {text} NOT NULL, \
             state VARCHAR(16) NOT NULL DEFAULT 'applied', detail {text})"
        ),
    ))
    .await
    .map(drop)
}

async fn applied(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    // A database that was never migrated has no history table yet.
    let Ok(rows) = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations".to_owned(),
        ))
        .await
    else {
        return Ok(Vec::new());
    };
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}

async fn recorded(db: &DatabaseConnection) -> Result<BTreeMap<String, (String, String)>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT version, checksum, statements FROM {TABLE} WHERE state = 'applied'"),
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get_by_index(0)?,
                (r.try_get_by_index(1)?, r.try_get_by_index(2)?),
            ))
        })
        .collect()
}

async fn record(db: &DatabaseConnection, migration: &Current) -> Result<(), DbErr> {
    forget(db, &migration.name).await?;
    execute(
        db,
        "INSERT INTO {TABLE} (version, checksum, statements) VALUES ($1, $2, $3)",
        vec![
            migration.name.clone().into(),
            migration.checksum.clone().into(),
            migration.statements.clone().into(),
        ],
    )
    .await
}

/// Runs `sql`, written with PostgreSQL's `$n` placeholders and `{TABLE}` for tidemark's
/// table, on the connection's backend.
async fn execute(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm_migration::sea_orm::Value>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut sql = sql.replace("{TABLE}", TABLE);
    if backend != DbBackend::Postgres {
        for n in (1..=values.len()).rev() {
            sql = sql.replace(&format!("${n}"), "?");
        }
    }
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map(drop)
}

/// Records `name` as applied at `applied_at` (Unix seconds) in sea-orm-migration's history.
async fn mark_applied(db: &DatabaseConnection, name: &str, applied_at: i64) -> Result<(), DbErr> {
    execute(
        db,
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ($1, $2)",
        vec![name.to_owned().into(), applied_at.into()],
    )
    .await
}

/// Takes `name` out of sea-orm-migration's history.
async fn unmark(db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    execute(
        db,
        "DELETE FROM seaql_migrations WHERE version = $1",
        vec![name.to_owned().into()],
    )
    .await
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Compares the crate's migrations (`current`) with what the database applied, before `up`.
/// Applied migrations without a checksum (applied before tidemark kept them) get one now;
/// `accepted` names the migrations whose present form the user accepts. Returns what stops
/// `up`, if anything.
pub async fn check(
    db: &DatabaseConnection,
    current: &[Current],
    accepted: &[String],
) -> Result<Vec<Problem>, DbErr> {
    if let Some(unknown) = accepted
        .iter()
        .find(|name| !current.iter().any(|m| m.name == **name))
    {
        return Err(DbErr::Migration(format!(
            "--accept-edited {unknown}: `{unknown}` is not a migration of this crate; `status` \
             lists them"
        )));
    }
    ensure_table(db).await?;
    let applied = applied(db).await?;
    let recorded = recorded(db).await?;
    let mut problems = Vec::new();
    let mut adopted = 0;
    for migration in current.iter().filter(|m| applied.contains(&m.name)) {
        match recorded.get(&migration.name) {
            None => {
                record(db, migration).await?;
                adopted += 1;
            }
            Some((sum, _)) if *sum == migration.checksum => {}
            Some(_) if accepted.contains(&migration.name) => {
                record(db, migration).await?;
                eprintln!(
                    "tidemark: recorded `{}` as it is now (--accept-edited)",
                    migration.name
                );
            }
            Some((_, statements)) => {
                let (was, now) = first_difference(statements, &migration.statements);
                problems.push(Problem::Edited {
                    name: migration.name.clone(),
                    was,
                    now,
                });
            }
        }
    }
    if adopted > 0 {
        eprintln!(
            "tidemark: recorded the checksums of {adopted} migration(s) applied before tidemark \
             kept them (table {TABLE})"
        );
    }
    problems.extend(
        reordered(current, &applied)
            .into_iter()
            .filter(|p| !matches!(p, Problem::Reordered { name, .. } if accepted.contains(name))),
    );
    Ok(problems)
}

/// The pending migrations registered before the last applied one.
fn reordered(current: &[Current], applied: &[String]) -> Vec<Problem> {
    let Some(last_applied) = current.iter().rposition(|m| applied.contains(&m.name)) else {
        return Vec::new();
    };
    current[..last_applied]
        .iter()
        .filter(|m| !applied.contains(&m.name))
        .map(|m| Problem::Reordered {
            name: m.name.clone(),
            applied: current[last_applied].name.clone(),
        })
        .collect()
}

/// After `up` or `down`: records the migrations applied since, and forgets those rolled back.
pub async fn settle(db: &DatabaseConnection, current: &[Current]) -> Result<(), DbErr> {
    // `fresh` dropped every table, this one too.
    ensure_table(db).await?;
    let applied = applied(db).await?;
    let recorded = recorded(db).await?;
    for migration in current {
        if applied.contains(&migration.name) && !recorded.contains_key(&migration.name) {
            record(db, migration).await?;
        }
    }
    for name in recorded.keys().filter(|name| !applied.contains(name)) {
        forget(db, name).await?;
    }
    // A failed migration that has been applied since is no longer failed.
    for name in failed(db)
        .await?
        .into_keys()
        .filter(|n| applied.contains(n))
    {
        forget(db, &name).await?;
        if let Some(migration) = current.iter().find(|m| m.name == name) {
            record(db, migration).await?;
        }
    }
    Ok(())
}

async fn forget(db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    execute(
        db,
        "DELETE FROM {TABLE} WHERE version = $1",
        vec![name.to_owned().into()],
    )
    .await
}

/// The migrations recorded as failed, with what was known when they stopped.
pub async fn failed(db: &DatabaseConnection) -> Result<BTreeMap<String, String>, DbErr> {
    let backend = db.get_database_backend();
    let Ok(rows) = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT version, detail FROM {TABLE} WHERE state = 'failed'"),
        ))
        .await
    else {
        return Ok(BTreeMap::new());
    };
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get_by_index(0)?,
                r.try_get_by_index::<Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .collect()
}

/// After a failed `up`: the first migration of the crate that is still not applied is the one
/// that stopped (sea-orm-migration applies them in order); it is recorded as failed, with
/// `detail` (the error, and on MySQL what it had committed).
pub async fn record_failure(
    db: &DatabaseConnection,
    current: &[Current],
    detail: &str,
) -> Result<Option<String>, DbErr> {
    let applied = applied(db).await?;
    let Some(migration) = current.iter().find(|m| !applied.contains(&m.name)) else {
        return Ok(None);
    };
    forget(db, &migration.name).await?;
    execute(
        db,
        "INSERT INTO {TABLE} (version, checksum, statements, state, detail) \
         VALUES ($1, $2, $3, 'failed', $4)",
        vec![
            migration.name.clone().into(),
            migration.checksum.clone().into(),
            migration.statements.clone().into(),
            detail.to_owned().into(),
        ],
    )
    .await?;
    Ok(Some(migration.name.clone()))
}

/// `resolve`: records a manual repair of migration `name`. `applied`: the database is as after
/// it (it is recorded as applied, as it is now); otherwise as before it (it is recorded as not
/// applied, and `up` runs it again). Returns what was done, in words.
pub async fn resolve(
    db: &DatabaseConnection,
    current: &[Current],
    name: &str,
    applied_now: bool,
) -> Result<String, DbErr> {
    let Some(migration) = current.iter().find(|m| m.name == name) else {
        return Err(DbErr::Migration(format!(
            "`{name}` is not a migration of this crate; `status` lists them"
        )));
    };
    let was_applied = applied(db).await?.contains(&migration.name);
    let was_failed = failed(db).await?.contains_key(name);
    forget(db, name).await?;
    if applied_now {
        if !was_applied {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            mark_applied(db, name, now).await?;
        }
        record(db, migration).await?;
        Ok(format!(
            "recorded `{name}` as applied{}",
            if was_failed { " (it had failed)" } else { "" }
        ))
    } else {
        unmark(db, name).await?;
        Ok(format!(
            "recorded `{name}` as not applied{}: `up` runs it again",
            if was_failed { " (it had failed)" } else { "" }
        ))
    }
}

/// A database that applied every migration a squash replaces gets the squash recorded in
/// their place (`crate::squash`); one that applied only some of them is refused, since the
/// squash would make again what those made.
pub async fn adopt_squashes(db: &DatabaseConnection, current: &[Current]) -> Result<(), DbErr> {
    let applied = applied(db).await?;
    let backend = db.get_database_backend();
    for squash in current {
        let Some(replaced) = crate::squash::replaced(&squash.statements) else {
            continue;
        };
        let done = replaced.iter().filter(|m| applied.contains(m)).count();
        if applied.contains(&squash.name) || done == 0 {
            continue;
        }
        if done < replaced.len() {
            return Err(DbErr::Migration(format!(
                "this database applied {done} of the {} migrations that `{}` replaces: apply the \
                 rest with the migration crate as it was before the squash (check out the commit \
                 before it), then run this one",
                replaced.len(),
                squash.name
            )));
        }
        let list: Vec<String> = replaced
            .iter()
            .enumerate()
            .map(|(i, _)| placeholder(backend, i + 1))
            .collect();
        let values: Vec<sea_orm_migration::sea_orm::Value> =
            replaced.iter().map(|m| m.clone().into()).collect();
        let latest = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT MAX(applied_at) FROM seaql_migrations WHERE version IN ({})",
                    list.join(", ")
                ),
                values.clone(),
            ))
            .await?
            .and_then(|row| row.try_get_by_index::<Option<i64>>(0).ok().flatten())
            .unwrap_or(0);
        for name in &replaced {
            unmark(db, name).await?;
            forget(db, name).await?;
        }
        mark_applied(db, &squash.name, latest).await?;
        record(db, squash).await?;
        eprintln!(
            "tidemark: this database applied the {} migrations `{}` replaces: recorded it as \
             applied in their place",
            replaced.len(),
            squash.name
        );
    }
    Ok(())
}

/// `status`: the applied migrations that changed since, and the pending ones registered below
/// the history, without writing anything.
pub async fn edited(db: &DatabaseConnection, current: &[Current]) -> Result<Vec<Problem>, DbErr> {
    let applied = applied(db).await?;
    let Ok(recorded) = recorded(db).await else {
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    for migration in current.iter().filter(|m| applied.contains(&m.name)) {
        if let Some((sum, statements)) = recorded.get(&migration.name)
            && *sum != migration.checksum
        {
            let (was, now) = first_difference(statements, &migration.statements);
            problems.push(Problem::Edited {
                name: migration.name.clone(),
                was,
                now,
            });
        }
    }
    problems.extend(reordered(current, &applied));
    Ok(problems)
}

/// The first statement where `was` and `now` differ.
fn first_difference(was: &str, now: &str) -> (Option<String>, Option<String>) {
    let (mut a, mut b) = (was.lines(), now.lines());
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => return (x.map(str::to_owned), y.map(str::to_owned)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_changed_statement_is_shown() {
        assert_eq!(
            first_difference("a\nb\nc", "a\nB\nc"),
            (Some("b".into()), Some("B".into()))
        );
        assert_eq!(first_difference("a", "a\nb"), (None, Some("b".into())));
        assert_eq!(checksum("x"), checksum("x"));
        assert_ne!(checksum("x"), checksum("y"));
    }
}
