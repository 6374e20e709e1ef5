//! What [`abi::call`](super::call) gives back for every ABI: the response,
//! or the reason there is none, with the run's log, usage and changes.

use super::http::{EnvelopeError, HttpResponse};
use crate::bindings::{Capture, ObjectChange};
use crate::runtime::{InvokeError, Report, Usage};

/// Why a call produced no response, whatever the ABI.
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

/// A completed call: the response or why there is none, plus logs, usage
/// and what it changed.
#[derive(Debug)]
pub struct CallOutcome {
    pub result: Result<HttpResponse, CallError>,
    /// The function's log (stderr).
    pub logs: Vec<u8>,
    pub usage: Usage,
    /// Objects it wrote or deleted through its bindings (for S3 triggers).
    pub changes: Vec<ObjectChange>,
    /// The initial state it touched, when its bindings were recording.
    pub capture: Option<Capture>,
}

impl CallOutcome {
    /// An outcome for a call refused before the guest ran.
    pub fn refused(error: CallError) -> CallOutcome {
        CallOutcome {
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
    ) -> CallOutcome {
        CallOutcome {
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
