//! `wasmfaas test`, end to end on a temporary project with `.wat` functions:
//! the snapshot lifecycle (new → `.snap.new`, `--accept`, a change shows a
//! diff), CI mode writing nothing, redactions, the fuel tolerance, partitions,
//! and the demo project's own committed snapshots passing.

mod common;

use common::dev_server::TempProject;
use common::printing_wat;
use std::path::Path;
use std::process::{Command, Output};

/// A function answering `body` with a request-id header; `extra_work` adds
/// instructions that change its fuel but not its answer.
fn function_wat(body: &str, extra_work: u32) -> String {
    let envelope = format!(
        "{{\"status\":200,\"headers\":[[\"content-type\",\"text/plain\"],[\"x-request-id\",\"r-{extra_work}\"]]}}\n{body}"
    );
    let mut then = String::new();
    for _ in 0..extra_work {
        then.push_str("(drop (i32.add (i32.const 1) (i32.const 2)))\n");
    }
    printing_wat(1, &envelope, &then)
}

fn fixture(path: &str) -> String {
    format!(
        r#"{{"wasmfaas": "fixture/1", "time": "2026-11-24T10:37:03Z", "seed": 1,
  "http": {{"method": "GET", "path": "{path}"}}}}"#
    )
}

/// The instructions the function runs besides printing, so fuel changes
/// can be a percentage of something.
const BASE_WORK: u32 = 300;

const CONFIG: &str = "[project]\nname = \"snaps\"\n\n\
    [functions.hello]\nsource = \"hello.wat\"\nroutes = [\"GET /hello\", \"GET /hello/:n\"]\n\n\
    [test]\nredact_headers = [\"x-request-id\"]\n";

fn project() -> TempProject {
    TempProject::new(
        "snapshots",
        &[
            ("wasmfaas.toml", CONFIG),
            ("hello.wat", &function_wat("hello", BASE_WORK)),
            ("fixtures/hello/get-hello-1.json", &fixture("/hello")),
        ],
    )
}

/// Runs `wasmfaas test <args>` in `project`, with CI set or not.
fn test(project: &TempProject, args: &[&str], ci: bool) -> (Output, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmfaas"));
    command
        .arg("test")
        .args(args)
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .env_remove("CI");
    if ci {
        command.env("CI", "true");
    }
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

const SNAP: &str = "snapshots/hello__get-hello-1.snap";
const PENDING: &str = "snapshots/hello__get-hello-1.snap.new";

#[test]
fn a_snapshot_goes_from_new_to_accepted_to_changed() {
    let project = project();
    // New: fails, writes the pending file, says how to accept.
    let (output, text) = test(&project, &[], false);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("0 passed, 1 failed"), "{text}");
    assert!(
        text.contains("new outcome written to snapshots/hello__get-hello-1.snap.new"),
        "{text}"
    );
    let pending = std::fs::read_to_string(project.path(PENDING)).unwrap();
    assert!(
        pending.starts_with("---\nsource: fixtures/hello/get-hello-1.json\n"),
        "{pending}"
    );
    assert!(pending.contains("\"body\": \"hello\""), "{pending}");
    // The response header named in `[test] redact_headers` is redacted.
    assert!(
        pending.contains("[\"x-request-id\", \"[redacted]\"]"),
        "{pending}"
    );
    assert!(!project.path(SNAP).exists());
    // insta reads what `wasmfaas test` wrote, and saving it as `cargo insta
    // accept` does rewrites no byte.
    let by_insta = insta::Snapshot::from_file(&project.path(PENDING)).unwrap();
    assert_eq!(
        by_insta.metadata().source(),
        Some("fixtures/hello/get-hello-1.json")
    );
    assert_eq!(by_insta.metadata().description(), Some("GET /hello"));
    let accepted_by_insta = project.path("insta-accepted.snap");
    by_insta.save(&accepted_by_insta).unwrap();
    assert_eq!(
        std::fs::read_to_string(&accepted_by_insta).unwrap(),
        pending
    );

    // Accepted: the pending file becomes the snapshot.
    let (output, text) = test(&project, &["--accept"], false);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(!project.path(PENDING).exists());
    assert_eq!(
        std::fs::read_to_string(project.path(SNAP)).unwrap(),
        pending
    );
    let (output, text) = test(&project, &[], false);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("1 passed, 0 failed"), "{text}");

    // Changed: a diff, and the new outcome beside the old snapshot.
    project.write("hello.wat", function_wat("howdy", BASE_WORK));
    let (output, text) = test(&project, &[], false);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("-    \"body\": \"hello\""), "{text}");
    assert!(text.contains("+    \"body\": \"howdy\""), "{text}");
    assert!(text.contains("@@"), "{text}");
    assert!(project.path(PENDING).exists());
    assert_eq!(
        std::fs::read_to_string(project.path(SNAP)).unwrap(),
        pending
    );
}

