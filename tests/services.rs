//! Service calls: a function calls another of the project in-process
//! (`services = [...]`, `service://NAME/path`), through the callee's own
//! ABI and routes; the console shows each call; ungranted calls and loops
//! are refused with a clear message.

mod common;

use common::dev_server::{DevServer, TempProject};

/// As in tests/outbound.rs: a CGI program that sends its request body as
/// an `http_fetch` envelope and answers the result (502 with the message
/// when the call failed).
const PROXY: &str = include_str!("guests/fetch_proxy.wat");

const CONFIG: &str = r#"[project]
name = "shop"

[functions.checkout]
source = "proxy.wat"
abi = "cgi"
routes = ["POST /checkout"]
services = ["pricing", "checkout"]

[functions.pricing]
source = "pricing.wat"
routes = ["GET /quote"]
"#;

fn project() -> TempProject {
    let pricing = common::printing_wat(1, "{\"status\":200}\nprice 42", "");
    TempProject::new(
        "services",
        &[
            ("wasmfaas.toml", CONFIG),
            ("proxy.wat", PROXY),
            ("pricing.wat", &pricing),
        ],
    )
}

fn call(server: &DevServer, url: &str) -> (u16, String) {
    let reply = server.post("/checkout", format!("{{\"url\":\"{url}\"}}\n").as_bytes());
    (reply.status, reply.text())
}

#[test]
fn a_function_calls_a_granted_service_through_its_route() {
    let project = project();
    let server = DevServer::start(&project, &["--ephemeral", "--no-watch"]);
    let (status, body) = call(&server, "service://pricing/quote");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"status\":200") && body.contains("price 42"),
        "{body}"
    );
    // The callee's own line names the call.
    server.wait_for_stdout(0, "checkout → pricing /quote");
    server.stop();
}

#[test]
fn ungranted_services_and_loops_are_refused() {
    let project = project();
    let server = DevServer::start(&project, &["--ephemeral", "--no-watch"]);
    let (status, body) = call(&server, "service://billing/x");
    assert_eq!(status, 502);
    assert!(
        body.contains("may not call the service `billing`") && body.contains("services = [...]"),
        "{body}"
    );
    let (status, body) = call(&server, "service://checkout/checkout");
    assert_eq!(status, 502);
    assert!(
        body.contains("service calls loop: checkout → checkout"),
        "{body}"
    );
    server.stop();
}
