//! End-to-end schema-change scenarios on SQLite: real SeaORM entities before and after,
//! `generate`, compile the generated migration, `up` with rows present, introspect, `down`,
//! introspect, `up` again, and generate once more expecting no changes.

mod harness;
#[path = "../common/servers.rs"]
mod servers;
#[path = "../common/twins.rs"]
mod twins;

use harness::Scenario;
use tidemark::entities;

/// A SeaORM entity module: `entity!(name, "table", { fields } [, { relations }])`.
macro_rules! entity {
    ($module:ident, $table:literal, { $($fields:tt)* }) => {
        entity!($module, $table, { $($fields)* }, {});
    };
    ($module:ident, $table:literal, { $($fields:tt)* }, { $($relations:tt)* }) => {
        crate::twin!($module {
            #[allow(unused_imports)]
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                $($fields)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {
                $($relations)*
            }

            impl ActiveModelBehavior for ActiveModel {}
        });
    };
}

/// The `item` table most scenarios start from.
macro_rules! item {
    ($module:ident { $($extra:tt)* }) => {
        entity!($module, "item", {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(column_type = "String(StringLen::N(100))")]
            pub name: String,
            $($extra)*
        });
    };
}

mod base {
    item!(item {});
}

mod create_table {
    item!(item {});
    entity!(note, "note", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub body: Option<String>,
        #[sea_orm(unique)]
        pub slug: String,
        #[sea_orm(indexed)]
        pub rank: i32,
    });
}

mod add_nullable {
    item!(item { pub note: Option<String>, });
}

/// Names SeaORM accepts that make awkward Rust: a table whose name is a sea-query type, two
/// columns that both read `UserId` in CamelCase, `self`, and a name with no ASCII letter.
mod awkward_names {
    item!(item {});
    entity!(index, "index", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_name = "userId", indexed)]
        pub user_id_camel: i32,
        pub user_id: i32,
        #[sea_orm(column_name = "self")]
        pub itself: Option<String>,
        #[sea_orm(column_name = "名前")]
        pub name: Option<String>,
    });
}

mod add_with_default {
    item!(item {
        #[sea_orm(default_value = "new")]
        pub status: String,
    });
}

mod add_not_null {
    item!(item { pub code: String, });
}

mod with_note {
    item!(item {
        #[sea_orm(column_type = "Text")]
        pub note: String,
    });
}

mod renamed_note {
    item!(item {
        #[sea_orm(column_type = "Text", renamed_from = "note")]
        pub remark: String,
    });
}

mod flag_renamed_note {
    item!(item {
        #[sea_orm(column_type = "Text")]
        pub remark: String,
    });
}

mod product {
    entity!(product, "product", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
    });
}

mod wide_name {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(255))")]
        pub name: String,
    });
}

mod qty_int {
    item!(item { pub qty: i32, });
}

mod qty_bigint {
    item!(item { pub qty: i64, });
}

mod nullable_note {
    item!(item { pub note: Option<String>, });
}

mod required_note {
    item!(item { pub note: String, });
}

mod status_draft {
    item!(item {
        #[sea_orm(default_value = "draft")]
        pub status: String,
    });
}

mod status_active {
    item!(item {
        #[sea_orm(default_value = "active")]
        pub status: String,
    });
}

mod code_plain {
    item!(item { pub code: String, });
}

mod code_unique {
    item!(item {
        #[sea_orm(unique)]
        pub code: String,
    });
}

mod code_indexed {
    item!(item {
        #[sea_orm(indexed)]
        pub code: String,
    });
}

mod pair_plain {
    item!(item { pub qty: i32, });
}

mod pair_unique {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))", unique_key = "name_qty")]
        pub name: String,
        #[sea_orm(unique_key = "name_qty")]
        pub qty: i32,
    });
}

mod price_10_2 {
    item!(item {
        #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
        pub price: Decimal,
    });
}

mod price_12_4 {
    item!(item {
        #[sea_orm(column_type = "Decimal(Some((12, 4)))")]
        pub price: Decimal,
    });
}

mod commented {
    item!(item {
        #[sea_orm(comment = "Display name")]
        pub label: Option<String>,
    });
}

mod uncommented {
    item!(item { pub label: Option<String>, });
}

mod with_owner_table {
    entity!(owner, "owner", {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    });
    item!(item {});
}

mod owned_unlinked {
    entity!(owner, "owner", {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    });
    item!(item { pub owner_id: Option<i32>, });
}

