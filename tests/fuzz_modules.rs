//! Random WebAssembly modules (wasm-smith) through the real load and invoke
//! path: none may panic the host or hang it, and each either loads or is
//! refused with an error. A fixed seed range, so a failure names a seed that
//! reproduces it (`cargo run --release --example fuzz_modules -- SEED SEED+1`).
//! The 10,000-seed run is `examples/fuzz_modules.rs`.

mod module_fuzz;

use module_fuzz::{DEBUG_HANG_BOUND, Functions, FuzzLimits, Tally, run_seed};

/// Seeds CI runs. Small enough for about a minute of a debug build on two
/// cores; the runner covers far more.
const SEEDS: std::ops::Range<u64> = 0..300;

/// Tight limits: the point is what the host does at a limit, not how much
/// work a guest gets done, and a debug build interprets slowly.
const LIMITS: FuzzLimits = FuzzLimits {
    fuel: 2_000_000,
    memory_mb: 16,
    timeout_ms: 2_000,
    hang_bound: DEBUG_HANG_BOUND,
};

#[test]
fn random_modules_never_panic_or_hang_the_host_and_load_or_are_refused() {
    let functions = Functions::new(LIMITS);
    let mut tally = Tally::default();
    for seed in SEEDS {
        tally.add(&run_seed(seed, &functions));
    }
    let summary = tally.summary();
    println!("{summary}");
    assert!(tally.panics.is_empty(), "host panics:\n{summary}");
    assert!(tally.hangs.is_empty(), "hangs:\n{summary}");
    // The harness must exercise the invoke path, not only the validator: most
    // command-shaped modules load, some run host calls, some have a start
    // function. These counts are fixed by the seeds, not by the machine.
    assert!(
        tally.loaded >= tally.seeds / 2,
        "too few loaded:\n{summary}"
    );
    assert!(tally.with_start_loaded > 0, "{summary}");
    assert!(
        tally.with_host_imports_loaded > tally.seeds / 4,
        "{summary}"
    );
    assert!(tally.refused.values().sum::<u64>() > 0, "{summary}");
}

/// Seed 223 of the long run, reduced: a guest looping on a `memory.grow` or
/// `table.grow` that fails without the limiter being asked (past the type's
/// maximum). wasmi 2.0's tail-call dispatch, which release builds use, does
/// not turn those two handlers' dispatch into a jump (wasmi PR #1946), so
/// each failed grow took another native stack frame until the worker thread
/// overflowed and the whole process aborted: `wasmfaas dev` died on one
/// request. Debug builds dispatch in a loop and never showed it, so this runs
/// the release binary (`.ci/run` builds it first; under CI it must exist).
#[test]
fn guests_looping_on_a_failing_grow_do_not_overflow_the_release_hosts_stack() {
    let Some(release) = release_binary() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("wasmfaas-grow-loop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the project folder");
    let grows = [
        ("memory", "(drop (memory.grow (i32.const -1)))"),
        ("pages", "(drop (memory.grow (i32.const 100000)))"),
        (
            "table",
            "(drop (table.grow (ref.null func) (i32.const -1)))",
        ),
    ];
    let mut config = String::from("[project]\nname = \"grow\"\n");
    for (name, grow) in grows {
        let wat = format!(
            "(module (memory (export \"memory\") 1) (table 1 funcref)\n\
             (func (export \"_start\") (loop {grow} (br 0))))"
        );
        std::fs::write(dir.join(format!("{name}.wat")), wat).expect("writing a guest");
        config.push_str(&format!(
            "[functions.{name}]\nsource = \"{name}.wat\"\n\
             [functions.{name}.limits]\nfuel = 200000000\ntimeout_ms = 60000\n"
        ));
    }
    std::fs::write(dir.join("wasmfaas.toml"), config).expect("writing the config");
    for (name, _) in grows {
        let output = std::process::Command::new(&release)
            .args(["invoke", name])
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("running the release binary");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("overflowed its stack") && output.status.code().is_some(),
            "`{name}` took the host down ({:?}):\n{stderr}",
            output.status
        );
        assert!(stderr.contains("ran out of fuel"), "`{name}`:\n{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The release binary beside the debug one, if it was built; under CI it
/// must be (as in tests/replay.rs).
fn release_binary() -> Option<std::path::PathBuf> {
    let debug = std::path::PathBuf::from(env!("CARGO_BIN_EXE_wasmfaas"));
    let release = debug.parent()?.parent()?.join("release/wasmfaas");
    if release.is_file() {
        return Some(release);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: under CI, .ci/run builds it before the tests",
        release.display()
    );
    eprintln!(
        "note: skipping the release-build check: no {}; run `cargo build --release` first",
        release.display()
    );
    None
}
