//! The virtual WASI layer: a guest sees only what its invocation grants, and the
//! same invocation (same input, time and seed) produces the same bytes.

mod common;

use common::{CONTEXT, run_with, rust_guest, small_limits, wat};
use wasmfaas::runtime::Context;

fn probe_output(context: Context) -> String {
    let (_, probe) = rust_guest("probe");
    let mut limits = small_limits();
    limits.fuel = 100_000_000;
    let report = run_with(&probe, b"some input", &limits, context);
    let stdout = report.result.expect("the probe runs to the end");
    String::from_utf8(stdout).expect("the probe prints text")
}

fn line<'a>(output: &'a str, key: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no `{key}` line in:\n{output}"))
}

#[test]
fn the_same_context_gives_byte_identical_output() {
    let first = probe_output(CONTEXT);
    let second = probe_output(CONTEXT);
    assert_eq!(first, second);
}

#[test]
fn another_seed_changes_random_values_but_not_the_clock() {
    let first = probe_output(CONTEXT);
    let other = probe_output(Context {
        seed: CONTEXT.seed + 1,
        ..CONTEXT
    });
    assert_ne!(
        line(&first, "random_state_hash"),
        line(&other, "random_state_hash")
    );
    assert_ne!(line(&first, "hashmap_order"), line(&other, "hashmap_order"));
    assert_eq!(line(&first, "realtime_ns"), line(&other, "realtime_ns"));
}

#[test]
fn the_clock_starts_at_the_context_time_and_sleeping_does_not_block() {
    let started = std::time::Instant::now();
    let output = probe_output(CONTEXT);
    let realtime: u64 = line(&output, "realtime_ns").parse().unwrap();
    let offset = realtime - CONTEXT.start_time_ns;
    assert!(
        offset < 10_000_000,
        "clock starts near the context time: +{offset} ns"
    );
    // The guest slept ten minutes of virtual time...
    let slept: u64 = line(&output, "slept_ms").parse().unwrap();
    assert!((600_000..600_100).contains(&slept), "slept {slept} ms");
    // ...without holding a host thread for it: a bound far below ten minutes
    // that no machine's speed comes near, so it only catches a real sleep.
    assert!(started.elapsed() < std::time::Duration::from_secs(300));
}

#[test]
fn a_guest_sees_only_its_args_and_configured_env_and_no_filesystem() {
    let output = probe_output(CONTEXT);
    assert_eq!(line(&output, "args"), r#"["probe"]"#);
    assert_eq!(line(&output, "env"), r#"[("APP_MODE", "test")]"#);
    assert!(line(&output, "read_etc_passwd").starts_with("Err("));
    assert!(line(&output, "read_relative").starts_with("Err("));
    assert_eq!(line(&output, "stdin_bytes"), "10");
}

#[test]
fn random_get_bytes_follow_the_seed() {
    let randoms = wat(
        "random",
        r#"(module
             (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (func (export "_start")
               (drop (call $r (i32.const 100) (i32.const 32)))
               (i32.store (i32.const 0) (i32.const 100))
               (i32.store (i32.const 4) (i32.const 32))
               (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    let bytes = |seed| {
        let context = Context { seed, ..CONTEXT };
        run_with(&randoms, b"", &small_limits(), context)
            .result
            .unwrap()
    };
    assert_eq!(bytes(1), bytes(1));
    assert_ne!(bytes(1), bytes(2));
    assert_eq!(bytes(1).len(), 32);
}
