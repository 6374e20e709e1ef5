//! Replacing a file so that a reader, or a crash, sees the old file or the
//! new one, never a part: the bytes go to a temporary file in the same folder,
//! which is then renamed over the target. Used for build artifacts, fixtures
//! and snapshots; the state store's blobs have their own protocol (they are
//! placed inside a database transaction, see `state::blobs`).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether the new file must survive a power loss once this returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// File and folder are synced before returning: files people commit.
    Synced,
    /// Not synced: files that are cheap to make again, written often.
    Unsynced,
}

/// Writes `bytes` to `path` atomically, creating its folder if needed. The
/// temporary name is unique per process and call (`.<name>.<pid>.<n>.tmp`),
/// so concurrent writers never share one, and it is removed on failure.
///
/// # Errors
/// The first failing step (no file name, folder, write, sync, rename).
pub fn replace(path: &Path, bytes: &[u8], durability: Durability) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let Some(file_name) = path.file_name() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path names no file",
        ));
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        if durability == Durability::Synced {
            file.sync_all()?;
        }
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    if durability == Durability::Synced {
        // Persist the rename itself; not every platform can sync a folder.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}
