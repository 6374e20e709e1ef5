//! One request, from tiny_http to a function and back.
//!
//! Everything that can be refused without running a guest is refused first and
//! cheaply: a target that is not a path (400), no route (404), a route with
//! other methods (405), a body over the function's limit (413, judged from
//! `Content-Length` before reading a byte when the client sends one), and a
//! function that has never built (503 with the compiler's error).

use super::reply::{self, Reply};
use crate::abi::http::{CallError, Connection, HttpRequest};
use crate::abi::{self, Input};
use crate::activity::{Activity, ActivitySink, RequestRecord};
use crate::bindings::ObjectChange;
use crate::config::Abi;
use crate::deployment::{Deployed, Deployment, RouteMatch};
use crate::record::{Recorder, http_trigger};
use crate::runtime::Context;
use crate::triggers::EventSink;
use std::io::Read;
use std::time::{Instant, SystemTime};

/// Answered by the gateway itself, without running a function: readiness for
/// scripts and tests, and the HTTP layer's own cost in benchmarks.
pub const HEALTH_PATH: &str = "/__wasmfaas/health";

/// Answers `request` from `deployment` and reports it to `activity`.
pub fn handle(
    deployment: &Deployment,
    mut request: tiny_http::Request,
    activity: &ActivitySink,
    events: &EventSink,
    recorder: &Recorder,
) {
    let started = Instant::now();
    let at = SystemTime::now();
    let method = request.method().as_str().to_string();
    let target = request.url().to_string();
    let mut record = RequestRecord {
        at,
        status: 0,
        method,
        target,
        function: None,
        usage: None,
        elapsed: Default::default(),
        logs: Vec::new(),
        error: None,
        stale: false,
    };
    let mut changes = Vec::new();
    let reply = answer(
        deployment,
        recorder,
        &mut request,
        &mut record,
        &mut changes,
    );
    record.status = reply.status;
    if let Err(error) = request.respond(reply.into_response()) {
        // The client went away; the log line says so instead of the status.
        record.error = Some(format!("could not send the response: {error}"));
    }
    record.elapsed = started.elapsed();
    activity.send(Activity::Request(record));
    events.submit(changes, 0);
}

fn answer(
    deployment: &Deployment,
    recorder: &Recorder,
    request: &mut tiny_http::Request,
    record: &mut RequestRecord,
    changes: &mut Vec<ObjectChange>,
) -> Reply {
    let Some((path, query)) = split_target(&record.target) else {
        return reply::bad_request(&format!(
            "the request target {:?} is not a path; send a path such as `/hello?name=Ada`",
            record.target
        ));
    };
    if let Some(problem) = bad_escape(path) {
        return reply::bad_request(&problem);
    }
    if path == HEALTH_PATH {
        return reply::health(deployment);
    }
    let (deployed, mut matched) = match deployment.route(&record.method, path) {
        RouteMatch::Found { deployed, matched } => (deployed, matched),
        RouteMatch::MethodNotAllowed { allowed } => {
            return reply::method_not_allowed(&record.method, path, &allowed);
        }
        RouteMatch::NotFound => return reply::not_found(&record.method, path, deployment),
    };
    let function = &deployed.function;
    record.function = Some(function.name.clone());
    record.stale = deployed.stale.is_some();
    let Some(module) = &deployed.module else {
        return reply::never_built(deployed);
    };
    let limit = function.limits.max_body_bytes;
    let body = match read_body(request, limit) {
        Ok(body) => body,
        Err(BodyError::TooLarge { size }) => {
            let reply = match function.abi {
                Abi::Lambda { event } => reply::api_gateway_failure(
                    &function.name,
                    event,
                    &CallError::BodyTooLarge { size, limit },
                ),
                _ => reply::too_large(&function.name, size, limit),
            };
            return stale_marked(deployed, reply);
        }
        Err(BodyError::Read(error)) => {
            return reply::bad_request(&format!("could not read the request body: {error}"));
        }
    };
    let http_request = HttpRequest {
        method: record.method.clone(),
        path: path.to_string(),
        query: query.to_string(),
        params: std::mem::take(&mut matched.params),
        headers: request
            .headers()
            .iter()
            .map(|header| (header.field.to_string(), header.value.to_string()))
            .collect(),
        body,
        connection: connection_of(request),
    };
    let context = Context::live();
    let access = recorder.access_for(&deployed.access);
    let input = Input::Http {
        request: &http_request,
        route: Some(&matched.route.route),
        resource: Some(matched.resource()),
    };
    let mut outcome = abi::call(module, function, input, context, Some(access));
    recorder.record(
        &function.name,
        || http_trigger(&http_request),
        context,
        &mut outcome,
    );
    record.usage = Some(outcome.usage);
    let reply = match (&outcome.result, function.abi) {
        (Ok(response), _) => reply::from_function(&function.name, response),
        (Err(error), Abi::Lambda { event }) => {
            reply::api_gateway_failure(&function.name, event, error)
        }
        (Err(error), _) => reply::function_failed(&function.name, error, &outcome),
    };
    if let Err(error) = &outcome.result {
        record.error = Some(error.to_string());
    } else if let Some(problem) = &reply.problem {
        record.error = Some(problem.clone());
    }
    record.logs = outcome.logs;
    *changes = outcome.changes;
    stale_marked(deployed, reply)
}

