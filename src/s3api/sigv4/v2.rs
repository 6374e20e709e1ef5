//! SigV2, which boto3 still uses for presigned URLs by default: the string
//! to sign and the header and query forms of the signature.

use super::params::malformed_header;
use super::{Verified, check_skew, constant_time_eq};
use crate::s3api::error::{ErrorCode, S3Error};
use crate::s3api::headers::RawRequest;
use crate::s3api::percent;
use crate::s3api::time;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// The sub-resources a SigV2 signature covers (as botocore's `HmacV1Auth`).
pub(super) const V2_SUBRESOURCES: &[&str] = &[
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
pub(super) fn v2_string_to_sign(request: &RawRequest<'_>, date: &str) -> String {
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

pub(super) fn verify_v2_signature(
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
pub(super) fn verify_v2_query(
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
pub(super) fn verify_v2_header(
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
