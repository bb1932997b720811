//! Bounded lock waits for DDL: a short `lock_timeout` and a few retries with backoff.
//!
//! A DDL statement that waits for its lock (behind a long transaction, say) blocks every
//! query queued behind it for as long as it waits. Measured on PostgreSQL 15 (see
//! docs/locks.md#lock-timeout): a 10 s reader made a plain `ALTER TABLE` stall writers
//! for 9.1 s; a 2 s `lock_timeout` still stalled them 2 s per attempt; 50 ms attempts with
//! retries kept the worst stall at 57 ms. So the timeout is short and the patience lives in
//! the retries, which release every lock while they back off.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static RETRIES: AtomicU64 = AtomicU64::new(0);

/// How many times this process has retried a unit because a lock was busy.
pub fn retries() -> u64 {
    RETRIES.load(Ordering::Relaxed)
}

/// How long one attempt may wait for a lock, and how often to try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockPolicy {
    /// `lock_timeout` of each attempt.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// Pause before the first retry; it doubles per retry up to `max_backoff`.
    pub backoff: Duration,
    /// The longest pause between two retries.
    pub max_backoff: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            timeout: Duration::from_millis(50),
            retries: 30,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl LockPolicy {
    /// The default, overridden by `TIDEMARK_LOCK_TIMEOUT_MS` and `TIDEMARK_LOCK_RETRIES`.
    pub fn from_env() -> Self {
        let mut policy = LockPolicy::default();
        if let Some(ms) = env_number("TIDEMARK_LOCK_TIMEOUT_MS") {
            policy.timeout = Duration::from_millis(Ord::max(ms, 1));
        }
        if let Some(n) = env_number("TIDEMARK_LOCK_RETRIES") {
            policy.retries = <u32 as TryFrom<u64>>::try_from(n).unwrap_or(u32::MAX);
        }
        policy
    }

    /// MySQL/MariaDB's `lock_wait_timeout` for DDL: whole seconds, at least 1 (MySQL's
    /// minimum), so a 50 ms timeout becomes 1 s. On MariaDB the online statements carry
    /// `NOWAIT` as well and do not wait at all.
    #[cfg(feature = "mysql")]
    pub(crate) fn mysql_wait_seconds(&self) -> u64 {
        self.timeout.as_millis().div_ceil(1000).max(1) as u64
    }

    fn pause(&self, retry: u32) -> Duration {
        let doubled = self
            .backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        doubled.min(self.max_backoff)
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Whether `err` is a lock wait that ran out of time (PostgreSQL `55P03 lock_not_available`,
/// MySQL/MariaDB 1205 `ER_LOCK_WAIT_TIMEOUT`).
pub fn is_lock_timeout(err: &DbErr) -> bool {
    use sea_orm_migration::sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let sqlx::Error::Database(e) = e.as_ref() else {
        return false;
    };
    e.code().as_deref() == Some("55P03") || crate::mysql::error_number(err) == Some(1205)
}

/// The work of one unit: `|manager| Box::pin(async move { ... })`, as SeaORM's own
/// `transaction` takes it.
pub type Unit<'m> = Pin<Box<dyn Future<Output = Result<(), DbErr>> + Send + 'm>>;

/// Runs `work` as one unit under a short lock timeout, retrying it when a lock is busy.
///
/// On PostgreSQL the unit runs in its own (sub)transaction with `SET LOCAL lock_timeout`:
/// inside a migration's transaction it is a savepoint, which, rolled back, releases every
/// lock taken after it (<https://www.postgresql.org/docs/current/explicit-locking.html>), so
/// nothing stays locked while the retry backs off. Outside one it is a transaction of its own.
///
/// On SQLite the unit runs in a (sub)transaction without a timeout: SQLite locks the whole
/// database and tidemark's migrations there hold it briefly. MySQL/MariaDB commit every DDL
/// statement, which would end any savepoint, so there the unit runs as it is.
///
/// For hand-written steps that [`crate::Change`] has no constructor for:
///
/// ```no_run
/// # use sea_orm_migration::prelude::*;
/// # async fn up(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
/// use sea_orm_migration::sea_orm::ConnectionTrait;
///
/// tidemark_runtime::locked(manager, |manager| {
///     Box::pin(async move {
///         let db = manager.get_connection();
///         db.execute_unprepared("ALTER TABLE post RENAME CONSTRAINT a TO b").await?;
///         Ok(())
///     })
/// })
/// .await
/// # }
/// ```
pub async fn locked<F>(manager: &SchemaManager<'_>, work: F) -> Result<(), DbErr>
where
    F: for<'m> FnMut(&'m SchemaManager<'m>) -> Unit<'m>,
{
    locked_with(manager, LockPolicy::from_env(), work).await
}

/// [`locked`] with an explicit lock policy instead of the environment's.
pub async fn locked_with<F>(
    manager: &SchemaManager<'_>,
    policy: LockPolicy,
    mut work: F,
) -> Result<(), DbErr>
where
    F: for<'m> FnMut(&'m SchemaManager<'m>) -> Unit<'m>,
{
    let backend = manager.get_database_backend();
    if backend == DbBackend::MySql {
        // DDL commits as it goes, so the unit cannot be rolled back and retried whole; its
        // online statements retry on their own (`mysql::online`), and a plain one that waited
        // out `lock_wait_timeout` stops the migration, which a re-run resumes.
        return work(manager).await.map_err(|err| {
            if !is_lock_timeout(&err) {
                return err;
            }
            DbErr::Migration(format!(
                "a metadata lock stayed busy for longer than lock_wait_timeout ({err}). Something \
                 holds the table for long (see SHOW PROCESSLIST); the statements before this one \
                 stay committed (the migrator lists them)"
            ))
        });
    }
    let mut retry = 0;
    loop {
        let tx = manager.get_connection().begin().await?;
        if backend == DbBackend::Postgres {
            tx.execute_raw(Statement::from_string(
                backend,
                format!(
                    "SET LOCAL lock_timeout = '{}ms'",
                    policy.timeout.as_millis()
                ),
            ))
            .await?;
        }
        let outcome = work(&SchemaManager::new(&tx)).await;
        match outcome {
            Ok(()) => return tx.commit().await,
            Err(err) if is_lock_timeout(&err) && retry < policy.retries => {
                tx.rollback().await?;
                retry += 1;
                note_retry(&policy, retry, &err).await;
            }
            Err(err) if is_lock_timeout(&err) => {
                tx.rollback().await?;
                return Err(DbErr::Migration(format!(
                    "gave up after {} attempts of {} ms each to take a lock ({err}). Something \
                     holds it for long (see pg_stat_activity / pg_locks); run again when it is \
                     done, or raise TIDEMARK_LOCK_TIMEOUT_MS / TIDEMARK_LOCK_RETRIES",
                    policy.retries + 1,
                    policy.timeout.as_millis()
                )));
            }
            Err(err) => {
                tx.rollback().await.ok();
                return Err(err);
            }
        }
    }
}

/// Runs the body of a migration that holds PostgreSQL's concurrent steps. Such a migration
/// returns `use_transaction() -> Some(false)` (sea-orm-migration asks it once, for every
/// backend), yet only PostgreSQL needs that: on SQLite the whole body runs here in one
/// transaction, so a failure still leaves nothing behind; PostgreSQL runs it as it is, each
/// step a short transaction of its own; MySQL/MariaDB commit each DDL statement anyway.
pub async fn atomic_where_possible<F>(manager: &SchemaManager<'_>, work: F) -> Result<(), DbErr>
where
    F: for<'m> FnOnce(&'m SchemaManager<'m>) -> Unit<'m>,
{
    if manager.get_database_backend() != DbBackend::Sqlite {
        return work(manager).await;
    }
    let tx = manager.get_connection().begin().await?;
    match work(&SchemaManager::new(&tx)).await {
        Ok(()) => tx.commit().await,
        Err(err) => {
            tx.rollback().await.ok();
            Err(err)
        }
    }
}

/// Counts, reports and waits out retry number `retry` after a busy lock.
pub(crate) async fn note_retry(policy: &LockPolicy, retry: u32, err: &DbErr) {
    RETRIES.fetch_add(1, Ordering::Relaxed);
    let pause = policy.pause(retry);
    eprintln!(
        "tidemark: a lock was busy ({err}); nothing is held while waiting; retry {retry} of {} in {} ms",
        policy.retries,
        pause.as_millis()
    );
    tokio::time::sleep(pause).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let policy = LockPolicy::default();
        assert_eq!(policy.pause(1), Duration::from_millis(100));
        assert_eq!(policy.pause(2), Duration::from_millis(200));
        assert_eq!(policy.pause(4), Duration::from_millis(800));
        assert_eq!(policy.pause(20), Duration::from_secs(5));
    }

    #[test]
    #[cfg(feature = "mysql")]
    fn mysql_waits_whole_seconds() {
        let with = |ms| LockPolicy {
            timeout: Duration::from_millis(ms),
            ..LockPolicy::default()
        };
        assert_eq!(with(50).mysql_wait_seconds(), 1);
        assert_eq!(with(1000).mysql_wait_seconds(), 1);
        assert_eq!(with(1500).mysql_wait_seconds(), 2);
    }
}
