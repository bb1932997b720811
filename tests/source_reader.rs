//! The source reader against SeaORM's compiled entities: every attribute and type it
//! interprets is compiled here too, and both readings must agree exactly. What it cannot
//! interpret stops it with the file and line, never with a guess.

#[path = "common/sample.rs"]
mod sample;
#[path = "common/twins.rs"]
mod twins;

use std::path::{Path, PathBuf};
use tidemark::entities;
use tidemark::source::{Reading, read_crate, read_crate_with};

twin!(naming {
    use sea_orm::entity::prelude::*;

    /// Field names SeaORM turns into column names in its own ways.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "naming", comment = "names that need care")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub r#type: String,
        #[sea_orm(column_name = "displayName")]
        pub display_name: Option<String>,
        #[sea_orm(enum_name = "Kind")]
        pub kind_code: i16,
        pub _leading: i32,
        pub trailing_: i32,
        #[sea_orm(ignore)]
        pub not_stored: i32,
        #[sea_orm(nullable)]
        pub nullable_by_attribute: i64,
        #[sea_orm(comment = "shown in reports", renamed_from = "old_score")]
        pub score: f32,
        #[sea_orm(renamed_from = "legacy")]
        pub modern: u64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
});

twin!(camel {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "camel", rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i32,
        pub first_name: String,
        #[sea_orm(column_name = "LAST")]
        pub last_name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
});

twin!(keys {
    use sea_orm::entity::prelude::*;

    /// A string primary key is never counted up.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "country")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub code: String,
        #[sea_orm(unique_key = "name_lang", indexed)]
        pub name: String,
        #[sea_orm(unique_key = "name_lang")]
        pub lang: String,
        #[sea_orm(unique, indexed)]
        pub iso: String,
        #[sea_orm(indexed)]
        pub region: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
});

twin!(session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "session")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: Uuid,
        pub token: Vec<u8>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
});

twin!(defaults {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "defaults")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(default_value = "it's new")]
        pub label: String,
        #[sea_orm(default_value = -7)]
        pub delta: i32,
        #[sea_orm(default_value = 5i64)]
        pub big: i64,
        #[sea_orm(default_value = 2.5)]
        pub ratio: f64,
        #[sea_orm(default_value = 0.5f32)]
        pub small_ratio: f32,
        #[sea_orm(default_value = false)]
        pub off: bool,
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub created_at: DateTimeUtc,
        #[sea_orm(default_expr = "Expr::cust(\"lower('X')\")")]
        pub lowered: String,
        #[sea_orm(default_expr = "Expr::val(3)")]
        pub three: i32,
        #[sea_orm(default_expr = "Expr::current_date()")]
        pub today: Date,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
});

twin!(kinds {
    use sea_orm::entity::prelude::*;

    #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", rename_all = "snake_case")]
    pub enum TicketState {
        Open,
        InReview,
        #[sea_orm(string_value = "done!")]
        Done,
    }

    #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "i32", db_type = "Integer")]
    pub enum Level {
        #[sea_orm(num_value = 1)]
        Low,
        #[sea_orm(num_value = 2)]
        High,
    }

    #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
    pub enum Shade {
        #[sea_orm(string_value = "dark")]
        Dark,
    }

    #[derive(Clone, Debug, PartialEq, Eq, DeriveValueType)]
    pub struct Email(pub String);

    #[derive(Clone, Debug, PartialEq, Eq, DeriveValueType)]
    #[sea_orm(column_type = "Text")]
    pub struct Notes(pub String);

    #[derive(Clone, Debug, PartialEq, Eq, DeriveValueType)]
    pub struct Cents(pub i64);

    pub type Counter = i32;
});

twin!(typed {
    use super::kinds::{Cents, Counter, Email, Level, Notes, Shade as Tone, TicketState};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "typed", schema_name = "app")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub state: TicketState,
        pub level: Option<Level>,
        pub tone: Tone,
        pub email: Email,
        pub notes: Option<Notes>,
        pub price: Cents,
        pub visits: Counter,
        pub scope: crate::kinds::TicketState,
        pub at_utc: DateTimeUtc,
        pub at_tz: DateTimeWithTimeZone,
        pub naive: DateTime,
        pub chrono_naive: chrono::NaiveDateTime,
        pub chrono_utc: chrono::DateTime<chrono::Utc>,
        pub day: Date,
        pub clock: Time,
        pub amount: Decimal,
        pub doc: Json,
        pub raw: serde_json::Value,
        pub tiny: i8,
        pub ubyte: u8,
        pub ushort: u16,
        pub uint: u32,
        #[sea_orm(column_type = "Decimal(Some((10, 3)))")]
        pub weight: Decimal,
        #[sea_orm(column_type = "Char(Some(2))")]
        pub flag: String,
        #[sea_orm(column_type = "custom(\"citext\")")]
        pub handle: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub meta: Json,
        #[sea_orm(column_type = "VarBinary(StringLen::N(16))")]
        pub digest: Vec<u8>,
        #[sea_orm(column_type = "Binary(4)")]
        pub magic: Vec<u8>,
        #[sea_orm(column_type = "Money(None)")]
        pub fee: Decimal,
        #[sea_orm(column_type = "Timestamp")]
        pub stamped: DateTime,
        #[sea_orm(column_type = "Blob")]
        pub blob: Vec<u8>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
});

