//! A generated corpus of malformed requests (`tests/malformed_corpus/`) sent
//! over raw TCP to both listeners of the real `wasmfaas dev`: the gateway and
//! the S3 endpoint. Every answer must be a 4xx/5xx or a closed connection
//! (never a success for a malformed request, never a hang), a good request
//! after each bad one must succeed, and the process must be alive and stop
//! cleanly at the end.
//!
//! The whole table of cases and answers is printed, and every failing case
//! is listed before the test fails, so one run shows all that is wrong.

mod common;
mod malformed_corpus;

use common::dev_server::{DevServer, TempProject, envelope_echo_wat};
use hmac::{Hmac, KeyInit, Mac};
use malformed_corpus::{
    Case, Expect, framing_cases, header_cases, host_cases, request_line_cases, s3_cases,
    sigv4_cases,
};
use sha2::{Digest, Sha256};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// How long a case may go unanswered before it counts as a hang. Far above
/// what an answer takes; it only bounds a hang.
const CASE_PATIENCE: Duration = Duration::from_secs(20);

/// Most that is read of one answer.
const MAX_ANSWER: usize = 1024 * 1024;

const ACCESS_KEY: &str = "AKIDMALFORMED";
const SECRET: &str = "malformed-requests-secret";

/// One function on `GET /hello` and `POST /echo` (an echo of the request
/// envelope), with a small body limit.
fn config(s3_credentials: bool) -> String {
    let mut config = String::from(
        "[project]\nname = \"malformed\"\n\
         [functions.echo]\nsource = \"echo.wat\"\nroutes = [\"GET /hello\", \"POST /echo\"]\n\
         [functions.echo.limits]\nmax_body_bytes = \"64KiB\"\n",
    );
    if s3_credentials {
        config.push_str(&format!(
            "[s3_endpoint]\ncredentials = [{{ access_key_id = \"{ACCESS_KEY}\", \
             secret_access_key = \"{SECRET}\" }}]\n"
        ));
    }
    config
}

fn start(tag: &str, s3_credentials: bool) -> (TempProject, DevServer, SocketAddr) {
    let project = TempProject::new(
        tag,
        &[
            ("wasmfaas.toml", &config(s3_credentials)),
            ("echo.wat", &envelope_echo_wat("[]")),
        ],
    );
    let server = DevServer::start(&project, &["--no-watch", "--ephemeral"]);
    let s3: SocketAddr = server
        .s3_endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("the S3 endpoint's address");
    (project, server, s3)
}

/// How a connection ended.
#[derive(Debug)]
#[allow(dead_code)] // The fields are shown through `Debug`, in the case table.
enum Answer {
    /// A response with this status (after any 1xx).
    Status(u16),
    /// Closed (or reset) without a byte of answer.
    Closed,
    /// Bytes that are not an HTTP response.
    NotHttp(String),
    /// Nothing within [`CASE_PATIENCE`].
    Hung,
    /// The listener did not accept the connection.
    Refused(std::io::Error),
}

/// Writes `bytes` on a fresh connection, closes the sending side, and reads
/// until the server closes (or [`CASE_PATIENCE`] passes).
fn send(address: SocketAddr, bytes: &[u8]) -> (Answer, Vec<u8>) {
    let mut stream = match TcpStream::connect(address) {
        Ok(stream) => stream,
        Err(error) => return (Answer::Refused(error), Vec::new()),
    };
    let _ = stream.set_read_timeout(Some(CASE_PATIENCE));
    let _ = stream.set_write_timeout(Some(CASE_PATIENCE));
    // The server may answer and close before reading it all: that is fine,
    // what it answered is still there to read.
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(Shutdown::Write);
    let mut answer = Vec::new();
    let mut timed_out = false;
    let mut chunk = [0u8; 16 * 1024];
    while answer.len() < MAX_ANSWER {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                timed_out = true;
                break;
            }
            Err(_) => break, // reset: the server closed
        }
    }
    let verdict = match status_of(&answer) {
        Some(status) => Answer::Status(status),
        None if answer.is_empty() && timed_out => Answer::Hung,
        None if answer.is_empty() => Answer::Closed,
        None => Answer::NotHttp(String::from_utf8_lossy(&answer[..answer.len().min(80)]).into()),
    };
    (verdict, answer)
}

