//! The S3 endpoint in-process, over an in-memory state, driven with raw HTTP.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::Receiver;
use std::time::Duration;
use wasmfaas::activity::ActivitySink;
use wasmfaas::bindings::ObjectChange;
use wasmfaas::config::Credential;
use wasmfaas::s3api::time;
use wasmfaas::s3endpoint::{Running, S3Server};
use wasmfaas::state::State;
use wasmfaas::triggers::EventSink;

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

struct Endpoint {
    running: Option<Running>,
    address: SocketAddr,
    changes: Receiver<ObjectChange>,
}

impl Endpoint {
    fn start(credentials: Vec<Credential>) -> Endpoint {
        let server = S3Server::bind("127.0.0.1", 0).unwrap();
        let address = server.address();
        let (events, changes) = EventSink::capture();
        let (activity, _feed) = ActivitySink::bounded(16);
        let running = server.serve(
            State::in_memory().unwrap(),
            credentials,
            activity,
            events,
            2,
        );
        Endpoint {
            running: Some(running),
            address,
            changes,
        }
    }

    fn open() -> Endpoint {
        Endpoint::start(Vec::new())
    }

    fn send(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut stream = TcpStream::connect(self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        Response::parse(&raw, method == "HEAD")
    }

    fn get(&self, target: &str) -> Response {
        self.send("GET", target, &[], b"")
    }

    fn put(&self, target: &str, body: &[u8]) -> Response {
        self.send("PUT", target, &[], body)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown(Duration::from_secs(5));
        }
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8], head_only: bool) -> Response {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = std::str::from_utf8(&raw[..end - 4]).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap();
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_string())
            })
            .collect();
        Response {
            status: status.parse().unwrap(),
            headers,
            body: if head_only {
                Vec::new()
            } else {
                raw[end..].to_vec()
            },
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `<Code>` of an error document.
    fn code(&self) -> String {
        let text = self.text();
        text.split_once("<Code>")
            .and_then(|(_, rest)| rest.split_once("</Code>"))
            .map(|(code, _)| code.to_string())
            .unwrap_or_default()
    }
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Md5;
    hex(&Md5::digest(data))
}

/// `Content-MD5`: the base64 of the body's MD5, as DeleteObjects requires.
fn content_md5(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Md5;
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_object_is_put_read_headed_and_deleted() {
    let s3 = Endpoint::open();
    assert_eq!(s3.put("/photos", b"").status, 200);
    let put = s3.send(
        "PUT",
        "/photos/cat%20pic.txt",
        &[("content-type", "text/plain"), ("x-amz-meta-owner", "Ada")],
        b"meow",
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let etag = format!("\"{}\"", md5_hex(b"meow"));
    assert_eq!(put.header("etag"), Some(etag.as_str()));
    assert!(put.header("x-amz-request-id").is_some());
    assert!(put.header("x-amz-id-2").is_some());

    let get = s3.get("/photos/cat%20pic.txt");
    assert_eq!((get.status, get.body.as_slice()), (200, &b"meow"[..]));
    assert_eq!(get.header("content-type"), Some("text/plain"));
    assert_eq!(get.header("x-amz-meta-owner"), Some("Ada"));
    assert_eq!(get.header("accept-ranges"), Some("bytes"));
    assert_eq!(get.header("etag"), Some(etag.as_str()));
    assert!(get.header("last-modified").unwrap().ends_with(" GMT"));

    let head = s3.send("HEAD", "/photos/cat%20pic.txt", &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("4"));

    assert_eq!(
        s3.send("DELETE", "/photos/cat%20pic.txt", &[], b"").status,
        204
    );
    let gone = s3.get("/photos/cat%20pic.txt");
    assert_eq!((gone.status, gone.code().as_str()), (404, "NoSuchKey"));
    assert!(gone.text().contains("<RequestId>"));
    assert!(gone.text().contains("<Resource>"));
}

#[test]
fn errors_carry_s3s_codes_and_statuses() {
    let s3 = Endpoint::open();
    let missing = s3.get("/nowhere/k");
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "NoSuchBucket")
    );
    assert_eq!(missing.header("x-amz-error-code"), Some("NoSuchBucket"));
    s3.put("/bkt", b"");
    s3.put("/bkt/k", b"x");
    let full = s3.send("DELETE", "/bkt", &[], b"");
    assert_eq!((full.status, full.code().as_str()), (409, "BucketNotEmpty"));
    let bad_range = s3.send("GET", "/bkt/k", &[("range", "bytes=5-9")], b"");
    assert_eq!(
        (bad_range.status, bad_range.code().as_str()),
        (416, "InvalidRange")
    );
    let head_missing = s3.send("HEAD", "/bkt/nope", &[], b"");
    assert_eq!(head_missing.status, 404);
    let not_utf8 = s3.get("/bkt/%FF");
    assert_eq!(
        (not_utf8.status, not_utf8.code().as_str()),
        (400, "InvalidURI")
    );
    let unsupported = s3.get("/bkt?acl");
    assert_eq!(unsupported.status, 501);
    // The server keeps serving after every failure.
    assert_eq!(s3.get("/bkt/k").body, b"x");
}

