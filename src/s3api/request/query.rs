//! The query string: decoded parameters and the sub-resources wasmfaas
//! refuses.

use super::meta::{is_safe_header_value, unsafe_header_value};
use crate::s3api::error::{ErrorCode, S3Error};
use crate::s3api::percent;
use std::collections::BTreeMap;

/// Sub-resources of S3 features wasmfaas does not implement. A request
/// naming one is refused rather than mistaken for a plain object request.
pub(super) const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataTable",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "renameObject",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "select-type",
    "session",
    "tagging",
    "torrent",
    "versioning",
    "versions",
    "website",
];

/// The query parameters, decoded; the first of repeated names wins.
pub(super) struct Query(BTreeMap<String, String>);

impl Query {
    pub(super) fn parse(raw: &str) -> Result<Self, S3Error> {
        let mut map = BTreeMap::new();
        for (name, value) in percent::raw_pairs(raw) {
            let decode = |text: &str| {
                percent::decode_utf8(text, true).ok_or_else(|| S3Error::new(ErrorCode::InvalidURI))
            };
            map.entry(decode(name)?).or_insert(decode(value)?);
        }
        Ok(Query(map))
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A parameter whose empty value means "not given" (delimiter, markers).
    pub(super) fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// A `response-*` parameter: a header to answer with, which must be
    /// safe to put in a response head.
    pub(super) fn header_override(&self, name: &str) -> Result<Option<String>, S3Error> {
        match self.non_empty(name) {
            Some(value) if !is_safe_header_value(&value) => Err(unsafe_header_value(name, &value)),
            value => Ok(value),
        }
    }

    pub(super) fn number(&self, name: &str, default: u32) -> Result<u32, S3Error> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map_or_else(
                    || {
                        Err(S3Error::with_message(
                            ErrorCode::InvalidArgument,
                            format!("Provided {name} not an integer or within integer range"),
                        )
                        .detail("ArgumentName", name)
                        .detail("ArgumentValue", text))
                    },
                    |n| Ok(u32::try_from(n).unwrap_or(u32::MAX)),
                ),
        }
    }

    pub(super) fn url_encoding(&self) -> Result<bool, S3Error> {
        match self.get("encoding-type") {
            None => Ok(false),
            Some(value) if value.eq_ignore_ascii_case("url") => Ok(true),
            Some(value) => Err(S3Error::with_message(
                ErrorCode::InvalidArgument,
                "Invalid Encoding Method specified in Request",
            )
            .detail("ArgumentName", "encoding-type")
            .detail("ArgumentValue", value)),
        }
    }

    pub(super) fn upload_id(&self) -> Option<String> {
        self.get("uploadId").map(str::to_string)
    }

    pub(super) fn part_number(&self) -> Result<u32, S3Error> {
        let invalid = || {
            S3Error::with_message(
                ErrorCode::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .detail("ArgumentName", "partNumber")
            .detail("ArgumentValue", self.get("partNumber").unwrap_or(""))
        };
        let number: u32 = self
            .get("partNumber")
            .ok_or_else(invalid)?
            .trim()
            .parse()
            .map_err(|_| invalid())?;
        if (1..=10_000).contains(&number) {
            Ok(number)
        } else {
            Err(invalid())
        }
    }
}
