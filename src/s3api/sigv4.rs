//! Request authentication: AWS Signature Version 4 (the `Authorization`
//! header and presigned URLs), and the SigV2 forms real clients still send.
//!
//! Why SigV2 too: boto3's `generate_presigned_url` signs S3 URLs with SigV2
//! (`AWSAccessKeyId`, `Signature`, `Expires`) unless the client is configured
//! with `signature_version="s3v4"` (see the captured `presigned_get_v2`).
//! Everything else boto3 and aws-cli send is SigV4.
//!
//! S3 differs from other services in two ways that matter here: the
//! canonical URI is the path as the client encoded it, *not* encoded a
//! second time, and the payload hash is whatever `x-amz-content-sha256`
//! says (a hex digest, `UNSIGNED-PAYLOAD` or a `STREAMING-*` mode), checked
//! against the body later by [`super::chunked`].
//!
//! Nothing here reads a clock: the caller passes `now` (seconds since the
//! epoch) for the 15-minute skew window and presigned-URL expiry. The region
//! in the credential scope is taken as the client gives it, since a local
//! endpoint has no region of its own.

mod canonical;
mod params;
mod v2;

use super::error::{ErrorCode, S3Error};
use super::headers::RawRequest;
use super::percent;
use super::time;
use crate::hex::hex;
use canonical::{canonical_headers, canonical_query, canonical_uris};
use hmac::{Hmac, KeyInit, Mac};
use params::{
    Mode, V4Auth, malformed_header, malformed_query, parse_authorization, parse_presigned,
};
use sha2::{Digest, Sha256};
use v2::{verify_v2_header, verify_v2_query};

/// How far a signed request's time may be from the server's (S3: 15 min).
const MAX_SKEW_SECS: i64 = 15 * 60;
/// The longest lifetime of a SigV4 presigned URL (S3: 7 days).
const MAX_EXPIRES_SECS: i64 = 7 * 24 * 3600;
/// SHA-256 of the empty string, part of every chunk's string to sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A request whose signature held.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who signed it.
    pub access_key: String,
    /// For SigV4: what verifies the chunk signatures of a
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body, seeded with the request's
    /// signature. `None` for SigV2.
    pub chunk_signer: Option<ChunkSigner>,
}

/// Checks the request's signature with the secret that `secret_for` gives
/// for its access key.
///
/// # Errors
/// - `AccessDenied`: the request is not signed, or a presigned URL expired
///   or is not valid yet;
/// - `InvalidAccessKeyId`: `secret_for` knows no such key (S3's answer; it
///   is a 403 like `AccessDenied`);
/// - `SignatureDoesNotMatch`: wrong signature, with the string to sign and
///   canonical request in the details, as S3 gives them, to debug a client;
/// - `AuthorizationHeaderMalformed` / `AuthorizationQueryParametersError`:
///   the signature's parameters do not parse;
/// - `RequestTimeTooSkewed`: a header-signed request more than 15 minutes
///   from `now`;
/// - `InvalidRequest`: a header-signed request without `x-amz-content-sha256`.
pub fn verify(
    request: &RawRequest<'_>,
    secret_for: impl Fn(&str) -> Option<String>,
    now: i64,
) -> Result<Verified, S3Error> {
    let query_has = |name: &str| percent::raw_pairs(request.query).any(|(n, _)| n == name);
    let authorization = request.headers.get("authorization");
    let presigned_v4 = query_has("X-Amz-Algorithm");
    if authorization.is_some() && (presigned_v4 || query_has("Signature")) {
        return Err(S3Error::with_message(
            ErrorCode::InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        ));
    }
    match authorization {
        Some(value) if value.starts_with("AWS4-HMAC-SHA256 ") => {
            let auth = parse_authorization(value)?;
            verify_v4(request, &auth, Mode::Header, &secret_for, now)
        }
        Some(value) if value.starts_with("AWS ") => {
            verify_v2_header(request, value, &secret_for, now)
        }
        Some(_) => Err(S3Error::with_message(
            ErrorCode::InvalidArgument,
            "Unsupported Authorization Type",
        )),
        None if presigned_v4 => {
            let auth = parse_presigned(request.query)?;
            verify_v4(request, &auth, Mode::Query, &secret_for, now)
        }
        None if query_has("Signature") && query_has("AWSAccessKeyId") => {
            verify_v2_query(request, &secret_for, now)
        }
        None => Err(S3Error::new(ErrorCode::AccessDenied)),
    }
}

