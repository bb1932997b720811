//! Just enough reading of SQL statements for the lint rules: keywords found outside quoted
//! names and string literals, and the names after them.

/// A statement split into words: keywords upper-cased, quoted names and literals kept whole.
#[derive(Clone, Debug)]
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
    pub(super) fn new(sql: &str) -> Words {
        let mut words = Vec::new();
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' | '`' => {
                    let mut name = String::new();
                    while let Some(n) = chars.next() {
                        if n == c {
                            if chars.peek() == Some(&c) {
                                chars.next();
                                name.push(c);
                                continue;
                            }
                            break;
                        }
                        name.push(n);
                    }
                    words.push(Word::Name(name));
                }
                '\'' => {
                    while let Some(n) = chars.next() {
                        if n == '\'' {
                            if chars.peek() == Some(&'\'') {
                                chars.next();
                                continue;
                            }
                            break;
                        }
                    }
                    words.push(Word::Literal);
                }
                c if c.is_alphanumeric() || c == '_' => {
                    let mut word = c.to_string();
                    while let Some(&n) = chars.peek() {
                        if n.is_alphanumeric() || n == '_' || n == '$' {
                            word.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    words.push(Word::Keyword(word.to_ascii_uppercase()));
                }
                c if c.is_whitespace() => {}
                c => words.push(Word::Symbol(c)),
            }
        }
        Words { words }
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
        let w = Words::new(r#"ALTER TABLE "user" ALTER COLUMN "full ""name""" SET NOT NULL"#);
        assert_eq!(w.table().as_deref(), Some("user"));
        assert_eq!(
            w.column_after(&["ALTER", "COLUMN"]).as_deref(),
            Some("full \"name\"")
        );
        let w = Words::new("CREATE UNIQUE INDEX IF NOT EXISTS `ix` ON `order` (`a`)");
        assert_eq!(w.table().as_deref(), Some("order"));
    }

    #[test]
    fn literals_hide_their_keywords() {
        let w = Words::new("UPDATE t SET note = 'WHERE id < 5'");
        assert!(!w.is_bounded());
        let w = Words::new(r#"UPDATE "t" SET "c" = 1 WHERE "id" >= 1 AND "id" < 1001"#);
        assert!(w.is_bounded());
    }
}
