//! `instances = "warm"` (issue 13, item 4): an instance serves several
//! invocations in a row, keeping its globals and memory; a failure or a
//! reload gives the next invocation a new one; each invocation gets its own
//! stdin, fuel budget and usage.
//!
//! The guest counts the invocations its instance has served in a global and
//! answers three bytes: that count, how often `_initialize` ran, and the first
//! byte of its stdin (each as `'0' + n` for the counts).

mod common;

use common::{CONTEXT, small_limits, wat};
use wasmfaas::abi::http::HttpRequest;
use wasmfaas::config::{Function, Instances, Limits};
use wasmfaas::runtime::{Invocation, InvokeError, LoadedModule, Report};

/// stdin `t` traps, `l` loops until its fuel runs out; anything else answers.
const COUNTER: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (global $inits (mut i32) (i32.const 0))
  (func (export "_initialize")
    (global.set $inits (i32.add (global.get $inits) (i32.const 1))))
  (func $serve
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 100) (i32.const 0))
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.eq (i32.load8_u (i32.const 100)) (i32.const 116)) (then unreachable))
    (if (i32.eq (i32.load8_u (i32.const 100)) (i32.const 108)) (then (loop $spin (br $spin))))
    (i32.store8 (i32.const 200) (i32.add (i32.const 48) (global.get $count)))
    (i32.store8 (i32.const 201) (i32.add (i32.const 48) (global.get $inits)))
    (i32.store8 (i32.const 202) (i32.load8_u (i32.const 100)))
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (call $serve))
  (func (export "wasmfaas_handle") (call $serve)))"#;

fn counter() -> LoadedModule {
    wat("counter", COUNTER)
}

fn call(module: &LoadedModule, instances: Instances, stdin: &str, limits: &Limits) -> Report {
    module.invoke_with(
        instances,
        Invocation {
            stdin: stdin.as_bytes().to_vec(),
            args: vec![module.function().to_string()],
            env: Vec::new(),
            context: CONTEXT,
            limits,
            bindings: None,
        },
    )
}

/// The answer of a successful invocation, as text.
fn answer(report: &Report) -> String {
    match &report.result {
        Ok(stdout) => String::from_utf8_lossy(stdout).into_owned(),
        Err(error) => panic!("invocation failed: {error}"),
    }
}

#[test]
fn a_warm_instance_keeps_its_globals_and_gets_each_requests_own_stdin() {
    let module = counter();
    let limits = small_limits();
    let answers: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|stdin| answer(&call(&module, Instances::Warm, stdin, &limits)))
        .collect();
    // Count grows, `_initialize` ran once, stdin is each invocation's own.
    assert_eq!(answers, ["11a", "21b", "31c"]);
    assert_eq!(module.idle_warm_instances(), 1);
}

#[test]
fn fresh_instances_count_one_every_time() {
    let module = counter();
    let limits = small_limits();
    for stdin in ["a", "b", "c"] {
        // `_start` ran in a new instance: count 1, no `_initialize`.
        let expected = format!("10{stdin}");
        assert_eq!(
            answer(&call(&module, Instances::Fresh, stdin, &limits)),
            expected
        );
    }
    assert_eq!(module.idle_warm_instances(), 0);
}

#[test]
fn a_trap_discards_the_warm_instance() {
    let module = counter();
    let limits = small_limits();
    assert_eq!(answer(&call(&module, Instances::Warm, "a", &limits)), "11a");
    assert_eq!(answer(&call(&module, Instances::Warm, "a", &limits)), "21a");
    let trapped = call(&module, Instances::Warm, "t", &limits);
    assert!(
        matches!(trapped.result, Err(InvokeError::Trap { .. })),
        "{:?}",
        trapped.result
    );
    assert_eq!(module.idle_warm_instances(), 0);
    // A new instance: the count restarts and `_initialize` ran again in it.
    assert_eq!(answer(&call(&module, Instances::Warm, "a", &limits)), "11a");
}

