//! A SQLite table's definition as `sqlite_master` stores it, split into its elements (column
//! definitions and table constraints) so that one element can be replaced, added or removed
//! while every other byte of the definition stays as the database has it.

use sqlparser::dialect::SQLiteDialect;
use sqlparser::tokenizer::{Location, Token, Tokenizer, Whitespace};

/// The parts of `CREATE TABLE name (elements) options`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Definition {
    elements: Vec<Element>,
    /// What follows the closing parenthesis: `WITHOUT ROWID`, `STRICT`, or nothing.
    options: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Element {
    text: String,
    kind: ElementKind,
    ends_in_line_comment: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ElementKind {
    Column(String),
    /// A table constraint, with its name when it has one (`CONSTRAINT name ...`).
    Constraint(Option<String>),
    /// A `FOREIGN KEY` constraint declared without a name.
    UnnamedForeignKey,
}

impl Definition {
    /// Splits a `CREATE TABLE` statement; `Err` says why it cannot.
    pub(crate) fn parse(sql: &str) -> Result<Definition, String> {
        let tokens = Tokenizer::new(&SQLiteDialect {}, sql)
            .with_unescape(false)
            .tokenize_with_location()
            .map_err(|e| format!("cannot read the table's definition: {e}"))?;
        let offsets = Offsets::new(sql);
        let mut depth = 0usize;
        let mut start = None;
        let mut element_tokens: Vec<&Token> = Vec::new();
        let mut elements = Vec::new();
        for token in &tokens {
            match (&token.token, depth) {
                (Token::LParen, 0) => {
                    depth = 1;
                    start = Some(offsets.of(token.span.end));
                    continue;
                }
                (Token::Comma, 1) | (Token::RParen, 1) => {
                    let from = start.ok_or("an element before the opening parenthesis")?;
                    let to = offsets.of(token.span.start);
                    elements.push(Element::new(sql[from..to].trim(), &element_tokens)?);
                    element_tokens.clear();
                    start = Some(offsets.of(token.span.end));
                    if token.token == Token::RParen {
                        let options = sql[offsets.of(token.span.end)..].trim().to_owned();
                        return Ok(Definition { elements, options });
                    }
                    continue;
                }
                (Token::LParen, _) => depth += 1,
                (Token::RParen, _) if depth > 1 => depth -= 1,
                _ => {}
            }
            if depth >= 1 {
                element_tokens.push(&token.token);
            }
        }
        Err("the table's definition has no closing parenthesis".to_owned())
    }

    /// The statement that creates this definition as table `name`.
    pub(crate) fn create_sql(&self, name: &str) -> String {
        let mut sql = format!(
            "CREATE TABLE {} (",
            crate::raw::quote(sea_orm_migration::sea_orm::DbBackend::Sqlite, name)
        );
        for (i, element) in self.elements.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&element.text);
            // A `--` comment runs to the end of its line: what follows goes on the next one.
            if element.ends_in_line_comment {
                sql.push('\n');
            }
        }
        sql.push(')');
        if !self.options.is_empty() {
            sql.push(' ');
            sql.push_str(&self.options);
        }
        sql
    }

    /// Replaces the definition of `column`; `Err` when the table has no such column.
    pub(crate) fn replace_column(&mut self, column: &str, text: String) -> Result<(), String> {
        let element = self
            .elements
            .iter_mut()
            .find(|e| matches!(&e.kind, ElementKind::Column(c) if c.eq_ignore_ascii_case(column)))
            .ok_or_else(|| format!("the table has no column `{column}`"))?;
        element.text = text;
        Ok(())
    }

    /// The definition of `column` as the table has it.
    pub(crate) fn column(&self, column: &str) -> Option<&str> {
        self.elements
            .iter()
            .find(|e| matches!(&e.kind, ElementKind::Column(c) if c.eq_ignore_ascii_case(column)))
            .map(|e| e.text.as_str())
    }

    /// Whether a table constraint is named `name`.
    pub(crate) fn has_constraint(&self, name: &str) -> bool {
        self.elements.iter().any(|e| e.is_constraint(name))
    }

    /// Adds a table constraint after the others.
    pub(crate) fn add_constraint(&mut self, text: String, name: Option<&str>) {
        self.elements.push(Element {
            text,
            kind: ElementKind::Constraint(name.map(str::to_owned)),
            ends_in_line_comment: false,
        });
    }

    /// Removes the table constraint named `name`; `false` when there is none.
    pub(crate) fn remove_constraint(&mut self, name: &str) -> bool {
        let before = self.elements.len();
        self.elements.retain(|e| !e.is_constraint(name));
        self.elements.len() != before
    }

    /// How many foreign keys have no name (SQLite cannot tell them apart by one).
    pub(crate) fn unnamed_foreign_keys(&self) -> usize {
        self.elements
            .iter()
            .filter(|e| e.kind == ElementKind::UnnamedForeignKey)
            .count()
    }

    /// Names the foreign keys declared without a name, in their order, with `names`.
    pub(crate) fn name_foreign_keys<'n>(&mut self, names: impl IntoIterator<Item = &'n str>) {
        let unnamed = self
            .elements
            .iter_mut()
            .filter(|e| e.kind == ElementKind::UnnamedForeignKey);
        for (element, name) in unnamed.zip(names) {
            element.text = format!(
                "CONSTRAINT {} {}",
                crate::raw::quote(sea_orm_migration::sea_orm::DbBackend::Sqlite, name),
                element.text
            );
            element.kind = ElementKind::Constraint(Some(name.to_owned()));
        }
    }
}

