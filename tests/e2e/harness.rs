//! Runs a schema-change scenario end to end on SQLite, with the real generated code.
//!
//! Every test process generates every scenario's migrations (deterministically, so all agree
//! on the bytes), then one of them compiles a single runner binary that includes each
//! scenario's generated `migration/src/lib.rs`; the others wait on a file lock and reuse it.
//! So the whole suite costs one `cargo build`, and each scenario still runs in its own
//! process against its own database.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use tidemark::EntitySet;
use tidemark::backend::Backend;
use tidemark::diff::Renames;
use tidemark::generate::{self, GenerateOptions, NoTerminal, Outcome};
use tidemark::model::{ColumnType, Schema};
use tidemark::plan::Backfills;
use tidemark::snapshot::Snapshot;
use tidemark::workspace::Workspace;

/// One schema change: entities before and after, and what the user tells tidemark.
pub struct Scenario {
    pub name: &'static str,
    pub before: fn() -> EntitySet,
    pub after: fn() -> EntitySet,
    pub rename_tables: &'static [(&'static str, &'static str)],
    pub rename_columns: &'static [(&'static str, &'static str, &'static str)],
    pub backfills: &'static [(&'static str, &'static str, &'static str)],
    pub allow_destructive: bool,
    /// Columns whose values must survive the change: (table after, column after, column before).
    pub kept_values: &'static [(&'static str, &'static str, &'static str)],
}

impl Scenario {
    pub const fn new(
        name: &'static str,
        before: fn() -> EntitySet,
        after: fn() -> EntitySet,
    ) -> Self {
        Scenario {
            name,
            before,
            after,
            rename_tables: &[],
            rename_columns: &[],
            backfills: &[],
            allow_destructive: false,
            kept_values: &[],
        }
    }

    fn options(&self, message: &str, minute: u32) -> GenerateOptions {
        let mut renames = Renames::default();
        for (from, to) in self.rename_tables {
            renames.tables.insert(from.to_string(), to.to_string());
        }
        for (table, from, to) in self.rename_columns {
            renames
                .columns
                .insert((table.to_string(), from.to_string()), to.to_string());
        }
        let backfills: Backfills = self
            .backfills
            .iter()
            .map(|(t, c, sql)| ((t.to_string(), c.to_string()), sql.to_string()))
            .collect();
        GenerateOptions {
            message: message.into(),
            autogenerate: true,
            renames,
            backfills,
            conversions: Default::default(),
            allow_destructive: self.allow_destructive,
            safety: Default::default(),
            phased: false,
            dry_run: false,
            now: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, minute, 0)
                .unwrap(),
        }
    }
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tidemark-e2e")
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Generates both migrations of a scenario into `dir` (a fresh workspace).
fn generate_scenario(scenario: &Scenario, dir: &Path) -> (Snapshot, Snapshot) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("migration/src")).unwrap();
    std::fs::write(
        dir.join("migration/src/lib.rs"),
        tidemark::registry::initial_lib_rs(),
    )
    .unwrap();
    let ws = Workspace::new(dir);
    let initial = generate::generate(
        &ws,
        &(scenario.before)(),
        &Scenario::new("", scenario.before, scenario.before).options("initial", 0),
        &mut NoTerminal,
    )
    .unwrap_or_else(|e| panic!("{}: initial generate failed: {e}", scenario.name));
    assert!(
        matches!(initial, Outcome::Generated(_)),
        "{}: initial schema is empty",
        scenario.name
    );
    let first = Snapshot::read(&ws.snapshot()).unwrap().unwrap();
    let change = generate::generate(
        &ws,
        &(scenario.after)(),
        &scenario.options("change", 1),
        &mut NoTerminal,
    )
    .unwrap_or_else(|e| panic!("{}: generate failed: {e}", scenario.name));
    assert!(
        matches!(change, Outcome::Generated(_)),
        "{}: no change detected",
        scenario.name
    );
    let second = Snapshot::read(&ws.snapshot()).unwrap().unwrap();
    (first, second)
}

pub struct Prepared {
    pub runner: PathBuf,
    pub scenarios_dir: PathBuf,
}

/// Generates all scenarios and builds (or reuses) the runner. Once per process.
pub fn prepare(scenarios: &[Scenario]) -> &'static Prepared {
    static PREPARED: OnceLock<Prepared> = OnceLock::new();
    PREPARED.get_or_init(|| build_runner(scenarios))
}

