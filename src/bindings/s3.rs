//! `s3_*`: buckets (`docs/abi.md`, "S3").

use super::{Access, Effects, HostCallError, MODULE, ObjectChange, Record, Status, host_call};
use super::{BindingsView, call::Call};
use crate::state::{BucketError, ByteRange, CopyOptions, ListRequest, ObjectMeta, PutOptions};
use std::collections::BTreeMap;
use wasmi::{Caller, Error, Linker};

pub(super) fn add_to_linker<T: BindingsView + 'static>(
    linker: &mut Linker<T>,
) -> Result<(), Error> {
    linker.func_wrap(MODULE, "s3_get", s3_get::<T>)?;
    linker.func_wrap(MODULE, "s3_head", s3_head::<T>)?;
    linker.func_wrap(MODULE, "s3_put", s3_put::<T>)?;
    linker.func_wrap(MODULE, "s3_delete", s3_delete::<T>)?;
    linker.func_wrap(MODULE, "s3_list", s3_list::<T>)?;
    linker.func_wrap(MODULE, "s3_copy", s3_copy::<T>)?;
    Ok(())
}

/// The bucket argument, checked against the grant.
fn bucket<'c>(
    call: &'c Call<'_>,
    access: &Access,
    ptr: i32,
    len: i32,
) -> Result<&'c str, HostCallError> {
    let bucket = call.str(ptr, len, "bucket name")?;
    access.s3(bucket)?;
    Ok(bucket)
}

/// The bucket (checked against the grant) and key of the object a call
/// touches. When recording, the object as it was before is captured.
fn touched_object<'c>(
    call: &'c Call<'_>,
    access: &Access,
    effects: &mut Effects,
    (bucket_ptr, bucket_len): (i32, i32),
    (key_ptr, key_len): (i32, i32),
    key_label: &str,
) -> Result<(&'c str, &'c str), HostCallError> {
    let bucket = bucket(call, access, bucket_ptr, bucket_len)?;
    let key = call.str(key_ptr, key_len, key_label)?;
    if let Some(capture) = &mut effects.capture {
        capture.s3_key(&access.state, bucket, key);
    }
    Ok((bucket, key))
}

/// A result that is one object record.
fn object_only(meta: &ObjectMeta) -> Vec<u8> {
    let mut record = Record::default();
    object(&mut record, meta);
    record.done()
}

/// An object record (`docs/abi.md`).
fn object(record: &mut Record, meta: &ObjectMeta) {
    record
        .str(&meta.key)
        .u64(meta.size)
        .u64(meta.last_modified_ns)
        .str(&meta.etag)
        .str(&meta.content_type)
        .count(meta.user_metadata.len());
    for (name, value) in &meta.user_metadata {
        record.str(name).str(value);
    }
}

#[allow(clippy::too_many_arguments)] // the ABI's flat argument list
fn s3_get<T: BindingsView>(
    mut caller: Caller<'_, T>,
    bucket_ptr: i32,
    bucket_len: i32,
    key: i32,
    key_len: i32,
    range: i32,
    range_len: i32,
) -> Result<i64, Error> {
    let paid_for = [bucket_len, key_len, range_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (bucket, key) = touched_object(
            call,
            access,
            effects,
            (bucket_ptr, bucket_len),
            (key, key_len),
            "key",
        )?;
        let range = if range_len > 0 {
            let text = call.str(range, range_len, "range")?;
            Some(ByteRange::parse(text).ok_or_else(|| {
                HostCallError::new(
                    Status::InvalidArgument,
                    format!("{text:?} is not a byte range; write `bytes=0-99`, `bytes=100-` or `bytes=-10`"),
                )
            })?)
        } else {
            None
        };
        let (meta, body) = access
            .state
            .open_object(bucket, key)
            .map_err(host_call_error)?;
        let (first, len) = match range {
            Some(range) => {
                let (first, last) = range.resolve(meta.size).map_err(host_call_error)?;
                (first, last - first + 1)
            }
            None => (0, meta.size),
        };
        let mut record = Record::default();
        object(&mut record, &meta);
        let mut result = record.done();
        // Sized before anything is read: an object the guest could never
        // hold is refused, not loaded into the host's memory.
        let total = (result.len() as u64).saturating_add(len);
        if total > access.memory_limit {
            return Err(too_large_for_guest(&meta, len, access.memory_limit));
        }
        result.reserve_exact(len as usize);
        let mut reader = body.span(first, len).map_err(host_call_error)?;
        std::io::Read::read_to_end(&mut reader, &mut result).map_err(|e| {
            HostCallError::new(Status::Storage, format!("reading {:?}: {e}", meta.key))
        })?;
        Ok(result)
    })
}

