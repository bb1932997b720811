//! The command line: parses arguments, calls the library, renders results and errors for a
//! person. Exit codes: 0 success or in sync, 1 the check found something, 2 error.

use crate::error::Result;
use crate::extract::EntitySet;
use crate::source::Reading;
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
mod json;
mod report;

use args::{Cli, Command, Format};

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
    let mut given = Some(entities);
    let json = json_command(&cli);
    finish(
        json,
        run(cli, &mut |_| {
            Ok(Ok(given.take().expect("entities are read once")))
        }),
    )
}

/// The CLI of tidemark's own binary, which has no entities: it runs `init`, and the commands
/// that do not read entities; the others say to run `init` first.
pub fn main_without_entities() -> ExitCode {
    let cli = Cli::parse();
    let json = json_command(&cli);
    let command = cli.command.name();
    finish(
        json,
        run(cli, &mut |_| {
            Err(crate::error::Error::NoToolCrate { command })
        }),
    )
}

/// The command's name when it prints JSON, so that an error does too.
fn json_command(cli: &Cli) -> Option<&'static str> {
    (cli.format == Format::Json && cli.command.reports()).then(|| cli.command.name())
}

fn finish(json: Option<&'static str>, result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            if let Some(command) = json {
                print_json_error(command, &err.to_string());
            }
            ExitCode::from(2)
        }
    }
}

/// The error object of a command run with `--format json`. A closed standard output (the
/// error may be that very write) is left as it is.
fn print_json_error(command: &str, message: &str) {
    use std::io::Write;
    let object = json::error(command, message);
    let text = serde_json::to_string_pretty(&object).expect("a JSON value always serialises");
    writeln!(std::io::stdout(), "{text}").ok();
}

/// Where the entities come from when their source holds something only the compiler knows.
#[derive(Clone, Copy, Debug)]
pub enum Fallback {
    /// Run this tool again through cargo, with the feature that compiles the entity crate
    /// in: `cargo run --quiet -p PACKAGE --features FEATURE -- ARGS`.
    Cargo {
        package: &'static str,
        feature: &'static str,
    },
    /// Stop with the reader's message.
    None,
}

/// Runs the CLI over the entities of the workspace's crate `entity_crate`, read from its
/// source: an entity edit costs a parse, not a build. `declare` adds what entities cannot say
/// ([`EntitySet::index`]). Where the reader stops (a type from another crate, a macro), it
/// says where in one line and goes on as `fallback` says. See [`main!`](crate::main).
pub fn main_from_source(
    entity_crate: &str,
    fallback: Fallback,
    declare: impl FnOnce(EntitySet) -> EntitySet,
) -> ExitCode {
    let cli = Cli::parse();
    let json = json_command(&cli);
    let mut declare = Some(declare);
    finish(
        json,
        run(cli, &mut |ws| {
            let read = crate::source::read_crate(&ws.crate_lib_rs(entity_crate)?, entity_crate)
                .map_err(|err| match err {
                    // Named as the user types it from the workspace: `entity/src/x.rs`.
                    crate::error::Error::EntitySource { path, line, reason } => {
                        crate::error::Error::EntitySource {
                            path: ws.display(&path).into(),
                            line,
                            reason,
                        }
                    }
                    err => err,
                })?;
            let unresolved = match read {
                Reading::Entities(set) => {
                    let declare = declare.take().expect("entities are read once");
                    return Ok(Ok(declare(set)));
                }
                Reading::Unresolved(unresolved) => unresolved,
            };
            let at = format!("{}:{}", ws.display(&unresolved.path), unresolved.line);
            match fallback {
                Fallback::Cargo { package, feature } => {
                    eprintln!(
                        "note: {at}: {}; reading the compiled entities instead (`cargo run -p \
                     {package} --features {feature}`)",
                        unresolved.reason
                    );
                    Ok(Err(rerun_compiled(package, feature, json)))
                }
                Fallback::None => Err(crate::error::Error::InvalidEntities(format!(
                    "{at}: {}\n  tidemark reads entities from their source; this one needs the \
                 compiler: give the tool crate the compiled fallback (README, \"Adopting \
                 tidemark in your workspace\")",
                    unresolved.reason
                ))),
            }
        }),
    )
}