/// The SigV4 signing key for one day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Verifies the chain of signatures in a `STREAMING-AWS4-HMAC-SHA256-*`
/// body: each chunk's signature covers its data and the previous signature,
/// starting from the request's own ("seed") signature.
#[derive(Debug, Clone)]
pub struct ChunkSigner {
    key: [u8; 32],
    amz_date: String,
    scope: String,
    previous: String,
}

impl ChunkSigner {
    /// A signer continuing from `seed_signature`, the request's signature.
    pub fn new(key: [u8; 32], amz_date: &str, scope: &str, seed_signature: &str) -> Self {
        Self {
            key,
            amz_date: amz_date.to_string(),
            scope: scope.to_string(),
            previous: seed_signature.to_ascii_lowercase(),
        }
    }

    /// Checks the signature of the next chunk, given the SHA-256 of its data.
    ///
    /// # Errors
    /// `SignatureDoesNotMatch`.
    pub fn verify_chunk(&mut self, data_sha256: &[u8; 32], signature: &str) -> Result<(), S3Error> {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex(data_sha256)
        );
        self.check(&string_to_sign, signature)
    }

    /// Checks `x-amz-trailer-signature`, given the trailing headers as
    /// signed: each `name:value\n`.
    ///
    /// # Errors
    /// `SignatureDoesNotMatch`.
    pub fn verify_trailer(&mut self, trailer: &[u8], signature: &str) -> Result<(), S3Error> {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex(&Sha256::digest(trailer))
        );
        self.check(&string_to_sign, signature)
    }

    fn check(&mut self, string_to_sign: &str, signature: &str) -> Result<(), S3Error> {
        let expected = hex(&hmac_sha256(&self.key, string_to_sign.as_bytes()));
        if !constant_time_eq(expected.as_bytes(), signature.trim().as_bytes()) {
            return Err(S3Error::new(ErrorCode::SignatureDoesNotMatch)
                .detail("StringToSign", string_to_sign)
                .detail("SignatureProvided", signature.trim()));
        }
        self.previous = expected;
        Ok(())
    }
}

fn verify_v4(
    request: &RawRequest<'_>,
    auth: &V4Auth,
    mode: Mode,
    secret_for: &impl Fn(&str) -> Option<String>,
    now: i64,
) -> Result<Verified, S3Error> {
    let malformed = |why: &str| match mode {
        Mode::Header => malformed_header(why),
        Mode::Query => malformed_query(why),
    };
    let amz_date = request_time(request, auth)?;
    let signed_at = time::parse_amz_date(&amz_date).ok_or_else(|| {
        malformed(&format!(
            "X-Amz-Date '{amz_date}' must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        ))
    })?;
    check_scope(auth, &amz_date).map_err(|why| malformed(&why))?;
    check_time_window(auth.expires, signed_at, now)?;
    let payload_hash = payload_hash(request, mode)?;
    let secret = secret_for(&auth.access_key).ok_or_else(|| {
        S3Error::new(ErrorCode::InvalidAccessKeyId)
            .detail("AWSAccessKeyId", auth.access_key.clone())
    })?;
    let key = signing_key(&secret, &auth.date, &auth.region, &auth.service);
    let scope = auth.scope();
    let query = canonical_query(request.query, mode == Mode::Query);
    let headers = canonical_headers(request.headers, &auth.signed_headers);
    let signed_headers = auth.signed_headers.join(";");

    let mut first = None;
    for uri in canonical_uris(request.path) {
        let canonical_request = format!(
            "{}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload_hash}",
            request.method
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical_request.as_bytes()))
        );
        let expected = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));
        if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Ok(Verified {
                access_key: auth.access_key.clone(),
                chunk_signer: Some(ChunkSigner::new(key, &amz_date, &scope, &expected)),
            });
        }
        first.get_or_insert((canonical_request, string_to_sign));
    }
    let (canonical_request, string_to_sign) = first.expect("at least one canonical URI");
    Err(S3Error::new(ErrorCode::SignatureDoesNotMatch)
        .detail("AWSAccessKeyId", auth.access_key.clone())
        .detail("StringToSign", string_to_sign)
        .detail("SignatureProvided", auth.signature.clone())
        .detail("CanonicalRequest", canonical_request))
}

