//! Rust field types -> column types, as `<T as sea_query::ValueType>::column_type()` would
//! answer: SeaORM's value types by name, and the crate's own `DeriveActiveEnum` enums,
//! `DeriveValueType` newtypes and type aliases by following paths through its modules.
//! Anything else (a type from another crate, a trait's associated type) is `Err`, which sends
//! the whole read to the compiled path.

use super::attrs::{SeaOrm, derives_any};
use super::modules::{Crate, unraw};
use crate::model::{ColumnType, EnumType};
use heck::{
    ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase, ToUpperCamelCase,
};
use std::cell::RefCell;
use std::collections::HashMap;

/// Re-exports followed before giving up: a loop of `pub use` never ends otherwise.
const MAX_HOPS: usize = 16;

pub(super) struct Types<'a> {
    krate: &'a Crate,
    /// Each module's `use` bindings, by module index.
    imports: Vec<Vec<(Option<String>, Vec<String>)>>,
    /// `column_type` strings read so far: entities repeat a few of them many times.
    attributes: RefCell<HashMap<String, Result<ColumnType, String>>>,
}

/// What a path names: an item written in the crate (with the module it is in), or a name
/// from outside it (its path as written or imported).
enum Found<'a> {
    Item(usize, &'a syn::Item),
    External(Vec<String>),
}

impl<'a> Types<'a> {
    pub fn new(krate: &'a Crate) -> Self {
        let imports = krate.modules.iter().map(|m| imports(&m.items)).collect();
        Types {
            krate,
            imports,
            attributes: RefCell::default(),
        }
    }

    /// [`column_type_attribute`], read once per distinct string.
    pub fn column_type_attribute(&self, text: &str) -> Result<ColumnType, String> {
        if let Some(known) = self.attributes.borrow().get(text) {
            return known.clone();
        }
        let read = column_type_attribute(text);
        self.attributes
            .borrow_mut()
            .insert(text.to_owned(), read.clone());
        read
    }

    /// The column type of `ty` written in module `at`; enum types it uses go to `enums`.
    pub fn column_type(
        &self,
        at: usize,
        ty: &syn::Type,
        enums: &mut Vec<EnumType>,
    ) -> Result<ColumnType, String> {
        self.column_type_hops(at, ty, enums, 0)
    }

    fn column_type_hops(
        &self,
        at: usize,
        ty: &syn::Type,
        enums: &mut Vec<EnumType>,
        hops: usize,
    ) -> Result<ColumnType, String> {
        if hops > MAX_HOPS {
            return Err(format!("`{}` is an alias of an alias of ...", spelled(ty)));
        }
        let path = match ty {
            syn::Type::Path(p) if p.qself.is_none() => &p.path,
            syn::Type::Group(g) => return self.column_type_hops(at, &g.elem, enums, hops + 1),
            syn::Type::Paren(p) => return self.column_type_hops(at, &p.elem, enums, hops + 1),
            _ => return Err(format!("`{}` is not a type SeaORM maps", spelled(ty))),
        };
        let segments: Vec<String> = path.segments.iter().map(|s| unraw(&s.ident)).collect();
        match self.find(at, &segments, 0)? {
            Found::External(full) => {
                let last = path.segments.last().map(|s| &s.arguments);
                builtin(&full, last).ok_or_else(|| {
                    format!(
                        "`{}` is not one of SeaORM's value types and is not defined in the entity \
                         crate",
                        spelled(ty)
                    )
                })
            }
            Found::Item(module, syn::Item::Type(alias)) => {
                self.column_type_hops(module, &alias.ty, enums, hops + 1)
            }
            Found::Item(_, syn::Item::Enum(e)) if derives_any(&e.attrs, &["DeriveActiveEnum"]) => {
                active_enum(e, enums)
            }
            Found::Item(module, item) => self.value_type(module, item, enums, hops),
        }
    }

