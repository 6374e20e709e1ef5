//! Hostile clients against the real `wasmfaas dev` binary (issue 12, section
//! 2): stalled uploads, descriptor exhaustion, response splitting by a
//! guest, DNS rebinding and terminal escapes in request targets. Each test
//! names the bug it pins; each failed on 52da403.
//!
//! No test measures time: waits are bounded by `PATIENCE` only to catch a hang.

mod common;

use common::dev_server::{DevServer, PATIENCE, RawConnection, TempProject, agent, send, wait_for};
use common::printing_wat;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

const CONFIG: &str = r#"
[project]
name = "hostile"

[functions.echo]
source = "echo.wat"
routes = ["POST /echo", "GET /hello"]
[functions.echo.limits]
max_body_bytes = "8MiB"

[functions.small]
source = "echo.wat"
routes = ["POST /small"]
[functions.small.limits]
max_body_bytes = 1000

[functions.splitter]
source = "splitter.wat"
routes = ["GET /split"]

[functions.lambda_splitter]
source = "lambda_splitter.wat"
abi = "lambda"
routes = ["GET /lambda-split"]

[functions.noisy]
source = "noisy.wat"
routes = ["GET /noisy"]

[s3.uploads]
"#;

/// A guest that logs terminal escapes to stderr, then answers 200.
fn noisy_wat() -> String {
    let log = common::wat_string("log \u{1b}[2J\u{1b}]0;pwned\u{7}\n");
    let out = common::wat_string("{\"status\":200}\nok");
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{log}")
  (data (i32.const 256) "{out}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const {log_len}))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const {out_len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        log_len = "log \u{1b}[2J\u{1b}]0;pwned\u{7}\n".len(),
        out_len = "{\"status\":200}\nok".len(),
    )
}

fn project(tag: &str, extra_config: &str) -> TempProject {
    let echo = common::dev_server::envelope_echo_wat("[]");
    let splitter = printing_wat(
        1,
        "{\"status\":200,\"headers\":[[\"x-evil\",\"a\\r\\nSet-Cookie: pwn=1\"]]}\nbody",
        "",
    );
    let lambda_splitter = printing_wat(
        1,
        r#"{"statusCode":200,"headers":{"x-evil":"a\r\nSet-Cookie: pwn=1"},"body":"hi"}"#,
        "",
    );
    TempProject::new(
        tag,
        &[
            ("wasmfaas.toml", &format!("{CONFIG}{extra_config}")),
            ("echo.wat", &echo),
            ("splitter.wat", &splitter),
            ("lambda_splitter.wat", &lambda_splitter),
            ("noisy.wat", &noisy_wat()),
        ],
    )
}

fn s3_address(server: &DevServer) -> SocketAddr {
    let url = server.s3_endpoint();
    url.trim_start_matches("http://")
        .parse()
        .expect("an address")
}

/// Connections that announced a body and sent none of it, held open.
fn stalled(address: SocketAddr, head: &str, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = TcpStream::connect(address).expect("connecting");
            stream.write_all(head.as_bytes()).expect("sending a head");
            stream
        })
        .collect()
}

