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
//! It depends on `sea-orm-migration` only, so the migration crate never pulls in the
//! generator's build-time dependencies. Each database driver is a feature (`postgres`,
//! `mysql`, `sqlite`, all on by default): an application on one backend turns the others off.

#![warn(missing_docs)]

mod adopt;
mod backfill;
mod change;
mod cli;
mod convert;
mod fit;
mod history;
mod lock;
mod message;
mod migrator_lock;
mod mysql;
mod names;
mod online;
mod postgres;
mod preview;
mod raw;
mod references;
mod resume;
mod shadow;
mod sqlite;
mod squash;
mod view;

pub use change::{Change, When};
pub use cli::{DEFAULT_DATABASE_URL, connect, migrate, run_cli};
pub use fit::Fit;
pub use lock::{LockPolicy, Unit, atomic_where_possible, locked, locked_with};
pub use online::Online;
pub use postgres::use_schema;

/// Not part of the API: what the tidemark generator and this crate's own tests share with the
/// runtime (names both sides must agree on, internals under test). It changes with any
/// release; migrations use the items above.
#[doc(hidden)]
pub mod __private {
    pub use crate::convert::substitute;
    pub use crate::history::TABLE as HISTORY_TABLE;
    pub use crate::lock::retries;
    pub use crate::message::{describe as describe_db_error, redact_url, scrub as scrub_password};
    pub use crate::names::{REBUILD_PREFIX, VIEW_COMMENT, quote};

    /// Batched backfills.
    pub mod backfill {
        pub use crate::backfill::{Backfill, Batches, run, run_with};
    }
    /// MySQL/MariaDB's online `ALTER TABLE`.
    pub mod mysql {
        pub use crate::mysql::online;
    }
    /// PostgreSQL's online forms.
    pub mod postgres {
        pub use crate::postgres::{
            add_foreign_key_not_valid, create_index_concurrently, drop_index_concurrently,
            set_not_null, validate_constraint,
        };
    }
    /// Resume guards.
    pub mod resume {
        pub use crate::resume::{Leaves, needed};
    }
}
