//! One S3 request: CORS, authenticate, route, do the operation on the state
//! (reading the body only as the operation needs it), answer, log, and
//! report the change.
//!
//! The operations themselves live by group: [`super::buckets`] (buckets,
//! listings, DeleteObjects), [`super::objects`] (object reads and writes)
//! and [`super::multipart`]. This file owns S3's error replies and the
//! mapping of store errors onto S3's ([`from_state`]); the reply type and
//! the one place a response head is written are the listeners' shared
//! [`crate::http_pool::Reply`].

use super::body::RequestBody;
use super::{Service, buckets, multipart, objects};
use crate::activity::{Activity, RequestRecord};
use crate::bindings::ObjectChange;
use crate::s3api::request::{self, Operation};
use crate::s3api::xml::{self, Owner};
use crate::s3api::{ErrorCode, Headers, RawRequest, S3Error, cors, sigv4};
use crate::state::{self, ObjectMeta};
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The largest body announced: a 5 GiB object (S3's limit for one request)
/// plus room for aws-chunked framing. Bodies are streamed, so this bounds
/// disk use and time, not memory.
const MAX_BODY: u64 = 5 * 1024 * 1024 * 1024 + 64 * 1024 * 1024;

/// The owner shown in listings: there is one account.
pub(super) fn owner() -> Owner {
    Owner {
        id: "wasmfaas".into(),
        display_name: "wasmfaas".into(),
    }
}

pub(super) use crate::http_pool::{Body, Reply};

/// S3's answers: an XML document.
impl Reply {
    pub(super) fn xml(document: String) -> Reply {
        Reply::new(200)
            .header("content-type", "application/xml")
            .body(document.into_bytes())
    }
}

/// What a successful operation produced: the reply and the changes to report.
pub(super) type OperationResult = Result<(Reply, Vec<ObjectChange>), S3Error>;

/// A reply with no change to report.
pub(super) fn done(reply: Reply) -> OperationResult {
    Ok((reply, Vec::new()))
}

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
    let headers = Headers::new(
        request
            .headers()
            .iter()
            .map(|h| (h.field.to_string(), h.value.to_string())),
    );
    let origin = headers.get("origin").map(str::to_string);
    let bucket = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let allowed = service.cors.get(bucket).map_or(&[][..], Vec::as_slice);
    let announced = request.body_length().map(|n| n as u64);
    let mut body = RequestBody::new(&mut request, &headers, None);
    let outcome = answer(
        service,
        &mut body,
        (&method, path, query),
        allowed,
        announced,
    );
    let keep_alive = body.settle();
    let (mut reply, changes) =
        outcome.unwrap_or_else(|error| (error_reply(&error, path, &id), Vec::new()));
    reply.close = !keep_alive;
    if let Some(origin) = origin
        .as_deref()
        .filter(|o| cors::origin_allowed(allowed, o))
    {
        for (name, value) in cors::allowed_headers(origin, allowed) {
            reply = reply.header(name, value);
        }
    }
    reply = reply
        .header("x-amz-request-id", id.clone())
        .header("x-amz-id-2", format!("wasmfaas/{id}"));
    let status = reply.status;
    // Before answering, so a client that writes and then acts on the answer
    // sees its events delivered in the order it made them.
    service.events.submit(&changes);
    let error = request
        .respond(reply.into_response())
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

/// CORS, authentication and routing, then the operation. `allowed`: the
/// origins the bucket named in the path allows.
fn answer(
    service: &Service,
    body: &mut RequestBody,
    (method, path, query): (&str, &str, &str),
    allowed: &[String],
    announced: Option<u64>,
) -> OperationResult {
    let headers = body.headers();
    let origin = headers.get("origin");
    if method == "OPTIONS" {
        // A preflight is never signed (a browser cannot sign it), as in S3.
        let answer = cors::preflight(
            origin,
            headers.get("access-control-request-method"),
            headers.get("access-control-request-headers"),
            allowed,
        )?;
        let reply = answer
            .into_iter()
            .fold(Reply::new(200), |reply, (name, value)| {
                reply.header(name, value)
            });
        return done(reply);
    }
    if cors::refuses_write(method, origin, allowed) {
        return Err(cors::forbidden(method, !allowed.is_empty()));
    }
    let raw = RawRequest {
        method,
        path,
        query,
        headers,
    };
    if !service.credentials.is_empty() {
        let secret_for = |key: &str| {
            service
                .credentials
                .iter()
                .find(|c| c.access_key_id == key)
                .map(|c| c.secret_access_key.clone())
        };
        let now = (now_ns() / 1_000_000_000) as i64;
        let signer = sigv4::verify(&raw, secret_for, now)?.chunk_signer;
        body.set_signer(signer);
    }
    let operation = request::route(&raw)?;
    if announced.is_some_and(|n| n > MAX_BODY) {
        return Err(S3Error::new(ErrorCode::EntityTooLarge));
    }
    let is_head = method.eq_ignore_ascii_case("HEAD");
    perform(service, operation, body, is_head)
}

pub(super) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

pub(super) fn change(event_name: &'static str, object: ObjectMeta) -> ObjectChange {
    ObjectChange {
        event_name,
        object,
        at_ns: now_ns(),
    }
}

/// Maps the store's refusal onto the error S3 answers with.
pub(super) fn from_state(error: state::BucketError) -> S3Error {
    use state::BucketError as E;
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

/// Runs the operation: each group of operations has its own file.
fn perform(
    service: &Service,
    operation: Operation,
    body: &mut RequestBody,
    is_head: bool,
) -> OperationResult {
    use Operation as O;
    match operation {
        O::ListBuckets => buckets::list_buckets(service),
        O::CreateBucket { bucket } => buckets::create_bucket(service, body, &bucket),
        O::DeleteBucket { bucket } => buckets::delete_bucket(service, &bucket),
        O::HeadBucket { bucket } => buckets::head_bucket(service, &bucket),
        O::GetBucketLocation { bucket } => buckets::location(service, &bucket),
        O::ListObjects { bucket, list } => buckets::list_objects(service, &bucket, &list),
        O::ListMultipartUploads { bucket, list } => {
            buckets::list_multipart_uploads(service, &bucket, &list)
        }
        O::DeleteObjects { bucket } => buckets::delete_objects(service, body, &bucket),
        O::PutObject {
            bucket,
            key,
            meta,
            conditions,
        } => objects::put(service, body, &bucket, &key, &meta, &conditions),
        O::CopyObject {
            bucket,
            key,
            source,
            directive,
            meta,
        } => objects::copy(service, &bucket, &key, &source, directive, &meta),
        O::GetObject { bucket, key, read } | O::HeadObject { bucket, key, read } => {
            objects::read(service, &bucket, &key, &read, is_head)
        }
        O::DeleteObject { bucket, key } => objects::delete(service, &bucket, &key),
        O::CreateMultipartUpload { bucket, key, meta } => {
            multipart::create(service, &bucket, &key, &meta)
        }
        O::UploadPart {
            bucket,
            key,
            upload_id,
            part_number,
        } => multipart::upload_part(service, body, &bucket, &key, &upload_id, part_number),
        O::UploadPartCopy {
            bucket,
            key,
            upload_id,
            part_number,
            source,
            range,
        } => multipart::upload_part_copy(
            service,
            (&bucket, &key, &upload_id, part_number),
            &source,
            range,
        ),
        O::CompleteMultipartUpload {
            bucket,
            key,
            upload_id,
            conditions,
        } => multipart::complete(service, body, (&bucket, &key, &upload_id), &conditions),
        O::AbortMultipartUpload {
            bucket,
            key,
            upload_id,
        } => multipart::abort(service, &bucket, &key, &upload_id),
        O::ListParts {
            bucket,
            key,
            upload_id,
            max_parts,
            part_number_marker,
        } => multipart::list_parts(
            service,
            (&bucket, &key, &upload_id),
            max_parts,
            part_number_marker,
        ),
    }
}