/// The status of the first final response in `answer`.
fn status_of(answer: &[u8]) -> Option<u16> {
    let mut rest = answer;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&rest[..line_end]).ok()?;
        let status: u16 = line.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()?;
        if !(100..200).contains(&status) {
            return Some(status);
        }
        let head_end = rest.windows(4).position(|w| w == b"\r\n\r\n")?;
        rest = &rest[head_end + 4..];
    }
}

/// Why `answer` is wrong for `expect`, if it is.
fn judge(expect: Expect, answer: &Answer) -> Option<String> {
    match (expect, answer) {
        (_, Answer::Closed) => None,
        (Expect::Refused, Answer::Status(400..=599)) => None,
        (Expect::Tolerated, Answer::Status(status)) if *status < 500 => None,
        (_, Answer::Status(status)) => Some(format!("answered {status}")),
        (_, other) => Some(format!("{other:?}")),
    }
}

/// A good request, with `Connection: close`, and the answer it must get.
struct Good {
    address: SocketAddr,
    request: Vec<u8>,
    body: &'static [u8],
}

impl Good {
    /// Sends it; `Err` says what went wrong.
    fn check(&self) -> Result<(), String> {
        let (answer, bytes) = send(self.address, &self.request);
        let body = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|at| &bytes[at + 4..]);
        match answer {
            Answer::Status(200) if body.is_some_and(|b| b.starts_with(self.body)) => Ok(()),
            other => Err(format!(
                "good request got {other:?}: {:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            )),
        }
    }
}

/// Sends each case to `address`, then `good`; returns the failures and
/// prints one line per case.
fn run_corpus(listener: &str, address: SocketAddr, cases: &[Case], good: &Good) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let (answer, _) = send(address, &case.bytes);
        let wrong = judge(case.expect, &answer);
        println!(
            "{listener:7} {:<58} {:<9} {answer:?}{}",
            case.name,
            format!("{:?}", case.expect),
            if wrong.is_some() { "  <-- FAIL" } else { "" }
        );
        if let Some(wrong) = wrong {
            failures.push(format!("{listener}: {}: {wrong}", case.name));
        }
        if let Err(error) = good.check() {
            failures.push(format!("{listener}: after `{}`: {error}", case.name));
        }
    }
    failures
}

