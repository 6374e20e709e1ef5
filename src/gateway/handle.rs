//! One request, from tiny_http to a function and back.
//!
//! Everything that can be refused without running a guest is refused first and
//! cheaply: a target that is not a path (400), no route (404), a route with
//! other methods (405), a body over the function's limit (413, judged from
//! `Content-Length` before reading a byte when the client sends one), and a
//! function that has never built (503 with the compiler's error).

use super::reply::{self, Reply};
use crate::abi::CallError;
use crate::abi::Input;
use crate::abi::http::{Connection, HttpRequest};
use crate::activity::RequestRecord;
use crate::config::Abi;
use crate::deployment::{Deployed, Deployment, RouteMatch};
use crate::http_pool::Body;
use crate::pipeline::{Answer, Call, Line, Pipeline};
use crate::router::Matched;
use crate::runtime::{Context, LoadedModule};
use std::io::Read;

/// Answered by the gateway itself, without running a function: readiness for
/// scripts and tests, and the HTTP layer's own cost in benchmarks.
pub const HEALTH_PATH: &str = "/__wasmfaas/health";

/// Answers `request` from `deployment`: refused here, or run through
/// `pipeline`, which records and reports it.
pub fn handle(deployment: &Deployment, mut request: tiny_http::Request, pipeline: &Pipeline) {
    let line = Line::starting(request.method().as_str(), request.url());
    let (reply, deployed) = match prepare(deployment, &mut request, &line) {
        Prepared::Run {
            deployed,
            module,
            request: http_request,
            matched,
        } => {
            let input = Input::Http {
                request: &http_request,
                route: Some(&matched),
            };
            let call =
                Call::of_deployed(deployment, deployed, module, input, Context::live(), line);
            pipeline.run_answering(call, |outcome| {
                let mut reply =
                    stale_marked(deployed, reply::for_outcome(&deployed.function, outcome));
                if outcome.result.is_err() {
                    // An error page quotes the function's output: no secrets.
                    if let Body::Bytes(body) = &mut reply.body {
                        deployment.redactor.in_place(body);
                    }
                }
                let problem = match &outcome.result {
                    Err(error) => Some(error.to_string()),
                    Ok(_) => reply.problem.clone(),
                };
                send(request, reply, problem)
            });
            return;
        }
        Prepared::Refused { reply, deployed } => (reply, deployed),
    };
    let record = RequestRecord {
        at: line.at,
        status: reply.status,
        method: line.method,
        target: line.target,
        function: deployed.map(|d| d.function.name.clone()),
        usage: None,
        elapsed: Default::default(),
        logs: Vec::new(),
        error: None,
        stale: deployed.is_some_and(|d| d.stale.is_some()),
    };
    let answer = send(request, reply, None);
    pipeline.report(RequestRecord {
        status: answer.status,
        error: answer.problem,
        elapsed: line.started.elapsed(),
        ..record
    });
}

/// Sends `reply`; what the log line shows of it.
fn send(request: tiny_http::Request, reply: Reply, problem: Option<String>) -> Answer {
    let status = reply.status;
    let problem = match request.respond(reply.into_response()) {
        // The client went away; the log line says so instead of the status.
        Err(error) => Some(format!("could not send the response: {error}")),
        Ok(()) => problem,
    };
    Answer { status, problem }
}

/// A request ready to run, or refused without running a function.
// One per request, moved once, never stored: boxing the large variant would
// only add an allocation to the request path.
#[allow(clippy::large_enum_variant)]
enum Prepared<'d> {
    Run {
        deployed: &'d Deployed,
        module: &'d LoadedModule,
        request: HttpRequest,
        matched: Matched<'d>,
    },
    Refused {
        reply: Reply,
        /// The function it was meant for, when routing got that far.
        deployed: Option<&'d Deployed>,
    },
}

/// Routes `request` and reads its body, or refuses it.
fn prepare<'d>(
    deployment: &'d Deployment,
    request: &mut tiny_http::Request,
    line: &Line,
) -> Prepared<'d> {
    let refused = |reply| Prepared::Refused {
        reply,
        deployed: None,
    };
    let Some((path, query)) = split_target(&line.target) else {
        return refused(reply::bad_request(&format!(
            "the request target {:?} is not a path; send a path such as `/hello?name=Ada`",
            line.target
        )));
    };
    if let Some(problem) = bad_escape(path) {
        return refused(reply::bad_request(&problem));
    }
    if path == HEALTH_PATH {
        return refused(reply::health(deployment));
    }
    let (deployed, mut matched) = match deployment.route(&line.method, path) {
        RouteMatch::Found { deployed, matched } => (deployed.as_ref(), matched),
        RouteMatch::MethodNotAllowed { allowed } => {
            return refused(reply::method_not_allowed(&line.method, path, &allowed));
        }
        RouteMatch::NotFound => return refused(reply::not_found(&line.method, path, deployment)),
    };
    let refused = |reply| Prepared::Refused {
        reply: stale_marked(deployed, reply),
        deployed: Some(deployed),
    };
    let function = &deployed.function;
    let Some(module) = &deployed.module else {
        return refused(reply::never_built(deployed));
    };
    let limit = function.limits.max_body_bytes;
    let body = match read_body(request, limit) {
        Ok(body) => body,
        Err(BodyError::TooLarge { size }) => {
            return refused(match function.abi {
                Abi::Lambda { event } => reply::api_gateway_failure(
                    &function.name,
                    event,
                    &CallError::BodyTooLarge { size, limit },
                ),
                _ => reply::too_large(&function.name, size, limit),
            });
        }
        Err(BodyError::Read(error)) => {
            return refused(reply::bad_request(&format!(
                "could not read the request body: {error}"
            )));
        }
    };
    let request = HttpRequest {
        method: line.method.clone(),
        path: path.to_string(),
        query: query.to_string(),
        // The request carries the parameters the guest sees; the match
        // keeps the route and the raw parameters the `lambda` ABI names.
        params: std::mem::take(&mut matched.params),
        headers: request
            .headers()
            .iter()
            .map(|header| (header.field.to_string(), header.value.to_string()))
            .collect(),
        body,
        connection: connection_of(request),
    };
    Prepared::Run {
        deployed,
        module,
        request,
        matched,
    }
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
pub(super) fn stale_marked(deployed: &Deployed, reply: Reply) -> Reply {
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
