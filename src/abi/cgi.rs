//! The `cgi` ABI: CGI/1.1 (RFC 3875), so a legacy CGI program recompiled for
//! WASI runs unchanged.
//!
//! A request becomes the program's environment (the meta-variables of RFC 3875
//! section 4.1, see [`environment`]) and its stdin (the body, byte for byte); the
//! program's stdout is a CGI response (section 6: header lines, an empty line,
//! the body), which [`parse_response`] turns into an [`HttpResponse`]. This file
//! is pure conversion: running the program is the caller's job, as for the
//! [`http`](super::http) ABI.
//!
//! Where RFC 3875 leaves a choice, this module follows Apache httpd, the server
//! most legacy CGI programs were written against; each divergence from the RFC
//! is documented where it happens.

use super::Input;
use super::http::{HttpRequest, HttpResponse, is_token, preview};
use super::{CallError, CallOutcome};
use crate::bindings::Access;
use crate::config::{Function, Route, Segment};
use crate::router::percent_decode;
use crate::runtime::{Context, LoadedModule};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `SERVER_SOFTWARE`.
pub const SOFTWARE: &str = concat!("wasmfaas/", env!("CARGO_PKG_VERSION"));

/// Runs a CGI program on `input`: an event arrives as `POST /` with the
/// event JSON as the body, as for the `http` ABI (config allows no triggers
/// on a CGI function, but `invoke --event` and replays may still send one).
pub fn call(
    module: &LoadedModule,
    function: &Function,
    input: Input<'_>,
    context: Context,
    bindings: Option<Arc<Access>>,
) -> CallOutcome {
    let request = input.to_request();
    let route = match input {
        Input::Http { route, .. } => route.map(|matched| &matched.route.route),
        Input::Event { .. } => None,
    };
    if let Err(error) = super::check_body(function, &request.body) {
        return CallOutcome::refused(error);
    }
    // SERVER_PORT, REMOTE_ADDR and SERVER_PROTOCOL come from the socket
    // (RFC 3875 4.1.15: the port "on which this request is received"), not
    // from what the client wrote in `Host`; SERVER_NAME is the name it used.
    let connection = request.connection();
    let host = request.header("host").unwrap_or("localhost");
    let name = host
        .rsplit_once(':')
        .filter(|(_, port)| port.parse::<u16>().is_ok())
        .map_or(host, |(name, _)| name);
    let remote_addr = connection.peer.ip().to_string();
    let server = Server {
        name,
        port: connection.local.port(),
        software: SOFTWARE,
        remote_addr: &remote_addr,
        remote_port: Some(connection.peer.port()).filter(|port| *port != 0),
        protocol: &connection.protocol,
    };
    let script = route.map(script_name).unwrap_or_default();
    // The function's own `env` first; the meta-variables describe this
    // request and win over a config value of the same name.
    let meta = environment(&request, &script, &server);
    let mut env: Vec<(String, String)> = super::config_env(function)
        .filter(|(name, _)| !meta.iter().any(|(m, _)| m == name))
        .collect();
    env.extend(meta);
    let report = super::run(
        module,
        function,
        request.body.clone(),
        env,
        context,
        bindings,
    );
    CallOutcome::from_report(report, |stdout| {
        parse_response(&stdout).map_err(CallError::from)
    })
}

/// `SCRIPT_NAME` for a route: its literal segments up to the first
/// parameter or wildcard (`/cgi-bin/app/*rest` → `/cgi-bin/app`), so that
/// what the route leaves open is `PATH_INFO`.
pub fn script_name(route: &Route) -> String {
    route
        .path
        .segments
        .iter()
        .map_while(|segment| match segment {
            Segment::Static(text) => Some(format!("/{text}")),
            Segment::Param(_) | Segment::Wildcard(_) => None,
        })
        .collect()
}

