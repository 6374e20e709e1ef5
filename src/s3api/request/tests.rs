use super::bucket::validate_bucket_name;
use super::*;
use crate::s3api::checksum::ChecksumAlgorithm;
use crate::s3api::headers::Headers;
use std::collections::BTreeMap;

fn route_with(method: &str, target: &str, headers: &[(&str, &str)]) -> Result<Operation, S3Error> {
    let headers = Headers::new(headers.iter().copied());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    route(&RawRequest {
        method,
        path,
        query,
        headers: &headers,
    })
}

fn op(method: &str, target: &str) -> Operation {
    route_with(method, target, &[]).unwrap()
}

fn code(method: &str, target: &str, headers: &[(&str, &str)]) -> ErrorCode {
    route_with(method, target, headers).unwrap_err().code
}

fn b(name: &str) -> String {
    name.to_string()
}

#[test]
fn bucket_operations_are_told_apart_by_method_and_subresource() {
    assert_eq!(op("GET", "/"), Operation::ListBuckets);
    assert_eq!(
        op("PUT", "/my-bucket"),
        Operation::CreateBucket {
            bucket: b("my-bucket")
        }
    );
    assert_eq!(
        op("DELETE", "/my-bucket/"),
        Operation::DeleteBucket {
            bucket: b("my-bucket")
        }
    );
    assert_eq!(
        op("HEAD", "/my-bucket"),
        Operation::HeadBucket {
            bucket: b("my-bucket")
        }
    );
    assert_eq!(
        op("GET", "/b?location"),
        Operation::GetBucketLocation { bucket: b("b") }
    );
    assert_eq!(
        route_with(
            "POST",
            "/b?delete",
            &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")]
        ),
        Ok(Operation::DeleteObjects { bucket: b("b") })
    );
    assert_eq!(op("GET", "/b?uploads").name(), "ListMultipartUploads");
    assert_eq!(op("GET", "/b").name(), "ListObjects");
    assert_eq!(op("GET", "/b?list-type=2").name(), "ListObjectsV2");
}

#[test]
fn object_operations_are_told_apart_by_method_and_subresource() {
    let names = |cases: &[(&str, &str, &str)]| {
        for (method, target, name) in cases {
            assert_eq!(op(method, target).name(), *name, "{method} {target}");
        }
    };
    names(&[
        ("PUT", "/b/k", "PutObject"),
        ("GET", "/b/k", "GetObject"),
        ("HEAD", "/b/k", "HeadObject"),
        ("DELETE", "/b/k", "DeleteObject"),
        ("POST", "/b/k?uploads", "CreateMultipartUpload"),
        ("PUT", "/b/k?partNumber=3&uploadId=u", "UploadPart"),
        ("POST", "/b/k?uploadId=u", "CompleteMultipartUpload"),
        ("DELETE", "/b/k?uploadId=u", "AbortMultipartUpload"),
        ("GET", "/b/k?uploadId=u", "ListParts"),
    ]);
    assert_eq!(
        op("PUT", "/b/k?partNumber=3&uploadId=a%2Bb"),
        Operation::UploadPart {
            bucket: b("b"),
            key: b("k"),
            upload_id: b("a+b"),
            part_number: 3
        }
    );
}

#[test]
fn keys_are_percent_decoded_and_kept_verbatim_otherwise() {
    let key = |target| match op("GET", target) {
        Operation::GetObject { key, .. } => key,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        key("/b/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt"),
        "café ☺/a+b=c&d.txt"
    );
    assert_eq!(key("/b/a+b"), "a+b");
    assert_eq!(key("/b//double//slash/"), "/double//slash/");
    assert_eq!(key("/b/../x"), "../x");
    assert_eq!(key("http://127.0.0.1:9000/b/k"), "k");
}

#[test]
fn keys_that_are_not_utf8_or_too_long_are_refused() {
    assert_eq!(code("GET", "/b/%FF%FE", &[]), ErrorCode::InvalidURI);
    assert_eq!(code("GET", "/b/%zz", &[]), ErrorCode::InvalidURI);
    assert_eq!(S3Error::new(ErrorCode::InvalidURI).status(), 400);
    let long = format!("/b/{}", "k".repeat(1025));
    assert_eq!(code("PUT", &long, &[]), ErrorCode::KeyTooLongError);
    let fits = format!("/b/{}", "k".repeat(1024));
    assert_eq!(op("PUT", &fits).name(), "PutObject");
}

