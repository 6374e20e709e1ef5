//! One S3 request: authenticate, route, read the body, do the operation on
//! the state, answer, log, and report the change.

use super::Service;
use crate::activity::{Activity, RequestRecord};
use crate::bindings::ObjectChange;
use crate::s3api::checksum::Checksum;
use crate::s3api::request::{
    self, ListVersion, MetadataDirective, ObjectMeta as RequestMeta, Operation, Precondition,
    ReadOptions,
};
use crate::s3api::xml::{self, DeleteOutcome, ObjectEntry, Owner};
use crate::s3api::{ErrorCode, Headers, RawRequest, S3Error, chunked, sigv4, time};
use crate::state::{self, CopyOptions, ListRequest, ObjectMeta, PutOptions};
use std::io::{Cursor, Read};
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The largest body read: a 5 GiB object (S3's limit for one request) plus
/// room for aws-chunked framing.
const MAX_BODY: u64 = 5 * 1024 * 1024 * 1024 + 64 * 1024 * 1024;

/// The owner shown in listings: there is one account.
fn owner() -> Owner {
    Owner {
        id: "wasmfaas".into(),
        display_name: "wasmfaas".into(),
    }
}

/// A response ready to send.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// For HEAD: the `Content-Length` of the GET that was not sent.
    head_length: Option<u64>,
    /// End the connection after answering (a body was left unread).
    close: bool,
}

impl Reply {
    fn new(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            head_length: None,
            close: false,
        }
    }

    fn xml(document: String) -> Reply {
        Reply::new(200)
            .header("content-type", "application/xml")
            .body(document.into_bytes())
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    fn body(mut self, body: Vec<u8>) -> Reply {
        self.body = body;
        self
    }
}

/// What a successful operation produced: the reply and the changes to report.
type Outcome = Result<(Reply, Vec<ObjectChange>), S3Error>;

/// Answers `request` and reports it to the activity log and the event sink.
pub(super) fn handle(service: &Service, mut request: tiny_http::Request) {
    let started = Instant::now();
    let at = SystemTime::now();
    let id = format!(
        "{:016X}",
        service.requests.fetch_add(1, Ordering::Relaxed) + 1
    );
    let method = request.method().as_str().to_string();
    let target = request.url().to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let (mut reply, changes) = match answer(service, &mut request, &method, path, query) {
        Ok(done) => done,
        Err((error, close)) => {
            let mut reply = error_reply(&error, path, &id);
            reply.close = close;
            (reply, Vec::new())
        }
    };
    reply = reply
        .header("x-amz-request-id", id.clone())
        .header("x-amz-id-2", format!("wasmfaas/{id}"));
    let status = reply.status;
    // Before answering, so a client that writes and then acts on the answer
    // sees its events delivered in the order it made them.
    service.events.submit(changes, 0);
    let error = request
        .respond(into_response(reply))
        .err()
        .map(|e| format!("could not send the response: {e}"));
    service.activity.send(Activity::Request(RequestRecord {
        at,
        status,
        method,
        target: target.clone(),
        function: None,
        usage: None,
        elapsed: started.elapsed(),
        logs: Vec::new(),
        error,
        stale: false,
    }));
}

fn error_reply(error: &S3Error, resource: &str, id: &str) -> Reply {
    Reply::new(error.status())
        .header("content-type", "application/xml")
        .header("x-amz-error-code", error.code())
        .body(xml::error_document(error, resource, id).into_bytes())
}

fn into_response(reply: Reply) -> tiny_http::Response<Cursor<Vec<u8>>> {
    let length = reply.head_length.unwrap_or(reply.body.len() as u64);
    let mut headers: Vec<tiny_http::Header> = reply
        .headers
        .iter()
        .filter_map(|(name, value)| {
            tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
        })
        .collect();
    headers.extend(tiny_http::Header::from_bytes(&b"server"[..], &b"wasmfaas"[..]).ok());
    if reply.close {
        headers.extend(tiny_http::Header::from_bytes(&b"connection"[..], &b"close"[..]).ok());
    }
    tiny_http::Response::new(
        tiny_http::StatusCode(reply.status),
        headers,
        Cursor::new(reply.body),
        usize::try_from(length).ok(),
        None,
    )
    // Always Content-Length, never chunked: clients check it against the
    // object's size, and HEAD must announce the size it does not send.
    .with_chunked_threshold(usize::MAX)
}

/// The error, and whether the connection must close (body left unread).
type Failure = (S3Error, bool);

