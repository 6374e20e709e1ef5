//! What can go wrong in the state engine, split by who can act on it.
//!
//! [`StateError`] is the machine's problem (a file, the database, a version
//! mismatch); [`KvError`] and [`BucketError`] are the caller's, and each carries the
//! code its boundary needs: a short string for the guest ABI, and for S3 the AWS
//! error code and HTTP status, mapped in one place here.

use std::path::PathBuf;

/// The storage itself failed: the database, a body file, or a version mismatch.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// SQLite reported an error.
    #[error("state database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// A file or folder of the state directory could not be read or written.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The database was written by a newer wasmfaas whose schema this build does not know.
    #[error(
        "{} uses state schema version {found}, but this wasmfaas understands only up to \
         version {supported}: upgrade wasmfaas, or move the file away to start with empty state",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// The file is an SQLite database, but not one wasmfaas created.
    #[error(
        "{} is not a wasmfaas state database ({reason}); point wasmfaas at another folder \
         or move the file away",
        path.display()
    )]
    NotAStateDatabase { path: PathBuf, reason: String },

    /// A row names a body file that is not in `blobs/` (deleted by hand?).
    #[error(
        "the body file blobs/{name} that the state database refers to is missing; \
         was it deleted by hand? Delete the entry that refers to it (see docs/state.md)"
    )]
    MissingBlob { name: String },

    /// A stored value does not have the shape this build wrote (edited by hand?).
    #[error("the state database holds a malformed value: {detail}")]
    Corrupt { detail: String },
}

impl StateError {
    pub(super) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        StateError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Why a KV call was refused. Limits follow Cloudflare Workers KV.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// The key is empty, `.`, `..` or longer than 512 bytes.
    #[error("invalid KV key {key:?}: {reason}")]
    InvalidKey { key: String, reason: String },

    /// The value is over 25 MiB.
    #[error("the value is {size} bytes, but a KV value may be at most {limit} bytes (25 MiB)")]
    ValueTooLarge { size: u64, limit: u64 },

    /// The metadata is over 1024 bytes.
    #[error("the metadata is {size} bytes of JSON, but KV metadata may be at most {limit} bytes")]
    MetadataTooLarge { size: u64, limit: u64 },

    /// The metadata is not JSON text.
    #[error("KV metadata must be JSON text: {reason}")]
    InvalidMetadata { reason: String },

    /// The expiration is too soon (or in the past).
    #[error("invalid expiration: {reason}")]
    InvalidTtl { reason: String },

    /// The list cursor is not one a list call returned.
    #[error(
        "invalid list cursor: pass the `cursor` a previous list call returned, unchanged, \
         or none to start from the first key"
    )]
    InvalidCursor,

    /// The list limit is outside 1..=1000.
    #[error("invalid list limit {limit}: it must be between 1 and 1000")]
    InvalidLimit { limit: u32 },

    /// The storage failed; the request itself was fine.
    #[error(transparent)]
    Storage(#[from] StateError),
}

impl From<rusqlite::Error> for KvError {
    fn from(e: rusqlite::Error) -> Self {
        KvError::Storage(e.into())
    }
}

impl KvError {
    /// A stable, short code for the guest ABI and the CLI's `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            KvError::InvalidKey { .. } => "invalid-key",
            KvError::ValueTooLarge { .. } => "value-too-large",
            KvError::MetadataTooLarge { .. } => "metadata-too-large",
            KvError::InvalidMetadata { .. } => "invalid-metadata",
            KvError::InvalidTtl { .. } => "invalid-ttl",
            KvError::InvalidCursor => "invalid-cursor",
            KvError::InvalidLimit { .. } => "invalid-limit",
            KvError::Storage(_) => "storage",
        }
    }
}