#[test]
fn ranges_answer_206_with_content_range() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    s3.put("/bkt/digits", b"0123456789");
    let first = s3.send("GET", "/bkt/digits", &[("range", "bytes=2-4")], b"");
    assert_eq!((first.status, first.body.as_slice()), (206, &b"234"[..]));
    assert_eq!(first.header("content-range"), Some("bytes 2-4/10"));
    let suffix = s3.send("GET", "/bkt/digits", &[("range", "bytes=-3")], b"");
    assert_eq!(suffix.body, b"789");
    let open = s3.send("GET", "/bkt/digits", &[("range", "bytes=8-")], b"");
    assert_eq!(open.body, b"89");
    let head = s3.send("HEAD", "/bkt/digits", &[("range", "bytes=0-0")], b"");
    assert_eq!(
        (head.status, head.header("content-length")),
        (206, Some("1"))
    );
}

#[test]
fn conditional_gets_answer_304_and_412() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    let etag = s3.put("/bkt/k", b"v1").header("etag").unwrap().to_string();
    let same = s3.send("GET", "/bkt/k", &[("if-none-match", &etag)], b"");
    assert_eq!((same.status, same.body.len()), (304, 0));
    let other = s3.send("GET", "/bkt/k", &[("if-match", "\"nope\"")], b"");
    assert_eq!(
        (other.status, other.code().as_str()),
        (412, "PreconditionFailed")
    );
    let matching = s3.send("GET", "/bkt/k", &[("if-match", &etag)], b"");
    assert_eq!(matching.status, 200);
    let past = time::http_date(0);
    let future = time::http_date(4_000_000_000 * 1_000_000_000);
    assert_eq!(
        s3.send("GET", "/bkt/k", &[("if-modified-since", &future)], b"")
            .status,
        304
    );
    assert_eq!(
        s3.send("GET", "/bkt/k", &[("if-unmodified-since", &past)], b"")
            .status,
        412
    );
    let create_only = s3.send("PUT", "/bkt/k", &[("if-none-match", "*")], b"v2");
    assert_eq!(create_only.status, 412);
}

#[test]
fn list_v2_rolls_up_prefixes_and_paginates() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    for key in ["a/1", "a/2", "b/1", "c", "d", "e"] {
        assert_eq!(s3.put(&format!("/bkt/{key}"), b"x").status, 200);
    }
    let rolled = s3.get("/bkt?list-type=2&delimiter=/");
    let text = rolled.text();
    assert_eq!(rolled.status, 200, "{text}");
    assert!(
        text.contains("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"),
        "{text}"
    );
    assert!(
        text.contains("<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"),
        "{text}"
    );
    assert!(text.contains("<Key>c</Key>"), "{text}");
    assert!(!text.contains("<Key>a/1</Key>"), "{text}");

    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let target = match &token {
            Some(token) => format!("/bkt?list-type=2&max-keys=2&continuation-token={token}"),
            None => "/bkt?list-type=2&max-keys=2".to_string(),
        };
        let page = s3.get(&target).text();
        pages += 1;
        for part in page.split("<Key>").skip(1) {
            keys.push(part.split_once("</Key>").unwrap().0.to_string());
        }
        token = page
            .split_once("<NextContinuationToken>")
            .map(|(_, rest)| rest.split_once('<').unwrap().0.to_string());
        if token.is_none() {
            assert!(page.contains("<IsTruncated>false</IsTruncated>"));
            break;
        }
        assert!(pages < 10);
    }
    assert_eq!(keys, ["a/1", "a/2", "b/1", "c", "d", "e"]);
    assert_eq!(pages, 3);
    let v1 = s3.get("/bkt?max-keys=10").text();
    assert!(
        v1.contains("<Key>e</Key>") && v1.contains("<Marker></Marker>"),
        "{v1}"
    );
}

