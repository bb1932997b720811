//! README's "Adopting tidemark in your workspace", run as written: a workspace outside the
//! project's tree with crates named as users name them (`entity`, `migration`, `tool`),
//! tidemark by path, and every command of the section on the embedded SQLite default.
//!
//! The files and commands come from the README itself, so the two change together. The build
//! shares the project's target folder, so the dependencies compile once.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "common/tree.rs"]
mod tree;
use tree::tree;

fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The project's own target folder (`CARGO_TARGET_TMPDIR` is `<target>/tmp`).
fn project_target() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the tmp folder sits in the target folder")
        .to_owned()
}

/// Held while a test builds a workspace whose crates are named as users name them
/// (`migration`, `tool`): they share the project's target folder, where each build puts its
/// binary at the same path (`target/debug/migration`), so two at once would run each other's.
fn user_workspace_lock() -> std::fs::File {
    let path = project_target().join("user-workspaces.lock");
    let file = std::fs::File::create(&path).unwrap();
    file.lock().unwrap();
    file
}

/// A fenced block of the README section: its info string and its lines.
struct Block {
    lang: String,
    lines: Vec<String>,
}

fn adoption_section() -> Vec<Block> {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let start = readme
        .find("## Adopting tidemark in your workspace")
        .expect("the README has the adoption section");
    let rest = &readme[start + 3..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in section.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => {
                    current = Some(Block {
                        lang: info.trim().to_owned(),
                        lines: Vec::new(),
                    })
                }
            }
            continue;
        }
        if let Some(block) = current.as_mut() {
            // Blocks sit in list items, indented by three spaces.
            block
                .lines
                .push(line.strip_prefix("   ").unwrap_or(line).to_owned());
        }
    }
    blocks
}

/// The file a block shows (its first line is `# path` or `// path`), if it shows one.
fn file_of(block: &Block) -> Option<PathBuf> {
    let first = block.lines.first()?;
    let path = first
        .strip_prefix("# ")
        .or_else(|| first.strip_prefix("// "))?;
    (path.ends_with(".toml") || path.ends_with(".rs")).then(|| PathBuf::from(path))
}

/// Splits a README command line into words, honouring double quotes, and reads the exit code
/// its comment promises (`# exit 1: ...`; 0 otherwise).
fn command_of(line: &str) -> Option<(Vec<String>, i32)> {
    let (command, comment) = line.split_once(" #").unwrap_or((line, ""));
    let command = command.trim();
    if command.is_empty() || command.starts_with('#') {
        return None;
    }
    let expected = if comment.contains("exit 1") { 1 } else { 0 };
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    Some((words, expected))
}

/// The user's own entity crate (not part of the README: every workspace has one).
fn write_entity_crate(dir: &Path) {
    let entity = dir.join("entity");
    std::fs::create_dir_all(entity.join("src")).unwrap();
    std::fs::write(
        entity.join("Cargo.toml"),
        r#"[package]
name = "entity"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
sea-orm = { version = "2.0.4", default-features = false, features = ["macros", "with-json", "with-chrono", "with-rust_decimal", "with-uuid", "entity-registry"] }
"#,
    )
    .unwrap();
    std::fs::write(entity.join("src/lib.rs"), "pub mod post;\npub mod user;\n").unwrap();
    std::fs::write(
        entity.join("src/user.rs"),
        r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::post::Entity")]
    Post,
}

impl Related<super::post::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Post.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
"#,
    )
    .unwrap();
    std::fs::write(
        entity.join("src/post.rs"),
        r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub title: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
"#,
    )
    .unwrap();
}

