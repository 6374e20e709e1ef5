//! The `http` ABI, version 1: HTTP requests and responses as stdin/stdout envelopes.
//!
//! An envelope is one line of JSON (the head) and then the raw body bytes to the
//! end of the stream. The body is never encoded, so any bytes round-trip exactly
//! and a 10 MiB upload stays 10 MiB; the head is JSON so that a guest in any
//! language can read it. The authoritative description is `docs/abi.md`.

use super::{CallError, CallOutcome};
use crate::bindings::Access;
use crate::config::Function;
use crate::runtime::{Context, LoadedModule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// The version written into every request head.
pub const VERSION: u32 = 1;

/// An HTTP request as the gateway or `wasmfaas invoke` hands it to a function.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Upper-case method, e.g. `GET`.
    pub method: String,
    /// The path as sent, still percent-encoded.
    pub path: String,
    /// The raw query string, without `?`.
    #[serde(default)]
    pub query: String,
    /// Route parameters, percent-decoded.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Header pairs in arrival order; repeats kept.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body, byte for byte.
    #[serde(default)]
    pub body: Vec<u8>,
    /// How the request reached the gateway; `None` for a request made by
    /// hand (`invoke`, `event generate`) or recorded before this was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
}

/// How a request reached the gateway: the facts CGI's `REMOTE_ADDR`,
/// `REMOTE_PORT`, `SERVER_PORT` and `SERVER_PROTOCOL` and API Gateway's
/// `sourceIp` report, taken from the socket rather than invented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The client's address and port.
    pub peer: SocketAddr,
    /// The address and port the client connected to.
    pub local: SocketAddr,
    /// The protocol the client spoke, e.g. `HTTP/1.1`.
    pub protocol: String,
}

impl Connection {
    /// What the ABIs report for a request without a connection: a client on
    /// this machine speaking HTTP/1.1 to the port its `Host` header names
    /// (80 when it names none).
    pub fn assumed(host: Option<&str>) -> Connection {
        let port = host
            .and_then(|host| host.rsplit_once(':'))
            .and_then(|(_, port)| port.parse().ok())
            .unwrap_or(80);
        Connection {
            peer: SocketAddr::from(([127, 0, 0, 1], 0)),
            local: SocketAddr::from(([127, 0, 0, 1], port)),
            protocol: "HTTP/1.1".to_string(),
        }
    }
}

/// A function's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }
}

impl HttpRequest {
    /// How the request reached the gateway, or what is assumed when that is
    /// not known (see [`Connection::assumed`]).
    pub fn connection(&self) -> Connection {
        self.connection
            .clone()
            .unwrap_or_else(|| Connection::assumed(self.header("host")))
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }
}

fn first_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The request head as it goes over the wire.
#[derive(Serialize)]
struct RequestHead<'a> {
    v: u32,
    method: &'a str,
    path: &'a str,
    query: &'a str,
    params: &'a BTreeMap<String, String>,
    headers: Vec<(String, &'a str)>,
    body_len: usize,
}

/// The response head as a guest writes it.
#[derive(Deserialize)]
struct ResponseHead {
    #[serde(default = "default_status")]
    status: i64,
    #[serde(default)]
    headers: Vec<(String, String)>,
}

fn default_status() -> i64 {
    200
}

/// A response envelope that does not follow the ABI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error(
        "the function wrote nothing to stdout; an `http` function must write a response \
         envelope (see docs/abi.md)"
    )]
    Empty,
    #[error(
        "the response head is not terminated by a newline (stdout starts with {start:?}); \
         write one JSON line, `\\n`, then the body"
    )]
    NoNewline { start: String },
    #[error("the response head is not valid JSON ({reason}); it starts with {start:?}")]
    InvalidHead { reason: String, start: String },
    #[error("the response status {status} is not between 100 and 599")]
    BadStatus { status: i64 },
    #[error("the response header name {name:?} is not a valid HTTP header name")]
    BadHeaderName { name: String },
    #[error(
        "the value of response header {name:?} contains a control character (CR, LF or \
         another); a header value is one line of text"
    )]
    BadHeaderValue { name: String },
}

/// Serialises `request` into the stdin envelope.
pub fn encode_request(request: &HttpRequest) -> Vec<u8> {
    let head = RequestHead {
        v: VERSION,
        method: &request.method,
        path: &request.path,
        query: &request.query,
        params: &request.params,
        headers: request
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str()))
            .collect(),
        body_len: request.body.len(),
    };
    // Serialising plain strings and integers cannot fail.
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    out.reserve_exact(1 + request.body.len());
    out.push(b'\n');
    out.extend_from_slice(&request.body);
    out
}

