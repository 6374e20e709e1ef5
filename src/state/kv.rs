//! KV namespaces with the semantics of Cloudflare Workers KV (and Spin KV):
//! get, put with expiration and JSON metadata, delete, and list by prefix with
//! an opaque cursor.
//!
//! Differences from Workers KV, on purpose: writes are visible at once (no
//! 60-second eventual consistency), and the shortest expiration is 1 second
//! rather than 60, so tests need not wait a minute of virtual time.

use super::blobs::{ReadError, Stored};
use super::error::{KvError, StateError};
use super::limits::{
    KV_MAX_KEY_BYTES as MAX_KEY_BYTES, KV_MAX_LIST_LIMIT as MAX_LIST_LIMIT,
    KV_MAX_METADATA_BYTES as MAX_METADATA_BYTES, KV_MAX_VALUE_BYTES as MAX_VALUE_BYTES,
    KV_MIN_TTL as MIN_TTL,
};
use super::{State, decode_token, encode_token, from_sql, to_sql};
use rusqlite::{OptionalExtension, params};
use std::time::Duration;

/// A value read from a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    pub value: Vec<u8>,
    /// JSON text, as it was put.
    pub metadata: Option<String>,
    pub expiration_ns: Option<u64>,
}

/// Options of [`State::kv_put`]. Set at most one of the two expirations; if
/// both are set, `expiration_ttl` wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KvPutOptions {
    /// Expire this long after `now_ns`; at least [`KV_MIN_TTL`](super::limits::KV_MIN_TTL).
    pub expiration_ttl: Option<Duration>,
    /// Expire at this virtual time; at least [`KV_MIN_TTL`](super::limits::KV_MIN_TTL) after `now_ns`.
    pub expiration_ns: Option<u64>,
    /// JSON text, at most [`KV_MAX_METADATA_BYTES`](super::limits::KV_MAX_METADATA_BYTES).
    pub metadata: Option<String>,
}

/// One page request of [`State::kv_list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvListRequest {
    pub prefix: String,
    /// 1..=1000.
    pub limit: u32,
    /// The `cursor` of the previous page, to continue after it.
    pub cursor: Option<String>,
}

impl Default for KvListRequest {
    fn default() -> Self {
        KvListRequest {
            prefix: String::new(),
            limit: MAX_LIST_LIMIT,
            cursor: None,
        }
    }
}

/// One page of keys, in lexicographic byte order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvPage {
    pub keys: Vec<KvKey>,
    /// True when no key follows this page.
    pub list_complete: bool,
    /// Pass it in the next request to get the next page; `None` when complete.
    pub cursor: Option<String>,
}

/// A key in a [`KvPage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvKey {
    pub name: String,
    pub expiration_ns: Option<u64>,
    pub metadata: Option<String>,
}

fn validate_key(key: &str) -> Result<(), KvError> {
    let reason = if key.is_empty() {
        "a key cannot be empty".to_owned()
    } else if key == "." || key == ".." {
        "a key cannot be `.` or `..`".to_owned()
    } else if key.len() > MAX_KEY_BYTES {
        format!(
            "it is {} bytes long; keys may be at most {MAX_KEY_BYTES} bytes",
            key.len()
        )
    } else {
        return Ok(());
    };
    Err(KvError::InvalidKey {
        key: shorten(key),
        reason,
    })
}

/// A key fit for an error message: long ones are cut to their first 64 characters.
fn shorten(key: &str) -> String {
    match key.char_indices().nth(64) {
        Some((at, _)) => format!("{}…", &key[..at]),
        None => key.to_owned(),
    }
}

