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

use super::checksum::ChecksumAlgorithm;
use super::error::{ErrorCode, S3Error};
use super::headers::{Headers, RawRequest};
use super::percent;
use super::time;
use std::collections::BTreeMap;

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

/// Parameters of ListObjects and ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjects {
    pub version: ListVersion,
    /// Only keys that start with this (empty: all).
    pub prefix: String,
    /// Roll keys up to `CommonPrefixes` at the first occurrence of this
    /// after the prefix.
    pub delimiter: Option<String>,
    /// As asked (default 1000); see [`ListObjects::limit`].
    pub max_keys: u32,
    /// `encoding-type=url`: URL-encode keys and prefixes in the answer.
    /// boto3 always asks, so keys with control characters survive XML.
    pub url_encoding: bool,
}

impl ListObjects {
    /// How many keys and common prefixes to return at most: S3 never
    /// returns more than 1000, whatever `max-keys` says.
    pub fn limit(&self) -> usize {
        self.max_keys.min(MAX_LIST) as usize
    }
}

/// What differs between ListObjects V1 and V2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListVersion {
    /// Start after the key `marker`.
    V1 { marker: Option<String> },
    /// Continue from an opaque token of ours, or start after a key.
    V2 {
        continuation_token: Option<String>,
        start_after: Option<String>,
        fetch_owner: bool,
    },
}

/// Parameters of ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUploads {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: u32,
    pub url_encoding: bool,
}

/// The headers of an upload that become the object's metadata (PutObject,
/// CopyObject with `REPLACE`, CreateMultipartUpload); the stored metadata
/// is `state::ObjectMeta`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadHeaders {
    pub content_type: Option<String>,
    /// Without the `aws-chunked` transfer coding, which S3 does not store.
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    /// The `Expires` header, kept as the client wrote it.
    pub expires: Option<String>,
    /// `x-amz-meta-*`, names lower-cased and without the prefix (S3 returns
    /// them so: HTTP header names have no case).
    pub user: BTreeMap<String, String>,
    /// `x-amz-storage-class`, if given.
    pub storage_class: Option<String>,
    /// `x-amz-checksum-algorithm` (CreateMultipartUpload) or
    /// `x-amz-sdk-checksum-algorithm`.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
}

/// `x-amz-copy-source`: the object to copy from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    /// `?versionId=` in the header; wasmfaas keeps no versions, so only
    /// `null` (S3's id for an unversioned object) can match.
    pub version_id: Option<String>,
    /// `x-amz-copy-source-if-*`.
    pub conditions: Conditions,
}

/// `x-amz-metadata-directive`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MetadataDirective {
    /// Keep the source's metadata (S3's default).
    #[default]
    Copy,
    /// Use the request's metadata.
    Replace,
}

/// How to answer a GetObject or HeadObject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// `Range`, if it parsed; S3 ignores a malformed one.
    pub range: Option<ByteRange>,
    pub conditions: Conditions,
    /// `?partNumber=`: read one part of a multipart object.
    pub part_number: Option<u32>,
    /// `x-amz-checksum-mode: ENABLED`: answer with the checksum stored with
    /// the object (whole-object reads only, as S3 does).
    pub checksum_mode: bool,
    /// `?response-content-type=` and friends: headers to answer with, as
    /// presigned URLs use them.
    pub overrides: ResponseOverrides,
}

/// Response headers a GetObject asks to be set (`response-*` parameters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseOverrides {
    pub content_type: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
}

/// Conditional request headers (`If-Match`, ... or their
/// `x-amz-copy-source-if-*` forms). Dates are seconds since the epoch; an
/// unparsable date is dropped, as HTTP says to ignore it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<i64>,
    pub if_unmodified_since: Option<i64>,
}

/// The outcome of [`Conditions::evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on with the request.
    Proceed,
    /// Answer `304 Not Modified` (reads only).
    NotModified,
    /// Answer `412 PreconditionFailed`; names the failing header.
    Failed(&'static str),
}

impl Conditions {
    /// Whether any condition was given.
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }

    /// Evaluates the conditions against an object's ETag (quoted or not)
    /// and last-modified time, in RFC 9110's order, which gives S3's
    /// documented pairs: `If-Match` true with `If-Unmodified-Since` false
    /// proceeds; `If-None-Match` false with `If-Modified-Since` true is 304.
    /// `None` for an object that does not exist: then only `If-Match` (and
    /// `If-None-Match: *` on writes) can fail.
    pub fn evaluate(&self, object: Option<(&str, i64)>) -> Precondition {
        let Some((etag, last_modified_ns)) = object else {
            return match self.if_match {
                Some(_) => Precondition::Failed("If-Match"),
                None => Precondition::Proceed,
            };
        };
        let modified = last_modified_ns.div_euclid(1_000_000_000);
        if let Some(list) = &self.if_match {
            if !etag_matches(list, etag) {
                return Precondition::Failed("If-Match");
            }
        } else if let Some(since) = self.if_unmodified_since
            && modified > since
        {
            return Precondition::Failed("If-Unmodified-Since");
        }
        if let Some(list) = &self.if_none_match {
            if etag_matches(list, etag) {
                return Precondition::NotModified;
            }
        } else if let Some(since) = self.if_modified_since
            && modified <= since
        {
            return Precondition::NotModified;
        }
        Precondition::Proceed
    }

    /// As [`Self::evaluate`] for a write or a copy source, where S3 answers
    /// 412 instead of 304 (`If-None-Match: *` on PutObject: "create only").
    pub fn evaluate_for_write(&self, object: Option<(&str, i64)>) -> Precondition {
        match self.evaluate(object) {
            Precondition::NotModified if self.if_none_match.is_some() => {
                Precondition::Failed("If-None-Match")
            }
            Precondition::NotModified => Precondition::Failed("If-Modified-Since"),
            outcome => outcome,
        }
    }

    fn from_headers(headers: &Headers, prefix: &str) -> Self {
        let get = |name: &str| {
            headers
                .get(&format!("{prefix}{name}"))
                .map(|v| v.trim().to_string())
        };
        Conditions {
            if_match: get("if-match"),
            if_none_match: get("if-none-match"),
            if_modified_since: get("if-modified-since").and_then(|d| time::parse_http_date(&d)),
            if_unmodified_since: get("if-unmodified-since").and_then(|d| time::parse_http_date(&d)),
        }
    }
}

