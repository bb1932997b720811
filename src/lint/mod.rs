//! `lint`: checks what a migration runs, from its SQL, against named rules.
//!
//! The SQL comes from the migration itself, run against a recording connection (the same
//! preview `tidemark sql` prints), so hand-written migrations are checked like generated
//! ones. A rule is waived for one migration by a comment in its file that keeps the reason:
//!
//! ```text
//! // tidemark-lint: allow create-index-blocks-writes -- `country` holds 250 rows
//! ```

mod rules;
mod sql;

pub use rules::{RULES, Rule};

use crate::backend::Backend;
use crate::migrator::Recorded;

/// A rule that fired, with the statement that made it fire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub migration: String,
    pub down: bool,
    pub statement: String,
    /// The rule's explanation, made concrete (the table, the column).
    pub detail: String,
}

/// A rule waived in a migration's file, for both directions or, with `RULE (up)` or
/// `RULE (down)`, for one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub rule: String,
    pub reason: String,
    /// `Some(true)` for `down` only, `Some(false)` for `up` only.
    pub down: Option<bool>,
}

/// The comment that waives `rule` for a migration.
pub const WAIVER_PREFIX: &str = "// tidemark-lint: allow ";

/// The waivers in a migration's source, and the malformed ones (no reason, unknown rule).
pub fn waivers(source: &str) -> (Vec<Waiver>, Vec<String>) {
    let mut found = Vec::new();
    let mut malformed = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.trim_start().strip_prefix(WAIVER_PREFIX) else {
            continue;
        };
        let (names, reason) = match rest.split_once(" -- ") {
            Some((names, reason)) if !reason.trim().is_empty() => (names, reason.trim()),
            _ => {
                malformed.push(format!(
                    "`{}` gives no reason: write `-- why` after the rule names",
                    line.trim()
                ));
                continue;
            }
        };
        for entry in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let (name, down) = match entry.split_once(' ') {
                Some((name, "(up)")) => (name, Some(false)),
                Some((name, "(down)")) => (name, Some(true)),
                Some(_) => {
                    malformed.push(format!(
                        "`{entry}`: a rule name may be followed by (up) or (down) only"
                    ));
                    continue;
                }
                None => (entry, None),
            };
            if rules::by_id(name).is_none() {
                malformed.push(format!(
                    "`{name}` is not a lint rule (see `cargo run -- lint --rules`)"
                ));
                continue;
            }
            found.push(Waiver {
                rule: name.to_owned(),
                reason: reason.to_owned(),
                down,
            });
        }
    }
    (found, malformed)
}

/// Checks one recorded direction of a migration on `backend`; waived rules stay quiet.
pub fn check(recorded: &Recorded, backend: Backend, waived: &[Waiver]) -> Vec<Finding> {
    let context = rules::Context::new(recorded, backend);
    let mut findings = Vec::new();
    for rule in RULES {
        if !rule.backends.contains(&backend)
            || (rule.up_only && recorded.down)
            || waived
                .iter()
                .any(|w| w.rule == rule.id && w.down.is_none_or(|d| d == recorded.down))
        {
            continue;
        }
        for (index, detail) in (rule.check)(&context) {
            findings.push(Finding {
                rule,
                migration: recorded.migration.clone(),
                down: recorded.down,
                statement: recorded.statements[index].clone(),
                detail,
            });
        }
    }
    findings.sort_by_key(|f| {
        recorded
            .statements
            .iter()
            .position(|s| *s == f.statement)
            .unwrap_or(usize::MAX)
    });
    findings
}

/// The tables a migration's statements change that it did not create itself.
pub fn touched_tables(recorded: &Recorded, backend: Backend) -> std::collections::BTreeSet<String> {
    let mut created = std::collections::BTreeSet::new();
    let mut touched = std::collections::BTreeSet::new();
    for statement in &recorded.statements {
        // An unreadable statement is lint's `unreadable-statement` finding.
        let Ok(words) = sql::Words::new(statement, backend) else {
            continue;
        };
        if let Some(table) = words.created_table() {
            created.insert(table);
        } else if let Some(table) = words.table()
            && !created.contains(&table)
        {
            touched.insert(table);
        }
    }
    touched
}

/// The table a statement changes, if it names one (`ALTER TABLE`, `UPDATE`, `CREATE INDEX`).
pub fn statement_table(statement: &str, backend: Backend) -> Option<String> {
    sql::Words::new(statement, backend).ok()?.table()
}

/// A finding for a person: rule, statement, why it hurts, the safe form, how to waive it.
pub fn render(finding: &Finding, backend: Backend) -> String {
    let direction = if finding.down { "down" } else { "up" };
    let mut statement = finding.statement.clone();
    if statement.chars().count() > 160 {
        statement = statement.chars().take(157).collect::<String>() + "...";
    }
    format!(
        "{} ({direction}, {}): {}\n  {statement}\n  why:  {}\n  safe: {}\n  waive: {}{} -- <reason>",
        finding.migration,
        backend.name(),
        finding.rule.id,
        finding.detail,
        finding.rule.safe,
        WAIVER_PREFIX,
        finding.rule.id
    )
}

/// What `lint` found over a workspace's migrations.
#[derive(Debug, Default)]
pub struct Report {
    pub checked: usize,
    pub findings: Vec<Finding>,
    /// Waivers that waive nothing valid: no reason, unknown rule.
    pub bad_waivers: Vec<String>,
    /// Rules waived, with their reasons, per migration: they stay visible.
    pub waived: Vec<(String, Waiver)>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.bad_waivers.is_empty()
    }
}

/// Lints every registered migration, or only `name`, as it runs on `backend`.
pub fn lint(
    ws: &crate::workspace::Workspace,
    name: Option<&str>,
    backend: Backend,
) -> crate::Result<Report> {
    let mut report = Report::default();
    let recorded = crate::migrator::recorded_sql(ws, name, backend)?;
    let mut seen = std::collections::BTreeSet::new();
    for direction in &recorded {
        let path = ws.migration_file(&direction.migration);
        // A migration kept outside the crate's `src/` has no file here, and so no waivers.
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(crate::Error::Io { path, source: e }),
        };
        let (waived, malformed) = waivers(&source);
        if seen.insert(direction.migration.clone()) {
            report.checked += 1;
            for bad in malformed {
                report
                    .bad_waivers
                    .push(format!("{}: {bad}", ws.display(&path)));
            }
            for w in &waived {
                report.waived.push((direction.migration.clone(), w.clone()));
            }
        }
        report.findings.extend(check(direction, backend, &waived));
    }
    Ok(report)
}
