//! The lint rules: one table, one function each. A rule names the consequence and the lock in
//! `why` and the fix in `safe`; its check returns the statements that break it, with detail.

use super::sql::Words;
use crate::backend::Backend;
use crate::migrator::Recorded;
use std::collections::BTreeSet;

pub struct Rule {
    /// Stable kebab-case id, used in waivers.
    pub id: &'static str,
    pub backends: &'static [Backend],
    /// Why the form hurts, in general.
    pub why: &'static str,
    /// The safe form.
    pub safe: &'static str,
    /// Checked on `up` only: a `down` that drops what its `up` created, or renames back, is
    /// the expected rollback, and the generated file already says what it loses.
    pub up_only: bool,
    pub check: fn(&Context) -> Vec<(usize, String)>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

const PG: &[Backend] = &[Backend::Postgres];
const ALL: &[Backend] = &[Backend::Postgres, Backend::Mysql, Backend::Sqlite];
const SERVERS: &[Backend] = &[Backend::Postgres, Backend::Mysql];
const MYSQL: &[Backend] = &[Backend::Mysql];

use tidemark_runtime::__private::REBUILD_PREFIX;

pub static RULES: &[Rule] = &[
    Rule {
        id: "unreadable-statement",
        backends: ALL,
        why: "lint cannot read the statement in the backend's SQL dialect, so no other rule \
              has checked it",
        safe: "write the statement as the backend spells SQL, or review it by hand and waive \
               the rule with the reason",
        up_only: false,
        check: unreadable_statement,
    },
    Rule {
        id: "create-index-blocks-writes",
        backends: PG,
        why: "CREATE INDEX holds a SHARE lock for the whole build, so every write to the table \
              waits (1.3 s for 2,000,000 rows, docs/locks.md)",
        safe: "CREATE INDEX CONCURRENTLY in a migration with `use_transaction() -> \
               Some(false)`; `tidemark generate` writes it that way",
        up_only: false,
        check: create_index_blocks_writes,
    },
    Rule {
        id: "drop-index-blocks-reads",
        backends: PG,
        why: "DROP INDEX takes ACCESS EXCLUSIVE on the table: reads and writes queue behind it",
        safe: "DROP INDEX CONCURRENTLY, outside a transaction",
        up_only: false,
        check: drop_index_blocks_reads,
    },
    Rule {
        id: "concurrently-in-transaction",
        backends: PG,
        why: "CONCURRENTLY cannot run inside a transaction block: the migration fails",
        safe: "return `Some(false)` from `use_transaction()` for this migration",
        up_only: false,
        check: concurrently_in_transaction,
    },
    Rule {
        id: "foreign-key-validates-under-lock",
        backends: PG,
        why: "adding a foreign key checks every existing row under SHARE ROW EXCLUSIVE on both \
              tables: writes to them wait for the scan",
        safe: "ADD CONSTRAINT ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a \
               separate transaction",
        up_only: false,
        check: foreign_key_validates_under_lock,
    },
    Rule {
        id: "unique-constraint-blocks-writes",
        backends: PG,
        why: "ADD CONSTRAINT ... UNIQUE builds its index under a SHARE lock: writes wait for \
              the build",
        safe: "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX",
        up_only: false,
        check: unique_constraint_blocks_writes,
    },
    Rule {
        id: "set-not-null-scans",
        backends: PG,
        why: "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE: reads and writes wait",
        safe: "ADD CONSTRAINT ... CHECK (column IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT; \
               then SET NOT NULL, which PostgreSQL 12+ proves from the check without a scan",
        up_only: false,
        check: set_not_null_scans,
    },
    Rule {
        id: "column-type-rewrites",
        backends: PG,
        why: "changing a column's type rewrites the table under an exclusive lock unless the \
              new type only widens the old one (varchar(n) to a longer varchar or text, \
              numeric(p,s) to a larger p)",
        safe: "expand/contract: add a column of the new type, backfill it in batches, switch \
               reads and writes, drop the old column later",
        up_only: false,
        check: column_type_rewrites,
    },
    Rule {
        id: "mysql-ddl-not-online",
        backends: MYSQL,
        why: "without ALGORITHM and LOCK, MySQL/MariaDB pick the algorithm themselves and may \
              copy the whole table while writes wait, without saying so",
        safe: "ask for ALGORITHM=INPLACE, LOCK=NONE (INSTANT for an added column), so that the \
               server refuses at once what it cannot do online; `tidemark_runtime::Online` does \
               it and says when it must fall back",
        up_only: false,
        check: mysql_ddl_not_online,
    },
    Rule {
        id: "missing-lock-timeout",
        backends: PG,
        why: "DDL waiting for its lock blocks every query queued behind it for as long as it \
              waits (9.1 s behind a 10 s reader, docs/locks.md)",
        safe: "SET LOCAL lock_timeout = '50ms' before the DDL and retry with backoff \
               (`tidemark_runtime::locked` does both)",
        up_only: false,
        check: missing_lock_timeout,
    },
    Rule {
        id: "not-null-column-without-default",
        backends: ALL,
        why: "ADD COLUMN ... NOT NULL without a default fails on a table that holds rows",
        safe: "add the column nullable, backfill it in batches, then make it NOT NULL \
               (`cargo run -- generate --autogenerate -m MSG --backfill TABLE.COLUMN=SQL`)",
        up_only: false,
        check: not_null_column_without_default,
    },
    Rule {
        id: "backfill-in-one-statement",
        backends: SERVERS,
        why: "one UPDATE over a table holds the lock of every row it changed until it commits: \
              writers to those rows wait for the whole statement (6.9 s for 2,000,000 rows, \
              docs/locks.md)",
        safe: "update in batches by key range, each committed (`Change::backfill`, run by `tidemark_runtime::Online`)",
        up_only: false,
        check: backfill_in_one_statement,
    },
    Rule {
        id: "destructive-step",
        backends: ALL,
        why: "dropping a table or column loses its data, and code still using it breaks at once",
        safe: "deploy code that no longer uses it first, then drop it in a later migration; \
               waive this rule in that migration with the reason",
        up_only: true,
        check: destructive_step,
    },
    Rule {
        id: "rename-breaks-running-code",
        backends: ALL,
        why: "a rename breaks every running instance of the old code at once",
        safe: "expand/contract: add the new name, write both, backfill, move reads, drop the \
               old name in a later migration; or deploy code and migration in one step and \
               waive this rule",
        up_only: true,
        check: rename_breaks_running_code,
    },
];

pub fn by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

pub struct Context {
    statements: Vec<Words>,
    /// The statements the tokenizer could not read, with its complaint (their words are
    /// empty, so no other rule sees them).
    unreadable: Vec<(usize, String)>,
    transactional: bool,
    /// Tables created by the statements before each one: new tables are empty and unused,
    /// so their DDL needs no care.
    created_before: Vec<BTreeSet<String>>,
}

impl Context {
    pub(super) fn new(recorded: &Recorded, backend: Backend) -> Context {
        let mut unreadable = Vec::new();
        let statements: Vec<Words> = recorded
            .statements
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Words::new(s, backend).unwrap_or_else(|e| {
                    unreadable.push((i, e));
                    Words::default()
                })
            })
            .collect();
        let mut created = BTreeSet::new();
        let mut created_before = Vec::with_capacity(statements.len());
        for words in &statements {
            created_before.push(created.clone());
            if let Some(table) = words.created_table() {
                created.insert(table);
            }
        }
        Context {
            statements,
            unreadable,
            transactional: recorded.transactional,
            created_before,
        }
    }

    /// The statements on tables that existed before the migration, with their table.
    fn on_existing_tables(&self) -> impl Iterator<Item = (usize, &Words, String)> {
        self.statements.iter().enumerate().filter_map(|(i, w)| {
            let table = w.table()?;
            (!self.created_before[i].contains(&table)).then_some((i, w, table))
        })
    }
}

