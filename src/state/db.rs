//! Connections, pragmas and the versioned schema.
//!
//! # Dev. Note: one writer, a pool of readers
//! SQLite in WAL mode lets any number of readers run beside one writer, each
//! reader on its own snapshot. So writes go through a single connection behind a
//! mutex (one transaction per write, `BEGIN IMMEDIATE` so a second process
//! waits on the busy timeout instead of failing at commit), and reads borrow a
//! connection from a small pool and never wait for the writer. An in-memory
//! database has no WAL and cannot be shared between connections without
//! SQLite's shared-cache mode (table locks, `SQLITE_LOCKED` that the busy
//! timeout does not retry), so there one connection serves both.
//!
//! # Dev. Note: durability
//! `synchronous=NORMAL` in WAL mode: a commit is written to the WAL file before
//! the call returns, so it survives the process being killed; the WAL is fsynced
//! only at checkpoints, so a power loss can lose the last transactions, but
//! SQLite guarantees the file is never corrupted. Body files removed by a write
//! are a special case, handled in `super::State::write`.

use super::error::StateError;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// `PRAGMA application_id` of a wasmfaas state database: "wfas" in ASCII.
pub(super) const APPLICATION_ID: i64 = 0x7766_6173;

/// How long a write waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader connections kept open between reads (more are opened under load and closed after).
const IDLE_READERS: usize = 8;

/// One function per schema version: `MIGRATIONS[i]` takes a database from
/// `user_version` `i` to `i + 1`. Append, never edit: a released migration has
/// already run on users' files.
const MIGRATIONS: &[fn(&Transaction) -> rusqlite::Result<()>] = &[schema_v1, schema_v2, schema_v3];

/// The schema version this build writes.
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn schema_v1(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        -- One row per live (or expired but not yet purged) KV key.
        CREATE TABLE kv_entries (
            namespace     TEXT NOT NULL,
            key           TEXT NOT NULL,
            size          INTEGER NOT NULL,  -- bytes of the value
            value         BLOB,              -- the value, when it is at most 64 KiB
            value_file    TEXT,              -- else the name of its file in blobs/
            metadata      TEXT,              -- JSON text, as given
            expiration_ns INTEGER,           -- virtual-clock ns; NULL = never expires
            PRIMARY KEY (namespace, key)
        );
        CREATE INDEX kv_entries_by_expiration ON kv_entries (expiration_ns)
            WHERE expiration_ns IS NOT NULL;

        CREATE TABLE buckets (
            name       TEXT PRIMARY KEY,
            created_ns INTEGER NOT NULL
        );

        CREATE TABLE objects (
            bucket           TEXT NOT NULL REFERENCES buckets (name),
            key              TEXT NOT NULL,
            size             INTEGER NOT NULL,
            etag             TEXT NOT NULL,     -- without the quotes S3 adds
            content_type     TEXT NOT NULL,
            user_metadata    TEXT NOT NULL,     -- JSON object of x-amz-meta-* (lowercase names)
            last_modified_ns INTEGER NOT NULL,
            sequencer        INTEGER NOT NULL,  -- counters.value when written
            body             BLOB,              -- the body, when it is at most 64 KiB
            body_file        TEXT,              -- else the name of its file in blobs/
            PRIMARY KEY (bucket, key)
        );

        CREATE TABLE multipart_uploads (
            upload_id         TEXT PRIMARY KEY,
            bucket            TEXT NOT NULL REFERENCES buckets (name),
            key               TEXT NOT NULL,
            content_type      TEXT NOT NULL,
            user_metadata     TEXT NOT NULL,
            if_none_match_any INTEGER NOT NULL,  -- 1: completing fails if the key exists
            created_ns        INTEGER NOT NULL
        );
        CREATE INDEX multipart_uploads_by_bucket ON multipart_uploads (bucket, key);

        CREATE TABLE multipart_parts (
            upload_id        TEXT NOT NULL REFERENCES multipart_uploads (upload_id),
            part_number      INTEGER NOT NULL,
            size             INTEGER NOT NULL,
            etag             TEXT NOT NULL,     -- without quotes
            last_modified_ns INTEGER NOT NULL,
            body             BLOB,
            body_file        TEXT,
            PRIMARY KEY (upload_id, part_number)
        );

        -- 'sequencer': bumped by every object write and delete, in every bucket.
        CREATE TABLE counters (
            name  TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO counters (name, value) VALUES ('sequencer', 0);
        ",
    )?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)
}

