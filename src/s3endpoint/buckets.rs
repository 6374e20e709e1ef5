//! Bucket operations, listings, and DeleteObjects.

use super::Service;
use super::body::RequestBody;
use super::handle::{OperationResult, Reply, change, done, from_state as s, now_ns, owner};
use crate::s3api::request::{self, ListObjects, ListUploads, ListVersion};
use crate::s3api::xml::{self, DeleteOutcome, ObjectEntry};
use crate::state::{self, ListRequest};

pub(super) fn list_buckets(service: &Service) -> OperationResult {
    let buckets: Vec<_> = service
        .state
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

pub(super) fn create_bucket(
    service: &Service,
    body: &mut RequestBody,
    bucket: &str,
) -> OperationResult {
    let region = xml::parse_create_bucket(&body.document()?.data)?;
    match service.state.create_bucket(bucket, now_ns()) {
        Ok(()) => {}
        // us-east-1 answers 200 to its owner creating a bucket again
        // (S3's legacy behaviour); other regions answer 409.
        Err(state::BucketError::BucketAlreadyOwnedByYou { .. })
            if region.as_deref().is_none_or(|r| r == "us-east-1") => {}
        Err(error) => return Err(s(error)),
    }
    done(Reply::new(200).header("location", format!("/{bucket}")))
}

pub(super) fn delete_bucket(service: &Service, bucket: &str) -> OperationResult {
    service.state.delete_bucket(bucket).map_err(s)?;
    done(Reply::new(204))
}

pub(super) fn head_bucket(service: &Service, bucket: &str) -> OperationResult {
    service.state.head_bucket(bucket).map_err(s)?;
    done(Reply::new(200).header("x-amz-bucket-region", "us-east-1"))
}

pub(super) fn location(service: &Service, bucket: &str) -> OperationResult {
    service.state.head_bucket(bucket).map_err(s)?;
    done(Reply::xml(xml::location_constraint("")))
}

pub(super) fn list_objects(service: &Service, bucket: &str, list: &ListObjects) -> OperationResult {
    let state = &service.state;
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
    let page = state.list_objects(bucket, &request).map_err(s)?;
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
    done(Reply::xml(xml::list_objects(bucket, list, &page)))
}

pub(super) fn list_multipart_uploads(
    service: &Service,
    bucket: &str,
    list: &ListUploads,
) -> OperationResult {
    let state = &service.state;
    let mut page = xml::UploadsPage::default();
    let limit = list.max_uploads.min(request::MAX_LIST) as usize;
    for upload in state.list_multipart_uploads(bucket).map_err(s)? {
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
    done(Reply::xml(xml::list_multipart_uploads(bucket, list, &page)))
}

pub(super) fn delete_objects(
    service: &Service,
    body: &mut RequestBody,
    bucket: &str,
) -> OperationResult {
    let state = &service.state;
    let request = xml::parse_delete(&body.document()?.data)?;
    state.head_bucket(bucket).map_err(s)?;
    let mut outcomes = Vec::new();
    let mut changes = Vec::new();
    for target in request.objects {
        match state.delete_object(bucket, &target.key) {
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
