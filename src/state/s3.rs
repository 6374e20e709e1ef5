//! Buckets and objects with the semantics of AWS S3: put/get/head/delete,
//! copy, ranges, ETags, user metadata, `If-None-Match: *`, and
//! ListObjects (V1 and V2) with prefix, delimiter and continuation.

use super::blobs::{ReadError, Stored};
use super::checksum::{Checksum, ChecksumAlgorithm};
use super::error::{BucketError, StateError};
use super::limits::{S3_MAX_LIST_KEYS as MAX_LIST_KEYS, S3_MAX_PART_NUMBER as MAX_PART_NUMBER};
use super::{State, Tx, decode_token, encode_token, from_sql, to_sql};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::BTreeMap;

mod rules;

pub(super) use rules::{resolve_put_options, validate_bucket_name, validate_key};

/// Options of a write that creates an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// `None` stores [`S3_DEFAULT_CONTENT_TYPE`](super::limits::S3_DEFAULT_CONTENT_TYPE).
    pub content_type: Option<String>,
    /// `x-amz-meta-*` pairs without the prefix. Names are stored lowercase,
    /// as S3 returns them.
    pub user_metadata: BTreeMap<String, String>,
    /// `If-None-Match: *`: fail with [`BucketError::PreconditionFailed`] if the key exists.
    pub if_none_match_any: bool,
}

/// Options of [`State::copy_object`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// `None`: metadata directive COPY (content type and user metadata come
    /// from the source); `Some`: REPLACE them with these.
    pub replace_metadata: Option<PutOptions>,
}

/// What S3 knows about an object (the answer to HEAD, and to every write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// Quoted, as S3 sends it: `"<md5 hex>"`, or `"<md5 of part md5s>-<parts>"`.
    pub etag: String,
    pub content_type: String,
    pub user_metadata: BTreeMap<String, String>,
    pub last_modified_ns: u64,
    /// 16 uppercase hex digits, increasing with every write and delete, as the
    /// `sequencer` of S3 event notifications (compare as strings).
    pub sequencer: String,
    /// The whole object's checksum, as the client sent it with the upload
    /// (S3's `FULL_OBJECT` type); `None` when it sent none, and for objects
    /// written through the bindings or by a multipart upload.
    pub checksum: Option<Checksum>,
}

/// One page request of [`State::list_objects`] (ListObjectsV2, or V1 with `marker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub prefix: String,
    /// Group keys that contain it after the prefix into common prefixes; empty means none.
    pub delimiter: Option<String>,
    /// Clamped to 0..=1000; objects and common prefixes count alike.
    pub max_keys: u32,
    /// V2: list keys after this one (ignored when a continuation token is given).
    pub start_after: Option<String>,
    /// V2: the `next_continuation_token` of the previous page.
    pub continuation_token: Option<String>,
    /// V1: list keys after this one (the previous page's `next_marker` or last key).
    pub marker: Option<String>,
}

impl Default for ListRequest {
    fn default() -> Self {
        ListRequest {
            prefix: String::new(),
            delimiter: None,
            max_keys: MAX_LIST_KEYS,
            start_after: None,
            continuation_token: None,
            marker: None,
        }
    }
}

/// One page of a listing. Objects and common prefixes are each in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// V2: pass as `continuation_token` to get the next page.
    pub next_continuation_token: Option<String>,
    /// V1: set, as S3 does, only when truncated and a delimiter was given.
    pub next_marker: Option<String>,
}

/// Where one part of an object lies, for reads of `?partNumber=N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRange {
    /// The part's first byte in the object.
    pub offset: u64,
    /// Bytes in the part.
    pub size: u64,
    /// How many parts the object has, if a multipart upload made it (S3's
    /// `x-amz-mp-parts-count`); `None` for an object put whole, whose one
    /// part is itself.
    pub parts_count: Option<u32>,
}

/// A bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    pub name: String,
    pub created_ns: u64,
}

/// An uploaded part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    pub part_number: u32,
    /// Quoted MD5 of the part.
    pub etag: String,
    pub size: u64,
    pub last_modified_ns: u64,
}

/// The columns [`meta_from_row`] reads, in order.
const META_COLUMNS: &str = "bucket, key, size, etag, content_type, user_metadata, \
                            last_modified_ns, sequencer, checksum_algorithm, checksum_value";
/// How many columns [`META_COLUMNS`] names: the index of the next one selected.
const META_LEN: usize = 10;

