//! Conditional requests (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`) and byte ranges: what a read or write asks of the
//! object it touches, decided before storage is read.

use crate::s3api::error::{ErrorCode, S3Error};
use crate::s3api::headers::Headers;
use crate::s3api::time;

/// Conditional request headers (`If-Match`, ... or their
/// `x-amz-copy-source-if-*` forms). Dates are seconds since the epoch; an
/// unparsable date is dropped, as HTTP says to ignore it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<i64>,
    pub if_unmodified_since: Option<i64>,
}

/// The outcome of [`Conditions::evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on with the request.
    Proceed,
    /// Answer `304 Not Modified` (reads only).
    NotModified,
    /// Answer `412 PreconditionFailed`; names the failing header.
    Failed(&'static str),
}

impl Conditions {
    /// Whether any condition was given.
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }

    /// Evaluates the conditions against an object's ETag (quoted or not)
    /// and last-modified time, in RFC 9110's order, which gives S3's
    /// documented pairs: `If-Match` true with `If-Unmodified-Since` false
    /// proceeds; `If-None-Match` false with `If-Modified-Since` true is 304.
    /// `None` for an object that does not exist: then only `If-Match` (and
    /// `If-None-Match: *` on writes) can fail.
    pub fn evaluate(&self, object: Option<(&str, i64)>) -> Precondition {
        let Some((etag, last_modified_ns)) = object else {
            return match self.if_match {
                Some(_) => Precondition::Failed("If-Match"),
                None => Precondition::Proceed,
            };
        };
        let modified = last_modified_ns.div_euclid(1_000_000_000);
        if let Some(list) = &self.if_match {
            if !etag_matches(list, etag) {
                return Precondition::Failed("If-Match");
            }
        } else if let Some(since) = self.if_unmodified_since
            && modified > since
        {
            return Precondition::Failed("If-Unmodified-Since");
        }
        if let Some(list) = &self.if_none_match {
            if etag_matches(list, etag) {
                return Precondition::NotModified;
            }
        } else if let Some(since) = self.if_modified_since
            && modified <= since
        {
            return Precondition::NotModified;
        }
        Precondition::Proceed
    }

    /// As [`Self::evaluate`] for a write or a copy source, where S3 answers
    /// 412 instead of 304 (`If-None-Match: *` on PutObject: "create only").
    pub fn evaluate_for_write(&self, object: Option<(&str, i64)>) -> Precondition {
        match self.evaluate(object) {
            Precondition::NotModified if self.if_none_match.is_some() => {
                Precondition::Failed("If-None-Match")
            }
            Precondition::NotModified => Precondition::Failed("If-Modified-Since"),
            outcome => outcome,
        }
    }

    pub(super) fn from_headers(headers: &Headers, prefix: &str) -> Self {
        let get = |name: &str| {
            headers
                .get(&format!("{prefix}{name}"))
                .map(|v| v.trim().to_string())
        };
        Conditions {
            if_match: get("if-match"),
            if_none_match: get("if-none-match"),
            if_modified_since: get("if-modified-since").and_then(|d| time::parse_http_date(&d)),
            if_unmodified_since: get("if-unmodified-since").and_then(|d| time::parse_http_date(&d)),
        }
    }
}

impl Precondition {
    /// The error to answer a [`Precondition::Failed`] with.
    pub fn error(condition: &'static str) -> S3Error {
        S3Error::new(ErrorCode::PreconditionFailed).detail("Condition", condition)
    }
}

/// Whether an `If-Match`/`If-None-Match` list names `etag`: `*`, or any
/// entry equal to it once quotes and a weak `W/` prefix are set aside.
fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = |tag: &str| -> String {
        let tag = tag.trim();
        tag.strip_prefix("W/")
            .unwrap_or(tag)
            .trim_matches('"')
            .to_string()
    };
    let etag = bare(etag);
    list.split(',')
        .any(|entry| entry.trim() == "*" || bare(entry) == etag)
}

/// A `Range: bytes=...` request for one range (S3 serves no multi-range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-` or `bytes=first-last` (inclusive).
    From { first: u64, last: Option<u64> },
    /// `bytes=-len`: the last `len` bytes.
    Suffix { len: u64 },
}

impl ByteRange {
    /// The range in a `Range` header; `None` for anything S3 ignores
    /// (another unit, several ranges, `first > last`, not numbers).
    pub fn parse(header: &str) -> Option<Self> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (first, last) = spec.split_once('-')?;
        let number = |text: &str| -> Option<u64> {
            let text = text.trim();
            (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())?
        };
        match (first.trim().is_empty(), last.trim().is_empty()) {
            (true, false) => Some(ByteRange::Suffix { len: number(last)? }),
            (false, true) => Some(ByteRange::From {
                first: number(first)?,
                last: None,
            }),
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                (first <= last).then_some(ByteRange::From {
                    first,
                    last: Some(last),
                })
            }
            (true, true) => None,
        }
    }

    /// The inclusive byte span to send of an object of `size` bytes.
    ///
    /// # Errors
    /// `InvalidRange` (416) when no byte of the object is in the range.
    pub fn resolve(&self, size: u64) -> Result<(u64, u64), S3Error> {
        let span = match *self {
            ByteRange::From { first, last } if first < size => {
                Some((first, last.map_or(size - 1, |last| last.min(size - 1))))
            }
            ByteRange::Suffix { len } if len > 0 && size > 0 => {
                Some((size.saturating_sub(len), size - 1))
            }
            _ => None,
        };
        span.ok_or_else(|| {
            let requested = match *self {
                ByteRange::From {
                    first,
                    last: Some(last),
                } => format!("bytes={first}-{last}"),
                ByteRange::From { first, last: None } => format!("bytes={first}-"),
                ByteRange::Suffix { len } => format!("bytes=-{len}"),
            };
            S3Error::new(ErrorCode::InvalidRange)
                .detail("RangeRequested", requested)
                .detail("ActualObjectSize", size.to_string())
        })
    }
}