fn build_runner(scenarios: &[Scenario]) -> Prepared {
    let base = target_dir();
    std::fs::create_dir_all(&base).unwrap();
    let lock = std::fs::File::create(base.join("lock")).unwrap();
    lock.lock().unwrap();

    // This test binary holds the generator and the scenarios, so it determines what they
    // generate: once one process generated them, the others of the same build reuse that.
    let generated_by = base.join(format!("generated-by-{}", this_build()));
    if let Ok(key) = std::fs::read_to_string(&generated_by) {
        let binary = base.join(format!("runner-{key}"));
        let scenarios_dir = base.join(format!("scenarios-{key}"));
        if binary.exists() && scenarios_dir.exists() {
            lock.unlock().unwrap();
            return Prepared {
                runner: binary,
                scenarios_dir,
            };
        }
    }

    // Generate into a per-process staging folder, hash, and publish under the hash.
    let staging = base.join(format!("staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    for s in scenarios {
        generate_scenario(s, &staging.join(s.name));
    }
    let mut hasher = std::hash::DefaultHasher::new();
    for s in scenarios {
        let src = staging.join(s.name).join("migration/src");
        let mut files: Vec<_> = std::fs::read_dir(&src)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            f.file_name().hash(&mut hasher);
            std::fs::read(&f).unwrap().hash(&mut hasher);
        }
    }
    // The runner also compiles tidemark-runtime: a change there needs a new build; and so
    // does another clippy, whose lints the build applies.
    for f in files_under(&workspace_root().join("runtime/src")) {
        std::fs::read(&f).unwrap().hash(&mut hasher);
    }
    let clippy = Command::new(clippy_driver())
        .arg("-vV")
        .output()
        .expect("clippy-driver runs");
    clippy.stdout.hash(&mut hasher);
    let key = format!("{:016x}", hasher.finish());
    // Runners and scenarios of earlier builds are of no more use: each holds a binary.
    for entry in std::fs::read_dir(&base).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = ["runner-", "scenarios-", "generated-by-"]
            .iter()
            .any(|p| name.starts_with(p))
            && !name.ends_with(&key)
            && name != format!("generated-by-{}", this_build());
        if stale {
            let path = entry.path();
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
    }
    let scenarios_dir = base.join(format!("scenarios-{key}"));
    if !scenarios_dir.exists() {
        std::fs::rename(&staging, &scenarios_dir).unwrap();
    } else {
        let _ = std::fs::remove_dir_all(&staging);
    }

    let runner_dir = base.join("runner");
    let binary = base.join(format!("runner-{key}"));
    if !binary.exists() {
        write_runner_crate(&runner_dir, &scenarios_dir, scenarios);
        // Clippy lints the generated code as it compiles: clippy-driver stands in for rustc
        // on the runner crate only, so the dependencies keep their one build.
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(runner_dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", base.join("target"))
            .env("RUSTC_WORKSPACE_WRAPPER", clippy_driver())
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "the generated migrations do not compile without rustc or clippy warnings (see above)"
        );
        std::fs::copy(base.join("target/debug/tidemark-e2e-runner"), &binary).unwrap();
    }
    std::fs::write(&generated_by, &key).unwrap();
    lock.unlock().unwrap();
    Prepared {
        runner: binary,
        scenarios_dir,
    }
}

/// The clippy of the toolchain that builds the tests (rustup installs it beside cargo).
fn clippy_driver() -> PathBuf {
    let driver = Path::new(env!("CARGO")).with_file_name("clippy-driver");
    assert!(
        driver.exists(),
        "{} is missing: the e2e tests lint the generated migrations with clippy \
         (`rustup component add clippy`)",
        driver.display()
    );
    driver
}

/// Identifies this test binary's build: its size and modification time.
fn this_build() -> String {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let meta = std::fs::metadata(&exe).expect("the test binary exists");
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{modified:x}", meta.len())
}

