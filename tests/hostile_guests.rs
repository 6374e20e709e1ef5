//! Guests that make the host do their work: every host call costs fuel in
//! proportion to the bytes it moves, and the wall-clock limit holds inside
//! host calls and in a module's `start` function (issue 12, "Hostile guests").
//!
//! Fuel is asserted exactly: two runs that differ only in the bytes a call
//! moves differ by exactly the price of those bytes. Wall-clock waits only
//! bound a hang.

mod common;

use common::{run, small_limits, wat};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use wasmfaas::bindings::Access;
use wasmfaas::config::Limits;
use wasmfaas::runtime::{Invocation, InvokeError, LoadedModule, Report};
use wasmfaas::state::State;
use wasmfaas::wasi::cost::{CALL_FUEL, STORAGE_CALL_FUEL, bytes_fuel};

/// Far longer than any of these guests needs once limits hold; only a hang
/// (the bug) gets near it.
const HANG_BOUND: Duration = Duration::from_secs(120);

/// [`small_limits`] with a wall-clock limit no machine reaches, for tests of
/// fuel: they must not turn into timeouts on a slow or loaded machine.
fn fuel_limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(3600),
        ..small_limits()
    }
}

/// Runs `module` on another thread, failing the test if it never answers.
fn run_bounded(module: LoadedModule, limits: Limits, access: Option<Arc<Access>>) -> Report {
    let (done, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let report = module.invoke(Invocation {
            stdin: Vec::new(),
            args: vec![module.function().to_string()],
            env: Vec::new(),
            context: common::CONTEXT,
            limits: &limits,
            bindings: access,
        });
        let _ = done.send(report);
    });
    answer
        .recv_timeout(HANG_BOUND)
        .expect("the invocation never ended: a limit did not hold")
}

/// A guest with `pages` of memory that calls `random_get(0, len)` `times`
/// times (forever when `times` is negative).
fn random_get_loop(pages: u32, len: u32, times: i32) -> LoadedModule {
    wat(
        "random",
        &format!(
            r#"(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") {pages})
  (func (export "_start") (local $n i32)
    (local.set $n (i32.const {times}))
    (loop $again
      (drop (call $random_get (i32.const 0) (i32.const {len})))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))))"#
        ),
    )
}

#[test]
fn random_get_costs_fuel_in_proportion_to_the_bytes_it_fills() {
    let mib = 1024 * 1024;
    let limits = Limits {
        memory_bytes: 8 * mib as u64,
        ..fuel_limits()
    };
    let empty = run(&random_get_loop(17, 0, 10), b"", &limits);
    let full = run(&random_get_loop(17, mib, 10), b"", &limits);
    assert!(empty.result.is_ok() && full.result.is_ok());
    // 10 calls of 1 MiB at 8 bytes a unit of fuel: 1,310,720 more.
    assert_eq!(
        full.usage.fuel - empty.usage.fuel,
        10 * bytes_fuel(mib.into())
    );
    assert_eq!(full.usage.fuel - empty.usage.fuel, 1_310_720);
    // Each call also pays its fixed price, on top of the loop's own 10
    // instructions' worth of fuel per round (wasmi's count for this loop).
    let once = run(&random_get_loop(17, 0, 1), b"", &limits);
    assert_eq!(empty.usage.fuel - once.usage.fuel, 9 * (CALL_FUEL + 10));
    // Deterministic: the same invocation burns the same fuel.
    let again = run(&random_get_loop(17, mib, 10), b"", &limits);
    assert_eq!(again.usage.fuel, full.usage.fuel);
}

