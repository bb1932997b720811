//! One `DeriveEntityModel` module -> [`ReadEntity`], following what SeaORM's macros and
//! `Schema::create_table_from_entity` / `create_index_from_entity` make of it: column names,
//! nullability, primary key and auto-increment, defaults, unique and indexed columns,
//! `unique_key` groups, comments, `renamed_from`, and `belongs_to` foreign keys.

use super::Unresolved;
use super::attrs::{SeaOrm, derives_any};
use super::modules::{Crate, line_of, unraw};
use super::types::{Types, convert_case, option_inner, type_text};
use crate::case::{snake_case, upper_camel_case};
use crate::extract::{DeclaredRename, ReadEntity, read_default, split_renamed_from};
use crate::model::{Column, ForeignKey, ForeignKeyAction, Index, Table};
use sea_query::Expr;
use std::collections::BTreeMap;

/// An entity read up to its relations, which need every entity's columns first.
pub(super) struct Partial {
    pub module: usize,
    pub entity: ReadEntity,
    /// `Column` enum variant -> column name, for `from = "Column::X"`.
    pub variants: BTreeMap<String, String>,
}

/// SeaORM's `NOT_AUTO_INCRE_TYPE_SUFFIX`: a primary key of these types is not counted up.
const NOT_AUTO_INCREMENT_SUFFIXES: [&str; 2] = ["String", "Uuid"];

/// Rust keywords SeaORM escapes in `Column` variant names (`escape_rust_keyword`).
const RUST_KEYWORDS: [&str; 49] = [
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "super", "trait", "true", "type", "union", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "try", "typeof", "unsized", "virtual", "yield",
];
const RUST_SPECIAL_KEYWORDS: [&str; 3] = ["crate", "Self", "self"];

