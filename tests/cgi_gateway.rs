//! The `cgi` ABI end to end: C programs from `tests/guests/cgi/`, compiled
//! with clang for wasm32-wasi, served by the real `wasmfaas dev` to a real
//! HTTP client (and to raw TCP where a client would get in the way: it would
//! follow redirects, or hide what a HEAD response carries).
//!
//! `tests/cgi_programs.rs` runs the same programs in-process with a request
//! made by hand; here the request is what a client actually sends, the
//! environment what the gateway makes of it, and the answer what the client
//! receives. Without clang the tests are skipped outside CI (see
//! `common::clang`).

mod common;

use common::clang;
use common::dev_server::{DevServer, RawConnection, Reply, TempProject, post_chunked};
use std::path::Path;

/// Each program under its own route; `env` takes every path under `/cgi`,
/// so what follows `/cgi` is its `PATH_INFO`.
const CONFIG: &str = r#"
[project]
name = "cgi-gateway"

[functions.env]
source = "env.wasm"
abi = "cgi"
routes = ["GET /cgi/*rest", "POST /cgi/*rest"]

[functions.page]
source = "page.wasm"
abi = "cgi"
routes = ["GET /page"]

[functions.redirect]
source = "redirect.wasm"
abi = "cgi"
routes = ["GET /redirect"]

[functions.teapot]
source = "status.wasm"
abi = "cgi"
routes = ["POST /teapot"]

[functions.noheaders]
source = "noheaders.wasm"
abi = "cgi"
routes = ["GET /noheaders"]

# What stops these two is the header limit, never the clock: a debug build on
# a slow machine once took over 3 s (the default timeout) to print 100 KiB of
# headers. Fuel, which counts instructions whatever the speed, bounds them.
[functions.garbage]
source = "garbage.wasm"
abi = "cgi"
routes = ["GET /garbage"]
limits = { timeout_ms = 900000 }

[functions.bigheaders]
source = "bigheaders.wasm"
abi = "cgi"
routes = ["GET /bigheaders"]
limits = { timeout_ms = 900000 }
"#;

/// The C programs of the project: `tests/guests/cgi/<name>.c` → `<name>.wasm`.
const PROGRAMS: &[&str] = &[
    "env",
    "page",
    "redirect",
    "status",
    "noheaders",
    "garbage",
    "bigheaders",
];

/// Compiles every program into a fresh project and serves it; `None` when
/// clang cannot build for WASI here (outside CI).
fn start(test: &str) -> Option<(TempProject, DevServer)> {
    let project = TempProject::new("cgi-gateway", &[("wasmfaas.toml", CONFIG)]);
    for program in PROGRAMS {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/guests/cgi")
            .join(format!("{program}.c"));
        let wasm = clang::compile(test, &source)?;
        let bytes = std::fs::read(&wasm).expect("reading the built program");
        project.write(&format!("{program}.wasm"), bytes);
    }
    let server = DevServer::start(&project, &["--no-watch"]);
    Some((project, server))
}

/// The `NAME=value` lines `env.c` printed, without its last line
/// (`stdin: N bytes`), and that last line.
fn environment(reply: &Reply) -> (Vec<String>, String) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-function"), Some("env"));
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    let mut lines: Vec<String> = reply.text().lines().map(String::from).collect();
    let stdin = lines.pop().expect("env.c prints at least its stdin line");
    (lines, stdin)
}

/// The value of variable `name` in `env`, if set.
fn variable<'e>(env: &'e [String], name: &str) -> Option<&'e str> {
    env.iter()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
}

/// The `User-Agent` every request sends, so the snapshot does not depend on
/// the HTTP client's version.
const CLIENT: (&str, &str) = ("User-Agent", "cgi-gateway-test/1.0");

