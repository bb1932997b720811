//! Entities for history tests: a table `item` with the fields given, and optionally a table
//! `tag`, as one version of an application's entities: `tables!(v2, item: { pub note: String, })`.

macro_rules! tables {
    ($version:ident, item: { $($item:tt)* } $(, tag: { $($tag:tt)* })?) => {
        mod $version {
            pub mod item {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "item")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    $($item)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
            $(
            pub mod tag {
                use sea_orm::entity::prelude::*;

                #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
                #[sea_orm(table_name = "tag")]
                pub struct Model {
                    #[sea_orm(primary_key)]
                    pub id: i32,
                    $($tag)*
                }

                #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
                pub enum Relation {}

                impl ActiveModelBehavior for ActiveModel {}
            }
            )?
        }
    };
}
