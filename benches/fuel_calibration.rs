//! Calibrates `wasmfaas::cost::NATIVE_NS_PER_FUEL`: how long the work one
//! unit of wasmi fuel measures takes as native, optimised code.
//!
//! Three CPU-bound kernels (an FNV-1a hash, a prime sieve in linear memory,
//! Collatz step counts) are written twice, as WAT run under wasmi with the
//! runtime's fuel settings and as the same loops in Rust compiled by rustc.
//! Each prints the fuel it used, both times and native ns per fuel; the
//! median of the three is the figure to put in `src/cost.rs` when it moves.
//! Run with `cargo bench --bench fuel_calibration`; `BENCH_QUICK=1` for a
//! short run. Prints figures, asserts nothing.

use std::hint::black_box;
use std::time::{Duration, Instant};
use wasmi::{CompilationMode, Config, CustomFuelCosts, Engine, Linker, Module, Store};

const KERNELS: &str = r#"
(module
  (memory (export "memory") 64)
  (func (export "fnv") (param $n i32) (result i32)
    (local $i i32) (local $h i32)
    (local.set $h (i32.const 0x811c9dc5))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $h (i32.mul
        (i32.xor (local.get $h) (i32.and (local.get $i) (i32.const 0xff)))
        (i32.const 16777619)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $h))
  (func (export "sieve") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done (loop $outer
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eqz (i32.load8_u (local.get $i)))
        (then
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (local.set $j (i32.mul (local.get $i) (local.get $i)))
          ;; i*i wraps in i32 past 46340; no multiple of such an i is left to mark.
          (block $marked
            (br_if $marked (i32.gt_u (local.get $i) (i32.const 46340)))
            (loop $mark
            (br_if $marked (i32.ge_u (local.get $j) (local.get $n)))
            (i32.store8 (local.get $j) (i32.const 1))
            (local.set $j (i32.add (local.get $j) (local.get $i)))
            (br $mark)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (local.get $count))
  (func (export "collatz") (param $n i64) (result i64)
    (local $k i64) (local $x i64) (local $steps i64)
    (local.set $k (i64.const 1))
    (block $done (loop $each
      (br_if $done (i64.gt_u (local.get $k) (local.get $n)))
      (local.set $x (local.get $k))
      (block $one (loop $step
        (br_if $one (i64.eq (local.get $x) (i64.const 1)))
        (local.set $x (if (result i64) (i64.eqz (i64.and (local.get $x) (i64.const 1)))
          (then (i64.shr_u (local.get $x) (i64.const 1)))
          (else (i64.add (i64.mul (local.get $x) (i64.const 3)) (i64.const 1)))))
        (local.set $steps (i64.add (local.get $steps) (i64.const 1)))
        (br $step)))
      (local.set $k (i64.add (local.get $k) (i64.const 1)))
      (br $each)))
    (local.get $steps)))
"#;

fn fnv(n: u32) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for i in 0..n {
        h = (h ^ (i & 0xff)).wrapping_mul(16_777_619);
    }
    h
}

fn sieve(memory: &mut [u8], n: u32) -> u32 {
    let n = n as usize;
    memory[..n].fill(0);
    let mut count = 0;
    for i in 2..n {
        if memory[i] == 0 {
            count += 1;
            if i > 46_340 {
                continue;
            }
            let mut j = i * i;
            while j < n {
                memory[j] = 1;
                j += i;
            }
        }
    }
    count
}

fn collatz(n: u64) -> u64 {
    let mut steps = 0;
    for k in 1..=n {
        let mut x = k;
        while x != 1 {
            x = if x & 1 == 0 { x >> 1 } else { x * 3 + 1 };
            steps += 1;
        }
    }
    steps
}

/// The fastest of `rounds` runs of `run` (the least disturbed by neighbours).
fn fastest<T>(rounds: usize, mut run: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..rounds {
        let started = Instant::now();
        let value = run();
        best = best.min(started.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one round"))
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let rounds = if quick { 2 } else { 7 };
    let scale: u64 = if quick { 1 } else { 4 };
    // The runtime's settings (src/runtime/module.rs), so fuel means the same.
    let mut config = Config::default();
    config
        .compilation_mode(CompilationMode::LazyTranslation)
        .consume_fuel(true)
        .fuel_cost(CustomFuelCosts {
            bytes_copied_per_fuel: 64,
            fuel_per_bytes_translated: 0,
            fuel_per_bytes_validated: 0,
        });
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wat::parse_str(KERNELS).expect("valid WAT")).expect("module");
    let mut store = Store::new(&engine, ());
    store.set_fuel(u64::MAX / 2).expect("fuel is on");
    let instance = Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .expect("instance");

    println!("kernel    fuel            wasmi ms   native ms  native ns/fuel  wasmi/native");
    let mut factors = Vec::new();
    let mut report = |name: &str, fuel: u64, wasm: Duration, native: Duration| {
        let per_fuel = native.as_nanos() as f64 / fuel as f64;
        factors.push(per_fuel);
        println!(
            "{name:<9} {fuel:<15} {:>9.2} {:>10.3} {:>15.3} {:>12.1}",
            wasm.as_secs_f64() * 1e3,
            native.as_secs_f64() * 1e3,
            per_fuel,
            wasm.as_secs_f64() / native.as_secs_f64()
        );
    };

    let n = 5_000_000 * scale as u32;
    let run = instance
        .get_typed_func::<u32, u32>(&store, "fnv")
        .expect("fnv");
    let before = store.get_fuel().expect("fuel is on");
    let (wasm, wasm_value) = fastest(rounds, || run.call(&mut store, n).expect("fnv runs"));
    let fuel = (before - store.get_fuel().expect("fuel is on")) / rounds as u64;
    let (native, value) = fastest(rounds, || fnv(black_box(n)));
    assert_eq!(wasm_value, value, "fnv: the two versions disagree");
    report("fnv", fuel, wasm, native);

    let n = 1_000_000 * scale as u32;
    let run = instance
        .get_typed_func::<u32, u32>(&store, "sieve")
        .expect("sieve");
    let before = store.get_fuel().expect("fuel is on");
    let (wasm, wasm_value) = fastest(rounds, || run.call(&mut store, n).expect("sieve runs"));
    let fuel = (before - store.get_fuel().expect("fuel is on")) / rounds as u64;
    let mut memory = vec![0u8; n as usize];
    let (native, value) = fastest(rounds, || sieve(black_box(&mut memory), black_box(n)));
    assert_eq!(wasm_value, value, "sieve: the two versions disagree");
    report("sieve", fuel, wasm, native);

    let n = 100_000 * scale;
    let run = instance
        .get_typed_func::<u64, u64>(&store, "collatz")
        .expect("collatz");
    let before = store.get_fuel().expect("fuel is on");
    let (wasm, wasm_value) = fastest(rounds, || run.call(&mut store, n).expect("collatz runs"));
    let fuel = (before - store.get_fuel().expect("fuel is on")) / rounds as u64;
    let (native, value) = fastest(rounds, || collatz(black_box(n)));
    assert_eq!(wasm_value, value, "collatz: the two versions disagree");
    report("collatz", fuel, wasm, native);

    factors.sort_by(f64::total_cmp);
    println!(
        "\nmedian native ns per fuel: {:.3} (src/cost.rs uses {})",
        factors[factors.len() / 2],
        wasmfaas::cost::NATIVE_NS_PER_FUEL
    );
}
