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

/// Sends `request` within what the invocation has left.
fn send(
    call: &Call<'_>,
    access: &Access,
    effects: &mut Effects,
    request: FetchRequest,
) -> Result<FetchResponse, HostCallError> {
    let calls = match &access.network {
        Network::Live => None,
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
        Network::Replay(calls) => Some(calls),
    };
    if let Some(calls) = calls {
        // The grants as they are now: a call the config no longer allows is
        // denied as it would be live, and the recording is not consumed.
        let url = crate::config::outbound::parse_url(&request.url)
            .map_err(|why| HostCallError::new(Status::InvalidArgument, why))?;
        if !access.outbound.iter().any(|rule| rule.allows(&url)) {
            let denied = FetchError::Denied {
                function: access.function.clone(),
                url: request.url,
                origin: url.origin.to_string(),
            };
            return Err(HostCallError::new(Status::Denied, denied.to_string()));
        }
        return calls
            .answer(&request)
            .map_err(|failure| HostCallError::new(status_of(&failure.kind), failure.message));
    }
    let spent = &mut effects.outbound;
    let mut budget = Budget {
        subrequests: access.subrequests.saturating_sub(spent.subrequests),
        response_bytes: access.memory_limit.saturating_sub(spent.response_bytes),
    };
    let before = budget;
    // Kept for the fixture only when recording: the request is sent as is.
    let recorded_request = effects.capture.is_some().then(|| request.clone());
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
    let result = result.map_err(|error| RecordedFailure {
        kind: error.kind().to_string(),
        message: error.to_string(),
    });
    if let (Some(capture), Some(request)) = (&mut effects.capture, recorded_request) {
        capture.outbound.push(Exchange {
            request,
            response: result.clone(),
        });
    }
    result.map_err(|failure| HostCallError::new(status_of(&failure.kind), failure.message))
}

/// The ABI status of a failure of kind `kind` ([`FetchError::kind`]).
fn status_of(kind: &str) -> Status {
    match kind {
        "denied" => Status::Denied,
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
