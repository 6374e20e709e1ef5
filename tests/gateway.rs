//! The HTTP gateway end to end: the real `wasmfaas dev` binary on a free
//! loopback port, spoken to by a real HTTP client (and by raw TCP for what a
//! polite client never sends). Guests are WAT, built in-process in milliseconds.

mod common;

use common::dev_server::{
    DevServer, RawConnection, Reply, TempProject, agent, envelope, envelope_echo_wat, post_chunked,
    send,
};
use common::printing_wat;
use serde_json::json;

/// Two functions whose routes overlap with different specificity, one with a
/// small body limit, and one with fixed output and two `set-cookie` headers.
/// The echo guests answer with the request envelope they read, so a test
/// sees what the function saw.
const CONFIG: &str = r#"
[project]
name = "gateway"

[functions.alpha]
source = "alpha.wat"
routes = ["GET /items/new", "GET /files/*rest", "GET /users/:id/profile", "POST /upload"]
[functions.alpha.limits]
max_body_bytes = "64KiB"

[functions.beta]
source = "beta.wat"
routes = ["GET /items/:id", "GET /files/:name", "GET /users/me/*rest", "/any"]

[functions.small]
source = "small.wat"
routes = ["POST /small"]
[functions.small.limits]
max_body_bytes = 1000

[functions.cookies]
source = "cookies.wat"
routes = ["GET /cookies"]
"#;

const COOKIES_BODY: &str = "two cookies, one body";

fn start() -> (TempProject, DevServer) {
    let echo = envelope_echo_wat(r#"[["content-type","application/octet-stream"]]"#);
    let cookies = printing_wat(
        1,
        &format!(
            "{}\n{COOKIES_BODY}",
            json!({"status": 200, "headers": [
                ["set-cookie", "a=1; Path=/"],
                ["content-type", "text/plain"],
                ["set-cookie", "b=2"],
            ]})
        ),
        "",
    );
    let project = TempProject::new(
        "gateway",
        &[
            ("wasmfaas.toml", CONFIG),
            ("alpha.wat", &echo),
            ("beta.wat", &echo),
            ("small.wat", &echo),
            ("cookies.wat", &cookies),
        ],
    );
    let server = DevServer::start(&project, &["--no-watch"]);
    (project, server)
}

/// The function that answered and the envelope it was given.
fn routed(reply: &Reply) -> (String, serde_json::Value) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let function = reply
        .header("x-wasmfaas-function")
        .expect("a function answered")
        .to_string();
    (function, envelope(reply).0)
}

#[test]
fn the_most_specific_route_wins_across_functions_and_params_reach_the_guest() {
    let (_project, server) = start();
    // (path, function, params): literal beats :param beats *wildcard, compared
    // segment by segment from the left, whichever function owns the route.
    let cases = [
        ("/items/new", "alpha", json!({})),
        ("/items/42", "beta", json!({"id": "42"})),
        ("/files/report.pdf", "beta", json!({"name": "report.pdf"})),
        ("/files/a/b/c.txt", "alpha", json!({"rest": "a/b/c.txt"})),
        ("/users/7/profile", "alpha", json!({"id": "7"})),
        // `me` (literal) beats `:id` in the second segment, so the wildcard
        // route wins although `profile` would be literal in the other.
        ("/users/me/profile", "beta", json!({"rest": "profile"})),
    ];
    for (path, function, params) in cases {
        let (answered, head) = routed(&server.get(path));
        assert_eq!(answered, function, "GET {path}");
        assert_eq!(head["params"], params, "GET {path}");
        assert_eq!(head["path"], path);
        assert_eq!(head["method"], "GET");
        assert_eq!(head["v"], 1);
    }

    // Params are percent-decoded; the path and query reach the guest as sent.
    let (answered, head) = routed(&server.get("/items/a%20b%2Fc?x=1&y=%20"));
    assert_eq!(answered, "beta");
    assert_eq!(head["params"], json!({"id": "a b/c"}));
    assert_eq!(head["path"], "/items/a%20b%2Fc");
    assert_eq!(head["query"], "x=1&y=%20");

    // A route without a method takes every method.
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let (answered, head) = routed(&server.request(method, "/any", &[], None));
        assert_eq!(answered, "beta");
        assert_eq!(head["method"], method);
    }
}

