use super::parse::malformed;
use super::*;
use crate::s3api::error::ErrorCode;

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
        format!("{HEAD}<LocationConstraint xmlns=\"{NAMESPACE}\">eu-west-1</LocationConstraint>")
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
    let spaces = parse_delete(b"<Delete><Object><Key> padded </Key></Object></Delete>").unwrap();
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
        "<!DOCTYPE d [<!ENTITY x \"y\">]><Delete><Object><Key>&x;</Key></Object></Delete>".into(),
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