    /// A `DeriveValueType` newtype (or string-like enum): its `column_type`, else its inner
    /// type's.
    fn value_type(
        &self,
        module: usize,
        item: &syn::Item,
        enums: &mut Vec<EnumType>,
        hops: usize,
    ) -> Result<ColumnType, String> {
        let (attrs, ident) = match item {
            syn::Item::Struct(s) => (&s.attrs, &s.ident),
            syn::Item::Enum(e) => (&e.attrs, &e.ident),
            _ => return Err("a type tidemark cannot read".into()),
        };
        if !derives_any(attrs, &["DeriveValueType"]) {
            return Err(format!(
                "`{ident}` derives neither DeriveActiveEnum nor DeriveValueType"
            ));
        }
        let sea_orm = SeaOrm::of(attrs)?;
        if let Some(column_type) = sea_orm.str("column_type") {
            return column_type_attribute(&column_type);
        }
        match item {
            syn::Item::Struct(s) if s.fields.len() == 1 => {
                let field = s.fields.iter().next().expect("one field");
                let inner = option_inner(&field.ty).unwrap_or_else(|| field.ty.clone());
                self.column_type_hops(module, &inner, enums, hops + 1)
            }
            syn::Item::Enum(_) if sea_orm.str("value_type").as_deref() == Some("String") => {
                Ok(ColumnType::String(None))
            }
            _ => Err(format!(
                "`{ident}` is a DeriveValueType tidemark cannot read"
            )),
        }
    }

    /// Follows `segments`, written in module `at`, to what it names.
    fn find(&self, at: usize, segments: &[String], hops: usize) -> Result<Found<'a>, String> {
        if hops > MAX_HOPS {
            return Err(format!(
                "`{}` is re-exported in a loop",
                segments.join("::")
            ));
        }
        let Some((first, rest)) = segments.split_first() else {
            return Err("an empty path".into());
        };
        let here = &self.krate.modules[at];
        let go = |path: Vec<String>, rest: &[String]| -> Result<Found<'a>, String> {
            let module = self
                .krate
                .module(&path)
                .ok_or_else(|| format!("module `crate::{}` does not exist", path.join("::")))?;
            if rest.is_empty() {
                return Err(format!(
                    "`crate::{}` is a module, not a type",
                    path.join("::")
                ));
            }
            self.find(module, rest, hops + 1)
        };
        match first.as_str() {
            "crate" => return go(Vec::new(), rest),
            "self" => return go(here.path.clone(), rest),
            "super" => {
                let mut parent = here.path.clone();
                if parent.pop().is_none() {
                    return Err("`super` at the crate root".into());
                }
                return go(parent, rest);
            }
            _ => {}
        }
        if rest.is_empty()
            && let Some(item) = here.items.iter().find(|item| defines_type(item, first))
        {
            return Ok(Found::Item(at, item));
        }
        let mut child = here.path.clone();
        child.push(first.clone());
        if !rest.is_empty() && self.krate.module(&child).is_some() {
            return go(child, rest);
        }
        let imports = &self.imports[at];
        if let Some((_, imported)) = imports
            .iter()
            .find(|(name, _)| name.as_deref() == Some(first))
        {
            let mut full = imported.clone();
            full.extend(rest.iter().cloned());
            return self.find_import(at, &full, hops);
        }
        if rest.is_empty() {
            for (_, glob) in imports.iter().filter(|(name, _)| name.is_none()) {
                if let Some(module) = self.crate_module(at, glob) {
                    let found = self.find(module, segments, hops + 1);
                    if let Ok(found @ Found::Item(..)) = found {
                        return Ok(found);
                    }
                }
            }
        }
        Ok(Found::External(segments.to_vec()))
    }

    /// A `use` path (2018 rules: `crate`, `self`, `super`, a child module, or another crate).
    fn find_import(&self, at: usize, path: &[String], hops: usize) -> Result<Found<'a>, String> {
        let first = path.first().map(String::as_str);
        let mut child = self.krate.modules[at].path.clone();
        child.extend(first.map(str::to_owned));
        if matches!(first, Some("crate" | "self" | "super")) || self.krate.module(&child).is_some()
        {
            self.find(at, path, hops + 1)
        } else {
            Ok(Found::External(path.to_vec()))
        }
    }

    /// The crate module a glob import (`use super::*`) names, if it names one.
    fn crate_module(&self, at: usize, path: &[String]) -> Option<usize> {
        let mut module = self.krate.modules[at].path.clone();
        let mut segments = path.iter();
        match path.first().map(String::as_str) {
            Some("crate") => {
                module.clear();
                segments.next();
            }
            Some("self") => {
                segments.next();
            }
            _ => {}
        }
        for segment in segments {
            if segment == "super" {
                module.pop()?;
            } else {
                module.push(segment.clone());
            }
        }
        self.krate.module(&module)
    }
}