impl Element {
    fn new(text: &str, tokens: &[&Token]) -> Result<Element, String> {
        let blank = |t: &Token| {
            matches!(
                t,
                Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
            )
        };
        let ends_in_line_comment =
            tokens.iter().rev().find(|t| !blank(t)).is_some_and(|t| {
                matches!(t, Token::Whitespace(Whitespace::SingleLineComment { .. }))
            });
        let tokens: Vec<&Token> = tokens
            .iter()
            .copied()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect();
        let word = |i: usize| match tokens.get(i) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        };
        let first = word(0).ok_or_else(|| format!("cannot read the element `{text}`"))?;
        let keyword = |w: &str| first.quote_style.is_none() && first.value.eq_ignore_ascii_case(w);
        let kind = if keyword("CONSTRAINT") {
            let name = word(1).ok_or_else(|| format!("a constraint without a name: `{text}`"))?;
            ElementKind::Constraint(Some(unquote(&name.value, name.quote_style)))
        } else if keyword("FOREIGN") {
            ElementKind::UnnamedForeignKey
        } else if ["PRIMARY", "UNIQUE", "CHECK"].iter().any(|k| keyword(k)) {
            ElementKind::Constraint(None)
        } else {
            ElementKind::Column(unquote(&first.value, first.quote_style))
        };
        Ok(Element {
            text: text.to_owned(),
            kind,
            ends_in_line_comment,
        })
    }

    fn is_constraint(&self, name: &str) -> bool {
        matches!(&self.kind, ElementKind::Constraint(Some(n)) if n.eq_ignore_ascii_case(name))
    }
}

/// A quoted name as SQLite reads it: `"a""b"` is `a"b`.
fn unquote(value: &str, quote: Option<char>) -> String {
    match quote {
        Some(q @ ('"' | '`')) => value.replace(&format!("{q}{q}"), &q.to_string()),
        _ => value.to_owned(),
    }
}

