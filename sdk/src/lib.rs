//! Write wasmfaas functions in Rust.
//!
//! ```no_run
//! use wasmfaas_sdk::{Response, json, serve};
//!
//! fn main() {
//!     serve(|req| {
//!         let name = req.query_param("name").unwrap_or_else(|| "world".to_owned());
//!         let message = json::string(&format!("Hello, {name}!"));
//!         Response::json(format!("{{\"message\":{message}}}"))
//!     });
//! }
//! ```
//!
//! A function is a WASI command run once per request: the host writes a one-line
//! JSON head and the raw body to stdin, and reads the response head and body back
//! from stdout. The full contract (the `http` ABI, version 1) is specified in
//! `docs/abi.md` in the wasmfaas repository; build with
//! `cargo build --target wasm32-wasip1`. Log with `eprintln!`: stderr is the log,
//! while stdout belongs to the response.

#![warn(missing_docs)]

mod head;
pub mod json;

use std::fmt;
use std::io::{self, Read, Write};

/// Exit code for a malformed request envelope (`EX_SOFTWARE`).
const EXIT_ENVELOPE: i32 = 70;
/// Exit code when stdin or stdout fails (`EX_IOERR`).
const EXIT_IO: i32 = 74;

/// Runs `handler` on the request read from stdin and writes its response to stdout.
///
/// On a malformed envelope it prints why to stderr and exits with code 70; on an
/// I/O error, with code 74. The host reports either as a function error.
pub fn serve(handler: impl FnOnce(Request) -> Response) {
    // Typical requests fit, so reading them needs no reallocation.
    let mut input = Vec::with_capacity(16 * 1024);
    if let Err(e) = io::stdin().lock().read_to_end(&mut input) {
        fail(EXIT_IO, &format!("cannot read the request: {e}"));
    }
    let request = match head::parse(input) {
        Ok(request) => request,
        Err(e) => fail(EXIT_ENVELOPE, &format!("{e} (see docs/abi.md)")),
    };
    let envelope = handler(request).envelope();
    // Anything the handler printed to stdout goes first, so the host sees a broken
    // head and says so, rather than the stray text silently extending the body.
    let flushed = io::stdout().flush();
    if let Err(e) = flushed.and_then(|()| write_stdout(&envelope)) {
        fail(EXIT_IO, &format!("cannot write the response: {e}"));
    }
}

fn fail(code: i32, message: &str) -> ! {
    eprintln!("wasmfaas-sdk: {message}");
    std::process::exit(code)
}

/// Writes straight to fd 1: std's line-buffered stdout would split the envelope
/// at its last newline, and every write is a host call.
#[cfg(any(unix, target_os = "wasi"))]
fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    use std::os::fd::FromRawFd;
    // SAFETY: fd 1 stays open for the life of the process and ManuallyDrop keeps
    // this borrowed `File` from closing it.
    let mut out = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
    out.write_all(bytes)?;
    out.flush()
}

#[cfg(not(any(unix, target_os = "wasi")))]
fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// Why a request envelope could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeError {
    message: String,
}

impl EnvelopeError {
    fn new(message: impl Into<String>) -> Self {
        EnvelopeError {
            message: message.into(),
        }
    }
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed request envelope: {}", self.message)
    }
}

impl std::error::Error for EnvelopeError {}

/// An HTTP request as the host delivered it.
#[derive(Clone)]
pub struct Request {
    method: String,
    path: String,
    query: String,
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// The whole stdin; the body is its tail, so it is never copied.
    input: Vec<u8>,
    body_start: usize,
}

impl Request {
    /// Parses a request envelope: a one-line JSON head, `\n`, then the body.
    ///
    /// Unknown keys are ignored. `v` (which must be 1), `method` and `path` are
    /// required; if `body_len` is present it must equal the number of body bytes.
    ///
    /// # Errors
    /// An [`EnvelopeError`] saying what is wrong and, for JSON errors, where.
    pub fn parse(envelope: &[u8]) -> Result<Request, EnvelopeError> {
        head::parse(envelope.to_vec())
    }

    /// The method, uppercase (`GET`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path as sent, still percent-encoded (`/users/42`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string without `?` (`""` if none).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The first query parameter called `name`, percent-decoded with `+` as space.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .find(|(k, _)| decode(k) == name)
            .map(|(_, v)| decode(v))
    }

    /// Every query parameter in order, percent-decoded with `+` as space.
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.query_pairs()
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }

    fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let pairs = self.query.split('&').filter(|p| !p.is_empty());
        pairs.map(|p| p.split_once('=').unwrap_or((p, "")))
    }

    /// The route parameter `name` (for `/users/{id}`, `param("id")`), percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        // Like most JSON readers, a repeated key's last value wins.
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every route parameter.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_all(name).next()
    }

    /// Every value of the header `name` in arrival order (such as `cookie` or `accept`).
    pub fn header_all(&self, name: &str) -> impl Iterator<Item = &str> {
        let matching = self
            .headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name));
        matching.map(|(_, v)| v.as_str())
    }

    /// Every header as a `(name, value)` pair in arrival order, names lowercase.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The raw body bytes.
    pub fn body(&self) -> &[u8] {
        &self.input[self.body_start..]
    }

    /// The body as text, or `None` if it is not valid UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(self.body()).ok()
    }
}

/// Shows the body's length, not its bytes, which could be megabytes.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("params", &self.params)
            .field("headers", &self.headers)
            .field("body_len", &self.body().len())
            .finish()
    }
}

/// Percent-decodes a query component; invalid `%` sequences stay as they are and
/// invalid UTF-8 becomes U+FFFD, because a lookup should not fail on a bad URL.
fn decode(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return s.to_owned();
    }
    let (b, mut out, mut i) = (s.as_bytes(), Vec::with_capacity(s.len()), 0);
    let hex = |i: usize| b.get(i).and_then(|&c| (c as char).to_digit(16));
    while i < b.len() {
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'+', ..) => out.push(b' '),
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            (c, ..) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// An HTTP response to hand back to the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// An empty response with `status` (the host rejects anything outside 100..=599).
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A 200 response with a `text/plain; charset=utf-8` body.
    pub fn text(body: impl Into<String>) -> Response {
        Response::new(200)
            .with_header("content-type", "text/plain; charset=utf-8")
            .with_body(body.into())
    }

    /// A 200 response with an `application/json` body (see [`json::string`]).
    pub fn json(body: impl Into<String>) -> Response {
        Response::new(200)
            .with_header("content-type", "application/json")
            .with_body(body.into())
    }

    /// Replaces the status.
    pub fn with_status(mut self, status: u16) -> Response {
        self.status = status;
        self
    }

    /// Adds a header; it never replaces one, so repeats such as `set-cookie` work.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers in the order they were added.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Writes the response envelope (JSON head, `\n`, body) with a single `write_all`.
    ///
    /// # Errors
    /// Whatever `out` returns.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.envelope())
    }

    /// Builds the envelope in one buffer sized up front, so it is written in one call.
    fn envelope(&self) -> Vec<u8> {
        let names: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 8)
            .sum();
        let mut head = String::with_capacity(32 + names + self.body.len());
        head.push_str("{\"status\":");
        head.push_str(&self.status.to_string());
        head.push_str(",\"headers\":[");
        for (i, (name, value)) in self.headers.iter().enumerate() {
            head.push_str(if i == 0 { "[" } else { ",[" });
            json::push_string(&mut head, name);
            head.push(',');
            json::push_string(&mut head, value);
            head.push(']');
        }
        head.push_str("]}\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

#[cfg(test)]
mod tests;