impl Precondition {
    /// The error to answer a [`Precondition::Failed`] with.
    pub fn error(condition: &'static str) -> S3Error {
        S3Error::new(ErrorCode::PreconditionFailed).detail("Condition", condition)
    }
}

/// Whether an `If-Match`/`If-None-Match` list names `etag`: `*`, or any
/// entry equal to it once quotes and a weak `W/` prefix are set aside.
fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = |tag: &str| -> String {
        let tag = tag.trim();
        tag.strip_prefix("W/")
            .unwrap_or(tag)
            .trim_matches('"')
            .to_string()
    };
    let etag = bare(etag);
    list.split(',')
        .any(|entry| entry.trim() == "*" || bare(entry) == etag)
}

/// A `Range: bytes=...` request for one range (S3 serves no multi-range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-` or `bytes=first-last` (inclusive).
    From { first: u64, last: Option<u64> },
    /// `bytes=-len`: the last `len` bytes.
    Suffix { len: u64 },
}

impl ByteRange {
    /// The range in a `Range` header; `None` for anything S3 ignores
    /// (another unit, several ranges, `first > last`, not numbers).
    pub fn parse(header: &str) -> Option<Self> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        let number = |text: &str| -> Option<u64> {
            let text = text.trim();
            (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())?
        };
        match (first.trim().is_empty(), last.trim().is_empty()) {
            (true, false) => Some(ByteRange::Suffix { len: number(last)? }),
            (false, true) => Some(ByteRange::From {
                first: number(first)?,
                last: None,
            }),
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                (first <= last).then_some(ByteRange::From {
                    first,
                    last: Some(last),
                })
            }
            (true, true) => None,
        }
    }

    /// The inclusive byte span to send of an object of `size` bytes.
    ///
    /// # Errors
    /// `InvalidRange` (416) when no byte of the object is in the range.
    pub fn resolve(&self, size: u64) -> Result<(u64, u64), S3Error> {
        let span = match *self {
            ByteRange::From { first, last } if first < size => {
                Some((first, last.map_or(size - 1, |last| last.min(size - 1))))
            }
            ByteRange::Suffix { len } if len > 0 && size > 0 => {
                Some((size.saturating_sub(len), size - 1))
            }
            _ => None,
        };
        span.ok_or_else(|| {
            let requested = match *self {
                ByteRange::From {
                    first,
                    last: Some(last),
                } => format!("bytes={first}-{last}"),
                ByteRange::From { first, last: None } => format!("bytes={first}-"),
                ByteRange::Suffix { len } => format!("bytes=-{len}"),
            };
            S3Error::new(ErrorCode::InvalidRange)
                .detail("RangeRequested", requested)
                .detail("ActualObjectSize", size.to_string())
        })
    }
}

/// Sub-resources of S3 features wasmfaas does not implement. A request
/// naming one is refused rather than mistaken for a plain object request.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataTable",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "renameObject",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "select-type",
    "session",
    "tagging",
    "torrent",
    "versioning",
    "versions",
    "website",
];

/// The query parameters, decoded; the first of repeated names wins.
struct Query(BTreeMap<String, String>);

