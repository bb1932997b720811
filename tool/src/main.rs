//! This workspace's tidemark: the library's CLI over the sample `entity` crate.
//!
//! A workspace adopting tidemark writes the same few lines, naming its own entity crate.

fn main() -> std::process::ExitCode {
    tidemark::cli::main(
        "entity",
        tidemark::entities![
            entity::organization::Entity,
            entity::user::Entity,
            entity::project::Entity,
            entity::task::Entity,
            entity::tag::Entity,
            entity::task_tag::Entity,
            entity::audit_event::Entity,
        ],
    )
}