#[test]
fn copy_keeps_the_etag_and_fires_a_copy_event() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    let etag = s3
        .put("/bkt/src", b"data")
        .header("etag")
        .unwrap()
        .to_string();
    let copy = s3.send("PUT", "/bkt/dst", &[("x-amz-copy-source", "/bkt/src")], b"");
    assert_eq!(copy.status, 200, "{}", copy.text());
    assert!(copy.text().contains("<CopyObjectResult"));
    assert_eq!(s3.get("/bkt/dst").header("etag"), Some(etag.as_str()));
    let events: Vec<_> = s3.changes.iter().take(2).collect();
    assert_eq!(events[0].event_name, "ObjectCreated:Put");
    assert_eq!(events[1].event_name, "ObjectCreated:Copy");
    assert_eq!(events[1].object.key, "dst");
}

#[test]
fn writes_and_deletes_fire_object_changes() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    s3.put("/bkt/k", b"x");
    s3.send("DELETE", "/bkt/k", &[], b"");
    // Deleting nothing changes nothing, and fires nothing.
    s3.send("DELETE", "/bkt/k", &[], b"");
    s3.put("/bkt/k2", b"y");
    let delete = "<Delete><Object><Key>k2</Key></Object><Object><Key>none</Key></Object></Delete>";
    let md5 = content_md5(delete.as_bytes());
    let result = s3.send(
        "POST",
        "/bkt?delete",
        &[("content-md5", &md5)],
        delete.as_bytes(),
    );
    assert_eq!(result.status, 200, "{}", result.text());
    assert!(result.text().contains("<Deleted><Key>none</Key></Deleted>"));
    let wait = Duration::from_secs(5);
    let names: Vec<_> = (0..4)
        .map(|_| s3.changes.recv_timeout(wait).unwrap())
        .map(|change| (change.event_name, change.object.key))
        .collect();
    assert_eq!(
        names,
        [
            ("ObjectCreated:Put", "k".to_string()),
            ("ObjectRemoved:Delete", "k".to_string()),
            ("ObjectCreated:Put", "k2".to_string()),
            ("ObjectRemoved:Delete", "k2".to_string()),
        ]
    );
    assert!(s3.changes.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn multipart_uploads_complete_with_the_etag_of_the_parts_md5s() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    let created = s3.send("POST", "/bkt/big?uploads", &[], b"").text();
    let id = created
        .split_once("<UploadId>")
        .unwrap()
        .1
        .split_once("</UploadId>")
        .unwrap()
        .0
        .to_string();
    let first = vec![b'a'; 5 * 1024 * 1024];
    let second = b"tail".to_vec();
    let mut etags = Vec::new();
    for (number, data) in [(1, &first), (2, &second)] {
        let part = s3.put(&format!("/bkt/big?partNumber={number}&uploadId={id}"), data);
        assert_eq!(part.status, 200, "{}", part.text());
        etags.push(part.header("etag").unwrap().to_string());
    }
    let parts = s3.get(&format!("/bkt/big?uploadId={id}")).text();
    assert!(parts.contains("<PartNumber>2</PartNumber>"), "{parts}");
    let uploads = s3.get("/bkt?uploads").text();
    assert!(
        uploads.contains(&format!("<UploadId>{id}</UploadId>")),
        "{uploads}"
    );
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part>\
         <Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        etags[0], etags[1]
    );
    let done = s3.send(
        "POST",
        &format!("/bkt/big?uploadId={id}"),
        &[],
        complete.as_bytes(),
    );
    assert_eq!(done.status, 200, "{}", done.text());
    let mut digests = Vec::new();
    digests.extend_from_slice(&md5::Md5::digest(&first));
    digests.extend_from_slice(&md5::Md5::digest(&second));
    let expected = format!("\"{}-2\"", md5_hex(&digests));
    assert!(
        done.text().contains(&expected.replace('"', "&quot;")) || done.text().contains(&expected),
        "{}",
        done.text()
    );
    let head = s3.send("HEAD", "/bkt/big", &[], b"");
    assert_eq!(head.header("etag"), Some(expected.as_str()));
    assert_eq!(
        head.header("content-length"),
        Some((first.len() + 4).to_string().as_str())
    );
    let change = s3.changes.iter().find(|c| c.object.key == "big").unwrap();
    assert_eq!(change.event_name, "ObjectCreated:CompleteMultipartUpload");

    let aborted = s3.send("POST", "/bkt/gone?uploads", &[], b"").text();
    let id = aborted
        .split_once("<UploadId>")
        .unwrap()
        .1
        .split_once('<')
        .unwrap()
        .0
        .to_string();
    assert_eq!(
        s3.send("DELETE", &format!("/bkt/gone?uploadId={id}"), &[], b"")
            .status,
        204
    );
    let listed = s3.get(&format!("/bkt/gone?uploadId={id}"));
    assert_eq!(
        (listed.status, listed.code().as_str()),
        (404, "NoSuchUpload")
    );
}

