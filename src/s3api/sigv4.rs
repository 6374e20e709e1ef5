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

use super::error::{ErrorCode, S3Error};
use super::headers::{Headers, RawRequest};
use super::percent;
use super::time;
use crate::hex::hex;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

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

/// Where the SigV4 parameters came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Header,
    Query,
}

/// SigV4 parameters, from the `Authorization` header or the query.
struct V4Auth {
    access_key: String,
    date: String,
    region: String,
    service: String,
    signed_headers: Vec<String>,
    signature: String,
    /// Presigned only: X-Amz-Date and X-Amz-Expires.
    amz_date: Option<String>,
    expires: Option<i64>,
}

impl V4Auth {
    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

fn malformed_header(why: &str) -> S3Error {
    S3Error::with_message(
        ErrorCode::AuthorizationHeaderMalformed,
        format!("The authorization header is malformed; {why}"),
    )
}

fn malformed_query(why: &str) -> S3Error {
    S3Error::with_message(ErrorCode::AuthorizationQueryParametersError, why)
}

/// Splits `AKID/20130524/us-east-1/s3/aws4_request`.
fn parse_credential(credential: &str) -> Option<(String, String, String, String)> {
    let mut parts = credential.rsplitn(5, '/');
    let terminator = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let date = parts.next()?;
    let access_key = parts.next()?;
    let valid = terminator == "aws4_request"
        && date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && !access_key.is_empty();
    valid.then(|| {
        (
            access_key.into(),
            date.into(),
            region.into(),
            service.into(),
        )
    })
}

/// Parses `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`
/// (botocore separates with `, `; other clients with `,`).
fn parse_authorization(value: &str) -> Result<V4Auth, S3Error> {
    let rest = &value["AWS4-HMAC-SHA256 ".len()..];
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {
                return Err(malformed_header(&format!(
                    "unexpected component '{}'.",
                    part.trim()
                )));
            }
        }
    }
    let credential = credential.ok_or_else(|| malformed_header("missing Credential."))?;
    let (access_key, date, region, service) = parse_credential(credential).ok_or_else(|| {
        malformed_header(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        )
    })?;
    Ok(V4Auth {
        access_key,
        date,
        region,
        service,
        signed_headers: signed_headers
            .ok_or_else(|| malformed_header("missing SignedHeaders."))?
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect(),
        signature: signature
            .ok_or_else(|| malformed_header("missing Signature."))?
            .to_string(),
        amz_date: None,
        expires: None,
    })
}