/// S3 events owed to subscribers, written in the transaction of the write
/// that causes them (`super::outbox`), so a `kill -9` after the write cannot
/// lose the delivery.
fn schema_v3(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        CREATE TABLE event_outbox (
            sequencer    TEXT PRIMARY KEY,  -- the write's sequencer, 16 hex digits
            event_name   TEXT NOT NULL,     -- ObjectCreated:Put, ObjectRemoved:Delete, ...
            bucket       TEXT NOT NULL,
            key          TEXT NOT NULL,
            size         INTEGER NOT NULL,
            etag         TEXT NOT NULL,     -- quoted, as in events
            content_type TEXT NOT NULL,
            at_ns        INTEGER NOT NULL   -- when the write happened, on the writer's clock
        );
        ",
    )
}

/// Objects keep the checksum a client sent with them and, for a multipart
/// upload, the sizes of its parts.
///
/// # Dev. Note: why the table is rebuilt rather than altered
/// `ALTER TABLE ... ADD COLUMN` appends a column after `body`, and SQLite
/// reads a column by walking the row up to it: every listing and HEAD would
/// then page through the inline body (up to 64 KiB, sixteen overflow pages)
/// to reach the checksum. Rebuilding puts the new columns before `body`, as
/// SQLite's documented "make other kinds of table schema changes" procedure
/// does (new table, copy, drop, rename; nothing references `objects`).
fn schema_v2(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        CREATE TABLE objects_v2 (
            bucket             TEXT NOT NULL REFERENCES buckets (name),
            key                TEXT NOT NULL,
            size               INTEGER NOT NULL,
            etag               TEXT NOT NULL,
            content_type       TEXT NOT NULL,
            user_metadata      TEXT NOT NULL,
            last_modified_ns   INTEGER NOT NULL,
            sequencer          INTEGER NOT NULL,
            checksum_algorithm TEXT,     -- CRC32, CRC32C, CRC64NVME, SHA1, SHA256; NULL: none
            checksum_value     TEXT,     -- base64 of the whole object's digest
            part_sizes         TEXT,     -- JSON array of part sizes; NULL: not multipart
            body               BLOB,
            body_file          TEXT,
            PRIMARY KEY (bucket, key),
            CHECK ((checksum_algorithm IS NULL) = (checksum_value IS NULL))
        );
        INSERT INTO objects_v2 (bucket, key, size, etag, content_type, user_metadata,
                                last_modified_ns, sequencer, body, body_file)
            SELECT bucket, key, size, etag, content_type, user_metadata,
                   last_modified_ns, sequencer, body, body_file
            FROM objects;
        DROP TABLE objects;
        ALTER TABLE objects_v2 RENAME TO objects;
        ",
    )
}

/// The connections of one open state.
pub(super) struct Db {
    writer: Mutex<Connection>,
    /// `None` for an in-memory database: reads then use the writer.
    readers: Option<Readers>,
}

struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Db {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub(super) fn open(path: &Path) -> Result<Db, StateError> {
        let writer = Connection::open(path)?;
        configure(&writer)?;
        // WAL is a property of the file: set once, kept by every later connection.
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StateError::NotAStateDatabase {
                path: path.to_owned(),
                reason: format!("it cannot be put in WAL mode (journal mode {mode})"),
            });
        }
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        // Bound the WAL file after a burst of writes; 64 MiB keeps checkpoints cheap.
        writer.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        migrate(&writer, path)?;
        Ok(Db {
            writer: Mutex::new(writer),
            readers: Some(Readers {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    pub(super) fn in_memory() -> Result<Db, StateError> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrate(&conn, Path::new(":memory:"))?;
        Ok(Db {
            writer: Mutex::new(conn),
            readers: None,
        })
    }

    /// Locks the writer connection. Poison is ignored: `State::write` rolls
    /// back whatever a panicking write left open before it begins.
    pub(super) fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on a reader connection (the writer, for an in-memory database).
    pub(super) fn read<T, E: From<StateError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let Some(readers) = &self.readers else {
            return f(&self.writer());
        };
        let conn = readers.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match conn {
            Some(conn) => conn,
            None => open_reader(&readers.path)?,
        };
        let result = f(&conn);
        let mut idle = readers.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS && conn.is_autocommit() {
            idle.push(conn);
        }
        result
    }

    /// Like [`Db::read`], but every query of `f` sees the same snapshot (for
    /// reads made of several queries, such as a listing that seeks past
    /// common prefixes).
    pub(super) fn read_snapshot<T, E: From<StateError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        self.read(|conn| {
            conn.prepare_cached("BEGIN")
                .and_then(|mut s| s.execute([]))
                .map_err(StateError::from)?;
            let result = f(conn);
            // Nothing was written: COMMIT just ends the snapshot. If it fails,
            // the connection is dropped from the pool (or rolled back by the
            // next write, in memory).
            let _ = conn
                .prepare_cached("COMMIT")
                .and_then(|mut s| s.execute([]));
            result
        })
    }
}

/// Settings every connection needs.
fn configure(conn: &Connection) -> Result<(), StateError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn open_reader(path: &Path) -> Result<Connection, StateError> {
    // No CREATE: the writer made the file. NO_MUTEX: one thread at a time
    // uses a pooled connection, so SQLite's own locking would be wasted.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn)?;
    // Read-write open so the connection can use the WAL index; query_only makes
    // any write through it an error.
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Writes the schema of an older `version` into an empty database, exactly as
/// that release did, so tests can check what migrating its files does.
#[cfg(test)]
pub(super) fn create_schema_at(conn: &mut Connection, version: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for migration in &MIGRATIONS[..version as usize] {
        migration(&tx)?;
    }
    tx.pragma_update(None, "user_version", version)?;
    tx.commit()
}

/// Brings the schema to [`SCHEMA_VERSION`], refusing files this build cannot read.
fn migrate(conn: &Connection, path: &Path) -> Result<(), StateError> {
    let version = |conn: &Connection| -> rusqlite::Result<i64> {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
    };
    // Cheap check first, so a read-only look at a newer file fails fast.
    check_version(conn, path, version(conn)?)?;
    loop {
        // Another process may be migrating the same file: decide under the write lock.
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let current = version(&tx)?;
        check_version(&tx, path, current)?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        MIGRATIONS[current as usize](&tx)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}

fn check_version(conn: &Connection, path: &Path, version: i64) -> Result<(), StateError> {
    if version > SCHEMA_VERSION {
        return Err(StateError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 0 {
        return Err(StateError::NotAStateDatabase {
            path: path.to_owned(),
            reason: format!("its user_version is {version}"),
        });
    }
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if version == 0 {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 {
            return Err(StateError::NotAStateDatabase {
                path: path.to_owned(),
                reason: format!("it has {tables} tables but no wasmfaas schema version"),
            });
        }
    } else if app_id != APPLICATION_ID {
        return Err(StateError::NotAStateDatabase {
            path: path.to_owned(),
            reason: format!(
                "its application_id is {app_id:#x}, not wasmfaas's {APPLICATION_ID:#x}"
            ),
        });
    }
    Ok(())
}
