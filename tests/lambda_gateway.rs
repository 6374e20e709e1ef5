//! The `lambda` ABI end to end: the real `wasmfaas dev` serving handlers
//! behind both API Gateway payload formats to a real HTTP client, and the
//! real `wasmfaas invoke` and `event generate` for the same handlers.
//!
//! The handlers are WAT (`tests/guests/lambda/`, plus one-line guests inline
//! here), compiled by wasmfaas itself in milliseconds. Two of them let a test
//! read back the event its handler received: `echo.wat` returns the event
//! itself, which an HTTP API (`apigw-v2`) sends as a 200 JSON body, and
//! `wrap.wat` returns it as the `body` of a REST API (`apigw-v1`) proxy
//! response. Event shapes are insta snapshots (`tests/snapshots/`) with the
//! fields that change on every request masked; the rest is asserted field
//! by field.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::dev_server::{DevServer, Reply, TempProject, post_chunked};
use common::printing_wat;
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Returns its event (stdin) unchanged.
const ECHO_WAT: &str = include_str!("guests/lambda/echo.wat");
/// Returns `{"statusCode":200,"headers":{…},"body":"<its event>"}`.
const WRAP_WAT: &str = include_str!("guests/lambda/wrap.wat");

/// Handlers behind both payload formats. Each fixed-output handler prints
/// the return value named by its file (see [`fixed_handlers`]).
const CONFIG: &str = r#"
[project]
name = "lambda-gateway"

# HTTP API: its event comes back as the response body.
[functions.echo2]
source = "echo.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/users/:name", "POST /v2/users/:name", "/v2/files/*rest"]

# REST API: its event comes back as the `body` of a proxy response.
[functions.wrap1]
source = "wrap.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/users/:name", "POST /v1/users/:name", "/v1/files/*rest"]

# REST API with the bare echo: a return value without `statusCode`.
[functions.echo1]
source = "echo.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/echo"]

[functions.string2]
source = "string.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/string"]

[functions.array2]
source = "array.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/array"]

[functions.cookies1]
source = "cookies1.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/cookies"]

[functions.cookies2]
source = "cookies2.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/cookies"]

[functions.binary1]
source = "binary.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/binary"]

[functions.binary2]
source = "binary.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/binary"]

[functions.malformed1]
source = "malformed.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/malformed"]

[functions.malformed2]
source = "malformed.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/malformed"]

[functions.unicode1]
source = "unicode.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/unicode"]

[functions.unicode2]
source = "unicode.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/unicode"]

[functions.trap1]
source = "trap.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/trap"]

[functions.trap2]
source = "trap.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/trap"]

# Fuel enough for hours: only the clock can stop these.
[functions.loop1]
source = "loop.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["GET /v1/loop"]
limits = { timeout_ms = 300, fuel = 1000000000000000 }

[functions.loop2]
source = "loop.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["GET /v2/loop"]
limits = { timeout_ms = 300, fuel = 1000000000000000 }

[functions.small1]
source = "wrap.wat"
abi = "lambda"
event = "apigw-v1"
routes = ["POST /v1/small"]
limits = { max_body_bytes = 100 }

[functions.small2]
source = "echo.wat"
abi = "lambda"
event = "apigw-v2"
routes = ["POST /v2/small"]
limits = { max_body_bytes = 100 }
"#;

/// Every byte value once: the body `binary.wat` returns base64-encoded.
fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

