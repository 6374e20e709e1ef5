//! Multipart uploads as AWS S3 does them: create, upload parts (replacing a
//! part by uploading its number again), list parts, complete with an ordered
//! list of `(part number, ETag)`, or abort.

use super::blobs::{Stored, md5};
use super::error::BucketError;
use super::limits::{S3_MAX_PART_NUMBER as MAX_PART_NUMBER, S3_MIN_PART_BYTES as MIN_PART_BYTES};
use super::object_io::StagedBody;
use super::s3::{
    NewObject, ObjectMeta, PartInfo, PutOptions, next_sequencer, quote, require_bucket,
    resolve_put_options, store_object, validate_key,
};
use super::{State, Tx, from_sql, to_sql};
use crate::hex::hex;
use rusqlite::{Connection, OptionalExtension, params};

/// The upload's stored options.
struct Upload {
    content_type: String,
    user_metadata: String,
    if_none_match_any: bool,
}

/// A stored part, as read for completing.
#[derive(Clone, PartialEq, Eq)]
struct Part {
    number: u32,
    size: u64,
    etag: String,
    stored: Stored,
}

/// The upload, if `upload_id` names one for this bucket and key.
fn find_upload(
    conn: &Connection,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Upload, BucketError> {
    require_bucket(conn, bucket)?;
    conn.prepare_cached(
        "SELECT content_type, user_metadata, if_none_match_any FROM multipart_uploads
         WHERE upload_id = ?1 AND bucket = ?2 AND key = ?3",
    )?
    .query_row(params![upload_id, bucket, key], |r| {
        Ok(Upload {
            content_type: r.get(0)?,
            user_metadata: r.get(1)?,
            if_none_match_any: r.get(2)?,
        })
    })
    .optional()?
    .ok_or_else(|| BucketError::NoSuchUpload {
        upload_id: upload_id.to_owned(),
    })
}

/// The listed parts as stored now, checked against the list a client sent.
fn listed_parts(
    conn: &Connection,
    upload_id: &str,
    parts: &[(u32, String)],
) -> Result<Vec<Part>, BucketError> {
    let mut stmt = conn.prepare_cached(
        "SELECT size, etag, body, body_file FROM multipart_parts WHERE upload_id = ?1 AND part_number = ?2",
    )?;
    let mut found = Vec::with_capacity(parts.len());
    for (number, etag) in parts {
        let row = stmt
            .query_row(params![upload_id, number], |r| {
                Ok((
                    from_sql(r.get(0)?),
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .optional()?;
        let Some((size, stored_etag, inline, file)) = row else {
            return Err(BucketError::InvalidPart {
                part_number: *number,
                reason: "was not uploaded (or the upload was aborted)".into(),
            });
        };
        if etag.trim().trim_matches('"') != stored_etag {
            return Err(BucketError::InvalidPart {
                part_number: *number,
                reason: format!("has ETag \"{stored_etag}\", not {etag}"),
            });
        }
        found.push(Part {
            number: *number,
            size,
            etag: stored_etag,
            stored: Stored::from_columns(inline, file)?,
        });
    }
    Ok(found)
}

/// Deletes the upload and all its parts, discarding their body files.
fn delete_upload(tx: &mut Tx, upload_id: &str) -> rusqlite::Result<()> {
    let files = tx
        .prepare_cached("DELETE FROM multipart_parts WHERE upload_id = ?1 RETURNING body_file")?
        .query_map([upload_id], |r| r.get::<_, Option<String>>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for file in files {
        tx.discard(file);
    }
    tx.prepare_cached("DELETE FROM multipart_uploads WHERE upload_id = ?1")?
        .execute([upload_id])?;
    Ok(())
}

/// The ETag AWS gives a multipart object: MD5 of the parts' binary MD5s, `-N`.
fn multipart_etag(parts: &[Part]) -> Result<String, BucketError> {
    let mut digests = Vec::with_capacity(parts.len() * 16);
    for part in parts {
        let digest = decode_hex(&part.etag).ok_or_else(|| BucketError::InvalidPart {
            part_number: part.number,
            reason: format!("has a stored ETag that is not an MD5: {}", part.etag),
        })?;
        digests.extend_from_slice(&digest);
    }
    Ok(format!("{}-{}", hex(&md5(&digests)), parts.len()))
}

fn check_part_number(part_number: u32) -> Result<(), BucketError> {
    if (1..=MAX_PART_NUMBER).contains(&part_number) {
        return Ok(());
    }
    Err(BucketError::InvalidArgument {
        message: format!(
            "part number {part_number} is out of range: it must be an integer between 1 and \
             {MAX_PART_NUMBER}, inclusive"
        ),
    })
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl State {
    /// Starts a multipart upload; returns its id. `options` apply to the object
    /// the upload completes into (`if_none_match_any` is checked at completion).
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], key and metadata errors as [`State::put_object`].
    pub fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
        now_ns: u64,
    ) -> Result<String, BucketError> {
        validate_key(key)?;
        let (content_type, user_metadata) = resolve_put_options(options)?;
        self.write(|tx| {
            require_bucket(tx, bucket)?;
            // Unique without a clock or randomness, so replays get the same ids.
            let seq = next_sequencer(tx)?;
            let upload_id = hex(&md5(format!("{seq}\0{bucket}\0{key}\0{now_ns}").as_bytes()));
            tx.prepare_cached(
                "INSERT INTO multipart_uploads
                     (upload_id, bucket, key, content_type, user_metadata, if_none_match_any, created_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                upload_id,
                bucket,
                key,
                content_type,
                user_metadata,
                options.if_none_match_any,
                to_sql(now_ns)
            ])?;
            Ok(upload_id)
        })
    }

    /// Stores one part (replacing an earlier part of the same number).
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchUpload`],
    /// [`BucketError::InvalidArgument`] for a part number outside 1..=10000,
    /// [`BucketError::EntityTooLarge`] over 5 GiB.
    pub fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: &[u8],
        now_ns: u64,
    ) -> Result<PartInfo, BucketError> {
        check_part_number(part_number)?;
        let staged = self.stage_slice(body)?;
        self.upload_staged_part(bucket, key, upload_id, part_number, staged, now_ns)
    }

    /// Checks that the upload exists, before a caller streams a part's body.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchUpload`],
    /// [`BucketError::InvalidArgument`] for a part number outside 1..=10000.
    pub fn check_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
    ) -> Result<(), BucketError> {
        validate_key(key)?;
        check_part_number(part_number)?;
        self.inner
            .db
            .read(|conn| find_upload(conn, bucket, key, upload_id).map(|_| ()))
    }

    /// Commits a staged body (see [`State::stage_object_body`]) as part
    /// `part_number`, replacing an earlier part of that number.
    ///
    /// # Errors
    /// As [`State::upload_part`].
    pub fn upload_staged_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: StagedBody,
        now_ns: u64,
    ) -> Result<PartInfo, BucketError> {
        validate_key(key)?;
        check_part_number(part_number)?;
        let size = body.size();
        let etag = body.md5_hex();
        let prepared = body.into_prepared();
        self.write(|tx| {
            find_upload(tx, bucket, key, upload_id)?;
            let old: Option<Option<String>> = tx
                .prepare_cached("SELECT body_file FROM multipart_parts WHERE upload_id = ?1 AND part_number = ?2")?
                .query_row(params![upload_id, part_number], |r| r.get(0))
                .optional()?;
            tx.discard(old.flatten());
            tx.place(&prepared)?;
            let (inline, file) = prepared.columns();
            tx.prepare_cached(
                "INSERT INTO multipart_parts (upload_id, part_number, size, etag, last_modified_ns, body, body_file)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (upload_id, part_number) DO UPDATE SET
                     size = excluded.size, etag = excluded.etag, last_modified_ns = excluded.last_modified_ns,
                     body = excluded.body, body_file = excluded.body_file",
            )?
            .execute(params![
                upload_id,
                part_number,
                to_sql(size),
                etag,
                to_sql(now_ns),
                inline,
                file
            ])?;
            Ok(PartInfo {
                part_number,
                etag: quote(&etag),
                size,
                last_modified_ns: now_ns,
            })
        })
    }

    /// Joins the listed parts, in order, into the object `key`, and ends the
    /// upload (parts not listed are discarded). ETags may be quoted or not.
    ///
    /// # Errors
    /// [`BucketError::NoSuchUpload`], [`BucketError::InvalidPart`] (missing part or
    /// wrong ETag), [`BucketError::InvalidPartOrder`], [`BucketError::EntityTooSmall`]
    /// (a part other than the last under 5 MiB), [`BucketError::InvalidArgument`]
    /// for an empty list, [`BucketError::PreconditionFailed`].
    pub fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        now_ns: u64,
    ) -> Result<ObjectMeta, BucketError> {
        validate_key(key)?;
        if parts.is_empty() {
            return Err(BucketError::InvalidArgument {
                message: "a multipart upload is completed with at least one part".into(),
            });
        }
        if parts.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(BucketError::InvalidPartOrder);
        }
        // Join the parts outside the write lock (it can be gigabytes of
        // copying), then commit only if the parts did not change meanwhile.
        const ATTEMPTS: usize = 5;
        for attempt in 1.. {
            let (upload, found, body) = self.read_retrying(|conn| {
                let upload = find_upload(conn, bucket, key, upload_id)?;
                let found = listed_parts(conn, upload_id, parts)?;
                let all_but_last = &found[..found.len() - 1];
                if let Some(small) = all_but_last.iter().find(|p| p.size < MIN_PART_BYTES) {
                    return Err(BucketError::EntityTooSmall {
                        part_number: small.number,
                        size: small.size,
                        min: MIN_PART_BYTES,
                    });
                }
                let total = found.iter().map(|p| p.size).sum();
                let stored: Vec<Stored> = found.iter().map(|p| p.stored.clone()).collect();
                Ok(self
                    .inner
                    .blobs
                    .prepare_concat(&stored, total)
                    .map(|body| (upload, found, body)))
            })?;
            let etag = multipart_etag(&found)?;
            let size = body.len();
            // Kept so a read of `?partNumber=N` can find part N's bytes.
            let sizes: Vec<String> = found.iter().map(|p| p.size.to_string()).collect();
            let part_sizes = format!("[{}]", sizes.join(","));
            let committed = self.write(|tx| {
                find_upload(tx, bucket, key, upload_id)?;
                if listed_parts(tx, upload_id, parts)? != found {
                    return Ok(None); // a part was replaced meanwhile: join again
                }
                let object = NewObject {
                    bucket,
                    key,
                    size,
                    etag: etag.clone(),
                    content_type: upload.content_type.clone(),
                    user_metadata: upload.user_metadata.clone(),
                    // S3 combines part checksums into a composite one; not emulated.
                    checksum: None,
                    part_sizes: Some(part_sizes.clone()),
                    if_none_match_any: upload.if_none_match_any,
                    now_ns,
                };
                let meta = store_object(tx, object, &body)?;
                super::outbox::record(tx, "ObjectCreated:CompleteMultipartUpload", &meta, now_ns)?;
                delete_upload(tx, upload_id)?;
                Ok(Some(meta))
            });
            match committed {
                Ok(Some(meta)) => return Ok(meta),
                Ok(None) if attempt < ATTEMPTS => continue,
                Ok(None) => {
                    return Err(BucketError::InvalidRequest {
                        message: "the upload's parts kept changing while it was being completed"
                            .into(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns")
    }

    /// Ends the upload and deletes its parts.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchUpload`].
    pub fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), BucketError> {
        validate_key(key)?;
        self.write(|tx| {
            find_upload(tx, bucket, key, upload_id)?;
            delete_upload(tx, upload_id)?;
            Ok(())
        })
    }

    /// The parts uploaded so far, by part number.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchUpload`].
    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<PartInfo>, BucketError> {
        validate_key(key)?;
        self.inner.db.read(|conn| {
            find_upload(conn, bucket, key, upload_id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT part_number, etag, size, last_modified_ns FROM multipart_parts
                 WHERE upload_id = ?1 ORDER BY part_number",
            )?;
            let parts = stmt.query_map([upload_id], |r| {
                Ok(PartInfo {
                    part_number: r.get(0)?,
                    etag: quote(&r.get::<_, String>(1)?),
                    size: from_sql(r.get(2)?),
                    last_modified_ns: from_sql(r.get(3)?),
                })
            })?;
            Ok(parts.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The bucket's multipart uploads in progress, by key and then by when
    /// they started, for ListMultipartUploads.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`].
    pub fn list_multipart_uploads(&self, bucket: &str) -> Result<Vec<UploadInfo>, BucketError> {
        self.inner.db.read(|conn| {
            super::s3::require_bucket(conn, bucket)?;
            let mut stmt = conn.prepare_cached(
                "SELECT key, upload_id, created_ns FROM multipart_uploads
                 WHERE bucket = ?1 ORDER BY key, created_ns, upload_id",
            )?;
            let uploads = stmt.query_map([bucket], |r| {
                Ok(UploadInfo {
                    key: r.get(0)?,
                    upload_id: r.get(1)?,
                    initiated_ns: from_sql(r.get(2)?),
                })
            })?;
            Ok(uploads.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    pub key: String,
    pub upload_id: String,
    pub initiated_ns: u64,
}