#[test]
fn under_ci_nothing_is_written_and_a_missing_snapshot_fails() {
    let project = project();
    let (output, text) = test(&project, &[], true);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("nothing written"), "{text}");
    assert!(!project.path("snapshots").exists(), "CI wrote {text}");
    let (output, text) = test(&project, &["--accept"], true);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!project.path("snapshots").exists());

    test(&project, &["--accept"], false);
    project.write("hello.wat", function_wat("changed", BASE_WORK));
    let (output, text) = test(&project, &[], true);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("+    \"body\": \"changed\""), "{text}");
    assert!(!project.path(PENDING).exists(), "CI wrote the pending file");
}

#[test]
fn fuel_growth_past_the_tolerance_fails_and_within_it_passes() {
    let project = project();
    test(&project, &["--accept"], false);
    // Same answer, about 10% more instructions.
    project.write(
        "hello.wat",
        function_wat("hello", BASE_WORK + BASE_WORK / 10),
    );
    let (output, text) = test(&project, &[], false);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("fuel grew"), "{text}");
    assert!(text.contains("over the tolerance of 0%"), "{text}");

    let tolerant = format!("{CONFIG}fuel_tolerance = \"15%\"\n");
    project.write("wasmfaas.toml", tolerant);
    let (output, text) = test(&project, &[], false);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("tolerance 15%"), "{text}");

    // `--accept` takes the new figure, after which there is nothing to note.
    let (output, text) = test(&project, &["--accept"], false);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let (output, text) = test(&project, &[], false);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(!text.contains("tolerance"), "{text}");
}

#[test]
fn selector_redactions_replace_values_in_the_outcome() {
    let project = project();
    let config = format!("{CONFIG}redact = [\".response.body\", \".usage.fuel\"]\n");
    project.write("wasmfaas.toml", config);
    test(&project, &[], false);
    let pending = std::fs::read_to_string(project.path(PENDING)).unwrap();
    assert!(pending.contains("\"body\": \"[redacted]\""), "{pending}");
    assert!(pending.contains("\"fuel\": \"[redacted]\""), "{pending}");
}

#[test]
fn partitions_split_the_suite_without_overlap() {
    let project = project();
    for n in 1..=7 {
        project.write(
            &format!("fixtures/hello/get-hello-n{n}.json"),
            fixture(&format!("/hello/{n}")),
        );
    }
    let mut union = Vec::new();
    for share in ["1/3", "2/3", "3/3"] {
        let (output, text) = test(&project, &["--partition", share, "--json"], true);
        assert_eq!(output.status.code(), Some(1), "{text}");
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let cases = document["cases"].as_array().unwrap();
        assert!(!cases.is_empty(), "{share}: {text}");
        union.extend(
            cases
                .iter()
                .map(|c| c["fixture"].as_str().unwrap().to_string()),
        );
    }
    let count = union.len();
    union.sort();
    union.dedup();
    assert_eq!(union.len(), count, "a fixture ran in two partitions");
    assert_eq!(count, 8);
    let (_, text) = test(&project, &["--partition", "4/3"], true);
    assert!(text.contains("write I/N"), "{text}");
}

#[test]
fn the_demo_projects_committed_snapshots_pass() {
    // The demo's `legacy-cgi` is C: `wasmfaas test` builds it with clang.
    if !common::clang::available("the_demo_projects_committed_snapshots_pass") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = json_files(&root.join("fixtures"));
    assert!(
        fixtures > 0,
        "no fixtures under {}",
        root.join("fixtures").display()
    );
    let output = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(["--quiet", "test", "--jobs", "2"])
        .current_dir(root)
        .env("NO_COLOR", "1")
        // As in CI: compare only, never write into the repository.
        .env("CI", "true")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_demo_c_build_is_the_snapshotted_one(root);
    assert_eq!(output.status.code(), Some(0), "{text}");
    // Every committed fixture ran, not only those `wasmfaas test` found.
    let summary = format!("{fixtures} passed, 0 failed");
    assert!(text.contains(&summary), "expected `{summary}`:\n{text}");
}

/// The demo's C function burns fuel per instruction its compiler emitted, so
/// its snapshots hold only for the toolchain they were made with: name a
/// toolchain mismatch as such, rather than as a fuel regression.
fn assert_demo_c_build_is_the_snapshotted_one(root: &Path) {
    use sha2::{Digest, Sha256};
    let folder = root.join("functions/legacy-cgi");
    let built = std::fs::read(folder.join("app.wasm")).expect("wasmfaas test built app.wasm");
    let digest: String = Sha256::digest(&built)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let expected = std::fs::read_to_string(folder.join("app.wasm.sha256")).unwrap();
    let expected = expected.split_whitespace().next().unwrap_or_default();
    assert_eq!(
        digest, expected,
        "functions/legacy-cgi/app.wasm was built by another C toolchain than the one its \
         snapshots were made with (see functions/legacy-cgi/app.wasm.sha256): install the \
         packages .ci/run installs, or re-record with `wasmfaas test --accept` and update \
         that file"
    );
}

/// How many `.json` files `dir` holds, in every subfolder.
fn json_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            if path.is_dir() {
                json_files(&path)
            } else {
                usize::from(path.extension().is_some_and(|e| e == "json"))
            }
        })
        .sum()
}
