//! How database URLs and database errors are shown to people: never with a password, and
//! with the server's own words rather than the driver's wrapping.

use sea_orm_migration::sea_orm::{DbErr, RuntimeErr, sqlx};

/// `url` with its password replaced by `***`, for messages and logs
/// (`postgres://app:s3cret@db/app` becomes `postgres://app:***@db/app`). A string that is not a
/// URL is returned as it is, but for anything between `:` and `@` in what looks like its
/// authority.
///
/// ```
/// assert_eq!(
///     tidemark_runtime::__private::redact_url("mysql://root:pw@127.0.0.1:3306/app"),
///     "mysql://root:***@127.0.0.1:3306/app"
/// );
/// assert_eq!(tidemark_runtime::__private::redact_url("sqlite://app.db"), "sqlite://app.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some(password) = password_of(url) else {
        return url.to_owned();
    };
    url.replacen(&format!(":{password}@"), ":***@", 1)
}

/// The password a URL carries, if any: what lies between the user's `:` and the last `@` of
/// the authority (a password may itself hold `@` when it is not percent-encoded).
fn password_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

/// `text` with the password of `url` (if any) replaced by `***`: driver messages sometimes
/// repeat the URL they were given.
pub fn scrub(text: &str, url: &str) -> String {
    match password_of(url) {
        Some(password) => text.replace(password, "***"),
        None => text.to_owned(),
    }
}

/// Whether a connection failed because the URL itself is wrong (unparseable, an unknown
/// scheme, a bad option) rather than because the server could not be reached.
pub fn is_bad_url(err: &DbErr) -> bool {
    match err {
        DbErr::Conn(RuntimeErr::Internal(_)) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), sqlx::Error::Configuration(_))
        }
        _ => false,
    }
}

/// A database error as a person reads it: the server's message with its detail and hint
/// (PostgreSQL names the offending key there), without the driver's prefixes and without the
/// line of the server's C source that the PostgreSQL driver appends (`at line 1392`).
pub fn describe(err: &DbErr) -> String {
    if let DbErr::Migration(text) | DbErr::Custom(text) = err {
        return text.clone();
    }
    let sqlx_error = match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    };
    if let Some(sqlx::Error::PoolTimedOut) = sqlx_error {
        return "no connection before the timeout: nothing answers at that host and port, or \
                the server refused every attempt (is it running, and is the address right?)"
            .to_owned();
    }
    let Some(sqlx::Error::Database(database)) = sqlx_error else {
        return err.to_string();
    };
    let mut text = database.message().to_owned();
    if let Some(code) = database.code() {
        text = format!("{text} (SQLSTATE/code {code})");
    }
    #[cfg(feature = "postgres")]
    if let Some(pg) = database.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        if let Some(detail) = pg.detail() {
            text.push_str(&format!("\n  detail: {detail}"));
        }
        if let Some(hint) = pg.hint() {
            text.push_str(&format!("\n  hint: {hint}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@127.0.0.1:5432/app",
                "postgres://app:***@127.0.0.1:5432/app",
            ),
            (
                "postgres://app:p@ss@127.0.0.1/app?sslmode=disable",
                "postgres://app:***@127.0.0.1/app?sslmode=disable",
            ),
            (
                "mysql://root@127.0.0.1:3306/mysql",
                "mysql://root@127.0.0.1:3306/mysql",
            ),
            (
                "sqlite://tidemark.sqlite?mode=rwc",
                "sqlite://tidemark.sqlite?mode=rwc",
            ),
            ("postgres://:pw@host/db", "postgres://:***@host/db"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("s3cret"));
        }
        assert_eq!(
            scrub(
                "no driver for postgres://a:hunter2@h/db",
                "postgres://a:hunter2@h/db"
            ),
            "no driver for postgres://a:***@h/db"
        );
    }
}
