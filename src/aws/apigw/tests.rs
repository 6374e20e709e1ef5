//! Golden tests: each event and each response reading is a snapshot under
//! `snapshots/` (insta's format; accept new ones with `INSTA_UPDATE=always`),
//! plus plain assertions on the fields that matter most.

use super::*;
use crate::json_text::pretty;

/// 2026-11-24T12:00:00.250Z.
const TIME_NS: u64 = 1_795_521_600_250_000_000;

fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        params: Default::default(),
        headers: headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        body: body.to_vec(),
        connection: None,
    }
}

/// `request` as the gateway would pass it for `resource`: with its decoded params.
fn routed(mut request: HttpRequest, resource: &str) -> HttpRequest {
    request.params = match_resource(resource, &request.path)
        .expect("the test path matches its resource")
        .into_iter()
        .map(|(name, value)| (name, percent_decode(&value)))
        .collect();
    request
}

fn info<'a>(resource: &'a str, method: Option<&'a str>, stage: &'a str) -> RequestInfo<'a> {
    RequestInfo {
        resource,
        path_parameters: &[],
        route_method: method,
        stage,
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time_ns: TIME_NS,
        source_ip: "127.0.0.1",
        host: Some("localhost:8080"),
    }
}

fn v1(request: &HttpRequest, resource: &str) -> Value {
    // As the route table would give them: raw, under the resource.
    let raw = match_resource(resource, &request.path).unwrap_or_default();
    let info = RequestInfo {
        path_parameters: &raw,
        ..info(resource, None, "local")
    };
    request_event(PayloadFormat::V1, request, &info)
}

fn v2(request: &HttpRequest, resource: &str) -> Value {
    request_event(
        PayloadFormat::V2,
        request,
        &info(resource, Some(&request.method), "$default"),
    )
}

/// A GET with repeated headers (different case), repeated, `+`-encoded and
/// valueless query parameters, and a path parameter with an escape.
fn busy_get() -> HttpRequest {
    routed(
        request(
            "GET",
            "/counter/ada%20lovelace?tag=a&tag=b&q=x+y%2Bz&flag",
            &[
                ("Host", "localhost:8080"),
                ("User-Agent", "curl/8.7.1"),
                ("X-Probe", "first"),
                ("accept", "*/*"),
                ("x-probe", "second"),
            ],
            b"",
        ),
        "/counter/{name}",
    )
}

fn proxy_get() -> HttpRequest {
    routed(
        request(
            "GET",
            "/files/docs/caf%C3%A9%20menu.txt",
            &[
                ("Host", "localhost:8080"),
                ("Cookie", "session=abc123; theme=dark"),
                ("Cookie", "lang=en"),
            ],
            b"",
        ),
        "/files/{proxy+}",
    )
}

fn binary_post() -> HttpRequest {
    request(
        "POST",
        "/upload",
        &[("Host", "localhost:8080"), ("Content-Type", "image/png")],
        &[0x89, b'P', b'N', b'G', 0x00, 0xff],
    )
}

#[test]
fn v1_event_for_repeated_headers_and_query() {
    let event = v1(&busy_get(), "/counter/{name}");
    assert_eq!(event["headers"]["X-Probe"], "second");
    assert_eq!(
        event["multiValueHeaders"]["X-Probe"],
        json!(["first", "second"])
    );
    assert_eq!(event["queryStringParameters"]["q"], "x y+z");
    assert_eq!(
        event["multiValueQueryStringParameters"]["tag"],
        json!(["a", "b"])
    );
    assert_eq!(event["pathParameters"]["name"], "ada%20lovelace");
    assert_eq!(
        event["requestContext"]["path"],
        "/local/counter/ada%20lovelace"
    );
    insta::assert_snapshot!("v1_repeated_headers_and_query", pretty(&event));
}

#[test]
fn v2_event_for_repeated_headers_and_query() {
    let event = v2(&busy_get(), "/counter/{name}");
    assert_eq!(event["headers"]["x-probe"], "first,second");
    assert_eq!(event["queryStringParameters"]["tag"], "a,b");
    assert_eq!(event["queryStringParameters"]["flag"], "");
    assert_eq!(event["routeKey"], "GET /counter/{name}");
    assert_eq!(event["rawPath"], "/counter/ada lovelace");
    assert_eq!(event["rawQueryString"], "tag=a&tag=b&q=x+y%2Bz&flag");
    assert_eq!(event["pathParameters"]["name"], "ada lovelace");
    assert!(event.get("cookies").is_none() && event.get("body").is_none());
    insta::assert_snapshot!("v2_repeated_headers_and_query", pretty(&event));
}

