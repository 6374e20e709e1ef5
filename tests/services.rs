//! Service calls: a function calls another of the project in-process
//! (`services = [...]`, `service://NAME/path`), through the callee's own
//! ABI and routes; the console shows each call; ungranted calls and loops
//! are refused with a clear message.

mod common;

use common::dev_server::{DevServer, TempProject};

/// As in tests/outbound.rs: a CGI program that sends its request body as
/// an `http_fetch` envelope and answers the result (502 with the message
/// when the call failed).
const PROXY: &str = r#"(module
  (import "wasmfaas" "http_fetch" (func $fetch (param i32 i32) (result i64)))
  (import "wasmfaas" "result_read" (func $read (param i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 16) "Content-Type: text/plain\n\n")
  (data (i32.const 100) "Status: 502 Bad Gateway\nContent-Type: text/plain\n\n")
  (func $out (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (local $n i64)
    (i32.store (i32.const 0) (i32.const 8192))
    (i32.store (i32.const 4) (i32.const 57344))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $n (call $fetch (i32.const 8192) (i32.load (i32.const 8))))
    (if (i64.lt_s (local.get $n) (i64.const 0))
      (then (call $out (i32.const 100) (i32.const 50)))
      (else (call $out (i32.const 16) (i32.const 26))))
    (call $out (i32.const 65536)
      (i32.wrap_i64 (call $read (i32.const 65536) (i32.const 131072))))))"#;

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
