//! Helpers shared by the integration tests: WAT guests, invocations with chosen
//! limits, and the Rust guests under `tests/guests/` built once per test binary.
#![allow(dead_code)] // Each test binary uses a different subset.

pub mod clang;
pub mod dev_server;
pub mod skip;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use wasmfaas::build::{self, Progress};
use wasmfaas::config::{Limits, Project};
use wasmfaas::runtime::{Context, Invocation, LoadedModule, Report};

/// A fixed context: tests must not depend on the real clock or entropy.
pub const CONTEXT: Context = Context {
    start_time_ns: 1_700_000_000_000_000_000,
    seed: 42,
};

/// Small limits so runaway guests are stopped quickly.
pub fn small_limits() -> Limits {
    Limits {
        fuel: 20_000_000,
        memory_bytes: 4 * 1024 * 1024,
        // Only bounds a hang: fuel ends these guests, however slow the machine.
        timeout: Duration::from_secs(300),
        max_body_bytes: 1024 * 1024,
        max_response_bytes: 1024 * 1024,
        max_log_bytes: 64 * 1024,
        subrequests: 50,
    }
}

/// Loads a module written as WAT text.
pub fn wat(name: &str, text: &str) -> LoadedModule {
    let wasm = wat::parse_str(text).expect("test WAT must parse");
    LoadedModule::new(name, &wasm).expect("test module must load")
}

/// Runs `module` once with `stdin` under `limits`.
pub fn run(module: &LoadedModule, stdin: &[u8], limits: &Limits) -> Report {
    run_with(module, stdin, limits, CONTEXT)
}

/// As [`run`], with a chosen context.
pub fn run_with(module: &LoadedModule, stdin: &[u8], limits: &Limits, context: Context) -> Report {
    module.invoke(Invocation {
        stdin: stdin.to_vec(),
        args: vec![module.function().to_string()],
        env: vec![("APP_MODE".into(), "test".into())],
        context,
        limits,
        bindings: None,
    })
}

/// WAT for a guest that writes `text` to file descriptor `fd`, then runs `then`
/// (more WAT instructions, e.g. `unreachable`).
pub fn printing_wat(fd: u32, text: &str, then: &str) -> String {
    let escaped = wat_string(text);
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{escaped}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const {fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
    {then}))"#,
        len = text.len()
    )
}

/// `text` as the inside of a WAT string literal.
pub fn wat_string(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'"' | b'\\' => format!("\\{}", b as char),
            b' '..=b'~' => (b as char).to_string(),
            _ => format!("\\{b:02x}"),
        })
        .collect()
}

/// A guest that writes `hello` to stdout and ends normally.
pub fn good_wat() -> String {
    printing_wat(1, "hello", "")
}

/// Asserts that a well-behaved guest still runs: no failure leaves the host broken.
pub fn assert_host_still_serves() {
    let report = run(&wat("good", &good_wat()), b"", &small_limits());
    assert_eq!(
        report.result.expect("the good guest must succeed"),
        b"hello"
    );
}

/// The project of Rust guests under `tests/guests/`.
pub fn guest_project() -> Project {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/wasmfaas.toml");
    Project::load(&path).expect("tests/guests/wasmfaas.toml must be valid")
}

/// Builds (once per test binary) and loads a Rust guest of `tests/guests/`.
pub fn rust_guest(name: &str) -> (Project, LoadedModule) {
    static BUILT: OnceLock<Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let project = guest_project();
    let function = project.function(name).expect("guest is declared");
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    let path = match built.iter().find(|(n, _)| n == name) {
        Some((_, path)) => path.clone(),
        None => {
            let mut quiet = |_: Progress| {};
            let artifact = build::build(
                &project,
                function,
                false,
                &mut quiet,
                &build::Cancel::never(),
            )
            .unwrap_or_else(|e| panic!("building test guest `{name}` failed: {e}"));
            built.push((name.to_string(), artifact.path.clone()));
            artifact.path
        }
    };
    let module = LoadedModule::from_file(name, &path).expect("guest loads");
    (project, module)
}

/// The python with the real S3 clients (`WASMFAAS_PYTHON`: a venv with
/// tests/s3_clients/requirements.txt, which `.ci/run` makes), or `None` with
/// a note saying the test was skipped. Under CI a missing python fails: a
/// skipped real-client test proves nothing.
#[allow(dead_code)] // not every test binary runs real clients
pub fn client_python(test: &str) -> Option<std::ffi::OsString> {
    let python = std::env::var_os("WASMFAAS_PYTHON");
    if python.is_none() {
        skip::skip(
            test,
            "WASMFAAS_PYTHON is not set: point it at a python with \
             tests/s3_clients/requirements.txt installed (.ci/run makes .ci/venv)",
        );
    }
    python
}

/// Runs the `wasmfaas` binary in `dir` with `args`, colours off and `CI`
/// unset (so a test of local behaviour is not changed by the CI runner).
pub fn wasmfaas_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .args(args)
        .output()
        .expect("running wasmfaas")
}

/// Command output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
