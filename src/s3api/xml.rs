//! The XML documents of the S3 API: response bodies written the way AWS
//! shapes them, and the request bodies S3 reads (CreateBucketConfiguration,
//! CompleteMultipartUpload, Delete).
//!
//! Writers take plain input structs ([`ObjectEntry`], [`PartEntry`], ...)
//! so the storage engine's types map onto them without this module knowing
//! storage. Element order follows AWS's responses: SDK parsers do not care,
//! but people diffing against real S3 do. Every result document carries the
//! S3 namespace; the `<Error>` document, like AWS's, does not.
//!
//! Readers (in `parse.rs`) accept any namespace prefix, reject a DTD (no
//! entity tricks) and answer anything not well-formed or not of the
//! expected shape with `MalformedXML`, as S3 does.

use super::checksum::{Checksum, ChecksumAlgorithm};
use super::error::S3Error;
use super::percent;
use super::request::{ListObjects, ListUploads, ListVersion};
use super::time::iso8601_ms;

mod parse;

pub use parse::{
    CompletedPart, DeleteRequest, DeleteTarget, MAX_DELETE_KEYS, parse_complete_multipart_upload,
    parse_create_bucket, parse_delete,
};

/// The S3 document namespace.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The owner shown in listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: String,
    pub display_name: String,
}

/// A bucket in ListBuckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEntry {
    pub name: String,
    pub creation_ns: i64,
}

/// An object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: String,
    pub last_modified_ns: i64,
    /// With or without the surrounding quotes; written quoted.
    pub etag: String,
    pub size: u64,
    /// `None` for `STANDARD`.
    pub storage_class: Option<String>,
    /// Shown by V1 always and by V2 with `fetch-owner=true`, when known.
    pub owner: Option<Owner>,
    /// The algorithm of the checksum stored with the object, if any.
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
}

/// One page of a ListObjects(V2) answer, as the storage engine found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectsPage {
    pub objects: Vec<ObjectEntry>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// Where the next page starts when truncated: V2's
    /// `NextContinuationToken` (opaque, ours), V1's `NextMarker` (a key;
    /// S3 sends it only when a delimiter was given, so it is written only
    /// then).
    pub next: Option<String>,
}

/// A part in ListParts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartEntry {
    pub part_number: u32,
    pub last_modified_ns: i64,
    pub etag: String,
    pub size: u64,
    pub checksum: Option<Checksum>,
}

/// The identity of a multipart upload and the page of parts asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartsPage {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub part_number_marker: u32,
    pub max_parts: u32,
    pub parts: Vec<PartEntry>,
    pub is_truncated: bool,
    /// `None` for `STANDARD`.
    pub storage_class: Option<String>,
    pub owner: Option<Owner>,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
}

/// An in-progress upload in ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadEntry {
    pub key: String,
    pub upload_id: String,
    pub initiated_ns: i64,
    pub storage_class: Option<String>,
    pub owner: Option<Owner>,
}

/// One page of ListMultipartUploads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadsPage {
    pub uploads: Vec<UploadEntry>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}

/// What became of one key of a DeleteObjects request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Deleted, or there was nothing to delete (S3 says `Deleted` either way).
    Deleted {
        key: String,
    },
    Failed {
        key: String,
        error: S3Error,
    },
}

/// A document being written: tags and escaped text.
struct Doc(String);

impl Doc {
    /// Declaration and the root's start tag, in the S3 namespace.
    fn new(root: &str) -> Self {
        Doc(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{NAMESPACE}\">"
        ))
    }

    fn open(&mut self, name: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.0, text);
        self.close(name)
    }

    fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.text(name, text);
        }
        self
    }

    fn owner(&mut self, name: &str, owner: Option<&Owner>) -> &mut Self {
        if let Some(owner) = owner {
            self.open(name)
                .text("ID", &owner.id)
                .text("DisplayName", &owner.display_name)
                .close(name);
        }
        self
    }

    fn checksum(&mut self, checksum: Option<&Checksum>) -> &mut Self {
        if let Some(checksum) = checksum {
            self.text(checksum.algorithm.xml_name(), &checksum.value);
        }
        self
    }

    fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.0
    }
}

/// Escapes text for an element, quotes included (S3 writes ETags as
/// `&quot;…&quot;`). Control characters, which XML 1.0 text
/// cannot hold literally (and a CR would be turned into LF by parsers), go
/// as character references, as S3 writes them.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// An ETag as S3 writes it: in double quotes.
fn quoted(etag: &str) -> String {
    format!("\"{}\"", etag.trim_matches('"'))
}

/// A key or prefix as listed: URL-encoded (`/` kept) when the client asked
/// for `encoding-type=url`, which botocore undoes with `unquote_plus`.
fn listed(text: &str, url_encoding: bool) -> String {
    if url_encoding {
        percent::encode(text.as_bytes(), true)
    } else {
        text.to_string()
    }
}

