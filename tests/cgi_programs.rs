//! The `cgi` ABI end to end with real C programs: each guest under
//! `tests/guests/cgi/` (and the demo `functions/legacy-cgi`) is compiled with
//! clang for wasm32-wasi and run in the runtime with the CGI environment as
//! its env and the body as its stdin; its stdout is parsed as a CGI response.
//! Without clang the tests are skipped outside CI (see `common::clang`).

mod common;

use common::{CONTEXT, clang};
use std::path::Path;
use wasmfaas::abi::cgi::{self, CgiResponseError, Server};
use wasmfaas::abi::http::{HttpRequest, HttpResponse};
use wasmfaas::config::Limits;
use wasmfaas::runtime::{Invocation, LoadedModule};

const SERVER: Server<'static> = Server {
    name: "localhost",
    port: 8787,
    software: "wasmfaas/test",
    remote_addr: "127.0.0.1",
    remote_port: Some(50123),
    protocol: "HTTP/1.1",
};

/// Compiles the C program at `source` (relative to the crate) and runs it
/// once on `request` as CGI program `script_name`, under the default limits.
/// `None` when clang is not available (outside CI).
fn run_c(
    test: &str,
    source: &str,
    request: &HttpRequest,
    script_name: &str,
) -> Option<Result<HttpResponse, CgiResponseError>> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(source);
    let wasm = clang::compile(test, &source)?;
    let name = source.file_stem().unwrap().to_string_lossy().into_owned();
    let module = LoadedModule::from_file(&name, &wasm).expect("a clang-built guest loads");
    // Fuel bounds these programs; the clock must not (a debug build on a
    // busy machine took over the default 3 s to print 100 KiB of headers).
    let limits = Limits {
        timeout: std::time::Duration::from_secs(900),
        ..Limits::default()
    };
    let report = module.invoke(Invocation {
        stdin: request.body.clone(),
        args: vec![name],
        env: cgi::environment(request, script_name, &SERVER),
        context: CONTEXT,
        limits: &limits,
        bindings: None,
    });
    let stdout = report.result.unwrap_or_else(|error| {
        panic!(
            "{test}: the program failed: {error}\n{}",
            String::from_utf8_lossy(&report.stderr)
        )
    });
    Some(cgi::parse_response(&stdout))
}

/// Runs guest `tests/guests/cgi/<guest>.c` as `/cgi-bin/<guest>`.
fn run_guest(
    test: &str,
    guest: &str,
    request: &HttpRequest,
) -> Option<Result<HttpResponse, CgiResponseError>> {
    run_c(
        test,
        &format!("tests/guests/cgi/{guest}.c"),
        request,
        &format!("/cgi-bin/{guest}"),
    )
}

fn request(method: &str, path: &str, query: &str) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        ..HttpRequest::default()
    }
}

