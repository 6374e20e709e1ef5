//! Object bodies in and out, with memory bounded per request whatever the
//! object's size.
//!
//! A write is two steps: [`State::stage_object_body`] reads the body from
//! any [`Read`] to its end, hashing it and (past the inline limit) streaming
//! it to a temp file in `blobs/`; then one of the `*_staged` calls commits
//! it in a write transaction, through [`store_object`] (the one function
//! that writes an object's row). The store never holds a whole large body
//! in memory, and the write lock is never held while a client trickles its
//! bytes in.
//!
//! A read opens the row's body in the same database snapshot as its
//! metadata ([`State::open_object`]) and hands back an [`ObjectBody`] that
//! reads only the span asked for: a range seeks, it never reads what comes
//! before. An open file keeps its bytes even if a concurrent write replaces
//! (and removes) it, so the metadata and the bytes always agree.

use super::State;
use super::blobs::{Opened, StageFailure, Staged};
use super::checksum::Checksum;
use super::error::{BucketError, StateError};
use super::limits::S3_MAX_PUT_BYTES as MAX_PUT_BYTES;
use super::range::ByteRange;
use super::s3::{
    CopyOptions, Found, NewObject, ObjectMeta, PartRange, PutOptions, find_object, locate_part,
    require_bucket, resolve_put_options, store_object, validate_key,
};
use crate::hex::hex;
use std::io::{Cursor, Read, Seek, SeekFrom, Take};
use std::path::PathBuf;

/// A body read to its end and ready to commit (see [`State::stage_object_body`]).
/// Dropping it without committing removes its temp file.
pub struct StagedBody {
    staged: Staged,
}

impl std::fmt::Debug for StagedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedBody")
            .field("size", &self.staged.size)
            .finish_non_exhaustive()
    }
}

impl StagedBody {
    /// The body's length in bytes.
    pub fn size(&self) -> u64 {
        self.staged.size
    }

    /// The body's MD5 as unquoted hex (an ETag for a single-part object).
    pub fn md5_hex(&self) -> String {
        hex(&self.staged.md5)
    }

    pub(super) fn into_prepared(self) -> super::blobs::Prepared<'static> {
        self.staged.body
    }
}

/// Why [`State::stage_object_body`] failed.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The body's reader failed; its error is passed on untouched, so a
    /// caller whose reader carries a protocol error can get it back.
    #[error("the body could not be read: {0}")]
    Read(std::io::Error),
    /// The store refused the body (too large) or could not write it.
    #[error(transparent)]
    Refused(#[from] BucketError),
}

/// A stored object's body, opened in the same snapshot as its metadata.
pub struct ObjectBody {
    opened: Opened,
}

impl std::fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBody").finish_non_exhaustive()
    }
}

/// A reader of `len` bytes of an object (see [`ObjectBody::span`]).
pub struct ObjectReader {
    source: Source,
    len: u64,
}

enum Source {
    Inline(Take<Cursor<Vec<u8>>>),
    File(Take<std::fs::File>, PathBuf),
}

impl ObjectBody {
    /// A reader of the `len` bytes that start at `first`; a file is seeked,
    /// so nothing before `first` is read.
    ///
    /// # Errors
    /// [`BucketError::Storage`] if the file cannot be seeked.
    pub fn span(self, first: u64, len: u64) -> Result<ObjectReader, BucketError> {
        let source = match self.opened {
            Opened::Inline(bytes) => {
                let mut cursor = Cursor::new(bytes);
                cursor.set_position(first);
                Source::Inline(cursor.take(len))
            }
            Opened::File(mut file, path) => {
                file.seek(SeekFrom::Start(first))
                    .map_err(|e| StateError::io("seek", &path, e))?;
                Source::File(file.take(len), path)
            }
        };
        Ok(ObjectReader { source, len })
    }

    /// The whole body.
    ///
    /// # Errors
    /// As [`ObjectBody::span`].
    pub fn whole(self, size: u64) -> Result<ObjectReader, BucketError> {
        self.span(0, size)
    }
}

impl ObjectReader {
    /// How many bytes it reads.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if it reads nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads all of it into memory; for callers that have bounded `len`.
    ///
    /// # Errors
    /// [`BucketError::Storage`] if the file cannot be read, or ends early.
    pub fn into_vec(mut self) -> Result<Vec<u8>, BucketError> {
        let mut out = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
        let read = self.read_to_end(&mut out);
        match (read, &self.source) {
            (Ok(n), _) if n as u64 == self.len => Ok(out),
            (result, source) => {
                let path = match source {
                    Source::File(_, path) => path.clone(),
                    Source::Inline(_) => PathBuf::from("(inline body)"),
                };
                let e = result
                    .err()
                    .unwrap_or_else(|| std::io::ErrorKind::UnexpectedEof.into());
                Err(StateError::io("read", path, e).into())
            }
        }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.source {
            Source::Inline(reader) => reader.read(buf),
            Source::File(reader, _) => reader.read(buf),
        }
    }
}

