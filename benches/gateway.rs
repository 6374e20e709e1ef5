//! `wasmfaas dev` as a user runs it: HTTP throughput and latency under `wrk`,
//! hot-reload latency (file saved → first response with the new body), memory,
//! and failed requests while reloading under load. Prints figures and a summary
//! against the targets; asserts nothing (speed targets live here, never in
//! tests). Run with `cargo bench --bench gateway`; `BENCH_QUICK=1` for a short
//! run. Needs `wrk` on PATH.
//!
//! The server is the release binary, run on a copy of the demo project in a
//! temp folder (the repo is never edited). Its stdout goes to /dev/null or to a
//! log file outside the project, never to this terminal, except in the one run
//! that pipes it back here on purpose to show what the per-request log costs.
//! Every comparison is a ratio measured in the same run, on the same machine;
//! `wrk` and the server share its cores, so absolute figures are a floor.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_wasmfaas");
const HEALTH: &str = "/__wasmfaas/health";
/// wrk's load: threads and connections, as in the brief.
const WRK_THREADS: u32 = 2;
const WRK_CONNECTIONS: u32 = 32;
/// Targets (the summary says whether each is met).
const TARGET_RPS: f64 = 20_000.0;
const TARGET_SWAP_MS: f64 = 30.0;
const TARGET_IDLE_RSS_KIB: u64 = 20 * 1024;
/// The line of the demo function that edits change.
const RUST_GREETING: &str = "\"Hello, {name}!\"";

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let settings = Settings {
        wrk_secs: if quick { 3 } else { 10 },
        rounds: if quick { 2 } else { 3 },
        reloads: if quick { 5 } else { 20 },
    };
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("wrk is not on PATH; the gateway bench needs it (apt install wrk). Skipped.");
        return;
    }
    let work = WorkDir::new();
    let demo = copy_demo(&work.path.join("demo"));
    let wat = wat_project(&work.path.join("wat"));
    let logs = work.path.join("logs");
    std::fs::create_dir_all(&logs).expect("creating the log folder");
    println!(
        "machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
    println!("server: {BINARY}\nprojects: {}", work.path.display());
    prebuild(&demo);

    let mut summary = Summary::default();
    // `BENCH_ONLY=throughput,starvation,piped,reload,under-load,counter,record` runs some sections.
    let only = std::env::var("BENCH_ONLY").ok();
    let run = |section: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|s| s == section))
    };
    if run("throughput") {
        throughput(&demo, &logs, &settings, &mut summary);
    }
    if run("starvation") {
        starvation(&demo, &logs, &settings, &mut summary);
    }
    if run("piped") {
        piped_log(&demo, &logs, &settings, &mut summary);
    }
    if run("reload") {
        reload_latency(&demo, &wat, &logs, &settings, &mut summary);
    }
    if run("under-load") {
        reloads_under_load(&demo, &wat, &logs, &settings, &mut summary);
    }
    if run("counter") {
        counter(&demo, &work.path, &logs, &settings);
    }
    if run("record") {
        recording(&demo, &work.path, &logs, &settings);
    }
    println!("\nload average at the end: {}", load_average());
    summary.print(&settings);
}

/// `POST /counter/:name` on the demo, with its KV state persisted in SQLite:
/// each request is a fresh instance, a KV get and a KV put (one transaction).
/// The names are spread over 1000 counters, as different users would be.
fn counter(demo: &Path, work: &Path, logs: &Path, settings: &Settings) {
    let script = work.join("counter.lua");
    std::fs::write(
        &script,
        "request = function()\n  return wrk.format(\"POST\", \"/counter/c\" .. math.random(1, 1000))\nend\n",
    )
    .expect("writing the wrk script");
    println!(
        "\n== POST /counter/:name, persisted KV get + put per request ({} rounds)",
        settings.rounds
    );
    let mut rates = Vec::new();
    for round in 1..=settings.rounds {
        let mut server = Server::start(demo, Output::Null, logs, "counter");
        let output = Command::new("wrk")
            .args([
                format!("-t{WRK_THREADS}"),
                format!("-c{WRK_CONNECTIONS}"),
                format!("-d{}s", settings.wrk_secs),
                "--latency".into(),
                "-s".into(),
                script.display().to_string(),
                format!("http://127.0.0.1:{}/", server.port),
            ])
            .output()
            .expect("running wrk");
        let wrk = Wrk::parse(&String::from_utf8_lossy(&output.stdout));
        println!(
            "round {round}: counter {}  non-2xx {}, socket errors {}",
            wrk.line(),
            wrk.non_2xx,
            wrk.socket_errors
        );
        rates.push(wrk.rps);
        server.stop();
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "median  counter {} req/s (target ≥ 5,000 persisted)",
        grouped(rates[rates.len() / 2])
    );
}