#[test]
fn v1_event_for_a_proxy_resource_without_query() {
    let event = v1(&proxy_get(), "/files/{proxy+}");
    assert_eq!(
        event["pathParameters"]["proxy"],
        "docs/caf%C3%A9%20menu.txt"
    );
    assert_eq!(event["path"], "/files/docs/caf%C3%A9%20menu.txt");
    assert!(event["queryStringParameters"].is_null());
    assert!(event["multiValueQueryStringParameters"].is_null());
    assert!(event["body"].is_null());
    assert_eq!(event["isBase64Encoded"], false);
    insta::assert_snapshot!("v1_proxy_resource_no_query", pretty(&event));
}

#[test]
fn v2_event_takes_cookies_out_of_the_headers() {
    let event = v2(&proxy_get(), "/files/{proxy+}");
    assert_eq!(
        event["cookies"],
        json!(["session=abc123", "theme=dark", "lang=en"])
    );
    assert!(event["headers"].get("cookie").is_none());
    assert_eq!(event["pathParameters"]["proxy"], "docs/café menu.txt");
    assert_eq!(event["rawQueryString"], "");
    assert!(event.get("queryStringParameters").is_none());
    insta::assert_snapshot!("v2_proxy_resource_cookies", pretty(&event));
}

#[test]
fn binary_bodies_are_base64_in_both_formats() {
    let request = binary_post();
    for event in [v1(&request, "/upload"), v2(&request, "/upload")] {
        assert_eq!(event["isBase64Encoded"], true);
        let decoded = BASE64.decode(event["body"].as_str().unwrap()).unwrap();
        assert_eq!(decoded, request.body);
    }
    insta::assert_snapshot!("v1_binary_body", pretty(&v1(&request, "/upload")));
    insta::assert_snapshot!("v2_binary_body", pretty(&v2(&request, "/upload")));
}

#[test]
fn v1_sends_utf8_as_text_whatever_the_content_type() {
    for content_type in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
    ] {
        let mut headers = vec![("Host", "h")];
        headers.extend(content_type.map(|t| ("Content-Type", t)));
        let event = v1(&request("POST", "/f", &headers, b"a=1&b=%C3"), "/f");
        assert_eq!(event["body"], "a=1&b=%C3", "{content_type:?}");
        assert_eq!(event["isBase64Encoded"], false);
    }
}