mod owned_cascade {
    entity!(owner, "owner", {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    });
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
        pub owner_id: Option<i32>,
    }, {
        #[sea_orm(belongs_to = "super::owner::Entity", from = "Column::OwnerId", to = "super::owner::Column::Id", on_delete = "Cascade")]
        Owner,
    });
}

mod owned_set_null {
    entity!(owner, "owner", {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    });
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
        pub owner_id: Option<i32>,
    }, {
        #[sea_orm(belongs_to = "super::owner::Entity", from = "Column::OwnerId", to = "super::owner::Column::Id", on_delete = "SetNull")]
        Owner,
    });
}

mod owned_no_fk {
    entity!(owner, "owner", {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
    });
    item!(item { pub owner_id: Option<i32>, });
}

mod self_ref {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
        pub parent_id: Option<i32>,
    }, {
        #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id", on_delete = "SetNull")]
        Parent,
    });
}

mod circular {
    item!(item {});
    entity!(team, "team", {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub lead_id: Option<i32>,
    }, {
        #[sea_orm(belongs_to = "super::member::Entity", from = "Column::LeadId", to = "super::member::Column::Id", on_delete = "SetNull")]
        Lead,
    });
    entity!(member, "member", {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub team_id: i32,
    }, {
        #[sea_orm(belongs_to = "super::team::Entity", from = "Column::TeamId", to = "super::team::Column::Id", on_delete = "Cascade")]
        Team,
    });
}

mod join_table {
    item!(item {});
    entity!(tag, "tag", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub label: String,
    });
    entity!(item_tag, "item_tag", {
        #[sea_orm(primary_key, auto_increment = false)]
        pub item_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag_id: i32,
    }, {
        #[sea_orm(belongs_to = "super::item::Entity", from = "Column::ItemId", to = "super::item::Column::Id", on_delete = "Cascade")]
        Item,
        #[sea_orm(belongs_to = "super::tag::Entity", from = "Column::TagId", to = "super::tag::Column::Id", on_delete = "Cascade")]
        Tag,
    });
}

/// A foreign key whose column leads a composite unique key: InnoDB lets the key use the unique
/// index and drops the key's own, so dropping the unique index needs the key's index back.
macro_rules! keyed_note {
    ($module:ident, $($unique:tt)*) => {
        mod $module {
            item!(item {});
            entity!(note, "note", {
                #[sea_orm(primary_key)]
                pub id: i32,
                $($unique)*
                pub item_id: i32,
                $($unique)*
                pub kind: i32,
            }, {
                #[sea_orm(belongs_to = "super::item::Entity", from = "Column::ItemId", to = "super::item::Column::Id", on_delete = "Cascade")]
                Item,
            });
        }
    };
}
keyed_note!(key_only,);
keyed_note!(unique_over_key, #[sea_orm(unique_key = "item_kind")]);

/// `#[sea_orm(primary_key)]` on a `Uuid`: SeaORM calls it auto-increment, a database cannot.
mod uuid_key {
    item!(item {});
    entity!(session, "session", {
        #[sea_orm(primary_key)]
        pub id: Uuid,
        pub item_id: i32,
    }, {
        #[sea_orm(belongs_to = "super::item::Entity", from = "Column::ItemId", to = "super::item::Column::Id", on_delete = "Cascade")]
        Item,
    });
}

mod composite_index {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))", unique_key = "name_kind")]
        pub name: String,
        #[sea_orm(unique_key = "name_kind")]
        pub kind: String,
        #[sea_orm(indexed)]
        pub created_on: Date,
    });
}

mod composite_plain {
    item!(item {
        pub kind: String,
        pub created_on: Date,
    });
}

crate::twin!(colors {
    use sea_orm::entity::prelude::*;

    #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "color")]
    pub enum Color {
        #[sea_orm(string_value = "red")]
        Red,
        #[sea_orm(string_value = "green")]
        Green,
    }

    #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "color")]
    pub enum ColorPlus {
        #[sea_orm(string_value = "red")]
        Red,
        #[sea_orm(string_value = "green")]
        Green,
        #[sea_orm(string_value = "blue")]
        Blue,
    }

    #[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
    #[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "color")]
    pub enum ColorMinus {
        #[sea_orm(string_value = "red")]
        Red,
    }
});

mod with_color {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
        pub color: super::super::colors::Color,
    });
}

mod with_more_colors {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
        pub color: super::super::colors::ColorPlus,
    });
}

mod with_fewer_colors {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(100))")]
        pub name: String,
        pub color: super::super::colors::ColorMinus,
    });
}

