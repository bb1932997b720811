//! Two branches that each generated a migration, merged with git: `merge` keeps both (yours
//! first), rebuilds the snapshot as base + yours + theirs while git still shows the merge as
//! unfinished, and refuses when both changed the same column. The natural wrong resolution
//! (`--theirs` for the snapshot, both `mod` lines kept) is caught by `check` and `generate`;
//! so are an edited merged migration and a deleted one (`tidemark.sum`).

#[path = "common/fixture.rs"]
mod fixture;
#[macro_use]
#[path = "common/tables.rs"]
mod tables;

use std::path::Path;
use std::process::Command;
use tidemark::entities;
use tidemark::generate::{self, NoTerminal, Outcome};
use tidemark::workspace::Workspace;

tables!(base, item: {});
tables!(ours, item: { pub note: Option<String>, });
tables!(theirs, item: {}, tag: { pub label: String, });
tables!(both, item: { pub note: Option<String>, }, tag: { pub label: String, });
tables!(clashing, item: { pub note: Option<i64>, });

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) {
    let out = git(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn generate_at(ws: &Workspace, set: tidemark::EntitySet, message: &str, minute: u32) {
    let outcome = generate::generate(
        ws,
        &set,
        &fixture::options_at(message, minute),
        &mut NoTerminal,
    )
    .unwrap();
    assert!(matches!(outcome, Outcome::Generated(_)));
}

/// A git repository holding the workspace at `base`, with branch `ours` adding `item.note`
/// and branch `theirs` adding what `theirs_set` adds, both from the same parent; `ours` is
/// checked out and `theirs` merged into it, conflicts and all.
fn merged_branches(theirs_set: tidemark::EntitySet) -> (fixture::Scratch, Workspace) {
    let (scratch, ws) = fixture::workspace(&[entities![base::item::Entity]]);
    let root = ws.root.clone();
    ok(&root, &["init", "-q", "-b", "main"]);
    ok(&root, &["add", "-A"]);
    ok(&root, &["commit", "-q", "-m", "base"]);
    ok(&root, &["checkout", "-q", "-b", "theirs"]);
    generate_at(&ws, theirs_set, "their change", 2);
    ok(&root, &["add", "-A"]);
    ok(&root, &["commit", "-q", "-m", "theirs"]);
    ok(&root, &["checkout", "-q", "main"]);
    generate_at(&ws, entities![ours::item::Entity], "our change", 1);
    ok(&root, &["add", "-A"]);
    ok(&root, &["commit", "-q", "-m", "ours"]);
    let merge = git(&root, &["merge", "theirs"]);
    assert!(!merge.status.success(), "git reports the conflict");
    (scratch, ws)
}

#[tokio::test]
async fn merge_keeps_both_branches_in_order_during_an_unfinished_git_merge() {
    let (_scratch, ws) = merged_branches(entities![theirs::item::Entity, theirs::tag::Entity]);
    let merged_entities = entities![both::item::Entity, both::tag::Entity];
    // Mid-merge, check names the unfinished merge.
    let err = generate::pending(&ws, &merged_entities, &Default::default(), &mut NoTerminal)
        .err()
        .expect("refused mid-merge")
        .to_string();
    assert!(err.contains("git conflict markers"), "{err}");

    let merged = tidemark::chain::merge(&ws).unwrap().expect("two branches");
    assert_eq!(merged.ours, ["m20260101_000100_our_change"]);
    assert_eq!(merged.theirs, ["m20260101_000200_their_change"]);
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    assert!(!lib.contains("<<<<<<<"), "{lib}");
    let ours_at = lib.find("Box::new(m20260101_000100_our_change").unwrap();
    let theirs_at = lib.find("Box::new(m20260101_000200_their_change").unwrap();
    assert!(ours_at < theirs_at, "{lib}");

    // The snapshot holds both branches: nothing is pending, nothing written twice.
    let pending =
        generate::pending(&ws, &merged_entities, &Default::default(), &mut NoTerminal).unwrap();
    assert!(pending.changes.is_empty(), "{:?}", pending.summary());
    let again = generate::generate(
        &ws,
        &merged_entities,
        &fixture::options_at("after merge", 3),
        &mut NoTerminal,
    )
    .unwrap();
    assert!(matches!(again, Outcome::NoChanges));
    assert!(tidemark::chain::merge(&ws).unwrap().is_none());

    // Both migrations run, in that order, and each matches its rebuilt snapshot.
    let mut out = Vec::new();
    let ok = tidemark::verify::verify(&ws, None, &mut out).await.unwrap();
    assert!(ok, "{}", String::from_utf8_lossy(&out));
}

#[test]
fn a_change_both_branches_made_is_refused_with_both_names() {
    let (_scratch, ws) = merged_branches(entities![clashing::item::Entity]);
    let lib_before = std::fs::read_to_string(ws.lib_rs()).unwrap();
    let err = tidemark::chain::merge(&ws).unwrap_err().to_string();
    assert!(
        err.contains("`m20260101_000100_our_change` and `m20260101_000200_their_change` both change column `item.note`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(ws.lib_rs()).unwrap(), lib_before);
}

#[test]
fn the_wrong_resolution_is_caught_before_a_duplicate_is_written() {
    let (_scratch, ws) = merged_branches(entities![theirs::item::Entity, theirs::tag::Entity]);
    let root = ws.root.clone();
    // --theirs for the snapshot and the sum, both sides' lines kept in lib.rs.
    ok(
        &root,
        &[
            "checkout",
            "--theirs",
            "--",
            "migration/schema_snapshot.json",
        ],
    );
    ok(
        &root,
        &["checkout", "--theirs", "--", "migration/tidemark.sum"],
    );
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    std::fs::write(ws.lib_rs(), tidemark::chain::union_of_sides(&lib)).unwrap();
    let merged_entities = entities![both::item::Entity, both::tag::Entity];
    let err = generate::generate(
        &ws,
        &merged_entities,
        &fixture::options_at("duplicate", 3),
        &mut NoTerminal,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("was generated after `m20260101_000000_step_0`, but lib.rs registers it after `m20260101_000100_our_change`")
            && err.contains("cargo run -- merge"),
        "{err}"
    );
    // `merge` mends it from there too.
    tidemark::chain::merge(&ws).unwrap().expect("mended");
    let pending =
        generate::pending(&ws, &merged_entities, &Default::default(), &mut NoTerminal).unwrap();
    assert!(pending.changes.is_empty(), "{:?}", pending.summary());
}

#[test]
fn an_edited_or_deleted_merged_migration_fails_check() {
    let (_scratch, ws) = fixture::workspace(&[
        entities![base::item::Entity],
        entities![ours::item::Entity],
        entities![both::item::Entity, both::tag::Entity],
    ]);
    let set = entities![both::item::Entity, both::tag::Entity];
    let check = |ws: &Workspace| {
        generate::pending(ws, &set, &Default::default(), &mut NoTerminal)
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(check(&ws), None);
    // Formatting and comments do not count.
    let path = ws.migration_file("m20260101_000100_step_1");
    let source = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("// looked at it\n{}", source.replace("    ", "  ")),
    )
    .unwrap();
    assert_eq!(check(&ws), None);
    // A changed statement does.
    std::fs::write(
        &path,
        source.replacen(
            "Online::new(manager)",
            "tidemark_runtime::Online::new(manager)",
            1,
        ),
    )
    .unwrap();
    let err = check(&ws).expect("an edit");
    assert!(
        err.contains("`m20260101_000100_step_1` changed since migration/tidemark.sum recorded it"),
        "{err}"
    );
    std::fs::write(&path, &source).unwrap();
    // A deleted one: its registration gone, its line left.
    let lib = std::fs::read_to_string(ws.lib_rs()).unwrap();
    let without: String = lib
        .lines()
        .filter(|l| !l.contains("m20260101_000100_step_1"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(ws.lib_rs(), without).unwrap();
    let err = check(&ws).expect("a deletion");
    assert!(
        err.contains("is in migration/tidemark.sum but no longer registered"),
        "{err}"
    );
}