fn meta_from_row(row: &Row) -> rusqlite::Result<ObjectMeta> {
    let corrupt = |column: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e)
    };
    let metadata: String = row.get(5)?;
    let user_metadata = serde_json::from_str(&metadata).map_err(|e| corrupt(5, Box::new(e)))?;
    let checksum = match (row.get::<_, Option<String>>(8)?, row.get(9)?) {
        (Some(name), Some(value)) => {
            let algorithm = ChecksumAlgorithm::from_name(&name)
                .ok_or_else(|| corrupt(8, format!("unknown checksum algorithm {name:?}").into()))?;
            Some(Checksum { algorithm, value })
        }
        _ => None,
    };
    Ok(ObjectMeta {
        bucket: row.get(0)?,
        key: row.get(1)?,
        size: from_sql(row.get(2)?),
        etag: quote(&row.get::<_, String>(3)?),
        content_type: row.get(4)?,
        user_metadata,
        last_modified_ns: from_sql(row.get(6)?),
        sequencer: sequencer(row.get(7)?),
        checksum,
    })
}

pub(super) fn quote(etag: &str) -> String {
    format!("\"{etag}\"")
}

fn sequencer(n: i64) -> String {
    format!("{:016X}", n)
}

/// Takes the next value of the store-wide sequencer counter.
pub(super) fn next_sequencer(tx: &Tx) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "UPDATE counters SET value = value + 1 WHERE name = 'sequencer' RETURNING value",
    )?
    .query_row([], |r| r.get(0))
}

pub(super) fn bucket_exists(conn: &Connection, bucket: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM buckets WHERE name = ?1")?
        .query_row([bucket], |_| Ok(()))
        .optional()
        .map(|row| row.is_some())
}

pub(super) fn require_bucket(conn: &Connection, bucket: &str) -> Result<(), BucketError> {
    if bucket_exists(conn, bucket)? {
        Ok(())
    } else {
        Err(BucketError::NoSuchBucket {
            bucket: bucket.to_owned(),
        })
    }
}

/// The row of a new object version, minus its body.
pub(super) struct NewObject<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub size: u64,
    /// Unquoted.
    pub etag: String,
    pub content_type: String,
    /// JSON object text.
    pub user_metadata: String,
    /// Verified against the body by the caller.
    pub checksum: Option<&'a Checksum>,
    /// JSON array of the part sizes, for a multipart object.
    pub part_sizes: Option<String>,
    pub if_none_match_any: bool,
    pub now_ns: u64,
}

/// Writes (or replaces) an object inside a write transaction; the bucket must exist.
///
/// This is the one place an object's row is written (PutObject, CopyObject,
/// CompleteMultipartUpload, the bindings' `s3_put` and `s3_copy`): whatever
/// must commit atomically with an object write belongs here, in `tx`.
pub(super) fn store_object(
    tx: &mut Tx,
    object: NewObject,
    body: &super::blobs::Prepared,
) -> Result<ObjectMeta, BucketError> {
    let old: Option<Option<String>> = tx
        .prepare_cached("SELECT body_file FROM objects WHERE bucket = ?1 AND key = ?2")?
        .query_row(params![object.bucket, object.key], |r| r.get(0))
        .optional()?;
    if old.is_some() && object.if_none_match_any {
        return Err(BucketError::PreconditionFailed);
    }
    tx.discard(old.flatten());
    tx.place(body)?;
    let seq = next_sequencer(tx)?;
    let (inline, file) = body.columns();
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO objects (bucket, key, size, etag, content_type, user_metadata,
                              last_modified_ns, sequencer, checksum_algorithm, checksum_value,
                              part_sizes, body, body_file)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (bucket, key) DO UPDATE SET
             size = excluded.size, etag = excluded.etag, content_type = excluded.content_type,
             user_metadata = excluded.user_metadata, last_modified_ns = excluded.last_modified_ns,
             sequencer = excluded.sequencer, checksum_algorithm = excluded.checksum_algorithm,
             checksum_value = excluded.checksum_value, part_sizes = excluded.part_sizes,
             body = excluded.body, body_file = excluded.body_file
         RETURNING {META_COLUMNS}"
    ))?;
    let meta = stmt.query_row(
        params![
            object.bucket,
            object.key,
            to_sql(object.size),
            object.etag,
            object.content_type,
            object.user_metadata,
            to_sql(object.now_ns),
            seq,
            object.checksum.map(|c| c.algorithm.name()),
            object.checksum.map(|c| c.value.as_str()),
            object.part_sizes,
            inline,
            file
        ],
        meta_from_row,
    )?;
    Ok(meta)
}

