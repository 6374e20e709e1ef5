//! `kv_*`: KV namespaces (`docs/abi.md`, "KV").

use super::{Access, Effects, HostCallError, MODULE, Record, Status, host_call};
use super::{BindingsView, call::Call};
use crate::state::{KvError, KvListRequest, KvPutOptions};
use std::time::Duration;
use wasmi::{Caller, Error, Linker};

pub(super) fn add_to_linker<T: BindingsView + 'static>(
    linker: &mut Linker<T>,
) -> Result<(), Error> {
    linker.func_wrap(MODULE, "kv_get", kv_get::<T>)?;
    linker.func_wrap(MODULE, "kv_put", kv_put::<T>)?;
    linker.func_wrap(MODULE, "kv_delete", kv_delete::<T>)?;
    linker.func_wrap(MODULE, "kv_list", kv_list::<T>)?;
    Ok(())
}

/// The namespace argument, checked against the grant.
fn namespace<'c>(
    call: &'c Call<'_>,
    access: &Access,
    ptr: i32,
    len: i32,
) -> Result<&'c str, HostCallError> {
    let namespace = call.str(ptr, len, "namespace name")?;
    access.kv(namespace)?;
    Ok(namespace)
}

/// The namespace (checked against the grant) and key of the entry a call
/// touches. When recording, the entry as it was before is captured.
fn touched_entry<'c>(
    call: &'c Call<'_>,
    access: &Access,
    effects: &mut Effects,
    (ns_ptr, ns_len): (i32, i32),
    (key_ptr, key_len): (i32, i32),
) -> Result<(&'c str, &'c str), HostCallError> {
    let namespace = namespace(call, access, ns_ptr, ns_len)?;
    let key = call.str(key_ptr, key_len, "key")?;
    if let Some(capture) = &mut effects.capture {
        capture.kv_key(&access.state, namespace, key, call.now_ns);
    }
    Ok((namespace, key))
}

fn kv_get<T: BindingsView>(
    mut caller: Caller<'_, T>,
    ns: i32,
    ns_len: i32,
    key: i32,
    key_len: i32,
) -> Result<i64, Error> {
    let paid_for = [ns_len, key_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (namespace, key) = touched_entry(call, access, effects, (ns, ns_len), (key, key_len))?;
        match access
            .state
            .kv_get(namespace, key, call.now_ns)
            .map_err(host_call_error)?
        {
            Some(entry) => Ok(Record::default()
                .u64(entry.expiration_ns.unwrap_or(0))
                .str(entry.metadata.as_deref().unwrap_or(""))
                .bytes(&entry.value)
                .done()),
            None => Err(HostCallError::new(
                Status::NotFound,
                format!("no key {key:?} in KV namespace `{namespace}`"),
            )),
        }
    })
}

#[allow(clippy::too_many_arguments)] // the ABI's flat argument list
fn kv_put<T: BindingsView>(
    mut caller: Caller<'_, T>,
    ns: i32,
    ns_len: i32,
    key: i32,
    key_len: i32,
    value: i32,
    value_len: i32,
    metadata: i32,
    metadata_len: i32,
    expiration_ns: i64,
    ttl_ms: i64,
) -> Result<i64, Error> {
    let paid_for = [ns_len, key_len, value_len, metadata_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (namespace, key) = touched_entry(call, access, effects, (ns, ns_len), (key, key_len))?;
        let value = call.bytes(value, value_len)?;
        let metadata = call.opt_str(metadata, metadata_len, "metadata")?;
        let options = KvPutOptions {
            expiration_ttl: (ttl_ms > 0).then(|| Duration::from_millis(ttl_ms as u64)),
            expiration_ns: (expiration_ns > 0).then_some(expiration_ns as u64),
            metadata,
        };
        access
            .state
            .kv_put(namespace, key, value, &options, call.now_ns)
            .map_err(host_call_error)?;
        Ok(Vec::new())
    })
}

fn kv_delete<T: BindingsView>(
    mut caller: Caller<'_, T>,
    ns: i32,
    ns_len: i32,
    key: i32,
    key_len: i32,
) -> Result<i64, Error> {
    let paid_for = [ns_len, key_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let (namespace, key) = touched_entry(call, access, effects, (ns, ns_len), (key, key_len))?;
        access
            .state
            .kv_delete(namespace, key)
            .map_err(host_call_error)?;
        Ok(Vec::new())
    })
}

#[allow(clippy::too_many_arguments)] // the ABI's flat argument list
fn kv_list<T: BindingsView>(
    mut caller: Caller<'_, T>,
    ns: i32,
    ns_len: i32,
    prefix: i32,
    prefix_len: i32,
    cursor: i32,
    cursor_len: i32,
    limit: i64,
) -> Result<i64, Error> {
    let paid_for = [ns_len, prefix_len, cursor_len];
    host_call(&mut caller, &paid_for, |call, access, effects| {
        let namespace = namespace(call, access, ns, ns_len)?;
        let request = KvListRequest {
            prefix: call.str(prefix, prefix_len, "prefix")?.to_string(),
            limit: if limit <= 0 {
                1000
            } else {
                u32::try_from(limit).unwrap_or(u32::MAX)
            },
            cursor: call.opt_str(cursor, cursor_len, "cursor")?,
        };
        if let Some(capture) = &mut effects.capture {
            capture.kv_listing(&access.state, namespace, &request, call.now_ns);
        }
        let page = access
            .state
            .kv_list(namespace, &request, call.now_ns)
            .map_err(host_call_error)?;
        let mut record = Record::default();
        record
            .u32(u32::from(page.list_complete))
            .str(page.cursor.as_deref().unwrap_or(""))
            .count(page.keys.len());
        for key in &page.keys {
            record
                .str(&key.name)
                .u64(key.expiration_ns.unwrap_or(0))
                .str(key.metadata.as_deref().unwrap_or(""));
        }
        Ok(record.done())
    })
}

/// The ABI status for a store error.
fn host_call_error(error: KvError) -> HostCallError {
    let status = match &error {
        KvError::InvalidKey { .. } => Status::InvalidKey,
        KvError::ValueTooLarge { .. } | KvError::MetadataTooLarge { .. } => Status::TooLarge,
        KvError::Storage(_) => Status::Storage,
        _ => Status::InvalidArgument,
    };
    HostCallError::new(status, error.to_string())
}
