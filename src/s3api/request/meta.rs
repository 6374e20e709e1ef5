//! Object metadata from request headers: what S3 stores with an object
//! and returns on reads, and the header values it refuses.

use super::MAX_USER_METADATA_BYTES;
use crate::s3api::checksum::ChecksumAlgorithm;
use crate::s3api::error::{ErrorCode, S3Error};
use crate::s3api::headers::Headers;
use std::collections::BTreeMap;

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

/// The metadata headers of an upload.
pub(super) fn upload_headers(headers: &Headers) -> Result<UploadHeaders, S3Error> {
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
pub(super) fn unsafe_header_value(name: &str, value: &str) -> S3Error {
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
pub(super) fn require_integrity_header(headers: &Headers) -> Result<(), S3Error> {
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