impl Query {
    fn parse(raw: &str) -> Result<Self, S3Error> {
        let mut map = BTreeMap::new();
        for (name, value) in percent::raw_pairs(raw) {
            let decode = |text: &str| {
                percent::decode_utf8(text, true).ok_or_else(|| S3Error::new(ErrorCode::InvalidURI))
            };
            map.entry(decode(name)?).or_insert(decode(value)?);
        }
        Ok(Query(map))
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A parameter whose empty value means "not given" (delimiter, markers).
    fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// A `response-*` parameter: a header to answer with, which must be
    /// safe to put in a response head.
    fn header_override(&self, name: &str) -> Result<Option<String>, S3Error> {
        match self.non_empty(name) {
            Some(value) if !is_safe_header_value(&value) => Err(unsafe_header_value(name, &value)),
            value => Ok(value),
        }
    }

    fn number(&self, name: &str, default: u32) -> Result<u32, S3Error> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map_or_else(
                    || {
                        Err(S3Error::with_message(
                            ErrorCode::InvalidArgument,
                            format!("Provided {name} not an integer or within integer range"),
                        )
                        .detail("ArgumentName", name)
                        .detail("ArgumentValue", text))
                    },
                    |n| Ok(u32::try_from(n).unwrap_or(u32::MAX)),
                ),
        }
    }

    fn url_encoding(&self) -> Result<bool, S3Error> {
        match self.get("encoding-type") {
            None => Ok(false),
            Some(value) if value.eq_ignore_ascii_case("url") => Ok(true),
            Some(value) => Err(S3Error::with_message(
                ErrorCode::InvalidArgument,
                "Invalid Encoding Method specified in Request",
            )
            .detail("ArgumentName", "encoding-type")
            .detail("ArgumentValue", value)),
        }
    }

    fn upload_id(&self) -> Option<String> {
        self.get("uploadId").map(str::to_string)
    }

    fn part_number(&self) -> Result<u32, S3Error> {
        let invalid = || {
            S3Error::with_message(
                ErrorCode::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .detail("ArgumentName", "partNumber")
            .detail("ArgumentValue", self.get("partNumber").unwrap_or(""))
        };
        let number: u32 = self
            .get("partNumber")
            .ok_or_else(invalid)?
            .trim()
            .parse()
            .map_err(|_| invalid())?;
        if (1..=10_000).contains(&number) {
            Ok(number)
        } else {
            Err(invalid())
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

fn route_bucket(
    method: &str,
    bucket: String,
    query: &Query,
    headers: &Headers,
) -> Result<Operation, S3Error> {
    match method {
        "GET" if query.has("location") => Ok(Operation::GetBucketLocation { bucket }),
        "GET" if query.has("uploads") => Ok(Operation::ListMultipartUploads {
            bucket,
            list: ListUploads {
                prefix: query.get("prefix").unwrap_or("").to_string(),
                delimiter: query.non_empty("delimiter"),
                key_marker: query.non_empty("key-marker"),
                upload_id_marker: query.non_empty("upload-id-marker"),
                max_uploads: query.number("max-uploads", MAX_LIST)?,
                url_encoding: query.url_encoding()?,
            },
        }),
        "GET" => {
            let version = match query.get("list-type") {
                None => ListVersion::V1 {
                    marker: query.non_empty("marker"),
                },
                Some("2") => ListVersion::V2 {
                    continuation_token: query.non_empty("continuation-token"),
                    start_after: query.non_empty("start-after"),
                    fetch_owner: query.get("fetch-owner") == Some("true"),
                },
                Some(other) => {
                    return Err(S3Error::with_message(
                        ErrorCode::InvalidArgument,
                        "Invalid List Type specified in Request",
                    )
                    .detail("ArgumentName", "list-type")
                    .detail("ArgumentValue", other));
                }
            };
            let list = ListObjects {
                version,
                prefix: query.get("prefix").unwrap_or("").to_string(),
                delimiter: query.non_empty("delimiter"),
                max_keys: query.number("max-keys", MAX_LIST)?,
                url_encoding: query.url_encoding()?,
            };
            Ok(Operation::ListObjects { bucket, list })
        }
        "PUT" => {
            validate_bucket_name(&bucket)?;
            Ok(Operation::CreateBucket { bucket })
        }
        "DELETE" => Ok(Operation::DeleteBucket { bucket }),
        "HEAD" => Ok(Operation::HeadBucket { bucket }),
        "POST" if query.has("delete") => {
            require_integrity_header(headers)?;
            Ok(Operation::DeleteObjects { bucket })
        }
        "POST" => Err(not_implemented("POST object (browser form upload)")),
        _ => Err(method_not_allowed(method)),
    }
}

fn route_object(
    method: &str,
    bucket: String,
    key: String,
    query: &Query,
    headers: &Headers,
) -> Result<Operation, S3Error> {
    let copy_source = headers.get("x-amz-copy-source");
    match method {
        "PUT" if query.has("partNumber") || query.has("uploadId") => {
            let part_number = query.part_number()?;
            let upload_id = query.upload_id().ok_or_else(|| {
                S3Error::with_message(
                    ErrorCode::InvalidArgument,
                    "This operation needs an uploadId",
                )
                .detail("ArgumentName", "uploadId")
            })?;
            match copy_source {
                None => Ok(Operation::UploadPart { bucket, key, upload_id, part_number }),
                Some(source) => Ok(Operation::UploadPartCopy {
                    bucket,
                    key,
                    upload_id,
                    part_number,
                    source: parse_copy_source(source, headers)?,
                    range: match headers.get("x-amz-copy-source-range") {
                        None => None,
                        Some(range) => Some(ByteRange::parse(range).ok_or_else(|| {
                            S3Error::with_message(
                                ErrorCode::InvalidArgument,
                                "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                            )
                            .detail("ArgumentName", "x-amz-copy-source-range")
                            .detail("ArgumentValue", range)
                        })?),
                    },
                }),
            }
        }
        "PUT" => {
            let meta = upload_headers(headers)?;
            let Some(source) = copy_source else {
                let conditions = Conditions::from_headers(headers, "");
                return Ok(Operation::PutObject {
                    bucket,
                    key,
                    meta,
                    conditions,
                });
            };
            let source = parse_copy_source(source, headers)?;
            let directive = match headers.get("x-amz-metadata-directive").map(str::trim) {
                None => MetadataDirective::Copy,
                Some(d) if d.eq_ignore_ascii_case("COPY") => MetadataDirective::Copy,
                Some(d) if d.eq_ignore_ascii_case("REPLACE") => MetadataDirective::Replace,
                Some(other) => {
                    return Err(S3Error::with_message(
                        ErrorCode::InvalidArgument,
                        "Unknown metadata directive.",
                    )
                    .detail("ArgumentName", "x-amz-metadata-directive")
                    .detail("ArgumentValue", other));
                }
            };
            let changes_something =
                directive == MetadataDirective::Replace || meta.storage_class.is_some();
            if source.bucket == bucket && source.key == key && !changes_something {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
                ));
            }
            Ok(Operation::CopyObject {
                bucket,
                key,
                source,
                directive,
                meta,
            })
        }
        "GET" if query.has("uploadId") => Ok(Operation::ListParts {
            bucket,
            key,
            upload_id: query.upload_id().unwrap_or_default(),
            max_parts: query.number("max-parts", MAX_LIST)?,
            part_number_marker: query.number("part-number-marker", 0)?,
        }),
        "GET" | "HEAD" => {
            // S3 refuses the pair even when the range would be ignored.
            if query.has("partNumber") && headers.get("range").is_some() {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    "Cannot specify both Range header and partNumber query parameter",
                ));
            }
            let read = ReadOptions {
                range: headers.get("range").and_then(ByteRange::parse),
                conditions: Conditions::from_headers(headers, ""),
                part_number: if query.has("partNumber") {
                    Some(query.part_number()?)
                } else {
                    None
                },
                checksum_mode: checksum_mode(headers)?,
                overrides: ResponseOverrides {
                    content_type: query.header_override("response-content-type")?,
                    content_language: query.header_override("response-content-language")?,
                    expires: query.header_override("response-expires")?,
                    cache_control: query.header_override("response-cache-control")?,
                    content_disposition: query.header_override("response-content-disposition")?,
                    content_encoding: query.header_override("response-content-encoding")?,
                },
            };
            Ok(if method == "GET" {
                Operation::GetObject { bucket, key, read }
            } else {
                Operation::HeadObject { bucket, key, read }
            })
        }
        "DELETE" => match query.upload_id() {
            Some(upload_id) => Ok(Operation::AbortMultipartUpload {
                bucket,
                key,
                upload_id,
            }),
            None => Ok(Operation::DeleteObject { bucket, key }),
        },
        "POST" if query.has("uploads") => {
            let mut meta = upload_headers(headers)?;
            if let Some(name) = headers.get("x-amz-checksum-algorithm") {
                meta.checksum_algorithm =
                    Some(ChecksumAlgorithm::from_name(name.trim()).ok_or_else(|| {
                        S3Error::with_message(
                            ErrorCode::InvalidRequest,
                            "Checksum algorithm provided is unsupported.",
                        )
                    })?);
            }
            Ok(Operation::CreateMultipartUpload { bucket, key, meta })
        }
        "POST" if query.has("uploadId") => Ok(Operation::CompleteMultipartUpload {
            bucket,
            key,
            upload_id: query.upload_id().unwrap_or_default(),
            conditions: Conditions::from_headers(headers, ""),
        }),
        "POST" => Err(not_implemented("POST on an object")),
        _ => Err(method_not_allowed(method)),
    }
}