/// `ListAllMyBucketsResult`: the answer to ListBuckets.
pub fn list_buckets(owner: &Owner, buckets: &[BucketEntry]) -> String {
    let mut doc = Doc::new("ListAllMyBucketsResult");
    doc.owner("Owner", Some(owner)).open("Buckets");
    for bucket in buckets {
        doc.open("Bucket")
            .text("Name", &bucket.name)
            .text("CreationDate", &iso8601_ms(bucket.creation_ns))
            .close("Bucket");
    }
    doc.close("Buckets");
    doc.finish("ListAllMyBucketsResult")
}

/// `ListBucketResult`: the answer to ListObjects (V1) or ListObjectsV2, as
/// `list.version` says.
pub fn list_objects(bucket: &str, list: &ListObjects, page: &ObjectsPage) -> String {
    let url = list.url_encoding;
    let mut doc = Doc::new("ListBucketResult");
    doc.text("Name", bucket)
        .text("Prefix", &listed(&list.prefix, url));
    let v2 = match &list.version {
        ListVersion::V1 { marker } => {
            doc.text("Marker", &listed(marker.as_deref().unwrap_or(""), url));
            if page.is_truncated && list.delimiter.is_some() {
                doc.opt(
                    "NextMarker",
                    page.next.as_deref().map(|m| listed(m, url)).as_deref(),
                );
            }
            None
        }
        ListVersion::V2 {
            continuation_token,
            start_after,
            fetch_owner,
        } => {
            doc.opt("ContinuationToken", continuation_token.as_deref());
            if page.is_truncated {
                doc.opt("NextContinuationToken", page.next.as_deref());
            }
            doc.opt(
                "StartAfter",
                start_after.as_deref().map(|s| listed(s, url)).as_deref(),
            );
            let count = page.objects.len() + page.common_prefixes.len();
            doc.text("KeyCount", &count.to_string());
            Some(*fetch_owner)
        }
    };
    doc.text("MaxKeys", &list.max_keys.to_string()).opt(
        "Delimiter",
        list.delimiter.as_deref().map(|d| listed(d, url)).as_deref(),
    );
    if url {
        doc.text("EncodingType", "url");
    }
    doc.text(
        "IsTruncated",
        if page.is_truncated { "true" } else { "false" },
    );
    let show_owner = v2.unwrap_or(true);
    for object in &page.objects {
        doc.open("Contents")
            .text("Key", &listed(&object.key, url))
            .text("LastModified", &iso8601_ms(object.last_modified_ns))
            .text("ETag", &quoted(&object.etag))
            .opt(
                "ChecksumAlgorithm",
                object.checksum_algorithm.map(|a| a.name()),
            )
            .text("Size", &object.size.to_string())
            .owner("Owner", object.owner.as_ref().filter(|_| show_owner))
            .text(
                "StorageClass",
                object.storage_class.as_deref().unwrap_or("STANDARD"),
            )
            .close("Contents");
    }
    for prefix in &page.common_prefixes {
        doc.open("CommonPrefixes")
            .text("Prefix", &listed(prefix, url))
            .close("CommonPrefixes");
    }
    doc.finish("ListBucketResult")
}

/// `CopyObjectResult`: the answer to CopyObject.
pub fn copy_object_result(
    etag: &str,
    last_modified_ns: i64,
    checksum: Option<&Checksum>,
) -> String {
    copy_result("CopyObjectResult", etag, last_modified_ns, checksum)
}

/// `CopyPartResult`: the answer to UploadPartCopy.
pub fn copy_part_result(etag: &str, last_modified_ns: i64, checksum: Option<&Checksum>) -> String {
    copy_result("CopyPartResult", etag, last_modified_ns, checksum)
}

fn copy_result(
    root: &str,
    etag: &str,
    last_modified_ns: i64,
    checksum: Option<&Checksum>,
) -> String {
    let mut doc = Doc::new(root);
    doc.text("ETag", &quoted(etag))
        .text("LastModified", &iso8601_ms(last_modified_ns))
        .checksum(checksum);
    doc.finish(root)
}

/// `InitiateMultipartUploadResult`: the answer to CreateMultipartUpload.
pub fn initiate_multipart_upload(bucket: &str, key: &str, upload_id: &str) -> String {
    let mut doc = Doc::new("InitiateMultipartUploadResult");
    doc.text("Bucket", bucket)
        .text("Key", key)
        .text("UploadId", upload_id);
    doc.finish("InitiateMultipartUploadResult")
}

/// `CompleteMultipartUploadResult`: the answer to CompleteMultipartUpload.
/// `location` is the object's URL.
pub fn complete_multipart_upload(
    location: &str,
    bucket: &str,
    key: &str,
    etag: &str,
    checksum: Option<&Checksum>,
) -> String {
    let mut doc = Doc::new("CompleteMultipartUploadResult");
    doc.text("Location", location)
        .text("Bucket", bucket)
        .text("Key", key)
        .text("ETag", &quoted(etag))
        .checksum(checksum);
    doc.finish("CompleteMultipartUploadResult")
}

