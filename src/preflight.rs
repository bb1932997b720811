//! `preflight`: read-only checks of the pending migrations against a live database, before
//! they run. Data that would make a step fail (NULLs where NOT NULL is coming, duplicates
//! where a unique index is coming, orphans where a foreign key is coming, values that no
//! longer fit) is counted and comes with the query that lists it; the tables each step locks
//! get their size and, where the step blocks writes, an estimate of how long.

use crate::backend::Backend;
use crate::diff::{self, Change};
use crate::error::{Error, Result};
use crate::lint;
use crate::migrator::Recorded;
use crate::model::{ColumnType, Schema};
use crate::registry;
use crate::snapshot::Snapshot;
use crate::workspace::Workspace;
use sea_orm::{AccessMode, ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Fine, said for completeness.
    Ok,
    /// Worth a look before running (a long lock, a check that could not be made).
    Warning,
    /// The step will fail on this data, or lose it.
    Problem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub text: String,
    /// The query that lists the rows at fault.
    pub query: Option<String>,
}

#[derive(Clone, Debug)]
pub struct MigrationCheck {
    pub migration: String,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug)]
pub struct Preflight {
    pub backend: Backend,
    pub pending: Vec<MigrationCheck>,
}

impl Preflight {
    pub fn has_problems(&self) -> bool {
        self.pending
            .iter()
            .flat_map(|m| &m.findings)
            .any(|f| f.level == Level::Problem)
    }
}

/// Rows a blocking statement gets through per second, measured on 2,000,000 rows (docs/locks.md)
/// on this project's kind of machine (2 cores, PostgreSQL 15).
fn rows_per_second(rule: &str) -> Option<f64> {
    Some(match rule {
        "create-index-blocks-writes" | "unique-constraint-blocks-writes" => 1.5e6,
        "set-not-null-scans" => 14e6,
        "foreign-key-validates-under-lock" => 5e6,
        "column-type-rewrites" => 1e6,
        "backfill-in-one-statement" => 0.3e6,
        _ => return None,
    })
}

/// The writer-stall budget: a step estimated to block writes longer than this is a warning.
const STALL_BUDGET_SECONDS: f64 = 0.1;

/// Checks the migrations registered in the workspace but not yet applied to `url`.
pub async fn preflight(ws: &Workspace, url: &str) -> Result<Preflight> {
    let backend = Backend::from_url(url).ok_or_else(|| Error::InvalidArgument {
        flag: "--database-url",
        value: tidemark_runtime::__private::redact_url(url),
        reason: "expected a postgres://, mysql:// or sqlite:// URL".into(),
    })?;
    let lib = ws.lib_rs();
    let lib_source = std::fs::read_to_string(&lib).map_err(Error::io(&lib))?;
    let registered = registry::registered(&lib_source, &lib)?;

    let db = crate::verify::connect(url).await?;
    let applied = applied_migrations(&db, backend).await?;
    let pending: Vec<(usize, &String)> = registered
        .iter()
        .enumerate()
        .filter(|(_, m)| !applied.contains(m))
        .collect();
    if pending.is_empty() {
        db.close().await.ok();
        return Ok(Preflight {
            backend,
            pending: Vec::new(),
        });
    }
    // The schema the pending migrations make their tables in: that of the last one's snapshot.
    let pg_schema = match registered.last() {
        Some(last) => crate::history::read(ws, last)?.and_then(|s| s.schema.pg_schema),
        None => None,
    };
    let live = crate::introspect::introspect_in(&db, pg_schema.as_deref()).await?;
    // The SQL each migration runs comes from the migrator's preview, without the database.
    let recorded = crate::migrator::recorded_sql(ws, None, backend)?;

    // The server enforces that nothing here writes.
    let access = (backend != Backend::Sqlite).then_some(AccessMode::ReadOnly);
    let tx = db
        .begin_with_config(None, access)
        .await
        .map_err(|source| Error::Database {
            context: "starting a read-only transaction".into(),
            source,
        })?;
    // The checks name tables as the migrations do: in the entities' schema.
    if let (Backend::Postgres, Some(schema)) = (backend, &pg_schema) {
        let sql = format!("SET LOCAL search_path TO {}, public", backend.quote(schema));
        tx.execute_unprepared(&sql)
            .await
            .map_err(|source| Error::Database {
                context: format!("running `{sql}`"),
                source,
            })?;
    }
    let mut checks = Vec::new();
    for (index, migration) in pending {
        let mut findings = Vec::new();
        let up = recorded
            .iter()
            .find(|r| r.migration == *migration && !r.down);
        let before = match index.checked_sub(1) {
            Some(previous) => history(ws, &registered[previous])?,
            None => Some(Schema::default()),
        };
        let recorded_after = crate::history::read(ws, migration)?;
        match (before, recorded_after) {
            (Some(before), Some(after)) => {
                let changes = diff::diff(&before, &after.schema, &after.renames());
                for change in &changes {
                    findings.extend(check_data(&tx, backend, &live, &after, change, up).await?);
                }
            }
            _ => findings.push(Finding {
                level: Level::Warning,
                text: "no snapshot recorded for it or the migration before it (written by \
                       hand?): its data could not be checked, only its SQL"
                    .into(),
                query: None,
            }),
        }
        if let Some(up) = up {
            findings.extend(check_locks(&tx, backend, &live, up).await?);
        }
        checks.push(MigrationCheck {
            migration: migration.clone(),
            findings,
        });
    }
    tx.rollback().await.ok();
    db.close().await.ok();
    Ok(Preflight {
        backend,
        pending: checks,
    })
}

