//! Checks a conversion expression (`--convert TABLE.COLUMN=SQL`) before anything is written.
//!
//! The expression runs in an `ALTER ... USING`, an `UPDATE`, SQLite's rebuild and a trigger
//! (`tidemark_runtime::convert`), on every backend. A trigger has the row being written and
//! nothing else, so the expression may name the converted column and no other; a typo or a
//! stray column would otherwise surface as a failed trigger on the first write after deploy.

use sqlparser::ast::{Expr, Visit, Visitor};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use std::ops::ControlFlow;

/// `Ok` when `expr` parses as one SQL expression that names no column but `column`; otherwise
/// the reason, for the user.
pub fn check(expr: &str, column: &str) -> Result<(), String> {
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(expr)
        .map_err(|e| format!("not an SQL expression: {e}"))?;
    let parsed = parser
        .parse_expr()
        .map_err(|e| format!("not an SQL expression: {e}"))?;
    if parser.peek_token().token != sqlparser::tokenizer::Token::EOF {
        return Err(format!(
            "not one SQL expression: `{}` follows it",
            parser.peek_token().token
        ));
    }
    let mut names = Names {
        column,
        problem: None,
    };
    let _ = parsed.visit(&mut names);
    match names.problem {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

struct Names<'a> {
    column: &'a str,
    problem: Option<String>,
}

impl Visitor for Names<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        let problem = match expr {
            Expr::Identifier(ident) => {
                let same = match ident.quote_style {
                    Some(_) => ident.value == self.column,
                    None => ident.value.eq_ignore_ascii_case(self.column),
                };
                (!same).then(|| {
                    format!(
                        "it names `{}`, but a conversion may name only the column it converts \
                         (`{}`): the trigger that converts new writes sees nothing else",
                        ident.value, self.column
                    )
                })
            }
            Expr::CompoundIdentifier(parts) => Some(format!(
                "it names `{}`; name the column it converts as `{}`, without a table",
                parts
                    .iter()
                    .map(|p| p.value.as_str())
                    .collect::<Vec<_>>()
                    .join("."),
                self.column
            )),
            Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => Some(
                "it holds a subquery; a conversion computes a value from the column alone".into(),
            ),
            _ => None,
        };
        match problem {
            Some(problem) => {
                self.problem = Some(problem);
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_expressions_over_the_column() {
        for expr in [
            "price_cents * 100",
            "CAST(ROUND(price_cents * 100) AS integer)",
            "\"price_cents\" / 100.0",
            "`price_cents` / 100.0",
            "price_cents::integer * 100",
            "CASE WHEN price_cents IS NULL THEN 0 ELSE price_cents * 100 END",
            "lower(price_cents)",
        ] {
            assert_eq!(check(expr, "price_cents"), Ok(()), "{expr}");
        }
    }

    #[test]
    fn refuses_other_columns_and_broken_sql() {
        for (expr, reason) in [
            ("price * 100", "names `price`"),
            ("products.price_cents * 100", "without a table"),
            ("price_cents * ", "not an SQL expression"),
            ("price_cents; DROP TABLE x", "not one SQL expression"),
            ("(SELECT 1)", "subquery"),
        ] {
            let got = check(expr, "price_cents").unwrap_err();
            assert!(got.contains(reason), "{expr}: {got}");
        }
    }
}