/// The guests that print a fixed return value on stdout: (file, stdout).
fn fixed_handlers() -> Vec<(&'static str, String)> {
    vec![
        // AWS's own example of an inferred response.
        ("string.wat", json!("Hello from Lambda!").to_string()),
        ("array.wat", r#"[1, "two", {"three": 3}]"#.to_string()),
        (
            "cookies1.wat",
            json!({
                "statusCode": 201,
                "headers": {"Content-Type": "text/plain", "X-Both": "same"},
                "multiValueHeaders": {
                    "Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"],
                    "X-Both": ["same"],
                },
                "body": "created",
            })
            .to_string(),
        ),
        (
            "cookies2.wat",
            json!({
                "statusCode": 202,
                "headers": {"content-type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
                // Payload 2.0 has no multiValueHeaders: API Gateway ignores it.
                "multiValueHeaders": {"x-ignored": ["1"]},
                "body": "accepted",
            })
            .to_string(),
        ),
        (
            "binary.wat",
            json!({
                "statusCode": 200,
                "headers": {"content-type": "application/octet-stream"},
                "isBase64Encoded": true,
                "body": BASE64.encode(all_bytes()),
            })
            .to_string(),
        ),
        ("malformed.wat", "this is not JSON".to_string()),
        (
            "unicode.wat",
            json!({
                "statusCode": 200,
                "headers": {"x-name": "café"},
                "body": "ok",
            })
            .to_string(),
        ),
    ]
}

/// A guest that never ends.
const LOOP_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))"#;

/// The project folder with every handler above.
fn project() -> TempProject {
    let mut guests: Vec<(&str, String)> = fixed_handlers()
        .into_iter()
        .map(|(file, stdout)| (file, printing_wat(1, &stdout, "")))
        .collect();
    // Logs its last words, then traps.
    guests.push((
        "trap.wat",
        printing_wat(2, "about to crash\n", "unreachable"),
    ));
    let mut files: Vec<(&str, &str)> = vec![
        ("wasmfaas.toml", CONFIG),
        ("echo.wat", ECHO_WAT),
        ("wrap.wat", WRAP_WAT),
        ("loop.wat", LOOP_WAT),
    ];
    files.extend(guests.iter().map(|(file, text)| (*file, text.as_str())));
    TempProject::new("lambda-gateway", &files)
}

fn start() -> (TempProject, DevServer) {
    let project = project();
    // The API Gateway host the events name is not a loopback name.
    let server = DevServer::start(&project, &["--no-watch", "--allow-host", AWS_HOST]);
    (project, server)
}

/// The response body as JSON.
fn json_body(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {:?}", reply.text()))
}

/// The event an `echo2` (HTTP API) handler received: the whole body.
fn v2_event(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-function"), Some("echo2"));
    json_body(reply)
}

/// The event a `wrap1` (REST API) handler received: the body, which the
/// handler returned as a JSON string.
fn v1_event(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-function"), Some("wrap1"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    json_body(reply)
}

/// Now, in milliseconds since the epoch.
fn now_ms() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

/// The event as reviewable text: the request id and the times (which change
/// on every request) and the server's address (a free port) masked.
fn masked(mut event: Value, server: &DevServer) -> String {
    let context = &mut event["requestContext"];
    for field in [
        "requestId",
        "extendedRequestId",
        "requestTime",
        "requestTimeEpoch",
        "time",
        "timeEpoch",
    ] {
        if let Some(value) = context.get_mut(field) {
            *value = json!("[volatile]");
        }
    }
    serde_json::to_string_pretty(&event)
        .unwrap()
        .replace(&server.address().to_string(), "[address]")
}

/// Headers every request below sends, so the snapshots do not depend on the
/// HTTP client's version.
const CLIENT: (&str, &str) = ("User-Agent", "lambda-gateway-test/1.0");

