//! The only module that writes into `migration/`: all files of one generation land together
//! or not at all.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes every `(path, contents)` pair, or none of them.
///
/// Each file is first written in full to a temporary file beside its target, so a full disk or
/// an unwritable folder fails before anything is replaced; the temporary files are then
/// renamed into place, and if one rename fails, the files already replaced are restored.
pub fn write_all(files: &[(PathBuf, String)]) -> Result<()> {
    let mut staged: Vec<(tempfile::NamedTempFile, &Path)> = Vec::new();
    for (path, contents) in files {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut builder = tempfile::Builder::new();
        builder.prefix(".tidemark-");
        // A new file gets what the umask leaves of rw-rw-rw- (as `touch` would), not the
        // temporary file's private 0600; a replaced file keeps its own mode (set below).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let mut tmp = builder.tempfile_in(dir).map_err(Error::io(dir))?;
        if let Ok(existing) = std::fs::metadata(path) {
            tmp.as_file()
                .set_permissions(existing.permissions())
                .map_err(Error::io(tmp.path().to_owned()))?;
        }
        tmp.write_all(contents.as_bytes())
            .map_err(Error::io(tmp.path().to_owned()))?;
        tmp.as_file()
            .sync_all()
            .map_err(Error::io(tmp.path().to_owned()))?;
        staged.push((tmp, path));
    }
    let mut done: Vec<(&Path, Option<Vec<u8>>)> = Vec::new();
    for (tmp, path) in staged {
        let previous = std::fs::read(path).ok();
        if let Err(err) = tmp.persist(path) {
            let unrestored = restore(&done);
            if unrestored.is_empty() {
                return Err(Error::io(path)(err.error));
            }
            return Err(Error::WriteNotUndone {
                path: path.to_owned(),
                source: err.error,
                unrestored,
            });
        }
        done.push((path, previous));
    }
    Ok(())
}

/// Puts the files already replaced back as they were; the ones that could not be, with why.
fn restore(done: &[(&Path, Option<Vec<u8>>)]) -> Vec<String> {
    let mut unrestored = Vec::new();
    for (path, previous) in done.iter().rev() {
        let undone = match previous {
            Some(bytes) => std::fs::write(path, bytes),
            None => std::fs::remove_file(path),
        };
        if let Err(e) = undone {
            unrestored.push(format!("{} ({e})", path.display()));
        }
    }
    unrestored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_cannot_be_put_back_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.rs");
        std::fs::write(&kept, "new").unwrap();
        // Its folder is gone, so the old bytes cannot be written back.
        let lost = dir.path().join("gone").join("lost.rs");
        let unrestored = restore(&[
            (&lost, Some(b"old".to_vec())),
            (&kept, Some(b"old".to_vec())),
        ]);
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old");
        assert_eq!(unrestored.len(), 1, "{unrestored:?}");
        assert!(
            unrestored[0].starts_with(&lost.display().to_string()),
            "{unrestored:?}"
        );
    }
}
