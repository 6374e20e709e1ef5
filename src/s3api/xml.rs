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
//! Readers accept any namespace prefix, reject a DTD (no entity tricks) and
//! answer anything not well-formed or not of the expected shape with
//! `MalformedXML`, as S3 does.

use super::checksum::{Checksum, ChecksumAlgorithm};
use super::error::{ErrorCode, S3Error};
use super::percent;
use super::request::{ListObjects, ListUploads, ListVersion};
use super::time::iso8601_ms;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// The S3 document namespace.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// The most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

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

// ---------------------------------------------------------------- readers

/// An element of a parsed request body: local name, child elements, text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn malformed() -> S3Error {
    S3Error::new(ErrorCode::MalformedXML)
}

/// Parses a whole document into its root element.
/// The deepest nesting a request document may have. S3's own documents nest
/// four levels at most; a tree as deep as a hostile body makes (50,000
/// `<Delete>`s) overflowed the worker's stack when it was dropped, which
/// aborted the whole process.
const MAX_DEPTH: usize = 32;

fn parse_document(body: &[u8]) -> Result<Element, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| malformed())?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let local = |name: &str| -> Result<String, S3Error> {
        Ok(name.rsplit(':').next().unwrap_or(name).to_string())
    };
    loop {
        let event = reader.read_event().map_err(|_| malformed())?;
        match event {
            Event::Start(start) => {
                if root.is_some() || stack.len() >= MAX_DEPTH {
                    return Err(malformed());
                }
                stack.push(Element {
                    name: local(start.name().as_ref())?,
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                let element = Element {
                    name: local(start.name().as_ref())?,
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None if root.is_none() => root = Some(element),
                    None => return Err(malformed()),
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(malformed)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                match stack.last_mut() {
                    Some(element) => element.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(malformed()),
                }
            }
            Event::CData(data) => stack
                .last_mut()
                .ok_or_else(malformed)?
                .text
                .push_str(&data.xml10_content()),
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|_| malformed())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_xml_entity(&reference)
                        .ok_or_else(malformed)?
                        .to_string(),
                };
                stack
                    .last_mut()
                    .ok_or_else(malformed)?
                    .text
                    .push_str(&resolved);
            }
            // A DTD could declare entities; S3 bodies never need one.
            Event::DocType(_) => return Err(malformed()),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    match (root, stack.is_empty()) {
        (Some(root), true) => Ok(root),
        _ => Err(malformed()),
    }
}

/// Parses a CreateBucket body: the `LocationConstraint`, if any. An empty
/// body is fine (the bucket goes in the default region).
///
/// # Errors
/// `MalformedXML`.
pub fn parse_create_bucket(body: &[u8]) -> Result<Option<String>, S3Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let root = parse_document(body)?;
    if root.name != "CreateBucketConfiguration" {
        return Err(malformed());
    }
    Ok(root
        .child("LocationConstraint")
        .map(|c| c.text.trim().to_string())
        .filter(|region| !region.is_empty()))
}

/// A part named in a CompleteMultipartUpload body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// As sent (normally quoted).
    pub etag: String,
    /// `ChecksumCRC32` and friends, as boto3 sends them for parts uploaded
    /// with checksums.
    pub checksums: Vec<Checksum>,
}

/// Parses a CompleteMultipartUpload body.
///
/// # Errors
/// `MalformedXML` for a body that does not parse or names no part;
/// `InvalidPartOrder` for part numbers that do not strictly ascend;
/// `InvalidArgument` for a part number out of 1..=10000; `InvalidRequest`
/// for a malformed part checksum.
pub fn parse_complete_multipart_upload(body: &[u8]) -> Result<Vec<CompletedPart>, S3Error> {
    let root = parse_document(body)?;
    if root.name != "CompleteMultipartUpload" {
        return Err(malformed());
    }
    let mut parts: Vec<CompletedPart> = Vec::new();
    for part in root.children("Part") {
        let number = part.child("PartNumber").ok_or_else(malformed)?.text.trim();
        let part_number: u32 = number.parse().map_err(|_| malformed())?;
        if !(1..=10_000).contains(&part_number) {
            return Err(S3Error::with_message(
                ErrorCode::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .detail("ArgumentName", "partNumber")
            .detail("ArgumentValue", number));
        }
        if parts
            .last()
            .is_some_and(|last| last.part_number >= part_number)
        {
            return Err(S3Error::new(ErrorCode::InvalidPartOrder));
        }
        let etag = part
            .child("ETag")
            .ok_or_else(malformed)?
            .text
            .trim()
            .to_string();
        let mut checksums = Vec::new();
        for algorithm in ChecksumAlgorithm::ALL {
            if let Some(value) = part.child(algorithm.xml_name()) {
                checksums.push(Checksum::parse(algorithm, &value.text)?);
            }
        }
        parts.push(CompletedPart {
            part_number,
            etag,
            checksums,
        });
    }
    if parts.is_empty() {
        return Err(malformed());
    }
    Ok(parts)
}

/// A DeleteObjects body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRequest {
    pub objects: Vec<DeleteTarget>,
    /// Report only failures.
    pub quiet: bool,
}