/// The largest body the listener reads for `request`, judged from its head:
/// the routed function's `limits.max_body_bytes`, so an upload over it gets
/// its 413 before a byte is read. A request no function will run (unknown
/// route, wrong method, never built) has its body left unread; its answer
/// ends the connection.
pub fn body_limit(deployment: &Deployment, request: &tiny_http::Request) -> u64 {
    let Some((path, _)) = split_target(request.url()) else {
        return 0;
    };
    match deployment.function_for(request.method().as_str(), path) {
        Some(deployed) if deployed.module.is_some() => deployed.function.limits.max_body_bytes,
        _ => 0,
    }
}

/// Adds the stale-code header when the function's latest build failed.
fn stale_marked(deployed: &Deployed, reply: Reply) -> Reply {
    match &deployed.stale {
        Some(failure) => reply.stale(failure),
        None => reply,
    }
}

/// Splits a request target into path and query. Absolute-form targets
/// (`http://host/path`, which proxies send) are reduced to their path; anything
/// else that does not start with `/` (`*`, garbage) is not a path.
fn split_target(target: &str) -> Option<(&str, &str)> {
    let origin_form = if target.starts_with('/') {
        target
    } else {
        let rest = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))?;
        rest.find('/').map_or("/", |slash| &rest[slash..])
    };
    Some(match origin_form.split_once('?') {
        Some((path, query)) => (path, query),
        None => (origin_form, ""),
    })
}

/// Describes the first `%` in `path` not followed by two hex digits, if any.
fn bad_escape(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let position = bytes.iter().enumerate().position(|(i, &b)| {
        b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })?;
    Some(format!(
        "the path {path:?} has a `%` at byte {position} that is not followed by two hex digits; \
         write a literal `%` as `%25`"
    ))
}

enum BodyError {
    TooLarge { size: u64 },
    Read(std::io::Error),
}

/// Reads the body, refusing more than `limit` bytes: up front from
/// `Content-Length`, or when the listener refused a chunked body over the
/// limit it was given (see [`body_limit`]).
fn read_body(request: &mut tiny_http::Request, limit: u64) -> Result<Vec<u8>, BodyError> {
    let declared = request.body_length().map(|n| n as u64);
    if let Some(size) = declared
        && size > limit
    {
        return Err(BodyError::TooLarge { size });
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0) as usize);
    request
        .as_reader()
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|error| match tiny_http::BodyTooLarge::in_error(&error) {
            Some(refused) => BodyError::TooLarge {
                size: declared.unwrap_or(refused.limit.saturating_add(1)),
            },
            None => BodyError::Read(error),
        })?;
    if body.len() as u64 > limit {
        return Err(BodyError::TooLarge {
            size: body.len() as u64,
        });
    }
    Ok(body)
}

/// How `request` reached the gateway, from its socket; `None` only for a
/// Unix socket, which tiny_http can also serve but the gateway never binds.
fn connection_of(request: &tiny_http::Request) -> Option<Connection> {
    let version = request.http_version();
    Some(Connection {
        peer: *request.remote_addr()?,
        local: *request.local_addr()?,
        protocol: format!("HTTP/{}.{}", version.0, version.1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_path_and_query() {
        assert_eq!(split_target("/a/b?x=1&y"), Some(("/a/b", "x=1&y")));
        assert_eq!(split_target("/"), Some(("/", "")));
        assert_eq!(split_target("http://localhost:8080/p?q"), Some(("/p", "q")));
        assert_eq!(split_target("http://localhost:8080"), Some(("/", "")));
        assert_eq!(split_target("*"), None);
        assert_eq!(split_target("hello"), None);
    }

    #[test]
    fn broken_percent_escapes_are_found() {
        assert!(bad_escape("/a%20b/%2F").is_none());
        assert!(bad_escape("/100%").unwrap().contains("byte 4"));
        assert!(bad_escape("/%zz").is_some());
        assert!(bad_escape("/%4").is_some());
    }
}
