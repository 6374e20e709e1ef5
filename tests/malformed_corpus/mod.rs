//! A corpus of malformed HTTP requests, generated here (no files): what a
//! fuzzer, a port scanner, a confused client or an attacker sends to a server
//! on a developer's laptop. Used by `tests/malformed_requests.rs` on both
//! listeners of `wasmfaas dev`.
//!
//! Each case is the exact bytes to write on a fresh connection (the writer
//! then closes its sending side) and what the answer must be.

use base64::Engine;
use md5::{Digest, Md5};

/// What a case's answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A 4xx or 5xx, or the connection closed without an answer. Never a 2xx
    /// (or any other success): the request is not valid HTTP, or not a valid
    /// request of the API.
    Refused,
    /// HTTP allows the server to accept it (RFC 9110/9112 let a recipient
    /// ignore an invalid `Range` or accept obs-text in a field value, say):
    /// any answer but a 5xx, or a close. It must still not crash or hang.
    Tolerated,
}

/// One malformed request.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

fn case(name: impl Into<String>, bytes: impl Into<Vec<u8>>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        bytes: bytes.into(),
        expect,
    }
}

/// A full request: `line`, then `Host: host`, then `headers` (each a whole
/// `Name: value` line without its CRLF), then `body`.
fn request(line: &[u8], host: &str, headers: &[&[u8]], body: &[u8]) -> Vec<u8> {
    let mut bytes = line.to_vec();
    bytes.extend_from_slice(b"\r\nHost: ");
    bytes.extend_from_slice(host.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    for header in headers {
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    bytes
}

/// Cut-short heads, broken request lines and noise, for any listener; `get`
/// is a path a good GET is served on.
pub fn request_line_cases(host: &str, get: &str) -> Vec<Case> {
    use Expect::Refused;
    let line = format!("GET {get} HTTP/1.1");
    let good = request(line.as_bytes(), host, &[], b"");
    let mut cases = Vec::new();

    // Heads cut short, then the client closes its side.
    for cut in [
        0,
        1,
        3,
        4 + get.len(),
        line.len(),
        line.len() + 2,
        good.len() - 2,
    ] {
        cases.push(case(
            format!("head truncated to {cut} bytes"),
            &good[..cut],
            Refused,
        ));
    }

    // Request lines.
    let h = |line: &[u8]| request(line, host, &[], b"");
    let lines: Vec<(&str, Vec<u8>)> = vec![
        ("unknown HTTP version", format!("GET {get} HTTP/9.9").into()),
        ("no HTTP version", format!("GET {get}").into()),
        ("garbage version", format!("GET {get} HTTQ/1.1").into()),
        ("extra token", format!("GET {get} HTTP/1.1 extra").into()),
        ("double space", format!("GET  {get} HTTP/1.1").into()),
        ("method with @", format!("G@T {get} HTTP/1.1").into()),
        ("empty method", format!(" {get} HTTP/1.1").into()),
        ("target not starting with /", b"GET hello HTTP/1.1".to_vec()),
        ("NUL in the target", format!("GET {get}\0x HTTP/1.1").into()),
        (
            "terminal escape in the target",
            format!("GET {get}\x1b[2J\x1b[31mRED HTTP/1.1").into(),
        ),
        (
            "DEL in the target",
            format!("GET {get}\x7f HTTP/1.1").into(),
        ),
        ("a response sent as a request", b"HTTP/1.1 200 OK".to_vec()),
        ("CONNECT", b"CONNECT 127.0.0.1:22 HTTP/1.1".to_vec()),
    ];
    for (name, line) in lines {
        cases.push(case(name, h(&line), Refused));
    }
    let mut invalid_utf8 = format!("GET {get}").into_bytes();
    invalid_utf8.extend_from_slice(b"\xff\xfe\xc3\x28 HTTP/1.1");
    cases.push(case(
        "invalid UTF-8 in the target",
        h(&invalid_utf8),
        Refused,
    ));
    let long = format!("GET /{} HTTP/1.1", "a".repeat(200 * 1024));
    cases.push(case("a 200 KiB target", h(long.as_bytes()), Refused));
    cases.push(case("only CRLFs", b"\r\n\r\n\r\n\r\n".to_vec(), Refused));
    cases.push(case("4 KiB of binary noise", noise(4096, 7), Refused));
    cases.push(case("a TLS ClientHello", tls_client_hello(), Refused));
    cases
}

/// Oversized and broken header sections, for any listener.
pub fn header_cases(host: &str, get: &str) -> Vec<Case> {
    use Expect::{Refused, Tolerated};
    let line = format!("GET {get} HTTP/1.1");
    let mut cases = Vec::new();
    let g = |headers: &[&[u8]]| request(line.as_bytes(), host, headers, b"");
    let huge_value = format!("X-Huge: {}", "v".repeat(1024 * 1024));
    cases.push(case("a 1 MiB header", g(&[huge_value.as_bytes()]), Refused));
    let many: Vec<&[u8]> = std::iter::repeat_n(&b"X-Repeat: 1"[..], 20_000).collect();
    cases.push(case("20,000 repeated headers", g(&many), Refused));
    let huge_name = format!("X-{}: 1", "n".repeat(100 * 1024));
    cases.push(case(
        "a 100 KiB header name",
        g(&[huge_name.as_bytes()]),
        Refused,
    ));
    for (name, header) in [
        ("space before the colon", &b"X-Space : 1"[..]),
        ("a header without a colon", b"NoColonHere"),
        ("an empty header name", b": value"),
        ("invalid UTF-8 in a header name", b"X-\xff\xfe: 1"),
        ("NUL in a header value", b"X-Nul: a\0b"),
        ("bare CR in a header value", b"X-Cr: a\rb"),
        ("ESC in a header value", b"X-Esc: \x1b[2Jcleared"),
        ("SOH in a header value", b"X-Soh: a\x01b"),
        (
            "Expect with an unknown expectation",
            b"Expect: 999-nonsense",
        ),
    ] {
        cases.push(case(name, g(&[header]), Refused));
    }
    // HTTP lets a recipient take these; they must not crash it.
    cases.push(case(
        "obs-text (invalid UTF-8) in a header value",
        g(&[b"X-Bytes: \xff\xfe\xc3\x28"]),
        Tolerated,
    ));
    cases.push(case(
        "obs-fold continuation line",
        g(&[b"X-Fold: a", b" b"]),
        Tolerated,
    ));
    cases.push(case(
        "bare LF line ends",
        format!("{line}\nHost: {host}\n\n"),
        Tolerated,
    ));
    cases
}

/// Requests for a name that is not this machine's, or with no name or two
/// (RFC 9112 §3.2: a 400), for any listener.
pub fn host_cases(host: &str, get: &str) -> Vec<Case> {
    let line = format!("GET {get} HTTP/1.1");
    [
        (
            "a foreign Host (DNS rebinding)",
            request(line.as_bytes(), "evil.example", &[], b""),
        ),
        (
            "a foreign Host with the right port",
            request(
                line.as_bytes(),
                &host.replace("127.0.0.1", "evil.example"),
                &[],
                b"",
            ),
        ),
        (
            "absolute-form with a foreign host",
            request(
                format!("GET http://evil.example{get} HTTP/1.1").as_bytes(),
                host,
                &[],
                b"",
            ),
        ),
        (
            "a second Host",
            request(line.as_bytes(), host, &[b"Host: evil.example"], b""),
        ),
        (
            "no Host on HTTP/1.1",
            format!("{line}\r\nX-A: 1\r\n\r\n").into_bytes(),
        ),
        (
            "a Host with a space",
            request(line.as_bytes(), "a b", &[], b""),
        ),
    ]
    .into_iter()
    .map(|(name, bytes)| case(name, bytes, Expect::Refused))
    .collect()
}

/// Broken body framing (`Content-Length`, `Transfer-Encoding`, chunks), for
/// any listener: `post` is a path a body may be sent to with `method`.
pub fn framing_cases(host: &str, method: &str, post: &str) -> Vec<Case> {
    use Expect::Refused;
    let post_line = format!("{method} {post} HTTP/1.1");
    let mut cases = Vec::new();
    let p = |headers: &[&[u8]], body: &[u8]| request(post_line.as_bytes(), host, headers, body);
    let chunked: &[u8] = b"Transfer-Encoding: chunked";
    for (name, headers, body) in [
        (
            "Content-Length and Transfer-Encoding",
            vec![&b"Content-Length: 5"[..], chunked],
            &b"0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"[..],
        ),
        (
            "Transfer-Encoding then Content-Length",
            vec![chunked, b"Content-Length: 3"],
            b"3\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "two different Content-Lengths",
            vec![b"Content-Length: 5", b"Content-Length: 6"],
            b"hello!",
        ),
        ("negative Content-Length", vec![b"Content-Length: -1"], b"x"),
        (
            "non-numeric Content-Length",
            vec![b"Content-Length: abc"],
            b"x",
        ),
        ("Content-Length 1e3", vec![b"Content-Length: 1e3"], b"x"),
        ("Content-Length +5", vec![b"Content-Length: +5"], b"hello"),
        (
            "Content-Length '5 5'",
            vec![b"Content-Length: 5 5"],
            b"hello",
        ),
        (
            "Content-Length overflowing 64 bits",
            vec![b"Content-Length: 99999999999999999999999"],
            b"x",
        ),
        (
            "a body shorter than its Content-Length",
            vec![b"Content-Length: 50"],
            b"only ten b",
        ),
        (
            "chunk size not hex",
            vec![chunked],
            b"zz\r\nhello\r\n0\r\n\r\n",
        ),
        (
            "negative chunk size",
            vec![chunked],
            b"-1\r\nhello\r\n0\r\n\r\n",
        ),
        (
            "chunk size overflowing 64 bits",
            vec![chunked],
            b"ffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
        ),
        (
            "a chunk longer than its data",
            vec![chunked],
            b"ff\r\nshort",
        ),
        (
            "chunk data without its CRLF",
            vec![chunked],
            b"5\r\nhelloXX0\r\n\r\n",
        ),
        ("no last chunk", vec![chunked], b"5\r\nhello\r\n"),
        (
            "an unknown transfer coding",
            vec![b"Transfer-Encoding: gzip"],
            b"x",
        ),
        (
            "chunked twice",
            vec![b"Transfer-Encoding: chunked, chunked"],
            b"0\r\n\r\n",
        ),
        (
            "chunked, then a coding after it",
            vec![b"Transfer-Encoding: chunked, identity"],
            b"0\r\n\r\n",
        ),
        (
            "xchunked",
            vec![b"Transfer-Encoding: xchunked"],
            b"0\r\n\r\n",
        ),
        (
            "a 1 GiB Content-Length, no body",
            vec![b"Content-Length: 1073741824"],
            b"",
        ),
    ] {
        cases.push(case(name, p(&headers, body), Refused));
    }
    cases
}

/// Malformed S3 requests, for an endpoint without credentials holding
/// bucket `bkt` with object `obj` (10 bytes) and a multipart upload
/// `upload_id` of key `mp`.
pub fn s3_cases(host: &str, upload_id: &str) -> Vec<Case> {
    let mut cases = s3_xml_cases(host, upload_id);
    cases.extend(s3_range_cases(host));
    cases.extend(s3_argument_cases(host));
    cases.extend(s3_nesting_cases(host, upload_id));
    cases
}

/// `line` with `body`, its length and its correct `Content-MD5`, so the
/// body itself is what the endpoint judges.
fn with_md5(line: &str, host: &str, body: &[u8]) -> Vec<u8> {
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body));
    let length = format!("Content-Length: {}", body.len());
    let md5 = format!("Content-MD5: {md5}");
    request(
        line.as_bytes(),
        host,
        &[length.as_bytes(), md5.as_bytes()],
        body,
    )
}

