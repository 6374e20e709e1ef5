//! Outbound HTTP and service calls (docs/abi.md, "Outbound HTTP" and
//! "Service calls"): blocking, like the other bindings.
//!
//! ```no_run
//! use wasmfaas_sdk::http::{self, Request};
//!
//! // An origin the config grants: `outbound = ["https://api.example.com"]`.
//! let rates = http::fetch(&Request::get("https://api.example.com/v1/rates"))?;
//! let eur = rates.text().unwrap_or_default();
//!
//! // Another function of the project: `services = ["pricing"]`.
//! let quote = http::fetch(
//!     &Request::post("service://pricing/quote", r#"{"sku":"A1"}"#)
//!         .with_header("content-type", "application/json"),
//! )?;
//! assert_eq!(quote.status(), 200);
//! # Ok::<(), wasmfaas_sdk::Error>(())
//! ```
//!
//! HTTP statuses (404, 500) are responses, not errors. Errors are the
//! host's: [`ErrorKind::Denied`](crate::ErrorKind::Denied) for a URL or
//! service the config does not grant, [`ErrorKind::Unreachable`] when no
//! answer came, [`ErrorKind::Limit`] past `limits.subrequests` or for a
//! loop of service calls.
//!
//! [`ErrorKind::Unreachable`]: crate::ErrorKind::Unreachable
//! [`ErrorKind::Limit`]: crate::ErrorKind::Limit

use crate::json::{self, Value};
use crate::{Error, ErrorKind, host};

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    follow_redirects: bool,
}

impl Request {
    /// A request with `method` to `url` (`https://…`, `http://…`, or
    /// `service://NAME/path`).
    pub fn new(method: &str, url: impl Into<String>) -> Request {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            follow_redirects: false,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Request {
        Request::new("GET", url)
    }

    /// `POST url` with `body`.
    pub fn post(url: impl Into<String>, body: impl Into<Vec<u8>>) -> Request {
        Request::new("POST", url).with_body(body)
    }

    /// Adds a header (repeats are kept, in order).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Follows redirects (each one checked against the grants and counted
    /// as a subrequest) instead of returning the `3xx`.
    pub fn follow_redirects(mut self) -> Request {
        self.follow_redirects = true;
        self
    }

    /// The envelope `http_fetch` reads: a JSON head line, then the body.
    fn envelope(&self) -> Vec<u8> {
        let mut head = String::from("{\"method\":");
        json::push_string(&mut head, &self.method);
        head.push_str(",\"url\":");
        json::push_string(&mut head, &self.url);
        head.push_str(",\"headers\":[");
        for (index, (name, value)) in self.headers.iter().enumerate() {
            if index > 0 {
                head.push(',');
            }
            head.push('[');
            json::push_string(&mut head, name);
            head.push(',');
            json::push_string(&mut head, value);
            head.push(']');
        }
        head.push(']');
        if self.follow_redirects {
            head.push_str(",\"redirect\":\"follow\"");
        }
        head.push_str("}\n");
        let mut envelope = head.into_bytes();
        envelope.extend_from_slice(&self.body);
        envelope
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The URL that answered (after redirects).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every header, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body, byte for byte.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, if it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

/// Sends `request` and waits for the response.
///
/// # Errors
/// The host's [`Error`] (see the module's documentation);
/// [`ErrorKind::Malformed`] if its answer cannot be read.
pub fn fetch(request: &Request) -> Result<Response, Error> {
    let answer = host::http_fetch(&request.envelope())?;
    parse_response(answer)
}

/// The host's answer: a JSON head line, then the body.
fn parse_response(mut answer: Vec<u8>) -> Result<Response, Error> {
    let malformed = |why: &str| Error::new(ErrorKind::Malformed, format!("http_fetch: {why}"));
    let newline = answer
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| malformed("no head line"))?;
    let head = Value::parse(&answer[..newline]).map_err(|e| malformed(&e.to_string()))?;
    let status = head
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| malformed("no status"))?;
    let url = head
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let headers = head
        .get("headers")
        .and_then(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(|pair| {
            let pair = pair.as_array()?;
            Some((
                pair.first()?.as_str()?.to_string(),
                pair.get(1)?.as_str()?.to_string(),
            ))
        })
        .collect();
    let body = answer.split_off(newline + 1);
    Ok(Response {
        status,
        url,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_a_json_head_then_the_body() {
        let request = Request::post("service://pricing/q?a=1", "body\"x")
            .with_header("x-a", "1 \"q\"")
            .follow_redirects();
        let envelope = request.envelope();
        let newline = envelope.iter().position(|&b| b == b'\n').unwrap();
        let head = Value::parse(&envelope[..newline]).unwrap();
        assert_eq!(head.get("method").and_then(Value::as_str), Some("POST"));
        assert_eq!(
            head.get("url").and_then(Value::as_str),
            Some("service://pricing/q?a=1")
        );
        assert_eq!(head.get("redirect").and_then(Value::as_str), Some("follow"));
        let pair = head.get("headers").and_then(Value::as_array).unwrap()[0].clone();
        assert_eq!(pair.as_array().unwrap()[1].as_str(), Some("1 \"q\""));
        assert_eq!(&envelope[newline + 1..], b"body\"x");
    }

    #[test]
    fn the_hosts_answer_parses_into_a_response() {
        let answer =
            b"{\"status\":201,\"url\":\"http://x/y\",\"headers\":[[\"X-A\",\"1\"]]}\nhello"
                .to_vec();
        let response = parse_response(answer).unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.url(), "http://x/y");
        assert_eq!(response.header("x-a"), Some("1"));
        assert_eq!(response.text(), Some("hello"));
        let error = parse_response(b"no newline".to_vec()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Malformed);
    }
}