/// The request time as `yyyyMMddTHHmmssZ`: X-Amz-Date (header or presigned
/// query), else the Date header.
fn request_time(request: &RawRequest<'_>, auth: &V4Auth) -> Result<String, S3Error> {
    Ok(match (&auth.amz_date, request.headers.get("x-amz-date")) {
        (Some(date), _) => date.clone(),
        (None, Some(date)) => date.trim().to_string(),
        (None, None) => {
            let date = request.headers.get("date").and_then(time::parse_http_date);
            let date = date.ok_or_else(|| {
                S3Error::with_message(
                    ErrorCode::AccessDenied,
                    "AWS authentication requires a valid Date or x-amz-date header",
                )
            })?;
            amz_date_of(date)
        }
    })
}

/// The credential scope and signed headers S3 insists on; the error is the
/// reason, for the caller to word as a malformed header or query.
fn check_scope(auth: &V4Auth, amz_date: &str) -> Result<(), String> {
    if !amz_date.starts_with(&auth.date) {
        return Err(format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
            auth.date,
            &amz_date[..8]
        ));
    }
    if auth.service != "s3" {
        return Err(format!(
            "incorrect service \"{}\". This endpoint belongs to \"s3\".",
            auth.service
        ));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err("the host header must be signed.".to_string());
    }
    Ok(())
}

/// A header-signed request must be within the skew window; a presigned URL
/// (`expires` given) must not have expired nor be from the future.
fn check_time_window(expires: Option<i64>, signed_at: i64, now: i64) -> Result<(), S3Error> {
    let Some(expires) = expires else {
        return check_skew(signed_at, now);
    };
    if now > signed_at + expires {
        return Err(
            S3Error::with_message(ErrorCode::AccessDenied, "Request has expired")
                .detail("X-Amz-Expires", expires.to_string())
                .detail(
                    "Expires",
                    time::iso8601_ms((signed_at + expires) * 1_000_000_000),
                )
                .detail("ServerTime", time::iso8601_ms(now * 1_000_000_000)),
        );
    }
    if signed_at > now + MAX_SKEW_SECS {
        return Err(S3Error::with_message(
            ErrorCode::AccessDenied,
            "Request is not valid yet",
        ));
    }
    Ok(())
}

/// The payload hash the signature covers: `x-amz-content-sha256` (required
/// when header-signed), or a presigned URL's `X-Amz-Content-Sha256`,
/// defaulting to `UNSIGNED-PAYLOAD`.
fn payload_hash(request: &RawRequest<'_>, mode: Mode) -> Result<String, S3Error> {
    match mode {
        Mode::Header => Ok(request
            .headers
            .get("x-amz-content-sha256")
            .map(str::trim)
            .ok_or_else(|| {
                S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    "Missing required header for this request: x-amz-content-sha256",
                )
            })?
            .to_string()),
        Mode::Query => Ok(percent::raw_pairs(request.query)
            .find(|(n, _)| *n == "X-Amz-Content-Sha256")
            .and_then(|(_, v)| percent::decode_utf8(v, false))
            .unwrap_or_else(|| "UNSIGNED-PAYLOAD".into())),
    }
}

fn check_skew(signed_at: i64, now: i64) -> Result<(), S3Error> {
    if (signed_at - now).abs() <= MAX_SKEW_SECS {
        return Ok(());
    }
    Err(S3Error::new(ErrorCode::RequestTimeTooSkewed)
        .detail("RequestTime", time::iso8601_ms(signed_at * 1_000_000_000))
        .detail("ServerTime", time::iso8601_ms(now * 1_000_000_000))
        .detail("MaxAllowedSkewMilliseconds", "900000"))
}

fn amz_date_of(secs: i64) -> String {
    // 2013-05-24T00:00:00.000Z -> 20130524T000000Z
    let iso = time::iso8601_ms(secs * 1_000_000_000);
    iso[..19].replace(['-', ':'], "") + "Z"
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Equality whose time depends only on the lengths, so that a forger
/// cannot learn a signature byte by byte from response times.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
