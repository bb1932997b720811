//! What each planned statement does to a live table: the lock it takes, for how long, and
//! whether old code survives it. PostgreSQL's figures are in docs/locks.md; its lock
//! levels are those of <https://www.postgresql.org/docs/current/explicit-locking.html>.

use super::Op;
use crate::backend::Backend;

/// How one op treats the table it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// What the op does, in a few words.
    pub action: String,
    /// The strongest lock it takes, and what that lock blocks.
    pub lock: &'static str,
    /// How long the lock is held: brief (catalog only), or a scan or rewrite of the table.
    pub cost: Cost,
    /// Why it is safe, or what makes it risky on a big or busy table.
    pub note: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Changes the catalog only; the lock is held for milliseconds.
    Brief,
    /// Reads the whole table, but lets writes go on.
    OnlineScan,
    /// Writes rows in committed batches.
    Batches,
    /// Reads the whole table while holding a lock that blocks writes.
    BlockingScan,
    /// Rewrites the whole table while holding a lock that blocks reads and writes.
    Rewrite,
    /// Copies the whole table while holding a lock that blocks writes (MySQL's COPY).
    Copy,
}

impl Cost {
    /// Whether this cost stalls writers for as long as the table is big.
    pub fn is_risky(self) -> bool {
        matches!(self, Cost::BlockingScan | Cost::Rewrite | Cost::Copy)
    }

    pub fn words(self) -> &'static str {
        match self {
            Cost::Brief => "brief, catalog only",
            Cost::OnlineScan => "scans the table, writes go on",
            Cost::Batches => "committed batches",
            Cost::BlockingScan => "SCANS THE TABLE, blocking writes",
            Cost::Rewrite => "REWRITES THE TABLE, blocking reads and writes",
            Cost::Copy => "COPIES THE TABLE, blocking writes",
        }
    }
}

const ACCESS_EXCLUSIVE: &str = "ACCESS EXCLUSIVE (blocks reads and writes)";
const SHARE: &str = "SHARE (blocks writes)";
const SHARE_ROW_EXCLUSIVE: &str = "SHARE ROW EXCLUSIVE on both tables (blocks writes)";
const SHARE_UPDATE_EXCLUSIVE: &str = "SHARE UPDATE EXCLUSIVE (reads and writes go on)";
const ROW_LOCKS: &str = "row locks of one batch at a time";
const NEW_TABLE: &str = "none on existing tables";
const READ_ONLY: &str = "a read (reads and writes go on)";
const PARENTS_NOTE: &str = "stops the migration before anything changes if a row would break \
                            the foreign key, and lists the rows";
const FIT_NOTE: &str = "stops the migration before the type changes if a value would be \
                        truncated or rounded, and lists the rows";

