//! `tidemark init`: adopts tidemark in a SeaORM workspace as `sea-orm-cli` lays it out (an
//! entity crate and a `migration` crate): writes the tool crate, wires the migration crate to
//! the runtime, and records what the existing migrations make as the baseline.
//!
//! Every file it changes is kept as it was until the end; when any step fails, they are put
//! back and what it created is removed, so a refused or failed `init` leaves the workspace
//! exactly as it found it.

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::model::Schema;
use crate::workspace::Workspace;
use std::path::{Path, PathBuf};

/// What `init` is told.
#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// The entity crate's package name, when the workspace has several that define entities.
    pub entity_crate: Option<String>,
    /// Read the baseline from this live database (which must have applied every registered
    /// migration) instead of applying the migrations on a scratch database.
    pub from_database: Option<String>,
    /// A PostgreSQL or MySQL server for the scratch database (SQLite by default).
    pub scratch_server: Option<String>,
    /// Where tidemark's source is, for the path dependencies it writes.
    pub tidemark_path: PathBuf,
    /// Leave the dev profile as it is, even for a schema of [`LARGE_SCHEMA`] entities or more.
    pub keep_dev_profile: bool,
}

/// From this many entities `init` optimizes the generator in the dev profile that `cargo run`
/// uses: unoptimized, an edit's `generate` takes 0.35 s at 200 entities and 1.01 s at 1,000,
/// and a no-op `check` 0.76 s at 1,000; optimized, 0.22 s, 0.38 s and 0.19 s
/// (bench/results/edit.md, edit-optimized.md). Below it, the longer first build costs more
/// than the generator saves.
pub const LARGE_SCHEMA: usize = 200;

/// The packages the generator spends its time in: itself, parsing (`syn`, `proc-macro2`), the
/// snapshot's JSON and the checksums.
pub const GENERATOR_PACKAGES: [&str; 5] = ["tidemark", "syn", "proc-macro2", "serde_json", "sha2"];

/// What `init` did.
#[derive(Debug)]
pub struct Initialized {
    pub entity_crate: String,
    pub entities: Vec<String>,
    /// Whether `cargo run -- ...` now runs tidemark (the tool is the default member).
    pub default_member: bool,
    /// The baseline: `None` when the migration crate has no migrations yet.
    pub baseline: Option<Baseline>,
    /// Whether the workspace's `.gitignore` now ignores the migrator's lock files.
    pub ignores_lock_files: bool,
    /// The packages `init` optimized in the dev profile (see [`LARGE_SCHEMA`]).
    pub optimized: Vec<&'static str>,
}

/// The schema recorded as what the existing migrations make.
#[derive(Debug)]
pub struct Baseline {
    /// The migration it is recorded after.
    pub migration: String,
    /// Where it was read: a scratch database's backend, or the live database.
    pub read_from: String,
    /// How the entities differ from it: what the next `generate --autogenerate` writes.
    pub pending: Vec<String>,
}

/// Why `init` stopped; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{path} has no [workspace] table; run `init` at the root of a Cargo workspace")]
    NotAWorkspace { path: PathBuf },

    #[error(
        "{path} is missing; `init` expects the migration crate that `sea-orm-cli migrate init` \
         makes, in `migration/`"
    )]
    NoMigrationCrate { path: PathBuf },

    #[error("{path} already exists; this workspace has a tool crate (run `cargo run -- check`)")]
    AlreadyInitialized { path: PathBuf },

    #[error("no crate of this workspace derives `DeriveEntityModel` (looked in {looked})")]
    NoEntities { looked: String },

    #[error(
        "several crates define entities ({found}); name the one tidemark reads with \
         --entity-crate"
    )]
    SeveralEntityCrates { found: String },

    #[error("--entity-crate {name}: no crate of that name in this workspace defines entities")]
    UnknownEntityCrate { name: String },

    #[error(
        "{path} does not call sea-orm-migration's `cli::run_cli(...)` and nothing else, as \
         sea-orm-cli writes it, so rewiring it would lose code; make it `fn main() {{ \
         tidemark_runtime::run_cli(migration::Migrator); }}` (keeping what it does elsewhere) \
         and run `init` again"
    )]
    UnknownMigratorMain { path: PathBuf },

    #[error(
        "{url} has applied {applied} of the {registered} registered migrations{missing}; apply \
         them all first (`DATABASE_URL=... cargo run -p migration -- up`), so that it shows \
         what they make"
    )]
    NotFullyMigrated {
        url: String,
        applied: usize,
        registered: usize,
        missing: String,
    },

    #[error(
        "{url} has applied migrations this workspace does not register ({unknown}): it was \
         migrated from another history, so it does not show what this one makes"
    )]
    UnknownAppliedMigrations { url: String, unknown: String },

    #[error(
        "{what}: the entity source needs the compiler ({reason}); `init` cannot compare the \
         migrations with the entities. Run `init` without migrations to compare, or run \
         `cargo run -- baseline` afterwards"
    )]
    EntitiesNeedCompiler { what: String, reason: String },
}

