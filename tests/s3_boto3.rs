//! The S3 endpoint against a real client: tests/s3_clients/test_boto3.py,
//! run with the python in `WASMFAAS_PYTHON` (a venv with
//! tests/s3_clients/requirements.txt installed; `.ci/run` makes one).
//! Without it the test is skipped with a note, except under CI, where a
//! missing client is a failure: a skipped real-client test proves nothing.

mod common;

use std::process::Command;
use std::time::Duration;
use wasmfaas::activity::ActivitySink;
use wasmfaas::config::Credential;
use wasmfaas::s3endpoint::S3Server;
use wasmfaas::state::State;
use wasmfaas::triggers::EventSink;

/// The AWS documentation's example pair, test_boto3.py's default.
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn boto3_passes_its_test_suite_against_the_endpoint() {
    let Some(python) = common::client_python("boto3_passes_its_test_suite_against_the_endpoint")
    else {
        return;
    };
    // Signed requests are verified: credentials are configured.
    let server = S3Server::bind("127.0.0.1", 0).unwrap();
    let endpoint = format!("http://{}", server.address());
    let (activity, _feed) = ActivitySink::bounded(1024);
    let running = server.serve(
        State::in_memory().unwrap(),
        vec![Credential {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET.into(),
        }],
        activity,
        EventSink::discard(),
        4,
    );
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/s3_clients/test_boto3.py"
    );
    let output = Command::new(&python)
        .arg(script)
        .env("WASMFAAS_S3_ENDPOINT", &endpoint)
        .env("WASMFAAS_S3_ACCESS_KEY", ACCESS_KEY)
        .env("WASMFAAS_S3_SECRET_KEY", SECRET)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.to_string_lossy()));
    running.shutdown(Duration::from_secs(5));
    let report = String::from_utf8_lossy(&output.stderr);
    eprintln!("{report}");
    assert!(output.status.success(), "test_boto3.py failed:\n{report}");
}
