//! The storage engine behind KV namespaces and S3 buckets: a plain Rust API
//! (no HTTP, no wasm) over one SQLite file and a folder of body files.
//!
//! The guest host-call shims, the S3-compatible HTTP endpoint and the CLI all
//! go through [`State`]; none of them touches the database directly. This
//! module must not read the system clock: every call that records a time takes
//! `now_ns` from the caller, so the runtime's virtual clock (and a replay) sees
//! exactly the expirations and timestamps it expects.
//!
//! ```
//! use wasmfaas::state::{KvPutOptions, PutOptions, State};
//! let state = State::in_memory()?;
//! state.kv_put("sessions", "alice", b"42", &KvPutOptions::default(), 0)?;
//! assert_eq!(state.kv_get("sessions", "alice", 0)?.unwrap().value, b"42");
//!
//! state.create_bucket("photos", 0)?;
//! let meta = state.put_object("photos", "a/b.jpg", b"...", &PutOptions::default(), 0)?;
//! assert_eq!(meta.etag, "\"2f43b42fd833d1e77420a8dae7419000\"");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Files: `state.sqlite` (schema and queries in docs/state.md) and `blobs/`.
//! Concurrency and durability are explained in the notes of `db` and `blobs`.

mod blobs;
mod checksum;
mod db;
mod error;
mod kv;
pub mod limits;
mod multipart;
mod object_io;
mod outbox;
mod range;
mod s3;
#[cfg(test)]
mod tests;

pub use checksum::{Checksum, ChecksumAlgorithm, Hasher};
pub use error::{BucketError, KvError, StateError};
pub use kv::{KvEntry, KvKey, KvListRequest, KvPage, KvPutOptions};
pub use multipart::UploadInfo;
pub use object_io::{ObjectBody, ObjectReader, StageError, StagedBody};
pub use outbox::PendingEvent;
pub use range::ByteRange;
pub use s3::{
    BucketInfo, CopyOptions, ListPage, ListRequest, ObjectMeta, PartInfo, PartRange, PutOptions,
};

use base64::Engine as _;
use blobs::{Blobs, Prepared, ReadError};
use rusqlite::Connection;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The database file's name inside the state directory.
pub const DATABASE_FILE: &str = "state.sqlite";
/// The folder of large bodies inside the state directory.
pub const BLOBS_DIR: &str = "blobs";

/// KV namespaces and S3 buckets of one project. Cheap to clone; every clone
/// shares the same connections, and all methods may be called from any thread.
#[derive(Clone)]
pub struct State {
    inner: Arc<Inner>,
}

struct Inner {
    db: db::Db,
    blobs: Blobs,
    /// The WAL file, fsynced before body files are removed (see [`State::write`]).
    wal_path: Option<PathBuf>,
}

/// A write transaction plus what it did to body files, so [`State::write`] can
/// finish the files' side once the database side is decided.
struct Tx<'c> {
    /// The writer connection, inside `BEGIN IMMEDIATE`.
    conn: &'c Connection,
    blobs: &'c Blobs,
    placed: Vec<PathBuf>,
    garbage: Vec<String>,
}

impl<'c> std::ops::Deref for Tx<'c> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Tx<'_> {
    /// Moves a prepared body file into place; the row written next may refer to it.
    fn place(&mut self, body: &Prepared) -> Result<(), StateError> {
        if let Prepared::File(blob) = body {
            let path = self.blobs.place(blob)?;
            self.placed.push(path);
        }
        Ok(())
    }

    /// Marks a body file for removal once this transaction has committed.
    fn discard(&mut self, file: Option<String>) {
        self.garbage.extend(file);
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("blobs", &self.inner.blobs.dir())
            .finish_non_exhaustive()
    }
}

