//! Request bodies: from what the client sent to the object's bytes, with
//! every integrity check S3 makes on the way.
//!
//! `x-amz-content-sha256` says how the body is framed:
//! - a hex SHA-256, or `UNSIGNED-PAYLOAD`: the body is the object; a hex
//!   digest must match (`XAmzContentSHA256Mismatch`);
//! - `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (boto3 ≥ 1.36 and aws-cli v2 over
//!   HTTPS): aws-chunked, `<hex size>\r\n<data>\r\n` repeated, a `0\r\n`
//!   chunk, then trailing headers such as `x-amz-checksum-crc32:<b64>\r\n`
//!   and an empty line;
//! - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: the same with
//!   `;chunk-signature=<hex>` after each size, chained from the request's
//!   signature, and an `x-amz-trailer-signature` after signed trailers.
//!
//! Chunk signatures are verified when the request was verified (a
//! [`ChunkSigner`] is given) and only stripped otherwise, so an endpoint
//! without credentials still accepts signed uploads. The checksum a client
//! sends (trailer or `x-amz-checksum-*` header) and `Content-MD5` are always
//! checked, and the checksum is returned to echo in the response.
//!
//! [`BodyReader`] decodes as a stream so a large upload never has to sit in
//! memory whole; [`decode`] is the one-call form for a buffered body. Both
//! expect the HTTP layer to have removed `Transfer-Encoding: chunked` already
//! (boto3 wraps aws-chunked inside it).

use super::checksum::{self, Checksum, ChecksumAlgorithm, Hasher, Md5Hasher};
use super::error::{ErrorCode, S3Error};
use super::headers::Headers;
use super::sigv4::ChunkSigner;
use sha2::{Digest, Sha256};
use std::io::{self, BufRead, Read};

mod integrity;

/// The longest chunk-size line or trailer line accepted.
const MAX_LINE: u64 = 4096;

/// A decoded, verified body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The object's bytes.
    pub data: Vec<u8>,
    /// The checksum the client sent (verified), or computed for the
    /// algorithm it asked for: the `x-amz-checksum-*` header to echo back.
    pub checksum: Option<Checksum>,
}

/// Decodes and verifies a whole buffered body.
///
/// # Errors
/// As [`BodyReader::new`] and [`BodyReader`]'s reads.
pub fn decode(
    headers: &Headers,
    body: &[u8],
    signer: Option<ChunkSigner>,
) -> Result<Decoded, S3Error> {
    let mut reader = BodyReader::new(headers, body, signer)?;
    // The announced length is the client's word: never reserve beyond what
    // actually arrived.
    let capacity = reader
        .decoded_length
        .map_or(body.len(), |n| body.len().min(n as usize));
    let mut data = Vec::with_capacity(capacity);
    reader.read_to_end(&mut data).map_err(S3Error::from_io)?;
    Ok(Decoded {
        data,
        checksum: reader.checksum,
    })
}

/// How the body is framed and signed, from `x-amz-content-sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Payload {
    /// No hash: `UNSIGNED-PAYLOAD`, or no header (presigned URLs).
    Unsigned,
    /// The hex SHA-256 the client computed.
    Sha256(String),
    /// aws-chunked; `signed`: chunk signatures present; `trailer`: trailing
    /// headers present.
    Chunked { signed: bool, trailer: bool },
}

impl Payload {
    fn of(headers: &Headers) -> Result<Self, S3Error> {
        let Some(value) = headers.get("x-amz-content-sha256").map(str::trim) else {
            return Ok(Payload::Unsigned);
        };
        Ok(match value {
            "UNSIGNED-PAYLOAD" => Payload::Unsigned,
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Payload::Chunked {
                signed: false,
                trailer: true,
            },
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" | "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" => {
                Payload::Chunked {
                    signed: true,
                    trailer: false,
                }
            }
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
            | "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" => Payload::Chunked {
                signed: true,
                trailer: true,
            },
            hash if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Payload::Sha256(hash.to_ascii_lowercase())
            }
            _ => {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidArgument,
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                ));
            }
        })
    }
}

/// Where the reader is in an aws-chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before a chunk-size line.
    Header,
    /// Inside a chunk's data.
    Data { left: u64 },
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// Everything read and verified.
    Done,
}