/// The cost of `--record` on the request path: `/hello` with and without
/// it, interleaved rounds on fresh servers. Every request recorded becomes a
/// fixture file; the writer drops what it cannot keep up with rather than
/// slow requests, so the files written are counted too.
fn recording(demo: &Path, work: &Path, logs: &Path, settings: &Settings) {
    println!(
        "\n== GET /hello with and without `dev --record` ({} interleaved rounds, wrk -d{}s)",
        settings.rounds, settings.wrk_secs
    );
    let mut ratios = Vec::new();
    let (mut plain_rates, mut record_rates) = (Vec::new(), Vec::new());
    for round in 1..=settings.rounds {
        let mut server = Server::start(demo, Output::Null, logs, "plain");
        wrk(server.port, "/hello", 1);
        let plain = wrk(server.port, "/hello", settings.wrk_secs);
        server.stop();
        let dir = work.join(format!("recorded-{round}"));
        let dir_arg = dir.display().to_string();
        let mut server =
            Server::start_with(demo, Output::Null, logs, "record", &["--record", &dir_arg]);
        let warm = wrk(server.port, "/hello", 1);
        let recorded = wrk(server.port, "/hello", settings.wrk_secs);
        // The files thread writes the spool out once the load stops: wait
        // for every answered request to be a file (or for progress to stop).
        let requests = warm.requests + recorded.requests;
        let load_end = Instant::now();
        let (mut files, mut last_change) = (count_files(&dir), Instant::now());
        while files < requests as usize && last_change.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(100));
            let now = count_files(&dir);
            if now != files {
                (files, last_change) = (now, Instant::now());
            }
        }
        let catch_up = load_end.elapsed();
        server.stop();
        println!(
            "round {round}: plain {} req/s, --record {} req/s ({:.1}% slower); {} fixture files \
             for {} answered requests, the last written {:.1} s after the load stopped",
            grouped(plain.rps),
            grouped(recorded.rps),
            (1.0 - recorded.rps / plain.rps) * 100.0,
            grouped(files as f64),
            grouped(requests as f64),
            catch_up.as_secs_f64()
        );
        ratios.push(recorded.rps / plain.rps);
        plain_rates.push(plain.rps);
        record_rates.push(recorded.rps);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let ratio = median_f64(&mut ratios);
    println!(
        "median  plain {} req/s, --record {} req/s; record/plain {ratio:.3} \
         ({:.1}% slower; target ≤ 10%)",
        grouped(median_f64(&mut plain_rates)),
        grouped(median_f64(&mut record_rates)),
        (1.0 - ratio) * 100.0
    );
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                count_files(&entry.path())
            } else {
                1
            }
        })
        .sum()
}

struct Settings {
    wrk_secs: u32,
    rounds: usize,
    reloads: usize,
}

// ---------------------------------------------------------------------------
// 1 and 3: throughput, latency, memory