/// The longest header section [`parse_response`] reads looking for the empty
/// line that ends it. Apache allows 8 KiB per line and 100 lines; a program
/// that writes more than this without an empty line is not writing headers.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What the program is told about the server and the client, besides the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server<'a> {
    /// `SERVER_NAME`: the host name the request was sent to.
    pub name: &'a str,
    /// `SERVER_PORT`.
    pub port: u16,
    /// `SERVER_SOFTWARE`, e.g. `wasmfaas/0.1.0`.
    pub software: &'a str,
    /// `REMOTE_ADDR` (and `REMOTE_HOST`: no reverse DNS lookup is done).
    pub remote_addr: &'a str,
    /// `REMOTE_PORT`, an Apache extension many scripts log.
    pub remote_port: Option<u16>,
    /// `SERVER_PROTOCOL`: what the client spoke, e.g. `HTTP/1.0`.
    pub protocol: &'a str,
}

/// The CGI/1.1 environment for `request`, sorted by name so that the same
/// request always gives the same bytes (replays depend on it).
///
/// `script_name` is the part of the path that names the program (for a route
/// `/cgi-bin/app/*rest`, `/cgi-bin/app`); what follows it is `PATH_INFO`. The
/// prefix is compared segment by segment after percent-decoding, as the router
/// matches routes. If `request.path` does not start with it, there is no
/// `PATH_INFO`.
///
/// Set always: `GATEWAY_INTERFACE`, `QUERY_STRING` (raw, `""` when there is
/// none), `REMOTE_ADDR`, `REMOTE_HOST`, `REQUEST_METHOD`, `REQUEST_URI` (raw path
/// and query; an Apache extension), `SCRIPT_NAME`, `SERVER_NAME`,
/// `SERVER_PORT`, `SERVER_PROTOCOL`, `SERVER_SOFTWARE`.
/// Set when they apply: `AUTH_TYPE`, `CONTENT_LENGTH`, `CONTENT_TYPE`,
/// `PATH_INFO`, `REMOTE_PORT`, and `HTTP_*` for request headers.
///
/// Never set: `PATH_TRANSLATED`, because functions have no filesystem to map a
/// path onto (RFC 3875 4.1.6 lets a server omit it); `REMOTE_USER` and
/// `REMOTE_IDENT`, because the emulator authenticates no one.
pub fn environment(
    request: &HttpRequest,
    script_name: &str,
    server: &Server,
) -> Vec<(String, String)> {
    let mut env = BTreeMap::new();
    let mut set = |name: &str, value: String| {
        env.insert(name.to_string(), value);
    };
    let script_name = script_name.trim_end_matches('/');

    if let Some(scheme) =
        header(request, "authorization").and_then(|value| value.split_whitespace().next())
    {
        set("AUTH_TYPE", scheme.to_string());
    }
    // RFC 3875 4.1.2: set if and only if the request has a body. A POST with
    // `Content-Length: 0` has one, of length 0, and scripts that `atoi` the
    // variable on POST must find it.
    let has_body = !request.body.is_empty()
        || header(request, "content-length").is_some()
        || header(request, "transfer-encoding").is_some();
    if has_body {
        set("CONTENT_LENGTH", request.body.len().to_string());
    }
    if let Some(content_type) = header(request, "content-type") {
        set("CONTENT_TYPE", content_type.to_string());
    }
    set("GATEWAY_INTERFACE", "CGI/1.1".into());
    if let Some(path_info) = path_info(&request.path, script_name) {
        set("PATH_INFO", path_info);
    }
    set("QUERY_STRING", request.query.clone());
    set("REMOTE_ADDR", server.remote_addr.to_string());
    set("REMOTE_HOST", server.remote_addr.to_string());
    if let Some(port) = server.remote_port {
        set("REMOTE_PORT", port.to_string());
    }
    set("REQUEST_METHOD", request.method.clone());
    let request_uri = if request.query.is_empty() {
        request.path.clone()
    } else {
        format!("{}?{}", request.path, request.query)
    };
    set("REQUEST_URI", request_uri);
    set("SCRIPT_NAME", script_name.to_string());
    set("SERVER_NAME", server.name.to_string());
    set("SERVER_PORT", server.port.to_string());
    set("SERVER_PROTOCOL", server.protocol.to_string());
    set("SERVER_SOFTWARE", server.software.to_string());

    for (name, value) in header_variables(&request.headers) {
        env.insert(name, value);
    }
    env.into_iter().collect()
}

