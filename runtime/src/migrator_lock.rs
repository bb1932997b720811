//! One migrator at a time per database.
//!
//! Replicas that each migrate at start-up, or two deploys that overlap, would otherwise run the
//! same migration twice at once: both read the history, both find it pending, and the second
//! fails half-way (a duplicate index, a deadlock) or, on MySQL, re-applies a step a later
//! migration undid. sea-orm-migration takes no lock of its own.
//!
//! The lock is taken before the history is read and held until the last migration is done:
//! - PostgreSQL: a session-level `pg_advisory_lock` (a transaction-scoped one would not span
//!   the steps that run outside transactions);
//! - MySQL/MariaDB: `GET_LOCK`, named after the database (the server's locks are server-wide);
//! - SQLite: an exclusive lock on a file beside the database.
//!
//! The server's locks belong to the session that took them, and the migrator runs every
//! statement on that one session (see [`crate::cli`]). A migrator killed in the middle of a
//! statement therefore keeps the lock for as long as the server still runs that statement (a
//! concurrent index build, an `ALTER TABLE`): the next migrator waits for it instead of
//! dropping an index that is still being built. A waiter says which session holds the lock and
//! since when, and gives up after `TIDEMARK_MIGRATION_LOCK_WAIT_S` (600 s by default).

use crate::message::describe;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbConn, DbErr, Statement};
use std::time::{Duration, Instant};

/// The two keys of PostgreSQL's advisory lock: `tidemark` spelled as two integers (`tide`,
/// `mark`), so that `pg_locks` shows it as `classid = 1953064037, objid = 1835102827`.
const PG_KEYS: (i32, i32) = (0x7469_6465, 0x6d61_726b);

/// How long a migrator waits for another to finish: `TIDEMARK_MIGRATION_LOCK_WAIT_S`, 600 s
/// by default.
pub fn wait_limit() -> Duration {
    let seconds = std::env::var("TIDEMARK_MIGRATION_LOCK_WAIT_S")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(600);
    Duration::from_secs(seconds)
}

/// The held lock; [`MigratorLock::release`] gives it back (so does the end of the session).
pub struct MigratorLock {
    /// SQLite's lock file, locked while this lives.
    _file: Option<std::fs::File>,
    backend: DbBackend,
    mysql_name: Option<String>,
}

