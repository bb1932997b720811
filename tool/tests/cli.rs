//! The `tidemark` binary as a user runs it: exit codes, messages, and what lands on disk.

use std::path::Path;
use std::process::{Command, Output};

fn tidemark(workspace: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sample-tool"))
        .arg("--workspace")
        .arg(workspace)
        .args(args)
        .output()
        .expect("tidemark runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A workspace with the sample entities (linked, read from their source) and an empty
/// migration crate, as `sea-orm-cli migrate init` leaves it.
fn empty_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let entity = Path::new(env!("CARGO_MANIFEST_DIR")).join("../entity");
    std::os::unix::fs::symlink(entity.canonicalize().unwrap(), dir.path().join("entity")).unwrap();
    std::fs::create_dir_all(dir.path().join("migration/src")).unwrap();
    std::fs::write(
        dir.path().join("migration/src/lib.rs"),
        tidemark::registry::initial_lib_rs(),
    )
    .unwrap();
    dir
}

/// Edits the workspace's snapshot as if the database had been made from other entities.
fn edit_snapshot(ws: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = ws.join("migration/schema_snapshot.json");
    let mut snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut snapshot);
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
}

fn migration_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir.join("migration/src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('m'))
        .collect();
    files.sort();
    files
}

#[test]
fn generate_then_check_then_no_changes() {
    let dir = empty_workspace();
    let ws = dir.path();

    let check = tidemark(ws, &["check"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("Create table `organization`"),
        "{}",
        stdout(&check)
    );

    let out = tidemark(ws, &["generate", "--autogenerate", "-m", "initial schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Migrations for 'migration':"), "{text}");
    assert!(text.contains("_initial_schema.rs"), "{text}");
    assert!(
        text.contains("- Create table `task_tag` (3 columns)"),
        "{text}"
    );
    assert_eq!(migration_files(ws).len(), 1);
    assert!(ws.join("migration/schema_snapshot.json").exists());

    let check = tidemark(ws, &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert!(stdout(&check).contains("In sync"));

    let again = tidemark(ws, &["generate", "--autogenerate", "-m", "again"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(stdout(&again).trim(), "No changes detected");
    assert_eq!(migration_files(ws).len(), 1, "nothing written");

    let diff = tidemark(ws, &["diff", "--format", "json"]);
    let diff_json: serde_json::Value = serde_json::from_str(&stdout(&diff)).unwrap();
    assert_eq!(diff_json["changes"], serde_json::json!([]));
    assert_eq!(diff_json["exit"], 0);
    assert_eq!(diff.status.code(), Some(0), "in sync");
}

#[test]
fn dry_run_prints_and_writes_nothing() {
    let dir = empty_workspace();
    let lib_before = std::fs::read_to_string(dir.path().join("migration/src/lib.rs")).unwrap();
    let out = tidemark(
        dir.path(),
        &["generate", "--autogenerate", "-m", "initial", "--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("impl MigrationTrait for Migration"));
    assert!(migration_files(dir.path()).is_empty());
    assert!(!dir.path().join("migration/schema_snapshot.json").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("migration/src/lib.rs")).unwrap(),
        lib_before
    );
}

#[test]
fn diff_lists_pending_changes_as_json() {
    let dir = empty_workspace();
    let out = tidemark(dir.path(), &["diff", "--format", "json"]);
    // The contract of every reporting command: 1 when it found something.
    assert_eq!(out.status.code(), Some(1));
    let object: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (object["format"].as_u64(), object["command"].as_str()),
        (Some(1), Some("diff"))
    );
    assert_eq!(object["exit"], 1);
    assert_eq!(
        object["summary"].as_array().unwrap().len(),
        object["changes"].as_array().unwrap().len()
    );
    let kinds: Vec<&str> = object["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"create_enum") && kinds.contains(&"create_table"),
        "{kinds:?}"
    );
}

#[test]
fn an_empty_migration_for_hand_editing() {
    let dir = empty_workspace();
    tidemark(dir.path(), &["generate", "--autogenerate", "-m", "initial"]);
    let out = tidemark(dir.path(), &["generate", "-m", "backfill prices"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files = migration_files(dir.path());
    assert_eq!(files.len(), 2);
    let source = std::fs::read_to_string(dir.path().join("migration/src").join(&files[1])).unwrap();
    assert!(source.contains("Undo exactly what `up` does"), "{source}");
    // The snapshot now belongs to the hand-written migration, so the chain stays checkable.
    let check = tidemark(dir.path(), &["check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
}

#[test]
fn errors_exit_2_with_the_file_named() {
    let dir = empty_workspace();
    std::fs::write(dir.path().join("migration/src/lib.rs"), "fn broken( {").unwrap();
    let out = tidemark(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("migration/src/lib.rs"),
        "{}",
        stderr(&out)
    );

    let out = tidemark(
        dir.path(),
        &[
            "generate",
            "--autogenerate",
            "-m",
            "x",
            "--rename-column",
            "nodot=new",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("TABLE.COLUMN"), "{}", stderr(&out));
}

#[test]
fn help_texts() {
    let out = Command::new(env!("CARGO_BIN_EXE_sample-tool"))
        .args(["generate", "--help"])
        .output()
        .unwrap();
    insta::assert_snapshot!(stdout(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_sample-tool"))
        .arg("--help")
        .output()
        .unwrap();
    insta::assert_snapshot!(stdout(&out));
}

/// A column the entities no longer have: `--phased` keeps it (nullable) and prints the deploy
/// order; `check` then passes, naming the deferred contract; the contract needs consent.
#[test]
fn a_phased_drop_defers_the_contract_and_prints_the_plan() {
    let dir = empty_workspace();
    let ws = dir.path();
    let out = tidemark(ws, &["generate", "--autogenerate", "-m", "initial"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The database (and so the snapshot) still has a column the entities dropped.
    edit_snapshot(ws, |snapshot| {
        snapshot["schema"]["tables"]["tag"]["columns"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "legacy", "type": "text", "nullable": false}));
    });

    let refused = tidemark(ws, &["generate", "--autogenerate", "-m", "drop legacy"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("drop column `tag.legacy`"),
        "{}",
        stderr(&refused)
    );

    let out = tidemark(
        ws,
        &["generate", "--autogenerate", "-m", "expand", "--phased"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("- Alter column `tag.legacy`: make nullable"),
        "{text}"
    );
    assert!(text.contains("Plan on PostgreSQL"), "{text}");
    assert!(text.contains("Phased (expand/contract)"), "{text}");
    assert!(
        text.contains("stop reading and writing `tag.legacy`"),
        "{text}"
    );
    assert!(text.contains("       - Drop column `tag.legacy`"), "{text}");

    let check = tidemark(ws, &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert!(stdout(&check).contains("deferred"), "{}", stdout(&check));

    let contract = tidemark(
        ws,
        &[
            "generate",
            "--autogenerate",
            "-m",
            "contract",
            "--allow-destructive",
            "--backend",
            "mysql",
        ],
    );
    assert_eq!(contract.status.code(), Some(0), "{}", stderr(&contract));
    // The plan printed is the one asked for.
    let text = stdout(&contract);
    assert!(text.contains("Plan on MySQL/MariaDB"), "{text}");
    assert!(
        text.contains("DROP COLUMN tag.legacy, ALGORITHM=INPLACE"),
        "{text}"
    );
    let files = migration_files(ws);
    let source =
        std::fs::read_to_string(ws.join("migration/src").join(files.last().unwrap())).unwrap();
    assert!(
        source.contains("// tidemark-lint: allow destructive-step -- written with --allow-destructive: drop column `tag.legacy`"),
        "{source}"
    );
    let check = tidemark(ws, &["check"]);
    assert!(
        stdout(&check).contains("In sync: the entities match"),
        "{}",
        stdout(&check)
    );
}

/// A widening type change under `--phased`: the printed deploy order has no code to deploy for
/// the shadow column, asks no consent for the contract, and ties the new code to the contract.
#[test]
fn a_phased_type_change_prints_when_the_new_code_ships() {
    let dir = empty_workspace();
    let ws = dir.path();
    let out = tidemark(ws, &["generate", "--autogenerate", "-m", "initial"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The database (and so the snapshot) has a narrower `task.priority` than the entity.
    edit_snapshot(ws, |snapshot| {
        for column in snapshot["schema"]["tables"]["task"]["columns"]
            .as_array_mut()
            .unwrap()
        {
            if column["name"] == "priority" {
                column["type"] = serde_json::json!("tiny_integer");
            }
        }
    });

    let out = tidemark(
        ws,
        &["generate", "--autogenerate", "-m", "expand", "--phased"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("- Add column `task.priority__new`"), "{text}");
    assert!(!text.contains("deploy code that uses column"), "{text}");
    assert!(
        text.contains("  2. Then write the contract: `cargo run -- generate --autogenerate -m \"contract\"`. It will:"),
        "{text}"
    );
    assert!(
        text.contains("  3. Apply the contract and, in the same release, deploy code that: reads and writes `task.priority` as small_integer"),
        "{text}"
    );
}

/// A phased table rename: the expand makes the new name a view and says which code ships
/// when; the contract, written without a rename flag, puts the table in the view's place.
#[test]
fn a_phased_table_rename_prints_the_view_and_its_contract() {
    let dir = empty_workspace();
    let ws = dir.path();
    let out = tidemark(ws, &["generate", "--autogenerate", "-m", "initial"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The database (and so the snapshot) calls `tag` `label`, and the foreign key into it too.
    edit_snapshot(ws, |snapshot| {
        let tables = snapshot["schema"]["tables"].as_object_mut().unwrap();
        let mut tag = tables.remove("tag").unwrap();
        tag["name"] = serde_json::json!("label");
        tables.insert("label".into(), tag);
        for table in tables.values_mut() {
            if let Some(keys) = table
                .get_mut("foreign_keys")
                .and_then(|k| k.as_object_mut())
            {
                for key in keys.values_mut().filter(|k| k["ref_table"] == "tag") {
                    key["ref_table"] = serde_json::json!("label");
                }
            }
        }
    });

    let out = tidemark(
        ws,
        &[
            "generate",
            "--autogenerate",
            "-m",
            "expand",
            "--phased",
            "--rename-table",
            "label=tag",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("    - Create view `tag` of table `label`, writable"),
        "{text}"
    );
    assert!(
        text.contains(
            "  2. Deploy code that: use table `tag` (until the contract it is a view of `label`"
        ),
        "{text}"
    );
    assert!(
        text.contains("       - Rename table `label` to `tag` in place of its view"),
        "{text}"
    );

    let out = tidemark(ws, &["generate", "--autogenerate", "-m", "contract"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("    - Rename table `label` to `tag` in place of its view"),
        "{text}"
    );
    assert!(
        text.contains("  1. Deploy code that no longer uses the old name `label` (only `tag`)"),
        "{text}"
    );
    let out = tidemark(ws, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// `tidemark diff | head -1`: a closed standard output is an error (exit 2, said on stderr),
/// never a panic.
#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let dir = empty_workspace();
    // A pipe whose reading end is closed before the process starts: its first write fails,
    // whatever the timing (`| head -1` closes it after the first line).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_sample-tool"))
        .arg("--workspace")
        .arg(dir.path())
        .arg("diff")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("standard output"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A URL's password never reaches the terminal (or a CI log), whatever goes wrong.
#[test]
fn database_passwords_are_never_shown() {
    let dir = empty_workspace();
    for args in [
        vec![
            "drift",
            "--database-url",
            "postgres://app:s3cret@127.0.0.1:1/app",
        ],
        vec![
            "preflight",
            "--database-url",
            "mysql://app:s3cret@127.0.0.1:1/app",
        ],
        vec![
            "drift",
            "--database-url",
            "redis://app:s3cret@127.0.0.1:1/app",
        ],
    ] {
        let out = tidemark(dir.path(), &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            !err.contains("s3cret") && !stdout(&out).contains("s3cret"),
            "{err}"
        );
        assert!(err.contains("app:***@127.0.0.1:1"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A snapshot left with conflict markers by a merge: exit 2, named as an unfinished merge.
#[test]
fn a_conflicted_snapshot_is_an_unfinished_merge() {
    let dir = empty_workspace();
    let ws = dir.path();
    let out = tidemark(ws, &["generate", "--autogenerate", "-m", "initial"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = ws.join("migration/schema_snapshot.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("<<<<<<< HEAD\n{text}=======\n{text}>>>>>>> branch\n"),
    )
    .unwrap();
    let check = tidemark(ws, &["check"]);
    assert_eq!(check.status.code(), Some(2));
    assert!(stderr(&check).contains("git conflict markers: a merge (or rebase) is unfinished"));
}

#[test]
fn a_conversion_needs_its_inverse_and_a_type_change() {
    let dir = empty_workspace();
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", "--autogenerate", "-m", "convert"];
        args.extend_from_slice(extra);
        tidemark(dir.path(), &args)
    };
    let out = generate(&["--convert", "organization.name=upper(name)"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--convert-down"), "{}", stderr(&out));

    // The first migration creates the table: there is no type change to convert.
    let out = generate(&[
        "--convert",
        "organization.name=upper(name)",
        "--convert-down",
        "organization.name=lower(name)",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not change the type of `organization.name`"),
        "{}",
        stderr(&out)
    );
    assert!(migration_files(dir.path()).is_empty());
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}{}", stdout(out), stderr(out)))
}

/// Every reporting command says what it found as one JSON object with the same envelope and
/// the same exit code as its text; an error is JSON too, and a command that does not report
/// refuses the flag.
#[test]
fn reporting_commands_speak_json() {
    let dir = empty_workspace();
    let ws = dir.path();

    let check = tidemark(ws, &["check", "--format", "json"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let object = json(&check);
    assert_eq!(object["command"], "check");
    assert_eq!(
        (object["exit"].as_u64(), object["in_sync"].as_bool()),
        (Some(1), Some(false))
    );
    assert!(
        object["summary"][0].as_str().unwrap().starts_with("Create"),
        "{object}"
    );

    let dry = tidemark(
        ws,
        &[
            "generate",
            "--autogenerate",
            "-m",
            "initial",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    let object = json(&dry);
    assert_eq!(object["written"], false);
    assert!(
        object["source"]
            .as_str()
            .unwrap()
            .contains("impl MigrationTrait")
    );
    assert!(migration_files(ws).is_empty(), "a dry run writes nothing");

    let generate = tidemark(
        ws,
        &[
            "--format",
            "json",
            "generate",
            "--autogenerate",
            "-m",
            "initial",
        ],
    );
    assert_eq!(generate.status.code(), Some(0), "{}", stderr(&generate));
    let object = json(&generate);
    let file = object["file"].as_str().unwrap();
    assert!(
        file.starts_with("migration/src/m") && file.ends_with("_initial.rs"),
        "{file}"
    );
    assert!(ws.join(file).exists());
    assert_eq!(object["source"], serde_json::Value::Null);
    assert!(!object["changes"].as_array().unwrap().is_empty());

    let again = json(&tidemark(
        ws,
        &[
            "generate",
            "--autogenerate",
            "-m",
            "again",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        (again["no_changes"].as_bool(), again["written"].as_bool()),
        (Some(true), Some(false))
    );

    let check = tidemark(ws, &["check", "--format", "json"]);
    assert_eq!(check.status.code(), Some(0));
    assert_eq!(json(&check)["in_sync"], true);

    let rules = json(&tidemark(ws, &["lint", "--rules", "--format", "json"]));
    let ids: Vec<&str> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"missing-lock-timeout"), "{ids:?}");

    // An error keeps its exit code and says what stopped the command, on stdout as JSON too.
    std::fs::write(ws.join("migration/schema_snapshot.json"), "{ not json").unwrap();
    let broken = tidemark(ws, &["check", "--format", "json"]);
    assert_eq!(broken.status.code(), Some(2));
    let object = json(&broken);
    assert_eq!(
        (object["command"].as_str(), object["exit"].as_u64()),
        (Some("check"), Some(2))
    );
    assert!(
        object["error"]
            .as_str()
            .unwrap()
            .contains("schema_snapshot.json"),
        "{object}"
    );

    let refused = tidemark(ws, &["rehash", "--format", "json"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("`rehash` does not report"),
        "{}",
        stderr(&refused)
    );
}
