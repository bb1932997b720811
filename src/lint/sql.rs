//! Just enough reading of SQL statements for the lint rules: keywords found outside quoted
//! names, string literals and comments, and the names after them. sqlparser's tokenizer reads
//! each backend's dialect (comments, PostgreSQL's dollar quoting and `E''` strings, MySQL's
//! back-quoted names).

use crate::backend::Backend;
use sqlparser::dialect::{Dialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Token, Tokenizer};

/// A statement split into words: keywords upper-cased, quoted names and literals kept whole.
#[derive(Clone, Debug, Default)]
pub(super) struct Words {
    words: Vec<Word>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Word {
    Keyword(String),
    /// A name, unquoted.
    Name(String),
    Literal,
    Symbol(char),
}

impl Words {
    /// The words of `sql` as `backend` reads it; the tokenizer's complaint when it cannot.
    pub(super) fn new(sql: &str, backend: Backend) -> Result<Words, String> {
        let dialect: &dyn Dialect = match backend {
            Backend::Postgres => &PostgreSqlDialect {},
            Backend::Mysql => &MySqlDialect {},
            Backend::Sqlite => &SQLiteDialect {},
        };
        let tokens = Tokenizer::new(dialect, sql)
            .tokenize()
            .map_err(|e| e.to_string())?;
        let words = tokens
            .into_iter()
            .filter_map(|token| {
                Some(match token {
                    Token::Whitespace(_) | Token::EOF => return None,
                    Token::Word(w) if w.quote_style.is_some() => Word::Name(w.value),
                    Token::Word(w) => Word::Keyword(w.value.to_ascii_uppercase()),
                    Token::Number(n, _) => Word::Keyword(n),
                    Token::Placeholder(p) => Word::Keyword(p),
                    Token::Lt | Token::LtEq => Word::Symbol('<'),
                    Token::Gt | Token::GtEq => Word::Symbol('>'),
                    Token::LParen => Word::Symbol('('),
                    Token::RParen => Word::Symbol(')'),
                    Token::Char(c) => Word::Symbol(c),
                    Token::SingleQuotedString(_)
                    | Token::DoubleQuotedString(_)
                    | Token::TripleSingleQuotedString(_)
                    | Token::TripleDoubleQuotedString(_)
                    | Token::DollarQuotedString(_)
                    | Token::SingleQuotedByteStringLiteral(_)
                    | Token::DoubleQuotedByteStringLiteral(_)
                    | Token::TripleSingleQuotedByteStringLiteral(_)
                    | Token::TripleDoubleQuotedByteStringLiteral(_)
                    | Token::SingleQuotedRawStringLiteral(_)
                    | Token::DoubleQuotedRawStringLiteral(_)
                    | Token::TripleSingleQuotedRawStringLiteral(_)
                    | Token::TripleDoubleQuotedRawStringLiteral(_)
                    | Token::NationalStringLiteral(_)
                    | Token::EscapedStringLiteral(_)
                    | Token::UnicodeStringLiteral(_)
                    | Token::HexStringLiteral(_) => Word::Literal,
                    other => Word::Symbol(other.to_string().chars().next().unwrap_or(' ')),
                })
            })
            .collect();
        Ok(Words { words })
    }

    fn keyword_at(&self, i: usize) -> Option<&str> {
        match self.words.get(i)? {
            Word::Keyword(k) => Some(k),
            _ => None,
        }
    }

    /// Whether the statement starts with these keywords.
    pub(super) fn starts(&self, keywords: &[&str]) -> bool {
        keywords
            .iter()
            .enumerate()
            .all(|(i, k)| self.keyword_at(i) == Some(k))
    }

    /// Where the keywords appear in a row, if they do.
    pub(super) fn find(&self, keywords: &[&str]) -> Option<usize> {
        (0..self.words.len()).find(|&start| {
            keywords
                .iter()
                .enumerate()
                .all(|(i, k)| self.keyword_at(start + i) == Some(k))
        })
    }

    pub(super) fn has(&self, keywords: &[&str]) -> bool {
        self.find(keywords).is_some()
    }

    /// The name right after position `i`, skipping `IF [NOT] EXISTS` and `ONLY`.
    pub(super) fn name_after(&self, mut i: usize) -> Option<String> {
        loop {
            match self.words.get(i)? {
                Word::Keyword(k) if matches!(k.as_str(), "IF" | "NOT" | "EXISTS" | "ONLY") => {
                    i += 1
                }
                Word::Keyword(k) => return Some(k.to_ascii_lowercase()),
                Word::Name(n) => return Some(n.clone()),
                _ => return None,
            }
        }
    }

