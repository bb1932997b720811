//! Entities -> [`Schema`], through SeaORM's own statement builders.
//!
//! Each entity goes through `sea_orm::Schema::create_table_from_entity` and
//! `create_index_from_entity`, exactly what SeaORM would create, and the resulting sea-query
//! statements are read back into the neutral model. Nothing parses entity source files.
//!
//! SeaORM's entity registry (`entity-registry` feature) lists entities without naming them,
//! but it hands out only opaque schema info; tidemark therefore takes the entity types from
//! [`entities!`](crate::entities) and uses the registry to warn about any it was not given.

use crate::error::{Error, Result};
use crate::model::{
    Column, ColumnType, DefaultValue, EnumType, ForeignKey, ForeignKeyAction, Index, Schema, Table,
};
use sea_orm::sea_query::{
    self, ColumnDef, ForeignKeyAction as SqAction, IndexCreateStatement, Query, SqliteQueryBuilder,
    StringLen, TableCreateStatement, TableRef,
};
use sea_orm::{DbBackend, EntityTrait};
use std::collections::BTreeMap;

/// The entities of one application, in the order they were listed.
#[derive(Default)]
pub struct EntitySet {
    entities: Vec<EntityDef>,
    /// Entities read from source ([`crate::source`]) rather than built by SeaORM.
    read: Vec<ReadEntity>,
    /// Indexes declared next to the entities ([`EntitySet::index`]), which SeaORM's attributes
    /// cannot express: several columns, not unique.
    declared_indexes: Vec<(String, Index)>,
}

/// What SeaORM would create for one entity.
struct EntityDef {
    module_path: String,
    table: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
}

/// One entity as the pipeline needs it, however it was obtained: from SeaORM's statement
/// builders ([`EntitySet::with`]) or from its source ([`crate::source`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ReadEntity {
    /// `crate::module`, for messages.
    pub module_path: String,
    /// `schema_name`, when the entity names one.
    pub pg_schema: Option<String>,
    pub table: Table,
    pub renames: Vec<DeclaredRename>,
    /// The enum types its columns use.
    pub enums: Vec<EnumType>,
}

/// A column rename that the entity itself declares with `#[sea_orm(renamed_from = "...")]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredRename {
    pub table: String,
    pub from: String,
    pub to: String,
}

/// The result of extraction: the schema, plus the renames the entities announce.
#[derive(Clone, Debug, Default)]
pub struct Extracted {
    pub schema: Schema,
    pub renames: Vec<DeclaredRename>,
}

