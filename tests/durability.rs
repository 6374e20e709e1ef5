//! Storage survives a crash: `wasmfaas dev` killed with SIGKILL in the middle
//! of many concurrent writes loses no write it acknowledged, and the state
//! opens cleanly afterwards.

mod common;

use common::dev_server::{DevServer, TempProject, agent, send};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use wasmfaas::state::State;

/// Stores the request body's last 16 bytes under themselves as the key in KV
/// namespace `D`, then answers 200 (or 500 if the write failed).
const WRITER: &str = r#"(module
  (import "wasmfaas" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i64) (result i64)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "D")
  (data (i32.const 32) "{}\n")
  (data (i32.const 48) "{\"status\":500}\n")
  (func (export "_start") (local $key i32)
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 61440))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $key (i32.add (i32.const 4080) (i32.load (i32.const 8))))
    (i32.store (i32.const 0) (i32.const 32))
    (i32.store (i32.const 4) (i32.const 3))
    (if (i64.lt_s (call $kv_put (i32.const 16) (i32.const 1) (local.get $key) (i32.const 16)
                    (local.get $key) (i32.const 16) (i32.const 0) (i32.const 0)
                    (i64.const 0) (i64.const 0))
                  (i64.const 0))
      (then (i32.store (i32.const 0) (i32.const 48))
            (i32.store (i32.const 4) (i32.const 15))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

#[test]
fn a_killed_server_keeps_every_acknowledged_write() {
    let config = "[project]\nname = \"durable\"\n\n[functions.writer]\nsource = \"writer.wat\"\n\
                  routes = [\"POST /write\"]\nkv = [\"D\"]\n";
    let project = TempProject::new(
        "durable",
        &[("wasmfaas.toml", config), ("writer.wat", WRITER)],
    );
    let state_dir = project.path("state");
    let state_arg = state_dir.display().to_string();
    let server = DevServer::start(&project, &["--no-watch", "--state", &state_arg]);
    let url = server.url("/write");

    let acknowledged = Mutex::new(BTreeSet::new());
    let killed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (acknowledged, killed, url) = (&acknowledged, &killed, &url);
            scope.spawn(move || {
                let client = agent();
                for n in 0..10_000 {
                    if killed.load(Ordering::SeqCst) {
                        return;
                    }
                    // 16 bytes: the guest takes the last 16 bytes of the body as the key.
                    let key = format!("t{thread:02}-{n:012}");
                    match send(&client, "POST", url, &[], Some(key.as_bytes())) {
                        Ok(reply) if reply.status == 200 => {
                            acknowledged.lock().unwrap().insert(key);
                        }
                        Ok(reply) => {
                            panic!("write {key} failed: {} {}", reply.status, reply.text())
                        }
                        // The server died under this request: not acknowledged.
                        Err(_) => return,
                    }
                }
            });
        }
        // Kill once hundreds of writes are acknowledged, with more in flight.
        common::dev_server::wait_for("300 acknowledged writes", || {
            (acknowledged.lock().unwrap().len() >= 300).then_some(())
        });
        // SAFETY: `kill` has no memory-safety preconditions.
        unsafe {
            libc::kill(server.pid() as libc::pid_t, libc::SIGKILL);
        }
        killed.store(true, Ordering::SeqCst);
    });
    drop(server);

    let acknowledged = acknowledged.into_inner().unwrap();
    let state = State::open(&state_dir).expect("the state opens after a crash");
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|key| {
            state
                .kv_get("D", key, 0)
                .expect("readable")
                .is_none_or(|entry| entry.value != key.as_bytes())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost, e.g. {:?}",
        missing.len(),
        acknowledged.len(),
        missing.first()
    );
}
