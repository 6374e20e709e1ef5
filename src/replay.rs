//! Hermetic replay: runs one [`Fixture`] on a fresh in-memory state seeded
//! from the fixture, with its virtual time and random seed, and reports what
//! the function answered, what it wrote, what it logged and what it cost.
//!
//! Nothing here touches the project's `.wasmfaas/` state, the network or the
//! host's clock: the same fixture and module give the same [`Replayed`], byte
//! for byte, on every run and every machine. The writes are the difference
//! between the state the fixture started from and the state the function
//! left, so a key written twice shows once, with its final value.

use crate::abi::CallError;
use crate::abi::Input;
use crate::abi::http::{HttpRequest, HttpResponse};
use crate::bindings::{Access, CapturedObject};
use crate::config::{Function, Instances, Project};
use crate::fixture::{Fixture, InitialState, Recorded, Trigger};
use crate::outbound::RecordedCalls;
use crate::pipeline::{Call, Line, Pipeline};
use crate::router::RouteTable;
use crate::runtime::{LoadedModule, Usage};
use crate::state::{KvEntry, KvListRequest, KvPutOptions, ListRequest, PutOptions, State};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a replayed invocation did.
#[derive(Debug)]
pub struct Replayed {
    pub function: String,
    pub response: Result<HttpResponse, CallError>,
    /// Net changes to storage, ordered by namespace or bucket, then key.
    pub writes: Vec<Write>,
    /// The function's log (stderr).
    pub logs: Vec<u8>,
    pub usage: Usage,
}

/// One net change to storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    KvPut {
        namespace: String,
        key: String,
        entry: KvEntry,
    },
    KvDelete {
        namespace: String,
        key: String,
    },
    S3Put(CapturedObject),
    S3Delete {
        bucket: String,
        key: String,
    },
}

/// Why a fixture cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("the fixture's function: {0}")]
    UnknownFunction(crate::config::ConfigError),
    #[error(
        "no function's route matches {method} {path}; add `\"function\": \"<name>\"` to the \
         fixture or a matching route to wasmfaas.toml"
    )]
    NoRoute { method: String, path: String },
    #[error("cannot set up the fixture's state: {0}")]
    Seed(String),
    #[error("cannot read the state the function left: {0}")]
    Inspect(String),
    #[error(
        "its outbound calls differ from the fixture's recording:\n  {}\n  a replay answers \
         calls from the recording, in order (same method, URL and body); record the \
         invocation again if the calls changed on purpose",
        .0.join("\n  ")
    )]
    Calls(Vec<String>),
}

/// The project function `fixture` runs: the one it names, or for an HTTP
/// fixture without a name the one whose route matches.
///
/// # Errors
/// [`ReplayError::UnknownFunction`] or [`ReplayError::NoRoute`].
pub fn function_of<'p>(
    project: &'p Project,
    fixture: &Fixture,
) -> Result<&'p Function, ReplayError> {
    if let Some(name) = &fixture.function {
        return project.function(name).map_err(ReplayError::UnknownFunction);
    }
    let Trigger::Http(request) = &fixture.trigger else {
        unreachable!("event fixtures name their function (checked when parsed)")
    };
    RouteTable::new(project.functions.values())
        .find(&request.method, &request.path)
        .and_then(|matched| project.functions.get(&matched.route.function))
        .ok_or_else(|| ReplayError::NoRoute {
            method: request.method.clone(),
            path: request.path.clone(),
        })
}

/// What to tell a user replaying a function that runs warm live.
///
/// A fixture holds one invocation's inputs, not the state earlier requests
/// left in a warm instance, so a replay runs every invocation on a fresh
/// instance (and the order of fixtures cannot change their results). For a
/// function whose answers do not depend on that state, as they should not,
/// the replay is exact; otherwise it shows what a cold start would answer.
pub fn warm_note(function: &Function) -> Option<String> {
    (function.instances == Instances::Warm).then(|| {
        format!(
            "`{}` runs warm (`instances = \"warm\"`); replays run each recorded invocation on \
             a fresh instance, so state a warm instance kept between live requests is not \
             reproduced",
            function.name
        )
    })
}