/// Request headers a program never sees as `HTTP_*` variables.
///
/// - `Authorization`, `Proxy-Authorization`: RFC 3875 4.1.18 lets a server
///   withhold credentials, and Apache does; the scheme is in `AUTH_TYPE`.
/// - `Content-Type`, `Content-Length`: already `CONTENT_TYPE` and
///   `CONTENT_LENGTH`; a duplicate could disagree with the body actually sent.
/// - `Proxy`: as `HTTP_PROXY` it would be read by many HTTP libraries as their
///   outgoing proxy, letting a client redirect the program's own requests
///   ("httpoxy", CVE-2016-5385); Apache, nginx and others drop it too.
const WITHHELD_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "content-type",
    "content-length",
    "proxy",
];

/// `HTTP_*` variables for `headers`: the name upper-cased with `-` as `_`,
/// repeats joined in arrival order with `, ` (`; ` for `Cookie`, whose values
/// are separated that way), as RFC 3875 4.1.18 asks.
///
/// A header whose name has a character other than ASCII letters, digits and
/// `-` is skipped: it cannot form a portable variable name, and `_` in
/// particular would let `X_Forwarded_For` pose as `X-Forwarded-For` (Apache 2.4
/// drops them for that reason). A value containing NUL is skipped too: it
/// cannot be passed in a C environment string.
fn header_variables(headers: &[(String, String)]) -> BTreeMap<String, String> {
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let portable =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !portable
            || value.contains('\0')
            || WITHHELD_HEADERS
                .iter()
                .any(|withheld| name.eq_ignore_ascii_case(withheld))
        {
            continue;
        }
        let variable = format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_"));
        let separator = if name.eq_ignore_ascii_case("cookie") {
            "; "
        } else {
            ", "
        };
        variables
            .entry(variable)
            .and_modify(|joined| {
                joined.push_str(separator);
                joined.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    variables
}

/// The first value of request header `name` (case-insensitive).
fn header<'r>(request: &'r HttpRequest, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// What follows `script_name` in the raw `path`, percent-decoded as RFC 3875
/// 4.1.5 asks; `None` when nothing follows or `path` is not under
/// `script_name`.
///
/// Decoding happens once, here, so `%2F` becomes `/` (as in Apache with
/// `AllowEncodedSlashes On`) and bytes that are not UTF-8 become U+FFFD. If
/// decoding would produce NUL (`%00`), the raw text is passed instead: a C
/// program would see its path cut short there, the classic null-byte trick.
fn path_info(path: &str, script_name: &str) -> Option<String> {
    let mut rest = path;
    for expected in script_name.split('/').filter(|part| !part.is_empty()) {
        // Empty segments (`//`) are skipped, as the router skips them.
        let trimmed = rest.trim_start_matches('/');
        if trimmed.len() == rest.len() {
            return None;
        }
        let end = trimmed.find('/').unwrap_or(trimmed.len());
        if percent_decode(&trimmed[..end]) != expected {
            return None;
        }
        rest = &trimmed[end..];
    }
    if rest.is_empty() {
        return None;
    }
    let decoded = percent_decode(rest);
    Some(if decoded.contains('\0') {
        rest.to_string()
    } else {
        decoded
    })
}

/// A program's stdout that is not a CGI response. The messages are what a
/// developer sees in the 502 page and the log, so each says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CgiResponseError {
    #[error(
        "the program wrote nothing to stdout; a CGI program must write headers such as \
         `Content-Type: text/html`, an empty line, then the body"
    )]
    Empty,
    #[error(
        "the program wrote no CGI headers: stdout starts with {start:?}; write e.g. \
         `Content-Type: text/plain`, an empty line, then the body"
    )]
    NoHeaders { start: String },
    #[error(
        "stdout starts with a status line ({start:?}): non-parsed-header (nph) output is \
         not supported; write `Status: 200 OK` as a header instead"
    )]
    NonParsedHeaders { start: String },
    #[error(
        "the headers are not followed by an empty line (stdout starts with {start:?}); \
         end them with an empty line, even when there is no body"
    )]
    NoBlankLine { start: String },
    #[error(
        "no empty line in the first {limit} bytes of stdout, so the headers never end \
         (stdout starts with {start:?})"
    )]
    HeadersTooLong { limit: usize, start: String },
    #[error(
        "header line {line} has no `:` ({text:?}); if the body starts there, an empty \
         line is missing after the headers"
    )]
    MissingColon { line: usize, text: String },
    #[error(
        "header line {line} starts with whitespace ({text:?}); CGI/1.1 does not allow \
         continuation lines, write each header on one line"
    )]
    Continuation { line: usize, text: String },
    #[error(
        "header line {line} has the name {name:?}, which is not a valid HTTP header name \
         (letters, digits and !#$%&'*+-.^_`|~ only; no space before the `:`)"
    )]
    BadHeaderName { line: usize, name: String },
    #[error("the value of header {name:?} on line {line} is not UTF-8 ({start:?})")]
    NotUtf8 {
        line: usize,
        name: String,
        start: String,
    },
    #[error("the value of header {name:?} on line {line} contains a control character")]
    BadHeaderValue { line: usize, name: String },
    #[error(
        "the `Status` header {value:?} is not a status code between 100 and 599 followed \
         by an optional reason, e.g. `Status: 404 Not Found`"
    )]
    BadStatus { value: String },
    #[error("the CGI header `{name}` appears more than once; write it once")]
    Repeated { name: String },
    #[error(
        "the response has none of the CGI headers `Content-Type`, `Location` or `Status`; \
         a document needs at least `Content-Type`"
    )]
    NoCgiHeader,
    #[error(
        "the response has a {body_len}-byte body but no `Content-Type` header; \
         RFC 3875 requires one, e.g. `Content-Type: text/html`"
    )]
    NoContentType { body_len: usize },
}