/// A plain request with `Connection: close` and a `Content-Length`.
fn plain(method: &str, target: &str, address: SocketAddr, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends a setup request that must succeed; its body.
fn setup(address: SocketAddr, request: &[u8]) -> String {
    let (answer, bytes) = send(address, request);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(
        matches!(answer, Answer::Status(200)),
        "setup failed: {text}"
    );
    text
}

/// Asserts the server is alive, stops it, and asserts it stopped cleanly
/// and never panicked.
fn assert_alive_and_stop(server: DevServer) {
    assert!(server.health().is_some(), "the server no longer answers");
    let stopped = server.stop();
    assert!(
        stopped.status.success(),
        "wasmfaas dev did not stop cleanly: {:?}\n{}",
        stopped.status,
        stopped.stderr
    );
    assert!(!stopped.stderr.contains("panicked"), "{}", stopped.stderr);
}

/// Both listeners of one `wasmfaas dev`, with what the S3 cases need: bucket
/// `bkt` holding `obj` (10 bytes), and an upload of `mp` with part 1 (`x`).
struct Listeners {
    _project: TempProject,
    server: DevServer,
    gateway: SocketAddr,
    s3: SocketAddr,
    upload_id: String,
}

impl Listeners {
    fn start(tag: &str) -> Listeners {
        let (project, server, s3) = start(tag, false);
        setup(s3, &plain("PUT", "/bkt", s3, b""));
        setup(s3, &plain("PUT", "/bkt/obj", s3, b"0123456789"));
        let initiated = setup(s3, &plain("POST", "/bkt/mp?uploads", s3, b""));
        let upload_id = initiated
            .split_once("<UploadId>")
            .and_then(|(_, rest)| rest.split_once("</UploadId>"))
            .map(|(id, _)| id.to_string())
            .unwrap_or_else(|| panic!("no UploadId in {initiated}"));
        let part = format!("/bkt/mp?partNumber=1&uploadId={upload_id}");
        setup(s3, &plain("PUT", &part, s3, b"x"));
        Listeners {
            gateway: server.address(),
            _project: project,
            server,
            s3,
            upload_id,
        }
    }

    /// `cases(host, path)` to the gateway (with `/hello`, `POST /echo`) and
    /// to the S3 endpoint (with `/bkt/obj`, `PUT /bkt/new`), a good request
    /// after each; then the server must be alive and stop cleanly.
    fn run_on_both(self, cases: impl Fn(&str, &str, &str, &str) -> Vec<Case>) {
        let mut failures = self.run(
            "gateway",
            &cases(&self.gateway.to_string(), "/hello", "POST", "/echo"),
        );
        failures.extend(self.run(
            "s3",
            &cases(&self.s3.to_string(), "/bkt/obj", "PUT", "/bkt/new"),
        ));
        self.finish(failures);
    }

    fn run(&self, listener: &str, cases: &[Case]) -> Vec<String> {
        let good = if listener == "gateway" {
            Good {
                address: self.gateway,
                request: plain("GET", "/hello", self.gateway, b""),
                body: b"{\"v\":1",
            }
        } else {
            Good {
                address: self.s3,
                request: plain("GET", "/bkt/obj", self.s3, b""),
                body: b"0123456789",
            }
        };
        run_corpus(
            listener,
            if listener == "gateway" {
                self.gateway
            } else {
                self.s3
            },
            cases,
            &good,
        )
    }

    fn finish(self, failures: Vec<String>) {
        assert_alive_and_stop(self.server);
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

#[test]
fn truncated_heads_broken_request_lines_and_noise_are_refused_by_both_listeners() {
    Listeners::start("malformed-lines")
        .run_on_both(|host, get, _, _| request_line_cases(host, get));
}

#[test]
fn oversized_and_broken_header_sections_are_refused_by_both_listeners() {
    Listeners::start("malformed-headers").run_on_both(|host, get, _, _| header_cases(host, get));
}

#[test]
fn foreign_missing_or_doubled_hosts_are_refused_by_both_listeners() {
    Listeners::start("malformed-hosts").run_on_both(|host, get, _, _| host_cases(host, get));
}

#[test]
fn broken_content_length_and_chunked_framing_are_refused_by_both_listeners() {
    Listeners::start("malformed-framing")
        .run_on_both(|host, _, method, post| framing_cases(host, method, post));
}

#[test]
fn bad_xml_ranges_and_api_arguments_get_s3_errors() {
    let listeners = Listeners::start("malformed-s3");
    let cases = s3_cases(&listeners.s3.to_string(), &listeners.upload_id);
    let failures = listeners.run("s3", &cases);
    listeners.finish(failures);
}

#[test]
fn malformed_signatures_are_refused_and_signed_requests_still_served() {
    let (_project, server, s3) = start("malformed-sig", true);
    let put_bucket = signed(s3, "PUT", "/bkt", b"", SECRET);
    setup(s3, &put_bucket);
    setup(s3, &signed(s3, "PUT", "/bkt/obj", b"0123456789", SECRET));
    let good = Good {
        address: s3,
        request: signed(s3, "GET", "/bkt/obj", b"", SECRET),
        body: b"0123456789",
    };
    let wrong = signed(s3, "GET", "/bkt/obj", b"", "not-the-secret");
    let wrong = String::from_utf8_lossy(&wrong);
    let authorization = wrong
        .lines()
        .find_map(|line| line.strip_prefix("Authorization: "))
        .expect("the signed request has an Authorization");
    let cases = sigv4_cases(&s3.to_string(), authorization);
    let failures = run_corpus("s3-sig", s3, &cases, &good);
    assert_alive_and_stop(server);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A request signed with SigV4 (header form, unsigned payload) by
/// [`ACCESS_KEY`] and `secret`, now.
fn signed(address: SocketAddr, method: &str, path: &str, body: &[u8], secret: &str) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let iso = wasmfaas::s3api::time::iso8601_ms(now as i64 * 1_000_000_000);
    let amz_date: String = iso[..19]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .chain(['Z'])
        .collect();
    let day = &amz_date[..8];
    let payload = "UNSIGNED-PAYLOAD";
    let canonical = format!(
        "{method}\n{path}\n\nhost:{address}\nx-amz-content-sha256:{payload}\n\
         x-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload}"
    );
    let scope = format!("{day}/us-east-1/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = wasmfaas::s3api::sigv4::signing_key(secret, day, "us-east-1", "s3");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("any key length");
    mac.update(to_sign.as_bytes());
    let signature = hex(&mac.finalize().into_bytes());
    let mut bytes = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Length: {}\r\nx-amz-content-sha256: {payload}\r\nx-amz-date: {amz_date}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, \
         SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
