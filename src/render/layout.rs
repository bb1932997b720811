//! rustfmt's layout of the expressions a migration body holds, computed in-process.
//!
//! A generated file must pass `cargo fmt --check` in the user's workspace, and its bytes must
//! not depend on which `rustfmt` (if any) the machine has. prettyplease prints items the way
//! rustfmt does, but lays out calls and method chains with another algorithm; so each
//! statement of a function body is laid out here instead, by the rules of rustfmt's default
//! configuration (style edition 2024, block indent, `max_width` 100 and the 60-column call,
//! array and chain widths): the list overflow of `overflow.rs`, the chain layout of
//! `chains.rs`, the list tactics of `lists.rs`. Only the expression forms tidemark writes are
//! handled (paths, literals, calls, method chains, `.await`, `?`, arrays, tuples, unary and
//! reference operators, parentheses, struct literals); anything else returns `None`, and so
//! does a statement rustfmt itself could not fit, which rustfmt then leaves as written. A form
//! not handled here would be left in prettyplease's layout, which rustfmt may change: the
//! renderers write none, and the e2e suite's `rustfmt --check` of every scenario file would
//! catch one. The tests below check the layout against the real `rustfmt` on generated
//! expressions of every shape.

use std::cell::Cell;
use syn::{Expr, Lit};
use unicode_width::UnicodeWidthStr;

const MAX_WIDTH: usize = 100;
const TAB_SPACES: usize = 4;
const FN_CALL_WIDTH: usize = 60;
const ARRAY_WIDTH: usize = 60;
const CHAIN_WIDTH: usize = 60;
const SHORT_ARRAY_ELEMENT_WIDTH: usize = 10;
const STRUCT_LIT_WIDTH: usize = 18;

/// Lays out one statement of a block whose lines start at `indent` columns: the text starts
/// without indentation (its first line goes after the caller's indentation) and ends with
/// `;` when `semicolon` is set.
pub fn statement(expr: &Expr, indent: usize, semicolon: bool) -> Option<String> {
    let shape = Shape::indented(Indent::block(indent));
    let shape = if semicolon {
        shape.sub_width(1)?
    } else {
        shape
    };
    let text = Layout::default().rewrite(expr, shape)?;
    Some(if semicolon { text + ";" } else { text })
}

#[derive(Clone, Copy, Debug)]
struct Indent {
    block: usize,
    alignment: usize,
}

impl Indent {
    fn block(block: usize) -> Indent {
        Indent {
            block,
            alignment: 0,
        }
    }

    fn width(self) -> usize {
        self.block + self.alignment
    }

    fn newline(self) -> String {
        format!("\n{}", " ".repeat(self.width()))
    }
}

/// rustfmt's `Shape`: the room left on the current line (`width`), the indentation of the
/// lines that follow, and how far into the line the text starts (`offset`).
#[derive(Clone, Copy, Debug)]
struct Shape {
    width: usize,
    indent: Indent,
    offset: usize,
}

impl Shape {
    fn indented(indent: Indent) -> Shape {
        Shape {
            width: MAX_WIDTH.saturating_sub(indent.width()),
            indent,
            offset: indent.alignment,
        }
    }

    fn indented_legacy(width: usize, indent: Indent) -> Shape {
        Shape {
            width,
            indent,
            offset: indent.alignment,
        }
    }

    fn with_max_width(self) -> Shape {
        Shape {
            width: MAX_WIDTH.saturating_sub(self.indent.width()),
            ..self
        }
    }

    fn block_indent(self, delta: usize) -> Shape {
        if self.indent.alignment == 0 {
            Shape {
                width: self.width,
                indent: Indent::block(self.indent.block + delta),
                offset: 0,
            }
        } else {
            Shape {
                width: self.width,
                indent: Indent {
                    block: self.indent.block,
                    alignment: self.indent.alignment + delta,
                },
                offset: self.indent.alignment + delta,
            }
        }
    }

    fn block(self) -> Shape {
        Shape {
            indent: Indent::block(self.indent.block),
            ..self
        }
    }

    fn sub_width(self, n: usize) -> Option<Shape> {
        Some(Shape {
            width: self.width.checked_sub(n)?,
            ..self
        })
    }

    fn offset_left(self, delta: usize) -> Option<Shape> {
        Shape {
            offset: self.offset + delta,
            ..self
        }
        .sub_width(delta)
    }

    fn shrink_left(self, delta: usize) -> Option<Shape> {
        Some(Shape {
            width: self.width.checked_sub(delta)?,
            indent: Indent {
                block: self.indent.block,
                alignment: self.indent.alignment + delta,
            },
            offset: self.offset + delta,
        })
    }