#[test]
fn an_http_api_handler_receives_the_request_as_a_payload_2_event() {
    let (_project, server) = start();
    let before = now_ms();
    let reply = server.request(
        "POST",
        "/v2/users/ada%20l?b=2&a=1&a=3&sp=x+y%21&flag",
        &[
            CLIENT,
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "a=1; b=2"),
            ("Cookie", "c=3"),
            ("Content-Type", "application/json"),
            ("X-Mixed-Case", "Value Kept"),
        ],
        Some(br#"{"n":1}"#),
    );
    let after = now_ms();
    let event = v2_event(&reply);

    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "POST /v2/users/{name}");
    // HTTP APIs decode the path despite the field's name; the query is raw.
    assert_eq!(event["rawPath"], "/v2/users/ada l");
    assert_eq!(event["rawQueryString"], "b=2&a=1&a=3&sp=x+y%21&flag");
    assert_eq!(
        event["queryStringParameters"],
        json!({"b": "2", "a": "1,3", "sp": "x y!", "flag": ""})
    );
    assert_eq!(event["pathParameters"], json!({"name": "ada l"}));
    // Names lower-cased, repeats joined with a comma, cookies split out.
    let headers = &event["headers"];
    assert_eq!(headers["x-multi"], "one,two");
    assert_eq!(headers["x-mixed-case"], "Value Kept");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["host"], server.address().to_string());
    assert!(headers.get("cookie").is_none(), "{headers}");
    assert!(headers.get("X-Multi").is_none(), "{headers}");
    assert_eq!(event["cookies"], json!(["a=1", "b=2", "c=3"]));
    // A JSON body is text.
    assert_eq!(event["body"], r#"{"n":1}"#);
    assert_eq!(event["isBase64Encoded"], false);

    let context = &event["requestContext"];
    assert_eq!(context["http"]["method"], "POST");
    assert_eq!(context["http"]["path"], "/v2/users/ada l");
    assert_eq!(context["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(context["http"]["userAgent"], CLIENT.1);
    assert_eq!(context["routeKey"], event["routeKey"]);
    assert_eq!(context["stage"], "$default");
    let time = context["timeEpoch"]
        .as_u64()
        .expect("timeEpoch is a number");
    assert!(
        (before..=after).contains(&time),
        "timeEpoch {time} is not between {before} and {after}"
    );
    assert!(
        context["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{context}"
    );

    insta::assert_snapshot!("apigw_v2_event", masked(event, &server));
}

#[test]
fn an_http_api_handler_gets_binary_bodies_as_base64_and_wildcards_as_greedy_params() {
    let (_project, server) = start();
    // Bytes that are not UTF-8, NUL and newlines included.
    let body: Vec<u8> = vec![0xff, 0x00, b'\n', 0xc3, 0x28, b'x', 0x80];
    let reply = server.request(
        "PUT",
        "/v2/files/docs/a%20b/c.bin",
        &[CLIENT, ("Content-Type", "application/octet-stream")],
        Some(&body),
    );
    let event = v2_event(&reply);
    // A route without a method is `ANY`; the wildcard is a greedy parameter.
    assert_eq!(event["routeKey"], "ANY /v2/files/{rest+}");
    assert_eq!(event["pathParameters"], json!({"rest": "docs/a b/c.bin"}));
    assert_eq!(event["requestContext"]["http"]["method"], "PUT");
    assert_eq!(event["isBase64Encoded"], true);
    let decoded = BASE64
        .decode(event["body"].as_str().expect("a base64 string"))
        .expect("valid base64");
    assert_eq!(decoded, body);

    // Text without a textual content type is base64 as well, as on AWS.
    let form = server.request(
        "POST",
        "/v2/files/form",
        &[
            CLIENT,
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(b"a=1&b=2"),
    );
    let event = v2_event(&form);
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], BASE64.encode("a=1&b=2"));
    // ...and text/* is text.
    let text = server.request(
        "POST",
        "/v2/files/note",
        &[CLIENT, ("Content-Type", "text/plain; charset=utf-8")],
        Some("grüße\n".as_bytes()),
    );
    let event = v2_event(&text);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["body"], "grüße\n");

    // No body, no query, no cookies: those keys are absent.
    let get = v2_event(&server.request("GET", "/v2/users/bo", &[CLIENT], None));
    for absent in ["body", "cookies", "queryStringParameters"] {
        assert!(get.get(absent).is_none(), "{absent} in {get}");
    }
    assert_eq!(get["rawQueryString"], "");
    assert_eq!(get["isBase64Encoded"], false);
    assert_eq!(get["routeKey"], "GET /v2/users/{name}");
}

#[test]
fn a_rest_api_handler_receives_the_request_as_a_payload_1_event() {
    let (_project, server) = start();
    let before = now_ms();
    let reply = server.request(
        "POST",
        "/v1/users/ada%20l?b=2&a=1&a=3&sp=x+y%21",
        &[
            CLIENT,
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("Content-Type", "text/plain"),
        ],
        Some("first line\nsecond \"quoted\" line\\".as_bytes()),
    );
    let after = now_ms();
    let event = v1_event(&reply);

    assert_eq!(event["resource"], "/v1/users/{name}");
    // REST APIs keep the path, and path parameters, percent-encoded.
    assert_eq!(event["path"], "/v1/users/ada%20l");
    assert_eq!(event["pathParameters"], json!({"name": "ada%20l"}));
    assert_eq!(event["httpMethod"], "POST");
    // `headers` keeps the last value, `multiValueHeaders` every value.
    assert_eq!(event["headers"]["x-multi"], "two");
    assert_eq!(event["multiValueHeaders"]["x-multi"], json!(["one", "two"]));
    assert_eq!(event["headers"]["content-type"], "text/plain");
    assert_eq!(
        event["multiValueHeaders"]["host"],
        json!([server.address().to_string()])
    );
    assert_eq!(
        event["queryStringParameters"],
        json!({"b": "2", "a": "3", "sp": "x y!"})
    );
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"b": ["2"], "a": ["1", "3"], "sp": ["x y!"]})
    );
    assert_eq!(event["body"], "first line\nsecond \"quoted\" line\\");
    assert_eq!(event["isBase64Encoded"], false);

    let context = &event["requestContext"];
    assert_eq!(context["stage"], "local");
    assert_eq!(context["path"], "/local/v1/users/ada%20l");
    assert_eq!(context["resourcePath"], "/v1/users/{name}");
    assert_eq!(context["httpMethod"], "POST");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(context["identity"]["userAgent"], CLIENT.1);
    let time = context["requestTimeEpoch"]
        .as_u64()
        .expect("requestTimeEpoch is a number");
    assert!(
        (before..=after).contains(&time),
        "requestTimeEpoch {time} is not between {before} and {after}"
    );

    insta::assert_snapshot!("apigw_v1_event", masked(event, &server));
}