fn write_runner_crate(dir: &Path, scenarios_dir: &Path, scenarios: &[Scenario]) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let root = workspace_root();
    let manifest = format!(
        r#"[package]
name = "tidemark-e2e-runner"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
sea-orm-migration = {{ version = "2.0.4", default-features = false, features = ["runtime-tokio-rustls", "sqlx-sqlite", "sqlx-postgres", "sqlx-mysql", "cli"] }}
tidemark-runtime = {{ path = "{}" }}
async-trait = "0.1"
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

[lints.rust]
warnings = "deny"
"#,
        root.join("runtime").display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    // The workspace's lock file pins the same versions the migration crate uses.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let mut main = String::new();
    for s in scenarios {
        main.push_str(&format!(
            "#[path = \"{}\"]\nmod {};\n",
            scenarios_dir
                .join(s.name)
                .join("migration/src/lib.rs")
                .display(),
            s.name
        ));
    }
    main.push_str("\nfn main() {\n    match std::env::var(\"TIDEMARK_SCENARIO\").unwrap_or_default().as_str() {\n");
    for s in scenarios {
        main.push_str(&format!(
            "        \"{0}\" => tidemark_runtime::run_cli({0}::Migrator),\n",
            s.name
        ));
    }
    main.push_str("        other => panic!(\"unknown scenario `{other}`\"),\n    }\n}\n");
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
}

/// Runs the scenario's migrator with `args`; panics with its output on failure.
fn migrate(prepared: &Prepared, scenario: &str, url: &str, args: &[&str]) {
    let out = Command::new(&prepared.runner)
        .args(args)
        .env("TIDEMARK_SCENARIO", scenario)
        .env("DATABASE_URL", url)
        .output()
        .expect("runner starts");
    assert!(
        out.status.success(),
        "{scenario}: `{}` failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The full round trip of the README's contract, with rows present, on `backend`.
pub async fn run(scenarios: &[Scenario], name: &str, backend: Backend) {
    let scenario = scenarios
        .iter()
        .find(|s| s.name == name)
        .expect("known scenario");
    let Some(db) = crate::servers::TestDatabase::create(backend, name).await else {
        return;
    };
    let prepared = prepare(scenarios);
    let url = db.url.clone();
    let outcome = tokio::spawn(round_trip(prepared, scenario_data(scenario), url, backend)).await;
    db.drop().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// What a scenario run needs, owned, so it can run on its own task.
struct ScenarioData {
    name: &'static str,
    before: fn() -> EntitySet,
    after: fn() -> EntitySet,
    rename_tables: &'static [(&'static str, &'static str)],
    kept_values: &'static [(&'static str, &'static str, &'static str)],
}

fn scenario_data(s: &Scenario) -> ScenarioData {
    ScenarioData {
        name: s.name,
        before: s.before,
        after: s.after,
        rename_tables: s.rename_tables,
        kept_values: s.kept_values,
    }
}

async fn round_trip(
    prepared: &'static Prepared,
    scenario: ScenarioData,
    url: String,
    backend: Backend,
) {
    let name = scenario.name;
    let dir = prepared.scenarios_dir.join(name);
    let ws = Workspace::new(&dir);
    let before = (scenario.before)().extract().unwrap().schema;
    let after = Snapshot::read(&ws.snapshot()).unwrap().unwrap().schema;
    let (before, after) = (&before, &after);

    migrate(prepared, name, &url, &["up", "-n", "1"]);
    let db = connect(&url).await;
    assert_matches(&db, before, name, backend, "after the first migration").await;
    let seeded = seed(&db, before, backend).await;
    db.close().await.ok();

    migrate(prepared, name, &url, &["up"]);
    let db = connect(&url).await;
    assert_matches(&db, after, name, backend, "after up").await;
    assert_rows_kept(&db, &scenario, before, after, &seeded, backend, "after up").await;
    db.close().await.ok();

    migrate(prepared, name, &url, &["down", "-n", "1"]);
    let db = connect(&url).await;
    assert_matches(&db, before, name, backend, "after down").await;
    assert_row_counts(
        &db,
        before,
        after,
        &seeded,
        &scenario,
        backend,
        "after down",
    )
    .await;
    db.close().await.ok();

    migrate(prepared, name, &url, &["up"]);
    let db = connect(&url).await;
    assert_matches(&db, after, name, backend, "after up again").await;
    db.close().await.ok();

    // Generating once more must find nothing: no spurious differences.
    let pending = generate::pending(
        &ws,
        &(scenario.after)(),
        &Renames::default(),
        &mut NoTerminal,
    )
    .unwrap();
    assert!(
        pending.changes.is_empty(),
        "{name}: generating again reports {:?}",
        pending.summary()
    );
}

async fn connect(url: &str) -> DatabaseConnection {
    Database::connect(url).await.expect("database opens")
}

async fn assert_matches(
    db: &DatabaseConnection,
    expected: &Schema,
    name: &str,
    backend: Backend,
    when: &str,
) {
    let live = tidemark::introspect::introspect(db).await.unwrap();
    let differences = tidemark::verify::differences(&live, expected, backend);
    assert!(
        differences.is_empty(),
        "{name} on {}: {when}, the database differs from the snapshot:\n  {}",
        backend.name(),
        differences.join("\n  ")
    );
}

type Seeded = BTreeMap<String, usize>;

const ROWS: usize = 2;

/// Puts two rows in every table, parents first, with values that satisfy keys and types.
async fn seed(db: &DatabaseConnection, schema: &Schema, backend: Backend) -> Seeded {
    let mut seeded = Seeded::new();
    let mut remaining: Vec<&tidemark::model::Table> = schema.tables.values().collect();
    while !remaining.is_empty() {
        let position = remaining
            .iter()
            .position(|t| {
                t.foreign_keys.values().all(|fk| {
                    fk.ref_table == t.name
                        || seeded.contains_key(&fk.ref_table)
                        || !schema.tables.contains_key(&fk.ref_table)
                })
            })
            .unwrap_or(0);
        let table = remaining.remove(position);
        for i in 1..=ROWS {
            let mut columns = Vec::new();
            let mut values = Vec::new();
            for column in &table.columns {
                columns.push(quote(backend, &column.name));
                // The second row leaves nullable columns empty, so NULL handling is exercised.
                let is_key = table
                    .foreign_keys
                    .values()
                    .any(|fk| fk.columns.contains(&column.name));
                if column.nullable && i == ROWS && !is_key {
                    values.push("NULL".to_owned());
                } else {
                    values.push(seed_value(
                        schema,
                        table,
                        &column.name,
                        &column.ty,
                        i,
                        backend,
                    ));
                }
            }
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                quote(backend, &table.name),
                columns.join(", "),
                values.join(", ")
            );
            db.execute_raw(Statement::from_string(
                db.get_database_backend(),
                sql.clone(),
            ))
            .await
            .unwrap_or_else(|e| panic!("seeding failed: {sql}: {e}"));
        }
        seeded.insert(table.name.clone(), ROWS);
    }
    seeded
}

