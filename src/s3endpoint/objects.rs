//! Object operations: GetObject and HeadObject (whole, ranged, by part),
//! PutObject, CopyObject and DeleteObject.
//!
//! Bodies stream both ways: a PUT goes from the connection to the store's
//! temp file ([`RequestBody::stage`]), a GET from the stored file to the
//! connection, and a range seeks to its first byte and reads only its own.

use super::Service;
use super::body::RequestBody;
use super::handle::{Body, OperationResult, Reply, change, done, from_state as s, now_ns};
use crate::s3api::checksum::Checksum;
use crate::s3api::request::{
    self, Conditions, CopySource, MetadataDirective, Precondition, ReadOptions, UploadHeaders,
    is_safe_header_value,
};
use crate::s3api::{ErrorCode, S3Error, time, xml};
use crate::state::{self, CopyOptions, ObjectMeta, PutOptions};

/// The `x-amz-checksum-*` header of a whole object's checksum, with its type.
pub(super) fn with_checksum(reply: Reply, checksum: Option<&Checksum>) -> Reply {
    match checksum {
        Some(checksum) => reply
            .header(checksum.algorithm.header_name(), checksum.value.clone())
            .header("x-amz-checksum-type", "FULL_OBJECT"),
        None => reply,
    }
}

pub(super) fn put_options(meta: &UploadHeaders, if_none_match_any: bool) -> PutOptions {
    PutOptions {
        content_type: meta.content_type.clone(),
        user_metadata: meta.user.clone(),
        if_none_match_any,
    }
}

/// The headers describing an object, as GetObject and HeadObject send them.
/// Metadata that could not be sent safely (stored before values were
/// checked) is left out rather than sent.
fn with_object_headers(mut reply: Reply, meta: &ObjectMeta) -> Reply {
    reply = reply
        .header("etag", meta.etag.clone())
        .header(
            "last-modified",
            time::http_date(meta.last_modified_ns as i64),
        )
        .header("accept-ranges", "bytes");
    if is_safe_header_value(&meta.content_type) {
        reply = reply.header("content-type", meta.content_type.clone());
    }
    for (name, value) in &meta.user_metadata {
        if is_safe_header_value(name) && is_safe_header_value(value) {
            reply = reply.header(&format!("x-amz-meta-{name}"), value.clone());
        }
    }
    reply
}

/// Evaluates a read's conditions: `Some` reply to send instead of the object.
fn check_read(read: &ReadOptions, meta: &ObjectMeta) -> Result<Option<Reply>, S3Error> {
    match read
        .conditions
        .evaluate(Some((&meta.etag, meta.last_modified_ns as i64)))
    {
        Precondition::Proceed => Ok(None),
        Precondition::NotModified => Ok(Some(
            Reply::new(304).header("etag", meta.etag.clone()).header(
                "last-modified",
                time::http_date(meta.last_modified_ns as i64),
            ),
        )),
        Precondition::Failed(header) => Err(Precondition::error(header)),
    }
}

/// Evaluates a write's conditions against the object it would replace (or
/// the copy source): 412 when they fail.
pub(super) fn check_write(
    conditions: &request::Conditions,
    current: Option<&ObjectMeta>,
) -> Result<(), S3Error> {
    let current = current.map(|m| (m.etag.as_str(), m.last_modified_ns as i64));
    match conditions.evaluate_for_write(current) {
        Precondition::Failed(header) => Err(Precondition::error(header)),
        _ => Ok(()),
    }
}

/// The object at `bucket/key`, or `None` if there is none.
pub(super) fn existing(
    state: &state::State,
    bucket: &str,
    key: &str,
) -> Result<Option<ObjectMeta>, S3Error> {
    match state.head_object(bucket, key) {
        Ok(current) => Ok(Some(current)),
        Err(state::BucketError::NoSuchKey { .. }) => Ok(None),
        Err(error) => Err(s(error)),
    }
}

/// The `response-*` overrides (checked safe when routed).
fn with_overrides(mut reply: Reply, read: &ReadOptions) -> Reply {
    let o = &read.overrides;
    for (name, value) in [
        ("content-type", &o.content_type),
        ("content-language", &o.content_language),
        ("expires", &o.expires),
        ("cache-control", &o.cache_control),
        ("content-disposition", &o.content_disposition),
        ("content-encoding", &o.content_encoding),
    ] {
        if let Some(value) = value {
            reply.headers.retain(|(n, _)| n != name);
            reply = reply.header(name, value.clone());
        }
    }
    reply
}

