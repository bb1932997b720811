//! tidemark-runtime's database drivers are features: an application on one backend compiles
//! that backend's driver only.

use std::process::Command;

fn dependencies(features: &str) -> String {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "tidemark-runtime",
            "--no-default-features",
            "--features",
        ])
        .arg(features)
        .args(["-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn has(tree: &str, package: &str) -> bool {
    tree.lines().any(|l| l.starts_with(&format!("{package} ")))
}

#[test]
fn each_backend_compiles_its_own_driver_only() {
    for (feature, own, others) in [
        ("postgres", "sqlx-postgres", ["sqlx-mysql", "sqlx-sqlite"]),
        ("mysql", "sqlx-mysql", ["sqlx-postgres", "sqlx-sqlite"]),
        ("sqlite", "sqlx-sqlite", ["sqlx-postgres", "sqlx-mysql"]),
    ] {
        let tree = dependencies(feature);
        assert!(has(&tree, own), "{feature}: {own} missing");
        for other in others {
            assert!(!has(&tree, other), "{feature} pulls in {other}");
        }
    }
    let all = dependencies("postgres,mysql,sqlite");
    for driver in ["sqlx-postgres", "sqlx-mysql", "sqlx-sqlite"] {
        assert!(has(&all, driver), "{driver}");
    }
}

/// TLS is a feature too, and the migrator never compiles sea-orm-cli (the runtime has a CLI of
/// its own).
#[test]
fn tls_is_a_feature_and_sea_orm_cli_is_not_compiled() {
    let plain = dependencies("postgres");
    for absent in ["rustls", "native-tls", "sea-orm-cli"] {
        assert!(!has(&plain, absent), "postgres alone pulls in {absent}");
    }
    let rustls = dependencies("postgres,rustls");
    assert!(has(&rustls, "rustls"), "the rustls feature without rustls");
    assert!(!has(&rustls, "sea-orm-cli"));
}

/// The runtime's public face is what migrations and their `main` call, re-exported at its
/// root: every module is hidden from its documentation, kept public only for the paths that
/// earlier generated migrations call (runtime/tests/legacy_paths.rs).
#[test]
fn the_runtime_documents_no_module() {
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/src/lib.rs"))
        .unwrap();
    let file = syn::parse_file(&lib).unwrap();
    let documented: Vec<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if matches!(m.vis, syn::Visibility::Public(_)) => Some(m),
            _ => None,
        })
        .filter(|m| {
            !m.attrs.iter().any(|a| {
                a.path().is_ident("doc")
                    && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "hidden")
            })
        })
        .map(|m| m.ident.to_string())
        .collect();
    assert!(documented.is_empty(), "documented modules: {documented:?}");
}
