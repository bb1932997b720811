//! Edit to migration: how long a user waits between saving an entity and having its migration.
//!
//! ```sh
//! cargo run -p tidemark --release --example edit -- 200 1000            # the figures in bench/results/edit.md
//! cargo run -p tidemark --release --example edit -- --agree 200         # also the compiled path, compared
//! cargo run -p tidemark --release --example edit -- --optimized 200 1000 # with the README's dev profile
//! ```
//!
//! For each N it writes a workspace of its own under `target/bench-edit/n<N>/` (an `entity`
//! crate of N tables of 10 columns, each with an index and a foreign key to the table before,
//! a `migration` crate and the `tool` crate the README describes), builds the tool once, and
//! measures, as a user runs them in the workspace:
//!
//! - the initial `generate --autogenerate` and a no-op `check`, by the tool binary itself;
//! - edit to migration: a nullable column added to one entity, then `cargo run -- generate
//!   --autogenerate` (the whole command, cargo's own check included); medians of 3 rounds;
//! - peak memory of the tool process, from `getrusage(RUSAGE_CHILDREN)` of a process that ran
//!   only the tool.
//!
//! With `--agree`, the tool is also built with its `compiled` feature (the entities compiled
//! in, SeaORM's statement builders reading them) and that binary's `check` must find the
//! schema the source reader recorded: the two readings agree on the whole N-table schema. Its
//! build time is the cost the source reader saves on every edit.
//!
//! The builds share the project's target folder with the test suite.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn entity_source(i: usize) -> String {
    let relation = if i == 0 {
        String::new()
    } else {
        format!(
            "    #[sea_orm(\n        belongs_to = \"super::table_{p:04}::Entity\",\n        \
             from = \"Column::ParentId\",\n        to = \"super::table_{p:04}::Column::Id\",\n        \
             on_delete = \"SetNull\"\n    )]\n    Parent,\n",
            p = i - 1
        )
    };
    format!(
        r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "table_{i:04}")]
pub struct Model {{
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(255))", indexed)]
    pub email: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub amount: Decimal,
    pub count: i64,
    pub active: bool,
    #[sea_orm(column_type = "Text")]
    pub notes: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub external_id: Option<Uuid>,
    pub parent_id: Option<i32>,
}}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {{
{relation}}}

impl ActiveModelBehavior for ActiveModel {{}}
"#
    )
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The README's optional profile for large schemas: the generator and the crates it spends
/// its time in, optimized in the dev profile `cargo run` uses.
const OPTIMIZED_PROFILE: &str = "
[profile.dev.package.tidemark]
opt-level = 2
[profile.dev.package.syn]
opt-level = 2
[profile.dev.package.proc-macro2]
opt-level = 2
[profile.dev.package.serde_json]
opt-level = 2
[profile.dev.package.sha2]
opt-level = 2
";

