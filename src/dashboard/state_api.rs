//! `/__wasmfaas/api/kv/<namespace>[/<key>]` and
//! `/__wasmfaas/api/s3/<bucket>[/<key>]`: browse and edit the project's KV
//! namespaces and buckets, through the same [`State`] calls the CLI's `kv`
//! and `s3` commands make. Only the namespaces and buckets `wasmfaas.toml`
//! declares are reachable. An object written or deleted here fires the S3
//! triggers a write through the S3 endpoint would.
//!
//! Object bodies are always sent as `application/octet-stream` with the
//! stored type in `x-wasmfaas-content-type` and a `sandbox` CSP: an HTML or
//! SVG object served as itself from this origin would run script with the
//! dashboard's powers.

use super::header;
use super::query::Query;
use super::reply::Answer;
use crate::bindings::ObjectChange;
use crate::calendar::rfc3339_ns;
use crate::config::Project;
use crate::runtime::Context;
use crate::state::{
    BucketError, KvError, KvListRequest, KvPutOptions, ListRequest, PutOptions, State,
};
use crate::triggers::EventSink;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use std::time::Duration;

/// Largest body the dashboard reads for a put: a KV value's limit (25 MiB)
/// and a little room.
pub const MAX_BODY: u64 = 26 * 1024 * 1024;

/// Values and objects larger than this are not inlined in JSON answers.
const INLINE_BYTES: usize = 256 * 1024;

/// What a state request needs besides itself.
pub struct StateApi<'a> {
    pub project: &'a Project,
    pub state: &'a State,
    pub events: &'a EventSink,
}

/// The request, already split: method, the decoded name (namespace or
/// bucket), the decoded key if any, and the query.
pub struct Target<'a> {
    pub method: &'a str,
    pub name: &'a str,
    pub key: Option<&'a str>,
    pub query: &'a Query,
}

