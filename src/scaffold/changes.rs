//! A record of every file and folder `wasmfaas new` touches, so a failure
//! leaves the disk exactly as it was: files put back byte for byte, new files
//! and folders removed.

use std::path::{Path, PathBuf};

use crate::atomic_file::{self, Durability};

/// What has been changed so far, in order.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// Folders that did not exist before, outermost first.
    created_dirs: Vec<PathBuf>,
    /// Files written, with their previous contents (`None`: the file is new).
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl Changes {
    /// Creates `dir` and its missing parents, remembering which were new.
    pub(super) fn create_dir_all(&mut self, dir: &Path) -> std::io::Result<()> {
        // A bare relative path (`proj`) ends in the empty path, which is the
        // current folder, not one to create.
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .collect();
        for dir in missing.into_iter().rev() {
            std::fs::create_dir(dir)?;
            self.created_dirs.push(dir.to_path_buf());
        }
        Ok(())
    }

    /// Writes `contents` to `path` (atomically: a config file is either the
    /// old one or the new one), creating its folder.
    pub(super) fn write(&mut self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            self.create_dir_all(parent)?;
        }
        let previous = match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        self.files.push((path.to_path_buf(), previous));
        atomic_file::replace(path, contents, Durability::Synced)
    }

    /// Puts everything back, newest change first. Best effort: a failure to
    /// undo one change does not stop the others; the paths that could not be
    /// restored are returned, for the error message.
    pub(super) fn undo(self) -> Vec<PathBuf> {
        let mut failed = Vec::new();
        for (path, previous) in self.files.into_iter().rev() {
            let undone = match previous {
                Some(bytes) => atomic_file::replace(&path, &bytes, Durability::Synced),
                None => std::fs::remove_file(&path),
            };
            if undone.is_err() {
                failed.push(path);
            }
        }
        // Only folders this run created, innermost first; each is empty now
        // unless something else wrote into it meanwhile, which is kept.
        for dir in self.created_dirs.into_iter().rev() {
            if std::fs::remove_dir(&dir).is_err() {
                failed.push(dir);
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::Changes;

    #[test]
    fn undo_restores_files_byte_for_byte_and_removes_what_was_new() {
        let root = std::env::temp_dir().join(format!("wasmfaas-changes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let kept = root.join("kept.toml");
        std::fs::write(&kept, b"# mine\r\nx = 1 \n\n").unwrap();

        let mut changes = Changes::default();
        changes.write(&kept, b"replaced").unwrap();
        changes.write(&root.join("a/b/new.txt"), b"new").unwrap();
        assert_eq!(std::fs::read(&kept).unwrap(), b"replaced");
        assert!(root.join("a/b/new.txt").is_file());

        assert_eq!(changes.undo(), Vec::<std::path::PathBuf>::new());
        assert_eq!(std::fs::read(&kept).unwrap(), b"# mine\r\nx = 1 \n\n");
        assert!(!root.join("a").exists());
        let left: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
        assert_eq!(left.len(), 1, "only the original file is left: {left:?}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