fn expiration(options: &KvPutOptions, now_ns: u64) -> Result<Option<u64>, KvError> {
    let min_ns = MIN_TTL.as_nanos() as u64;
    if let Some(ttl) = options.expiration_ttl {
        if ttl < MIN_TTL {
            return Err(KvError::InvalidTtl {
                reason: format!("expiration_ttl is {ttl:?}; it must be at least {MIN_TTL:?}"),
            });
        }
        let ttl_ns = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
        return Ok(Some(now_ns.saturating_add(ttl_ns)));
    }
    match options.expiration_ns {
        Some(at) if at < now_ns.saturating_add(min_ns) => Err(KvError::InvalidTtl {
            reason: format!(
                "expiration_ns {at} is {}; it must be at least {MIN_TTL:?} after now ({now_ns})",
                if at <= now_ns {
                    "not in the future"
                } else {
                    "too soon"
                }
            ),
        }),
        other => Ok(other),
    }
}

fn validate_metadata(metadata: Option<&str>) -> Result<(), KvError> {
    let Some(json) = metadata else { return Ok(()) };
    if json.len() > MAX_METADATA_BYTES {
        return Err(KvError::MetadataTooLarge {
            size: json.len() as u64,
            limit: MAX_METADATA_BYTES as u64,
        });
    }
    serde_json::from_str::<serde::de::IgnoredAny>(json).map_err(|e| KvError::InvalidMetadata {
        reason: e.to_string(),
    })?;
    Ok(())
}

fn is_live(expiration_ns: Option<u64>, now_ns: u64) -> bool {
    expiration_ns.is_none_or(|at| at > now_ns)
}

impl State {
    /// The value of `key` in namespace `ns`, or `None` if it is missing or
    /// expired at `now_ns`.
    ///
    /// # Errors
    /// [`KvError::InvalidKey`], or [`KvError::Storage`].
    pub fn kv_get(&self, ns: &str, key: &str, now_ns: u64) -> Result<Option<KvEntry>, KvError> {
        validate_key(key)?;
        self.read_retrying(|conn| {
            let row = conn
                .prepare_cached(
                    "SELECT value, value_file, metadata, expiration_ns
                     FROM kv_entries WHERE namespace = ?1 AND key = ?2",
                )?
                .query_row(params![ns, key], |r| {
                    Ok((
                        r.get::<_, Option<Vec<u8>>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<i64>>(3)?.map(from_sql),
                    ))
                })
                .optional()?;
            let Some((inline, file, metadata, expiration_ns)) = row else {
                return Ok(Ok(None));
            };
            if !is_live(expiration_ns, now_ns) {
                return Ok(Ok(None));
            }
            let stored = Stored::from_columns(inline, file)?;
            Ok(self.inner.blobs.read(&stored, None).map(|value| {
                Some(KvEntry {
                    value,
                    metadata,
                    expiration_ns,
                })
            }))
        })
    }

