//! The SigV4 parameters as the client sent them: the `Authorization`
//! header or the `X-Amz-*` query of a presigned URL, parsed and checked for
//! shape (not yet for the signature).

use super::MAX_EXPIRES_SECS;
use crate::s3api::error::{ErrorCode, S3Error};
use crate::s3api::percent;

/// Where the SigV4 parameters came from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Header,
    Query,
}

/// SigV4 parameters, from the `Authorization` header or the query.
pub(super) struct V4Auth {
    pub(super) access_key: String,
    pub(super) date: String,
    pub(super) region: String,
    pub(super) service: String,
    pub(super) signed_headers: Vec<String>,
    pub(super) signature: String,
    /// Presigned only: X-Amz-Date and X-Amz-Expires.
    pub(super) amz_date: Option<String>,
    pub(super) expires: Option<i64>,
}

impl V4Auth {
    pub(super) fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

pub(super) fn malformed_header(why: &str) -> S3Error {
    S3Error::with_message(
        ErrorCode::AuthorizationHeaderMalformed,
        format!("The authorization header is malformed; {why}"),
    )
}

pub(super) fn malformed_query(why: &str) -> S3Error {
    S3Error::with_message(ErrorCode::AuthorizationQueryParametersError, why)
}

/// Splits `AKID/20130524/us-east-1/s3/aws4_request`.
pub(super) fn parse_credential(credential: &str) -> Option<(String, String, String, String)> {
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
pub(super) fn parse_authorization(value: &str) -> Result<V4Auth, S3Error> {
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
pub(super) fn parse_presigned(query: &str) -> Result<V4Auth, S3Error> {
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