pub(crate) async fn applied_migrations(
    db: &sea_orm::DatabaseConnection,
    backend: Backend,
) -> Result<Vec<String>> {
    let query = |sql: &str| db.query_all_raw(Statement::from_string(backend.db(), sql.to_owned()));
    let failed = |context: &str| {
        let context = context.to_owned();
        move |source| Error::Database { context, source }
    };
    // A database that was never migrated has no history table: everything is pending. Any
    // other failure is an error, not "nothing applied".
    let exists = match backend {
        Backend::Postgres => {
            "SELECT COUNT(*) FROM pg_catalog.pg_class WHERE oid = to_regclass('seaql_migrations')"
        }
        Backend::Mysql => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = 'seaql_migrations'"
        }
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'"
        }
    };
    let found = query(exists)
        .await
        .map_err(failed(
            "looking for the migration history (seaql_migrations)",
        ))?
        .first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    if found == 0 {
        return Ok(Vec::new());
    }
    let rows = query("SELECT version FROM seaql_migrations")
        .await
        .map_err(failed(
            "reading the applied migrations from seaql_migrations",
        ))?;
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<std::result::Result<_, _>>()
        .map_err(failed(
            "reading the applied migrations from seaql_migrations",
        ))
}

fn history(ws: &Workspace, migration: &str) -> Result<Option<Schema>> {
    Ok(crate::history::read(ws, migration)?.map(|s| s.schema))
}