/// A billion-laughs style DTD (kept small: refusing it is the point).
const LAUGHS: &str = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">\
                      <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\
                      <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>";

/// Bad DeleteObjects and CompleteMultipartUpload bodies.
fn s3_xml_cases(host: &str, upload_id: &str) -> Vec<Case> {
    use Expect::Refused;
    let mut cases = Vec::new();
    let laughs = LAUGHS;
    let many_objects: String = (0..1001)
        .map(|n| format!("<Object><Key>k{n}</Key></Object>"))
        .collect();
    let deletes: Vec<(&str, Vec<u8>)> = vec![
        ("not XML", b"<not xml".to_vec()),
        ("an empty body", Vec::new()),
        (
            "an unterminated element",
            b"<Delete><Object><Key>k".to_vec(),
        ),
        (
            "the wrong root element",
            b"<Foo><Object><Key>k</Key></Object></Foo>".to_vec(),
        ),
        ("no objects", b"<Delete></Delete>".to_vec()),
        (
            "1,001 objects (S3's limit is 1,000)",
            format!("<Delete>{many_objects}</Delete>").into_bytes(),
        ),
        (
            "DTD entities",
            format!("{laughs}<Delete><Object><Key>&c;</Key></Object></Delete>").into_bytes(),
        ),
        (
            "invalid UTF-8 in a key",
            b"<Delete><Object><Key>\xff\xfe</Key></Object></Delete>".to_vec(),
        ),
        (
            "an undefined entity",
            b"<Delete><Object><Key>&nope;</Key></Object></Delete>".to_vec(),
        ),
    ];
    for (name, body) in deletes {
        cases.push(case(
            format!("DeleteObjects with {name}"),
            with_md5("POST /bkt?delete HTTP/1.1", host, &body),
            Refused,
        ));
    }
    let part = |number: &str, etag: &str| {
        format!("<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>")
    };
    let good_etag = "\"9dd4e461268c8034f5c8564e155c67a6\""; // md5("x")
    let completes: Vec<(&str, String)> = vec![
        ("not XML", "<not xml".into()),
        (
            "no parts",
            "<CompleteMultipartUpload></CompleteMultipartUpload>".into(),
        ),
        ("a non-numeric part number", part("abc", good_etag)),
        ("part number 0", part("0", good_etag)),
        ("part number 10001", part("10001", good_etag)),
        ("a negative part number", part("-1", good_etag)),
        (
            "a part number overflowing",
            part("99999999999999999999", good_etag),
        ),
        (
            "an unknown ETag",
            part("1", "\"00000000000000000000000000000000\""),
        ),
        ("a part never uploaded", part("2", good_etag)),
        (
            "parts out of order",
            format!("{}{}", part("2", good_etag), part("1", good_etag)),
        ),
        (
            "a part without an ETag",
            "<Part><PartNumber>1</PartNumber></Part>".into(),
        ),
        ("DTD entities", format!("{laughs}{}", part("1", "&c;"))),
    ];
    for (name, parts) in completes {
        let body = if parts.starts_with("<Complete") || parts.starts_with("<not") {
            parts
        } else if let Some(rest) = parts.strip_prefix(laughs) {
            format!("{laughs}<CompleteMultipartUpload>{rest}</CompleteMultipartUpload>")
        } else {
            format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>")
        };
        cases.push(case(
            format!("CompleteMultipartUpload with {name}"),
            with_md5(
                &format!("POST /bkt/mp?uploadId={upload_id} HTTP/1.1"),
                host,
                body.as_bytes(),
            ),
            Refused,
        ));
    }
    cases.push(case(
        "CompleteMultipartUpload of an unknown upload",
        with_md5(
            "POST /bkt/mp?uploadId=no-such-upload HTTP/1.1",
            host,
            format!(
                "<CompleteMultipartUpload>{}</CompleteMultipartUpload>",
                part("1", good_etag)
            )
            .as_bytes(),
        ),
        Refused,
    ));
    cases
}

