//! Writer stalls while a migration runs: tidemark's generated migration against the naive DDL
//! on a PostgreSQL table of 1,000,000 rows under write load from pgbench.
//!
//! For each scenario both migrations are generated from the same entity change (the default
//! zero-downtime plan, and `--unsafe` run without a lock timeout, which is what other
//! generators write), compiled into one runner binary, and applied to a freshly loaded
//! database while pgbench's clients update random rows. pgbench logs every transaction; a
//! transaction that overlapped the migration counts towards its writers' max and p99.
//!
//! Run it with `cargo run -p tidemark --release --example bench -- [--runs N] [--rows N]` (see
//! bench/README.md); it writes BENCHMARKS.md.

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tidemark::EntitySet;
use tidemark::diff::Renames;
use tidemark::generate::{self, GenerateOptions, NoTerminal};
use tidemark::plan::{Backfills, Safety};
use tidemark::workspace::Workspace;

/// `users` as the load starts, and the entity changes of the scenarios.
macro_rules! users {
    ($module:ident { $($extra:tt)* } $(, { $($relation:tt)* })?) => {
        users!($module(i32) { $($extra)* } $(, { $($relation)* })?);
    };
    ($module:ident($org_id:ty) { $($extra:tt)* } $(, { $($relation:tt)* })?) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = "users")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                pub org_id: $org_id,
                $($extra)*
                pub hits: i32,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {
                $($($relation)*)?
            }

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

pub mod orgs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "orgs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

users!(base { pub email: String, pub name: Option<String>, });
users!(indexed {
    #[sea_orm(indexed)]
    pub email: String,
    pub name: Option<String>,
});
users!(with_code { pub email: String, pub name: Option<String>, pub code: String, });
users!(
    with_org_key { pub email: String, pub name: Option<String>, },
    {
        #[sea_orm(
            belongs_to = "super::orgs::Entity",
            from = "Column::OrgId",
            to = "super::orgs::Column::Id"
        )]
        Org,
    }
);
users!(name_required { pub email: String, pub name: String, });
users!(with_note { pub email: String, pub name: Option<String>, pub note: Option<String>, });
users!(wide_org_id(i64) { pub email: String, pub name: Option<String>, });

struct Scenario {
    name: &'static str,
    title: &'static str,
    after: fn() -> EntitySet,
    backfill: Option<(&'static str, &'static str, &'static str)>,
    /// A reader that holds `users` in a long transaction while the migration starts.
    long_reader: Option<Duration>,
    /// tidemark's form is `--phased`: the expand and then its contract, run back to back.
    phased: bool,
}

fn base() -> EntitySet {
    tidemark::entities![orgs::Entity, base::Entity]
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "index",
        title: "1 index on users(email)",
        after: || tidemark::entities![orgs::Entity, indexed::Entity],
        backfill: None,
        long_reader: None,
        phased: false,
    },
    Scenario {
        name: "not_null_column",
        title: "2 add NOT NULL column + per-row value",
        after: || tidemark::entities![orgs::Entity, with_code::Entity],
        backfill: Some(("users", "code", "'c' || \"id\"")),
        long_reader: None,
        phased: false,
    },
    Scenario {
        name: "foreign_key",
        title: "3 FK users.org_id -> orgs.id",
        after: || tidemark::entities![orgs::Entity, with_org_key::Entity],
        backfill: None,
        long_reader: None,
        phased: false,
    },
    Scenario {
        name: "set_not_null",
        title: "4 SET NOT NULL on populated name",
        after: || tidemark::entities![orgs::Entity, name_required::Entity],
        backfill: None,
        long_reader: None,
        phased: false,
    },
    Scenario {
        name: "lock_queue",
        title: "5 add column behind a 10 s reader",
        after: || tidemark::entities![orgs::Entity, with_note::Entity],
        backfill: None,
        long_reader: Some(Duration::from_secs(10)),
        phased: false,
    },
    Scenario {
        name: "type_change",
        title: "6 users.org_id int -> bigint",
        after: || tidemark::entities![orgs::Entity, wide_org_id::Entity],
        backfill: None,
        long_reader: None,
        phased: true,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Tidemark,
    Naive,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Tidemark => "tidemark",
            Variant::Naive => "naive",
        }
    }
}

