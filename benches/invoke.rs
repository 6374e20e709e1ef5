//! Per-invocation cost, process start-up, module loading and the cost of fuel
//! metering. Prints figures; asserts nothing (speed targets live here, never in
//! tests). Run with `cargo bench --bench invoke`; `BENCH_QUICK=1` for a short run,
//! `BENCH_WARM_ONLY=1` for a long run of the fresh-vs-warm comparison alone
//! (e.g. under `perf record`).
//!
//! Every comparison is a ratio measured in the same run, on the same machine.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use wasmfaas::abi::http::{self, HttpRequest};
use wasmfaas::build::{self, Progress};
use wasmfaas::config::{Instances, Limits, Project};
use wasmfaas::runtime::{Context, EngineOptions, Invocation, LoadedModule};

const CONTEXT: Context = Context {
    start_time_ns: 1_700_000_000_000_000_000,
    seed: 1,
};

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::load(&root.join("wasmfaas.toml")).expect("demo config");
    let hello = project.function("hello").expect("demo has hello");
    let artifact = build::ensure_built(
        &project,
        hello,
        &mut |_: Progress| {},
        &build::Cancel::never(),
    )
    .expect("build");
    let wasm = std::fs::read(&artifact.path).expect("artifact");
    println!(
        "hello.wasm: {} KiB, built with the `{}` profile, stack {} KiB",
        wasm.len() / 1024,
        build::PROFILE,
        hello.build.stack_size / 1024
    );

    if std::env::var_os("BENCH_WARM_ONLY").is_some() {
        warm_vs_fresh(&wasm, hello, 100_000);
        return;
    }
    per_invocation(&wasm, hello, if quick { 2_000 } else { 10_000 });
    warm_vs_fresh(&wasm, hello, if quick { 2_000 } else { 10_000 });
    module_loading(&wasm);
    whole_process(root, if quick { 10 } else { 30 });
    fuel_overhead(if quick { 3 } else { 15 });
}

/// Median and 90th percentile of `samples`.
fn stats(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Rounds per figure: each round measures every case in turn, so drift in machine
/// speed hits all cases alike; a figure is the median over all rounds, and the
/// spread of the per-round medians shows how much to trust it.
const ROUNDS: usize = 5;

/// One thing measured per invocation: its name and a run that returns the fuel
/// it used (0 where nothing is metered).
type Case<'a> = (String, Box<dyn FnMut() -> u64 + 'a>);

fn per_invocation(wasm: &[u8], hello: &wasmfaas::config::Function, n: usize) {
    let module = LoadedModule::new("hello", wasm).expect("hello loads");
    let empty = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
        .unwrap();
    let empty = LoadedModule::new("empty", &empty).unwrap();
    let limits = Limits::default();
    let typical = hello_request(3);
    let envelope = http::encode_request(&typical);
    let mut cases: Vec<Case<'_>> = Vec::new();
    // The same request with more or fewer headers: what parsing one costs.
    for headers in [3, 0, 20] {
        let request = hello_request(headers);
        let (module, hello) = (&module, hello);
        cases.push((
            format!("hello, {headers} headers"),
            Box::new(move || {
                let outcome = http::call(module, hello, &request, CONTEXT, None);
                assert_eq!(outcome.result.expect("hello answers").status, 200);
                outcome.usage.fuel
            }),
        ));
    }
    cases.push((
        "empty module (floor)".into(),
        Box::new(|| {
            let report = run_without_input(&empty, &limits);
            assert!(report.result.is_ok());
            report.usage.fuel
        }),
    ));
    cases.push((
        "native handler (SDK)".into(),
        Box::new(|| {
            let response = native_hello(&envelope);
            assert_eq!(http::decode_response(&response).unwrap().status, 200);
            0
        }),
    ));
    // Warm up caches and the allocator.
    for (_, run) in &mut cases {
        for _ in 0..200 {
            run();
        }
    }
    let per_round = n / ROUNDS;
    let mut samples = vec![Vec::with_capacity(n); cases.len()];
    let mut round_medians = vec![Vec::with_capacity(ROUNDS); cases.len()];
    let mut fuel = vec![0; cases.len()];
    for _ in 0..ROUNDS {
        for (i, (_, run)) in cases.iter_mut().enumerate() {
            let mut round = Vec::with_capacity(per_round);
            for _ in 0..per_round {
                let started = Instant::now();
                fuel[i] = run();
                round.push(started.elapsed());
            }
            round_medians[i].push(stats(&mut round).0);
            samples[i].extend(round);
        }
    }
    println!("\n== per invocation, fresh instance each ({ROUNDS} rounds of {per_round} runs)");
    let (typical_median, _) = stats(&mut samples[0]);
    for (i, (name, _)) in cases.iter().enumerate() {
        let (median, p90) = stats(&mut samples[i]);
        round_medians[i].sort();
        println!(
            "{name:22} median {:7.1} µs  p90 {:7.1} µs  rounds {:.1}..{:.1} µs  {:5.2}× hello  fuel {}",
            micros(median),
            micros(p90),
            micros(round_medians[i][0]),
            micros(round_medians[i][ROUNDS - 1]),
            median.as_secs_f64() / typical_median.as_secs_f64(),
            fuel[i]
        );
    }
}

