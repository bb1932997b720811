//! Bad input gets a clear error that says what and where, and leaves every file as it was.

use std::path::Path;
use tidemark::diff::Renames;
use tidemark::entities;
use tidemark::generate::{self, GenerateOptions, NoTerminal, Outcome, Questioner};
use tidemark::plan::Backfills;
use tidemark::workspace::Workspace;

#[path = "common/tree.rs"]
mod tree;
use tree::tree;

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
        conversions: Default::default(),
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

mod set_null {
    pub mod parent {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "parent")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod child {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "child")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub parent_id: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::parent::Entity",
                from = "Column::ParentId",
                to = "super::parent::Column::Id",
                on_delete = "SetNull"
            )]
            Parent,
        }

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// MariaDB refuses such a key half-way through the migration; PostgreSQL accepts it and then
/// fails every delete of a parent row. Refused at generate, with the fix.
#[test]
fn set_null_on_a_not_null_column_is_refused_with_the_fix() {
    let (_dir, ws) = workspace();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![
            v1::item::Entity,
            set_null::parent::Entity,
            set_null::child::Entity
        ],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`child.parent_id` to `parent` says on_delete = \"SetNull\"")
            && err.contains("`child.parent_id` is NOT NULL")
            && err.contains("Option<...>"),
        "{err}"
    );
    assert_eq!(tree(&ws.root), before);
}

/// A message with line breaks (and a bare carriage return, which Rust refuses in a doc
/// comment) still makes a file that parses, with the message on doc lines of its own.
#[test]
fn any_message_makes_a_valid_migration() {
    let (_dir, ws) = workspace();
    let message = "rename note\n\nto remark\r\nbecause\rreasons\u{7}";
    let Outcome::Generated(g) = generate::generate(
        &ws,
        &entities![v1::item::Entity, set_null::parent::Entity],
        &options(message, 1),
        &mut NoTerminal,
    )
    .unwrap() else {
        panic!("a change was generated");
    };
    let source = std::fs::read_to_string(ws.migration_file(&g.module)).unwrap();
    syn::parse_file(&source).unwrap_or_else(|e| panic!("{e}:\n{source}"));
    assert!(
        source.starts_with("//! rename note\n//!\n//! to remark\n//! because\n//! reasons\n"),
        "{source}"
    );
    assert!(
        g.module.ends_with("_rename_note_to_remark_because_reasons"),
        "{}",
        g.module
    );
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    syn::parse_file(&lib).unwrap();
}

/// Files keep their mode: a replaced one its own, a new one what the umask leaves (as any
/// other program's new file), never the temporary file's private 0600.
#[cfg(unix)]
#[test]
fn written_files_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let (dir, ws) = workspace();
    let probe = dir.path().join("probe");
    std::fs::write(&probe, "").unwrap();
    let umask_mode = mode(&probe);
    std::fs::set_permissions(ws.lib_rs(), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(ws.snapshot(), std::fs::Permissions::from_mode(0o664)).unwrap();
    let Outcome::Generated(g) = generate::generate(
        &ws,
        &entities![v1::item::Entity, set_null::parent::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap() else {
        panic!("a change was generated");
    };
    assert_eq!(mode(&ws.lib_rs()), 0o640);
    assert_eq!(mode(&ws.snapshot()), 0o664);
    assert_eq!(mode(&ws.migration_file(&g.module)), umask_mode);
    assert_eq!(mode(&ws.history_snapshot(&g.module)), umask_mode);
}

/// A merge that git left unfinished: the snapshot and lib.rs with conflict markers are named as
/// such, with advice that works during a merge, and nothing is written.
#[test]
fn conflict_markers_are_reported_as_an_unfinished_merge() {
    let (_dir, ws) = workspace();
    let snapshot = std::fs::read_to_string(ws.snapshot()).unwrap();
    let conflicted = snapshot.replacen(
        "  \"migration\"",
        "<<<<<<< HEAD\n  \"migration\": \"m_ours\",\n=======\n  \"migration\": \"m_theirs\",\n>>>>>>> feature\n  \"migration\"",
        1,
    );
    std::fs::write(ws.snapshot(), &conflicted).unwrap();
    let before = tree(&ws.root);
    let err = generate::pending(
        &ws,
        &entities![v1::item::Entity],
        &Renames::default(),
        &mut NoTerminal,
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(
        err.contains("schema_snapshot.json:3: git conflict markers"),
        "{err}"
    );
    assert!(
        err.contains("git checkout --ours --") && err.contains("git merge --abort"),
        "{err}"
    );
    assert_eq!(tree(&ws.root), before);

    std::fs::write(ws.snapshot(), &snapshot).unwrap();
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    std::fs::write(
        ws.lib_rs(),
        lib.replacen(
            "mod ",
            "<<<<<<< HEAD\nmod m_ours;\n=======\nmod m_theirs;\n>>>>>>> feature\nmod ",
            1,
        ),
    )
    .unwrap();
    let before = tree(&ws.root);
    let err = generate::generate(
        &ws,
        &entities![v2::item::Entity],
        &options("next", 1),
        &mut NoTerminal,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("lib.rs:3: git conflict markers"), "{err}");
    assert_eq!(tree(&ws.root), before);
}

/// SeaORM allows several entities over one table (an alias such as `coaches` over `users`).
mod aliases {
    macro_rules! user_entity {
        ($module:ident, $email:literal, { $($relations:tt)* }) => {
            pub mod $module {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "users")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    #[sea_orm(column_type = $email)]
                    pub email: String,
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {
                    $($relations)*
                }

                impl ActiveModelBehavior for ActiveModel {}
            }
        };
    }
    user_entity!(users, "String(StringLen::N(255))", {});
    user_entity!(coaches, "String(StringLen::N(255))", {});
    user_entity!(narrow_coaches, "String(StringLen::N(100))", {});
}

#[test]
fn alias_entities_over_one_table_are_one_table_when_they_agree() {
    let extracted = entities![aliases::users::Entity, aliases::coaches::Entity]
        .extract()
        .unwrap();
    assert_eq!(extracted.schema.tables.len(), 1);
    assert_eq!(
        extracted.schema,
        entities![aliases::users::Entity].extract().unwrap().schema
    );

    let err = entities![aliases::users::Entity, aliases::narrow_coaches::Entity]
        .extract()
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("aliases::users` and `")
            && err.contains("aliases::narrow_coaches` both map to table `users`")
            && err.contains("column `email` is varchar(255) NOT NULL in one and varchar(100) NOT NULL in the other"),
        "{err}"
    );
}

/// An index over several columns, declared next to the entities (SeaORM's attributes cannot
/// say it), lands in the schema; one that names what does not exist is refused with its name.
#[test]
fn indexes_declared_next_to_the_entities() {
    let schema = entities![v1::item::Entity]
        .index("item", &["note", "id"])
        .extract()
        .unwrap()
        .schema;
    let index = &schema.tables["item"].indexes["idx-item-note-id"];
    assert_eq!(index.columns, ["note", "id"]);
    assert!(!index.unique);

    let err = entities![v1::item::Entity]
        .index("item", &["note", "ghost"])
        .extract()
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("names column `ghost`, which `item` does not have"),
        "{err}"
    );
    let err = entities![v1::item::Entity]
        .index("nope", &["id"])
        .extract()
        .expect_err("refused")
        .to_string();
    assert!(err.contains("names table `nope`"), "{err}");
}
