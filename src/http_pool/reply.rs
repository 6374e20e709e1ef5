//! A response ready to send, the one type both listeners answer with, and
//! the one place a response head is written ([`Reply::into_response`]).
//!
//! Each listener keeps its own constructors beside its handler (the
//! gateway's error pages in `gateway::reply`, S3's XML answers in
//! `s3endpoint`); what reaches the socket goes through the same checks and
//! the same framing here, whoever built it.

use std::io::Read;

/// A response ready to send.
pub struct Reply {
    pub status: u16,
    /// Header pairs in the order they are sent; repeats kept.
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// For the log: what went wrong when a function's own response could not
    /// be sent as it was.
    pub problem: Option<String>,
    /// End the connection after answering (a request body was left unread).
    pub close: bool,
}

/// What a reply carries after its head.
pub enum Body {
    Bytes(Vec<u8>),
    /// Bytes read as they are sent (an object from the store); `len` of them.
    Stream {
        reader: Box<dyn Read + Send>,
        len: u64,
    },
    /// For HEAD: the `Content-Length` of the GET that is not sent.
    HeadOnly(u64),
}

impl Body {
    /// A body of exactly `len` bytes read from `reader` while it is sent.
    pub fn stream(reader: impl Read + Send + 'static, len: u64) -> Body {
        Body::Stream {
            reader: Box::new(reader),
            len,
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Body::Stream { len, .. } => write!(f, "Stream({len} bytes)"),
            Body::HeadOnly(len) => write!(f, "HeadOnly({len} bytes)"),
        }
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("problem", &self.problem)
            .field("close", &self.close)
            .finish()
    }
}

impl Reply {
    /// A reply with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            problem: None,
            close: false,
        }
    }

    /// Adds a header, after those already there.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets the body to `bytes`.
    pub fn body(mut self, bytes: Vec<u8>) -> Reply {
        self.body = Body::Bytes(bytes);
        self
    }

    /// The tiny_http response. A header that could break the head (a name
    /// that is not a token, a value with a control character: CR or LF would
    /// split the response) is left out, whatever its source: makers of
    /// replies check what they are given ([`is_sendable_header`]), and this
    /// keeps anything that slipped past them from ever reaching the wire.
    ///
    /// A body's length is always known, and always sent as `Content-Length`,
    /// never chunked: S3 clients check it against the object's size, and a
    /// HEAD must announce the size it does not send.
    pub fn into_response(self) -> tiny_http::Response<Box<dyn Read + Send>> {
        let (data, length): (Box<dyn Read + Send>, u64) = match self.body {
            Body::Bytes(bytes) => {
                let length = bytes.len() as u64;
                (Box::new(std::io::Cursor::new(bytes)), length)
            }
            Body::Stream { reader, len } => (reader, len),
            Body::HeadOnly(length) => (Box::new(std::io::empty()), length),
        };
        let mut headers: Vec<tiny_http::Header> = Vec::with_capacity(self.headers.len() + 2);
        headers.extend(tiny_http_header("server", "wasmfaas"));
        headers.extend(
            self.headers
                .iter()
                .filter_map(|(name, value)| tiny_http_header(name, value)),
        );
        if self.close {
            headers.extend(tiny_http_header("connection", "close"));
        }
        tiny_http::Response::new(
            tiny_http::StatusCode(self.status),
            headers,
            data,
            usize::try_from(length).ok(),
            None,
        )
        .with_chunked_threshold(usize::MAX)
    }
}

/// Whether a header can be written into a response head as it is: its name
/// an RFC 9110 token, its value ASCII with no control character but tab.
/// The rule is our tiny_http patch's (`vendor/README.md`), which refuses to
/// make any other header, so there is one copy of it.
pub fn is_sendable_header(name: &str, value: &str) -> bool {
    tiny_http_header(name, value).is_some()
}

fn tiny_http_header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_that_could_split_the_head_is_never_sent() {
        assert!(is_sendable_header("x-ok", "a value\twith a tab"));
        assert!(!is_sendable_header("x-evil", "a\r\nset-cookie: b"));
        assert!(!is_sendable_header("x-evil", "nul\0"));
        assert!(!is_sendable_header("bad name", "v"));
        assert!(!is_sendable_header("", "v"));
        assert!(!is_sendable_header("x-utf8", "café"));

        let response = Reply::new(200)
            .header("x-ok", "yes")
            .header("x-evil", "a\r\nset-cookie: b")
            .into_response();
        let names: Vec<String> = response
            .headers()
            .iter()
            .map(|h| h.field.to_string())
            .collect();
        assert!(names.iter().any(|n| n.eq_ignore_ascii_case("x-ok")));
        assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("x-evil")));
    }

    #[test]
    fn a_body_announces_its_length_however_it_is_carried() {
        assert_eq!(
            Reply::new(200)
                .body(vec![7; 40_000])
                .into_response()
                .data_length(),
            Some(40_000)
        );
        let stream = Reply {
            body: Body::stream(std::io::empty(), 0),
            ..Reply::new(200)
        };
        assert_eq!(stream.into_response().data_length(), Some(0));
        let head = Reply {
            body: Body::HeadOnly(5),
            ..Reply::new(200)
        };
        let response = head.into_response();
        assert_eq!(response.data_length(), Some(5));
        assert_eq!(response.chunked_threshold(), usize::MAX);
    }
}
