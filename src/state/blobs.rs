//! Bodies too large to sit well in SQLite rows, kept as files in `blobs/`.
//!
//! A body over [`INLINE_BODY_BYTES`](super::limits::INLINE_BODY_BYTES) (64
//! KiB) is written to a temp file, fsynced, and renamed to its final name only
//! inside the write transaction that refers to it (so under SQLite's write
//! lock), and the folder is fsynced before the commit. File names are 128 random bits in hex, never derived from a key:
//! keys are data (`../../etc/passwd` is a legal S3 key), and a name must not
//! collide with one another process picked.
//!
//! # Dev. Note: crashes and other processes
//! A crash can leave a temp file, or a renamed file whose transaction never
//! committed. [`Blobs::sweep`] removes both at open, under the write lock, so no
//! other process is between rename and commit. A temp file is still being
//! written while its writer holds an `flock` on it; the sweep skips locked ones.

use super::error::StateError;
use md5::{Digest, Md5};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::limits::INLINE_BODY_BYTES as INLINE_LIMIT;

const TEMP_SUFFIX: &str = ".tmp";

/// How much of a streamed body is in memory at once: a body is copied from
/// its reader to its file in pieces of this size, whatever its length.
pub(super) const STREAM_CHUNK: usize = 64 * 1024;

/// Where bodies go: a `blobs/` folder, or nowhere (in-memory state keeps every body inline).
pub(super) struct Blobs {
    dir: Option<PathBuf>,
}

/// A body ready to be referred to by a row: inline bytes, or a written temp file.
pub(super) enum Prepared<'a> {
    Inline(Cow<'a, [u8]>),
    File(TempBlob),
}

/// A fully written, fsynced temp file, locked against the open-time sweep.
pub(super) struct TempBlob {
    /// Held open for its `flock` until the blob is committed or discarded.
    file: File,
    temp_path: PathBuf,
    name: String,
    size: u64,
}

/// A body read to its end and ready to be placed, with what was learnt on
/// the way.
pub(super) struct Staged {
    pub(super) body: Prepared<'static>,
    pub(super) size: u64,
    pub(super) md5: [u8; 16],
}

/// Why [`Blobs::stage`] stopped.
pub(super) enum StageFailure {
    /// The caller's reader failed (for the S3 endpoint: the client's body
    /// was cut short, misframed, or failed a checksum).
    Read(std::io::Error),
    /// More than the limit.
    TooLarge { size: u64 },
    /// Writing the temp file failed.
    Store(StateError),
}

/// A stored body opened for reading.
pub(super) enum Opened {
    Inline(Vec<u8>),
    /// The open file and its path (for messages).
    File(File, PathBuf),
}

/// How a row stores its body: exactly one of the two columns is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stored {
    Inline(Vec<u8>),
    File(String),
}

impl Stored {
    /// Reads the `(body, body_file)` column pair.
    pub(super) fn from_columns(
        inline: Option<Vec<u8>>,
        file: Option<String>,
    ) -> Result<Stored, StateError> {
        match (inline, file) {
            (_, Some(name)) => Ok(Stored::File(name)),
            (Some(bytes), None) => Ok(Stored::Inline(bytes)),
            (None, None) => Err(StateError::Corrupt {
                detail: "a row has neither an inline body nor a body file".into(),
            }),
        }
    }
}

/// Reading a body failed because its file is gone: a concurrent write replaced
/// it after our snapshot was taken, so the caller reads again.
pub(super) enum ReadError {
    Missing(String),
    Other(StateError),
}

impl From<StateError> for ReadError {
    fn from(e: StateError) -> Self {
        ReadError::Other(e)
    }
}

impl<'a> Prepared<'a> {
    /// The `(inline, file)` values to bind for the row's two body columns.
    pub(super) fn columns(&self) -> (Option<&[u8]>, Option<&str>) {
        match self {
            Prepared::Inline(bytes) => (Some(bytes), None),
            Prepared::File(blob) => (None, Some(&blob.name)),
        }
    }

    pub(super) fn len(&self) -> u64 {
        match self {
            Prepared::Inline(bytes) => bytes.len() as u64,
            Prepared::File(blob) => blob.size,
        }
    }
}

impl Blobs {
    pub(super) fn new(dir: Option<PathBuf>) -> Blobs {
        Blobs { dir }
    }

