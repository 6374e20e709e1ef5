//! Multipart uploads: create, upload a part (streamed, as PutObject's
//! body), copy a part from an object (file to file, only the range read),
//! complete, abort, list parts.

use super::Service;
use super::body::RequestBody;
use super::handle::{OperationResult, Reply, change, done, from_state as s, now_ns, owner};
use super::objects::{check_write, existing, put_options};
use crate::s3api::request::{self, ByteRange, Conditions, CopySource, UploadHeaders};
use crate::s3api::{ErrorCode, S3Error, xml};
use crate::state::StageError;

/// Which upload a request is about: bucket, key, upload id.
type UploadRef<'a> = (&'a str, &'a str, &'a str);

pub(super) fn create(
    service: &Service,
    bucket: &str,
    key: &str,
    meta: &UploadHeaders,
) -> OperationResult {
    let upload_id = service
        .state
        .create_multipart_upload(bucket, key, &put_options(meta, false), now_ns())
        .map_err(s)?;
    let mut reply = Reply::xml(xml::initiate_multipart_upload(bucket, key, &upload_id));
    if let Some(algorithm) = meta.checksum_algorithm {
        reply = reply.header("x-amz-checksum-algorithm", algorithm.name());
    }
    done(reply)
}

/// UploadPart: the upload is checked before its body is read, then the
/// body streams into the store.
pub(super) fn upload_part(
    service: &Service,
    body: &mut RequestBody,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: u32,
) -> OperationResult {
    let state = &service.state;
    state
        .check_upload(bucket, key, upload_id, part_number)
        .map_err(s)?;
    let (staged, checksum) = body.stage(state, s)?;
    let part = state
        .upload_staged_part(bucket, key, upload_id, part_number, staged, now_ns())
        .map_err(s)?;
    let mut reply = Reply::new(200).header("etag", part.etag);
    if let Some(checksum) = checksum {
        reply = reply.header(checksum.algorithm.header_name(), checksum.value);
    }
    done(reply)
}

/// UploadPartCopy: the source (or its range) streams from its file into
/// the part's, never whole in memory.
pub(super) fn upload_part_copy(
    service: &Service,
    (bucket, key, upload_id, part_number): (&str, &str, &str, u32),
    source: &CopySource,
    range: Option<ByteRange>,
) -> OperationResult {
    let state = &service.state;
    state
        .check_upload(bucket, key, upload_id, part_number)
        .map_err(s)?;
    let (current, body) = state.open_object(&source.bucket, &source.key).map_err(s)?;
    check_write(&source.conditions, Some(&current))?;
    let (first, len) = match range {
        Some(range) => {
            let (first, last) = range.resolve(current.size)?;
            (first, last - first + 1)
        }
        None => (0, current.size),
    };
    let mut reader = body.span(first, len).map_err(s)?;
    let staged = state.stage_object_body(&mut reader).map_err(|e| match e {
        StageError::Refused(e) => s(e),
        StageError::Read(e) => S3Error::with_message(
            ErrorCode::InternalError,
            format!("reading the copy source failed: {e}"),
        ),
    })?;
    let part = state
        .upload_staged_part(bucket, key, upload_id, part_number, staged, now_ns())
        .map_err(s)?;
    done(Reply::xml(xml::copy_part_result(
        &part.etag,
        part.last_modified_ns as i64,
        None,
    )))
}

pub(super) fn complete(
    service: &Service,
    body: &mut RequestBody,
    (bucket, key, upload_id): UploadRef,
    conditions: &Conditions,
) -> OperationResult {
    let state = &service.state;
    let parts: Vec<(u32, String)> = xml::parse_complete_multipart_upload(&body.document()?.data)?
        .into_iter()
        .map(|p| (p.part_number, p.etag))
        .collect();
    if !conditions.is_empty() {
        let current = existing(state, bucket, key)?;
        check_write(conditions, current.as_ref())?;
    }
    let written = state
        .complete_multipart_upload(bucket, key, upload_id, &parts, now_ns())
        .map_err(s)?;
    let document = xml::complete_multipart_upload(
        &format!("/{bucket}/{key}"),
        bucket,
        key,
        &written.etag,
        None,
    );
    Ok((
        Reply::xml(document),
        vec![change("ObjectCreated:CompleteMultipartUpload", written)],
    ))
}

pub(super) fn abort(
    service: &Service,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> OperationResult {
    service
        .state
        .abort_multipart_upload(bucket, key, upload_id)
        .map_err(s)?;
    done(Reply::new(204))
}

pub(super) fn list_parts(
    service: &Service,
    (bucket, key, upload_id): UploadRef,
    max_parts: u32,
    part_number_marker: u32,
) -> OperationResult {
    let limit = max_parts.min(request::MAX_LIST) as usize;
    let mut parts: Vec<_> = service
        .state
        .list_parts(bucket, key, upload_id)
        .map_err(s)?
        .into_iter()
        .filter(|p| p.part_number > part_number_marker)
        .map(|p| xml::PartEntry {
            part_number: p.part_number,
            last_modified_ns: p.last_modified_ns as i64,
            etag: p.etag,
            size: p.size,
            checksum: None,
        })
        .collect();
    let is_truncated = parts.len() > limit;
    parts.truncate(limit);
    let page = xml::PartsPage {
        bucket: bucket.to_string(),
        key: key.to_string(),
        upload_id: upload_id.to_string(),
        part_number_marker,
        max_parts,
        parts,
        is_truncated,
        storage_class: None,
        owner: Some(owner()),
        checksum_algorithm: None,
    };
    done(Reply::xml(xml::list_parts(&page)))
}