#[test]
fn list_parameters_are_parsed_with_s3_defaults() {
    let Operation::ListObjects { list, .. } = op(
        "GET",
        "/b?list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=2&start-after=dir%2Fa&encoding-type=url&continuation-token=t%3D&fetch-owner=true",
    ) else {
        panic!()
    };
    assert_eq!(
        list,
        ListObjects {
            version: ListVersion::V2 {
                continuation_token: Some(b("t=")),
                start_after: Some(b("dir/a")),
                fetch_owner: true
            },
            prefix: b("dir/"),
            delimiter: Some(b("/")),
            max_keys: 2,
            url_encoding: true,
        }
    );
    let Operation::ListObjects { list, .. } = op("GET", "/b?marker=m&delimiter=") else {
        panic!()
    };
    assert_eq!(
        list.version,
        ListVersion::V1 {
            marker: Some(b("m"))
        }
    );
    assert_eq!(
        (
            list.prefix.as_str(),
            list.delimiter,
            list.max_keys,
            list.url_encoding
        ),
        ("", None, 1000, false)
    );
    let Operation::ListObjects { list, .. } = op("GET", "/b?max-keys=5000") else {
        panic!()
    };
    assert_eq!(list.limit(), 1000);
}

#[test]
fn bad_list_parameters_are_invalid_arguments() {
    assert_eq!(
        code("GET", "/b?max-keys=ten", &[]),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code("GET", "/b?max-keys=-1", &[]),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code("GET", "/b?list-type=3", &[]),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code("GET", "/b?encoding-type=base64", &[]),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn part_numbers_must_be_between_1_and_10000() {
    for bad in ["0", "10001", "x", "-1"] {
        let target = format!("/b/k?partNumber={bad}&uploadId=u");
        assert_eq!(
            code("PUT", &target, &[]),
            ErrorCode::InvalidArgument,
            "{bad}"
        );
    }
    assert_eq!(
        code("PUT", "/b/k?partNumber=1", &[]),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        op("PUT", "/b/k?partNumber=10000&uploadId=u").name(),
        "UploadPart"
    );
}

#[test]
fn copy_source_is_decoded_with_or_without_leading_slash_and_version() {
    for header in [
        "bucket/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt",
        "/bucket/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt",
        "/bucket/caf%C3%A9%20%E2%98%BA/a%2Bb%3Dc%26d.txt?versionId=null",
    ] {
        let Operation::CopyObject {
            source, directive, ..
        } = route_with("PUT", "/b/copy", &[("x-amz-copy-source", header)]).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (source.bucket.as_str(), source.key.as_str()),
            ("bucket", "café ☺/a+b=c&d.txt")
        );
        assert_eq!(directive, MetadataDirective::Copy);
    }
    assert_eq!(
        code("PUT", "/b/k", &[("x-amz-copy-source", "bucket")]),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code("PUT", "/b/k", &[("x-amz-copy-source", "/bucket/")]),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code("PUT", "/b/k", &[("x-amz-copy-source", "b/k?versionId=3")]),
        ErrorCode::NotImplemented
    );
}

#[test]
fn copying_an_object_onto_itself_must_replace_its_metadata() {
    assert_eq!(
        code("PUT", "/b/k", &[("x-amz-copy-source", "b/k")]),
        ErrorCode::InvalidRequest
    );
    let replace = [
        ("x-amz-copy-source", "b/k"),
        ("x-amz-metadata-directive", "REPLACE"),
        ("x-amz-meta-a", "1"),
    ];
    let Operation::CopyObject {
        directive, meta, ..
    } = route_with("PUT", "/b/k", &replace).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (directive, meta.user.get("a").map(String::as_str)),
        (MetadataDirective::Replace, Some("1"))
    );
    let bad = [
        ("x-amz-copy-source", "b/j"),
        ("x-amz-metadata-directive", "MOVE"),
    ];
    assert_eq!(code("PUT", "/b/k", &bad), ErrorCode::InvalidArgument);
}

