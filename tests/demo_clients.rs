//! The demo project as a user runs it: `wasmfaas dev` in the repository root,
//! real S3 clients (boto3 and aws-cli, from tests/s3_clients/demo_uploads.py)
//! uploading into bucket `uploads`, and the demo `uploads` function, invoked
//! with the S3 event, summarising each object into `summaries`.
//!
//! Like tests/s3_boto3.rs it needs `WASMFAAS_PYTHON` (a venv with
//! tests/s3_clients/requirements.txt; `.ci/run` makes one), is skipped with a
//! note without it, and fails under CI without it.

mod common;

use common::dev_server::DevServer;
use std::path::Path;
use std::process::Command;

#[test]
fn real_clients_uploads_reach_the_demo_trigger_and_its_summaries() {
    let Some(python) =
        common::client_python("real_clients_uploads_reach_the_demo_trigger_and_its_summaries")
    else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // In memory: the demo's own .wasmfaas/ state is left as it was.
    let server = DevServer::start_in(root, &["--ephemeral", "--no-watch"]);
    server.wait_for_state("uploads", "ready");
    // The banner lists the trigger-only function with its subscription.
    let banner = server.stdout();
    assert!(
        banner.contains("s3://uploads ObjectCreated:*  → uploads"),
        "{banner}"
    );
    let output = Command::new(&python)
        .arg(root.join("tests/s3_clients/demo_uploads.py"))
        .env("WASMFAAS_S3_ENDPOINT", server.s3_endpoint())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.to_string_lossy()));
    let report = String::from_utf8_lossy(&output.stderr);
    eprintln!("{report}");
    // The function ran as the trigger, and said so in the console.
    server.wait_for_stdout(0, "[uploads] summarised photos/cat & dog 1.txt (400 bytes)");
    server.wait_for_stdout(0, "[uploads] summarised docs/notes.md (512 bytes)");
    let stopped = server.stop();
    assert!(output.status.success(), "demo_uploads.py failed:\n{report}");
    assert!(stopped.status.success(), "{}", stopped.stderr);
}
