//! Registration of migrations in `migration/src/lib.rs`, by parsing it.
//!
//! The file is read with `syn`, not matched with regexes: tidemark finds the `mod m...;`
//! items and the `vec![...]` that `fn migrations()` returns, and splices the new migration in
//! at the positions the parser reports, so the rest of the file (comments, a custom migration
//! table name, helper code) is kept byte for byte. A file it cannot read is an error, and
//! nothing is written.

use crate::error::{Error, Result};
use proc_macro2::LineColumn;
use std::path::Path;
use syn::spanned::Spanned;

/// `lib.rs` as the sea-orm-migration template lays it out, with no migrations yet.
pub fn initial_lib_rs() -> String {
    "pub use sea_orm_migration::prelude::*;\n\
     \n\
     pub struct Migrator;\n\
     \n\
     #[async_trait::async_trait]\n\
     impl MigratorTrait for Migrator {\n    \
         fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        \
             vec![]\n    \
         }\n\
     }\n"
    .to_owned()
}

/// The migrations a `lib.rs` registers, in order.
pub fn registered(source: &str, path: &Path) -> Result<Vec<String>> {
    Ok(Layout::parse(source, path)?.registered)
}

/// `source` with `module` declared and registered last.
pub fn register(source: &str, path: &Path, module: &str) -> Result<String> {
    let layout = Layout::parse(source, path)?;
    if layout.registered.iter().any(|m| m == module) {
        return Err(unreadable(
            path,
            format!("migration `{module}` is already registered"),
        ));
    }
    let entry = format!("Box::new({module}::Migration)");
    let open = offset(source, layout.vec_open) + 1;
    let close = offset(source, layout.vec_close);
    let inner = &source[open..close];
    let new_inner = if layout.registered.is_empty() {
        entry
    } else {
        let close_line_start = source[..close].rfind('\n').map_or(0, |i| i + 1);
        let closing_indent: String = source[close_line_start..close]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let body = inner.trim_end().trim_end_matches(',');
        let body = if body.contains('\n') {
            body.to_owned()
        } else {
            // Break a one-line list the way rustfmt lays out a vertical one.
            let item_indent = format!("{closing_indent}    ");
            let items: Vec<String> = layout
                .registered
                .iter()
                .map(|m| format!("{item_indent}Box::new({m}::Migration)"))
                .collect();
            format!("\n{}", items.join(",\n"))
        };
        let item_indent = body
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| {
                l.chars()
                    .take_while(|c| c.is_whitespace())
                    .collect::<String>()
            })
            .unwrap_or_default();
        format!("{body},\n{item_indent}{entry},\n{closing_indent}")
    };

    let mod_line = format!("mod {module};");
    let (insert_at, text) = match layout.last_mod_end {
        Some(end) => (offset(source, end), format!("\n{mod_line}")),
        None => (
            offset(source, layout.migrator_start),
            format!("{mod_line}\n\n"),
        ),
    };
    let mut out = String::with_capacity(source.len() + 128);
    out.push_str(&source[..insert_at]);
    out.push_str(&text);
    out.push_str(&source[insert_at..open]);
    out.push_str(&new_inner);
    out.push_str(&source[close..]);

    // The splice must give exactly the old list plus the new module.
    let mut expected = layout.registered.clone();
    expected.push(module.to_owned());
    let check = Layout::parse(&out, path)?;
    if check.registered != expected {
        return Err(unreadable(
            path,
            "registering the migration did not give the expected list".into(),
        ));
    }
    Ok(out)
}