/// Runs `fixture` on `function` (loaded as `module`), hermetically.
///
/// # Errors
/// [`ReplayError`] if the fixture's state cannot be set up. A function that
/// fails is not an error: its failure is the replayed response.
pub fn replay(
    fixture: &Fixture,
    function: &Function,
    module: &LoadedModule,
) -> Result<Replayed, ReplayError> {
    // See `warm_note`: replays never reuse an instance.
    let fresh;
    let function = if function.instances == Instances::Warm {
        fresh = Function {
            instances: Instances::Fresh,
            ..function.clone()
        };
        &fresh
    } else {
        function
    };
    // Route parameters are not stored: derived again through the gateway's
    // rules (a recorded HEAD finds its GET route and params). The table is
    // the function's own: the fixture names the function that answered, so
    // the route that won among all functions is the best of its own.
    let routes = RouteTable::new([function]);
    let mut request = None;
    let mut matched_slot = None;
    let input = match &fixture.trigger {
        Trigger::Event { trigger, payload } => Input::Event {
            source: trigger,
            payload,
        },
        Trigger::Http(recorded) => {
            let matched = routes.find(&recorded.method, &recorded.path);
            let request = request.insert(HttpRequest {
                params: matched
                    .as_ref()
                    .map(|m| m.params.clone())
                    .unwrap_or_default(),
                ..recorded.clone()
            });
            let matched = &*matched_slot.insert(matched);
            Input::Http {
                request,
                route: matched.as_ref(),
            }
        }
    };
    let stateless = function.kv.is_empty()
        && function.s3.is_empty()
        && function.outbound.is_empty()
        && fixture.outbound.is_empty()
        && fixture.state.kv.is_empty()
        && fixture.state.s3.is_empty();
    let (outcome, writes) = if stateless {
        // Nothing to seed or diff: skip creating a database (most of the
        // cost of replaying a small function).
        (
            run(function, module, None, input, fixture.context),
            Vec::new(),
        )
    } else {
        let state = State::in_memory().map_err(|e| ReplayError::Seed(e.to_string()))?;
        let namespaces: BTreeSet<&String> =
            function.kv.iter().chain(fixture.state.kv.keys()).collect();
        let buckets: BTreeSet<&String> =
            function.s3.iter().chain(fixture.state.s3.keys()).collect();
        seed(&state, &fixture.state, &buckets)?;
        let calls = Arc::new(RecordedCalls::new(fixture.outbound.clone()));
        let access = Access::for_function(state.clone(), function).replaying(Arc::clone(&calls));
        let outcome = run(
            function,
            module,
            Some(&Arc::new(access)),
            input,
            fixture.context,
        );
        let differences = calls.differences();
        if !differences.is_empty() {
            return Err(ReplayError::Calls(differences));
        }
        let now = fixture.context.start_time_ns;
        let mut writes = kv_writes(&state, &fixture.state, &namespaces, now)?;
        writes.extend(s3_writes(&state, &fixture.state, &buckets)?);
        (outcome, writes)
    };
    Ok(Replayed {
        function: function.name.clone(),
        response: outcome.result,
        writes,
        logs: outcome.logs,
        usage: outcome.usage,
    })
}

/// Runs one replayed invocation through the pipeline every caller uses,
/// offline: the replay reports it itself.
fn run(
    function: &Function,
    module: &LoadedModule,
    grants: Option<&Arc<Access>>,
    input: Input<'_>,
    context: crate::runtime::Context,
) -> crate::abi::CallOutcome {
    let call = Call {
        function,
        module,
        grants,
        stale: false,
        input,
        context,
        line: Line::of_input(&input),
        // Replays run on stand-ins (`secrets::stand_in`): nothing to hide.
        redactor: &Arc::default(),
    };
    Pipeline::offline().run(call)
}

/// A failure to seed `what`.
fn seeding<E: std::fmt::Display>(what: String) -> impl FnOnce(E) -> ReplayError {
    move |e| ReplayError::Seed(format!("{what}: {e}"))
}

/// A failure to read back the state the function left.
fn inspecting<E: std::fmt::Display>(e: E) -> ReplayError {
    ReplayError::Inspect(e.to_string())
}

fn seed(
    state: &State,
    initial: &InitialState,
    buckets: &BTreeSet<&String>,
) -> Result<(), ReplayError> {
    for bucket in buckets {
        state
            .ensure_bucket(bucket, 0)
            .map_err(seeding(format!("bucket `{bucket}`")))?;
    }
    for (namespace, entries) in &initial.kv {
        for (key, entry) in entries {
            let Some(entry) = entry else { continue };
            let options = KvPutOptions {
                expiration_ttl: None,
                expiration_ns: entry.expiration_ns,
                metadata: entry.metadata.clone(),
            };
            // At time 0, so any recorded expiration is in the future here.
            state
                .kv_put(namespace, key, &entry.value, &options, 0)
                .map_err(seeding(format!("KV `{namespace}` key {key:?}")))?;
        }
    }
    for (bucket, objects) in &initial.s3 {
        for (key, object) in objects {
            let Some(object) = object else { continue };
            let options = PutOptions {
                content_type: Some(object.meta.content_type.clone()),
                user_metadata: object.meta.user_metadata.clone(),
                ..PutOptions::default()
            };
            state
                .put_object(
                    bucket,
                    key,
                    &object.body,
                    &options,
                    object.meta.last_modified_ns,
                )
                .map_err(seeding(format!("s3://{bucket}/{key}")))?;
        }
    }
    Ok(())
}