/// `s3_get` of more bytes than the function's memory limit.
fn too_large_for_guest(meta: &ObjectMeta, len: u64, limit: u64) -> HostCallError {
    HostCallError::new(
        Status::TooLarge,
        format!(
            "{:?} is {} bytes and {len} were asked for, more than the function's memory limit of \
             {limit} bytes could hold; read it in ranges (the `range` argument, e.g. \
             `bytes=0-1048575`), or raise `memory_mb` in the function's [limits]",
            meta.key, meta.size
        ),
    )
}

fn s3_head<T: BindingsView>(
    mut caller: Caller<'_, T>,
    bucket_ptr: i32,
    bucket_len: i32,
    key: i32,
    key_len: i32,
) -> Result<i64, Error> {
    let paid_for = [bucket_len, key_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (bucket, key) = touched_object(
            call,
            access,
            effects,
            (bucket_ptr, bucket_len),
            (key, key_len),
            "key",
        )?;
        let meta = access
            .state
            .head_object(bucket, key)
            .map_err(host_call_error)?;
        Ok(object_only(&meta))
    })
}

#[allow(clippy::too_many_arguments)] // the ABI's flat argument list
fn s3_put<T: BindingsView>(
    mut caller: Caller<'_, T>,
    bucket_ptr: i32,
    bucket_len: i32,
    key: i32,
    key_len: i32,
    body: i32,
    body_len: i32,
    content_type: i32,
    content_type_len: i32,
    metadata: i32,
    metadata_len: i32,
) -> Result<i64, Error> {
    let paid_for = [
        bucket_len,
        key_len,
        body_len,
        content_type_len,
        metadata_len,
    ];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (bucket, key) = touched_object(
            call,
            access,
            effects,
            (bucket_ptr, bucket_len),
            (key, key_len),
            "key",
        )?;
        let body = call.bytes(body, body_len)?;
        let options = PutOptions {
            content_type: call.opt_str(content_type, content_type_len, "content type")?,
            user_metadata: metadata_pairs(call.bytes(metadata, metadata_len.max(0))?)?,
            if_none_match_any: false,
        };
        let meta = access
            .state
            .put_object(bucket, key, body, &options, call.now_ns)
            .map_err(host_call_error)?;
        let result = object_only(&meta);
        effects.changes.push(ObjectChange {
            event_name: "ObjectCreated:Put",
            object: meta,
            at_ns: call.now_ns,
        });
        Ok(result)
    })
}

fn s3_delete<T: BindingsView>(
    mut caller: Caller<'_, T>,
    bucket_ptr: i32,
    bucket_len: i32,
    key: i32,
    key_len: i32,
) -> Result<i64, Error> {
    let paid_for = [bucket_len, key_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (bucket, key) = touched_object(
            call,
            access,
            effects,
            (bucket_ptr, bucket_len),
            (key, key_len),
            "key",
        )?;
        if let Some(meta) = access
            .state
            .delete_object(bucket, key)
            .map_err(host_call_error)?
        {
            effects.changes.push(ObjectChange {
                event_name: "ObjectRemoved:Delete",
                object: meta,
                at_ns: call.now_ns,
            });
        }
        Ok(Vec::new())
    })
}

