//! A runaway, malicious or broken guest is stopped with a specific error, and the
//! host keeps serving afterwards. Guests are tiny WAT programs written inline.

mod common;

use common::{assert_host_still_serves, printing_wat, run, small_limits, wat};
use std::time::Duration;
use wasmfaas::runtime::{InvokeError, LoadError, LoadedModule, log_tail};
use wasmfaas::wasi::Stream;

#[test]
fn an_infinite_loop_runs_out_of_fuel_and_names_the_budget() {
    let spin = wat(
        "spin",
        r#"(module (memory (export "memory") 1)
             (func (export "_start") (loop (br 0))))"#,
    );
    let limits = small_limits();
    let report = run(&spin, b"", &limits);
    assert_eq!(
        report.result,
        Err(InvokeError::FuelExhausted {
            budget: limits.fuel
        })
    );
    assert!(report.usage.fuel <= limits.fuel);
    assert!(report.usage.fuel > limits.fuel / 2, "{:?}", report.usage);
    let message = report.result.unwrap_err().to_string();
    assert!(message.contains("20000000"), "{message}");
    assert!(message.contains("limits.fuel"), "{message}");
    assert_host_still_serves();
}

#[test]
fn an_endless_loop_with_a_huge_budget_times_out_on_the_wall_clock() {
    let spin = wat(
        "spin",
        r#"(module (memory (export "memory") 1)
             (func (export "_start") (loop (br 0))))"#,
    );
    let mut limits = small_limits();
    limits.fuel = u64::MAX / 2;
    limits.timeout = Duration::from_millis(200);
    let report = run(&spin, b"", &limits);
    match report.result {
        Err(InvokeError::Timeout {
            limit, fuel_used, ..
        }) => {
            assert_eq!(limit, Duration::from_millis(200));
            assert!(fuel_used > 0);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_host_still_serves();
}

#[test]
fn a_memory_grow_bomb_hits_the_memory_limit() {
    let bomb = wat(
        "bomb",
        r#"(module (memory (export "memory") 1)
             (func (export "_start")
               (loop (drop (memory.grow (i32.const 16))) (br 0))))"#,
    );
    let report = run(&bomb, b"", &small_limits());
    match report.result {
        Err(InvokeError::MemoryLimit {
            requested,
            limit_mb,
        }) => {
            assert_eq!(limit_mb, 4);
            assert!(requested > 4 * 1024 * 1024);
        }
        other => panic!("expected the memory limit, got {other:?}"),
    }
    assert!(report.usage.peak_memory_bytes <= 4 * 1024 * 1024);
    assert!(report.usage.peak_memory_bytes >= 3 * 1024 * 1024);
    assert_host_still_serves();
}

#[test]
fn an_initial_memory_over_the_limit_is_refused() {
    let huge = wat(
        "huge",
        r#"(module (memory (export "memory") 100) (func (export "_start")))"#,
    );
    let report = run(&huge, b"", &small_limits());
    assert!(
        matches!(report.result, Err(InvokeError::MemoryLimit { .. })),
        "{:?}",
        report.result
    );
    assert_host_still_serves();
}

#[test]
fn unbounded_recursion_overflows_the_stack() {
    let recurse = wat(
        "recurse",
        r#"(module (memory (export "memory") 1)
             (func $f (call $f))
             (func (export "_start") (call $f)))"#,
    );
    let report = run(&recurse, b"", &small_limits());
    assert_eq!(report.result, Err(InvokeError::StackOverflow));
    assert_host_still_serves();
}

#[test]
fn unreachable_is_a_trap_and_the_log_written_before_it_is_kept() {
    let panics = wat(
        "panics",
        &printing_wat(2, "panicked at src/main.rs:3:5\n", "unreachable"),
    );
    let report = run(&panics, b"", &small_limits());
    match &report.result {
        Err(InvokeError::Trap { reason }) => assert!(reason.contains("unreachable"), "{reason}"),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(log_tail(&report.stderr, 1), "panicked at src/main.rs:3:5");
    assert_host_still_serves();
}

#[test]
fn an_invalid_module_is_rejected_at_load_with_the_reason() {
    let error = LoadedModule::new("broken", b"\0asm\x01\0\0\0\x01\xff").unwrap_err();
    assert!(matches!(error, LoadError::InvalidModule { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("`broken` is not a valid WebAssembly module")
    );
    let error = LoadedModule::new("text", b"hello").unwrap_err();
    assert!(matches!(error, LoadError::InvalidModule { .. }), "{error}");
    assert_host_still_serves();
}

#[test]
fn a_missing_import_is_named_at_load() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "get_secret" (func (param i32) (result i32)))
             (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap();
    let error = LoadedModule::new("needs-env", &wasm).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, LoadError::MissingImport { .. }),
        "{message}"
    );
    assert!(message.contains("env::get_secret"), "{message}");
    assert!(message.contains("func(i32) -> i32"), "{message}");
    assert_host_still_serves();
}