fn defines_type(item: &syn::Item, name: &str) -> bool {
    match item {
        syn::Item::Struct(s) => s.ident == name,
        syn::Item::Enum(e) => e.ident == name,
        syn::Item::Type(t) => t.ident == name,
        _ => false,
    }
}

/// Every name a module's `use` items bind, with the path it stands for; `None` is a glob.
fn imports(items: &[syn::Item]) -> Vec<(Option<String>, Vec<String>)> {
    fn walk(
        tree: &syn::UseTree,
        prefix: &mut Vec<String>,
        out: &mut Vec<(Option<String>, Vec<String>)>,
    ) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(unraw(&p.ident));
                walk(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) if n.ident == "self" => {
                if let Some(last) = prefix.last() {
                    out.push((Some(last.clone()), prefix.clone()));
                }
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                path.push(unraw(&n.ident));
                out.push((Some(unraw(&n.ident)), path));
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                path.push(unraw(&r.ident));
                out.push((Some(unraw(&r.rename)), path));
            }
            syn::UseTree::Glob(_) => out.push((None, prefix.clone())),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    walk(tree, prefix, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    for item in items {
        if let syn::Item::Use(u) = item {
            walk(&u.tree, &mut Vec::new(), &mut out);
        }
    }
    out
}

/// SeaORM's value types by the name they are imported under (the prelude's, chrono's,
/// time's, uuid's, rust_decimal's, bigdecimal's, serde_json's).
fn builtin(path: &[String], arguments: Option<&syn::PathArguments>) -> Option<ColumnType> {
    let name = path.last()?.as_str();
    let generic = !matches!(arguments, None | Some(syn::PathArguments::None));
    Some(match name {
        "bool" => ColumnType::Boolean,
        "i8" => ColumnType::TinyInteger,
        "i16" => ColumnType::SmallInteger,
        "i32" => ColumnType::Integer,
        "i64" => ColumnType::BigInteger,
        "u8" => ColumnType::TinyUnsigned,
        "u16" => ColumnType::SmallUnsigned,
        "u32" => ColumnType::Unsigned,
        "u64" => ColumnType::BigUnsigned,
        "f32" => ColumnType::Float,
        "f64" => ColumnType::Double,
        "char" => ColumnType::Char(None),
        "String" => ColumnType::String(None),
        "Vec" if vec_of_u8(arguments?) => ColumnType::VarBinary(None),
        "Json" => ColumnType::Json,
        "Value" if path == ["serde_json", "Value"] => ColumnType::Json,
        "Decimal" | "BigDecimal" => ColumnType::Decimal(None),
        "Uuid" => ColumnType::Uuid,
        "Date" | "NaiveDate" | "ChronoDate" | "TimeDate" => ColumnType::Date,
        "Time" | "NaiveTime" | "ChronoTime" | "TimeTime" => ColumnType::Time,
        // The prelude's `DateTime` is chrono's `NaiveDateTime`; chrono's own is generic over
        // the time zone.
        "DateTime" if generic => ColumnType::TimestampWithTimeZone,
        "DateTime" | "NaiveDateTime" | "ChronoDateTime" | "TimeDateTime" | "PrimitiveDateTime" => {
            ColumnType::DateTime
        }
        "DateTimeWithTimeZone"
        | "DateTimeUtc"
        | "DateTimeLocal"
        | "ChronoDateTimeWithTimeZone"
        | "ChronoDateTimeUtc"
        | "ChronoDateTimeLocal"
        | "TimeDateTimeWithTimeZone"
        | "OffsetDateTime" => ColumnType::TimestampWithTimeZone,
        _ => return None,
    })
}

fn vec_of_u8(arguments: &syn::PathArguments) -> bool {
    let syn::PathArguments::AngleBracketed(args) = arguments else {
        return false;
    };
    matches!(
        args.args.first(),
        Some(syn::GenericArgument::Type(syn::Type::Path(p))) if p.path.is_ident("u8")
    )
}

/// A `DeriveActiveEnum`: a native enum (`db_type = "Enum"`) with its values, or whatever
/// column type `db_type` names.
fn active_enum(e: &syn::ItemEnum, enums: &mut Vec<EnumType>) -> Result<ColumnType, String> {
    let sea_orm = SeaOrm::of(&e.attrs)?;
    let db_type = sea_orm
        .str("db_type")
        .ok_or_else(|| format!("enum `{}` has no db_type", e.ident))?;
    if db_type != "Enum" {
        return column_type_attribute(&db_type);
    }
    let name = sea_orm
        .str("enum_name")
        .unwrap_or_else(|| crate::case::upper_camel_case(&e.ident.to_string()));
    let rename_all = sea_orm.str("rename_all");
    let mut values = Vec::with_capacity(e.variants.len());
    for variant in &e.variants {
        let attrs = SeaOrm::of(&variant.attrs)?;
        let value = match (
            attrs.str("string_value"),
            attrs.str("rename").or(rename_all.clone()),
        ) {
            (Some(value), _) => value,
            (None, Some(style)) => convert_case(&variant.ident.to_string(), &style)
                .ok_or_else(|| format!("rename_all = {style:?} is not a case SeaORM knows"))?,
            (None, None) => {
                return Err(format!(
                    "variant `{}::{}` has no string_value",
                    e.ident, variant.ident
                ));
            }
        };
        values.push(value);
    }
    enums.push(EnumType {
        name: name.clone(),
        values,
    });
    Ok(ColumnType::Enum(name))
}

/// SeaORM's `rename_all` case styles (`CaseStyle` in sea-orm-macros).
pub(super) fn convert_case(ident: &str, style: &str) -> Option<String> {
    Some(match style {
        "camel_case" | "PascalCase" => ident.to_upper_camel_case(),
        "camelCase" => {
            let upper = ident.to_upper_camel_case();
            let mut chars = upper.chars();
            chars
                .next()
                .map(|c| c.to_lowercase().chain(chars).collect())
                .unwrap_or_default()
        }
        "snake_case" | "snek_case" => ident.to_snake_case(),
        "kebab_case" | "kebab-case" => ident.to_kebab_case(),
        "SCREAMING-KEBAB-CASE" => ident.to_kebab_case().to_uppercase(),
        "shouty_snake_case" | "shouty_snek_case" | "SCREAMING_SNAKE_CASE" => {
            ident.to_shouty_snake_case()
        }
        "title_case" => ident.to_title_case(),
        "mixed_case" => ident.to_lower_camel_case(),
        "lowercase" => ident.to_lowercase(),
        "UPPERCASE" => ident.to_uppercase(),
        _ => return None,
    })
}

/// A `column_type = "..."` (or `db_type`) string: `Text`, `String(StringLen::N(64))`,
/// `Decimal(Some((10, 2)))`, `custom("citext")`.
pub(super) fn column_type_attribute(text: &str) -> Result<ColumnType, String> {
    let unreadable =
        || format!("column type `{text}` is one tidemark's source reader does not know");
    let expr: syn::Expr = syn::parse_str(text).map_err(|_| unreadable())?;
    let (name, args): (String, Vec<&syn::Expr>) = match &expr {
        syn::Expr::Path(p) => (last_ident(&p.path).ok_or_else(unreadable)?, Vec::new()),
        syn::Expr::Call(call) => match &*call.func {
            syn::Expr::Path(p) => (
                last_ident(&p.path).ok_or_else(unreadable)?,
                call.args.iter().collect(),
            ),
            _ => return Err(unreadable()),
        },
        _ => return Err(unreadable()),
    };
    let ty = match (name.as_str(), args.as_slice()) {
        ("Text", []) => ColumnType::Text,
        ("Blob", []) => ColumnType::Blob,
        ("TinyInteger", []) => ColumnType::TinyInteger,
        ("SmallInteger", []) => ColumnType::SmallInteger,
        ("Integer", []) => ColumnType::Integer,
        ("BigInteger", []) => ColumnType::BigInteger,
        ("TinyUnsigned", []) => ColumnType::TinyUnsigned,
        ("SmallUnsigned", []) => ColumnType::SmallUnsigned,
        ("Unsigned", []) => ColumnType::Unsigned,
        ("BigUnsigned", []) => ColumnType::BigUnsigned,
        ("Float", []) => ColumnType::Float,
        ("Double", []) => ColumnType::Double,
        ("DateTime", []) => ColumnType::DateTime,
        ("Timestamp", []) => ColumnType::Timestamp,
        ("TimestampWithTimeZone", []) => ColumnType::TimestampWithTimeZone,
        ("Time", []) => ColumnType::Time,
        ("Date", []) => ColumnType::Date,
        ("Year", []) => ColumnType::Year,
        ("Boolean", []) => ColumnType::Boolean,
        ("Json", []) => ColumnType::Json,
        ("JsonBinary", []) => ColumnType::JsonBinary,
        ("Uuid", []) => ColumnType::Uuid,
        ("Char", [arg]) => ColumnType::Char(option(arg, u32_lit).ok_or_else(unreadable)?),
        ("String", [arg]) => ColumnType::String(string_len(arg).ok_or_else(unreadable)?),
        ("VarBinary", [arg]) => ColumnType::VarBinary(string_len(arg).ok_or_else(unreadable)?),
        ("Binary", [arg]) => ColumnType::Binary(u32_lit(arg).ok_or_else(unreadable)?),
        ("Decimal", [arg]) => ColumnType::Decimal(option(arg, precision).ok_or_else(unreadable)?),
        ("Money", [arg]) => ColumnType::Money(option(arg, precision).ok_or_else(unreadable)?),
        ("custom", [arg]) => ColumnType::Custom(str_lit(arg).ok_or_else(unreadable)?),
        _ => return Err(unreadable()),
    };
    Ok(ty)
}

fn last_ident(path: &syn::Path) -> Option<String> {
    path.segments.last().map(|s| s.ident.to_string())
}

/// `None` or `Some(x)`.
fn option<T>(expr: &syn::Expr, inner: impl Fn(&syn::Expr) -> Option<T>) -> Option<Option<T>> {
    match expr {
        syn::Expr::Path(p) if p.path.is_ident("None") => Some(None),
        syn::Expr::Call(call) if matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident("Some")) =>
        {
            let [arg] = call.args.iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            inner(arg).map(Some)
        }
        _ => None,
    }
}