/// Uploads `parts` to `/bkt/<key>` as one multipart upload and completes it.
fn multipart_object(s3: &Endpoint, key: &str, parts: &[&[u8]]) {
    let created = s3
        .send("POST", &format!("/bkt/{key}?uploads"), &[], b"")
        .text();
    let id = created
        .split_once("<UploadId>")
        .and_then(|(_, rest)| rest.split_once("</UploadId>"))
        .unwrap()
        .0
        .to_string();
    let mut complete = String::from("<CompleteMultipartUpload>");
    for (number, data) in (1..).zip(parts) {
        let part = s3.put(
            &format!("/bkt/{key}?partNumber={number}&uploadId={id}"),
            data,
        );
        assert_eq!(part.status, 200, "{}", part.text());
        complete.push_str(&format!(
            "<Part><PartNumber>{number}</PartNumber><ETag>{}</ETag></Part>",
            part.header("etag").unwrap()
        ));
    }
    complete.push_str("</CompleteMultipartUpload>");
    let target = format!("/bkt/{key}?uploadId={id}");
    let done = s3.send("POST", &target, &[], complete.as_bytes());
    assert_eq!(done.status, 200, "{}", done.text());
}

#[test]
fn a_part_number_reads_that_part_of_a_multipart_object_as_partial_content() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    let first: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let second = b"the second part".to_vec();
    multipart_object(&s3, "big", &[&first, &second]);
    let total = first.len() + second.len();
    let etag = s3
        .send("HEAD", "/bkt/big", &[], b"")
        .header("etag")
        .unwrap()
        .to_string();

    let one = s3.get("/bkt/big?partNumber=1");
    assert_eq!(one.status, 206);
    assert!(one.body == first, "part 1 has other bytes");
    let range = format!("bytes 0-{}/{total}", first.len() - 1);
    assert_eq!(one.header("content-range"), Some(range.as_str()));
    assert_eq!(one.header("x-amz-mp-parts-count"), Some("2"));
    // The object's ETag, not the part's.
    assert_eq!(one.header("etag"), Some(etag.as_str()));

    let two = s3.send("GET", "/bkt/big?partNumber=2", &[CHECKSUM_MODE], b"");
    assert_eq!((two.status, two.body.as_slice()), (206, second.as_slice()));
    let range = format!("bytes {}-{}/{total}", first.len(), total - 1);
    assert_eq!(two.header("content-range"), Some(range.as_str()));
    assert_eq!(two.header("x-amz-mp-parts-count"), Some("2"));
    assert_eq!(two.header("x-amz-checksum-type"), None);

    let head = s3.send("HEAD", "/bkt/big?partNumber=2", &[], b"");
    assert_eq!(head.status, 206);
    let length = second.len().to_string();
    assert_eq!(head.header("content-length"), Some(length.as_str()));
    assert_eq!(head.header("x-amz-mp-parts-count"), Some("2"));

    let past = s3.get("/bkt/big?partNumber=3");
    assert_eq!(
        (past.status, past.code().as_str()),
        (416, "InvalidPartNumber")
    );
    assert!(
        past.text().contains("<ActualPartCount>2</ActualPartCount>"),
        "{}",
        past.text()
    );
    let head_past = s3.send("HEAD", "/bkt/big?partNumber=3", &[], b"");
    assert_eq!(head_past.status, 416);
    let both = s3.send(
        "GET",
        "/bkt/big?partNumber=1",
        &[("range", "bytes=0-9")],
        b"",
    );
    assert_eq!((both.status, both.code().as_str()), (400, "InvalidRequest"));
    let zero = s3.get("/bkt/big?partNumber=0");
    assert_eq!(
        (zero.status, zero.code().as_str()),
        (400, "InvalidArgument")
    );
    // Conditions hold for part reads as for whole ones.
    let unchanged = s3.send(
        "GET",
        "/bkt/big?partNumber=2",
        &[("if-none-match", &etag)],
        b"",
    );
    assert_eq!(unchanged.status, 304);
}