/// The entity module `module` defines, if it defines one.
pub(super) fn read(
    krate: &Crate,
    types: &Types,
    module: usize,
    crate_name: &str,
) -> Result<Option<Partial>, Unresolved> {
    let here = &krate.modules[module];
    let stop = |node_line: usize, reason: String| Unresolved {
        path: here.file.clone(),
        line: node_line,
        reason,
    };
    for item in &here.items {
        match item {
            syn::Item::Macro(m) if !m.mac.path.is_ident("macro_rules") => {
                let name = m.mac.path.segments.last().map(|s| s.ident.to_string());
                return Err(stop(
                    line_of(m),
                    format!(
                        "`{}!` is a macro; what it expands to is known only to the compiler",
                        name.unwrap_or_default()
                    ),
                ));
            }
            syn::Item::Struct(s)
                if s.attrs.iter().any(|a| {
                    a.path().segments.len() == 2
                        && a.path().segments[0].ident == "sea_orm"
                        && a.path().segments[1].ident.to_string().ends_with("model")
                }) =>
            {
                return Err(stop(
                    line_of(s),
                    "the `#[sea_orm::model]` entity format is read from the compiled entities"
                        .into(),
                ));
            }
            syn::Item::Struct(s)
                if derives_any(&s.attrs, &["DeriveEntity"])
                    && !derives_any(&s.attrs, &["DeriveEntityModel"]) =>
            {
                return Err(stop(
                    line_of(s),
                    "the expanded entity format (`DeriveEntity` with a hand-written `Column`) is \
                     read from the compiled entities"
                        .into(),
                ));
            }
            _ => {}
        }
    }
    let Some(model) = here.items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if derives_any(&s.attrs, &["DeriveEntityModel"]) => Some(s),
        _ => None,
    }) else {
        return Ok(None);
    };
    let struct_attrs = SeaOrm::of(&model.attrs).map_err(|e| stop(line_of(&model.ident), e))?;
    if model
        .attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
    {
        return Err(stop(
            line_of(&model.ident),
            "a `#[cfg]` on the model depends on the build".into(),
        ));
    }
    let table_name = struct_attrs
        .str("table_name")
        .ok_or_else(|| stop(line_of(&model.ident), "the model has no table_name".into()))?;
    let rename_all = struct_attrs.str("rename_all");
    let syn::Fields::Named(fields) = &model.fields else {
        return Err(stop(
            line_of(&model.ident),
            "the model has no named fields".into(),
        ));
    };

    let mut columns: Vec<FieldColumn> = Vec::new();
    let mut enums = Vec::new();
    let mut auto_increment: Option<bool> = None;
    let mut variants = BTreeMap::new();
    for field in &fields.named {
        let ident = field.ident.as_ref().expect("named field");
        let line = line_of(ident);
        if field
            .attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
        {
            return Err(stop(
                line,
                "a `#[cfg]` on a field depends on the build".into(),
            ));
        }
        let attrs = SeaOrm::of(&field.attrs).map_err(|e| stop(line, e))?;
        let original = unraw(ident);
        let upper = upper_camel_case(&original);
        let mut column_name = match &rename_all {
            Some(style) => Some(convert_case(&upper, style).ok_or_else(|| {
                stop(
                    line_of(&model.ident),
                    format!("rename_all = {style:?} is not a case SeaORM knows"),
                )
            })?),
            None if original != snake_case(&upper) => Some(snake_case(&original)),
            None => None,
        };
        if let Some(name) = attrs.str("column_name") {
            column_name = Some(name);
        }
        let variant = escape_keyword(attrs.str("enum_name").unwrap_or(upper));
        let name = column_name.unwrap_or_else(|| snake_case(&variant));
        if attrs.has("ignore") {
            continue;
        }
        variants.insert(variant, name.clone());

        let primary_key = attrs.has("primary_key");
        if let Some(value) = attrs.bool("auto_increment") {
            auto_increment = Some(value);
        }
        let optional = option_inner(&field.ty);
        let nullable = attrs.has("nullable") || optional.is_some();
        let value_ty = optional.unwrap_or_else(|| field.ty.clone());
        if primary_key
            && auto_increment.is_none()
            && NOT_AUTO_INCREMENT_SUFFIXES
                .iter()
                .any(|s| type_text(&value_ty).ends_with(s))
        {
            auto_increment = Some(false);
        }
        let ty = match attrs.str("column_type") {
            Some(text) => types.column_type_attribute(&text),
            None => types.column_type(module, &value_ty, &mut enums),
        }
        .map_err(|reason| stop(line, format!("field `{original}`: {reason}")))?;

        let mut default = attrs.lit("default_value").map(literal_expr).transpose();
        if let Some(text) = attrs.str("default_expr") {
            default = default_expr(&text).map(Some);
        }
        let default = default
            .map_err(|reason| stop(line, format!("field `{original}`: {reason}")))?
            .map(|expr| read_default(&expr));
        let comment = match (attrs.str("renamed_from"), attrs.str("comment")) {
            (Some(from), Some(comment)) => Some(format!("{comment}; renamed_from \"{from}\"")),
            (Some(from), None) => Some(format!("renamed_from \"{from}\"")),
            (None, comment) => comment,
        };
        let (comment, renamed_from) = split_renamed_from(comment.as_deref());
        columns.push(FieldColumn {
            primary_key,
            indexed: attrs.has("indexed"),
            unique_key: attrs.str("unique_key"),
            renamed_from,
            column: Column {
                name,
                ty,
                nullable,
                default,
                auto_increment: false,
                unique: attrs.has("unique"),
                comment,
            },
        });
    }

    let primary_key: Vec<String> = columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.column.name.clone())
        .collect();
    let single_key = primary_key.len() == 1;
    let counts_up = auto_increment.map_or(single_key, |v| v && single_key);
    let mut table = Table {
        name: table_name.clone(),
        columns: Vec::with_capacity(columns.len()),
        primary_key,
        indexes: BTreeMap::new(),
        foreign_keys: BTreeMap::new(),
        comment: struct_attrs.str("comment"),
        shadow_columns: BTreeMap::new(),
        conversions: BTreeMap::new(),
    };
    let mut unique_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut renames = Vec::new();
    for mut field in columns {
        let column = &mut field.column;
        column.nullable &= !(field.primary_key && single_key);
        column.auto_increment = field.primary_key && counts_up && column.ty.is_integer();
        if field.indexed && !column.unique {
            let name = format!("idx-{table_name}-{}", column.name);
            table.indexes.insert(
                name.clone(),
                Index {
                    name,
                    columns: vec![column.name.clone()],
                    unique: false,
                },
            );
        }
        if let Some(key) = field.unique_key {
            unique_keys
                .entry(key)
                .or_default()
                .push(column.name.clone());
        }
        if let Some(from) = field.renamed_from {
            renames.push(DeclaredRename {
                table: table_name.clone(),
                from,
                to: column.name.clone(),
            });
        }
        table.columns.push(field.column);
    }
    for (key, columns) in unique_keys {
        let name = format!("idx-{table_name}-{key}");
        table.indexes.insert(
            name.clone(),
            Index {
                name,
                columns,
                unique: true,
            },
        );
    }
    let module_path = std::iter::once(crate_name)
        .chain(here.path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("::");
    Ok(Some(Partial {
        module,
        entity: ReadEntity {
            module_path,
            pg_schema: struct_attrs.str("schema_name"),
            table,
            renames,
            enums,
        },
        variants,
    }))
}

