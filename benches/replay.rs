//! Replay throughput: how many `hello`-class fixtures per second
//! `wasmfaas test --jobs 2` checks against their snapshots, as CI runs it
//! (one process: start, build check, module load, N replays, compare), and
//! the same replays in-process on 2 threads. Prints medians; asserts nothing.
//!
//!     cargo bench --bench replay          (BENCH_QUICK=1 for a short run)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use wasmfaas::abi::http::HttpRequest;
use wasmfaas::config::Project;
use wasmfaas::fixture::{Fixture, InitialState, Trigger};
use wasmfaas::runtime::{Context, LoadedModule};

const BINARY: &str = env!("CARGO_BIN_EXE_wasmfaas");

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let count = if quick { 1_000 } else { 5_000 };
    let rounds = if quick { 3 } else { 5 };
    let work = std::env::temp_dir().join(format!("wasmfaas-bench-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let project_dir = copy_demo(&work);
    let fixtures = project_dir.join("fixtures/hello");
    std::fs::create_dir_all(&fixtures).expect("creating the fixtures folder");
    for i in 0..count {
        let fixture = hello_fixture(i);
        std::fs::write(
            fixtures.join(format!("get-hello-{i}.json")),
            fixture.to_text(),
        )
        .expect("writing a fixture");
    }
    // Build hello and accept every snapshot once (not timed).
    let accept = wasmfaas_test(&project_dir, &["--accept"]);
    assert!(accept.0, "accepting the snapshots failed:\n{}", accept.1);
    println!(
        "machine: {} cores; {count} hello fixtures, {rounds} rounds",
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let mut rates = Vec::new();
    for round in 1..=rounds {
        let started = Instant::now();
        let (passed, output) = wasmfaas_test(&project_dir, &["--jobs", "2"]);
        let seconds = started.elapsed().as_secs_f64();
        assert!(passed, "wasmfaas test failed:\n{output}");
        let rate = count as f64 / seconds;
        let summary = output.lines().next().unwrap_or_default().to_string();
        println!(
            "round {round}: `wasmfaas test --jobs 2` {count} fixtures in {seconds:.3} s = {rate:.0} \
             fixtures/s ({summary})"
        );
        rates.push(rate);
    }
    let process = median(&mut rates);

    let project = Project::load(&project_dir.join("wasmfaas.toml")).expect("the demo loads");
    let function = project.function("hello").expect("hello exists");
    let artifact = wasmfaas::build::ensure_built(
        &project,
        function,
        &mut |_| {},
        &wasmfaas::build::Cancel::never(),
    )
    .expect("hello builds");
    let module = LoadedModule::from_file("hello", &artifact.path).expect("hello loads");
    let fixtures: Vec<Fixture> = (0..count).map(hello_fixture).collect();
    let mut rates = Vec::new();
    for round in 1..=rounds {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for half in fixtures.chunks(count.div_ceil(2)) {
                let module = &module;
                scope.spawn(move || {
                    for fixture in half {
                        let replayed =
                            wasmfaas::replay::replay(fixture, function, module).expect("replays");
                        std::hint::black_box(replayed.document());
                    }
                });
            }
        });
        let rate = count as f64 / started.elapsed().as_secs_f64();
        println!(
            "round {round}: in-process replay + outcome document, 2 threads: {rate:.0} fixtures/s"
        );
        rates.push(rate);
    }
    let in_process = median(&mut rates);
    println!(
        "\nmedian: `wasmfaas test --jobs 2` {process:.0} fixtures/s (target ≥ 5,000); \
         in-process on 2 threads {in_process:.0} fixtures/s"
    );
    let _ = std::fs::remove_dir_all(&work);
}

fn hello_fixture(i: usize) -> Fixture {
    Fixture {
        outbound: Vec::new(),
        function: Some("hello".into()),
        trigger: Trigger::Http(HttpRequest {
            method: "GET".into(),
            path: "/hello".into(),
            query: format!("name=user{i}"),
            headers: vec![("accept".into(), "application/json".into())],
            ..HttpRequest::default()
        }),
        context: Context {
            start_time_ns: 1_795_516_623_000_000_000 + i as u64,
            seed: i as u64,
        },
        state: InitialState::default(),
        recorded: None,
    }
}

/// Runs `wasmfaas test` in `dir`; whether it passed, and its output.
fn wasmfaas_test(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(BINARY)
        .args(["--quiet", "test"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .expect("running wasmfaas test");
    let text = String::from_utf8_lossy(&output.stdout);
    let tail: Vec<&str> = text.lines().rev().take(5).collect();
    (output.status.success(), tail.join("\n"))
}

/// The demo's config, hello and the SDK in `to` (build output not copied).
fn copy_demo(to: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(to).expect("creating the bench folder");
    let config = std::fs::read_to_string(root.join("wasmfaas.toml")).expect("demo config");
    std::fs::write(to.join("wasmfaas.toml"), config).expect("writing the config");
    copy_tree(&root.join("functions"), &to.join("functions"));
    copy_tree(&root.join("sdk"), &to.join("sdk"));
    to.to_path_buf()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a folder");
    for entry in std::fs::read_dir(from).expect("reading a folder").flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if entry.file_name() != "target" {
                copy_tree(&path, &to.join(entry.file_name()));
            }
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copying a file");
        }
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
