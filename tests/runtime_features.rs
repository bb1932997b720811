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