/// GetObject and HeadObject. `?partNumber=N`: the store finds the part;
/// its bytes are the body, as a range of the object.
pub(super) fn read(
    service: &Service,
    bucket: &str,
    key: &str,
    read: &ReadOptions,
    is_head: bool,
) -> OperationResult {
    let state = &service.state;
    let (meta, part, body) = match (read.part_number, is_head) {
        (Some(n), true) => {
            let (meta, part) = state.head_object_part(bucket, key, n).map_err(s)?;
            (meta, Some(part), None)
        }
        (Some(n), false) => {
            let (meta, part, body) = state.open_object_part(bucket, key, n).map_err(s)?;
            (meta, Some(part), Some(body))
        }
        (None, true) => (state.head_object(bucket, key).map_err(s)?, None, None),
        (None, false) => {
            let (meta, body) = state.open_object(bucket, key).map_err(s)?;
            (meta, None, Some(body))
        }
    };
    if let Some(reply) = check_read(read, &meta)? {
        return done(reply);
    }
    let mut reply = with_object_headers(Reply::new(200), &meta);
    let (first, len) = match (part, read.range) {
        (Some(part), _) => {
            if let Some(count) = part.parts_count {
                reply = reply.header("x-amz-mp-parts-count", count.to_string());
            }
            (part.offset, part.size)
        }
        (None, Some(range)) => {
            let (first, last) = range.resolve(meta.size)?;
            (first, last - first + 1)
        }
        (None, None) => {
            // S3 returns the checksum only with the whole object.
            if read.checksum_mode {
                reply = with_checksum(reply, meta.checksum.as_ref());
            }
            (0, meta.size)
        }
    };
    // A part or a range is partial content, even when it is the whole
    // object (an object put whole is its own part 1). An empty part has no
    // Content-Range to describe it, so it is a plain 200.
    if (part.is_some() || read.range.is_some()) && len > 0 {
        reply.status = 206;
        reply = reply.header(
            "content-range",
            format!("bytes {first}-{}/{}", first + len - 1, meta.size),
        );
    }
    reply.body = match body {
        None => Body::HeadOnly(len),
        Some(body) => {
            let reader = body.span(first, len).map_err(s)?;
            let len = reader.len();
            Body::stream(reader, len)
        }
    };
    done(with_overrides(reply, read))
}

/// PutObject: checks what can be checked before the body (bucket,
/// conditions), then streams the body into the store and commits it.
pub(super) fn put(
    service: &Service,
    body: &mut RequestBody,
    bucket: &str,
    key: &str,
    meta: &UploadHeaders,
    conditions: &Conditions,
) -> OperationResult {
    let state = &service.state;
    let create_only = conditions.if_none_match.as_deref().map(str::trim) == Some("*");
    state.head_bucket(bucket).map_err(s)?;
    if !conditions.is_empty() && !create_only {
        let current = existing(state, bucket, key)?;
        check_write(conditions, current.as_ref())?;
    }
    let (staged, checksum) = body.stage(state, s)?;
    let written = state
        .put_staged_object(
            bucket,
            key,
            staged,
            &put_options(meta, create_only),
            checksum,
            now_ns(),
        )
        .map_err(s)?;
    let reply = Reply::new(200).header("etag", written.etag.clone());
    let reply = with_checksum(reply, written.checksum.as_ref());
    Ok((reply, vec![change("ObjectCreated:Put", written)]))
}

/// CopyObject: the store copies file to file.
pub(super) fn copy(
    service: &Service,
    bucket: &str,
    key: &str,
    source: &CopySource,
    directive: MetadataDirective,
    meta: &UploadHeaders,
) -> OperationResult {
    let state = &service.state;
    if source.version_id.as_deref().is_some_and(|v| v != "null") {
        return Err(S3Error::with_message(
            ErrorCode::InvalidArgument,
            "wasmfaas keeps no object versions; only versionId=null exists",
        ));
    }
    if !source.conditions.is_empty() {
        let current = state.head_object(&source.bucket, &source.key).map_err(s)?;
        check_write(&source.conditions, Some(&current))?;
    }
    let options = CopyOptions {
        replace_metadata: (directive == MetadataDirective::Replace)
            .then(|| put_options(meta, false)),
    };
    let written = state
        .copy_object(&source.bucket, &source.key, bucket, key, &options, now_ns())
        .map_err(s)?;
    let document = xml::copy_object_result(
        &written.etag,
        written.last_modified_ns as i64,
        written.checksum.as_ref(),
    );
    Ok((
        Reply::xml(document),
        vec![change("ObjectCreated:Copy", written)],
    ))
}

pub(super) fn delete(service: &Service, bucket: &str, key: &str) -> OperationResult {
    let deleted = service.state.delete_object(bucket, key).map_err(s)?;
    let changes = deleted
        .map(|meta| change("ObjectRemoved:Delete", meta))
        .into_iter()
        .collect();
    Ok((Reply::new(204), changes))
}
