//! S3 event triggers: delivery of the AWS event to subscribed functions, and
//! the end of a function that keeps writing to the bucket that triggers it.

mod common;

use common::wat;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use wasmfaas::activity::{Activity, ActivitySink};
use wasmfaas::bindings::ObjectChange;
use wasmfaas::config::Project;
use wasmfaas::deployment::{Deployed, Deployment, Live};
use wasmfaas::pipeline::Pipeline;
use wasmfaas::record::Recorder;
use wasmfaas::state::{PutOptions, State};
use wasmfaas::triggers::{self, EventSink, MAX_DEPTH};

/// A guest that copies the event it receives (stdin, after the envelope head)
/// into bucket `loop` under key `k`, then answers 200: with a trigger on
/// `loop`, every run causes the next.
const LOOPER: &str = r#"(module
  (import "wasmfaas" "s3_put" (func $s3_put (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "loop")
  (data (i32.const 24) "k")
  (data (i32.const 32) "{}\n")
  (func (export "_start")
    ;; read stdin (up to 60 KiB) to 4096
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 61440))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $s3_put (i32.const 16) (i32.const 4) (i32.const 24) (i32.const 1)
      (i32.const 4096) (i32.load (i32.const 8))
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

#[test]
fn events_reach_subscribers_and_a_recursive_loop_is_stopped() {
    let dir = std::env::temp_dir().join(format!("wasmfaas-triggers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("looper.wat"), LOOPER).unwrap();
    let config = "[project]\nname = \"t\"\n[functions.looper]\nsource = \"looper.wat\"\n\
                  s3 = [\"loop\"]\n[[functions.looper.triggers]]\n\
                  s3 = { bucket = \"loop\", events = [\"ObjectCreated:*\"] }\n";
    let project = Arc::new(Project::parse(config, &dir.join("wasmfaas.toml")).unwrap());
    let state = State::in_memory().unwrap();
    state.ensure_bucket("loop", 0).unwrap();
    let function = project.functions["looper"].clone();
    let module = Arc::new(wat("looper", LOOPER));
    let deployed = Deployed::ready(function, module, &state);
    let live = Arc::new(Live::new(Deployment::new(
        project,
        BTreeMap::from([("looper".to_string(), Arc::new(deployed))]),
        state.clone(),
    )));
    let (activity, feed) = ActivitySink::bounded(1024);
    let events = triggers::spawn(
        live,
        Pipeline::new(Recorder::off(), activity, EventSink::discard()),
    );

    let first = state
        .put_object("loop", "start 1.txt", b"go", &PutOptions::default(), 7)
        .unwrap();
    events.submit(&[ObjectChange {
        event_name: "ObjectCreated:Put",
        object: first,
        at_ns: 7,
    }]);
    let mut deliveries = 0;
    let stopped = loop {
        match feed
            .receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("activity")
        {
            Activity::Request(record) => {
                assert_eq!(record.status, 200, "{record:?}");
                assert_eq!(record.function.as_deref(), Some("looper"));
                deliveries += 1;
            }
            Activity::Notice { message } => break message,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(deliveries, MAX_DEPTH - 1);
    assert!(
        stopped.contains("recursive loop") && stopped.contains("looper"),
        "{stopped}"
    );
    // The first delivery carried the AWS event for the object that started it.
    let (_, body) = state.get_object("loop", "k", None).unwrap();
    let envelope = String::from_utf8(body).unwrap();
    let event: serde_json::Value =
        serde_json::from_str(envelope.split_once('\n').unwrap().1).unwrap();
    let record = &event["Records"][0];
    assert_eq!(record["eventName"], "ObjectCreated:Put");
    assert_eq!(record["s3"]["bucket"]["name"], "loop");
    // Later deliveries are about `k`, which each run rewrote.
    assert_eq!(record["s3"]["object"]["key"], "k");
    let _ = std::fs::remove_dir_all(&dir);
}