twin!(parent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "parent")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub serial: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_many = "super::child::Entity")]
        Child,
    }

    impl Related<super::child::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Child.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
});

twin!(child {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "child")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub tenant: i32,
        pub parent_code: Option<String>,
        pub buddy_id: Option<i32>,
        pub mentor_id: i32,
        pub loose_id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::parent::Entity",
            from = "(Column::Tenant, Column::ParentCode)",
            to = "(super::parent::Column::Tenant, super::parent::Column::Code)",
            on_delete = "Restrict",
            on_update = "Cascade",
            fk_name = "child_parent_fk"
        )]
        Parent,
        #[sea_orm(belongs_to = "Entity", from = "Column::BuddyId", to = "Column::Id", on_delete = "SetNull")]
        Buddy,
        #[sea_orm(belongs_to = "crate::child::Entity", from = "Column::MentorId", to = "crate::child::Column::Id")]
        Mentor,
        #[sea_orm(belongs_to = "Entity", from = "Column::LooseId", to = "Column::Id", skip_fk)]
        Loose,
    }

    impl Related<super::parent::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Parent.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
});

#[test]
fn names_keys_comments_and_renames_agree() {
    twins::assert_agree("naming", &entities![naming::Entity]);
    twins::assert_agree("camel", &entities![camel::Entity]);
    twins::assert_agree("keys", &entities![keys::Entity]);
    twins::assert_agree("session", &entities![session::Entity]);
}

#[test]
fn defaults_agree() {
    twins::assert_agree("defaults", &entities![defaults::Entity]);
}

#[test]
fn types_enums_value_types_and_aliases_agree() {
    twins::assert_agree("typed", &entities![typed::Entity]);
}

#[test]
fn relations_agree() {
    twins::assert_agree(
        "parent and child",
        &entities![parent::Entity, child::Entity],
    );
}

#[test]
fn the_sample_application_agrees() {
    let compiled = sample::sample_entities().extract().unwrap();
    let lib_rs = Path::new(env!("CARGO_MANIFEST_DIR")).join("entity/src/lib.rs");
    let Reading::Entities(read) = read_crate(&lib_rs, "entity").unwrap() else {
        panic!("the sample entities should be readable from source");
    };
    let read = read.extract().unwrap();
    assert_eq!(compiled.schema, read.schema);
    assert_eq!(compiled.renames, read.renames);
}

/// A crate in memory: `files` relative to `/crate/src`.
fn read_files(files: &[(&str, &str)]) -> tidemark::Result<Reading> {
    let files: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(path, text)| (Path::new("/crate/src").join(path), (*text).to_owned()))
        .collect();
    let read = move |path: &Path| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, text)| text.clone())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    };
    read_crate_with(Path::new("/crate/src/lib.rs"), "app", &read)
}

fn unresolved(files: &[(&str, &str)]) -> String {
    match read_files(files).unwrap() {
        Reading::Unresolved(u) => u.to_string(),
        Reading::Entities(_) => panic!("expected the reader to stop"),
    }
}

const ENTITY_HEAD: &str = "use sea_orm::entity::prelude::*;\n\
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]\n\
    #[sea_orm(table_name = \"thing\")]\n\
    pub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i32,\n";
const ENTITY_TAIL: &str = "}\n#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\n\
    pub enum Relation {}\nimpl ActiveModelBehavior for ActiveModel {}\n";

fn entity_with(field: &str) -> String {
    format!("{ENTITY_HEAD}{field}\n{ENTITY_TAIL}")
}

#[test]
fn modules_are_found_as_rustc_finds_them() {
    let thing = entity_with("pub name: String,");
    let Reading::Entities(set) = read_files(&[
        ("lib.rs", "pub mod flat;\npub mod nested;\n#[cfg(test)]\nmod tests;\npub mod inline { pub mod deep; }"),
        ("flat.rs", &thing.replace("\"thing\"", "\"flat\"")),
        ("nested/mod.rs", &thing.replace("\"thing\"", "\"nested\"")),
        ("inline/deep.rs", &thing.replace("\"thing\"", "\"deep\"")),
    ])
    .unwrap() else {
        panic!("readable");
    };
    assert_eq!(
        set.module_paths(),
        ["app::flat", "app::nested", "app::inline::deep"]
    );
}