#[test]
fn the_readme_adoption_steps_work_in_a_workspace_of_its_own() {
    let _lock = user_workspace_lock();
    let blocks = adoption_section();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write_entity_crate(ws);

    let tidemark = project_root();
    let mut files = 0;
    for block in &blocks {
        let Some(path) = file_of(block) else { continue };
        let text = block
            .lines
            .join("\n")
            .replace("\"../../tidemark", &format!("\"{}", tidemark.display()));
        let target = ws.join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, text + "\n").unwrap();
        files += 1;
    }
    assert!(files >= 6, "the README shows {files} file(s)");
    // The lockfile pins the versions the project is tested with.
    std::fs::copy(tidemark.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();

    let commands: Vec<(Vec<String>, i32)> = blocks
        .iter()
        .filter(|b| b.lang == "sh")
        .flat_map(|b| b.lines.iter().filter_map(|l| command_of(l)))
        .collect();
    assert!(
        commands
            .iter()
            .any(|(c, _)| c.contains(&"generate".to_owned())),
        "the README section runs generate"
    );
    for (words, expected) in &commands {
        assert_eq!(
            words[0], "cargo",
            "README commands are cargo commands: {words:?}"
        );
        let out = user_cargo(ws).args(&words[1..]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(*expected),
            "`{}` in the README's workspace:\n{stdout}\n{stderr}",
            words.join(" ")
        );
    }

    // What the commands left: one migration, registered, with its snapshot, applied.
    let migrations: Vec<String> = std::fs::read_dir(ws.join("migration/src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('m') && n.ends_with("_initial_schema.rs"))
        .collect();
    assert_eq!(migrations.len(), 1, "{migrations:?}");
    let lib = std::fs::read_to_string(ws.join("migration/src/lib.rs")).unwrap();
    let module = migrations[0].trim_end_matches(".rs");
    assert!(lib.contains(&format!("mod {module};")), "{lib}");
    assert!(ws.join("migration/schema_snapshot.json").exists());
    assert!(ws.join("tidemark.sqlite").exists(), "the SQLite default");

    // An entity edit is read from source: `check` sees it and cargo rebuilds nothing first.
    add_post_body(ws);
    let (stdout, stderr) = cargo(ws, &["run", "--", "check"], 1);
    assert!(stdout.contains("body"), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("Compiling"),
        "an entity edit rebuilt a crate:\n{stderr}"
    );

    // A field type from another crate is the compiler's to read: one note, then the
    // compiled fallback answers the same command.
    let shared = ws.join("shared");
    std::fs::create_dir_all(shared.join("src")).unwrap();
    std::fs::write(
        shared.join("Cargo.toml"),
        "[package]\nname = \"shared\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nsea-orm = { version = \"2.0.4\", default-features = false, features = [\"macros\"] }\n",
    )
    .unwrap();
    std::fs::write(
        shared.join("src/lib.rs"),
        "#[derive(Clone, Debug, PartialEq, Eq, sea_orm::DeriveValueType)]\npub struct Email(pub String);\n",
    )
    .unwrap();
    let manifest = ws.join("entity/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "shared = { path = \"../shared\" }\n").unwrap();
    let user = ws.join("entity/src/user.rs");
    let text = std::fs::read_to_string(&user).unwrap();
    std::fs::write(
        &user,
        text.replace(
            "pub name: Option<String>,",
            "pub name: Option<String>,\n    pub contact: Option<shared::Email>,",
        ),
    )
    .unwrap();
    let (stdout, stderr) = cargo(ws, &["run", "--", "check"], 1);
    assert!(
        stderr.contains(
            "note: entity/src/user.rs:11: field `contact`: `shared::Email` is not one of \
             SeaORM's value types and is not defined in the entity crate; reading the compiled \
             entities instead (`cargo run -p tool --features compiled`)"
        ),
        "{stderr}"
    );
    assert!(
        stdout.contains("contact") && stdout.contains("body"),
        "{stdout}\n{stderr}"
    );

    // Through the fallback, `--format json` is the child's one object, not two.
    let (stdout, stderr) = cargo(ws, &["run", "--", "check", "--format", "json"], 1);
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("not one JSON object ({err}):\n{stdout}\n{stderr}"));
    assert_eq!(report["command"], "check", "{report}");
    assert_eq!(report["exit"], 1, "{report}");
    assert!(stdout.contains("contact"), "{stdout}");

    // Back to what the reader reads: the plain run builds nothing below the tool, although the
    // fallback built the tool with the entity crate in.
    std::fs::write(&user, text).unwrap();
    let (stdout, stderr) = cargo(ws, &["run", "--", "check"], 1);
    assert!(!stderr.contains("reading the compiled"), "{stderr}");
    assert!(
        stdout.contains("body") && !stdout.contains("contact"),
        "{stdout}"
    );
    let rebuilt: Vec<&str> = stderr
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling") && !line.contains(" tool "))
        .collect();
    assert!(
        rebuilt.is_empty(),
        "the plain run after the fallback rebuilt {rebuilt:?}:\n{stderr}"
    );
}

/// Runs cargo in the workspace, expecting `code`; its stdout and stderr.
fn cargo(ws: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = user_cargo(ws).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "`cargo {}`:\n{stdout}\n{stderr}",
        args.join(" ")
    );
    (stdout, stderr)
}

/// cargo as a user's shell runs it in `ws`: without the variables cargo set for this test
/// process (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...). Build scripts that watch them
/// (ring's) would otherwise see them come and go between this cargo and the one the compiled
/// fallback starts, and rebuild every crate above them, which no user's shell would.
fn user_cargo(ws: &Path) -> Command {
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(ws)
        .env("CARGO_TARGET_DIR", project_target())
        .env_remove("DATABASE_URL");
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_BIN_NAME",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// The entity edit both adoption paths make: `post.body`, a nullable column.
fn add_post_body(ws: &Path) {
    let post = ws.join("entity/src/post.rs");
    let text = std::fs::read_to_string(&post).unwrap();
    std::fs::write(
        &post,
        text.replace(
            "pub title: String,",
            "pub title: String,\n    pub body: Option<String>,",
        ),
    )
    .unwrap();
}

/// A workspace as `sea-orm-cli` leaves it: the entity crate (`post.body` added last), and a
/// `migration` crate from `sea-orm-cli migrate init` whose one hand-written migration makes
/// everything but `post.body`.
fn sea_orm_cli_workspace(ws: &Path) {
    write_entity_crate(ws);
    add_post_body(ws);
    std::fs::write(
        ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"entity\", \"migration\"]\nresolver = \"3\"\n",
    )
    .unwrap();
    std::fs::copy(project_root().join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    std::fs::write(ws.join(".gitignore"), "/target\n").unwrap();
    let migration = ws.join("migration");
    std::fs::create_dir_all(migration.join("src")).unwrap();
    std::fs::write(
        migration.join("Cargo.toml"),
        r#"[package]
name = "migration"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
name = "migration"
path = "src/lib.rs"

[dependencies]
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[dependencies.sea-orm-migration]
version = "2.0.4"
features = ["runtime-tokio-rustls", "sqlx-sqlite"]
"#,
    )
    .unwrap();
    std::fs::write(
        migration.join("src/main.rs"),
        "use sea_orm_migration::prelude::*;\n\n#[tokio::main]\nasync fn main() {\n    \
         cli::run_cli(migration::Migrator).await;\n}\n",
    )
    .unwrap();
    std::fs::write(
        migration.join("src/lib.rs"),
        r#"pub use sea_orm_migration::prelude::*;

mod m20220101_000001_create_table;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20220101_000001_create_table::Migration)]
    }
}
"#,
    )
    .unwrap();
    std::fs::write(
        migration.join("src/m20220101_000001_create_table.rs"),
        r#"use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(User::Table)
                    .col(ColumnDef::new(User::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(User::Email).string().not_null().unique_key())
                    .col(ColumnDef::new(User::Name).string())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Post::Table)
                    .col(ColumnDef::new(Post::Id).integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Post::UserId).integer().not_null())
                    .col(ColumnDef::new(Post::Title).string().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-post-user_id")
                            .from(Post::Table, Post::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Post::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(User::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    Email,
    Name,
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    UserId,
    Title,
}
"#,
    )
    .unwrap();
}