/// `x-amz-checksum-mode`: `ENABLED` (any case) or absent.
fn checksum_mode(headers: &Headers) -> Result<bool, S3Error> {
    match headers.get("x-amz-checksum-mode").map(str::trim) {
        None => Ok(false),
        Some(mode) if mode.eq_ignore_ascii_case("ENABLED") => Ok(true),
        Some(other) => Err(S3Error::with_message(
            ErrorCode::InvalidArgument,
            "x-amz-checksum-mode must be ENABLED",
        )
        .detail("ArgumentName", "x-amz-checksum-mode")
        .detail("ArgumentValue", other)),
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

/// Parses `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded,
/// optionally followed by `?versionId=...`.
fn parse_copy_source(header: &str, headers: &Headers) -> Result<CopySource, S3Error> {
    let invalid = || {
        S3Error::with_message(
            ErrorCode::InvalidArgument,
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
        )
        .detail("ArgumentName", "x-amz-copy-source")
        .detail("ArgumentValue", header)
    };
    let header_value = header.trim();
    // A literal `?` in a key arrives encoded (%3F), so the first raw `?`
    // starts the version.
    let (path, version) = match header_value.split_once('?') {
        Some((path, query)) => {
            let version = percent::raw_pairs(query)
                .find(|(name, _)| *name == "versionId")
                .map(|(_, v)| {
                    percent::decode_utf8(v, true).ok_or_else(|| S3Error::new(ErrorCode::InvalidURI))
                })
                .transpose()?;
            (path, version)
        }
        None => (header_value, None),
    };
    if let Some(version) = version.as_deref().filter(|v| *v != "null") {
        return Err(not_implemented(&format!(
            "x-amz-copy-source versionId={version} (object versions)"
        )));
    }
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
    let bucket =
        percent::decode_utf8(bucket, false).ok_or_else(|| S3Error::new(ErrorCode::InvalidURI))?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    Ok(CopySource {
        bucket,
        key: decode_key(key)?,
        version_id: version,
        conditions: Conditions::from_headers(headers, "x-amz-copy-source-"),
    })
}

/// The metadata headers of an upload.
fn upload_headers(headers: &Headers) -> Result<UploadHeaders, S3Error> {
    let get = |name: &str| headers.get(name).map(|v| v.trim().to_string());
    let mut user = BTreeMap::new();
    let mut size = 0;
    for (name, value) in headers.iter() {
        if let Some(meta) = name.strip_prefix("x-amz-meta-") {
            size += meta.len() + value.len();
            // Repeated headers are one comma-separated header in HTTP.
            user.entry(meta.to_string())
                .and_modify(|joined: &mut String| {
                    joined.push(',');
                    joined.push_str(value.trim());
                })
                .or_insert_with(|| value.trim().to_string());
        }
    }
    for (name, value) in headers.iter() {
        let stored = name.starts_with("x-amz-meta-") || STORED_HEADERS.contains(&name);
        if stored && !is_safe_header_value(value) {
            return Err(unsafe_header_value(name, value));
        }
    }
    if size > MAX_USER_METADATA_BYTES {
        return Err(S3Error::new(ErrorCode::MetadataTooLarge)
            .detail("Size", size.to_string())
            .detail("MaxSizeAllowed", MAX_USER_METADATA_BYTES.to_string()));
    }
    Ok(UploadHeaders {
        content_type: get("content-type"),
        content_encoding: stored_content_encoding(headers.get("content-encoding")),
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
        user,
        storage_class: get("x-amz-storage-class"),
        checksum_algorithm: headers
            .get("x-amz-sdk-checksum-algorithm")
            .and_then(ChecksumAlgorithm::from_name),
    })
}

/// Headers of an upload that S3 stores and sends back with the object.
const STORED_HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "content-disposition",
    "content-language",
    "cache-control",
    "expires",
];

/// True if `value` can be sent in a response head as it is: no control
/// character but tab. CR or LF would end the header and let the rest write
/// headers (or a body) of its own: response splitting.
pub fn is_safe_header_value(value: &str) -> bool {
    !value.chars().any(|c| c.is_control() && c != '\t')
}

/// The answer to a header value that could not be sent back safely: S3's
/// 400 `InvalidArgument` naming the argument. The value is shown escaped,
/// so the error document itself carries no control character.
fn unsafe_header_value(name: &str, value: &str) -> S3Error {
    S3Error::with_message(
        ErrorCode::InvalidArgument,
        format!(
            "{name} contains a control character (CR, LF or another), which cannot be sent in \
             an HTTP header; remove it or percent-encode it"
        ),
    )
    .detail("ArgumentName", name)
    .detail("ArgumentValue", value.escape_debug().to_string())
}

/// DeleteObjects must carry `Content-MD5` or an `x-amz-checksum-*` of its
/// body, as AWS requires. Besides integrity, this makes it a request a web
/// page cannot send without a CORS preflight: a plain `text/plain` form POST
/// from any site must not delete objects.
fn require_integrity_header(headers: &Headers) -> Result<(), S3Error> {
    let has_checksum = headers.iter().any(|(name, _)| {
        name == "content-md5"
            || name == "x-amz-sdk-checksum-algorithm"
            || (name.starts_with("x-amz-checksum-") && name != "x-amz-checksum-type")
    });
    if has_checksum {
        return Ok(());
    }
    Err(S3Error::with_message(
        ErrorCode::InvalidRequest,
        "Missing required header for this request: Content-MD5",
    ))
}

/// `Content-Encoding` without `aws-chunked`, which describes the upload's
/// framing, not the object (`gzip,aws-chunked` is stored as `gzip`).
fn stored_content_encoding(header: Option<&str>) -> Option<String> {
    let codings: Vec<&str> = header?
        .split(',')
        .map(str::trim)
        .filter(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!codings.is_empty()).then(|| codings.join(","))
}

/// S3's bucket naming rules (general purpose buckets).
fn validate_bucket_name(name: &str) -> Result<(), S3Error> {
    let bytes = name.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let looks_like_ip =
        name.split('.').count() == 4 && name.split('.').all(|part| part.parse::<u8>().is_ok());
    let valid = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && !name.contains("..")
        && !name.contains(".-")
        && !name.contains("-.")
        && !looks_like_ip
        && !name.starts_with("xn--")
        && !name.starts_with("sthree-")
        && !name.ends_with("-s3alias")
        && !name.ends_with("--ol-s3");
    if valid {
        Ok(())
    } else {
        Err(S3Error::new(ErrorCode::InvalidBucketName).detail("BucketName", name))
    }
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
mod tests {
    use super::*;

    fn route_with(
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Result<Operation, S3Error> {
        let headers = Headers::new(headers.iter().copied());
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        route(&RawRequest {
            method,
            path,
            query,
            headers: &headers,
        })
    }

    fn op(method: &str, target: &str) -> Operation {
        route_with(method, target, &[]).unwrap()
    }

    fn code(method: &str, target: &str, headers: &[(&str, &str)]) -> ErrorCode {
        route_with(method, target, headers).unwrap_err().code
    }

    fn b(name: &str) -> String {
        name.to_string()
    }

    #[test]
    fn bucket_operations_are_told_apart_by_method_and_subresource() {
        assert_eq!(op("GET", "/"), Operation::ListBuckets);
        assert_eq!(
            op("PUT", "/my-bucket"),
            Operation::CreateBucket {
                bucket: b("my-bucket")
            }
        );
        assert_eq!(
            op("DELETE", "/my-bucket/"),
            Operation::DeleteBucket {
                bucket: b("my-bucket")
            }
        );
        assert_eq!(
            op("HEAD", "/my-bucket"),
            Operation::HeadBucket {
                bucket: b("my-bucket")
            }
        );
        assert_eq!(
            op("GET", "/b?location"),
            Operation::GetBucketLocation { bucket: b("b") }
        );
        assert_eq!(
            route_with(
                "POST",
                "/b?delete",
                &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")]
            ),
            Ok(Operation::DeleteObjects { bucket: b("b") })
        );
        assert_eq!(op("GET", "/b?uploads").name(), "ListMultipartUploads");
        assert_eq!(op("GET", "/b").name(), "ListObjects");
        assert_eq!(op("GET", "/b?list-type=2").name(), "ListObjectsV2");
    }

    #[test]
    fn object_operations_are_told_apart_by_method_and_subresource() {
        let names = |cases: &[(&str, &str, &str)]| {
            for (method, target, name) in cases {
                assert_eq!(op(method, target).name(), *name, "{method} {target}");
            }
        };
        names(&[
            ("PUT", "/b/k", "PutObject"),
            ("GET", "/b/k", "GetObject"),
            ("HEAD", "/b/k", "HeadObject"),
            ("DELETE", "/b/k", "DeleteObject"),
            ("POST", "/b/k?uploads", "CreateMultipartUpload"),
            ("PUT", "/b/k?partNumber=3&uploadId=u", "UploadPart"),
            ("POST", "/b/k?uploadId=u", "CompleteMultipartUpload"),
            ("DELETE", "/b/k?uploadId=u", "AbortMultipartUpload"),
            ("GET", "/b/k?uploadId=u", "ListParts"),
        ]);
        assert_eq!(
            op("PUT", "/b/k?partNumber=3&uploadId=a%2Bb"),
            Operation::UploadPart {
                bucket: b("b"),
                key: b("k"),
                upload_id: b("a+b"),
                part_number: 3
            }
        );
    }

    #[test]
    fn keys_are_percent_decoded_and_kept_verbatim_otherwise() {
        let key = |target| match op("GET", target) {
            Operation::GetObject { key, .. } => key,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            key("/b/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt"),
            "café ☺/a+b=c&d.txt"
        );
        assert_eq!(key("/b/a+b"), "a+b");
        assert_eq!(key("/b//double//slash/"), "/double//slash/");
        assert_eq!(key("/b/../x"), "../x");
        assert_eq!(key("http://127.0.0.1:9000/b/k"), "k");
    }

    #[test]
    fn keys_that_are_not_utf8_or_too_long_are_refused() {
        assert_eq!(code("GET", "/b/%FF%FE", &[]), ErrorCode::InvalidURI);
        assert_eq!(code("GET", "/b/%zz", &[]), ErrorCode::InvalidURI);
        assert_eq!(S3Error::new(ErrorCode::InvalidURI).status(), 400);
        let long = format!("/b/{}", "k".repeat(1025));
        assert_eq!(code("PUT", &long, &[]), ErrorCode::KeyTooLongError);
        let fits = format!("/b/{}", "k".repeat(1024));
        assert_eq!(op("PUT", &fits).name(), "PutObject");
    }

    #[test]
    fn list_parameters_are_parsed_with_s3_defaults() {
        let Operation::ListObjects { list, .. } = op(
            "GET",
            "/b?list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=2&start-after=dir%2Fa&encoding-type=url&continuation-token=t%3D&fetch-owner=true",
        ) else {
            panic!()
        };
        assert_eq!(
            list,
            ListObjects {
                version: ListVersion::V2 {
                    continuation_token: Some(b("t=")),
                    start_after: Some(b("dir/a")),
                    fetch_owner: true
                },
                prefix: b("dir/"),
                delimiter: Some(b("/")),
                max_keys: 2,
                url_encoding: true,
            }
        );
        let Operation::ListObjects { list, .. } = op("GET", "/b?marker=m&delimiter=") else {
            panic!()
        };
        assert_eq!(
            list.version,
            ListVersion::V1 {
                marker: Some(b("m"))
            }
        );
        assert_eq!(
            (
                list.prefix.as_str(),
                list.delimiter,
                list.max_keys,
                list.url_encoding
            ),
            ("", None, 1000, false)
        );
        let Operation::ListObjects { list, .. } = op("GET", "/b?max-keys=5000") else {
            panic!()
        };
        assert_eq!(list.limit(), 1000);
    }

    #[test]
    fn bad_list_parameters_are_invalid_arguments() {
        assert_eq!(
            code("GET", "/b?max-keys=ten", &[]),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code("GET", "/b?max-keys=-1", &[]),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code("GET", "/b?list-type=3", &[]),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code("GET", "/b?encoding-type=base64", &[]),
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn part_numbers_must_be_between_1_and_10000() {
        for bad in ["0", "10001", "x", "-1"] {
            let target = format!("/b/k?partNumber={bad}&uploadId=u");
            assert_eq!(
                code("PUT", &target, &[]),
                ErrorCode::InvalidArgument,
                "{bad}"
            );
        }
        assert_eq!(
            code("PUT", "/b/k?partNumber=1", &[]),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            op("PUT", "/b/k?partNumber=10000&uploadId=u").name(),
            "UploadPart"
        );
    }

    #[test]
    fn copy_source_is_decoded_with_or_without_leading_slash_and_version() {
        for header in [
            "bucket/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt",
            "/bucket/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt",
            "/bucket/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt?versionId=null",
        ] {
            let Operation::CopyObject {
                source, directive, ..
            } = route_with("PUT", "/b/copy", &[("x-amz-copy-source", header)]).unwrap()
            else {
                panic!()
            };
            assert_eq!(
                (source.bucket.as_str(), source.key.as_str()),
                ("bucket", "café ☺/a+b=c&d.txt")
            );
            assert_eq!(directive, MetadataDirective::Copy);
        }
        assert_eq!(
            code("PUT", "/b/k", &[("x-amz-copy-source", "bucket")]),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code("PUT", "/b/k", &[("x-amz-copy-source", "/bucket/")]),
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            code("PUT", "/b/k", &[("x-amz-copy-source", "b/k?versionId=3")]),
            ErrorCode::NotImplemented
        );
    }

    #[test]
    fn copying_an_object_onto_itself_must_replace_its_metadata() {
        assert_eq!(
            code("PUT", "/b/k", &[("x-amz-copy-source", "b/k")]),
            ErrorCode::InvalidRequest
        );
        let replace = [
            ("x-amz-copy-source", "b/k"),
            ("x-amz-metadata-directive", "REPLACE"),
            ("x-amz-meta-a", "1"),
        ];
        let Operation::CopyObject {
            directive, meta, ..
        } = route_with("PUT", "/b/k", &replace).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (directive, meta.user.get("a").map(String::as_str)),
            (MetadataDirective::Replace, Some("1"))
        );
        let bad = [
            ("x-amz-copy-source", "b/j"),
            ("x-amz-metadata-directive", "MOVE"),
        ];
        assert_eq!(code("PUT", "/b/k", &bad), ErrorCode::InvalidArgument);
    }

    #[test]
    fn copy_source_conditions_and_range_are_read() {
        let headers = [
            ("x-amz-copy-source", "src/key"),
            ("x-amz-copy-source-if-match", "\"abc\""),
            (
                "x-amz-copy-source-if-unmodified-since",
                "Tue, 24 Nov 2026 10:37:03 GMT",
            ),
            ("x-amz-copy-source-range", "bytes=0-99"),
        ];
        let Operation::UploadPartCopy { source, range, .. } =
            route_with("PUT", "/b/k?partNumber=2&uploadId=u", &headers).unwrap()
        else {
            panic!()
        };
        assert_eq!(source.conditions.if_match.as_deref(), Some("\"abc\""));
        assert_eq!(source.conditions.if_unmodified_since, Some(1_795_516_623));
        assert_eq!(
            range,
            Some(ByteRange::From {
                first: 0,
                last: Some(99)
            })
        );
    }

    #[test]
    fn upload_metadata_is_collected() {
        let headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Encoding", "gzip,aws-chunked"),
            ("x-amz-meta-Owner", "Ada"),
            ("X-Amz-Meta-note", " two words "),
            ("x-amz-storage-class", "STANDARD_IA"),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ];
        let Operation::PutObject { meta, .. } = route_with("PUT", "/b/k", &headers).unwrap() else {
            panic!()
        };
        assert_eq!(
            meta.content_type.as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(meta.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(
            meta.user,
            BTreeMap::from([(b("note"), b("two words")), (b("owner"), b("Ada"))])
        );
        assert_eq!(meta.storage_class.as_deref(), Some("STANDARD_IA"));
        assert_eq!(meta.checksum_algorithm, Some(ChecksumAlgorithm::Crc32));
        let chunked_only = [("Content-Encoding", "aws-chunked")];
        let Operation::PutObject { meta, .. } = route_with("PUT", "/b/k", &chunked_only).unwrap()
        else {
            panic!()
        };
        assert_eq!(meta.content_encoding, None);
        let big = "v".repeat(2048);
        assert_eq!(
            code("PUT", "/b/k", &[("x-amz-meta-k", &big)]),
            ErrorCode::MetadataTooLarge
        );
    }

    #[test]
    fn create_multipart_upload_takes_the_checksum_algorithm() {
        let Operation::CreateMultipartUpload { meta, .. } = route_with(
            "POST",
            "/b/k?uploads",
            &[("x-amz-checksum-algorithm", "CRC64NVME")],
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(meta.checksum_algorithm, Some(ChecksumAlgorithm::Crc64Nvme));
        assert_eq!(
            code(
                "POST",
                "/b/k?uploads",
                &[("x-amz-checksum-algorithm", "MD5")]
            ),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn delete_objects_without_content_md5_or_a_checksum_is_refused_as_aws_does() {
        // Bug pinned: any web page could POST /bucket?delete as a "simple"
        // text/plain request, with no header a browser would preflight.
        let plain = [("content-type", "text/plain")];
        let error = route_with("POST", "/b?delete", &plain).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
        assert_eq!(
            error.message,
            "Missing required header for this request: Content-MD5"
        );
        for header in ["x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"] {
            assert!(route_with("POST", "/b?delete", &[(header, "x")]).is_ok());
        }
    }

    #[test]
    fn response_overrides_and_stored_headers_with_control_characters_are_refused() {
        // Bug pinned: `?response-content-type=a%0d%0aSet-Cookie:...` split
        // the response and set a cookie.
        for target in [
            "/b/k?response-content-type=a%0d%0aSet-Cookie:%20pwn=1",
            "/b/k?response-content-disposition=x%0aLocation:%20/evil",
            "/b/k?response-cache-control=a%00b",
        ] {
            let error = route_with("GET", target, &[]).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidArgument, "{target}");
            assert!(error.details.iter().all(|(_, v)| is_safe_header_value(v)));
        }
        assert!(route_with("GET", "/b/k?response-content-type=text%2Fplain%3B%09x", &[]).is_ok());
        for header in [
            "x-amz-meta-a",
            "content-type",
            "content-disposition",
            "cache-control",
        ] {
            let error = route_with("PUT", "/b/k", &[(header, "a\u{1}b")]).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidArgument, "{header}");
            assert_eq!(error.details[0], ("ArgumentName", header.to_string()));
        }
    }

    #[test]
    fn get_reads_range_conditions_part_and_overrides() {
        let headers = [
            ("Range", "bytes=0-4"),
            ("If-None-Match", "\"abc\""),
            ("If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT"),
        ];
        let Operation::GetObject { read, .. } =
            route_with("GET", "/b/k?response-content-type=text%2Fhtml", &headers).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            read.range,
            Some(ByteRange::From {
                first: 0,
                last: Some(4)
            })
        );
        assert_eq!(read.conditions.if_none_match.as_deref(), Some("\"abc\""));
        assert_eq!(read.conditions.if_modified_since, Some(1_767_323_045));
        assert_eq!(read.part_number, None);
        assert_eq!(read.overrides.content_type.as_deref(), Some("text/html"));
        let Operation::HeadObject { read, .. } = op("HEAD", "/b/k?partNumber=2") else {
            panic!()
        };
        assert_eq!((read.part_number, read.range), (Some(2), None));
    }

    #[test]
    fn a_part_number_with_a_range_is_an_invalid_request() {
        for range in ["bytes=0-4", "not a range"] {
            let error = route_with("GET", "/b/k?partNumber=1", &[("Range", range)]).unwrap_err();
            assert_eq!(
                (error.code, error.status()),
                (ErrorCode::InvalidRequest, 400)
            );
        }
        assert_eq!(
            code("GET", "/b/k?partNumber=0", &[]),
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn checksum_mode_is_enabled_or_absent() {
        let mode = |value: &str| match route_with("HEAD", "/b/k", &[("x-amz-checksum-mode", value)])
        {
            Ok(Operation::HeadObject { read, .. }) => Ok(read.checksum_mode),
            Ok(other) => panic!("{other:?}"),
            Err(error) => Err(error.code),
        };
        assert_eq!(mode("ENABLED"), Ok(true));
        assert_eq!(mode("enabled"), Ok(true));
        assert_eq!(mode("DISABLED"), Err(ErrorCode::InvalidArgument));
        let Operation::GetObject { read, .. } = op("GET", "/b/k") else {
            panic!()
        };
        assert!(!read.checksum_mode);
    }

    #[test]
    fn unsupported_features_are_not_implemented_rather_than_misrouted() {
        for target in [
            "/b?acl",
            "/b/k?tagging",
            "/b?versioning",
            "/b?versions",
            "/b?policy",
            "/b/k?versionId=3",
        ] {
            let error = route_with("GET", target, &[]).unwrap_err();
            assert_eq!(
                (error.code, error.status()),
                (ErrorCode::NotImplemented, 501),
                "{target}"
            );
        }
        assert_eq!(op("GET", "/b/k?versionId=null").name(), "GetObject");
        assert_eq!(code("POST", "/b", &[]), ErrorCode::NotImplemented);
        assert_eq!(code("POST", "/b/k", &[]), ErrorCode::NotImplemented);
        assert_eq!(code("PATCH", "/b/k", &[]), ErrorCode::MethodNotAllowed);
        assert_eq!(code("PUT", "/", &[]), ErrorCode::MethodNotAllowed);
    }

    #[test]
    fn bucket_names_are_checked_on_create() {
        for good in ["abc", "my.bucket-1", "a1b", &"a".repeat(63)] {
            assert!(validate_bucket_name(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            &"a".repeat(64),
        ] {
            assert_eq!(
                code("PUT", &format!("/{bad}"), &[]),
                ErrorCode::InvalidBucketName,
                "{bad}"
            );
        }
    }

    #[test]
    fn ranges_parse_and_resolve_as_s3_does() {
        let range = |h| ByteRange::parse(h);
        assert_eq!(
            range("bytes=0-9"),
            Some(ByteRange::From {
                first: 0,
                last: Some(9)
            })
        );
        assert_eq!(
            range("bytes=5-"),
            Some(ByteRange::From {
                first: 5,
                last: None
            })
        );
        assert_eq!(range("bytes=-3"), Some(ByteRange::Suffix { len: 3 }));
        for ignored in [
            "bytes=9-0",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
        ] {
            assert_eq!(range(ignored), None, "{ignored}");
        }
        let resolve = |h, size| range(h).unwrap().resolve(size);
        assert_eq!(resolve("bytes=0-9", 5).unwrap(), (0, 4));
        assert_eq!(resolve("bytes=2-", 5).unwrap(), (2, 4));
        assert_eq!(resolve("bytes=-3", 5).unwrap(), (2, 4));
        assert_eq!(resolve("bytes=-30", 5).unwrap(), (0, 4));
        let error = resolve("bytes=5-", 5).unwrap_err();
        assert_eq!((error.code, error.status()), (ErrorCode::InvalidRange, 416));
        assert_eq!(error.details[1], ("ActualObjectSize", b("5")));
        assert_eq!(
            resolve("bytes=0-0", 0).unwrap_err().code,
            ErrorCode::InvalidRange
        );
        assert_eq!(
            resolve("bytes=-0", 5).unwrap_err().code,
            ErrorCode::InvalidRange
        );
    }

    #[test]
    fn conditions_follow_s3s_documented_precedence() {
        const T: i64 = 1_000 * 1_000_000_000 + 500; // modified at second 1000
        let c = |if_match: Option<&str>,
                 if_none_match: Option<&str>,
                 since: Option<i64>,
                 unmodified: Option<i64>| {
            Conditions {
                if_match: if_match.map(str::to_string),
                if_none_match: if_none_match.map(str::to_string),
                if_modified_since: since,
                if_unmodified_since: unmodified,
            }
            .evaluate(Some(("\"abc\"", T)))
        };
        use Precondition::*;
        assert_eq!(c(None, None, None, None), Proceed);
        assert_eq!(c(Some("\"abc\""), None, None, None), Proceed);
        assert_eq!(c(Some("abc"), None, None, None), Proceed);
        assert_eq!(c(Some("\"x\", \"abc\""), None, None, None), Proceed);
        assert_eq!(c(Some("*"), None, None, None), Proceed);
        assert_eq!(c(Some("\"x\""), None, None, None), Failed("If-Match"));
        // If-Match true and If-Unmodified-Since false: 200.
        assert_eq!(c(Some("\"abc\""), None, None, Some(999)), Proceed);
        assert_eq!(
            c(None, None, None, Some(999)),
            Failed("If-Unmodified-Since")
        );
        assert_eq!(c(None, None, None, Some(1000)), Proceed);
        assert_eq!(c(None, Some("\"abc\""), None, None), NotModified);
        assert_eq!(c(None, Some("W/\"abc\""), None, None), NotModified);
        // If-None-Match false and If-Modified-Since true: 304.
        assert_eq!(c(None, Some("\"x\""), Some(999), None), Proceed);
        assert_eq!(c(None, None, Some(1000), None), NotModified);
        assert_eq!(c(None, None, Some(999), None), Proceed);
        let create_only = Conditions {
            if_none_match: Some(b("*")),
            ..Conditions::default()
        };
        assert_eq!(
            create_only.evaluate_for_write(Some(("\"abc\"", T))),
            Failed("If-None-Match")
        );
        assert_eq!(create_only.evaluate_for_write(None), Proceed);
        let must_exist = Conditions {
            if_match: Some(b("*")),
            ..Conditions::default()
        };
        assert_eq!(must_exist.evaluate(None), Failed("If-Match"));
    }
}
