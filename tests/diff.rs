//! The diff on hand-built schemas: what it detects, in which order, and that it is pure and
//! reversible.

use proptest::prelude::*;
use tidemark::diff::{self, Change, Renames};
use tidemark::model::*;
use tidemark::plan::{self, Backfills};

fn col(name: &str, ty: ColumnType) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable: false,
        default: None,
        auto_increment: false,
        unique: false,
        comment: None,
    }
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    let mut id = col("id", ColumnType::Integer);
    id.auto_increment = true;
    let mut all = vec![id];
    all.extend(columns);
    Table {
        name: name.into(),
        columns: all,
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

fn fk(name: &str, column: &str, target: &str, on_delete: ForeignKeyAction) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: vec![column.into()],
        ref_table: target.into(),
        ref_columns: vec!["id".into()],
        on_delete,
        on_update: ForeignKeyAction::NoAction,
    }
}

fn changes(old: &Schema, new: &Schema) -> Vec<Change> {
    diff::diff(old, new, &Renames::default())
}

#[test]
fn detects_column_changes() {
    let old = schema(vec![table(
        "item",
        vec![
            col("a", ColumnType::String(Some(100))),
            col("b", ColumnType::Integer),
            col("gone", ColumnType::Text),
        ],
    )]);
    let mut a = col("a", ColumnType::String(Some(255)));
    a.nullable = true;
    let mut b = col("b", ColumnType::BigInteger);
    b.default = Some(DefaultValue::Number("0".into()));
    b.unique = true;
    b.comment = Some("count".into());
    let new = schema(vec![table(
        "item",
        vec![a, b, col("added", ColumnType::Boolean)],
    )]);
    insta::assert_yaml_snapshot!(changes(&old, &new));
}

#[test]
fn detects_index_foreign_key_and_primary_key_changes() {
    let mut old_item = table(
        "item",
        vec![
            col("owner_id", ColumnType::Integer),
            col("code", ColumnType::Text),
        ],
    );
    old_item.foreign_keys.insert(
        "fk-item-owner_id".into(),
        fk(
            "fk-item-owner_id",
            "owner_id",
            "owner",
            ForeignKeyAction::Cascade,
        ),
    );
    old_item.indexes.insert(
        "idx-old".into(),
        Index {
            name: "idx-old".into(),
            columns: vec!["code".into()],
            unique: false,
        },
    );
    let mut new_item = old_item.clone();
    new_item.foreign_keys.insert(
        "fk-item-owner_id".into(),
        fk(
            "fk-item-owner_id",
            "owner_id",
            "owner",
            ForeignKeyAction::SetNull,
        ),
    );
    new_item.indexes.clear();
    new_item.indexes.insert(
        "idx-item-code-owner".into(),
        Index {
            name: "idx-item-code-owner".into(),
            columns: vec!["code".into(), "owner_id".into()],
            unique: true,
        },
    );
    new_item.primary_key = vec!["id".into(), "code".into()];
    let owner = table("owner", vec![]);
    let got = changes(
        &schema(vec![owner.clone(), old_item]),
        &schema(vec![owner, new_item]),
    );
    insta::assert_yaml_snapshot!(got);
}