/// `StringLen::N(n)` or `StringLen::None`; `StringLen::Max` has no mapping.
fn string_len(expr: &syn::Expr) -> Option<Option<u32>> {
    match expr {
        syn::Expr::Path(p) if last_ident(&p.path).as_deref() == Some("None") => Some(None),
        syn::Expr::Call(call) => match &*call.func {
            syn::Expr::Path(p) if last_ident(&p.path).as_deref() == Some("N") => {
                u32_lit(call.args.first()?).map(Some)
            }
            _ => None,
        },
        _ => None,
    }
}

fn precision(expr: &syn::Expr) -> Option<(u32, u32)> {
    let syn::Expr::Tuple(t) = expr else {
        return None;
    };
    let [p, s] = t.elems.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    Some((u32_lit(p)?, u32_lit(s)?))
}

fn u32_lit(expr: &syn::Expr) -> Option<u32> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}

fn str_lit(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// `T` of a field typed `Option<T>`, as SeaORM's macro sees it: written `Option<...>`, not
/// `std::option::Option<...>`.
pub(super) fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() || path.path.leading_colon.is_some() || path.path.segments.len() != 1 {
        return None;
    }
    let segment = &path.path.segments[0];
    if segment.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [syn::GenericArgument::Type(inner)] => Some(inner.clone()),
        _ => None,
    }
}

/// The type as SeaORM's macros compare it: its tokens with every space removed.
pub(super) fn type_text(ty: &syn::Type) -> String {
    quote::quote!(#ty).to_string().split_whitespace().collect()
}

fn spelled(ty: &syn::Type) -> String {
    type_text(ty)
}
