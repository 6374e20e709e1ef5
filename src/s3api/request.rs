//! Operation routing: which S3 operation a path-style request asks for, and
//! its parameters, decoded and validated.
//!
//! S3 tells operations apart by method, by whether the path names a key,
//! and by "sub-resource" query parameters (`?uploads`, `?uploadId=`,
//! `?delete`, `?location`, `?list-type=2`) and a few headers
//! (`x-amz-copy-source`). Sub-resources of features wasmfaas does not have
//! (`?acl`, `?tagging`, `?versioning`, ...) are refused with
//! `NotImplemented` rather than silently answered as a plain GET or PUT,
//! which would hand a client a wrong answer it believes.
//!
//! Keys are percent-decoded into UTF-8; S3 answers a key that is not valid
//! UTF-8 with `400 InvalidURI` ("Couldn't parse the specified URI."), and so
//! do we. Nothing here touches storage: whether a bucket or key exists is
//! for the storage engine to say.

mod bucket;
mod conditions;
mod meta;
mod object;
mod query;

pub use bucket::{ListObjects, ListUploads, ListVersion};
pub use conditions::{ByteRange, Conditions, Precondition};
pub use meta::{UploadHeaders, is_safe_header_value};
pub use object::{CopySource, MetadataDirective, ReadOptions, ResponseOverrides};

use super::error::{ErrorCode, S3Error};
use super::headers::RawRequest;
use super::percent;
use bucket::route_bucket;
use object::route_object;
use query::{Query, UNSUPPORTED_SUBRESOURCES};

/// The longest key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The most user metadata S3 accepts: keys and values, in UTF-8 bytes.
pub const MAX_USER_METADATA_BYTES: usize = 2048;
/// The most keys, uploads or parts one listing returns.
pub const MAX_LIST: u32 = 1000;

/// An S3 operation with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    ListBuckets,
    CreateBucket {
        bucket: String,
    },
    DeleteBucket {
        bucket: String,
    },
    HeadBucket {
        bucket: String,
    },
    GetBucketLocation {
        bucket: String,
    },
    /// ListObjects (V1) and ListObjectsV2: [`ListObjects::version`] says which.
    ListObjects {
        bucket: String,
        list: ListObjects,
    },
    ListMultipartUploads {
        bucket: String,
        list: ListUploads,
    },
    /// The keys are in the body ([`super::xml::parse_delete`]).
    DeleteObjects {
        bucket: String,
    },
    PutObject {
        bucket: String,
        key: String,
        meta: UploadHeaders,
        conditions: Conditions,
    },
    CopyObject {
        bucket: String,
        key: String,
        source: CopySource,
        directive: MetadataDirective,
        /// The new metadata, used when `directive` is `Replace`.
        meta: UploadHeaders,
    },
    GetObject {
        bucket: String,
        key: String,
        read: ReadOptions,
    },
    HeadObject {
        bucket: String,
        key: String,
        read: ReadOptions,
    },
    DeleteObject {
        bucket: String,
        key: String,
    },
    CreateMultipartUpload {
        bucket: String,
        key: String,
        meta: UploadHeaders,
    },
    UploadPart {
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
    },
    UploadPartCopy {
        bucket: String,
        key: String,
        upload_id: String,
        part_number: u32,
        source: CopySource,
        /// `x-amz-copy-source-range`: the part of the source to copy.
        range: Option<ByteRange>,
    },
    /// The parts are in the body ([`super::xml::parse_complete_multipart_upload`]).
    CompleteMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
        conditions: Conditions,
    },
    AbortMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    ListParts {
        bucket: String,
        key: String,
        upload_id: String,
        max_parts: u32,
        part_number_marker: u32,
    },
}