mod all_types {
    item!(item {});
    entity!(event, "event", {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub payload: Json,
        pub event_id: Uuid,
        #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
        pub amount: Decimal,
        #[sea_orm(default_expr = "Expr::current_timestamp()")]
        pub created_at: DateTimeWithTimeZone,
        pub happened_on: Option<Date>,
        #[sea_orm(default_value = true)]
        pub active: bool,
        #[sea_orm(default_value = 3)]
        pub attempts: i16,
        pub ratio: f64,
        pub raw: Option<Vec<u8>>,
    });
}

mod narrow_name {
    entity!(item, "item", {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(column_type = "String(StringLen::N(50))")]
        pub name: String,
    });
}

mod pk_single {
    entity!(membership, "membership", {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i32,
        pub group_id: i32,
    });
}

mod pk_composite {
    entity!(membership, "membership", {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub group_id: i32,
    });
}

macro_rules! set {
    ($module:ident) => {
        || entities![$module::item::Entity]
    };
}

fn scenarios() -> Vec<Scenario> {
    use Scenario as S;
    vec![
        S::new("create_table", set!(base), || {
            entities![create_table::item::Entity, create_table::note::Entity]
        }),
        S {
            allow_destructive: true,
            ..S::new(
                "drop_table",
                || entities![create_table::item::Entity, create_table::note::Entity],
                set!(base),
            )
        },
        S::new("add_nullable_column", set!(base), set!(add_nullable)),
        S::new("awkward_names", set!(base), || {
            entities![awkward_names::item::Entity, awkward_names::index::Entity]
        }),
        S::new(
            "add_not_null_column_with_default",
            set!(base),
            set!(add_with_default),
        ),
        S {
            backfills: &[("item", "code", "'n/a'")],
            ..S::new(
                "add_not_null_column_without_default",
                set!(base),
                set!(add_not_null),
            )
        },
        S {
            allow_destructive: true,
            ..S::new("drop_column", set!(add_nullable), set!(base))
        },
        S {
            kept_values: &[("item", "remark", "note")],
            ..S::new(
                "rename_column_renamed_from",
                set!(with_note),
                set!(renamed_note),
            )
        },
        S {
            rename_columns: &[("item", "note", "remark")],
            kept_values: &[("item", "remark", "note")],
            ..S::new(
                "rename_column_flag",
                set!(with_note),
                set!(flag_renamed_note),
            )
        },
        S {
            rename_tables: &[("item", "product")],
            kept_values: &[("product", "name", "name")],
            ..S::new("rename_table", set!(base), || {
                entities![product::product::Entity]
            })
        },
        S::new("widen_varchar", set!(base), set!(wide_name)),
        S::new("integer_to_bigint", set!(qty_int), set!(qty_bigint)),
        S {
            backfills: &[("item", "note", "'none'")],
            ..S::new(
                "nullable_to_not_null",
                set!(nullable_note),
                set!(required_note),
            )
        },
        S::new(
            "not_null_to_nullable",
            set!(required_note),
            set!(nullable_note),
        ),
        S::new("change_default", set!(status_draft), set!(status_active)),
        S::new("add_unique", set!(code_plain), set!(code_unique)),
        S::new("drop_unique", set!(code_unique), set!(code_plain)),
        S::new("add_index", set!(code_plain), set!(code_indexed)),
        S::new("drop_index", set!(code_indexed), set!(code_plain)),
        S::new("add_composite_unique", set!(pair_plain), set!(pair_unique)),
        S::new(
            "composite_indexes",
            set!(composite_plain),
            set!(composite_index),
        ),
        S::new("decimal_precision", set!(price_10_2), set!(price_12_4)),
        S::new("add_column_comment", set!(uncommented), set!(commented)),
        S::new(
            "add_foreign_key",
            || {
                entities![
                    with_owner_table::owner::Entity,
                    with_owner_table::item::Entity
                ]
            },
            || entities![owned_cascade::owner::Entity, owned_cascade::item::Entity],
        ),
        S::new(
            "add_foreign_key_to_existing_column",
            || entities![owned_unlinked::owner::Entity, owned_unlinked::item::Entity],
            || entities![owned_cascade::owner::Entity, owned_cascade::item::Entity],
        ),
        S::new(
            "change_foreign_key_action",
            || entities![owned_cascade::owner::Entity, owned_cascade::item::Entity],
            || entities![owned_set_null::owner::Entity, owned_set_null::item::Entity],
        ),
        S::new(
            "drop_foreign_key",
            || entities![owned_cascade::owner::Entity, owned_cascade::item::Entity],
            || entities![owned_no_fk::owner::Entity, owned_no_fk::item::Entity],
        ),
        S {
            allow_destructive: true,
            ..S::new(
                "drop_referenced_table",
                || entities![owned_cascade::owner::Entity, owned_cascade::item::Entity],
                set!(base),
            )
        },
        S::new("self_referencing_foreign_key", set!(base), set!(self_ref)),
        S::new("circular_foreign_keys", set!(base), || {
            entities![
                circular::item::Entity,
                circular::team::Entity,
                circular::member::Entity
            ]
        }),
        S::new("composite_primary_key_table", set!(base), || {
            entities![
                join_table::item::Entity,
                join_table::tag::Entity,
                join_table::item_tag::Entity
            ]
        }),
        S::new(
            "composite_unique_over_foreign_key",
            || entities![key_only::item::Entity, key_only::note::Entity],
            || entities![unique_over_key::item::Entity, unique_over_key::note::Entity],
        ),
        S {
            allow_destructive: true,
            ..S::new(
                "drop_composite_unique_over_foreign_key",
                || entities![unique_over_key::item::Entity, unique_over_key::note::Entity],
                || entities![key_only::item::Entity, key_only::note::Entity],
            )
        },
        S::new("declared_composite_index", set!(base), || {
            entities![base::item::Entity].index("item", &["name", "id"])
        }),
        S::new("uuid_primary_key", set!(base), || {
            entities![uuid_key::item::Entity, uuid_key::session::Entity]
        }),
        S::new(
            "change_primary_key",
            || entities![pk_single::membership::Entity],
            || entities![pk_composite::membership::Entity],
        ),
        S {
            backfills: &[("item", "color", "'red'")],
            ..S::new("enum_column", set!(base), set!(with_color))
        },
        S::new("enum_add_value", set!(with_color), set!(with_more_colors)),
        S {
            allow_destructive: true,
            ..S::new(
                "enum_remove_value",
                set!(with_color),
                set!(with_fewer_colors),
            )
        },
        S::new("all_types_round_trip", set!(base), || {
            entities![all_types::item::Entity, all_types::event::Entity]
        }),
        S {
            allow_destructive: true,
            ..S::new("narrow_varchar", set!(wide_name), set!(narrow_name))
        },
    ]
}