/// Ranges of the 10-byte `obj`.
fn s3_range_cases(host: &str) -> Vec<Case> {
    use Expect::{Refused, Tolerated};
    let mut cases = Vec::new();
    let range = |value: &[u8]| {
        let mut header = b"Range: ".to_vec();
        header.extend_from_slice(value);
        request(b"GET /bkt/obj HTTP/1.1", host, &[&header], b"")
    };
    for value in [&b"bytes=100-200"[..], b"bytes=10-", b"bytes=-0"] {
        let name = format!("unsatisfiable Range {}", String::from_utf8_lossy(value));
        cases.push(case(name, range(value), Refused));
    }
    // An invalid Range is ignored by S3 (and RFC 9110): the whole object.
    for value in [
        &b"bytes=5-2"[..],
        b"bytes=abc",
        b"bytes=",
        b"bytes=0-1,3-4",
        b"items=0-1",
        b"bytes=99999999999999999999999-",
        b"bytes=--1",
        b"bytes=\xff-\xfe",
    ] {
        let name = format!("invalid Range {}", String::from_utf8_lossy(value));
        cases.push(case(name, range(value), Tolerated));
    }
    cases
}

/// API-level nonsense the endpoint must refuse with an S3 error.
fn s3_argument_cases(host: &str) -> Vec<Case> {
    use Expect::Refused;
    let mut cases = Vec::new();
    let put = |target: &str, headers: &[&[u8]], body: &[u8]| {
        let line = format!("PUT {target} HTTP/1.1");
        let length = format!("Content-Length: {}", body.len());
        let mut all: Vec<&[u8]> = vec![length.as_bytes()];
        all.extend_from_slice(headers);
        request(line.as_bytes(), host, &all, body)
    };
    let get = |target: &str| request(format!("GET {target} HTTP/1.1").as_bytes(), host, &[], b"");
    for (name, bytes) in [
        ("an invalid bucket name", put("/B_A_D", &[], b"")),
        ("a wrong Content-MD5", put("/bkt/k", &[b"Content-MD5: AAAAAAAAAAAAAAAAAAAAAA=="], b"x")),
        ("a Content-MD5 that is not base64", put("/bkt/k", &[b"Content-MD5: !!!"], b"x")),
        (
            "an x-amz-content-sha256 not matching the body",
            put(
                "/bkt/k",
                &[b"x-amz-content-sha256: 0000000000000000000000000000000000000000000000000000000000000000"],
                b"x",
            ),
        ),
        (
            "an x-amz-content-sha256 that is not hex",
            put("/bkt/k", &[b"x-amz-content-sha256: zzz"], b"x"),
        ),
        ("a part number of 99999", put("/bkt/k?partNumber=99999&uploadId=x", &[], b"x")),
        ("a part of an unknown upload", put("/bkt/k?partNumber=1&uploadId=nope", &[], b"x")),
        (
            "a CR LF in response-content-type (response splitting)",
            get("/bkt/obj?response-content-type=a%0d%0aSet-Cookie:%20pwn=1"),
        ),
        (
            "a control character in metadata",
            put("/bkt/k", &[b"x-amz-meta-note: a\x01b"], b"x"),
        ),
        ("max-keys not a number", get("/bkt?list-type=2&max-keys=abc")),
        ("a negative max-keys", get("/bkt?list-type=2&max-keys=-1")),
        ("a broken percent escape in a key", get("/bkt/%zz")),
        ("a key of invalid UTF-8", get("/bkt/obj%ff%fe")),
        ("a copy from an invalid source", put("/bkt/k", &[b"x-amz-copy-source: %ff%zz"], b"")),
        (
            "a 6 GiB PUT (S3's single PUT limit is 5 GiB), no body",
            request(
                b"PUT /bkt/big HTTP/1.1",
                host,
                &[b"Content-Length: 6442450944"],
                b"",
            ),
        ),
    ] {
        cases.push(case(name, bytes, Refused));
    }
    cases
}

