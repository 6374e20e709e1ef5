//! The SigV4 canonical request: URI, query and headers in the normal form
//! the signature covers.

use crate::s3api::headers::Headers;
use crate::s3api::percent;

/// The canonical URIs to try. S3 takes the path as the client encoded it;
/// clients that encode characters AWS leaves alone, or the reverse, sign the
/// AWS-normalised form, so that is tried second.
pub(super) fn canonical_uris(path: &str) -> Vec<String> {
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
pub(super) fn canonical_query(query: &str, presigned: bool) -> String {
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
pub(super) fn canonical_headers(headers: &Headers, signed: &[String]) -> String {
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
