//! The dashboard's answers: JSON documents, JSON errors, the page, and the
//! headers every one of them carries.

use serde::Serialize;

/// One answer, not yet sent.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// `value` as JSON.
    pub fn json(status: u16, value: &impl Serialize) -> Answer {
        Answer {
            status,
            content_type: "application/json".into(),
            body: serde_json::to_vec(value).unwrap_or_default(),
            headers: Vec::new(),
        }
    }

    /// `{"error": message}`: what went wrong and what to do, one sentence.
    pub fn error(status: u16, message: impl Into<String>) -> Answer {
        Answer::json(status, &serde_json::json!({ "error": message.into() }))
    }

    /// Raw bytes (an object's or a value's body).
    pub fn bytes(content_type: impl Into<String>, body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            content_type: content_type.into(),
            body,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Answer {
        self.headers.push((name, value));
        self
    }

    /// Sends the answer; a client that went away is no one's problem.
    pub fn send(self, request: tiny_http::Request) {
        let mut response = tiny_http::Response::from_data(self.body)
            .with_status_code(self.status)
            // Nothing the dashboard says is fit for a cache, and no other
            // page may frame it (clickjacking).
            .with_header(header("cache-control", "no-store"))
            .with_header(header("x-content-type-options", "nosniff"))
            .with_header(header("x-frame-options", "DENY"))
            .with_header(header("referrer-policy", "no-referrer"));
        let content_type = ("content-type", self.content_type);
        for (name, value) in std::iter::once(&content_type).chain(&self.headers) {
            // A value tiny_http refuses (control characters, say in an
            // object's stored content type) is left out, not a failure.
            if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        let _ = request.respond(response);
    }
}

/// A header whose parts are constants of this module.
fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .expect("a constant, valid header")
}
