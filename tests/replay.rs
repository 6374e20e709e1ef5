//! Hermetic replay: byte-identical outcomes run after run, in-process and
//! across a debug and a release build of wasmfaas; record → replay round
//! trips through `wasmfaas dev --record` for HTTP and S3-event invocations.

mod common;

use common::dev_server::{DevServer, wait_for};
use common::rust_guest;
use std::path::{Path, PathBuf};
use std::process::Command;
use wasmfaas::abi::http::HttpRequest;
use wasmfaas::fixture::{Fixture, InitialState, Recorded, Trigger};
use wasmfaas::replay;
use wasmfaas::runtime::Context;

/// A fixture of the `entropy` guest, which answers with what it sees of the
/// clock, a `HashMap`'s order, `RandomState` hashes and random bytes.
fn probe_fixture() -> Fixture {
    Fixture {
        outbound: Vec::new(),
        function: Some("entropy".into()),
        trigger: Trigger::Http(HttpRequest {
            method: "POST".into(),
            path: "/entropy".into(),
            body: b"input".to_vec(),
            ..HttpRequest::default()
        }),
        context: Context {
            start_time_ns: 1_795_516_623_123_456_789,
            seed: 0x5eed,
        },
        state: InitialState::default(),
        recorded: None,
    }
}

#[test]
fn a_fixture_replayed_1000_times_gives_byte_identical_outcomes() {
    let (project, module) = rust_guest("entropy");
    let fixture = probe_fixture();
    let function = replay::function_of(&project, &fixture).unwrap();
    let first = replay::replay(&fixture, function, &module).unwrap();
    let text = wasmfaas::json_text::pretty(&first.document());
    // The guest really saw the fixture's clock and seed-driven hashing.
    // The virtual clock starts at the fixture's time and advances with fuel.
    assert!(text.contains("realtime_ns 17955166231234"), "{text}");
    assert!(text.contains("hashmap_order "), "{text}");
    for run in 1..1000 {
        let again = replay::replay(&fixture, function, &module).unwrap();
        assert_eq!(
            wasmfaas::json_text::pretty(&again.document()),
            text,
            "run {run} differs"
        );
    }
    // A different seed is a different outcome: the seed is really used.
    let mut reseeded = fixture.clone();
    reseeded.context.seed += 1;
    let other = replay::replay(&reseeded, function, &module).unwrap();
    assert_ne!(wasmfaas::json_text::pretty(&other.document()), text);
}