/// The bug: a guest looping on `random_get` into a 128 MiB buffer ignored
/// `timeout_ms = 1000` (still unanswered after 20 s): the call cost no fuel,
/// so the invocation loop never got to check the clock.
#[test]
fn a_random_get_loop_over_128_mib_times_out() {
    let limits = Limits {
        fuel: u64::MAX / 2,
        memory_bytes: 256 * 1024 * 1024,
        timeout: Duration::from_millis(1000),
        ..small_limits()
    };
    let report = run_bounded(random_get_loop(2048, 128 * 1024 * 1024, -1), limits, None);
    match report.result {
        Err(InvokeError::Timeout { limit, .. }) => assert_eq!(limit, Duration::from_millis(1000)),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn a_random_get_loop_runs_out_of_fuel_like_an_instruction_loop() {
    let limits = Limits {
        fuel: 10_000_000,
        memory_bytes: 16 * 1024 * 1024,
        timeout: Duration::from_secs(3600),
        ..small_limits()
    };
    let report = run_bounded(random_get_loop(129, 8 * 1024 * 1024, -1), limits, None);
    assert_eq!(
        report.result,
        Err(InvokeError::FuelExhausted {
            budget: limits.fuel
        })
    );
    assert_eq!(report.usage.fuel, limits.fuel);
}

/// A guest that writes `len` bytes from address 0 to `fd`, `times` times
/// (forever when negative).
fn fd_write_loop(fd: u32, len: u32, times: i32) -> LoadedModule {
    wat(
        "writer",
        &format!(
            r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 32)
  (func (export "_start") (local $n i32)
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const {len}))
    (local.set $n (i32.const {times}))
    (loop $again
      (drop (call $fd_write (i32.const {fd}) (i32.const 16) (i32.const 1) (i32.const 24)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))))"#
        ),
    )
}

#[test]
fn fd_write_costs_fuel_in_proportion_to_the_bytes_written() {
    let limits = Limits {
        memory_bytes: 4 * 1024 * 1024,
        max_response_bytes: 64 * 1024 * 1024,
        ..fuel_limits()
    };
    let len = 1024 * 1024;
    let empty = run(&fd_write_loop(1, 0, 20), b"", &limits);
    let full = run(&fd_write_loop(1, len, 20), b"", &limits);
    assert_eq!(full.result.as_ref().map(Vec::len), Ok(20 * len as usize));
    assert_eq!(
        full.usage.fuel - empty.usage.fuel,
        20 * bytes_fuel(len.into())
    );
}

#[test]
fn an_fd_write_loop_of_huge_buffers_runs_out_of_fuel() {
    // fd 3 is not open: each call fails with EBADF, yet pays for the 2 MiB
    // it asked to move (the price depends only on the arguments).
    let limits = fuel_limits();
    let report = run_bounded(fd_write_loop(3, 2 * 1024 * 1024, -1), limits, None);
    assert_eq!(
        report.result,
        Err(InvokeError::FuelExhausted {
            budget: limits.fuel
        })
    );
    assert_eq!(report.usage.fuel, limits.fuel);
}

/// A guest whose `start` section runs `$body` before `_start`.
fn with_start(body: &str) -> LoadedModule {
    wat(
        "start",
        &format!(
            r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "from start;")
  (func $init {body})
  (start $init)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.load8_u (i32.const 200)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#
        ),
    )
}

/// The bug: a `start` section ran inside instantiation, one call that cannot
/// be suspended, so a `start` that loops ignored the wall clock.
#[test]
fn a_start_function_that_loops_forever_times_out() {
    let limits = Limits {
        fuel: u64::MAX / 2,
        timeout: Duration::from_millis(300),
        ..small_limits()
    };
    let report = run_bounded(with_start("(loop (br 0))"), limits, None);
    match report.result {
        Err(InvokeError::Timeout { limit, .. }) => assert_eq!(limit, Duration::from_millis(300)),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn a_start_function_that_loops_runs_out_of_fuel() {
    let limits = fuel_limits();
    let report = run_bounded(with_start("(loop (br 0))"), limits, None);
    assert_eq!(
        report.result,
        Err(InvokeError::FuelExhausted {
            budget: limits.fuel
        })
    );
}

#[test]
fn a_start_function_still_runs_first_and_its_fuel_counts() {
    // `start` stores the length `_start` prints: 11 bytes, "from start;".
    let store_len = "(i32.store8 (i32.const 200) (i32.const 11))";
    let report = run(&with_start(store_len), b"", &fuel_limits());
    assert_eq!(report.result.as_deref(), Ok(&b"from start;"[..]));
    let idle = run(&with_start("(nop)"), b"", &fuel_limits());
    // i32.const, i32.const, i32.store8: the start's own instructions are billed.
    assert!(report.usage.fuel > idle.usage.fuel);
}

/// A guest that calls `kv_put` `times` times, each storing `len` bytes from
/// address 1024 under key `k` in namespace `cache` (forever when negative).
fn kv_put_loop(len: u32, times: i32) -> LoadedModule {
    wat(
        "putter",
        &format!(
            r#"(module
  (import "wasmfaas" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i64) (result i64)))
  (memory (export "memory") 2)
  (data (i32.const 0) "cachek")
  (func (export "_start") (local $n i32)
    (local.set $n (i32.const {times}))
    (loop $again
      (drop (call $kv_put (i32.const 0) (i32.const 5) (i32.const 5) (i32.const 1)
                          (i32.const 1024) (i32.const {len}) (i32.const 0) (i32.const 0)
                          (i64.const 0) (i64.const 0)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))))"#
        ),
    )
}