    fn visual_indent(self, delta: usize) -> Shape {
        let alignment = self.offset + delta;
        Shape {
            width: self.width,
            indent: Indent {
                block: self.indent.block,
                alignment,
            },
            offset: alignment,
        }
    }

    fn used_width(self) -> usize {
        self.indent.block + self.offset
    }

    fn rhs_overhead(self) -> usize {
        MAX_WIDTH.saturating_sub(self.used_width() + self.width)
    }

    fn newline(self) -> String {
        Indent {
            block: self.indent.block,
            alignment: self.offset,
        }
        .newline()
    }
}

fn width(s: &str) -> usize {
    // Printable ASCII, nearly all a migration holds, is one column a byte; the lookup table
    // is for the rest.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s.len()
    } else {
        UnicodeWidthStr::width(s)
    }
}

fn first_line_width(s: &str) -> usize {
    width(s.lines().next().unwrap_or(""))
}

fn last_line_width(s: &str) -> usize {
    width(s.rsplit('\n').next().unwrap_or(""))
}

/// Whether text fits the shape: the first line in its width, the others in the maximum width,
/// the last one in what is left of its line (rustfmt's `wrap_str`).
fn fits(s: &str, shape: Shape) -> bool {
    if s.is_empty() {
        return true;
    }
    if first_line_width(s) > shape.width {
        return false;
    }
    if !s.contains('\n') {
        return true;
    }
    // A line takes at most a column a byte, so only a long one needs measuring.
    if s.lines()
        .skip(1)
        .any(|line| line.len() > MAX_WIDTH && width(line) > MAX_WIDTH)
    {
        return false;
    }
    last_line_width(s) <= shape.used_width() + shape.width
}

fn wrap(s: String, shape: Shape) -> Option<String> {
    fits(&s, shape).then_some(s)
}

/// The last line holds only closing delimiters, so a chain may continue on it.
fn last_line_extendable(s: &str) -> bool {
    if s.ends_with("\"#") {
        return true;
    }
    for c in s.chars().rev() {
        match c {
            '(' | ')' | ']' | '}' | '?' | '>' => continue,
            '\n' => break,
            _ if c.is_whitespace() => continue,
            _ => return false,
        }
    }
    true
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tactic {
    Horizontal,
    Vertical,
    Mixed,
}

#[derive(Clone, Copy)]
enum Delimiters {
    Parentheses,
    Brackets,
}

impl Delimiters {
    fn open(self) -> &'static str {
        match self {
            Delimiters::Parentheses => "(",
            Delimiters::Brackets => "[",
        }
    }

    fn close(self) -> &'static str {
        match self {
            Delimiters::Parentheses => ")",
            Delimiters::Brackets => "]",
        }
    }
}

/// One call's or array's items and the way they are delimited.
struct List<'a> {
    ident: &'a str,
    items: Vec<&'a Expr>,
    delimiters: Delimiters,
    item_max_width: usize,
    /// A one-element tuple keeps its comma on one line too.
    always_trailing_comma: bool,
}

impl<'a> List<'a> {
    /// A call's arguments: `ident(items)`, in the call width.
    fn call(ident: &'a str, items: impl IntoIterator<Item = &'a Expr>) -> List<'a> {
        List {
            ident,
            items: items.into_iter().collect(),
            delimiters: Delimiters::Parentheses,
            item_max_width: FN_CALL_WIDTH,
            always_trailing_comma: false,
        }
    }
}

#[derive(Default)]
struct Layout {
    /// Set while a method chain is laid out as the overflowing last argument of a call:
    /// every chain inside it must then stay on one line.
    force_one_line_chain: Cell<bool>,
}

