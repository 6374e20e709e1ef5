//! The additional checksums S3 accepts on uploads (CRC32, CRC32C,
//! CRC64NVME, SHA1, SHA256) and `Content-MD5`.
//!
//! A client sends a checksum either as an `x-amz-checksum-<algorithm>`
//! header or, in an aws-chunked body, as a trailer ([`super::chunked`]); S3
//! checks it against the bytes it received and echoes it back in the
//! response header of the same name. Values are base64 of the big-endian
//! digest.

use super::error::{ErrorCode, S3Error};
use super::headers::Headers;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest as _, Md5};

// The algorithms and their computation belong to the store, which keeps a
// checksum with each object; this module adds how they travel.
pub use crate::state::{Checksum, ChecksumAlgorithm, Hasher};

/// The wire names of an algorithm: headers, trailers and XML elements.
impl ChecksumAlgorithm {
    /// The header (and trailer) carrying the value: `x-amz-checksum-crc32`.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The XML element carrying the value: `ChecksumCRC32`.
    pub fn xml_name(self) -> &'static str {
        match self {
            Self::Crc32 => "ChecksumCRC32",
            Self::Crc32c => "ChecksumCRC32C",
            Self::Crc64Nvme => "ChecksumCRC64NVME",
            Self::Sha1 => "ChecksumSHA1",
            Self::Sha256 => "ChecksumSHA256",
        }
    }

    /// The algorithm whose header is `name` (`x-amz-checksum-crc32`, any case).
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A checksum as a client sends it, and S3's answers when it is wrong.
impl Checksum {
    /// A checksum a client sent, checked to be base64 of the right length
    /// (S3 answers `InvalidRequest` otherwise).
    pub fn parse(algorithm: ChecksumAlgorithm, value: &str) -> Result<Self, S3Error> {
        let value = value.trim();
        match BASE64.decode(value) {
            Ok(digest) if digest.len() == algorithm.digest_len() => Ok(Self {
                algorithm,
                value: value.to_string(),
            }),
            _ => Err(S3Error::with_message(
                ErrorCode::InvalidRequest,
                format!("Value for {} header is invalid.", algorithm.header_name()),
            )),
        }
    }

    /// `Ok` if `computed` (of the received bytes) equals this expected value;
    /// otherwise S3's `BadDigest`.
    pub fn verify(&self, computed: &Checksum) -> Result<(), S3Error> {
        if self.matches(computed) {
            return Ok(());
        }
        Err(S3Error::with_message(
            ErrorCode::BadDigest,
            format!(
                "The {} you specified did not match the calculated checksum.",
                self.algorithm.name()
            ),
        ))
    }
}

/// The checksum a request carries as an `x-amz-checksum-*` header, if any.
///
/// S3 refuses more than one (`InvalidRequest`), and a value that is not
/// base64 of the algorithm's digest length.
pub fn from_headers(headers: &Headers) -> Result<Option<Checksum>, S3Error> {
    let mut found = None;
    for algorithm in ChecksumAlgorithm::ALL {
        if let Some(value) = headers.get(algorithm.header_name()) {
            if found.is_some() {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            found = Some(Checksum::parse(algorithm, value)?);
        }
    }
    Ok(found)
}

/// The `Content-MD5` digest a request carries, if any: 16 bytes in base64,
/// or S3's `InvalidDigest`.
pub fn content_md5(headers: &Headers) -> Result<Option<[u8; 16]>, S3Error> {
    let Some(value) = headers.get("content-md5") else {
        return Ok(None);
    };
    BASE64
        .decode(value.trim())
        .ok()
        .and_then(|digest| <[u8; 16]>::try_from(digest).ok())
        .map(Some)
        .ok_or_else(|| S3Error::new(ErrorCode::InvalidDigest))
}

/// An incremental MD5, for `Content-MD5` checks.
#[derive(Default)]
pub struct Md5Hasher(Md5);

impl Md5Hasher {
    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// `Ok` if the digest of everything fed is `expected`; otherwise S3's
    /// `BadDigest`.
    pub fn verify(self, expected: &[u8; 16]) -> Result<(), S3Error> {
        if self.0.finalize().as_slice() == expected {
            Ok(())
        } else {
            Err(S3Error::new(ErrorCode::BadDigest))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values boto3 1.44.5 (with awscrt) sent for this body; see
    /// tests/s3_clients/captured/put_object_https_*.http.
    const BODY: &[u8] = b"hello world\nhello world\nhello world\n";

    #[test]
    fn a_checksum_header_is_parsed_and_validated() {
        let headers = Headers::new([("X-Amz-Checksum-Crc32", "6wn4jA==")]);
        let checksum = from_headers(&headers).unwrap().unwrap();
        assert_eq!(checksum.algorithm, ChecksumAlgorithm::Crc32);
        checksum
            .verify(&Checksum::of(ChecksumAlgorithm::Crc32, BODY))
            .unwrap();
        let wrong = checksum
            .verify(&Checksum::of(ChecksumAlgorithm::Crc32, b"other"))
            .unwrap_err();
        assert_eq!(wrong.code, ErrorCode::BadDigest);

        let short = Headers::new([("x-amz-checksum-sha256", "6wn4jA==")]);
        assert_eq!(
            from_headers(&short).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let two = Headers::new([
            ("x-amz-checksum-crc32", "6wn4jA=="),
            ("x-amz-checksum-crc32c", "b6oZVQ=="),
        ]);
        assert_eq!(
            from_headers(&two).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(from_headers(&Headers::default()).unwrap(), None);
    }

    #[test]
    fn content_md5_is_checked() {
        // MD5("hello") = 5d41402abc4b2a76b9719d911017c592.
        let headers = Headers::new([("Content-MD5", "XUFAKrxLKna5cZ2REBfFkg==")]);
        let expected = content_md5(&headers).unwrap().unwrap();
        let mut md5 = Md5Hasher::default();
        md5.update(b"hel");
        md5.update(b"lo");
        md5.verify(&expected).unwrap();
        let mut other = Md5Hasher::default();
        other.update(b"world");
        assert_eq!(
            other.verify(&expected).unwrap_err().code,
            ErrorCode::BadDigest
        );
        let bad = Headers::new([("Content-MD5", "nope")]);
        assert_eq!(
            content_md5(&bad).unwrap_err().code,
            ErrorCode::InvalidDigest
        );
    }
}