#[test]
fn detects_enum_changes() {
    let e = |values: &[&str]| EnumType {
        name: "color".into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let mut old = schema(vec![]);
    old.enums.insert("color".into(), e(&["red", "green"]));
    old.enums.insert(
        "size".into(),
        EnumType {
            name: "size".into(),
            values: vec!["s".into()],
        },
    );
    let mut new = schema(vec![]);
    new.enums
        .insert("color".into(), e(&["red", "green", "blue"]));
    new.enums.insert(
        "mood".into(),
        EnumType {
            name: "mood".into(),
            values: vec!["ok".into()],
        },
    );
    insta::assert_yaml_snapshot!(changes(&old, &new));
}

#[test]
fn renames_carry_references_along() {
    let mut child = table("item", vec![col("owner_id", ColumnType::Integer)]);
    child.foreign_keys.insert(
        "fk-item-owner_id".into(),
        fk(
            "fk-item-owner_id",
            "owner_id",
            "owner",
            ForeignKeyAction::Cascade,
        ),
    );
    let old = schema(vec![
        table("owner", vec![col("label", ColumnType::Text)]),
        child.clone(),
    ]);
    let mut new_child = child.clone();
    new_child
        .foreign_keys
        .get_mut("fk-item-owner_id")
        .unwrap()
        .ref_table = "person".into();
    let new = schema(vec![
        table("person", vec![col("title", ColumnType::Text)]),
        new_child,
    ]);
    let mut renames = Renames::default();
    renames.tables.insert("owner".into(), "person".into());
    renames
        .columns
        .insert(("person".into(), "label".into()), "title".into());
    let got = diff::diff(&old, &new, &renames);
    assert_eq!(
        got,
        vec![
            Change::RenameTable {
                from: "owner".into(),
                to: "person".into()
            },
            Change::RenameColumn {
                table: "person".into(),
                from: "label".into(),
                to: "title".into()
            },
        ],
        "the foreign key follows the renamed table, so it is not dropped and re-added"
    );
}

/// `up` runs the changes as the diff names them, after the renames; `down` runs them reversed,
/// still under the new names, so it undoes the renames last.
#[test]
fn plan_renames_first_in_up_and_last_in_down() {
    let mut before = table("owner", vec![col("label", ColumnType::Text)]);
    before.indexes.insert(
        "idx-label".into(),
        Index {
            name: "idx-label".into(),
            columns: vec!["label".into()],
            unique: false,
        },
    );
    let mut added = col("note", ColumnType::Text);
    added.nullable = true;
    let after = table("person", vec![col("title", ColumnType::Text), added]);
    let (old, new) = (schema(vec![before]), schema(vec![after]));
    let mut renames = Renames::default();
    renames.tables.insert("owner".into(), "person".into());
    renames
        .columns
        .insert(("person".into(), "label".into()), "title".into());
    let changes = diff::diff(&old, &new, &renames);
    let plan = plan::plan(
        &old,
        &new,
        &changes,
        &Backfills::new(),
        plan::Safety::Online,
    )
    .unwrap();
    let summaries =
        |steps: &[plan::Step]| -> Vec<String> { steps.iter().map(|s| s.summary.clone()).collect() };
    assert_eq!(
        summaries(&plan.up),
        [
            "Rename table `owner` to `person`",
            "Drop index `idx-label` on `person`",
            "Rename column `person.label` to `title`",
            "Add column `person.note` (text, NULL)",
        ]
    );
    assert_eq!(
        summaries(&plan.down),
        [
            "Drop column `person.note`",
            "Create index `idx-label` on `person` (title)",
            "Rename column `person.title` to `label`",
            "Rename table `person` to `owner`",
        ]
    );
}

/// A phased table rename: the expand keeps the table under its old name (with a column the
/// new code no longer writes) and adds the new name as a view; the contract is the table taking
/// the view's name, found from the view alone, and the foreign keys into it follow.
#[test]
fn a_view_taken_over_by_its_table_is_the_end_of_a_rename() {
    let mut child = table("note", vec![col("owner_id", ColumnType::Integer)]);
    child.foreign_keys.insert(
        "fk-note-owner_id".into(),
        fk(
            "fk-note-owner_id",
            "owner_id",
            "owner",
            ForeignKeyAction::Cascade,
        ),
    );
    let old = schema(vec![
        table(
            "owner",
            vec![
                col("label", ColumnType::Text),
                col("legacy", ColumnType::Text),
            ],
        ),
        child.clone(),
    ]);
    let mut new_child = child.clone();
    new_child
        .foreign_keys
        .get_mut("fk-note-owner_id")
        .unwrap()
        .ref_table = "person".into();
    let new = schema(vec![
        table("person", vec![col("label", ColumnType::Text)]),
        new_child,
    ]);
    let mut renames = Renames::default();
    renames.tables.insert("owner".into(), "person".into());
    let expand = plan::phased::expand(
        &old,
        &new,
        &diff::diff(&old, &new, &renames),
        &Default::default(),
    )
    .unwrap();
    let mid = &expand.mid;
    assert_eq!(mid.views.get("person").map(String::as_str), Some("owner"));
    assert!(mid.table("person").is_none());
    assert!(
        mid.table("owner")
            .unwrap()
            .column("legacy")
            .unwrap()
            .nullable
    );
    assert_eq!(
        mid.tables["note"].foreign_keys["fk-note-owner_id"].ref_table,
        "owner"
    );
    let view = View {
        name: "person".into(),
        table: "owner".into(),
    };
    let up = changes(&old, mid);
    assert_eq!(up.last(), Some(&Change::CreateView(view.clone())));
    assert_eq!(
        changes(mid, &new),
        [
            Change::ViewToTable(view.clone()),
            Change::DropColumn {
                table: "person".into(),
                column: Column {
                    nullable: true,
                    ..col("legacy", ColumnType::Text)
                },
            },
        ]
    );
    assert_eq!(
        diff::reverse(&[Change::ViewToTable(view.clone())]),
        [Change::TableToView(view)]
    );
    // MySQL renames the view aside under a longer name: a name that leaves no room is refused.
    let long = "p".repeat(50);
    let mut renames = Renames::default();
    renames.tables.insert("owner".into(), long.clone());
    let mut too_long = new.clone();
    let mut person = too_long.tables.remove("person").unwrap();
    person.name = long.clone();
    too_long.tables.insert(long, person);
    let err = plan::phased::expand(
        &old,
        &too_long,
        &diff::diff(&old, &too_long, &renames),
        &Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("49 characters at most"), "{err}");
    // Another phased generate before the contract keeps the view and the column.
    let again = plan::phased::expand(mid, &new, &changes(mid, &new), &Default::default()).unwrap();
    assert_eq!(&again.mid, mid);
}

#[test]
fn rename_candidates_are_offered_for_drop_plus_add() {
    let old = schema(vec![table("item", vec![col("note", ColumnType::Text)])]);
    let new = schema(vec![table("item", vec![col("remark", ColumnType::Text)])]);
    let got = diff::rename_candidates(&changes(&old, &new));
    assert_eq!(
        got,
        vec![diff::RenameCandidate::Column {
            table: "item".into(),
            from: "note".into(),
            to: "remark".into()
        }]
    );
}

#[test]
fn plan_creates_parents_first_and_breaks_cycles() {
    let mut team = table("team", vec![col("lead_id", ColumnType::Integer)]);
    team.foreign_keys.insert(
        "fk-team-lead_id".into(),
        fk(
            "fk-team-lead_id",
            "lead_id",
            "member",
            ForeignKeyAction::SetNull,
        ),
    );
    let mut member = table("member", vec![col("team_id", ColumnType::Integer)]);
    member.foreign_keys.insert(
        "fk-member-team_id".into(),
        fk(
            "fk-member-team_id",
            "team_id",
            "team",
            ForeignKeyAction::Cascade,
        ),
    );
    let mut child = table("child", vec![col("parent_id", ColumnType::Integer)]);
    child.foreign_keys.insert(
        "fk-child-parent_id".into(),
        fk(
            "fk-child-parent_id",
            "parent_id",
            "zparent",
            ForeignKeyAction::Cascade,
        ),
    );
    let new = schema(vec![team, member, child, table("zparent", vec![])]);
    let old = Schema::default();
    let got = changes(&old, &new);
    let plan = plan::plan(&old, &new, &got, &Backfills::new(), plan::Safety::Online).unwrap();
    let summaries: Vec<&str> = plan.up.iter().map(|s| s.summary.as_str()).collect();
    insta::assert_yaml_snapshot!(summaries);
    let postgres_ops: Vec<String> = plan
        .up
        .iter()
        .flat_map(|s| s.postgres.iter().map(|o| format!("{o:?}")))
        .collect();
    let deferred = postgres_ops
        .iter()
        .filter(|o| o.starts_with("AddForeignKey"))
        .count();
    assert_eq!(
        deferred, 1,
        "one foreign key of the cycle is added after both tables exist"
    );
    let down: Vec<&str> = plan.down.iter().map(|s| s.summary.as_str()).collect();
    insta::assert_yaml_snapshot!(down);
}

#[test]
fn plan_drops_the_child_foreign_key_before_the_parent_table() {
    let mut child = table("item", vec![col("owner_id", ColumnType::Integer)]);
    child.foreign_keys.insert(
        "fk-item-owner_id".into(),
        fk(
            "fk-item-owner_id",
            "owner_id",
            "owner",
            ForeignKeyAction::Cascade,
        ),
    );
    let old = schema(vec![table("owner", vec![]), child]);
    let new = schema(vec![table("item", vec![])]);
    let plan = plan::plan(
        &old,
        &new,
        &changes(&old, &new),
        &Backfills::new(),
        plan::Safety::Online,
    )
    .unwrap();
    let summaries: Vec<&str> = plan.up.iter().map(|s| s.summary.as_str()).collect();
    let drop_fk = summaries
        .iter()
        .position(|s| s.starts_with("Drop foreign key"))
        .unwrap();
    let drop_table = summaries
        .iter()
        .position(|s| s.starts_with("Drop table `owner`"))
        .unwrap();
    assert!(drop_fk < drop_table, "{summaries:#?}");
    assert!(
        !plan.lossy_down.is_empty(),
        "down cannot bring dropped rows back"
    );
}

#[test]
fn destructive_changes_are_named_with_a_safer_sequence() {
    let old = schema(vec![
        table(
            "item",
            vec![
                col("code", ColumnType::String(Some(100))),
                col("note", ColumnType::Text),
            ],
        ),
        table("old", vec![]),
    ]);
    let new = schema(vec![table(
        "item",
        vec![col("code", ColumnType::String(Some(20)))],
    )]);
    let hazards = plan::hazards(&changes(&old, &new));
    let what: Vec<&str> = hazards.iter().map(|h| h.what.as_str()).collect();
    insta::assert_yaml_snapshot!(what);
    assert!(hazards.iter().all(|h| !h.safer.is_empty()));
}

/// The expand of a phased type change: `hits` keeps its type, `hits__new` of the new type is
/// kept equal to it, with its own copy of the index.
fn expanded() -> (Schema, Schema) {
    let index = |name: &str, column: &str| Index {
        name: name.into(),
        columns: vec![column.into(), "id".into()],
        unique: false,
    };
    let mut mid = table("item", vec![col("hits", ColumnType::Integer)]);
    let mut shadow = col("hits__new", ColumnType::BigInteger);
    shadow.nullable = true;
    mid.columns.push(shadow);
    mid.shadow_columns.insert("hits__new".into(), "hits".into());
    mid.indexes.insert("ix".into(), index("ix", "hits"));
    mid.indexes
        .insert("ix__new".into(), index("ix__new", "hits__new"));
    let mut last = table("item", vec![col("hits", ColumnType::BigInteger)]);
    last.indexes.insert("ix".into(), index("ix", "hits"));
    (schema(vec![mid]), schema(vec![last]))
}

#[test]
fn a_shadow_column_dropped_for_its_column_of_the_same_type_is_a_swap() {
    let (mid, last) = expanded();
    let swap = match changes(&mid, &last).as_slice() {
        [Change::SwapColumn(swap)] => swap.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(swap.kept.ty, ColumnType::Integer);
    assert_eq!(swap.shadow.name, "hits__new");
    assert_eq!(swap.swapped.ty, ColumnType::BigInteger);
    assert_eq!(swap.indexes, [("ix__new".to_owned(), "ix".to_owned())]);
    // Undone, it is an unswap; and the diff back from the entities finds the same.
    assert_eq!(
        diff::reverse(&changes(&mid, &last)),
        [Change::UnswapColumn(swap.clone())]
    );
    assert_eq!(changes(&last, &mid), [Change::UnswapColumn(swap)]);
    // The planner swaps in place on PostgreSQL and MySQL, and rebuilds on SQLite.
    let plan = plan::plan(
        &mid,
        &last,
        &changes(&mid, &last),
        &Backfills::new(),
        plan::Safety::Online,
    )
    .unwrap();
    assert!(matches!(plan.up[0].postgres[0], plan::Op::SwapIn { .. }));
    assert!(matches!(plan.up[0].mysql[0], plan::Op::SwapIn { .. }));
    assert!(
        plan.up
            .iter()
            .any(|s| matches!(s.sqlite.first(), Some(plan::Op::RebuildTable { .. })))
    );
}

#[test]
fn a_shadow_column_of_another_type_than_the_entity_is_no_swap() {
    let (mid, mut last) = expanded();
    last.tables.get_mut("item").unwrap().columns[1].ty = ColumnType::Decimal(Some((20, 0)));
    let found = changes(&mid, &last);
    assert!(
        found.iter().all(|c| !matches!(c, Change::SwapColumn(_))),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|c| matches!(c, Change::DropColumn { column, .. } if column.name == "hits__new"))
    );
}

fn arb_type() -> impl Strategy<Value = ColumnType> {
    prop_oneof![
        Just(ColumnType::Integer),
        Just(ColumnType::BigInteger),
        Just(ColumnType::Text),
        (1u32..300).prop_map(|n| ColumnType::String(Some(n))),
        Just(ColumnType::Json),
        Just(ColumnType::Uuid),
        (1u32..20).prop_map(|p| ColumnType::Decimal(Some((p + 2, 2)))),
    ]
}

fn arb_column() -> impl Strategy<Value = Column> {
    (
        "[a-d]",
        arb_type(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of("[xy]"),
    )
        .prop_map(|(name, ty, nullable, unique, default)| Column {
            name,
            ty,
            nullable,
            default: default.map(DefaultValue::String),
            auto_increment: false,
            unique,
            comment: None,
        })
}

fn arb_schema() -> impl Strategy<Value = Schema> {
    proptest::collection::btree_map(
        "t[1-4]",
        proptest::collection::vec(arb_column(), 0..4),
        0..4,
    )
    .prop_map(|tables| {
        let mut s = Schema::default();
        for (name, mut columns) in tables {
            columns.sort_by(|a, b| a.name.cmp(&b.name));
            columns.dedup_by(|a, b| a.name == b.name);
            let mut t = table(&name, columns);
            if t.columns.len() > 1 {
                let first = t.columns[1].name.clone();
                t.indexes.insert(
                    format!("idx-{name}"),
                    Index {
                        name: format!("idx-{name}"),
                        columns: vec![first],
                        unique: false,
                    },
                );
            }
            s.tables.insert(name, t);
        }
        s
    })
}

fn sorted(changes: Vec<Change>) -> Vec<String> {
    let mut v: Vec<String> = changes.iter().map(|c| format!("{c:?}")).collect();
    v.sort();
    v
}

proptest! {
    #[test]
    fn diff_is_pure_and_reversible(a in arb_schema(), b in arb_schema()) {
        prop_assert!(changes(&a, &a).is_empty());
        let forward = changes(&a, &b);
        prop_assert_eq!(&forward, &changes(&a, &b), "deterministic");
        prop_assert_eq!(sorted(diff::reverse(&forward)), sorted(changes(&b, &a)));
        for c in &forward {
            prop_assert_eq!(&c.reverse().reverse(), c);
        }
    }

    #[test]
    fn snapshots_round_trip_through_json(a in arb_schema()) {
        let snap = tidemark::snapshot::Snapshot::new("m1", a);
        let text = snap.to_json();
        let back = tidemark::snapshot::Snapshot::parse(&text, std::path::Path::new("s.json")).unwrap();
        prop_assert_eq!(back.to_json(), text);
    }
}
