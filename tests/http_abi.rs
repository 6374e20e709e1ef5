//! The `http` ABI end to end with a Rust guest built from `tests/guests/echo`:
//! bodies round-trip byte for byte, headers keep their repeats, route parameters
//! and config env reach the guest, and limits apply before the guest runs.

mod common;

use common::{CONTEXT, rust_guest};
use wasmfaas::abi::http::{self, HttpRequest};
use wasmfaas::abi::{CallError, CallOutcome};

fn echo(request: HttpRequest) -> CallOutcome {
    let (project, module) = rust_guest("echo");
    let function = project.function("echo").unwrap();
    http::call(&module, function, &request, CONTEXT, None)
}

fn post(body: Vec<u8>) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/echo".into(),
        body,
        ..HttpRequest::default()
    }
}

#[test]
fn every_byte_value_round_trips_exactly() {
    let body: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    let outcome = echo(post(body.clone()));
    let response = outcome.result.expect("echo answers");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, body);
}

#[test]
fn a_10_mib_body_round_trips_without_inflation() {
    let body: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let outcome = echo(post(body.clone()));
    let response = outcome.result.expect("echo answers");
    assert_eq!(response.body.len(), body.len());
    assert!(response.body == body, "the 10 MiB body changed on the way");
    // Memory used is the body about three times over (stdin, request, response),
    // never a base64-inflated copy.
    assert!(outcome.usage.peak_memory_bytes < 48 * 1024 * 1024);
}

#[test]
fn headers_query_params_and_env_reach_the_guest() {
    let request = HttpRequest {
        method: "GET".into(),
        path: "/echo/a%20b".into(),
        query: "x=1&y=%20".into(),
        params: [("id".to_string(), "a b".to_string())].into(),
        headers: vec![
            ("Accept".into(), "text/html".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: Vec::new(),
        connection: None,
    };
    let response = echo(request).result.expect("echo answers");
    assert_eq!(response.header("x-method"), Some("GET"));
    assert_eq!(response.header("x-query"), Some("x=1&y=%20"));
    assert_eq!(response.header("x-param-id"), Some("a b"));
    assert_eq!(response.header("x-greeting"), Some("hi"));
    assert_eq!(
        response.header("x-accept"),
        Some("text/html|application/json")
    );
}

#[test]
fn the_function_log_is_returned_beside_the_response() {
    let outcome = echo(post(b"abc".to_vec()));
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.log_tail(1), "echo: POST /echo (3 bytes)");
}

#[test]
fn a_body_over_the_limit_is_refused_before_the_guest_runs() {
    let outcome = echo(post(vec![0; 16 * 1024 * 1024 + 1]));
    match outcome.result {
        Err(CallError::BodyTooLarge { size, limit }) => {
            assert_eq!(limit, 16 * 1024 * 1024);
            assert_eq!(size, limit + 1);
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    assert_eq!(outcome.usage.fuel, 0);
}

#[test]
fn fuel_is_the_same_on_a_cold_and_a_warm_module() {
    // Regression: wasmi charged lazy translation to the first invocation's fuel.
    let (project, module) = rust_guest("echo");
    let function = project.function("echo").unwrap();
    let fuel = || {
        http::call(&module, function, &post(b"same".to_vec()), CONTEXT, None)
            .usage
            .fuel
    };
    let cold = fuel();
    let warm = fuel();
    assert!(cold > 0);
    assert_eq!(cold, warm);
}
