//! `--format json`: what each reporting command found, as one JSON object on standard output,
//! for CI bots. The schema is documented in docs/json.md; `FORMAT` changes when a field
//! changes meaning or goes away (new fields may appear without it).

use crate::backend::Backend;
use crate::generate::{Generated, Outcome, Pending};
use crate::workspace::Workspace;
use serde_json::{Value, json};

/// The version of the schema docs/json.md describes.
pub(super) const FORMAT: u32 = 1;

/// The envelope every command's object shares: `format`, `command`, `exit` (the process's
/// exit code), then the command's own fields.
pub(super) fn envelope(command: &str, exit: u8, fields: Value) -> Value {
    let mut object = json!({ "format": FORMAT, "command": command, "exit": exit });
    if let (Some(out), Value::Object(fields)) = (object.as_object_mut(), fields) {
        out.extend(fields);
    }
    object
}

/// A command that stopped with an error (exit 2).
pub(super) fn error(command: &str, message: &str) -> Value {
    envelope(command, 2, json!({ "error": message }))
}

pub(super) fn backend(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "postgres",
        Backend::Mysql => "mysql",
        Backend::Sqlite => "sqlite",
    }
}

/// `check` and `diff`: the pending changes, typed (as the snapshot's model names them) and in
/// words.
pub(super) fn pending(pending: &Pending) -> Value {
    json!({
        "changes": pending.changes,
        "summary": pending.summary(),
    })
}

/// `generate`: the migration written (or, with `--dry-run`, its source), its changes and plan.
pub(super) fn generated(ws: &Workspace, outcome: &Outcome, plan: Vec<String>) -> Value {
    let Outcome::Generated(g) = outcome else {
        return json!({ "written": false, "no_changes": true });
    };
    let Generated {
        module,
        source,
        summary,
        lossy_down,
        written,
        phased,
        ..
    } = g.as_ref();
    json!({
        "written": written,
        "no_changes": false,
        "migration": module,
        "file": written.then(|| ws.display(&ws.migration_file(module)).to_string()),
        "source": (!written).then_some(source),
        "changes": summary,
        "lossy_down": lossy_down,
        "plan": plan,
        "phased": phased.as_ref().map(super::report::phased_report),
    })
}

/// `lint`: every finding with its rule, the waivers that waive nothing valid, and those that do.
pub(super) fn lint(report: &crate::lint::Report, on: Backend) -> Value {
    let direction = |down: bool| if down { "down" } else { "up" };
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "migration": f.migration,
                "direction": direction(f.down),
                "rule": f.rule.id,
                "statement": f.statement,
                "detail": f.detail,
                "why": f.rule.why,
                "safe": f.rule.safe,
            })
        })
        .collect();
    let waived: Vec<Value> = report
        .waived
        .iter()
        .map(|(migration, w)| {
            json!({
                "migration": migration,
                "rule": w.rule,
                "reason": w.reason,
                "direction": w.down.map_or("both", direction),
            })
        })
        .collect();
    json!({
        "backend": backend(on),
        "checked": report.checked,
        "findings": findings,
        "invalid_waivers": report.bad_waivers,
        "waived": waived,
    })
}

/// `lint --rules`.
pub(super) fn rules() -> Value {
    let rules: Vec<Value> = crate::lint::RULES
        .iter()
        .map(|r| {
            let on: Vec<&str> = r.backends.iter().map(|b| backend(*b)).collect();
            json!({ "id": r.id, "backends": on, "why": r.why, "safe": r.safe })
        })
        .collect();
    json!({ "rules": rules })
}

/// `preflight`: per pending migration, each check with its level and the query listing the
/// rows at fault.
pub(super) fn preflight(report: &crate::preflight::Preflight) -> Value {
    use crate::preflight::Level;
    let level = |l: Level| match l {
        Level::Ok => "ok",
        Level::Warning => "warning",
        Level::Problem => "problem",
    };
    let migrations: Vec<Value> = report
        .pending
        .iter()
        .map(|m| {
            let findings: Vec<Value> = m
                .findings
                .iter()
                .map(|f| json!({ "level": level(f.level), "text": f.text, "query": f.query }))
                .collect();
            json!({ "migration": m.migration, "findings": findings })
        })
        .collect();
    let problems = report
        .pending
        .iter()
        .flat_map(|m| &m.findings)
        .filter(|f| f.level == Level::Problem)
        .count();
    json!({
        "backend": backend(report.backend),
        "problems": problems,
        "migrations": migrations,
    })
}

/// `drift`: the differences from the snapshot of the last migration the database applied.
pub(super) fn drift(drift: &crate::verify::Drift, wrote: Option<String>) -> Value {
    json!({
        "backend": backend(drift.backend),
        "applied": drift.applied,
        "drifted": !drift.differences.is_empty(),
        "differences": drift.differences,
        "wrote": wrote,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::{Finding, Level, MigrationCheck, Preflight};

    #[test]
    fn every_object_starts_with_the_envelope() {
        let object = envelope("check", 1, json!({ "in_sync": false }));
        let keys: Vec<&String> = object.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["format", "command", "exit", "in_sync"]);
        assert_eq!(error("drift", "no database")["error"], "no database");
    }

    #[test]
    fn lint_findings_carry_their_rule() {
        let rule = &crate::lint::RULES[0];
        let report = crate::lint::Report {
            checked: 2,
            findings: vec![crate::lint::Finding {
                rule,
                migration: "m1".into(),
                down: true,
                statement: "CREATE INDEX i ON t (c)".into(),
                detail: "on `t`".into(),
            }],
            bad_waivers: vec!["m2: no reason".into()],
            waived: vec![(
                "m3".into(),
                crate::lint::Waiver {
                    rule: rule.id.into(),
                    reason: "small table".into(),
                    down: None,
                },
            )],
        };
        let object = lint(&report, Backend::Mysql);
        assert_eq!(object["backend"], "mysql");
        assert_eq!(object["findings"][0]["rule"], rule.id);
        assert_eq!(object["findings"][0]["direction"], "down");
        assert_eq!(object["findings"][0]["safe"], rule.safe);
        assert_eq!(object["invalid_waivers"][0], "m2: no reason");
        assert_eq!(object["waived"][0]["direction"], "both");
    }

    #[test]
    fn preflight_counts_problems() {
        let finding = |level, query: Option<&str>| Finding {
            level,
            text: "3 rows are NULL".into(),
            query: query.map(str::to_owned),
        };
        let report = Preflight {
            backend: Backend::Postgres,
            pending: vec![MigrationCheck {
                migration: "m1".into(),
                findings: vec![
                    finding(Level::Problem, Some("SELECT 1")),
                    finding(Level::Warning, None),
                ],
            }],
        };
        let object = preflight(&report);
        assert_eq!(object["problems"], 1);
        assert_eq!(object["migrations"][0]["findings"][0]["level"], "problem");
        assert_eq!(object["migrations"][0]["findings"][0]["query"], "SELECT 1");
        assert_eq!(object["migrations"][0]["findings"][1]["query"], Value::Null);
    }

    #[test]
    fn drift_says_whether_it_drifted() {
        let found = crate::verify::Drift {
            applied: "m1".into(),
            backend: Backend::Sqlite,
            live: Default::default(),
            differences: vec!["Drop column `t.x`".into()],
        };
        let object = drift(&found, Some("migration/src/m2.rs".into()));
        assert_eq!(
            (object["drifted"].as_bool(), object["wrote"].as_str()),
            (Some(true), Some("migration/src/m2.rs"))
        );
    }
}