#[test]
fn a_rest_api_handler_gets_binary_bodies_as_base64_and_null_for_what_is_missing() {
    let (_project, server) = start();
    // Not UTF-8: base64, whatever the content type says.
    let body = vec![0x00, 0xff, 0xfe, b'\n', 0x80];
    let reply = server.request(
        "POST",
        "/v1/files/a%20b/c.bin",
        &[CLIENT, ("Content-Type", "text/plain")],
        Some(&body),
    );
    let event = v1_event(&reply);
    assert_eq!(event["resource"], "/v1/files/{rest+}");
    assert_eq!(event["pathParameters"], json!({"rest": "a%20b/c.bin"}));
    assert_eq!(event["isBase64Encoded"], true);
    let decoded = BASE64
        .decode(event["body"].as_str().expect("a base64 string"))
        .expect("valid base64");
    assert_eq!(decoded, body);

    // No body and no query are `null`, not absent.
    let get = v1_event(&server.request("GET", "/v1/users/bo", &[CLIENT], None));
    for null in [
        "body",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "stageVariables",
    ] {
        assert_eq!(get.get(null), Some(&Value::Null), "{null} in {get}");
    }
    assert_eq!(get["isBase64Encoded"], false);
}

/// Asserts that `reply` is API Gateway's own answer, byte for byte, with the
/// reason in `x-wasmfaas-error` and the function named.
fn assert_gateway_error(reply: &Reply, status: u16, body: &str, kind: &str, function: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.text(), body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("x-wasmfaas-error"), Some(kind));
    assert_eq!(reply.header("x-wasmfaas-function"), Some(function));
}

/// A request that works, to show the server kept serving after a failure.
fn assert_still_serves(server: &DevServer) {
    let event = v2_event(&server.request("GET", "/v2/users/still", &[CLIENT], None));
    assert_eq!(event["pathParameters"], json!({"name": "still"}));
}

#[test]
fn a_rest_api_is_strict_and_answers_502_to_a_return_value_without_status_code() {
    let (_project, server) = start();
    // The echo returns an object (its event) with no `statusCode`.
    let reply = server.get("/v1/echo");
    let internal = r#"{"message": "Internal server error"}"#;
    assert_gateway_error(&reply, 502, internal, "malformed_response", "echo1");
    // Not JSON at all.
    let reply = server.get("/v1/malformed");
    assert_gateway_error(&reply, 502, internal, "malformed_response", "malformed1");
    // An HTTP API reading the same text fails the same way, with its own body.
    let reply = server.get("/v2/malformed");
    let http_api = r#"{"message":"Internal Server Error"}"#;
    assert_gateway_error(&reply, 500, http_api, "malformed_response", "malformed2");
    assert_still_serves(&server);
}