fn throughput(demo: &Path, logs: &Path, settings: &Settings, summary: &mut Summary) {
    let mut server = Server::start(demo, Output::Null, logs, "throughput");
    std::thread::sleep(Duration::from_secs(1));
    let idle = server.memory();
    println!(
        "\n== memory of `wasmfaas dev` on the demo, idle after start: RSS {}",
        mib(idle.rss_kib)
    );
    // Warm up: connections, allocator, the lazily translated guest functions.
    wrk(server.port, "/hello", 1);
    wrk(server.port, HEALTH, 1);

    let (mut hello, mut health, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    println!(
        "\n== wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{}s --latency, stdout to /dev/null, \
         {} interleaved rounds",
        settings.wrk_secs, settings.rounds
    );
    for round in 1..=settings.rounds {
        let h = wrk(server.port, "/hello", settings.wrk_secs);
        let g = wrk(server.port, HEALTH, settings.wrk_secs);
        println!("round {round}: /hello  {}", h.line());
        println!("round {round}: health  {}", g.line());
        ratios.push(h.rps / g.rps);
        hello.push(h);
        health.push(g);
    }
    let hello = Wrk::median(&hello);
    let health = Wrk::median(&health);
    let ratio = median_f64(&mut ratios);
    println!("median  /hello  {}", hello.line());
    println!("median  health  {}", health.line());
    println!("hello/health throughput {ratio:.2} (median of per-round ratios)");

    let after = server.memory();
    println!(
        "\n== memory after the wrk runs: peak RSS (VmHWM) {}, RSS now {}",
        mib(after.hwm_kib),
        mib(after.rss_kib)
    );
    let exit = server.stop();
    println!("Ctrl-C → {}", describe_exit(exit));
    summary.hello = Some(hello);
    summary.health = Some(health);
    summary.ratio = ratio;
    summary.idle_rss_kib = idle.rss_kib;
    summary.peak_rss_kib = after.hwm_kib;
    summary.clean_exits.push(exit.is_some_and(|s| s.success()));
}

/// One run of each route with stdout piped back and read line by line here, as
/// a terminal would: the price of the per-request log.
fn piped_log(demo: &Path, logs: &Path, settings: &Settings, summary: &mut Summary) {
    let mut server = Server::start(demo, Output::Pipe, logs, "piped");
    let warm_up = wrk(server.port, "/hello", 1);
    let hello = wrk(server.port, "/hello", settings.wrk_secs);
    let health = wrk(server.port, HEALTH, settings.wrk_secs);
    let memory = server.memory();
    let exit = server.stop();
    let lines = server.lines_read();
    println!("\n== the same, once, with stdout piped to a reader (as a terminal user has it)");
    println!("piped   /hello  {}", hello.line());
    println!("piped   health  {}", health.line());
    if let (Some(h), Some(g)) = (&summary.hello, &summary.health) {
        println!(
            "piped/null throughput: /hello {:.2}, health {:.2}",
            hello.rps / h.rps,
            health.rps / g.rps
        );
    }
    // The readiness check and the runs.
    let requests = 1 + warm_up.requests + hello.requests + health.requests;
    println!(
        "lines read {lines} for ≥ {requests} requests (every request must be logged); \
         peak RSS {}; Ctrl-C → {}",
        mib(memory.hwm_kib),
        describe_exit(exit)
    );
    summary.hello_piped = Some(hello);
    summary.health_piped = Some(health);
    summary.clean_exits.push(exit.is_some_and(|s| s.success()));
}

// ---------------------------------------------------------------------------
// 2: reload latency

fn reload_latency(demo: &Path, wat: &Path, logs: &Path, settings: &Settings, s: &mut Summary) {
    let n = settings.reloads;
    println!("\n== reload: file saved → first response with the new body ({n} edits each)");
    let main_rs = demo.join("functions/hello/src/main.rs");
    let original = pristine_main_rs();
    let mut server = Server::start(demo, Output::Pipe, logs, "reload-rust");
    let rust = ReloadStats::of(&measure_reloads(&mut server, n, &|i| {
        let source = original.replace(RUST_GREETING, &format!("\"Hello v{i}, {{name}}!\""));
        std::fs::write(&main_rs, source).expect("editing main.rs");
        format!("Hello v{i}, world!")
    }));
    let exit = server.stop();
    s.clean_exits.push(exit.is_some_and(|x| x.success()));
    println!("Rust (cargo):  {}", rust.line());

    let wat_file = wat.join("hello.wat");
    let mut server = Server::start(wat, Output::Pipe, logs, "reload-wat");
    let wat_stats = ReloadStats::of(&measure_reloads(&mut server, n, &|i| {
        std::fs::write(&wat_file, wat_source(i)).expect("editing hello.wat");
        format!("wat v{i}\n")
    }));
    let exit = server.stop();
    s.clean_exits.push(exit.is_some_and(|x| x.success()));
    println!(".wat:          {}", wat_stats.line());
    println!(
        "(detect = save → `Building` printed, Rust only; rest = total − build − swap: \
         the watcher's {} ms debounce, event delivery, this poller's 2 ms period)",
        wasmfaas::dev::DEBOUNCE.as_millis()
    );
    s.rust_reload = Some(rust);
    s.wat_reload = Some(wat_stats);
}

/// One reload as seen from outside.
struct Reload {
    total: Duration,
    build_ms: f64,
    swap_ms: f64,
    /// Save → the console printed `Building` (cargo builds only).
    detect: Option<Duration>,
}

struct ReloadStats {
    total_ms: f64,
    build_ms: f64,
    swap_ms: f64,
    max_swap_ms: f64,
    rest_ms: f64,
    detect_ms: Option<f64>,
    count: usize,
}

impl ReloadStats {
    fn of(reloads: &[Reload]) -> ReloadStats {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let mut total: Vec<f64> = reloads.iter().map(|r| ms(r.total)).collect();
        let mut build: Vec<f64> = reloads.iter().map(|r| r.build_ms).collect();
        let mut swap: Vec<f64> = reloads.iter().map(|r| r.swap_ms).collect();
        let mut rest: Vec<f64> = reloads
            .iter()
            .map(|r| ms(r.total) - r.build_ms - r.swap_ms)
            .collect();
        let mut detect: Vec<f64> = reloads.iter().filter_map(|r| r.detect.map(ms)).collect();
        ReloadStats {
            total_ms: median_f64(&mut total),
            build_ms: median_f64(&mut build),
            swap_ms: median_f64(&mut swap),
            max_swap_ms: swap.iter().copied().fold(0.0, f64::max),
            rest_ms: median_f64(&mut rest),
            detect_ms: (!detect.is_empty()).then(|| median_f64(&mut detect)),
            count: reloads.len(),
        }
    }

    fn line(&self) -> String {
        let detect = self
            .detect_ms
            .map_or(String::new(), |d| format!(" (detect {d:.0})"));
        format!(
            "median total {:7.1} ms = build {:6.1} + swap {:4.1} (max {:4.1}) + rest {:5.1}{detect}  \
             [{} reloads]",
            self.total_ms, self.build_ms, self.swap_ms, self.max_swap_ms, self.rest_ms, self.count
        )
    }
}

/// Edits `n` times with `edit(version)` (which returns a piece of the new
/// body), each time polling `/hello` until the new body answers, and pairs it
/// with the `Reloaded` line the server printed.
fn measure_reloads(server: &mut Server, n: usize, edit: &dyn Fn(usize) -> String) -> Vec<Reload> {
    let lines = server.lines.take().expect("a piped server");
    let mut reloads = Vec::with_capacity(n);
    for i in 1..=n {
        // Let the previous build's aftermath (cargo's writes, events) settle.
        std::thread::sleep(Duration::from_millis(300));
        while lines.try_recv().is_ok() {}
        let marker = edit(i);
        let saved = Instant::now();
        let total = wait_for_body(server.port, "/hello", &marker, &mut 0);
        let mut detect = None;
        let (build_ms, swap_ms) = loop {
            let (at, line) = lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no `Reloaded` line after edit {i}"));
            if line.contains("Building") {
                detect.get_or_insert(at.duration_since(saved));
            }
            if let Some(times) = parse_reloaded(&line) {
                break times;
            }
            if line.contains("Failed") {
                panic!("the build after edit {i} failed: {line}");
            }
        };
        reloads.push(Reload {
            total,
            build_ms,
            swap_ms,
            detect,
        });
    }
    server.lines = Some(lines);
    reloads
}

/// Polls `path` until its body contains `marker`; returns the time waited.
/// Requests that fail or answer other than 200 are added to `failures`.
fn wait_for_body(port: u16, path: &str, marker: &str, failures: &mut u64) -> Duration {
    let started = Instant::now();
    loop {
        match get(port, path) {
            Ok((200, body)) if contains(&body, marker.as_bytes()) => return started.elapsed(),
            Ok((200, _)) => {}
            Ok(_) | Err(_) => *failures += 1,
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{marker:?} never appeared at {path}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `    Reloaded hello (build 812 ms, swap 1.3 ms)` → (812.0, 1.3).
fn parse_reloaded(line: &str) -> Option<(f64, f64)> {
    let rest = line.trim_start().strip_prefix("Reloaded ")?;
    let build = rest.split("(build ").nth(1)?.split(" ms").next()?;
    let swap = rest.split("swap ").nth(1)?.split(" ms").next()?;
    Some((build.parse().ok()?, swap.parse().ok()?))
}

// ---------------------------------------------------------------------------
// 4: failed requests while reloading under load

fn reloads_under_load(demo: &Path, wat: &Path, logs: &Path, settings: &Settings, s: &mut Summary) {
    let main_rs = demo.join("functions/hello/src/main.rs");
    let original = pristine_main_rs();
    let rust = under_load("Rust", demo, logs, settings, &|i| {
        // Versions past the latency test's, so every edit changes the body.
        let version = 1000 + i;
        let source = original.replace(RUST_GREETING, &format!("\"Hello v{version}, {{name}}!\""));
        std::fs::write(&main_rs, source).expect("editing main.rs");
        format!("Hello v{version}, world!")
    });
    let wat_file = wat.join("hello.wat");
    let wat = under_load(".wat", wat, logs, settings, &|i| {
        std::fs::write(&wat_file, wat_source(1000 + i)).expect("editing hello.wat");
        format!("wat v{}\n", 1000 + i)
    });
    s.clean_exits.extend([rust.clean_exit, wat.clean_exit]);
    s.under_load = vec![rust, wat];
}

/// What [`under_load`] saw.
struct UnderLoad {
    name: &'static str,
    wrk: Wrk,
    /// wrk's non-2xx and socket errors, plus this process's polls that failed.
    failed: u64,
    reloaded: usize,
    clean_exit: bool,
}

/// `settings.reloads` edits with `edit` while wrk loads `/hello`, each waiting
/// for the new body before the next.
fn under_load(
    name: &'static str,
    dir: &Path,
    logs: &Path,
    settings: &Settings,
    edit: &dyn Fn(usize) -> String,
) -> UnderLoad {
    let n = settings.reloads;
    let log = logs.join(format!(
        "under-load-{}.stdout",
        name.trim_start_matches('.')
    ));
    let mut server = Server::start(dir, Output::File(log.clone()), logs, "under-load");
    let mut load = WrkRun::spawn(server.port, "/hello", 3600);
    std::thread::sleep(Duration::from_millis(500));
    let served = served_connections(server.port);
    let mut poll_failures = 0;
    let mut totals = Vec::with_capacity(n);
    for i in 1..=n {
        std::thread::sleep(Duration::from_millis(300));
        let marker = edit(i);
        let waited = wait_for_body(server.port, "/hello", &marker, &mut poll_failures);
        totals.push(waited.as_secs_f64() * 1e3);
    }
    std::thread::sleep(Duration::from_secs(1));
    let mut result = load.stop();
    result.served = Some(served);
    let exit = server.stop();
    let printed = std::fs::read_to_string(&log).unwrap_or_default();
    let count = |word: &str| {
        printed
            .lines()
            .filter(|l| l.trim_start().starts_with(word))
            .count()
    };
    let (reloaded, failed_builds) = (count("Reloaded"), count("Failed"));
    let times: Vec<(f64, f64)> = printed.lines().filter_map(parse_reloaded).collect();
    let mut builds: Vec<f64> = times.iter().map(|t| t.0).collect();
    let mut swaps: Vec<f64> = times.iter().map(|t| t.1).collect();
    let failed = result.non_2xx + result.socket_errors + poll_failures;
    println!("\n== {n} edits of the {name} source under wrk load on /hello");
    println!("wrk     /hello  {}  max {}", result.line(), ms(result.max));
    println!(
        "non-2xx {}, socket errors {} ({}), poller failures {poll_failures} → failed {failed}",
        result.non_2xx, result.socket_errors, result.socket_detail
    );
    println!(
        "`Reloaded` lines {reloaded}, `Failed` lines {failed_builds}; Ctrl-C → {}",
        describe_exit(exit)
    );
    if !swaps.is_empty() {
        println!(
            "save → new body median {:.0} ms (max {:.0}); build median {:.0} ms; \
             swap median {:.1} ms (max {:.1})",
            median_f64(&mut totals),
            totals.iter().copied().fold(0.0, f64::max),
            median_f64(&mut builds),
            median_f64(&mut swaps),
            swaps.iter().copied().fold(0.0, f64::max)
        );
    }
    UnderLoad {
        name,
        wrk: result,
        failed,
        reloaded,
        clean_exit: exit.is_some_and(|s| s.success()),
    }
}

// ---------------------------------------------------------------------------
// Connection starvation (tiny_http's pool; see vendor/README.md)

/// A fresh server per trial and wrk's burst of connections: how many get
/// answered at all (a regression check for the patched tiny_http pool).
fn starvation(demo: &Path, logs: &Path, settings: &Settings, summary: &mut Summary) {
    let trials = if settings.rounds < 3 { 2 } else { 5 };
    println!(
        "\n== {WRK_CONNECTIONS} connections at once on a fresh server \
         ({trials} trials, wrk -d3s on /hello)"
    );
    let mut served = Vec::with_capacity(trials);
    for trial in 1..=trials {
        let mut server = Server::start(demo, Output::Null, logs, "starvation");
        let mut run = WrkRun::spawn(server.port, "/hello", 3);
        std::thread::sleep(Duration::from_secs(1));
        let n = served_connections(server.port);
        let wrk = run.finish();
        let exit = server.stop();
        summary.clean_exits.push(exit.is_some_and(|s| s.success()));
        println!(
            "trial {trial}: {n}/{WRK_CONNECTIONS} connections answered; wrk saw {} req/s, \
             p50 {} (over the answered ones only)",
            grouped(wrk.rps),
            ms(wrk.p50)
        );
        served.push(n);
    }
    summary.starvation = served;
}

// ---------------------------------------------------------------------------
// The server

enum Output {
    /// /dev/null: the log costs its `write` calls, and nothing reads it.
    Null,
    /// A pipe read line by line by this process.
    Pipe,
    /// A file outside the project (not watched).
    File(PathBuf),
}

/// A running `wasmfaas dev`; killed if still running when dropped.
struct Server {
    child: Child,
    port: u16,
    /// With [`Output::Pipe`]: lines other than request lines, with arrival time.
    lines: Option<Receiver<(Instant, String)>>,
    reader: Option<JoinHandle<u64>>,
    lines_read: u64,
}

impl Server {
    /// Starts `wasmfaas dev` in `dir` on a free port and waits until it answers.
    fn start(dir: &Path, output: Output, logs: &Path, name: &str) -> Server {
        Server::start_with(dir, output, logs, name, &[])
    }

    /// [`Server::start`] with more arguments for `wasmfaas dev`.
    fn start_with(dir: &Path, output: Output, logs: &Path, name: &str, extra: &[&str]) -> Server {
        let stderr_path = logs.join(format!("{name}.stderr"));
        for _attempt in 0..5 {
            let port = free_port();
            let stdout = match &output {
                Output::Null => Stdio::null(),
                Output::Pipe => Stdio::piped(),
                Output::File(path) => File::create(path).expect("creating the log file").into(),
            };
            let stderr = File::create(&stderr_path).expect("creating the stderr file");
            let mut child = Command::new(BINARY)
                .args(["dev", "--port", &port.to_string()])
                .args(extra)
                .current_dir(dir)
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .expect("starting wasmfaas dev");
            let (lines, reader) = match child.stdout.take() {
                Some(stdout) => {
                    let (tx, rx) = mpsc::channel();
                    (
                        Some(rx),
                        Some(std::thread::spawn(move || read_lines(stdout, tx))),
                    )
                }
                None => (None, None),
            };
            let started = Instant::now();
            loop {
                if let Some(status) = child.try_wait().expect("waiting on the server") {
                    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                    if stderr.contains("cannot listen") {
                        break; // The port was taken meanwhile: another one.
                    }
                    panic!("wasmfaas dev exited ({status}) at start:\n{stderr}");
                }
                if matches!(get(port, HEALTH), Ok((200, _))) {
                    return Server {
                        child,
                        port,
                        lines,
                        reader,
                        lines_read: 0,
                    };
                }
                assert!(
                    started.elapsed() < Duration::from_secs(600),
                    "wasmfaas dev did not answer within 10 minutes"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("no free port found for wasmfaas dev");
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid fits i32")
    }

    fn memory(&self) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
        }
    }

    /// Ctrl-C, then waits for the exit (None: still running after 30 s, killed).
    fn stop(&mut self) -> Option<ExitStatus> {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(self.pid(), libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting on the server") {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(reader) = self.reader.take() {
            self.lines_read = reader.join().unwrap_or(0);
        }
        status
    }

    fn lines_read(&self) -> u64 {
        self.lines_read
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads the server's stdout to the end; forwards lines that are not request
/// lines (`12:04:31.207 200 GET …`) with their arrival time; returns the count.
fn read_lines(stdout: impl Read, tx: mpsc::Sender<(Instant, String)>) -> u64 {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut line = String::new();
    let mut count = 0;
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        count += 1;
        let b = line.as_bytes();
        let request = b.len() > 13 && b[2] == b':' && b[5] == b':' && b[8] == b'.';
        if !request {
            let _ = tx.send((Instant::now(), line.trim_end().to_string()));
        }
        line.clear();
    }
    count
}

struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
}

fn describe_exit(status: Option<ExitStatus>) -> String {
    match status {
        Some(s) if s.success() => "exit 0".into(),
        Some(s) => format!("{s} (expected exit 0)"),
        None => "still running after 30 s, killed".into(),
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("local address").port()
}

/// `GET path` on a new connection; (status, body).
fn get(port: u16, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let head_end = find(&response, b"\r\n\r\n").ok_or_else(bad)?;
    let status = std::str::from_utf8(&response[..head_end])
        .ok()
        .and_then(|head| head.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(bad)?;
    Ok((status, response[head_end + 4..].to_vec()))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

// ---------------------------------------------------------------------------
// wrk

#[derive(Clone)]
struct Wrk {
    rps: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    requests: u64,
    /// Of wrk's connections, how many the server answered at all (sampled).
    served: Option<usize>,
    non_2xx: u64,
    socket_errors: u64,
    socket_detail: String,
}

impl Wrk {
    fn parse(output: &str) -> Wrk {
        let mut wrk = Wrk {
            rps: 0.0,
            p50: Duration::ZERO,
            p99: Duration::ZERO,
            max: Duration::ZERO,
            requests: 0,
            served: None,
            non_2xx: 0,
            socket_errors: 0,
            socket_detail: "none".into(),
        };
        for line in output.lines().map(str::trim) {
            let mut words = line.split_whitespace();
            match (words.next(), words.next()) {
                (Some("Requests/sec:"), Some(v)) => wrk.rps = v.parse().unwrap_or(0.0),
                (Some("50%"), Some(v)) => wrk.p50 = wrk_time(v),
                (Some("99%"), Some(v)) => wrk.p99 = wrk_time(v),
                // `Latency   491.70us  407.48us  23.94ms   94.89%`: avg, stdev, max.
                (Some("Latency"), Some(v)) if v != "Distribution" => {
                    wrk.max = line
                        .split_whitespace()
                        .nth(3)
                        .map_or(Duration::ZERO, wrk_time);
                }
                (Some(n), Some("requests")) => wrk.requests = n.parse().unwrap_or(0),
                _ => {}
            }
            if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
                wrk.non_2xx = n.trim().parse().unwrap_or(0);
            }
            if let Some(detail) = line.strip_prefix("Socket errors:") {
                wrk.socket_detail = detail.trim().to_string();
                wrk.socket_errors = detail
                    .split(',')
                    .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                    .sum();
            }
        }
        assert!(wrk.rps > 0.0, "could not read wrk's output:\n{output}");
        wrk
    }

    /// The median of each figure over `runs` (figures taken separately).
    fn median(runs: &[Wrk]) -> Wrk {
        let mut rps: Vec<f64> = runs.iter().map(|r| r.rps).collect();
        let mut p50: Vec<Duration> = runs.iter().map(|r| r.p50).collect();
        let mut p99: Vec<Duration> = runs.iter().map(|r| r.p99).collect();
        p50.sort();
        p99.sort();
        Wrk {
            rps: median_f64(&mut rps),
            p50: p50[p50.len() / 2],
            p99: p99[p99.len() / 2],
            max: runs.iter().map(|r| r.max).max().unwrap_or_default(),
            requests: runs.iter().map(|r| r.requests).sum(),
            served: runs.iter().filter_map(|r| r.served).min(),
            non_2xx: runs.iter().map(|r| r.non_2xx).sum(),
            socket_errors: runs.iter().map(|r| r.socket_errors).sum(),
            socket_detail: String::new(),
        }
    }

    fn line(&self) -> String {
        let errors = if self.non_2xx + self.socket_errors > 0 {
            format!(
                "  non-2xx {} socket errors {}",
                self.non_2xx, self.socket_errors
            )
        } else {
            String::new()
        };
        let served = self.served.map_or(String::new(), |n| {
            format!("  {n}/{WRK_CONNECTIONS} conns served")
        });
        format!(
            "{:>9} req/s  p50 {:7.3} ms  p99 {:7.3} ms{served}{errors}",
            grouped(self.rps),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3
        )
    }
}

/// wrk's `231.00us`, `1.05ms`, `2.00s`, `1.00m`.
fn wrk_time(text: &str) -> Duration {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let value: f64 = text[..split].parse().unwrap_or(0.0);
    let seconds = match &text[split..] {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => 0.0,
    };
    Duration::from_secs_f64(seconds)
}

fn wrk_command(port: u16, path: &str, secs: u32) -> Command {
    let mut command = Command::new("wrk");
    command.args([
        format!("-t{WRK_THREADS}"),
        format!("-c{WRK_CONNECTIONS}"),
        format!("-d{secs}s"),
        "--latency".into(),
        format!("http://127.0.0.1:{port}{path}"),
    ]);
    command
}

/// A wrk run of `secs`; runs of 3 s or more also sample how many of wrk's
/// connections the server actually answers (tiny_http 0.12 as published left
/// most of a burst unanswered; see vendor/README.md and [`starvation`]).
fn wrk(port: u16, path: &str, secs: u32) -> Wrk {
    let mut run = WrkRun::spawn(port, path, secs);
    let served = (secs >= 3).then(|| {
        std::thread::sleep(Duration::from_secs(1));
        served_connections(port)
    });
    let mut wrk = run.finish();
    wrk.served = served;
    wrk
}

/// How many established connections to `port` the server is reading: four
/// samples 250 ms apart; a connection whose unread byte count stays the same
/// non-zero value throughout has a request nobody picked up.
fn served_connections(port: u16) -> usize {
    let samples: Vec<BTreeMap<String, u64>> = (0..4)
        .map(|i| {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(250));
            }
            server_sockets(port)
        })
        .collect();
    let open = samples[0].len();
    let stuck = samples[0]
        .iter()
        .filter(|(peer, unread)| {
            **unread > 0 && samples[1..].iter().all(|s| s.get(*peer) == Some(*unread))
        })
        .count();
    open - stuck
}

/// Established server-side sockets on `port` (IPv4 loopback) as peer address →
/// bytes received and not yet read by the server, from /proc/net/tcp.
fn server_sockets(port: u16) -> BTreeMap<String, u64> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let local_suffix = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, peer, state, queues) = (fields[1], fields[2], fields[3], fields[4]);
            if !local.ends_with(&local_suffix) || state != "01" {
                return None;
            }
            let unread = u64::from_str_radix(queues.split(':').nth(1)?, 16).ok()?;
            Some((peer.to_string(), unread))
        })
        .collect()
}

/// wrk running in the background until [`WrkRun::stop`] (SIGINT: wrk then
/// prints its report as if its duration had ended).
struct WrkRun(Option<Child>);

impl WrkRun {
    fn spawn(port: u16, path: &str, secs: u32) -> WrkRun {
        let child = wrk_command(port, path, secs)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting wrk");
        WrkRun(Some(child))
    }

    fn stop(&mut self) -> Wrk {
        let child = self.0.as_ref().expect("wrk is running");
        let pid = i32::try_from(child.id()).expect("pid fits i32");
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(pid, libc::SIGINT) };
        self.finish()
    }

    /// Waits for wrk to end and reads its report.
    fn finish(&mut self) -> Wrk {
        let child = self.0.take().expect("wrk is running");
        let output = child.wait_with_output().expect("waiting for wrk");
        Wrk::parse(&String::from_utf8_lossy(&output.stdout))
    }
}

