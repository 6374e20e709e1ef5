//! Guest ABIs: how a trigger becomes the bytes a guest reads, and how the bytes it
//! writes become a response.
//!
//! Each ABI (`abi = "..."` in config) lives in its own file and owns both
//! directions of its conversion; [`call`] picks the function's. ABIs sit
//! between the [`pipeline`](crate::pipeline), which every caller runs through, and the
//! [`runtime`](crate::runtime), which only ever sees stdin, stdout, the
//! environment and stderr.

pub mod cgi;
pub mod http;
pub mod lambda;
mod outcome;

pub use outcome::{CallError, CallOutcome};

use crate::bindings::Access;
use crate::config::{Abi, Function};
use crate::router::Matched;
use crate::runtime::{Context, Invocation, LoadedModule, Report};
use http::HttpRequest;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// What invokes a function.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// An HTTP request, and the route that matched it, as the route table
    /// compiled it (`None` when a function is invoked directly on a path
    /// none of its routes matches).
    Http {
        request: &'a HttpRequest,
        route: Option<&'a Matched<'a>>,
    },
    /// An event delivery: `source` is `s3`, `schedule`, `sqs` or `event` (one
    /// given to `invoke --event`), `payload` the event as AWS delivers it.
    Event { source: &'a str, payload: &'a Value },
}

/// The header marking a request as an event delivery to an `http` or `cgi`
/// function, which receive events as `POST /` with the event as the body.
pub const TRIGGER_HEADER: &str = "x-wasmfaas-trigger";

impl Input<'_> {
    /// The request an `http` or `cgi` function gets: the request itself, or
    /// for an event `POST /` with the event JSON as the body
    /// (`docs/abi.md`).
    /// Borrowed for a request, so the per-request path copies nothing.
    pub fn to_request(&self) -> Cow<'_, HttpRequest> {
        match self {
            Input::Http { request, .. } => Cow::Borrowed(request),
            Input::Event { source, payload } => Cow::Owned(HttpRequest {
                method: "POST".into(),
                path: "/".into(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    (TRIGGER_HEADER.into(), (*source).to_string()),
                ],
                body: serde_json::to_vec(payload).unwrap_or_default(),
                ..HttpRequest::default()
            }),
        }
    }
}

/// Runs `function` (already loaded as `module`) on `input` through the
/// function's ABI, under its limits.
pub fn call(
    module: &LoadedModule,
    function: &Function,
    input: Input<'_>,
    context: Context,
    bindings: Option<Arc<Access>>,
) -> CallOutcome {
    match function.abi {
        Abi::Http => http::call(module, function, &input.to_request(), context, bindings),
        Abi::Lambda { event } => lambda::call(module, function, event, input, context, bindings),
        Abi::Cgi => cgi::call(module, function, input, context, bindings),
    }
}

/// Refuses a request body over `limits.max_body_bytes` before the guest
/// runs: the one check every ABI makes on what it is about to send.
fn check_body(function: &Function, body: &[u8]) -> Result<(), CallError> {
    let size = body.len() as u64;
    let limit = function.limits.max_body_bytes;
    if size > limit {
        return Err(CallError::BodyTooLarge { size, limit });
    }
    Ok(())
}

/// Runs the guest under the function's limits, with its name as `argv[0]`.
fn run(
    module: &LoadedModule,
    function: &Function,
    stdin: Vec<u8>,
    env: Vec<(String, String)>,
    context: Context,
    bindings: Option<Arc<Access>>,
) -> Report {
    module.invoke_with(
        function.instances,
        Invocation {
            stdin,
            args: vec![function.name.clone()],
            env,
            context,
            limits: &function.limits,
            bindings,
        },
    )
}

/// The function's `env` from config, as the guest's environment.
fn config_env(function: &Function) -> impl Iterator<Item = (String, String)> + '_ {
    function.env.iter().map(|(k, v)| (k.clone(), v.clone()))
}
