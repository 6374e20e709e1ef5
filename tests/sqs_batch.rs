//! SQS batches through `invoke --event`: a Lambda-style handler's partial
//! batch response is read as Lambda reads it.

mod common;

use common::dev_server::TempProject;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A `lambda` guest that returns `returned` whatever the event.
fn returning(returned: &str) -> String {
    let escaped = returned.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{escaped}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        len = returned.len()
    )
}

fn wasmfaas(project: &TempProject, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_partial_batch_response_names_the_messages_to_retry() {
    let project = TempProject::new(
        "sqs-batch",
        &[("wasmfaas.toml", "[project]\nname = \"q\"\n")],
    );
    let batch = wasmfaas(
        &project,
        &[
            "event",
            "generate",
            "aws:sqs",
            "--message",
            "a",
            "--message",
            "b",
            "--seed",
            "1",
        ],
        b"",
    );
    assert!(batch.status.success(), "{batch:?}");
    let event: serde_json::Value = serde_json::from_slice(&batch.stdout).unwrap();
    let second = event["Records"][1]["messageId"]
        .as_str()
        .unwrap()
        .to_string();

    let partial = format!(r#"{{"batchItemFailures":[{{"itemIdentifier":"{second}"}}]}}"#);
    let unknown = r#"{"batchItemFailures":[{"itemIdentifier":"not-in-the-batch"}]}"#;
    project.write("partial.wat", returning(&partial));
    project.write("unknown.wat", returning(unknown));
    project.write("fine.wat", returning("{}"));
    project.write(
        "wasmfaas.toml",
        "[project]\nname = \"q\"\n\
         [functions.partial]\nsource = \"partial.wat\"\nabi = \"lambda\"\n\
         [functions.unknown]\nsource = \"unknown.wat\"\nabi = \"lambda\"\n\
         [functions.fine]\nsource = \"fine.wat\"\nabi = \"lambda\"\n",
    );
    let run = |function: &str| {
        let output = wasmfaas(
            &project,
            &["invoke", function, "--event", "-"],
            &batch.stdout,
        );
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = run("partial");
    assert!(
        stderr.contains(&format!(
            "SQS batch: 1 of 2 message(s) failed and would be retried: {second}"
        )),
        "{stderr}"
    );
    let stderr = run("unknown");
    assert!(
        stderr.contains("SQS batch: the whole batch of 2 would be retried"),
        "{stderr}"
    );
    let stderr = run("fine");
    assert!(
        stderr.contains("SQS batch: all 2 message(s) succeeded"),
        "{stderr}"
    );
}