#[test]
fn copy_source_conditions_and_range_are_read() {
    let headers = [
        ("x-amz-copy-source", "src/key"),
        ("x-amz-copy-source-if-match", "\"abc\""),
        (
            "x-amz-copy-source-if-unmodified-since",
            "Tue, 24 Nov 2026 10:37:03 GMT",
        ),
        ("x-amz-copy-source-range", "bytes=0-99"),
    ];
    let Operation::UploadPartCopy { source, range, .. } =
        route_with("PUT", "/b/k?partNumber=2&uploadId=u", &headers).unwrap()
    else {
        panic!()
    };
    assert_eq!(source.conditions.if_match.as_deref(), Some("\"abc\""));
    assert_eq!(source.conditions.if_unmodified_since, Some(1_795_516_623));
    assert_eq!(
        range,
        Some(ByteRange::From {
            first: 0,
            last: Some(99)
        })
    );
}

#[test]
fn upload_metadata_is_collected() {
    let headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Encoding", "gzip,aws-chunked"),
        ("x-amz-meta-Owner", "Ada"),
        ("X-Amz-Meta-note", " two words "),
        ("x-amz-storage-class", "STANDARD_IA"),
        ("x-amz-sdk-checksum-algorithm", "CRC32"),
    ];
    let Operation::PutObject { meta, .. } = route_with("PUT", "/b/k", &headers).unwrap() else {
        panic!()
    };
    assert_eq!(
        meta.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(meta.content_encoding.as_deref(), Some("gzip"));
    assert_eq!(
        meta.user,
        BTreeMap::from([(b("note"), b("two words")), (b("owner"), b("Ada"))])
    );
    assert_eq!(meta.storage_class.as_deref(), Some("STANDARD_IA"));
    assert_eq!(meta.checksum_algorithm, Some(ChecksumAlgorithm::Crc32));
    let chunked_only = [("Content-Encoding", "aws-chunked")];
    let Operation::PutObject { meta, .. } = route_with("PUT", "/b/k", &chunked_only).unwrap()
    else {
        panic!()
    };
    assert_eq!(meta.content_encoding, None);
    let big = "v".repeat(2048);
    assert_eq!(
        code("PUT", "/b/k", &[("x-amz-meta-k", &big)]),
        ErrorCode::MetadataTooLarge
    );
}

#[test]
fn create_multipart_upload_takes_the_checksum_algorithm() {
    let Operation::CreateMultipartUpload { meta, .. } = route_with(
        "POST",
        "/b/k?uploads",
        &[("x-amz-checksum-algorithm", "CRC64NVME")],
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(meta.checksum_algorithm, Some(ChecksumAlgorithm::Crc64Nvme));
    assert_eq!(
        code(
            "POST",
            "/b/k?uploads",
            &[("x-amz-checksum-algorithm", "MD5")]
        ),
        ErrorCode::InvalidRequest
    );
}

#[test]
fn delete_objects_without_content_md5_or_a_checksum_is_refused_as_aws_does() {
    // Bug pinned: any web page could POST /bucket?delete as a "simple"
    // text/plain request, with no header a browser would preflight.
    let plain = [("content-type", "text/plain")];
    let error = route_with("POST", "/b?delete", &plain).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
    assert_eq!(
        error.message,
        "Missing required header for this request: Content-MD5"
    );
    for header in ["x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"] {
        assert!(route_with("POST", "/b?delete", &[(header, "x")]).is_ok());
    }
}

#[test]
fn response_overrides_and_stored_headers_with_control_characters_are_refused() {
    // Bug pinned: `?response-content-type=a%0d%0aSet-Cookie:...` split
    // the response and set a cookie.
    for target in [
        "/b/k?response-content-type=a%0d%0aSet-Cookie:%20pwn=1",
        "/b/k?response-content-disposition=x%0aLocation:%20/evil",
        "/b/k?response-cache-control=a%00b",
    ] {
        let error = route_with("GET", target, &[]).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidArgument, "{target}");
        assert!(error.details.iter().all(|(_, v)| is_safe_header_value(v)));
    }
    assert!(route_with("GET", "/b/k?response-content-type=text%2Fplain%3B%09x", &[]).is_ok());
    for header in [
        "x-amz-meta-a",
        "content-type",
        "content-disposition",
        "cache-control",
    ] {
        let error = route_with("PUT", "/b/k", &[(header, "a\u{1}b")]).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidArgument, "{header}");
        assert_eq!(error.details[0], ("ArgumentName", header.to_string()));
    }
}

