//! The sample application's entities, listed once for the tests that read them compiled.

pub fn sample_entities() -> tidemark::EntitySet {
    tidemark::entities![
        entity::organization::Entity,
        entity::user::Entity,
        entity::project::Entity,
        entity::task::Entity,
        entity::tag::Entity,
        entity::task_tag::Entity,
        entity::audit_event::Entity,
    ]
}