impl From<ReadError> for BucketError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Missing(name) => BucketError::Storage(StateError::MissingBlob { name }),
            ReadError::Other(e) => BucketError::Storage(e),
        }
    }
}

/// The smallest string (as bytes) greater than every string that starts with `prefix`.
fn successor(prefix: &str) -> Vec<u8> {
    let mut bytes = prefix.as_bytes().to_vec();
    // UTF-8 never contains 0xFF, so the last byte can always be incremented.
    if let Some(last) = bytes.last_mut() {
        *last += 1;
    }
    bytes
}

impl State {
    /// Creates an empty bucket.
    ///
    /// # Errors
    /// [`BucketError::InvalidBucketName`], [`BucketError::BucketAlreadyOwnedByYou`].
    pub fn create_bucket(&self, bucket: &str, now_ns: u64) -> Result<(), BucketError> {
        validate_bucket_name(bucket)?;
        self.write(|tx| {
            let inserted = tx
                .prepare_cached("INSERT OR IGNORE INTO buckets (name, created_ns) VALUES (?1, ?2)")?
                .execute(params![bucket, to_sql(now_ns)])?;
            if inserted == 0 {
                return Err(BucketError::BucketAlreadyOwnedByYou {
                    bucket: bucket.to_owned(),
                });
            }
            Ok(())
        })
    }

    /// Creates the bucket unless it exists (for buckets declared in config).
    ///
    /// # Errors
    /// [`BucketError::InvalidBucketName`].
    pub fn ensure_bucket(&self, bucket: &str, now_ns: u64) -> Result<(), BucketError> {
        validate_bucket_name(bucket)?;
        self.write(|tx| {
            tx.prepare_cached("INSERT OR IGNORE INTO buckets (name, created_ns) VALUES (?1, ?2)")?
                .execute(params![bucket, to_sql(now_ns)])?;
            Ok(())
        })
    }

