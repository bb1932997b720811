//! Runtime support for migrations written by tidemark.
//!
//! Generated migrations and the migration crate's `main.rs` call into this crate; it depends
//! on `sea-orm-migration` only, so the migration crate never pulls in the generator's
//! build-time dependencies (syn, quote, prettyplease, clap of the generator).

#![warn(missing_docs)]

pub mod adopt;
pub mod backfill;
mod change;
pub mod cli;
pub mod convert;
pub mod fit;
pub mod history;
pub mod lock;
mod message;
pub mod migrator_lock;
pub mod mysql;
pub mod names;
pub mod online;
pub mod postgres;
pub mod preview;
mod raw;
pub mod references;
pub mod resume;
pub mod shadow;
pub mod sqlite;
pub mod squash;
pub mod view;

pub use change::{Change, When};
pub use cli::{DEFAULT_DATABASE_URL, connect, migrate, run_cli};
pub use fit::Fit;
pub use lock::{LockPolicy, atomic_where_possible, locked, locked_with};
pub use message::{describe as describe_db_error, redact_url, scrub as scrub_password};
pub use online::Online;