/// A file as it was before `init`, to put back when a later step fails.
struct Kept {
    path: PathBuf,
    text: Option<Vec<u8>>,
}

/// Runs `init` in `ws`.
pub fn init(ws: &Workspace, options: &InitOptions) -> Result<Initialized> {
    let root_manifest = ws.root.join("Cargo.toml");
    let root_text = std::fs::read_to_string(&root_manifest).map_err(Error::io(&root_manifest))?;
    let mut root_doc = parse_toml(&root_text, &root_manifest)?;
    if root_doc.get("workspace").is_none() {
        return Err(InitError::NotAWorkspace {
            path: ws.display(&root_manifest).into(),
        }
        .into());
    }
    let migration_manifest = ws.migration_dir().join("Cargo.toml");
    let migration_main = ws.migration_src().join("main.rs");
    for path in [&migration_manifest, &ws.lib_rs(), &migration_main] {
        if !path.exists() {
            return Err(InitError::NoMigrationCrate {
                path: ws.display(path).into(),
            }
            .into());
        }
    }
    let tool_dir = ws.root.join("tool");
    if tool_dir.exists() {
        return Err(InitError::AlreadyInitialized {
            path: format!("{}/", ws.display(&tool_dir)).into(),
        }
        .into());
    }
    let (entity_crate, entity_dir, entities) = find_entity_crate(ws, &root_doc, options)?;
    let main_text = std::fs::read_to_string(&migration_main).map_err(Error::io(&migration_main))?;
    let new_main = wired_main(&main_text).ok_or_else(|| InitError::UnknownMigratorMain {
        path: ws.display(&migration_main).into(),
    })?;
    let migration_text =
        std::fs::read_to_string(&migration_manifest).map_err(Error::io(&migration_manifest))?;
    let mut migration_doc = parse_toml(&migration_text, &migration_manifest)?;
    let runtime = options.tidemark_path.join("runtime");
    let deps = migration_doc["dependencies"].or_insert(toml_edit::table());
    if deps.get("tidemark-runtime").is_none() {
        deps["tidemark-runtime"] = path_dependency(&ws.migration_dir(), &runtime);
    }
    if deps.get("async-trait").is_none() {
        deps["async-trait"] = toml_edit::value("0.1");
    }
    let workspace = root_doc["workspace"].or_insert(toml_edit::table());
    let members = workspace["members"].or_insert(toml_edit::value(toml_edit::Array::new()));
    if let Some(members) = members.as_array_mut() {
        members.push("tool");
    }
    let virtual_root = root_doc.get("package").is_none();
    let default_member = virtual_root && root_doc["workspace"].get("default-members").is_none();
    if default_member {
        let mut defaults = toml_edit::Array::new();
        defaults.push("tool");
        root_doc["workspace"]["default-members"] = toml_edit::value(defaults);
    }
    let optimized = if entities.len() >= LARGE_SCHEMA && !options.keep_dev_profile {
        optimize_generator(&mut root_doc, entities.len())
    } else {
        Vec::new()
    };

    let gitignore = ws.root.join(".gitignore");
    let ignored = std::fs::read_to_string(&gitignore)
        .ok()
        .and_then(ignore_lock_files);
    let kept: Vec<Kept> = [
        root_manifest.clone(),
        migration_manifest.clone(),
        migration_main.clone(),
        ws.root.join("Cargo.lock"),
        gitignore.clone(),
    ]
    .into_iter()
    .map(|path| Kept {
        text: std::fs::read(&path).ok(),
        path,
    })
    .collect();
    let done = (|| {
        write(&root_manifest, &root_doc.to_string())?;
        write(&migration_manifest, &migration_doc.to_string())?;
        write(&migration_main, &new_main)?;
        if let Some(text) = &ignored {
            write(&gitignore, text)?;
        }
        write_tool_crate(&tool_dir, &entity_crate, &entity_dir, &entities, options)?;
        record_baseline(ws, &entity_crate, options)
    })();
    match done {
        Ok(baseline) => Ok(Initialized {
            entity_crate,
            entities,
            default_member,
            baseline,
            ignores_lock_files: ignored.is_some(),
            optimized,
        }),
        Err(err) => {
            for file in &kept {
                match &file.text {
                    Some(text) => std::fs::write(&file.path, text).ok(),
                    None => std::fs::remove_file(&file.path).ok(),
                };
            }
            std::fs::remove_dir_all(&tool_dir).ok();
            Err(err)
        }
    }
}

