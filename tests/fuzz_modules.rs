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
