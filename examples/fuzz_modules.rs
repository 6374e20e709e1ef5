//! The long run of the module fuzzer: 10,000 wasm-smith modules (seeds
//! 0..10000 unless given) loaded and invoked as a user's function, counts
//! printed at the end. `tests/fuzz_modules.rs` runs a few hundred in CI.
//!
//! `cargo run --release --example fuzz_modules [FIRST [END]]`; env
//! `FUZZ_FUEL`, `FUZZ_MEMORY_MB`, `FUZZ_TIMEOUT_MS` change the limits.
//! Exits 1 if any seed panicked the host or hung.

#[path = "../tests/module_fuzz/mod.rs"]
mod module_fuzz;

use module_fuzz::{Functions, FuzzLimits, HANG_BOUND, Tally, run_seed};
use std::time::Instant;

fn main() -> std::process::ExitCode {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|arg| arg.parse().expect("seeds are numbers: FIRST [END]"))
        .collect();
    let first = args.first().copied().unwrap_or(0);
    let end = args.get(1).copied().unwrap_or(first + 10_000);
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .map_or(default, |v| v.parse().expect("a number"))
    };
    // The defaults of a function's config, with a shorter timeout so a
    // 10,000-seed run ends in minutes.
    let limits = FuzzLimits {
        fuel: env("FUZZ_FUEL", 100_000_000),
        memory_mb: env("FUZZ_MEMORY_MB", 128),
        timeout_ms: env("FUZZ_TIMEOUT_MS", 1_000),
        hang_bound: HANG_BOUND,
    };
    println!("seeds {first}..{end}, limits {limits:?}");
    let functions = Functions::new(limits);
    let mut tally = Tally::default();
    let started = Instant::now();
    let mut refusals_shown = 0;
    for seed in first..end {
        let report = run_seed(seed, &functions);
        if let Some(refusal) = &report.refusal
            && report.profile == module_fuzz::Profile::Command
            && refusals_shown < 5
        {
            println!("  a refusal (seed {seed}): {refusal}");
            refusals_shown += 1;
        }
        tally.add(&report);
        if (seed - first + 1) % 1000 == 0 {
            println!("  {} seeds in {:.1?}", seed - first + 1, started.elapsed());
        }
    }
    println!("{}", tally.summary());
    println!("wall time {:.1?}", started.elapsed());
    if tally.panics.is_empty() && tally.hangs.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