#[allow(clippy::too_many_arguments)] // the ABI's flat argument list
fn s3_list<T: BindingsView>(
    mut caller: Caller<'_, T>,
    bucket_ptr: i32,
    bucket_len: i32,
    prefix: i32,
    prefix_len: i32,
    delimiter: i32,
    delimiter_len: i32,
    token: i32,
    token_len: i32,
    max_keys: i64,
) -> Result<i64, Error> {
    let paid_for = [bucket_len, prefix_len, delimiter_len, token_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let bucket = bucket(call, access, bucket_ptr, bucket_len)?;
        let request = ListRequest {
            prefix: call
                .opt_str(prefix, prefix_len, "prefix")?
                .unwrap_or_default(),
            delimiter: call.opt_str(delimiter, delimiter_len, "delimiter")?,
            max_keys: if max_keys <= 0 {
                1000
            } else {
                u32::try_from(max_keys).unwrap_or(1000).min(1000)
            },
            continuation_token: call.opt_str(token, token_len, "continuation token")?,
            ..ListRequest::default()
        };
        if let Some(capture) = &mut effects.capture {
            capture.s3_listing(&access.state, bucket, &request);
        }
        let page = access
            .state
            .list_objects(bucket, &request)
            .map_err(host_call_error)?;
        let mut record = Record::default();
        record
            .u32(u32::from(page.is_truncated))
            .str(page.next_continuation_token.as_deref().unwrap_or(""))
            .count(page.objects.len());
        for meta in &page.objects {
            object(&mut record, meta);
        }
        record.count(page.common_prefixes.len());
        for prefix in &page.common_prefixes {
            record.str(prefix);
        }
        Ok(record.done())
    })
}

#[allow(clippy::too_many_arguments)] // the ABI's flat argument list
fn s3_copy<T: BindingsView>(
    mut caller: Caller<'_, T>,
    src_bucket: i32,
    src_bucket_len: i32,
    src_key: i32,
    src_key_len: i32,
    dst_bucket: i32,
    dst_bucket_len: i32,
    dst_key: i32,
    dst_key_len: i32,
) -> Result<i64, Error> {
    let paid_for = [src_bucket_len, src_key_len, dst_bucket_len, dst_key_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (source_bucket, source_key) = touched_object(
            call,
            access,
            effects,
            (src_bucket, src_bucket_len),
            (src_key, src_key_len),
            "source key",
        )?;
        let (target_bucket, target_key) = touched_object(
            call,
            access,
            effects,
            (dst_bucket, dst_bucket_len),
            (dst_key, dst_key_len),
            "key",
        )?;
        let meta = access
            .state
            .copy_object(
                source_bucket,
                source_key,
                target_bucket,
                target_key,
                &CopyOptions::default(),
                call.now_ns,
            )
            .map_err(host_call_error)?;
        let result = object_only(&meta);
        effects.changes.push(ObjectChange {
            event_name: "ObjectCreated:Copy",
            object: meta,
            at_ns: call.now_ns,
        });
        Ok(result)
    })
}

/// Decodes `s3_put`'s metadata argument: `count: u32`, then `count × (name: str, value: str)`.
fn metadata_pairs(bytes: &[u8]) -> Result<BTreeMap<String, String>, HostCallError> {
    let malformed = || {
        HostCallError::new(
            Status::InvalidArgument,
            "the metadata argument is not `count: u32` then `count` pairs of length-prefixed strings",
        )
    };
    if bytes.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut rest = bytes;
    let mut take = |n: usize| -> Result<&[u8], HostCallError> {
        if rest.len() < n {
            return Err(malformed());
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let u32_at = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let count = u32_at(take(4)?);
    let mut pairs = BTreeMap::new();
    for _ in 0..count {
        let name_len = u32_at(take(4)?);
        let name = std::str::from_utf8(take(name_len)?)
            .map_err(|_| malformed())?
            .to_string();
        let value_len = u32_at(take(4)?);
        let value = std::str::from_utf8(take(value_len)?)
            .map_err(|_| malformed())?
            .to_string();
        pairs.insert(name, value);
    }
    Ok(pairs)
}

/// The ABI status for a store error.
fn host_call_error(error: BucketError) -> HostCallError {
    let status = match &error {
        BucketError::NoSuchKey { .. } => Status::NotFound,
        BucketError::NoSuchBucket { .. } => Status::NoSuchBucket,
        BucketError::KeyTooLongError { .. } => Status::InvalidKey,
        BucketError::EntityTooLarge { .. } => Status::TooLarge,
        BucketError::InvalidRange { .. } => Status::InvalidRange,
        BucketError::PreconditionFailed => Status::PreconditionFailed,
        BucketError::Storage(_) => Status::Storage,
        _ => Status::InvalidArgument,
    };
    HostCallError::new(status, error.to_string())
}