fn unreadable_statement(cx: &Context) -> Vec<(usize, String)> {
    cx.unreadable
        .iter()
        .map(|(i, e)| (*i, format!("the SQL tokenizer stops: {e}")))
        .collect()
}

fn create_index_blocks_writes(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| w.starts(&["CREATE"]) && w.has(&["INDEX"]) && !w.has(&["CONCURRENTLY"]))
        .map(|(i, _, t)| (i, format!("writes to `{t}` wait while the index builds")))
        .collect()
}

fn drop_index_blocks_reads(cx: &Context) -> Vec<(usize, String)> {
    cx.statements
        .iter()
        .enumerate()
        .filter(|(_, w)| w.starts(&["DROP", "INDEX"]) && !w.has(&["CONCURRENTLY"]))
        .map(|(i, _)| (i, "the table is locked against reads and writes".to_owned()))
        .collect()
}

fn concurrently_in_transaction(cx: &Context) -> Vec<(usize, String)> {
    if !cx.transactional {
        return Vec::new();
    }
    cx.statements
        .iter()
        .enumerate()
        .filter(|(_, w)| w.has(&["CONCURRENTLY"]))
        .map(|(i, _)| (i, "the migration runs in a transaction".to_owned()))
        .collect()
}

fn foreign_key_validates_under_lock(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| {
            w.starts(&["ALTER", "TABLE"]) && w.has(&["FOREIGN", "KEY"]) && !w.has(&["NOT", "VALID"])
        })
        .map(|(i, _, t)| {
            (
                i,
                format!("every row of `{t}` is checked while writes to both tables wait"),
            )
        })
        .collect()
}

