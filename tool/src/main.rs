//! This workspace's tidemark: the library's CLI over the sample `entity` crate.
//!
//! A workspace adopting tidemark writes the same few lines, naming its own entity crate. The
//! entities are read from their source, so editing one rebuilds nothing; the list is the
//! compiled fallback (feature `compiled`) for sources the reader cannot read.

tidemark::main!(
    "entity",
    [
        entity::organization::Entity,
        entity::user::Entity,
        entity::project::Entity,
        entity::task::Entity,
        entity::tag::Entity,
        entity::task_tag::Entity,
        entity::audit_event::Entity,
    ]
);