/// Bug: eight clients announcing a 4 KiB body and sending nothing stopped
/// every other request, on the gateway and on the S3 endpoint: bodies were
/// read on the worker threads, and nothing timed out.
#[test]
fn stalled_uploads_cost_their_connections_not_the_workers() {
    let project = project("stalled", "");
    let server = DevServer::start(&project, &["--no-watch", "--workers", "2"]);
    let gateway = server.address();
    let s3 = s3_address(&server);
    let _held = (
        stalled(
            gateway,
            "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4096\r\n\r\n",
            8,
        ),
        stalled(
            s3,
            &format!("PUT /uploads/stalled HTTP/1.1\r\nHost: {s3}\r\nContent-Length: 4096\r\n\r\n"),
            8,
        ),
    );
    for i in 0..20 {
        let reply = RawConnection::open(gateway)
            .exchange(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assert_eq!(reply.status, 200, "gateway request {i}: {}", reply.text());
        let put = format!(
            "PUT /uploads/good-{i} HTTP/1.1\r\nHost: {s3}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        );
        let reply = RawConnection::open(s3).exchange(put.as_bytes());
        assert_eq!(reply.status, 200, "S3 request {i}: {}", reply.text());
    }
}

/// Bodies over 1 MiB are spooled to a temporary file by the connection's
/// thread; they must arrive whole, through either listener, and `Expect:
/// 100-continue` (aws-cli, boto3) still gets its `100 Continue` first.
#[test]
fn large_and_expect_continue_uploads_arrive_whole() {
    let project = project("large", "");
    let server = DevServer::start(&project, &["--no-watch"]);
    let body: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    // The echo guest's buffer is smaller than the body; its envelope says
    // how much arrived.
    let reply = server.post("/echo", &body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        common::dev_server::envelope(&reply).0["body_len"],
        body.len()
    );

    let s3 = server.s3_endpoint();
    let put = send(
        &agent(),
        "PUT",
        &format!("{s3}/uploads/large"),
        &[],
        Some(&body),
    )
    .unwrap();
    assert_eq!(put.status, 200, "{}", put.text());
    let got = send(&agent(), "GET", &format!("{s3}/uploads/large"), &[], None).unwrap();
    assert!(
        got.body == body,
        "{} bytes put, {} got",
        body.len(),
        got.body.len()
    );

    let address = s3_address(&server);
    let mut connection = RawConnection::open(address);
    connection.send(
        format!(
            "PUT /uploads/continued HTTP/1.1\r\nHost: {address}\r\nExpect: 100-continue\r\n\
             Content-Length: 5\r\n\r\n"
        )
        .as_bytes(),
    );
    let interim = connection.read_response(true);
    assert_eq!(interim.status, 100);
    connection.send(b"hello");
    let stored = connection.read_response(false);
    assert_eq!(stored.status, 200, "{}", stored.text());

    // Over the routed function's own limit: 413 from the head, no 100.
    let mut refused = RawConnection::open(server.address());
    refused.send(
        b"POST /small HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n\
          Content-Length: 5000\r\n\r\n",
    );
    let reply = refused.read_response(false);
    assert_eq!(reply.status, 413, "{}", reply.text());
}

/// The number of file descriptors `pid` has open.
fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// Bug: about 400 idle connections exhausted the 1024 descriptors, and after
/// they closed the gateway never accepted again: tiny_http's accept loop
/// ended on the first `accept` error (and panicked when out of descriptors
/// for a connection's second handle).
#[test]
fn the_listeners_accept_again_once_exhausted_descriptors_free_up() {
    let project = project("descriptors", "");
    let server = DevServer::start_with_open_files(&project, 64, 64, &["--no-watch"]);
    let pid = server.pid();
    let s3 = s3_address(&server);
    let idle: Vec<TcpStream> = (0..100)
        .map(|i| {
            let to = if i % 2 == 0 { server.address() } else { s3 };
            TcpStream::connect(to).expect("connecting (the backlog takes it)")
        })
        .collect();
    wait_for("the server to run out of file descriptors", || {
        (open_descriptors(pid) >= 62).then_some(())
    });
    drop(idle);
    let reply = server.get("/hello");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = send(&agent(), "GET", &format!("http://{s3}/"), &[], None).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// The soft and hard limits on open files of `pid`.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("reading limits");
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a Max open files line");
    let mut fields = line["Max open files".len()..].split_whitespace();
    (
        fields.next().unwrap_or_default().to_string(),
        fields.next().unwrap_or_default().to_string(),
    )
}

/// `wasmfaas dev` raises its soft limit on open files to the hard one, as
/// servers do: the common soft default of 1024 is a few hundred connections.
#[test]
fn dev_raises_its_open_files_limit_to_the_hard_limit() {
    let mut ours = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` only writes the struct we own.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut ours) },
        0
    );
    let hard = ours.rlim_max.min(8192);
    let soft = (hard / 2).max(64);
    let project = project("rlimit", "");
    let server = DevServer::start_with_open_files(&project, soft, hard, &["--no-watch"]);
    let (soft_now, hard_now) = open_file_limits(server.pid());
    assert_eq!(
        (soft_now.as_str(), hard_now.as_str()),
        (&*hard.to_string(), &*hard.to_string())
    );
}

/// Bug: a guest's header value with CR LF reached the response head, so a
/// function (or whoever chose the value) could add headers such as
/// `Set-Cookie` (response splitting). Now the function gets its 502.
#[test]
fn a_guest_header_with_a_line_break_gets_a_502_not_a_split_response() {
    let project = project("split", "");
    let server = DevServer::start(&project, &["--no-watch"]);
    for path in ["/split", "/lambda-split"] {
        let mut connection = RawConnection::open(server.address());
        connection.send(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        let raw = connection.read_to_close().expect("a response");
        let raw = String::from_utf8_lossy(&raw);
        let head = raw
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        // The API Gateway an `apigw-v2` handler answers through gives 500.
        assert!(
            raw.starts_with("HTTP/1.1 502 ") || raw.starts_with("HTTP/1.1 500 "),
            "{path}: {raw}"
        );
        assert!(
            head.contains("x-wasmfaas-error: malformed_response"),
            "{path}: {raw}"
        );
        assert!(!head.contains("set-cookie"), "{path}: {raw}");
        assert!(!head.contains("pwn"), "{path}: {raw}");
    }
    let page = server.get("/split").text();
    assert!(
        page.contains("x-evil") && page.contains("control character"),
        "{page}"
    );
    let line = server.wait_for_stdout(0, "GET /lambda-split → lambda_splitter ");
    assert!(line.contains("x-evil"), "{line}");
}

/// Bug: both listeners answered any `Host` (DNS rebinding: a web page whose
/// name resolves to 127.0.0.1 could call the functions and the S3 API).
#[test]
fn requests_for_other_hosts_are_refused_unless_allowed() {
    let project = project("hosts", "\n[dev]\nallow_hosts = [\"box.test\"]\n");
    let server = DevServer::start(&project, &["--no-watch", "--allow-host", "*.lan.test"]);
    let s3 = s3_address(&server);
    for address in [server.address(), s3] {
        let exchange = |host: &str| {
            RawConnection::open(address).exchange(
                format!("GET /hello HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
        };
        let refused = exchange("evil.example");
        assert_eq!(refused.status, 421, "{address}: {}", refused.text());
        let text = refused.text();
        assert!(text.contains("\"evil.example\""), "{text}");
        assert!(text.contains("--allow-host evil.example"), "{text}");
        for allowed in [
            "localhost",
            &format!("localhost:{}", address.port()),
            "app.localhost",
            &address.to_string(),
            "[::1]",
            "box.test:80",
            "a.lan.test",
        ] {
            let reply = exchange(allowed);
            assert_ne!(reply.status, 421, "{address} {allowed}: {}", reply.text());
        }
        let old = RawConnection::open(address).exchange(b"GET /hello HTTP/1.0\r\n\r\n");
        assert_ne!(old.status, 421, "HTTP/1.0 without Host: {}", old.text());
    }
    // The console says what was refused, so a user whose browser gets 421
    // sees why in the terminal too.
    let line = server.wait_for_stdout(0, "421 GET /hello");
    assert!(line.contains("evil.example"), "{line}");
}

/// Bug: a request target with terminal escape sequences (and a guest's log
/// with them) was printed raw on the console: a request could clear the
/// screen, retitle the terminal or ring the bell.
#[test]
fn terminal_escapes_from_clients_and_guests_are_printed_escaped() {
    let project = project("escapes", "");
    let server = DevServer::start(&project, &["--no-watch"]);
    let reply = RawConnection::open(server.address()).exchange(
        b"GET /\x1b[2J\x1b]0;pwned\x07here HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.status, 404);
    let reply = server.get("/noisy");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let line = server.wait_for_stdout(0, "here");
    assert!(line.contains(r"/\x1b[2J\x1b]0;pwned\x07here"), "{line:?}");
    let log = server.wait_for_stdout(0, "[noisy] log");
    assert!(log.contains(r"log \x1b[2J\x1b]0;pwned\x07"), "{log:?}");
    let stopped = server.stop();
    assert!(
        !stopped.stdout.contains(['\u{1b}', '\u{7}']),
        "raw control characters on the console: {:?}",
        stopped.stdout
    );
}

/// Keeps `PATIENCE` and `Read` in use for helpers shared with other tests.
#[allow(dead_code)]
fn read_all(mut stream: TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(PATIENCE)).ok();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}