/// `source` with the migrations `replaced` (registered first, in this order) declared and
/// registered no more, and `module` declared and registered in their place (`squash`). Works
/// on the usual layout, one `mod` line and one `Box::new(...)` entry per line.
pub fn replace_first(
    source: &str,
    path: &Path,
    replaced: &[String],
    module: &str,
) -> Result<String> {
    let layout = Layout::parse(source, path)?;
    if !layout.registered.starts_with(replaced) {
        return Err(unreadable(
            path,
            format!(
                "the migrations to replace are not the first {} registered",
                replaced.len()
            ),
        ));
    }
    let is_replaced = |line: &str, prefix: &str, suffix: &str| {
        let line = line.trim();
        replaced.iter().any(|m| {
            line == format!("{prefix}{m}{suffix}") || line == format!("{prefix}{m}{suffix},")
        })
    };
    let mut out = Vec::new();
    let (mut declared, mut registered) = (false, false);
    for line in source.lines() {
        if is_replaced(line, "mod ", ";") {
            if !declared {
                out.push(format!("mod {module};"));
                declared = true;
            }
        } else if is_replaced(line, "Box::new(", "::Migration)") {
            if !registered {
                let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
                out.push(format!("{indent}Box::new({module}::Migration),"));
                registered = true;
            }
        } else {
            out.push(line.to_owned());
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    let mut expected = vec![module.to_owned()];
    expected.extend(layout.registered[replaced.len()..].iter().cloned());
    match Layout::parse(&text, path) {
        Ok(check) if check.registered == expected => Ok(text),
        _ => Err(unreadable(
            path,
            "it is not laid out one `mod` line and one `Box::new(...)` entry per line, which \
             squash rewrites; lay it out so (rustfmt does) and run squash again"
                .into(),
        )),
    }
}

struct Layout {
    registered: Vec<String>,
    last_mod_end: Option<LineColumn>,
    migrator_start: LineColumn,
    vec_open: LineColumn,
    vec_close: LineColumn,
}

fn unreadable(path: &Path, reason: String) -> Error {
    Error::UnreadableLib {
        path: path.to_owned(),
        reason,
    }
}

impl Layout {
    fn parse(source: &str, path: &Path) -> Result<Layout> {
        crate::merge::refuse_conflict_markers(path, source)?;
        let file = syn::parse_file(source).map_err(|e| {
            let at = e.span().start();
            unreadable(
                path,
                format!("line {}, column {}: {e}", at.line, at.column + 1),
            )
        })?;
        let mut declared = Vec::new();
        let mut last_mod_end = None;
        let mut migrator_start = None;
        let mut vec_macro = None;
        for item in &file.items {
            match item {
                syn::Item::Mod(m) if m.content.is_none() => {
                    declared.push(m.ident.to_string());
                    last_mod_end = Some(m.span().end());
                }
                syn::Item::Struct(s) if s.ident == "Migrator" => {
                    migrator_start = Some(s.span().start());
                }
                syn::Item::Impl(imp) if is_migrator_impl(imp) => {
                    vec_macro = migrations_vec(imp);
                }
                _ => {}
            }
        }
        let migrator_start = migrator_start
            .ok_or_else(|| unreadable(path, "no `pub struct Migrator` found".into()))?;
        let mac = vec_macro.ok_or_else(|| {
            unreadable(
                path,
                "no `impl MigratorTrait for Migrator` whose `fn migrations()` ends in `vec![...]`"
                    .into(),
            )
        })?;
        let syn::MacroDelimiter::Bracket(bracket) = &mac.delimiter else {
            return Err(unreadable(
                path,
                "`vec!` in `fn migrations()` must use brackets".into(),
            ));
        };
        let entries = mac
            .parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            )
            .map_err(|e| unreadable(path, format!("the list in `fn migrations()`: {e}")))?;
        let mut registered = Vec::new();
        for entry in entries {
            let module = boxed_migration_module(&entry).ok_or_else(|| {
                unreadable(
                    path,
                    format!(
                        "`{}` in `fn migrations()` is not of the form `Box::new(module::Migration)`",
                        quote::ToTokens::to_token_stream(&entry)
                    ),
                )
            })?;
            if !declared.contains(&module) {
                return Err(unreadable(
                    path,
                    format!("`{module}` is registered but has no `mod {module};`"),
                ));
            }
            registered.push(module);
        }
        if let Some(stray) = declared
            .iter()
            .find(|m| m.starts_with('m') && !registered.contains(m))
        {
            return Err(unreadable(
                path,
                format!("`mod {stray};` is declared but not registered in `fn migrations()`"),
            ));
        }
        Ok(Layout {
            registered,
            last_mod_end,
            migrator_start,
            vec_open: bracket.span.open().start(),
            vec_close: bracket.span.close().start(),
        })
    }
}

fn is_migrator_impl(imp: &syn::ItemImpl) -> bool {
    let trait_is = imp
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|s| s.ident == "MigratorTrait");
    let self_is = matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Migrator"));
    trait_is && self_is
}