/// Deeply nested XML bodies. Last in [`s3_cases`], because on 52da403 the
/// first of these aborts the process (the recursive drop of the parsed
/// tree overflows the stack), and every case after it would only see a
/// dead port.
fn s3_nesting_cases(host: &str, upload_id: &str) -> Vec<Case> {
    use Expect::Refused;
    let mut cases = Vec::new();
    let nested = |element: &str| {
        let open = format!("<{element}>").repeat(NESTING);
        let close = format!("</{element}>").repeat(NESTING);
        format!("{open}{close}").into_bytes()
    };
    for (name, line, body) in [
        (
            "DeleteObjects",
            "POST /bkt?delete HTTP/1.1".to_string(),
            nested("Delete"),
        ),
        (
            "CompleteMultipartUpload",
            format!("POST /bkt/mp?uploadId={upload_id} HTTP/1.1"),
            nested("CompleteMultipartUpload"),
        ),
        (
            "CreateBucket",
            "PUT /nested HTTP/1.1".to_string(),
            nested("CreateBucketConfiguration"),
        ),
    ] {
        cases.push(case(
            format!("{name} with {NESTING} nested elements"),
            with_md5(&line, host, &body),
            Refused,
        ));
    }
    cases
}

/// How deep the nested-XML cases go: far deeper than any S3 body (two or
/// three levels), deep enough to overflow a thread's stack in anything that
/// recurses per level.
const NESTING: usize = 200_000;

