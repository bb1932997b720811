//! `migration/tidemark.sum`: the migrations' offline integrity file, in the spirit of Atlas's
//! `atlas.sum`.
//!
//! One line per registered migration, in order: its module and a hash of its code, under a
//! first line that hashes all the others. The code is hashed as Rust tokens without comments
//! (doc comments included), so formatting and comments do not count. `generate`, `record`,
//! `merge` and `rehash` write it; `check` reads it in CI, without a database, and fails when a
//! migration was edited after the file recorded it, when one was deleted or added by hand, and
//! when two branches' migrations were combined without `merge`. Two branches that each add a
//! migration both rewrite the first line, so git reports the conflict even when the other
//! lines merge cleanly.

use crate::error::{Error, Result};
use crate::workspace::Workspace;
use proc_macro2::{TokenStream, TokenTree};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The file's name, beside `schema_snapshot.json`.
pub const FILE: &str = "tidemark.sum";

/// Each registered migration with the hash of its code, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sum {
    pub entries: Vec<(String, String)>,
    /// The hash of each file's bytes as it was when its code hash was taken (`b1:`): a file
    /// with the same bytes has the same code hash, so `check` lexes only files that changed.
    /// Not part of the total: it only saves work.
    pub bytes: BTreeMap<String, String>,
}

impl Sum {
    pub fn new(entries: Vec<(String, String)>) -> Self {
        Sum {
            entries,
            bytes: BTreeMap::new(),
        }
    }

    /// The file's text: the total, then a line per migration.
    pub fn render(&self) -> String {
        let mut out = format!("h1:{}\n", self.total());
        for (module, hash) in &self.entries {
            out.push_str(&format!("{module} h1:{hash}"));
            if let Some(bytes) = self.bytes.get(module) {
                out.push_str(&format!(" b1:{bytes}"));
            }
            out.push('\n');
        }
        out
    }

    fn total(&self) -> String {
        let lines: String = self
            .entries
            .iter()
            .map(|(module, hash)| format!("{module} h1:{hash}\n"))
            .collect();
        hex(&Sha256::digest(lines.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of a migration's code: its tokens, without comments and doc comments.
pub fn hash_source(source: &str, path: &std::path::Path) -> Result<String> {
    let text = code_text(source).map_err(|e| Error::UnhashableMigration {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(code_hash([text.as_str()]))
}

/// A migration's code as its hash reads it: its tokens, without comments and doc comments, as
/// text. Cut between two items, a file's text is its pieces' texts one after the other, so a
/// file written in pieces can be hashed as they are written.
pub fn code_text(source: &str) -> std::result::Result<String, proc_macro2::LexError> {
    let tokens: TokenStream = source.parse()?;
    let mut text = String::with_capacity(source.len());
    write_tokens(tokens, &mut text);
    Ok(text)
}

/// The hash of the code whose [`code_text`] is `pieces`, in order.
pub fn code_hash<'a>(pieces: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for piece in pieces {
        hasher.update(piece.as_bytes());
    }
    hex(&hasher.finalize())
}

/// Writes `tokens` as text, leaving out `#[doc = ...]` and `#![doc = ...]` attributes.
fn write_tokens(tokens: TokenStream, out: &mut String) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        if let TokenTree::Punct(p) = &trees[i]
            && p.as_char() == '#'
        {
            let bang = matches!(trees.get(i + 1), Some(TokenTree::Punct(b)) if b.as_char() == '!');
            let at = if bang { i + 2 } else { i + 1 };
            if let Some(TokenTree::Group(group)) = trees.get(at)
                && group.delimiter() == proc_macro2::Delimiter::Bracket
                && matches!(group.stream().into_iter().next(), Some(TokenTree::Ident(id)) if id == "doc")
            {
                i = at + 1;
                continue;
            }
        }
        match &trees[i] {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                    proc_macro2::Delimiter::Brace => ("{", "}"),
                    proc_macro2::Delimiter::Bracket => ("[", "]"),
                    proc_macro2::Delimiter::None => ("", ""),
                };
                out.push_str(open);
                write_tokens(group.stream(), out);
                out.push_str(close);
            }
            other => {
                use std::fmt::Write;
                write!(out, "{other}").expect("writing to a String");
            }
        }
        out.push(' ');
        i += 1;
    }
}

/// The sum of the workspace's registered migrations as their files are now.
pub fn compute(ws: &Workspace, registered: &[String]) -> Result<Sum> {
    compute_knowing(ws, registered, None)
}

/// [`compute`], taking the code hash of a file whose bytes `known` recorded from there.
fn compute_knowing(ws: &Workspace, registered: &[String], known: Option<&Sum>) -> Result<Sum> {
    let mut sum = Sum::default();
    for module in registered {
        let path = ws.migration_file(module);
        let source = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
        let bytes = bytes_hash(&source);
        let recorded = known.and_then(|k| {
            (k.bytes.get(module) == Some(&bytes))
                .then(|| k.entries.iter().find(|(m, _)| m == module))
                .flatten()
        });
        let hash = match recorded {
            Some((_, hash)) => hash.clone(),
            None => hash_source(&source, &path)?,
        };
        sum.entries.push((module.clone(), hash));
        sum.bytes.insert(module.clone(), bytes);
    }
    Ok(sum)
}

fn bytes_hash(source: &str) -> String {
    hex(&Sha256::digest(source.as_bytes()))
}