impl StateApi<'_> {
    pub fn kv(&self, target: &Target, request: &mut tiny_http::Request) -> Answer {
        if !self.project.kv.contains_key(target.name) {
            let known: Vec<&String> = self.project.kv.keys().collect();
            return Answer::error(
                404,
                format!(
                    "no KV namespace `{}` in wasmfaas.toml (declared: {known:?}); declare it \
                     under [kv.{}] to use it",
                    target.name, target.name
                ),
            );
        }
        let now = Context::live().start_time_ns;
        let ns = target.name;
        let result = match (target.method, target.key) {
            ("GET", None) => self.kv_list(ns, target.query, now),
            ("GET", Some(key)) => self.kv_get(ns, key, now),
            ("PUT", Some(key)) => match read_body(request) {
                Ok(body) => self.kv_put(ns, key, &body, request, target.query, now),
                Err(answer) => return answer,
            },
            ("DELETE", Some(key)) => self.state.kv_delete(ns, key).map(|()| deleted(key)),
            _ => return wrong_method(target, "GET, PUT or DELETE"),
        };
        result.unwrap_or_else(|error| kv_error(&error))
    }

    fn kv_list(&self, ns: &str, query: &Query, now: u64) -> Result<Answer, KvError> {
        let request = KvListRequest {
            prefix: query.get("prefix").unwrap_or_default().to_string(),
            limit: query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100),
            cursor: query
                .get("cursor")
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        };
        let page = self.state.kv_list(ns, &request, now)?;
        let keys: Vec<_> = page
            .keys
            .iter()
            .map(|key| {
                json!({
                    "name": key.name,
                    "expiration": key.expiration_ns.map(rfc3339_ns),
                    "metadata": key.metadata.as_deref().map(parse_json),
                })
            })
            .collect();
        Ok(Answer::json(
            200,
            &json!({ "keys": keys, "list_complete": page.list_complete, "cursor": page.cursor }),
        ))
    }

    fn kv_get(&self, ns: &str, key: &str, now: u64) -> Result<Answer, KvError> {
        let Some(entry) = self.state.kv_get(ns, key, now)? else {
            return Ok(Answer::error(
                404,
                format!("no key {key:?} in KV namespace `{ns}` (or it has expired)"),
            ));
        };
        let mut document = json!({
            "key": key,
            "size": entry.value.len(),
            "metadata": entry.metadata.as_deref().map(parse_json),
            "expiration": entry.expiration_ns.map(rfc3339_ns),
        });
        inline_body(&mut document, &entry.value);
        Ok(Answer::json(200, &document))
    }

    /// The body is the value; `?ttl=SECONDS` sets an expiry, and an
    /// `x-wasmfaas-metadata` header carries the metadata as JSON text.
    fn kv_put(
        &self,
        ns: &str,
        key: &str,
        body: &[u8],
        request: &tiny_http::Request,
        query: &Query,
        now: u64,
    ) -> Result<Answer, KvError> {
        let ttl = match query.get("ttl").filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => match text.parse::<u64>() {
                Ok(seconds) => Some(Duration::from_secs(seconds)),
                Err(_) => {
                    return Ok(Answer::error(
                        400,
                        format!("`ttl={text}` is not a number of seconds; use e.g. `ttl=3600`"),
                    ));
                }
            },
        };
        let options = KvPutOptions {
            expiration_ttl: ttl,
            expiration_ns: None,
            metadata: header(request, "x-wasmfaas-metadata").map(str::to_string),
        };
        self.state.kv_put(ns, key, body, &options, now)?;
        Ok(Answer::json(
            200,
            &json!({ "key": key, "size": body.len() }),
        ))
    }

    pub fn s3(&self, target: &Target, request: &mut tiny_http::Request) -> Answer {
        if !self.project.s3.contains_key(target.name) {
            let known: Vec<&String> = self.project.s3.keys().collect();
            return Answer::error(
                404,
                format!(
                    "no bucket `{}` in wasmfaas.toml (declared: {known:?}); declare it under \
                     [s3.{}] to use it",
                    target.name, target.name
                ),
            );
        }
        let bucket = target.name;
        let result = match (target.method, target.key) {
            ("GET", None) => self.s3_list(bucket, target.query),
            ("GET", Some(key)) => self.s3_get(bucket, key),
            ("PUT", Some(key)) => match read_body(request) {
                Ok(body) => self.s3_put(bucket, key, &body, request),
                Err(answer) => return answer,
            },
            ("DELETE", Some(key)) => self.s3_delete(bucket, key),
            _ => return wrong_method(target, "GET, PUT or DELETE"),
        };
        result.unwrap_or_else(|error| s3_error(&error))
    }

    fn s3_list(&self, bucket: &str, query: &Query) -> Result<Answer, BucketError> {
        let request = ListRequest {
            prefix: query.get("prefix").unwrap_or_default().to_string(),
            delimiter: query
                .get("delimiter")
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            max_keys: query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100),
            continuation_token: query
                .get("token")
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            ..ListRequest::default()
        };
        let page = self.state.list_objects(bucket, &request)?;
        let objects: Vec<_> = page
            .objects
            .iter()
            .map(|object| {
                json!({
                    "key": object.key,
                    "size": object.size,
                    "etag": object.etag,
                    "content_type": object.content_type,
                    "last_modified": rfc3339_ns(object.last_modified_ns),
                    "metadata": object.user_metadata,
                })
            })
            .collect();
        Ok(Answer::json(
            200,
            &json!({
                "objects": objects,
                "common_prefixes": page.common_prefixes,
                "is_truncated": page.is_truncated,
                "token": page.next_continuation_token,
            }),
        ))
    }

    fn s3_get(&self, bucket: &str, key: &str) -> Result<Answer, BucketError> {
        let (meta, body) = self.state.get_object(bucket, key, None)?;
        let metadata = serde_json::to_string(&meta.user_metadata).unwrap_or_default();
        Ok(Answer::bytes("application/octet-stream", body)
            .with_header("x-wasmfaas-content-type", meta.content_type)
            .with_header("x-wasmfaas-metadata", metadata)
            .with_header("etag", meta.etag)
            .with_header("content-security-policy", "sandbox".into()))
    }

    /// The body is the object; its `Content-Type` is stored with it, and
    /// `x-amz-meta-*` headers are its user metadata, as with S3.
    fn s3_put(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        request: &tiny_http::Request,
    ) -> Result<Answer, BucketError> {
        let user_metadata = request
            .headers()
            .iter()
            .filter_map(|h| {
                let name = h.field.as_str().as_str().to_ascii_lowercase();
                let name = name.strip_prefix("x-amz-meta-")?.to_string();
                Some((name, h.value.as_str().to_string()))
            })
            .collect();
        let options = PutOptions {
            content_type: header(request, "content-type").map(str::to_string),
            user_metadata,
            if_none_match_any: false,
        };
        let now = Context::live().start_time_ns;
        let meta = self.state.put_object(bucket, key, body, &options, now)?;
        let answer = json!({ "key": key, "size": meta.size, "etag": meta.etag });
        self.fire("ObjectCreated:Put", meta, now);
        Ok(Answer::json(200, &answer))
    }

    fn s3_delete(&self, bucket: &str, key: &str) -> Result<Answer, BucketError> {
        if let Some(meta) = self.state.delete_object(bucket, key)? {
            self.fire("ObjectRemoved:Delete", meta, Context::live().start_time_ns);
        }
        Ok(deleted(key))
    }

    fn fire(&self, event_name: &'static str, object: crate::state::ObjectMeta, at_ns: u64) {
        let change = ObjectChange {
            event_name,
            object,
            at_ns,
        };
        self.events.submit(&[change]);
    }
}