impl Drop for WrkRun {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// Projects

/// A temp folder removed at the end (and on panic).
struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    fn new() -> WorkDir {
        let path =
            std::env::temp_dir().join(format!("wasmfaas-bench-gateway-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating the bench folder");
        WorkDir { path }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        // `BENCH_KEEP=1` keeps the projects and server logs for a look.
        if std::env::var_os("BENCH_KEEP").is_some() {
            println!("kept {}", self.path.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Copies the demo project (config, functions, SDK) to `to`, keeping the
/// layout so `path = "../../sdk"` still resolves; build output is not copied.
fn copy_demo(to: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(to).expect("creating the demo copy");
    std::fs::copy(root.join("wasmfaas.toml"), to.join("wasmfaas.toml")).expect("copying config");
    copy_tree(&root.join("functions"), &to.join("functions"));
    copy_tree(&root.join("sdk"), &to.join("sdk"));
    assert!(
        pristine_main_rs().contains(RUST_GREETING),
        "the demo's main.rs no longer contains {RUST_GREETING}; update the bench"
    );
    to.to_path_buf()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a folder");
    for entry in std::fs::read_dir(from).expect("reading a folder").flatten() {
        let name = entry.file_name();
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if name != "target" && name != ".wasmfaas" {
                copy_tree(&path, &to.join(&name));
            }
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copying a file");
        }
    }
}

/// The demo's `main.rs` as in the repo (the copy's is edited by the bench).
fn pristine_main_rs() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("functions/hello/src/main.rs"))
        .expect("the demo has functions/hello/src/main.rs")
}

/// A project with one `.wat` function on `GET /hello`.
fn wat_project(to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).expect("creating the wat project");
    std::fs::write(
        to.join("wasmfaas.toml"),
        "[project]\nname = \"watbench\"\n\n[functions.hello]\nsource = \"hello.wat\"\n\
         routes = [\"GET /hello\"]\n",
    )
    .expect("writing the wat config");
    std::fs::write(to.join("hello.wat"), wat_source(0)).expect("writing hello.wat");
    to.to_path_buf()
}

/// A guest answering 200 `wat v{version}` (http ABI: response envelope on stdout).
fn wat_source(version: usize) -> String {
    let envelope = format!(
        "{{\"status\":200,\"headers\":[[\"content-type\",\"text/plain\"]]}}\nwat v{version}\n"
    );
    let escaped: String = envelope
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' => format!("\\{}", b as char),
            b' '..=b'~' => (b as char).to_string(),
            _ => format!("\\{b:02x}"),
        })
        .collect();
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{escaped}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        len = envelope.len()
    )
}