/// A [`Read`] over the object's bytes of a request body, verifying as it
/// goes. A failure is an [`io::Error`] wrapping the [`S3Error`] to answer
/// with; get it back with [`S3Error::from_io`]. The final checks (length,
/// checksums, digests) run when the end is read, so a caller must read to
/// the end (`Ok(0)`) before trusting the bytes.
pub struct BodyReader<R> {
    inner: R,
    payload: Payload,
    stage: Stage,
    signer: Option<ChunkSigner>,
    /// `x-amz-decoded-content-length`, if sent.
    decoded_length: Option<u64>,
    /// Object bytes delivered so far.
    delivered: u64,
    /// The signature of the chunk being read.
    chunk_signature: Option<String>,
    chunk_sha256: Option<Sha256>,
    /// SHA-256 of the whole body, for `Payload::Sha256`.
    body_sha256: Option<Sha256>,
    /// The checksum announced in a header, checked at the end.
    expected: Option<Checksum>,
    /// The trailer announced by `x-amz-trailer`.
    trailer: Option<ChecksumAlgorithm>,
    hasher: Option<Hasher>,
    md5: Option<(Md5Hasher, [u8; 16])>,
    /// The verified (or computed) checksum, once the end is read.
    checksum: Option<Checksum>,
    /// The error the body failed with, repeated by every later read.
    failed: Option<S3Error>,
}