#[test]
fn an_unknown_path_gets_404_listing_every_route() {
    let (_project, server) = start();
    let reply = server.get("/nowhere/at/all");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("x-wasmfaas-error"), Some("no_route"));
    assert!(reply.header("x-wasmfaas-function").is_none());
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "{:?}",
        reply.headers
    );
    let text = reply.text();
    assert!(
        text.contains("No route matches GET /nowhere/at/all"),
        "{text}"
    );
    for (route, function) in [
        ("GET /items/new", "alpha"),
        ("GET /files/*rest", "alpha"),
        ("POST /upload", "alpha"),
        ("GET /items/:id", "beta"),
        ("/any", "beta"),
        ("POST /small", "small"),
        ("GET /cookies", "cookies"),
    ] {
        assert!(
            text.lines()
                .any(|line| line.trim_start().starts_with(&format!("{route} "))
                    && line.trim_end().ends_with(function)),
            "404 page lacks `{route} → {function}`:\n{text}"
        );
    }
}

#[test]
fn a_known_path_with_another_method_gets_405_and_allow() {
    let (_project, server) = start();
    let reply = server.request("DELETE", "/items/42", &[], None);
    assert_eq!(reply.status, 405, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-error"), Some("method_not_allowed"));
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    assert!(reply.text().contains("DELETE"), "{}", reply.text());

    // Methods of every route matching the path, across functions.
    let reply = server.request("PUT", "/upload", &[], Some(b"x"));
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));

    // A method-less route matches every method: never a 405.
    assert_eq!(server.request("DELETE", "/any", &[], None).status, 200);
}

#[test]
fn a_body_over_the_limit_gets_413_whether_sized_or_chunked() {
    let (_project, server) = start();
    let url = server.url("/small");
    let at_limit = vec![b'a'; 1000];
    let over = vec![b'b'; 1001];

    // With Content-Length: the limit is inclusive.
    let (_, body) = envelope(&server.post("/small", &at_limit));
    assert_eq!(body, at_limit);
    // Fresh clients for refused uploads: the connection of a refused upload
    // is not meant to carry another request.
    let reply = send(&agent(), "POST", &url, &[], Some(&over)).expect("a response");
    assert_too_large(&reply);

    // Chunked, so the size is known only while reading.
    let (_, body) = envelope(&post_chunked(&agent(), &url, &at_limit).expect("a response"));
    assert_eq!(body, at_limit);
    let reply = post_chunked(&agent(), &url, &over).expect("a response");
    assert_too_large(&reply);

    // Other requests are unaffected.
    assert_eq!(server.post("/small", b"ok").status, 200);
}

fn assert_too_large(reply: &Reply) {
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-error"), Some("body_too_large"));
    assert_eq!(reply.header("x-wasmfaas-function"), Some("small"));
    let text = reply.text();
    assert!(text.contains("limits.max_body_bytes"), "{text}");
    assert!(text.contains("`small`"), "{text}");
}