/// Builds the demo copy once, so every server below starts without building.
fn prebuild(demo: &Path) {
    let started = Instant::now();
    let out = Command::new(BINARY)
        .args(["-q", "build"])
        .current_dir(demo)
        .env("NO_COLOR", "1")
        .output()
        .expect("running wasmfaas build");
    assert!(
        out.status.success(),
        "building the demo copy failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "first build of the demo copy (cold cargo target): {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// Figures

fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// 15540.2 → `15,540`.
fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[derive(Default)]
struct Summary {
    hello: Option<Wrk>,
    health: Option<Wrk>,
    ratio: f64,
    hello_piped: Option<Wrk>,
    health_piped: Option<Wrk>,
    idle_rss_kib: u64,
    peak_rss_kib: u64,
    rust_reload: Option<ReloadStats>,
    wat_reload: Option<ReloadStats>,
    under_load: Vec<UnderLoad>,
    starvation: Vec<usize>,
    clean_exits: Vec<bool>,
}

impl Summary {
    fn print(&self, settings: &Settings) {
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        let mut rows: Vec<[String; 4]> = Vec::new();
        let mut row = |what: &str, value: String, target: &str, status: &str| {
            rows.push([what.into(), value, target.into(), status.into()]);
        };
        if let (Some(hello), Some(health)) = (&self.hello, &self.health) {
            row(
                "GET /hello throughput",
                format!("{} req/s", grouped(hello.rps)),
                "≥ 20,000 req/s",
                verdict(hello.rps >= TARGET_RPS),
            );
            row(
                "GET /hello latency p50 / p99",
                format!("{} / {}", ms(hello.p50), ms(hello.p99)),
                "",
                "",
            );
            row(
                "health (HTTP ceiling) throughput",
                format!("{} req/s", grouped(health.rps)),
                "",
                "",
            );
            row(
                "health latency p50 / p99",
                format!("{} / {}", ms(health.p50), ms(health.p99)),
                "",
                "",
            );
            row("hello / health", format!("{:.2}", self.ratio), "", "");
        }
        if let (Some(hello), Some(base)) = (&self.hello_piped, &self.hello) {
            row(
                "GET /hello, stdout piped",
                format!(
                    "{} req/s ({:.2}×)",
                    grouped(hello.rps),
                    hello.rps / base.rps
                ),
                "",
                "",
            );
        }
        if let (Some(health), Some(base)) = (&self.health_piped, &self.health) {
            row(
                "health, stdout piped",
                format!(
                    "{} req/s ({:.2}×)",
                    grouped(health.rps),
                    health.rps / base.rps
                ),
                "",
                "",
            );
        }
        for (name, stats) in [("Rust", &self.rust_reload), (".wat", &self.wat_reload)] {
            let Some(stats) = stats else { continue };
            row(
                &format!("reload {name}: save → new body"),
                format!("{:.0} ms", stats.total_ms),
                "",
                "",
            );
            row(
                &format!("reload {name}: build"),
                format!("{:.1} ms", stats.build_ms),
                "",
                "",
            );
            row(
                &format!("reload {name}: swap (median / max)"),
                format!("{:.1} / {:.1} ms", stats.swap_ms, stats.max_swap_ms),
                "≤ 30 ms",
                verdict(stats.max_swap_ms <= TARGET_SWAP_MS),
            );
        }
        row(
            "RSS idle after start",
            mib(self.idle_rss_kib),
            "≤ 20 MiB",
            verdict(self.idle_rss_kib <= TARGET_IDLE_RSS_KIB),
        );
        row("peak RSS after wrk", mib(self.peak_rss_kib), "", "");
        for run in &self.under_load {
            row(
                &format!(
                    "failed requests, {} {} reloads under load",
                    settings.reloads, run.name
                ),
                format!("{} ({} reloads seen)", run.failed, run.reloaded),
                "0",
                verdict(run.failed == 0 && run.reloaded == settings.reloads),
            );
            row(
                "  meanwhile /hello p99 / max",
                format!("{} / {}", ms(run.wrk.p99), ms(run.wrk.max)),
                "",
                "",
            );
        }
        if !self.starvation.is_empty() {
            let all = self
                .starvation
                .iter()
                .all(|n| *n == WRK_CONNECTIONS as usize);
            let list: Vec<String> = self.starvation.iter().map(ToString::to_string).collect();
            row(
                "conns answered, cold burst of 32",
                format!("{} per trial", list.join(", ")),
                "32",
                verdict(all),
            );
        }
        let measured: Vec<usize> = [&self.hello, &self.health]
            .into_iter()
            .flatten()
            .filter_map(|w| w.served)
            .chain(self.under_load.iter().filter_map(|u| u.wrk.served))
            .collect();
        if !measured.is_empty() {
            row(
                "conns answered in measured runs",
                format!("min {}/32", measured.iter().min().unwrap_or(&0)),
                "32",
                verdict(measured.iter().all(|n| *n == WRK_CONNECTIONS as usize)),
            );
        }
        row(
            "Ctrl-C exits 0",
            format!(
                "{}/{}",
                self.clean_exits.iter().filter(|ok| **ok).count(),
                self.clean_exits.len()
            ),
            "all",
            verdict(self.clean_exits.iter().all(|ok| *ok)),
        );
        let widths: Vec<usize> = (0..4)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        println!("\n== summary");
        for r in &rows {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
            println!("{}", line.trim_end());
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
