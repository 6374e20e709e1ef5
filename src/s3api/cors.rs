//! CORS as S3 applies it per bucket: which browser origins may use a
//! bucket, the answer to a preflight `OPTIONS`, and the `Access-Control-*`
//! headers of an allowed response.
//!
//! S3 keeps a CORS configuration per bucket; wasmfaas keeps the list of
//! allowed origins of `[s3.<name>] cors = [...]` (docs/config.md), with
//! every method and request header allowed for them. An origin is matched
//! as S3 matches `AllowedOrigin`: exactly (ASCII case-insensitively), or
//! with one `*` standing for any run of characters (`*` alone: any origin).
//!
//! One rule is stricter than S3, on purpose: S3 serves a state-changing
//! request from any origin and only leaves the CORS headers off (the
//! browser then hides the answer, but the write is done). A page on any web
//! site could so write to or delete from a developer's local buckets; here
//! such a request is refused unless its origin is allowed
//! ([`refuses_write`]).

use super::error::{ErrorCode, S3Error};

/// The methods a preflight is answered for (S3's `AllowedMethod` values).
pub const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

/// Response headers a browser script may read besides the simple ones:
/// the ETag is needed to complete a multipart upload.
const EXPOSE_HEADERS: &str = "ETag, x-amz-request-id, x-amz-version-id, x-amz-checksum-crc32, \
                              x-amz-checksum-crc32c, x-amz-checksum-sha1, x-amz-checksum-sha256";

/// Whether `origin` matches one of `allowed` (S3's `AllowedOrigin` rules).
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    allowed.iter().any(|pattern| matches(pattern, origin))
}

fn matches(pattern: &str, origin: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let origin = origin.to_ascii_lowercase();
    match pattern.split_once('*') {
        None => pattern == origin,
        Some((before, after)) => {
            origin.len() >= before.len() + after.len()
                && origin.starts_with(before)
                && origin.ends_with(after)
        }
    }
}

/// True if a request with `method` from `origin` must be refused: it
/// changes state (anything but GET and HEAD) and its origin is not allowed.
pub fn refuses_write(method: &str, origin: Option<&str>, allowed: &[String]) -> bool {
    let reads = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    match origin {
        Some(origin) if !reads => !origin_allowed(allowed, origin),
        _ => false,
    }
}

/// The error for a CORS request the bucket does not allow; `configured`
/// says whether the bucket has any CORS rule (S3's message differs).
pub fn forbidden(method: &str, configured: bool) -> S3Error {
    let message = if configured {
        "CORSResponse: This CORS request is not allowed. This is usually because the evaluation \
         of Origin, request method / Access-Control-Request-Method or \
         Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
    } else {
        "CORSResponse: CORS is not enabled for this bucket."
    };
    S3Error::with_message(ErrorCode::AccessForbidden, message)
        .detail("Method", method.to_ascii_uppercase())
        .detail("ResourceType", "OBJECT")
}

/// The headers of a response to an allowed origin (S3 sends them on the
/// actual request as on the preflight).
pub fn allowed_headers(origin: &str, allowed: &[String]) -> Vec<(&'static str, String)> {
    // S3 answers a wildcard-only rule with `*` and no credentials, and any
    // other match with the origin itself and credentials allowed.
    let any = allowed.iter().any(|p| p == "*");
    let mut headers = vec![
        (
            "access-control-allow-origin",
            if any { "*".into() } else { origin.to_string() },
        ),
        ("access-control-allow-methods", METHODS.join(", ")),
        ("access-control-expose-headers", EXPOSE_HEADERS.into()),
        (
            "vary",
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".into(),
        ),
    ];
    if !any {
        headers.push(("access-control-allow-credentials", "true".into()));
    }
    headers
}

/// Answers a preflight `OPTIONS`: the headers to send with a 200, or the
/// error S3 gives.
///
/// # Errors
/// `BadRequest` without `Origin` or `Access-Control-Request-Method`;
/// `AccessForbidden` for an origin or method not allowed.
pub fn preflight(
    origin: Option<&str>,
    requested_method: Option<&str>,
    requested_headers: Option<&str>,
    allowed: &[String],
) -> Result<Vec<(&'static str, String)>, S3Error> {
    let Some(origin) = origin else {
        return Err(S3Error::new(ErrorCode::BadRequest));
    };
    let Some(method) = requested_method else {
        return Err(S3Error::with_message(
            ErrorCode::BadRequest,
            "Invalid Access-Control-Request-Method: null",
        ));
    };
    let method = method.trim();
    if !origin_allowed(allowed, origin) || !METHODS.contains(&method) {
        return Err(forbidden(method, !allowed.is_empty()));
    }
    let mut headers = allowed_headers(origin, allowed);
    if let Some(requested) = requested_headers.map(str::trim).filter(|h| !h.is_empty()) {
        // Every header is allowed (S3's `AllowedHeader: *`): S3 echoes the
        // requested list, lower-cased.
        headers.push((
            "access-control-allow-headers",
            requested.to_ascii_lowercase(),
        ));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(origins: &[&str]) -> Vec<String> {
        origins.iter().map(|o| o.to_string()).collect()
    }

    #[test]
    fn origins_match_exactly_or_with_one_wildcard() {
        let allowed = list(&["http://localhost:5173", "https://*.example.com"]);
        assert!(origin_allowed(&allowed, "http://localhost:5173"));
        assert!(origin_allowed(&allowed, "HTTP://LOCALHOST:5173"));
        assert!(origin_allowed(&allowed, "https://app.example.com"));
        assert!(!origin_allowed(&allowed, "http://localhost:5174"));
        assert!(!origin_allowed(&allowed, "https://evil.com"));
        assert!(!origin_allowed(&allowed, "https://example.com.evil.com"));
        assert!(origin_allowed(&list(&["*"]), "https://anything.test"));
        assert!(!origin_allowed(&[], "http://localhost:5173"));
    }

    #[test]
    fn writes_from_an_origin_not_allowed_are_refused_and_reads_are_not() {
        let allowed = list(&["http://localhost:5173"]);
        for method in ["PUT", "POST", "DELETE", "PATCH"] {
            assert!(refuses_write(method, Some("https://evil.test"), &allowed));
            assert!(!refuses_write(
                method,
                Some("http://localhost:5173"),
                &allowed
            ));
            assert!(!refuses_write(method, None, &allowed));
        }
        assert!(!refuses_write("GET", Some("https://evil.test"), &allowed));
        assert!(!refuses_write("HEAD", Some("https://evil.test"), &allowed));
    }

    #[test]
    fn a_preflight_is_answered_for_allowed_origins_only() {
        let allowed = list(&["http://localhost:5173"]);
        let headers = preflight(
            Some("http://localhost:5173"),
            Some("PUT"),
            Some("Content-Type, X-Amz-Date"),
            &allowed,
        )
        .unwrap();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("access-control-allow-origin"),
            Some("http://localhost:5173")
        );
        assert_eq!(
            get("access-control-allow-headers"),
            Some("content-type, x-amz-date")
        );
        let refused = preflight(Some("https://evil.test"), Some("PUT"), None, &allowed);
        assert_eq!(refused.unwrap_err().code, ErrorCode::AccessForbidden);
        let unconfigured = preflight(Some("https://evil.test"), Some("PUT"), None, &[]);
        assert!(unconfigured.unwrap_err().message.contains("not enabled"));
        let no_origin = preflight(None, Some("PUT"), None, &allowed);
        assert_eq!(no_origin.unwrap_err().code, ErrorCode::BadRequest);
    }
}