impl Layout {
    fn rewrite(&self, expr: &Expr, shape: Shape) -> Option<String> {
        match expr {
            Expr::Lit(lit) => literal(&lit.lit, shape),
            Expr::Path(path) if path.qself.is_none() => rewrite_path(&path.path, shape),
            Expr::Call(call) => {
                let callee = self.rewrite(&call.func, shape)?;
                self.list(List::call(&callee, &call.args), shape)
            }
            Expr::Array(array) => self.list(
                List {
                    delimiters: Delimiters::Brackets,
                    item_max_width: ARRAY_WIDTH,
                    ..List::call("", &array.elems)
                },
                shape,
            ),
            Expr::Tuple(tuple) => self.list(
                List {
                    always_trailing_comma: tuple.elems.len() == 1,
                    ..List::call("", &tuple.elems)
                },
                shape,
            ),
            Expr::MethodCall(_) | Expr::Await(_) | Expr::Try(_) | Expr::Field(_) => {
                self.chain(expr, shape)
            }
            Expr::Unary(unary) => {
                let prefix = match unary.op {
                    syn::UnOp::Deref(_) => "*",
                    syn::UnOp::Not(_) => "!",
                    syn::UnOp::Neg(_) => "-",
                    _ => return None,
                };
                self.prefixed(prefix, &unary.expr, shape)
            }
            Expr::Reference(reference) => {
                let prefix = if reference.mutability.is_some() {
                    "&mut "
                } else {
                    "&"
                };
                self.prefixed(prefix, &reference.expr, shape)
            }
            Expr::Paren(paren) => {
                let inner = self.rewrite(&paren.expr, shape.offset_left(1)?.sub_width(1)?)?;
                Some(format!("({inner})"))
            }
            Expr::Group(group) => self.rewrite(&group.expr, shape),
            Expr::Struct(literal) => self.struct_literal(literal, shape),
            _ => None,
        }
    }

    /// `Path { field: value, .. }` (rustfmt's `rewrite_struct_lit` with its defaults: one line
    /// when the fields take at most 18 columns, else one field a line).
    fn struct_literal(&self, literal: &syn::ExprStruct, shape: Shape) -> Option<String> {
        if literal.qself.is_some() || literal.rest.is_some() || literal.dot2_token.is_some() {
            return None;
        }
        let path = rewrite_path(&literal.path, shape.sub_width(2)?)?;
        if literal.fields.is_empty() {
            return Some(format!("{path} {{}}"));
        }
        let prefix_width = width(&path) + 3;
        let vertical_shape = shape.block_indent(TAB_SPACES).with_max_width();
        let horizontal_shape = shape
            .width
            .checked_sub(prefix_width + 2)
            .map(|room| Shape::indented_legacy(room.min(STRUCT_LIT_WIDTH), shape.indent));
        let one_line_width = horizontal_shape.map_or(0, |s| s.width);
        let field_shape = vertical_shape.sub_width(1)?;
        let fields: Vec<Option<String>> = literal
            .fields
            .iter()
            .map(|field| self.field(field, field_shape))
            .collect();
        let tactic = match horizontal_shape {
            Some(h) => definitive_tactic(&fields, h.width),
            None => Tactic::Vertical,
        };
        let list_shape = match (tactic, horizontal_shape) {
            (Tactic::Horizontal, Some(h)) => h,
            _ => vertical_shape,
        };
        let text = write_list(&fields, tactic, false, list_shape)?;
        let vertical = text.contains('\n') || width(&text) > one_line_width;
        Some(if vertical {
            format!(
                "{path} {{{}{text}{}}}",
                vertical_shape.indent.newline(),
                shape.indent.newline()
            )
        } else {
            format!("{path} {{ {text} }}")
        })
    }

    fn field(&self, field: &syn::FieldValue, shape: Shape) -> Option<String> {
        let name = match &field.member {
            syn::Member::Named(name) => name.to_string(),
            syn::Member::Unnamed(index) => index.index.to_string(),
        };
        if field.colon_token.is_none() {
            return Some(name);
        }
        let overhead = name.len() + 2;
        match shape
            .offset_left(overhead)
            .and_then(|s| self.rewrite(&field.expr, s))
        {
            Some(value) => Some(format!("{name}: {value}")),
            None => {
                let indent = Indent::block(shape.indent.block + TAB_SPACES);
                let value = self.rewrite(&field.expr, Shape::indented(indent))?;
                Some(format!("{name}:{}{value}", indent.newline()))
            }
        }
    }

    fn prefixed(&self, prefix: &str, expr: &Expr, shape: Shape) -> Option<String> {
        let inner = self.rewrite(expr, shape.offset_left(prefix.len())?)?;
        Some(format!("{prefix}{inner}"))
    }

