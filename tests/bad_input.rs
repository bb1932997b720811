//! Bad input gets a clear error that says what and where, and leaves every file as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tidemark::diff::Renames;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal, Outcome, Questioner};
use tidemark::plan::Backfills;
use tidemark::workspace::Workspace;

mod v1 {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub note: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

mod v2 {
    pub mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub remark: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

mod unsupported {
    pub mod host {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "host")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(column_type = "Inet")]
            pub address: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

fn options(message: &str, minute: u32) -> GenerateOptions {
    GenerateOptions {
        message: message.into(),
        autogenerate: true,
        renames: Renames::default(),
        backfills: Backfills::new(),
        allow_destructive: false,
        safety: Default::default(),
        phased: false,
        dry_run: false,
        now: chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, minute, 0)
            .unwrap(),
    }
}

/// A workspace with the initial migration of `v1` generated.
fn workspace() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("migration/src")).unwrap();
    std::fs::write(
        dir.path().join("migration/src/lib.rs"),
        tidemark::registry::initial_lib_rs(),
    )
    .unwrap();
    let ws = Workspace::new(dir.path());
    let out = generate::generate(
        &ws,
        &entities![v1::item::Entity],
        &options("initial", 0),
        &mut NoTerminal,
    )
    .unwrap();
    assert!(matches!(out, Outcome::Generated(_)));
    (dir, ws)
}

/// Every file under `root`, with its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_corrupt_snapshot_is_named_and_nothing_is_written() {
    let (_dir, ws) = workspace();
    let text = std::fs::read_to_string(ws.snapshot()).unwrap();
    std::fs::write(ws.snapshot(), &text[..text.len() / 2]).unwrap();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("schema_snapshot.json: the schema snapshot is not valid"),
        "{message}"
    );
    assert!(message.contains("line"), "names the position: {message}");
    assert_eq!(tree(&ws.root), before);
}

#[test]
fn a_snapshot_that_names_unknown_columns_is_refused() {
    let (_dir, ws) = workspace();
    let text = std::fs::read_to_string(ws.snapshot()).unwrap();
    std::fs::write(ws.snapshot(), text.replace("\"id\"\n", "\"ghost\"\n")).unwrap();
    let before = tree(&ws.root);
    let err = generate::pending(
        &ws,
        &entities![v1::item::Entity],
        &Renames::default(),
        &mut NoTerminal,
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("unknown column `ghost`"), "{err}");
    assert_eq!(tree(&ws.root), before);
}

#[test]
fn a_newer_snapshot_format_asks_for_an_upgrade() {
    let (_dir, ws) = workspace();
    let text = std::fs::read_to_string(ws.snapshot()).unwrap();
    std::fs::write(
        ws.snapshot(),
        text.replace("\"format_version\": 1", "\"format_version\": 9"),
    )
    .unwrap();
    let err = generate::pending(
        &ws,
        &entities![v1::item::Entity],
        &Renames::default(),
        &mut NoTerminal,
    )
    .err()
    .expect("refused");
    assert!(
        err.to_string().contains("format version 9 is newer"),
        "{err}"
    );
}

#[test]
fn an_unsupported_column_type_names_the_column() {
    let (_dir, ws) = workspace();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v1::item::Entity, unsupported::host::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("column `host.address` has type Inet"),
        "{err}"
    );
    assert_eq!(tree(&ws.root), before);
}

#[test]
fn an_unparseable_lib_rs_is_refused_with_its_position() {
    let (_dir, ws) = workspace();
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    std::fs::write(ws.lib_rs(), lib.replace("vec![", "vec![,,")).unwrap();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("migration/src/lib.rs"), "{message}");
    assert_eq!(tree(&ws.root), before);

    std::fs::write(ws.lib_rs(), "this is not rust {").unwrap();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
    assert_eq!(tree(&ws.root), before);
}

