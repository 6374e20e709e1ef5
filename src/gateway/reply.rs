//! The responses the gateway sends: a function's own, and the gateway's pages
//! for everything that went wrong before, during or after the function ran.
//!
//! Error pages are plain text written for the developer reading them in curl
//! or a browser: what happened, which function, what it cost, the last lines of
//! its log, and how to fix it. Two headers make them machine-readable:
//! `x-wasmfaas-function` (who answered) and `x-wasmfaas-error` (a stable kind
//! such as `fuel_exhausted`).

use crate::abi::http::HttpResponse;
use crate::abi::{CallError, CallOutcome};
use crate::aws::apigw::{self, GatewayFailure};
use crate::config::{Abi, Function, PayloadFormat, Vendor};
use crate::deployment::{BuildFailure, Deployed, Deployment};
use crate::http_pool::reply::is_sendable_header;
use crate::human;
use crate::runtime::InvokeError;
use std::fmt::Write as _;

/// Header naming the function that answered (or failed to).
pub const FUNCTION_HEADER: &str = "x-wasmfaas-function";
/// Header with a stable error kind on gateway error pages.
pub const ERROR_HEADER: &str = "x-wasmfaas-error";
/// Header present while a function's latest build is broken and older code answers.
pub const STALE_HEADER: &str = "x-wasmfaas-stale";

/// Lines of the function's log shown on an error page.
const LOG_TAIL_LINES: usize = 20;

/// Response headers the gateway owns: framing is decided by the gateway, never
/// by the function (a wrong `content-length` from a guest would corrupt the
/// connection for the next request).
const HOP_BY_HOP: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
];

/// The shared response type, re-exported so the gateway's code names it
/// as its own; the constructors below are the gateway's.
pub use crate::http_pool::Reply;

/// A plain-text reply written by the gateway itself.
fn plain_text(status: u16, text: String) -> Reply {
    Reply::new(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(text.into_bytes())
}

/// An error page: plain text, with its stable `kind` in a header.
fn page(status: u16, kind: &str, body: String) -> Reply {
    plain_text(status, body).header(ERROR_HEADER, kind)
}

impl Reply {
    /// Marks the reply as coming from code older than the latest (failed) build.
    pub fn stale(self, failure: &BuildFailure) -> Reply {
        self.header(
            STALE_HEADER,
            format!(
                "build failed at {}; this response is from the last good build; \
                 see the wasmfaas console",
                human::utc(failure.at)
            ),
        )
    }
}

/// The reply to a function's outcome: its response, or the failure page
/// (API Gateway's error document for a `lambda` function).
pub fn for_outcome(function: &Function, outcome: &CallOutcome) -> Reply {
    match (&outcome.result, function.abi) {
        (Ok(response), _) => from_function(&function.name, response),
        (Err(error), Abi::Lambda { event }) => api_gateway_failure(&function.name, event, error),
        (Err(error), _) => function_failed(&function.name, error, outcome),
    }
}

/// A function's response, or a 502 if it cannot be sent as HTTP.
pub fn from_function(function: &str, response: &HttpResponse) -> Reply {
    if let Some((name, _)) = response
        .headers
        .iter()
        .find(|(name, value)| !is_sendable_header(name, value))
    {
        let problem = format!(
            "the function returned a malformed response: the value of header {name:?} is not \
             ASCII or contains a line break"
        );
        return page(502, "malformed_response", format!("{problem}\n"))
            .header(FUNCTION_HEADER, function.to_string());
    }
    let mut headers: Vec<(String, String)> = response
        .headers
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h)))
        .cloned()
        .collect();
    headers.push((FUNCTION_HEADER.to_string(), function.to_string()));
    Reply {
        headers,
        ..Reply::new(response.status).body(response.body.clone())
    }
}

/// The page for a function that produced no response.
pub fn function_failed(function: &str, error: &CallError, outcome: &CallOutcome) -> Reply {
    let status = match error {
        CallError::BodyTooLarge { .. } => 413,
        CallError::Invoke(InvokeError::Timeout { .. }) => 504,
        CallError::Envelope(_) | CallError::Lambda(_) | CallError::Cgi(_) => 502,
        CallError::Invoke(_) => 500,
    };
    let mut text = format!("function `{function}` failed: {error}\n");
    let _ = writeln!(text, "{}", human::usage(&outcome.usage));
    let tail = outcome.log_tail(LOG_TAIL_LINES);
    if tail.is_empty() {
        text.push_str("\nIt wrote nothing to stderr.\n");
    } else {
        let _ = writeln!(text, "\nLast lines of its stderr:");
        for line in tail.lines() {
            let _ = writeln!(text, "  {line}");
        }
    }
    page(status, error.kind(), text).header(FUNCTION_HEADER, function.to_string())
}