    /// A delimited list of items after `ident` (rustfmt's `overflow::Context`).
    fn list(&self, list: List<'_>, shape: Shape) -> Option<String> {
        let used_width = width(list.ident);
        let one_line_width = shape.width.saturating_sub(used_width + 2);
        let one_line_shape = shape
            .offset_left(last_line_width(list.ident) + 1)
            .and_then(|s| s.sub_width(1))
            .unwrap_or(Shape { width: 0, ..shape });
        let nested = shape.block().block_indent(TAB_SPACES).with_max_width();
        let nested_shape = Shape {
            width: nested.width.saturating_sub(1),
            ..nested
        };

        // The last item is laid out where it goes: overflowed onto the call's line, or, when
        // that does not fit, in the nested shape. Every path below sets it.
        let count = list.items.len();
        let mut rewritten: Vec<Option<String>> = list
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                (i + 1 < count)
                    .then(|| self.rewrite(item, nested_shape))
                    .flatten()
            })
            .collect();
        let tactic = self.try_overflow_last_item(
            &list,
            &mut rewritten,
            one_line_shape,
            nested_shape,
            one_line_width,
        );
        let items = write_list(&rewritten, tactic, list.always_trailing_comma, nested_shape)?;
        Some(wrap_items(
            &list,
            &items,
            shape,
            tactic == Tactic::Horizontal,
            nested_shape,
        ))
    }

    fn try_overflow_last_item(
        &self,
        list: &List<'_>,
        rewritten: &mut [Option<String>],
        one_line_shape: Shape,
        nested_shape: Shape,
        one_line_width: usize,
    ) -> Tactic {
        let count = list.items.len();
        let combine_with_callee = count == 1 && list.ident.len() < TAB_SPACES;
        let last = list.items.last().copied();
        let overflow_last =
            combine_with_callee || last.is_some_and(|last| can_be_overflowed(last, count));

        let placeholder = match last {
            Some(last) if overflow_last => {
                let old = self.force_one_line_chain.get();
                if !combine_with_callee && is_method_call(last) {
                    self.force_one_line_chain.set(true);
                }
                let overflowed = last_item_shape(list, rewritten, one_line_shape).and_then(|s| {
                    let text = self.rewrite(last, s)?;
                    rewritten[count - 1] = Some(text.lines().next().unwrap_or("").to_owned());
                    Some(text)
                });
                self.force_one_line_chain.set(old);
                overflowed
            }
            _ => None,
        };

        let limit = one_line_width.min(list.item_max_width);
        let mut tactic = definitive_tactic(rewritten, limit);
        match (overflow_last, tactic, placeholder) {
            (true, Tactic::Horizontal, Some(overflowed)) if count == 1 => {
                let single = if overflowed.matches('\n').count() == 1 {
                    self.rewrite(list.items[0], nested_shape)
                        .filter(|text| !text.contains('\n'))
                } else {
                    None
                };
                rewritten[0] = Some(single.unwrap_or(overflowed));
            }
            (true, Tactic::Horizontal, Some(overflowed)) => rewritten[count - 1] = Some(overflowed),
            _ if count > 0 => {
                rewritten[count - 1] = self.rewrite(list.items[count - 1], nested_shape);
                let only = rewritten[0].as_deref().unwrap_or("");
                if count == 1
                    && one_line_width != 0
                    && !only.contains('\n')
                    && width(only) <= one_line_width
                {
                    tactic = Tactic::Horizontal;
                } else {
                    tactic = definitive_tactic(rewritten, limit);
                    if tactic == Tactic::Vertical
                        && list.items.iter().all(|item| is_simple(item))
                        && rewritten.iter().all(|item| {
                            item.as_deref().unwrap_or("").len() <= SHORT_ARRAY_ELEMENT_WIDTH
                        })
                    {
                        tactic = Tactic::Mixed;
                    }
                }
            }
            _ => {}
        }
        tactic
    }

    /// A method chain (rustfmt's block-indent `ChainFormatter`).
    fn chain(&self, expr: &Expr, shape: Shape) -> Option<String> {
        let (parent, children) = chain_items(expr)?;
        if children.is_empty() {
            return self.chain_item(&parent, shape);
        }
        let child_count = children.len();

        // The root: the parent, plus the first children while it is shorter than a tab.
        let mut root = self.chain_item(&parent, shape)?;
        let mut root_ends_with_block = is_block_like(&parent, &root);
        let tab_width = TAB_SPACES.saturating_sub(shape.offset);
        let mut children = &children[..];
        while width(&root) <= tab_width && !root.contains('\n') {
            let offset_shape = shape.offset_left(width(&root))?;
            match self.chain_item(&children[0], offset_shape) {
                Some(text) => root.push_str(&text),
                None => break,
            }
            root_ends_with_block = last_line_extendable(&root);
            children = &children[1..];
            if children.is_empty() {
                break;
            }
        }
        if children.is_empty() {
            return wrap(root, shape);
        }

        let child_shape = if root_ends_with_block {
            shape.block_indent(0)
        } else {
            shape.block_indent(TAB_SPACES)
        }
        .with_max_width();

        let mut rewrites = vec![root];
        for child in &children[..children.len() - 1] {
            rewrites.push(self.chain_item(child, child_shape)?);
        }
        let (last, fits_single_line) =
            self.last_chain_child(children, &rewrites, child_count, shape, child_shape)?;
        rewrites.push(last);

        let connector = if fits_single_line {
            String::new()
        } else {
            if self.force_one_line_chain.get() {
                return None;
            }
            child_shape.newline()
        };
        wrap(rewrites.join(&connector), shape)
    }

    /// The last child of a chain, which may run on from the line before it (rustfmt's
    /// `format_last_child`), and whether the whole chain then fits on one line.
    fn last_chain_child(
        &self,
        children: &[ChainItem<'_>],
        rewrites: &[String],
        child_count: usize,
        shape: Shape,
        child_shape: Shape,
    ) -> Option<(String, bool)> {
        let last = children.last()?;
        let extendable = last_line_extendable(&rewrites[0]);
        let almost_total = if extendable {
            last_line_width(&rewrites[0])
        } else {
            rewrites.iter().map(|r| width(r)).sum()
        } + last.tries;
        let one_line_budget = if child_count == 1 {
            shape.width
        } else {
            shape.width.min(CHAIN_WIDTH)
        }
        .saturating_sub(almost_total);
        let all_in_one_line = rewrites.iter().all(|r| !r.contains('\n')) && one_line_budget > 0;
        let last_shape = if all_in_one_line {
            shape.sub_width(last.tries)?
        } else if extendable {
            child_shape.sub_width(last.tries)?
        } else {
            child_shape.sub_width(shape.rhs_overhead() + last.tries)?
        };

        let mut fits_single_line = false;
        let mut chosen = None;
        let overflowed = (all_in_one_line || extendable)
            .then(|| last_shape.offset_left(almost_total))
            .flatten()
            .and_then(|one_line_shape| self.chain_item(last, one_line_shape));
        if let Some(overflowed) = overflowed {
            let line_count = overflowed.lines().count();
            let could_fit_single_line = first_line_width(&overflowed) <= one_line_budget;
            if could_fit_single_line && line_count >= 5 {
                chosen = Some(overflowed);
                fits_single_line = all_in_one_line;
            } else {
                // Compare with the last child on a line of its own: the shorter wins.
                let own_line_shape = child_shape.sub_width(shape.rhs_overhead() + last.tries)?;
                match self.chain_item(last, own_line_shape) {
                    Some(own_line) if !could_fit_single_line => chosen = Some(own_line),
                    Some(own_line) if own_line.lines().count() >= line_count => {
                        chosen = Some(overflowed);
                        fits_single_line = could_fit_single_line && all_in_one_line;
                    }
                    Some(own_line) => chosen = Some(own_line),
                    None => {
                        chosen = Some(overflowed);
                        fits_single_line = could_fit_single_line && all_in_one_line;
                    }
                }
            }
        }
        let text = match chosen {
            Some(text) => text,
            None => self.chain_item(last, last_shape)?,
        };
        Some((text, fits_single_line))
    }

    fn chain_item(&self, item: &ChainItem<'_>, shape: Shape) -> Option<String> {
        let shape = shape.sub_width(item.tries)?;
        let text = match &item.kind {
            ChainKind::Parent(expr) => self.rewrite(expr, shape)?,
            ChainKind::Method(call) => {
                let callee = format!(".{}", call.method);
                self.list(List::call(&callee, &call.args), shape)?
            }
            ChainKind::Await => ".await".to_owned(),
            ChainKind::Field(member) => match member {
                syn::Member::Named(name) => format!(".{name}"),
                syn::Member::Unnamed(index) => format!(".{}", index.index),
            },
        };
        Some(format!("{text}{}", "?".repeat(item.tries)))
    }
}