/// What `op` does on `backend`.
pub fn assess(op: &Op, backend: Backend) -> Assessment {
    let a = |action: &str, lock, cost, note| Assessment {
        action: action.to_owned(),
        lock,
        cost,
        note,
    };
    if backend == Backend::Sqlite {
        if matches!(op, Op::RequireParents { .. }) {
            return a(&action(op), READ_ONLY, Cost::OnlineScan, PARENTS_NOTE);
        }
        return a(
            &action(op),
            "the database's write lock",
            match op {
                Op::RebuildTable { .. } => Cost::Rewrite,
                _ => Cost::Brief,
            },
            "SQLite serialises writers; a rebuild copies the table inside the migration's transaction",
        );
    }
    if backend == Backend::Mysql {
        return mysql(op);
    }
    let action = action(op);
    match op {
        Op::CreateEnumType(_) | Op::DropEnumType(_) | Op::AddEnumValue { .. } => {
            a(&action, "the type only", Cost::Brief, "no table is locked")
        }
        Op::CreateTable { .. } => a(
            &action,
            NEW_TABLE,
            Cost::Brief,
            "a new table; foreign keys briefly lock the tables they reference",
        ),
        Op::DropTable(_) | Op::DropColumn { .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Brief,
            "instant, but code still using it breaks at once: stop using it in a deploy before",
        ),
        Op::RenameTable { .. } | Op::RenameColumn { .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Brief,
            "instant, but code using the old name breaks at once: expand/contract or deploy together",
        ),
        Op::AddColumn { column, .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Brief,
            if column.nullable || column.default.is_some() {
                "metadata only (PostgreSQL 11+ stores a constant default without rewriting)"
            } else {
                "metadata only on an empty table; fails on one with rows"
            },
        ),
        Op::AlterColumnParts { rewrites: true, .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Rewrite,
            "the new type rewrites every row under the lock: on a big table, add a column of \
             the new type, backfill it and switch over instead (expand/contract)",
        ),
        Op::AlterColumnParts {
            nullable: true,
            column,
            ..
        } if !column.nullable => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::BlockingScan,
            "SET NOT NULL scans the whole table under the lock (the online form validates a \
             NOT VALID check first)",
        ),
        Op::AlterColumnParts { .. } | Op::ModifyColumn { .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Brief,
            "metadata only: the stored values already fit",
        ),
        Op::CreateIndex { .. } => a(
            &action,
            SHARE,
            Cost::BlockingScan,
            "writes wait for the whole index build; CONCURRENTLY avoids that",
        ),
        Op::CreateIndexConcurrently { .. } => a(
            &action,
            SHARE_UPDATE_EXCLUSIVE,
            Cost::OnlineScan,
            "builds while writes go on, outside a transaction; a failed build is dropped and \
             retried on the next run",
        ),
        Op::DropIndex { .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Brief,
            "waits for running queries on the table while blocking new ones",
        ),
        Op::DropIndexConcurrently { .. } => a(
            &action,
            SHARE_UPDATE_EXCLUSIVE,
            Cost::Brief,
            "waits for queries using the index without blocking the table",
        ),
        Op::AddUniqueConstraint { .. } => a(
            &action,
            SHARE,
            Cost::BlockingScan,
            "builds the unique index while writes wait",
        ),
        Op::AddUniqueConcurrently { .. } => a(
            &action,
            SHARE_UPDATE_EXCLUSIVE,
            Cost::OnlineScan,
            "unique index built concurrently, then attached with a brief lock",
        ),
        Op::AddForeignKey { .. } => a(
            &action,
            SHARE_ROW_EXCLUSIVE,
            Cost::BlockingScan,
            "checks every existing row while writes to both tables wait",
        ),
        Op::AddForeignKeyNotValid { .. } => a(
            &action,
            SHARE_UPDATE_EXCLUSIVE,
            Cost::OnlineScan,
            "NOT VALID takes a brief lock and checks new rows; VALIDATE then checks the \
             existing ones while writes go on",
        ),
        Op::SetNotNullOnline { .. } => a(
            &action,
            SHARE_UPDATE_EXCLUSIVE,
            Cost::OnlineScan,
            "CHECK NOT VALID (brief), VALIDATE (writes go on), SET NOT NULL proven by the \
             check without a scan (PostgreSQL 12+), check dropped",
        ),
        Op::DropForeignKey { .. } | Op::DropForeignKeyAndIndex { .. } => {
            a(&action, SHARE_ROW_EXCLUSIVE, Cost::Brief, "catalog only")
        }
        Op::Backfill { .. } => a(
            &action,
            "row locks of every row until the statement commits",
            Cost::BlockingScan,
            "one UPDATE holds every row lock it takes until it ends: writers to those rows wait",
        ),
        Op::BatchedBackfill { .. } => a(
            &action,
            ROW_LOCKS,
            Cost::Batches,
            "each batch commits on its own, so a writer waits one batch at most",
        ),
        Op::Sql(_) => a(&action, ACCESS_EXCLUSIVE, Cost::Brief, "catalog only"),
        Op::SqlRewrite(_) => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Rewrite,
            "converts every row under the lock",
        ),
        Op::RequireFit { .. } | Op::RequireValues { .. } => {
            a(&action, READ_ONLY, Cost::OnlineScan, FIT_NOTE)
        }
        Op::Replaces(_) => a(&action, "none", Cost::Brief, "bookkeeping only"),
        Op::RequireParents { .. } => a(&action, READ_ONLY, Cost::OnlineScan, PARENTS_NOTE),
        Op::KeepKeyIndex { .. } => a(&action, "not run on PostgreSQL", Cost::Brief, ""),
        Op::InstallSync { .. } | Op::RemoveSync { .. } => a(
            &action,
            "SHARE ROW EXCLUSIVE (blocks writes)",
            Cost::Brief,
            "catalog only; while the trigger is there every insert and update also writes the \
             shadow column",
        ),
        Op::ConvertColumn { .. } => a(&action, "not run on PostgreSQL", Cost::Brief, ""),
        Op::SwapIn { .. } | Op::SwapOut { .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Brief,
            "catalog only (drop and renames), but code that reads the column as the old type \
             breaks at once: deploy the new code together with it",
        ),
        Op::CreateView { .. } | Op::DropView { .. } => a(
            &action,
            "the view only",
            Cost::Brief,
            "catalog only; the table is not locked, and its code goes on using it by its own name",
        ),
        Op::ViewToTable { .. } | Op::TableToView { .. } => a(
            &action,
            ACCESS_EXCLUSIVE,
            Cost::Brief,
            "catalog only, in one transaction: code using the new name reads the view until \
             the moment it reads the table; code still using the old name breaks",
        ),
        Op::MysqlOnline(inner) => assess(inner, backend),
        Op::RebuildTable { .. } => a(&action, "not run on PostgreSQL", Cost::Brief, ""),
    }
}

