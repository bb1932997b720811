//! Conversion expressions: how a column's values become those of its new type when a plain
//! cast would change them (`price decimal` -> `price_cents integer` holds `price * 100`).
//!
//! An expression names the converted column, and only that column, by the column's name after
//! the migration. Where it runs decides what that name must read: the column itself in an
//! `UPDATE` or `ALTER ... USING`, `NEW.column` in a trigger, the shadow column in a `down`
//! that refills the old column from it. [`substitute`] makes that replacement; it knows just
//! enough of SQL's lexical rules (string literals, quoted identifiers, comments) never to
//! touch a word that is not the column.

/// `expr` with every bare or quoted reference to `column` replaced by `replacement`.
///
/// ```
/// use tidemark_runtime::__private::substitute;
/// assert_eq!(
///     substitute("price_cents * 100 || 'price_cents'", "price_cents", "NEW.\"price\""),
///     "NEW.\"price\" * 100 || 'price_cents'"
/// );
/// ```
pub fn substitute(expr: &str, column: &str, replacement: &str) -> String {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = String::with_capacity(expr.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' => i = copy_quoted(&chars, i, '\'', &mut out),
            '"' | '`' => {
                let end = closing(&chars, i, c);
                let name: String = chars[i + 1..end.saturating_sub(1).max(i + 1)]
                    .iter()
                    .collect::<String>()
                    .replace(&format!("{c}{c}"), &c.to_string());
                let follows_dot = previous_significant(&out) == Some('.');
                if name == column && !follows_dot && end > i + 1 {
                    out.push_str(replacement);
                } else {
                    out.extend(&chars[i..end]);
                }
                i = end;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(chars.len(), |p| i + p);
                out.extend(&chars[i..end]);
                i = end;
            }
            c if c.is_alphabetic() || c == '_' => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .map_or(chars.len(), |p| i + p);
                let word: String = chars[i..end].iter().collect();
                let follows_dot = previous_significant(&out) == Some('.');
                if word.eq_ignore_ascii_case(column) && !follows_dot {
                    out.push_str(replacement);
                } else {
                    out.push_str(&word);
                }
                i = end;
            }
            c if c.is_ascii_digit() => {
                // A number's letters (`1e5`) are not a word.
                let end = chars[i..]
                    .iter()
                    .position(|&c| !(c.is_alphanumeric() || c == '.' || c == '_'))
                    .map_or(chars.len(), |p| i + p);
                out.extend(&chars[i..end]);
                i = end;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Copies the literal opened by `quote` at `start` (doubled quotes stay inside) and returns
/// the index after it.
fn copy_quoted(chars: &[char], start: usize, quote: char, out: &mut String) -> usize {
    let end = closing(chars, start, quote);
    out.extend(&chars[start..end]);
    end
}

/// The index after the quote closing the one at `start` (the end, when it is never closed).
fn closing(chars: &[char], start: usize, quote: char) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

fn previous_significant(out: &str) -> Option<char> {
    out.chars().rev().find(|c| !c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::substitute;

    #[test]
    fn replaces_the_column_and_nothing_else() {
        let cases = [
            ("price * 100", "\"p\" * 100"),
            ("\"price\" * 100", "\"p\" * 100"),
            ("CAST(price AS integer)", "CAST(\"p\" AS integer)"),
            ("round(price * 100)::integer", "round(\"p\" * 100)::integer"),
            ("'price' || price", "'price' || \"p\""),
            ("'it''s price' || price", "'it''s price' || \"p\""),
            ("price_cents + price", "price_cents + \"p\""),
            ("t.price + price", "t.price + \"p\""),
            ("\"Price\" + PRICE", "\"Price\" + \"p\""),
            ("price -- price\n+ 1", "\"p\" -- price\n+ 1"),
            ("1e5 * price", "1e5 * \"p\""),
        ];
        for (expr, expected) in cases {
            assert_eq!(substitute(expr, "price", "\"p\""), expected, "{expr}");
        }
    }
}