fn unique_constraint_blocks_writes(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| {
            w.starts(&["ALTER", "TABLE"])
                && w.has(&["ADD", "CONSTRAINT"])
                && w.has(&["UNIQUE"])
                && !w.has(&["USING", "INDEX"])
        })
        .map(|(i, _, t)| {
            (
                i,
                format!("writes to `{t}` wait while the unique index builds"),
            )
        })
        .collect()
}

fn set_not_null_scans(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| w.has(&["SET", "NOT", "NULL"]))
        .filter_map(|(i, w, t)| {
            let column = w.column_after(&["ALTER", "COLUMN"])?;
            let proven = cx.statements[..i]
                .iter()
                .any(|earlier| earlier.not_null_check_column().as_deref() == Some(column.as_str()))
                && cx.statements[..i]
                    .iter()
                    .any(|earlier| earlier.has(&["VALIDATE", "CONSTRAINT"]));
            (!proven).then(|| {
                (
                    i,
                    format!("`{t}.{column}` is checked row by row under ACCESS EXCLUSIVE"),
                )
            })
        })
        .collect()
}

fn column_type_rewrites(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter_map(|(i, w, t)| {
            let keywords: &[&str] = if w.has(&["MODIFY", "COLUMN"]) {
                &["MODIFY", "COLUMN"]
            } else if w.has(&["ALTER", "COLUMN"]) && w.has(&["TYPE"]) {
                &["ALTER", "COLUMN"]
            } else {
                return None;
            };
            let column = w.column_after(keywords)?;
            // A bare text or unbounded varchar takes any string without a rewrite.
            let widening = w.has(&["TYPE", "TEXT"]) || w.has(&["TYPE", "VARCHAR", "USING"]);
            (!widening).then(|| {
                (
                    i,
                    format!("`{t}.{column}` changes type: unless it only widens, every row is rewritten under the lock"),
                )
            })
        })
        .collect()
}

fn mysql_ddl_not_online(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| {
            (w.starts(&["ALTER", "TABLE"])
                || (w.starts(&["CREATE"]) && w.has(&["INDEX"]))
                || w.starts(&["DROP", "INDEX"]))
                && !w.has(&["ALGORITHM"])
        })
        .map(|(i, _, t)| (i, format!("`{t}` may be copied while writes wait")))
        .collect()
}

fn missing_lock_timeout(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| {
            w.starts(&["ALTER", "TABLE"])
                || (w.starts(&["CREATE"]) && w.has(&["INDEX"]) && !w.has(&["CONCURRENTLY"]))
        })
        .filter(|(i, _, _)| {
            !cx.statements[..*i]
                .iter()
                .any(|earlier| earlier.starts(&["SET"]) && earlier.has(&["LOCK_TIMEOUT"]))
        })
        .map(|(i, _, t)| (i, format!("a busy `{t}` makes this wait without bound")))
        .collect()
}

fn not_null_column_without_default(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| {
            w.starts(&["ALTER", "TABLE"])
                && w.has(&["ADD"])
                && w.has(&["NOT", "NULL"])
                && !w.has(&["DEFAULT"])
                && !w.has(&["CONSTRAINT"])
        })
        .map(|(i, _, t)| (i, format!("fails if `{t}` holds any row")))
        .collect()
}