/// The same request to `hello` on a fresh instance each time and on a warm
/// one (`instances = "warm"`), in alternating rounds; target: warm at least
/// 3× cheaper (issue 13). The ratio is the median of the per-round ratios.
fn warm_vs_fresh(wasm: &[u8], hello: &wasmfaas::config::Function, n: usize) {
    let module = LoadedModule::new("hello", wasm).expect("hello loads");
    assert!(module.supports_warm(), "hello must use `http_main!`");
    let fresh = wasmfaas::config::Function {
        instances: Instances::Fresh,
        ..hello.clone()
    };
    let warm = wasmfaas::config::Function {
        instances: Instances::Warm,
        ..hello.clone()
    };
    let request = hello_request(3);
    let run = |function: &wasmfaas::config::Function| {
        let started = Instant::now();
        let outcome = http::call(&module, function, &request, CONTEXT, None);
        assert_eq!(outcome.result.expect("hello answers").status, 200);
        (started.elapsed(), outcome.usage.fuel)
    };
    for _ in 0..200 {
        run(&fresh);
        run(&warm);
    }
    let per_round = n / ROUNDS;
    let (mut fresh_medians, mut warm_medians, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut fresh_fuel, mut warm_fuel) = (0, 0);
    for _ in 0..ROUNDS {
        let mut fresh_round = Vec::with_capacity(per_round);
        let mut warm_round = Vec::with_capacity(per_round);
        for _ in 0..per_round {
            let (time, fuel) = run(&fresh);
            fresh_round.push(time);
            fresh_fuel = fuel;
            let (time, fuel) = run(&warm);
            warm_round.push(time);
            warm_fuel = fuel;
        }
        let (fresh_median, warm_median) = (stats(&mut fresh_round).0, stats(&mut warm_round).0);
        ratios.push(fresh_median.as_secs_f64() / warm_median.as_secs_f64());
        fresh_medians.push(fresh_median);
        warm_medians.push(warm_median);
    }
    ratios.sort_by(f64::total_cmp);
    let fresh_median = stats(&mut fresh_medians).0;
    let warm_median = stats(&mut warm_medians).0;
    println!(
        "\n== hello, fresh vs warm instance ({ROUNDS} alternating rounds of {per_round} pairs)"
    );
    println!(
        "fresh median {:7.1} µs  fuel {fresh_fuel}\nwarm  median {:7.1} µs  fuel {warm_fuel}",
        micros(fresh_median),
        micros(warm_median),
    );
    println!(
        "warm is {:.2}× cheaper (median of per-round ratios; rounds {:.2}..{:.2}; target ≥ 3)",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1]
    );
}

/// `GET /hello?name=Ada` with `headers` typical request headers.
fn hello_request(headers: usize) -> HttpRequest {
    let typical = [
        ("host", "localhost:8080"),
        ("user-agent", "bench"),
        ("accept", "*/*"),
    ];
    HttpRequest {
        method: "GET".into(),
        path: "/hello".into(),
        query: "name=Ada".into(),
        headers: (0..headers)
            .map(|i| {
                let (name, value) = typical.get(i).copied().unwrap_or(("x-extra", "some value"));
                (name.to_string(), value.to_string())
            })
            .collect(),
        ..HttpRequest::default()
    }
}

