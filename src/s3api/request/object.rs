//! Object operations: put, copy, get, head, delete, and the multipart
//! upload steps, with their read options and copy sources.

use super::conditions::{ByteRange, Conditions};
use super::meta::{UploadHeaders, upload_headers};
use super::query::Query;
use super::{MAX_LIST, Operation, decode_key, method_not_allowed, not_implemented};
use crate::s3api::checksum::ChecksumAlgorithm;
use crate::s3api::error::{ErrorCode, S3Error};
use crate::s3api::headers::Headers;
use crate::s3api::percent;

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

pub(super) fn route_object(
    method: &str,
    bucket: String,
    key: String,
    query: &Query,
    headers: &Headers,
) -> Result<Operation, S3Error> {
    match method {
        "PUT" if query.has("partNumber") || query.has("uploadId") => {
            route_upload_part(bucket, key, query, headers)
        }
        "PUT" => route_put_or_copy(bucket, key, headers),
        "GET" if query.has("uploadId") => Ok(Operation::ListParts {
            bucket,
            key,
            upload_id: query.upload_id().unwrap_or_default(),
            max_parts: query.number("max-parts", MAX_LIST)?,
            part_number_marker: query.number("part-number-marker", 0)?,
        }),
        "GET" | "HEAD" => {
            let read = read_options(query, headers)?;
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
            let meta = multipart_upload_meta(headers)?;
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

/// UploadPart, or UploadPartCopy when `x-amz-copy-source` names a source.
fn route_upload_part(
    bucket: String,
    key: String,
    query: &Query,
    headers: &Headers,
) -> Result<Operation, S3Error> {
    let part_number = query.part_number()?;
    let upload_id = query.upload_id().ok_or_else(|| {
        S3Error::with_message(
            ErrorCode::InvalidArgument,
            "This operation needs an uploadId",
        )
        .detail("ArgumentName", "uploadId")
    })?;
    match headers.get("x-amz-copy-source") {
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

/// PutObject, or CopyObject when `x-amz-copy-source` names a source.
fn route_put_or_copy(bucket: String, key: String, headers: &Headers) -> Result<Operation, S3Error> {
    let meta = upload_headers(headers)?;
    let Some(source) = headers.get("x-amz-copy-source") else {
        let conditions = Conditions::from_headers(headers, "");
        return Ok(Operation::PutObject {
            bucket,
            key,
            meta,
            conditions,
        });
    };
    let source = parse_copy_source(source, headers)?;
    let directive = metadata_directive(headers)?;
    let changes_something = directive == MetadataDirective::Replace || meta.storage_class.is_some();
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

/// `x-amz-metadata-directive`: `COPY` (the default) or `REPLACE`, any case.
fn metadata_directive(headers: &Headers) -> Result<MetadataDirective, S3Error> {
    match headers.get("x-amz-metadata-directive").map(str::trim) {
        None => Ok(MetadataDirective::Copy),
        Some(d) if d.eq_ignore_ascii_case("COPY") => Ok(MetadataDirective::Copy),
        Some(d) if d.eq_ignore_ascii_case("REPLACE") => Ok(MetadataDirective::Replace),
        Some(other) => Err(S3Error::with_message(
            ErrorCode::InvalidArgument,
            "Unknown metadata directive.",
        )
        .detail("ArgumentName", "x-amz-metadata-directive")
        .detail("ArgumentValue", other)),
    }
}

/// What a GetObject or HeadObject asks for: range or part, conditions,
/// checksums and response header overrides.
fn read_options(query: &Query, headers: &Headers) -> Result<ReadOptions, S3Error> {
    // S3 refuses the pair even when the range would be ignored.
    if query.has("partNumber") && headers.get("range").is_some() {
        return Err(S3Error::with_message(
            ErrorCode::InvalidRequest,
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }
    Ok(ReadOptions {
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
    })
}

/// The metadata of a CreateMultipartUpload, with the checksum algorithm
/// its parts will carry.
fn multipart_upload_meta(headers: &Headers) -> Result<UploadHeaders, S3Error> {
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
    Ok(meta)
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