impl State {
    /// Reads `body` to its end and keeps it ready to commit as an object or
    /// a part: small bodies in memory, larger ones streamed to a temp file
    /// (64 KiB in memory at a time), its MD5 computed on the way.
    ///
    /// # Errors
    /// [`StageError::Read`] when `body` fails (nothing is kept);
    /// [`BucketError::EntityTooLarge`] past 5 GiB, as soon as it is seen;
    /// [`BucketError::Storage`] when the temp file cannot be written.
    pub fn stage_object_body(&self, body: &mut dyn Read) -> Result<StagedBody, StageError> {
        match self.inner.blobs.stage(body, MAX_PUT_BYTES) {
            Ok(staged) => Ok(StagedBody { staged }),
            Err(StageFailure::Read(e)) => Err(StageError::Read(e)),
            Err(StageFailure::TooLarge { size }) => Err(BucketError::EntityTooLarge {
                size,
                max: MAX_PUT_BYTES,
            }
            .into()),
            Err(StageFailure::Store(e)) => Err(BucketError::Storage(e).into()),
        }
    }

    /// Stores `body` as `key` in `bucket`, replacing any object of that key.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::KeyTooLongError`] (or
    /// [`BucketError::InvalidArgument`] for an empty key or metadata that could
    /// not be sent back in a response head), [`BucketError::EntityTooLarge`],
    /// [`BucketError::MetadataTooLarge`], [`BucketError::PreconditionFailed`].
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        options: &PutOptions,
        now_ns: u64,
    ) -> Result<ObjectMeta, BucketError> {
        self.put_object_with_checksum(bucket, key, body, options, None, now_ns)
    }

    /// As [`State::put_object`], and keeps `checksum` (the `x-amz-checksum-*`
    /// of an upload) with the object, for reads to return as S3 does.
    ///
    /// # Errors
    /// As [`State::put_object`]; [`BucketError::BadDigest`] when `checksum` is
    /// not the checksum of `body`: the store never keeps a wrong one.
    pub fn put_object_with_checksum(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        options: &PutOptions,
        checksum: Option<&Checksum>,
        now_ns: u64,
    ) -> Result<ObjectMeta, BucketError> {
        validate_key(key)?;
        resolve_put_options(options)?;
        // Kept as computed here, so the stored value is the canonical base64
        // of the digest whatever spelling the client used.
        let checksum = match checksum {
            Some(given) => {
                let computed = Checksum::of(given.algorithm, body);
                if !given.matches(&computed) {
                    return Err(BucketError::BadDigest {
                        algorithm: given.algorithm.name(),
                    });
                }
                Some(computed)
            }
            None => None,
        };
        let staged = self.stage_slice(body)?;
        self.put_staged_object(bucket, key, staged, options, checksum, now_ns)
    }

    /// Commits a staged body as `key` in `bucket`, replacing any object of
    /// that key. `checksum` must have been computed over the same bytes (the
    /// S3 endpoint's body reader verifies the client's as it streams).
    ///
    /// # Errors
    /// As [`State::put_object`].
    pub fn put_staged_object(
        &self,
        bucket: &str,
        key: &str,
        body: StagedBody,
        options: &PutOptions,
        checksum: Option<Checksum>,
        now_ns: u64,
    ) -> Result<ObjectMeta, BucketError> {
        validate_key(key)?;
        let (content_type, user_metadata) = resolve_put_options(options)?;
        let staged = body.staged;
        self.write(|tx| {
            require_bucket(tx, bucket)?;
            let object = NewObject {
                bucket,
                key,
                size: staged.size,
                etag: hex(&staged.md5),
                content_type,
                user_metadata,
                checksum: checksum.as_ref(),
                part_sizes: None,
                if_none_match_any: options.if_none_match_any,
                now_ns,
            };
            let meta = store_object(tx, object, &staged.body)?;
            super::outbox::record(tx, "ObjectCreated:Put", &meta, now_ns)?;
            Ok(meta)
        })
    }

    /// Stages an in-memory body (bindings, tests).
    pub(super) fn stage_slice(&self, body: &[u8]) -> Result<StagedBody, BucketError> {
        self.stage_object_body(&mut &body[..]).map_err(|e| match e {
            StageError::Refused(e) => e,
            // A slice never fails to read.
            StageError::Read(e) => BucketError::Storage(StateError::io("read", "(memory)", e)),
        })
    }

    /// The object's metadata and its body, opened for reading.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchKey`].
    pub fn open_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<(ObjectMeta, ObjectBody), BucketError> {
        validate_key(key)?;
        self.read_retrying(|conn| {
            let Found { meta, stored, .. } = find_object(conn, bucket, key)?;
            Ok(self
                .inner
                .blobs
                .open_stored(stored)
                .map(|opened| (meta, ObjectBody { opened })))
        })
    }

    /// The object's metadata, where its part `part_number` lies, and its
    /// body opened for reading (S3's `GetObject?partNumber=N`).
    ///
    /// # Errors
    /// As [`State::get_object_part`].
    pub fn open_object_part(
        &self,
        bucket: &str,
        key: &str,
        part_number: u32,
    ) -> Result<(ObjectMeta, PartRange, ObjectBody), BucketError> {
        validate_key(key)?;
        self.read_retrying(|conn| {
            let found = find_object(conn, bucket, key)?;
            let part = locate_part(&found.meta, found.part_sizes.as_deref(), part_number)?;
            Ok(self
                .inner
                .blobs
                .open_stored(found.stored)
                .map(|opened| (found.meta, part, ObjectBody { opened })))
        })
    }

    /// The object's metadata and its body, or only the bytes of `range`,
    /// in memory: for callers that bound the size first.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchKey`], [`BucketError::InvalidRange`].
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<(ObjectMeta, Vec<u8>), BucketError> {
        let (meta, body) = self.open_object(bucket, key)?;
        let (first, len) = match range {
            Some(range) => {
                let (first, last) = range.resolve(meta.size)?;
                (first, last - first + 1)
            }
            None => (0, meta.size),
        };
        let bytes = body.span(first, len)?.into_vec()?;
        Ok((meta, bytes))
    }

    /// The object's metadata and the bytes of its part `part_number` (S3's
    /// `GetObject?partNumber=N`). An object put whole has one part: itself.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`], [`BucketError::NoSuchKey`],
    /// [`BucketError::InvalidPartNumber`] past the last part,
    /// [`BucketError::InvalidArgument`] outside 1..=10000, and
    /// [`BucketError::InvalidRequest`] for a multipart object whose part sizes
    /// were not recorded (completed before state schema version 2).
    pub fn get_object_part(
        &self,
        bucket: &str,
        key: &str,
        part_number: u32,
    ) -> Result<(ObjectMeta, PartRange, Vec<u8>), BucketError> {
        let (meta, part, body) = self.open_object_part(bucket, key, part_number)?;
        let bytes = body.span(part.offset, part.size)?.into_vec()?;
        Ok((meta, part, bytes))
    }

    /// Copies an object (server-side), file to file in bounded pieces. The
    /// copy keeps the source's ETag, checksum and part layout: its bytes
    /// are the same.
    ///
    /// # Errors
    /// [`BucketError::NoSuchBucket`] (either bucket), [`BucketError::NoSuchKey`] (the
    /// source), [`BucketError::InvalidRequest`] when copying an object onto itself
    /// without replacing its metadata, and the errors of [`State::put_object`].
    pub fn copy_object(
        &self,
        src_bucket: &str,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
        options: &CopyOptions,
        now_ns: u64,
    ) -> Result<ObjectMeta, BucketError> {
        validate_key(src_key)?;
        validate_key(dst_key)?;
        if src_bucket == dst_bucket && src_key == dst_key && options.replace_metadata.is_none() {
            return Err(BucketError::InvalidRequest {
                message: "this copy request is illegal because it is trying to copy an object to \
                          itself without changing the object's metadata"
                    .into(),
            });
        }
        let (src, part_sizes, body) = self.read_retrying(|conn| -> Result<_, BucketError> {
            let found = find_object(conn, src_bucket, src_key)?;
            Ok(self
                .inner
                .blobs
                .prepare_copy(&found.stored, found.meta.size)
                .map(|body| (found.meta, found.part_sizes, body)))
        })?;
        let (content_type, user_metadata, if_none_match_any) = match &options.replace_metadata {
            Some(replace) => {
                let (content_type, metadata) = resolve_put_options(replace)?;
                (content_type, metadata, replace.if_none_match_any)
            }
            None => {
                let metadata =
                    serde_json::to_string(&src.user_metadata).map_err(|e| StateError::Corrupt {
                        detail: format!("user metadata does not serialise: {e}"),
                    })?;
                (src.content_type.clone(), metadata, false)
            }
        };
        self.write(|tx| {
            require_bucket(tx, dst_bucket)?;
            let object = NewObject {
                bucket: dst_bucket,
                key: dst_key,
                size: src.size,
                etag: src.etag.trim_matches('"').to_owned(),
                content_type,
                user_metadata,
                checksum: src.checksum.as_ref(),
                part_sizes: part_sizes.clone(),
                if_none_match_any,
                now_ns,
            };
            let meta = store_object(tx, object, &body)?;
            super::outbox::record(tx, "ObjectCreated:Copy", &meta, now_ns)?;
            Ok(meta)
        })
    }
}