/// Parses a guest's stdout as a response envelope.
///
/// # Errors
/// An [`EnvelopeError`] saying what is wrong and what the ABI expects.
pub fn decode_response(stdout: &[u8]) -> Result<HttpResponse, EnvelopeError> {
    if stdout.is_empty() {
        return Err(EnvelopeError::Empty);
    }
    let Some(newline) = stdout.iter().position(|&b| b == b'\n') else {
        return Err(EnvelopeError::NoNewline {
            start: preview(stdout),
        });
    };
    let head: ResponseHead =
        serde_json::from_slice(&stdout[..newline]).map_err(|error| EnvelopeError::InvalidHead {
            reason: error.to_string(),
            start: preview(stdout),
        })?;
    if !(100..=599).contains(&head.status) {
        return Err(EnvelopeError::BadStatus {
            status: head.status,
        });
    }
    if let Some((name, _)) = head.headers.iter().find(|(name, _)| !is_token(name)) {
        return Err(EnvelopeError::BadHeaderName { name: name.clone() });
    }
    check_header_values(&head.headers)?;
    Ok(HttpResponse {
        status: head.status as u16,
        headers: head.headers,
        body: stdout[newline + 1..].to_vec(),
    })
}

/// Refuses a response header whose value holds a control character other
/// than tab: a CR or LF would end the header early and let the guest (or
/// whoever chose the value) write headers of its own (response splitting).
///
/// # Errors
/// [`EnvelopeError::BadHeaderValue`] naming the first such header.
pub(crate) fn check_header_values(headers: &[(String, String)]) -> Result<(), EnvelopeError> {
    match headers
        .iter()
        .find(|(_, value)| value.chars().any(|c| c.is_control() && c != '\t'))
    {
        Some((name, _)) => Err(EnvelopeError::BadHeaderValue { name: name.clone() }),
        None => Ok(()),
    }
}

/// An RFC 9110 token: what a header name may consist of.
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The first bytes of a stream, readable, for error messages.
pub(crate) fn preview(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(60)];
    let text = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > cut.len() {
        format!("{text}…")
    } else {
        text
    }
}

/// Runs `function` (already loaded as `module`) on `request`, under the
/// function's limits.
pub fn call(
    module: &LoadedModule,
    function: &Function,
    request: &HttpRequest,
    context: Context,
    bindings: Option<Arc<Access>>,
) -> CallOutcome {
    if let Err(error) = super::check_body(function, &request.body) {
        return CallOutcome::refused(error);
    }
    let env = super::config_env(function).collect();
    let report = super::run(
        module,
        function,
        encode_request(request),
        env,
        context,
        bindings,
    );
    CallOutcome::from_report(report, |stdout| {
        decode_response(&stdout).map_err(CallError::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Response splitting: a guest's header value with CR LF reached the
    /// response head as a second header.
    #[test]
    fn a_header_value_with_a_line_break_or_control_character_is_refused() {
        for value in [
            "a\\r\\nSet-Cookie: pwn=1",
            "a\\nb",
            "bell\\u0007",
            "esc\\u001b[31m",
        ] {
            let out = format!("{{\"headers\":[[\"x-ok\",\"1\"],[\"x-bad\",\"{value}\"]]}}\n");
            assert_eq!(
                decode_response(out.as_bytes()).unwrap_err(),
                EnvelopeError::BadHeaderValue {
                    name: "x-bad".into()
                },
                "{value}"
            );
        }
        let tab = decode_response(b"{\"headers\":[[\"x-tab\",\"a\\tb\"]]}\n").unwrap();
        assert_eq!(tab.header("x-tab"), Some("a\tb"));
    }

    #[test]
    fn a_request_envelope_is_a_json_line_then_the_raw_body() {
        let body: Vec<u8> = (0..=255).collect();
        let request = HttpRequest {
            method: "POST".into(),
            path: "/up".into(),
            query: "a=1".into(),
            headers: vec![("X-Two".into(), "1".into()), ("x-two".into(), "2".into())],
            body: body.clone(),
            ..HttpRequest::default()
        };
        let bytes = encode_request(&request);
        let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
        let head: serde_json::Value = serde_json::from_slice(&bytes[..newline]).unwrap();
        assert_eq!(head["v"], 1);
        assert_eq!(head["body_len"], 256);
        assert_eq!(head["headers"][0][0], "x-two");
        assert_eq!(head["headers"][1][1], "2");
        assert_eq!(&bytes[newline + 1..], &body[..]);
    }

    #[test]
    fn a_response_without_a_status_defaults_to_200_and_keeps_binary_bodies() {
        let mut out = b"{\"headers\":[[\"set-cookie\",\"a\"],[\"set-cookie\",\"b\"]]}\n".to_vec();
        out.extend([0u8, 10, 255, 13]);
        let response = decode_response(&out).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.headers.len(), 2);
        assert_eq!(response.body, vec![0u8, 10, 255, 13]);
    }

    #[test]
    fn malformed_responses_say_what_is_wrong() {
        assert_eq!(decode_response(b""), Err(EnvelopeError::Empty));
        assert!(matches!(
            decode_response(b"hello"),
            Err(EnvelopeError::NoNewline { .. })
        ));
        assert!(matches!(
            decode_response(b"{nope\n"),
            Err(EnvelopeError::InvalidHead { .. })
        ));
        assert_eq!(
            decode_response(b"{\"status\":700}\n"),
            Err(EnvelopeError::BadStatus { status: 700 })
        );
        assert!(matches!(
            decode_response(b"{\"headers\":[[\"bad name\",\"x\"]]}\n"),
            Err(EnvelopeError::BadHeaderName { .. })
        ));
    }
}