fn answer(
    service: &Service,
    request: &mut tiny_http::Request,
    method: &str,
    path: &str,
    query: &str,
) -> Result<(Reply, Vec<ObjectChange>), Failure> {
    let headers = Headers::new(
        request
            .headers()
            .iter()
            .map(|h| (h.field.to_string(), h.value.to_string())),
    );
    let raw = RawRequest {
        method,
        path,
        query,
        headers: &headers,
    };
    let unread = |error: S3Error| (error, true);
    let signer = if service.credentials.is_empty() {
        None
    } else {
        let secret_for = |key: &str| {
            service
                .credentials
                .iter()
                .find(|c| c.access_key_id == key)
                .map(|c| c.secret_access_key.clone())
        };
        let now = (now_ns() / 1_000_000_000) as i64;
        sigv4::verify(&raw, secret_for, now)
            .map_err(unread)?
            .chunk_signer
    };
    let operation = request::route(&raw).map_err(unread)?;
    if request.body_length().is_some_and(|n| n as u64 > MAX_BODY) {
        return Err(unread(S3Error::new(ErrorCode::EntityTooLarge)));
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body);
    if read.is_err() {
        return Err((S3Error::new(ErrorCode::IncompleteBody), true));
    }
    if body.len() as u64 > MAX_BODY {
        return Err((S3Error::new(ErrorCode::EntityTooLarge), true));
    }
    let decoded = chunked::decode(&headers, &body, signer).map_err(|e| (e, false))?;
    drop(body);
    let is_head = method.eq_ignore_ascii_case("HEAD");
    perform(service, operation, decoded, is_head).map_err(|e| (e, false))
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn change(event_name: &'static str, object: ObjectMeta) -> ObjectChange {
    ObjectChange {
        event_name,
        object,
        at_ns: now_ns(),
    }
}

/// Maps the store's refusal onto the error S3 answers with.
fn from_state(error: state::S3Error) -> S3Error {
    use state::S3Error as E;
    let message = error.to_string();
    let (code, details): (ErrorCode, Vec<(&'static str, String)>) = match error {
        E::NoSuchBucket { bucket } => (ErrorCode::NoSuchBucket, vec![("BucketName", bucket)]),
        E::NoSuchKey { key, .. } => (ErrorCode::NoSuchKey, vec![("Key", key)]),
        E::NoSuchUpload { upload_id } => (ErrorCode::NoSuchUpload, vec![("UploadId", upload_id)]),
        E::BucketNotEmpty { bucket } => (ErrorCode::BucketNotEmpty, vec![("BucketName", bucket)]),
        E::BucketAlreadyOwnedByYou { bucket } => (
            ErrorCode::BucketAlreadyOwnedByYou,
            vec![("BucketName", bucket)],
        ),
        E::InvalidBucketName { bucket, .. } => {
            (ErrorCode::InvalidBucketName, vec![("BucketName", bucket)])
        }
        E::KeyTooLongError { .. } => (ErrorCode::KeyTooLongError, vec![]),
        E::InvalidRange { size } => (
            ErrorCode::InvalidRange,
            vec![("ActualObjectSize", size.to_string())],
        ),
        E::InvalidPartNumber {
            part_number,
            parts_count,
        } => (
            ErrorCode::InvalidPartNumber,
            vec![
                ("PartNumberRequested", part_number.to_string()),
                ("ActualPartCount", parts_count.to_string()),
            ],
        ),
        E::BadDigest { .. } => (ErrorCode::BadDigest, vec![]),
        E::PreconditionFailed => (ErrorCode::PreconditionFailed, vec![]),
        E::InvalidPart { .. } => (ErrorCode::InvalidPart, vec![]),
        E::InvalidPartOrder => (ErrorCode::InvalidPartOrder, vec![]),
        E::EntityTooSmall { .. } => (ErrorCode::EntityTooSmall, vec![]),
        E::EntityTooLarge { .. } => (ErrorCode::EntityTooLarge, vec![]),
        E::MetadataTooLarge { .. } => (ErrorCode::MetadataTooLarge, vec![]),
        E::InvalidArgument { .. } => (ErrorCode::InvalidArgument, vec![]),
        E::InvalidRequest { .. } => (ErrorCode::InvalidRequest, vec![]),
        E::Storage(_) => (ErrorCode::InternalError, vec![]),
    };
    details.into_iter().fold(
        S3Error::with_message(code, message),
        |error, (name, value)| error.detail(name, value),
    )
}

/// The `x-amz-checksum-*` header of a whole object's checksum, with its type.
fn with_checksum(reply: Reply, checksum: Option<&Checksum>) -> Reply {
    match checksum {
        Some(checksum) => reply
            .header(checksum.algorithm.header_name(), checksum.value.clone())
            .header("x-amz-checksum-type", "FULL_OBJECT"),
        None => reply,
    }
}

fn put_options(meta: &RequestMeta, if_none_match_any: bool) -> PutOptions {
    PutOptions {
        content_type: meta.content_type.clone(),
        user_metadata: meta.user.clone(),
        if_none_match_any,
    }
}

/// The headers describing an object, as GetObject and HeadObject send them.
fn with_object_headers(mut reply: Reply, meta: &ObjectMeta) -> Reply {
    reply = reply
        .header("etag", meta.etag.clone())
        .header(
            "last-modified",
            time::http_date(meta.last_modified_ns as i64),
        )
        .header("content-type", meta.content_type.clone())
        .header("accept-ranges", "bytes");
    for (name, value) in &meta.user_metadata {
        reply = reply.header(&format!("x-amz-meta-{name}"), value.clone());
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
fn check_write(
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
fn existing(state: &state::State, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, S3Error> {
    match state.head_object(bucket, key) {
        Ok(current) => Ok(Some(current)),
        Err(state::S3Error::NoSuchKey { .. }) => Ok(None),
        Err(error) => Err(from_state(error)),
    }
}

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

fn perform(
    service: &Service,
    operation: Operation,
    body: chunked::Decoded,
    is_head: bool,
) -> Outcome {
    let state = &service.state;
    let s = from_state;
    let now = now_ns();
    let echo = |reply: Reply| match &body.checksum {
        Some(checksum) => reply.header(checksum.algorithm.header_name(), checksum.value.clone()),
        None => reply,
    };
    let done = |reply: Reply| Ok((reply, Vec::new()));
    match operation {
        Operation::ListBuckets => {
            let buckets: Vec<_> = state
                .list_buckets()
                .map_err(s)?
                .into_iter()
                .map(|b| xml::BucketEntry {
                    name: b.name,
                    creation_ns: b.created_ns as i64,
                })
                .collect();
            done(Reply::xml(xml::list_buckets(&owner(), &buckets)))
        }
        Operation::CreateBucket { bucket } => {
            let region = xml::parse_create_bucket(&body.data)?;
            match state.create_bucket(&bucket, now) {
                Ok(()) => {}
                // us-east-1 answers 200 to its owner creating a bucket again
                // (S3's legacy behaviour); other regions answer 409.
                Err(state::S3Error::BucketAlreadyOwnedByYou { .. })
                    if region.as_deref().is_none_or(|r| r == "us-east-1") => {}
                Err(error) => return Err(s(error)),
            }
            done(Reply::new(200).header("location", format!("/{bucket}")))
        }
        Operation::DeleteBucket { bucket } => {
            state.delete_bucket(&bucket).map_err(s)?;
            done(Reply::new(204))
        }
        Operation::HeadBucket { bucket } => {
            state.head_bucket(&bucket).map_err(s)?;
            done(Reply::new(200).header("x-amz-bucket-region", "us-east-1"))
        }
        Operation::GetBucketLocation { bucket } => {
            state.head_bucket(&bucket).map_err(s)?;
            done(Reply::xml(xml::location_constraint("")))
        }
        Operation::ListObjects { bucket, list } => {
            let mut request = ListRequest {
                prefix: list.prefix.clone(),
                delimiter: list.delimiter.clone(),
                max_keys: list.limit() as u32,
                ..ListRequest::default()
            };
            let show_owner = match &list.version {
                ListVersion::V1 { marker } => {
                    request.marker = marker.clone();
                    true
                }
                ListVersion::V2 {
                    continuation_token,
                    start_after,
                    fetch_owner,
                } => {
                    request.continuation_token = continuation_token.clone();
                    request.start_after = start_after.clone();
                    *fetch_owner
                }
            };
            let page = state.list_objects(&bucket, &request).map_err(s)?;
            let next = match list.version {
                ListVersion::V1 { .. } => page.next_marker,
                ListVersion::V2 { .. } => page.next_continuation_token,
            };
            let page = xml::ObjectsPage {
                objects: page
                    .objects
                    .into_iter()
                    .map(|o| ObjectEntry {
                        key: o.key,
                        last_modified_ns: o.last_modified_ns as i64,
                        etag: o.etag,
                        size: o.size,
                        storage_class: None,
                        owner: show_owner.then(owner),
                        checksum_algorithm: o.checksum.map(|c| c.algorithm),
                    })
                    .collect(),
                common_prefixes: page.common_prefixes,
                is_truncated: page.is_truncated,
                next,
            };
            done(Reply::xml(xml::list_objects(&bucket, &list, &page)))
        }
        Operation::ListMultipartUploads { bucket, list } => {
            let mut page = xml::UploadsPage::default();
            let limit = list.max_uploads.min(request::MAX_LIST) as usize;
            for upload in state.list_multipart_uploads(&bucket).map_err(s)? {
                if !upload.key.starts_with(&list.prefix) {
                    continue;
                }
                let after_marker = match (&list.key_marker, &list.upload_id_marker) {
                    (None, _) => true,
                    (Some(key), None) => upload.key > *key,
                    (Some(key), Some(id)) => {
                        upload.key > *key || (upload.key == *key && upload.upload_id > *id)
                    }
                };
                if !after_marker {
                    continue;
                }
                let rolled = list.delimiter.as_ref().and_then(|d| {
                    let rest = &upload.key[list.prefix.len()..];
                    rest.find(d.as_str())
                        .map(|at| upload.key[..list.prefix.len() + at + d.len()].to_string())
                });
                if let Some(prefix) = &rolled
                    && page.common_prefixes.last() == Some(prefix)
                {
                    continue;
                }
                if page.uploads.len() + page.common_prefixes.len() >= limit {
                    page.is_truncated = true;
                    break;
                }
                page.next_key_marker = Some(upload.key.clone());
                page.next_upload_id_marker = Some(upload.upload_id.clone());
                match rolled {
                    Some(prefix) => page.common_prefixes.push(prefix),
                    None => page.uploads.push(xml::UploadEntry {
                        key: upload.key,
                        upload_id: upload.upload_id,
                        initiated_ns: upload.initiated_ns as i64,
                        storage_class: None,
                        owner: Some(owner()),
                    }),
                }
            }
            done(Reply::xml(xml::list_multipart_uploads(
                &bucket, &list, &page,
            )))
        }
        Operation::DeleteObjects { bucket } => {
            let request = xml::parse_delete(&body.data)?;
            state.head_bucket(&bucket).map_err(s)?;
            let mut outcomes = Vec::new();
            let mut changes = Vec::new();
            for target in request.objects {
                match state.delete_object(&bucket, &target.key) {
                    Ok(deleted) => {
                        changes.extend(deleted.map(|meta| change("ObjectRemoved:Delete", meta)));
                        outcomes.push(DeleteOutcome::Deleted { key: target.key });
                    }
                    Err(error) => outcomes.push(DeleteOutcome::Failed {
                        key: target.key,
                        error: s(error),
                    }),
                }
            }
            Ok((
                Reply::xml(xml::delete_result(&outcomes, request.quiet)),
                changes,
            ))
        }
        Operation::PutObject {
            bucket,
            key,
            meta,
            conditions,
        } => {
            let create_only = conditions.if_none_match.as_deref().map(str::trim) == Some("*");
            if !conditions.is_empty() && !create_only {
                let current = existing(state, &bucket, &key)?;
                check_write(&conditions, current.as_ref())?;
            }
            let written = state
                .put_object_with_checksum(
                    &bucket,
                    &key,
                    &body.data,
                    &put_options(&meta, create_only),
                    body.checksum.as_ref(),
                    now,
                )
                .map_err(s)?;
            let reply = Reply::new(200).header("etag", written.etag.clone());
            let reply = with_checksum(reply, written.checksum.as_ref());
            Ok((reply, vec![change("ObjectCreated:Put", written)]))
        }
        Operation::CopyObject {
            bucket,
            key,
            source,
            directive,
            meta,
        } => {
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
                    .then(|| put_options(&meta, false)),
            };
            let written = state
                .copy_object(&source.bucket, &source.key, &bucket, &key, &options, now)
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
        Operation::GetObject { bucket, key, read }
        | Operation::HeadObject { bucket, key, read } => {
            // `?partNumber=N`: the store finds the part; its bytes are the
            // body, as a range of the object.
            let (meta, part, data) = match (read.part_number, is_head) {
                (Some(n), true) => {
                    let (meta, part) = state.head_object_part(&bucket, &key, n).map_err(s)?;
                    (meta, Some(part), Vec::new())
                }
                (Some(n), false) => {
                    let (meta, part, data) = state.get_object_part(&bucket, &key, n).map_err(s)?;
                    (meta, Some(part), data)
                }
                (None, true) => (
                    state.head_object(&bucket, &key).map_err(s)?,
                    None,
                    Vec::new(),
                ),
                (None, false) => {
                    let (meta, data) = state.get_object(&bucket, &key, None).map_err(s)?;
                    (meta, None, data)
                }
            };
            if let Some(reply) = check_read(&read, &meta)? {
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
            // object (an object put whole is its own part 1). An empty part
            // has no Content-Range to describe it, so it is a plain 200.
            if (part.is_some() || read.range.is_some()) && len > 0 {
                reply.status = 206;
                reply = reply.header(
                    "content-range",
                    format!("bytes {first}-{}/{}", first + len - 1, meta.size),
                );
            }
            if is_head {
                reply.head_length = Some(len);
            } else if read.range.is_none() {
                reply.body = data; // the whole object, or the part the store read
            } else {
                let start = usize::try_from(first).unwrap_or(usize::MAX);
                let end = usize::try_from(first + len).unwrap_or(usize::MAX);
                reply.body = data.get(start..end).map(<[u8]>::to_vec).unwrap_or_default();
            }
            done(with_overrides(reply, &read))
        }
        Operation::DeleteObject { bucket, key } => {
            let deleted = state.delete_object(&bucket, &key).map_err(s)?;
            let changes = deleted
                .map(|meta| change("ObjectRemoved:Delete", meta))
                .into_iter()
                .collect();
            Ok((Reply::new(204), changes))
        }
        Operation::CreateMultipartUpload { bucket, key, meta } => {
            let upload_id = state
                .create_multipart_upload(&bucket, &key, &put_options(&meta, false), now)
                .map_err(s)?;
            let mut reply = Reply::xml(xml::initiate_multipart_upload(&bucket, &key, &upload_id));
            if let Some(algorithm) = meta.checksum_algorithm {
                reply = reply.header("x-amz-checksum-algorithm", algorithm.name());
            }
            done(reply)
        }
        Operation::UploadPart {
            bucket,
            key,
            upload_id,
            part_number,
        } => {
            let part = state
                .upload_part(&bucket, &key, &upload_id, part_number, &body.data, now)
                .map_err(s)?;
            done(echo(Reply::new(200).header("etag", part.etag)))
        }
        Operation::UploadPartCopy {
            bucket,
            key,
            upload_id,
            part_number,
            source,
            range,
        } => {
            let (current, data) = state
                .get_object(&source.bucket, &source.key, None)
                .map_err(s)?;
            check_write(&source.conditions, Some(&current))?;
            let bytes = match range {
                Some(range) => {
                    let (first, last) = range.resolve(current.size)?;
                    data.get(first as usize..=last as usize)
                        .unwrap_or_default()
                        .to_vec()
                }
                None => data,
            };
            let part = state
                .upload_part(&bucket, &key, &upload_id, part_number, &bytes, now)
                .map_err(s)?;
            done(Reply::xml(xml::copy_part_result(
                &part.etag,
                part.last_modified_ns as i64,
                None,
            )))
        }
        Operation::CompleteMultipartUpload {
            bucket,
            key,
            upload_id,
            conditions,
        } => {
            let parts: Vec<(u32, String)> = xml::parse_complete_multipart_upload(&body.data)?
                .into_iter()
                .map(|p| (p.part_number, p.etag))
                .collect();
            if !conditions.is_empty() {
                let current = existing(state, &bucket, &key)?;
                check_write(&conditions, current.as_ref())?;
            }
            let written = state
                .complete_multipart_upload(&bucket, &key, &upload_id, &parts, now)
                .map_err(s)?;
            let document = xml::complete_multipart_upload(
                &format!("/{bucket}/{key}"),
                &bucket,
                &key,
                &written.etag,
                None,
            );
            Ok((
                Reply::xml(document),
                vec![change("ObjectCreated:CompleteMultipartUpload", written)],
            ))
        }
        Operation::AbortMultipartUpload {
            bucket,
            key,
            upload_id,
        } => {
            state
                .abort_multipart_upload(&bucket, &key, &upload_id)
                .map_err(s)?;
            done(Reply::new(204))
        }
        Operation::ListParts {
            bucket,
            key,
            upload_id,
            max_parts,
            part_number_marker,
        } => {
            let limit = max_parts.min(request::MAX_LIST) as usize;
            let mut parts: Vec<_> = state
                .list_parts(&bucket, &key, &upload_id)
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
                bucket,
                key,
                upload_id,
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
    }
}