const METADATA: &str = "a brief metadata lock at start and end";
const ONLINE: &str = "a brief metadata lock at start and end (reads and writes go on)";

/// InnoDB's online DDL (<https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html>):
/// what each statement tidemark writes costs on MySQL/MariaDB. DDL commits as it goes there,
/// so a failure leaves the earlier statements applied.
fn mysql(op: &Op) -> Assessment {
    let a = |lock: &'static str, cost, note: &'static str| Assessment {
        action: action(op),
        lock,
        cost,
        note,
    };
    let Op::MysqlOnline(inner) = op else {
        return match op {
            Op::CreateTable { .. } => a(NEW_TABLE, Cost::Brief, "a new table"),
            Op::Backfill { .. } => a(
                "row locks of every row until the statement commits",
                Cost::BlockingScan,
                "one UPDATE holds every row lock it takes until it ends: writers to those rows wait",
            ),
            Op::BatchedBackfill { .. } => a(
                ROW_LOCKS,
                Cost::Batches,
                "each batch commits on its own, so a writer waits one batch at most",
            ),
            Op::InstallSync { .. } | Op::RemoveSync { .. } => a(
                METADATA,
                Cost::Brief,
                "while the triggers are there every insert and update also writes the shadow column",
            ),
            Op::ConvertColumn { .. } => a(
                "row locks of every row until the UPDATE commits",
                Cost::BlockingScan,
                "a trigger converts what is written meanwhile; one UPDATE converts every row and holds their row locks until it ends, then one ALTER TABLE (online where the server can) rebuilds the column's indexes",
            ),
            Op::SwapIn { .. } | Op::SwapOut { .. } => a(
                ONLINE,
                Cost::Brief,
                "one ALTER TABLE, online; code that reads the column as the old type breaks at once: deploy the new code with it",
            ),
            Op::CreateView { .. } | Op::DropView { .. } => a(
                "a metadata lock on the view only",
                Cost::Brief,
                "the table is not locked, and its code goes on using it by its own name",
            ),
            Op::ViewToTable { .. } => a(
                METADATA,
                Cost::Brief,
                "one RENAME TABLE swaps the view out and the table in, atomically; code still using the old name breaks",
            ),
            Op::TableToView { .. } => a(
                METADATA,
                Cost::Brief,
                "RENAME TABLE, then CREATE VIEW: statements on the view's name fail in the moment between",
            ),
            Op::RequireFit { .. } | Op::RequireValues { .. } => {
                a(READ_ONLY, Cost::OnlineScan, FIT_NOTE)
            }
            Op::Replaces(_) => a("none", Cost::Brief, "bookkeeping only"),
            Op::RequireParents { .. } => a(READ_ONLY, Cost::OnlineScan, PARENTS_NOTE),
            Op::KeepKeyIndex { .. } => a(
                ONLINE,
                Cost::OnlineScan,
                "only when no other index serves the foreign key: built in place while writes go on",
            ),
            Op::Sql(_) | Op::SqlRewrite(_) => a(
                "the server's default algorithm",
                Cost::Brief,
                "as written; a statement the server cannot make in place copies the table",
            ),
            _ => a(METADATA, Cost::Brief, "on a new or dropped table"),
        };
    };
    match inner.as_ref() {
        Op::AddColumn { .. } => a(
            "none (ALGORITHM=INSTANT)",
            Cost::Brief,
            "metadata only on MySQL 8.0.12+ and MariaDB 10.3+; INPLACE, LOCK=NONE before",
        ),
        Op::CreateIndex { .. } => a(
            ONLINE,
            Cost::OnlineScan,
            "built in place while writes go on; writes made meanwhile are logged and applied at the end",
        ),
        Op::AddForeignKey { .. } => a(
            "LOCK=SHARED (blocks writes) while the server copies",
            Cost::Copy,
            "InnoDB adds a foreign key in place only with foreign_key_checks off; with checks on it copies the table, blocking writes",
        ),
        Op::ModifyColumn { .. } => a(
            ONLINE,
            Cost::OnlineScan,
            "NOT NULL, NULL and defaults change in place; a changed type makes the server copy the table and block writes (the migration says so when it runs)",
        ),
        _ => a(ONLINE, Cost::Brief, "in place"),
    }
}

