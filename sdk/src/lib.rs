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
//! Or let [`http_main!`] write `main`, and the function can also run on a warm
//! instance (`instances = "warm"`), which serves many requests in a row.
//!
//! A function is a WASI command run once per request: the host writes a one-line
//! JSON head and the raw body to stdin, and reads the response head and body back
//! from stdout. The full contract (the `http` ABI, version 1) is specified in
//! `docs/abi.md` in the wasmfaas repository; build with
//! `cargo build --target wasm32-wasip1`. Log with `eprintln!`: stderr is the log,
//! while stdout belongs to the response.
//!
//! # Cost
//! The guest runs in an interpreter that charges fuel for every instruction, on
//! every request. A [`Request`] borrows its strings from the envelope instead of
//! copying them, and on `wasm32-wasip1` the SDK installs its own allocator for
//! objects up to 16 KiB (cargo feature `allocator`, on by default), whose calls
//! cost a few dozen instructions where the system `malloc` costs thousands of
//! fuel. Larger buffers still come from the system allocator. To install your own
//! `#[global_allocator]`, depend on the SDK with `default-features = false`.
//!
//! # KV and S3
//! [`kv::Kv`] and [`s3::Bucket`] reach the KV namespaces and S3 buckets the
//! function's config grants (`kv = [...]`, `s3 = [...]` in `wasmfaas.toml`),
//! through the host module `wasmfaas` (its contract is in `docs/abi.md` too).
//! Every call returns a [`Result`] whose [`Error`] carries the host's status and
//! message; getters answer `Ok(None)` for a missing key. Results arrive as small
//! binary records, so no JSON is parsed in the interpreter. Outside wasmfaas (a
//! native `cargo test`) the calls exist but answer [`ErrorKind::Unavailable`].
//!
//! ```no_run
//! use wasmfaas_sdk::{Response, kv::Kv, serve};
//!
//! fn main() {
//!     serve(|_req| {
//!         let visits = Kv::open("CACHE");
//!         let count = match visits.get_text("count") {
//!             Ok(count) => count.and_then(|c| c.parse().ok()).unwrap_or(0u64) + 1,
//!             Err(e) => return Response::text(e.to_string()).with_status(500),
//!         };
//!         if let Err(e) = visits.put("count", count.to_string()) {
//!             return Response::text(e.to_string()).with_status(500);
//!         }
//!         Response::text(format!("visit {count}"))
//!     });
//! }
//! ```

#![warn(missing_docs)]

#[cfg(any(
    test,
    all(
        feature = "allocator",
        target_os = "wasi",
        not(target_feature = "atomics")
    )
))]
mod alloc;
mod base64;
mod binary;
mod error;
mod head;
mod host;
pub mod http;
pub mod json;
mod json_value;
pub mod kv;
pub mod lambda;
pub mod s3;
mod stdio;

pub use error::{Error, ErrorKind};

/// Small allocations are the SDK's own (see the `alloc` module); on by default
/// through the `allocator` feature, only where there are no threads.
#[cfg(all(
    feature = "allocator",
    target_os = "wasi",
    not(target_feature = "atomics")
))]
#[global_allocator]
static ALLOCATOR: alloc::SmallObjects = alloc::SmallObjects::new();

use head::{Pairs, Text};
use std::fmt;
use std::io::{self, IoSlice, Write};
use std::ops::Range;
use std::sync::OnceLock;

/// Exit code for a malformed request envelope (`EX_SOFTWARE`).
const EXIT_ENVELOPE: i32 = 70;
/// Exit code when stdin or stdout fails (`EX_IOERR`).
const EXIT_IO: i32 = 74;

/// Runs `handler` on the request read from stdin and writes its response to stdout.
///
/// On a malformed envelope it prints why to stderr and exits with code 70; on an
/// I/O error, with code 74. The host reports either as a function error.
pub fn serve(handler: impl FnOnce(Request) -> Response) {
    // `serve` is compiled into each function with its handler; what does not
    // depend on the handler lives in the two calls around it, compiled once.
    // Keeping this body small matters: the interpreter charges a function's
    // straight-line code on every call, run or not.
    let response = handler(read_request());
    send(&response);
}