fn backfill_in_one_statement(cx: &Context) -> Vec<(usize, String)> {
    cx.on_existing_tables()
        .filter(|(_, w, _)| w.starts(&["UPDATE"]) && !w.is_bounded())
        .map(|(i, _, t)| (i, format!("every row of `{t}` stays locked until the end")))
        .collect()
}

fn destructive_step(cx: &Context) -> Vec<(usize, String)> {
    cx.statements
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            if w.starts(&["DROP", "TABLE"]) {
                let t = w.name_after(2)?;
                // SQLite's rebuild drops the old table once its rows are in the new one.
                let rebuilt = cx.created_before[i].contains(&format!("{REBUILD_PREFIX}{t}"));
                return (!cx.created_before[i].contains(&t) && !rebuilt)
                    .then(|| (i, format!("table `{t}` and its rows are gone")));
            }
            let t = w.table()?;
            (w.starts(&["ALTER", "TABLE"])
                && w.has(&["DROP", "COLUMN"])
                && !cx.created_before[i].contains(&t))
            .then(|| {
                let column = w.column_after(&["DROP", "COLUMN"]).unwrap_or_default();
                (i, format!("column `{t}.{column}` and its values are gone"))
            })
        })
        .collect()
}

fn rename_breaks_running_code(cx: &Context) -> Vec<(usize, String)> {
    cx.statements
        .iter()
        .enumerate()
        .filter(|(i, w)| {
            // A table this migration created (SQLite's rebuild) has no code using it yet.
            let new_table = w
                .table()
                .is_some_and(|t| cx.created_before[*i].contains(&t));
            ((w.starts(&["ALTER", "TABLE"]) && w.has(&["RENAME"]))
                || w.starts(&["RENAME", "TABLE"]))
                && !new_table
        })
        .map(|(i, _)| {
            (
                i,
                "code using the old name fails from this moment".to_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(rule: &str, statements: &[&str], transactional: bool) -> bool {
        let recorded = Recorded {
            migration: "m".into(),
            down: false,
            transactional,
            statements: statements.iter().map(|s| s.to_string()).collect(),
        };
        let rule = by_id(rule).expect("known rule");
        // Each rule's statements are written in the SQL of the first backend it checks.
        !(rule.check)(&Context::new(&recorded, rule.backends[0])).is_empty()
    }

    /// Each rule fires on its bad form and stays quiet on its safe form.
    #[track_caller]
    fn bad_and_safe(rule: &str, bad: &[&str], safe: &[&str], transactional: bool) {
        assert!(
            fired(rule, bad, transactional),
            "{rule} is quiet on {bad:?}"
        );
        assert!(
            !fired(rule, safe, transactional),
            "{rule} fires on {safe:?}"
        );
    }

    #[test]
    fn every_rule_fires_on_its_bad_form_only() {
        let lock = r#"SET LOCAL lock_timeout = '50ms'"#;
        bad_and_safe(
            "create-index-blocks-writes",
            &[r#"CREATE INDEX "ix" ON "user" ("email")"#],
            &[
                r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix" ON "user" ("email")"#,
                r#"CREATE TABLE "new" ("id" integer)"#,
                r#"CREATE INDEX "new_ix" ON "new" ("id")"#,
            ],
            false,
        );
        bad_and_safe(
            "drop-index-blocks-reads",
            &[r#"DROP INDEX "ix""#],
            &[r#"DROP INDEX CONCURRENTLY IF EXISTS "ix""#],
            false,
        );
        bad_and_safe(
            "concurrently-in-transaction",
            &[r#"CREATE INDEX CONCURRENTLY "ix" ON "user" ("email")"#],
            &[r#"CREATE INDEX "ix" ON "user" ("email")"#],
            true,
        );
        bad_and_safe(
            "foreign-key-validates-under-lock",
            &[
                r#"ALTER TABLE "task" ADD CONSTRAINT "fk" FOREIGN KEY ("user_id") REFERENCES "user" ("id")"#,
            ],
            &[
                r#"ALTER TABLE "task" ADD CONSTRAINT "fk" FOREIGN KEY ("user_id") REFERENCES "user" ("id") NOT VALID"#,
                r#"ALTER TABLE "task" VALIDATE CONSTRAINT "fk""#,
            ],
            false,
        );
        bad_and_safe(
            "unique-constraint-blocks-writes",
            &[r#"ALTER TABLE "user" ADD CONSTRAINT "user_email_key" UNIQUE ("email")"#],
            &[
                r#"CREATE UNIQUE INDEX CONCURRENTLY "user_email_key" ON "user" ("email")"#,
                r#"ALTER TABLE "user" ADD CONSTRAINT "user_email_key" UNIQUE USING INDEX "user_email_key""#,
            ],
            false,
        );
        bad_and_safe(
            "set-not-null-scans",
            &[r#"ALTER TABLE "user" ALTER COLUMN "email" SET NOT NULL"#],
            &[
                r#"ALTER TABLE "user" ADD CONSTRAINT "user_email_not_null" CHECK ("email" IS NOT NULL) NOT VALID"#,
                r#"ALTER TABLE "user" VALIDATE CONSTRAINT "user_email_not_null""#,
                r#"ALTER TABLE "user" ALTER COLUMN "email" SET NOT NULL"#,
            ],
            false,
        );
        bad_and_safe(
            "column-type-rewrites",
            &[r#"ALTER TABLE "item" ALTER COLUMN "qty" TYPE bigint USING "qty"::bigint"#],
            &[r#"ALTER TABLE "item" ALTER COLUMN "note" TYPE text USING "note"::text"#],
            false,
        );
        bad_and_safe(
            "mysql-ddl-not-online",
            &["ALTER TABLE `user` ADD COLUMN `bio` text"],
            &[
                "ALTER TABLE `user` ADD COLUMN `bio` text, ALGORITHM=INSTANT",
                "CREATE INDEX `ix` ON `user` (`bio`) ALGORITHM=INPLACE LOCK=NONE",
            ],
            false,
        );
        bad_and_safe(
            "missing-lock-timeout",
            &[r#"ALTER TABLE "user" ADD COLUMN "bio" text"#],
            &[lock, r#"ALTER TABLE "user" ADD COLUMN "bio" text"#],
            false,
        );
        bad_and_safe(
            "not-null-column-without-default",
            &[r#"ALTER TABLE "user" ADD COLUMN "code" varchar NOT NULL"#],
            &[
                r#"ALTER TABLE "user" ADD COLUMN "code" varchar NOT NULL DEFAULT ''"#,
                r#"ALTER TABLE "user" ADD COLUMN "bio" text"#,
            ],
            false,
        );
        bad_and_safe(
            "backfill-in-one-statement",
            &[r#"UPDATE "user" SET "code" = lower("email") WHERE "code" IS NULL"#],
            &[
                r#"UPDATE "user" SET "code" = lower("email") WHERE "id" >= 1 AND "id" < 1001 AND "code" IS NULL"#,
                r#"UPDATE "user" SET "code" = 'x' WHERE ctid IN (SELECT ctid FROM "user" WHERE "code" IS NULL LIMIT 1000)"#,
            ],
            false,
        );
        bad_and_safe(
            "destructive-step",
            &[r#"ALTER TABLE "user" DROP COLUMN "legacy""#],
            &[r#"ALTER TABLE "user" ADD COLUMN "legacy" text"#],
            false,
        );
        bad_and_safe(
            "unreadable-statement",
            &[r#"UPDATE "user" SET "note" = 'never closed"#],
            &[r#"UPDATE "user" SET "note" = $$ 'inside $$ WHERE "id" < 5 -- it's a comment"#],
            false,
        );
        bad_and_safe(
            "rename-breaks-running-code",
            &[r#"ALTER TABLE "user" RENAME COLUMN "name" TO "full_name""#],
            &[r#"ALTER TABLE "user" ADD COLUMN "full_name" text"#],
            false,
        );
    }

    #[test]
    fn every_rule_has_a_test() {
        let source = include_str!("rules.rs");
        for rule in RULES {
            let bad_and_safe_call = format!("bad_and_safe(\n            \"{}\"", rule.id);
            assert!(
                source.contains(&bad_and_safe_call),
                "rule {} has no bad/safe test",
                rule.id
            );
        }
    }
}
