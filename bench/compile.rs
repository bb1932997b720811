//! Compile cost of a large initial migration: N tables of 10 columns, each with an index and a
//! foreign key to the table before it, rendered by tidemark and built in a debug build.
//!
//! ```sh
//! cargo run -p tidemark --release --example compile -- 200 1000
//! ```
//!
//! For each N it prints the file's size, the time tidemark takes to write it (diff, plan and the
//! laid-out file; the median of 3), the wall time of `cargo build` of the migration crate
//! alone (its dependencies are built first, once) and the peak memory of the largest process of
//! that build (rustc), read from `getrusage(RUSAGE_CHILDREN)`. Scratch crates go to
//! `target/bench-compile/`. `--render-only` skips the builds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tidemark::diff::{self, Renames};
use tidemark::model::*;
use tidemark::plan::{self, Backfills};

fn column(name: &str, ty: ColumnType, nullable: bool) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable,
        default: None,
        auto_increment: false,
        unique: false,
        comment: None,
    }
}

fn table(i: usize) -> Table {
    let name = format!("table_{i:04}");
    let mut id = column("id", ColumnType::Integer, false);
    id.auto_increment = true;
    let columns = vec![
        id,
        column("name", ColumnType::String(Some(100)), false),
        column("email", ColumnType::String(Some(255)), true),
        column("amount", ColumnType::Decimal(Some((12, 2))), false),
        column("count", ColumnType::BigInteger, false),
        column("active", ColumnType::Boolean, false),
        column("notes", ColumnType::Text, true),
        column("created_at", ColumnType::TimestampWithTimeZone, false),
        column("external_id", ColumnType::Uuid, true),
        column("parent_id", ColumnType::Integer, true),
    ];
    let mut indexes = BTreeMap::new();
    let index = format!("idx_{name}_email");
    indexes.insert(
        index.clone(),
        Index {
            name: index,
            columns: vec!["email".into()],
            unique: false,
        },
    );
    let mut foreign_keys = BTreeMap::new();
    if i > 0 {
        let key = format!("fk_{name}_parent_id");
        foreign_keys.insert(
            key.clone(),
            ForeignKey {
                name: key,
                columns: vec!["parent_id".into()],
                ref_table: format!("table_{:04}", i - 1),
                ref_columns: vec!["id".into()],
                on_delete: ForeignKeyAction::SetNull,
                on_update: ForeignKeyAction::NoAction,
            },
        );
    }
    Table {
        name,
        columns,
        primary_key: vec!["id".into()],
        indexes,
        foreign_keys,
        comment: None,
        shadow_columns: Default::default(),
        conversions: Default::default(),
    }
}

fn render(n: usize) -> String {
    let old = Schema::default();
    let new = Schema {
        tables: (0..n).map(table).map(|t| (t.name.clone(), t)).collect(),
        ..Schema::default()
    };
    let changes = diff::diff(&old, &new, &Renames::default());
    let summary: Vec<String> = changes.iter().map(|c| plan::describe(c, &new)).collect();
    let plan = plan::plan(
        &old,
        &new,
        &changes,
        &Backfills::new(),
        plan::Safety::Online,
    )
    .expect("an initial schema plans");
    tidemark::render::render_migration("initial", &summary, &plan, &old, &new, &[], false).source
}

fn write_crate(dir: &Path, runtime: &Path, source: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        r#"[package]
name = "bench_migration"
version = "0.1.0"
edition = "2024"

[workspace]

[dependencies]
sea-orm-migration = {{ version = "2.0.4", default-features = false }}
async-trait = "0.1"
tidemark-runtime = {{ path = "{}" }}
"#,
        runtime.display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub mod m20260101_000000_initial;\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/m20260101_000000_initial.rs"), source).unwrap();
}

/// Peak resident memory of the largest child process waited for so far, in MB.
fn children_peak_mb() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss as f64 / 1024.0
}

fn build(dir: &Path, target: &Path) -> std::time::Duration {
    let start = Instant::now();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the migration crate builds");
    start.elapsed()
}

/// The file for `n` tables and the median of 3 render times, in milliseconds.
fn timed_render(n: usize) -> (String, f64) {
    let mut times = Vec::new();
    let mut source = String::new();
    for _ in 0..3 {
        let start = Instant::now();
        source = render(n);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (source, times[1])
}

fn main() {
    // A measured build runs in a process of its own: its children's peak memory is then that
    // build's alone.
    if let (Ok(dir), Ok(target)) = (
        std::env::var("TIDEMARK_BENCH_BUILD"),
        std::env::var("TIDEMARK_BENCH_TARGET"),
    ) {
        let elapsed = build(Path::new(&dir), Path::new(&target));
        println!("{} {}", elapsed.as_secs_f64(), children_peak_mb());
        return;
    }
    let render_only = std::env::args().any(|a| a == "--render-only");
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| a != "--render-only")
        .map(|a| a.parse().expect("table counts"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![200, 1000]
    } else {
        sizes
    };
    if render_only {
        println!("| tables | file | lines | render |");
        println!("|---|---|---|---|");
        for n in sizes {
            let (source, ms) = timed_render(n);
            println!(
                "| {n} | {:.1} MB | {} | {ms:.0} ms |",
                source.len() as f64 / 1e6,
                source.lines().count()
            );
        }
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = root.join("target/bench-compile");
    let target = scratch.join("target");
    // Dependencies first, so that each measured build is the migration crate alone.
    let warm = scratch.join("warm");
    write_crate(&warm, &root.join("runtime"), &render(1));
    build(&warm, &target);
    println!("| tables | file | lines | render | debug build | rustc peak memory |");
    println!("|---|---|---|---|---|---|");
    for n in sizes {
        let (source, ms) = timed_render(n);
        let dir = scratch.join(format!("n{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        write_crate(&dir, &root.join("runtime"), &source);
        let out = Command::new(std::env::current_exe().unwrap())
            .env("TIDEMARK_BENCH_BUILD", &dir)
            .env("TIDEMARK_BENCH_TARGET", &target)
            .output()
            .expect("the measuring process runs");
        let report = String::from_utf8_lossy(&out.stdout);
        let mut figures = report.split_whitespace().map(|f| f.parse::<f64>().unwrap());
        let (seconds, peak) = (figures.next().unwrap(), figures.next().unwrap());
        println!(
            "| {n} | {:.1} MB | {} | {ms:.0} ms | {seconds:.1} s | {peak:.0} MB |",
            source.len() as f64 / 1e6,
            source.lines().count(),
        );
    }
}
