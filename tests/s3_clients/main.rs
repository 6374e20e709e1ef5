//! The S3 protocol modules against requests recorded from real boto3.
//!
//! Each file in `captured/` is one request exactly as boto3 1.44.5 (or, for
//! `awscli_*`, aws-cli 1.46.3) put it on the wire (see `capture.py`),
//! signed with the AWS documentation's
//! example credentials. Every one must route to the right operation, pass
//! SigV4 (or SigV2) verification, and decode to the bytes boto3 was given,
//! with the checksum it computed. A client upgrade that changes the wire
//! format shows up here after re-running `capture.py`.

use std::collections::BTreeMap;
use std::path::Path;
use wasmfaas::s3api::chunked;
use wasmfaas::s3api::request::{self, ListVersion, Operation};
use wasmfaas::s3api::sigv4;
use wasmfaas::s3api::time;
use wasmfaas::s3api::xml;
use wasmfaas::s3api::{ErrorCode, Headers, RawRequest};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// What capture.py uploads in most PutObject calls.
const BODY: &[u8] = b"hello world\nhello world\nhello world\n";

/// A captured request, with the HTTP framing (Transfer-Encoding: chunked)
/// removed as the HTTP server will have done.
struct Captured {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Headers,
    body: Vec<u8>,
}

impl Captured {
    fn load(name: &str) -> Self {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/s3_clients/captured")
            .join(format!("{name}.http"));
        let raw = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of head")
            + 4;
        let head = std::str::from_utf8(&raw[..end - 4]).unwrap();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap().split(' ');
        let (method, target) = (request_line.next().unwrap(), request_line.next().unwrap());
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let headers = Headers::new(lines.map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_string(), value.trim().to_string())
        }));
        let rest = &raw[end..];
        let body = if headers
            .get("transfer-encoding")
            .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
        {
            dechunk(rest)
        } else {
            let length: usize = headers
                .get("content-length")
                .map_or(0, |l| l.parse().unwrap());
            rest[..length].to_vec()
        };
        Captured {
            name: name.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body,
        }
    }

    fn raw(&self) -> RawRequest<'_> {
        RawRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
        }
    }

    /// The moment the client signed at, as `now` for verification.
    fn signed_at(&self) -> i64 {
        if let Some(date) = self.headers.get("x-amz-date") {
            return time::parse_amz_date(date).unwrap();
        }
        let param = |name: &str| {
            self.query
                .split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_string))
        };
        match (param("X-Amz-Date"), param("Expires")) {
            (Some(date), _) => time::parse_amz_date(&date).unwrap(),
            (None, Some(expires)) => expires.parse::<i64>().unwrap() - 600,
            _ => panic!("{}: no signing time", self.name),
        }
    }

    fn verify(&self) -> Result<sigv4::Verified, wasmfaas::s3api::S3Error> {
        sigv4::verify(&self.raw(), keys, self.signed_at())
    }
}

/// Removes HTTP/1.1 chunked transfer coding (no trailers: boto3 sends none
/// at this layer; its checksum trailer is inside the aws-chunked body).
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn keys(access_key: &str) -> Option<String> {
    (access_key == ACCESS_KEY).then(|| SECRET.to_string())
}

fn all_fixtures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/s3_clients/captured");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "http"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_captured_request_routes_to_the_operation_boto3_called() {
    let expected: BTreeMap<&str, &str> = BTreeMap::from([
        ("abort_multipart_upload", "AbortMultipartUpload"),
        ("awscli_cp_http", "PutObject"),
        ("awscli_cp_https", "PutObject"),
        ("awscli_ls", "ListObjectsV2"),
        ("awscli_presigned_get", "GetObject"),
        ("complete_multipart_upload", "CompleteMultipartUpload"),
        ("copy_object", "CopyObject"),
        ("create_bucket", "CreateBucket"),
        ("create_bucket_eu", "CreateBucket"),
        ("create_multipart_upload", "CreateMultipartUpload"),
        ("delete_bucket", "DeleteBucket"),
        ("delete_object", "DeleteObject"),
        ("delete_objects", "DeleteObjects"),
        ("get_bucket_location", "GetBucketLocation"),
        ("get_object_range", "GetObject"),
        ("head_bucket", "HeadBucket"),
        ("head_object", "HeadObject"),
        ("list_buckets", "ListBuckets"),
        ("list_multipart_uploads", "ListMultipartUploads"),
        ("list_objects_v1", "ListObjects"),
        ("list_objects_v2", "ListObjectsV2"),
        ("list_parts", "ListParts"),
        ("presigned_get_v2", "GetObject"),
        ("presigned_get_v4", "GetObject"),
        ("presigned_put_v4", "PutObject"),
        ("put_object_http", "PutObject"),
        ("put_object_http_metadata", "PutObject"),
        ("put_object_https_chunks", "PutObject"),
        ("put_object_https_crc32", "PutObject"),
        ("put_object_https_crc32c", "PutObject"),
        ("put_object_https_crc64nvme", "PutObject"),
        ("put_object_https_empty", "PutObject"),
        ("put_object_https_sha1", "PutObject"),
        ("put_object_https_sha256", "PutObject"),
        ("upload_file_multipart", "CreateMultipartUpload"),
        ("upload_file_multipart-2", "CompleteMultipartUpload"),
        ("upload_part", "UploadPart"),
    ]);
    let fixtures = all_fixtures();
    assert_eq!(
        fixtures,
        expected.keys().map(|k| k.to_string()).collect::<Vec<_>>(),
        "a fixture without an expectation"
    );
    for name in fixtures {
        let captured = Captured::load(&name);
        let operation = request::route(&captured.raw()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(operation.name(), expected[name.as_str()], "{name}");
    }
}