/// The keys whose value differs between `before` (present entries only) and
/// `after`: `Some(new value)` for a put, `None` for a delete, in key order.
fn net_changes<'a, V>(
    before: &BTreeMap<String, Option<V>>,
    after: &'a BTreeMap<String, V>,
    visible: impl Fn(&V) -> bool,
    same: impl Fn(&V, &V) -> bool,
) -> Vec<(String, Option<&'a V>)> {
    let before: BTreeMap<&String, &V> = before
        .iter()
        .filter_map(|(key, value)| Some((key, value.as_ref()?)))
        .filter(|(_, value)| visible(value))
        .collect();
    let keys: BTreeSet<&String> = before.keys().copied().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|key| match (before.get(key), after.get(key)) {
            (Some(old), Some(new)) if same(old, new) => None,
            (_, Some(new)) => Some((key.clone(), Some(new))),
            (Some(_), None) => Some((key.clone(), None)),
            (None, None) => None,
        })
        .collect()
}

fn kv_writes(
    state: &State,
    initial: &InitialState,
    namespaces: &BTreeSet<&String>,
    now: u64,
) -> Result<Vec<Write>, ReplayError> {
    let none = BTreeMap::new();
    let mut writes = Vec::new();
    for &namespace in namespaces {
        let mut after = BTreeMap::new();
        let mut cursor = None;
        loop {
            let request = KvListRequest {
                prefix: String::new(),
                limit: 1000,
                cursor,
            };
            let page = state
                .kv_list(namespace, &request, now)
                .map_err(inspecting)?;
            for key in page.keys {
                if let Some(entry) = state
                    .kv_get(namespace, &key.name, now)
                    .map_err(inspecting)?
                {
                    after.insert(key.name, entry);
                }
            }
            if page.list_complete {
                break;
            }
            cursor = page.cursor;
        }
        let before = initial.kv.get(namespace).unwrap_or(&none);
        // An entry that had expired by the replay's time was gone already.
        let visible = |entry: &KvEntry| entry.expiration_ns.is_none_or(|at| at > now);
        for (key, new) in net_changes(before, &after, visible, |old, new| old == new) {
            let namespace = namespace.clone();
            writes.push(match new {
                Some(entry) => Write::KvPut {
                    namespace,
                    key,
                    entry: entry.clone(),
                },
                None => Write::KvDelete { namespace, key },
            });
        }
    }
    Ok(writes)
}

fn s3_writes(
    state: &State,
    initial: &InitialState,
    buckets: &BTreeSet<&String>,
) -> Result<Vec<Write>, ReplayError> {
    let none = BTreeMap::new();
    let mut writes = Vec::new();
    for &bucket in buckets {
        let mut after = BTreeMap::new();
        let mut token = None;
        loop {
            let request = ListRequest {
                max_keys: 1000,
                continuation_token: token,
                ..ListRequest::default()
            };
            let page = state.list_objects(bucket, &request).map_err(inspecting)?;
            for meta in page.objects {
                let (meta, body) = state
                    .get_object(bucket, &meta.key, None)
                    .map_err(inspecting)?;
                after.insert(meta.key.clone(), CapturedObject { meta, body });
            }
            if !page.is_truncated {
                break;
            }
            token = page.next_continuation_token;
        }
        let before = initial.s3.get(bucket).unwrap_or(&none);
        for (key, new) in net_changes(before, &after, |_| true, same_object) {
            writes.push(match new {
                Some(object) => Write::S3Put(object.clone()),
                None => Write::S3Delete {
                    bucket: bucket.clone(),
                    key,
                },
            });
        }
    }
    Ok(writes)
}

/// Same bytes, type and metadata (the etag, time and sequencer of a
/// re-seeded object differ from the recorded ones by construction).
fn same_object(old: &CapturedObject, new: &CapturedObject) -> bool {
    old.body == new.body
        && old.meta.content_type == new.meta.content_type
        && old.meta.user_metadata == new.meta.user_metadata
        && old.meta.last_modified_ns == new.meta.last_modified_ns
}