enum ChainKind<'a> {
    Parent(&'a Expr),
    Method(&'a syn::ExprMethodCall),
    Await,
    Field(&'a syn::Member),
}

struct ChainItem<'a> {
    kind: ChainKind<'a>,
    /// The `?`s that directly follow this item.
    tries: usize,
}

/// Splits `a.b()?.c().await` into its parent `a` and the children after it, each with the
/// `?`s that follow it. `None` for a form rustfmt writes differently (turbofish methods).
fn chain_items(expr: &Expr) -> Option<(ChainItem<'_>, Vec<ChainItem<'_>>)> {
    let mut reversed = Vec::new();
    let mut tries = 0;
    let mut current = expr;
    loop {
        match current {
            Expr::Try(t) => {
                tries += 1;
                current = &t.expr;
            }
            Expr::MethodCall(call) => {
                if call.turbofish.is_some() {
                    return None;
                }
                reversed.push(ChainItem {
                    kind: ChainKind::Method(call),
                    tries,
                });
                tries = 0;
                current = &call.receiver;
            }
            Expr::Await(a) => {
                reversed.push(ChainItem {
                    kind: ChainKind::Await,
                    tries,
                });
                tries = 0;
                current = &a.base;
            }
            Expr::Field(f) => {
                reversed.push(ChainItem {
                    kind: ChainKind::Field(&f.member),
                    tries,
                });
                tries = 0;
                current = &f.base;
            }
            _ => {
                let parent = ChainItem {
                    kind: ChainKind::Parent(current),
                    tries,
                };
                reversed.reverse();
                return Some((parent, reversed));
            }
        }
    }
}

/// A parent whose text ends in a closing delimiter on its own line, so that the chain goes on
/// at the parent's indentation (rustfmt's `is_block_expr`).
fn is_block_like(item: &ChainItem<'_>, text: &str) -> bool {
    let ChainKind::Parent(expr) = item.kind else {
        return false;
    };
    block_like_expr(expr, text)
}

fn block_like_expr(expr: &Expr, text: &str) -> bool {
    match expr {
        Expr::Call(_) | Expr::MethodCall(_) | Expr::Array(_) | Expr::Macro(_) | Expr::Struct(_) => {
            text.contains('\n')
        }
        Expr::Paren(p) => block_like_expr(&p.expr, text),
        Expr::Unary(u) => block_like_expr(&u.expr, text),
        Expr::Try(t) => block_like_expr(&t.expr, text),
        Expr::Lit(_) => {
            text.contains('\n') && text.rsplit('\n').next().unwrap_or("").trim().len() <= TAB_SPACES
        }
        _ => false,
    }
}

fn literal(lit: &Lit, shape: Shape) -> Option<String> {
    let text = quote::ToTokens::to_token_stream(lit).to_string();
    match lit {
        // Style edition 2024 leaves a one-line string literal as it is, however long.
        // (A raw string gets the width check like any other literal.)
        Lit::Str(_) if text.starts_with('"') && !text.contains('\n') => Some(text),
        _ => wrap(text, shape),
    }
}

fn rewrite_path(path: &syn::Path, shape: Shape) -> Option<String> {
    let shape = shape.visual_indent(0);
    let mut text = String::new();
    if path.leading_colon.is_some() {
        text.push_str("::");
    }
    for (i, segment) in path.segments.iter().enumerate() {
        if !matches!(segment.arguments, syn::PathArguments::None) {
            return None;
        }
        if i > 0 {
            text.push_str("::");
        }
        shape.shrink_left(width(&text))?;
        text.push_str(&segment.ident.to_string());
    }
    Some(text)
}

fn can_be_overflowed(expr: &Expr, count: usize) -> bool {
    match expr {
        Expr::Closure(_) | Expr::Block(_) => true,
        Expr::Array(_)
        | Expr::Struct(_)
        | Expr::Macro(_)
        | Expr::Call(_)
        | Expr::MethodCall(_)
        | Expr::Tuple(_) => count == 1,
        Expr::Reference(r) => can_be_overflowed(&r.expr, count),
        Expr::Try(t) => can_be_overflowed(&t.expr, count),
        Expr::Unary(u) => can_be_overflowed(&u.expr, count),
        _ => false,
    }
}

fn is_method_call(expr: &Expr) -> bool {
    match expr {
        Expr::MethodCall(_) => true,
        Expr::Reference(r) => is_method_call(&r.expr),
        Expr::Try(t) => is_method_call(&t.expr),
        Expr::Unary(u) => is_method_call(&u.expr),
        _ => false,
    }
}

fn is_nested_call(expr: &Expr) -> bool {
    match expr {
        Expr::Call(_) | Expr::Macro(_) => true,
        Expr::Reference(r) => is_nested_call(&r.expr),
        Expr::Try(t) => is_nested_call(&t.expr),
        Expr::Unary(u) => is_nested_call(&u.expr),
        _ => false,
    }
}

fn is_simple(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) => true,
        Expr::Path(p) => p.qself.is_none() && p.path.segments.len() <= 1,
        Expr::Reference(r) => is_simple(&r.expr),
        Expr::Field(f) => is_simple(&f.base),
        Expr::Try(t) => is_simple(&t.expr),
        Expr::Unary(u) => is_simple(&u.expr),
        _ => false,
    }
}

