//! The end of a body: aws-chunked trailers (and their signature), then the
//! checks that need every byte: length, `x-amz-content-sha256`, the
//! announced checksum and `Content-MD5`.

use super::{BodyReader, Payload, Stage};
use crate::hex::hex;
use crate::s3api::checksum::Checksum;
use crate::s3api::error::{ErrorCode, S3Error};
use sha2::Digest;
use std::io::BufRead;

impl<R: BufRead> BodyReader<R> {
    /// After the zero-size chunk: trailers, then every end-of-body check.
    pub(super) fn finish_chunked(&mut self) -> Result<(), S3Error> {
        self.end_chunk()?;
        let mut trailers: Vec<(String, String)> = Vec::new();
        let mut trailer_signature = None;
        while let Some(line) = self.read_line()? {
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| S3Error::new(ErrorCode::MalformedTrailerError))?;
            let name = name.trim().to_ascii_lowercase();
            if name == "x-amz-trailer-signature" {
                trailer_signature = Some(value.trim().to_string());
            } else {
                trailers.push((name, value.trim().to_string()));
            }
        }
        if let Some(algorithm) = self.trailer {
            let value = trailers
                .iter()
                .find(|(name, _)| name == algorithm.header_name())
                .map(|(_, value)| value.as_str())
                .ok_or_else(|| {
                    S3Error::with_message(
                        ErrorCode::MalformedTrailerError,
                        format!(
                            "The trailer {} announced in x-amz-trailer is missing.",
                            algorithm.header_name()
                        ),
                    )
                })?;
            self.expected = Some(Checksum::parse(algorithm, value)?);
        }
        if self.verify_signatures()
            && matches!(self.payload, Payload::Chunked { trailer: true, .. })
        {
            let signed: String = trailers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
            let signature = trailer_signature.ok_or_else(|| {
                S3Error::with_message(
                    ErrorCode::SignatureDoesNotMatch,
                    "The signed trailer has no x-amz-trailer-signature.",
                )
            })?;
            if let Some(signer) = self.signer.as_mut() {
                signer.verify_trailer(signed.as_bytes(), &signature)?;
            }
        }
        self.finish()
    }

    /// The checks that need the whole body.
    pub(super) fn finish(&mut self) -> Result<(), S3Error> {
        self.stage = Stage::Done;
        if let Some(expected) = self.decoded_length
            && self.delivered != expected
        {
            return Err(S3Error::new(ErrorCode::IncompleteBody));
        }
        if let (Payload::Sha256(claimed), Some(sha)) = (&self.payload, self.body_sha256.take()) {
            let computed = hex(&sha.finalize());
            if *claimed != computed {
                return Err(S3Error::new(ErrorCode::XAmzContentSHA256Mismatch)
                    .detail("ClientComputedContentSHA256", claimed.clone())
                    .detail("S3ComputedContentSHA256", computed));
            }
        }
        if let Some(hasher) = self.hasher.take() {
            let computed = hasher.finish();
            if let Some(expected) = &self.expected {
                expected.verify(&computed)?;
            }
            self.checksum = Some(computed);
        }
        if let Some((md5, expected)) = self.md5.take() {
            md5.verify(&expected)?;
        }
        Ok(())
    }

    /// Feeds delivered object bytes to every running digest.
    pub(super) fn digest(&mut self, data: &[u8]) {
        self.delivered += data.len() as u64;
        for sha in [self.chunk_sha256.as_mut(), self.body_sha256.as_mut()]
            .into_iter()
            .flatten()
        {
            sha.update(data);
        }
        if let Some(hasher) = self.hasher.as_mut() {
            hasher.update(data);
        }
        if let Some((md5, _)) = self.md5.as_mut() {
            md5.update(data);
        }
    }
}
