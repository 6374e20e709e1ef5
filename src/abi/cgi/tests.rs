use super::*;

const SERVER: Server<'static> = Server {
    name: "localhost",
    port: 8080,
    software: "wasmfaas/test",
    remote_addr: "127.0.0.1",
    remote_port: Some(54321),
    protocol: "HTTP/1.1",
};

fn get(path: &str, query: &str) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: path.into(),
        query: query.into(),
        ..HttpRequest::default()
    }
}

fn env_of(request: &HttpRequest, script_name: &str) -> BTreeMap<String, String> {
    environment(request, script_name, &SERVER)
        .into_iter()
        .collect()
}

#[test]
fn a_plain_get_sets_exactly_the_rfc_3875_variables_that_apply() {
    let env = env_of(&get("/cgi-bin/app", ""), "/cgi-bin/app");
    let names: Vec<&str> = env.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "GATEWAY_INTERFACE",
            "QUERY_STRING",
            "REMOTE_ADDR",
            "REMOTE_HOST",
            "REMOTE_PORT",
            "REQUEST_METHOD",
            "REQUEST_URI",
            "SCRIPT_NAME",
            "SERVER_NAME",
            "SERVER_PORT",
            "SERVER_PROTOCOL",
            "SERVER_SOFTWARE",
        ]
    );
    assert_eq!(env["GATEWAY_INTERFACE"], "CGI/1.1");
    assert_eq!(env["QUERY_STRING"], "");
    assert_eq!(env["REQUEST_URI"], "/cgi-bin/app");
    assert_eq!(env["SERVER_PORT"], "8080");
    assert_eq!(env["SERVER_PROTOCOL"], "HTTP/1.1");
    assert_eq!(env["REMOTE_HOST"], "127.0.0.1");
}

#[test]
fn the_environment_is_sorted_by_name_so_replays_are_byte_identical() {
    let mut request = get("/cgi-bin/app/x", "a=1");
    request.headers = vec![
        ("Zebra".into(), "1".into()),
        ("Accept".into(), "*/*".into()),
    ];
    let env = environment(&request, "/cgi-bin/app", &SERVER);
    let mut sorted = env.clone();
    sorted.sort();
    assert_eq!(env, sorted);
    assert_eq!(env, environment(&request, "/cgi-bin/app", &SERVER));
}

#[test]
fn a_post_sets_the_body_variables_from_the_body_and_its_headers() {
    let mut request = get("/cgi-bin/app", "");
    request.method = "POST".into();
    request.body = b"name=Ada".to_vec();
    request.headers = vec![
        (
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ),
        ("Content-Length".into(), "8".into()),
    ];
    let env = env_of(&request, "/cgi-bin/app");
    assert_eq!(env["REQUEST_METHOD"], "POST");
    assert_eq!(env["CONTENT_LENGTH"], "8");
    assert_eq!(env["CONTENT_TYPE"], "application/x-www-form-urlencoded");
    assert!(!env.contains_key("HTTP_CONTENT_TYPE"));
    assert!(!env.contains_key("HTTP_CONTENT_LENGTH"));
}

#[test]
fn content_length_is_set_for_an_empty_body_only_when_one_was_sent() {
    let mut request = get("/cgi-bin/app", "");
    request.method = "POST".into();
    assert!(!env_of(&request, "/cgi-bin/app").contains_key("CONTENT_LENGTH"));
    request.headers = vec![("Content-Length".into(), "0".into())];
    assert_eq!(env_of(&request, "/cgi-bin/app")["CONTENT_LENGTH"], "0");
}

#[test]
fn repeated_headers_are_joined_and_cookies_with_semicolons() {
    let mut request = get("/cgi-bin/app", "");
    request.headers = vec![
        ("Accept".into(), "text/html".into()),
        ("X-Forwarded-For".into(), "10.0.0.1".into()),
        ("accept".into(), "text/plain".into()),
        ("Cookie".into(), "a=1".into()),
        ("cookie".into(), "b=2".into()),
    ];
    let env = env_of(&request, "/cgi-bin/app");
    assert_eq!(env["HTTP_ACCEPT"], "text/html, text/plain");
    assert_eq!(env["HTTP_COOKIE"], "a=1; b=2");
    assert_eq!(env["HTTP_X_FORWARDED_FOR"], "10.0.0.1");
}

