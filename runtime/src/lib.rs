//! Runtime support for migrations written by tidemark, or by hand in the same style.
//!
//! A migration lists its schema changes as [`Change`]s and runs them with [`Online`], which
//! gives each the form its backend needs on a table that holds rows and is being written to:
//! concurrent index builds and `NOT VALID` foreign keys validated apart on PostgreSQL, online
//! `ALTER TABLE` on MySQL/MariaDB, table rebuilds where SQLite cannot alter in place, batched
//! backfills, and a short lock timeout with retries for everything else ([`LockPolicy`]). A
//! migration that failed halfway carries on where it stopped when run again.
//!
//! ```no_run
//! use sea_orm_migration::prelude::*;
//! use tidemark_runtime::{Change, Online};
//!
//! #[derive(DeriveMigrationName)]
//! pub struct Migration;
//!
//! #[async_trait::async_trait]
//! impl MigrationTrait for Migration {
//!     // PostgreSQL builds an index concurrently only outside a transaction.
//!     fn use_transaction(&self) -> Option<bool> {
//!         Some(false)
//!     }
//!
//!     async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
//!         Online::new(manager)
//!             .run([Change::create_index(
//!                 Index::create().name("idx-post-title").table(Post::Table).col(Post::Title),
//!             )])
//!             .await
//!     }
//!
//!     async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
//!         Online::new(manager)
//!             .run([Change::drop_index(Post::Table, "idx-post-title")])
//!             .await
//!     }
//! }
//!
//! #[derive(DeriveIden)]
//! enum Post {
//!     Table,
//!     Title,
//! }
//! ```
//!
//! The migration crate's `main` hands its `Migrator` to [`run_cli`] (`up`, `down -n N`,
//! `status`, ...), or a service applies pending migrations at start with [`migrate`].
//!
//! The migration crate never pulls in the generator's build-time dependencies (syn, quote,
//! prettyplease). Each database driver is a feature (`postgres`, `mysql`, `sqlite`, all on by
//! default), and so is TLS to a server (`rustls` by default, or `native-tls`): an application
//! on one backend turns the others off.

#![warn(missing_docs)]

mod change;
mod message;
mod progress;
mod raw;

// Hidden, not API: the modules behind `Online`. Migrations written by earlier tidemark
// versions call into them by path (`tidemark_runtime::postgres::create_index_concurrently`,
// `tidemark_runtime::resume::needed`, ...), and those files must keep compiling; new code
// uses the items below.
#[doc(hidden)]
pub mod adopt;
#[doc(hidden)]
pub mod backfill;
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod convert;
#[doc(hidden)]
pub mod fit;
#[doc(hidden)]
pub mod history;
#[doc(hidden)]
pub mod lock;
#[doc(hidden)]
pub mod migrator_lock;
#[doc(hidden)]
pub mod mysql;
#[doc(hidden)]
pub mod names;
#[doc(hidden)]
pub mod online;
#[doc(hidden)]
pub mod postgres;
#[doc(hidden)]
pub mod preview;
#[doc(hidden)]
pub mod references;
#[doc(hidden)]
pub mod resume;
#[doc(hidden)]
pub mod shadow;
#[doc(hidden)]
pub mod sqlite;
#[doc(hidden)]
pub mod squash;
#[doc(hidden)]
pub mod view;

pub use change::{Change, When};
pub use cli::{DEFAULT_DATABASE_URL, connect, migrate, run_cli};
pub use fit::Fit;
#[doc(hidden)]
pub use lock::atomic_where_possible;
pub use lock::{LockPolicy, Unit, locked, locked_with};
pub use online::Online;
pub use postgres::use_schema;

/// Not part of the API: the names the tidemark generator shares with the runtime (both
/// sides must agree on them). It changes with any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::convert::substitute;
    pub use crate::history::TABLE as HISTORY_TABLE;
    pub use crate::message::{describe as describe_db_error, redact_url, scrub as scrub_password};
    pub use crate::names::{REBUILD_PREFIX, VIEW_COMMENT, quote};
}