/// Parses the `X-Amz-*` parameters of a presigned URL.
fn parse_presigned(query: &str) -> Result<V4Auth, S3Error> {
    let param = |name: &str| {
        percent::raw_pairs(query)
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| percent::decode_utf8(v, false))
    };
    let missing = || {
        malformed_query(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )
    };
    if param("X-Amz-Algorithm").as_deref() != Some("AWS4-HMAC-SHA256") {
        return Err(malformed_query(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let credential = param("X-Amz-Credential").ok_or_else(missing)?;
    let (access_key, date, region, service) = parse_credential(&credential).ok_or_else(|| {
        malformed_query(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        )
    })?;
    let expires = param("X-Amz-Expires").ok_or_else(missing)?;
    let expires: i64 = expires
        .parse()
        .ok()
        .filter(|secs| *secs >= 0)
        .ok_or_else(|| malformed_query("X-Amz-Expires should be a number"))?;
    if expires > MAX_EXPIRES_SECS {
        return Err(malformed_query(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ));
    }
    Ok(V4Auth {
        access_key,
        date,
        region,
        service,
        signed_headers: param("X-Amz-SignedHeaders")
            .ok_or_else(missing)?
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect(),
        signature: param("X-Amz-Signature").ok_or_else(missing)?,
        amz_date: Some(param("X-Amz-Date").ok_or_else(missing)?),
        expires: Some(expires),
    })
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
    // The request time: X-Amz-Date (header or presigned query), else Date.
    let amz_date = match (&auth.amz_date, request.headers.get("x-amz-date")) {
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
    };
    let signed_at = time::parse_amz_date(&amz_date).ok_or_else(|| {
        malformed(&format!(
            "X-Amz-Date '{amz_date}' must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        ))
    })?;
    if !amz_date.starts_with(&auth.date) {
        return Err(malformed(&format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
            auth.date,
            &amz_date[..8]
        )));
    }
    if auth.service != "s3" {
        return Err(malformed(&format!(
            "incorrect service \"{}\". This endpoint belongs to \"s3\".",
            auth.service
        )));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(malformed("the host header must be signed."));
    }
    match auth.expires {
        None => check_skew(signed_at, now)?,
        Some(expires) => {
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
        }
    }
    let payload_hash = match mode {
        Mode::Header => request
            .headers
            .get("x-amz-content-sha256")
            .map(str::trim)
            .ok_or_else(|| {
                S3Error::with_message(
                    ErrorCode::InvalidRequest,
                    "Missing required header for this request: x-amz-content-sha256",
                )
            })?
            .to_string(),
        Mode::Query => percent::raw_pairs(request.query)
            .find(|(n, _)| *n == "X-Amz-Content-Sha256")
            .and_then(|(_, v)| percent::decode_utf8(v, false))
            .unwrap_or_else(|| "UNSIGNED-PAYLOAD".into()),
    };
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

/// The canonical URIs to try. S3 takes the path as the client encoded it;
/// clients that encode characters AWS leaves alone, or the reverse, sign the
/// AWS-normalised form, so that is tried second.
fn canonical_uris(path: &str) -> Vec<String> {
    let raw = if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    };
    let mut uris = vec![raw.clone()];
    if let Some(decoded) = percent::decode(&raw, false) {
        let normalised = percent::encode(&decoded, true);
        if normalised != raw {
            uris.push(normalised);
        }
    }
    uris
}

/// Query parameters, each name and value URI-encoded the AWS way, sorted;
/// a presigned URL's own `X-Amz-Signature` left out.
fn canonical_query(query: &str, presigned: bool) -> String {
    let normalise = |text: &str| match percent::decode(text, false) {
        Some(bytes) => percent::encode(&bytes, false),
        None => text.to_string(),
    };
    let mut pairs: Vec<(String, String)> = percent::raw_pairs(query)
        .filter(|(name, _)| !(presigned && *name == "X-Amz-Signature"))
        .map(|(name, value)| (normalise(name), normalise(value)))
        .collect();
    pairs.sort();
    let joined: Vec<String> = pairs.into_iter().map(|(n, v)| format!("{n}={v}")).collect();
    joined.join("&")
}

/// `name:value\n` for each signed header: repeated headers joined with `,`,
/// values trimmed and inner runs of spaces collapsed.
fn canonical_headers(headers: &Headers, signed: &[String]) -> String {
    let mut out = String::new();
    for name in signed {
        let values: Vec<String> = headers
            .get_all(name)
            .map(|v| v.split_ascii_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// The sub-resources a SigV2 signature covers (as botocore's `HmacV1Auth`).
const V2_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The SigV2 string to sign, with `date` in the Date/Expires slot.
fn v2_string_to_sign(request: &RawRequest<'_>, date: &str) -> String {
    let header = |name: &str| request.headers.get(name).unwrap_or("").trim().to_string();
    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in request.headers.iter() {
        if name.starts_with("x-amz-") {
            match amz.iter_mut().find(|(n, _)| n == name) {
                Some((_, joined)) => {
                    joined.push(',');
                    joined.push_str(value.trim());
                }
                None => amz.push((name.to_string(), value.trim().to_string())),
            }
        }
    }
    amz.sort();
    let mut resource = request.path.to_string();
    let mut sub: Vec<(&str, Option<String>)> = percent::raw_pairs(request.query)
        .filter(|(name, _)| V2_SUBRESOURCES.contains(name))
        .map(|(name, value)| {
            let has_value = request
                .query
                .split('&')
                .any(|p| p.starts_with(&format!("{name}=")));
            (
                name,
                has_value.then(|| percent::decode_utf8(value, false).unwrap_or(value.into())),
            )
        })
        .collect();
    sub.sort_by(|a, b| a.0.cmp(b.0));
    if !sub.is_empty() {
        let parts: Vec<String> = sub
            .into_iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{name}={value}"),
                None => name.to_string(),
            })
            .collect();
        resource.push('?');
        resource.push_str(&parts.join("&"));
    }
    let mut out = format!(
        "{}\n{}\n{}\n{date}\n",
        request.method,
        header("content-md5"),
        header("content-type")
    );
    for (name, value) in amz {
        out.push_str(&format!("{name}:{value}\n"));
    }
    out.push_str(&resource);
    out
}

fn verify_v2_signature(
    access_key: &str,
    signature: &str,
    string_to_sign: String,
    secret_for: &impl Fn(&str) -> Option<String>,
) -> Result<Verified, S3Error> {
    let secret = secret_for(access_key).ok_or_else(|| {
        S3Error::new(ErrorCode::InvalidAccessKeyId).detail("AWSAccessKeyId", access_key)
    })?;
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(string_to_sign.as_bytes());
    let expected = BASE64.encode(mac.finalize().into_bytes());
    if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Ok(Verified {
            access_key: access_key.to_string(),
            chunk_signer: None,
        });
    }
    Err(S3Error::new(ErrorCode::SignatureDoesNotMatch)
        .detail("AWSAccessKeyId", access_key)
        .detail("StringToSign", string_to_sign)
        .detail("SignatureProvided", signature))
}

/// SigV2 presigned URL: `?AWSAccessKeyId=..&Expires=<epoch secs>&Signature=..`.
fn verify_v2_query(
    request: &RawRequest<'_>,
    secret_for: &impl Fn(&str) -> Option<String>,
    now: i64,
) -> Result<Verified, S3Error> {
    // `+` stays `+`: a base64 signature holds no spaces, and clients that
    // forget to encode its `+` are common.
    let param = |name: &str| {
        percent::raw_pairs(request.query)
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| percent::decode_utf8(v, false))
    };
    let access_key = param("AWSAccessKeyId").unwrap_or_default();
    let signature = param("Signature").unwrap_or_default();
    let expires = param("Expires").ok_or_else(|| {
        S3Error::with_message(ErrorCode::AccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
    })?;
    let expires_at: i64 = expires.parse().map_err(|_| {
        S3Error::with_message(
            ErrorCode::AccessDenied,
            "Invalid date (should be seconds since epoch)",
        )
    })?;
    if now > expires_at {
        return Err(
            S3Error::with_message(ErrorCode::AccessDenied, "Request has expired")
                .detail("Expires", time::iso8601_ms(expires_at * 1_000_000_000))
                .detail("ServerTime", time::iso8601_ms(now * 1_000_000_000)),
        );
    }
    let string_to_sign = v2_string_to_sign(request, &expires);
    verify_v2_signature(&access_key, &signature, string_to_sign, secret_for)
}

/// SigV2 header: `Authorization: AWS <access key>:<signature>`.
fn verify_v2_header(
    request: &RawRequest<'_>,
    value: &str,
    secret_for: &impl Fn(&str) -> Option<String>,
    now: i64,
) -> Result<Verified, S3Error> {
    let (access_key, signature) = value["AWS ".len()..]
        .trim()
        .rsplit_once(':')
        .ok_or_else(|| malformed_header("expecting \"AWS <access key>:<signature>\"."))?;
    // With x-amz-date present the Date slot is empty (it is signed among
    // the x-amz-* headers instead).
    let (date_slot, signed_at) = match request.headers.get("x-amz-date") {
        Some(amz) => (
            String::new(),
            time::parse_http_date(amz).or_else(|| time::parse_amz_date(amz)),
        ),
        None => {
            let date = request.headers.get("date").unwrap_or("").trim();
            (date.to_string(), time::parse_http_date(date))
        }
    };
    let signed_at = signed_at.ok_or_else(|| {
        S3Error::with_message(
            ErrorCode::AccessDenied,
            "AWS authentication requires a valid Date or x-amz-date header",
        )
    })?;
    check_skew(signed_at, now)?;
    let string_to_sign = v2_string_to_sign(request, &date_slot);
    verify_v2_signature(access_key, signature, string_to_sign, secret_for)
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