#[test]
fn a_cgi_program_sees_the_meta_variables_of_a_real_clients_request() {
    let test = "a_cgi_program_sees_the_meta_variables_of_a_real_clients_request";
    let Some((_project, server)) = start(test) else {
        return;
    };
    let port = server.address().port().to_string();
    let reply = server.request(
        "GET",
        "/cgi/extra%20path/x.txt?b=2&a=%41",
        &[
            CLIENT,
            ("X-Custom", "one"),
            ("X-Custom", "two"),
            ("Cookie", "a=1"),
            ("Cookie", "b=2"),
            ("Authorization", "Bearer secret-token"),
            ("Proxy", "http://evil.example"),
        ],
        None,
    );
    let (env, stdin) = environment(&reply);
    // The route's literal part names the program; the rest is PATH_INFO,
    // decoded; the query stays raw.
    assert_eq!(variable(&env, "SCRIPT_NAME"), Some("/cgi"));
    assert_eq!(variable(&env, "PATH_INFO"), Some("/extra path/x.txt"));
    assert_eq!(variable(&env, "QUERY_STRING"), Some("b=2&a=%41"));
    assert_eq!(
        variable(&env, "REQUEST_URI"),
        Some("/cgi/extra%20path/x.txt?b=2&a=%41")
    );
    assert_eq!(variable(&env, "REQUEST_METHOD"), Some("GET"));
    // The client sent `Host: 127.0.0.1:PORT`: that is the server's name and port.
    assert_eq!(variable(&env, "SERVER_NAME"), Some("127.0.0.1"));
    assert_eq!(variable(&env, "SERVER_PORT"), Some(port.as_str()));
    assert_eq!(
        variable(&env, "HTTP_HOST"),
        Some(server.address().to_string().as_str())
    );
    assert_eq!(variable(&env, "HTTP_X_CUSTOM"), Some("one, two"));
    assert_eq!(variable(&env, "HTTP_COOKIE"), Some("a=1; b=2"));
    assert_eq!(variable(&env, "HTTP_USER_AGENT"), Some(CLIENT.1));
    assert_eq!(variable(&env, "AUTH_TYPE"), Some("Bearer"));
    assert_eq!(variable(&env, "REMOTE_ADDR"), Some("127.0.0.1"));
    // Credentials and `Proxy` (httpoxy) never reach the program; a GET has
    // no body, so no CONTENT_LENGTH.
    for absent in ["HTTP_AUTHORIZATION", "HTTP_PROXY", "CONTENT_LENGTH"] {
        assert_eq!(variable(&env, absent), None, "{absent} in {env:?}");
    }
    assert_eq!(stdin, "stdin: 0 bytes");

    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&server.address().to_string()), "[address]");
    settings.add_filter(&format!("SERVER_PORT={port}\n"), "SERVER_PORT=[port]\n");
    settings.add_filter("REMOTE_PORT=[0-9]+\n", "REMOTE_PORT=[client port]\n");
    settings.add_filter(
        &regex_escape(concat!("wasmfaas/", env!("CARGO_PKG_VERSION"))),
        "wasmfaas/[version]",
    );
    settings.bind(|| insta::assert_snapshot!("cgi_environment", reply.text()));
}