impl<R: BufRead> BodyReader<R> {
    /// A reader of `inner`, framed as `headers` say.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown `x-amz-content-sha256`;
    /// `InvalidRequest` for a malformed or conflicting checksum header or an
    /// `x-amz-trailer` that names no checksum; `InvalidDigest` for a
    /// malformed `Content-MD5`.
    pub fn new(headers: &Headers, inner: R, signer: Option<ChunkSigner>) -> Result<Self, S3Error> {
        let payload = Payload::of(headers)?;
        let expected = checksum::from_headers(headers)?;
        let trailer = match headers.get("x-amz-trailer") {
            None => None,
            Some(name) => Some(ChecksumAlgorithm::from_header_name(name).ok_or_else(|| {
                S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    format!(
                        "The value specified in the x-amz-trailer header is not supported: {name}"
                    ),
                )
            })?),
        };
        if trailer.is_some() {
            if !matches!(payload, Payload::Chunked { trailer: true, .. }) {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    "x-amz-trailer is only allowed with a STREAMING-*-TRAILER x-amz-content-sha256",
                ));
            }
            if expected.is_some() {
                return Err(S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
        }
        // The algorithm to compute: the one whose value will be checked, or
        // the one the SDK asked S3 to compute (x-amz-sdk-checksum-algorithm).
        let algorithm = trailer
            .or(expected.as_ref().map(|c| c.algorithm))
            .or_else(|| {
                headers
                    .get("x-amz-sdk-checksum-algorithm")
                    .and_then(ChecksumAlgorithm::from_name)
            });
        let decoded_length = match headers.get("x-amz-decoded-content-length") {
            None => None,
            Some(text) => Some(text.trim().parse::<u64>().map_err(|_| {
                S3Error::with_message(
                    ErrorCode::InvalidArgument,
                    "x-amz-decoded-content-length is not a number",
                )
            })?),
        };
        let chunked = matches!(payload, Payload::Chunked { .. });
        Ok(Self {
            inner,
            body_sha256: matches!(payload, Payload::Sha256(_)).then(Sha256::new),
            payload,
            stage: if chunked {
                Stage::Header
            } else {
                Stage::Data { left: u64::MAX }
            },
            signer,
            decoded_length,
            delivered: 0,
            chunk_signature: None,
            chunk_sha256: None,
            expected,
            trailer,
            hasher: algorithm.map(Hasher::new),
            md5: checksum::content_md5(headers)?.map(|digest| (Md5Hasher::default(), digest)),
            checksum: None,
            failed: None,
        })
    }

    /// Whether the body is aws-chunked (and so its length on the wire is
    /// not the object's).
    pub fn is_aws_chunked(&self) -> bool {
        matches!(self.payload, Payload::Chunked { .. })
    }

    /// The object's length if the client announced it
    /// (`x-amz-decoded-content-length`).
    pub fn decoded_length(&self) -> Option<u64> {
        self.decoded_length
    }

    /// After the end was read: the checksum to echo back, if any.
    pub fn checksum(&self) -> Option<&Checksum> {
        self.checksum.as_ref()
    }

    fn verify_signatures(&self) -> bool {
        self.signer.is_some() && matches!(self.payload, Payload::Chunked { signed: true, .. })
    }

    /// Reads one line, without its CRLF (or LF); `None` at end of input.
    fn read_line(&mut self) -> Result<Option<String>, S3Error> {
        let mut line = Vec::new();
        (&mut self.inner)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut line)
            .map_err(|_| S3Error::new(ErrorCode::IncompleteBody))?;
        if line.is_empty() {
            return Ok(None);
        }
        if line.last() != Some(&b'\n') {
            return Err(if line.len() as u64 > MAX_LINE {
                framing("chunk header or trailer line too long")
            } else {
                S3Error::new(ErrorCode::IncompleteBody)
            });
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        String::from_utf8(line)
            .map(Some)
            .map_err(|_| framing("chunk header or trailer is not text"))
    }

    /// Parses a chunk-size line; returns the size.
    fn start_chunk(&mut self) -> Result<u64, S3Error> {
        let line = self
            .read_line()?
            .ok_or_else(|| S3Error::new(ErrorCode::IncompleteBody))?;
        let mut parts = line.split(';');
        let size_text = parts.next().unwrap_or("").trim();
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| framing(&format!("invalid chunk size '{size_text}'")))?;
        self.chunk_signature = None;
        for extension in parts {
            if let Some(signature) = extension.trim().strip_prefix("chunk-signature=") {
                self.chunk_signature = Some(signature.to_string());
            }
        }
        if self.verify_signatures() {
            if self.chunk_signature.is_none() {
                return Err(S3Error::with_message(
                    ErrorCode::SignatureDoesNotMatch,
                    "A chunk of a signed aws-chunked body has no chunk-signature.",
                ));
            }
            self.chunk_sha256 = Some(Sha256::new());
        }
        if let Some(expected) = self.decoded_length
            && self.delivered.saturating_add(size) > expected
        {
            return Err(framing(
                "the chunks hold more data than x-amz-decoded-content-length",
            ));
        }
        Ok(size)
    }

    fn end_chunk(&mut self) -> Result<(), S3Error> {
        if let (Some(signer), Some(sha)) = (self.signer.as_mut(), self.chunk_sha256.take()) {
            let signature = self.chunk_signature.take().unwrap_or_default();
            signer.verify_chunk(&sha.finalize().into(), &signature)?;
        }
        Ok(())
    }

    fn read_s3(&mut self, buf: &mut [u8]) -> Result<usize, S3Error> {
        loop {
            match self.stage {
                Stage::Done => return Ok(0),
                Stage::Header => match self.start_chunk()? {
                    0 => {
                        self.finish_chunked()?;
                        return Ok(0);
                    }
                    size => self.stage = Stage::Data { left: size },
                },
                Stage::Data { left } => {
                    if buf.is_empty() {
                        return Ok(0);
                    }
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self
                        .inner
                        .read(&mut buf[..want])
                        .map_err(|_| S3Error::new(ErrorCode::IncompleteBody))?;
                    if n == 0 {
                        if self.is_aws_chunked() {
                            return Err(S3Error::new(ErrorCode::IncompleteBody));
                        }
                        self.finish()?;
                        return Ok(0);
                    }
                    self.digest(&buf[..n]);
                    if self.is_aws_chunked() {
                        let left = left - n as u64;
                        self.stage = if left == 0 {
                            Stage::DataEnd
                        } else {
                            Stage::Data { left }
                        };
                    }
                    return Ok(n);
                }
                Stage::DataEnd => {
                    match self.read_line()? {
                        Some(rest) if rest.is_empty() => {}
                        Some(_) => return Err(framing("chunk data longer than its size")),
                        None => return Err(S3Error::new(ErrorCode::IncompleteBody)),
                    }
                    self.end_chunk()?;
                    self.stage = Stage::Header;
                }
            }
        }
    }
}

impl<R: BufRead> Read for BodyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // A failed body stays failed: a later read must neither resume
        // mid-frame nor report a clean end.
        if let Some(error) = &self.failed {
            return Err(error.clone().into_io());
        }
        self.read_s3(buf).map_err(|error| {
            self.checksum = None;
            self.failed = Some(error.clone());
            error.into_io()
        })
    }
}

fn framing(why: &str) -> S3Error {
    S3Error::with_message(
        ErrorCode::InvalidRequest,
        format!("Invalid aws-chunked body: {why}."),
    )
}

#[cfg(test)]
mod tests;