/// `wasmfaas replay --json` of `fixture` by the binary at `exe`.
fn replay_json(exe: &Path, fixture: &Path) -> String {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/wasmfaas.toml");
    let output = Command::new(exe)
        .args(["--quiet", "--config"])
        .arg(&config)
        .args(["replay", "--json"])
        .arg(fixture)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The release binary beside the debug one, if it was built (`.ci/run`
/// builds it; under CI it must exist).
fn release_binary() -> Option<PathBuf> {
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_wasmfaas"));
    let release = debug.parent()?.parent()?.join("release/wasmfaas");
    if release.is_file() {
        return Some(release);
    }
    common::skip::skip(
        "debug_and_release_builds_of_wasmfaas_replay_to_the_same_bytes",
        &format!(
            "no release build at {}: `cargo build --release` makes one (.ci/run does)",
            release.display()
        ),
    );
    None
}

#[test]
fn debug_and_release_builds_of_wasmfaas_replay_to_the_same_bytes() {
    // Built once here so both binaries find the artifact fresh.
    let _ = rust_guest("entropy");
    let dir = std::env::temp_dir().join(format!("wasmfaas-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("entropy.json");
    std::fs::write(&path, probe_fixture().to_text()).unwrap();
    let debug = replay_json(Path::new(env!("CARGO_BIN_EXE_wasmfaas")), &path);
    assert!(debug.contains("\"fuel\": "), "{debug}");
    assert_eq!(
        replay_json(Path::new(env!("CARGO_BIN_EXE_wasmfaas")), &path),
        debug
    );
    if let Some(release) = release_binary() {
        assert_eq!(replay_json(&release, &path), debug);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every fixture file under `dir` (none if it does not exist yet).
fn fixtures_in(dir: &Path) -> Vec<PathBuf> {
    wasmfaas::suite::fixture_files(dir).unwrap_or_default()
}

#[test]
fn recorded_http_and_s3_event_invocations_replay_to_the_recorded_responses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let record_dir = std::env::temp_dir().join(format!("wasmfaas-recorded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&record_dir);
    let server = DevServer::start_in(
        root,
        &[
            "--ephemeral",
            "--no-watch",
            "--record",
            record_dir.to_str().unwrap(),
        ],
    );
    server.wait_for_state("uploads", "ready");
    // KV reads and writes: the second increment reads what the first wrote.
    for expected in ["1", "2"] {
        let reply = server.post("/counter/ada", b"");
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(
            reply.text().contains(&format!("\"count\":{expected}")),
            "{}",
            reply.text()
        );
    }
    let hello = server.request(
        "GET",
        "/hello?name=Ada",
        &[("Authorization", "Bearer secret")],
        None,
    );
    assert_eq!(hello.status, 200);
    // An S3 write through the endpoint: the uploads trigger reads the object
    // and writes a summary.
    let s3 = server.s3_endpoint();
    let put = common::dev_server::send(
        server.agent(),
        "PUT",
        &format!("{s3}/uploads/notes/a%20b.txt"),
        &[("content-type", "text/plain")],
        Some(b"hello world"),
    )
    .unwrap();
    assert_eq!(put.status, 200, "{}", put.text());
    wait_for("four fixtures", || {
        (fixtures_in(&record_dir).len() == 4).then_some(())
    });
    server.wait_for_stdout(0, "Recorded");
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    // A clean stop writes everything out and leaves no spool behind.
    let spools: Vec<_> = std::fs::read_dir(root.join(".wasmfaas"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("record-") && name.ends_with(".spool"))
        .collect();
    assert!(spools.is_empty(), "left behind: {spools:?}");

    let files = fixtures_in(&record_dir);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&record_dir).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "counter/post-counter-ada-1.json",
            "counter/post-counter-ada-2.json",
            "hello/get-hello-1.json",
            "uploads/s3-uploads-notes-a-b-txt-1.json",
        ]
    );
    let project = wasmfaas::config::Project::load(&root.join("wasmfaas.toml")).unwrap();
    for file in &files {
        let fixture = Fixture::load(file).unwrap();
        let function = replay::function_of(&project, &fixture).unwrap();
        let artifact = wasmfaas::build::ensure_built(
            &project,
            function,
            &mut |_| {},
            &wasmfaas::build::Cancel::never(),
        )
        .unwrap();
        let module =
            wasmfaas::runtime::LoadedModule::from_file(&function.name, &artifact.path).unwrap();
        let replayed = replay::replay(&fixture, function, &module).unwrap();
        let Some(Recorded::Response {
            status,
            headers,
            body,
        }) = &fixture.recorded
        else {
            panic!("{} has no recorded response", file.display())
        };
        let response = replayed.response.as_ref().unwrap();
        assert_eq!(
            (response.status, &response.headers, &response.body),
            (*status, headers, body),
            "{}",
            file.display()
        );
        let document = replayed.document();
        match function.name.as_str() {
            // The second increment started from the first one's write.
            "counter" => assert_eq!(document["writes"][0]["kv_put"], "COUNTERS"),
            "uploads" => {
                assert_eq!(document["writes"][0]["s3_put"], "summaries");
                assert_eq!(document["writes"][0]["key"], "notes/a b.txt.json");
            }
            _ => assert_eq!(document["writes"], serde_json::json!([])),
        }
    }
    let second = std::fs::read_to_string(&files[1]).unwrap();
    assert!(second.contains("\"value\": \"1\""), "{second}");
    let hello = std::fs::read_to_string(&files[2]).unwrap();
    assert!(
        hello.contains("[\"authorization\", \"[redacted]\"]") && !hello.contains("secret"),
        "{hello}"
    );
    let _ = std::fs::remove_dir_all(&record_dir);
}