/// The shape the overflowing last item gets: the rest of the line after the other items.
fn last_item_shape(list: &List<'_>, rewritten: &[Option<String>], shape: Shape) -> Option<Shape> {
    if list.items.len() == 1 && !is_nested_call(list.items[0]) {
        return Some(shape);
    }
    let offset: usize = rewritten[..rewritten.len() - 1]
        .iter()
        .map(|item| 2 + item.as_deref().unwrap_or("").len())
        .sum();
    Shape {
        width: list.item_max_width.min(shape.width),
        ..shape
    }
    .offset_left(offset)
}

fn definitive_tactic(items: &[Option<String>], limit: usize) -> Tactic {
    // Multi-line items are vertical whatever their width: measured only when all are short.
    let multiline = items
        .iter()
        .any(|item| item.as_deref().is_some_and(|text| text.contains('\n')));
    if multiline {
        return Tactic::Vertical;
    }
    let mut total = 2 * items.len().saturating_sub(1);
    for item in items {
        total += item.as_deref().map_or(0, width);
        if total > limit {
            return Tactic::Vertical;
        }
    }
    Tactic::Horizontal
}

fn write_list(
    items: &[Option<String>],
    tactic: Tactic,
    always_trailing_comma: bool,
    shape: Shape,
) -> Option<String> {
    let indent = " ".repeat(shape.indent.width());
    let mut trailing_comma = always_trailing_comma || tactic == Tactic::Vertical;
    let mut out = String::new();
    let mut line_len = 0;
    for (i, item) in items.iter().enumerate() {
        let text = item.as_deref()?;
        let first = i == 0;
        let last = i + 1 == items.len();
        let mut separate = !last || trailing_comma;
        match tactic {
            Tactic::Horizontal if !first => out.push(' '),
            Tactic::Vertical if !first => {
                out.push('\n');
                out.push_str(&indent);
            }
            Tactic::Mixed => {
                let total = width(text) + usize::from(separate);
                if line_len > 0 && line_len + 1 + total > shape.width {
                    out.push('\n');
                    out.push_str(&indent);
                    line_len = 0;
                    trailing_comma = true;
                } else if line_len > 0 {
                    out.push(' ');
                    line_len += 1;
                }
                // A list laid out this way ends on a line of its own, after a comma.
                if last {
                    separate = true;
                }
                line_len += total;
            }
            _ => {}
        }
        out.push_str(text);
        if separate {
            out.push(',');
        }
    }
    Some(out)
}