/// The sum once `module` (whose code is `source`) is registered after `registered`: the
/// recorded lines and the new one, or, when there is no file yet, every migration as it is.
/// `code_hash` is the source's [`hash_source`], which the renderer computes as it writes.
pub fn with_new(
    ws: &Workspace,
    registered: &[String],
    module: &str,
    source: &str,
    code_hash: &str,
) -> Result<Sum> {
    let mut sum = match read(ws)? {
        Some((recorded, _)) => recorded,
        None => compute(ws, registered)?,
    };
    sum.entries.push((module.to_owned(), code_hash.to_owned()));
    sum.bytes.insert(module.to_owned(), bytes_hash(source));
    Ok(sum)
}

/// Where the file lives.
pub fn path(ws: &Workspace) -> std::path::PathBuf {
    ws.migration_dir().join(FILE)
}

/// The recorded file, `None` when there is none yet.
pub fn read(ws: &Workspace) -> Result<Option<(Sum, String)>> {
    let path = path(ws);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path)(e)),
    };
    crate::merge::refuse_conflict_markers(&path, &text)?;
    let mut lines = text.lines();
    let total = lines
        .next()
        .and_then(|l| l.strip_prefix("h1:"))
        .unwrap_or_default()
        .to_owned();
    let mut sum = Sum::default();
    for (n, line) in lines.enumerate() {
        let parsed = line.split_once(" h1:").map(|(module, hashes)| {
            let (hash, bytes) = match hashes.split_once(" b1:") {
                Some((hash, bytes)) => (hash, Some(bytes)),
                None => (hashes, None),
            };
            (module.to_owned(), hash.to_owned(), bytes.map(str::to_owned))
        });
        match parsed {
            Some((module, hash, bytes)) => {
                if let Some(bytes) = bytes {
                    sum.bytes.insert(module.clone(), bytes);
                }
                sum.entries.push((module, hash));
            }
            None => {
                return Err(Error::UnreadableSum {
                    path: path.to_owned(),
                    line: n + 2,
                });
            }
        }
    }
    Ok(Some((sum, total)))
}

/// What `check` finds wrong with the recorded file, compared with the migrations now; empty
/// when they agree. `None` for the file: there is none yet (the next `generate` writes it).
pub fn problems(ws: &Workspace, registered: &[String]) -> Result<Option<Vec<String>>> {
    let Some((recorded, total)) = read(ws)? else {
        return Ok(None);
    };
    let now = compute_knowing(ws, registered, Some(&recorded))?;
    let mut problems = Vec::new();
    if total != recorded.total() {
        problems.push(format!(
            "migration/{FILE} does not add up: it was edited by hand, or two branches' lines \
             were merged without `cargo run -- merge`"
        ));
    }
    for (module, hash) in &recorded.entries {
        match now.entries.iter().find(|(m, _)| m == module) {
            None => problems.push(format!(
                "`{module}` is in migration/{FILE} but no longer registered in lib.rs: a \
                 migration that was merged was deleted"
            )),
            Some((_, current)) if current != hash => problems.push(format!(
                "`{module}` changed since migration/{FILE} recorded it \
                 (migration/src/{module}.rs): a migration that databases may have applied must \
                 not change; write a new one. For your own migration that nothing applied yet \
                 (a hand-written one you are writing), or a deliberate fix accepted on every \
                 database with `up --accept-edited`, `cargo run -- rehash`"
            )),
            Some(_) => {}
        }
    }
    for (module, _) in &now.entries {
        if !recorded.entries.iter().any(|(m, _)| m == module) {
            problems.push(format!(
                "`{module}` is registered but not in migration/{FILE}: it was added without \
                 `generate`, or merged from another branch without `cargo run -- merge`"
            ));
        }
    }
    let order = |sum: &Sum| -> Vec<String> {
        sum.entries
            .iter()
            .map(|(m, _)| m.clone())
            .filter(|m| {
                recorded.entries.iter().any(|(r, _)| r == m)
                    && now.entries.iter().any(|(n, _)| n == m)
            })
            .collect()
    };
    if order(&recorded) != order(&now) {
        problems.push(format!(
            "lib.rs registers the migrations in another order than migration/{FILE} records"
        ));
    }
    Ok(Some(problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_comments_do_not_count() {
        let path = std::path::Path::new("m.rs");
        let a = hash_source("//! doc\nfn up() { run(1); }\n", path).unwrap();
        let b = hash_source(
            "//! another doc\n// a note\nfn up() {\n    run(1); // why\n}\n",
            path,
        )
        .unwrap();
        let c = hash_source("fn up() { run(2); }", path).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_file_hashed_in_pieces_cut_between_items_is_the_file_hashed_whole() {
        let head = "//! doc\nuse a::b;\n\n#[derive(X)]\npub struct M;\n";
        let tail = "\n// note\nfn up_1() -> Vec<C> {\n    Vec::from([c(\"x\"), d(1)])\n}\n";
        let whole = hash_source(&format!("{head}{tail}"), std::path::Path::new("m.rs")).unwrap();
        let texts = [code_text(head).unwrap(), code_text(tail).unwrap()];
        assert_eq!(code_hash(texts.iter().map(String::as_str)), whole);
        assert_ne!(code_hash([texts[1].as_str(), texts[0].as_str()]), whole);
    }

    #[test]
    fn the_first_line_adds_up_the_others() {
        let sum = Sum::new(vec![("m1".into(), "aa".into()), ("m2".into(), "bb".into())]);
        let text = sum.render();
        assert!(text.starts_with("h1:"));
        assert!(text.ends_with("m1 h1:aa\nm2 h1:bb\n"));
    }
}
