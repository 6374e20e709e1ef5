//! A function that writes k objects into the bucket that triggers it: each
//! event causes k more, so before the per-event budget a chain of 16 rounds
//! could queue on the order of k^15 invocations. Now one event and all it
//! causes run at most `MAX_INVOCATIONS_PER_EVENT` invocations, and the
//! console says once which function loops on which bucket.

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
use wasmfaas::triggers::{self, EventSink, MAX_INVOCATIONS_PER_EVENT};

/// Writes objects `a` and `b` into bucket `fan`, then answers 200.
const DOUBLER: &str = r#"(module
  (import "wasmfaas" "s3_put" (func $s3_put (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "fan")
  (data (i32.const 24) "ab")
  (data (i32.const 32) "{}\n")
  (func $put (param $key i32)
    (drop (call $s3_put (i32.const 16) (i32.const 3) (local.get $key) (i32.const 1)
      (i32.const 24) (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
  (func (export "_start")
    (call $put (i32.const 24))
    (call $put (i32.const 25))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// What a chain started by one PUT did: invocations, console notices, and
/// the events left in the outbox afterwards. `extra` is appended to the config.
fn run_chain(tag: &str, extra: &str) -> (u32, Vec<String>, usize) {
    let dir = std::env::temp_dir().join(format!("wasmfaas-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("doubler.wat"), DOUBLER).unwrap();
    let config = format!(
        "[project]\nname = \"t\"\n[functions.doubler]\nsource = \"doubler.wat\"\n\
         s3 = [\"fan\"]\n[[functions.doubler.triggers]]\n\
         s3 = {{ bucket = \"fan\", events = [\"ObjectCreated:*\"] }}\n{extra}"
    );
    let project = Arc::new(Project::parse(&config, &dir.join("wasmfaas.toml")).unwrap());
    let state = State::in_memory().unwrap();
    state.ensure_bucket("fan", 0).unwrap();
    let function = project.functions["doubler"].clone();
    let deployed = Deployed::ready(function, Arc::new(wat("doubler", DOUBLER)), &state);
    let live = Arc::new(Live::new(Deployment::new(
        project,
        BTreeMap::from([("doubler".to_string(), Arc::new(deployed))]),
        state.clone(),
    )));
    let (activity, feed) = ActivitySink::bounded(4096);
    let events = triggers::spawn(
        live,
        Pipeline::new(Recorder::off(), activity, EventSink::discard()),
    );

    let first = state
        .put_object("fan", "go", b"go", &PutOptions::default(), 7)
        .unwrap();
    events.submit(&[ObjectChange {
        event_name: "ObjectCreated:Put",
        object: first,
        at_ns: 7,
    }]);
    let mut invocations = 0;
    let mut notices = Vec::new();
    // Everything the chain does arrives well within this; a quiet spell of
    // several poll intervals means the dispatcher has nothing left to do.
    while let Ok(activity) = feed.receiver.recv_timeout(Duration::from_secs(5)) {
        match activity {
            Activity::Request(record) => {
                assert_eq!(record.status, 200, "{record:?}");
                invocations += 1;
            }
            Activity::Notice { message } => notices.push(message),
            other => panic!("unexpected {other:?}"),
        }
    }
    let left = state.pending_events(1000).unwrap().len();
    drop(events);
    let _ = std::fs::remove_dir_all(&dir);
    (invocations, notices, left)
}

#[test]
fn a_function_writing_two_objects_into_its_own_trigger_bucket_runs_a_bounded_number_of_times() {
    let (invocations, notices, left) = run_chain("budget", "");
    assert_eq!(invocations, MAX_INVOCATIONS_PER_EVENT);
    assert_eq!(
        notices.len(),
        1,
        "one line for the whole loop: {notices:#?}"
    );
    let line = &notices[0];
    assert!(
        line.contains("`doubler`") && line.contains("s3://fan"),
        "the line names the function and the bucket: {line}"
    );
    // The dropped events are gone from the outbox, not left for a restart.
    assert_eq!(left, 0);
}

#[test]
fn the_budget_per_event_is_set_in_wasmfaas_toml() {
    let (invocations, notices, _) =
        run_chain("budget-set", "[triggers]\nmax_invocations_per_event = 7\n");
    assert_eq!(invocations, 7);
    assert!(
        notices[0].contains("max_invocations_per_event"),
        "{notices:?}"
    );
}

#[test]
fn a_budget_of_zero_is_a_config_error_naming_the_key() {
    let config = "[project]\nname = \"t\"\n[triggers]\nmax_invocations_per_event = 0\n";
    let error = Project::parse(config, std::path::Path::new("wasmfaas.toml")).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("triggers.max_invocations_per_event")
            && message.contains("greater than 0"),
        "{message}"
    );
}
