//! The one invocation pipeline: a run records its fixture, reports its log
//! line and hands on the objects it changed, whoever the caller is; the
//! offline pipeline of one-off commands does none of that.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmfaas::abi::Input;
use wasmfaas::activity::{Activity, ActivitySink, RequestRecord};
use wasmfaas::config::Project;
use wasmfaas::deployment::{Deployed, Deployment};
use wasmfaas::pipeline::{Answer, Call, Line, Pipeline};
use wasmfaas::record::Recorder;
use wasmfaas::state::State;
use wasmfaas::triggers::EventSink;

/// Reads its stdin, stores it as s3://out/k, answers `{}`.
const WRITER: &str = r#"(module
  (import "wasmfaas" "s3_put" (func $s3_put (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "out")
  (data (i32.const 24) "k")
  (data (i32.const 32) "{}\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 61440))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $s3_put (i32.const 16) (i32.const 3) (i32.const 24) (i32.const 1)
      (i32.const 4096) (i32.load (i32.const 8))
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

struct Setup {
    dir: std::path::PathBuf,
    deployment: Deployment,
}

fn setup(name: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!("wasmfaas-pipeline-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("writer.wat"), WRITER).unwrap();
    let config = "[project]\nname = \"t\"\n[functions.writer]\nsource = \"writer.wat\"\n\
                  s3 = [\"out\"]\n";
    let project = Project::parse(config, &dir.join("wasmfaas.toml")).unwrap();
    let state = State::in_memory().unwrap();
    state.ensure_bucket("out", 0).unwrap();
    let function = project.functions["writer"].clone();
    let module = Arc::new(common::wat("writer", WRITER));
    let deployed = Arc::new(Deployed::ready(function, module, &state));
    let functions = BTreeMap::from([("writer".to_string(), deployed)]);
    let deployment = Deployment::new(Arc::new(project), functions, state);
    Setup { dir, deployment }
}

fn event_call<'a>(deployment: &'a Deployment, payload: &'a serde_json::Value) -> Call<'a> {
    let deployed = &deployment.functions["writer"];
    let module = deployed.module.as_deref().unwrap();
    let input = Input::Event {
        source: "schedule",
        payload,
    };
    let line = Line::starting("EVENT", "schedule nightly rate(1 day)");
    Call::of_deployed(deployment, deployed, module, input, common::CONTEXT, line)
}

fn request_lines(feed: &std::sync::mpsc::Receiver<Activity>) -> Vec<RequestRecord> {
    feed.try_iter()
        .filter_map(|activity| match activity {
            Activity::Request(record) => Some(record),
            _ => None,
        })
        .collect()
}

#[test]
fn a_run_is_recorded_reported_and_its_writes_handed_on() {
    let Setup { dir, deployment } = setup("all");
    let (activity, feed) = ActivitySink::bounded(64);
    let fixtures = dir.join("fixtures");
    let recorder = Recorder::spawn(fixtures.clone(), dir.clone(), Vec::new(), activity.clone())
        .expect("the recorder starts");
    let (events, changes) = EventSink::capture();
    let pipeline = Pipeline::new(recorder, activity, events);

    let payload = serde_json::json!({ "order": 7 });
    let outcome = pipeline.run(event_call(&deployment, &payload));
    assert_eq!(outcome.result.as_ref().map(|r| r.status).ok(), Some(200));

    // The log line names the call as the caller described it.
    let lines = request_lines(&feed.receiver);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(
        (line.method.as_str(), line.target.as_str(), line.status),
        ("EVENT", "schedule nightly rate(1 day)", 200)
    );
    assert_eq!(line.function.as_deref(), Some("writer"));
    assert_eq!(line.usage.map(|u| u.fuel), Some(outcome.usage.fuel));
    assert!(line.error.is_none());

    // The object it wrote went to the trigger dispatcher.
    let change = changes.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(
        (change.object.bucket.as_str(), change.object.key.as_str()),
        ("out", "k")
    );

    // And the invocation became a fixture holding the event it got.
    let deadline = Instant::now() + Duration::from_secs(60);
    let fixture = loop {
        let written = std::fs::read_dir(fixtures.join("writer"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|e| e == "json"));
        if let Some(path) = written {
            break std::fs::read_to_string(path).unwrap();
        }
        assert!(Instant::now() < deadline, "no fixture was written");
        std::thread::sleep(Duration::from_millis(20));
    };
    let fixture: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    assert_eq!(fixture["function"], "writer");
    assert_eq!(fixture["event"]["trigger"], "schedule", "{fixture:#}");
    assert_eq!(fixture["event"]["payload"]["order"], 7, "{fixture:#}");
    assert_eq!(fixture["recorded"]["status"], 200, "{fixture:#}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_callers_answer_is_what_the_line_shows() {
    let Setup { dir, deployment } = setup("answer");
    let (activity, feed) = ActivitySink::bounded(64);
    let pipeline = Pipeline::new(Recorder::off(), activity, EventSink::discard());
    let payload = serde_json::json!({});
    let outcome = pipeline.run_answering(event_call(&deployment, &payload), |outcome| {
        assert!(outcome.result.is_ok(), "the caller sees the outcome first");
        Answer {
            status: 502,
            problem: Some("could not send the response".into()),
        }
    });
    // The function's own response is untouched; the line says what the
    // client got.
    assert_eq!(outcome.result.as_ref().map(|r| r.status).ok(), Some(200));
    let lines = request_lines(&feed.receiver);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].status, 502);
    assert_eq!(
        lines[0].error.as_deref(),
        Some("could not send the response")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_offline_pipeline_runs_the_same_function_and_reports_nothing() {
    let Setup { dir, deployment } = setup("offline");
    let payload = serde_json::json!({ "order": 7 });
    let offline = Pipeline::offline().run(event_call(&deployment, &payload));
    let (activity, feed) = ActivitySink::bounded(64);
    let live = Pipeline::new(Recorder::off(), activity, EventSink::discard())
        .run(event_call(&deployment, &payload));
    // Same guest, same context: the same work, byte for byte.
    assert_eq!(offline.usage.fuel, live.usage.fuel);
    assert_eq!(
        offline.result.as_ref().map(|r| r.body.clone()).ok(),
        live.result.as_ref().map(|r| r.body.clone()).ok()
    );
    assert_eq!(offline.changes.len(), 1, "the write still happened");
    assert_eq!(request_lines(&feed.receiver).len(), 1);
    let _ = std::fs::remove_dir_all(dir);
}
