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
use serde::Deserialize;
use std::sync::Arc;

// The envelope's contents are the crate's neutral HTTP vocabulary, shared
// with the vendor event shapes (`aws`) that must not depend on an ABI.
pub(crate) use crate::http::is_token;
pub use crate::http::{Connection, HttpRequest, HttpResponse};

/// The version written into every request head.
pub const VERSION: u32 = 1;

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
        decode_response_owned(stdout).map_err(CallError::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

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