/// The same command, run by the tool built with the entity crate compiled in. With
/// `--format json` (`json` names the command), a run that did not get as far as the command
/// (its build failed, cargo is missing) still prints the error object.
fn rerun_compiled(package: &str, feature: &str, json: Option<&'static str>) -> ExitCode {
    let mut command = crate::migrator::cargo_command();
    // Not `--quiet`: the build may take a while, and the user should see it.
    command
        .args(["run", "--package", package, "--features", feature, "--"])
        .args(std::env::args_os().skip(1));
    let failed = |why: String| {
        eprintln!("error: {why}");
        if let Some(command) = json {
            print_json_error(command, &why);
        }
        ExitCode::from(2)
    };
    match command.status() {
        // The command's own exit codes; it printed what it had to say.
        Ok(status) if matches!(status.code(), Some(0..=2)) => ExitCode::from(
            status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(2),
        ),
        Ok(status) => failed(format!(
            "the tool built with the compiled entities did not run the command ({status}; \
             see cargo's output above)"
        )),
        Err(err) => failed(format!(
            "could not run cargo for the compiled entities: {err}"
        )),
    }
}

/// A tool crate's `main`: `tidemark::main!("entity", [entity::user::Entity, ...])`.
///
/// The entities are read from the source of the crate named first. The list is the compiled
/// fallback, built only with the tool crate's `compiled` feature (`compiled =
/// ["dep:entity"]`, the entity crate an optional dependency), for sources the reader cannot
/// read. Calls after the list (`.index("task", &["project_id", "status"])`) declare what
/// entities cannot say, on both paths.
#[macro_export]
macro_rules! main {
    ($entity_crate:literal, [$($entity:path),* $(,)?] $(.$method:ident($($arg:tt)*))*) => {
        fn main() -> ::std::process::ExitCode {
            #[cfg(feature = "compiled")]
            {
                $crate::cli::main(
                    $entity_crate,
                    $crate::entities![$($entity),*]$(.$method($($arg)*))*,
                )
            }
            #[cfg(not(feature = "compiled"))]
            {
                $crate::cli::main_from_source(
                    $entity_crate,
                    $crate::cli::Fallback::Cargo {
                        package: env!("CARGO_PKG_NAME"),
                        feature: "compiled",
                    },
                    |set| set$(.$method($($arg)*))*,
                )
            }
        }
    };
}

/// The entities, read when a command first needs them; `Err(code)` when another process
/// ran the command instead (the compiled fallback) and this one only passes on its exit code.
type LoadEntities<'a> =
    dyn FnMut(&Workspace) -> Result<std::result::Result<EntitySet, ExitCode>> + 'a;

fn run(cli: Cli, load: &mut LoadEntities) -> Result<ExitCode> {
    let ws = Workspace::new(&cli.workspace);
    let ws = &ws;
    macro_rules! entities {
        () => {
            match load(ws)? {
                Ok(set) => set,
                Err(code) => return Ok(code),
            }
        };
    }
    let format = cli.format;
    if format == Format::Json && !cli.command.reports() {
        return Err(crate::error::Error::InvalidArgument {
            flag: "--format",
            value: "json".into(),
            reason: format!(
                "`{}` does not report; JSON is for generate, check, diff, lint, preflight, \
                 verify and drift",
                cli.command.name()
            ),
        });
    }
    match cli.command {
        Command::Generate(args) => commands::generate(ws, &entities!(), args, format),
        Command::Check(renames) => commands::check(ws, &entities!(), renames, format),
        Command::Diff { renames } => commands::diff(ws, &entities!(), renames, format),
        Command::Record { database_url } => commands::record(ws, database_url),
        Command::Verify { database_url } => commands::verify(ws, database_url, format),
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
            format,
        ),
        Command::Lint {
            name,
            backend,
            rules,
        } => commands::lint(ws, name, backend, rules, format),
        Command::Preflight { database_url } => commands::preflight(ws, database_url, format),
        Command::Merge => commands::merge(ws),
        Command::Squash { count, message } => commands::squash(ws, count, message),
        Command::Rehash => commands::rehash(ws),
        Command::Baseline => commands::baseline(ws, &entities!()),
        Command::Init {
            entity_crate,
            from_database,
            scratch_url,
            tidemark_path,
            keep_dev_profile,
        } => commands::init(
            ws,
            &crate::init::InitOptions {
                entity_crate,
                from_database,
                scratch_server: scratch_url,
                tidemark_path: tidemark_path.unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
                keep_dev_profile,
            },
        ),
    }
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(crate::error::Error::io("the Tokio runtime"))
}