impl MigratorLock {
    /// Takes the lock for the database behind `db` (its `url` locates SQLite's lock file),
    /// waiting at most `limit` for the migrator that holds it.
    pub async fn acquire(db: &DbConn, url: &str, limit: Duration) -> Result<MigratorLock, DbErr> {
        let backend = db.get_database_backend();
        let started = Instant::now();
        let mut told = false;
        match backend {
            DbBackend::Sqlite => {
                let Some(path) = sqlite_lock_path(url) else {
                    // An in-memory database belongs to this process alone.
                    return Ok(MigratorLock {
                        _file: None,
                        backend,
                        mysql_name: None,
                    });
                };
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|e| {
                        DbErr::Custom(format!("cannot open the lock file {}: {e}", path.display()))
                    })?;
                loop {
                    match file.try_lock() {
                        Ok(()) => break,
                        Err(std::fs::TryLockError::WouldBlock) => {}
                        Err(std::fs::TryLockError::Error(e)) => {
                            return Err(DbErr::Custom(format!(
                                "cannot lock {}: {e}",
                                path.display()
                            )));
                        }
                    }
                    let holder = format!("another migrator (lock file {})", path.display());
                    pause(&mut told, &holder, started, limit).await?;
                }
                Ok(MigratorLock {
                    _file: Some(file),
                    backend,
                    mysql_name: None,
                })
            }
            DbBackend::Postgres => {
                let (a, b) = PG_KEYS;
                loop {
                    let got: bool = scalar(db, &format!("SELECT pg_try_advisory_lock({a}, {b})"))
                        .await?
                        .unwrap_or(false);
                    if got {
                        break;
                    }
                    let holder = pg_holder(db)
                        .await
                        .unwrap_or_else(|_| "another session".into());
                    pause(&mut told, &holder, started, limit).await?;
                }
                Ok(MigratorLock {
                    _file: None,
                    backend,
                    mysql_name: None,
                })
            }
            _ => {
                let database: Option<String> = scalar(db, "SELECT DATABASE()").await?;
                let name = format!("tidemark_migrator.{}", database.unwrap_or_default());
                // GET_LOCK names are at most 64 characters.
                let name: String = name.chars().take(64).collect();
                let literal = name.replace('\'', "''");
                loop {
                    let got: Option<i64> =
                        scalar(db, &format!("SELECT GET_LOCK('{literal}', 0)")).await?;
                    if got == Some(1) {
                        break;
                    }
                    let holder = mysql_holder(db, &literal)
                        .await
                        .unwrap_or_else(|_| "another session".into());
                    pause(&mut told, &holder, started, limit).await?;
                }
                Ok(MigratorLock {
                    _file: None,
                    backend,
                    mysql_name: Some(literal),
                })
            }
        }
    }

    /// Gives the lock back.
    pub async fn release(self, db: &DbConn) -> Result<(), DbErr> {
        match self.backend {
            DbBackend::Postgres => {
                let (a, b) = PG_KEYS;
                run(db, &format!("SELECT pg_advisory_unlock({a}, {b})")).await
            }
            DbBackend::MySql => match &self.mysql_name {
                Some(name) => run(db, &format!("SELECT RELEASE_LOCK('{name}')")).await,
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// `tidemark.sqlite` -> `tidemark.sqlite.migrator-lock`; `None` for an in-memory database.
fn sqlite_lock_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(format!("{path}.migrator-lock")))
}

/// Says once what the migrator waits for, then sleeps a little; an error past `limit`.
async fn pause(
    told: &mut bool,
    holder: &str,
    started: Instant,
    limit: Duration,
) -> Result<(), DbErr> {
    if started.elapsed() >= limit {
        return Err(DbErr::Migration(format!(
            "another migrator held the migration lock for longer than {} s ({holder}); nothing \
             was run. Wait for it, or raise TIDEMARK_MIGRATION_LOCK_WAIT_S",
            limit.as_secs()
        )));
    }
    if !*told {
        eprintln!(
            "tidemark: waiting for the migration lock, held by {holder} (at most {} s, \
             TIDEMARK_MIGRATION_LOCK_WAIT_S)",
            limit.as_secs()
        );
        *told = true;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

async fn pg_holder(db: &DbConn) -> Result<String, DbErr> {
    let (a, b) = PG_KEYS;
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT a.pid, COALESCE(a.application_name, ''), \
                 COALESCE(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'), ''), \
                 COALESCE(a.state, ''), COALESCE(left(a.query, 120), '') \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {a} \
                 AND l.objid = {b} AND l.objsubid = 2 LIMIT 1"
            ),
        ))
        .await?;
    let Some(row) = row else {
        return Ok("a session that just let it go".into());
    };
    let pid: i32 = row.try_get_by_index(0)?;
    let app: String = row.try_get_by_index(1)?;
    let since: String = row.try_get_by_index(2)?;
    let state: String = row.try_get_by_index(3)?;
    let query: String = row.try_get_by_index(4)?;
    let app = if app.is_empty() {
        String::new()
    } else {
        format!(" ({app})")
    };
    let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let doing = if state == "active" {
        format!("running: {query}")
    } else {
        format!("{state} (its last statement: {query})")
    };
    Ok(format!(
        "PostgreSQL session {pid}{app}, connected since {since}, {doing}"
    ))
}

async fn mysql_holder(db: &DbConn, name: &str) -> Result<String, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            format!(
                "SELECT p.ID, COALESCE(p.TIME, 0), COALESCE(p.STATE, ''), \
                 COALESCE(LEFT(p.INFO, 120), '') FROM information_schema.PROCESSLIST p \
                 WHERE p.ID = IS_USED_LOCK('{name}')"
            ),
        ))
        .await?;
    let Some(row) = row else {
        return Ok("a session that just let it go".into());
    };
    let id: i64 = row.try_get_by_index(0)?;
    let time: i64 = row.try_get_by_index(1)?;
    let state: String = row.try_get_by_index(2)?;
    let info: String = row.try_get_by_index(3)?;
    Ok(format!(
        "MySQL connection {id}, in its current state for {time} s {state}: {info}"
    ))
}

async fn scalar<T>(db: &DbConn, sql: &str) -> Result<Option<T>, DbErr>
where
    T: sea_orm_migration::sea_orm::TryGetable,
{
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?;
    match row {
        Some(row) => row.try_get_by_index(0).map(Some),
        None => Ok(None),
    }
}

async fn run(db: &DbConn, sql: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .map(|_| ())
    .map_err(|e| DbErr::Custom(format!("releasing the migration lock: {}", describe(&e))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_lock_files_sit_beside_the_database() {
        assert_eq!(
            sqlite_lock_path("sqlite://tidemark.sqlite?mode=rwc"),
            Some("tidemark.sqlite.migrator-lock".into())
        );
        assert_eq!(sqlite_lock_path("sqlite::memory:"), None);
        assert_eq!(sqlite_lock_path("sqlite://a.db?mode=memory"), None);
    }
}