#[test]
fn a_response_header_that_cannot_be_sent_gets_api_gateways_error() {
    // `apigw::response` accepts any header value without CR, LF or NUL, but
    // the HTTP server sends ASCII only, so `reply::from_function` refuses
    // `café` with its own plain-text page. For a `lambda` function every
    // failure is answered with API Gateway's body (docs/events.md), as the
    // other malformed responses are.
    let (_project, server) = start();
    let reply = server.get("/v1/unicode");
    let rest = r#"{"message": "Internal server error"}"#;
    assert_gateway_error(&reply, 502, rest, "malformed_response", "unicode1");
    let reply = server.get("/v2/unicode");
    let http_api = r#"{"message":"Internal Server Error"}"#;
    assert_gateway_error(&reply, 500, http_api, "malformed_response", "unicode2");
}

#[test]
fn an_http_api_infers_a_200_json_response_from_a_bare_return_value() {
    let (_project, server) = start();
    // A JSON string is sent unquoted.
    let reply = server.get("/v2/string");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), "Hello from Lambda!");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    // Anything else is sent as returned.
    let reply = server.get("/v2/array");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), r#"[1, "two", {"three": 3}]"#);
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[test]
fn multi_value_headers_and_cookies_become_repeated_set_cookie_headers() {
    let (_project, server) = start();
    let reply = server.get("/v1/cookies");
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.text(), "created");
    assert_eq!(
        reply.header_all("set-cookie"),
        ["a=1; Path=/", "b=2; HttpOnly"]
    );
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    // Named in both `headers` and `multiValueHeaders` with one value: sent once.
    assert_eq!(reply.header_all("x-both"), ["same"]);

    let reply = server.get("/v2/cookies");
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(reply.text(), "accepted");
    assert_eq!(
        reply.header_all("set-cookie"),
        ["a=1; Path=/", "b=2; HttpOnly"]
    );
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    assert_eq!(reply.header("x-ignored"), None);
}

