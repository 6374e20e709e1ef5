//! `http_fetch`: outbound HTTP requests (`docs/abi.md`, "Outbound HTTP").
//!
//! The request is an envelope like the `http` ABI's: one line of JSON
//! (`method`, `url`, `headers` as pairs, `redirect`: `"manual"` (default)
//! or `"follow"`), `\n`, then the body bytes. The staged result is the
//! response the same way: `{"status", "url", "headers"}`, `\n`, the body.
//! The grants, limits and the client are [`crate::outbound`]'s.

use super::Network;
use super::call::Call;
use super::{Access, BindingsView, Effects, HostCallError, MODULE, Status, host_call};
use crate::outbound::{
    self, Budget, Exchange, FetchError, FetchRequest, FetchResponse, RecordedFailure,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use wasmi::{Caller, Error, Linker};

pub(super) fn add_to_linker<T: BindingsView + 'static>(
    linker: &mut Linker<T>,
) -> Result<(), Error> {
    linker.func_wrap(MODULE, "http_fetch", http_fetch::<T>)?;
    Ok(())
}

/// The request head a guest writes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestHead {
    #[serde(default = "get")]
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    redirect: Redirect,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Redirect {
    #[default]
    Manual,
    Follow,
}

/// The response head a guest reads.
#[derive(Debug, Serialize)]
struct ResponseHead<'a> {
    status: u16,
    url: &'a str,
    headers: &'a [(String, String)],
}

fn http_fetch<T: BindingsView>(
    mut caller: Caller<'_, T>,
    request: i32,
    request_len: i32,
) -> Result<i64, Error> {
    host_call(&mut caller, &[request_len], |call, access, effects| {
        let request = decode(call.bytes(request, request_len)?)?;
        let response = send(call, access, effects, request)?;
        Ok(encode(&response))
    })
}

/// The guest's envelope as a request.
fn decode(envelope: &[u8]) -> Result<FetchRequest, HostCallError> {
    let invalid = |why: String| HostCallError::new(Status::InvalidArgument, why);
    let newline = envelope.iter().position(|&b| b == b'\n').ok_or_else(|| {
        invalid("the request has no head line: write one JSON line, `\\n`, then the body".into())
    })?;
    let head: RequestHead = serde_json::from_slice(&envelope[..newline]).map_err(|error| {
        invalid(format!(
            "the request head is not {{\"method\", \"url\", \"headers\", \"redirect\"}}: {error}"
        ))
    })?;
    Ok(FetchRequest {
        method: head.method.to_ascii_uppercase(),
        url: head.url,
        headers: head.headers,
        body: envelope[newline + 1..].to_vec(),
        follow_redirects: head.redirect == Redirect::Follow,
    })
}

/// Where a request goes, once its grant is checked.
enum Target {
    /// Another function of the project (`service://NAME/path?query`).
    Service {
        name: String,
        path: String,
        query: String,
    },
    /// An origin in `outbound`.
    Outbound,
}

/// The scheme of service calls.
const SERVICE_SCHEME: &str = "service://";

impl Target {
    /// Checks `request` against the grants: a service in `services`, a URL
    /// in `outbound` (its redirects are checked as they come).
    fn of(access: &Access, request: &FetchRequest) -> Result<Target, HostCallError> {
        if let Some(rest) = request.url.strip_prefix(SERVICE_SCHEME) {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (name, tail) = rest.split_at(end);
            if !access.services.iter().any(|service| service == name) {
                return Err(HostCallError::new(
                    Status::Denied,
                    format!(
                        "function `{}` may not call the service `{name}`; add \"{name}\" to \
                         `services = [...]` under [functions.{}] in wasmfaas.toml",
                        access.function, access.function
                    ),
                ));
            }
            let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
            return Ok(Target::Service {
                name: name.to_string(),
                path: if path.is_empty() { "/" } else { path }.to_string(),
                query: query.to_string(),
            });
        }
        let url = crate::config::outbound::parse_url(&request.url)
            .map_err(|why| HostCallError::new(Status::InvalidArgument, why))?;
        if !access.outbound.iter().any(|rule| rule.allows(&url)) {
            let denied = FetchError::Denied {
                function: access.function.clone(),
                url: request.url.clone(),
                origin: url.origin.to_string(),
            };
            return Err(HostCallError::new(Status::Denied, denied.to_string()));
        }
        Ok(Target::Outbound)
    }
}

/// Sends `request` within what the invocation has left: to the network or
/// a service when live, from the recording in a replay. Live calls are
/// recorded when the invocation is.
fn send(
    call: &Call<'_>,
    access: &Access,
    effects: &mut Effects,
    request: FetchRequest,
) -> Result<FetchResponse, HostCallError> {
    let target = Target::of(access, &request)?;
    match &access.network {
        Network::Live => {}
        Network::Offline => {
            return Err(HostCallError::new(
                Status::Unreachable,
                format!(
                    "`{}` called {} where no network is allowed (a replay without a recording \
                     of its calls)",
                    access.function, request.url
                ),
            ));
        }
        Network::Replay(calls) => {
            return calls
                .answer(&request)
                .map_err(|failure| HostCallError::new(status_of(&failure.kind), failure.message));
        }
    }
    // Kept for the fixture only when recording: the request is sent as is.
    let recorded_request = effects.capture.is_some().then(|| request.clone());
    let result = match target {
        Target::Outbound => fetch(call, access, effects, request),
        Target::Service { name, path, query } => {
            call_service(access, effects, request, &name, path, query)
        }
    };
    if let (Some(capture), Some(request)) = (&mut effects.capture, recorded_request) {
        capture.outbound.push(Exchange {
            request,
            response: result.clone(),
        });
    }
    result.map_err(|failure| HostCallError::new(status_of(&failure.kind), failure.message))
}