#[test]
fn every_captured_request_passes_signature_verification() {
    for name in all_fixtures() {
        let captured = Captured::load(&name);
        let verified = captured
            .verify()
            .unwrap_or_else(|e| panic!("{name}: {e} {:?}", e.details));
        assert_eq!(verified.access_key, ACCESS_KEY, "{name}");
    }
}

#[test]
fn a_captured_request_fails_verification_once_altered() {
    for name in [
        "put_object_http",
        "get_object_range",
        "presigned_get_v4",
        "presigned_get_v2",
    ] {
        let mut captured = Captured::load(name);
        captured.path = captured.path.replace("hello", "jello");
        let error = captured.verify().unwrap_err();
        assert_eq!(error.code, ErrorCode::SignatureDoesNotMatch, "{name}");
    }
    let captured = Captured::load("put_object_http");
    let error = sigv4::verify(
        &captured.raw(),
        |_| Some("another secret".into()),
        captured.signed_at(),
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::SignatureDoesNotMatch);
    let error = sigv4::verify(&captured.raw(), keys, captured.signed_at() + 3600).unwrap_err();
    assert_eq!(error.code, ErrorCode::RequestTimeTooSkewed);
}

#[test]
fn captured_presigned_urls_expire_after_their_lifetime() {
    for name in ["presigned_get_v4", "presigned_get_v2"] {
        let captured = Captured::load(name);
        let error = sigv4::verify(&captured.raw(), keys, captured.signed_at() + 601).unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            (ErrorCode::AccessDenied, "Request has expired"),
            "{name}"
        );
    }
}

/// Verifies, then decodes the body with the verified chunk signer: the
/// whole path a PutObject or UploadPart takes.
fn decode(captured: &Captured) -> chunked::Decoded {
    let verified = captured
        .verify()
        .unwrap_or_else(|e| panic!("{}: {e}", captured.name));
    chunked::decode(&captured.headers, &captured.body, verified.chunk_signer)
        .unwrap_or_else(|e| panic!("{}: {e}", captured.name))
}

#[test]
fn uploads_with_checksum_trailers_or_headers_decode_to_the_object() {
    for (name, algorithm, value) in [
        ("put_object_https_crc32", "CRC32", "6wn4jA=="),
        ("put_object_https_crc32c", "CRC32C", "b6oZVQ=="),
        ("put_object_https_crc64nvme", "CRC64NVME", "VHDe4pLBO/I="),
        (
            "put_object_https_sha1",
            "SHA1",
            "HGesJU6VAEVJzLZVCBhv5EkwhxM=",
        ),
        (
            "put_object_https_sha256",
            "SHA256",
            "N/2+dKTlaUPMkBtEnmulWgVD07+xPxCnF0VByxbnFpw=",
        ),
        ("put_object_https_chunks", "CRC32", "6wn4jA=="),
        ("awscli_cp_https", "CRC32", "6wn4jA=="),
        ("awscli_cp_http", "CRC32", "6wn4jA=="),
    ] {
        let captured = Captured::load(name);
        let streaming = captured.headers.get("x-amz-content-sha256")
            == Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER");
        assert_eq!(
            streaming,
            !name.ends_with("_http"),
            "{name}: aws-chunked only over TLS"
        );
        let decoded = decode(&captured);
        assert_eq!(decoded.data, BODY, "{name}");
        let checksum = decoded.checksum.unwrap();
        assert_eq!(
            (checksum.algorithm.name(), checksum.value.as_str()),
            (algorithm, value),
            "{name}"
        );
    }
    let empty = decode(&Captured::load("put_object_https_empty"));
    assert_eq!(
        (empty.data.len(), empty.checksum.unwrap().value.as_str()),
        (0, "AAAAAA==")
    );
    let part = decode(&Captured::load("upload_part"));
    assert_eq!(
        (part.data.as_slice(), part.checksum.unwrap().value.as_str()),
        (&b"part one"[..], "ixQTsA==")
    );
}

#[test]
fn a_corrupted_aws_chunked_upload_is_a_bad_digest() {
    let mut captured = Captured::load("put_object_https_crc32");
    let at = captured
        .body
        .windows(5)
        .position(|w| w == b"hello")
        .unwrap();
    captured.body[at] = b'j';
    let error = chunked::decode(&captured.headers, &captured.body, None).unwrap_err();
    assert_eq!(error.code, ErrorCode::BadDigest);
}