/// A few words for what `op` does.
pub fn action(op: &Op) -> String {
    match op {
        Op::CreateEnumType(e) => format!("CREATE TYPE {}", e.name),
        Op::AddEnumValue { name, value } => format!("ALTER TYPE {name} ADD VALUE '{value}'"),
        Op::DropEnumType(name) => format!("DROP TYPE {name}"),
        Op::CreateTable { table, .. } => format!("CREATE TABLE {}", table.name),
        Op::DropTable(name) => format!("DROP TABLE {name}"),
        Op::RenameTable { from, to } => format!("RENAME TABLE {from} TO {to}"),
        Op::AddColumn { table, column } => format!(
            "ADD COLUMN {table}.{}{}",
            column.name,
            if column.nullable { " (nullable)" } else { "" }
        ),
        Op::DropColumn { table, column } => format!("DROP COLUMN {table}.{column}"),
        Op::RenameColumn { table, from, to } => format!("RENAME COLUMN {table}.{from} TO {to}"),
        Op::ModifyColumn { table, column } => format!("MODIFY COLUMN {table}.{}", column.name),
        Op::AlterColumnParts {
            table,
            column,
            ty,
            nullable,
            default,
            ..
        } => {
            let mut parts = Vec::new();
            if *ty {
                parts.push("TYPE");
            }
            if *nullable {
                parts.push(if column.nullable {
                    "DROP NOT NULL"
                } else {
                    "SET NOT NULL"
                });
            }
            if *default {
                parts.push("SET DEFAULT");
            }
            format!("ALTER COLUMN {table}.{} {}", column.name, parts.join(", "))
        }
        Op::CreateIndex { index, .. } => format!("CREATE INDEX {}", index.name),
        Op::CreateIndexConcurrently { index, .. } => {
            format!("CREATE INDEX CONCURRENTLY {}", index.name)
        }
        Op::DropIndex { name, .. } => format!("DROP INDEX {name}"),
        Op::DropIndexConcurrently { name, .. } => format!("DROP INDEX CONCURRENTLY {name}"),
        Op::AddUniqueConstraint { name, .. } => format!("ADD CONSTRAINT {name} UNIQUE"),
        Op::AddUniqueConcurrently { name, .. } => {
            format!("CREATE UNIQUE INDEX CONCURRENTLY {name}, ADD CONSTRAINT USING INDEX")
        }
        Op::AddForeignKey { foreign_key, .. } => {
            format!("ADD CONSTRAINT {} FOREIGN KEY", foreign_key.name)
        }
        Op::AddForeignKeyNotValid { foreign_key, .. } => format!(
            "ADD CONSTRAINT {} FOREIGN KEY NOT VALID, VALIDATE",
            foreign_key.name
        ),
        Op::SetNotNullOnline { table, column } => {
            format!("SET NOT NULL {table}.{column} via a validated CHECK")
        }
        Op::DropForeignKey { name, .. } | Op::DropForeignKeyAndIndex { name, .. } => {
            format!("DROP CONSTRAINT {name}")
        }
        Op::Backfill { table, column, .. } => {
            format!("UPDATE {table} SET {column} (one statement)")
        }
        Op::BatchedBackfill {
            table,
            column,
            integer_key,
            ..
        } => match integer_key {
            Some(key) => format!("UPDATE {table} SET {column} in batches by {key} range"),
            None => format!("UPDATE {table} SET {column} in batches"),
        },
        Op::Sql(sql) | Op::SqlRewrite(sql) => sql.split_whitespace().collect::<Vec<_>>().join(" "),
        Op::KeepKeyIndex {
            table,
            key,
            columns,
            ..
        } => format!(
            "CREATE INDEX {key} ON {table} ({}) if the key needs one",
            columns.join(", ")
        ),
        Op::RequireParents {
            table,
            columns,
            parent,
            ..
        } => format!(
            "check that every {table} ({}) has its {parent} row",
            columns.join(", ")
        ),
        Op::RequireFit {
            table,
            column,
            fit,
            conversion: None,
        } => {
            format!("check that every {table}.{column} fits {}", fit.describe())
        }
        Op::RequireFit {
            table,
            column,
            fit,
            conversion: Some(conversion),
        } => {
            format!(
                "check that {conversion} fits {} for every {table}.{column}",
                fit.describe()
            )
        }
        Op::Replaces(replaced) => format!("replaces {}", replaced.join(", ")),
        Op::RequireValues {
            table,
            column,
            values,
        } => format!(
            "check that every {table}.{column} is one of {}",
            values.join(", ")
        ),
        Op::InstallSync {
            table,
            column,
            shadow,
            conversion: None,
        } => {
            format!("CREATE TRIGGER copying {table}.{column} into {shadow}")
        }
        Op::InstallSync {
            table,
            column,
            shadow,
            conversion: Some(conversion),
        } => {
            format!("CREATE TRIGGER writing {conversion} of {table}.{column} into {shadow}")
        }
        Op::ConvertColumn {
            table,
            column,
            conversion,
        } => {
            let c = &column.name;
            format!(
                "ADD COLUMN {c}__new, fill it with {conversion}, DROP COLUMN {table}.{c} and give {c}__new its place, name and indexes"
            )
        }
        Op::RemoveSync { table, column, .. } => {
            format!("DROP TRIGGER copying {table}.{column}")
        }
        Op::SwapIn {
            table,
            column,
            shadow,
            ..
        } => {
            format!("DROP COLUMN {table}.{column}, RENAME {shadow} TO {column}")
        }
        Op::SwapOut {
            table,
            column,
            shadow,
            ..
        } => {
            format!("RENAME COLUMN {table}.{column} TO {shadow}")
        }
        Op::MysqlOnline(inner) if matches!(inner.as_ref(), Op::AddColumn { .. }) => {
            format!("{}, ALGORITHM=INSTANT", action(inner))
        }
        Op::MysqlOnline(inner) => format!("{}, ALGORITHM=INPLACE, LOCK=NONE", action(inner)),
        Op::RebuildTable { table, .. } => format!("rebuild {}", table.name),
        Op::CreateView { view, table } => format!("CREATE VIEW {view} AS SELECT * FROM {table}"),
        Op::DropView { view } => format!("DROP VIEW {view}"),
        Op::ViewToTable { view, table } => {
            format!("DROP VIEW {view}, RENAME TABLE {table} TO {view}")
        }
        Op::TableToView { view, table } => {
            format!("RENAME TABLE {view} TO {table}, CREATE VIEW {view}")
        }
    }
}