/// A key to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTarget {
    pub key: String,
    pub version_id: Option<String>,
}

/// Parses a DeleteObjects body.
///
/// # Errors
/// `MalformedXML` for a body that does not parse, names no key or more
/// than 1000, or has a `Quiet` that is not a boolean.
pub fn parse_delete(body: &[u8]) -> Result<DeleteRequest, S3Error> {
    let root = parse_document(body)?;
    if root.name != "Delete" {
        return Err(malformed());
    }
    let quiet = match root
        .child("Quiet")
        .map(|q| q.text.trim().to_ascii_lowercase())
    {
        None => false,
        Some(q) if q == "true" => true,
        Some(q) if q == "false" => false,
        Some(_) => return Err(malformed()),
    };
    let objects = root
        .children("Object")
        .map(|object| {
            Ok(DeleteTarget {
                key: object.child("Key").ok_or_else(malformed)?.text.clone(),
                version_id: object.child("VersionId").map(|v| v.text.trim().to_string()),
            })
        })
        .collect::<Result<Vec<_>, S3Error>>()?;
    if objects.is_empty() || objects.len() > MAX_DELETE_KEYS {
        return Err(malformed());
    }
    Ok(DeleteRequest { objects, quiet })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i64 = 1_000_000_000;

    /// Regression: 50,000 nested `<Delete>`s parsed into a tree whose drop
    /// overflowed the stack and aborted the process.
    #[test]
    fn a_document_nested_past_any_s3_shape_is_malformed_xml() {
        let deep = "<Delete>".repeat(50_000) + &"</Delete>".repeat(50_000);
        let error = parse_delete(deep.as_bytes()).unwrap_err();
        assert_eq!(error, malformed());
        let fine = "<Delete><Object><Key>k</Key></Object></Delete>";
        assert_eq!(parse_delete(fine.as_bytes()).unwrap().objects.len(), 1);
    }

    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    fn owner() -> Owner {
        Owner {
            id: "wasmfaas".into(),
            display_name: "wasmfaas".into(),
        }
    }

    fn object(key: &str) -> ObjectEntry {
        ObjectEntry {
            key: key.into(),
            last_modified_ns: 1_795_516_623 * NS,
            etag: "5d41402abc4b2a76b9719d911017c592".into(),
            size: 5,
            storage_class: None,
            owner: Some(owner()),
            checksum_algorithm: None,
        }
    }

    fn v2(prefix: &str, delimiter: Option<&str>, url: bool) -> ListObjects {
        ListObjects {
            version: ListVersion::V2 {
                continuation_token: None,
                start_after: None,
                fetch_owner: false,
            },
            prefix: prefix.into(),
            delimiter: delimiter.map(str::to_string),
            max_keys: 1000,
            url_encoding: url,
        }
    }

    #[test]
    fn list_buckets_is_shaped_as_aws_writes_it() {
        let xml = list_buckets(
            &owner(),
            &[BucketEntry {
                name: "b".into(),
                creation_ns: 1_795_516_623 * NS,
            }],
        );
        assert_eq!(
            xml,
            format!(
                "{HEAD}<ListAllMyBucketsResult xmlns=\"{NAMESPACE}\"><Owner><ID>wasmfaas</ID><DisplayName>wasmfaas</DisplayName></Owner><Buckets><Bucket><Name>b</Name><CreationDate>2026-11-24T10:37:03.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"
            )
        );
    }

    #[test]
    fn list_objects_v2_has_key_count_tokens_and_common_prefixes() {
        let mut list = v2("dir/", Some("/"), false);
        list.version = ListVersion::V2 {
            continuation_token: Some("tok1".into()),
            start_after: Some("dir/a".into()),
            fetch_owner: false,
        };
        list.max_keys = 2;
        let page = ObjectsPage {
            objects: vec![object("dir/b & c")],
            common_prefixes: vec!["dir/sub/".into()],
            is_truncated: true,
            next: Some("tok2".into()),
        };
        assert_eq!(
            list_objects("bucket", &list, &page),
            format!(
                "{HEAD}<ListBucketResult xmlns=\"{NAMESPACE}\"><Name>bucket</Name><Prefix>dir/</Prefix><ContinuationToken>tok1</ContinuationToken><NextContinuationToken>tok2</NextContinuationToken><StartAfter>dir/a</StartAfter><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>dir/b &amp; c</Key><LastModified>2026-11-24T10:37:03.000Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>dir/sub/</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
    }

    #[test]
    fn url_encoding_applies_to_keys_prefixes_and_delimiter_only() {
        let mut list = v2("a b/", Some("/"), true);
        list.version = ListVersion::V2 {
            continuation_token: Some("t+/=".into()),
            start_after: Some("a b/é".into()),
            fetch_owner: false,
        };
        let page = ObjectsPage {
            objects: vec![object("a b/x+y\u{1}")],
            common_prefixes: vec!["a b/c d/".into()],
            is_truncated: false,
            next: None,
        };
        let xml = list_objects("b", &list, &page);
        assert!(xml.contains("<Prefix>a%20b/</Prefix>"), "{xml}");
        assert!(
            xml.contains("<StartAfter>a%20b/%C3%A9</StartAfter>"),
            "{xml}"
        );
        assert!(
            xml.contains("<ContinuationToken>t+/=</ContinuationToken>"),
            "{xml}"
        );
        assert!(xml.contains("<Key>a%20b/x%2By%01</Key>"), "{xml}");
        assert!(
            xml.contains("<CommonPrefixes><Prefix>a%20b/c%20d/</Prefix></CommonPrefixes>"),
            "{xml}"
        );
        assert!(
            xml.contains("<Delimiter>/</Delimiter><EncodingType>url</EncodingType>"),
            "{xml}"
        );
    }

    #[test]
    fn control_characters_are_character_references_without_url_encoding() {
        let page = ObjectsPage {
            objects: vec![object("a\u{1}b\rc")],
            ..ObjectsPage::default()
        };
        let xml = list_objects("b", &v2("", None, false), &page);
        assert!(xml.contains("<Key>a&#x1;b&#xD;c</Key>"), "{xml}");
    }

    #[test]
    fn list_objects_v1_has_marker_owner_and_next_marker_with_a_delimiter() {
        let list = ListObjects {
            version: ListVersion::V1 {
                marker: Some("m".into()),
            },
            prefix: String::new(),
            delimiter: Some("/".into()),
            max_keys: 1,
            url_encoding: false,
        };
        let page = ObjectsPage {
            objects: vec![object("k")],
            common_prefixes: vec![],
            is_truncated: true,
            next: Some("k".into()),
        };
        assert_eq!(
            list_objects("b", &list, &page),
            format!(
                "{HEAD}<ListBucketResult xmlns=\"{NAMESPACE}\"><Name>b</Name><Prefix></Prefix><Marker>m</Marker><NextMarker>k</NextMarker><MaxKeys>1</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>k</Key><LastModified>2026-11-24T10:37:03.000Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>5</Size><Owner><ID>wasmfaas</ID><DisplayName>wasmfaas</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"
            )
        );
        let no_delimiter = ListObjects {
            delimiter: None,
            ..list
        };
        assert!(!list_objects("b", &no_delimiter, &page).contains("NextMarker"));
    }

    #[test]
    fn multipart_documents_are_shaped_as_aws_writes_them() {
        assert_eq!(
            initiate_multipart_upload("b", "k&", "u1"),
            format!(
                "{HEAD}<InitiateMultipartUploadResult xmlns=\"{NAMESPACE}\"><Bucket>b</Bucket><Key>k&amp;</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>"
            )
        );
        let crc = Checksum {
            algorithm: ChecksumAlgorithm::Crc32,
            value: "ixQTsA==".into(),
        };
        assert_eq!(
            complete_multipart_upload(
                "http://127.0.0.1:9000/b/k",
                "b",
                "k",
                "\"abc-2\"",
                Some(&crc)
            ),
            format!(
                "{HEAD}<CompleteMultipartUploadResult xmlns=\"{NAMESPACE}\"><Location>http://127.0.0.1:9000/b/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>&quot;abc-2&quot;</ETag><ChecksumCRC32>ixQTsA==</ChecksumCRC32></CompleteMultipartUploadResult>"
            )
        );
        let page = PartsPage {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "u1".into(),
            part_number_marker: 0,
            max_parts: 1000,
            parts: vec![PartEntry {
                part_number: 1,
                last_modified_ns: 0,
                etag: "e".into(),
                size: 8,
                checksum: Some(crc),
            }],
            is_truncated: false,
            storage_class: None,
            owner: None,
            checksum_algorithm: Some(ChecksumAlgorithm::Crc32),
        };
        assert_eq!(
            list_parts(&page),
            format!(
                "{HEAD}<ListPartsResult xmlns=\"{NAMESPACE}\"><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>1970-01-01T00:00:00.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>8</Size><ChecksumCRC32>ixQTsA==</ChecksumCRC32></Part><StorageClass>STANDARD</StorageClass><ChecksumAlgorithm>CRC32</ChecksumAlgorithm></ListPartsResult>"
            )
        );
        let list = ListUploads {
            prefix: String::new(),
            delimiter: None,
            key_marker: None,
            upload_id_marker: None,
            max_uploads: 1000,
            url_encoding: false,
        };
        let page = UploadsPage {
            uploads: vec![UploadEntry {
                key: "k".into(),
                upload_id: "u1".into(),
                initiated_ns: 0,
                storage_class: None,
                owner: None,
            }],
            ..UploadsPage::default()
        };
        assert_eq!(
            list_multipart_uploads("b", &list, &page),
            format!(
                "{HEAD}<ListMultipartUploadsResult xmlns=\"{NAMESPACE}\"><Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker><Prefix></Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated><Upload><Key>k</Key><UploadId>u1</UploadId><StorageClass>STANDARD</StorageClass><Initiated>1970-01-01T00:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>"
            )
        );
    }

    #[test]
    fn copy_results_quote_the_etag() {
        assert_eq!(
            copy_object_result("abc", 1_795_516_623 * NS + 5_000_000, None),
            format!(
                "{HEAD}<CopyObjectResult xmlns=\"{NAMESPACE}\"><ETag>&quot;abc&quot;</ETag><LastModified>2026-11-24T10:37:03.005Z</LastModified></CopyObjectResult>"
            )
        );
        assert!(copy_part_result("\"abc\"", 0, None).contains("<CopyPartResult xmlns"));
    }

    #[test]
    fn delete_results_list_failures_and_in_verbose_mode_successes() {
        let outcomes = [
            DeleteOutcome::Deleted { key: "a".into() },
            DeleteOutcome::Failed {
                key: "b".into(),
                error: S3Error::new(ErrorCode::AccessDenied),
            },
        ];
        let error =
            "<Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        assert_eq!(
            delete_result(&outcomes, false),
            format!(
                "{HEAD}<DeleteResult xmlns=\"{NAMESPACE}\"><Deleted><Key>a</Key></Deleted>{error}</DeleteResult>"
            )
        );
        assert_eq!(
            delete_result(&outcomes, true),
            format!("{HEAD}<DeleteResult xmlns=\"{NAMESPACE}\">{error}</DeleteResult>")
        );
    }

    #[test]
    fn location_constraint_is_empty_for_us_east_1() {
        assert_eq!(
            location_constraint("us-east-1"),
            format!("{HEAD}<LocationConstraint xmlns=\"{NAMESPACE}\"/>")
        );
        assert_eq!(
            location_constraint("eu-west-1"),
            format!(
                "{HEAD}<LocationConstraint xmlns=\"{NAMESPACE}\">eu-west-1</LocationConstraint>"
            )
        );
    }

    #[test]
    fn the_error_document_carries_code_message_details_resource_and_request_id() {
        let error = S3Error::new(ErrorCode::NoSuchKey).detail("Key", "a<b");
        assert_eq!(
            error_document(&error, "/bucket/a%3Cb", "4442587FB7D0A2F9"),
            format!(
                "{HEAD}<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&lt;b</Key><Resource>/bucket/a%3Cb</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>"
            )
        );
    }

    #[test]
    fn create_bucket_configuration_is_optional() {
        assert_eq!(parse_create_bucket(b"").unwrap(), None);
        let body = br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#;
        assert_eq!(
            parse_create_bucket(body).unwrap().as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            parse_create_bucket(b"<CreateBucketConfiguration/>").unwrap(),
            None
        );
        assert_eq!(
            parse_create_bucket(b"<Other/>").unwrap_err().code,
            ErrorCode::MalformedXML
        );
        assert_eq!(
            parse_create_bucket(b"<CreateBucketConfiguration>")
                .unwrap_err()
                .code,
            ErrorCode::MalformedXML
        );
    }

    #[test]
    fn complete_multipart_upload_reads_parts_etags_and_checksums() {
        // As boto3 1.44.5 sends it (captured/complete_multipart_upload.http).
        let body = br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"5d41402abc4b2a76b9719d911017c592"</ETag><ChecksumCRC32>ixQTsA==</ChecksumCRC32></Part><Part><PartNumber>3</PartNumber><ETag>&quot;x&quot;</ETag></Part></CompleteMultipartUpload>"#;
        let parts = parse_complete_multipart_upload(body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].etag, "\"5d41402abc4b2a76b9719d911017c592\"");
        assert_eq!(
            parts[0].checksums,
            [Checksum {
                algorithm: ChecksumAlgorithm::Crc32,
                value: "ixQTsA==".into()
            }]
        );
        assert_eq!((parts[1].part_number, parts[1].etag.as_str()), (3, "\"x\""));
    }

    #[test]
    fn complete_multipart_upload_refuses_bad_part_lists() {
        let parse = |parts: &str| {
            parse_complete_multipart_upload(
                format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>").as_bytes(),
            )
            .unwrap_err()
            .code
        };
        let part = |n: &str| format!("<Part><PartNumber>{n}</PartNumber><ETag>e</ETag></Part>");
        assert_eq!(parse(""), ErrorCode::MalformedXML);
        assert_eq!(
            parse(&(part("2") + &part("1"))),
            ErrorCode::InvalidPartOrder
        );
        assert_eq!(
            parse(&(part("1") + &part("1"))),
            ErrorCode::InvalidPartOrder
        );
        assert_eq!(parse(&part("x")), ErrorCode::MalformedXML);
        assert_eq!(parse(&part("0")), ErrorCode::InvalidArgument);
        assert_eq!(
            parse("<Part><PartNumber>1</PartNumber></Part>"),
            ErrorCode::MalformedXML
        );
    }

    #[test]
    fn delete_reads_keys_verbatim_and_quiet() {
        // As boto3 1.44.5 sends it (captured/delete_objects.http).
        let body = br#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b&amp;&lt;c&gt; &#x263A;</Key><VersionId>null</VersionId></Object><Quiet>true</Quiet></Delete>"#;
        let request = parse_delete(body).unwrap();
        assert!(request.quiet);
        assert_eq!(
            request.objects[0],
            DeleteTarget {
                key: "a".into(),
                version_id: None
            }
        );
        assert_eq!(request.objects[1].key, "b&<c> ☺");
        assert_eq!(request.objects[1].version_id.as_deref(), Some("null"));
        let spaces =
            parse_delete(b"<Delete><Object><Key> padded </Key></Object></Delete>").unwrap();
        assert_eq!(spaces.objects[0].key, " padded ");
        assert!(!spaces.quiet);
    }

    #[test]
    fn malformed_delete_bodies_are_malformed_xml() {
        let too_many: String = (0..1001)
            .map(|i| format!("<Object><Key>{i}</Key></Object>"))
            .collect();
        for body in [
            "".to_string(),
            "not xml".into(),
            "<Delete></Delete>".into(),
            "<Delete><Object><Key>a</Key></Object>".into(),
            "<Delete><Object><Key>a</Key></Object><Quiet>yes</Quiet></Delete>".into(),
            "<Delete><Object><Key>a</Key></Object></Delete><Delete/>".into(),
            "<Remove><Object><Key>a</Key></Object></Remove>".into(),
            "<Delete><Object><Key>&bogus;</Key></Object></Delete>".into(),
            "<!DOCTYPE d [<!ENTITY x \"y\">]><Delete><Object><Key>&x;</Key></Object></Delete>"
                .into(),
            format!("<Delete>{too_many}</Delete>"),
        ] {
            assert_eq!(
                parse_delete(body.as_bytes()).unwrap_err().code,
                ErrorCode::MalformedXML,
                "{body}"
            );
        }
        assert_eq!(
            parse_delete(&[0xff, 0xfe]).unwrap_err().code,
            ErrorCode::MalformedXML
        );
    }

    #[test]
    fn written_documents_parse_back() {
        // Our writer and reader agree on escaping, including references.
        let body = format!("<Delete><Object><Key>{}</Key></Object></Delete>", {
            let mut s = String::new();
            escape_into(&mut s, "a&b<c>\"d'\u{1}");
            s
        });
        assert_eq!(
            parse_delete(body.as_bytes()).unwrap().objects[0].key,
            "a&b<c>\"d'\u{1}"
        );
    }
}
