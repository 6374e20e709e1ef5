//! The request body, read only when and as an operation needs it.
//!
//! Object bodies (PutObject, UploadPart) stream from the connection through
//! the aws-chunked decoder ([`chunked::BodyReader`], which checks
//! signatures, checksums and `Content-MD5` on the way) into the store's
//! temp file, so memory stays bounded whatever the object's size. The XML
//! bodies of other operations are small by nature and read whole, up to
//! [`MAX_DOCUMENT`]. The body is never assumed to be in memory: the HTTP
//! layer may hand it over from the socket or from a spill file.
//!
//! The body is not touched before an operation asks for it, so a request
//! refused early (no such bucket, a CORS refusal) is answered without
//! reading it and, for `Expect: 100-continue`, without inviting it.

use crate::s3api::checksum::Checksum;
use crate::s3api::chunked::{self, BodyReader, Decoded};
use crate::s3api::sigv4::ChunkSigner;
use crate::s3api::{ErrorCode, Headers, S3Error};
use crate::state::{StageError, StagedBody, State};
use std::io::{BufReader, Read};

/// The largest body an operation other than an object upload reads: a
/// DeleteObjects of 1000 keys of 1024 bytes, escaped, fits easily.
pub(super) const MAX_DOCUMENT: u64 = 8 * 1024 * 1024;

/// How much of an unread body is drained after answering, to keep the
/// connection; a longer body closes it instead.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// The buffer between the connection and the aws-chunked decoder.
const READ_BUFFER: usize = 64 * 1024;

/// One request's body.
pub(super) struct RequestBody<'r> {
    request: &'r mut tiny_http::Request,
    headers: &'r Headers,
    signer: Option<ChunkSigner>,
    /// Read to its end: the connection can carry another request.
    finished: bool,
}

impl<'r> RequestBody<'r> {
    pub(super) fn new(
        request: &'r mut tiny_http::Request,
        headers: &'r Headers,
        signer: Option<ChunkSigner>,
    ) -> Self {
        RequestBody {
            request,
            headers,
            signer,
            finished: false,
        }
    }

    /// The request's headers.
    pub(super) fn headers(&self) -> &'r Headers {
        self.headers
    }

    /// Verifies aws-chunked chunk signatures with `signer` (the request's
    /// own signature was verified).
    pub(super) fn set_signer(&mut self, signer: Option<ChunkSigner>) {
        self.signer = signer;
    }

    /// The whole body of a small document (XML), decoded and verified.
    ///
    /// # Errors
    /// `MaxMessageLengthExceeded` past [`MAX_DOCUMENT`]; `IncompleteBody`
    /// when the client stops early; the decoder's errors.
    pub(super) fn document(&mut self) -> Result<Decoded, S3Error> {
        let mut raw = Vec::new();
        self.request
            .as_reader()
            .take(MAX_DOCUMENT + 1)
            .read_to_end(&mut raw)
            .map_err(|_| S3Error::new(ErrorCode::IncompleteBody))?;
        if raw.len() as u64 > MAX_DOCUMENT {
            return Err(S3Error::new(ErrorCode::MaxMessageLengthExceeded));
        }
        self.finished = true;
        chunked::decode(self.headers, &raw, self.signer.take())
    }

    /// Streams an object's body into `state`'s staging area, decoding and
    /// verifying it on the way; returns it with the checksum to keep and echo.
    ///
    /// # Errors
    /// The decoder's errors (`IncompleteBody`, `BadDigest`, signature and
    /// framing errors) and the store's refusal, mapped by `from_state`.
    pub(super) fn stage(
        &mut self,
        state: &State,
        from_state: impl Fn(crate::state::BucketError) -> S3Error,
    ) -> Result<(StagedBody, Option<Checksum>), S3Error> {
        let signer = self.signer.take();
        let headers = self.headers;
        let connection = BufReader::with_capacity(READ_BUFFER, self.request.as_reader());
        let mut reader = BodyReader::new(headers, connection, signer)?;
        let staged = state.stage_object_body(&mut reader).map_err(|e| match e {
            StageError::Read(e) => S3Error::from_io(e),
            StageError::Refused(e) => from_state(e),
        })?;
        self.finished = true;
        Ok((staged, reader.checksum().cloned()))
    }

    /// After answering: whether the connection may carry another request.
    /// A body nobody read is drained if it is short; a long one, or one the
    /// client waits to be invited to send (`Expect: 100-continue`), closes
    /// the connection instead.
    pub(super) fn settle(&mut self) -> bool {
        if self.finished {
            return true;
        }
        let invited = self
            .headers
            .get("expect")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
        if invited {
            return false;
        }
        let mut left = self.request.as_reader().take(DRAIN_LIMIT + 1);
        matches!(std::io::copy(&mut left, &mut std::io::sink()), Ok(n) if n <= DRAIN_LIMIT)
    }
}
