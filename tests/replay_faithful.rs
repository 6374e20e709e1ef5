//! A replay that answers differently from its recording is not faithful, and
//! the commands say so: `replay` exits 1 naming the difference, and
//! `test --accept` warns that it accepted an outcome unlike the recording.

mod common;

use common::dev_server::TempProject;
use common::text;
use std::process::Output;

/// Answers `200` with the body `now` (an `http` ABI envelope).
fn guest() -> String {
    common::printing_wat(1, "{\"status\":200}\nnow", "")
}

const CONFIG: &str = "[project]\nname = \"faithful\"\n\n[functions.answer]\nsource = \"answer.wat\"\n\
                      routes = [\"GET /answer\"]\n";

/// A recording of `GET /answer` whose response body was `body`.
fn fixture(body: &str) -> String {
    format!(
        r#"{{
  "wasmfaas": "fixture/1",
  "function": "answer",
  "time": "2026-11-24T12:00:00Z",
  "seed": 7,
  "http": {{ "method": "GET", "path": "/answer", "headers": [["Host", "localhost"]] }},
  "recorded": {{ "status": 200, "headers": [], "body": "{body}" }}
}}"#
    )
}

fn project(recorded_body: &str) -> TempProject {
    TempProject::new(
        "faithful",
        &[
            ("wasmfaas.toml", CONFIG),
            ("answer.wat", &guest()),
            ("fixtures/answer/get-answer-1.json", &fixture(recorded_body)),
        ],
    )
}

fn wasmfaas(project: &TempProject, args: &[&str]) -> Output {
    common::wasmfaas_in(project.root(), args)
}

#[test]
fn replay_exits_0_when_the_replay_matches_its_recording() {
    let project = project("now");
    let output = wasmfaas(&project, &["replay", "fixtures"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("= same response as recorded"));
}

#[test]
fn replay_exits_1_and_names_the_difference_when_a_replay_differs() {
    let project = project("then");
    let output = wasmfaas(&project, &["replay", "fixtures"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("≠ differs from the recorded response: the response body differs"),
        "{stdout}"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("1 of 1 replay(s) answered differently from their recording"),
        "{stderr}"
    );
    assert!(stderr.contains("get-answer-1.json"), "{stderr}");

    // --json says it per fixture and fails the same way.
    let output = wasmfaas(&project, &["replay", "--json", "fixtures"]);
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["same_as_recorded"], false, "{document:#}");
}

#[test]
fn test_accept_warns_when_it_accepts_an_outcome_unlike_the_recording() {
    let unfaithful = project("then");
    let output = wasmfaas(&unfaithful, &["test", "--accept"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("warning: accepted an outcome unlike the fixture's recording"),
        "{stdout}"
    );
    // A faithful fixture is accepted without a warning.
    let faithful = project("now");
    let output = wasmfaas(&faithful, &["test", "--accept"]);
    assert!(output.status.success());
    assert!(!text(&output.stdout).contains("unlike the fixture's recording"));
}
