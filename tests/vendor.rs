//! `[project] vendor = "aws"`: warnings for what AWS lacks or wasmfaas does
//! not emulate, and API Gateway's own answers from the gateway.

mod common;

use common::dev_server::{DevServer, TempProject};
use std::process::Command;

const ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"statusCode\":200,\"body\":\"ok\"}")
  (func (export "_start")
    (i32.store (i32.const 100) (i32.const 0))
    (i32.store (i32.const 104) (i32.const 30))
    (drop (call $fd_write (i32.const 1) (i32.const 100) (i32.const 1) (i32.const 108)))))"#;

const CONFIG: &str = r#"[project]
name = "aws-bound"
vendor = "aws"

[functions.handler]
source = "handler.wat"
abi = "lambda"
routes = ["GET /h"]
env = { AWS_REGION = "eu-west-1" }

[functions.native]
source = "handler.wat"
kv = ["SESSIONS"]
"#;

#[test]
fn every_command_warns_about_what_aws_lacks_and_quiet_silences_it() {
    let project = TempProject::new(
        "vendor-warn",
        &[("wasmfaas.toml", CONFIG), ("handler.wat", ECHO)],
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
            .args(args)
            .current_dir(project.root())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let output = run(&["invoke", "handler", "--path", "/h"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .lines()
            .last(),
        Some("ok")
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "warning: vendor `aws`: `handler`: sets `AWS_REGION`, which the Lambda runtime reserves",
        "warning: vendor `aws`: `native`: uses wasmfaas's own `http` ABI",
        "warning: vendor `aws`: `native`: uses KV namespaces (SESSIONS)",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    let quiet = run(&["--quiet", "invoke", "handler", "--path", "/h"]);
    assert!(
        !String::from_utf8_lossy(&quiet.stderr).contains("warning"),
        "{quiet:?}"
    );
}

#[test]
fn an_unrouted_request_gets_api_gateways_404() {
    let project = TempProject::new(
        "vendor-404",
        &[("wasmfaas.toml", CONFIG), ("handler.wat", ECHO)],
    );
    let server = DevServer::start(&project, &["--no-watch"]);
    let reply = server.get("/nowhere");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.text(), r#"{"message":"Not Found"}"#);
    assert_eq!(reply.header("x-wasmfaas-error"), Some("no_route"));
    let ok = server.get("/h");
    assert_eq!((ok.status, ok.text().as_str()), (200, "ok"));
    server.stop();
}
