//! What a recorded invocation found in storage: the value (or absence) of
//! every KV key and S3 object it touched, as it was *before* the invocation
//! touched it, so a replay can start from exactly that state.
//!
//! The shims call in here before each storage operation, only when the
//! invocation is being recorded ([`Access::recording`](super::Access)). The
//! first touch of a key wins: a key the function writes and then reads was
//! captured (absent, or its old value) at the write. Listings capture what
//! they would return, plus the first key after the page (so a replay knows the
//! listing was truncated) and one key under each common prefix (so the prefix
//! is listed again). Keys a concurrent writer changes between two calls of
//! one invocation are captured as first seen: recording is best effort under
//! concurrency, exact without it.

use crate::outbound::Exchange;
use crate::state::{KvEntry, KvListRequest, ListRequest, ObjectMeta, State};
use std::collections::BTreeMap;

/// An object as it was: metadata and the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedObject {
    pub meta: ObjectMeta,
    pub body: Vec<u8>,
}

/// The initial state an invocation read. `None` values record absence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    /// `(namespace, key)` → the entry before the invocation, if any.
    pub kv: BTreeMap<(String, String), Option<KvEntry>>,
    /// `(bucket, key)` → the object before the invocation, if any.
    pub s3: BTreeMap<(String, String), Option<CapturedObject>>,
    /// Its outbound calls, in the order made.
    pub outbound: Vec<Exchange>,
}

impl Capture {
    /// Records `key`'s current entry unless it was touched before. A failed
    /// read (a hostile key the store rejects) records nothing: the operation
    /// itself fails the same way on replay.
    pub(super) fn kv_key(&mut self, state: &State, namespace: &str, key: &str, now_ns: u64) {
        let slot = (namespace.to_string(), key.to_string());
        if self.kv.contains_key(&slot) {
            return;
        }
        if let Ok(entry) = state.kv_get(namespace, key, now_ns) {
            self.kv.insert(slot, entry);
        }
    }

    /// Records what `request` would list now, and the key after the page.
    pub(super) fn kv_listing(
        &mut self,
        state: &State,
        namespace: &str,
        request: &KvListRequest,
        now_ns: u64,
    ) {
        let mut wider = request.clone();
        wider.limit = request.limit.saturating_add(1).min(1000);
        let Ok(page) = state.kv_list(namespace, &wider, now_ns) else {
            return;
        };
        for key in &page.keys {
            self.kv_key(state, namespace, &key.name, now_ns);
        }
    }

    /// Records `key`'s current object (whole body) unless touched before.
    pub(super) fn s3_key(&mut self, state: &State, bucket: &str, key: &str) {
        let slot = (bucket.to_string(), key.to_string());
        if self.s3.contains_key(&slot) {
            return;
        }
        match state.get_object(bucket, key, None) {
            Ok((meta, body)) => {
                self.s3.insert(slot, Some(CapturedObject { meta, body }));
            }
            Err(error) if error.code() == "NoSuchKey" => {
                self.s3.insert(slot, None);
            }
            Err(_) => {}
        }
    }

    /// Records what `request` would list now: its objects, the object after
    /// the page, and the first object under each common prefix.
    pub(super) fn s3_listing(&mut self, state: &State, bucket: &str, request: &ListRequest) {
        let mut wider = request.clone();
        wider.max_keys = request.max_keys.saturating_add(1).min(1001);
        let Ok(page) = state.list_objects(bucket, &wider) else {
            return;
        };
        for meta in &page.objects {
            self.s3_key(state, bucket, &meta.key);
        }
        for prefix in &page.common_prefixes {
            let first = ListRequest {
                prefix: prefix.clone(),
                max_keys: 1,
                ..ListRequest::default()
            };
            if let Ok(under) = state.list_objects(bucket, &first) {
                for meta in &under.objects {
                    self.s3_key(state, bucket, &meta.key);
                }
            }
        }
    }
}
