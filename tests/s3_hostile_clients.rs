//! The S3 endpoint of `wasmfaas dev` against hostile clients (issue 12,
//! "Hostile clients"): response splitting, browser pages of other sites,
//! and uploads and downloads far larger than memory should grow by.
//! Every test runs the real binary on loopback, as a user does.

mod common;

use common::dev_server::{DevServer, RawConnection, Reply, TempProject};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A project with `extra` appended to its wasmfaas.toml.
fn project(tag: &str, extra: &str) -> TempProject {
    let config = format!("[project]\nname = \"{tag}\"\n\n[s3.files]\n{extra}");
    TempProject::new(tag, &[("wasmfaas.toml", config.as_str())])
}

fn s3_address(server: &DevServer) -> SocketAddr {
    let url = server.s3_endpoint();
    url.trim_start_matches("http://").parse().unwrap()
}

/// One request on its own connection, bytes exactly as given.
fn raw(address: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut connection = RawConnection::open(address);
    let mut request = format!(
        "{head}\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    connection.exchange(&request)
}

fn code(reply: &Reply) -> String {
    let text = reply.text();
    text.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_string())
        .unwrap_or_default()
}

#[test]
fn a_response_override_with_crlf_is_refused_and_sets_no_header() {
    // Bug pinned: this GET answered with a `Set-Cookie: pwn=1` header.
    let project = project("s3split", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    assert_eq!(raw(s3, "PUT /files/a.txt HTTP/1.1", b"hello").status, 200);
    let got = raw(
        s3,
        "GET /files/a.txt?response-content-type=a%0d%0aSet-Cookie:%20pwn=1 HTTP/1.1",
        b"",
    );
    assert_eq!(got.header("set-cookie"), None, "{:?}", got.headers);
    assert_eq!((got.status, code(&got).as_str()), (400, "InvalidArgument"));
    let plain = raw(
        s3,
        "GET /files/a.txt?response-content-type=text%2Fplain HTTP/1.1",
        b"",
    );
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-type"), Some("text/plain"));
    server.stop();
}

#[test]
fn metadata_with_a_control_character_is_refused_at_write_time() {
    let project = project("s3ctl", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    let put = raw(
        s3,
        "PUT /files/m.txt HTTP/1.1\r\nx-amz-meta-note: a\x01b",
        b"x",
    );
    // The listener refuses a control character in any request header before
    // S3 sees it (a bare 400); the S3 check (InvalidArgument) guards the
    // bindings' writes, tested in src/state/tests/s3.rs.
    assert_eq!(put.status, 400, "{}", put.text());
    let got = raw(s3, "GET /files/m.txt HTTP/1.1", b"");
    assert_eq!(got.status, 404, "nothing was stored");
    server.stop();
}

#[test]
fn metadata_stored_with_crlf_before_the_fix_never_reaches_a_response_head() {
    // Objects stored by an older wasmfaas (or another tool) may hold what
    // can no longer be written: the head leaves such a header out.
    let project = project("s3old", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    let put = raw(
        s3,
        "PUT /files/old.txt HTTP/1.1\r\nx-amz-meta-note: fine",
        b"x",
    );
    assert_eq!(put.status, 200);
    server.stop();
    let database = project.path(".wasmfaas/state/state.sqlite");
    let db = rusqlite::Connection::open(&database).unwrap();
    let changed = db
        .execute(
            "UPDATE objects SET user_metadata = ?1, content_type = ?2 WHERE key = 'old.txt'",
            [
                r#"{"note":"x\r\nSet-Cookie: pwn=1","ok":"kept"}"#,
                "text/plain\r\nX-Evil: 1",
            ],
        )
        .unwrap();
    assert_eq!(changed, 1, "the object is in {}", database.display());
    drop(db);
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    for method in ["GET", "HEAD"] {
        let got = raw(s3, &format!("{method} /files/old.txt HTTP/1.1"), b"");
        assert_eq!(got.status, 200);
        assert_eq!(got.header("set-cookie"), None, "{:?}", got.headers);
        assert_eq!(got.header("x-evil"), None, "{:?}", got.headers);
        assert_eq!(got.header("x-amz-meta-ok"), Some("kept"));
    }
    server.stop();
}

#[test]
fn delete_objects_from_a_plain_form_post_without_content_md5_is_refused() {
    // Bug pinned: any web page could POST this (a "simple" request, no
    // preflight) and delete the developer's objects.
    let project = project("s3del", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    assert_eq!(raw(s3, "PUT /files/keep.txt HTTP/1.1", b"x").status, 200);
    let delete = b"<Delete><Object><Key>keep.txt</Key></Object></Delete>";
    let refused = raw(
        s3,
        "POST /files?delete HTTP/1.1\r\ncontent-type: text/plain",
        delete,
    );
    assert_eq!(
        (refused.status, code(&refused).as_str()),
        (400, "InvalidRequest")
    );
    assert!(
        refused
            .text()
            .contains("Missing required header for this request: Content-MD5")
    );
    assert_eq!(raw(s3, "GET /files/keep.txt HTTP/1.1", b"").status, 200);
    server.stop();
}

#[test]
fn writes_from_an_origin_the_bucket_does_not_allow_are_refused() {
    let project = project("s3cors", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    let origin = "origin: https://evil.example";
    let put = raw(s3, &format!("PUT /files/x.txt HTTP/1.1\r\n{origin}"), b"x");
    assert_eq!((put.status, code(&put).as_str()), (403, "AccessForbidden"));
    assert_eq!(raw(s3, "GET /files/x.txt HTTP/1.1", b"").status, 404);
    assert_eq!(raw(s3, "PUT /files/y.txt HTTP/1.1", b"y").status, 200);
    let delete = raw(
        s3,
        &format!("DELETE /files/y.txt HTTP/1.1\r\n{origin}"),
        b"",
    );
    assert_eq!(delete.status, 403);
    // Reads are served, without CORS headers: the browser hides them.
    let read = raw(s3, &format!("GET /files/y.txt HTTP/1.1\r\n{origin}"), b"");
    assert_eq!((read.status, read.text().as_str()), (200, "y"));
    assert_eq!(read.header("access-control-allow-origin"), None);
    let preflight = raw(
        s3,
        &format!("OPTIONS /files/y.txt HTTP/1.1\r\n{origin}\r\naccess-control-request-method: PUT"),
        b"",
    );
    assert_eq!(
        (preflight.status, code(&preflight).as_str()),
        (403, "AccessForbidden")
    );
    server.stop();
}

#[test]
fn an_origin_the_bucket_allows_gets_the_preflight_and_cors_headers_s3_sends() {
    let project = project("s3corsok", "cors = [\"http://localhost:5173\"]\n");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    let origin = "origin: http://localhost:5173";
    let preflight = raw(
        s3,
        &format!(
            "OPTIONS /files/x.txt HTTP/1.1\r\n{origin}\r\naccess-control-request-method: PUT\r\n\
             access-control-request-headers: content-type, x-amz-date"
        ),
        b"",
    );
    assert_eq!(preflight.status, 200, "{}", preflight.text());
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("PUT") && m.contains("DELETE"))
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("content-type, x-amz-date")
    );
    let put = raw(s3, &format!("PUT /files/x.txt HTTP/1.1\r\n{origin}"), b"x");
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        put.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(
        put.header("access-control-expose-headers")
            .is_some_and(|h| h.contains("ETag"))
    );
    let other = raw(
        s3,
        "PUT /files/z.txt HTTP/1.1\r\norigin: http://localhost:5174",
        b"z",
    );
    assert_eq!(other.status, 403);
    server.stop();
}

#[test]
fn a_cors_origin_with_a_path_is_a_config_error_at_its_line_and_column() {
    let project = project("s3corsbad", "cors = [\"http://localhost:5173/app\"]\n");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(["dev", "--port", "0", "--s3-port", "0", "--no-watch"])
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("wasmfaas.toml:5:9"), "{stderr}");
    assert!(stderr.contains("s3.files.cors"), "{stderr}");
    assert!(stderr.contains("no path"), "{stderr}");
}

/// VmHWM (peak resident memory) of `pid`, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn generated_byte(i: u64) -> u8 {
    (i % 251) as u8
}

#[test]
fn a_256_mib_put_and_its_gets_grow_the_server_by_far_less_than_the_object() {
    // Bug pinned: a 1 GiB PUT took the server from 14 MiB to 2.0 GiB: the
    // body was held twice, and every GET (ranged or not) read it whole.
    const SIZE: u64 = 256 * 1024 * 1024;
    const BOUND: u64 = 64 * 1024 * 1024;
    let project = project("s3big", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    assert_eq!(raw(s3, "PUT /files/warm.txt HTTP/1.1", b"warm").status, 200);
    let before = peak_rss(server.pid());

    // Its own stream with a generous timeout: the answer comes after the
    // whole body is hashed and fsynced, which only bounds a hang here.
    let mut put = TcpStream::connect(s3).unwrap();
    put.set_read_timeout(Some(Duration::from_secs(600)))
        .unwrap();
    put.write_all(
        format!(
            "PUT /files/big.bin HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\
             content-length: {SIZE}\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut chunk = vec![0u8; 1 << 20];
    for start in (0..SIZE).step_by(chunk.len()) {
        for (k, byte) in chunk.iter_mut().enumerate() {
            *byte = generated_byte(start + k as u64);
        }
        put.write_all(&chunk).unwrap();
    }
    let mut answer = String::new();
    put.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let first = 100_000_000;
    let ranged = raw(
        s3,
        &format!(
            "GET /files/big.bin HTTP/1.1\r\nrange: bytes={first}-{}",
            first + 9999
        ),
        b"",
    );
    assert_eq!(ranged.status, 206);
    let expected: Vec<u8> = (first..first + 10_000).map(generated_byte).collect();
    assert!(
        ranged.body == expected,
        "the range holds the object's bytes"
    );

    // The whole object, read and checked as it comes, never held here either.
    let mut whole = TcpStream::connect(s3).unwrap();
    whole
        .set_read_timeout(Some(Duration::from_secs(600)))
        .unwrap();
    whole
        .write_all(b"GET /files/big.bin HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        whole.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.contains(&format!("content-length: {SIZE}")), "{head}");
    let mut at = 0u64;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = whole.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        let wrong = buffer[..n]
            .iter()
            .enumerate()
            .any(|(k, b)| *b != generated_byte(at + k as u64));
        assert!(!wrong, "byte mismatch near offset {at}");
        at += n as u64;
    }
    assert_eq!(at, SIZE);

    let after = peak_rss(server.pid());
    let grown = after.saturating_sub(before);
    eprintln!(
        "peak RSS: {} KiB before, {} KiB after",
        before >> 10,
        after >> 10
    );
    assert!(
        grown < BOUND,
        "peak RSS grew by {} MiB (from {} MiB) for a {} MiB object",
        grown >> 20,
        before >> 20,
        SIZE >> 20
    );
    server.stop();
}

/// The text between `<tag>` and `</tag>` in `xml`.
fn element(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split_once(&open)
        .and_then(|(_, rest)| rest.split_once(&close))
        .map(|(value, _)| value.to_string())
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
}

#[test]
fn upload_part_copy_streams_ranges_of_a_stored_object_into_a_completed_upload() {
    // UploadPartCopy read the whole source object into memory to cut a
    // range from it; it now copies the range file to file. The bytes must
    // come out exactly.
    let project = project("s3partcopy", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    let source: Vec<u8> = (0..6 * 1024 * 1024 + 123).map(generated_byte).collect();
    assert_eq!(raw(s3, "PUT /files/src.bin HTTP/1.1", &source).status, 200);
    let created = raw(s3, "POST /files/dst.bin?uploads HTTP/1.1", b"");
    let upload_id = element(&created.text(), "UploadId");
    let spans = [(1000u64, 1000 + 5 * 1024 * 1024 - 1), (17, 99_999)];
    let mut complete = String::from("<CompleteMultipartUpload>");
    for (n, (first, last)) in spans.iter().enumerate() {
        let part = n + 1;
        let copied = raw(
            s3,
            &format!(
                "PUT /files/dst.bin?partNumber={part}&uploadId={upload_id} HTTP/1.1\r\n\
                 x-amz-copy-source: files/src.bin\r\n\
                 x-amz-copy-source-range: bytes={first}-{last}"
            ),
            b"",
        );
        assert_eq!(copied.status, 200, "{}", copied.text());
        let etag = element(&copied.text(), "ETag");
        complete.push_str(&format!(
            "<Part><PartNumber>{part}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    complete.push_str("</CompleteMultipartUpload>");
    let done = raw(
        s3,
        &format!("POST /files/dst.bin?uploadId={upload_id} HTTP/1.1"),
        complete.as_bytes(),
    );
    assert_eq!(done.status, 200, "{}", done.text());
    let got = raw(s3, "GET /files/dst.bin HTTP/1.1", b"");
    let expected: Vec<u8> = spans
        .iter()
        .flat_map(|(first, last)| source[*first as usize..=*last as usize].to_vec())
        .collect();
    assert_eq!(got.body.len(), expected.len());
    assert!(got.body == expected, "the parts hold the copied ranges");
    server.stop();
}

#[test]
fn an_upload_refused_before_its_body_is_answered_without_inviting_or_reading_it() {
    // The body used to be read whole before anything was checked: a 5 GiB
    // PUT to a bucket that does not exist was invited (100 Continue) and
    // read to the end before its 404.
    let project = project("s3early", "");
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    let mut connection = RawConnection::open(s3);
    let size = 5u64 * 1024 * 1024 * 1024;
    connection.send(
        format!(
            "PUT /missing/huge.bin HTTP/1.1\r\nhost: 127.0.0.1\r\nexpect: 100-continue\r\n\
             content-length: {size}\r\n\r\n"
        )
        .as_bytes(),
    );
    let answer = connection.read_response(false);
    assert_eq!(
        (answer.status, code(&answer).as_str()),
        (404, "NoSuchBucket")
    );
    assert_eq!(answer.header("connection"), Some("close"));
    server.stop();
}

#[test]
fn an_unsigned_upload_is_refused_before_its_body_when_requests_must_be_signed() {
    // With credentials configured, the listener read (and spooled to disk)
    // a whole unsigned body, after inviting it with 100 Continue, before the
    // handler answered 403; S3 refuses first.
    let config = "[project]\nname = \"s3signed\"\n\n[s3.files]\n\n[s3_endpoint]\n\
                  credentials = [{ access_key_id = \"AKIDTEST\", secret_access_key = \"s\" }]\n";
    let project = TempProject::new("s3signed", &[("wasmfaas.toml", config)]);
    let server = DevServer::start(&project, &[]);
    let s3 = s3_address(&server);
    let mut connection = RawConnection::open(s3);
    let size = 5u64 * 1024 * 1024 * 1024;
    connection.send(
        format!(
            "PUT /files/huge.bin HTTP/1.1\r\nhost: 127.0.0.1\r\nexpect: 100-continue\r\n\
             content-length: {size}\r\n\r\n"
        )
        .as_bytes(),
    );
    let answer = connection.read_response(false);
    assert_eq!(answer.status, 403, "{}", answer.text());
    assert_eq!(answer.header("connection"), Some("close"));
    server.stop();
}