/// The seeded value of `column` in row `i` (also what a kept value must still be).
pub fn seed_value(
    schema: &Schema,
    table: &tidemark::model::Table,
    column: &str,
    ty: &ColumnType,
    i: usize,
    backend: Backend,
) -> String {
    if table
        .foreign_keys
        .values()
        .any(|fk| fk.columns.iter().any(|c| c == column))
    {
        return i.to_string();
    }
    use ColumnType::*;
    match ty {
        TinyInteger | SmallInteger | Integer | BigInteger | TinyUnsigned | SmallUnsigned
        | Unsigned | BigUnsigned => i.to_string(),
        Float | Double | Decimal(_) | Money(_) => format!("{i}.5"),
        Boolean => {
            if i % 2 == 1 {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        Json | JsonBinary => format!("'{{\"n\": {i}}}'"),
        Uuid if backend == Backend::Mysql => format!("x'0000000000000000000000000000000{i}'"),
        Uuid => format!("'00000000-0000-0000-0000-00000000000{i}'"),
        DateTime | Timestamp | TimestampWithTimeZone if backend == Backend::Mysql => {
            format!("'2026-01-0{i} 10:00:00'")
        }
        DateTime | Timestamp | TimestampWithTimeZone => format!("'2026-01-0{i} 10:00:00+00:00'"),
        Date => format!("'2026-01-0{i}'"),
        Time => format!("'10:00:0{i}'"),
        Enum(name) => {
            // The first value: scenarios remove later ones, which rows must not hold.
            format!("'{}'", schema.enums[name].values[0])
        }
        Blob | Binary(_) | VarBinary(_) if backend == Backend::Postgres => {
            format!("decode('0{i}', 'hex')")
        }
        Blob | Binary(_) | VarBinary(_) => format!("x'0{i}'"),
        _ => format!("'{column}_{i}'"),
    }
}

fn quote(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Mysql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

async fn count(db: &DatabaseConnection, table: &str, backend: Backend) -> usize {
    let sql = format!("SELECT COUNT(*) FROM {}", quote(backend, table));
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap() as usize
}

/// Tables that exist on both sides keep their rows; renamed ones included.
async fn assert_row_counts(
    db: &DatabaseConnection,
    now: &Schema,
    other: &Schema,
    seeded: &Seeded,
    scenario: &ScenarioData,
    backend: Backend,
    when: &str,
) {
    for table in now.tables.keys() {
        let seeded_as = scenario
            .rename_tables
            .iter()
            .find(|(_, to)| to == table)
            .map_or(table.as_str(), |(from, _)| from);
        let Some(expected) = seeded.get(seeded_as).or_else(|| seeded.get(table)) else {
            continue;
        };
        let renamed = scenario
            .rename_tables
            .iter()
            .any(|(f, t)| f == table || t == table);
        if !other.tables.contains_key(table) && !renamed {
            continue;
        }
        assert_eq!(
            count(db, table, backend).await,
            *expected,
            "{} on {}: {when}, `{table}` lost rows",
            scenario.name,
            backend.name()
        );
    }
}

async fn assert_rows_kept(
    db: &DatabaseConnection,
    scenario: &ScenarioData,
    before: &Schema,
    after: &Schema,
    seeded: &Seeded,
    backend: Backend,
    when: &str,
) {
    assert_row_counts(db, after, before, seeded, scenario, backend, when).await;
    for (table, column, was) in scenario.kept_values {
        let seeded_as = scenario
            .rename_tables
            .iter()
            .find(|(_, to)| to == table)
            .map_or(*table, |(from, _)| from);
        let old_table = &before.tables[seeded_as];
        let ty = &old_table.column(was).expect("kept column existed").ty;
        for i in 1..=ROWS {
            let expected = seed_value(before, old_table, was, ty, i, backend);
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE {} = {expected}",
                quote(backend, table),
                quote(backend, column)
            );
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            let n: i64 = row.try_get_by_index(0).unwrap();
            assert_eq!(
                n,
                1,
                "{} on {}: {when}, `{table}.{column}` lost the value {expected}",
                scenario.name,
                backend.name()
            );
        }
    }
}

/// What lint finds in the change migration of every scenario on `backend`, read from the
/// runner's SQL preview (no database), after the waivers in each file.
pub fn lint_findings(scenarios: &[Scenario], backend: Backend) -> Vec<(String, String, bool)> {
    let prepared = prepare(scenarios);
    let mut found = Vec::new();
    for scenario in scenarios {
        let out = Command::new(&prepared.runner)
            .env("TIDEMARK_SCENARIO", scenario.name)
            .env("TIDEMARK_SQL_FORMAT", "json")
            .env(
                "TIDEMARK_SQL_PREVIEW",
                match backend {
                    Backend::Postgres => "postgres",
                    Backend::Mysql => "mysql",
                    Backend::Sqlite => "sqlite",
                },
            )
            .output()
            .expect("runner starts");
        assert!(
            out.status.success(),
            "{}: {}",
            scenario.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let recorded: Vec<tidemark::migrator::Recorded> =
            serde_json::from_slice(&out.stdout).expect("the preview's JSON");
        let ws = Workspace::new(prepared.scenarios_dir.join(scenario.name));
        for direction in recorded.iter().filter(|r| r.migration.ends_with("_change")) {
            let source = std::fs::read_to_string(ws.migration_file(&direction.migration)).unwrap();
            let (waived, malformed) = tidemark::lint::waivers(&source);
            assert!(malformed.is_empty(), "{}: {malformed:?}", scenario.name);
            for finding in tidemark::lint::check(direction, backend, &waived) {
                found.push((
                    scenario.name.to_owned(),
                    finding.rule.id.to_owned(),
                    finding.down,
                ));
            }
        }
    }
    found
}

/// The size a reviewer reads: the non-blank lines of each scenario's change migration that are
/// not comments (the `//!` header says in words what the code does).
pub fn change_migration_sizes(scenarios: &[Scenario]) -> BTreeMap<String, usize> {
    let prepared = prepare(scenarios);
    let mut sizes = BTreeMap::new();
    for scenario in scenarios {
        let ws = Workspace::new(prepared.scenarios_dir.join(scenario.name));
        let dir = ws.migration_file("x").parent().unwrap().to_owned();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with("_change.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let code = source
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("//"))
                .count();
            sizes.insert(scenario.name.to_owned(), code);
        }
    }
    sizes
}

/// Every migration file the scenarios generated, initial ones included.
pub fn generated_migration_files(scenarios: &[Scenario]) -> Vec<PathBuf> {
    let prepared = prepare(scenarios);
    let mut files: Vec<PathBuf> = scenarios
        .iter()
        .flat_map(|s| files_under(&prepared.scenarios_dir.join(s.name).join("migration/src")))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with('m') && name.ends_with(".rs")
        })
        .collect();
    files.sort();
    files
}

/// Every file in `dir` and its subfolders, in a fixed order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
