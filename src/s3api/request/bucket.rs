//! Bucket operations: create, delete, head, location, and the listings
//! (ListObjects V1 and V2, ListMultipartUploads, DeleteObjects).

use super::meta::require_integrity_header;
use super::query::Query;
use super::{MAX_LIST, Operation, method_not_allowed, not_implemented};
use crate::s3api::error::{ErrorCode, S3Error};
use crate::s3api::headers::Headers;

/// Parameters of ListObjects and ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListObjects {
    pub version: ListVersion,
    /// Only keys that start with this (empty: all).
    pub prefix: String,
    /// Roll keys up to `CommonPrefixes` at the first occurrence of this
    /// after the prefix.
    pub delimiter: Option<String>,
    /// As asked (default 1000); see [`ListObjects::limit`].
    pub max_keys: u32,
    /// `encoding-type=url`: URL-encode keys and prefixes in the answer.
    /// boto3 always asks, so keys with control characters survive XML.
    pub url_encoding: bool,
}

impl ListObjects {
    /// How many keys and common prefixes to return at most: S3 never
    /// returns more than 1000, whatever `max-keys` says.
    pub fn limit(&self) -> usize {
        self.max_keys.min(MAX_LIST) as usize
    }
}

/// What differs between ListObjects V1 and V2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListVersion {
    /// Start after the key `marker`.
    V1 { marker: Option<String> },
    /// Continue from an opaque token of ours, or start after a key.
    V2 {
        continuation_token: Option<String>,
        start_after: Option<String>,
        fetch_owner: bool,
    },
}

/// Parameters of ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUploads {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: u32,
    pub url_encoding: bool,
}

pub(super) fn route_bucket(
    method: &str,
    bucket: String,
    query: &Query,
    headers: &Headers,
) -> Result<Operation, S3Error> {
    match method {
        "GET" if query.has("location") => Ok(Operation::GetBucketLocation { bucket }),
        "GET" if query.has("uploads") => Ok(Operation::ListMultipartUploads {
            bucket,
            list: ListUploads {
                prefix: query.get("prefix").unwrap_or("").to_string(),
                delimiter: query.non_empty("delimiter"),
                key_marker: query.non_empty("key-marker"),
                upload_id_marker: query.non_empty("upload-id-marker"),
                max_uploads: query.number("max-uploads", MAX_LIST)?,
                url_encoding: query.url_encoding()?,
            },
        }),
        "GET" => {
            let version = match query.get("list-type") {
                None => ListVersion::V1 {
                    marker: query.non_empty("marker"),
                },
                Some("2") => ListVersion::V2 {
                    continuation_token: query.non_empty("continuation-token"),
                    start_after: query.non_empty("start-after"),
                    fetch_owner: query.get("fetch-owner") == Some("true"),
                },
                Some(other) => {
                    return Err(S3Error::with_message(
                        ErrorCode::InvalidArgument,
                        "Invalid List Type specified in Request",
                    )
                    .detail("ArgumentName", "list-type")
                    .detail("ArgumentValue", other));
                }
            };
            let list = ListObjects {
                version,
                prefix: query.get("prefix").unwrap_or("").to_string(),
                delimiter: query.non_empty("delimiter"),
                max_keys: query.number("max-keys", MAX_LIST)?,
                url_encoding: query.url_encoding()?,
            };
            Ok(Operation::ListObjects { bucket, list })
        }
        "PUT" => {
            validate_bucket_name(&bucket)?;
            Ok(Operation::CreateBucket { bucket })
        }
        "DELETE" => Ok(Operation::DeleteBucket { bucket }),
        "HEAD" => Ok(Operation::HeadBucket { bucket }),
        "POST" if query.has("delete") => {
            require_integrity_header(headers)?;
            Ok(Operation::DeleteObjects { bucket })
        }
        "POST" => Err(not_implemented("POST object (browser form upload)")),
        _ => Err(method_not_allowed(method)),
    }
}

/// S3's bucket naming rules (general purpose buckets).
pub(super) fn validate_bucket_name(name: &str) -> Result<(), S3Error> {
    let bytes = name.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let looks_like_ip =
        name.split('.').count() == 4 && name.split('.').all(|part| part.parse::<u8>().is_ok());
    let valid = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && !name.contains("..")
        && !name.contains(".-")
        && !name.contains("-.")
        && !looks_like_ip
        && !name.starts_with("xn--")
        && !name.starts_with("sthree-")
        && !name.ends_with("-s3alias")
        && !name.ends_with("--ol-s3");
    if valid {
        Ok(())
    } else {
        Err(S3Error::new(ErrorCode::InvalidBucketName).detail("BucketName", name))
    }
}