fn kv_access() -> Arc<Access> {
    let state = State::in_memory().unwrap();
    Arc::new(Access::new(state, "putter", ["cache".to_string()], []))
}

#[test]
fn kv_put_costs_a_storage_call_plus_its_bytes() {
    let limits = fuel_limits();
    let report = |len, times| run_bounded(kv_put_loop(len, times), limits, Some(kv_access()));
    let one_empty = report(0, 1);
    let ten_empty = report(0, 10);
    let ten_full = report(60_000, 10);
    assert!(one_empty.result.is_ok() && ten_full.result.is_ok());
    // Namespace (5) and key (1): 6 bytes, one unit of fuel per call.
    let per_call = STORAGE_CALL_FUEL + bytes_fuel(6);
    // The loop's own instructions: 18 fuel a round (wasmi's count for it).
    assert_eq!(
        ten_empty.usage.fuel - one_empty.usage.fuel,
        9 * (per_call + 18)
    );
    assert_eq!(
        ten_full.usage.fuel - ten_empty.usage.fuel,
        10 * (bytes_fuel(60_006) - bytes_fuel(6))
    );
}

#[test]
fn a_kv_put_loop_runs_out_of_fuel() {
    let limits = Limits {
        fuel: 2_000_000,
        timeout: Duration::from_secs(3600),
        ..small_limits()
    };
    let report = run_bounded(kv_put_loop(100, -1), limits, Some(kv_access()));
    assert_eq!(
        report.result,
        Err(InvokeError::FuelExhausted {
            budget: limits.fuel
        })
    );
    assert_eq!(report.usage.fuel, limits.fuel);
}

#[test]
fn a_kv_put_loop_with_fuel_to_spare_times_out_inside_its_host_calls() {
    let limits = Limits {
        fuel: u64::MAX / 2,
        timeout: Duration::from_millis(300),
        ..small_limits()
    };
    let report = run_bounded(kv_put_loop(100, -1), limits, Some(kv_access()));
    assert!(
        matches!(report.result, Err(InvokeError::Timeout { .. })),
        "{:?}",
        report.result
    );
}

/// The issue's report, end to end: `wasmfaas dev` answers the request of a
/// guest looping on `random_get` into 128 MiB with a 504 (before the fix it
/// was still unanswered after 20 s).
#[test]
fn the_gateway_answers_a_random_get_loop_with_a_504() {
    use common::dev_server::{DevServer, TempProject};
    let guest = format!(
        r#"(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 2048)
  (func (export "_start")
    (loop $again
      (drop (call $random_get (i32.const 0) (i32.const {len})))
      (br $again))))"#,
        len = 128 * 1024 * 1024
    );
    let config = "[project]\nname = \"hostile\"\n\n[functions.rand]\nsource = \"rand.wat\"\n\
                  routes = [\"GET /rand\"]\n\
                  limits = { timeout_ms = 1000, fuel = 1000000000000000 }\n";
    let project = TempProject::new(
        "hostile",
        &[("wasmfaas.toml", config), ("rand.wat", &guest)],
    );
    let server = DevServer::start(&project, &["--no-watch", "--ephemeral"]);
    let reply = server.get("/rand");
    assert_eq!(reply.status, 504, "{}", reply.text());
    assert!(reply.text().contains("timed out"), "{}", reply.text());
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

#[test]
fn random_get_over_many_chunks_gives_the_seeded_stream_unchanged() {
    // Filled a chunk at a time (the clock is checked between chunks); the
    // bytes must be those of one fill, or replays of old recordings differ.
    let len: u32 = 3 * 1024 * 1024 + 5;
    let guest = wat(
        "stream",
        &format!(
            r#"(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 64)
  (func (export "_start")
    (drop (call $random_get (i32.const 64) (i32.const {len})))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#
        ),
    );
    let limits = Limits {
        max_response_bytes: 8 * 1024 * 1024,
        ..fuel_limits()
    };
    let out = run(&guest, b"", &limits)
        .result
        .expect("the guest succeeds");
    let mut expected = vec![0u8; len as usize];
    wasmfaas::wasi::SeededRng::new(common::CONTEXT.seed).fill(&mut expected);
    assert!(out == expected, "the random stream changed");
}