/// Parses a CGI program's stdout (RFC 3875 section 6) into a response.
///
/// Lines end with LF or CRLF; the header section ends at the first empty line
/// and everything after it is the body, bytes intact. `Status` sets the status
/// and is not passed on; `Content-Type`, `Location` and other headers are
/// passed on in order, repeats kept. A header with an empty value counts as not
/// sent (RFC 3875 6.3).
///
/// What the RFC asks and this parser enforces: at least one of `Content-Type`,
/// `Location`, `Status`; each of those at most once; and a `Content-Type` for
/// any non-empty body. A bodiless answer such as `Status: 204 No Content` needs
/// none. (Apache lets a body without `Content-Type` through and labels it with
/// its default type; refusing it finds the missing header in development
/// rather than in a browser that guesses.)
///
/// `Location` without `Status` gives 302 with that `Location`, whether it is
/// an absolute URL (the RFC's client redirect) or a path (the RFC's local
/// redirect). For a path, RFC 3875 6.2.2 has the server fetch it internally
/// and return that instead; here the client is redirected, so it makes the
/// second request itself (a GET, visible in its address bar) — the same page
/// for the usual POST-then-redirect pattern.
///
/// # Errors
/// A [`CgiResponseError`] naming what is wrong, with the first bytes of stdout
/// or the offending line; the caller answers 502.
pub fn parse_response(stdout: &[u8]) -> Result<HttpResponse, CgiResponseError> {
    if stdout.is_empty() {
        return Err(CgiResponseError::Empty);
    }
    if stdout.starts_with(b"HTTP/") {
        return Err(CgiResponseError::NonParsedHeaders {
            start: preview(stdout),
        });
    }
    let (fields, body) = split_headers(stdout)?;
    let mut status = None;
    let mut has_location = false;
    let mut has_content_type = false;
    let mut headers = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        if value.is_empty() {
            continue;
        }
        let cgi_field = ["status", "location", "content-type"]
            .into_iter()
            .find(|field| name.eq_ignore_ascii_case(field));
        let seen = match cgi_field {
            Some("status") => status.is_some(),
            Some("location") => std::mem::replace(&mut has_location, true),
            Some(_) => std::mem::replace(&mut has_content_type, true),
            None => false,
        };
        if seen {
            return Err(CgiResponseError::Repeated { name });
        }
        if cgi_field == Some("status") {
            status = Some(parse_status(&value)?);
        } else {
            headers.push((name, value));
        }
    }
    if status.is_none() && !has_location && !has_content_type {
        return Err(CgiResponseError::NoCgiHeader);
    }
    if !body.is_empty() && !has_content_type {
        return Err(CgiResponseError::NoContentType {
            body_len: body.len(),
        });
    }
    let default_status = if has_location { 302 } else { 200 };
    Ok(HttpResponse {
        status: status.unwrap_or(default_status),
        headers,
        body: body.to_vec(),
    })
}