async fn count(tx: &DatabaseTransaction, sql: &str) -> Result<i64> {
    let row = tx
        .query_one_raw(Statement::from_string(
            tx.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .map_err(|source| Error::Database {
            context: format!("running `{sql}`"),
            source,
        })?;
    Ok(row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0))
}

/// Whether `table.columns` all exist in the live database, so that they can be queried.
fn exists(live: &Schema, table: &str, columns: &[String]) -> bool {
    live.table(table)
        .is_some_and(|t| columns.iter().all(|c| t.column(c).is_some()))
}

fn not_yet(table: &str, columns: &[String]) -> Finding {
    Finding {
        level: Level::Warning,
        text: format!(
            "`{table}` ({}) does not exist yet (an earlier pending migration makes it): not checked",
            columns.join(", ")
        ),
        query: None,
    }
}

/// The rows of `table` that would make `change` fail, counted, with the query listing them.
async fn check_data(
    tx: &DatabaseTransaction,
    backend: Backend,
    live: &Schema,
    recorded: &Snapshot,
    change: &Change,
    up: Option<&Recorded>,
) -> Result<Vec<Finding>> {
    let after = &recorded.schema;
    let renames = recorded.renames();
    let conversion = match change {
        Change::AlterColumn { table, to, .. } => recorded
            .conversions
            .iter()
            .find(|c| c.table == *table && c.column == to.name)
            .map(|c| c.conversion.up.as_str()),
        _ => None,
    };
    let q = |name: &str| backend.quote(name);
    let key_of = |table: &str| -> String {
        after
            .table(table)
            .or_else(|| live.table(table))
            .map(|t| t.primary_key.iter().map(|c| q(c)).collect::<Vec<_>>())
            .filter(|k| !k.is_empty())
            .map_or_else(|| "*".to_owned(), |k| k.join(", "))
    };
    let mut findings = Vec::new();
    match change {
        Change::AlterColumn { table, from, to } => {
            // The live database still has the names this migration renames.
            let live_table = renames
                .tables
                .iter()
                .find(|(_, new)| *new == table)
                .map_or(table.as_str(), |(old, _)| old.as_str());
            let live_column = renames
                .columns
                .iter()
                .find(|((t, _), new)| t == table && **new == to.name)
                .map_or(to.name.as_str(), |((_, old), _)| old.as_str());
            let column = vec![live_column.to_owned()];
            if !exists(live, live_table, &column) {
                findings.push(not_yet(live_table, &column));
                return Ok(findings);
            }
            let (t, c) = (q(live_table), q(live_column));
            if from.nullable && !to.nullable {
                let n = count(tx, &format!("SELECT COUNT(*) FROM {t} WHERE {c} IS NULL")).await?;
                // The migration's own backfill (`--backfill`) fills them first; it names the
                // column as it is after the renames.
                let (mt, mc) = (q(table), q(&to.name));
                let backfill = format!("UPDATE {mt} SET {mc} ");
                // SQLite fills them in its table rebuild (the preview names what it fills).
                let rebuild_fill = format!("filling {mc} with ");
                let filled = up.is_some_and(|u| {
                    u.statements.iter().any(|s| {
                        s.contains(&backfill)
                            || (s.contains(&rebuild_fill) && s.contains(&format!("FROM {mt}")))
                    })
                });
                findings.push(if n > 0 && filled {
                    ok(format!(
                        "`{table}.{}`: {n} NULL row(s), which the migration's backfill fills",
                        to.name
                    ))
                } else if n > 0 {
                    Finding {
                        level: Level::Problem,
                        text: format!(
                            "`{table}.{}` becomes NOT NULL but {n} row(s) hold NULL: fill them \
                             first, or generate the migration with --backfill {table}.{}=SQL",
                            to.name, to.name
                        ),
                        query: Some(format!(
                            "SELECT {} FROM {t} WHERE {c} IS NULL",
                            key_of(table)
                        )),
                    }
                } else {
                    ok(format!("`{table}.{}` holds no NULL", to.name))
                });
            }
            if !from.unique && to.unique {
                findings.push(duplicates(tx, backend, live_table, &column).await?);
            }
            // The same condition the migration's own check (`tidemark_runtime::fit`) stops on;
            // SQLite keeps every value as it is, so nothing can fail there. A conversion's
            // values are checked, not the column's.
            let (fit, value) = match conversion {
                Some(conversion) => (
                    crate::plan::fit::fit_into(&to.ty, backend),
                    format!(
                        "({})",
                        tidemark_runtime::__private::substitute(conversion, &to.name, &c)
                    ),
                ),
                None => (
                    crate::plan::fit::fit_for(&from.ty, &to.ty, backend),
                    c.clone(),
                ),
            };
            let what = match conversion {
                Some(conversion) => format!("`{table}.{}` converted by `{conversion}`", to.name),
                None => format!("`{table}.{}`", to.name),
            };
            if let Some(fit) = fit
                && let Some(filter) = fit.violation_of(backend.db(), &value)
            {
                let n = count(tx, &format!("SELECT COUNT(*) FROM {t} WHERE {filter}")).await?;
                findings.push(if n > 0 {
                    Finding {
                        level: Level::Problem,
                        text: format!(
                            "{what} narrows to {} but {n} value(s) do not fit: the migration \
                             stops before converting them",
                            fit.describe()
                        ),
                        query: Some(format!(
                            "SELECT {}, {value} FROM {t} WHERE {filter}",
                            key_of(table)
                        )),
                    }
                } else {
                    ok(format!("every {what} fits {}", fit.describe()))
                });
            }
        }
        // The swap drops the column: every value it holds must be in the shadow by then.
        Change::SwapColumn(swap) => {
            let (column, shadow) = (&swap.kept.name, &swap.shadow.name);
            let both = vec![column.clone(), shadow.clone()];
            if !exists(live, &swap.table, &both) {
                findings.push(not_yet(&swap.table, &both));
                return Ok(findings);
            }
            let (t, c, s) = (q(&swap.table), q(column), q(shadow));
            let filter = format!("{c} IS NOT NULL AND {s} IS NULL");
            let n = count(tx, &format!("SELECT COUNT(*) FROM {t} WHERE {filter}")).await?;
            findings.push(if n > 0 {
                Finding {
                    level: Level::Problem,
                    text: format!(
                        "`{}.{shadow}` lacks {n} value(s) that `{column}` holds, and the swap \
                         drops `{column}`: copy them first (UPDATE {t} SET {s} = {c} WHERE \
                         {filter}) and check that the sync trigger is there",
                        swap.table
                    ),
                    query: Some(format!(
                        "SELECT {}, {c} FROM {t} WHERE {filter}",
                        key_of(&swap.table)
                    )),
                }
            } else {
                ok(format!(
                    "`{}.{shadow}` holds every value of `{column}`",
                    swap.table
                ))
            });
        }
        Change::CreateIndex { table, index } if index.unique => {
            if !exists(live, table, &index.columns) {
                findings.push(not_yet(table, &index.columns));
            } else {
                findings.push(duplicates(tx, backend, table, &index.columns).await?);
            }
        }
        Change::AddForeignKey { table, foreign_key } => {
            if !exists(live, table, &foreign_key.columns)
                || !exists(live, &foreign_key.ref_table, &foreign_key.ref_columns)
            {
                findings.push(not_yet(table, &foreign_key.columns));
                return Ok(findings);
            }
            let (t, r) = (q(table), q(&foreign_key.ref_table));
            let present: Vec<String> = foreign_key
                .columns
                .iter()
                .map(|c| format!("child.{} IS NOT NULL", q(c)))
                .collect();
            let matches: Vec<String> = foreign_key
                .columns
                .iter()
                .zip(&foreign_key.ref_columns)
                .map(|(c, rc)| format!("parent.{} = child.{}", q(rc), q(c)))
                .collect();
            let filter = format!(
                "{} AND NOT EXISTS (SELECT 1 FROM {r} parent WHERE {})",
                present.join(" AND "),
                matches.join(" AND ")
            );
            let n = count(
                tx,
                &format!("SELECT COUNT(*) FROM {t} child WHERE {filter}"),
            )
            .await?;
            let columns = foreign_key.columns.join(", ");
            findings.push(if n > 0 {
                Finding {
                    level: Level::Problem,
                    text: format!(
                        "{n} row(s) of `{table}` ({columns}) point at no `{}` row: the foreign \
                         key `{}` cannot be validated until they are fixed or deleted",
                        foreign_key.ref_table, foreign_key.name
                    ),
                    query: Some(format!(
                        "SELECT {} FROM {t} child WHERE {filter}",
                        foreign_key
                            .columns
                            .iter()
                            .map(|c| format!("child.{}", q(c)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            } else {
                ok(format!(
                    "every `{table}` ({columns}) has its `{}` row",
                    foreign_key.ref_table
                ))
            });
        }
        Change::AddColumn { table, column }
            if !column.nullable && column.default.is_none() && live.table(table).is_some() =>
        {
            let n = count(tx, &format!("SELECT COUNT(*) FROM {}", q(table))).await?;
            if n > 0 {
                findings.push(Finding {
                    level: Level::Warning,
                    text: format!(
                        "`{table}` holds {n} row(s) that need a value for the new NOT NULL \
                         column `{}`: the migration must backfill it (--backfill)",
                        column.name
                    ),
                    query: None,
                });
            }
        }
        Change::AlterEnum { from, to } => {
            for gone in from.values.iter().filter(|v| !to.values.contains(v)) {
                for table in after.tables.values() {
                    for column in &table.columns {
                        if column.ty != ColumnType::Enum(to.name.clone())
                            || !exists(live, &table.name, std::slice::from_ref(&column.name))
                        {
                            continue;
                        }
                        let filter =
                            format!("{} = '{}'", q(&column.name), gone.replace('\'', "''"));
                        let sql = format!("SELECT COUNT(*) FROM {} WHERE {filter}", q(&table.name));
                        let n = count(tx, &sql).await?;
                        // SQLite stores enums as text: the rows keep the value, and only
                        // the application can no longer read it.
                        let (level, outcome) = if backend == Backend::Sqlite {
                            (
                                Level::Warning,
                                "SQLite keeps it (enums are text there), but the entities \
                                 cannot read it any more",
                            )
                        } else {
                            (Level::Problem, "the migration fails on them")
                        };
                        if n > 0 {
                            findings.push(Finding {
                                level,
                                text: format!(
                                    "{n} row(s) of `{}.{}` hold `{gone}`, which `{}` loses: \
                                     {outcome}",
                                    table.name, column.name, to.name
                                ),
                                query: Some(format!(
                                    "SELECT {} FROM {} WHERE {filter}",
                                    key_of(&table.name),
                                    q(&table.name)
                                )),
                            });
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(findings)
}

fn ok(text: String) -> Finding {
    Finding {
        level: Level::Ok,
        text,
        query: None,
    }
}

async fn duplicates(
    tx: &DatabaseTransaction,
    backend: Backend,
    table: &str,
    columns: &[String],
) -> Result<Finding> {
    let t = backend.quote(table);
    let cols: Vec<String> = columns.iter().map(|c| backend.quote(c)).collect();
    let present: Vec<String> = cols.iter().map(|c| format!("{c} IS NOT NULL")).collect();
    let groups = format!(
        "SELECT {cols}, COUNT(*) AS copies FROM {t} WHERE {present} GROUP BY {cols} HAVING COUNT(*) > 1",
        cols = cols.join(", "),
        present = present.join(" AND ")
    );
    let n = count(tx, &format!("SELECT COUNT(*) FROM ({groups}) duplicated")).await?;
    let what = format!("`{table}` ({})", columns.join(", "));
    Ok(if n > 0 {
        Finding {
            level: Level::Problem,
            text: format!(
                "{what} has {n} duplicated value(s) where a unique index is coming: the build \
                 fails until they are made unique"
            ),
            query: Some(groups),
        }
    } else {
        ok(format!("{what} holds no duplicates"))
    })
}

/// Size of each existing table a statement touches; for a statement that blocks writes, how
/// long it would hold them, from the table's rows.
async fn check_locks(
    tx: &DatabaseTransaction,
    backend: Backend,
    live: &Schema,
    up: &Recorded,
) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let mut sized = std::collections::BTreeMap::new();
    for table in lint::touched_tables(up, backend) {
        if live.table(&table).is_none() {
            continue;
        }
        let (rows, bytes) = table_size(tx, backend, &table).await?;
        let size = bytes.map_or_else(String::new, |b| format!(", {}", human_bytes(b)));
        findings.push(ok(format!("`{table}`: about {rows} row(s){size}")));
        sized.insert(table, rows);
    }
    for finding in lint::check(up, backend, &[]) {
        let Some(rate) = rows_per_second(finding.rule.id) else {
            continue;
        };
        let Some(table) = lint::statement_table(&finding.statement, backend) else {
            continue;
        };
        let Some(rows) = sized.get(&table) else {
            continue;
        };
        let seconds = *rows as f64 / rate;
        let level = if seconds >= STALL_BUDGET_SECONDS {
            Level::Warning
        } else {
            Level::Ok
        };
        findings.push(Finding {
            level,
            text: format!(
                "{}: `{table}` ({rows} rows) blocks writes for about {seconds:.2} s \
                 (at {:.1}M rows/s, measured in docs/locks.md); {}",
                finding.rule.id,
                rate / 1e6,
                finding.rule.safe
            ),
            query: None,
        });
    }
    Ok(findings)
}

async fn table_size(
    tx: &DatabaseTransaction,
    backend: Backend,
    table: &str,
) -> Result<(i64, Option<i64>)> {
    let literal = format!("'{}'", table.replace('\'', "''"));
    let sql = match backend {
        // reltuples is -1 until the table was first analysed: count it then.
        Backend::Postgres => {
            let quoted = backend.quote(table);
            let regclass = quoted.replace('\'', "''");
            format!(
                "SELECT CASE WHEN c.reltuples < 0 THEN (SELECT COUNT(*) FROM {quoted}) \
                 ELSE c.reltuples::bigint END, pg_total_relation_size(c.oid) \
                 FROM pg_class c WHERE c.oid = to_regclass('{regclass}')"
            )
        }
        Backend::Mysql => format!(
            "SELECT CAST(TABLE_ROWS AS SIGNED), CAST(DATA_LENGTH + INDEX_LENGTH AS SIGNED) \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {literal}"
        ),
        Backend::Sqlite => format!("SELECT COUNT(*), NULL FROM {}", backend.quote(table)),
    };
    let row = tx
        .query_one_raw(Statement::from_string(
            tx.get_database_backend(),
            sql.clone(),
        ))
        .await
        .map_err(|source| Error::Database {
            context: format!("sizing `{table}`"),
            source,
        })?;
    Ok(row.map_or((0, None), |r| {
        (
            r.try_get_by_index::<i64>(0).unwrap_or(0),
            r.try_get_by_index::<Option<i64>>(1).ok().flatten(),
        )
    }))
}

fn human_bytes(bytes: i64) -> String {
    let mut value = bytes as f64;
    for unit in ["B", "kB", "MB", "GB"] {
        if value < 1024.0 {
            return format!("{value:.0} {unit}");
        }
        value /= 1024.0;
    }
    format!("{value:.1} TB")
}