fn wrap_items(
    list: &List<'_>,
    items: &str,
    shape: Shape,
    extendable: bool,
    nested_shape: Shape,
) -> String {
    let room = shape.width.saturating_sub(last_line_width(list.ident));
    let extend_width = if items.is_empty() {
        2
    } else {
        first_line_width(items) + 1
    };
    let mut out = format!("{}{}", list.ident, list.delimiters.open());
    if extendable && extend_width <= room {
        out.push_str(items);
    } else {
        if !items.is_empty() {
            out.push_str(&nested_shape.indent.newline());
            out.push_str(items);
        }
        out.push_str(&shape.block().indent.newline());
    }
    out.push_str(list.delimiters.close());
    out
}

#[cfg(test)]
mod tests {
    //! The layout against the real `rustfmt`, on expressions of the shapes tidemark writes
    //! with names and literals of every length. Deterministic: a fixed-seed generator.

    use super::statement;
    use crate::testing::rustfmt;

    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }

        fn name(&mut self, upper: bool) -> String {
            let long = self.below(4) == 0;
            let len = 1 + self.below(if long { 28 } else { 10 });
            // No keyword starts with an `n`.
            let first = if upper { 'N' } else { 'n' };
            std::iter::once(first)
                .chain((1..len).map(|_| (b'a' + self.below(26) as u8) as char))
                .collect()
        }
    }

    fn leaf(rng: &mut Random) -> String {
        match rng.below(6) {
            0 => format!("{}::{}", rng.name(true), rng.name(true)),
            1 => {
                let long = rng.below(5) == 0;
                let len = rng.below(if long { 90 } else { 24 });
                format!("\"{}\"", "s".repeat(len))
            }
            2 => rng.below(100_000).to_string(),
            3 => rng.name(false),
            4 => format!("-{}", rng.below(1000)),
            _ => "true".to_owned(),
        }
    }

    fn args(rng: &mut Random, depth: usize, max: u64) -> String {
        let count = rng.below(max);
        (0..count)
            .map(|_| expr(rng, depth + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn expr(rng: &mut Random, depth: usize) -> String {
        if depth > 3 {
            return leaf(rng);
        }
        match rng.below(9) {
            0 | 1 => leaf(rng),
            2 | 3 => format!(
                "{}::{}({})",
                rng.name(true),
                rng.name(false),
                args(rng, depth, 5)
            ),
            4 | 5 => {
                let mut chain = match rng.below(3) {
                    0 => rng.name(false),
                    _ => format!(
                        "{}::{}({})",
                        rng.name(true),
                        rng.name(false),
                        args(rng, depth, 3)
                    ),
                };
                for _ in 0..1 + rng.below(6) {
                    chain.push_str(&format!(".{}({})", rng.name(false), args(rng, depth, 3)));
                }
                chain
            }
            6 => format!("[{}]", args(rng, depth, 7)),
            7 => match rng.below(3) {
                0 => format!("({},)", expr(rng, depth + 1)),
                _ => format!("({}, {})", expr(rng, depth + 1), expr(rng, depth + 1)),
            },
            _ => format!(
                "{}::{} {{ {}: {}, {}: {} }}",
                rng.name(true),
                rng.name(true),
                rng.name(false),
                leaf(rng),
                rng.name(false),
                leaf(rng)
            ),
        }
    }

    /// A statement as tidemark writes them: a `run([...])` chain awaited, or a plain expression.
    fn statement_source(rng: &mut Random) -> (String, bool) {
        let semicolon = rng.below(2) == 0;
        let source = match rng.below(3) {
            0 => format!(
                "Online::new(manager).run([{}]).await{}",
                args(rng, 0, 6),
                if semicolon { "?" } else { "" }
            ),
            1 => format!("m.run([{}]).await", args(rng, 0, 4)),
            _ => expr(rng, 0),
        };
        (source, semicolon)
    }

    #[test]
    fn statements_are_laid_out_as_rustfmt_lays_them_out() {
        if rustfmt("fn f() {}\n").is_none() {
            assert!(
                std::env::var_os("TIDEMARK_REQUIRE_SERVERS").is_none(),
                "rustfmt is required (TIDEMARK_REQUIRE_SERVERS is set) but cannot be run"
            );
            eprintln!("SKIPPED: no rustfmt to compare the layout with");
            return;
        }
        let mut rng = Random(0x5eed_cafe_f00d_d00d);
        let mut functions = Vec::new();
        let mut fallbacks = 0;
        for case in 0..1500 {
            let (source, semicolon) = statement_source(&mut rng);
            let parsed: syn::Expr = syn::parse_str(&source).expect("generated source parses");
            // Statements at the depths a migration has them: a function, a method, a nested block.
            let depth = 1 + case % 3;
            let indent = 4 * depth;
            // What the file gets where rustfmt could not fit the statement either.
            let text = statement(&parsed, indent, semicolon).unwrap_or_else(|| {
                fallbacks += 1;
                super::super::print::as_printed(&parsed, indent, semicolon)
            });
            // Wrappers that rustfmt never folds onto one line: an impl, a module.
            let (open, close) = match depth {
                1 => (String::new(), String::new()),
                2 => (format!("impl N{case} {{\n"), "}\n".to_owned()),
                _ => (
                    format!("mod m{case} {{\n    impl N {{\n"),
                    "    }\n}\n".to_owned(),
                ),
            };
            let pad = " ".repeat(indent - 4);
            let function = format!(
                "{open}{pad}fn case_{case}() {{\n{}{text}\n{pad}}}\n{close}",
                " ".repeat(indent)
            );
            functions.push((source, function));
        }
        let ours: String = functions
            .iter()
            .map(|(_, f)| f.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let theirs = rustfmt(&ours).expect("rustfmt formats valid Rust");
        if ours == theirs {
            // rustfmt too leaves these as they are; but most statements must be laid out.
            assert!(
                fallbacks < 225,
                "{fallbacks} of 1500 statements were not laid out"
            );
            return;
        }
        let theirs_functions: Vec<&str> = theirs.split("fn case_").collect();
        let ours_functions: Vec<&str> = ours.split("fn case_").collect();
        for ((source, _), (a, b)) in functions.iter().zip(
            ours_functions
                .iter()
                .skip(1)
                .zip(theirs_functions.iter().skip(1)),
        ) {
            assert_eq!(a, b, "layout differs from rustfmt for `{source}`");
        }
        panic!("layout differs from rustfmt");
    }
}