#[test]
fn malformed_requests_get_400() {
    let (_project, server) = start();

    // A request line that is not HTTP: tiny_http answers and closes.
    let mut connection = RawConnection::open(server.address());
    connection.send(b"GARBAGE\r\n\r\n");
    let answer = connection.read_to_close().expect("the server closes");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer:?}");

    // A `%` not followed by two hex digits, on a path a route would match.
    for path in ["/items/%zz", "/files/100%", "/items/%4"] {
        let reply = RawConnection::open(server.address()).exchange(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        assert_eq!(reply.status, 400, "{path}: {}", reply.text());
        assert_eq!(reply.header("x-wasmfaas-error"), Some("bad_request"));
        assert!(reply.header("x-wasmfaas-function").is_none(), "{path}");
        assert!(reply.text().contains("%25"), "{}", reply.text());
    }

    // A target that is not a path.
    let reply = RawConnection::open(server.address())
        .exchange(b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-error"), Some("bad_request"));

    // The gateway still serves.
    assert_eq!(server.get("/items/1").status, 200);
}

#[test]
fn head_answers_like_get_without_a_body() {
    let (_project, server) = start();
    // One connection: if HEAD sent body bytes, the GET after it would be
    // misread, so this also checks the framing.
    let mut connection = RawConnection::open(server.address());
    let head = connection.exchange(b"HEAD /cookies HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let get = connection.exchange(b"GET /cookies HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(get.status, 200);
    assert_eq!(get.body, COOKIES_BODY.as_bytes());
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(COOKIES_BODY.len().to_string().as_str())
    );
    assert_eq!(head.header("content-length"), get.header("content-length"));
    assert_eq!(head.header_all("set-cookie"), get.header_all("set-cookie"));

    // Through a real client too; the guest sees HEAD.
    let reply = server.request("HEAD", "/items/9", &[], None);
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("x-wasmfaas-function"), Some("beta"));
}

#[test]
fn binary_bodies_round_trip_byte_exact() {
    let (_project, server) = start();
    // Every byte value, forwards and backwards, so NUL, `\n` and `\r` land
    // at the start, the middle and the end.
    let mut body: Vec<u8> = (0..=255u8).collect();
    body.extend((0..=255u8).rev());
    body.extend(body.clone());

    let reply = server.post("/upload", &body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    let (head, received) = envelope(&reply);
    assert_eq!(head["body_len"], body.len());
    assert_eq!(received, body);

    let reply = post_chunked(server.agent(), &server.url("/upload"), &body).expect("a response");
    let (head, received) = envelope(&reply);
    assert_eq!(head["body_len"], body.len());
    assert_eq!(received, body);

    // An empty body is a body too.
    let (head, received) = envelope(&server.post("/upload", b""));
    assert_eq!(head["body_len"], 0);
    assert!(received.is_empty());
}

#[test]
fn repeated_request_headers_arrive_in_order_and_lowercase() {
    let (_project, server) = start();
    let reply = RawConnection::open(server.address()).exchange(
        b"GET /items/h HTTP/1.1\r\nHost: localhost\r\nX-Rep: one\r\nAccept: a/b\r\nx-rep: two\r\n\
          X-REP: three, four\r\nConnection: close\r\n\r\n",
    );
    let (_, head) = routed(&reply);
    let headers: Vec<(String, String)> =
        serde_json::from_value(head["headers"].clone()).expect("[name, value] pairs");
    let reps: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name == "x-rep")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(reps, ["one", "two", "three, four"], "{headers:?}");
    assert!(headers.iter().all(|(name, _)| *name == name.to_lowercase()));
    let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["host", "x-rep", "accept", "x-rep", "x-rep", "connection"]
    );
}

#[test]
fn repeated_response_headers_all_arrive() {
    let (_project, server) = start();
    let reply = server.get("/cookies");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header_all("set-cookie"), ["a=1; Path=/", "b=2"]);
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    assert_eq!(reply.header("x-wasmfaas-function"), Some("cookies"));
    assert_eq!(reply.text(), COOKIES_BODY);
}

