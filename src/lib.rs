//! tidemark: reviewed, reversible, production-safe migrations for SeaORM, generated from your
//! entities.
//!
//! The pipeline runs one way: [`extract`] (entities -> [`model::Schema`]) -> [`diff`]
//! (snapshot vs entities -> [`diff::Change`]s) -> [`plan`] (per-backend steps) -> [`render`]
//! (sea-query source) -> [`write`] (atomic). [`introspect`] reads a live database into the same
//! model. A workspace runs all of it with [`cli::main`] and a list of its entities.

pub mod backend;
pub mod chain;
pub mod cli;
pub mod conversion;
pub mod diff;
pub mod error;
pub mod extract;
pub mod generate;
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
pub mod squash;
pub mod unmanaged;
pub mod verify;
pub mod workspace;
pub mod write;

pub use error::{Error, Result};
pub use extract::EntitySet;
