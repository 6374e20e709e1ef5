//! The error of every KV and S3 call.

use std::fmt;

/// Why a KV or S3 call failed: the host's status and its message.
///
/// ```no_run
/// use wasmfaas_sdk::{ErrorKind, s3::Bucket};
///
/// match Bucket::open("photos").get_range("cat.jpg", "bytes=0-99") {
///     Ok(Some(object)) => println!("{} of {} bytes", object.body.len(), object.meta.size),
///     Ok(None) => println!("no such photo"),
///     Err(e) if e.kind() == ErrorKind::InvalidRange => println!("the photo is shorter"),
///     Err(e) => eprintln!("{}: {e}", e.kind().name()),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The kind of an [`Error`]: one per status code of the host module, plus the
/// failures the SDK itself detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `NOT_FOUND` (1): no such key or object. Getters answer `Ok(None)` instead.
    NotFound,
    /// `DENIED` (2): the namespace or bucket is not granted to this function
    /// (`kv = [...]`, `s3 = [...]` in `wasmfaas.toml`).
    Denied,
    /// `TOO_LARGE` (3): a key, value, metadata or body is over its limit; also a
    /// result too large for the guest's memory.
    TooLarge,
    /// `INVALID_KEY` (4): the key is empty, too long, or not allowed.
    InvalidKey,
    /// `INVALID_ARGUMENT` (5): another argument is invalid (cursor, limit, TTL,
    /// metadata that is not JSON, ...).
    InvalidArgument,
    /// `PRECONDITION_FAILED` (6): a conditional write found the object already there.
    PreconditionFailed,
    /// `INVALID_RANGE` (7): the byte range lies outside the object.
    InvalidRange,
    /// `NO_SUCH_BUCKET` (8): the bucket does not exist.
    NoSuchBucket,
    /// `STORAGE` (9): the host's state store failed; the message says why.
    Storage,
    /// `FAULT` (10): a pointer or length lay outside the guest's memory.
    Fault,
    /// `UNREACHABLE` (11): an outbound request or service call got no
    /// answer (connection, TLS, the time left, or a failing service).
    Unreachable,
    /// `LIMIT` (12): a per-invocation limit is reached
    /// (`limits.subrequests`), or service calls loop.
    Limit,
    /// Not running inside wasmfaas (a native build, such as `cargo test`): the
    /// bindings exist only there.
    Unavailable,
    /// The host's result could not be decoded, or a value is not what was asked
    /// for (such as text that is not UTF-8).
    Malformed,
    /// A status code this SDK does not know, from a newer host.
    Unknown(i64),
}

impl ErrorKind {
    /// The kind for a host status code (the negated return value of a call).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn from_code(code: i64) -> ErrorKind {
        match code {
            1 => ErrorKind::NotFound,
            2 => ErrorKind::Denied,
            3 => ErrorKind::TooLarge,
            4 => ErrorKind::InvalidKey,
            5 => ErrorKind::InvalidArgument,
            6 => ErrorKind::PreconditionFailed,
            7 => ErrorKind::InvalidRange,
            8 => ErrorKind::NoSuchBucket,
            9 => ErrorKind::Storage,
            10 => ErrorKind::Fault,
            11 => ErrorKind::Unreachable,
            12 => ErrorKind::Limit,
            code => ErrorKind::Unknown(code),
        }
    }

    /// The host's status code, or `None` for the kinds only the SDK reports
    /// ([`Unavailable`](ErrorKind::Unavailable), [`Malformed`](ErrorKind::Malformed)).
    pub fn code(self) -> Option<i64> {
        Some(match self {
            ErrorKind::NotFound => 1,
            ErrorKind::Denied => 2,
            ErrorKind::TooLarge => 3,
            ErrorKind::InvalidKey => 4,
            ErrorKind::InvalidArgument => 5,
            ErrorKind::PreconditionFailed => 6,
            ErrorKind::InvalidRange => 7,
            ErrorKind::NoSuchBucket => 8,
            ErrorKind::Storage => 9,
            ErrorKind::Fault => 10,
            ErrorKind::Unreachable => 11,
            ErrorKind::Limit => 12,
            ErrorKind::Unknown(code) => code,
            ErrorKind::Unavailable | ErrorKind::Malformed => return None,
        })
    }

    /// The status name as `docs/abi.md` spells it (`NOT_FOUND`), or `UNAVAILABLE`,
    /// `MALFORMED`, `UNKNOWN`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Denied => "DENIED",
            ErrorKind::TooLarge => "TOO_LARGE",
            ErrorKind::InvalidKey => "INVALID_KEY",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::PreconditionFailed => "PRECONDITION_FAILED",
            ErrorKind::InvalidRange => "INVALID_RANGE",
            ErrorKind::NoSuchBucket => "NO_SUCH_BUCKET",
            ErrorKind::Storage => "STORAGE",
            ErrorKind::Fault => "FAULT",
            ErrorKind::Unreachable => "UNREACHABLE",
            ErrorKind::Limit => "LIMIT",
            ErrorKind::Unavailable => "UNAVAILABLE",
            ErrorKind::Malformed => "MALFORMED",
            ErrorKind::Unknown(_) => "UNKNOWN",
        }
    }
}

impl Error {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong, for matching.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message: the host's for host errors, which names what went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Outside wasmfaas.
    #[cfg(not(target_arch = "wasm32"))]
    #[cold]
    #[inline(never)]
    pub(crate) fn unavailable() -> Error {
        Error::new(
            ErrorKind::Unavailable,
            "bindings exist only inside wasmfaas",
        )
    }
}

/// The message; the kind's name if the message is empty.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.kind.name())
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Error {}

/// `Ok(None)` for [`ErrorKind::NotFound`], which getters do not treat as an error.
pub(crate) fn found<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