#[test]
fn a_base64_body_with_is_base64_encoded_arrives_as_the_decoded_bytes() {
    let (_project, server) = start();
    for (path, function) in [("/v1/binary", "binary1"), ("/v2/binary", "binary2")] {
        let reply = server.get(path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        assert_eq!(reply.header("x-wasmfaas-function"), Some(function));
        assert_eq!(
            reply.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(reply.body, all_bytes(), "{path}");
    }
}

#[test]
fn a_trapping_handler_gets_api_gateways_error_and_the_server_keeps_serving() {
    let (_project, server) = start();
    let reply = server.get("/v1/trap");
    let rest = r#"{"message": "Internal server error"}"#;
    assert_gateway_error(&reply, 502, rest, "trap", "trap1");
    let reply = server.get("/v2/trap");
    let http_api = r#"{"message":"Internal Server Error"}"#;
    assert_gateway_error(&reply, 500, http_api, "trap", "trap2");
    assert_still_serves(&server);
}

#[test]
fn a_handler_past_its_timeout_gets_api_gateways_timeout_response() {
    let (_project, server) = start();
    for (path, status, body, function) in [
        (
            "/v1/loop",
            504,
            r#"{"message": "Endpoint request timed out"}"#,
            "loop1",
        ),
        (
            "/v2/loop",
            503,
            r#"{"message":"Service Unavailable"}"#,
            "loop2",
        ),
    ] {
        let started = Instant::now();
        let reply = server.get(path);
        let took = started.elapsed();
        assert_gateway_error(&reply, status, body, "timeout", function);
        // Stopped by the 300 ms clock, not by the fuel, which lasts hours (the
        // upper bound only catches a hang, whatever the machine's speed).
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(120),
            "{path} took {took:?}"
        );
    }
    assert_still_serves(&server);
}

#[test]
fn a_body_over_the_limit_gets_api_gateways_413_before_the_handler_runs() {
    let (_project, server) = start();
    let big = vec![b'x'; 101];
    let rest = r#"{"message": "Request Too Long"}"#;
    let http_api = r#"{"message":"Request Entity Too Large"}"#;
    // Judged from Content-Length, and while reading a chunked body.
    let reply = server.post("/v1/small", &big);
    assert_gateway_error(&reply, 413, rest, "body_too_large", "small1");
    let reply = post_chunked(server.agent(), &server.url("/v1/small"), &big).unwrap();
    assert_gateway_error(&reply, 413, rest, "body_too_large", "small1");
    let reply = server.post("/v2/small", &big);
    assert_gateway_error(&reply, 413, http_api, "body_too_large", "small2");
    let reply = post_chunked(server.agent(), &server.url("/v2/small"), &big).unwrap();
    assert_gateway_error(&reply, 413, http_api, "body_too_large", "small2");

    // At the limit exactly, the handler runs.
    let reply = server.request(
        "POST",
        "/v2/small",
        &[("Content-Type", "text/plain")],
        Some(&big[..100]),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json_body(&reply)["body"], "x".repeat(100));
    assert_still_serves(&server);
}

// ---------------------------------------------------------------------------
// The command line: `invoke` and `event generate`
// ---------------------------------------------------------------------------

/// 2023-11-14T22:13:20Z, in nanoseconds and as `event generate` takes it.
const TIME_NS: u64 = 1_700_000_000_000_000_000;
const TIME: &str = "2023-11-14T22:13:20Z";

/// Runs `wasmfaas <args>` in `project`, optionally with `stdin`.
fn wasmfaas(project: &TempProject, args: &[&str], stdin: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .stdin(stdin)
        .output()
        .expect("running wasmfaas")
}

/// Asserts `output` succeeded; its stdout.
fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// The body of the response `invoke` printed (after the first empty line).
fn printed_body(stdout: &str) -> Value {
    let (head, body) = stdout
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("no response body in {stdout:?}"));
    assert!(head.starts_with("HTTP 200 "), "{stdout}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

/// `invoke <function> --path <path> --seed <seed> --time-ns TIME_NS <extra>`.
fn invoke(project: &TempProject, function: &str, path: &str, seed: &str, extra: &[&str]) -> String {
    let time = TIME_NS.to_string();
    let mut args = vec![
        "--quiet",
        "invoke",
        function,
        "--path",
        path,
        "--seed",
        seed,
        "--time-ns",
        &time,
    ];
    args.extend_from_slice(extra);
    succeeded(&wasmfaas(project, &args, Stdio::null()), "invoke")
}

/// `event generate <kind> --seed <seed> --time TIME <extra>`, parsed.
fn generate(project: &TempProject, kind: &str, seed: &str, extra: &[&str]) -> Value {
    let mut args = vec!["event", "generate", kind, "--seed", seed, "--time", TIME];
    args.extend_from_slice(extra);
    let stdout = succeeded(&wasmfaas(project, &args, Stdio::null()), "event generate");
    serde_json::from_str(&stdout).expect("event generate prints JSON")
}

#[test]
fn invoke_with_a_seed_and_a_clock_prints_the_same_bytes_every_time() {
    let project = project();
    // (function, path, the context's epoch field, its time field)
    let cases = [
        ("echo2", "/v2/users/ada?x=1", "timeEpoch", "time"),
        (
            "wrap1",
            "/v1/users/ada?x=1",
            "requestTimeEpoch",
            "requestTime",
        ),
    ];
    for (function, path, epoch, time) in cases {
        let first = invoke(&project, function, path, "7", &[]);
        let second = invoke(&project, function, path, "7", &[]);
        assert_eq!(first, second, "{function}: two runs differ");

        // The seed and the clock are what make it so: they reach the event.
        let event = printed_body(&first);
        let context = &event["requestContext"];
        assert_eq!(context[epoch], json!(TIME_NS / 1_000_000), "{function}");
        assert_eq!(context[time], "14/Nov/2023:22:13:20 +0000", "{function}");
        let other = printed_body(&invoke(&project, function, path, "8", &[]));
        assert_ne!(
            other["requestContext"]["requestId"], context["requestId"],
            "{function}: the request id does not follow from the seed"
        );
    }
}

#[test]
fn a_generated_event_piped_into_invoke_reaches_the_handler_unchanged() {
    let project = project();
    let options = [
        "--method",
        "POST",
        "--path",
        "/x?a=1",
        "-H",
        "Cookie: a=1; b=2",
        "-H",
        "Content-Type: application/json",
        "--body",
        "{\"n\":1}",
    ];
    let mut generate_args = vec![
        "event",
        "generate",
        "aws:apigw-v2",
        "--seed",
        "3",
        "--time",
        TIME,
    ];
    generate_args.extend_from_slice(&options);
    // `event generate … | wasmfaas invoke echo2 --event -`, a real pipe.
    let mut generator = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(&generate_args)
        .current_dir(project.root())
        .stdout(Stdio::piped())
        .spawn()
        .expect("event generate starts");
    let pipe = generator.stdout.take().expect("stdout is piped");
    let invoked = wasmfaas(
        &project,
        &["--quiet", "invoke", "echo2", "--event", "-"],
        Stdio::from(pipe),
    );
    assert!(generator.wait().expect("event generate ends").success());
    // A handler given an event: its return value is printed as it is.
    let printed = succeeded(&invoked, "invoke --event -");
    let received: Value = serde_json::from_str(&printed)
        .unwrap_or_else(|e| panic!("not the returned JSON ({e}): {printed:?}"));

    // The same command again gives the event the handler should have seen.
    let expected = generate(&project, "aws:apigw-v2", "3", &options);
    // Compared as text, so the key order counts too.
    assert_eq!(received.to_string(), expected.to_string());
    assert_eq!(received["rawQueryString"], "a=1");
    assert_eq!(received["cookies"], json!(["a=1", "b=2"]));
}

/// The Host a generated event names when no `-H Host:` is given.
const AWS_HOST: &str = "wasmfaas01.execute-api.us-east-1.amazonaws.com";

#[test]
fn invoke_and_event_generate_build_the_same_rest_api_event() {
    let project = project();
    let host = format!("Host: {AWS_HOST}");
    let invoked = invoke(
        &project,
        "wrap1",
        "/v1/users/ada%20l?a=1&a=2",
        "5",
        &["-H", &host, "-H", "X-Multi: one", "-H", "X-Multi: two"],
    );
    let generated = generate(
        &project,
        "aws:apigw-v1",
        "5",
        &[
            "--path",
            "/v1/users/ada%20l?a=1&a=2",
            "--resource",
            "/v1/users/:name",
            "-H",
            &host,
            "-H",
            "X-Multi: one",
            "-H",
            "X-Multi: two",
        ],
    );
    assert_eq!(printed_body(&invoked).to_string(), generated.to_string());
}

#[test]
fn invoke_and_event_generate_build_the_same_http_api_event() {
    // docs/events.md: the gateway and `event generate` build events in one
    // place and "always agree, byte for byte, given the same time and seed".
    // An HTTP API's `requestContext.requestId` is the short form
    // (`xRDHD22v8rPqTDY=`), which `event generate` prints; `invoke` and the
    // gateway give a UUID (`src/abi/lambda.rs`, `request_event`).
    let project = project();
    let host = format!("Host: {AWS_HOST}");
    let invoked = printed_body(&invoke(
        &project,
        "echo2",
        "/v2/users/ada%20l?a=1&a=2",
        "5",
        &["-H", &host, "-H", "Cookie: a=1; b=2"],
    ));
    let generated = generate(
        &project,
        "aws:apigw-v2",
        "5",
        &[
            "--path",
            "/v2/users/ada%20l?a=1&a=2",
            "--resource",
            "/v2/users/:name",
            "-H",
            &host,
            "-H",
            "Cookie: a=1; b=2",
        ],
    );
    let request_id = generated["requestContext"]["requestId"].as_str().unwrap();
    assert_eq!(request_id.len(), 16, "{request_id}");
    assert_eq!(invoked.to_string(), generated.to_string());
}