    /// The table an `ALTER TABLE`, `DROP TABLE`, `UPDATE` or `CREATE INDEX ... ON` statement
    /// works on.
    pub(super) fn table(&self) -> Option<String> {
        if self.starts(&["ALTER", "TABLE"]) || self.starts(&["DROP", "TABLE"]) {
            return self.name_after(2);
        }
        if self.starts(&["UPDATE"]) {
            return self.name_after(1);
        }
        if self.starts(&["CREATE"]) && self.has(&["INDEX"]) {
            let on = self.find(&["ON"])?;
            return self.name_after(on + 1);
        }
        None
    }

    /// The table a `CREATE TABLE` creates.
    pub(super) fn created_table(&self) -> Option<String> {
        if self.starts(&["CREATE", "TABLE"]) {
            return self.name_after(2);
        }
        None
    }

    /// The column named after `ALTER COLUMN` / `MODIFY COLUMN` (or `ADD COLUMN`).
    pub(super) fn column_after(&self, keywords: &[&str]) -> Option<String> {
        let at = self.find(keywords)?;
        self.name_after(at + keywords.len())
    }

    /// The names inside `CHECK ( ... IS NOT NULL )`, if the statement adds such a check.
    pub(super) fn not_null_check_column(&self) -> Option<String> {
        let at = self.find(&["CHECK"])?;
        let name = match (self.words.get(at + 1)?, self.words.get(at + 2)?) {
            (Word::Symbol('('), Word::Name(n)) => n.clone(),
            (Word::Symbol('('), Word::Keyword(k)) => k.to_ascii_lowercase(),
            _ => return None,
        };
        let rest: Vec<&str> = (at + 3..at + 6)
            .filter_map(|i| self.keyword_at(i))
            .collect();
        (rest == ["IS", "NOT", "NULL"]).then_some(name)
    }

    /// Whether a `WHERE` clause bounds the statement to a batch: a key range, `LIMIT`, or a
    /// row set chosen by `ctid`/`rowid`.
    pub(super) fn is_bounded(&self) -> bool {
        let Some(at) = self.find(&["WHERE"]) else {
            return false;
        };
        self.has(&["LIMIT"])
            || self.has(&["CTID", "IN"])
            || self.has(&["ROWID", "IN"])
            || self.words[at..]
                .windows(2)
                .any(|w| matches!(w, [Word::Symbol('<'), _] | [Word::Symbol('>'), _]))
            || self.has(&["BETWEEN"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_unquoted() {
        let w = Words::new(
            r#"ALTER TABLE "user" ALTER COLUMN "full ""name""" SET NOT NULL"#,
            Backend::Postgres,
        )
        .unwrap();
        assert_eq!(w.table().as_deref(), Some("user"));
        assert_eq!(
            w.column_after(&["ALTER", "COLUMN"]).as_deref(),
            Some("full \"name\"")
        );
        let w = Words::new(
            "CREATE UNIQUE INDEX IF NOT EXISTS `ix` ON `order` (`a`)",
            Backend::Mysql,
        )
        .unwrap();
        assert_eq!(w.table().as_deref(), Some("order"));
    }

    #[test]
    fn literals_hide_their_keywords() {
        let w = Words::new("UPDATE t SET note = 'WHERE id < 5'", Backend::Sqlite).unwrap();
        assert!(!w.is_bounded());
        let w = Words::new(
            r#"UPDATE "t" SET "c" = 1 WHERE "id" >= 1 AND "id" < 1001"#,
            Backend::Postgres,
        )
        .unwrap();
        assert!(w.is_bounded());
    }

    #[test]
    fn comments_dollar_quotes_and_escaped_strings_hide_their_keywords() {
        // A comment naming another statement is not that statement.
        let w = Words::new(
            "/* ALTER TABLE \"x\" */ UPDATE \"t\" SET \"c\" = 1 -- WHERE \"id\" < 5",
            Backend::Postgres,
        )
        .unwrap();
        assert_eq!(w.table().as_deref(), Some("t"));
        assert!(!w.is_bounded());
        let w = Words::new(
            "UPDATE \"t\" SET \"c\" = $body$ WHERE id < 5 $body$",
            Backend::Postgres,
        )
        .unwrap();
        assert!(!w.is_bounded());
        let w = Words::new(r"UPDATE t SET c = E'it\'s WHERE id < 5'", Backend::Postgres).unwrap();
        assert!(!w.is_bounded());
        let w = Words::new("# a comment\nDROP TABLE `t`", Backend::Mysql).unwrap();
        assert!(w.starts(&["DROP", "TABLE"]));
    }

    #[test]
    fn an_unreadable_statement_says_why() {
        let err = Words::new("UPDATE t SET c = 'never closed", Backend::Sqlite).unwrap_err();
        assert!(err.contains("Unterminated"), "{err}");
    }
}
