//! Schedule triggers: `wasmfaas trigger` fires one now with the EventBridge
//! event, and `wasmfaas dev` fires them on time.

mod common;

use common::dev_server::{DevServer, TempProject, wait_for_within};
use std::process::{Command, Output};
use std::time::Duration;

/// An `http` guest that answers 200 with what it read on stdin (the request
/// envelope, whose body is the event) as its body.
const ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"status\":200}\n")
  (func (export "_start")
    (i32.store (i32.const 100) (i32.const 200))
    (i32.store (i32.const 104) (i32.const 8192))
    (drop (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 108)))
    (i32.store (i32.const 120) (i32.const 0))
    (i32.store (i32.const 124) (i32.const 15))
    (i32.store (i32.const 128) (i32.const 200))
    (i32.store (i32.const 132) (i32.load (i32.const 108)))
    (drop (call $fd_write (i32.const 1) (i32.const 120) (i32.const 2) (i32.const 112)))))"#;

const CONFIG: &str = r#"[project]
name = "sched"

[functions.tick]
source = "tick.wat"

[[functions.tick.triggers]]
schedule = "cron(* * * * ? *)"
name = "every-minute"

[functions.report]
source = "tick.wat"

[[functions.report.triggers]]
schedule = "rate(1 day)"

[[functions.report.triggers]]
schedule = "cron(0 12 * * ? *)"
name = "noon"
input = '{"kind": "noon report"}'

[functions.plain]
source = "tick.wat"
"#;

fn project(tag: &str) -> TempProject {
    TempProject::new(tag, &[("wasmfaas.toml", CONFIG), ("tick.wat", ECHO)])
}

fn wasmfaas(project: &TempProject, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .output()
        .expect("running wasmfaas")
}

/// The event in an echoed envelope: the JSON after the head line.
fn echoed_event(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let event = text
        .lines()
        .find(|line| line.contains("\"detail-type\"") || line.contains("\"kind\""))
        .unwrap_or_else(|| panic!("no event in {text}"));
    serde_json::from_str(event).unwrap_or_else(|e| panic!("{e}: {event}"))
}

#[test]
fn trigger_fires_a_schedule_now_with_the_eventbridge_event() {
    let project = project("trigger-now");
    // 2025-11-24T16:00:00Z
    let output = wasmfaas(
        &project,
        &[
            "trigger",
            "tick",
            "--seed",
            "1",
            "--time-ns",
            "1764000000000000000",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let event = echoed_event(&output.stdout);
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(event["source"], "aws.events");
    assert_eq!(event["time"], "2025-11-24T16:00:00Z");
    assert_eq!(
        event["resources"][0],
        "arn:aws:events:us-east-1:123456789012:rule/every-minute"
    );
    assert_eq!(event["detail"], serde_json::json!({}));
    // The id follows from the seed: the same run gives the same bytes.
    let again = wasmfaas(
        &project,
        &[
            "trigger",
            "tick",
            "--seed",
            "1",
            "--time-ns",
            "1764000000000000000",
        ],
    );
    assert_eq!(again.stdout, output.stdout);
}

#[test]
fn a_schedules_input_replaces_the_event_and_rules_are_picked_by_name() {
    let project = project("trigger-input");
    let several = wasmfaas(&project, &["trigger", "report"]);
    assert_eq!(several.status.code(), Some(2), "{several:?}");
    let message = String::from_utf8_lossy(&several.stderr);
    assert!(message.contains("`report-schedule-1`, `noon`"), "{message}");
    assert!(message.contains("--rule"), "{message}");

    let noon = wasmfaas(&project, &["trigger", "report", "--rule", "noon"]);
    assert!(noon.status.success(), "{noon:?}");
    assert_eq!(
        echoed_event(&noon.stdout),
        serde_json::json!({"kind": "noon report"})
    );

    let unknown = wasmfaas(&project, &["trigger", "report", "--rule", "midnight"]);
    assert_eq!(unknown.status.code(), Some(2));
    let none = wasmfaas(&project, &["trigger", "plain"]);
    assert_eq!(none.status.code(), Some(2));
    let message = String::from_utf8_lossy(&none.stderr);
    assert!(message.contains("has no schedule trigger"), "{message}");
}

#[test]
fn dev_fires_a_cron_schedule_at_the_next_whole_minute() {
    let project = project("dev-cron");
    let server = DevServer::start(&project, &["--no-watch"]);
    let banner = server.wait_for_stdout(0, "every minute");
    assert!(banner.contains("tick"), "{banner}");
    // `cron(* * * * ? *)` fires at the start of every minute: at most a
    // minute away.
    let fired = wait_for_within(Duration::from_secs(75), "the scheduled firing", || {
        let out = server.stdout();
        out.lines()
            .find(|line| line.contains("schedule every-minute"))
            .map(str::to_string)
    });
    assert!(fired.contains("200"), "{fired}");
    assert!(fired.contains("tick"), "{fired}");
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
