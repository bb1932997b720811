//! The sea-query builders a change carries: `Table::create()`, columns with the `schema`
//! helpers, indexes, foreign keys, defaults.

use super::idens::Idens;
use crate::model::{Column, ColumnType, DefaultValue, ForeignKey, ForeignKeyAction, Index, Table};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

pub(super) fn table_create(
    table: &Table,
    skip_foreign_keys: &[String],
    idens: &mut Idens,
) -> TokenStream {
    let t = idens.table(&table.name);
    let single_pk = table.primary_key.len() == 1;
    let columns = table.columns.iter().map(|c| {
        let in_pk = single_pk && table.primary_key[0] == c.name;
        column_def(
            &table.name,
            c,
            ColumnUse::Create { primary_key: in_pk },
            idens,
        )
    });
    let columns: Vec<TokenStream> = columns.collect();
    let mut extra = TokenStream::new();
    if table.primary_key.len() > 1 {
        let name = format!("pk-{}", table.name);
        let cols: Vec<TokenStream> = table
            .primary_key
            .iter()
            .map(|c| idens.column(&table.name, c))
            .collect();
        extra.extend(quote!(.primary_key(Index::create().name(#name) #(.col(#cols))*)));
    }
    for fk in table.foreign_keys.values() {
        if skip_foreign_keys.contains(&fk.name) {
            continue;
        }
        let fk = foreign_key_create(&table.name, fk, idens);
        extra.extend(quote!(.foreign_key(#fk)));
    }
    if let Some(comment) = &table.comment {
        extra.extend(quote!(.comment(#comment)));
    }
    quote! {
        Table::create()
            .table(#t)
            #(.col(#columns))*
            #extra
    }
}

pub(super) fn index_create(table: &str, index: &Index, idens: &mut Idens) -> TokenStream {
    let t = idens.table(table);
    let name = &index.name;
    let cols: Vec<TokenStream> = index
        .columns
        .iter()
        .map(|c| idens.column(table, c))
        .collect();
    let unique = index.unique.then(|| quote!(.unique()));
    quote! {
        Index::create()
            .name(#name)
            .table(#t)
            #(.col(#cols))*
            #unique
    }
}

pub(super) fn foreign_key_create(table: &str, fk: &ForeignKey, idens: &mut Idens) -> TokenStream {
    let name = &fk.name;
    let t = idens.table(table);
    let r = idens.referenced_table(&fk.ref_table);
    let ends = if fk.columns.len() == 1 && fk.ref_columns.len() == 1 {
        let c = idens.column(table, &fk.columns[0]);
        let rc = idens.referenced_column(&fk.ref_table, &fk.ref_columns[0]);
        quote!(.from(#t, #c).to(#r, #rc))
    } else {
        let cols: Vec<TokenStream> = fk.columns.iter().map(|c| idens.column(table, c)).collect();
        let rcols: Vec<TokenStream> = fk
            .ref_columns
            .iter()
            .map(|c| idens.referenced_column(&fk.ref_table, c))
            .collect();
        quote!(.from_tbl(#t) #(.from_col(#cols))* .to_tbl(#r) #(.to_col(#rcols))*)
    };
    let actions = [
        (quote!(on_delete), fk.on_delete),
        (quote!(on_update), fk.on_update),
    ]
    .into_iter()
    .filter(|(_, a)| *a != ForeignKeyAction::NoAction)
    .map(|(method, a)| {
        let a = action_tokens(a);
        quote!(.#method(ForeignKeyAction::#a))
    });
    quote!(ForeignKey::create().name(#name) #ends #(#actions)*)
}

pub(super) fn action_tokens(action: ForeignKeyAction) -> TokenStream {
    match action {
        ForeignKeyAction::NoAction => quote!(NoAction),
        ForeignKeyAction::Restrict => quote!(Restrict),
        ForeignKeyAction::Cascade => quote!(Cascade),
        ForeignKeyAction::SetNull => quote!(SetNull),
        ForeignKeyAction::SetDefault => quote!(SetDefault),
    }
}

pub(super) enum ColumnUse {
    Create { primary_key: bool },
    Add,
    Modify,
}

pub(super) fn column_def(
    table: &str,
    column: &Column,
    usage: ColumnUse,
    idens: &mut Idens,
) -> TokenStream {
    let c = idens.column(table, &column.name);
    let primary_key = matches!(usage, ColumnUse::Create { primary_key: true });
    let unique = column.unique;
    let Some((helper, args)) = schema_helper(&column.ty, idens) else {
        return column_def_long(c, column, usage, idens);
    };
    idens.schema_helpers = true;
    let mut calls = TokenStream::new();
    let (auto_increment, primary_key) = (column.auto_increment, primary_key);
    // sea-orm-migration's `schema` helpers say NOT NULL (or `_null`: NULL) with the type.
    let new = match (helper, auto_increment, primary_key, column.nullable) {
        ("integer", true, true, false) => quote!(pk_auto(#c)),
        ("big_integer", true, true, false) => quote!(big_pk_auto(#c)),
        ("uuid", false, true, false) => quote!(pk_uuid(#c)),
        _ => {
            let name = match (column.nullable, unique) {
                (false, true) => format!("{helper}_uniq"),
                (false, false) => helper.to_owned(),
                (true, _) => format!("{helper}_null"),
            };
            let f = Ident::new(&name, Span::call_site());
            if column.nullable && unique {
                calls.extend(quote!(.unique_key()));
            }
            if auto_increment {
                calls.extend(quote!(.auto_increment()));
            }
            if primary_key {
                calls.extend(quote!(.primary_key()));
            }
            quote!(#f(#c #(, #args)*))
        }
    };
    if let Some(d) = &column.default {
        let d = default_tokens(d);
        calls.extend(quote!(.default(#d)));
    }
    if let Some(comment) = &column.comment {
        calls.extend(quote!(.comment(#comment)));
    }
    quote!(#new #calls)
}

/// The `sea_orm_migration::schema` function for a column type, with its arguments after the
/// column's name.
pub(super) fn schema_helper(
    ty: &ColumnType,
    idens: &Idens,
) -> Option<(&'static str, Vec<TokenStream>)> {
    let n = |v: u32| {
        let v = Literal::u32_unsuffixed(v);
        quote!(#v)
    };
    Some(match ty {
        ColumnType::Char(Some(len)) => ("char_len", vec![n(*len)]),
        ColumnType::Char(None) => ("char", vec![]),
        ColumnType::String(Some(len)) => ("string_len", vec![n(*len)]),
        ColumnType::String(None) => ("string", vec![]),
        ColumnType::Text => ("text", vec![]),
        ColumnType::TinyInteger => ("tiny_integer", vec![]),
        ColumnType::SmallInteger => ("small_integer", vec![]),
        ColumnType::Integer => ("integer", vec![]),
        ColumnType::BigInteger => ("big_integer", vec![]),
        ColumnType::TinyUnsigned => ("tiny_unsigned", vec![]),
        ColumnType::SmallUnsigned => ("small_unsigned", vec![]),
        ColumnType::Unsigned => ("unsigned", vec![]),
        ColumnType::BigUnsigned => ("big_unsigned", vec![]),
        ColumnType::Float => ("float", vec![]),
        ColumnType::Double => ("double", vec![]),
        ColumnType::Decimal(Some((p, s))) => ("decimal_len", vec![n(*p), n(*s)]),
        ColumnType::Decimal(None) => ("decimal", vec![]),
        ColumnType::DateTime => ("date_time", vec![]),
        ColumnType::Timestamp => ("timestamp", vec![]),
        ColumnType::TimestampWithTimeZone => ("timestamp_with_time_zone", vec![]),
        ColumnType::Time => ("time", vec![]),
        ColumnType::Date => ("date", vec![]),
        ColumnType::Year => ("year", vec![]),
        ColumnType::Binary(len) => ("binary_len", vec![n(*len)]),
        ColumnType::VarBinary(Some(len)) => ("var_binary", vec![n(*len)]),
        ColumnType::Blob => ("blob", vec![]),
        ColumnType::Boolean => ("boolean", vec![]),
        ColumnType::Money(Some((p, s))) => ("money_len", vec![n(*p), n(*s)]),
        ColumnType::Money(None) => ("money", vec![]),
        ColumnType::Json => ("json", vec![]),
        ColumnType::JsonBinary => ("json_binary", vec![]),
        ColumnType::Uuid => ("uuid", vec![]),
        ColumnType::Enum(name) => {
            let values = idens.enum_values.get(name)?;
            ("enumeration", vec![quote!(#name), quote!([#(#values),*])])
        }
        ColumnType::VarBinary(None) | ColumnType::Custom(_) => return None,
    })
}

/// A column the `schema` helpers have no function for, built with `ColumnDef`.
pub(super) fn column_def_long(
    c: TokenStream,
    column: &Column,
    usage: ColumnUse,
    idens: &mut Idens,
) -> TokenStream {
    let (new, ty) = match &column.ty {
        // sea-query has no builder method for a varbinary without a length.
        ColumnType::VarBinary(None) => (
            quote!(ColumnDef::new_with_type(#c, ColumnType::VarBinary(StringLen::None))),
            TokenStream::new(),
        ),
        other => (
            quote!(ColumnDef::new(#c)),
            type_call_with_enum(other, idens),
        ),
    };
    let mut calls = TokenStream::new();
    if !column.nullable {
        calls.extend(quote!(.not_null()));
    } else if matches!(usage, ColumnUse::Modify) {
        calls.extend(quote!(.null()));
    }
    if column.auto_increment {
        calls.extend(quote!(.auto_increment()));
    }
    if let ColumnUse::Create { primary_key: true } = usage {
        calls.extend(quote!(.primary_key()));
    }
    if column.unique {
        calls.extend(quote!(.unique_key()));
    }
    if let Some(d) = &column.default {
        let d = default_tokens(d);
        calls.extend(quote!(.default(#d)));
    }
    if let Some(comment) = &column.comment {
        calls.extend(quote!(.comment(#comment)));
    }
    quote!(#new #ty #calls)
}

pub(super) fn type_call_with_enum(ty: &ColumnType, idens: &Idens) -> TokenStream {
    if let ColumnType::Enum(name) = ty {
        let values = idens.enum_values.get(name).cloned().unwrap_or_default();
        return quote!(.enumeration(#name, [#(#values),*]));
    }
    type_call(ty)
}

pub(super) fn type_call(ty: &ColumnType) -> TokenStream {
    let n = |v: u32| Literal::u32_unsuffixed(v);
    match ty {
        ColumnType::Char(Some(len)) => {
            let len = n(*len);
            quote!(.char_len(#len))
        }
        ColumnType::Char(None) => quote!(.char()),
        ColumnType::String(Some(len)) => {
            let len = n(*len);
            quote!(.string_len(#len))
        }
        ColumnType::String(None) => quote!(.string()),
        ColumnType::Text => quote!(.text()),
        ColumnType::TinyInteger => quote!(.tiny_integer()),
        ColumnType::SmallInteger => quote!(.small_integer()),
        ColumnType::Integer => quote!(.integer()),
        ColumnType::BigInteger => quote!(.big_integer()),
        ColumnType::TinyUnsigned => quote!(.tiny_unsigned()),
        ColumnType::SmallUnsigned => quote!(.small_unsigned()),
        ColumnType::Unsigned => quote!(.unsigned()),
        ColumnType::BigUnsigned => quote!(.big_unsigned()),
        ColumnType::Float => quote!(.float()),
        ColumnType::Double => quote!(.double()),
        ColumnType::Decimal(Some((p, s))) => {
            let (p, s) = (n(*p), n(*s));
            quote!(.decimal_len(#p, #s))
        }
        ColumnType::Decimal(None) => quote!(.decimal()),
        ColumnType::DateTime => quote!(.date_time()),
        ColumnType::Timestamp => quote!(.timestamp()),
        ColumnType::TimestampWithTimeZone => quote!(.timestamp_with_time_zone()),
        ColumnType::Time => quote!(.time()),
        ColumnType::Date => quote!(.date()),
        ColumnType::Year => quote!(.year()),
        ColumnType::Binary(len) => {
            let len = n(*len);
            quote!(.binary_len(#len))
        }
        ColumnType::VarBinary(Some(len)) => {
            let len = n(*len);
            quote!(.var_binary(#len))
        }
        ColumnType::VarBinary(None) => unreachable!("rendered with ColumnDef::new_with_type"),
        ColumnType::Blob => quote!(.blob()),
        ColumnType::Boolean => quote!(.boolean()),
        ColumnType::Money(Some((p, s))) => {
            let (p, s) = (n(*p), n(*s));
            quote!(.money_len(#p, #s))
        }
        ColumnType::Money(None) => quote!(.money()),
        ColumnType::Json => quote!(.json()),
        ColumnType::JsonBinary => quote!(.json_binary()),
        ColumnType::Uuid => quote!(.uuid()),
        ColumnType::Custom(name) => quote!(.custom(#name)),
        // Rendered by `type_call_with_enum`, which knows the values; a bare reference to the
        // type is what PostgreSQL's ALTER COLUMN TYPE needs.
        ColumnType::Enum(name) => quote!(.custom(#name)),
    }
}

pub(super) fn default_tokens(default: &DefaultValue) -> TokenStream {
    match default {
        DefaultValue::Bool(b) => quote!(#b),
        DefaultValue::Number(text) => match text.parse::<i64>() {
            Ok(v) if i32::try_from(v).is_ok() => {
                let lit = Literal::i64_unsuffixed(v);
                quote!(#lit)
            }
            _ => quote!(Expr::cust(#text)),
        },
        DefaultValue::String(s) => quote!(#s),
        DefaultValue::Expr(e) if e.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
            quote!(Expr::current_timestamp())
        }
        DefaultValue::Expr(e) => quote!(Expr::cust(#e)),
    }
}
