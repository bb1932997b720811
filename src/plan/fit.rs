//! Which type changes can change a value, and what every value must fit first (see
//! `tidemark_runtime::fit`). SQLite keeps values as they are, so only PostgreSQL and
//! MySQL/MariaDB are asked.

use crate::backend::Backend;
use crate::model::ColumnType;
pub use tidemark_runtime::Fit;

/// What the values of a column typed `from` must fit to become `to` on `backend` without a
/// value changing; `None` when every value converts as it is (or the conversion itself raises
/// on a value that does not fit, as a text to integer cast does).
pub fn fit_for(from: &ColumnType, to: &ColumnType, backend: Backend) -> Option<Fit> {
    if backend == Backend::Sqlite || from == to {
        return None;
    }
    if let (Some(old), Some(new)) = (char_limit(from, backend), char_limit(to, backend)) {
        return match (old, new) {
            (_, None) => None,
            (Some(old), Some(new)) if old <= new => None,
            (_, Some(new)) => Some(Fit::Chars(new)),
        };
    }
    if !is_number(from) || !from.narrows_to(to) {
        return None;
    }
    match to {
        ColumnType::Decimal(Some((precision, scale))) => Some(Fit::Decimal {
            precision: *precision,
            scale: *scale,
        }),
        ColumnType::Float => Some(Fit::SinglePrecision),
        integer => integer_range(integer, backend).map(|(min, max)| Fit::Integer { min, max }),
    }
}

/// What any value must fit to be stored as `to` on `backend` unchanged (a conversion's values,
/// which can come from anywhere); `None` when `to` takes every value its conversion could give
/// without changing it, or raises on one it cannot take.
pub fn fit_into(to: &ColumnType, backend: Backend) -> Option<Fit> {
    // SQLite keeps whatever it is given; only an integer column is checked, since SQLite
    // computes decimals as floats and the conversion into it is rounded (see `plan`).
    if backend == Backend::Sqlite {
        return integer_range(to, backend).map(|(min, max)| Fit::Integer { min, max });
    }
    match to {
        ColumnType::Decimal(Some((precision, scale))) => Some(Fit::Decimal {
            precision: *precision,
            scale: *scale,
        }),
        ColumnType::Float => Some(Fit::SinglePrecision),
        ty => match char_limit(ty, backend) {
            Some(Some(n)) => Some(Fit::Chars(n)),
            Some(None) => None,
            None => integer_range(ty, backend).map(|(min, max)| Fit::Integer { min, max }),
        },
    }
}

/// The most characters a string type holds on `backend` (`Some(None)`: unbounded); `None`
/// for a type that is not a string.
fn char_limit(ty: &ColumnType, backend: Backend) -> Option<Option<u32>> {
    match ty {
        ColumnType::String(Some(n)) | ColumnType::Char(Some(n)) => Some(Some(*n)),
        ColumnType::Char(None) => Some(Some(1)),
        // sea-query writes `varchar(255)` on MySQL, `varchar` (unbounded) on PostgreSQL.
        ColumnType::String(None) if backend == Backend::Mysql => Some(Some(255)),
        ColumnType::String(None) | ColumnType::Text => Some(None),
        _ => None,
    }
}

fn is_number(ty: &ColumnType) -> bool {
    ty.is_integer()
        || matches!(
            ty,
            ColumnType::Decimal(_) | ColumnType::Float | ColumnType::Double
        )
}

fn integer_range(ty: &ColumnType, backend: Backend) -> Option<(i64, i64)> {
    Some(match ty {
        // PostgreSQL has no one-byte integer: sea-query writes smallint.
        ColumnType::TinyInteger if backend == Backend::Postgres => (-32_768, 32_767),
        ColumnType::TinyInteger => (-128, 127),
        ColumnType::SmallInteger => (-32_768, 32_767),
        ColumnType::Integer => (i32::MIN.into(), i32::MAX.into()),
        ColumnType::BigInteger => (i64::MIN, i64::MAX),
        ColumnType::TinyUnsigned => (0, 255),
        ColumnType::SmallUnsigned => (0, 65_535),
        ColumnType::Unsigned => (0, u32::MAX.into()),
        ColumnType::BigUnsigned => (0, i64::MAX),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnType::*;

    #[test]
    fn what_must_fit() {
        let pg = Backend::Postgres;
        assert_eq!(
            fit_for(&String(Some(255)), &String(Some(100)), pg),
            Some(Fit::Chars(100))
        );
        assert_eq!(
            fit_for(&Text, &String(Some(100)), pg),
            Some(Fit::Chars(100))
        );
        assert_eq!(fit_for(&String(Some(100)), &String(Some(255)), pg), None);
        assert_eq!(fit_for(&String(Some(100)), &Text, pg), None);
        assert_eq!(fit_for(&Text, &String(None), pg), None);
        assert_eq!(
            fit_for(&Text, &String(None), Backend::Mysql),
            Some(Fit::Chars(255))
        );
        assert_eq!(
            fit_for(&Decimal(Some((12, 4))), &Decimal(Some((12, 2))), pg),
            Some(Fit::Decimal {
                precision: 12,
                scale: 2
            })
        );
        assert_eq!(
            fit_for(&Decimal(Some((10, 2))), &Decimal(Some((12, 2))), pg),
            None
        );
        assert_eq!(
            fit_for(&Decimal(Some((10, 2))), &Integer, pg),
            Some(Fit::Integer {
                min: i32::MIN.into(),
                max: i32::MAX.into()
            })
        );
        assert_eq!(
            fit_for(&BigInteger, &Integer, Backend::Mysql),
            Some(Fit::Integer {
                min: i32::MIN.into(),
                max: i32::MAX.into()
            })
        );
        assert_eq!(fit_for(&Integer, &BigInteger, pg), None);
        assert_eq!(
            fit_for(&String(Some(255)), &String(Some(100)), Backend::Sqlite),
            None
        );
    }
}
