//! A small project tracker: the sample application whose migrations tidemark generates.
//!
//! It exercises what real SeaORM schemas use: auto-increment and composite primary keys,
//! strings with and without a length, nullable fields, unique and indexed columns, composite
//! unique keys, defaults, Decimal with precision, Json, Uuid, timestamps with time zone,
//! booleans, a Postgres-native enum and a string-stored enum, `belongs_to` relations with
//! `ON DELETE` actions, and a self-referencing foreign key.

pub mod audit_event;
pub mod organization;
pub mod project;
pub mod tag;
pub mod task;
pub mod task_tag;
pub mod user;

pub mod prelude {
    pub use super::audit_event::Entity as AuditEvent;
    pub use super::organization::Entity as Organization;
    pub use super::project::Entity as Project;
    pub use super::tag::Entity as Tag;
    pub use super::task::Entity as Task;
    pub use super::task_tag::Entity as TaskTag;
    pub use super::user::Entity as User;
}