impl Replayed {
    /// How this replay's answer differs from `recorded`, the answer the
    /// fixture holds from when it was recorded; `None` when it is the same.
    /// A replay that differs is not faithful: the code, the module or what
    /// the recording left out (a redacted header) changed what it answers.
    pub fn difference_from(&self, recorded: &Recorded) -> Option<String> {
        match (recorded, &self.response) {
            (
                Recorded::Response {
                    status,
                    headers,
                    body,
                },
                Ok(response),
            ) => {
                if *status != response.status {
                    Some(format!(
                        "recorded status {status}, replayed {}",
                        response.status
                    ))
                } else if *headers != response.headers {
                    Some("the response headers differ".to_string())
                } else if *body != response.body {
                    Some(format!(
                        "the response body differs ({} bytes recorded, {} replayed)",
                        body.len(),
                        response.body.len()
                    ))
                } else {
                    None
                }
            }
            (Recorded::Error { kind, .. }, Err(error)) if kind == error.kind() => None,
            (Recorded::Error { kind, .. }, Err(error)) => Some(format!(
                "recorded a failure ({kind}), replayed a different one ({})",
                error.kind()
            )),
            (Recorded::Error { kind, .. }, Ok(response)) => Some(format!(
                "recorded a failure ({kind}), replayed status {}",
                response.status
            )),
            (Recorded::Response { status, .. }, Err(error)) => Some(format!(
                "recorded status {status}, replayed a failure ({})",
                error.kind()
            )),
        }
    }
}

/// The largest S3 body shown in full in an outcome; larger ones appear as
/// their size and SHA-256.
const SHOWN_BODY_BYTES: usize = 16 * 1024;

impl Replayed {
    /// The outcome as a JSON document: what `replay --json` prints and what a
    /// snapshot holds. Stable: the same outcome gives the same document, and
    /// wall time (the one thing a replay does not fix) is left out.
    pub fn document(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let mut doc = Map::new();
        doc.insert("function".into(), json!(self.function));
        match &self.response {
            Ok(response) => {
                let mut fields = Map::new();
                fields.insert("status".into(), json!(response.status));
                fields.insert("headers".into(), json!(response.headers));
                let is_json = response
                    .header("content-type")
                    .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
                let parsed = is_json
                    .then(|| serde_json::from_slice::<Value>(&response.body).ok())
                    .flatten();
                match (parsed, std::str::from_utf8(&response.body)) {
                    (Some(value), _) => {
                        fields.insert("json".into(), value);
                    }
                    (None, Ok(text)) => {
                        fields.insert("body".into(), json!(text));
                    }
                    (None, Err(_)) => {
                        fields.insert("body_base64".into(), json!(base64_of(&response.body)));
                    }
                }
                doc.insert("response".into(), Value::Object(fields));
            }
            Err(error) => {
                doc.insert(
                    "error".into(),
                    json!({ "kind": error.kind(), "message": error.to_string() }),
                );
            }
        }
        let writes: Vec<Value> = self.writes.iter().map(Write::document).collect();
        doc.insert("writes".into(), Value::Array(writes));
        let logs: Vec<Value> = String::from_utf8_lossy(&self.logs)
            .lines()
            .map(|line| json!(line))
            .collect();
        doc.insert("logs".into(), Value::Array(logs));
        doc.insert(
            "usage".into(),
            json!({
                "fuel": self.usage.fuel,
                "peak_memory_bytes": self.usage.peak_memory_bytes,
            }),
        );
        Value::Object(doc)
    }
}

impl Write {
    /// One write as an outcome document lists it.
    pub fn document(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let mut fields = Map::new();
        match self {
            Write::KvPut {
                namespace,
                key,
                entry,
            } => {
                fields.insert("kv_put".into(), json!(namespace));
                fields.insert("key".into(), json!(key));
                match std::str::from_utf8(&entry.value) {
                    Ok(text) => fields.insert("value".into(), json!(text)),
                    Err(_) => fields.insert("value_base64".into(), json!(base64_of(&entry.value))),
                };
                if let Some(metadata) = &entry.metadata {
                    let value = serde_json::from_str(metadata).unwrap_or(json!(metadata));
                    fields.insert("metadata".into(), value);
                }
                if let Some(at) = entry.expiration_ns {
                    fields.insert("expiration".into(), json!(crate::calendar::rfc3339_ns(at)));
                }
            }
            Write::KvDelete { namespace, key } => {
                fields.insert("kv_delete".into(), json!(namespace));
                fields.insert("key".into(), json!(key));
            }
            Write::S3Put(object) => {
                let meta = &object.meta;
                fields.insert("s3_put".into(), json!(meta.bucket));
                fields.insert("key".into(), json!(meta.key));
                fields.insert("content_type".into(), json!(meta.content_type));
                if !meta.user_metadata.is_empty() {
                    fields.insert("metadata".into(), json!(meta.user_metadata));
                }
                fields.insert("size".into(), json!(meta.size));
                match std::str::from_utf8(&object.body) {
                    Ok(text) if object.body.len() <= SHOWN_BODY_BYTES => {
                        fields.insert("body".into(), json!(text));
                    }
                    _ => {
                        use sha2::Digest;
                        let digest = sha2::Sha256::digest(&object.body);
                        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                        fields.insert("body_sha256".into(), json!(hex));
                    }
                }
            }
            Write::S3Delete { bucket, key } => {
                fields.insert("s3_delete".into(), json!(bucket));
                fields.insert("key".into(), json!(key));
            }
        }
        Value::Object(fields)
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