#[test]
fn one_connection_carries_many_requests() {
    let (_project, server) = start();
    let mut connection = RawConnection::open(server.address());
    for i in 0..5 {
        let reply = connection
            .exchange(format!("GET /items/k{i} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes());
        let (_, head) = routed(&reply);
        assert_eq!(head["params"]["id"], format!("k{i}"));
        assert!(reply.header("connection").is_none_or(|c| c != "close"));
    }
    // A POST with a body, then two requests sent back to back (pipelined).
    let reply = connection
        .exchange(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(envelope(&reply).1, b"hello");
    connection.send(
        b"GET /items/p1 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /items/p2 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    for id in ["p1", "p2"] {
        let (_, head) = routed(&connection.read_response(false));
        assert_eq!(head["params"]["id"], id);
    }
}

#[test]
fn concurrent_requests_each_get_their_own_answer() {
    let (_project, server) = start();
    let shared = &server;
    std::thread::scope(|scope| {
        for thread in 0..8 {
            scope.spawn(move || {
                // One client per thread, keeping its connection alive.
                let client = agent();
                for i in 0..25 {
                    let id = format!("t{thread}-r{i}");
                    if i % 2 == 0 {
                        let url = shared.url(&format!("/items/{id}"));
                        let reply = send(&client, "GET", &url, &[], None).expect("a response");
                        let (function, head) = routed(&reply);
                        assert_eq!(function, "beta");
                        assert_eq!(head["params"]["id"], id);
                    } else {
                        let body = format!("{id}:{}", "x".repeat(thread * 100 + i));
                        let url = shared.url("/upload");
                        let reply = send(&client, "POST", &url, &[], Some(body.as_bytes()))
                            .expect("a response");
                        let (function, _) = routed(&reply);
                        assert_eq!(function, "alpha");
                        assert_eq!(envelope(&reply).1, body.as_bytes());
                    }
                }
            });
        }
    });
    // The console logged each request once, with its status.
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let count = |needle: &str| {
        stopped
            .stdout
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    };
    assert_eq!(count(" 200 GET /items/t"), 8 * 13, "{}", stopped.stdout);
    assert_eq!(
        count(" 200 POST /upload → alpha"),
        8 * 12,
        "{}",
        stopped.stdout
    );
}

/// Guests that never finish, exhaust memory or crash, each printing a line to
/// stderr first so the error page can show it.
const FAILING_CONFIG: &str = r#"
[project]
name = "failures"

[functions.good]
source = "good.wat"
routes = ["GET /good/:id"]

[functions.spin]
source = "spin.wat"
routes = ["GET /spin"]
[functions.spin.limits]
fuel = 500000

[functions.stuck]
source = "stuck.wat"
routes = ["GET /stuck"]
[functions.stuck.limits]
fuel = 1000000000000000
timeout_ms = 300

[functions.hog]
source = "hog.wat"
routes = ["GET /hog"]
[functions.hog.limits]
memory_mb = 2

[functions.crash]
source = "crash.wat"
routes = ["GET /crash"]
"#;

/// (route, status, error kind, what the page must say)
const FAILURES: [(&str, u16, &str, &[&str]); 4] = [
    (
        "/spin",
        500,
        "fuel_exhausted",
        &[
            "function `spin` failed",
            "ran out of fuel",
            "500000",
            "spin: looping",
        ],
    ),
    (
        "/stuck",
        504,
        "timeout",
        &[
            "function `stuck` failed",
            "timed out",
            "`limits.timeout_ms` = 300",
            "stuck: looping",
        ],
    ),
    (
        "/hog",
        500,
        "memory_limit",
        &[
            "function `hog` failed",
            "hit the memory limit",
            "`limits.memory_mb` = 2",
            "hog: growing",
        ],
    ),
    (
        "/crash",
        500,
        "trap",
        &["function `crash` failed", "trapped", "crash: about to fail"],
    ),
];

#[test]
fn runaway_and_crashing_guests_fail_alone_while_good_requests_succeed() {
    let forever = "(loop (br 0))";
    let project = TempProject::new(
        "failures",
        &[
            ("wasmfaas.toml", FAILING_CONFIG),
            ("good.wat", &envelope_echo_wat("[]")),
            ("spin.wat", &printing_wat(2, "spin: looping\n", forever)),
            ("stuck.wat", &printing_wat(2, "stuck: looping\n", forever)),
            (
                "hog.wat",
                &printing_wat(
                    2,
                    "hog: growing\n",
                    "(loop (drop (memory.grow (i32.const 16))) (br 0))",
                ),
            ),
            (
                "crash.wat",
                &printing_wat(2, "crash: about to fail\n", "unreachable"),
            ),
        ],
    );
    let server = DevServer::start(&project, &["--no-watch", "--workers", "4"]);
    let shared = &server;
    std::thread::scope(|scope| {
        for thread in 0..8 {
            scope.spawn(move || {
                let client = agent();
                // Each failure twice, among good requests before and after.
                let (route, status, kind, says) = FAILURES[thread % FAILURES.len()];
                for i in 0..10 {
                    if i == 3 {
                        let reply = send(&client, "GET", &shared.url(route), &[], None)
                            .expect("a response");
                        let text = reply.text();
                        assert_eq!(reply.status, status, "GET {route}: {text}");
                        assert_eq!(reply.header("x-wasmfaas-error"), Some(kind), "{route}");
                        assert_eq!(
                            reply.header("x-wasmfaas-function"),
                            Some(&route[1..]),
                            "{route}"
                        );
                        for needle in says {
                            assert!(
                                text.contains(needle),
                                "GET {route}: no {needle:?} in\n{text}"
                            );
                        }
                    } else {
                        let id = format!("t{thread}-{i}");
                        let url = shared.url(&format!("/good/{id}"));
                        let reply = send(&client, "GET", &url, &[], None).expect("a response");
                        let (function, head) = routed(&reply);
                        assert_eq!(function, "good");
                        assert_eq!(head["params"]["id"], id);
                    }
                }
            });
        }
    });
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

/// A chunked upload refused half-read leaves the rest of its body in the
/// connection; the gateway must end the connection rather than parse the
/// leftover body as the next request (tiny_http alone did the latter).
#[test]
fn a_refused_chunked_upload_does_not_spill_into_the_next_request() {
    let (_project, server) = start();
    let mut connection = RawConnection::open(server.address());
    let mut request =
        b"POST /small HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    request.extend_from_slice(format!("{:x}\r\n", 2000).as_bytes());
    request.extend_from_slice(&[b'z'; 2000]);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    request.extend_from_slice(
        b"GET /items/next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    connection.send(&request);
    let refused = connection.read_response(false);
    assert_eq!(refused.status, 413, "{}", refused.text());
    // Either the connection ends here (what `connection: close` announces), or
    // the next request is answered as itself; never a reply to body bytes.
    let rest = connection
        .read_to_close()
        .expect("the server ends the connection");
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || rest.starts_with("HTTP/1.1 200 "),
        "after the 413 came: {rest:?}"
    );
}

/// A body refused from its `Content-Length` is not read: the 413 says
/// `connection: close` and the connection ends. (tiny_http alone read and
/// discarded the whole declared body on the worker thread, so a client that
/// declares a large body and sends nothing held a worker, and as many such
/// clients as workers stopped the gateway.)
#[test]
fn an_upload_refused_from_its_content_length_is_not_waited_for() {
    let project = TempProject::new(
        "refused",
        &[
            ("wasmfaas.toml", CONFIG),
            ("alpha.wat", &envelope_echo_wat("[]")),
            ("beta.wat", &envelope_echo_wat("[]")),
            ("small.wat", &envelope_echo_wat("[]")),
            ("cookies.wat", &envelope_echo_wat("[]")),
        ],
    );
    let server = DevServer::start(&project, &["--no-watch", "--workers", "1"]);
    let mut uploader = RawConnection::open(server.address());
    // 100 MB announced, none of it sent.
    uploader.send(b"POST /small HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000\r\n\r\n");
    let refused = uploader.read_response(false);
    assert_eq!(refused.status, 413, "{}", refused.text());

    // The only worker must be free for others while the uploader stays connected.
    let reply = RawConnection::open(server.address())
        .exchange(b"GET /items/1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(reply.status, 200, "{}", reply.text());

    assert_eq!(refused.header("connection"), Some("close"));
    assert!(
        uploader.read_to_close().is_some(),
        "the server keeps the refused upload's connection open"
    );
}

/// The 413 page gives exact byte counts: rounded to KiB, a 1,500-byte body
/// over a 1,100-byte limit would read "(1 KiB) is over the limit ... = 1 KiB".
#[test]
fn the_413_page_tells_the_body_size_from_the_limit() {
    let config = CONFIG.replace("max_body_bytes = 1000", "max_body_bytes = 1100");
    let echo = envelope_echo_wat("[]");
    let project = TempProject::new(
        "limit-text",
        &[
            ("wasmfaas.toml", &config),
            ("alpha.wat", &echo),
            ("beta.wat", &echo),
            ("small.wat", &echo),
            ("cookies.wat", &echo),
        ],
    );
    let server = DevServer::start(&project, &["--no-watch"]);
    let reply = server.post("/small", &[b'x'; 1500]);
    assert_eq!(reply.status, 413);
    let text = reply.text();
    // As `wasmfaas invoke` says it: exact byte counts.
    assert!(text.contains("1500") && text.contains("1100"), "{text}");
}

/// Heads and bodies a hostile client can send never take the server down.
/// Before the patches in vendor/tiny_http, the first request aborted the
/// process: tiny_http drained an unread body into a buffer as large as the
/// declared `Content-Length`.
#[test]
fn hostile_heads_and_bodies_are_refused_and_the_server_keeps_serving() {
    let (_project, server) = start();
    let huge = RawConnection::open(server.address()).exchange(
        b"POST /cookies HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999\r\n\r\nabc",
    );
    assert_eq!(huge.status, 405, "{}", huge.text());
    assert_eq!(huge.header("connection"), Some("close"));

    let mut long_header = b"GET /cookies HTTP/1.1\r\nHost: localhost\r\nX-Long: ".to_vec();
    long_header.extend_from_slice(&[b'a'; 20_000]);
    long_header.extend_from_slice(b"\r\n\r\n");
    let reply = RawConnection::open(server.address()).exchange(&long_header);
    assert_eq!(reply.status, 431);

    let mut many_headers = b"GET /cookies HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..300 {
        many_headers.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
    }
    many_headers.extend_from_slice(b"\r\n");
    let reply = RawConnection::open(server.address()).exchange(&many_headers);
    assert_eq!(reply.status, 431);

    let mut long_target = b"GET /".to_vec();
    long_target.extend_from_slice(&[b'a'; 20_000]);
    long_target.extend_from_slice(b" HTTP/1.1\r\n\r\n");
    let reply = RawConnection::open(server.address()).exchange(&long_target);
    assert_eq!(reply.status, 400);

    let reply = server.get("/cookies");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), COOKIES_BODY);
}

/// A burst of keep-alive connections opened at once is answered on every
/// connection, while all of them stay open. (tiny_http's connection pool used
/// to queue most of such a burst behind the first few connections, unanswered
/// until one of those closed: 4 of 32 on a fresh server.)
#[test]
fn every_connection_of_a_burst_is_answered_while_all_stay_open() {
    let (_project, server) = start();
    let mut connections: Vec<RawConnection> = (0..48)
        .map(|_| RawConnection::open(server.address()))
        .collect();
    for connection in &mut connections {
        connection.send(b"GET /cookies HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }
    for connection in &mut connections {
        let reply = connection.read_response(false);
        assert_eq!((reply.status, reply.text().as_str()), (200, COOKIES_BODY));
    }
    // Every connection is still usable.
    for connection in &mut connections {
        let reply = connection.exchange(b"GET /cookies HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert_eq!(reply.status, 200);
    }
}
