use super::v2::v2_string_to_sign;
use super::*;
use crate::s3api::headers::Headers;

// The AWS documentation's example credentials and moment
// (Signature Version 4 examples in the S3 API reference).
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const MAY_24_2013: i64 = 1_369_353_600;

fn keys(access_key: &str) -> Option<String> {
    (access_key == AKID).then(|| SECRET.to_string())
}

fn get_object_with_range(signature: &str) -> Headers {
    Headers::new([
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", "20130524T000000Z"),
        (
            "Authorization",
            &*format!(
                "AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature={signature}"
            ),
        ),
    ])
}

fn get<'a>(path: &'a str, query: &'a str, headers: &'a Headers) -> RawRequest<'a> {
    RawRequest {
        method: "GET",
        path,
        query,
        headers,
    }
}

#[test]
fn the_aws_get_object_example_verifies() {
    // "Example: GET Object": signature published by AWS.
    let headers =
        get_object_with_range("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    let request = get("/test.txt", "", &headers);
    let verified = verify(&request, keys, MAY_24_2013 + 60).unwrap();
    assert_eq!(verified.access_key, AKID);
}

#[test]
fn a_wrong_signature_says_what_we_signed() {
    let headers =
        get_object_with_range("00e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    let request = get("/test.txt", "", &headers);
    let error = verify(&request, keys, MAY_24_2013).unwrap_err();
    assert_eq!(error.code, ErrorCode::SignatureDoesNotMatch);
    let canonical = &error
        .details
        .iter()
        .find(|(n, _)| *n == "CanonicalRequest")
        .unwrap()
        .1;
    assert!(
        canonical.starts_with(
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        )
    );
}

#[test]
fn the_aws_presigned_url_example_verifies_until_it_expires() {
    // "Example: Presigned URL": GET examplebucket/test.txt for 86400 s.
    static HEADERS: std::sync::LazyLock<Headers> =
        std::sync::LazyLock::new(|| Headers::new([("Host", "examplebucket.s3.amazonaws.com")]));
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    let request = get("/test.txt", query, &HEADERS);
    assert_eq!(
        verify(&request, keys, MAY_24_2013 + 86_400)
            .unwrap()
            .access_key,
        AKID
    );
    let expired = verify(&request, keys, MAY_24_2013 + 86_401).unwrap_err();
    assert_eq!(
        (expired.code, expired.message.as_str()),
        (ErrorCode::AccessDenied, "Request has expired")
    );
    let early = verify(&request, keys, MAY_24_2013 - 3600).unwrap_err();
    assert_eq!(early.code, ErrorCode::AccessDenied);
}

#[test]
fn unknown_keys_unsigned_requests_and_old_requests_are_refused() {
    let headers =
        get_object_with_range("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    let request = get("/test.txt", "", &headers);
    assert_eq!(
        verify(&request, |_| None, MAY_24_2013).unwrap_err().code,
        ErrorCode::InvalidAccessKeyId
    );
    let skewed = verify(&request, keys, MAY_24_2013 + 16 * 60).unwrap_err();
    assert_eq!(
        (skewed.code, skewed.status()),
        (ErrorCode::RequestTimeTooSkewed, 403)
    );
    let anonymous = Headers::new([("Host", "h")]);
    let request = get("/", "", &anonymous);
    assert_eq!(
        verify(&request, keys, 0).unwrap_err().code,
        ErrorCode::AccessDenied
    );
}

#[test]
fn malformed_authorization_headers_are_named_as_such() {
    for value in [
        "AWS4-HMAC-SHA256 Credential=AKID/2013/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20130525/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
    ] {
        let headers = Headers::new([
            ("Host", "h"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("Authorization", value),
        ]);
        let request = get("/", "", &headers);
        let error = verify(&request, keys, MAY_24_2013).unwrap_err();
        assert_eq!(
            error.code,
            ErrorCode::AuthorizationHeaderMalformed,
            "{value}: {error}"
        );
    }
}

#[test]
fn presigned_urls_longer_than_a_week_are_refused() {
    static HEADERS: std::sync::LazyLock<Headers> =
        std::sync::LazyLock::new(|| Headers::new([("Host", "h")]));
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    let error = verify(&get("/t", query, &HEADERS), keys, MAY_24_2013).unwrap_err();
    assert_eq!(error.code, ErrorCode::AuthorizationQueryParametersError);
}

#[test]
fn the_aws_streaming_example_chains_chunk_signatures() {
    // "Example: PUT Object" with STREAMING-AWS4-HMAC-SHA256-PAYLOAD: seed
    // and chunk signatures published by AWS for 65 KiB of 'a'.
    let headers = Headers::new([
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        ),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", "66824"),
    ]);
    let request = RawRequest {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
    };
    let mut signer = verify(&request, keys, MAY_24_2013)
        .unwrap()
        .chunk_signer
        .unwrap();
    let sha = |data: &[u8]| -> [u8; 32] { Sha256::digest(data).into() };
    signer
        .verify_chunk(
            &sha(&[b'a'; 65536]),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        )
        .unwrap();
    signer
        .verify_chunk(
            &sha(&[b'a'; 1024]),
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        )
        .unwrap();
    let error = signer
        .clone()
        .verify_chunk(&sha(b""), &"0".repeat(64))
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::SignatureDoesNotMatch);
    signer
        .verify_chunk(
            &sha(b""),
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        )
        .unwrap();
}

#[test]
fn canonical_query_sorts_and_encodes_parameters() {
    assert_eq!(
        canonical_query("prefix=dir%2F&list-type=2&uploads&a=b+c&x=%7e", false),
        "a=b%2Bc&list-type=2&prefix=dir%2F&uploads=&x=~"
    );
    assert_eq!(canonical_query("X-Amz-Signature=1&b=2", true), "b=2");
}

#[test]
fn sigv2_signs_the_amz_headers_and_subresources() {
    // botocore's HmacV1Auth canonical string for a PUT with metadata.
    let headers = Headers::new([
        ("Content-Type", "text/plain"),
        ("x-amz-meta-b", "2"),
        ("X-Amz-Meta-A", "1"),
        ("x-amz-meta-a", " one "),
    ]);
    let request = RawRequest {
        method: "PUT",
        path: "/bucket/a%20b",
        query: "uploadId=x%2By&partNumber=2&foo=bar",
        headers: &headers,
    };
    assert_eq!(
        v2_string_to_sign(&request, "1700000000"),
        "PUT\n\ntext/plain\n1700000000\nx-amz-meta-a:1,one\nx-amz-meta-b:2\n/bucket/a%20b?partNumber=2&uploadId=x+y"
    );
}