struct FieldColumn {
    primary_key: bool,
    indexed: bool,
    unique_key: Option<String>,
    renamed_from: Option<String>,
    column: Column,
}

fn escape_keyword(name: String) -> String {
    if RUST_KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else if RUST_SPECIAL_KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// `default_value = ...`: what `Into<Value>` makes of the literal (an unsuffixed integer is
/// an `i32`, an unsuffixed float an `f64`).
fn literal_expr(lit: &syn::Lit) -> Result<Expr, String> {
    let bad = || {
        format!(
            "default {} is not a literal tidemark can read",
            quote::quote!(#lit)
        )
    };
    Ok(match lit {
        syn::Lit::Str(s) => Expr::val(s.value()),
        syn::Lit::Bool(b) => Expr::val(b.value),
        syn::Lit::Int(i) => {
            macro_rules! parse {
                ($($suffix:literal => $ty:ty),*) => {
                    match i.suffix() {
                        $($suffix => Expr::val(i.base10_parse::<$ty>().map_err(|_| bad())?),)*
                        _ => return Err(bad()),
                    }
                };
            }
            parse!("" => i32, "i8" => i8, "i16" => i16, "i32" => i32, "i64" => i64,
                   "u8" => u8, "u16" => u16, "u32" => u32, "u64" => u64,
                   "f32" => f32, "f64" => f64)
        }
        syn::Lit::Float(f) => match f.suffix() {
            "" | "f64" => Expr::val(f.base10_parse::<f64>().map_err(|_| bad())?),
            "f32" => Expr::val(f.base10_parse::<f32>().map_err(|_| bad())?),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    })
}

/// `default_expr = "..."`: the `Expr` constructors people write there.
fn default_expr(text: &str) -> Result<Expr, String> {
    let bad = || format!("default_expr `{text}` is an expression only the compiler can evaluate");
    let expr: syn::Expr = syn::parse_str(text).map_err(|_| bad())?;
    match &expr {
        syn::Expr::Lit(lit) => literal_expr(&lit.lit),
        syn::Expr::Call(call) => {
            let syn::Expr::Path(func) = &*call.func else {
                return Err(bad());
            };
            let segments: Vec<String> = func
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let [.., owner, name] = segments.as_slice() else {
                return Err(bad());
            };
            if owner != "Expr" {
                return Err(bad());
            }
            let args: Vec<&syn::Expr> = call.args.iter().collect();
            match (name.as_str(), args.as_slice()) {
                ("current_timestamp", []) => Ok(Expr::current_timestamp()),
                ("current_date", []) => Ok(Expr::current_date()),
                ("current_time", []) => Ok(Expr::current_time()),
                (
                    "cust",
                    [
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }),
                    ],
                ) => Ok(Expr::cust(s.value())),
                ("val" | "value", [syn::Expr::Lit(lit)]) => literal_expr(&lit.lit),
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// The foreign keys of `partial`'s `belongs_to` relations, now that every entity is known.
pub(super) fn relations(
    krate: &Crate,
    partial: &Partial,
    all: &[Partial],
) -> Result<BTreeMap<String, ForeignKey>, RelationStop> {
    let here = &krate.modules[partial.module];
    let mut out = BTreeMap::new();
    let Some(relation) = here.items.iter().find_map(|item| match item {
        syn::Item::Enum(e) if e.ident == "Relation" => Some(e),
        _ => None,
    }) else {
        return Ok(out);
    };
    let stop = |line: usize, reason: String| Unresolved {
        path: here.file.clone(),
        line,
        reason,
    };
    if !derives_any(&relation.attrs, &["DeriveRelation"]) {
        if relation.variants.is_empty() {
            return Ok(out);
        }
        return Err(RelationStop::Unresolved(stop(
            line_of(&relation.ident),
            "`Relation` has a hand-written RelationTrait, known only to the compiler".into(),
        )));
    }
    let table = &partial.entity.table.name;
    for variant in &relation.variants {
        // Where the relation is written: its `#[sea_orm(...)]`, above the variant.
        let line = variant
            .attrs
            .iter()
            .find(|a| a.path().is_ident("sea_orm"))
            .map_or_else(|| line_of(&variant.ident), line_of);
        let attrs =
            SeaOrm::of(&variant.attrs).map_err(|e| RelationStop::Unresolved(stop(line, e)))?;
        let Some(target) = attrs.str("belongs_to") else {
            continue;
        };
        if attrs.has("skip_fk") {
            continue;
        }
        let what = |reason: String| stop(line, format!("relation `{}`: {reason}", variant.ident));
        let unresolved = |reason: String| RelationStop::Unresolved(what(reason));
        let target = entity_at(krate, partial, all, &target, "Entity").map_err(unresolved)?;
        let columns = |key: &str| -> Result<Vec<String>, RelationStop> {
            let text = attrs
                .str(key)
                .ok_or_else(|| unresolved(format!("belongs_to without `{key}`")))?;
            column_list(krate, partial, all, &text).map_err(|stop| match stop {
                ColumnStop::Unresolved(reason) => unresolved(reason),
                ColumnStop::NoSuchColumn(reason) => RelationStop::Invalid(what(reason)),
            })
        };
        let from = columns("from")?;
        let to = columns("to")?;
        let action = |key: &str| -> Result<ForeignKeyAction, RelationStop> {
            match attrs.str(key).as_deref() {
                None | Some("NoAction") => Ok(ForeignKeyAction::NoAction),
                Some("Cascade") => Ok(ForeignKeyAction::Cascade),
                Some("Restrict") => Ok(ForeignKeyAction::Restrict),
                Some("SetNull") => Ok(ForeignKeyAction::SetNull),
                Some("SetDefault") => Ok(ForeignKeyAction::SetDefault),
                Some(other) => Err(RelationStop::Invalid(what(format!(
                    "{key} = {other:?} is not a ForeignKeyAction (Cascade, NoAction, Restrict, \
                     SetDefault or SetNull)"
                )))),
            }
        };
        let name = attrs
            .str("fk_name")
            .unwrap_or_else(|| format!("fk-{table}-{}", from.join("-")));
        out.insert(
            name.clone(),
            ForeignKey {
                name,
                columns: from,
                ref_table: target.entity.table.name.clone(),
                ref_columns: to,
                on_delete: action("on_delete")?,
                on_update: action("on_update")?,
            },
        );
    }
    Ok(out)
}

/// Why a relation's foreign key was not read.
pub(super) enum RelationStop {
    /// Something only the compiler resolves: the compiled entities are read instead.
    Unresolved(Unresolved),
    /// A mistake the compiler refuses too (a `Column` variant the entity does not have): said
    /// at once, rather than after a build of the entity crate.
    Invalid(Unresolved),
}

enum ColumnStop {
    Unresolved(String),
    NoSuchColumn(String),
}

/// The entity `path` (relative to `partial`'s module) ends in `last` within: `Entity`,
/// `super::user::Entity`, `crate::user::Column`.
fn entity_at<'a>(
    krate: &Crate,
    partial: &Partial,
    all: &'a [Partial],
    path: &str,
    last: &str,
) -> Result<&'a Partial, String> {
    let segments: Vec<&str> = path.split("::").map(str::trim).collect();
    let Some((tail, modules)) = segments.split_last() else {
        return Err(format!("`{path}` names no entity"));
    };
    if *tail != last {
        return Err(format!("`{path}` does not end in `{last}`"));
    }
    let mut module = krate.modules[partial.module].path.clone();
    for (i, segment) in modules.iter().enumerate() {
        match *segment {
            "crate" if i == 0 => module.clear(),
            "self" if i == 0 => {}
            "super" => {
                if module.pop().is_none() {
                    return Err(format!("`{path}` goes above the crate root"));
                }
            }
            name => module.push(name.to_owned()),
        }
    }
    let index = krate
        .module(&module)
        .ok_or_else(|| format!("`{path}` is not a module of the entity crate"))?;
    all.iter()
        .find(|p| p.module == index)
        .ok_or_else(|| format!("`{path}` is not an entity the source reader found"))
}

/// `Column::Id`, `super::user::Column::Id` or a tuple of them -> column names.
fn column_list(
    krate: &Crate,
    partial: &Partial,
    all: &[Partial],
    text: &str,
) -> Result<Vec<String>, ColumnStop> {
    let inner = text.trim();
    let inner = inner
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(inner);
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|column| {
            let (owner, variant) = column.rsplit_once("::").ok_or_else(|| {
                ColumnStop::Unresolved(format!("`{column}` is not a `Column::...` path"))
            })?;
            let entity =
                entity_at(krate, partial, all, owner, "Column").map_err(ColumnStop::Unresolved)?;
            entity.variants.get(variant).cloned().ok_or_else(|| {
                let known: Vec<&str> = entity.variants.keys().map(String::as_str).collect();
                ColumnStop::NoSuchColumn(format!(
                    "`{column}` is not a column of `{}` (its columns: {})",
                    entity.entity.module_path,
                    known.join(", ")
                ))
            })
        })
        .collect()
}