#[test]
fn part_number_1_of_an_object_put_whole_is_the_whole_object_as_partial_content() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    s3.put("/bkt/digits", b"0123456789");
    let one = s3.get("/bkt/digits?partNumber=1");
    assert_eq!((one.status, one.body.as_slice()), (206, &b"0123456789"[..]));
    assert_eq!(one.header("content-range"), Some("bytes 0-9/10"));
    // S3 sends a parts count only for multipart objects.
    assert_eq!(one.header("x-amz-mp-parts-count"), None);
    let head = s3.send("HEAD", "/bkt/digits?partNumber=1", &[], b"");
    assert_eq!(
        (head.status, head.header("content-length")),
        (206, Some("10"))
    );
    let two = s3.get("/bkt/digits?partNumber=2");
    assert_eq!(
        (two.status, two.code().as_str()),
        (416, "InvalidPartNumber")
    );
    // An empty object has no range to give: its one part is a plain 200.
    s3.put("/bkt/empty", b"");
    let empty = s3.get("/bkt/empty?partNumber=1");
    assert_eq!((empty.status, empty.body.len()), (200, 0));
    assert_eq!(empty.header("content-range"), None);
}

/// Signs a GET of `path` as SigV4 with `secret`, now.
fn signed_get(s3: &Endpoint, path: &str, secret: &str) -> Response {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let amz_date = amz_date(now);
    let day = &amz_date[..8];
    let host = s3.address.to_string();
    let payload = "UNSIGNED-PAYLOAD";
    let canonical = format!(
        "GET\n{path}\n\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{amz_date}\n\n\
         host;x-amz-content-sha256;x-amz-date\n{payload}"
    );
    let scope = format!("{day}/us-east-1/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = wasmfaas::s3api::sigv4::signing_key(secret, day, "us-east-1", "s3");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(to_sign.as_bytes());
    let signature = hex(&mac.finalize().into_bytes());
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, \
         SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}"
    );
    s3.send(
        "GET",
        path,
        &[
            ("x-amz-content-sha256", payload),
            ("x-amz-date", &amz_date),
            ("authorization", &authorization),
        ],
        b"",
    )
}

fn amz_date(secs: u64) -> String {
    // 2006-01-02T15:04:05Z from time::iso8601_ms, compacted.
    let iso = time::iso8601_ms(secs as i64 * 1_000_000_000);
    let compact: String = iso[..19]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{compact}Z")
}