fn deleted(key: &str) -> Answer {
    Answer::json(200, &json!({ "deleted": key }))
}

fn wrong_method(target: &Target, allowed: &str) -> Answer {
    let what = if target.key.is_some() {
        "a key"
    } else {
        "a namespace or bucket"
    };
    Answer::error(
        405,
        format!(
            "{} is not allowed on {what} here; use {allowed} (GET on the namespace or bucket \
             lists it)",
            target.method
        ),
    )
}

/// The request body, or the answer saying why it cannot be read.
fn read_body(request: &mut tiny_http::Request) -> Result<Vec<u8>, Answer> {
    let mut body = Vec::new();
    match request.as_reader().read_to_end(&mut body) {
        Ok(_) => Ok(body),
        Err(error) => match error
            .get_ref()
            .and_then(|e| e.downcast_ref::<tiny_http::BodyTooLarge>())
        {
            Some(_) => Err(Answer::error(
                413,
                format!(
                    "the body is over the dashboard's limit of {MAX_BODY} bytes; put larger \
                     objects with `wasmfaas s3 cp` or an S3 client on the S3 endpoint"
                ),
            )),
            None => Err(Answer::error(
                400,
                format!("could not read the request body: {error}"),
            )),
        },
    }
}

/// Adds `text` (when UTF-8) or `base64`, unless the body is too large to
/// inline (`truncated`).
fn inline_body(document: &mut serde_json::Value, body: &[u8]) {
    if body.len() > INLINE_BYTES {
        document["truncated"] = true.into();
        return;
    }
    match std::str::from_utf8(body) {
        Ok(text) => document["text"] = text.into(),
        Err(_) => document["base64"] = BASE64.encode(body).into(),
    }
}

fn parse_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| text.into())
}

fn kv_error(error: &KvError) -> Answer {
    let status = match error {
        KvError::Storage(_) => 500,
        _ => 400,
    };
    Answer::error(status, error.to_string())
}

fn s3_error(error: &BucketError) -> Answer {
    Answer::error(error.http_status(), error.to_string())
}
