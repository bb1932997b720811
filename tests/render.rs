//! Snapshot tests of generated migration source: the exact bytes `render` produces for
//! representative plans. Each output must also parse as Rust.

use tidemark::diff::{self, Renames};
use tidemark::model::*;
use tidemark::plan::{self, Backfills};

fn col(name: &str, ty: ColumnType, nullable: bool) -> Column {
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

fn item(extra: Vec<Column>) -> Table {
    let mut id = col("id", ColumnType::Integer, false);
    id.auto_increment = true;
    let mut columns = vec![id, col("name", ColumnType::String(Some(100)), false)];
    columns.extend(extra);
    Table {
        name: "item".into(),
        columns,
        primary_key: vec!["id".into()],
        indexes: Default::default(),
        foreign_keys: Default::default(),
        comment: None,
        shadow_columns: Default::default(),
        conversions: Default::default(),
    }
}

fn schema(tables: Vec<Table>) -> Schema {
    Schema {
        tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
        enums: Default::default(),
        views: Default::default(),
        pg_schema: None,
    }
}

fn render(old: &Schema, new: &Schema, renames: &Renames, backfills: &Backfills) -> String {
    let changes = diff::diff(old, new, renames);
    let summary: Vec<String> = changes.iter().map(|c| plan::describe(c, new)).collect();
    let plan = plan::plan(old, new, &changes, backfills, plan::Safety::Online).unwrap();
    let rendered =
        tidemark::render::render_migration("test migration", &summary, &plan, old, new, &[], false);
    syn::parse_file(&rendered.source).expect("generated source parses");
    // The hash taken piece by piece as the file is written is the hash of the file.
    let hashed =
        tidemark::integrity::hash_source(&rendered.source, std::path::Path::new("m.rs")).unwrap();
    assert_eq!(rendered.code_hash, hashed);
    rendered.source
}

#[test]
fn create_table_with_enum_composite_key_and_foreign_keys() {
    let mut tag = Table {
        name: "item_tag".into(),
        columns: vec![
            col("item_id", ColumnType::Integer, false),
            col("tag", ColumnType::Enum("color".into()), false),
        ],
        primary_key: vec!["item_id".into(), "tag".into()],
        indexes: Default::default(),
        foreign_keys: Default::default(),
        comment: Some("Colours of items".into()),
        shadow_columns: Default::default(),
        conversions: Default::default(),
    };
    tag.foreign_keys.insert(
        "fk-item_tag-item_id".into(),
        ForeignKey {
            name: "fk-item_tag-item_id".into(),
            columns: vec!["item_id".into()],
            ref_table: "item".into(),
            ref_columns: vec!["id".into()],
            on_delete: ForeignKeyAction::Cascade,
            on_update: ForeignKeyAction::NoAction,
        },
    );
    let old = schema(vec![item(vec![])]);
    let mut new = schema(vec![item(vec![]), tag]);
    new.enums.insert(
        "color".into(),
        EnumType {
            name: "color".into(),
            values: vec!["red".into(), "green".into()],
        },
    );
    insta::assert_snapshot!(render(&old, &new, &Renames::default(), &Backfills::new()));
}

#[test]
fn not_null_column_with_backfill() {
    let old = schema(vec![item(vec![])]);
    let new = schema(vec![item(vec![col(
        "code",
        ColumnType::String(Some(20)),
        false,
    )])]);
    let backfills: Backfills =
        [(("item".to_owned(), "code".to_owned()), "'n/a'".to_owned())].into();
    insta::assert_snapshot!(render(&old, &new, &Renames::default(), &backfills));
}

#[test]
fn alter_column_type_default_and_uniqueness() {
    let mut before = col("price", ColumnType::Decimal(Some((10, 2))), false);
    before.default = Some(DefaultValue::Number("0".into()));
    let mut after = col("price", ColumnType::Decimal(Some((12, 4))), false);
    after.unique = true;
    let old = schema(vec![item(vec![before])]);
    let new = schema(vec![item(vec![after])]);
    insta::assert_snapshot!(render(&old, &new, &Renames::default(), &Backfills::new()));
}

#[test]
fn rename_and_lossy_drop() {
    let old = schema(vec![item(vec![
        col("note", ColumnType::Text, true),
        col("legacy", ColumnType::Json, false),
    ])]);
    let new = schema(vec![item(vec![col("remark", ColumnType::Text, true)])]);
    let mut renames = Renames::default();
    renames
        .columns
        .insert(("item".into(), "note".into()), "remark".into());
    insta::assert_snapshot!(render(&old, &new, &renames, &Backfills::new()));
}

#[test]
fn empty_migration() {
    let rendered = tidemark::render::render_empty_migration("backfill prices", None);
    syn::parse_file(&rendered.source).unwrap();
    let hashed =
        tidemark::integrity::hash_source(&rendered.source, std::path::Path::new("m.rs")).unwrap();
    assert_eq!(rendered.code_hash, hashed);
    insta::assert_snapshot!(rendered.source);
}

#[test]
fn the_same_plan_renders_the_same_bytes() {
    let old = schema(vec![item(vec![])]);
    let new = schema(vec![item(vec![col("note", ColumnType::Text, true)])]);
    let a = render(&old, &new, &Renames::default(), &Backfills::new());
    let b = render(&old, &new, &Renames::default(), &Backfills::new());
    assert_eq!(a, b);
}

/// What `generate --backend B` prints for one plan with a bit of everything on a table with
/// rows: a new NOT NULL column with a backfill, an index and a foreign key.
#[test]
fn the_plan_printed_for_each_backend() {
    let mut tag = item(vec![]);
    tag.name = "tag".into();
    let mut old_item = item(vec![col("tag_id", ColumnType::Integer, true)]);
    let old = schema(vec![old_item.clone(), tag.clone()]);
    old_item
        .columns
        .push(col("code", ColumnType::String(Some(20)), false));
    old_item.indexes.insert(
        "idx-item-code".into(),
        Index {
            name: "idx-item-code".into(),
            columns: vec!["code".into()],
            unique: false,
        },
    );
    old_item.foreign_keys.insert(
        "fk-item-tag_id".into(),
        ForeignKey {
            name: "fk-item-tag_id".into(),
            columns: vec!["tag_id".into()],
            ref_table: "tag".into(),
            ref_columns: vec!["id".into()],
            on_delete: ForeignKeyAction::Cascade,
            on_update: ForeignKeyAction::NoAction,
        },
    );
    let new = schema(vec![old_item, tag]);
    let backfills: Backfills =
        [(("item".to_owned(), "code".to_owned()), "'n/a'".to_owned())].into();
    let changes = diff::diff(&old, &new, &Renames::default());
    let plan = plan::plan(&old, &new, &changes, &backfills, plan::Safety::Online).unwrap();
    let printed: Vec<String> = tidemark::backend::Backend::ALL
        .into_iter()
        .flat_map(|b| tidemark::report::plan_lines(&plan, b))
        .collect();
    insta::assert_snapshot!(printed.join("\n"));
}

/// A long migration builds its changes in plain functions of 100 each, outside the `async fn`
/// (compile time and memory: bench/README.md).
#[test]
fn a_long_migration_builds_its_changes_in_parts() {
    let tables: Vec<Table> = (0..150)
        .map(|i| Table {
            name: format!("t{i:03}"),
            ..item(vec![])
        })
        .collect();
    let new = schema(tables);
    let source = render(
        &schema(vec![]),
        &new,
        &Renames::default(),
        &Backfills::new(),
    );
    assert!(
        source.contains(".run([up_1(), up_2()].concat())"),
        "{source}"
    );
    assert!(source.contains("fn up_1() -> Vec<Change> {"), "{source}");
    assert!(source.contains("fn up_2() -> Vec<Change> {"), "{source}");
    let functions: Vec<&str> = source
        .lines()
        .filter(|line| line.starts_with("fn "))
        .collect();
    assert_eq!(
        functions,
        [
            "fn up_1() -> Vec<Change> {",
            "fn up_2() -> Vec<Change> {",
            "fn down_1() -> Vec<Change> {",
            "fn down_2() -> Vec<Change> {",
        ],
        "{source}"
    );
    assert!(
        source.contains(".run([down_1(), down_2()].concat())"),
        "{source}"
    );
    // The parts are printed apart from the rest of the file, as rustfmt lays the whole out.
    let mut rustfmt = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rustfmt, from the toolchain");
    use std::io::Write;
    rustfmt
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let formatted = rustfmt.wait_with_output().unwrap();
    assert!(formatted.status.success());
    assert_eq!(String::from_utf8(formatted.stdout).unwrap(), source);
}

/// A table a foreign key points at gets an enum exactly when the migration changes it too:
/// created with it, or altered (which the renderer learns only after a first pass), and is
/// named by its string when it is only pointed at.
#[test]
fn a_referenced_table_is_named_by_enum_only_where_the_migration_changes_it() {
    let owner = |extra: Vec<Column>| {
        let mut owner = item(extra);
        owner.name = "owner".into();
        owner
    };
    let mut pointing = item(vec![col("owner_id", ColumnType::Integer, true)]);
    pointing.foreign_keys.insert(
        "fk-item-owner_id".into(),
        ForeignKey {
            name: "fk-item-owner_id".into(),
            columns: vec!["owner_id".into()],
            ref_table: "owner".into(),
            ref_columns: vec!["id".into()],
            on_delete: ForeignKeyAction::Cascade,
            on_update: ForeignKeyAction::NoAction,
        },
    );
    let none = Renames::default();
    let rendered = |old: Vec<Table>, new: Vec<Table>| {
        render(&schema(old), &schema(new), &none, &Backfills::new())
    };

    let only_pointed_at = rendered(
        vec![item(vec![]), owner(vec![])],
        vec![pointing.clone(), owner(vec![])],
    );
    assert!(!only_pointed_at.contains("enum Owner"), "{only_pointed_at}");
    assert!(only_pointed_at.contains("\"owner\""), "{only_pointed_at}");

    let also_altered = rendered(
        vec![item(vec![]), owner(vec![])],
        vec![
            pointing.clone(),
            owner(vec![col("note", ColumnType::Text, true)]),
        ],
    );
    assert!(also_altered.contains("enum Owner"), "{also_altered}");
    assert!(!also_altered.contains("\"owner\""), "{also_altered}");

    let created = rendered(vec![item(vec![])], vec![pointing, owner(vec![])]);
    assert!(created.contains("enum Owner"), "{created}");
    assert!(!created.contains("\"owner\""), "{created}");
}

/// An initial migration of many tables: the plan lists the steps that cost more than a brief
/// catalog change, and counts the others.
#[test]
fn a_long_plan_lists_only_the_steps_that_cost_more_than_a_catalog_change() {
    let table = |i: usize| {
        let mut t = item(vec![]);
        t.name = format!("t{i:02}");
        t
    };
    let old = schema(vec![item(vec![])]);
    let mut new_tables: Vec<Table> = (0..40).map(table).collect();
    new_tables.push(item(vec![col("code", ColumnType::String(Some(20)), false)]));
    let new = schema(new_tables);
    let changes = diff::diff(&old, &new, &Renames::default());
    let backfills: Backfills =
        [(("item".to_owned(), "code".to_owned()), "'n/a'".to_owned())].into();
    let plan = plan::plan(&old, &new, &changes, &backfills, plan::Safety::Online).unwrap();
    let lines = tidemark::report::plan_lines(&plan, tidemark::backend::Backend::Postgres);
    let text = lines.join("\n");
    assert!(text.contains("committed batches"), "{text}");
    assert!(!text.contains("Create table `t00`"), "{text}");
    let counted = lines
        .iter()
        .find(|l| l.starts_with("  The other 40 of the "))
        .unwrap_or_else(|| panic!("the brief steps are counted:\n{text}"));
    assert!(counted.ends_with(
        "only make brief, catalog-only changes (each statement: `cargo run -- sql NAME`)"
    ));
    assert!(lines.len() < 20, "{text}");
}
