//! Which API Gateway proxy event a `lambda` function is configured to receive.
//!
//! The choice is part of a function's config (`event = "apigw-v1"`), so the
//! name and its parsing live here; the event shapes themselves are
//! the `aws` module's, which depends on this and never the reverse.

use std::fmt;
use std::str::FromStr;

/// Which proxy event a function receives and how its return value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadFormat {
    /// REST API, payload format 1.0 (`apigw-v1`).
    V1,
    /// HTTP API, payload format 2.0 (`apigw-v2`).
    V2,
}

impl PayloadFormat {
    /// Both formats, in the order messages list them.
    pub const ALL: [PayloadFormat; 2] = [PayloadFormat::V1, PayloadFormat::V2];

    /// The name used in config and on the command line: `apigw-v1` or `apigw-v2`.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadFormat::V1 => "apigw-v1",
            PayloadFormat::V2 => "apigw-v2",
        }
    }
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payload format name that is neither `apigw-v1` nor `apigw-v2`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown API Gateway payload format `{0}`; use `apigw-v1` (REST API, payload 1.0) \
     or `apigw-v2` (HTTP API, payload 2.0)"
)]
pub struct UnknownPayloadFormat(pub String);

impl FromStr for PayloadFormat {
    type Err = UnknownPayloadFormat;

    fn from_str(text: &str) -> Result<PayloadFormat, UnknownPayloadFormat> {
        PayloadFormat::ALL
            .into_iter()
            .find(|format| format.as_str() == text)
            .ok_or_else(|| UnknownPayloadFormat(text.to_string()))
    }
}