/// `text` as a regex matching itself (insta filters are regexes).
fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn a_post_body_sets_content_length_and_type_sent_or_chunked() {
    let test = "a_post_body_sets_content_length_and_type_sent_or_chunked";
    let Some((_project, server)) = start(test) else {
        return;
    };
    let reply = server.request(
        "POST",
        "/cgi/form",
        &[
            CLIENT,
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(b"hello=world"),
    );
    let (env, stdin) = environment(&reply);
    assert_eq!(variable(&env, "REQUEST_METHOD"), Some("POST"));
    assert_eq!(variable(&env, "CONTENT_LENGTH"), Some("11"));
    assert_eq!(
        variable(&env, "CONTENT_TYPE"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(variable(&env, "PATH_INFO"), Some("/form"));
    assert_eq!(variable(&env, "HTTP_CONTENT_LENGTH"), None);
    assert_eq!(variable(&env, "HTTP_CONTENT_TYPE"), None);
    assert_eq!(stdin, "stdin: 11 bytes");

    // A chunked upload has no Content-Length; the program still gets one,
    // the length of the body it will read.
    let body = vec![b'z'; 5000];
    let reply = post_chunked(server.agent(), &server.url("/cgi/chunked"), &body).unwrap();
    let (env, stdin) = environment(&reply);
    assert_eq!(variable(&env, "CONTENT_LENGTH"), Some("5000"));
    assert_eq!(stdin, "stdin: 5000 bytes");
}

#[test]
fn location_headers_redirect_with_302() {
    let test = "location_headers_redirect_with_302";
    let Some((_project, server)) = start(test) else {
        return;
    };
    // Raw TCP: a client would follow the redirect.
    let mut connection = RawConnection::open(server.address());
    let client = connection.exchange(b"GET /redirect HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(client.status, 302, "{}", client.text());
    assert_eq!(client.header("location"), Some("https://example.com/there"));
    assert_eq!(client.header("x-wasmfaas-function"), Some("redirect"));
    // A bare `Location` (no `Status`) redirects too.
    let local = connection.exchange(b"GET /redirect?local HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(local.status, 302, "{}", local.text());
    assert_eq!(local.header("location"), Some("/elsewhere"));
    assert!(local.body.is_empty());
}

#[test]
fn a_status_header_sets_the_status_and_a_binary_post_body_reaches_stdin_byte_for_byte() {
    let test = "a_status_header_sets_the_status_and_a_binary_post_body_reaches_stdin_byte_for_byte";
    let Some((_project, server)) = start(test) else {
        return;
    };
    // Every byte value, forwards and backwards: NUL, `\n`, `\r`, `\x1a`
    // (EOF to some C runtimes) and 0xff (EOF as a signed char) all inside.
    let mut body: Vec<u8> = (0..=255u8).collect();
    body.extend((0..=255u8).rev());
    body.extend(body.clone());
    for reply in [
        server.request(
            "POST",
            "/teapot",
            &[("Content-Type", "application/octet-stream")],
            Some(&body),
        ),
        post_chunked(server.agent(), &server.url("/teapot"), &body).unwrap(),
    ] {
        assert_eq!(reply.status, 418, "{}", reply.text());
        assert_eq!(reply.body, body);
        assert_eq!(
            reply.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(reply.header_all("x-teapot"), ["short", "stout"]);
        // `Status` sets the status; it is not passed on as a header.
        assert_eq!(reply.header("status"), None);
    }
}

#[test]
fn a_program_that_writes_no_headers_gets_a_502_that_names_the_problem() {
    let test = "a_program_that_writes_no_headers_gets_a_502_that_names_the_problem";
    let Some((_project, server)) = start(test) else {
        return;
    };
    let reply = server.get("/noheaders");
    assert_eq!(reply.status, 502, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-error"), Some("malformed_response"));
    assert_eq!(reply.header("x-wasmfaas-function"), Some("noheaders"));
    let page = reply.text();
    assert!(page.contains("function `noheaders` failed"), "{page}");
    assert!(page.contains("wrote no CGI headers"), "{page}");
    // What it wrote instead, and the fix.
    assert!(page.contains(r#""hello\n""#), "{page}");
    assert!(page.contains("Content-Type: text/plain"), "{page}");
}

#[test]
fn garbage_or_endless_headers_get_a_502_never_a_hang() {
    let test = "garbage_or_endless_headers_get_a_502_never_a_hang";
    let Some((_project, server)) = start(test) else {
        return;
    };
    for (path, problem) in [
        ("/garbage", "wrote no CGI headers"),
        ("/bigheaders", "no empty line in the first 65536 bytes"),
    ] {
        let reply = server.get(path);
        assert_eq!(reply.status, 502, "{path}: {}", reply.text());
        assert_eq!(
            reply.header("x-wasmfaas-error"),
            Some("malformed_response"),
            "{path}"
        );
        assert!(reply.text().contains(problem), "{path}: {}", reply.text());
    }
    // Still serving.
    let (env, _) = environment(&server.get("/cgi/after"));
    assert_eq!(variable(&env, "PATH_INFO"), Some("/after"));
}

/// What `page.c` writes after its headers.
const PAGE: &str = "<!doctype html>\n<title>legacy</title>\n<p>Served by a CGI program.</p>\n";

#[test]
fn head_on_a_get_route_keeps_the_headers_and_content_length_but_sends_no_body() {
    let test = "head_on_a_get_route_keeps_the_headers_and_content_length_but_sends_no_body";
    let Some((_project, server)) = start(test) else {
        return;
    };
    // One connection: a body after the HEAD response would be read as the
    // start of the GET response, so this also checks the framing.
    let mut connection = RawConnection::open(server.address());
    let head = connection.exchange(b"HEAD /page HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let get = connection.exchange(b"GET /page HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(get.status, 200, "{}", get.text());
    assert_eq!(get.text(), PAGE);
    assert_eq!(get.header("x-request-method"), Some("GET"));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    // The program ran as HEAD and wrote its page; only the bytes are dropped.
    assert_eq!(head.header("x-request-method"), Some("HEAD"));
    assert_eq!(
        head.header("content-length"),
        Some(PAGE.len().to_string().as_str())
    );
    assert_eq!(head.header("content-type"), get.header("content-type"));
}

#[test]
fn server_port_is_the_listening_port_when_the_host_header_names_none() {
    // RFC 3875 4.1.15: SERVER_PORT is "the TCP/IP port on which this request
    // is received from the client". `src/abi/cgi.rs` took it from `Host`
    // and fell back on 80, so a script that builds its own URL from
    // SERVER_NAME and SERVER_PORT sent the client to port 80.
    let test = "server_port_is_the_listening_port_when_the_host_header_names_none";
    let Some((_project, server)) = start(test) else {
        return;
    };
    let port = server.address().port().to_string();
    let mut connection = RawConnection::open(server.address());
    for request in [
        &b"GET /cgi/x HTTP/1.1\r\nHost: app.localhost\r\n\r\n"[..],
        &b"GET /cgi/x HTTP/1.0\r\n\r\n"[..],
    ] {
        let reply = connection.exchange(request);
        let (env, _) = environment(&reply);
        assert_eq!(
            variable(&env, "SERVER_PORT"),
            Some(port.as_str()),
            "{}",
            String::from_utf8_lossy(request)
        );
    }
}

#[test]
fn remote_addr_and_port_are_the_clients_socket() {
    // `REMOTE_ADDR` was always `127.0.0.1` and `REMOTE_PORT` never set: the
    // gateway did not pass on what the socket knows.
    let test = "remote_addr_and_port_are_the_clients_socket";
    let Some((_project, server)) = start(test) else {
        return;
    };
    let mut connection = RawConnection::open(server.address());
    let client = connection.local_address();
    let reply = connection.exchange(b"GET /cgi/x HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let (env, _) = environment(&reply);
    assert_eq!(
        variable(&env, "REMOTE_ADDR"),
        Some(client.ip().to_string().as_str())
    );
    assert_eq!(
        variable(&env, "REMOTE_PORT"),
        Some(client.port().to_string().as_str())
    );
}

#[test]
fn server_protocol_is_the_protocol_the_client_spoke() {
    // RFC 3875 4.1.16: SERVER_PROTOCOL is "the name and version of the
    // application protocol used for this CGI request". `src/abi/cgi.rs`
    // wrote `HTTP/1.1` whatever the client spoke. A script answering an HTTP/1.0 client must not
    // rely on HTTP/1.1 features (chunked encoding, 303), and reads this
    // variable to know.
    let test = "server_protocol_is_the_protocol_the_client_spoke";
    let Some((_project, server)) = start(test) else {
        return;
    };
    let mut connection = RawConnection::open(server.address());
    let reply = connection.exchange(b"GET /cgi/x HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let (env, _) = environment(&reply);
    assert_eq!(variable(&env, "SERVER_PROTOCOL"), Some("HTTP/1.0"));
}