/// One invocation with empty stdin, args and env.
fn run_without_input(module: &LoadedModule, limits: &Limits) -> wasmfaas::runtime::Report {
    module.invoke(Invocation {
        stdin: Vec::new(),
        args: Vec::new(),
        env: Vec::new(),
        context: CONTEXT,
        limits,
        bindings: None,
    })
}

/// The same work as the hello guest, natively: parse the envelope with the SDK,
/// answer, encode.
fn native_hello(envelope: &[u8]) -> Vec<u8> {
    let request = wasmfaas_sdk::Request::parse(envelope).expect("valid envelope");
    let name = request
        .query_param("name")
        .unwrap_or_else(|| "world".into());
    let body = format!(
        "{{\"message\":{}}}",
        wasmfaas_sdk::json::string(&format!("Hello, {name}!"))
    );
    let mut out = Vec::new();
    wasmfaas_sdk::Response::json(body)
        .write_to(&mut out)
        .expect("writes to a Vec");
    out
}

fn module_loading(wasm: &[u8]) {
    let mut samples = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let _ = LoadedModule::new("hello", wasm).unwrap();
        samples.push(started.elapsed());
    }
    let (median, _) = stats(&mut samples);
    println!(
        "\n== loading hello.wasm (validate, link, trial instance; functions translate lazily)"
    );
    println!("median {:.2} ms", median.as_secs_f64() * 1e3);
}

fn whole_process(root: &Path, runs: usize) {
    let binary = env!("CARGO_BIN_EXE_wasmfaas");
    let run = || {
        let started = Instant::now();
        let out = Command::new(binary)
            .args(["-q", "invoke", "hello", "--path", "/hello?name=Ada"])
            .current_dir(root)
            .output()
            .expect("wasmfaas runs");
        assert!(out.status.success());
        started.elapsed()
    };
    run(); // Builds if needed; not measured.
    let mut samples: Vec<Duration> = (0..runs).map(|_| run()).collect();
    let (median, p90) = stats(&mut samples);
    println!("\n== whole process: `wasmfaas invoke hello` (already built, {runs} runs)");
    println!(
        "median {:.2} ms  p90 {:.2} ms",
        median.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3
    );
}

/// A CPU-bound guest: 20 million rounds of xorshift and multiply-add.
const CPU_HEAVY: &str = r#"
(module
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32) (local $x i64) (local $acc i64)
    (local.set $x (i64.const 88172645463325252))
    (loop
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (local.get $x)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get $i) (i32.const 20000000))))
    (i64.store (i32.const 0) (local.get $acc))))
"#;

fn fuel_overhead(rounds: usize) {
    let wasm = wat::parse_str(CPU_HEAVY).unwrap();
    let metered = LoadedModule::new("cpu", &wasm).unwrap();
    let unmetered =
        LoadedModule::with_options("cpu", &wasm, EngineOptions { metering: false }).unwrap();
    let limits = Limits {
        fuel: u64::MAX / 4,
        timeout: Duration::from_secs(600),
        ..Limits::default()
    };
    let time = |module: &LoadedModule| {
        let started = Instant::now();
        let report = run_without_input(module, &limits);
        assert!(report.result.is_ok(), "{:?}", report.result);
        (started.elapsed(), report.usage.fuel)
    };
    let (mut on, mut off, mut ratios, mut fuel) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for _ in 0..rounds {
        // Alternate, and compare each pair, so drift in machine speed hits both
        // sides alike; the median of the paired ratios is the figure.
        let (metered_time, used) = time(&metered);
        let unmetered_time = time(&unmetered).0;
        fuel = used;
        ratios.push(metered_time.as_secs_f64() / unmetered_time.as_secs_f64());
        on.push(metered_time);
        off.push(unmetered_time);
    }
    let (on_median, _) = stats(&mut on);
    let (off_median, _) = stats(&mut off);
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    println!("\n== fuel metering on a CPU-heavy guest ({rounds} alternating pairs)");
    println!(
        "metered {:.1} ms ({fuel} fuel)   unmetered {:.1} ms   overhead {:+.1}% (median of paired ratios)",
        on_median.as_secs_f64() * 1e3,
        off_median.as_secs_f64() * 1e3,
        (ratio - 1.0) * 100.0
    );
}