    pub(super) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Stores `body` inline if small (or in memory), else writes it to a temp file.
    pub(super) fn prepare<'a>(&self, body: &'a [u8]) -> Result<Prepared<'a>, StateError> {
        match &self.dir {
            Some(dir) if body.len() > INLINE_LIMIT => {
                let mut temp = TempBlob::create(dir)?;
                temp.write(body)?;
                temp.finish()?;
                Ok(Prepared::File(temp))
            }
            _ => Ok(Prepared::Inline(Cow::Borrowed(body))),
        }
    }

    /// Reads `body` to its end into a prepared body, hashing it on the way:
    /// inline if it ends within the inline limit (or the state is in
    /// memory), else streamed to a temp file [`STREAM_CHUNK`] bytes at a
    /// time, so memory stays bounded whatever the body's length. More than
    /// `max` bytes is refused as soon as it is seen.
    pub(super) fn stage(&self, body: &mut dyn Read, max: u64) -> Result<Staged, StageFailure> {
        let mut md5 = Md5::new();
        let mut inline = Vec::new();
        let limit = match self.dir {
            Some(_) => INLINE_LIMIT as u64 + 1,
            None => max.saturating_add(1),
        };
        let read = body
            .take(limit)
            .read_to_end(&mut inline)
            .map_err(StageFailure::Read)?;
        let Some(dir) = self.dir.as_deref().filter(|_| read as u64 == limit) else {
            if read as u64 > max {
                return Err(StageFailure::TooLarge { size: read as u64 });
            }
            md5.update(&inline);
            return Ok(Staged {
                size: read as u64,
                md5: md5.finalize().into(),
                body: Prepared::Inline(Cow::Owned(inline)),
            });
        };
        let mut temp = TempBlob::create(dir).map_err(StageFailure::Store)?;
        md5.update(&inline);
        temp.write(&inline).map_err(StageFailure::Store)?;
        drop(inline);
        let mut buffer = vec![0; STREAM_CHUNK];
        loop {
            let n = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(StageFailure::Read(e)),
            };
            if temp.size + n as u64 > max {
                return Err(StageFailure::TooLarge {
                    size: temp.size + n as u64,
                });
            }
            md5.update(&buffer[..n]);
            temp.write(&buffer[..n]).map_err(StageFailure::Store)?;
        }
        temp.finish().map_err(StageFailure::Store)?;
        Ok(Staged {
            size: temp.size,
            md5: md5.finalize().into(),
            body: Prepared::File(temp),
        })
    }

    /// Opens a stored body for reading: the bytes of an inline one, or a
    /// handle on its file (which keeps reading the same bytes even if a
    /// later write replaces and removes the file).
    pub(super) fn open_stored(&self, stored: Stored) -> Result<Opened, ReadError> {
        match stored {
            Stored::Inline(bytes) => Ok(Opened::Inline(bytes)),
            Stored::File(name) => Ok(Opened::File(self.open(&name)?, self.path(&name))),
        }
    }

    /// Concatenates stored bodies into one prepared body (completing a multipart upload).
    pub(super) fn prepare_concat(
        &self,
        parts: &[Stored],
        total: u64,
    ) -> Result<Prepared<'static>, ReadError> {
        match &self.dir {
            Some(dir) if total > INLINE_LIMIT as u64 => {
                let mut temp = TempBlob::create(dir)?;
                for part in parts {
                    match part {
                        Stored::Inline(bytes) => temp.write(bytes)?,
                        Stored::File(name) => {
                            let mut src = self.open(name)?;
                            std::io::copy(&mut src, &mut temp.file)
                                .map_err(|e| StateError::io("copy into", &temp.temp_path, e))?;
                            temp.size += src.metadata().map(|m| m.len()).unwrap_or(0);
                        }
                    }
                }
                temp.finish()?;
                Ok(Prepared::File(temp))
            }
            _ => {
                let mut all = Vec::with_capacity(total as usize);
                for part in parts {
                    all.extend_from_slice(&self.read(part, None)?);
                }
                Ok(Prepared::Inline(Cow::Owned(all)))
            }
        }
    }

    /// Reads a whole stored body, or the inclusive byte range `range` of it.
    pub(super) fn read(
        &self,
        stored: &Stored,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, ReadError> {
        match stored {
            Stored::Inline(bytes) => Ok(match range {
                Some((first, last)) => bytes[first as usize..=last as usize].to_vec(),
                None => bytes.clone(),
            }),
            Stored::File(name) => {
                let mut file = self.open(name)?;
                let path = self.path(name);
                let read_err = |e| ReadError::Other(StateError::io("read", &path, e));
                match range {
                    Some((first, last)) => {
                        let mut out = vec![0; (last - first + 1) as usize];
                        file.seek(SeekFrom::Start(first)).map_err(read_err)?;
                        file.read_exact(&mut out).map_err(read_err)?;
                        Ok(out)
                    }
                    None => {
                        let mut out = Vec::new();
                        file.read_to_end(&mut out).map_err(read_err)?;
                        Ok(out)
                    }
                }
            }
        }
    }

    /// Copies a stored body into a new prepared body (for copy_object).
    pub(super) fn prepare_copy(
        &self,
        stored: &Stored,
        size: u64,
    ) -> Result<Prepared<'static>, ReadError> {
        self.prepare_concat(std::slice::from_ref(stored), size)
    }

    fn open(&self, name: &str) -> Result<File, ReadError> {
        let path = self.path(name);
        File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::Missing(name.to_owned()),
            _ => ReadError::Other(StateError::io("open", &path, e)),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        // Names come from our own rows; a hand-edited row cannot climb out of blobs/.
        let safe = is_blob_name(name);
        let dir = self.dir.as_deref().unwrap_or(Path::new("."));
        if safe {
            dir.join(name)
        } else {
            dir.join("invalid-blob-name")
        }
    }

    /// Gives a temp file its final name; called inside the write transaction.
    pub(super) fn place(&self, blob: &TempBlob) -> Result<PathBuf, StateError> {
        let path = self.path(&blob.name);
        std::fs::rename(&blob.temp_path, &path)
            .map_err(|e| StateError::io("rename", &blob.temp_path, e))?;
        if let Some(dir) = &self.dir {
            sync_dir(dir)?;
        }
        Ok(path)
    }

    /// Removes body files whose rows are gone (committed); a failure leaves an
    /// orphan for the next sweep, never a dangling row.
    pub(super) fn remove(&self, names: &[String]) {
        for name in names {
            let _ = std::fs::remove_file(self.path(name));
        }
    }

    /// Deletes files of ours that no row refers to: crash leftovers.
    /// Must run under the database write lock (see the module note).
    pub(super) fn sweep(&self, referenced: &HashSet<String>) -> Result<usize, StateError> {
        let Some(dir) = &self.dir else { return Ok(0) };
        let entries = std::fs::read_dir(dir).map_err(|e| StateError::io("list", dir, e))?;
        let mut removed = 0;
        for entry in entries {
            let entry = entry.map_err(|e| StateError::io("list", dir, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let path = entry.path();
            if let Some(stem) = name.strip_suffix(TEMP_SUFFIX) {
                if is_blob_name(stem) && try_lock(&path) {
                    let _ = std::fs::remove_file(&path);
                    removed += 1;
                }
            } else if is_blob_name(&name) && !referenced.contains(&name) {
                let _ = std::fs::remove_file(&path);
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl TempBlob {
    fn create(dir: &Path) -> Result<TempBlob, StateError> {
        let name = random_name();
        let temp_path = dir.join(format!("{name}{TEMP_SUFFIX}"));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp_path)
            .map_err(|e| StateError::io("create", &temp_path, e))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let locked = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
        if locked != 0 {
            let e = std::io::Error::last_os_error();
            let _ = std::fs::remove_file(&temp_path);
            return Err(StateError::io("lock", &temp_path, e));
        }
        Ok(TempBlob {
            file,
            temp_path,
            name,
            size: 0,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        self.file
            .write_all(bytes)
            .map_err(|e| StateError::io("write", &self.temp_path, e))?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), StateError> {
        self.file
            .sync_all()
            .map_err(|e| StateError::io("fsync", &self.temp_path, e))
    }
}

impl Drop for TempBlob {
    /// A blob never placed is thrown away; a placed one has no temp file left.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.temp_path);
    }
}

/// True for names this module generates: 32 lowercase hex digits.
fn is_blob_name(name: &str) -> bool {
    name.len() == 32
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// 128 unpredictable bits without a clock or a new dependency: std seeds each
/// `RandomState` from the OS once per thread and then varies it per instance.
fn random_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bits = [0u64; 2];
    for half in &mut bits {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u32(std::process::id());
        *half = hasher.finish();
    }
    format!("{:016x}{:016x}", bits[0], bits[1])
}

/// True if no one holds the file's lock (it is then a crash leftover).
fn try_lock(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    // SAFETY: flock on a file descriptor we own; the lock ends when `file` closes.
    unsafe {
        libc::flock(
            std::os::fd::AsRawFd::as_raw_fd(&file),
            libc::LOCK_EX | libc::LOCK_NB,
        ) == 0
    }
}

pub(super) fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StateError::io("fsync", dir, e))
}

/// The MD5 digest of `bytes`.
pub(super) fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}
