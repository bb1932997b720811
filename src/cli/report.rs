//! What `generate` and `preflight` print: the plan, the rollout order, the checks.

use crate::error::Result;
use crate::generate;
use std::io::Write;

pub(super) fn print_preflight(report: &crate::preflight::Preflight) -> Result<()> {
    use crate::preflight::Level;
    if report.pending.is_empty() {
        say!("No pending migrations: nothing to check.");
        return Ok(());
    }
    say!(
        "Preflight of {} pending migration(s) on {} (read-only):",
        report.pending.len(),
        report.backend.name()
    );
    let mut problems = 0;
    for check in &report.pending {
        say!("{}", check.migration);
        for finding in &check.findings {
            let tag = match finding.level {
                Level::Ok => "ok     ",
                Level::Warning => "warning",
                Level::Problem => "PROBLEM",
            };
            problems += usize::from(finding.level == Level::Problem);
            say!("  {tag} {}", finding.text);
            if let Some(query) = &finding.query {
                say!("          list them: {query}");
            }
        }
    }
    if problems > 0 {
        say!("{problems} problem(s): these migrations would fail on this data; fix it first.");
    } else {
        say!("No problem found in the data.");
    }
    Ok(())
}

/// Expand, move the code, contract: the deploy order between the two migrations.
pub(super) fn phased_report(phased: &generate::Phased) -> Vec<String> {
    let mut steps = vec![
        "Apply this migration (`cargo run -p migration -- up`); the old code keeps working."
            .to_owned(),
    ];
    if !phased.code_steps.is_empty() {
        steps.push(format!(
            "Deploy code that: {}. Let every old instance drain.",
            phased.code_steps.join("; ")
        ));
    }
    let consent = if phased.contract_destroys {
        " --allow-destructive"
    } else {
        ""
    };
    let refill = if phased.copies.is_empty() {
        ""
    } else {
        " (rows the old code wrote meanwhile get the new column from the old one)"
    };
    steps.push(format!(
        "Then write the contract: `cargo run -- generate --autogenerate -m \"contract\"{consent}`{refill}. It will:"
    ));
    let contract_at = steps.len();
    steps.push(if phased.with_contract.is_empty() {
        "Apply the contract. Until then `check` reports it as deferred, not drift.".to_owned()
    } else {
        format!(
            "Apply the contract and, in the same release, deploy code that: {}. Until then \
             `check` reports it as deferred, not drift.",
            phased.with_contract.join("; ")
        )
    });
    let mut lines = vec![
        "Phased (expand/contract): this is the expand migration; the contract waits.".to_owned(),
    ];
    for (i, text) in steps.iter().enumerate() {
        lines.push(format!("  {}. {text}", i + 1));
        if i + 1 == contract_at {
            lines.extend(phased.contract.iter().map(|c| format!("       - {c}")));
        }
    }
    lines
}

/// The plan on `backend` and the rollout order.
pub(super) fn plan_report(
    g: &generate::Generated,
    backend: crate::backend::Backend,
) -> Vec<String> {
    let Some(plan) = &g.plan else {
        return Vec::new();
    };
    let mut lines = crate::report::plan_lines(plan, backend);
    lines.extend(crate::report::rollout_lines(&g.changes, &g.schema));
    lines
}
