//! Readers of the request bodies S3 reads: CreateBucketConfiguration,
//! CompleteMultipartUpload and Delete. Any namespace prefix is accepted, a
//! DTD is refused (no entity tricks), and anything not well-formed or not
//! of the expected shape is `MalformedXML`, as S3 answers.

use crate::s3api::checksum::{Checksum, ChecksumAlgorithm};
use crate::s3api::error::{ErrorCode, S3Error};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// The most keys one DeleteObjects request may name.
pub const MAX_DELETE_KEYS: usize = 1000;

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

pub(super) fn malformed() -> S3Error {
    S3Error::new(ErrorCode::MalformedXML)
}

/// The deepest nesting a request document may have. S3's own documents nest
/// four levels at most; a tree as deep as a hostile body makes (50,000
/// `<Delete>`s) overflowed the worker's stack when it was dropped, which
/// aborted the whole process.
const MAX_DEPTH: usize = 32;

/// Parses a whole document into its root element.
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