#[test]
fn a_c_program_sees_exactly_the_rfc_3875_meta_variables() {
    let mut post = request("POST", "/cgi-bin/env/extra%20path/x", "b=2&a=%41");
    post.headers = [
        ("Host", "localhost:8787"),
        ("Accept", "text/html"),
        ("accept", "text/plain"),
        ("Cookie", "a=1"),
        ("Cookie", "b=2"),
        ("Authorization", "Basic dXNlcjpwYXNz"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", "11"),
        ("X_Spoofed", "1"),
        ("Proxy", "http://evil.example"),
        ("User-Agent", "Mozilla/4.0 (compatible; MSIE 6.0)"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    post.body = b"hello=world".to_vec();
    let Some(result) = run_guest(
        "a_c_program_sees_exactly_the_rfc_3875_meta_variables",
        "env",
        &post,
    ) else {
        return;
    };
    let response = result.expect("env.c writes a valid response");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/plain"));
    let body = String::from_utf8(response.body).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines,
        [
            "AUTH_TYPE=Basic",
            "CONTENT_LENGTH=11",
            "CONTENT_TYPE=application/x-www-form-urlencoded",
            "GATEWAY_INTERFACE=CGI/1.1",
            "HTTP_ACCEPT=text/html, text/plain",
            "HTTP_COOKIE=a=1; b=2",
            "HTTP_HOST=localhost:8787",
            "HTTP_USER_AGENT=Mozilla/4.0 (compatible; MSIE 6.0)",
            "PATH_INFO=/extra path/x",
            "QUERY_STRING=b=2&a=%41",
            "REMOTE_ADDR=127.0.0.1",
            "REMOTE_HOST=127.0.0.1",
            "REMOTE_PORT=50123",
            "REQUEST_METHOD=POST",
            "REQUEST_URI=/cgi-bin/env/extra%20path/x?b=2&a=%41",
            "SCRIPT_NAME=/cgi-bin/env",
            "SERVER_NAME=localhost",
            "SERVER_PORT=8787",
            "SERVER_PROTOCOL=HTTP/1.1",
            "SERVER_SOFTWARE=wasmfaas/test",
            "stdin: 11 bytes",
        ]
    );
}

#[test]
fn a_get_without_query_or_path_info_still_has_an_empty_query_string() {
    let get = request("GET", "/cgi-bin/env", "");
    let Some(result) = run_guest(
        "a_get_without_query_or_path_info_still_has_an_empty_query_string",
        "env",
        &get,
    ) else {
        return;
    };
    let body = String::from_utf8(result.unwrap().body).unwrap();
    assert!(body.lines().any(|line| line == "QUERY_STRING="), "{body}");
    for absent in [
        "PATH_INFO=",
        "CONTENT_LENGTH=",
        "CONTENT_TYPE=",
        "AUTH_TYPE=",
    ] {
        assert!(
            !body.contains(absent),
            "{absent} set for a bare GET:\n{body}"
        );
    }
}

#[test]
fn a_bare_location_is_a_302_to_that_path() {
    let local = request("GET", "/cgi-bin/redirect", "local");
    let Some(result) = run_guest("a_bare_location_is_a_302_to_that_path", "redirect", &local)
    else {
        return;
    };
    let response = result.unwrap();
    assert_eq!(response.status, 302);
    assert_eq!(response.header("location"), Some("/elsewhere"));
    assert!(response.body.is_empty());
}

#[test]
fn status_302_with_a_location_is_a_client_redirect() {
    let get = request("GET", "/cgi-bin/redirect", "");
    let Some(result) = run_guest(
        "status_302_with_a_location_is_a_client_redirect",
        "redirect",
        &get,
    ) else {
        return;
    };
    let response = result.unwrap();
    assert_eq!(response.status, 302);
    assert_eq!(
        response.headers,
        vec![(
            "Location".to_string(),
            "https://example.com/there".to_string()
        )]
    );
}

#[test]
fn the_status_header_sets_the_status_and_the_body_round_trips_every_byte() {
    let mut post = request("POST", "/cgi-bin/status", "");
    post.body = (0..=255u8).chain((0..=255u8).rev()).collect();
    let Some(result) = run_guest(
        "the_status_header_sets_the_status_and_the_body_round_trips_every_byte",
        "status",
        &post,
    ) else {
        return;
    };
    let response = result.unwrap();
    assert_eq!(response.status, 418);
    assert_eq!(
        response.headers,
        [
            ("Content-Type", "application/octet-stream"),
            ("X-Teapot", "short"),
            ("X-Teapot", "stout"),
        ]
        .map(|(name, value)| (name.to_string(), value.to_string()))
    );
    assert_eq!(response.body, post.body);
}

#[test]
fn a_program_that_writes_no_headers_gets_a_clear_error() {
    let get = request("GET", "/cgi-bin/noheaders", "");
    let Some(result) = run_guest(
        "a_program_that_writes_no_headers_gets_a_clear_error",
        "noheaders",
        &get,
    ) else {
        return;
    };
    let error = result.unwrap_err();
    assert_eq!(
        error,
        CgiResponseError::NoHeaders {
            start: "hello\n".into()
        }
    );
    assert!(error.to_string().contains("no CGI headers"), "{error}");
}

#[test]
fn binary_garbage_is_an_error_not_a_hang() {
    let get = request("GET", "/cgi-bin/garbage", "");
    let Some(result) = run_guest("binary_garbage_is_an_error_not_a_hang", "garbage", &get) else {
        return;
    };
    assert!(
        matches!(result, Err(CgiResponseError::NoHeaders { .. })),
        "{result:?}"
    );
}

#[test]
fn headers_that_never_end_stop_at_the_limit() {
    let get = request("GET", "/cgi-bin/bigheaders", "");
    let Some(result) = run_guest(
        "headers_that_never_end_stop_at_the_limit",
        "bigheaders",
        &get,
    ) else {
        return;
    };
    assert!(
        matches!(
            result,
            Err(CgiResponseError::HeadersTooLong {
                limit: cgi::MAX_HEADER_BYTES,
                ..
            })
        ),
        "{result:?}"
    );
}

/// Runs the demo program `functions/legacy-cgi/main.c` as `/cgi-bin/guestbook`.
fn legacy(test: &str, request: &HttpRequest) -> Option<HttpResponse> {
    let result = run_c(
        test,
        "functions/legacy-cgi/main.c",
        request,
        "/cgi-bin/guestbook",
    )?;
    Some(result.expect("the demo writes valid CGI responses"))
}

#[test]
fn the_legacy_demo_shows_its_form_and_the_query_escaped() {
    let get = request(
        "GET",
        "/cgi-bin/guestbook/",
        "name=Ada+Lovelace&note=%3Cb%3Ehi%3C%2Fb%3E",
    );
    let Some(response) = legacy("the_legacy_demo_shows_its_form_and_the_query_escaped", &get)
    else {
        return;
    };
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = String::from_utf8(response.body).unwrap();
    assert!(
        page.contains("<form method=\"post\" action=\"/cgi-bin/guestbook/\">"),
        "{page}"
    );
    assert!(
        page.contains("<dt>name</dt><dd>Ada Lovelace</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<dt>note</dt><dd>&lt;b&gt;hi&lt;/b&gt;</dd>"),
        "{page}"
    );
    assert!(
        !page.contains("<b>hi"),
        "the query reached the page unescaped"
    );
}

#[test]
fn the_legacy_demo_echoes_posted_fields_decoded_and_escaped() {
    let mut post = request("POST", "/cgi-bin/guestbook", "");
    post.headers = vec![(
        "Content-Type".into(),
        "application/x-www-form-urlencoded".into(),
    )];
    post.body = b"name=Grace&message=1+%26+2+%3E+0&empty=&flag".to_vec();
    let Some(response) = legacy(
        "the_legacy_demo_echoes_posted_fields_decoded_and_escaped",
        &post,
    ) else {
        return;
    };
    assert_eq!(response.status, 200);
    let page = String::from_utf8(response.body).unwrap();
    assert!(page.contains("<h1>Thank you for signing</h1>"), "{page}");
    assert!(page.contains("<dt>name</dt><dd>Grace</dd>"), "{page}");
    assert!(
        page.contains("<dt>message</dt><dd>1 &amp; 2 &gt; 0</dd>"),
        "{page}"
    );
    assert!(page.contains("<dt>empty</dt><dd></dd>"), "{page}");
    assert!(page.contains("<dt>flag</dt><dd></dd>"), "{page}");
}

#[test]
fn the_legacy_demo_answers_an_unknown_path_info_with_404() {
    let get = request("GET", "/cgi-bin/guestbook/nope%3Cx%3E", "");
    let Some(response) = legacy(
        "the_legacy_demo_answers_an_unknown_path_info_with_404",
        &get,
    ) else {
        return;
    };
    assert_eq!(response.status, 404);
    let page = String::from_utf8(response.body).unwrap();
    assert!(page.contains("nothing at /nope&lt;x&gt;."), "{page}");
}

#[test]
fn the_legacy_demo_refuses_a_post_that_is_not_a_form() {
    let mut post = request("POST", "/cgi-bin/guestbook/", "");
    post.headers = vec![("Content-Type".into(), "application/json".into())];
    post.body = b"{}".to_vec();
    let Some(response) = legacy("the_legacy_demo_refuses_a_post_that_is_not_a_form", &post) else {
        return;
    };
    assert_eq!(response.status, 415);
}
