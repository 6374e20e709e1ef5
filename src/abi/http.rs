//! The `http` ABI, version 1: HTTP requests and responses as stdin/stdout envelopes.
//!
//! An envelope is one line of JSON (the head) and then the raw body bytes to the
//! end of the stream. The body is never encoded, so any bytes round-trip exactly
//! and a 10 MiB upload stays 10 MiB; the head is JSON so that a guest in any
//! language can read it. The authoritative description is `docs/abi.md`.

use crate::bindings::{Access, Capture, ObjectChange};
use crate::config::Function;
use crate::runtime::{Context, InvokeError, LoadedModule, Report, Usage};
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

/// Why a call through the `http` ABI produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The request body exceeds `limits.max_body_bytes`; the guest never ran.
    #[error(
        "the request body is {size} bytes, over `limits.max_body_bytes` = {limit}; \
         send less or raise the limit"
    )]
    BodyTooLarge { size: u64, limit: u64 },
    /// The guest failed while running.
    #[error("the function {0}")]
    Invoke(#[from] InvokeError),
    /// The guest ended normally but its output is not a valid response.
    #[error("the function returned a malformed response: {0}")]
    Envelope(#[from] EnvelopeError),
    /// A Lambda handler's return value is not what API Gateway accepts.
    #[error("the handler returned a malformed response: {0}")]
    Lambda(#[from] crate::aws::apigw::LambdaResponseError),
    /// A CGI program's output is not a CGI response.
    #[error("the program wrote a malformed CGI response: {0}")]
    Cgi(#[from] super::cgi::CgiResponseError),
}

impl CallError {
    /// A short, stable name for logs, headers and JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::BodyTooLarge { .. } => "body_too_large",
            CallError::Invoke(inner) => inner.kind(),
            CallError::Envelope(_) | CallError::Lambda(_) | CallError::Cgi(_) => {
                "malformed_response"
            }
        }
    }
}

/// A completed call: the response or why there is none, plus logs and usage.
#[derive(Debug)]
pub struct HttpOutcome {
    pub result: Result<HttpResponse, CallError>,
    /// The function's log (stderr).
    pub logs: Vec<u8>,
    pub usage: Usage,
    /// Objects it wrote or deleted through its bindings (for S3 triggers).
    pub changes: Vec<ObjectChange>,
    /// The initial state it touched, when its bindings were recording.
    pub capture: Option<Capture>,
}

impl HttpOutcome {
    /// An outcome for a call refused before the guest ran.
    pub fn refused(error: CallError) -> HttpOutcome {
        HttpOutcome {
            result: Err(error),
            logs: Vec::new(),
            usage: Usage::default(),
            changes: Vec::new(),
            capture: None,
        }
    }

    /// The outcome of a run: a normal exit's stdout is read by the ABI's
    /// `read`, a failure stays the failure.
    pub fn from_report(
        report: Report,
        read: impl FnOnce(Vec<u8>) -> Result<HttpResponse, CallError>,
    ) -> HttpOutcome {
        HttpOutcome {
            result: report.result.map_err(CallError::from).and_then(read),
            logs: report.stderr,
            usage: report.usage,
            changes: report.changes,
            capture: report.capture,
        }
    }

    /// The last `lines` lines of the function's log.
    pub fn log_tail(&self, lines: usize) -> String {
        crate::runtime::log_tail(&self.logs, lines)
    }
}

/// Serialises `request` into the stdin envelope.
///
/// Written straight into one buffer sized for head and body, header names
/// lowercased as they are written: serialising a head struct with serde made
/// a lowercased copy of every header name and grew the buffer several times.
/// The bytes are exactly what `serde_json` writes for the same head (a test
/// holds them to it): a guest's fuel depends on them, and fuel is recorded.
pub fn encode_request(request: &HttpRequest) -> Vec<u8> {
    let strings = request.method.len()
        + request.path.len()
        + request.query.len()
        + request
            .params
            .iter()
            .map(|(k, v)| k.len() + v.len() + 6)
            .sum::<usize>()
        + request
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 8)
            .sum::<usize>();
    // Escapes are rare; the fixed keys take under 80 bytes.
    let mut out = Vec::with_capacity(96 + strings + 1 + request.body.len());
    out.extend_from_slice(b"{\"v\":");
    push_decimal(&mut out, u64::from(VERSION));
    out.extend_from_slice(b",\"method\":");
    push_json_string(&mut out, &request.method, false);
    out.extend_from_slice(b",\"path\":");
    push_json_string(&mut out, &request.path, false);
    out.extend_from_slice(b",\"query\":");
    push_json_string(&mut out, &request.query, false);
    out.extend_from_slice(b",\"params\":{");
    for (i, (name, value)) in request.params.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_string(&mut out, name, false);
        out.push(b':');
        push_json_string(&mut out, value, false);
    }
    out.extend_from_slice(b"},\"headers\":[");
    for (i, (name, value)) in request.headers.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"[" } else { b",[" });
        push_json_string(&mut out, name, true);
        out.push(b',');
        push_json_string(&mut out, value, false);
        out.push(b']');
    }
    out.extend_from_slice(b"],\"body_len\":");
    push_decimal(&mut out, request.body.len() as u64);
    out.extend_from_slice(b"}\n");
    out.extend_from_slice(&request.body);
    out
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it, and
/// ASCII-lowercased if `lowercase`.
fn push_json_string(out: &mut Vec<u8>, text: &str, lowercase: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut run = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            b'A'..=b'Z' if lowercase => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..at]);
        run = at + 1;
        match byte {
            b'A'..=b'Z' => out.push(byte.to_ascii_lowercase()),
            0..=0x1f if escape.is_empty() => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 15)]);
            }
            _ => out.extend_from_slice(escape),
        }
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