#[test]
fn a_type_from_another_crate_stops_the_reader_at_its_field() {
    let message = unresolved(&[
        ("lib.rs", "pub mod thing;"),
        ("thing.rs", &entity_with("pub price: money::Amount,")),
    ]);
    assert_eq!(
        message,
        "/crate/src/thing.rs:7: field `price`: `money::Amount` is not one of SeaORM's value types \
         and is not defined in the entity crate"
    );
}

#[test]
fn what_only_the_compiler_knows_stops_the_reader() {
    let macro_made = unresolved(&[
        ("lib.rs", "pub mod thing;"),
        ("thing.rs", "my_entities!(thing);"),
    ]);
    assert!(
        macro_made.contains("thing.rs:1: `my_entities!` is a macro"),
        "{macro_made}"
    );

    let cfg_field = unresolved(&[
        ("lib.rs", "pub mod thing;"),
        (
            "thing.rs",
            &entity_with("#[cfg(feature = \"x\")]\npub extra: i32,"),
        ),
    ]);
    assert!(
        cfg_field.contains("thing.rs:8: a `#[cfg]` on a field"),
        "{cfg_field}"
    );

    let unknown_default = unresolved(&[
        ("lib.rs", "pub mod thing;"),
        (
            "thing.rs",
            &entity_with("#[sea_orm(default_expr = \"my_default()\")]\npub n: i32,"),
        ),
    ]);
    assert!(
        unknown_default.contains("only the compiler can evaluate"),
        "{unknown_default}"
    );

    let plain_struct = unresolved(&[
        ("lib.rs", "pub mod thing;\npub struct Wrapper(pub i32);"),
        ("thing.rs", &entity_with("pub n: crate::Wrapper,")),
    ]);
    assert!(
        plain_struct.contains("`Wrapper` derives neither"),
        "{plain_struct}"
    );

    let hand_written = unresolved(&[
        ("lib.rs", "pub mod thing;"),
        (
            "thing.rs",
            &entity_with("pub n: i32,").replace(
                "#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\npub enum Relation {}",
                "#[derive(Copy, Clone, Debug, EnumIter)]\npub enum Relation { Other }",
            ),
        ),
    ]);
    assert!(
        hand_written.contains("hand-written RelationTrait"),
        "{hand_written}"
    );
}

#[test]
fn broken_source_is_an_error_naming_file_and_line() {
    let Err(err) = read_files(&[("lib.rs", "pub mod thing;"), ("thing.rs", "pub struct {")]) else {
        panic!("expected an error");
    };
    let message = err.to_string();
    assert!(
        message.starts_with("/crate/src/thing.rs:1: not valid Rust"),
        "{message}"
    );

    let Err(err) = read_files(&[("lib.rs", "\npub mod gone;")]) else {
        panic!("expected an error");
    };
    assert_eq!(
        err.to_string(),
        "/crate/src/lib.rs:2: `mod gone;` has no file: neither /crate/src/gone.rs nor \
         /crate/src/gone/mod.rs exists"
    );
}

/// A relation naming a column its entity does not have, or an action SeaORM does not know,
/// would not compile: said at once, with no build of the entity crate to find it out.
#[test]
fn a_relation_naming_a_missing_column_is_an_error_at_its_line() {
    let relation = |from: &str, action: &str| {
        entity_with("pub owner_id: i32,").replace(
            "pub enum Relation {}",
            &format!(
                "pub enum Relation {{\n    #[sea_orm(belongs_to = \"Entity\", from = \"{from}\", \
                 to = \"Column::Id\", on_delete = \"{action}\")]\n    Owner,\n}}"
            ),
        )
    };
    let read = |text: &str| read_files(&[("lib.rs", "pub mod thing;"), ("thing.rs", text)]);

    let Err(err) = read(&relation("Column::OwnerUuid", "Cascade")) else {
        panic!("expected an error");
    };
    assert_eq!(
        err.to_string(),
        "/crate/src/thing.rs:11: relation `Owner`: `Column::OwnerUuid` is not a column of \
         `app::thing` (its columns: Id, OwnerId)"
    );

    let Err(err) = read(&relation("Column::OwnerId", "Obliterate")) else {
        panic!("expected an error");
    };
    assert!(
        err.to_string()
            .contains("thing.rs:11: relation `Owner`: on_delete = \"Obliterate\" is not a ForeignKeyAction (Cascade,"),
        "{err}"
    );

    let Ok(Reading::Entities(set)) = read(&relation("Column::OwnerId", "Cascade")) else {
        panic!("a correct relation reads");
    };
    let schema = set.extract().unwrap().schema;
    assert_eq!(
        schema.tables["thing"]
            .foreign_keys
            .keys()
            .collect::<Vec<_>>(),
        ["fk-thing-owner_id"]
    );
}