#[test]
fn with_credentials_only_correctly_signed_requests_are_served() {
    let s3 = Endpoint::start(vec![Credential {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET.into(),
    }]);
    let unsigned = s3.get("/");
    assert_eq!(
        (unsigned.status, unsigned.code().as_str()),
        (403, "AccessDenied")
    );
    let wrong = signed_get(&s3, "/", "not-the-secret");
    assert_eq!(
        (wrong.status, wrong.code().as_str()),
        (403, "SignatureDoesNotMatch"),
        "{}",
        wrong.text()
    );
    let right = signed_get(&s3, "/", SECRET);
    assert_eq!(right.status, 200, "{}", right.text());
    assert!(right.text().contains("<ListAllMyBucketsResult"));
}

#[test]
fn a_captured_boto3_request_signed_long_ago_is_refused() {
    let s3 = Endpoint::start(vec![Credential {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET.into(),
    }]);
    let raw = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/s3_clients/captured/list_buckets.http"),
    )
    .unwrap();
    let mut stream = TcpStream::connect(s3.address).unwrap();
    stream.write_all(&raw).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buffer = vec![0; 64 * 1024];
    let n = stream.read(&mut buffer).unwrap();
    let response = Response::parse(&buffer[..n], false);
    // Replayed later than S3's 15 minutes: refused, never served.
    assert_eq!(response.status, 403, "{}", response.text());
    assert!(
        ["RequestTimeTooSkewed", "SignatureDoesNotMatch"].contains(&response.code().as_str()),
        "{}",
        response.text()
    );
}

#[test]
fn hostile_requests_get_s3_errors_and_the_server_keeps_serving() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    for (method, target, body) in [
        ("POST", "/bkt?delete", &b"<not xml"[..]),
        (
            "POST",
            "/bkt/k?uploadId=nope",
            b"<CompleteMultipartUpload/>",
        ),
        ("PUT", "/bkt/k?partNumber=99999&uploadId=x", b"x"),
        ("PUT", "/bkt/%2e%2e/%2e%2e/etc/passwd", b"ok"),
        ("GET", "/bkt?list-type=2&continuation-token=%00bad", b""),
        ("PUT", "/B_A_D", b""),
    ] {
        let response = s3.send(method, target, &[], body);
        assert!(response.status < 600, "{method} {target}");
    }
    assert_eq!(s3.get("/bkt/../../etc/passwd").status, 200);
}

/// Sends a captured request's bytes as they were and reads the answer.
fn replay(s3: &Endpoint, name: &str) -> Response {
    let raw = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/s3_clients/captured")
            .join(format!("{name}.http")),
    )
    .unwrap();
    // Unsigned: the endpoint has no credentials, so a header may be added.
    let line_end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
    let mut request = raw[..line_end].to_vec();
    request.extend_from_slice(b"\r\nConnection: close");
    request.extend_from_slice(&raw[line_end..]);
    let mut stream = TcpStream::connect(s3.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(&request).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let mut answer = answer.as_slice();
    while answer.starts_with(b"HTTP/1.1 100") {
        let end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        answer = &answer[end..];
    }
    Response::parse(answer, false)
}

#[test]
fn captured_aws_chunked_uploads_store_the_bytes_boto3_was_given() {
    // Without credentials the captured signatures are ignored, so the
    // bodies (aws-chunked inside HTTP chunked, checksum trailers) are what
    // is tested.
    let s3 = Endpoint::open();
    s3.put("/bucket", b"");
    let body = b"hello world\nhello world\nhello world\n";
    for (name, key, expected) in [
        ("put_object_https_chunks", "chunks.bin", &body[..]),
        ("put_object_https_crc32", "hello.txt", body),
        ("put_object_https_crc32c", "hello.txt", body),
        ("put_object_https_sha256", "hello.txt", body),
        ("put_object_https_empty", "empty", b""),
        ("put_object_http", "dir/hello%20world.txt", body),
    ] {
        let put = replay(&s3, name);
        assert_eq!(put.status, 200, "{name}: {}", put.text());
        assert_eq!(s3.get(&format!("/bucket/{key}")).body, expected, "{name}");
    }
    // A trailer checksum is kept like a header one, for reads to return.
    for (name, header) in [
        ("put_object_https_crc32", "x-amz-checksum-crc32"),
        ("put_object_https_crc32c", "x-amz-checksum-crc32c"),
        ("put_object_https_crc64nvme", "x-amz-checksum-crc64nvme"),
        ("put_object_https_sha1", "x-amz-checksum-sha1"),
        ("put_object_https_sha256", "x-amz-checksum-sha256"),
    ] {
        let put = replay(&s3, name);
        let sent = put
            .header(header)
            .unwrap_or_else(|| panic!("{name}: {put:?}"));
        let get = s3.send("GET", "/bucket/hello.txt", &[CHECKSUM_MODE], b"");
        assert_eq!(get.header(header), Some(sent), "{name}");
    }
}

