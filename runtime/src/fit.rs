//! A type change that narrows a column must never change a value silently.
//!
//! Some conversions lose data without an error: PostgreSQL's explicit cast to `varchar(n)`
//! truncates, a `numeric` of smaller scale rounds on every backend (MySQL reports it as a note
//! only), a decimal or float becoming an integer rounds, and MySQL without strict mode truncates
//! strings. A narrowing therefore first asks [`require`] whether every value fits; when one
//! does not, the migration stops before the type changes, naming the rows and the query that
//! lists them.
//!
//! SQLite does not enforce declared types: its table rebuild keeps every value as it was, so
//! nothing is checked there.

use crate::raw::quote;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// What every value of a column must fit before its type narrows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// At most this many characters.
    Chars(u32),
    /// A decimal of this precision and scale: no digit after the point lost to rounding and
    /// none too many before it.
    Decimal {
        /// Digits in all.
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
    /// A whole number between `min` and `max`.
    Integer {
        /// The smallest value that fits.
        min: i64,
        /// The largest value that fits.
        max: i64,
    },
    /// A single-precision float (`real`, MySQL's `FLOAT`): about 7 significant digits. A
    /// value fits when it reads the same after the conversion (`0.1` does, `0.123456789`
    /// becomes `0.12345679` and does not).
    SinglePrecision,
}

impl Fit {
    /// The SQL condition that holds for a value of `column` that does not fit, on `backend`
    /// (`None` on SQLite, which keeps values as they are).
    #[doc(hidden)]
    pub fn violation(&self, backend: DbBackend, column: &str) -> Option<String> {
        self.violation_of(backend, &quote(backend, column))
    }

    /// [`Fit::violation`] for the values of an SQL expression (a conversion's).
    #[doc(hidden)]
    pub fn violation_of(&self, backend: DbBackend, value: &str) -> Option<String> {
        let c = value;
        let length = match backend {
            DbBackend::MySql => "CHAR_LENGTH",
            DbBackend::Postgres => "char_length",
            // SQLite computes decimals as floats: a whole number is one within float noise.
            _ => {
                return match *self {
                    Fit::Integer { min, max } => Some(format!(
                        "(ABS({c} - ROUND({c})) >= 0.000001 OR {c} < {min} OR {c} > {max})"
                    )),
                    _ => None,
                };
            }
        };
        Some(match *self {
            Fit::Chars(n) => format!("{length}({c}) > {n}"),
            Fit::Decimal { precision, scale } => {
                let whole_digits = precision.saturating_sub(scale);
                format!(
                    "({c} <> ROUND({c}, {scale}) OR ABS({c}) >= 1{zeros})",
                    zeros = "0".repeat(whole_digits as usize)
                )
            }
            Fit::Integer { min, max } => {
                format!("({c} <> ROUND({c}) OR {c} < {min} OR {c} > {max})")
            }
            Fit::SinglePrecision => {
                let (single, double, text) = match backend {
                    DbBackend::MySql => ("FLOAT", "DOUBLE", "CHAR"),
                    _ => ("real", "double precision", "text"),
                };
                format!(
                    "CAST(CAST({c} AS {single}) AS {text}) <> CAST(CAST({c} AS {double}) AS {text})"
                )
            }
        })
    }

    /// What the column narrows to, for messages.
    pub fn describe(&self) -> String {
        match *self {
            Fit::Chars(n) => format!("{n} characters"),
            Fit::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            Fit::Integer { min, max } => format!("whole numbers from {min} to {max}"),
            Fit::SinglePrecision => "single precision (about 7 significant digits)".into(),
        }
    }
}

/// Fails, before anything changes, when a value of `table.column` does not fit `fit`.
pub async fn require(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    fit: Fit,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let Some(violation) = fit.violation(backend, column) else {
        return Ok(());
    };
    let what = format!("`{table}.{column}` narrows to {}", fit.describe());
    let list = quote(backend, column);
    refuse_violations(manager, table, &violation, &what, &list).await
}

/// Fails, before anything changes, when a value that `conversion` (an expression over
/// `table.column`, see [`crate::convert`]) makes of a row does not fit `fit`, the column's
/// new type: a conversion must not round or cut the values it computes either.
pub async fn require_converted(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    conversion: &str,
    fit: Fit,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let value = format!(
        "({})",
        crate::convert::substitute(conversion, column, &quote(backend, column))
    );
    let Some(violation) = fit.violation_of(backend, &value) else {
        return Ok(());
    };
    let what = format!(
        "`{table}.{column}` becomes {} through `{conversion}`",
        fit.describe()
    );
    let list = format!("{}, {value}", quote(backend, column));
    refuse_violations(manager, table, &violation, &what, &list).await
}

/// Fails, before anything changes, when a row of `table.column` holds a value not in
/// `values`: an enum that loses values. PostgreSQL's cast to the new type raises on such a row
/// by itself, but MySQL/MariaDB outside strict mode store `''` in its place, silently.
pub async fn require_values(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    values: &[&str],
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend == DbBackend::Sqlite {
        return Ok(());
    }
    let c = quote(backend, column);
    let listed: Vec<String> = values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect();
    let violation = format!("{c} IS NOT NULL AND {c} NOT IN ({})", listed.join(", "));
    let what = format!(
        "`{table}.{column}` keeps only the values {}",
        listed.join(", ")
    );
    refuse_violations(manager, table, &violation, &what, &c).await
}

async fn refuse_violations(
    manager: &SchemaManager<'_>,
    table: &str,
    violation: &str,
    what: &str,
    list: &str,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let t = quote(backend, table);
    let count = format!("SELECT COUNT(*) AS n FROM {t} WHERE {violation}");
    let row = manager
        .get_connection()
        .query_one_raw(Statement::from_string(backend, count))
        .await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    if n == 0 {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "{what}, but {n} value(s) do not fit and would be changed: \
         nothing was converted. Fix or widen those values first, or keep the wider type.\n  \
         list them: SELECT {list} FROM {t} WHERE {violation}\n  \
         see docs/locks.md#narrowing"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_per_backend() {
        assert_eq!(
            Fit::Chars(100).violation(DbBackend::Postgres, "name"),
            Some("char_length(\"name\") > 100".to_owned())
        );
        assert_eq!(
            Fit::Decimal {
                precision: 10,
                scale: 2
            }
            .violation(DbBackend::MySql, "price"),
            Some("(`price` <> ROUND(`price`, 2) OR ABS(`price`) >= 100000000)".to_owned())
        );
        assert_eq!(Fit::Chars(1).violation(DbBackend::Sqlite, "c"), None);
    }
}
