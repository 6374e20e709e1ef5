//! HTTP byte ranges (`Range: bytes=…`) as S3 serves them: one range per request.

use super::error::BucketError;

/// One byte range of an object, as in an HTTP `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-last`: both inclusive; `last` past the end means "to the end".
    FromTo { first: u64, last: u64 },
    /// `bytes=first-`: from `first` to the end.
    From { first: u64 },
    /// `bytes=-len`: the last `len` bytes.
    Suffix { len: u64 },
}

impl ByteRange {
    /// Parses a `Range` header value. Returns `None` for anything that is not a
    /// single well-formed byte range (several ranges, another unit, `first >
    /// last`): HTTP says to ignore such a header, and S3 then serves the whole
    /// object.
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        let (first, last) = spec.split_once('-')?;
        let number = |s: &str| -> Option<u64> {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        match (first.trim().is_empty(), last.trim().is_empty()) {
            (true, true) => None,
            (true, false) => Some(ByteRange::Suffix { len: number(last)? }),
            (false, true) => Some(ByteRange::From {
                first: number(first)?,
            }),
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                (first <= last).then_some(ByteRange::FromTo { first, last })
            }
        }
    }

    /// The inclusive `(first, last)` byte offsets this range selects from an
    /// object of `size` bytes; the HTTP layer builds `Content-Range` from them.
    ///
    /// # Errors
    /// [`BucketError::InvalidRange`] when no byte is selected (a start at or past
    /// the end, a zero-length suffix, any range of an empty object).
    pub fn resolve(&self, size: u64) -> Result<(u64, u64), BucketError> {
        let unsatisfiable = BucketError::InvalidRange { size };
        match *self {
            _ if size == 0 => Err(unsatisfiable),
            ByteRange::FromTo { first, last } if first < size => Ok((first, last.min(size - 1))),
            ByteRange::From { first } if first < size => Ok((first, size - 1)),
            ByteRange::Suffix { len } if len > 0 => Ok((size - len.min(size), size - 1)),
            _ => Err(unsatisfiable),
        }
    }
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ByteRange::FromTo { first, last } => write!(f, "bytes={first}-{last}"),
            ByteRange::From { first } => write!(f, "bytes={first}-"),
            ByteRange::Suffix { len } => write!(f, "bytes=-{len}"),
        }
    }
}