    /// Sets `key` in namespace `ns` to `value`, replacing any value and metadata.
    ///
    /// # Errors
    /// [`KvError::InvalidKey`], [`KvError::ValueTooLarge`],
    /// [`KvError::MetadataTooLarge`], [`KvError::InvalidMetadata`],
    /// [`KvError::InvalidTtl`], or [`KvError::Storage`].
    pub fn kv_put(
        &self,
        ns: &str,
        key: &str,
        value: &[u8],
        options: &KvPutOptions,
        now_ns: u64,
    ) -> Result<(), KvError> {
        validate_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::ValueTooLarge {
                size: value.len() as u64,
                limit: MAX_VALUE_BYTES as u64,
            });
        }
        validate_metadata(options.metadata.as_deref())?;
        let expiration_ns = expiration(options, now_ns)?;
        let body = self.inner.blobs.prepare(value)?;
        self.write(|tx| {
            let old: Option<Option<String>> = tx
                .prepare_cached("SELECT value_file FROM kv_entries WHERE namespace = ?1 AND key = ?2")?
                .query_row(params![ns, key], |r| r.get(0))
                .optional()?;
            tx.discard(old.flatten());
            tx.place(&body)?;
            let (inline, file) = body.columns();
            tx.prepare_cached(
                "INSERT INTO kv_entries (namespace, key, size, value, value_file, metadata, expiration_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (namespace, key) DO UPDATE SET
                     size = excluded.size, value = excluded.value, value_file = excluded.value_file,
                     metadata = excluded.metadata, expiration_ns = excluded.expiration_ns",
            )?
            .execute(params![
                ns,
                key,
                to_sql(body.len()),
                inline,
                file,
                options.metadata,
                expiration_ns.map(to_sql)
            ])?;
            Ok(())
        })
    }

    /// Removes `key` from namespace `ns`; a missing key is not an error.
    ///
    /// # Errors
    /// [`KvError::InvalidKey`], or [`KvError::Storage`].
    pub fn kv_delete(&self, ns: &str, key: &str) -> Result<(), KvError> {
        validate_key(key)?;
        self.write(|tx| {
            let file: Option<Option<String>> = tx
                .prepare_cached(
                    "DELETE FROM kv_entries WHERE namespace = ?1 AND key = ?2 RETURNING value_file",
                )?
                .query_row(params![ns, key], |r| r.get(0))
                .optional()?;
            tx.discard(file.flatten());
            Ok(())
        })
    }

    /// One page of the keys of namespace `ns` that start with `request.prefix`
    /// and are live at `now_ns`, in lexicographic byte order.
    ///
    /// # Errors
    /// [`KvError::InvalidLimit`], [`KvError::InvalidCursor`], or [`KvError::Storage`].
    pub fn kv_list(
        &self,
        ns: &str,
        request: &KvListRequest,
        now_ns: u64,
    ) -> Result<KvPage, KvError> {
        if !(1..=MAX_LIST_LIMIT).contains(&request.limit) {
            return Err(KvError::InvalidLimit {
                limit: request.limit,
            });
        }
        let prefix = request.prefix.as_str();
        // The first key to consider: the prefix itself, or the smallest key
        // after the cursor's (appending NUL gives the next string in byte order).
        let start = match &request.cursor {
            Some(cursor) => {
                let after = decode_token(cursor).ok_or(KvError::InvalidCursor)? + "\0";
                if after.as_str() > prefix {
                    after
                } else {
                    prefix.to_owned()
                }
            }
            None => prefix.to_owned(),
        };
        let limit = request.limit as usize;
        self.inner.db.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT key, metadata, expiration_ns FROM kv_entries
                 WHERE namespace = ?1 AND key >= ?2 AND (expiration_ns IS NULL OR expiration_ns > ?3)
                 ORDER BY key",
            )?;
            let mut rows = stmt.query(params![ns, start, to_sql(now_ns)])?;
            let mut keys = Vec::new();
            let mut more = false;
            while let Some(row) = rows.next()? {
                let name: String = row.get(0)?;
                if !name.starts_with(prefix) {
                    break;
                }
                if keys.len() == limit {
                    more = true;
                    break;
                }
                keys.push(KvKey {
                    name,
                    metadata: row.get(1)?,
                    expiration_ns: row.get::<_, Option<i64>>(2)?.map(from_sql),
                });
            }
            let cursor = match keys.last() {
                Some(last) if more => Some(encode_token(&last.name)),
                _ => None,
            };
            Ok(KvPage {
                keys,
                list_complete: !more,
                cursor,
            })
        })
    }

    /// Deletes every KV entry expired at `now_ns` (they are already invisible);
    /// returns how many. The runtime may call it now and then to reclaim space.
    ///
    /// # Errors
    /// Only storage errors.
    pub fn kv_purge_expired(&self, now_ns: u64) -> Result<u64, StateError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM kv_entries WHERE expiration_ns IS NOT NULL AND expiration_ns <= ?1
                 RETURNING value_file",
            )?;
            let files = stmt
                .query_map(params![to_sql(now_ns)], |r| r.get::<_, Option<String>>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            let count = files.len() as u64;
            for file in files {
                tx.discard(file);
            }
            Ok(count)
        })
    }
}

impl From<ReadError> for KvError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Missing(name) => KvError::Storage(StateError::MissingBlob { name }),
            ReadError::Other(e) => KvError::Storage(e),
        }
    }
}
