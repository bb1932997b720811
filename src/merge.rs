//! Files that git left mid-merge: recognised before any parser sees them, so the message says
//! "finish the merge" rather than "invalid JSON" or "cannot parse lib.rs".

use crate::error::{Error, Result};
use std::path::Path;

/// The 1-based line of the first git conflict marker in `text`, if there is one.
pub fn conflict_marker_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.starts_with("<<<<<<< ")
                || line == "<<<<<<<"
                || line.starts_with(">>>>>>> ")
                || line == ">>>>>>>"
                || line.starts_with("||||||| ")
        })
        .map(|i| i + 1)
}

/// Refuses `text` (read from `path`) when it holds git conflict markers.
pub fn refuse_conflict_markers(path: &Path, text: &str) -> Result<()> {
    match conflict_marker_line(text) {
        Some(line) => Err(Error::UnfinishedMerge {
            path: path.to_owned(),
            line,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_only_at_line_starts() {
        let merged = "{\n<<<<<<< HEAD\n  \"a\": 1\n=======\n  \"a\": 2\n>>>>>>> feature\n}\n";
        assert_eq!(conflict_marker_line(merged), Some(2));
        assert_eq!(conflict_marker_line("let s = \"<<<<<<< x\";\n"), None);
        assert_eq!(conflict_marker_line("// =======\n"), None);
    }
}