/// What API Gateway answers when a Lambda-style function behind it fails
/// (`docs/vendors.md`): its status and body exactly, so a client sees what
/// it would see on AWS. The details are in the console and in the
/// `x-wasmfaas-error` header, which AWS does not send.
pub fn api_gateway_failure(function: &str, format: PayloadFormat, error: &CallError) -> Reply {
    let failure = match error {
        CallError::BodyTooLarge { .. } => GatewayFailure::RequestTooLarge,
        CallError::Invoke(InvokeError::Timeout { .. }) => GatewayFailure::Timeout,
        CallError::Lambda(_) | CallError::Envelope(_) | CallError::Cgi(_) => {
            GatewayFailure::MalformedResponse
        }
        CallError::Invoke(_) => GatewayFailure::FunctionError,
    };
    let response = apigw::gateway_error(format, failure);
    Reply {
        headers: response.headers,
        ..Reply::new(response.status).body(response.body)
    }
    .header(ERROR_HEADER, error.kind().to_string())
    .header(FUNCTION_HEADER, function.to_string())
}

/// The health page: `ok` and each function's state, one per line.
pub fn health(deployment: &Deployment) -> Reply {
    let mut text = String::from("ok\n");
    for (name, deployed) in &deployment.functions {
        let state = match (&deployed.module, &deployed.stale) {
            (Some(_), None) => "ready",
            (Some(_), Some(_)) => "stale",
            (None, _) => "not_built",
        };
        let _ = writeln!(text, "{name} {state}");
    }
    plain_text(200, text)
}

/// 400 for a request the gateway cannot make sense of.
pub fn bad_request(problem: &str) -> Reply {
    page(400, "bad_request", format!("Bad request: {problem}\n"))
}

/// 404, listing every route so a typo is easy to spot.
/// Under `vendor = "aws"`, API Gateway's answer instead (an HTTP API's 404
/// `{"message":"Not Found"}`), with the route list left to the console.
pub fn not_found(method: &str, path: &str, deployment: &Deployment) -> Reply {
    if deployment.project.vendor == Vendor::Aws {
        return Reply {
            problem: Some(format!("no route matches {method} {path}")),
            ..Reply::new(404)
                .header("content-type", "application/json")
                .body(br#"{"message":"Not Found"}"#.to_vec())
        }
        .header(ERROR_HEADER, "no_route");
    }
    let mut text = format!("No route matches {method} {path}\n\n");
    let routes: Vec<_> = deployment.all_routes().collect();
    if routes.is_empty() {
        text.push_str("This project has no routes; add `routes = [\"GET /path\"]` to a function in wasmfaas.toml.\n");
    } else {
        text.push_str("Routes in this project:\n");
        let width = routes.iter().map(|(_, r)| r.text.len()).max().unwrap_or(0);
        for (deployed, route) in routes {
            let _ = writeln!(
                text,
                "  {:width$}  → {}",
                route.text, deployed.function.name
            );
        }
    }
    page(404, "no_route", text)
}

/// 405 with the `Allow` header.
pub fn method_not_allowed(method: &str, path: &str, allowed: &[String]) -> Reply {
    let list = allowed.join(", ");
    page(
        405,
        "method_not_allowed",
        format!("{method} is not allowed on {path}; allowed: {list}\n"),
    )
    .header("allow", list)
}

/// 413 before the guest runs.
pub fn too_large(function: &str, size: u64, limit: u64) -> Reply {
    page(
        413,
        "body_too_large",
        format!(
            "The request body ({size} bytes) is over the limit of function `{function}` \
             (`limits.max_body_bytes` = {limit}); send less, or raise the limit in \
             wasmfaas.toml\n"
        ),
    )
    .header(FUNCTION_HEADER, function.to_string())
}

/// 503 for a function with no working build: the compiler's error, or that
/// the first build is still running.
pub fn never_built(deployed: &Deployed) -> Reply {
    let name = &deployed.function.name;
    let text = match &deployed.stale {
        Some(failure) => format!(
            "Function `{name}` has no working build yet. The build failed:\n\n{}\n\n\
             Fix the error and save; wasmfaas rebuilds on every change.\n",
            failure.message
        ),
        None => format!("Function `{name}` is still building; retry in a moment.\n"),
    };
    page(503, "not_built", text).header(FUNCTION_HEADER, name.clone())
}