/// The request on stdin; on failure, exits as [`serve`] documents.
#[inline(never)]
fn read_request() -> Request {
    let input = match stdio::read_stdin() {
        Ok(input) => input,
        Err(e) => fail_io("cannot read the request", e),
    };
    match head::parse(input) {
        Ok(request) => request,
        Err(e) => fail_envelope(e),
    }
}

/// Writes `response` to stdout; on failure, exits as [`serve`] documents.
#[inline(never)]
fn send(response: &Response) {
    // Anything the handler printed to stdout goes first, so the host sees a broken
    // head and says so, rather than the stray text silently extending the body.
    let flushed = io::stdout().flush();
    let written =
        flushed.and_then(|()| stdio::write_stdout(response.head().as_bytes(), &response.body));
    if let Err(e) = written {
        fail_io("cannot write the response", e);
    }
}

#[cold]
#[inline(never)]
fn fail_io(what: &str, e: io::Error) -> ! {
    fail(EXIT_IO, &format!("{what}: {e}"))
}

#[cold]
#[inline(never)]
fn fail_envelope(e: EnvelopeError) -> ! {
    fail(EXIT_ENVELOPE, &format!("{e} (see docs/abi.md)"))
}

/// Defines the function's entry points for `handler`: `main`, which serves
/// one request per fresh instance, and the export `wasmfaas_handle`, which
/// serves one request per call on a warm instance (`instances = "warm"`).
///
/// ```no_run
/// use wasmfaas_sdk::{Request, Response};
///
/// fn hello(_req: Request) -> Response {
///     Response::text("hello")
/// }
///
/// wasmfaas_sdk::http_main!(hello);
/// ```
///
/// Under `instances = "warm"` statics and the heap survive from one request
/// to the next (a cache in a `static` is reused, as on Lambda or Workers);
/// the request, stdout and stderr are new each time. A function that must
/// not keep state between requests should keep the default `"fresh"`.
#[macro_export]
macro_rules! http_main {
    ($handler:expr) => {
        fn main() {
            $crate::serve($handler);
        }

        /// One request on a warm instance (wasmfaas `docs/abi.md`,
        /// "Warm instances").
        #[unsafe(no_mangle)]
        pub extern "C" fn wasmfaas_handle() {
            $crate::serve($handler);
        }
    };
}

