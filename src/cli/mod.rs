//! The command line: parses arguments, calls the library, renders results and errors for a
//! person. Exit codes: 0 success or in sync, 1 the check found something, 2 error.

use crate::error::Result;
use crate::extract::EntitySet;
use crate::workspace::Workspace;
use clap::Parser;
use std::process::ExitCode;

/// `println!` that reports a closed standard output (`tidemark diff | head -1`) as an error
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*)
            .map_err($crate::error::Error::io("standard output"))?
    };
}

mod args;
mod commands;
mod report;

use args::{Cli, Command};

/// Runs the CLI over `entities`. `entity_crate` names the crate they come from, so that an
/// entity registered with SeaORM there but missing from the list is reported.
pub fn main(entity_crate: &str, entities: EntitySet) -> ExitCode {
    let cli = Cli::parse();
    for missing in entities.unlisted_registered_entities(entity_crate) {
        eprintln!(
            "warning: `{missing}::Entity` is registered with SeaORM but not in tidemark's entity \
             list; its table is left out of every comparison"
        );
    }
    match run(cli, &entities) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli, entities: &EntitySet) -> Result<ExitCode> {
    let ws = Workspace::new(&cli.workspace);
    let ws = &ws;
    match cli.command {
        Command::Generate(args) => commands::generate(ws, entities, args),
        Command::Check(renames) => commands::check(ws, entities, renames),
        Command::Diff { renames, format } => commands::diff(ws, entities, renames, format),
        Command::Record { database_url } => commands::record(ws, database_url),
        Command::Verify { database_url } => commands::verify(ws, database_url),
        Command::Sql {
            name,
            down,
            backend,
        } => commands::sql(ws, name, down, backend),
        Command::Drift {
            database_url,
            write_migration,
            message,
            allow_destructive,
        } => commands::drift(
            ws,
            database_url,
            write_migration,
            message,
            allow_destructive,
        ),
        Command::Lint {
            name,
            backend,
            rules,
        } => commands::lint(ws, name, backend, rules),
        Command::Preflight { database_url } => commands::preflight(ws, database_url),
        Command::Merge => commands::merge(ws),
        Command::Squash { count, message } => commands::squash(ws, count, message),
        Command::Rehash => commands::rehash(ws),
        Command::Baseline => commands::baseline(ws, entities),
    }
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(crate::error::Error::io("the Tokio runtime"))
}