/// A `.gitignore` with the migrator's lock files (`tidemark.sqlite.migrator-lock`, beside a
/// SQLite database, held while `up` or `down` runs) added; `None` when it already ignores them.
/// A workspace without a `.gitignore` gets none: it may not be kept in git.
fn ignore_lock_files(text: String) -> Option<String> {
    if text
        .lines()
        .any(|line| line.trim().ends_with(".migrator-lock"))
    {
        return None;
    }
    let mut text = text;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# The lock tidemark's migrator holds beside a SQLite database while it runs.\n");
    text.push_str("*.migrator-lock\n");
    Some(text)
}

/// Adds `opt-level = 2` for each of [`GENERATOR_PACKAGES`] to the workspace's dev profile,
/// and returns the packages it added it for. A package the profile already configures keeps
/// its settings, and a profile that already optimizes (`[profile.dev]` or
/// `[profile.dev.package."*"]` with an `opt-level`) is left as it is.
fn optimize_generator(root_doc: &mut toml_edit::DocumentMut, entities: usize) -> Vec<&'static str> {
    let dev = root_doc.get("profile").and_then(|p| p.get("dev"));
    let packages = dev.and_then(|d| d.get("package"));
    let set = |item: Option<&toml_edit::Item>| item.and_then(|i| i.get("opt-level")).is_some();
    if set(dev) || set(packages.and_then(|p| p.get("*"))) {
        return Vec::new();
    }
    let missing: Vec<&'static str> = GENERATOR_PACKAGES
        .into_iter()
        .filter(|name| packages.and_then(|p| p.get(name)).is_none())
        .collect();
    let mut first = true;
    for name in &missing {
        let implicit = || {
            let mut table = toml_edit::Table::new();
            table.set_implicit(true);
            toml_edit::Item::Table(table)
        };
        let package =
            root_doc["profile"].or_insert(implicit())["dev"].or_insert(implicit())["package"]
                .or_insert(implicit());
        let mut table = toml_edit::Table::new();
        table["opt-level"] = toml_edit::value(2);
        if first {
            table.decor_mut().set_prefix(format!(
                "\n# Written by `tidemark init` for a schema of {entities} entities: the \
                 generator,\n# optimized, runs `generate` and `check` three to four times \
                 faster, for one\n# longer first build. Delete these tables to undo.\n"
            ));
            first = false;
        }
        package[name] = toml_edit::Item::Table(table);
    }
    missing
}

fn parse_toml(text: &str, path: &Path) -> Result<toml_edit::DocumentMut> {
    text.parse().map_err(|err| Error::EntitySource {
        path: path.to_owned(),
        line: 1,
        reason: format!("not valid TOML: {err}"),
    })
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    std::fs::write(path, text).map_err(Error::io(path))
}