#[test]
fn credentials_proxy_and_unportable_header_names_are_withheld() {
    let mut request = get("/cgi-bin/app", "");
    request.headers = vec![
        ("Authorization".into(), "Basic dXNlcjpwYXNz".into()),
        ("Proxy-Authorization".into(), "Basic eDp5".into()),
        ("Proxy".into(), "http://evil.example:8080".into()),
        ("X_Forwarded_For".into(), "6.6.6.6".into()),
        ("X.Dotted".into(), "1".into()),
        ("X-Nul".into(), "a\0b".into()),
    ];
    let env = env_of(&request, "/cgi-bin/app");
    assert_eq!(env["AUTH_TYPE"], "Basic");
    let http: Vec<&str> = env
        .keys()
        .filter(|name| name.starts_with("HTTP_"))
        .map(String::as_str)
        .collect();
    assert!(http.is_empty(), "leaked: {http:?}");
}

#[test]
fn path_info_is_what_follows_the_script_name_decoded() {
    let info = |path: &str| {
        env_of(&get(path, ""), "/cgi-bin/app")
            .get("PATH_INFO")
            .cloned()
    };
    assert_eq!(info("/cgi-bin/app/a%20b/c"), Some("/a b/c".into()));
    assert_eq!(info("/cgi-bin/app/"), Some("/".into()));
    assert_eq!(info("/cgi-bin/app"), None);
    assert_eq!(info("/cgi-bin/%61pp/x"), Some("/x".into()));
    assert_eq!(info("/cgi-bin//app/x"), Some("/x".into()));
    assert_eq!(info("/cgi-bin/application/x"), None);
    assert_eq!(info("/elsewhere/x"), None);
    // A NUL would cut a C string short: the raw text is passed instead.
    assert_eq!(info("/cgi-bin/app/x%00.txt"), Some("/x%00.txt".into()));
}

#[test]
fn a_root_script_name_is_empty_and_the_whole_path_is_path_info() {
    let env = env_of(&get("/a/b", ""), "/");
    assert_eq!(env["SCRIPT_NAME"], "");
    assert_eq!(env["PATH_INFO"], "/a/b");
}

#[test]
fn the_query_string_and_request_uri_stay_raw() {
    let env = env_of(&get("/cgi-bin/app/a%2Fb", "q=a%20b&x"), "/cgi-bin/app");
    assert_eq!(env["QUERY_STRING"], "q=a%20b&x");
    assert_eq!(env["REQUEST_URI"], "/cgi-bin/app/a%2Fb?q=a%20b&x");
    assert_eq!(env["PATH_INFO"], "/a/b");
}

fn parse(text: &str) -> Result<HttpResponse, CgiResponseError> {
    parse_response(text.as_bytes())
}

#[test]
fn a_document_response_keeps_its_headers_in_order_and_its_body_intact() {
    let mut out =
        b"Content-Type: application/octet-stream\r\nSet-Cookie: a=1\nSet-Cookie: b=2\r\n\r\n"
            .to_vec();
    let body: Vec<u8> = (0..=255).collect();
    out.extend(&body);
    let response = parse_response(&out).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.headers,
        vec![
            (
                "Content-Type".to_string(),
                "application/octet-stream".to_string()
            ),
            ("Set-Cookie".to_string(), "a=1".to_string()),
            ("Set-Cookie".to_string(), "b=2".to_string()),
        ]
    );
    assert_eq!(response.body, body);
}

#[test]
fn status_sets_the_status_and_is_not_passed_on() {
    let response =
        parse("Status: 418 I'm a teapot\nContent-Type: text/plain\n\nshort and stout").unwrap();
    assert_eq!(response.status, 418);
    assert_eq!(response.header("status"), None);
    assert_eq!(response.body, b"short and stout");
    assert_eq!(parse("Status: 404\n\n").unwrap().status, 404);
}

#[test]
fn bad_status_values_are_rejected() {
    for value in ["abc", "99", "600", "2000", "+20", "20 OK", "200OK"] {
        assert_eq!(
            parse(&format!("Status: {value}\n\n")),
            Err(CgiResponseError::BadStatus {
                value: value.to_string()
            }),
            "{value}"
        );
    }
}

#[test]
fn a_location_alone_is_a_302_whether_a_path_or_a_url() {
    for location in ["/elsewhere?x=1", "https://example.com/"] {
        let response = parse(&format!("Location: {location}\n\n")).unwrap();
        assert_eq!(response.status, 302);
        assert_eq!(response.header("location"), Some(location));
        assert!(response.body.is_empty());
    }
    let moved = parse("Status: 301 Moved Permanently\nLocation: /new\n\n").unwrap();
    assert_eq!(moved.status, 301);
    assert_eq!(moved.header("Location"), Some("/new"));
}

