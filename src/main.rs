//! `tidemark init`, run once in a SeaORM workspace: it writes the workspace's own tidemark (a
//! `tool` crate that knows the entities), which runs every other command.

fn main() -> std::process::ExitCode {
    tidemark::cli::main_without_entities()
}
