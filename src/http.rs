//! The crate's HTTP vocabulary: a request as a caller hands it to a
//! function, how it reached us, and a function's response.
//!
//! These are plain data with no opinion on how a guest sees them: the ABIs
//! ([`crate::abi`]) encode them for guests, the vendor shapes
//! ([`crate::aws`]) turn them into events, and the gateway fills them from
//! the socket. Keeping them here lets each of those depend on this module
//! rather than on one another.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;

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

/// An RFC 9110 token: what a header name may consist of.
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