/// Byte offsets of the tokenizer's (line, column) locations, which count characters.
struct Offsets<'a> {
    sql: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(sql: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Offsets { sql, line_starts }
    }

    fn of(&self, location: Location) -> usize {
        let line = self.line_starts[(location.line as usize).saturating_sub(1)];
        self.sql[line..]
            .char_indices()
            .nth((location.column as usize).saturating_sub(1))
            .map_or(self.sql.len(), |(i, _)| line + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "CREATE TABLE \"post\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
        \"title\" varchar(100) NOT NULL DEFAULT 'it''s, (odd)', \"author_id\" integer, \
        CONSTRAINT \"fk-post-author\" FOREIGN KEY (\"author_id\") REFERENCES \"user\" (\"id\"), \
        CHECK (length(\"title\") > 0) )";

    #[test]
    fn splits_columns_and_constraints_past_quotes_and_parentheses() {
        let mut definition = Definition::parse(POST).unwrap();
        assert_eq!(
            definition.column("TITLE"),
            Some("\"title\" varchar(100) NOT NULL DEFAULT 'it''s, (odd)'")
        );
        assert!(definition.has_constraint("fk-post-author"));
        assert_eq!(definition.unnamed_foreign_keys(), 0);
        assert!(definition.remove_constraint("fk-post-author"));
        definition
            .replace_column("author_id", "\"author_id\" bigint NOT NULL".to_owned())
            .unwrap();
        assert_eq!(
            definition.create_sql("__scratch"),
            "CREATE TABLE \"__scratch\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
             \"title\" varchar(100) NOT NULL DEFAULT 'it''s, (odd)', \"author_id\" bigint NOT NULL, \
             CHECK (length(\"title\") > 0))"
        );
        assert!(definition.replace_column("missing", String::new()).is_err());
    }

    #[test]
    fn keeps_table_options_comments_and_multibyte_names() {
        let sql = "CREATE TABLE [naïve] (\n  `ключ` TEXT PRIMARY KEY, -- the key, (really)\n  v /* a, b */ INT\n) WITHOUT ROWID";
        let definition = Definition::parse(sql).unwrap();
        assert!(definition.column("ключ").is_some());
        assert_eq!(
            definition.column("v"),
            Some("-- the key, (really)\n  v /* a, b */ INT")
        );
        assert_eq!(
            definition.create_sql("t"),
            "CREATE TABLE \"t\" (`ключ` TEXT PRIMARY KEY, -- the key, (really)\n  v /* a, b */ INT) WITHOUT ROWID"
        );
    }

    #[test]
    fn a_trailing_line_comment_does_not_swallow_the_next_element() {
        let definition = Definition::parse("CREATE TABLE t (a INT -- note\n, b INT)").unwrap();
        assert_eq!(
            definition.create_sql("t"),
            "CREATE TABLE \"t\" (a INT -- note\n, b INT)"
        );
    }

    #[test]
    fn names_the_foreign_keys_create_table_left_unnamed() {
        let mut definition = Definition::parse(
            "CREATE TABLE \"c\" ( \"a\" integer, \"b\" integer, PRIMARY KEY (\"a\"), \
             FOREIGN KEY (\"a\") REFERENCES \"p\" (\"id\"), FOREIGN KEY (\"b\") REFERENCES \"q\" (\"id\") )",
        )
        .unwrap();
        assert_eq!(definition.unnamed_foreign_keys(), 2);
        definition.name_foreign_keys(["fk-a", "fk-b"]);
        assert!(definition.has_constraint("fk-b"));
        assert_eq!(definition.unnamed_foreign_keys(), 0);
        assert!(
            definition
                .create_sql("c")
                .ends_with("CONSTRAINT \"fk-a\" FOREIGN KEY (\"a\") REFERENCES \"p\" (\"id\"), CONSTRAINT \"fk-b\" FOREIGN KEY (\"b\") REFERENCES \"q\" (\"id\"))")
        );
    }

    #[test]
    fn refuses_what_is_not_a_table_definition() {
        assert!(Definition::parse("CREATE TABLE t").is_err());
        assert!(Definition::parse("CREATE TABLE t (a, 'unterminated").is_err());
    }
}
