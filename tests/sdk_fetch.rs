//! The SDK's `http::fetch` end to end: a Rust guest built during the test
//! calls an upstream on 127.0.0.1 through the host's grants.

mod common;

use std::sync::Arc;
use wasmfaas::abi::http::HttpRequest;
use wasmfaas::abi::{self, Input};
use wasmfaas::bindings::Access;
use wasmfaas::config::outbound::OutboundRule;
use wasmfaas::state::State;

/// An upstream answering `pong from <path>; x-from-guest=<value>`.
fn upstream() -> (u16, Arc<tiny_http::Server>) {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let serving = Arc::clone(&server);
    std::thread::spawn(move || {
        for request in serving.incoming_requests() {
            let seen = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("x-from-guest"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let body = format!("pong from {}; x-from-guest={seen}", request.url());
            let _ = request.respond(tiny_http::Response::from_string(body).with_status_code(202));
        }
    });
    (port, server)
}

fn fetch_through_guest(url: &str, grant: &str) -> String {
    let (project, module) = common::rust_guest("fetcher");
    let mut function = project.function("fetcher").unwrap().clone();
    function.outbound = vec![OutboundRule::parse(grant).unwrap()];
    let access = Access::for_function(State::in_memory().unwrap(), &function);
    let request = HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        body: url.as_bytes().to_vec(),
        ..HttpRequest::default()
    };
    let input = Input::Http {
        request: &request,
        route: None,
    };
    let outcome = abi::call(
        &module,
        &function,
        input,
        common::CONTEXT,
        Some(Arc::new(access)),
    );
    let response = outcome.result.expect("the guest answers");
    String::from_utf8(response.body).unwrap()
}

#[test]
fn a_rust_guest_fetches_a_granted_origin_and_is_denied_another() {
    let (port, server) = upstream();
    let origin = format!("http://127.0.0.1:{port}");
    let body = fetch_through_guest(&format!("{origin}/ping"), &origin);
    assert_eq!(body, "202 pong from /ping; x-from-guest=sdk");

    let body = fetch_through_guest(&format!("{origin}/ping"), "http://127.0.0.1:9/*");
    assert!(
        body.starts_with("error DENIED: function `fetcher` may not call"),
        "{body}"
    );
    server.unblock();
}
