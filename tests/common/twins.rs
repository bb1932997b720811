//! Entity modules kept twice: compiled, and as their source text. A test reads one entity set
//! both ways (SeaORM's statement builders, and tidemark's source reader over a crate made of
//! the same text) and demands the same schema.

use std::collections::BTreeMap;
use std::path::Path;
use tidemark::EntitySet;
use tidemark::source::Reading;

/// One module's source, registered by [`twin!`].
pub struct ModuleSource {
    pub module_path: &'static str,
    pub source: &'static str,
}

inventory::collect!(ModuleSource);

/// `twin!(name { items })`: the module `name`, compiled, with its text registered.
#[macro_export]
macro_rules! twin {
    ($name:ident { $($body:tt)* }) => {
        pub mod $name {
            $($body)*

            inventory::submit! {
                $crate::twins::ModuleSource {
                    module_path: module_path!(),
                    source: stringify!($($body)*),
                }
            }
        }
    };
}

/// The crate source reader's view of `set`: its entities' modules, plus every registered
/// module that defines no entity (enums, value types), nested as their module paths say.
pub fn read_as_source(set: &EntitySet) -> Result<tidemark::extract::Extracted, String> {
    let wanted: Vec<&str> = set.module_paths();
    let crate_name = wanted
        .first()
        .and_then(|p| p.split("::").next())
        .unwrap_or("twins")
        .to_owned();
    let mut tree = Node::default();
    for module in inventory::iter::<ModuleSource>() {
        let is_entity = module.source.contains("DeriveEntityModel");
        if is_entity && !wanted.contains(&module.module_path) {
            continue;
        }
        let mut node = &mut tree;
        for segment in module.module_path.split("::").skip(1) {
            node = node.children.entry(segment.to_owned()).or_default();
        }
        node.source.push_str(module.source);
    }
    let lib_rs = tree.render();
    let root = Path::new("/twins/src/lib.rs");
    let read = |path: &Path| {
        if path == root {
            Ok(lib_rs.clone())
        } else {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        }
    };
    let reading = tidemark::source::read_crate_with(root, &crate_name, &read)
        .map_err(|e| format!("source reader failed: {e}"))?;
    let mut read_set = match reading {
        Reading::Entities(set) => set,
        Reading::Unresolved(unresolved) => return Err(format!("unresolved: {unresolved}")),
    };
    for (table, columns) in set.declared_indexes() {
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        read_set = read_set.index(table, &columns);
    }
    read_set.extract().map_err(|e| e.to_string())
}

/// Asserts that the compiled and the source reading of `set` agree: the same schema and
/// renames, or the same error.
pub fn assert_agree(what: &str, set: &EntitySet) {
    let compiled = set.extract().map_err(|e| e.to_string());
    let read = read_as_source(set);
    match (compiled, read) {
        (Ok(compiled), Ok(read)) => {
            assert_eq!(compiled.schema, read.schema, "{what}: the schemas differ");
            assert_eq!(compiled.renames, read.renames, "{what}: the renames differ");
        }
        (Err(compiled), Err(read)) => assert_eq!(compiled, read, "{what}: the errors differ"),
        (compiled, read) => panic!("{what}: compiled {compiled:?}, read from source {read:?}"),
    }
}

#[derive(Default)]
struct Node {
    source: String,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn render(&self) -> String {
        let mut out = self.source.clone();
        for (name, child) in &self.children {
            out.push_str(&format!("\npub mod {name} {{\n{}\n}}\n", child.render()));
        }
        out
    }
}