macro_rules! scenario_tests {
    ($($name:ident),* $(,)?) => {
        macro_rules! backend_tests {
            ($backend_module:ident, $backend:expr) => {
                mod $backend_module {
                    $(
                        #[tokio::test]
                        async fn $name() {
                            crate::harness::run(&crate::scenarios(), stringify!($name), $backend).await;
                        }
                    )*
                }
            };
        }
        backend_tests!(sqlite, tidemark::backend::Backend::Sqlite);
        backend_tests!(postgres, tidemark::backend::Backend::Postgres);
        backend_tests!(mysql, tidemark::backend::Backend::Mysql);

        /// Says which servers the backend scenarios ran against, and loudly which they skipped.
        #[tokio::test]
        async fn backend_servers() {
            for backend in [tidemark::backend::Backend::Postgres, tidemark::backend::Backend::Mysql] {
                let url = servers::admin_url(backend).unwrap();
                match servers::connect_admin(&url).await {
                    Ok(db) => {
                        db.close().await.ok();
                        eprintln!("{}: reachable at {url}; its scenarios ran", backend.name());
                    }
                    Err(err) => {
                        assert!(!servers::servers_required(), "{} unreachable at {url}: {err}", backend.name());
                        eprintln!(
                            "\n!!! SKIPPED every {} scenario: no server at {url} ({err}).\n!!! Set TIDEMARK_REQUIRE_SERVERS=1 to make this a failure.\n",
                            backend.name()
                        );
                    }
                }
            }
        }

        /// tidemark's own output passes its lint on every backend, but for what has no safe
        /// single-migration form: a declared rename (use --phased), a type change that
        /// rewrites on PostgreSQL, a primary key change that rebuilds on MySQL.
        #[test]
        fn generated_migrations_pass_lint() {
            use tidemark::backend::Backend;
            let renames = [
                ("rename_column_renamed_from", "rename-breaks-running-code", false),
                ("rename_column_flag", "rename-breaks-running-code", false),
                ("rename_table", "rename-breaks-running-code", false),
            ];
            let rewrites = [
                ("widen_varchar", "column-type-rewrites", true),
                ("integer_to_bigint", "column-type-rewrites", false),
                ("integer_to_bigint", "column-type-rewrites", true),
                ("decimal_precision", "column-type-rewrites", false),
                ("decimal_precision", "column-type-rewrites", true),
                ("enum_add_value", "column-type-rewrites", true),
                ("enum_remove_value", "column-type-rewrites", false),
                ("narrow_varchar", "column-type-rewrites", false),
            ];
            let mysql_rebuilds = [
                ("change_primary_key", "mysql-ddl-not-online", false),
                ("change_primary_key", "mysql-ddl-not-online", true),
            ];
            for backend in Backend::ALL {
                let mut expected: Vec<(&str, &str, bool)> = renames.to_vec();
                match backend {
                    Backend::Postgres => expected.extend(rewrites),
                    Backend::Mysql => expected.extend(mysql_rebuilds),
                    Backend::Sqlite => {}
                }
                let mut found = harness::lint_findings(&scenarios(), backend);
                let mut expected: Vec<(String, String, bool)> = expected
                    .into_iter()
                    .map(|(s, r, d)| (s.to_owned(), r.to_owned(), d))
                    .collect();
                found.sort();
                expected.sort();
                assert_eq!(found, expected, "{backend:?}");
            }
        }

        /// A reviewer reads a one-change migration in one screen: the backend forms live in
        /// tidemark-runtime, not in each file. `add_foreign_key` adds its column too (two
        /// changes), with the transaction setting its validation needs.
        #[test]
        fn generated_migrations_are_short() {
            let sizes = harness::change_migration_sizes(&scenarios());
            for (scenario, most) in [
                ("add_index", 35),
                ("add_nullable_column", 35),
                ("drop_column", 35),
                ("add_foreign_key_to_existing_column", 35),
                ("add_foreign_key", 37),
            ] {
                let size = sizes[scenario];
                eprintln!("{scenario}: {size} lines of code");
                assert!(size <= most, "{scenario}: {size} lines of code (at most {most})");
            }
            let mut all: Vec<usize> = sizes.values().copied().collect();
            all.sort_unstable();
            let median = all[all.len() / 2];
            eprintln!("change migrations: median {median} lines of code, largest {:?}", all.last());
            assert!(median <= 45, "median {median} lines of code (at most 45): {sizes:?}");
        }

        /// The files `generate` writes are what `cargo fmt` would make of them, with no
        /// `rustfmt` involved in writing them: a workspace's `cargo fmt --check` passes.
        #[test]
        fn generated_migrations_are_laid_out_as_cargo_fmt_would() {
            let files = harness::generated_migration_files(&scenarios());
            assert!(files.len() >= 2 * scenarios().len(), "{files:?}");
            let check = std::process::Command::new("rustfmt")
                .args(["--edition", "2024", "--check"])
                .args(&files)
                .output();
            let Ok(check) = check else {
                assert!(
                    std::env::var_os("TIDEMARK_REQUIRE_SERVERS").is_none(),
                    "rustfmt is required (TIDEMARK_REQUIRE_SERVERS is set) but cannot be run"
                );
                eprintln!("SKIPPED: no rustfmt to check the generated files with");
                return;
            };
            assert!(
                check.status.success(),
                "rustfmt would change generated files:\n{}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            );
        }

        #[test]
        fn every_scenario_has_a_test() {
            let tested = [$(stringify!($name)),*];
            for s in scenarios() {
                assert!(tested.contains(&s.name), "scenario `{}` has no test", s.name);
            }
        }
    };
}

scenario_tests!(
    create_table,
    drop_table,
    add_nullable_column,
    awkward_names,
    add_not_null_column_with_default,
    add_not_null_column_without_default,
    drop_column,
    rename_column_renamed_from,
    rename_column_flag,
    rename_table,
    widen_varchar,
    integer_to_bigint,
    nullable_to_not_null,
    not_null_to_nullable,
    change_default,
    add_unique,
    drop_unique,
    add_index,
    drop_index,
    add_composite_unique,
    composite_indexes,
    decimal_precision,
    add_column_comment,
    add_foreign_key,
    add_foreign_key_to_existing_column,
    change_foreign_key_action,
    drop_foreign_key,
    drop_referenced_table,
    self_referencing_foreign_key,
    circular_foreign_keys,
    composite_primary_key_table,
    uuid_primary_key,
    declared_composite_index,
    composite_unique_over_foreign_key,
    drop_composite_unique_over_foreign_key,
    change_primary_key,
    enum_column,
    enum_add_value,
    enum_remove_value,
    all_types_round_trip,
    narrow_varchar,
);

/// tidemark's source reader makes of every scenario's entities exactly what SeaORM's compiled
/// statement builders make of them.
#[test]
fn source_reader_agrees_with_the_compiled_entities() {
    for scenario in scenarios() {
        twins::assert_agree(&format!("{} (before)", scenario.name), &(scenario.before)());
        twins::assert_agree(&format!("{} (after)", scenario.name), &(scenario.after)());
    }
}