fn write_workspace(ws: &Path, n: usize, optimized: bool) {
    if ws.exists() {
        std::fs::remove_dir_all(ws).unwrap();
    }
    let project = root();
    write(
        &ws.join("Cargo.toml"),
        &format!(
            "[workspace]\nmembers = [\"entity\", \"migration\", \"tool\"]\ndefault-members = [\"tool\"]\nresolver = \"3\"\n{}",
            if optimized { OPTIMIZED_PROFILE } else { "" }
        ),
    );
    std::fs::copy(project.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    // Package names differ per N: the builds share one target folder, where cargo would
    // otherwise take one N's entity crate for another's.
    write(
        &ws.join("entity/Cargo.toml"),
        &format!(
            "[package]\nname = \"entity_n{n}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             publish = false\n\n[dependencies]\nsea-orm = {{ version = \"2.0.4\", \
             default-features = false, features = [\"macros\", \"with-json\", \"with-chrono\", \
             \"with-rust_decimal\", \"with-uuid\"] }}\n"
        ),
    );
    let mut lib = String::new();
    for i in 0..n {
        lib.push_str(&format!("pub mod table_{i:04};\n"));
        write(
            &ws.join(format!("entity/src/table_{i:04}.rs")),
            &entity_source(i),
        );
    }
    write(&ws.join("entity/src/lib.rs"), &lib);
    write(
        &ws.join("tool/Cargo.toml"),
        &format!(
            "[package]\nname = \"tool_n{n}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             publish = false\n\n[dependencies]\ntidemark = {{ path = \"{}\" }}\n\
             entity_n{n} = {{ path = \"../entity\", optional = true }}\n\n[features]\n\
             compiled = [\"dep:entity_n{n}\"]\n",
            project.display()
        ),
    );
    let list: Vec<String> = (0..n)
        .map(|i| format!("entity_n{n}::table_{i:04}::Entity"))
        .collect();
    write(
        &ws.join("tool/src/main.rs"),
        &format!("tidemark::main!(\"entity_n{n}\", [{}]);\n", list.join(", ")),
    );
    write(
        &ws.join("migration/Cargo.toml"),
        &format!(
            "[package]\nname = \"migration\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nsea-orm-migration = {{ version = \"2.0.4\", default-features = false }}\n\
             tidemark-runtime = {{ path = \"{}\" }}\nasync-trait = \"0.1\"\n",
            project.join("runtime").display()
        ),
    );
    write(
        &ws.join("migration/src/main.rs"),
        "fn main() {\n    tidemark_runtime::run_cli(migration::Migrator);\n}\n",
    );
    write(
        &ws.join("migration/src/lib.rs"),
        &tidemark::registry::initial_lib_rs(),
    );
}

fn target() -> PathBuf {
    root().join("target")
}

fn cargo(ws: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(ws)
        .env("CARGO_TARGET_DIR", target())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "cargo {}:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `command` in a child process of its own (`--measure` below) and returns its wall
/// time in seconds and the peak memory of that child's children, in MB.
fn measured(ws: &Path, program: &Path, args: &[&str]) -> (f64, f64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .arg(ws)
        .arg(program)
        .args(args)
        .output()
        .expect("the bench runs itself");
    assert!(
        out.status.success(),
        "{} {}:\n{}",
        program.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().unwrap());
    (fields.next().unwrap(), fields.next().unwrap())
}

/// The child side of [`measured`]: runs the program, prints seconds and peak MB.
fn measure(args: &[String]) {
    let (ws, rest) = args.split_first().unwrap();
    let (program, rest) = rest.split_first().unwrap();
    let start = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .current_dir(ws)
        .env("CARGO_TARGET_DIR", target())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    assert!(status.code().is_some_and(|c| c <= 1), "{program} failed");
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    println!("{seconds} {}", usage.ru_maxrss as f64 / 1024.0);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Row {
    n: usize,
    initial_s: f64,
    initial_mb: f64,
    check_s: f64,
    edit_s: f64,
    tool_edit_s: f64,
    edit_mb: f64,
    /// The history entry the edit's migration added.
    entry_kb: f64,
    compiled: Option<(f64, bool)>,
}

fn run(n: usize, agree: bool, optimized: bool) -> Row {
    let ws = target().join("bench-edit").join(format!("n{n}"));
    write_workspace(&ws, n, optimized);
    let package = format!("tool_n{n}");
    cargo(&ws, &["build", "--quiet", "-p", &package]);
    let tool = target().join("debug").join(&package);
    let ws_arg = ws.display().to_string();
    // `generate --autogenerate` by the tool binary alone: its time and memory.
    let tool_generate = |message: &str| {
        measured(
            &ws,
            &tool,
            &[
                "--workspace",
                &ws_arg,
                "generate",
                "--autogenerate",
                "-m",
                message,
            ],
        )
    };
    let migration = ws.join("migration");
    let empty_lib = std::fs::read_to_string(migration.join("src/lib.rs")).unwrap();
    let mut initial = Vec::new();
    for round in 0..3 {
        if round > 0 {
            // Back to the workspace as written: no migration, no snapshot.
            std::fs::write(migration.join("src/lib.rs"), &empty_lib).unwrap();
            for entry in std::fs::read_dir(migration.join("src")).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with('m') && name != "main.rs" {
                    std::fs::remove_file(path).unwrap();
                }
            }
            std::fs::remove_dir_all(migration.join("snapshots")).unwrap();
            std::fs::remove_file(migration.join("schema_snapshot.json")).unwrap();
            std::fs::remove_file(migration.join("tidemark.sum")).unwrap();
        }
        initial.push(tool_generate("initial"));
    }
    let initial_mb = initial.iter().map(|(_, mb)| *mb).fold(0.0, f64::max);
    let initial_s = median(initial.into_iter().map(|(s, _)| s).collect());
    let check_s = median(
        (0..3)
            .map(|_| measured(&ws, &tool, &["--workspace", &ws_arg, "check"]).0)
            .collect(),
    );
    let cargo_bin = PathBuf::from(env!("CARGO"));
    let edited = ws.join(format!("entity/src/table_{:04}.rs", n / 2));
    let add_column = |round: usize| {
        let text = std::fs::read_to_string(&edited).unwrap();
        let text = text.replace(
            "    pub parent_id: Option<i32>,\n",
            &format!("    pub parent_id: Option<i32>,\n    pub extra_{round}: Option<i32>,\n"),
        );
        std::fs::write(&edited, text).unwrap();
        format!("add_extra_{round}")
    };
    let mut edit_times = Vec::new();
    for round in 0..3 {
        let message = add_column(round);
        let (seconds, _) = measured(
            &ws,
            &cargo_bin,
            &[
                "run",
                "--quiet",
                "--",
                "generate",
                "--autogenerate",
                "-m",
                &message,
            ],
        );
        edit_times.push(seconds);
    }
    // One more edit, generated by the tool binary alone: its own time and memory.
    let message = add_column(3);
    let (tool_edit_s, edit_mb) = tool_generate(&message);
    let entry = std::fs::read_dir(ws.join("migration/snapshots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(&message))
        .map_or(0, |p| std::fs::metadata(p).unwrap().len());
    let compiled = agree.then(|| {
        let start = Instant::now();
        cargo(
            &ws,
            &["build", "--quiet", "-p", &package, "--features", "compiled"],
        );
        let build_s = start.elapsed().as_secs_f64();
        let out = Command::new(&tool)
            .args(["--workspace", &ws_arg, "check"])
            .output()
            .unwrap();
        // Leave the source-reading binary in place for the next N.
        cargo(&ws, &["build", "--quiet", "-p", &package]);
        (build_s, out.status.success())
    });
    Row {
        n,
        initial_s,
        initial_mb,
        check_s,
        edit_s: median(edit_times),
        tool_edit_s,
        edit_mb,
        entry_kb: entry as f64 / 1024.0,
        compiled,
    }
}

/// What produced the table: command, date, profile.
fn header(optimized: bool, args: &[String]) -> String {
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let profile = if optimized {
        "the tool in the dev profile `tidemark init` writes from 200 entities (tidemark, syn, \
         proc-macro2, serde_json, sha2 at opt-level 2)"
    } else {
        "the tool in the plain dev profile, as `cargo run` builds it below 200 entities or \
         after `init --keep-dev-profile`"
    };
    format!(
        "Written by `cargo run -p tidemark --release --example edit -- {}` on {date} ({} cores; \
         {profile}). Every time is the median of 3 runs; memory is the largest of them.\n\n",
        args.join(" "),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    )
}

/// Each measured row against the targets, with the anchors measured on the same kind of
/// machine (2 cores, one nullable column added, medians of 3).
fn targets(rows: &[Row]) -> String {
    let mut out = String::from(
        "\nAnchors: Alembic autogenerate 1.7 s at 200 tables and 5.7 s at 1,000; Django \
         makemigrations 0.8 s and 3.5 s.\n\n| target | measured | met |\n|---|---|---|\n",
    );
    let mut line = |what: String, measured: f64, limit: f64, unit: &str| {
        let met = if measured < limit { "yes" } else { "no" };
        let digits = if unit == "MB" { 0 } else { 2 };
        out.push_str(&format!(
            "| {what} under {limit} {unit} | {measured:.digits$} {unit} | {met} |\n"
        ));
    };
    for row in rows {
        let edit_limit = match row.n {
            200 => Some(0.3),
            1000 => Some(1.0),
            _ => None,
        };
        if let Some(limit) = edit_limit {
            line(
                format!("edit to migration at {}", row.n),
                row.edit_s,
                limit,
                "s",
            );
        }
        if row.n == 1000 {
            line("initial generate at 1000".into(), row.initial_s, 0.5, "s");
            line("no-op check at 1000".into(), row.check_s, 0.2, "s");
            let peak = row.initial_mb.max(row.edit_mb);
            line("peak memory at 1000".into(), peak, 200.0, "MB");
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        return measure(&args[1..]);
    }
    let agree = args.iter().any(|a| a == "--agree");
    let optimized = args.iter().any(|a| a == "--optimized");
    let sizes: Vec<usize> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("table counts"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![200, 1000]
    } else {
        sizes
    };
    let mut md = String::from(
        "| N | edit to migration (`cargo run -- generate`) | the same, tool binary alone | initial generate (tool) | no-op check (tool) | peak MB initial / edit | history entry of the edit | compiled path: build, agrees |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut rows = Vec::new();
    for n in sizes {
        let row = run(n, agree, optimized);
        let compiled = match row.compiled {
            Some((build_s, agrees)) => {
                format!("{build_s:.1} s, {}", if agrees { "yes" } else { "NO" })
            }
            None => "-".into(),
        };
        let line = format!(
            "| {} | {:.2} s | {:.2} s | {:.2} s | {:.2} s | {:.0} / {:.0} | {:.1} KB | {compiled} |\n",
            row.n,
            row.edit_s,
            row.tool_edit_s,
            row.initial_s,
            row.check_s,
            row.initial_mb,
            row.edit_mb,
            row.entry_kb
        );
        print!("{line}");
        md.push_str(&line);
        if let Some((_, false)) = row.compiled {
            eprintln!("the compiled path disagrees with the source reader at N={n}");
            std::process::exit(1);
        }
        rows.push(row);
    }
    md.insert_str(0, &header(optimized, &args));
    md.push_str(&targets(&rows));
    let name = if optimized {
        "edit-optimized.md"
    } else {
        "edit.md"
    };
    let out = root().join("bench/results").join(name);
    write(&out, &md);
    eprintln!("written to {}", out.display());
}