/// Header fields as written: (name, value without surrounding whitespace).
type Fields = Vec<(String, String)>;

/// The header fields and the body of `stdout`, looking no further than
/// [`MAX_HEADER_BYTES`] for the empty line.
fn split_headers(stdout: &[u8]) -> Result<(Fields, &[u8]), CgiResponseError> {
    let window = &stdout[..stdout.len().min(MAX_HEADER_BYTES)];
    let mut fields = Vec::new();
    let mut pos = 0;
    let mut number = 0;
    loop {
        number += 1;
        let (line, terminated) = match window[pos..].iter().position(|&b| b == b'\n') {
            Some(end) => (&stdout[pos..pos + end], true),
            None if stdout.len() > window.len() => {
                return Err(CgiResponseError::HeadersTooLong {
                    limit: MAX_HEADER_BYTES,
                    start: preview(stdout),
                });
            }
            None => (&stdout[pos..], false),
        };
        let next = pos + line.len() + usize::from(terminated);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if !terminated {
                return Err(CgiResponseError::NoBlankLine {
                    start: preview(stdout),
                });
            }
            if fields.is_empty() {
                return Err(CgiResponseError::NoHeaders {
                    start: preview(stdout),
                });
            }
            return Ok((fields, &stdout[next..]));
        }
        fields.push(parse_field(number, line, stdout)?);
        if !terminated {
            return Err(CgiResponseError::NoBlankLine {
                start: preview(stdout),
            });
        }
        pos = next;
    }
}

/// One `Name: value` line (line `number`, without its line end).
fn parse_field(
    number: usize,
    line: &[u8],
    stdout: &[u8],
) -> Result<(String, String), CgiResponseError> {
    let colon = line.iter().position(|&b| b == b':');
    let folded = matches!(line.first(), Some(b' ' | b'\t'));
    if number == 1 && (colon.is_none() || folded) {
        return Err(CgiResponseError::NoHeaders {
            start: preview(stdout),
        });
    }
    if folded {
        return Err(CgiResponseError::Continuation {
            line: number,
            text: preview(line),
        });
    }
    let Some(colon) = colon else {
        return Err(CgiResponseError::MissingColon {
            line: number,
            text: preview(line),
        });
    };
    let name = String::from_utf8_lossy(&line[..colon]).into_owned();
    // A first line like `<html><p>Note: ...` is a body without headers, not a
    // header with a bad name; `Content-Type : x` is a header with a bad name.
    if number == 1 && !is_token(name.trim_end_matches([' ', '\t'])) {
        return Err(CgiResponseError::NoHeaders {
            start: preview(stdout),
        });
    }
    if !is_token(&name) {
        return Err(CgiResponseError::BadHeaderName { line: number, name });
    }
    let Ok(value) = std::str::from_utf8(&line[colon + 1..]) else {
        return Err(CgiResponseError::NotUtf8 {
            line: number,
            name,
            start: preview(&line[colon + 1..]),
        });
    };
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(CgiResponseError::BadHeaderValue { line: number, name });
    }
    Ok((name, value.to_string()))
}

/// `NNN` or `NNN reason` with `NNN` in 100..=599, the range the `http` ABI
/// accepts.
fn parse_status(value: &str) -> Result<u16, CgiResponseError> {
    let (code, _reason) = value.split_once(' ').unwrap_or((value, ""));
    let digits = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
    code.parse::<u16>()
        .ok()
        .filter(|status| digits && (100..=599).contains(status))
        .ok_or_else(|| CgiResponseError::BadStatus {
            value: value.to_string(),
        })
}

#[cfg(test)]
mod tests;
