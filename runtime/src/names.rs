//! Names that generated migrations, this runtime and the generator's checks (lint, drift,
//! introspection) must agree on, defined once.

use sea_orm_migration::sea_orm::DbBackend;

/// Prefix of the scratch table SQLite's rebuild copies a table's rows into.
pub const REBUILD_PREFIX: &str = "__tidemark_rebuild_";

/// PostgreSQL: the comment that marks a view as tidemark's compatibility view, so that
/// introspection tells it from the application's own views.
pub const VIEW_COMMENT: &str = "tidemark compatibility view";

/// `name` as an identifier of `backend`: back-quoted on MySQL, double-quoted elsewhere, the
/// quote character doubled inside.
///
/// ```
/// use sea_orm_migration::sea_orm::DbBackend;
/// use tidemark_runtime::__private::quote;
///
/// assert_eq!(quote(DbBackend::Postgres, "say \"hi\""), "\"say \"\"hi\"\"\"");
/// assert_eq!(quote(DbBackend::MySql, "order"), "`order`");
/// ```
pub fn quote(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}