fn fail(code: i32, message: &str) -> ! {
    eprintln!("wasmfaas-sdk: {message}");
    std::process::exit(code)
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
///
/// It borrows every string from the envelope it was parsed from: reading the
/// method, a header or a parameter copies nothing.
#[derive(Clone)]
pub struct Request {
    /// The whole stdin; the body is its tail, so it is never copied.
    input: Vec<u8>,
    body_start: usize,
    /// The strings of the head that had JSON escapes, decoded.
    unescaped: String,
    method: Text,
    path: Text,
    query: Text,
    /// Route parameters and headers, each a range of `pairs`.
    pairs: Pairs,
    params: Range<usize>,
    headers: Range<usize>,
    /// [`Request::params`] and [`Request::headers`] as owned pairs, made on first
    /// use so that a handler that never asks for them does not pay for them.
    owned_params: OnceLock<Vec<(String, String)>>,
    owned_headers: OnceLock<Vec<(String, String)>>,
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
        self.text(self.method)
    }

    /// The path as sent, still percent-encoded (`/users/42`).
    pub fn path(&self) -> &str {
        self.text(self.path)
    }

    /// The raw query string without `?` (`""` if none).
    pub fn query(&self) -> &str {
        self.text(self.query)
    }

    /// The first query parameter called `name`, percent-decoded with `+` as space.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .find(|(k, _)| decoded_eq(k, name))
            .map(|(_, v)| decode(v))
    }

    /// Every query parameter in order, percent-decoded with `+` as space.
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.query_pairs()
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }

    /// The raw `(name, value)` pairs of the query. `&` and `=` are ASCII, so
    /// splitting bytes never cuts a character.
    fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut rest = self.query();
        std::iter::from_fn(move || {
            loop {
                if rest.is_empty() {
                    return None;
                }
                let end = find_byte(rest, b'&').unwrap_or(rest.len());
                let pair = &rest[..end];
                rest = rest.get(end + 1..).unwrap_or_default();
                if !pair.is_empty() {
                    return Some(match find_byte(pair, b'=') {
                        Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                        None => (pair, ""),
                    });
                }
            }
        })
    }

    /// The route parameter `name` (for `/users/{id}`, `param("id")`), percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        // Like most JSON readers, a repeated key's last value wins.
        self.pairs_in(self.params.clone())
            .rev()
            .find(|&(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Every route parameter.
    pub fn params(&self) -> &[(String, String)] {
        self.owned_params
            .get_or_init(|| owned(self.pairs_in(self.params.clone())))
    }

    /// The first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_all(name).next()
    }

    /// Every value of the header `name` in arrival order (such as `cookie` or `accept`).
    pub fn header_all(&self, name: &str) -> impl Iterator<Item = &str> {
        let matching = self
            .pairs_in(self.headers.clone())
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name));
        matching.map(|(_, v)| v)
    }

    /// Every header as a `(name, value)` pair in arrival order, names lowercase.
    pub fn headers(&self) -> &[(String, String)] {
        self.owned_headers
            .get_or_init(|| owned(self.pairs_in(self.headers.clone())))
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

fn owned<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    pairs.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// Shows the body's length, not its bytes, which could be megabytes.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<_> = self.pairs_in(self.params.clone()).collect();
        let headers: Vec<_> = self.pairs_in(self.headers.clone()).collect();
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("path", &self.path())
            .field("query", &self.query())
            .field("params", &params)
            .field("headers", &headers)
            .field("body_len", &self.body().len())
            .finish()
    }
}

/// Where `byte` first occurs in `s`: a plain loop, cheaper in the interpreter
/// than `str::find`'s general pattern machinery.
fn find_byte(s: &str, byte: u8) -> Option<usize> {
    s.bytes().position(|b| b == byte)
}

/// Whether a query component needs decoding at all.
fn is_encoded(s: &str) -> bool {
    s.bytes().any(|b| b == b'%' || b == b'+')
}

/// `decode(raw) == name`, without decoding (or allocating) in the usual case of
/// a name with nothing to decode.
fn decoded_eq(raw: &str, name: &str) -> bool {
    if is_encoded(raw) {
        decode(raw) == name
    } else {
        raw == name
    }
}

/// Percent-decodes a query component; invalid `%` sequences stay as they are and
/// invalid UTF-8 becomes U+FFFD, because a lookup should not fail on a bad URL.
fn decode(s: &str) -> String {
    if !is_encoded(s) {
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

    /// Writes the response envelope: the JSON head, `\n`, then the body.
    ///
    /// Head and body go out together in one vectored write where `out` supports it
    /// (a file descriptor does: one host call), and the body is never copied.
    ///
    /// # Errors
    /// Whatever `out` returns.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let head = self.head();
        let mut parts = [IoSlice::new(head.as_bytes()), IoSlice::new(&self.body)];
        let mut parts = &mut parts[..];
        while !parts.is_empty() {
            match out.write_vectored(parts) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut parts, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        out.flush()
    }

    /// The JSON head and its `\n`, in one buffer sized up front.
    // `push_str` of one ASCII byte is a copy; `push(char)` encodes UTF-8
    // first, which the interpreter charges a few dozen instructions for.
    #[allow(clippy::single_char_add_str)]
    fn head(&self) -> String {
        let names: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 8)
            .sum();
        let mut head = String::with_capacity(32 + names);
        head.push_str("{\"status\":");
        json::push_u64(&mut head, u64::from(self.status));
        head.push_str(",\"headers\":[");
        for (i, (name, value)) in self.headers.iter().enumerate() {
            head.push_str(if i == 0 { "[" } else { ",[" });
            json::push_string(&mut head, name);
            head.push_str(",");
            json::push_string(&mut head, value);
            head.push_str("]");
        }
        head.push_str("]}\n");
        head
    }
}

#[cfg(test)]
mod tests;
