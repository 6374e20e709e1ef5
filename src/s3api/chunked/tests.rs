use super::*;
use crate::hex::hex;
use crate::s3api::sigv4::signing_key;

const BODY: &[u8] = b"hello world\nhello world\nhello world\n";

fn trailer_headers(algorithm: &str, decoded: usize) -> Headers {
    Headers::new([
        ("Content-Encoding", "aws-chunked"),
        ("X-Amz-Trailer", algorithm),
        ("X-Amz-Decoded-Content-Length", &*decoded.to_string()),
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
    ])
}

fn unsigned_chunks(chunks: &[&[u8]], trailer: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend(format!("{:x}\r\n", chunk.len()).bytes());
        out.extend_from_slice(chunk);
        out.extend(b"\r\n");
    }
    out.extend(format!("0\r\n{trailer}\r\n\r\n").bytes());
    out
}

#[test]
fn an_unsigned_trailer_body_decodes_and_its_checksum_is_echoed() {
    let headers = trailer_headers("x-amz-checksum-crc32", BODY.len());
    let body = unsigned_chunks(&[&BODY[..20], &BODY[20..]], "x-amz-checksum-crc32:6wn4jA==");
    let decoded = decode(&headers, &body, None).unwrap();
    assert_eq!(decoded.data, BODY);
    let checksum = decoded.checksum.unwrap();
    assert_eq!(
        (checksum.algorithm, checksum.value.as_str()),
        (ChecksumAlgorithm::Crc32, "6wn4jA==")
    );
}

#[test]
fn a_wrong_trailing_checksum_is_a_bad_digest() {
    let headers = trailer_headers("x-amz-checksum-crc32", BODY.len());
    let body = unsigned_chunks(&[BODY], "x-amz-checksum-crc32:AAAAAA==");
    let error = decode(&headers, &body, None).unwrap_err();
    assert_eq!((error.code, error.status()), (ErrorCode::BadDigest, 400));
    assert_eq!(
        error.message,
        "The CRC32 you specified did not match the calculated checksum."
    );
}