impl State {
    /// Opens the state kept in `dir` (`dir/state.sqlite` and `dir/blobs/`),
    /// creating both if missing, migrating an older schema, and removing body
    /// files a crash left behind.
    ///
    /// # Errors
    /// [`StateError::NewerSchema`] if a newer wasmfaas wrote the file,
    /// [`StateError::NotAStateDatabase`] if it is someone else's database, and
    /// I/O or SQLite errors.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        let blobs_dir = dir.join(BLOBS_DIR);
        std::fs::create_dir_all(&blobs_dir).map_err(|e| StateError::io("create", &blobs_dir, e))?;
        let path = dir.join(DATABASE_FILE);
        let db = db::Db::open(&path)?;
        let state = State {
            inner: Arc::new(Inner {
                db,
                blobs: Blobs::new(Some(blobs_dir)),
                wal_path: Some(dir.join(format!("{DATABASE_FILE}-wal"))),
            }),
        };
        state.sweep_blobs()?;
        Ok(state)
    }

    /// A fresh, empty state that lives in memory only (for `--ephemeral` runs
    /// and replays); every body is kept in SQLite.
    ///
    /// # Errors
    /// Only if SQLite cannot allocate the database.
    pub fn in_memory() -> Result<State, StateError> {
        Ok(State {
            inner: Arc::new(Inner {
                db: db::Db::in_memory()?,
                blobs: Blobs::new(None),
                wal_path: None,
            }),
        })
    }

    /// Removes body files that no row refers to. Runs under the write lock so
    /// no other process is between placing a file and committing its row.
    fn sweep_blobs(&self) -> Result<usize, StateError> {
        self.write(|tx| {
            let mut referenced = HashSet::new();
            let mut stmt = tx.prepare(
                "SELECT value_file FROM kv_entries WHERE value_file IS NOT NULL
                 UNION ALL SELECT body_file FROM objects WHERE body_file IS NOT NULL
                 UNION ALL SELECT body_file FROM multipart_parts WHERE body_file IS NOT NULL",
            )?;
            let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for name in names {
                referenced.insert(name?);
            }
            tx.blobs.sweep(&referenced)
        })
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`) and commits it.
    ///
    /// Body files follow the database: files placed by `f` are removed if the
    /// transaction does not commit, and files `f` discarded are removed only
    /// after it did. Before removing them the WAL is fsynced: with
    /// `synchronous=NORMAL` a power loss could otherwise undo the commit but not
    /// the removal, leaving a row whose body is gone.
    fn write<T, E: From<StateError>>(
        &self,
        f: impl FnOnce(&mut Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let inner = &*self.inner;
        let conn = inner.db.writer();
        if !conn.is_autocommit() {
            // A panic in an earlier write left its transaction open: undo it.
            let _ = conn.execute_batch("ROLLBACK");
        }
        // BEGIN and COMMIT through the statement cache: parsing them anew, as
        // rusqlite's `Transaction` does, costs ~5% of a small write.
        conn.prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut s| s.execute([]))
            .map_err(StateError::from)?;
        let mut tx = Tx {
            conn: &conn,
            blobs: &inner.blobs,
            placed: Vec::new(),
            garbage: Vec::new(),
        };
        let result = f(&mut tx);
        let Tx {
            placed, garbage, ..
        } = tx;
        let committed = match result {
            Ok(value) => conn
                .prepare_cached("COMMIT")
                .and_then(|mut s| s.execute([]))
                .map(|_| value)
                .map_err(|e| E::from(e.into())),
            Err(e) => Err(e),
        };
        if !conn.is_autocommit() {
            // `f` failed, or COMMIT did: undo everything. A failing ROLLBACK
            // leaves nothing to do; SQLite rolls back when the connection closes.
            let _ = conn.execute_batch("ROLLBACK");
        }
        match committed {
            Ok(value) => {
                if !garbage.is_empty() && wal_synced(inner.wal_path.as_deref()) {
                    inner.blobs.remove(&garbage);
                }
                // Else the files stay, unreferenced, for the sweep at the next
                // open: a write that committed is never reported as failed.
                Ok(value)
            }
            Err(e) => {
                for path in placed {
                    let _ = std::fs::remove_file(path);
                }
                Err(e)
            }
        }
    }

    /// Runs a read that may find a body file gone (replaced by a concurrent
    /// write after the read's snapshot); it then reads again on a new snapshot.
    fn read_retrying<T, E: From<StateError>>(
        &self,
        mut f: impl FnMut(&rusqlite::Connection) -> Result<Result<T, ReadError>, E>,
    ) -> Result<T, E> {
        const ATTEMPTS: usize = 5;
        for attempt in 1.. {
            match self.inner.db.read(&mut f)? {
                Ok(value) => return Ok(value),
                Err(ReadError::Other(e)) => return Err(e.into()),
                Err(ReadError::Missing(name)) if attempt >= ATTEMPTS => {
                    return Err(StateError::MissingBlob { name }.into());
                }
                Err(ReadError::Missing(_)) => continue,
            }
        }
        unreachable!("the loop returns")
    }
}

/// Makes the last commit durable by fsyncing the WAL file (fsync flushes the
/// file, whichever descriptor asks); true if done, or if there is no file.
fn wal_synced(wal: Option<&Path>) -> bool {
    wal.is_none_or(|wal| std::fs::File::open(wal).and_then(|f| f.sync_data()).is_ok())
}

/// Converts a caller's `u64` (ns, sizes) to SQLite's `i64`, saturating: ns
/// since 1970 fit until the year 2262.
fn to_sql(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Reads back a `u64` stored by [`to_sql`].
fn from_sql(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// An opaque, URL-safe token for "continue after `last`" (KV cursors, S3
/// continuation tokens). The version prefix lets a later format coexist.
fn encode_token(last: &str) -> String {
    let mut raw = Vec::with_capacity(last.len() + 1);
    raw.push(b'1');
    raw.extend_from_slice(last.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// The key a token from [`encode_token`] continues after, or `None` if it is not one.
fn decode_token(token: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let rest = raw.strip_prefix(b"1")?;
    String::from_utf8(rest.to_vec()).ok()
}
