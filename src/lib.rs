//! tidemark: reviewed, reversible, production-safe migrations for SeaORM, generated from your
//! entities.
//!
//! The pipeline runs one way: [`extract`] (entities -> [`model::Schema`]) ->
//! [`diff`](mod@diff) (snapshot vs entities -> [`diff::Change`]s) -> [`plan`](mod@plan)
//! (per-backend steps) -> [`render`] (sea-query source) -> [`write`](mod@write) (atomic).
//! [`introspect`] reads a live database into the same
//! model. A workspace runs all of it with [`cli::main`] and a list of its entities.
//!
//! The names most callers need are re-exported here: the entities ([`EntitySet`]), the
//! workspace ([`Workspace`]), the model ([`Schema`], [`Backend`]), each stage's entry point
//! ([`diff()`], [`plan()`], [`generate()`] with [`GenerateOptions`] and its [`Outcome`]) and
//! the [`Error`] they return. The modules stay public for tools that need more.

pub mod backend;
mod case;
pub mod chain;
pub mod cli;
pub mod conversion;
pub mod diff;
pub mod error;
pub mod extract;
pub mod generate;
pub mod history;
pub mod init;
pub mod integrity;
pub mod introspect;
pub mod lint;
pub mod merge;
pub mod migrator;
pub mod model;
pub mod plan;
pub mod preflight;
pub mod registry;
pub mod render;
pub mod report;
pub mod snapshot;
pub mod source;
pub mod squash;
#[cfg(test)]
mod testing;
pub mod unmanaged;
pub mod verify;
pub mod workspace;
pub mod write;

pub use backend::Backend;
pub use diff::{Change, diff};
pub use error::{Error, Result};
pub use extract::EntitySet;
pub use generate::{GenerateOptions, Outcome, generate};
pub use model::Schema;
pub use plan::{Plan, plan};
pub use workspace::Workspace;