#[test]
fn plain_http_uploads_check_the_signed_sha256_and_checksum_header() {
    let decoded = decode(&Captured::load("put_object_http"));
    assert_eq!(decoded.data, BODY);
    assert_eq!(decoded.checksum.unwrap().value, "6wn4jA==");

    let mut tampered = Captured::load("put_object_http");
    tampered.body[0] = b'j';
    let error = chunked::decode(&tampered.headers, &tampered.body, None).unwrap_err();
    assert_eq!(error.code, ErrorCode::XAmzContentSHA256Mismatch);

    let presigned = decode(&Captured::load("presigned_put_v4"));
    assert_eq!(presigned.data, b"uploaded");
}

#[test]
fn metadata_keys_and_copy_sources_decode_as_boto3_meant_them() {
    let Operation::PutObject { key, meta, .. } =
        request::route(&Captured::load("put_object_http_metadata").raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!(key, "café ☺/a+b=c&d.txt");
    assert_eq!(
        meta.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(meta.user.get("owner").map(String::as_str), Some("Ada"));
    assert_eq!(meta.user.get("note").map(String::as_str), Some("two words"));

    let Operation::CopyObject {
        key,
        source,
        directive,
        meta,
        ..
    } = request::route(&Captured::load("copy_object").raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (key.as_str(), source.bucket.as_str(), source.key.as_str()),
        ("copy.txt", "bucket", "café ☺/a+b=c&d.txt")
    );
    assert_eq!(directive, request::MetadataDirective::Replace);
    assert_eq!(meta.user.get("k").map(String::as_str), Some("v"));
}

#[test]
fn listing_and_read_parameters_come_through() {
    let Operation::ListObjects { bucket, list } =
        request::route(&Captured::load("list_objects_v2").raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!(bucket, "bucket");
    assert_eq!(
        (
            list.prefix.as_str(),
            list.delimiter.as_deref(),
            list.max_keys,
            list.url_encoding
        ),
        ("dir/", Some("/"), 2, true)
    );
    assert_eq!(
        list.version,
        ListVersion::V2 {
            continuation_token: None,
            start_after: Some("dir/a".into()),
            fetch_owner: false
        }
    );
    let Operation::ListObjects { list, .. } =
        request::route(&Captured::load("list_objects_v1").raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        list.version,
        ListVersion::V1 {
            marker: Some("p/m".into())
        }
    );

    let Operation::GetObject { key, read, .. } =
        request::route(&Captured::load("get_object_range").raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!(key, "dir/hello world.txt");
    assert_eq!(read.range.unwrap().resolve(100).unwrap(), (0, 4));
    assert_eq!(read.conditions.if_none_match.as_deref(), Some("\"abc\""));
    let Operation::HeadObject { read, .. } =
        request::route(&Captured::load("head_object").raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        read.conditions.if_modified_since,
        time::parse_http_date("Fri, 02 Jan 2026 03:04:05 GMT")
    );
    let Operation::UploadPart {
        upload_id,
        part_number,
        ..
    } = request::route(&Captured::load("upload_part").raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!((upload_id.as_str(), part_number), ("example-upload-id", 1));
}

#[test]
fn captured_xml_bodies_parse() {
    let complete = Captured::load("complete_multipart_upload");
    let parts = xml::parse_complete_multipart_upload(
        &chunked::decode(&complete.headers, &complete.body, None)
            .unwrap()
            .data,
    )
    .unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(
        (parts[0].part_number, parts[0].checksums[0].value.as_str()),
        (1, "ixQTsA==")
    );

    let delete = Captured::load("delete_objects");
    let decoded = chunked::decode(&delete.headers, &delete.body, None).unwrap();
    assert_eq!(
        decoded.checksum.unwrap().value,
        "/RgmUw==",
        "DeleteObjects carries a CRC32 header"
    );
    let request = xml::parse_delete(&decoded.data).unwrap();
    assert!(request.quiet);
    let keys: Vec<&str> = request.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a", "b&<c>"]);

    let create = Captured::load("create_bucket_eu");
    assert_eq!(
        xml::parse_create_bucket(&create.body).unwrap().as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        xml::parse_create_bucket(&Captured::load("create_bucket").body).unwrap(),
        None
    );
}

#[test]
fn upload_file_asks_for_crc32_parts_and_completes_them_in_order() {
    // s3transfer's upload_file (6 MiB in 5 MiB parts; the parts themselves
    // are not kept as fixtures).
    let create = Captured::load("upload_file_multipart");
    create.verify().unwrap();
    let Operation::CreateMultipartUpload { key, meta, .. } = request::route(&create.raw()).unwrap()
    else {
        panic!()
    };
    assert_eq!(key, "big.bin");
    assert_eq!(meta.checksum_algorithm.map(|a| a.name()), Some("CRC32"));

    let complete = Captured::load("upload_file_multipart-2");
    let body = decode(&complete);
    let parts = xml::parse_complete_multipart_upload(&body.data).unwrap();
    let numbers: Vec<u32> = parts.iter().map(|p| p.part_number).collect();
    assert_eq!(numbers, [1, 2]);
}