/// `ListPartsResult`: the answer to ListParts.
pub fn list_parts(page: &PartsPage) -> String {
    let mut doc = Doc::new("ListPartsResult");
    doc.text("Bucket", &page.bucket)
        .text("Key", &page.key)
        .text("UploadId", &page.upload_id)
        .text("PartNumberMarker", &page.part_number_marker.to_string());
    let next = page.parts.last().map_or(0, |p| p.part_number);
    doc.text("NextPartNumberMarker", &next.to_string())
        .text("MaxParts", &page.max_parts.to_string())
        .text(
            "IsTruncated",
            if page.is_truncated { "true" } else { "false" },
        );
    for part in &page.parts {
        doc.open("Part")
            .text("PartNumber", &part.part_number.to_string())
            .text("LastModified", &iso8601_ms(part.last_modified_ns))
            .text("ETag", &quoted(&part.etag))
            .text("Size", &part.size.to_string())
            .checksum(part.checksum.as_ref())
            .close("Part");
    }
    doc.owner("Initiator", page.owner.as_ref())
        .owner("Owner", page.owner.as_ref())
        .text(
            "StorageClass",
            page.storage_class.as_deref().unwrap_or("STANDARD"),
        )
        .opt(
            "ChecksumAlgorithm",
            page.checksum_algorithm.map(|a| a.name()),
        );
    doc.finish("ListPartsResult")
}

/// `ListMultipartUploadsResult`: the answer to ListMultipartUploads.
pub fn list_multipart_uploads(bucket: &str, list: &ListUploads, page: &UploadsPage) -> String {
    let url = list.url_encoding;
    let mut doc = Doc::new("ListMultipartUploadsResult");
    doc.text("Bucket", bucket)
        .text(
            "KeyMarker",
            &listed(list.key_marker.as_deref().unwrap_or(""), url),
        )
        .text(
            "UploadIdMarker",
            list.upload_id_marker.as_deref().unwrap_or(""),
        )
        .text(
            "NextKeyMarker",
            &listed(page.next_key_marker.as_deref().unwrap_or(""), url),
        )
        .text(
            "NextUploadIdMarker",
            page.next_upload_id_marker.as_deref().unwrap_or(""),
        )
        .opt(
            "Delimiter",
            list.delimiter.as_deref().map(|d| listed(d, url)).as_deref(),
        )
        .text("Prefix", &listed(&list.prefix, url))
        .text("MaxUploads", &list.max_uploads.to_string());
    if url {
        doc.text("EncodingType", "url");
    }
    doc.text(
        "IsTruncated",
        if page.is_truncated { "true" } else { "false" },
    );
    for upload in &page.uploads {
        doc.open("Upload")
            .text("Key", &listed(&upload.key, url))
            .text("UploadId", &upload.upload_id)
            .owner("Initiator", upload.owner.as_ref())
            .owner("Owner", upload.owner.as_ref())
            .text(
                "StorageClass",
                upload.storage_class.as_deref().unwrap_or("STANDARD"),
            )
            .text("Initiated", &iso8601_ms(upload.initiated_ns))
            .close("Upload");
    }
    for prefix in &page.common_prefixes {
        doc.open("CommonPrefixes")
            .text("Prefix", &listed(prefix, url))
            .close("CommonPrefixes");
    }
    doc.finish("ListMultipartUploadsResult")
}

/// `DeleteResult`: the answer to DeleteObjects. In quiet mode S3 lists
/// only the failures.
pub fn delete_result(outcomes: &[DeleteOutcome], quiet: bool) -> String {
    let mut doc = Doc::new("DeleteResult");
    for outcome in outcomes {
        match outcome {
            DeleteOutcome::Deleted { key } if !quiet => {
                doc.open("Deleted").text("Key", key).close("Deleted");
            }
            DeleteOutcome::Deleted { .. } => {}
            DeleteOutcome::Failed { key, error } => {
                doc.open("Error")
                    .text("Key", key)
                    .text("Code", error.code())
                    .text("Message", &error.message)
                    .close("Error");
            }
        }
    }
    doc.finish("DeleteResult")
}

/// `LocationConstraint`: the answer to GetBucketLocation. S3 answers an
/// empty element for us-east-1, its original region.
pub fn location_constraint(region: &str) -> String {
    let head = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{NAMESPACE}\""
    );
    if region.is_empty() || region == "us-east-1" {
        return head + "/>";
    }
    let mut out = head + ">";
    escape_into(&mut out, region);
    out + "</LocationConstraint>"
}

/// The `<Error>` document for `error`: code, message, the error's details,
/// the resource (the request path) and our request id.
pub fn error_document(error: &S3Error, resource: &str, request_id: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    let mut element = |name: &str, text: &str| {
        out.push_str(&format!("<{name}>"));
        escape_into(&mut out, text);
        out.push_str(&format!("</{name}>"));
    };
    element("Code", error.code());
    element("Message", &error.message);
    for (name, value) in &error.details {
        element(name, value);
    }
    element("Resource", resource);
    element("RequestId", request_id);
    out.push_str("</Error>");
    out
}

#[cfg(test)]
mod tests;