struct Options {
    runs: usize,
    rows: u64,
    admin_url: String,
    /// Run this scenario only, and print its table rather than writing BENCHMARKS.md.
    only: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        runs: 3,
        rows: 1_000_000,
        admin_url: std::env::var("TIDEMARK_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--runs" => options.runs = value.parse().expect("--runs N"),
            "--rows" => options.rows = value.parse().expect("--rows N"),
            "--only" => {
                assert!(
                    SCENARIOS.iter().any(|s| s.name == value),
                    "--only takes one of: {}",
                    SCENARIOS
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                options.only = Some(value);
            }
            other => panic!("unknown option {other} (--runs N, --rows N, --only SCENARIO)"),
        }
        i += 2;
    }
    options
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn work_dir() -> PathBuf {
    root().join("target/bench")
}

fn module(scenario: &Scenario, variant: Variant) -> String {
    format!("{}_{}", scenario.name, variant.label())
}

/// Generates the scenario's two migrations (initial schema, then the change) into a workspace.
fn generate_workspace(scenario: &Scenario, variant: Variant) -> PathBuf {
    let dir = work_dir().join("scenarios").join(module(scenario, variant));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("migration/src")).unwrap();
    std::fs::write(
        dir.join("migration/src/lib.rs"),
        tidemark::registry::initial_lib_rs(),
    )
    .unwrap();
    let ws = Workspace::new(&dir);
    let safety = match variant {
        Variant::Tidemark => Safety::Online,
        Variant::Naive => Safety::Naive,
    };
    let mut steps = vec![
        ("initial", base(), false),
        ("change", (scenario.after)(), false),
    ];
    if scenario.phased && variant == Variant::Tidemark {
        steps[1].2 = true;
        steps.push(("contract", (scenario.after)(), false));
    }
    for (minute, (message, entities, phased)) in steps.into_iter().enumerate() {
        let mut backfills = Backfills::new();
        if minute == 1
            && let Some((table, column, sql)) = scenario.backfill
        {
            backfills.insert((table.into(), column.into()), sql.into());
        }
        let options = GenerateOptions {
            message: message.into(),
            autogenerate: true,
            renames: Renames::default(),
            backfills,
            conversions: Default::default(),
            allow_destructive: false,
            safety,
            phased,
            dry_run: false,
            now: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, minute as u32, 0)
                .unwrap(),
        };
        generate::generate(&ws, &entities, &options, &mut NoTerminal)
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
    }
    dir
}

/// One binary that runs any scenario's migrator, chosen by `TIDEMARK_SCENARIO`.
fn build_runner(workspaces: &[(String, PathBuf)]) -> PathBuf {
    let dir = work_dir().join("runner");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            r#"[package]
name = "tidemark-bench-runner"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
sea-orm-migration = {{ version = "2.0.4", default-features = false, features = ["runtime-tokio-rustls", "sqlx-postgres", "cli"] }}
tidemark-runtime = {{ path = "{}" }}
async-trait = "0.1"
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}
"#,
            root().join("runtime").display()
        ),
    )
    .unwrap();
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let mut main = String::new();
    for (name, ws) in workspaces {
        main.push_str(&format!(
            "#[path = \"{}\"]\nmod {name};\n",
            ws.join("migration/src/lib.rs").display()
        ));
    }
    main.push_str("\nfn main() {\n    match std::env::var(\"TIDEMARK_SCENARIO\").unwrap_or_default().as_str() {\n");
    for (name, _) in workspaces {
        main.push_str(&format!(
            "        \"{name}\" => tidemark_runtime::run_cli({name}::Migrator),\n"
        ));
    }
    main.push_str("        other => panic!(\"unknown scenario `{other}`\"),\n    }\n}\n");
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", work_dir().join("target"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the generated migrations do not compile");
    work_dir().join("target/release/tidemark-bench-runner")
}

async fn exec(url: &str, sql: &str) {
    let db = Database::connect(url).await.unwrap();
    db.execute_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await.ok();
}