/// Why a call on a bucket or its objects was refused, as AWS S3 would refuse
/// it. (How S3 writes such a refusal on the wire is `s3api::S3Error`.)
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("the bucket `{bucket}` does not exist")]
    NoSuchBucket { bucket: String },

    #[error("the key {key:?} does not exist in bucket `{bucket}`")]
    NoSuchKey { bucket: String, key: String },

    #[error(
        "the multipart upload `{upload_id}` does not exist (it may have been completed or \
         aborted, or belong to another bucket or key)"
    )]
    NoSuchUpload { upload_id: String },

    #[error(
        "the bucket `{bucket}` is not empty: delete its objects and abort its multipart \
         uploads first"
    )]
    BucketNotEmpty { bucket: String },

    #[error("the bucket `{bucket}` already exists")]
    BucketAlreadyOwnedByYou { bucket: String },

    #[error("`{bucket}` is not a valid bucket name: {reason}")]
    InvalidBucketName { bucket: String, reason: String },

    #[error("the key is {size} bytes long, but S3 keys may be at most 1024 bytes")]
    KeyTooLongError { size: usize },

    #[error("the requested range is not satisfiable for an object of {size} bytes")]
    InvalidRange { size: u64 },

    #[error("part {part_number} is not satisfiable: the object has {parts_count} part(s)")]
    InvalidPartNumber { part_number: u32, parts_count: u32 },

    #[error("the {algorithm} checksum given is not the checksum of the body")]
    BadDigest { algorithm: &'static str },

    #[error("a precondition failed: the object already exists (If-None-Match: *)")]
    PreconditionFailed,

    #[error("part {part_number} {reason}")]
    InvalidPart { part_number: u32, reason: String },

    #[error("the list of parts must be in strictly ascending order of part number")]
    InvalidPartOrder,

    #[error(
        "part {part_number} is {size} bytes, but every part except the last must be at least \
         {min} bytes (5 MiB)"
    )]
    EntityTooSmall {
        part_number: u32,
        size: u64,
        min: u64,
    },

    #[error("the body is {size} bytes, but at most {max} bytes (5 GiB) fit in one request")]
    EntityTooLarge { size: u64, max: u64 },

    #[error("user metadata is {size} bytes, but S3 allows at most {max} bytes (keys plus values)")]
    MetadataTooLarge { size: usize, max: usize },

    #[error("invalid argument: {message}")]
    InvalidArgument { message: String },

    #[error("invalid request: {message}")]
    InvalidRequest { message: String },

    #[error(transparent)]
    Storage(#[from] StateError),
}

impl From<rusqlite::Error> for BucketError {
    fn from(e: rusqlite::Error) -> Self {
        BucketError::Storage(e.into())
    }
}

impl BucketError {
    /// The AWS error code (`<Code>` in S3's XML error body).
    pub fn code(&self) -> &'static str {
        match self {
            BucketError::NoSuchBucket { .. } => "NoSuchBucket",
            BucketError::NoSuchKey { .. } => "NoSuchKey",
            BucketError::NoSuchUpload { .. } => "NoSuchUpload",
            BucketError::BucketNotEmpty { .. } => "BucketNotEmpty",
            BucketError::BucketAlreadyOwnedByYou { .. } => "BucketAlreadyOwnedByYou",
            BucketError::InvalidBucketName { .. } => "InvalidBucketName",
            BucketError::KeyTooLongError { .. } => "KeyTooLongError",
            BucketError::InvalidRange { .. } => "InvalidRange",
            BucketError::BadDigest { .. } => "BadDigest",
            BucketError::InvalidPartNumber { .. } => "InvalidPartNumber",
            BucketError::PreconditionFailed => "PreconditionFailed",
            BucketError::InvalidPart { .. } => "InvalidPart",
            BucketError::InvalidPartOrder => "InvalidPartOrder",
            BucketError::EntityTooSmall { .. } => "EntityTooSmall",
            BucketError::EntityTooLarge { .. } => "EntityTooLarge",
            BucketError::MetadataTooLarge { .. } => "MetadataTooLarge",
            BucketError::InvalidArgument { .. } => "InvalidArgument",
            BucketError::InvalidRequest { .. } => "InvalidRequest",
            BucketError::Storage(_) => "InternalError",
        }
    }

    /// The HTTP status S3 answers this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            BucketError::NoSuchBucket { .. }
            | BucketError::NoSuchKey { .. }
            | BucketError::NoSuchUpload { .. } => 404,
            BucketError::BucketNotEmpty { .. } | BucketError::BucketAlreadyOwnedByYou { .. } => 409,
            BucketError::InvalidRange { .. } | BucketError::InvalidPartNumber { .. } => 416,
            BucketError::PreconditionFailed => 412,
            BucketError::InvalidBucketName { .. }
            | BucketError::KeyTooLongError { .. }
            | BucketError::BadDigest { .. }
            | BucketError::InvalidPart { .. }
            | BucketError::InvalidPartOrder
            | BucketError::EntityTooSmall { .. }
            | BucketError::EntityTooLarge { .. }
            | BucketError::MetadataTooLarge { .. }
            | BucketError::InvalidArgument { .. }
            | BucketError::InvalidRequest { .. } => 400,
            BucketError::Storage(_) => 500,
        }
    }
}
