//! S3 event deliveries survive a crash: a PUT answered 200 has its event in
//! the outbox (same transaction as the object), so a `kill -9` before the
//! triggered function ran loses nothing; the next `wasmfaas dev` delivers it.
//!
//! The bug this pins: pending deliveries lived only in an in-memory queue,
//! so a server killed after acknowledging a PUT never ran its trigger.

mod common;

use common::dev_server::{DevServer, TempProject, agent, send, wait_for};
use wasmfaas::state::State;

/// Spins until its (huge) limits stop it: in the first run, the triggered
/// function is still running when the server is killed.
const SLOW: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start") (loop (br 0))))"#;

/// Writes `done` to `summaries/summary`, then answers 200.
const SUMMARIZER: &str = r#"(module
  (import "wasmfaas" "s3_put" (func $s3_put (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "summaries")
  (data (i32.const 32) "summary")
  (data (i32.const 48) "done")
  (data (i32.const 64) "{}\n")
  (func (export "_start")
    (drop (call $s3_put (i32.const 16) (i32.const 9) (i32.const 32) (i32.const 7)
      (i32.const 48) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

const CONFIG: &str = "[project]\nname = \"outbox\"\n\n[s3.inbox]\n[s3.summaries]\n\n\
    [functions.summarize]\nsource = \"summarize.wat\"\ns3 = [\"summaries\"]\n\
    limits = { fuel = 1000000000000000, timeout_ms = 900000 }\n\
    [[functions.summarize.triggers]]\ns3 = { bucket = \"inbox\", events = [\"ObjectCreated:*\"] }\n";

#[test]
fn an_event_pending_when_the_server_is_killed_is_delivered_after_a_restart() {
    let project = TempProject::new(
        "outbox",
        &[("wasmfaas.toml", CONFIG), ("summarize.wat", SLOW)],
    );
    let state_dir = project.path("state");
    let state_arg = state_dir.display().to_string();
    let args = ["--no-watch", "--state", &state_arg];

    let server = DevServer::start(&project, &args);
    let endpoint = server.s3_endpoint();
    let client = agent();
    let put = send(
        &client,
        "PUT",
        &format!("{endpoint}/inbox/report.csv"),
        &[],
        Some(b"a,b\n"),
    );
    assert_eq!(put.unwrap().status, 200);
    // SAFETY: `kill` has no memory-safety preconditions.
    unsafe {
        libc::kill(server.pid() as libc::pid_t, libc::SIGKILL);
    }
    drop(server);

    // The acknowledged write's event is on record.
    {
        let state = State::open(&state_dir).expect("the state opens after a crash");
        let pending = state.pending_events(10).unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0].event_name, "ObjectCreated:Put");
        assert_eq!(pending[0].object.bucket, "inbox");
        assert_eq!(pending[0].object.key, "report.csv");
    }

    // Fixed and restarted: the event is delivered without a new write.
    project.write("summarize.wat", SUMMARIZER);
    let server = DevServer::start(&project, &args);
    let endpoint = server.s3_endpoint();
    let summary = wait_for("the summary written by the delivered event", || {
        let got = send(
            &client,
            "GET",
            &format!("{endpoint}/summaries/summary"),
            &[],
            None,
        )
        .ok()?;
        (got.status == 200).then(|| got.text())
    });
    assert_eq!(summary, "done");
    server.wait_for_stdout(0, "ObjectCreated:Put s3://inbox/report.csv");
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let state = State::open(&state_dir).unwrap();
    assert_eq!(state.pending_events(10).unwrap(), vec![]);
}