impl EntitySet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entity. SeaORM's statements are built with the SQLite backend because it is the
    /// one that keeps enum columns as `Enum { name, variants }` rather than a backend spelling.
    pub fn with<E: EntityTrait>(mut self, entity: E) -> Self {
        let helper = sea_orm::Schema::new(DbBackend::Sqlite);
        let type_name = std::any::type_name::<E>();
        let module_path = type_name
            .rsplit_once("::")
            .map_or(type_name, |(module, _)| module)
            .to_owned();
        self.entities.push(EntityDef {
            module_path,
            table: helper.create_table_from_entity(entity),
            indexes: helper.create_index_from_entity(entity),
        });
        self
    }

    /// Declares an index over several columns of `table`, in this order: SeaORM's attributes
    /// can only say `indexed` for one column or `unique_key` for a unique set. It is named
    /// `idx-<table>-<columns>` and planned like any other index (built concurrently on
    /// PostgreSQL, online on MySQL).
    ///
    /// ```ignore
    /// tidemark::entities![entity::task::Entity, entity::project::Entity]
    ///     .index("task", &["project_id", "status"])
    /// ```
    pub fn index(mut self, table: &str, columns: &[&str]) -> Self {
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        let name = format!("idx-{table}-{}", columns.join("-"));
        self.declared_indexes.push((
            table.to_owned(),
            Index {
                name,
                columns,
                unique: false,
            },
        ));
        self
    }

    /// Entities read from their source; `declared_indexes` as [`EntitySet::index`] takes.
    pub(crate) fn from_read(read: Vec<ReadEntity>) -> Self {
        Self {
            read,
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entities.len() + self.read.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The indexes declared with [`EntitySet::index`]: table and columns.
    pub fn declared_indexes(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.declared_indexes
            .iter()
            .map(|(table, index)| (table.as_str(), index.columns.as_slice()))
    }

    /// The module paths of the entities, in the order they were given.
    pub fn module_paths(&self) -> Vec<&str> {
        self.entities
            .iter()
            .map(|e| e.module_path.as_str())
            .chain(self.read.iter().map(|e| e.module_path.as_str()))
            .collect()
    }

    /// Module paths of entities registered with SeaORM's entity registry under `crate_name`
    /// that this set does not contain: most likely entities someone forgot to list.
    pub fn unlisted_registered_entities(&self, crate_name: &str) -> Vec<String> {
        let prefix = format!("{}::", crate_name.replace('-', "_"));
        let mut missing: Vec<String> = inventory::iter::<sea_orm::EntityRegistry>()
            .map(|entry| entry.module_path.to_owned())
            .filter(|path| path.starts_with(&prefix))
            .filter(|path| !self.entities.iter().any(|e| &e.module_path == path))
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// Reads every entity into one [`Schema`].
    pub fn extract(&self) -> Result<Extracted> {
        let mut read = Vec::with_capacity(self.len());
        for entity in &self.entities {
            read.push(read_entity(entity)?);
        }
        read.extend(self.read.iter().cloned());
        assemble(read, &self.declared_indexes)
    }
}

/// Joins entities into one schema: tables (several entities may share one), enum types,
/// declared indexes and renames, then checks that every reference resolves.
pub(crate) fn assemble(
    entities: Vec<ReadEntity>,
    declared_indexes: &[(String, Index)],
) -> Result<Extracted> {
    let mut out = Extracted {
        schema: Schema {
            pg_schema: pg_schema(&entities)?,
            ..Schema::default()
        },
        renames: Vec::new(),
    };
    let mut first_entity: BTreeMap<String, String> = BTreeMap::new();
    let mut enum_owner: BTreeMap<String, String> = BTreeMap::new();
    for entity in entities {
        for declared in entity.enums {
            match out.schema.enums.get(&declared.name) {
                Some(existing) if existing.values != declared.values => {
                    return Err(Error::InvalidEntities(format!(
                        "enum `{name}` is declared twice with different values: {:?} (used by \
                         `{}`) and {:?} (used by `{}`)",
                        existing.values,
                        enum_owner[&declared.name],
                        declared.values,
                        entity.module_path,
                        name = declared.name,
                    )));
                }
                Some(_) => {}
                None => {
                    enum_owner.insert(declared.name.clone(), entity.module_path.clone());
                    out.schema.enums.insert(declared.name.clone(), declared);
                }
            }
        }
        out.renames.extend(entity.renames);
        let table = entity.table;
        match out.schema.tables.get_mut(&table.name) {
            // SeaORM allows several entities over one table (`coaches` and `coachees`
            // over `users`): one table, as long as they agree on it.
            Some(existing) => {
                merge_alias(existing, table).map_err(|conflict| {
                    Error::InvalidEntities(format!(
                        "entities `{}` and `{}` both map to table `{}` but disagree: \
                         {conflict}; make them describe the table alike",
                        first_entity[&existing.name], entity.module_path, existing.name
                    ))
                })?;
            }
            None => {
                first_entity.insert(table.name.clone(), entity.module_path.clone());
                out.schema.tables.insert(table.name.clone(), table);
            }
        }
    }
    for (table_name, index) in declared_indexes {
        add_declared_index(&mut out.schema, table_name, index)?;
    }
    out.renames
        .sort_by(|a, b| (&a.table, &a.to).cmp(&(&b.table, &b.to)));
    out.renames.dedup();
    check_references(&out.schema)?;
    Ok(out)
}

fn add_declared_index(schema: &mut Schema, table_name: &str, index: &Index) -> Result<()> {
    let what = format!("the index declared with .index(\"{table_name}\", ...)");
    let Some(table) = schema.tables.get_mut(table_name) else {
        return Err(Error::InvalidEntities(format!(
            "{what} names table `{table_name}`, which no listed entity defines"
        )));
    };
    if index.columns.is_empty() {
        return Err(Error::InvalidEntities(format!("{what} names no column")));
    }
    if let Some(missing) = index.columns.iter().find(|c| table.column(c).is_none()) {
        return Err(Error::InvalidEntities(format!(
            "{what} names column `{missing}`, which `{table_name}` does not have"
        )));
    }
    if table.indexes.contains_key(&index.name) {
        return Err(Error::InvalidEntities(format!(
            "{what} is declared twice, or an entity already has index `{}`",
            index.name
        )));
    }
    table.indexes.insert(index.name.clone(), index.clone());
    Ok(())
}

/// Folds `alias`, a second entity's view of `table`, into it: the columns, primary key and
/// comment must be the same; indexes and foreign keys are the union of both, and one name may
/// not mean two things. `Err` says where they disagree.
fn merge_alias(table: &mut Table, alias: Table) -> std::result::Result<(), String> {
    let describe = |c: &Column| {
        format!(
            "{}{}",
            c.ty.describe(),
            if c.nullable { " NULL" } else { " NOT NULL" }
        )
    };
    for column in &alias.columns {
        match table.column(&column.name) {
            None => return Err(format!("only the second has column `{}`", column.name)),
            Some(c) if c != column => {
                return Err(format!(
                    "column `{}` is {} in one and {} in the other",
                    column.name,
                    describe(c),
                    describe(column)
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(c) = table
        .columns
        .iter()
        .find(|c| alias.column(&c.name).is_none())
    {
        return Err(format!("only the first has column `{}`", c.name));
    }
    if table.primary_key != alias.primary_key {
        return Err(format!(
            "the primary key is ({}) in one and ({}) in the other",
            table.primary_key.join(", "),
            alias.primary_key.join(", ")
        ));
    }
    match (&table.comment, alias.comment) {
        (Some(a), Some(b)) if *a != b => {
            return Err(format!(
                "the table comment is {a:?} in one and {b:?} in the other"
            ));
        }
        (None, Some(b)) => table.comment = Some(b),
        _ => {}
    }
    for (name, index) in alias.indexes {
        match table.indexes.get(&name) {
            Some(existing) if *existing != index => {
                return Err(format!("index `{name}` is defined differently"));
            }
            Some(_) => {}
            None => {
                table.indexes.insert(name, index);
            }
        }
    }
    for (name, fk) in alias.foreign_keys {
        match table.foreign_keys.get(&name) {
            Some(existing) if *existing != fk => {
                return Err(format!("foreign key `{name}` is defined differently"));
            }
            Some(_) => {}
            None => {
                table.foreign_keys.insert(name, fk);
            }
        }
    }
    Ok(())
}

/// Builds an [`EntitySet`] from entity types:
/// `tidemark::entities![user::Entity, post::Entity]`.
#[macro_export]
macro_rules! entities {
    ($($entity:path),* $(,)?) => {
        $crate::extract::EntitySet::new()$(.with($entity))*
    };
}

fn read_entity(entity: &EntityDef) -> Result<ReadEntity> {
    let mut enums = Schema::default();
    let mut renames = Vec::new();
    let name = table_ref_name(entity.table.get_table_name()).ok_or_else(|| {
        Error::InvalidEntities(format!("entity `{}` has no table name", entity.module_path))
    })?;
    let mut table = Table {
        name: name.clone(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Default::default(),
        foreign_keys: Default::default(),
        comment: entity.table.get_comment().cloned(),
        shadow_columns: Default::default(),
        conversions: Default::default(),
    };
    for def in entity.table.get_columns() {
        let (column, renamed_from) = read_column(&name, def, &mut enums)?;
        if def.get_column_spec().primary_key {
            table.primary_key.push(column.name.clone());
        }
        if let Some(from) = renamed_from {
            renames.push(DeclaredRename {
                table: name.clone(),
                from,
                to: column.name.clone(),
            });
        }
        table.columns.push(column);
    }
    for index in entity.table.get_indexes() {
        if index.is_primary_key() {
            table.primary_key = index.get_index_spec().get_column_names();
        }
    }
    for index in &entity.indexes {
        let spec = index.get_index_spec();
        let index_name = spec
            .get_name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("idx-{name}-{}", spec.get_column_names().join("-")));
        table.indexes.insert(
            index_name.clone(),
            Index {
                name: index_name,
                columns: spec.get_column_names(),
                unique: index.is_unique_key(),
            },
        );
    }
    for fk in entity.table.get_foreign_key_create_stmts() {
        let fk = fk.get_foreign_key();
        let ref_table = table_ref_name(fk.get_ref_table()).ok_or_else(|| {
            Error::InvalidEntities(format!("a relation of `{name}` has no target table"))
        })?;
        let columns = fk.get_columns();
        let fk_name = fk
            .get_name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("fk-{name}-{}", columns.join("-")));
        table.foreign_keys.insert(
            fk_name.clone(),
            ForeignKey {
                name: fk_name,
                columns,
                ref_table,
                ref_columns: fk.get_ref_columns(),
                on_delete: read_action(fk.get_on_delete()),
                on_update: read_action(fk.get_on_update()),
            },
        );
    }
    Ok(ReadEntity {
        module_path: entity.module_path.clone(),
        pg_schema: table_schema(entity.table.get_table_name()),
        table,
        renames,
        enums: enums.enums.into_values().collect(),
    })
}

fn read_column(
    table: &str,
    def: &ColumnDef,
    schema: &mut Schema,
) -> Result<(Column, Option<String>)> {
    let name = def.get_column_name();
    let spec = def.get_column_spec();
    let unsupported = |ty: String, hint: &'static str| Error::UnsupportedType {
        table: table.to_owned(),
        column: name.clone(),
        ty,
        hint,
    };
    let sq_type = def.get_column_type().ok_or_else(|| {
        unsupported(
            "none".into(),
            "give the field a `column_type` in its #[sea_orm(...)] attribute",
        )
    })?;
    let ty = read_type(sq_type, schema).map_err(|ty| {
        unsupported(
            ty,
            "use a supported SeaORM column type, or a `custom(...)` column type that names the SQL type",
        )
    })?;
    let (comment, renamed_from) = split_renamed_from(spec.comment.as_deref());
    let auto_incrementable = ty.is_integer();
    let column = Column {
        name: name.clone(),
        ty,
        // SeaORM marks every non-`Option` field NOT NULL; a primary key is NOT NULL regardless.
        nullable: spec.nullable != Some(false) && !spec.primary_key,
        default: spec.default.as_ref().map(read_default),
        // SeaORM marks every primary key auto-increment unless told otherwise, a `Uuid` or
        // `String` key too; a database can only count integers up (sea-query panics on a
        // UUID `AUTO_INCREMENT`).
        auto_increment: spec.auto_increment && auto_incrementable,
        unique: spec.unique,
        comment,
    };
    Ok((column, renamed_from))
}

/// Maps sea-query's column type; `Err` carries a description of a type tidemark cannot map.
fn read_type(ty: &sea_query::ColumnType, schema: &mut Schema) -> Result<ColumnType, String> {
    use sea_query::ColumnType as Sq;
    let string_len = |len: &StringLen| match len {
        StringLen::N(n) => Ok(Some(*n)),
        StringLen::None => Ok(None),
        StringLen::Max => Err("varchar(max)".to_owned()),
    };
    Ok(match ty {
        Sq::Char(n) => ColumnType::Char(*n),
        Sq::String(len) => ColumnType::String(string_len(len)?),
        Sq::Text => ColumnType::Text,
        Sq::Blob => ColumnType::Blob,
        Sq::TinyInteger => ColumnType::TinyInteger,
        Sq::SmallInteger => ColumnType::SmallInteger,
        Sq::Integer => ColumnType::Integer,
        Sq::BigInteger => ColumnType::BigInteger,
        Sq::TinyUnsigned => ColumnType::TinyUnsigned,
        Sq::SmallUnsigned => ColumnType::SmallUnsigned,
        Sq::Unsigned => ColumnType::Unsigned,
        Sq::BigUnsigned => ColumnType::BigUnsigned,
        Sq::Float => ColumnType::Float,
        Sq::Double => ColumnType::Double,
        Sq::Decimal(p) => ColumnType::Decimal(*p),
        Sq::DateTime => ColumnType::DateTime,
        Sq::Timestamp => ColumnType::Timestamp,
        Sq::TimestampWithTimeZone => ColumnType::TimestampWithTimeZone,
        Sq::Time => ColumnType::Time,
        Sq::Date => ColumnType::Date,
        Sq::Year => ColumnType::Year,
        Sq::Binary(n) => ColumnType::Binary(*n),
        Sq::VarBinary(len) => ColumnType::VarBinary(string_len(len)?),
        Sq::Boolean => ColumnType::Boolean,
        Sq::Money(p) => ColumnType::Money(*p),
        Sq::Json => ColumnType::Json,
        Sq::JsonBinary => ColumnType::JsonBinary,
        Sq::Uuid => ColumnType::Uuid,
        Sq::Custom(name) => ColumnType::Custom(name.to_string()),
        Sq::Enum { name, variants } => {
            let name = name.to_string();
            let values: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
            match schema.enums.get(&name) {
                Some(existing) if existing.values != values => {
                    return Err(format!(
                        "enum `{name}` declared twice with different values ({:?} and {values:?})",
                        existing.values
                    ));
                }
                _ => {
                    schema.enums.insert(
                        name.clone(),
                        EnumType {
                            name: name.clone(),
                            values,
                        },
                    );
                }
            }
            ColumnType::Enum(name)
        }
        other => return Err(format!("{other:?}")),
    })
}

/// SeaORM folds `renamed_from` into the column comment (`...; renamed_from "old"`), the same
/// place its own `sync` reads it back from.
pub(crate) fn split_renamed_from(comment: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(comment) = comment else {
        return (None, None);
    };
    let Some((before, after)) = comment.rsplit_once("renamed_from \"") else {
        return (Some(comment.to_owned()), None);
    };
    let Some((from, _)) = after.split_once('"') else {
        return (Some(comment.to_owned()), None);
    };
    let rest = before.trim_end().trim_end_matches(';').trim_end();
    let rest = (!rest.is_empty()).then(|| rest.to_owned());
    (rest, Some(from.to_owned()))
}

/// Classifies a default by the literal SQLite renders for it: `TRUE`, a number, a quoted
/// string, or anything else as an expression kept verbatim.
pub(crate) fn read_default(expr: &sea_query::Expr) -> DefaultValue {
    let sql = Query::select()
        .expr(expr.clone())
        .to_string(SqliteQueryBuilder);
    let text = sql.strip_prefix("SELECT ").unwrap_or(&sql).trim();
    classify_default_sql(text)
}

pub(crate) fn classify_default_sql(text: &str) -> DefaultValue {
    match text {
        "TRUE" | "true" => return DefaultValue::Bool(true),
        "FALSE" | "false" => return DefaultValue::Bool(false),
        _ => {}
    }
    if text.parse::<f64>().is_ok() && !text.starts_with('+') {
        return DefaultValue::Number(text.to_owned());
    }
    if text.len() >= 2 && text.starts_with('\'') && text.ends_with('\'') {
        let inner = &text[1..text.len() - 1];
        if !inner.replace("''", "").contains('\'') {
            return DefaultValue::String(inner.replace("''", "'"));
        }
    }
    DefaultValue::Expr(strip_outer_parens(text).to_owned())
}

/// sea-query writes a custom default as `(expr)`; one balanced outer pair is not part of it.
fn strip_outer_parens(text: &str) -> &str {
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return text;
    };
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return text;
        }
    }
    if depth == 0 { inner } else { text }
}

fn read_action(action: Option<SqAction>) -> ForeignKeyAction {
    match action {
        None | Some(SqAction::NoAction) => ForeignKeyAction::NoAction,
        Some(SqAction::Restrict) => ForeignKeyAction::Restrict,
        Some(SqAction::Cascade) => ForeignKeyAction::Cascade,
        Some(SqAction::SetNull) => ForeignKeyAction::SetNull,
        Some(SqAction::SetDefault) => ForeignKeyAction::SetDefault,
        Some(_) => ForeignKeyAction::NoAction,
    }
}

/// The one PostgreSQL schema the entities live in, if not `public`. Tables in several schemas
/// at once are refused: the migrations run in one schema (`tidemark_runtime::use_schema`).
fn pg_schema(entities: &[ReadEntity]) -> Result<Option<String>> {
    let mut by_schema: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for entity in entities {
        by_schema
            .entry(
                entity
                    .pg_schema
                    .clone()
                    .unwrap_or_else(|| "public".to_owned()),
            )
            .or_default()
            .push(&entity.module_path);
    }
    if by_schema.len() > 1 {
        let listed: Vec<String> = by_schema
            .iter()
            .map(|(schema, entities)| format!("`{schema}`: {}", entities.join(", ")))
            .collect();
        return Err(Error::InvalidEntities(format!(
            "the entities live in several PostgreSQL schemas ({}); tidemark migrates one schema \
             per migration crate: give every entity the same schema_name, or keep each schema's \
             entities in a migration crate of its own",
            listed.join("; ")
        )));
    }
    Ok(by_schema.into_keys().next().filter(|s| s != "public"))
}

fn table_schema(table: Option<&TableRef>) -> Option<String> {
    match table? {
        TableRef::Table(name, _) => name.0.as_ref().map(|s| s.1.to_string()),
        _ => None,
    }
}

fn table_ref_name(table: Option<&TableRef>) -> Option<String> {
    match table? {
        TableRef::Table(name, _) => Some(name.1.to_string()),
        _ => None,
    }
}

/// Every foreign key must point at a listed entity's table and existing columns: a relation to
/// an entity that was not listed would otherwise surface only when the migration runs. A
/// `SET NULL` action needs nullable columns: MySQL refuses such a key (after the migration
/// dropped the old one), PostgreSQL accepts it and then fails every delete of a parent row.
fn check_references(schema: &Schema) -> Result<()> {
    for table in schema.tables.values() {
        for fk in table.foreign_keys.values() {
            let set_null = [("on_delete", fk.on_delete), ("on_update", fk.on_update)]
                .into_iter()
                .find(|(_, action)| *action == ForeignKeyAction::SetNull);
            let not_null = fk
                .columns
                .iter()
                .find(|c| table.column(c).is_some_and(|c| !c.nullable));
            if let (Some((attribute, _)), Some(column)) = (set_null, not_null) {
                return Err(Error::InvalidEntities(format!(
                    "the relation from `{table}.{column}` to `{target}` says {attribute} = \
                     \"SetNull\", but `{table}.{column}` is NOT NULL, so the database could \
                     never set it to NULL; make the field an `Option<...>`, or choose \
                     \"Cascade\", \"Restrict\" or \"NoAction\"",
                    table = table.name,
                    target = fk.ref_table,
                )));
            }
            let Some(target) = schema.tables.get(&fk.ref_table) else {
                return Err(Error::InvalidEntities(format!(
                    "foreign key `{}` on `{}` references table `{}`, which no listed entity \
                     defines; add that entity to the list given to tidemark",
                    fk.name, table.name, fk.ref_table
                )));
            };
            if let Some(missing) = fk.ref_columns.iter().find(|c| target.column(c).is_none()) {
                return Err(Error::InvalidEntities(format!(
                    "foreign key `{}` on `{}` references `{}.{missing}`, which does not exist",
                    fk.name, table.name, fk.ref_table
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_from_is_split_off_the_comment() {
        assert_eq!(
            split_renamed_from(Some("renamed_from \"old\"")),
            (None, Some("old".into()))
        );
        assert_eq!(
            split_renamed_from(Some("Shown to users; renamed_from \"old\"")),
            (Some("Shown to users".into()), Some("old".into()))
        );
        assert_eq!(
            split_renamed_from(Some("plain")),
            (Some("plain".into()), None)
        );
    }

    #[test]
    fn defaults_are_classified_by_their_literal() {
        assert_eq!(classify_default_sql("TRUE"), DefaultValue::Bool(true));
        assert_eq!(
            classify_default_sql("-12.50"),
            DefaultValue::Number("-12.50".into())
        );
        assert_eq!(
            classify_default_sql("'it''s'"),
            DefaultValue::String("it's".into())
        );
        assert_eq!(
            classify_default_sql("CURRENT_TIMESTAMP"),
            DefaultValue::Expr("CURRENT_TIMESTAMP".into())
        );
    }
}