impl Operation {
    /// The operation's name in the S3 API reference, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::ListBuckets => "ListBuckets",
            Operation::CreateBucket { .. } => "CreateBucket",
            Operation::DeleteBucket { .. } => "DeleteBucket",
            Operation::HeadBucket { .. } => "HeadBucket",
            Operation::GetBucketLocation { .. } => "GetBucketLocation",
            Operation::ListObjects { list, .. } => match list.version {
                ListVersion::V1 { .. } => "ListObjects",
                ListVersion::V2 { .. } => "ListObjectsV2",
            },
            Operation::ListMultipartUploads { .. } => "ListMultipartUploads",
            Operation::DeleteObjects { .. } => "DeleteObjects",
            Operation::PutObject { .. } => "PutObject",
            Operation::CopyObject { .. } => "CopyObject",
            Operation::GetObject { .. } => "GetObject",
            Operation::HeadObject { .. } => "HeadObject",
            Operation::DeleteObject { .. } => "DeleteObject",
            Operation::CreateMultipartUpload { .. } => "CreateMultipartUpload",
            Operation::UploadPart { .. } => "UploadPart",
            Operation::UploadPartCopy { .. } => "UploadPartCopy",
            Operation::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Operation::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Operation::ListParts { .. } => "ListParts",
        }
    }
}

/// Decides the operation of a path-style request.
///
/// # Errors
/// - `InvalidURI`: a path or query that does not decode to UTF-8;
/// - `KeyTooLongError`: a key over 1024 bytes;
/// - `InvalidBucketName`: CreateBucket with a name S3 would refuse;
/// - `InvalidArgument`: a bad `max-keys`, `partNumber`, `encoding-type`,
///   `list-type`, `x-amz-copy-source` or metadata directive;
/// - `InvalidRequest`: a copy of an object onto itself that changes nothing;
/// - `MetadataTooLarge`: more than 2 KiB of `x-amz-meta-*`;
/// - `NotImplemented`: a sub-resource or version of a feature wasmfaas does
///   not have (`?acl`, `?tagging`, `?versionId=...`, POST uploads, ...);
/// - `MethodNotAllowed`: a method S3 has no operation for here.
pub fn route(request: &RawRequest<'_>) -> Result<Operation, S3Error> {
    let query = Query::parse(request.query)?;
    if let Some(name) = UNSUPPORTED_SUBRESOURCES.iter().find(|name| query.has(name)) {
        return Err(not_implemented(&format!("?{name}")));
    }
    let (bucket, key) = split_path(request.path)?;
    let method = request.method;
    let Some(bucket) = bucket else {
        return match method {
            "GET" => Ok(Operation::ListBuckets),
            _ => Err(method_not_allowed(method)),
        };
    };
    match key {
        None => route_bucket(method, bucket, &query, request.headers),
        Some(key) => {
            if let Some(version) = query.get("versionId").filter(|v| *v != "null") {
                return Err(not_implemented(&format!(
                    "?versionId={version} (object versions)"
                )));
            }
            route_object(method, bucket, key, &query, request.headers)
        }
    }
}

/// Splits `/bucket/key` into the bucket and the decoded key (`None` for
/// the bucket itself: `/bucket` or `/bucket/`). The key is taken as it is,
/// `//` and trailing `/` included: S3 keys are not file paths.
fn split_path(path: &str) -> Result<(Option<String>, Option<String>), S3Error> {
    // An absolute-form request target (`http://host/bucket/key`).
    let path = match path.split_once("://") {
        Some((scheme, rest)) if !scheme.contains('/') => {
            rest.find('/').map_or("/", |at| &rest[at..])
        }
        _ => path,
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) => (bucket, Some(key)),
        None => (path, None),
    };
    if bucket.is_empty() {
        return Ok((None, None));
    }
    let bucket =
        percent::decode_utf8(bucket, false).ok_or_else(|| S3Error::new(ErrorCode::InvalidURI))?;
    let key = match key.filter(|k| !k.is_empty()) {
        None => None,
        Some(raw) => Some(decode_key(raw)?),
    };
    Ok((Some(bucket), key))
}

fn decode_key(raw: &str) -> Result<String, S3Error> {
    let key =
        percent::decode_utf8(raw, false).ok_or_else(|| S3Error::new(ErrorCode::InvalidURI))?;
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::new(ErrorCode::KeyTooLongError)
            .detail("Size", key.len().to_string())
            .detail("MaxSizeAllowed", MAX_KEY_BYTES.to_string()));
    }
    Ok(key)
}

fn not_implemented(what: &str) -> S3Error {
    S3Error::with_message(
        ErrorCode::NotImplemented,
        format!(
            "A header or query you provided implies functionality that is not implemented: {what}"
        ),
    )
}

fn method_not_allowed(method: &str) -> S3Error {
    S3Error::new(ErrorCode::MethodNotAllowed).detail("Method", method)
}

#[cfg(test)]
mod tests;