#[test]
fn running_out_of_fuel_discards_the_warm_instance() {
    let module = counter();
    let limits = small_limits();
    assert_eq!(answer(&call(&module, Instances::Warm, "a", &limits)), "11a");
    let spun = call(&module, Instances::Warm, "l", &limits);
    assert!(
        matches!(spun.result, Err(InvokeError::FuelExhausted { .. })),
        "{:?}",
        spun.result
    );
    assert_eq!(answer(&call(&module, Instances::Warm, "a", &limits)), "11a");
}

#[test]
fn a_reload_does_not_reuse_the_old_modules_instances() {
    let wasm = wat::parse_str(COUNTER).unwrap();
    let limits = small_limits();
    let old = LoadedModule::new("counter", &wasm).unwrap();
    assert_eq!(answer(&call(&old, Instances::Warm, "a", &limits)), "11a");
    assert_eq!(answer(&call(&old, Instances::Warm, "a", &limits)), "21a");
    // What `dev`'s swapper does on a rebuild: a new `LoadedModule`.
    let new = LoadedModule::new("counter", &wasm).unwrap();
    assert_eq!(answer(&call(&new, Instances::Warm, "a", &limits)), "11a");
    // The old instance stayed with the old module, and goes when it does.
    assert_eq!(old.idle_warm_instances(), 1);
    assert_eq!(new.idle_warm_instances(), 1);
}

#[test]
fn fuel_is_reported_and_budgeted_per_invocation() {
    let module = counter();
    let fresh = call(&module, Instances::Fresh, "a", &small_limits());
    let per_call = fresh.usage.fuel;
    assert!(per_call > 0);
    // A budget for about one and a half invocations: enough for each, not
    // for the sum of several, so a budget carried over would fail the third.
    let limits = Limits {
        fuel: per_call * 3 / 2 + 50,
        ..small_limits()
    };
    let warm: Vec<Report> = (0..3)
        .map(|_| call(&module, Instances::Warm, "a", &limits))
        .collect();
    for report in &warm {
        answer(report);
    }
    // The later invocations do the same work and report the same fuel:
    // their own, not a running total.
    assert_eq!(warm[1].usage.fuel, warm[2].usage.fuel);
    assert!(warm[1].usage.fuel <= warm[0].usage.fuel);
    assert!(warm[2].usage.fuel <= per_call + 50);
}

#[test]
fn a_command_without_the_warm_entry_is_refused_under_warm_with_the_fix() {
    let module = wat("plain", &common::printing_wat(1, "hi", ""));
    assert!(!module.supports_warm());
    let report = call(&module, Instances::Warm, "", &small_limits());
    let Err(error @ InvokeError::NotWarmCapable { .. }) = &report.result else {
        panic!("expected a refusal, got {:?}", report.result);
    };
    let message = error.to_string();
    assert!(message.contains("`wasmfaas_handle`"), "{message}");
    assert!(message.contains("instances = \"fresh\""), "{message}");
    // The same module runs fresh as before.
    assert_eq!(
        answer(&call(&module, Instances::Fresh, "", &small_limits())),
        "hi"
    );
}

/// `GET /` with `query`, through the `http` ABI as the gateway calls it.
fn get(module: &LoadedModule, function: &Function, query: &str) -> (u16, String, String) {
    let request = HttpRequest {
        method: "GET".into(),
        path: "/".into(),
        query: query.into(),
        ..HttpRequest::default()
    };
    let outcome = wasmfaas::abi::http::call(module, function, &request, CONTEXT, None);
    let logs = String::from_utf8_lossy(&outcome.logs).into_owned();
    match outcome.result {
        Ok(response) => (
            response.status,
            String::from_utf8_lossy(&response.body).into_owned(),
            logs,
        ),
        Err(error) => (0, error.to_string(), logs),
    }
}