    /// Deletes an empty bucket.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`]; [`BucketError::BucketNotEmpty`] while it holds
    /// objects or multipart uploads in progress.
    pub fn delete_bucket(&self, bucket: &str) -> Result<(), BucketError> {
        self.write(|tx| {
            require_bucket(tx, bucket)?;
            let busy: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = ?1)
                         OR EXISTS (SELECT 1 FROM multipart_uploads WHERE bucket = ?1)",
                )?
                .query_row([bucket], |r| r.get(0))?;
            if busy {
                return Err(BucketError::BucketNotEmpty {
                    bucket: bucket.to_owned(),
                });
            }
            tx.prepare_cached("DELETE FROM buckets WHERE name = ?1")?
                .execute([bucket])?;
            Ok(())
        })
    }

    /// The bucket's name and creation time.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`].
    pub fn head_bucket(&self, bucket: &str) -> Result<BucketInfo, BucketError> {
        self.inner.db.read(|conn| {
            conn.prepare_cached("SELECT name, created_ns FROM buckets WHERE name = ?1")?
                .query_row([bucket], |r| {
                    Ok(BucketInfo {
                        name: r.get(0)?,
                        created_ns: from_sql(r.get(1)?),
                    })
                })
                .optional()?
                .ok_or_else(|| BucketError::NoSuchBucket {
                    bucket: bucket.to_owned(),
                })
        })
    }

    /// Every bucket, in name order.
    ///
    /// # Errors
    /// Only [`BucketError::Storage`].
    pub fn list_buckets(&self) -> Result<Vec<BucketInfo>, BucketError> {
        self.inner.db.read(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT name, created_ns FROM buckets ORDER BY name")?;
            let rows = stmt.query_map([], |r| {
                Ok(BucketInfo {
                    name: r.get(0)?,
                    created_ns: from_sql(r.get(1)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The object's metadata and where its part `part_number` lies (S3's
    /// `HeadObject?partNumber=N`).
    ///
    /// # Errors
    /// As [`State::get_object_part`].
    pub fn head_object_part(
        &self,
        bucket: &str,
        key: &str,
        part_number: u32,
    ) -> Result<(ObjectMeta, PartRange), BucketError> {
        validate_key(key)?;
        self.inner.db.read(|conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {META_COLUMNS}, part_sizes FROM objects WHERE bucket = ?1 AND key = ?2"
                ))?
                .query_row(params![bucket, key], |r| {
                    Ok((meta_from_row(r)?, r.get::<_, Option<String>>(META_LEN)?))
                })
                .optional()?;
            let Some((meta, part_sizes)) = row else {
                return Err(missing(conn, bucket, key)?);
            };
            let part = locate_part(&meta, part_sizes.as_deref(), part_number)?;
            Ok((meta, part))
        })
    }

    /// The object's metadata.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchKey`].
    pub fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta, BucketError> {
        validate_key(key)?;
        self.inner.db.read(|conn| {
            let meta = conn
                .prepare_cached(&format!(
                    "SELECT {META_COLUMNS} FROM objects WHERE bucket = ?1 AND key = ?2"
                ))?
                .query_row(params![bucket, key], meta_from_row)
                .optional()?;
            match meta {
                Some(meta) => Ok(meta),
                None => Err(missing(conn, bucket, key)?),
            }
        })
    }

    /// Deletes the object. Returns its metadata with the delete's `sequencer`
    /// (for the `ObjectRemoved` event), or `None` if there was no such key.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`].
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectMeta>, BucketError> {
        validate_key(key)?;
        self.write(|tx| {
            require_bucket(tx, bucket)?;
            let deleted = tx
                .prepare_cached(&format!(
                    "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 RETURNING {META_COLUMNS}, body_file"
                ))?
                .query_row(params![bucket, key], |r| Ok((meta_from_row(r)?, r.get::<_, Option<String>>(META_LEN)?)))
                .optional()?;
            let Some((mut meta, file)) = deleted else {
                return Ok(None);
            };
            tx.discard(file);
            meta.sequencer = sequencer(next_sequencer(tx)?);
            super::outbox::record(tx, "ObjectRemoved:Delete", &meta, meta.last_modified_ns)?;
            Ok(Some(meta))
        })
    }

    /// One page of the bucket's objects whose keys start with `request.prefix`,
    /// in key order; with a delimiter, keys that contain it after the prefix
    /// are rolled up into common prefixes (each counted once against `max_keys`).
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`]; [`BucketError::InvalidArgument`] for a
    /// continuation token this store did not issue.
    pub fn list_objects(
        &self,
        bucket: &str,
        request: &ListRequest,
    ) -> Result<ListPage, BucketError> {
        let max_keys = request.max_keys.min(MAX_LIST_KEYS) as usize;
        let prefix = request.prefix.as_str();
        let delimiter = request.delimiter.as_deref().filter(|d| !d.is_empty());
        let after = match &request.continuation_token {
            Some(token) => {
                Some(
                    decode_token(token).ok_or_else(|| BucketError::InvalidArgument {
                        message: "the continuation token provided is incorrect".into(),
                    })?,
                )
            }
            None => request
                .start_after
                .clone()
                .or_else(|| request.marker.clone()),
        }
        .filter(|after| !after.is_empty());
        self.inner.db.read_snapshot(|conn| {
            require_bucket(conn, bucket)?;
            let mut page = ListPage {
                objects: Vec::new(),
                common_prefixes: Vec::new(),
                is_truncated: false,
                next_continuation_token: None,
                next_marker: None,
            };
            if max_keys == 0 {
                return Ok(page);
            }
            // Where the scan (re)starts, inclusive, as bytes: after the marker
            // (NUL is the smallest suffix), or past a common prefix just emitted.
            let mut seek: Vec<u8> = match &after {
                Some(after) if after.as_str() >= prefix => format!("{after}\0").into_bytes(),
                _ => prefix.as_bytes().to_vec(),
            };
            let mut last: Option<String> = None;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {META_COLUMNS} FROM objects
                 WHERE bucket = ?1 AND key >= CAST(?2 AS TEXT) ORDER BY key"
            ))?;
            'scan: loop {
                let mut rows = stmt.query(params![bucket, seek])?;
                while let Some(row) = rows.next()? {
                    let key: String = row.get(1)?;
                    if !key.starts_with(prefix) {
                        break 'scan;
                    }
                    let rolled_up = delimiter.and_then(|d| {
                        key[prefix.len()..]
                            .find(d)
                            .map(|at| key[..prefix.len() + at + d.len()].to_owned())
                    });
                    if let Some(common) = rolled_up {
                        // A common prefix at or before the marker was listed on an earlier page.
                        if after.as_deref().is_none_or(|after| common.as_str() > after) {
                            if page.objects.len() + page.common_prefixes.len() == max_keys {
                                page.is_truncated = true;
                                break 'scan;
                            }
                            page.common_prefixes.push(common.clone());
                            last = Some(common.clone());
                        }
                        seek = successor(&common);
                        continue 'scan;
                    }
                    if page.objects.len() + page.common_prefixes.len() == max_keys {
                        page.is_truncated = true;
                        break 'scan;
                    }
                    page.objects.push(meta_from_row(row)?);
                    last = Some(key);
                }
                break;
            }
            if page.is_truncated {
                let last = last.expect("a truncated page returned something");
                page.next_continuation_token = Some(encode_token(&last));
                page.next_marker = delimiter.map(|_| last);
            }
            Ok(page)
        })
    }
}

/// An object as read for its body.
pub(super) struct Found {
    pub(super) meta: ObjectMeta,
    /// The `part_sizes` column: JSON array of part sizes, for a multipart object.
    pub(super) part_sizes: Option<String>,
    pub(super) stored: Stored,
}

/// The object's row, or why there is none.
pub(super) fn find_object(
    conn: &Connection,
    bucket: &str,
    key: &str,
) -> Result<Found, BucketError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {META_COLUMNS}, part_sizes, body, body_file FROM objects
             WHERE bucket = ?1 AND key = ?2"
        ))?
        .query_row(params![bucket, key], |r| {
            Ok((
                meta_from_row(r)?,
                r.get::<_, Option<String>>(META_LEN)?,
                r.get::<_, Option<Vec<u8>>>(META_LEN + 1)?,
                r.get::<_, Option<String>>(META_LEN + 2)?,
            ))
        })
        .optional()?;
    match found {
        Some((meta, part_sizes, inline, file)) => Ok(Found {
            meta,
            part_sizes,
            stored: Stored::from_columns(inline, file)?,
        }),
        None => Err(missing(conn, bucket, key)?),
    }
}

/// Finds part `part_number` of an object from its `part_sizes` column.
///
/// Parts are counted in the object's order, 1 to `parts_count`, whatever
/// numbers they were uploaded under (MinIO does the same; S3 documents no
/// rule for completed uploads that skipped numbers).
pub(super) fn locate_part(
    meta: &ObjectMeta,
    part_sizes: Option<&str>,
    part_number: u32,
) -> Result<PartRange, BucketError> {
    if !(1..=MAX_PART_NUMBER).contains(&part_number) {
        return Err(BucketError::InvalidArgument {
            message: format!(
                "part number {part_number} is out of range: it must be an integer between 1 and \
                 {MAX_PART_NUMBER}, inclusive"
            ),
        });
    }
    let Some(json) = part_sizes else {
        // A multipart ETag (`"…-N"`) without a layout: completed before
        // schema version 2 kept one.
        let etag = meta.etag.trim_matches('"');
        let multipart = etag
            .rsplit_once('-')
            .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if multipart {
            return Err(BucketError::InvalidRequest {
                message: format!(
                    "the part sizes of {:?} were not recorded (a wasmfaas older than state \
                     schema version 2 completed its upload); read it whole or by Range",
                    meta.key
                ),
            });
        }
        return match part_number {
            1 => Ok(PartRange {
                offset: 0,
                size: meta.size,
                parts_count: None,
            }),
            _ => Err(BucketError::InvalidPartNumber {
                part_number,
                parts_count: 1,
            }),
        };
    };
    let corrupt = |detail: String| BucketError::Storage(StateError::Corrupt { detail });
    let sizes: Vec<u64> = serde_json::from_str(json).map_err(|e| {
        corrupt(format!(
            "the part sizes of {:?} are not a JSON array of sizes: {e}",
            meta.key
        ))
    })?;
    let total = sizes
        .iter()
        .try_fold(0u64, |sum, size| sum.checked_add(*size));
    if total != Some(meta.size) || sizes.is_empty() {
        return Err(corrupt(format!(
            "the part sizes of {:?} do not add up to its size, {} bytes",
            meta.key, meta.size
        )));
    }
    let parts_count = u32::try_from(sizes.len()).unwrap_or(u32::MAX);
    let index = (part_number - 1) as usize;
    let Some(&size) = sizes.get(index) else {
        return Err(BucketError::InvalidPartNumber {
            part_number,
            parts_count,
        });
    };
    Ok(PartRange {
        // Cannot overflow: the whole sum fit.
        offset: sizes[..index].iter().sum(),
        size,
        parts_count: Some(parts_count),
    })
}

/// NoSuchBucket or NoSuchKey, whichever is true.
fn missing(conn: &Connection, bucket: &str, key: &str) -> Result<BucketError, BucketError> {
    if bucket_exists(conn, bucket)? {
        Ok(BucketError::NoSuchKey {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    } else {
        Ok(BucketError::NoSuchBucket {
            bucket: bucket.to_owned(),
        })
    }
}