/// `{ path = "..." }` to `path` as seen from the manifest in `manifest_dir`: relative when
/// both are on one file system tree, so that the workspace can be committed and cloned beside
/// tidemark.
fn path_dependency(manifest_dir: &Path, path: &Path) -> toml_edit::Item {
    let mut table = toml_edit::InlineTable::new();
    table.insert(
        "path",
        relative_path(manifest_dir, path)
            .display()
            .to_string()
            .into(),
    );
    toml_edit::value(table)
}

fn relative_path(from_dir: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to_abs)) = (from_dir.canonicalize(), to.canonicalize()) else {
        return to.to_owned();
    };
    let common = from
        .components()
        .zip(to_abs.components())
        .take_while(|(a, b)| a == b)
        .count();
    if common <= 1 {
        return to_abs;
    }
    let ups = from.components().count() - common;
    std::iter::repeat_n(std::path::Component::ParentDir.as_os_str(), ups)
        .chain(to_abs.components().skip(common).map(|c| c.as_os_str()))
        .collect()
}

/// The workspace crate whose source derives `DeriveEntityModel`: its package name, folder
/// and entity modules.
fn find_entity_crate(
    ws: &Workspace,
    root_doc: &toml_edit::DocumentMut,
    options: &InitOptions,
) -> Result<(String, PathBuf, Vec<String>)> {
    let members: Vec<String> = root_doc["workspace"]
        .get("members")
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut dirs: Vec<PathBuf> = members
        .iter()
        .flat_map(|member| crate::workspace::expand_member(&ws.root, member))
        .filter(|dir| *dir != ws.migration_dir())
        .collect();
    if root_doc.get("package").is_some() {
        dirs.insert(0, ws.root.join("."));
    }
    dirs.dedup();
    let mut found = Vec::new();
    let mut looked = Vec::new();
    for dir in dirs {
        let Some(name) = crate::workspace::package_name(&dir) else {
            continue;
        };
        looked.push(name.clone());
        let lib_rs = crate::workspace::lib_rs_of(&dir);
        if !lib_rs.exists() {
            continue;
        }
        let modules = crate::source::entity_modules(&lib_rs, &name)?;
        if !modules.is_empty() {
            let relative = dir.strip_prefix(&ws.root).unwrap_or(&dir).to_owned();
            found.push((name, relative, modules));
        }
    }
    if let Some(wanted) = &options.entity_crate {
        return found
            .into_iter()
            .find(|(name, ..)| name == wanted)
            .ok_or_else(|| {
                InitError::UnknownEntityCrate {
                    name: wanted.clone(),
                }
                .into()
            });
    }
    match found.len() {
        0 => Err(InitError::NoEntities {
            looked: if looked.is_empty() {
                "no member crates".into()
            } else {
                looked.join(", ")
            },
        }
        .into()),
        1 => Ok(found.remove(0)),
        _ => Err(InitError::SeveralEntityCrates {
            found: found
                .iter()
                .map(|(name, ..)| name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}

/// The migrator's `main.rs` running through the runtime, from sea-orm-cli's: `use` items and
/// a `main` whose one statement is `cli::run_cli(<Migrator>)` (awaited or not); the Migrator
/// is kept. `None` for any other file, whose other code `init` would lose.
fn wired_main(text: &str) -> Option<String> {
    if text.contains("tidemark_runtime::run_cli(") {
        return Some(text.to_owned());
    }
    let file = syn::parse_file(text).ok()?;
    let mut main = None;
    for item in &file.items {
        match item {
            syn::Item::Use(_) => {}
            syn::Item::Fn(f) if f.sig.ident == "main" && main.is_none() => main = Some(f),
            _ => return None,
        }
    }
    let [statement] = main?.block.stmts.as_slice() else {
        return None;
    };
    let syn::Stmt::Expr(expr, _) = statement else {
        return None;
    };
    let call = match expr {
        syn::Expr::Await(awaited) => awaited.base.as_ref(),
        expr => expr,
    };
    let syn::Expr::Call(call) = call else {
        return None;
    };
    let syn::Expr::Path(callee) = call.func.as_ref() else {
        return None;
    };
    let [migrator] = call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    if callee
        .path
        .segments
        .last()
        .is_none_or(|s| s.ident != "run_cli")
    {
        return None;
    }
    let migrator = quote::ToTokens::to_token_stream(migrator)
        .to_string()
        .replace(" :: ", "::");
    Some(format!(
        "fn main() {{\n    tidemark_runtime::run_cli({migrator});\n}}\n"
    ))
}

fn write_tool_crate(
    tool_dir: &Path,
    entity_crate: &str,
    entity_dir: &Path,
    entities: &[String],
    options: &InitOptions,
) -> Result<()> {
    std::fs::create_dir_all(tool_dir).map_err(Error::io(tool_dir))?;
    let tidemark = path_dependency(tool_dir, &options.tidemark_path);
    let manifest = format!(
        "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\ntidemark = {tidemark}\n\
         {entity_crate} = {{ path = \"{}\", optional = true }}\n\n\
         [features]\n\
         # Compiles the entities in, for what tidemark cannot read from their source.\n\
         compiled = [\"dep:{entity_crate}\"]\n",
        Path::new("..").join(entity_dir).display(),
    );
    let rust_name = entity_crate.replace('-', "_");
    let paths: Vec<String> = entities
        .iter()
        .map(|module| {
            let module = module
                .strip_prefix(&format!("{entity_crate}::"))
                .map_or(module.clone(), |rest| format!("{rust_name}::{rest}"));
            format!("{module}::Entity")
        })
        .collect();
    let main = format!(
        "//! This workspace's tidemark (`cargo run -p tool -- --help`). The entities are read \
         from\n//! the `{entity_crate}` crate's source; the list is the compiled fallback, for \
         what the source\n//! reader cannot read. A new entity module is read without being \
         listed here.\n\n{}",
        main_call(entity_crate, &paths)
    );
    write(&tool_dir.join("Cargo.toml"), &manifest)?;
    write(&tool_dir.join("src/main.rs"), &main)
}

/// The baseline: what the registered migrations make, recorded as the snapshot after the
/// last one; `None` when there are none yet.
fn record_baseline(
    ws: &Workspace,
    entity_crate: &str,
    options: &InitOptions,
) -> Result<Option<Baseline>> {
    let lib_source = std::fs::read_to_string(ws.lib_rs()).map_err(Error::io(ws.lib_rs()))?;
    let registered = crate::registry::registered(&lib_source, &ws.lib_rs())?;
    if registered.is_empty() {
        return Ok(None);
    }
    let lib_rs = ws.crate_lib_rs(entity_crate)?;
    let entities = match crate::source::read_crate(&lib_rs, entity_crate)? {
        crate::source::Reading::Entities(set) => set.extract()?.schema,
        crate::source::Reading::Unresolved(at) => {
            return Err(InitError::EntitiesNeedCompiler {
                what: format!("{}:{}", ws.display(&at.path), at.line),
                reason: at.reason,
            }
            .into());
        }
    };
    let runtime = crate::cli::runtime()?;
    let (live, backend, read_from) = match &options.from_database {
        Some(url) => {
            let (live, backend) = runtime.block_on(live_schema(url, &registered))?;
            (live, backend, tidemark_runtime::__private::redact_url(url))
        }
        None => {
            let (live, backend) = runtime.block_on(crate::verify::migrated_schema(
                ws,
                options.scratch_server.as_deref(),
            ))?;
            (
                live,
                backend,
                format!("a scratch {} database", backend.name()),
            )
        }
    };
    let baseline = baseline_schema(&live, &entities, backend);
    let pending = crate::diff::diff(&baseline, &entities, &Default::default())
        .iter()
        .map(|change| crate::plan::describe(change, &entities))
        .collect();
    let migration = crate::generate::record_baseline(ws, baseline)?;
    Ok(Some(Baseline {
        migration,
        read_from,
        pending,
    }))
}

/// The live database's schema, when it has applied exactly the `registered` migrations.
async fn live_schema(url: &str, registered: &[String]) -> Result<(Schema, Backend)> {
    let db = crate::verify::connect(url).await?;
    let backend = crate::introspect::backend_of(&db);
    let applied = crate::preflight::applied_migrations(&db, backend).await;
    let applied = match applied {
        Ok(applied) => applied,
        Err(err) => {
            db.close().await.ok();
            return Err(err);
        }
    };
    let redacted = tidemark_runtime::__private::redact_url(url);
    let unknown: Vec<&str> = applied
        .iter()
        .filter(|name| !registered.contains(name))
        .map(String::as_str)
        .collect();
    let missing: Vec<&str> = registered
        .iter()
        .filter(|name| !applied.contains(name))
        .map(String::as_str)
        .collect();
    let refused: Option<InitError> = if !unknown.is_empty() {
        Some(InitError::UnknownAppliedMigrations {
            url: redacted,
            unknown: unknown.join(", "),
        })
    } else if !missing.is_empty() {
        Some(InitError::NotFullyMigrated {
            url: redacted,
            applied: applied.len(),
            registered: registered.len(),
            missing: format!(" (not {})", missing.join(", ")),
        })
    } else {
        None
    };
    if let Some(refused) = refused {
        db.close().await.ok();
        return Err(refused.into());
    }
    let live = crate::introspect::introspect(&db).await;
    db.close().await.ok();
    Ok((live?, backend))
}

/// The entities' schema where the database agrees with it (so that the snapshot keeps what
/// the entities say and the database cannot: comments, enum names), and the database's
/// objects where it does not, so that `check` shows each difference as pending.
fn baseline_schema(live: &Schema, entities: &Schema, backend: Backend) -> Schema {
    let (to_entities, expected) = crate::introspect::differences(live, entities, backend);
    if to_entities.is_empty() {
        return entities.clone();
    }
    let mut baseline = entities.clone();
    let back = crate::diff::reverse(&to_entities);
    let live = crate::introspect::normalize(live, backend);
    if crate::chain::apply(&mut baseline, &back, &live).is_err() {
        // Only phased changes (views, shadow columns) fail to apply; a database made by
        // hand-written migrations is read as it is.
        return expected;
    }
    baseline
}

/// `tidemark::main!("crate", [paths])` laid out as `cargo fmt` lays out a macro call: on one
/// line while its arguments fit rustfmt's 60-column call width, else one argument a line, the
/// list on one line while it fits the 60-column array width, else one path a line. A macro's
/// list keeps its trailing comma as written, so it is written without one.
fn main_call(entity_crate: &str, paths: &[String]) -> String {
    const SMALL_WIDTH: usize = 60;
    const MAX_WIDTH: usize = 100;
    let list = format!("[{}]", paths.join(", "));
    let args = format!("\"{entity_crate}\", {list}");
    let one_line = format!("tidemark::main!({args});\n");
    if args.len() <= SMALL_WIDTH && one_line.len() <= MAX_WIDTH + 1 {
        return one_line;
    }
    let list = if list.len() <= SMALL_WIDTH && 4 + list.len() <= MAX_WIDTH {
        format!("    {list}\n")
    } else {
        let items: Vec<String> = paths.iter().map(|p| format!("        {p}")).collect();
        format!("    [\n{}\n    ]\n", items.join(",\n"))
    };
    format!("tidemark::main!(\n    \"{entity_crate}\",\n{list});\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn optimized(manifest: &str) -> (String, Vec<&'static str>) {
        let mut doc: toml_edit::DocumentMut = manifest.parse().unwrap();
        let written = optimize_generator(&mut doc, 250);
        (doc.to_string(), written)
    }

    #[test]
    fn a_large_schema_gets_the_generator_optimized_in_the_dev_profile() {
        let (text, written) = optimized("[workspace]\nmembers = [\"entity\"]\n");
        assert_eq!(written, GENERATOR_PACKAGES);
        assert_eq!(
            text,
            "[workspace]\nmembers = [\"entity\"]\n\n\
             # Written by `tidemark init` for a schema of 250 entities: the generator,\n\
             # optimized, runs `generate` and `check` three to four times faster, for one\n\
             # longer first build. Delete these tables to undo.\n\
             [profile.dev.package.tidemark]\nopt-level = 2\n\n\
             [profile.dev.package.syn]\nopt-level = 2\n\n\
             [profile.dev.package.proc-macro2]\nopt-level = 2\n\n\
             [profile.dev.package.serde_json]\nopt-level = 2\n\n\
             [profile.dev.package.sha2]\nopt-level = 2\n"
        );
        let cargo: toml_edit::DocumentMut = text.parse().unwrap();
        assert_eq!(
            cargo["profile"]["dev"]["package"]["proc-macro2"]["opt-level"].as_integer(),
            Some(2)
        );
    }

    #[test]
    fn the_users_own_profile_settings_are_kept() {
        let own = "[workspace]\n\n[profile.dev.package.syn]\nopt-level = 3\n";
        let (text, written) = optimized(own);
        assert_eq!(written, ["tidemark", "proc-macro2", "serde_json", "sha2"]);
        assert!(text.starts_with(own), "{text}");
        assert!(!text[own.len()..].contains(".syn]"), "{text}");
        for already in [
            "[workspace]\n\n[profile.dev]\nopt-level = 1\n",
            "[workspace]\n\n[profile.dev.package.\"*\"]\nopt-level = 2\n",
        ] {
            assert_eq!(optimized(already), (already.to_owned(), Vec::new()));
        }
    }

    /// The tool's `main.rs` passes `cargo fmt --check` as written, however many entities.
    #[test]
    fn the_tool_main_is_laid_out_as_rustfmt_lays_it_out() {
        for (krate, module) in [("entity", "entity"), ("app-entities", "app_entities")] {
            for n in [1, 2, 3, 6, 40] {
                let paths: Vec<String> = (0..n)
                    .map(|i| format!("{module}::table_{i:02}::Entity"))
                    .collect();
                let written = main_call(krate, &paths);
                let formatted = crate::testing::rustfmt(&written);
                assert_eq!(Some(written), formatted, "{n} entities of {krate}");
            }
        }
    }

    #[test]
    fn the_gitignore_gets_the_lock_files_once() {
        let added = ignore_lock_files("/target".into()).expect("added");
        assert_eq!(
            added,
            "/target\n# The lock tidemark's migrator holds beside a SQLite database while it \
             runs.\n*.migrator-lock\n"
        );
        assert_eq!(ignore_lock_files(added), None);
        assert_eq!(
            ignore_lock_files("tidemark.sqlite.migrator-lock\n".into()),
            None
        );
    }

    #[test]
    fn sea_orm_cli_main_is_wired_to_the_runtime() {
        let cli = "use sea_orm_migration::prelude::*;\n\n#[tokio::main]\nasync fn main() {\n    \
                   cli::run_cli(migration::Migrator).await;\n}\n";
        assert_eq!(
            wired_main(cli).as_deref(),
            Some("fn main() {\n    tidemark_runtime::run_cli(migration::Migrator);\n}\n")
        );
        let wired = "fn main() {\n    tidemark_runtime::run_cli(my_migration::Migrator);\n}\n";
        assert_eq!(wired_main(wired).as_deref(), Some(wired));
        assert_eq!(wired_main("fn main() { custom::start(); }"), None);
        // Code beside the call would be lost: refused.
        let setup = "#[tokio::main]\nasync fn main() {\n    setup();\n    \
                     cli::run_cli(migration::Migrator).await;\n}\n";
        assert_eq!(wired_main(setup), None);
        let helper = "#[tokio::main]\nasync fn main() {\n    \
                      cli::run_cli(migration::Migrator).await;\n}\nfn setup() {}\n";
        assert_eq!(wired_main(helper), None);
        assert_eq!(wired_main("not rust {"), None);
    }
}