fn migrations_vec(imp: &syn::ItemImpl) -> Option<syn::Macro> {
    imp.items.iter().find_map(|item| match item {
        syn::ImplItem::Fn(f) if f.sig.ident == "migrations" => match f.block.stmts.last()? {
            syn::Stmt::Expr(syn::Expr::Macro(m), None) if m.mac.path.is_ident("vec") => {
                Some(m.mac.clone())
            }
            syn::Stmt::Macro(m) if m.mac.path.is_ident("vec") => Some(m.mac.clone()),
            _ => None,
        },
        _ => None,
    })
}

fn boxed_migration_module(expr: &syn::Expr) -> Option<String> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    let syn::Expr::Path(func) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if segments != ["Box", "new"] || call.args.len() != 1 {
        return None;
    }
    let syn::Expr::Path(arg) = &call.args[0] else {
        return None;
    };
    let parts: Vec<String> = arg
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match parts.as_slice() {
        [module, migration] if migration == "Migration" => Some(module.clone()),
        _ => None,
    }
}

/// Byte offset of a 1-based line, 0-based character column.
fn offset(source: &str, at: LineColumn) -> usize {
    let line_start: usize = source
        .split_inclusive('\n')
        .take(at.line - 1)
        .map(str::len)
        .sum();
    let line = &source[line_start..];
    line_start
        + line
            .char_indices()
            .nth(at.column)
            .map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "migration/src/lib.rs";

    #[test]
    fn registers_into_the_template_and_appends_in_order() {
        let one = register(&initial_lib_rs(), Path::new(PATH), "m20260101_000000_init").unwrap();
        let two = register(&one, Path::new(PATH), "m20260102_000000_next").unwrap();
        assert_eq!(
            registered(&two, Path::new(PATH)).unwrap(),
            ["m20260101_000000_init", "m20260102_000000_next"]
        );
        insta::assert_snapshot!(two);
    }

    #[test]
    fn keeps_the_rest_of_the_file() {
        let source = "// Our migrator.\npub use sea_orm_migration::prelude::*;\n\nmod m1_a;\n\npub struct Migrator;\n\n#[async_trait::async_trait]\nimpl MigratorTrait for Migrator {\n    fn migration_table_name() -> DynIden {\n        \"my_migrations\".into_iden()\n    }\n\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![\n            Box::new(m1_a::Migration), // the first one\n        ]\n    }\n}\n";
        let out = register(source, Path::new(PATH), "m2_b").unwrap();
        assert!(out.contains("// Our migrator."));
        assert!(out.contains("// the first one"));
        assert!(out.contains("\"my_migrations\""));
        assert_eq!(registered(&out, Path::new(PATH)).unwrap(), ["m1_a", "m2_b"]);
    }

    #[test]
    fn refuses_a_file_it_cannot_read() {
        let err =
            register("pub struct Migrator;\nfn oops( {", Path::new(PATH), "m2_b").unwrap_err();
        assert!(
            err.to_string().contains("migration/src/lib.rs: line"),
            "{err}"
        );
        let err = registered(
            "pub struct Migrator;\nimpl MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn MigrationTrait>> { let v = vec![]; v } }",
            Path::new(PATH),
        )
        .unwrap_err();
        assert!(err.to_string().contains("ends in `vec![...]`"), "{err}");
        let err = registered(
            "mod m1_a;\npub struct Migrator;\nimpl MigratorTrait for Migrator { fn migrations() -> Vec<Box<dyn MigrationTrait>> { vec![] } }",
            Path::new(PATH),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("declared but not registered"),
            "{err}"
        );
    }
}