fn push_decimal(out: &mut Vec<u8>, n: u64) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{n}");
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

/// [`decode_response`] of stdout the caller owns: the body is moved to the
/// front of the same buffer instead of copied into a new one.
///
/// # Errors
/// As [`decode_response`].
fn decode_response_owned(mut stdout: Vec<u8>) -> Result<HttpResponse, EnvelopeError> {
    let Some(newline) = stdout.iter().position(|&b| b == b'\n') else {
        return decode_response(&stdout);
    };
    let head = decode_response(&stdout[..=newline])?;
    stdout.drain(..=newline);
    Ok(HttpResponse {
        body: stdout,
        ..head
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
) -> HttpOutcome {
    if let Err(error) = super::check_body(function, &request.body) {
        return HttpOutcome::refused(error);
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
    HttpOutcome::from_report(report, |stdout| {
        decode_response_owned(stdout).map_err(CallError::from)
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

    /// The head as `encode_request` wrote it with serde before it was
    /// written by hand: the bytes must not change, or recorded fuel would.
    #[derive(Serialize)]
    struct SerdeHead<'a> {
        v: u32,
        method: &'a str,
        path: &'a str,
        query: &'a str,
        params: &'a BTreeMap<String, String>,
        headers: Vec<(String, &'a str)>,
        body_len: usize,
    }

    #[test]
    fn the_hand_written_head_is_byte_for_byte_what_serde_json_writes() {
        let every_ascii: String = (0u8..0x80).map(char::from).collect();
        let awkward = [
            "",
            "plain",
            "Mixed-Case",
            "quote \" back \\ slash",
            "tab\tnew\nline\rcr\u{8}\u{c}\u{1}\u{1f}\u{7f}",
            "café ☕ 🦀 \u{2028}",
            &every_ascii,
        ];
        for text in awkward {
            let request = HttpRequest {
                method: text.into(),
                path: text.into(),
                query: text.into(),
                params: [
                    (text.to_string(), text.to_string()),
                    ("id".into(), "42".into()),
                ]
                .into(),
                headers: vec![(text.into(), text.into()), ("X-Up".into(), "V".into())],
                body: b"a body".to_vec(),
                connection: None,
            };
            let head = SerdeHead {
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
            let mut expected = serde_json::to_vec(&head).unwrap();
            expected.push(b'\n');
            expected.extend_from_slice(&request.body);
            assert_eq!(
                String::from_utf8_lossy(&encode_request(&request)),
                String::from_utf8_lossy(&expected),
                "{text:?}"
            );
            assert_eq!(encode_request(&request), expected);
        }
    }

    #[test]
    fn an_owned_response_decodes_as_a_borrowed_one() {
        for out in [
            &b"{\"status\":201,\"headers\":[[\"a\",\"b\"]]}\nthe body\n\x00\xff"[..],
            b"{}\n",
            b"{\"status\":700}\nx",
            b"no newline",
            b"",
        ] {
            assert_eq!(decode_response_owned(out.to_vec()), decode_response(out));
        }
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
