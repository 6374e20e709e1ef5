//! What S3 accepts as a bucket name, a key, a content type and user
//! metadata, checked before anything is stored.

use super::PutOptions;
use crate::state::error::{BucketError, StateError};
use crate::state::limits::{
    S3_DEFAULT_CONTENT_TYPE as DEFAULT_CONTENT_TYPE, S3_MAX_KEY_BYTES as MAX_KEY_BYTES,
    S3_MAX_USER_METADATA_BYTES as MAX_USER_METADATA_BYTES,
};
use std::collections::BTreeMap;

/// Checks a bucket name against S3's rules for general purpose buckets.
pub(in crate::state) fn validate_bucket_name(bucket: &str) -> Result<(), BucketError> {
    let fail = |reason: &str| {
        Err(BucketError::InvalidBucketName {
            bucket: bucket.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if !(3..=63).contains(&bucket.len()) {
        return fail("bucket names must be 3 to 63 characters long");
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return fail("bucket names may contain only lowercase letters, digits, `.` and `-`");
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bucket.as_bytes()[0]) || !alnum(bucket.as_bytes()[bucket.len() - 1]) {
        return fail("bucket names must begin and end with a letter or digit");
    }
    if bucket.contains("..") {
        return fail("bucket names must not contain two adjacent periods");
    }
    if bucket.split('.').count() == 4 && bucket.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return fail("bucket names must not look like an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if bucket.starts_with(prefix) {
            return fail(&format!("bucket names must not start with `{prefix}`"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if bucket.ends_with(suffix) {
            return fail(&format!("bucket names must not end with `{suffix}`"));
        }
    }
    Ok(())
}

/// True for a byte that must never reach a response head: a control
/// character other than tab (CR and LF would end the header and let the
/// rest of the value write headers or a body of its own).
fn is_forbidden_in_head(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// Refuses a value stored to be sent back as a response header if it holds
/// a control character: what is stored must never produce a bad head.
fn check_head_value(header: &str, value: &str) -> Result<(), BucketError> {
    if value.chars().any(is_forbidden_in_head) {
        return Err(BucketError::InvalidArgument {
            message: format!(
                "the value of {header} contains a control character (CR, LF or another): it \
                 could not be sent back in a response header; remove it or encode it"
            ),
        });
    }
    Ok(())
}

/// A user metadata name becomes the header name `x-amz-meta-<name>`: only
/// HTTP token characters may appear in it.
fn check_metadata_name(name: &str) -> Result<(), BucketError> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(BucketError::InvalidArgument {
            message: format!(
                "the user metadata name {name:?} is not an HTTP header name: use letters, \
                 digits and `-`"
            ),
        });
    }
    Ok(())
}

pub(in crate::state) fn validate_key(key: &str) -> Result<(), BucketError> {
    if key.is_empty() {
        return Err(BucketError::InvalidArgument {
            message: "an object key cannot be empty".into(),
        });
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(BucketError::KeyTooLongError { size: key.len() });
    }
    Ok(())
}

/// The content type and lowercase-named user metadata a write stores.
pub(in crate::state) fn resolve_put_options(
    options: &PutOptions,
) -> Result<(String, String), BucketError> {
    let content_type = options
        .content_type
        .clone()
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
    let metadata: BTreeMap<String, &String> = options
        .user_metadata
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    check_head_value("Content-Type", &content_type)?;
    for (name, value) in &metadata {
        check_metadata_name(name)?;
        check_head_value(&format!("x-amz-meta-{name}"), value)?;
    }
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA_BYTES {
        return Err(BucketError::MetadataTooLarge {
            size,
            max: MAX_USER_METADATA_BYTES,
        });
    }
    let json = serde_json::to_string(&metadata).map_err(|e| StateError::Corrupt {
        detail: format!("user metadata does not serialise: {e}"),
    })?;
    Ok((content_type, json))
}