#[test]
fn a_missing_or_malformed_trailer_is_refused() {
    let headers = trailer_headers("x-amz-checksum-crc32", BODY.len());
    let body = unsigned_chunks(&[BODY], "x-amz-checksum-sha1:AAAAAA==");
    assert_eq!(
        decode(&headers, &body, None).unwrap_err().code,
        ErrorCode::MalformedTrailerError
    );
    let body = unsigned_chunks(&[BODY], "x-amz-checksum-crc32:not base64!");
    assert_eq!(
        decode(&headers, &body, None).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    let body = unsigned_chunks(&[BODY], "garbage");
    assert_eq!(
        decode(&headers, &body, None).unwrap_err().code,
        ErrorCode::MalformedTrailerError
    );
}

#[test]
fn truncated_or_misframed_bodies_are_refused() {
    let headers = trailer_headers("x-amz-checksum-crc32", BODY.len());
    let body = unsigned_chunks(&[BODY], "x-amz-checksum-crc32:6wn4jA==");
    for cut in [0, 3, 10, body.len() - 40] {
        let error = decode(&headers, &body[..cut], None).unwrap_err();
        assert_eq!(error.code, ErrorCode::IncompleteBody, "cut at {cut}");
    }
    let long = b"5\r\nhello world\r\n0\r\n\r\n";
    assert_eq!(
        decode(&headers, long, None).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    let bad_size = b"zz\r\nhello\r\n";
    assert_eq!(
        decode(&headers, bad_size, None).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    // More data than announced is refused before it is buffered.
    let huge = b"ffffffffff\r\n";
    assert_eq!(
        decode(&headers, huge, None).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
}

#[test]
fn the_decoded_length_must_match() {
    let headers = trailer_headers("x-amz-checksum-crc32", BODY.len() + 1);
    let body = unsigned_chunks(&[BODY], "x-amz-checksum-crc32:6wn4jA==");
    assert_eq!(
        decode(&headers, &body, None).unwrap_err().code,
        ErrorCode::IncompleteBody
    );
}

#[test]
fn an_empty_body_has_just_the_final_chunk() {
    let headers = trailer_headers("x-amz-checksum-crc32", 0);
    let decoded = decode(
        &headers,
        b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        None,
    )
    .unwrap();
    assert_eq!(decoded.data, b"");
    // Some clients end right after the trailer, without the empty line.
    decode(&headers, b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", None).unwrap();
}

#[test]
fn a_plain_body_is_checked_against_its_sha256_and_checksum_header() {
    let sha = hex(&Sha256::digest(BODY));
    let headers = Headers::new([
        ("x-amz-content-sha256", sha.as_str()),
        ("x-amz-checksum-crc32", "6wn4jA=="),
    ]);
    let decoded = decode(&headers, BODY, None).unwrap();
    assert_eq!(decoded.data, BODY);
    assert_eq!(decoded.checksum.unwrap().value, "6wn4jA==");
    let error = decode(&headers, b"tampered", None).unwrap_err();
    assert_eq!(error.code, ErrorCode::XAmzContentSHA256Mismatch);
    let headers = Headers::new([
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("x-amz-checksum-crc32", "6wn4jA=="),
    ]);
    assert_eq!(
        decode(&headers, b"tampered", None).unwrap_err().code,
        ErrorCode::BadDigest
    );
    let headers = Headers::new([("x-amz-content-sha256", "nonsense")]);
    assert_eq!(
        decode(&headers, BODY, None).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn content_md5_is_checked_on_the_decoded_bytes() {
    let headers = Headers::new([("Content-MD5", "XUFAKrxLKna5cZ2REBfFkg==")]);
    assert_eq!(decode(&headers, b"hello", None).unwrap().data, b"hello");
    assert_eq!(
        decode(&headers, b"hellO", None).unwrap_err().code,
        ErrorCode::BadDigest
    );
}

#[test]
fn an_sdk_checksum_algorithm_without_a_value_is_computed_to_echo() {
    let headers = Headers::new([("x-amz-sdk-checksum-algorithm", "CRC32")]);
    assert_eq!(
        decode(&headers, BODY, None)
            .unwrap()
            .checksum
            .unwrap()
            .value,
        "6wn4jA=="
    );
}

/// The body of AWS's streaming example ("Example: PUT Object", 65 KiB of
/// 'a' in a 64 KiB and a 1 KiB chunk), with the published signatures.
fn aws_streaming_example() -> (Headers, Vec<u8>, ChunkSigner) {
    let headers = Headers::new([
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
    ]);
    let mut body = Vec::new();
    body.extend(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    body.extend([b'a'; 65536]);
    body.extend(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    body.extend([b'a'; 1024]);
    body.extend(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    let key = signing_key(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130524",
        "us-east-1",
        "s3",
    );
    let signer = ChunkSigner::new(
        key,
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    );
    (headers, body, signer)
}

#[test]
fn the_aws_signed_streaming_example_decodes_with_and_without_verification() {
    let (headers, body, signer) = aws_streaming_example();
    assert_eq!(body.len(), 66824, "the Content-Length AWS gives");
    let verified = decode(&headers, &body, Some(signer)).unwrap();
    assert_eq!(verified.data, vec![b'a'; 66560]);
    assert_eq!(decode(&headers, &body, None).unwrap().data, verified.data);
}

#[test]
fn a_tampered_signed_chunk_fails_its_signature() {
    let (headers, mut body, signer) = aws_streaming_example();
    body[200] = b'b';
    let error = decode(&headers, &body, Some(signer.clone())).unwrap_err();
    assert_eq!(error.code, ErrorCode::SignatureDoesNotMatch);
    // Without a signer the same body is only stripped.
    decode(&headers, &body, None).unwrap();
    // Reordering chunks breaks the chain even though each is signed.
    let (headers, body, _) = aws_streaming_example();
    let text = String::from_utf8(body).unwrap();
    let swapped = text
        .replace("ad80c730", "XXXX")
        .replace("0055627c", "ad80c730")
        .replace("XXXX", "0055627c");
    assert!(decode(&headers, swapped.as_bytes(), Some(signer)).is_err());
}

#[test]
fn signed_trailers_are_verified() {
    // Build a signed-trailer body with our own signer (no published
    // example exists), then check that tampering is caught.
    let key = [7u8; 32];
    let mut signer = ChunkSigner::new(
        key,
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        "seed",
    );
    let sign = |signer: &mut ChunkSigner, data: &[u8]| {
        // Find the signature the signer expects by reading it back from
        // the error, then let it advance with the right one.
        let sha: [u8; 32] = Sha256::digest(data).into();
        let error = signer.clone().verify_chunk(&sha, "x").unwrap_err();
        let string_to_sign = &error.details[0].1;
        let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
        signer.verify_chunk(&sha, &signature).unwrap();
        signature
    };
    let first = sign(&mut signer, BODY);
    let last = sign(&mut signer, b"");
    let trailer = "x-amz-checksum-crc32:6wn4jA==\n";
    let error = signer
        .clone()
        .verify_trailer(trailer.as_bytes(), "x")
        .unwrap_err();
    let trailer_signature = hex(&hmac(&key, error.details[0].1.as_bytes()));

    let headers = Headers::new([
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
        ("x-amz-decoded-content-length", "36"),
    ]);
    let body = |signature: &str| {
        format!(
            "24;chunk-signature={first}\r\n{}\r\n0;chunk-signature={last}\r\nx-amz-checksum-crc32:6wn4jA==\r\nx-amz-trailer-signature:{signature}\r\n\r\n",
            std::str::from_utf8(BODY).unwrap()
        )
    };
    let fresh = || {
        ChunkSigner::new(
            key,
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            "seed",
        )
    };
    let decoded = decode(&headers, body(&trailer_signature).as_bytes(), Some(fresh())).unwrap();
    assert_eq!(decoded.data, BODY);
    let error = decode(&headers, body(&"0".repeat(64)).as_bytes(), Some(fresh())).unwrap_err();
    assert_eq!(error.code, ErrorCode::SignatureDoesNotMatch);
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[test]
fn a_trailer_without_a_streaming_payload_is_refused() {
    let headers = Headers::new([("x-amz-trailer", "x-amz-checksum-crc32")]);
    assert_eq!(
        decode(&headers, BODY, None).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    let headers = trailer_headers("x-amz-checksum-md5", 1);
    assert_eq!(
        decode(&headers, BODY, None).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
}

#[test]
fn a_failed_body_keeps_failing_instead_of_ending_cleanly() {
    let headers = trailer_headers("x-amz-checksum-crc32", BODY.len());
    let body = unsigned_chunks(&[BODY], "x-amz-checksum-crc32:AAAAAA==");
    let mut reader = BodyReader::new(&headers, &body[..], None).unwrap();
    let mut out = Vec::new();
    let error = S3Error::from_io(reader.read_to_end(&mut out).unwrap_err());
    assert_eq!(error.code, ErrorCode::BadDigest);
    let again = S3Error::from_io(reader.read(&mut [0; 8]).unwrap_err());
    assert_eq!(again, error);
    assert!(reader.checksum().is_none());
}

#[test]
fn the_reader_streams_in_small_reads() {
    let headers = trailer_headers("x-amz-checksum-crc32", BODY.len());
    let body = unsigned_chunks(
        &[&BODY[..7], &BODY[7..30], &BODY[30..]],
        "x-amz-checksum-crc32:6wn4jA==",
    );
    let mut reader = BodyReader::new(&headers, &body[..], None).unwrap();
    assert!(reader.is_aws_chunked());
    let mut out = Vec::new();
    let mut buf = [0u8; 5];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out, BODY);
    assert_eq!(reader.checksum().unwrap().value, "6wn4jA==");
}