/// The header that asks for the stored checksum (boto3 sends it on every GetObject).
const CHECKSUM_MODE: (&str, &str) = ("x-amz-checksum-mode", "ENABLED");

#[test]
fn a_checksum_put_with_an_object_comes_back_on_whole_object_reads_in_checksum_mode() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    // CRC32 of "meow", as boto3 computes it.
    let crc = ("x-amz-checksum-crc32", "ihBq/g==");
    let put = s3.send("PUT", "/bkt/cat", &[crc], b"meow");
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.header(crc.0), Some(crc.1));
    assert_eq!(put.header("x-amz-checksum-type"), Some("FULL_OBJECT"));

    let get = s3.send("GET", "/bkt/cat", &[CHECKSUM_MODE], b"");
    assert_eq!((get.status, get.body.as_slice()), (200, &b"meow"[..]));
    assert_eq!(get.header(crc.0), Some(crc.1));
    assert_eq!(get.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
    let head = s3.send("HEAD", "/bkt/cat", &[CHECKSUM_MODE], b"");
    assert_eq!((head.status, head.header(crc.0)), (200, Some(crc.1)));
    assert_eq!(head.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
    // Not asked for, or not the whole object: no checksum, as on S3.
    assert_eq!(s3.get("/bkt/cat").header(crc.0), None);
    let range = s3.send(
        "GET",
        "/bkt/cat",
        &[CHECKSUM_MODE, ("range", "bytes=0-1")],
        b"",
    );
    assert_eq!((range.status, range.header(crc.0)), (206, None));
    assert_eq!(range.header("x-amz-checksum-type"), None);

    // Listings name the algorithm; a copy keeps the checksum.
    let list = s3.get("/bkt?list-type=2");
    assert!(
        list.text()
            .contains("<ChecksumAlgorithm>CRC32</ChecksumAlgorithm>"),
        "{}",
        list.text()
    );
    let copy = s3.send("PUT", "/bkt/copy", &[("x-amz-copy-source", "bkt/cat")], b"");
    assert!(
        copy.text()
            .contains("<ChecksumCRC32>ihBq/g==</ChecksumCRC32>"),
        "{}",
        copy.text()
    );
    let copied = s3.send("GET", "/bkt/copy", &[CHECKSUM_MODE], b"");
    assert_eq!(copied.header(crc.0), Some(crc.1));

    // An object put without a checksum has none to return.
    s3.put("/bkt/plain", b"meow");
    let plain = s3.send("GET", "/bkt/plain", &[CHECKSUM_MODE], b"");
    assert_eq!((plain.status, plain.header(crc.0)), (200, None));
    assert!(
        !s3.get("/bkt?list-type=2&prefix=plain")
            .text()
            .contains("ChecksumAlgorithm")
    );
}

#[test]
fn a_wrong_checksum_or_checksum_mode_is_refused_and_nothing_is_stored() {
    let s3 = Endpoint::open();
    s3.put("/bkt", b"");
    let wrong = s3.send(
        "PUT",
        "/bkt/cat",
        &[("x-amz-checksum-crc32", "AAAAAA==")],
        b"meow",
    );
    assert_eq!((wrong.status, wrong.code().as_str()), (400, "BadDigest"));
    assert_eq!(s3.get("/bkt/cat").status, 404);
    s3.put("/bkt/cat", b"meow");
    let mode = s3.send("GET", "/bkt/cat", &[("x-amz-checksum-mode", "YES")], b"");
    assert_eq!(
        (mode.status, mode.code().as_str()),
        (400, "InvalidArgument")
    );
}
