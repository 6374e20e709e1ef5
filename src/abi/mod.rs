//! Guest ABIs: how a trigger becomes the bytes a guest reads, and how the bytes it
//! writes become a response.
//!
//! Each ABI (`abi = "..."` in config) lives in its own file and owns both
//! directions of its conversion; [`call`] picks the function's. ABIs sit
//! between the callers (gateway, event dispatch, CLI, replay) and the
//! [`runtime`](crate::runtime), which only ever sees stdin, stdout, the
//! environment and stderr.

pub mod cgi;
pub mod http;
pub mod lambda;

use crate::bindings::Access;
use crate::config::{Abi, Function, Route};
use crate::runtime::{Context, LoadedModule};
use http::{HttpOutcome, HttpRequest};
use serde_json::Value;
use std::sync::Arc;

/// What invokes a function.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// An HTTP request, and the route that matched it (`None` when invoked
    /// directly on a function without routes).
    Http {
        request: &'a HttpRequest,
        route: Option<&'a Route>,
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
    pub fn to_request(&self) -> HttpRequest {
        match self {
            Input::Http { request, .. } => (*request).clone(),
            Input::Event { source, payload } => HttpRequest {
                method: "POST".into(),
                path: "/".into(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    (TRIGGER_HEADER.into(), (*source).to_string()),
                ],
                body: serde_json::to_vec(payload).unwrap_or_default(),
                ..HttpRequest::default()
            },
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
) -> HttpOutcome {
    match function.abi {
        Abi::Http => http::call(module, function, &input.to_request(), context, bindings),
        Abi::Lambda { event } => lambda::call(module, function, event, input, context, bindings),
        Abi::Cgi => cgi::call(module, function, input, context, bindings),
    }
}