/// Malformed signatures, for an endpoint that has credentials (so it
/// verifies every request); `valid_authorization` is a well-formed header
/// signed with a wrong secret.
pub fn sigv4_cases(host: &str, wrong_signature: &str) -> Vec<Case> {
    let get = |headers: &[&[u8]]| request(b"GET /bkt/obj HTTP/1.1", host, headers, b"");
    let date: &[u8] = b"x-amz-date: 20260101T000000Z";
    let sha: &[u8] = b"x-amz-content-sha256: UNSIGNED-PAYLOAD";
    let wrong = format!("Authorization: {wrong_signature}");
    let long = format!(
        "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, \
         SignedHeaders=host, Signature={}",
        "a".repeat(64 * 1024)
    );
    let mut cases: Vec<Case> = [
        ("no signature", get(&[])),
        ("the algorithm alone", get(&[b"Authorization: AWS4-HMAC-SHA256", date, sha])),
        (
            "an empty Credential",
            get(&[b"Authorization: AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=00", date, sha]),
        ),
        (
            "no SignedHeaders",
            get(&[b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, Signature=00", date, sha]),
        ),
        (
            "a short credential scope",
            get(&[b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101, SignedHeaders=host, Signature=00", date, sha]),
        ),
        (
            "a signature that is not hex",
            get(&[b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=zz", date, sha]),
        ),
        ("a 64 KiB signature", get(&[long.as_bytes(), date, sha])),
        (
            "invalid UTF-8 in Authorization",
            get(&[b"Authorization: AWS4-HMAC-SHA256 Credential=\xff\xfe/x, SignedHeaders=host, Signature=00", date, sha]),
        ),
        ("a malformed SigV2 header", get(&[b"Authorization: AWS AKID"])),
        ("an unknown scheme", get(&[b"Authorization: Bearer x"])),
        ("a wrong signature", get(&[wrong.as_bytes(), sha, b"x-amz-date: 20260101T000000Z"])),
        ("an x-amz-date that is not a date", get(&[wrong.as_bytes(), sha, b"x-amz-date: notadate"])),
    ]
    .into_iter()
    .map(|(name, bytes)| case(name, bytes, Expect::Refused))
    .collect();
    for (name, query) in [
        (
            "a presigned URL with a negative expiry",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=-1&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        ),
        (
            "a presigned URL with a broken credential",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%ff%zz&X-Amz-Date=x&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        ),
        (
            "a presigned URL missing its signature",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request",
        ),
        (
            "a SigV2 presigned URL with a past expiry",
            "AWSAccessKeyId=AKID&Expires=1&Signature=AAAA",
        ),
    ] {
        cases.push(case(
            name,
            request(
                format!("GET /bkt/obj?{query} HTTP/1.1").as_bytes(),
                host,
                &[],
                b"",
            ),
            Expect::Refused,
        ));
    }
    cases
}

/// Deterministic pseudo-random bytes (xorshift), so the corpus is the same
/// on every run.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// The start of a TLS 1.2 ClientHello: what a browser or curl sends to an
/// `https://` URL that points at a plain HTTP port.
fn tls_client_hello() -> Vec<u8> {
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
    ];
    hello.extend(noise(32, 99));
    hello.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    hello
}
