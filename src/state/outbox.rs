//! The event outbox: S3 event deliveries owed to subscribers.
//!
//! A write that causes an S3 event (put, copy, completed multipart upload,
//! delete) records the event here in the same transaction, so a write that
//! committed always has its event on record, whatever happens to the process
//! afterwards. The trigger dispatcher deletes an event once it has delivered
//! it (or decided not to), and at start delivers what an earlier process left
//! pending: at least once, as AWS delivers, never zero times.
//!
//! This module only keeps the books; who subscribes and how a function is
//! run is the dispatcher's business (`crate::triggers`).

use super::error::StateError;
use super::s3::ObjectMeta;
use super::{State, from_sql, to_sql};
use rusqlite::{Connection, params};
use std::collections::BTreeMap;

/// The event names a write can cause, as `&'static str` for the events built
/// from stored rows.
const EVENT_NAMES: &[&str] = &[
    "ObjectCreated:Put",
    "ObjectCreated:Post",
    "ObjectCreated:Copy",
    "ObjectCreated:CompleteMultipartUpload",
    "ObjectRemoved:Delete",
    "ObjectRemoved:DeleteMarkerCreated",
];

/// An event owed to subscribers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// `ObjectCreated:Put`, … as S3 names it.
    pub event_name: &'static str,
    /// The object as written (for a delete, as it was), with the write's
    /// sequencer, which identifies the event.
    pub object: ObjectMeta,
    /// When the write happened, on the writer's clock.
    pub at_ns: u64,
}

/// Records, inside the write transaction `tx`, that `event_name` on `object`
/// is owed to subscribers.
pub(super) fn record(
    tx: &Connection,
    event_name: &'static str,
    object: &ObjectMeta,
    at_ns: u64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO event_outbox
             (sequencer, event_name, bucket, key, size, etag, content_type, at_ns)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        object.sequencer,
        event_name,
        object.bucket,
        object.key,
        to_sql(object.size),
        object.etag,
        object.content_type,
        to_sql(at_ns),
    ])?;
    Ok(())
}

impl State {
    /// Up to `limit` events still owed, oldest first.
    ///
    /// # Errors
    /// [`StateError`] when the database cannot be read.
    pub fn pending_events(&self, limit: usize) -> Result<Vec<PendingEvent>, StateError> {
        self.inner.db.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT sequencer, event_name, bucket, key, size, etag, content_type, at_ns
                 FROM event_outbox ORDER BY sequencer LIMIT ?1",
            )?;
            let rows = stmt.query_map([to_sql(limit as u64)], |r| {
                let name: String = r.get(1)?;
                Ok((
                    name,
                    ObjectMeta {
                        sequencer: r.get(0)?,
                        bucket: r.get(2)?,
                        key: r.get(3)?,
                        size: from_sql(r.get(4)?),
                        etag: r.get(5)?,
                        content_type: r.get(6)?,
                        user_metadata: BTreeMap::new(),
                        last_modified_ns: from_sql(r.get(7)?),
                        checksum: None,
                    },
                ))
            })?;
            let mut events = Vec::new();
            for row in rows {
                let (name, object) = row?;
                // A name this build does not know (written by a newer one)
                // cannot be delivered as it was meant; it stays for that build.
                let Some(event_name) = EVENT_NAMES.iter().find(|n| **n == name) else {
                    continue;
                };
                events.push(PendingEvent {
                    event_name,
                    at_ns: object.last_modified_ns,
                    object,
                });
            }
            Ok::<_, StateError>(events)
        })
    }

    /// Removes the event of the write with `sequencer` from the outbox: it
    /// was delivered, or deliberately dropped.
    ///
    /// # Errors
    /// [`StateError`] when the database cannot be written.
    pub fn event_done(&self, sequencer: &str) -> Result<(), StateError> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM event_outbox WHERE sequencer = ?1")?
                .execute([sequencer])?;
            Ok::<_, StateError>(())
        })
    }
}