#[test]
fn get_reads_range_conditions_part_and_overrides() {
    let headers = [
        ("Range", "bytes=0-4"),
        ("If-None-Match", "\"abc\""),
        ("If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT"),
    ];
    let Operation::GetObject { read, .. } =
        route_with("GET", "/b/k?response-content-type=text%2Fhtml", &headers).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        read.range,
        Some(ByteRange::From {
            first: 0,
            last: Some(4)
        })
    );
    assert_eq!(read.conditions.if_none_match.as_deref(), Some("\"abc\""));
    assert_eq!(read.conditions.if_modified_since, Some(1_767_323_045));
    assert_eq!(read.part_number, None);
    assert_eq!(read.overrides.content_type.as_deref(), Some("text/html"));
    let Operation::HeadObject { read, .. } = op("HEAD", "/b/k?partNumber=2") else {
        panic!()
    };
    assert_eq!((read.part_number, read.range), (Some(2), None));
}

#[test]
fn a_part_number_with_a_range_is_an_invalid_request() {
    for range in ["bytes=0-4", "not a range"] {
        let error = route_with("GET", "/b/k?partNumber=1", &[("Range", range)]).unwrap_err();
        assert_eq!(
            (error.code, error.status()),
            (ErrorCode::InvalidRequest, 400)
        );
    }
    assert_eq!(
        code("GET", "/b/k?partNumber=0", &[]),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn checksum_mode_is_enabled_or_absent() {
    let mode = |value: &str| match route_with("HEAD", "/b/k", &[("x-amz-checksum-mode", value)]) {
        Ok(Operation::HeadObject { read, .. }) => Ok(read.checksum_mode),
        Ok(other) => panic!("{other:?}"),
        Err(error) => Err(error.code),
    };
    assert_eq!(mode("ENABLED"), Ok(true));
    assert_eq!(mode("enabled"), Ok(true));
    assert_eq!(mode("DISABLED"), Err(ErrorCode::InvalidArgument));
    let Operation::GetObject { read, .. } = op("GET", "/b/k") else {
        panic!()
    };
    assert!(!read.checksum_mode);
}

#[test]
fn unsupported_features_are_not_implemented_rather_than_misrouted() {
    for target in [
        "/b?acl",
        "/b/k?tagging",
        "/b?versioning",
        "/b?versions",
        "/b?policy",
        "/b/k?versionId=3",
    ] {
        let error = route_with("GET", target, &[]).unwrap_err();
        assert_eq!(
            (error.code, error.status()),
            (ErrorCode::NotImplemented, 501),
            "{target}"
        );
    }
    assert_eq!(op("GET", "/b/k?versionId=null").name(), "GetObject");
    assert_eq!(code("POST", "/b", &[]), ErrorCode::NotImplemented);
    assert_eq!(code("POST", "/b/k", &[]), ErrorCode::NotImplemented);
    assert_eq!(code("PATCH", "/b/k", &[]), ErrorCode::MethodNotAllowed);
    assert_eq!(code("PUT", "/", &[]), ErrorCode::MethodNotAllowed);
}

#[test]
fn bucket_names_are_checked_on_create() {
    for good in ["abc", "my.bucket-1", "a1b", &"a".repeat(63)] {
        assert!(validate_bucket_name(good).is_ok(), "{good}");
    }
    for bad in [
        "ab",
        "My-Bucket",
        "-abc",
        "abc-",
        "a..b",
        "a.-b",
        "192.168.1.1",
        "xn--abc",
        "a_b",
        &"a".repeat(64),
    ] {
        assert_eq!(
            code("PUT", &format!("/{bad}"), &[]),
            ErrorCode::InvalidBucketName,
            "{bad}"
        );
    }
}

#[test]
fn ranges_parse_and_resolve_as_s3_does() {
    let range = |h| ByteRange::parse(h);
    assert_eq!(
        range("bytes=0-9"),
        Some(ByteRange::From {
            first: 0,
            last: Some(9)
        })
    );
    assert_eq!(
        range("bytes=5-"),
        Some(ByteRange::From {
            first: 5,
            last: None
        })
    );
    assert_eq!(range("bytes=-3"), Some(ByteRange::Suffix { len: 3 }));
    for ignored in [
        "bytes=9-0",
        "bytes=0-1,3-4",
        "items=0-1",
        "bytes=-",
        "bytes=a-b",
        "bytes=+1-2",
    ] {
        assert_eq!(range(ignored), None, "{ignored}");
    }
    let resolve = |h, size| range(h).unwrap().resolve(size);
    assert_eq!(resolve("bytes=0-9", 5).unwrap(), (0, 4));
    assert_eq!(resolve("bytes=2-", 5).unwrap(), (2, 4));
    assert_eq!(resolve("bytes=-3", 5).unwrap(), (2, 4));
    assert_eq!(resolve("bytes=-30", 5).unwrap(), (0, 4));
    let error = resolve("bytes=5-", 5).unwrap_err();
    assert_eq!((error.code, error.status()), (ErrorCode::InvalidRange, 416));
    assert_eq!(error.details[1], ("ActualObjectSize", b("5")));
    assert_eq!(
        resolve("bytes=0-0", 0).unwrap_err().code,
        ErrorCode::InvalidRange
    );
    assert_eq!(
        resolve("bytes=-0", 5).unwrap_err().code,
        ErrorCode::InvalidRange
    );
}

#[test]
fn conditions_follow_s3s_documented_precedence() {
    const T: i64 = 1_000 * 1_000_000_000 + 500; // modified at second 1000
    let c = |if_match: Option<&str>,
             if_none_match: Option<&str>,
             since: Option<i64>,
             unmodified: Option<i64>| {
        Conditions {
            if_match: if_match.map(str::to_string),
            if_none_match: if_none_match.map(str::to_string),
            if_modified_since: since,
            if_unmodified_since: unmodified,
        }
        .evaluate(Some(("\"abc\"", T)))
    };
    use Precondition::*;
    assert_eq!(c(None, None, None, None), Proceed);
    assert_eq!(c(Some("\"abc\""), None, None, None), Proceed);
    assert_eq!(c(Some("abc"), None, None, None), Proceed);
    assert_eq!(c(Some("\"x\", \"abc\""), None, None, None), Proceed);
    assert_eq!(c(Some("*"), None, None, None), Proceed);
    assert_eq!(c(Some("\"x\""), None, None, None), Failed("If-Match"));
    // If-Match true and If-Unmodified-Since false: 200.
    assert_eq!(c(Some("\"abc\""), None, None, Some(999)), Proceed);
    assert_eq!(
        c(None, None, None, Some(999)),
        Failed("If-Unmodified-Since")
    );
    assert_eq!(c(None, None, None, Some(1000)), Proceed);
    assert_eq!(c(None, Some("\"abc\""), None, None), NotModified);
    assert_eq!(c(None, Some("W/\"abc\""), None, None), NotModified);
    // If-None-Match false and If-Modified-Since true: 304.
    assert_eq!(c(None, Some("\"x\""), Some(999), None), Proceed);
    assert_eq!(c(None, None, Some(1000), None), NotModified);
    assert_eq!(c(None, None, Some(999), None), Proceed);
    let create_only = Conditions {
        if_none_match: Some(b("*")),
        ..Conditions::default()
    };
    assert_eq!(
        create_only.evaluate_for_write(Some(("\"abc\"", T))),
        Failed("If-None-Match")
    );
    assert_eq!(create_only.evaluate_for_write(None), Proceed);
    let must_exist = Conditions {
        if_match: Some(b("*")),
        ..Conditions::default()
    };
    assert_eq!(must_exist.evaluate(None), Failed("If-Match"));
}