#[test]
fn an_sdk_guest_built_with_http_main_serves_warm_and_restarts_after_a_panic() {
    let (project, module) = common::rust_guest("warm");
    let function = project.function("warm").unwrap();
    assert_eq!(function.instances, Instances::Warm);
    assert!(module.supports_warm());
    assert_eq!(get(&module, function, "name=a").1, "1 a");
    let (status, body, logs) = get(&module, function, "name=b");
    assert_eq!((status, body.as_str()), (200, "2 b"));
    // The log is this request's alone.
    assert_eq!(logs.trim(), "request 2");
    let (status, _, logs) = get(&module, function, "panic=1");
    assert_eq!(status, 0, "a panic is a failed invocation");
    assert!(logs.contains("asked to panic on request 3"), "{logs}");
    assert_eq!(get(&module, function, "name=c").1, "1 c");
    // Fresh, the same module's `main` counts one every time.
    let fresh = Function {
        instances: Instances::Fresh,
        ..function.clone()
    };
    assert_eq!(get(&module, &fresh, "name=d").1, "1 d");
    assert_eq!(get(&module, &fresh, "name=e").1, "1 e");
}

#[test]
fn the_demo_hello_answers_the_same_warm_as_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = wasmfaas::config::Project::load(&root.join("wasmfaas.toml")).unwrap();
    let hello = project.function("hello").unwrap();
    let artifact = wasmfaas::build::ensure_built(
        &project,
        hello,
        &mut |_| {},
        &wasmfaas::build::Cancel::never(),
    )
    .unwrap();
    let module = LoadedModule::from_file("hello", &artifact.path).unwrap();
    let warm = Function {
        instances: Instances::Warm,
        ..hello.clone()
    };
    let fresh = get(&module, hello, "name=Ada");
    assert_eq!(fresh.1, r#"{"message":"Hello, Ada!"}"#);
    for _ in 0..3 {
        assert_eq!(get(&module, &warm, "name=Ada"), fresh);
    }
    assert_eq!(module.idle_warm_instances(), 1);
}

#[test]
fn replays_of_a_warm_function_run_fresh_and_say_so() {
    let (project, module) = common::rust_guest("warm");
    let function = project.function("warm").unwrap();
    let fixture = wasmfaas::fixture::Fixture {
        outbound: Vec::new(),
        function: Some("warm".into()),
        trigger: wasmfaas::fixture::Trigger::Http(HttpRequest {
            method: "GET".into(),
            path: "/".into(),
            query: "name=r".into(),
            ..HttpRequest::default()
        }),
        context: CONTEXT,
        state: Default::default(),
        recorded: None,
    };
    // Live traffic has warmed the module up.
    assert_eq!(get(&module, function, "name=a").1, "1 a");
    assert_eq!(get(&module, function, "name=b").1, "2 b");
    for _ in 0..2 {
        let replayed = wasmfaas::replay::replay(&fixture, function, &module).unwrap();
        let body = replayed.response.expect("replay answers").body;
        // A cold start's answer, every time, whatever ran before.
        assert_eq!(String::from_utf8_lossy(&body), "1 r");
    }
    let note = wasmfaas::replay::warm_note(function).expect("a warm function gets a note");
    assert!(note.contains("fresh instance"), "{note}");
    assert_eq!(
        wasmfaas::replay::warm_note(&Function {
            instances: Instances::Fresh,
            ..function.clone()
        }),
        None
    );
}

/// Answers the virtual clock's time and 8 random bytes.
const CLOCK_AND_DICE: &str = r#"(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $serve
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 100)))
    (drop (call $random (i32.const 108) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (call $serve))
  (func (export "wasmfaas_handle") (call $serve)))"#;

#[test]
fn each_warm_invocation_gets_its_own_clock_start_and_seed() {
    let module = wat("dice", CLOCK_AND_DICE);
    let limits = small_limits();
    let other = wasmfaas::runtime::Context {
        start_time_ns: CONTEXT.start_time_ns + 5_000_000_000,
        seed: CONTEXT.seed + 1,
    };
    let run = |context| {
        let report = module.invoke_with(
            Instances::Warm,
            Invocation {
                stdin: Vec::new(),
                args: Vec::new(),
                env: Vec::new(),
                context,
                limits: &limits,
                bindings: None,
            },
        );
        report.result.expect("dice answer")
    };
    let first = run(CONTEXT);
    let second = run(other);
    let third = run(CONTEXT);
    assert_ne!(first, second);
    // Not a continuation of the first invocation's clock or random stream.
    assert_eq!(first, third);
    assert_eq!(module.idle_warm_instances(), 1);
}