#[test]
fn a_mistyped_wasi_import_names_both_signatures() {
    let wasm = wat::parse_str(
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
             (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap();
    let error = LoadedModule::new("mistyped", &wasm).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, LoadError::MistypedImport { .. }),
        "{message}"
    );
    assert!(
        message.contains("wasi_snapshot_preview1::fd_write"),
        "{message}"
    );
    assert!(message.contains("func(i32)"), "{message}");
    assert!(
        message.contains("func(i32, i32, i32, i32) -> i32"),
        "{message}"
    );
}

#[test]
fn a_module_without_start_or_memory_is_explained() {
    let library = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
    let error = LoadedModule::new("lib", &library).unwrap_err();
    assert!(matches!(error, LoadError::NotACommand { .. }), "{error}");
    let no_memory = wat::parse_str(r#"(module (func (export "_start")))"#).unwrap();
    let error = LoadedModule::new("nomem", &no_memory).unwrap_err();
    assert!(matches!(error, LoadError::NoMemory { .. }), "{error}");
}

#[test]
fn writing_100_mib_to_stdout_hits_the_output_limit() {
    // Writes a 64 KiB buffer 1600 times: 100 MiB if nothing stops it.
    let flood = wat(
        "flood",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 2)
             (func (export "_start") (local $i i32)
               (i32.store (i32.const 0) (i32.const 65536))
               (i32.store (i32.const 4) (i32.const 65536))
               (loop
                 (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                 (local.set $i (i32.add (local.get $i) (i32.const 1)))
                 (br_if 0 (i32.lt_u (local.get $i) (i32.const 1600))))))"#,
    );
    let mut limits = small_limits();
    limits.fuel = 1_000_000_000;
    let report = run(&flood, b"", &limits);
    assert_eq!(
        report.result,
        Err(InvokeError::OutputLimit {
            stream: Stream::Stdout,
            limit: limits.max_response_bytes
        })
    );
    assert_host_still_serves();
}

#[test]
fn proc_exit_zero_is_success_and_non_zero_is_a_failure() {
    let exit_with = |code: i32| {
        wat(
            "exits",
            &format!(
                r#"(module
                     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                     (memory (export "memory") 1)
                     (func (export "_start") (call $exit (i32.const {code})) unreachable))"#
            ),
        )
    };
    assert_eq!(
        run(&exit_with(0), b"", &small_limits()).result,
        Ok(Vec::new())
    );
    assert_eq!(
        run(&exit_with(3), b"", &small_limits()).result,
        Err(InvokeError::Exit { code: 3 })
    );
}

#[test]
fn an_unimplemented_wasi_call_answers_enosys_instead_of_failing_to_load() {
    // path_open is not provided: the guest gets errno 52 (ENOSYS) and prints it.
    let opener = wat(
        "opener",
        r#"(module
             (import "wasi_snapshot_preview1" "path_open"
               (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (func (export "_start")
               (i32.store8 (i32.const 100)
                 (i32.add (i32.const 0)
                   (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0)
                               (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0))))
               (i32.store (i32.const 0) (i32.const 100))
               (i32.store (i32.const 4) (i32.const 1))
               (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    let report = run(&opener, b"", &small_limits());
    assert_eq!(report.result, Ok(vec![52]));
}

#[test]
fn a_bad_pointer_from_the_guest_is_efault_not_a_host_panic() {
    let wild = wat(
        "wild",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start")
               (i32.store (i32.const 0) (i32.const 65530))
               (i32.store (i32.const 4) (i32.const 100))
               (call $exit (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    // EFAULT is 21; the guest exits with it.
    assert_eq!(
        run(&wild, b"", &small_limits()).result,
        Err(InvokeError::Exit { code: 21 })
    );
    assert_host_still_serves();
}

#[test]
fn a_fresh_instance_per_invocation_forgets_earlier_requests() {
    // Increments a counter in memory and prints it: always 1 with fresh instances.
    let counter = wat(
        "counter",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (global $calls (mut i32) (i32.const 0))
             (func (export "_start")
               (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
               (i32.store8 (i32.const 100)
                 (i32.add (i32.load8_u (i32.const 100)) (i32.add (i32.const 48) (global.get $calls))))
               (i32.store (i32.const 0) (i32.const 100))
               (i32.store (i32.const 4) (i32.const 1))
               (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    );
    for _ in 0..3 {
        assert_eq!(
            run(&counter, b"", &small_limits()).result,
            Ok(b"1".to_vec())
        );
    }
}

#[test]
fn a_loaded_module_can_be_shared_by_worker_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let module = wat("good", &common::good_wat());
    shareable(&module);
    let module = std::sync::Arc::new(module);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let module = module.clone();
            std::thread::spawn(move || run(&module, b"", &small_limits()).result)
        })
        .collect();
    for worker in workers {
        assert_eq!(worker.join().unwrap(), Ok(b"hello".to_vec()));
    }
}