fn migrate(
    runner: &Path,
    scenario: &str,
    url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Duration {
    let started = Instant::now();
    let mut command = Command::new(runner);
    command
        .args(args)
        .env("TIDEMARK_SCENARIO", scenario)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("runner starts");
    assert!(
        out.status.success(),
        "{scenario} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

const WRITER_SCRIPT: &str =
    "\\set id random(1, :rows)\nUPDATE users SET hits = hits + 1 WHERE id = :id;\n";
const CLIENTS: &str = "4";

fn start_pgbench(url: &str, rows: u64, log_prefix: &Path) -> Child {
    let script = work_dir().join("writers.sql");
    std::fs::write(&script, WRITER_SCRIPT).unwrap();
    Command::new("pgbench")
        .args(["-n", "-c", CLIENTS, "-j", "2", "-T", "600", "-l"])
        .arg(format!("--log-prefix={}", log_prefix.display()))
        .arg("-D")
        .arg(format!("rows={rows}"))
        .arg("-f")
        .arg(&script)
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pgbench is installed (Debian's postgresql-client)")
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

fn epoch_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

/// (start, latency) of every logged transaction, in microseconds.
fn read_log(prefix: &Path) -> Vec<(i64, i64)> {
    let dir = prefix.parent().unwrap();
    let stem = prefix.file_name().unwrap().to_string_lossy().into_owned();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .is_some_and(|f| f.to_string_lossy().starts_with(&format!("{stem}.")))
        {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap_or_default().lines() {
            // client_id transaction_no time script_no time_epoch time_us
            let fields: Vec<i64> = line
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            if fields.len() >= 6 {
                let end = fields[4] * 1_000_000 + fields[5];
                out.push((end - fields[2], fields[2]));
            }
        }
    }
    out
}

#[derive(Clone, Debug)]
struct Measure {
    ddl_seconds: f64,
    max_ms: f64,
    p99_ms: f64,
    over_100ms: usize,
    over_1s: usize,
    transactions: usize,
}

fn measure(log: &[(i64, i64)], ddl: (i64, i64)) -> Measure {
    let mut overlapping: Vec<i64> = log
        .iter()
        .filter(|(start, latency)| *start < ddl.1 && start + latency > ddl.0)
        .map(|(_, latency)| *latency)
        .collect();
    overlapping.sort_unstable();
    let ms = |us: i64| us as f64 / 1000.0;
    let p99 = overlapping
        .get((overlapping.len() * 99).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or(0);
    Measure {
        ddl_seconds: (ddl.1 - ddl.0) as f64 / 1e6,
        max_ms: ms(overlapping.last().copied().unwrap_or(0)),
        p99_ms: ms(p99),
        over_100ms: overlapping.iter().filter(|l| **l > 100_000).count(),
        over_1s: overlapping.iter().filter(|l| **l > 1_000_000).count(),
        transactions: overlapping.len(),
    }
}

async fn run_once(
    options: &Options,
    runner: &Path,
    scenario: &Scenario,
    variant: Variant,
    run: usize,
) -> Measure {
    let db_name = "tidemark_bench";
    exec(
        &options.admin_url,
        &format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"),
    )
    .await;
    exec(&options.admin_url, &format!("CREATE DATABASE {db_name}")).await;
    let url = format!(
        "{}/{db_name}",
        options.admin_url.rsplit_once('/').unwrap().0
    );
    let name = module(scenario, variant);
    migrate(runner, &name, &url, &["up", "-n", "1"], &[]);
    exec(
        &url,
        "INSERT INTO orgs (id, name) SELECT g, 'org ' || g FROM generate_series(1, 10000) g",
    )
    .await;
    exec(
        &url,
        &format!(
            "INSERT INTO users (id, org_id, email, name, hits) SELECT g, 1 + g % 10000, \
             'user' || g || '@example.com', 'name ' || g, 0 FROM generate_series(1, {}) g",
            options.rows
        ),
    )
    .await;
    exec(&url, "VACUUM ANALYZE").await;

    let logs = work_dir().join("logs");
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).unwrap();
    let prefix = logs.join("pgbench");
    let mut pgbench = start_pgbench(&url, options.rows, &prefix);
    tokio::time::sleep(Duration::from_secs(2)).await;

    let reader = match scenario.long_reader {
        Some(hold) => {
            let url = url.clone();
            let handle = tokio::spawn(async move {
                let db = Database::connect(&url).await.unwrap();
                db.execute_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!(
                        "SELECT count(*) FROM users, pg_sleep({}) WHERE id = 1",
                        hold.as_secs_f64()
                    ),
                ))
                .await
                .unwrap();
                db.close().await.ok();
            });
            tokio::time::sleep(Duration::from_millis(500)).await;
            Some(handle)
        }
        None => None,
    };

    // The naive form waits for its locks as long as it takes, as plain DDL does.
    let env: &[(&str, &str)] = match variant {
        Variant::Tidemark => &[],
        Variant::Naive => &[("TIDEMARK_LOCK_TIMEOUT_MS", "3600000")],
    };
    let start = epoch_micros();
    let runner = runner.to_owned();
    let (name2, url2) = (name.clone(), url.clone());
    let env_owned: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env_owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        migrate(&runner, &name2, &url2, &["up"], &env)
    })
    .await
    .unwrap();
    let end = epoch_micros();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop(&mut pgbench);
    if let Some(reader) = reader {
        reader.await.unwrap();
    }
    let m = measure(&read_log(&prefix), (start, end));
    eprintln!(
        "  {:<34} {:<9} run {run}: DDL {:.2} s, writers max {:.1} ms, p99 {:.1} ms ({} tx)",
        scenario.title,
        variant.label(),
        m.ddl_seconds,
        m.max_ms,
        m.p99_ms,
        m.transactions
    );
    m
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn cell(values: &[f64], digits: usize) -> String {
    let mut sorted = values.to_vec();
    let m = median(&mut sorted);
    if values.len() == 1 {
        return format!("{m:.digits$}");
    }
    format!(
        "{m:.digits$} [{:.digits$}-{:.digits$}]",
        sorted[0],
        sorted[sorted.len() - 1]
    )
}

fn server_version(url: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-tAc", "SHOW server_version"])
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let options = options();
    std::fs::create_dir_all(work_dir()).unwrap();
    let scenarios: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| options.only.as_deref().is_none_or(|only| only == s.name))
        .collect();
    eprintln!(
        "Generating and compiling the migrations of {} scenarios",
        scenarios.len()
    );
    let mut workspaces = Vec::new();
    for scenario in scenarios.iter().copied() {
        for variant in [Variant::Tidemark, Variant::Naive] {
            workspaces.push((
                module(scenario, variant),
                generate_workspace(scenario, variant),
            ));
        }
    }
    let runner = build_runner(&workspaces);

    let mut rows = Vec::new();
    for scenario in scenarios.iter().copied() {
        for variant in [Variant::Naive, Variant::Tidemark] {
            let mut runs = Vec::new();
            for run in 1..=options.runs {
                runs.push(run_once(&options, &runner, scenario, variant, run).await);
            }
            rows.push((scenario, variant, runs));
        }
    }
    exec(
        &options.admin_url,
        "DROP DATABASE IF EXISTS tidemark_bench WITH (FORCE)",
    )
    .await;

    let mut md = String::new();
    md.push_str("# Benchmarks: writer stalls while a migration runs (PostgreSQL)\n\n");
    md.push_str(&format!(
        "Written by `cargo run -p tidemark --release --example bench -- --runs {} --rows {}` (bench/README.md) \
         on {} UTC: PostgreSQL {}, {} cores. `users` holds {} rows, `orgs` 10,000; pgbench runs \
         {CLIENTS} clients updating random `users` rows throughout, and the migration starts \
         about 2 s into the load. \"naive\" is the same entity change generated with `--unsafe` \
         and run without a lock timeout (what autogenerators write); \"tidemark\" is the default \
         plan (for the type change, `--phased`: the expand and its contract, run back to back). \
         Writers max and p99 cover every writer transaction that overlapped the migration; \
         a blocking statement holds writers for only part of that window, so its stall shows \
         in the max and the >100 ms counts more than in p99. Medians of {} run(s), \
         [min-max].\n\n",
        options.runs,
        options.rows,
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        server_version(&options.admin_url),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        options.rows,
        options.runs
    ));
    md.push_str("| scenario | variant | DDL wall s | writers max ms | p99 ms | tx >100 ms | tx >1 s | target (max < 100 ms) |\n");
    md.push_str("|---|---|---|---|---|---|---|---|\n");
    let mut all_met = true;
    for (scenario, variant, runs) in &rows {
        let pick = |f: fn(&Measure) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
        let mut max = pick(|m| m.max_ms);
        let met = median(&mut max) < 100.0;
        if *variant == Variant::Tidemark {
            all_met &= met;
        }
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            scenario.title,
            variant.label(),
            cell(&pick(|m| m.ddl_seconds), 2),
            cell(&pick(|m| m.max_ms), 1),
            cell(&pick(|m| m.p99_ms), 1),
            cell(&pick(|m| m.over_100ms as f64), 0),
            cell(&pick(|m| m.over_1s as f64), 0),
            match (variant, met) {
                (Variant::Naive, _) => "-",
                (Variant::Tidemark, true) => "met",
                (Variant::Tidemark, false) => "MISSED",
            }
        ));
    }
    md.push_str(&format!(
        "\nEvery generated migration under 100 ms of writer stall: {}.\n",
        if all_met { "yes" } else { "no" }
    ));
    if options.only.is_none() {
        std::fs::write(root().join("BENCHMARKS.md"), &md).unwrap();
    }
    println!("{md}");
}