/// tidemark's own binary (`tidemark init`) run in `ws` as a user runs it; exit code, stdout
/// and stderr.
fn tidemark(ws: &Path, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tidemark"));
    for (name, value) in user_cargo(ws).get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let out = command.current_dir(ws).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The pending changes `check` lists, one `  - ...` line each.
fn listed_changes(check_stdout: &str) -> Vec<String> {
    check_stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn init_adopts_a_sea_orm_cli_workspace_with_its_migrations() {
    let _lock = user_workspace_lock();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    sea_orm_cli_workspace(ws);

    let (code, stdout, stderr) = tidemark(ws, &["init"]);
    assert_eq!(code, 0, "init:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("post.body") && stdout.contains("a scratch SQLite database"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Next: cargo run -- generate --autogenerate"),
        "{stdout}"
    );
    let ignored = std::fs::read_to_string(ws.join(".gitignore")).unwrap();
    assert!(
        ignored.starts_with("/target\n") && ignored.ends_with("\n*.migrator-lock\n"),
        "{ignored}"
    );
    let tool = std::fs::read_to_string(ws.join("tool/src/main.rs")).unwrap();
    assert!(
        tool.contains("entity::post::Entity") && tool.contains("entity::user::Entity"),
        "{tool}"
    );
    let main = std::fs::read_to_string(ws.join("migration/src/main.rs")).unwrap();
    assert_eq!(
        main,
        "fn main() {\n    tidemark_runtime::run_cli(migration::Migrator);\n}\n"
    );

    // What the migrations make is the baseline: `check` names the one column they leave out.
    let (stdout, stderr) = cargo(ws, &["run", "--", "check"], 1);
    let changes = listed_changes(&stdout);
    assert_eq!(changes.len(), 1, "{stdout}\n{stderr}");
    assert!(changes[0].contains("post.body"), "{stdout}");

    // The old migration runs through the runtime; rows written, then the generated one.
    cargo(ws, &["run", "-p", "migration", "--", "up"], 0);
    let db = ws.join("tidemark.sqlite");
    sqlite(
        &db,
        "INSERT INTO \"user\" (email, name) VALUES ('a@example.com', 'A'); \
         INSERT INTO post (user_id, title) VALUES (1, 'hello')",
    );
    cargo(
        ws,
        &["run", "--", "generate", "--autogenerate", "-m", "post body"],
        0,
    );
    cargo(ws, &["run", "-p", "migration", "--", "up"], 0);
    assert_eq!(
        sqlite_rows(&db, "SELECT title, body FROM post"),
        vec![vec!["hello".to_owned(), "NULL".to_owned()]]
    );
    cargo(ws, &["run", "--", "check"], 0);
    // Each migration's recorded schema is what it makes, the hand-written one included.
    cargo(ws, &["run", "--", "verify"], 0);

    // A second `init` is refused and changes nothing.
    let before = tree(ws);
    let (code, _, stderr) = tidemark(ws, &["init"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(tree(ws), before);
}

#[test]
fn init_reads_the_baseline_from_a_live_database() {
    let _lock = user_workspace_lock();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    sea_orm_cli_workspace(ws);
    // The database the application runs on, migrated by sea-orm-migration's own CLI.
    let url = format!("sqlite://{}?mode=rwc", ws.join("app.sqlite").display());
    let out = user_cargo(ws)
        .args(["run", "-p", "migration", "--", "up"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (code, stdout, stderr) = tidemark(ws, &["init", "--from-database", &url]);
    assert_eq!(code, 0, "init:\n{stdout}\n{stderr}");
    assert!(stdout.contains("app.sqlite"), "{stdout}");
    let (stdout, stderr) = cargo(ws, &["run", "--", "check"], 1);
    let changes = listed_changes(&stdout);
    assert_eq!(changes.len(), 1, "{stdout}\n{stderr}");
    assert!(changes[0].contains("post.body"), "{stdout}");
}

#[test]
fn a_refused_or_failed_init_leaves_the_workspace_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    sea_orm_cli_workspace(ws);
    let pristine = tree(ws);

    // A live database that cannot be reached: every file written so far is put back.
    let (code, _, stderr) = tidemark(
        ws,
        &[
            "init",
            "--from-database",
            "postgres://postgres@127.0.0.1:1/app",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert_eq!(tree(ws), pristine, "a failed init changed files");

    // A live database that has not applied every migration.
    let empty = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("empty.sqlite").display()
    );
    let (code, _, stderr) = tidemark(ws, &["init", "--from-database", &empty]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("applied 0 of the 1"), "{stderr}");
    std::fs::remove_file(dir.path().join("empty.sqlite")).ok();
    assert_eq!(tree(ws), pristine);

    // A live database migrated from another history: as many migrations, not the same ones.
    let other = dir.path().join("other.sqlite");
    std::fs::write(&other, "").unwrap();
    sqlite(
        &other,
        "CREATE TABLE seaql_migrations (version varchar PRIMARY KEY, applied_at bigint); \
         INSERT INTO seaql_migrations VALUES ('m20230101_000000_elsewhere', 0)",
    );
    let other_url = format!("sqlite://{}", other.display());
    let (code, _, stderr) = tidemark(ws, &["init", "--from-database", &other_url]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("does not register (m20230101_000000_elsewhere)"),
        "{stderr}"
    );
    std::fs::remove_file(&other).unwrap();
    assert_eq!(tree(ws), pristine);

    // A migrator `main.rs` it does not recognise.
    let main = ws.join("migration/src/main.rs");
    let original = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, "fn main() {\n    my_app::migrate();\n}\n").unwrap();
    let custom = tree(ws);
    let (code, _, stderr) = tidemark(ws, &["init"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("migration/src/main.rs does not call"),
        "{stderr}"
    );
    assert_eq!(tree(ws), custom);
    // One that calls `run_cli` among other code, which rewiring would lose.
    std::fs::write(
        &main,
        original.replace(
            "    cli::run_cli(",
            "    my_app::load_settings();\n    cli::run_cli(",
        ),
    )
    .unwrap();
    let custom = tree(ws);
    let (code, _, stderr) = tidemark(ws, &["init"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("migration/src/main.rs does not call"),
        "{stderr}"
    );
    assert_eq!(tree(ws), custom);
    std::fs::write(&main, original).unwrap();

    // No crate with entities.
    for module in ["user", "post"] {
        std::fs::remove_file(ws.join(format!("entity/src/{module}.rs"))).unwrap();
    }
    std::fs::write(ws.join("entity/src/lib.rs"), "pub fn helper() {}\n").unwrap();
    let no_entities = tree(ws);
    let (code, _, stderr) = tidemark(ws, &["init"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no crate of this workspace derives `DeriveEntityModel`"),
        "{stderr}"
    );
    assert_eq!(tree(ws), no_entities);

    // Other commands need the tool crate `init` writes.
    let (code, _, stderr) = tidemark(ws, &["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("run `tidemark init`"), "{stderr}");
}

/// Runs `sql` on the SQLite file `db`.
fn sqlite(db: &Path, sql: &str) {
    let url = format!("sqlite://{}", db.display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(&url).await.unwrap();
        conn.execute_unprepared(sql).await.unwrap();
        conn.close().await.unwrap();
    });
}

/// The rows `query` returns from `db`, every value as text (`NULL` for null).
fn sqlite_rows(db: &Path, query: &str) -> Vec<Vec<String>> {
    let url = format!("sqlite://{}", db.display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::{ConnectionTrait, Statement};
        let conn = sea_orm::Database::connect(&url).await.unwrap();
        let rows = conn
            .query_all_raw(Statement::from_string(conn.get_database_backend(), query))
            .await
            .unwrap();
        conn.close().await.unwrap();
        rows.iter()
            .map(|row| {
                row.column_names()
                    .iter()
                    .map(|name| {
                        row.try_get::<Option<String>>("", name)
                            .unwrap()
                            .unwrap_or_else(|| "NULL".to_owned())
                    })
                    .collect()
            })
            .collect()
    })
}

/// A workspace of 200 entities with no migrations yet: `init` needs no build for it.
fn large_workspace(ws: &Path) {
    sea_orm_cli_workspace(ws);
    let src = ws.join("entity/src");
    let mut lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    for i in 0..198 {
        lib.push_str(&format!("pub mod table_{i:03};\n"));
        std::fs::write(
            src.join(format!("table_{i:03}.rs")),
            format!(
                "use sea_orm::entity::prelude::*;\n\n\
                 #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]\n\
                 #[sea_orm(table_name = \"table_{i:03}\")]\n\
                 pub struct Model {{\n    #[sea_orm(primary_key)]\n    pub id: i32,\n}}\n\n\
                 #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\n\
                 pub enum Relation {{}}\n\n\
                 impl ActiveModelBehavior for ActiveModel {{}}\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(src.join("lib.rs"), lib).unwrap();
    let migration = ws.join("migration/src");
    std::fs::remove_file(migration.join("m20220101_000001_create_table.rs")).unwrap();
    std::fs::write(
        migration.join("lib.rs"),
        "pub use sea_orm_migration::prelude::*;\n\npub struct Migrator;\n\n\
         #[async_trait::async_trait]\nimpl MigratorTrait for Migrator {\n    \
         fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![]\n    }\n}\n",
    )
    .unwrap();
}

#[test]
fn init_optimizes_the_generator_of_a_large_schema_unless_told_to_keep_the_profile() {
    let _lock = user_workspace_lock();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    large_workspace(ws);
    let (code, stdout, stderr) = tidemark(ws, &["init"]);
    assert_eq!(code, 0, "init:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "optimizes tidemark, syn, proc-macro2, serde_json, sha2 in the dev profile: with \
             200 entities"
        ),
        "{stdout}"
    );
    let manifest = std::fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    for package in ["tidemark", "syn", "proc-macro2", "serde_json", "sha2"] {
        assert!(
            manifest.contains(&format!("[profile.dev.package.{package}]\nopt-level = 2\n")),
            "{manifest}"
        );
    }
    // Cargo reads the profile as written.
    let metadata = Command::new(env!("CARGO"))
        .current_dir(ws)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    large_workspace(ws);
    let (code, stdout, stderr) = tidemark(ws, &["init", "--keep-dev-profile"]);
    assert_eq!(code, 0, "init:\n{stdout}\n{stderr}");
    assert!(!stdout.contains("dev profile"), "{stdout}");
    let manifest = std::fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("[profile"), "{manifest}");
}