#[test]
fn a_body_without_content_type_is_rejected_but_a_bodiless_status_is_not() {
    assert_eq!(
        parse("Status: 200 OK\n\nhello"),
        Err(CgiResponseError::NoContentType { body_len: 5 })
    );
    assert_eq!(
        parse("Location: https://example.com/\n\nsee there"),
        Err(CgiResponseError::NoContentType { body_len: 9 })
    );
    assert_eq!(parse("Status: 204 No Content\n\n").unwrap().status, 204);
    assert_eq!(
        parse("X-Powered-By: C\n\n"),
        Err(CgiResponseError::NoCgiHeader)
    );
}

#[test]
fn an_empty_value_counts_as_not_sent() {
    assert_eq!(
        parse("Location:\nX-A: 1\n\n"),
        Err(CgiResponseError::NoCgiHeader)
    );
    let response = parse("Content-Type: text/plain\nX-Empty:  \n\nhi").unwrap();
    assert_eq!(response.header("x-empty"), None);
}

#[test]
fn cgi_headers_must_not_repeat() {
    assert_eq!(
        parse("Content-Type: text/plain\ncontent-type: text/html\n\n"),
        Err(CgiResponseError::Repeated {
            name: "content-type".into()
        })
    );
    assert!(matches!(
        parse("Status: 200\nStatus: 404\n\n"),
        Err(CgiResponseError::Repeated { .. })
    ));
}

#[test]
fn output_without_headers_says_the_program_wrote_none() {
    assert_eq!(parse(""), Err(CgiResponseError::Empty));
    for text in [
        "hello\n",
        "hello",
        "\nhello",
        " indented: x\n\n",
        "<p>Note: no headers</p>\n",
    ] {
        assert!(
            matches!(parse(text), Err(CgiResponseError::NoHeaders { .. })),
            "{text:?}"
        );
    }
    let error = parse("hello\n").unwrap_err().to_string();
    assert!(
        error.contains("no CGI headers") && error.contains("hello"),
        "{error}"
    );
    assert!(matches!(
        parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"),
        Err(CgiResponseError::NonParsedHeaders { .. })
    ));
}

#[test]
fn headers_that_never_end_are_rejected() {
    assert!(matches!(
        parse("Content-Type: text/plain\n"),
        Err(CgiResponseError::NoBlankLine { .. })
    ));
    assert!(matches!(
        parse("Content-Type: text/plain"),
        Err(CgiResponseError::NoBlankLine { .. })
    ));
    assert_eq!(
        parse("Content-Type: text/plain\n<html>\n"),
        Err(CgiResponseError::MissingColon {
            line: 2,
            text: "<html>".into()
        })
    );
}

#[test]
fn malformed_header_lines_name_the_line() {
    assert_eq!(
        parse("Content-Type: text/plain\nBad Name: x\n\n"),
        Err(CgiResponseError::BadHeaderName {
            line: 2,
            name: "Bad Name".into()
        })
    );
    assert_eq!(
        parse("Content-Type : text/plain\n\n"),
        Err(CgiResponseError::BadHeaderName {
            line: 1,
            name: "Content-Type ".into()
        })
    );
    assert!(matches!(
        parse("Content-Type: text/plain\nX-A: 1\n  continued\n\n"),
        Err(CgiResponseError::Continuation { line: 3, .. })
    ));
    assert_eq!(
        parse("Content-Type: text/plain\nX-A: a\rb\n\n"),
        Err(CgiResponseError::BadHeaderValue {
            line: 2,
            name: "X-A".into()
        })
    );
    assert!(matches!(
        parse_response(b"Content-Type: text/plain\nX-A: caf\xe9\n\n"),
        Err(CgiResponseError::NotUtf8 { line: 2, .. })
    ));
}

#[test]
fn a_header_section_past_the_limit_is_an_error_even_when_an_empty_line_follows() {
    let mut out = b"Content-Type: text/plain\n".to_vec();
    while out.len() <= MAX_HEADER_BYTES {
        out.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    }
    out.extend_from_slice(b"\nbody");
    assert!(matches!(
        parse_response(&out),
        Err(CgiResponseError::HeadersTooLong {
            limit: MAX_HEADER_BYTES,
            ..
        })
    ));
    // One long line with no line end at all.
    let line = vec![b'a'; 200 * 1024];
    assert!(matches!(
        parse_response(&line),
        Err(CgiResponseError::HeadersTooLong { .. })
    ));
}

#[test]
fn a_large_body_after_short_headers_is_fine() {
    let mut out = b"Content-Type: text/plain\n\n".to_vec();
    out.extend(std::iter::repeat_n(b'x', 3 * MAX_HEADER_BYTES));
    assert_eq!(
        parse_response(&out).unwrap().body.len(),
        3 * MAX_HEADER_BYTES
    );
}
