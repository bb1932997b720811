//! A rendered migration's tokens -> the bytes of its file.
//!
//! Items (imports, the struct, the impl, the DeriveIden enums) are printed by prettyplease,
//! whose item layout is rustfmt's; each statement of a function body is laid out by
//! [`layout`](super::layout), which follows rustfmt's rules for calls and chains where
//! prettyplease does not. Token streams cannot carry comments, so a comment travels as a
//! `tidemark_comment!("...")` statement that becomes `//` lines after printing.

use super::layout;
use proc_macro2::TokenStream;
use syn::visit_mut::VisitMut;

const COMMENT_MARKER: &str = "tidemark_comment!";
const STATEMENT_MARKER: &str = "tidemark_statement!";

/// The file: the header's `//!` lines, then the pieces (items printed by [`items`] or
/// [`items_text`], in order, imports completed), with the blank lines `cargo fmt`-formatted
/// code has between them.
pub(super) fn finish(header: &[String], pieces: &[String]) -> String {
    let body = space_items(&pieces.concat());
    format!("{}\n\n{body}", header.join("\n"))
}

/// Items laid out as `cargo fmt` would: a piece of a file for [`finish`]. Items are laid out
/// one by one, so a file printed in pieces is the file printed whole.
pub(super) fn items(items: TokenStream) -> String {
    print(syn::parse2(items).expect("rendered migration is valid Rust"))
}

/// [`items`] from their text: what another thread can be handed, as tokens cannot cross threads.
pub(super) fn items_text(items: &str) -> String {
    print(syn::parse_str(items).expect("rendered migration is valid Rust"))
}

fn print(mut parsed: syn::File) -> String {
    let mut statements = Statements::default();
    statements.visit_file_mut(&mut parsed);
    let printed = prettyplease::unparse(&parsed);
    restore_comments(&statements.restore(&printed))
}

/// The statements of every function body, each replaced by a numbered marker that
/// prettyplease prints on a line of its own.
#[derive(Default)]
struct Statements {
    taken: Vec<(syn::Expr, bool)>,
}

impl VisitMut for Statements {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        for stmt in &mut block.stmts {
            let syn::Stmt::Expr(expr, semi) = stmt else {
                continue;
            };
            if matches!(expr, syn::Expr::Macro(_)) {
                continue;
            }
            let number = self.taken.len();
            let marker: syn::Expr =
                syn::parse_str(&format!("{STATEMENT_MARKER}({number})")).expect("a macro call");
            let original = std::mem::replace(expr, marker);
            self.taken.push((original, semi.is_some()));
        }
    }
}

impl Statements {
    fn restore(&self, printed: &str) -> String {
        let mut out = String::with_capacity(printed.len() * 2);
        for line in printed.lines() {
            let trimmed = line.trim_start();
            let Some(rest) = trimmed.strip_prefix(STATEMENT_MARKER) else {
                out.push_str(line);
                out.push('\n');
                continue;
            };
            let indent = line.len() - trimmed.len();
            let number: usize = rest
                .trim_start_matches('(')
                .split(')')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a statement marker holds its number");
            let (expr, semicolon) = &self.taken[number];
            let text = layout::statement(expr, indent, *semicolon)
                .unwrap_or_else(|| as_printed(expr, indent, *semicolon));
            out.push_str(&" ".repeat(indent));
            out.push_str(&text);
            out.push('\n');
        }
        out
    }
}

/// A statement rustfmt cannot fit in its width either (it then keeps what it is given):
/// prettyplease's layout, at the statement's indentation.
pub(super) fn as_printed(expr: &syn::Expr, indent: usize, semicolon: bool) -> String {
    let statement = if semicolon {
        quote::quote!(#expr;)
    } else {
        quote::quote!(#expr)
    };
    let file: syn::File = syn::parse_quote!(fn f() { #statement });
    let printed = prettyplease::unparse(&file);
    let lines: Vec<&str> = printed.lines().collect();
    let body = &lines[1..lines.len() - 1];
    let pad = " ".repeat(indent);
    body.iter()
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .enumerate()
        .map(|(i, line)| {
            if i == 0 || line.is_empty() {
                line.to_owned()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Imports what the changes name besides `Change` and `Online` (an unused import would warn),
/// in the first piece, where the imports are.
pub(super) fn complete_imports(pieces: &mut [String]) {
    let import = "use tidemark_runtime::{Change, Online};\n";
    let Some(head) = pieces.first() else {
        return;
    };
    if !head.contains(import) {
        return;
    }
    let named = |name: &str| pieces.iter().any(|piece| piece.contains(name));
    let mut names = vec!["Change"];
    for extra in ["Fit", "Online", "When"] {
        if extra == "Online" || named(&format!("{extra}::")) {
            names.push(extra);
        }
    }
    let backend = named("DbBackend::");
    let replacement = format!("use tidemark_runtime::{{{}}};\n", names.join(", "));
    let head = &mut pieces[0];
    *head = head.replace(import, &replacement);
    if !backend {
        return;
    }
    // rustfmt orders imports by path: `sea_orm_migration::prelude::*` <
    // `sea_orm_migration::sea_orm::DbBackend` < `sea_orm_migration::{..}`.
    let import = "use sea_orm_migration::sea_orm::DbBackend;\n";
    let list = "use sea_orm_migration::{";
    let prelude = "use sea_orm_migration::prelude::*;\n";
    *head = if head.contains(list) {
        head.replacen(list, &format!("{import}{list}"), 1)
    } else {
        head.replacen(prelude, &format!("{prelude}{import}"), 1)
    };
}

fn restore_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix(COMMENT_MARKER) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let indent = &line[..line.len() - trimmed.len()];
        // prettyplease puts a long call over several lines: collect up to the closing `);`.
        let mut call = rest.to_owned();
        while !call.trim_end().ends_with(");") {
            match lines.next() {
                Some(next) => call.push_str(next.trim()),
                None => break,
            }
        }
        let literal = call
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(';')
            .trim_end_matches(')')
            .trim();
        let literal = literal.trim_end_matches(',');
        let text = syn::parse_str::<syn::LitStr>(literal)
            .map_or_else(|_| literal.to_owned(), |l| l.value());
        for piece in wrap(&text, 96usize.saturating_sub(indent.len() + 3)) {
            out.push_str(indent);
            out.push_str("// ");
            out.push_str(&piece);
            out.push('\n');
        }
    }
    out
}

/// prettyplease leaves no blank lines between items; put them where rustfmt-formatted code
/// conventionally has them (rustfmt keeps but never adds them).
fn space_items(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 256);
    let mut previous = "";
    for line in source.lines() {
        let top_level_item = !line.starts_with(' ')
            && !line.is_empty()
            && !line.starts_with('}')
            && !previous.is_empty()
            && !previous.starts_with("#[")
            && !previous.starts_with("//")
            && !(line.starts_with("use ") && previous.starts_with("use "));
        let impl_item =
            line.starts_with("    ") && !line.starts_with("     ") && previous == "    }";
        if top_level_item || impl_item {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let current = lines.last_mut().expect("at least one line");
        if !current.is_empty() && current.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    lines
}