#[test]
fn a_snapshot_path_taken_by_a_directory_is_an_error() {
    let (_dir, ws) = workspace();
    std::fs::remove_file(ws.snapshot()).unwrap();
    std::fs::create_dir(ws.snapshot()).unwrap();
    std::fs::write(ws.snapshot().join("keep"), "x").unwrap();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err();
    assert!(err.to_string().contains("schema_snapshot.json"), "{err}");
    assert_eq!(tree(&ws.root), before);
}

#[test]
fn write_all_rolls_back_when_a_later_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.rs");
    std::fs::write(&first, "old").unwrap();
    let blocked = dir.path().join("blocked");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("inside"), "x").unwrap();
    let err =
        tidemark::write::write_all(&[(first.clone(), "new".into()), (blocked.clone(), "y".into())])
            .unwrap_err();
    assert!(err.to_string().contains("blocked"), "{err}");
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "old");
    assert!(blocked.join("inside").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".tidemark-")
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files are cleaned up");
}

#[test]
fn an_unwritable_migration_folder_fails_before_anything_changes() {
    let (_dir, ws) = workspace();
    let before = tree(&ws.root);
    // A missing folder stands in for an unwritable one: tests run as root, which ignores
    // permission bits. The temporary file cannot be created, so nothing is replaced.
    let err = tidemark::write::write_all(&[
        (ws.lib_rs(), "changed".into()),
        (ws.root.join("no-such-dir/m1.rs"), "x".into()),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("no-such-dir"), "{err}");
    assert_eq!(tree(&ws.root), before);
}

#[test]
fn an_unannounced_rename_is_refused_without_a_terminal() {
    let (_dir, ws) = workspace();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("drop column `item.note`"), "{message}");
    assert!(
        message.contains("--rename-column item.note=NEW"),
        "{message}"
    );
    assert_eq!(tree(&ws.root), before);
}

struct Answers(Vec<(String, bool)>);

impl Questioner for Answers {
    fn confirm(&mut self, question: &str) -> Option<bool> {
        self.0.push((question.to_owned(), true));
        Some(true)
    }
}

#[test]
fn a_terminal_is_asked_about_a_likely_rename() {
    let (_dir, ws) = workspace();
    let mut answers = Answers(Vec::new());
    let out = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &options("rename", 1),
        &mut answers,
    )
    .unwrap();
    assert_eq!(
        answers.0[0].0,
        "Was column `item.note` renamed to `item.remark`?"
    );
    let Outcome::Generated(g) = out else {
        panic!("generated")
    };
    assert_eq!(g.summary, ["Rename column `item.note` to `remark`"]);
}

#[test]
fn a_new_not_null_column_needs_a_backfill() {
    mod v3 {
        pub mod item {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = "item")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                pub note: String,
                pub code: i32,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    }
    let (_dir, ws) = workspace();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v3::item::Entity],
        &options("code", 1),
        &mut NoTerminal,
    )
    .unwrap_err();
    assert!(err.to_string().contains("--backfill item.code="), "{err}");
    assert_eq!(tree(&ws.root), before);
}

#[test]
fn a_snapshot_from_another_branch_is_detected() {
    let (_dir, ws) = workspace();
    let text = std::fs::read_to_string(ws.snapshot()).unwrap();
    let migration = serde_json::from_str::<serde_json::Value>(&text).unwrap()["migration"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::write(
        ws.snapshot(),
        text.replace(&migration, "m20250101_000000_other_branch"),
    )
    .unwrap();
    let err = generate::pending(
        &ws,
        &entities![v1::item::Entity],
        &Renames::default(),
        &mut NoTerminal,
    )
    .err()
    .expect("refused");
    let message = err.to_string();
    assert!(
        message.contains("m20250101_000000_other_branch"),
        "{message}"
    );
    assert!(message.contains("two branches"), "{message}");
}

#[test]
fn no_change_writes_nothing() {
    let (_dir, ws) = workspace();
    let before = tree(&ws.root);
    let out = generate::generate(
        &ws,
        &entities![v1::item::Entity],
        &options("again", 1),
        &mut NoTerminal,
    )
    .unwrap();
    assert!(matches!(out, Outcome::NoChanges));
    assert_eq!(tree(&ws.root), before);
}
