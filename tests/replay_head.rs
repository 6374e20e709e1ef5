//! A recorded `HEAD` request replays exactly.
//!
//! Regression: the gateway answered `HEAD` with the `GET` route (and its
//! parameters), but `replay` routed through a matcher without that rule, so a
//! recorded `HEAD /echo/:id` replayed with no route and no params: the
//! `echo` guest's `x-param-id` header said `-` instead of the id.

mod common;

use common::dev_server::{DevServer, TempProject, wait_for};
use std::path::Path;
use wasmfaas::abi::http::HttpRequest;
use wasmfaas::fixture::{Fixture, InitialState, Recorded, Trigger};
use wasmfaas::replay;
use wasmfaas::runtime::Context;

/// The built `echo` guest of `tests/guests/` (`GET /echo/:id` answers with
/// the method and the `id` parameter in headers).
fn echo_wasm() -> std::path::PathBuf {
    let project = common::guest_project();
    let function = project.function("echo").unwrap();
    wasmfaas::build::build(
        &project,
        function,
        false,
        &mut |_| {},
        &wasmfaas::build::Cancel::never(),
    )
    .expect("the echo guest builds")
    .path
}

#[test]
fn a_hand_written_head_fixture_replays_through_the_get_route_with_its_params() {
    let (project, module) = common::rust_guest("echo");
    let fixture = Fixture {
        outbound: Vec::new(),
        function: None,
        trigger: Trigger::Http(HttpRequest {
            method: "HEAD".into(),
            path: "/echo/a%20b".into(),
            ..HttpRequest::default()
        }),
        context: Context {
            start_time_ns: 1_795_516_623_000_000_000,
            seed: 7,
        },
        state: InitialState::default(),
        recorded: None,
    };
    // Unnamed: found by route, as the gateway would find it.
    let function = replay::function_of(&project, &fixture).unwrap();
    assert_eq!(function.name, "echo");
    let replayed = replay::replay(&fixture, function, &module).unwrap();
    let response = replayed.response.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-method"), Some("HEAD"));
    assert_eq!(response.header("x-param-id"), Some("a b"));
    assert!(response.body.is_empty());
}

#[test]
fn a_head_request_recorded_by_dev_replays_to_the_same_response() {
    let wasm = echo_wasm();
    let config = format!(
        "[project]\nname = \"head\"\n\n[functions.echo]\nsource = {:?}\nroutes = [\"GET /echo/:id\"]\n",
        wasm.display().to_string()
    );
    let project = TempProject::new("replay-head", &[("wasmfaas.toml", &config)]);
    let record_dir = project.path("fixtures");
    let server = DevServer::start(
        &project,
        &[
            "--ephemeral",
            "--no-watch",
            "--record",
            record_dir.to_str().unwrap(),
        ],
    );
    server.wait_for_state("echo", "ready");
    let served = server.request("HEAD", "/echo/caf%20au%20lait%2B1", &[], None);
    assert_eq!(
        served.status,
        200,
        "{}",
        server.wait_for_stdout(0, "/echo/")
    );
    assert_eq!(served.header("x-param-id"), Some("caf au lait+1"));
    let files = wait_for("the HEAD fixture", || {
        let files = wasmfaas::suite::fixture_files(&record_dir).unwrap_or_default();
        (files.len() == 1).then_some(files)
    });
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);

    let config = wasmfaas::config::Project::load(&project.path("wasmfaas.toml")).unwrap();
    let fixture = Fixture::load(&files[0]).unwrap();
    let Some(Recorded::Response {
        status,
        headers,
        body,
    }) = &fixture.recorded
    else {
        panic!("{} has no recorded response", files[0].display())
    };
    let function = replay::function_of(&config, &fixture).unwrap();
    let module = wasmfaas::runtime::LoadedModule::from_file("echo", Path::new(&wasm)).unwrap();
    let replayed = replay::replay(&fixture, function, &module).unwrap();
    let response = replayed.response.as_ref().unwrap();
    assert_eq!(
        (response.status, &response.headers, &response.body),
        (*status, headers, body)
    );
    assert_eq!(response.header("x-method"), Some("HEAD"));
    assert_eq!(response.header("x-param-id"), Some("caf au lait+1"));
    assert!(response.body.is_empty() && served.body.is_empty());
}

/// Regression: `wasmfaas invoke --method HEAD` routed without the `GET`
/// fallback, warned that no route matched and ran without params.
#[test]
fn invoke_routes_head_through_the_get_route_as_the_gateway_does() {
    let wasm = echo_wasm();
    let config = format!(
        "[project]\nname = \"head\"\n\n[functions.echo]\nsource = {:?}\nroutes = [\"GET /echo/:id\"]\n",
        wasm.display().to_string()
    );
    let project = TempProject::new("invoke-head", &[("wasmfaas.toml", &config)]);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args([
            "invoke",
            "echo",
            "--method",
            "HEAD",
            "--path",
            "/echo/a%20b",
        ])
        .current_dir(project.root())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("x-param-id: a b"), "{stdout}");
    assert!(!stderr.contains("no route"), "{stderr}");
}