/// An outbound request, within the invocation's budget.
fn fetch(
    call: &Call<'_>,
    access: &Access,
    effects: &mut Effects,
    request: FetchRequest,
) -> Result<FetchResponse, RecordedFailure> {
    let spent = &mut effects.outbound;
    let mut budget = Budget {
        subrequests: access.subrequests.saturating_sub(spent.subrequests),
        response_bytes: access.memory_limit.saturating_sub(spent.response_bytes),
    };
    let before = budget;
    // No deadline (a test harness): a bound that still ends a stuck call.
    let time_left = call.time_left.unwrap_or(Duration::from_secs(30));
    let result = outbound::fetch(
        &access.function,
        &access.outbound,
        request,
        &mut budget,
        time_left,
    );
    spent.subrequests += before.subrequests - budget.subrequests;
    spent.response_bytes += before.response_bytes - budget.response_bytes;
    result.map_err(|error| RecordedFailure {
        kind: error.kind().to_string(),
        message: error.to_string(),
    })
}

/// The most functions one chain of service calls may pass through.
const MAX_SERVICE_DEPTH: usize = 8;

/// A call of another function of the project, counted as a subrequest.
fn call_service(
    access: &Access,
    effects: &mut Effects,
    request: FetchRequest,
    name: &str,
    path: String,
    query: String,
) -> Result<FetchResponse, RecordedFailure> {
    let failure = |kind: &str, message: String| RecordedFailure {
        kind: kind.to_string(),
        message,
    };
    let Some((runner, callers)) = &access.runner else {
        return Err(failure(
            "unreachable",
            format!(
                "`{}` calls the service `{name}`, and service calls run under `wasmfaas dev` \
                 (one-off commands run one function)",
                access.function
            ),
        ));
    };
    let chain: Vec<&str> = callers
        .iter()
        .map(String::as_str)
        .chain([access.function.as_str(), name])
        .collect();
    if callers.iter().any(|f| f == name) || name == access.function {
        return Err(failure(
            "loop",
            format!(
                "service calls loop: {}; a function may not call back into the chain that \
                 called it",
                chain.join(" → ")
            ),
        ));
    }
    if chain.len() > MAX_SERVICE_DEPTH {
        return Err(failure(
            "loop",
            format!(
                "service calls nest deeper than {MAX_SERVICE_DEPTH}: {}",
                chain.join(" → ")
            ),
        ));
    }
    if effects.outbound.subrequests >= access.subrequests {
        return Err(failure(
            "too_many",
            format!(
                "function `{}` has made its {} outbound requests (service calls count); raise \
                 `limits.subrequests` or make fewer calls",
                access.function, access.subrequests
            ),
        ));
    }
    effects.outbound.subrequests += 1;
    let url = request.url.clone();
    let http_request = crate::abi::http::HttpRequest {
        method: request.method,
        path,
        query,
        headers: request.headers,
        body: request.body,
        ..Default::default()
    };
    runner
        .call(&access.function, callers, name, http_request)
        .map(|response| FetchResponse {
            status: response.status,
            headers: response.headers,
            body: response.body,
            url,
        })
        .map_err(|message| failure("unreachable", message))
}

/// The ABI status of a failure of kind `kind` ([`FetchError::kind`]).
fn status_of(kind: &str) -> Status {
    match kind {
        "denied" => Status::Denied,
        "loop" => Status::Limit,
        "invalid" => Status::InvalidArgument,
        "too_many" => Status::Limit,
        "too_large" => Status::TooLarge,
        _ => Status::Unreachable,
    }
}

/// The response as the guest reads it.
fn encode(response: &FetchResponse) -> Vec<u8> {
    let head = ResponseHead {
        status: response.status,
        url: &response.url,
        headers: &response.headers,
    };
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    out.push(b'\n');
    out.extend_from_slice(&response.body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_envelope_decodes_with_defaults() {
        let request = decode(b"{\"url\":\"http://127.0.0.1:1/x\"}\nbody").unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.body, b"body");
        assert!(!request.follow_redirects);
        let request =
            decode(b"{\"method\":\"post\",\"url\":\"u\",\"redirect\":\"follow\"}\n").unwrap();
        assert_eq!(request.method, "POST");
        assert!(request.follow_redirects);
    }

    #[test]
    fn a_bad_envelope_is_an_invalid_argument_saying_why() {
        let error = decode(b"{\"url\":1}").unwrap_err();
        assert_eq!(error.status, Status::InvalidArgument);
        assert!(error.message.contains("no head line"), "{}", error.message);
        let error = decode(b"{\"uri\":\"x\"}\n").unwrap_err();
        assert!(error.message.contains("unknown field"), "{}", error.message);
    }
}