#[test]
fn v2_sends_only_textual_content_types_as_text() {
    let cases = [
        (Some("application/json; charset=utf-8"), false),
        (Some("Text/HTML"), false),
        (Some("application/xml"), false),
        (Some("application/javascript"), false),
        (Some("application/x-www-form-urlencoded"), true),
        (Some("application/octet-stream"), true),
        (None, true),
    ];
    for (content_type, base64) in cases {
        let mut headers = vec![("host", "h")];
        headers.extend(content_type.map(|t| ("content-type", t)));
        let event = v2(&request("POST", "/f", &headers, br#"{"a":1}"#), "/f");
        assert_eq!(event["isBase64Encoded"], base64, "{content_type:?}");
        let expected = if base64 {
            json!("eyJhIjoxfQ==")
        } else {
            json!(r#"{"a":1}"#)
        };
        assert_eq!(event["body"], expected, "{content_type:?}");
    }
}

#[test]
fn v2_text_types_with_invalid_utf8_still_go_as_base64() {
    let event = v2(
        &request(
            "POST",
            "/f",
            &[("content-type", "text/plain")],
            &[0xff, 0xfe],
        ),
        "/f",
    );
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], "//4=");
}

#[test]
fn v2_named_stages_prefix_the_path_and_any_routes_say_any() {
    let event = request_event(
        PayloadFormat::V2,
        &request("DELETE", "/items/7", &[], b""),
        &info("/items/{id}", None, "dev"),
    );
    assert_eq!(event["rawPath"], "/dev/items/7");
    assert_eq!(event["requestContext"]["http"]["path"], "/dev/items/7");
    assert_eq!(event["routeKey"], "ANY /items/{id}");
    assert_eq!(event["requestContext"]["stage"], "dev");
}

#[test]
fn times_and_ids_come_from_the_request_info() {
    let request = request("GET", "/", &[], b"");
    let one = v1(&request, "/");
    assert_eq!(
        one["requestContext"]["requestTime"],
        "24/Nov/2026:12:00:00 +0000"
    );
    assert_eq!(
        one["requestContext"]["requestTimeEpoch"],
        1_795_521_600_250u64
    );
    assert_eq!(one["requestContext"]["domainPrefix"], "localhost");
    assert!(one["headers"].is_null() && one["multiValueHeaders"].is_null());
    let two = v2(&request, "/");
    assert_eq!(two["requestContext"]["time"], "24/Nov/2026:12:00:00 +0000");
    assert_eq!(two["requestContext"]["timeEpoch"], 1_795_521_600_250u64);
    // The same inputs give the same event, byte for byte.
    assert_eq!(pretty(&one), pretty(&v1(&request, "/")));
    let default_domain = request_event(
        PayloadFormat::V1,
        &request,
        &RequestInfo {
            host: None,
            ..info("/", None, "local")
        },
    );
    assert_eq!(
        default_domain["requestContext"]["domainName"],
        "wasmfaas01.execute-api.us-east-1.amazonaws.com"
    );
    assert_eq!(
        default_domain["requestContext"]["domainPrefix"],
        "wasmfaas01"
    );
}

#[test]
fn our_route_syntax_becomes_aws_resources() {
    let parsed = |text| resource_of(&crate::config::Route::parse(text).unwrap().path);
    assert_eq!(parsed("/counter/:name"), "/counter/{name}");
    assert_eq!(parsed("/files/*rest"), "/files/{rest+}");
    assert_eq!(parsed("GET /a/:b/c"), "/a/{b}/c");
    assert_eq!(parsed("/"), "/");
    assert_eq!(resource_for("/counter/:name"), "/counter/{name}");
    assert_eq!(resource_for("/files/*rest"), "/files/{rest+}");
    assert_eq!(resource_for("GET /a/:b/c"), "/a/{b}/c");
    assert_eq!(resource_for("/"), "/");
}

#[test]
fn resources_match_paths_keeping_escapes() {
    let params = |resource, path| match_resource(resource, path);
    assert_eq!(
        params("/counter/{name}", "/counter/a%2Fb"),
        Some(vec![("name".into(), "a%2Fb".into())])
    );
    assert_eq!(
        params("/files/{proxy+}", "/files/a/b/c"),
        Some(vec![("proxy".into(), "a/b/c".into())])
    );
    assert_eq!(params("/files/{proxy+}", "/files"), None);
    assert_eq!(params("/counter/{name}", "/counter/a/b"), None);
    assert_eq!(params("/caf%C3%A9", "/café"), Some(vec![]));
    assert_eq!(params("/", "/"), Some(vec![]));
}

#[test]
fn payload_formats_parse_from_their_config_names() {
    assert_eq!("apigw-v1".parse(), Ok(PayloadFormat::V1));
    assert_eq!("apigw-v2".parse(), Ok(PayloadFormat::V2));
    let error = "v2".parse::<PayloadFormat>().unwrap_err().to_string();
    assert!(
        error.contains("`v2`") && error.contains("apigw-v2"),
        "{error}"
    );
    assert_eq!(PayloadFormat::V2.to_string(), "apigw-v2");
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// A response as text for snapshots: status, headers, blank line, body
/// (base64 when not UTF-8).
fn show(response: &HttpResponse) -> String {
    let mut text = format!("{}\n", response.status);
    for (name, value) in &response.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    match std::str::from_utf8(&response.body) {
        Ok(body) => text.push_str(body),
        Err(_) => text.push_str(&format!("(base64) {}", BASE64.encode(&response.body))),
    }
    text
}

/// Each case, what it returned, and how `format` reads it.
fn readings(format: PayloadFormat, cases: &[&str]) -> String {
    cases
        .iter()
        .map(|returned| {
            let reading = match response(format, returned.as_bytes()) {
                Ok(response) => show(&response),
                Err(error) => format!("error: {error}"),
            };
            format!("returned: {returned}\n{reading}\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn v1_reads_headers_multi_value_headers_and_base64_bodies() {
    let returned = r#"{
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-Count": 3, "Set-Cookie": "a=1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "iVBORw0K\nGgo=",
        "isBase64Encoded": true,
        "ignored": "by API Gateway"
    }"#;
    let response = response(PayloadFormat::V1, returned.as_bytes()).unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.body, b"\x89PNG\r\n\x1a\n");
    let cookies: Vec<_> = response
        .headers
        .iter()
        .filter(|(name, _)| name == "Set-Cookie")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(
        cookies,
        ["a=1", "b=2"],
        "a pair in both fields is sent once"
    );
    insta::assert_snapshot!("v1_response_structured", show(&response));
}

#[test]
fn v1_answers_json_when_the_function_sets_no_content_type() {
    let response = response(PayloadFormat::V1, br#"{"statusCode": "204"}"#).unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(response.body.is_empty());
}

#[test]
fn v1_rejects_every_malformed_proxy_response() {
    let cases = [
        "",
        "Hello",
        r#""Hello from Lambda!""#,
        "[1, 2]",
        "null",
        r#"{"body": "no status"}"#,
        r#"{"statusCode": 200.5}"#,
        r#"{"statusCode": 99}"#,
        r#"{"statusCode": true}"#,
        r#"{"statusCode": 200, "body": {"message": "not stringified"}}"#,
        r#"{"statusCode": 200, "headers": ["a"]}"#,
        r#"{"statusCode": 200, "headers": {"X-A": {"nested": 1}}}"#,
        r#"{"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}}"#,
        r#"{"statusCode": 200, "multiValueHeaders": {"X-A": ["ok", null]}}"#,
        r#"{"statusCode": 200, "isBase64Encoded": "yes", "body": ""}"#,
        r#"{"statusCode": 200, "isBase64Encoded": true, "body": "not base64!"}"#,
        r#"{"statusCode": 200, "headers": {"Bad Name": "x"}}"#,
        r#"{"statusCode": 200, "headers": {"X-A": "line\r\nbreak"}}"#,
    ];
    for case in cases {
        assert!(
            response(PayloadFormat::V1, case.as_bytes()).is_err(),
            "{case}"
        );
    }
    insta::assert_snapshot!("v1_rejections", readings(PayloadFormat::V1, &cases));
}

#[test]
fn v2_infers_a_json_response_from_anything_without_a_status() {
    let bare = response(PayloadFormat::V2, b"\"Hello from Lambda!\"\n").unwrap();
    assert_eq!(
        (bare.status, bare.body.as_slice()),
        (200, &b"Hello from Lambda!"[..])
    );
    assert_eq!(bare.header("content-type"), Some("application/json"));
    let object = response(PayloadFormat::V2, br#"{ "message": "Hello from Lambda!" }"#).unwrap();
    assert_eq!(object.body, br#"{ "message": "Hello from Lambda!" }"#);
    let cases = [
        r#""Hello from Lambda!""#,
        r#"{ "message": "Hello from Lambda!" }"#,
        r#"{"statusCode": null, "body": "a null status is no status"}"#,
        "42",
        "[true, null]",
        "null",
    ];
    insta::assert_snapshot!("v2_inferred", readings(PayloadFormat::V2, &cases));
}

#[test]
fn v2_reads_cookies_and_ignores_multi_value_headers() {
    let returned = r#"{
        "statusCode": 302,
        "headers": {"location": "/home"},
        "multiValueHeaders": {"x-dropped": ["payload 2.0 has no such field"]},
        "cookies": ["session=abc; HttpOnly", "theme=dark"],
        "body": "aGk=",
        "isBase64Encoded": true
    }"#;
    let response = response(PayloadFormat::V2, returned.as_bytes()).unwrap();
    assert_eq!(response.status, 302);
    assert_eq!(response.body, b"hi");
    assert!(response.header("x-dropped").is_none());
    assert!(response.header("content-type").is_none());
    let cookies: Vec<_> = response
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(cookies, ["session=abc; HttpOnly", "theme=dark"]);
    insta::assert_snapshot!("v2_response_structured", show(&response));
}

#[test]
fn v2_rejects_invalid_json_and_malformed_structured_responses() {
    let cases = [
        "",
        "{not json",
        r#"{"statusCode": 600}"#,
        r#"{"statusCode": 200, "cookies": "a=1"}"#,
        r#"{"statusCode": 200, "cookies": [{"a": 1}]}"#,
        r#"{"statusCode": 200, "body": 5}"#,
    ];
    for case in cases {
        assert!(
            response(PayloadFormat::V2, case.as_bytes()).is_err(),
            "{case}"
        );
    }
    insta::assert_snapshot!("v2_rejections", readings(PayloadFormat::V2, &cases));
}

#[test]
fn gateway_errors_differ_by_format() {
    let cases = [
        (PayloadFormat::V1, GatewayFailure::FunctionError, 502),
        (PayloadFormat::V1, GatewayFailure::MalformedResponse, 502),
        (PayloadFormat::V1, GatewayFailure::Timeout, 504),
        (PayloadFormat::V1, GatewayFailure::RequestTooLarge, 413),
        (PayloadFormat::V2, GatewayFailure::FunctionError, 500),
        (PayloadFormat::V2, GatewayFailure::MalformedResponse, 500),
        (PayloadFormat::V2, GatewayFailure::Timeout, 503),
        (PayloadFormat::V2, GatewayFailure::RequestTooLarge, 413),
    ];
    for (format, failure, status) in cases {
        let response = gateway_error(format, failure);
        assert_eq!(response.status, status, "{format} {failure:?}");
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert!(body["message"].is_string(), "{format} {failure:?}");
    }
    assert_eq!(
        gateway_error(PayloadFormat::V1, GatewayFailure::RequestTooLarge).body,
        br#"{"message": "Request Too Long"}"#
    );
    assert_eq!(
        gateway_error(PayloadFormat::V2, GatewayFailure::Timeout).body,
        br#"{"message":"Service Unavailable"}"#
    );
}
