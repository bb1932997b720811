//! One function a command: each calls the library and tells a person what happened.

use super::args::{BackendArg, Format, GenerateArgs, RenameArgs};
use super::json;
use super::report::{phased_report, plan_report, print_preflight};
use super::runtime;
use crate::diff::Renames;
use crate::error::{Error, Result};
use crate::extract::EntitySet;
use crate::generate::{self, GenerateOptions, NoTerminal, Outcome, Questioner};
use crate::plan::{Backfills, Safety};
use crate::workspace::Workspace;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Prints `command`'s JSON object and passes its exit code on.
fn print_json(command: &str, exit: u8, fields: serde_json::Value) -> Result<ExitCode> {
    let object = json::envelope(command, exit, fields);
    say!(
        "{}",
        serde_json::to_string_pretty(&object).expect("a JSON value always serialises")
    );
    Ok(ExitCode::from(exit))
}

fn exit_code(found: bool) -> u8 {
    u8::from(found)
}

/// `generate`: the next migration, written and registered.
pub(super) fn generate(
    ws: &Workspace,
    entities: &EntitySet,
    args: GenerateArgs,
    format: Format,
) -> Result<ExitCode> {
    let mut backfills = Backfills::new();
    for (key, sql) in args.backfills {
        if backfills.insert(key.clone(), sql).is_some() {
            return Err(Error::InvalidArgument {
                flag: "--backfill",
                value: format!("{}.{}", key.0, key.1),
                reason: "given twice".into(),
            });
        }
    }
    let conversions = conversions(args.conversions, args.convert_down)?;
    let opts = GenerateOptions {
        message: args.message,
        autogenerate: args.autogenerate,
        renames: args.renames.renames(),
        backfills,
        conversions,
        allow_destructive: args.allow_destructive,
        safety: if args.unsafe_ddl {
            Safety::Naive
        } else {
            Safety::Online
        },
        phased: args.phased,
        dry_run: args.dry_run,
        now: chrono::Utc::now().naive_utc(),
    };
    let backend = args.backend.into();
    if let Format::Json = format {
        // A bot cannot answer a question: a likely rename is reported, not asked.
        let outcome = generate::generate(ws, entities, &opts, &mut NoTerminal)?;
        let plan = match &outcome {
            Outcome::Generated(g) => plan_report(g, backend),
            Outcome::NoChanges => Vec::new(),
        };
        return print_json("generate", 0, json::generated(ws, &outcome, plan));
    }
    let mut asker = questioner();
    match generate::generate(ws, entities, &opts, asker.as_mut())? {
        Outcome::NoChanges => {
            say!("No changes detected");
        }
        Outcome::Generated(g) if !g.written => {
            write!(std::io::stdout(), "{}", g.source).map_err(Error::io("standard output"))?;
            for line in plan_report(&g, backend) {
                eprintln!("{line}");
            }
        }
        Outcome::Generated(g) => {
            say!("Migrations for 'migration':");
            say!("  {}", ws.display(&ws.migration_file(&g.module)));
            if g.summary.is_empty() {
                say!("    - Empty migration: fill in `up` and `down` by hand, then record it as");
                say!("      written with `cargo run -- rehash`, and what it makes beyond the");
                say!("      entities with `cargo run -- record`");
            }
            let shown = if g.summary.len() > crate::report::LONG_PLAN {
                10
            } else {
                g.summary.len()
            };
            for line in &g.summary[..shown] {
                say!("    - {line}");
            }
            if shown < g.summary.len() {
                say!(
                    "    - and {} more, listed at the top of the file",
                    g.summary.len() - shown
                );
            }
            if !g.lossy_down.is_empty() {
                say!("  `down` restores the schema but not all data:");
                for line in &g.lossy_down {
                    say!("    - {line}");
                }
            }
            for line in plan_report(&g, backend) {
                say!("{line}");
            }
            if let Some(phased) = &g.phased {
                for line in phased_report(phased) {
                    say!("{line}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            say!("Apply it with `cargo run -p migration -- up`; roll back with `down -n 1`.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Pairs each `--convert` with its `--convert-down`.
fn conversions(
    up: Vec<((String, String), String)>,
    down: Vec<((String, String), String)>,
) -> Result<crate::plan::Conversions> {
    let mut downs: std::collections::BTreeMap<_, _> = std::collections::BTreeMap::new();
    for (key, sql) in down {
        if downs.insert(key.clone(), sql).is_some() {
            return Err(Error::InvalidArgument {
                flag: "--convert-down",
                value: format!("{}.{}", key.0, key.1),
                reason: "given twice".into(),
            });
        }
    }
    let mut conversions = crate::plan::Conversions::new();
    for (key, sql) in up {
        let Some(down) = downs.remove(&key) else {
            return Err(Error::InvalidArgument {
                flag: "--convert",
                value: format!("{}.{}={sql}", key.0, key.1),
                reason: format!(
                    "`down` needs the inverse to give the column its values back: add \
                     --convert-down {}.{}=SQL",
                    key.0, key.1
                ),
            });
        };
        let conversion = crate::model::Conversion { up: sql, down };
        if conversions.insert(key.clone(), conversion).is_some() {
            return Err(Error::InvalidArgument {
                flag: "--convert",
                value: format!("{}.{}", key.0, key.1),
                reason: "given twice".into(),
            });
        }
    }
    if let Some(((table, column), sql)) = downs.into_iter().next() {
        return Err(Error::InvalidArgument {
            flag: "--convert-down",
            value: format!("{table}.{column}={sql}"),
            reason: format!("no --convert {table}.{column}=SQL goes with it"),
        });
    }
    Ok(conversions)
}

/// `check`: exit 1 and list the changes when the entities differ from the snapshot.
pub(super) fn check(
    ws: &Workspace,
    entities: &EntitySet,
    renames: RenameArgs,
    format: Format,
) -> Result<ExitCode> {
    let pending = generate::pending(ws, entities, &renames.renames(), &mut NoTerminal)?;
    if let Format::Json = format {
        let deferred = generate::deferred_contract(ws)?;
        let only_deferred = !pending.changes.is_empty() && pending.only_deferred(&deferred);
        let in_sync = pending.changes.is_empty() || only_deferred;
        let mut fields = json::pending(&pending);
        fields["in_sync"] = in_sync.into();
        fields["deferred_contract"] = only_deferred.into();
        fields["snapshot"] = ws.display(&ws.snapshot()).to_string().into();
        return print_json("check", exit_code(!in_sync), fields);
    }
    if pending.changes.is_empty() {
        say!(
            "In sync: the entities match {}.",
            ws.display(&ws.snapshot())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let deferred = generate::deferred_contract(ws)?;
    let summary = pending.summary();
    if pending.only_deferred(&deferred) {
        say!("In sync but for the contract that `--phased` deferred:");
        for line in &summary {
            say!("  - {line}");
        }
        say!(
            "Write it once no running code uses the old schema: `cargo run -- generate \
             --autogenerate -m \"contract\" --allow-destructive`."
        );
        return Ok(ExitCode::SUCCESS);
    }
    if ws.snapshot().exists() {
        say!("The entities differ from {}:", ws.display(&ws.snapshot()));
    } else {
        say!(
            "No migration recorded a schema yet ({} does not exist): every table is \
             pending:",
            ws.display(&ws.snapshot())
        );
    }
    for line in pending.summary() {
        say!("  - {line}");
    }
    say!("Run `cargo run -- generate --autogenerate -m \"...\"` to write the migration.");
    Ok(ExitCode::from(1))
}

/// `diff`: the pending changes, as text or JSON.
pub(super) fn diff(
    ws: &Workspace,
    entities: &EntitySet,
    renames: RenameArgs,
    format: Format,
) -> Result<ExitCode> {
    let pending = generate::pending(ws, entities, &renames.renames(), &mut NoTerminal)?;
    match format {
        Format::Json => {
            let found = exit_code(!pending.changes.is_empty());
            return print_json("diff", found, json::pending(&pending));
        }
        Format::Text if pending.changes.is_empty() => say!("No changes detected"),
        Format::Text => {
            for line in pending.summary() {
                say!("- {line}");
            }
        }
    }
    // The contract of every reporting command: 1 when it found something.
    Ok(if pending.changes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `record`: what hand-written migrations add, into their snapshots.
pub(super) fn record(ws: &Workspace, database_url: Option<String>) -> Result<ExitCode> {
    let mut stdout = std::io::stdout();
    let changed = runtime()?.block_on(crate::verify::record(
        ws,
        database_url.as_deref(),
        &mut stdout,
    ))?;
    if changed.is_empty() {
        say!("Nothing new: every snapshot already records what its migration adds.");
    } else {
        say!(
            "Recorded in {} snapshot(s); `verify` and `drift` now leave those objects alone.",
            changed.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `verify`: every migration up and down on a scratch database.
pub(super) fn verify(
    ws: &Workspace,
    database_url: Option<String>,
    format: Format,
) -> Result<ExitCode> {
    if let Format::Json = format {
        // Each migration's line still goes out as it happens, on standard error.
        let mut lines = Progress::default();
        let ok = runtime()?.block_on(crate::verify::verify(
            ws,
            database_url.as_deref(),
            &mut lines,
        ))?;
        let fields = serde_json::json!({ "ok": ok, "lines": lines.lines() });
        return print_json("verify", exit_code(!ok), fields);
    }
    let mut stdout = std::io::stdout();
    let ok = runtime()?.block_on(crate::verify::verify(
        ws,
        database_url.as_deref(),
        &mut stdout,
    ))?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `sql`: the SQL one migration runs on a backend.
pub(super) fn sql(
    ws: &Workspace,
    name: Option<String>,
    down: bool,
    backend: BackendArg,
) -> Result<ExitCode> {
    let backend = backend.into();
    write!(
        std::io::stdout(),
        "{}",
        crate::migrator::sql(ws, name.as_deref(), down, backend)?
    )
    .map_err(Error::io("standard output"))?;
    Ok(ExitCode::SUCCESS)
}

/// `drift`: a live database against its last snapshot, and optionally the migration back.
pub(super) fn drift(
    ws: &Workspace,
    database_url: String,
    write_migration: bool,
    message: Option<String>,
    allow_destructive: bool,
    format: Format,
) -> Result<ExitCode> {
    let drift = runtime()?.block_on(crate::verify::drift(ws, &database_url))?;
    if let Format::Json = format {
        let wrote = match write_migration && !drift.differences.is_empty() {
            true => reconcile(ws, &drift, message, allow_destructive)?,
            false => None,
        };
        let drifted = exit_code(!drift.differences.is_empty());
        return print_json("drift", drifted, json::drift(&drift, wrote));
    }
    if drift.differences.is_empty() {
        say!(
            "No drift: the database matches the snapshot of `{}`.",
            drift.applied
        );
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "The database drifted from the snapshot of `{}` (its last applied migration).",
        drift.applied
    );
    say!("To bring it back to the snapshot:");
    for d in &drift.differences {
        say!("  - {d}");
    }
    if write_migration && let Some(file) = reconcile(ws, &drift, message, allow_destructive)? {
        say!("Wrote {file}; apply it with `cargo run -p migration -- up`.");
    }
    Ok(ExitCode::from(1))
}

/// `drift --write-migration`: the migration back to the snapshot; the file it wrote.
fn reconcile(
    ws: &Workspace,
    drift: &crate::verify::Drift,
    message: Option<String>,
    allow_destructive: bool,
) -> Result<Option<String>> {
    let opts = GenerateOptions {
        message: message.unwrap_or_default(),
        autogenerate: true,
        renames: Renames::default(),
        backfills: Backfills::new(),
        conversions: Default::default(),
        allow_destructive,
        safety: Default::default(),
        phased: false,
        dry_run: false,
        now: chrono::Utc::now().naive_utc(),
    };
    Ok(
        match generate::reconcile(ws, &drift.live, &drift.applied, drift.backend, &opts)? {
            Outcome::Generated(g) => Some(ws.display(&ws.migration_file(&g.module)).to_string()),
            Outcome::NoChanges => None,
        },
    )
}

/// `lint`: the named rules over what migrations run.
pub(super) fn lint(
    ws: &Workspace,
    name: Option<String>,
    backend: BackendArg,
    rules: bool,
    format: Format,
) -> Result<ExitCode> {
    let backend: crate::backend::Backend = backend.into();
    if let Format::Json = format {
        if rules {
            return print_json("lint", 0, json::rules());
        }
        let report = crate::lint::lint(ws, name.as_deref(), backend)?;
        return print_json(
            "lint",
            exit_code(!report.is_clean()),
            json::lint(&report, backend),
        );
    }
    if rules {
        for rule in crate::lint::RULES {
            let on: Vec<&str> = rule.backends.iter().map(|b| b.name()).collect();
            say!(
                "{} ({})\n  why:  {}\n  safe: {}",
                rule.id,
                on.join(", "),
                rule.why,
                rule.safe
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = crate::lint::lint(ws, name.as_deref(), backend)?;
    for finding in &report.findings {
        say!("{}\n", crate::lint::render(finding, backend));
    }
    for bad in &report.bad_waivers {
        say!("invalid waiver: {bad}\n");
    }
    for (migration, w) in &report.waived {
        say!("waived in {migration}: {} -- {}", w.rule, w.reason);
    }
    say!(
        "{} migration(s) checked on {}: {} finding(s)",
        report.checked,
        backend.name(),
        report.findings.len() + report.bad_waivers.len()
    );
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `preflight`: the pending migrations against a live database's data.
pub(super) fn preflight(ws: &Workspace, database_url: String, format: Format) -> Result<ExitCode> {
    let report = runtime()?.block_on(crate::preflight::preflight(ws, &database_url))?;
    if let Format::Json = format {
        let problems = exit_code(report.has_problems());
        return print_json("preflight", problems, json::preflight(&report));
    }
    print_preflight(&report)?;
    Ok(if report.has_problems() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `merge`: two branches' migrations in one chain.
pub(super) fn merge(ws: &Workspace) -> Result<ExitCode> {
    match crate::chain::merge(ws)? {
        None => say!("The history is one chain already: nothing to merge."),
        Some(merged) => {
            say!(
                "Merged after `{}`: yours first ({}), then theirs ({}), whose snapshots \
                 now hold yours too.",
                merged.parent,
                merged.ours.join(", "),
                merged.theirs.join(", ")
            );
            say!(
                "Next: `git add migration/` to finish the merge, `cargo run -- check`, \
                 `cargo run -- verify`. A database that applied theirs but not yours \
                 rolls theirs back first (`cargo run -p migration -- down`)."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `squash`: the first migrations replaced by one.
pub(super) fn squash(ws: &Workspace, count: usize, message: String) -> Result<ExitCode> {
    let mut stdout = std::io::stdout();
    let squashed = runtime()?.block_on(crate::squash::squash(ws, count, &message, &mut stdout))?;
    say!(
        "Wrote {} in place of {}; a database that applied those records it in their \
         place at its next `up`. Their files and snapshots are gone (git keeps them).",
        ws.display(&ws.migration_file(&squashed.module)),
        squashed.replaced.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// `rehash`: the registered migrations recorded as they are in tidemark.sum.
pub(super) fn rehash(ws: &Workspace) -> Result<ExitCode> {
    let lib = std::fs::read_to_string(ws.lib_rs()).map_err(crate::error::Error::io(ws.lib_rs()))?;
    let registered = crate::registry::registered(&lib, &ws.lib_rs())?;
    let sum = crate::integrity::compute(ws, &registered)?;
    crate::write::write_all(&[(crate::integrity::path(ws), sum.render())])?;
    say!(
        "Recorded {} migration(s) as they are now in {}.",
        registered.len(),
        ws.display(&crate::integrity::path(ws))
    );
    Ok(ExitCode::SUCCESS)
}

/// `baseline`: the entities recorded as what the existing migrations make.
pub(super) fn baseline(ws: &Workspace, entities: &EntitySet) -> Result<ExitCode> {
    let module = generate::baseline(ws, entities)?;
    say!(
        "Recorded the entities as the schema after `{module}` in {}.",
        ws.display(&ws.snapshot())
    );
    Ok(ExitCode::SUCCESS)
}

/// `init`: what was written, where the baseline came from, and what to run next.
pub(super) fn init(ws: &Workspace, options: &crate::init::InitOptions) -> Result<ExitCode> {
    let done = crate::init::init(ws, options)?;
    let run = if done.default_member {
        "cargo run --"
    } else {
        "cargo run -p tool --"
    };
    say!("Adopted tidemark in this workspace:");
    say!(
        "  tool/                 the generator's crate; it reads the `{}` crate's source ({} \
         entities: {})",
        done.entity_crate,
        done.entities.len(),
        crate::report::listing(&done.entities)
    );
    say!(
        "  Cargo.toml            `tool` is a workspace member{}",
        if done.default_member {
            " and the default one (`cargo run`)"
        } else {
            ""
        }
    );
    say!("  migration/Cargo.toml  depends on tidemark-runtime");
    say!("  migration/src/main.rs runs the migrator through tidemark_runtime::run_cli");
    if done.ignores_lock_files {
        say!("  .gitignore            ignores *.migrator-lock, the migrator's lock file");
    }
    if !done.optimized.is_empty() {
        say!(
            "  Cargo.toml            optimizes {} in the dev profile: with {} entities, \
             `generate` and `check` run three to four times faster, for one longer first build \
             (`init --keep-dev-profile` leaves it out)",
            done.optimized.join(", "),
            done.entities.len()
        );
    }
    let Some(baseline) = done.baseline else {
        say!("No migration is registered yet.");
        say!("Next: {run} generate --autogenerate -m \"initial schema\"");
        return Ok(ExitCode::SUCCESS);
    };
    say!(
        "  {}  what the migrations make, read from {}, recorded after `{}`",
        ws.display(&ws.snapshot()),
        baseline.read_from,
        baseline.migration
    );
    say!(
        "  migration/snapshots/, migration/tidemark.sum  that schema as the history keeps it, \
         and the migrations' checksums"
    );
    if baseline.pending.is_empty() {
        say!("The entities match what the migrations make.");
        say!(
            "Next: {run} check (exit 0), then edit an entity and {run} generate --autogenerate -m MSG"
        );
    } else {
        say!(
            "The entities differ from what the migrations make ({} pending):",
            baseline.pending.len()
        );
        for change in &baseline.pending {
            say!("  {change}");
        }
        say!("Next: {run} generate --autogenerate -m \"match the entities\" (or fix the entities)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal, like Django's makemigrations questioner.
struct Terminal;

impl Questioner for Terminal {
    fn confirm(&mut self, question: &str) -> Option<bool> {
        eprint!("{question} [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        Some(matches!(answer.trim(), "y" | "Y" | "yes"))
    }
}

fn questioner() -> Box<dyn Questioner> {
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        Box::new(Terminal)
    } else {
        Box::new(NoTerminal)
    }
}

/// What `verify` says as it goes: each line on standard error at once, and kept for the JSON.
#[derive(Default)]
struct Progress {
    text: Vec<u8>,
}

impl Progress {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.text)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Progress {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stderr().write_all(buf)?;
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
