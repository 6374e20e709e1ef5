//! Random modules from `wasm-smith`, run as a user's function runs: loaded with
//! [`LoadedModule::new`] and invoked through the function's ABI
//! ([`wasmfaas::abi::call`]) on a request, under fuel, memory and time limits,
//! with bindings to a fresh store.
//!
//! Shared by the CI test (`tests/fuzz_modules.rs`, a few hundred seeds in a
//! debug build) and the long runner (`examples/fuzz_modules.rs`, 10,000). Each
//! seed is one module, made from bytes that a fixed generator derives from the
//! seed, so a failing seed is reproduced by running that seed alone.
//!
//! What a seed can end as: the host refused the module (a [`LoadError`]), or
//! it ran and answered, trapped, ran out of fuel or timed out. What it must
//! never end as: a panic in the host (caught here with `catch_unwind` and
//! counted) or a hang (the seed runs on its own thread and a watchdog gives it
//! [`HANG_BOUND`] or [`DEBUG_HANG_BOUND`], far above any limit, before
//! counting it as hung).
//! An abort takes the whole process down, so it needs no counting.
#![allow(dead_code)] // The test and the runner use different parts.

use arbitrary::Unstructured;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use wasmfaas::abi::CallError;
use wasmfaas::abi::http::HttpRequest;
use wasmfaas::abi::{self, Input};
use wasmfaas::bindings::Access;
use wasmfaas::config::{Function, Project};
use wasmfaas::runtime::{Context, InvokeError, LoadError, LoadedModule};
use wasmfaas::state::State;

/// How long one seed (load and invoke) may take in a release build before it
/// counts as hung: far above the timeouts the harness sets, so it only
/// catches a host that does not stop a guest.
pub const HANG_BOUND: Duration = Duration::from_secs(30);

/// The same bound for a debug build (the CI test). Loading runs a module's
/// `start` function with 100,000,000 fuel and no wall clock
/// (`src/runtime/module.rs`, trial instantiation): about 20 s of CPU in a
/// debug build, and 65 s of wall time for seed 227 while five people built
/// on the same two cores. That must not count as a hang, so the bound is
/// generous; a real hang still fails the test, only later.
pub const DEBUG_HANG_BOUND: Duration = Duration::from_secs(300);

/// The KV namespaces and buckets granted to every fuzzed function. Random code
/// passes short, mostly zeroed strings, so the empty name and `"\0"` are the
/// ones it reaches; `"a"` is what a lucky one spells.
const GRANTED: [&str; 3] = ["", "\0", "a"];

/// Every import wasmfaas provides, with its documented type: wasm-smith picks a
/// module's imports from these (`available_imports`), so the host calls run on
/// random arguments. `path_open` and `sock_accept` are preview1 calls wasmfaas
/// does not implement: they link to stubs answering `ENOSYS`.
const AVAILABLE_IMPORTS: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
  (import "wasmfaas" "kv_get" (func (param i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "kv_put"
    (func (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i64) (result i64)))
  (import "wasmfaas" "kv_delete" (func (param i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "kv_list" (func (param i32 i32 i32 i32 i32 i32 i64) (result i64)))
  (import "wasmfaas" "s3_get" (func (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "s3_head" (func (param i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "s3_put"
    (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "s3_delete" (func (param i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "s3_list" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i64) (result i64)))
  (import "wasmfaas" "s3_copy" (func (param i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "result_read" (func (param i32 i32) (result i64))))"#;

/// What a WASI command must export to load: wasm-smith gives the module
/// these two with random bodies (and may add a `start` function too).
const COMMAND_EXPORTS: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start")))"#;

/// The limits a fuzzed function runs under, and the harness's hang bound.
#[derive(Debug, Clone, Copy)]
pub struct FuzzLimits {
    pub fuel: u64,
    pub memory_mb: u64,
    pub timeout_ms: u64,
    /// A seed with no answer by then is counted as hung.
    pub hang_bound: Duration,
}

/// How a seed ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// wasm-smith could not build a module from the seed's bytes (not a
    /// module the host ever saw).
    NotGenerated,
    /// The host refused the module; the `LoadError` variant's name.
    Refused(&'static str),
    /// The guest ran to its end and its output was a response.
    Answered,
    /// The guest ran to its end but its output was not a response.
    Malformed,
    /// The guest failed: the [`InvokeError::kind`] (trap, exit, memory_limit…).
    Failed(&'static str),
    OutOfFuel,
    TimedOut,
    /// The host panicked: the message.
    Panicked(String),
    /// No answer within the hang bound.
    Hung,
}

/// One seed's result and what the module was like.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub seed: u64,
    pub abi: &'static str,
    pub profile: Profile,
    /// The module has a `start` section.
    pub has_start: bool,
    /// The module imports at least one `wasi_snapshot_preview1` or `wasmfaas` call.
    pub imports_host_calls: bool,
    pub outcome: Outcome,
    /// The refusal's message, for the runner to show a few.
    pub refusal: Option<String>,
    /// Load and invocation together (not generation).
    pub elapsed: Duration,
    /// The invocation ran for more than twice its timeout plus a second:
    /// the wall-clock limit did not hold (in a start function or a host call).
    pub overran: bool,
}

/// What kind of module a seed asks wasm-smith for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Profile {
    /// Shaped like a user's WASI command: `_start` and `memory` exported,
    /// imports drawn from what wasmfaas provides, features wasmi supports.
    Command,
    /// The same features and imports, but random exports (mostly refused:
    /// no `_start` or no `memory`).
    AnyExports,
    /// wasm-smith's defaults: proposals wasmi lacks (threads, GC,
    /// exceptions…) and imports of anything (refused, never a crash).
    Wild,
}

/// The function config a seed runs under: one function per ABI, each with
/// the limits and grants of the harness, in a project folder that exists
/// for as long as the `Functions` does.
pub struct Functions {
    dir: PathBuf,
    project: Project,
    hang_bound: Duration,
    timeout: Duration,
}

impl Functions {
    pub fn new(limits: FuzzLimits) -> Functions {
        let dir = std::env::temp_dir().join(format!(
            "wasmfaas-fuzz-modules-{}-{}",
            std::process::id(),
            limits.fuel
        ));
        std::fs::create_dir_all(&dir).expect("creating the fuzz project folder");
        // Config validation wants the source to exist; the harness loads each
        // seed's module itself.
        std::fs::write(dir.join("fuzz.wat"), COMMAND_EXPORTS).expect("writing the placeholder");
        let mut config = String::from("[project]\nname = \"fuzz\"\n");
        for abi in ["http", "cgi", "lambda"] {
            config.push_str(&format!(
                "[functions.{abi}]\nsource = \"fuzz.wat\"\nabi = \"{abi}\"\n\
                 env = {{ APP_MODE = \"fuzz\" }}\n\
                 [functions.{abi}.limits]\nfuel = {}\nmemory_mb = {}\ntimeout_ms = {}\n",
                limits.fuel, limits.memory_mb, limits.timeout_ms
            ));
        }
        let project = Project::parse(&config, &dir.join("wasmfaas.toml"))
            .unwrap_or_else(|error| panic!("the fuzz project's config is valid: {error}"));
        Functions {
            dir,
            project,
            hang_bound: limits.hang_bound,
            timeout: Duration::from_millis(limits.timeout_ms),
        }
    }

    fn function(&self, abi: &str) -> Function {
        self.project.functions[abi].clone()
    }
}

impl Drop for Functions {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs seed `seed` on its own thread and waits at most the hang bound. A hung
/// seed's thread is left running (a thread cannot be killed); the caller
/// counts it and goes on.
pub fn run_seed(seed: u64, functions: &Functions) -> SeedReport {
    let (wasm, profile) = generate(seed);
    let abi = ["http", "cgi", "lambda"][(seed % 3) as usize];
    let mut report = SeedReport {
        seed,
        abi,
        profile,
        has_start: false,
        imports_host_calls: false,
        outcome: Outcome::NotGenerated,
        refusal: None,
        elapsed: Duration::ZERO,
        overran: false,
    };
    let Some(wasm) = wasm else {
        return report;
    };
    report.has_start = has_section(&wasm, START_SECTION);
    report.imports_host_calls = [b"wasi_snapshot_preview1".as_slice(), b"wasmfaas"]
        .iter()
        .any(|name| contains(&wasm, name));
    let function = functions.function(abi);
    let started = Instant::now();
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("fuzz-seed-{seed}"))
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| load_and_invoke(&wasm, &function)));
            let _ = sender.send(result.unwrap_or_else(|payload| {
                Ended::new(Outcome::Panicked(panic_message(payload.as_ref())))
            }));
        });
    if let Err(error) = spawned {
        report.outcome = Outcome::Panicked(format!("could not start the seed's thread: {error}"));
        return report;
    }
    let ended = receiver
        .recv_timeout(functions.hang_bound)
        .unwrap_or_else(|_| Ended::new(Outcome::Hung));
    report.outcome = ended.outcome;
    report.refusal = ended.refusal;
    report.overran = ended
        .invoke_wall
        .is_some_and(|wall| wall > functions.timeout * 2 + Duration::from_secs(1));
    report.elapsed = started.elapsed();
    report
}

/// The module for `seed`, or `None` if wasm-smith could not make one from
/// its bytes, and the profile it was made with.
pub fn generate(seed: u64) -> (Option<Vec<u8>>, Profile) {
    let bytes = seed_bytes(seed);
    let mut u = Unstructured::new(&bytes);
    let profile = match seed % 10 {
        0 => Profile::Wild,
        1 => Profile::AnyExports,
        _ => Profile::Command,
    };
    let config = config_for(profile);
    let module = wasm_smith::Module::new(config, &mut u).ok();
    (module.map(|m| m.to_bytes()), profile)
}

fn config_for(profile: Profile) -> wasm_smith::Config {
    let mut config = wasm_smith::Config::default();
    if profile == Profile::Wild {
        config.threads_enabled = true;
        config.wide_arithmetic_enabled = true;
        config.custom_page_sizes_enabled = true;
        config.memory64_enabled = true;
        return config;
    }
    // What wasmi 2 validates with wasmfaas's engine config (`Config::default`,
    // no `simd` feature): anything else would only test the validator.
    config.threads_enabled = false;
    config.exceptions_enabled = false;
    config.gc_enabled = false;
    config.simd_enabled = false;
    config.relaxed_simd_enabled = false;
    config.memory64_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.custom_page_sizes_enabled = false;
    // A binary-format change (wasm-tools 0.240+) the wasmparser inside wasmi
    // does not read yet.
    config.compact_imports_enabled = false;
    config.max_memories = 1;
    config.available_imports = Some(wat::parse_str(AVAILABLE_IMPORTS).expect("imports WAT"));
    config.max_imports = 12;
    config.max_funcs = 20;
    config.max_instructions = 200;
    config.allow_start_export = true;
    if profile == Profile::Command {
        config.exports = Some(wat::parse_str(COMMAND_EXPORTS).expect("exports WAT"));
        // wasm-smith adds the exported memory to those it makes at random;
        // a second one would only meet the one-memory limit at every seed.
        config.max_memories = 0;
    }
    config
}

/// 512 to 16,384 bytes from a splitmix64 stream seeded with `seed`: the same
/// seed gives the same module on every machine and every run.
fn seed_bytes(seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let len = 512 + (next() % (16 * 1024 - 512)) as usize;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        bytes.extend_from_slice(&next().to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// Loads `wasm` as a function's module and, if it loads, invokes it once with
/// a request through `function`'s ABI, with bindings to a fresh store.
/// How the seed's thread ended.
struct Ended {
    outcome: Outcome,
    refusal: Option<String>,
    /// The invocation's wall time, when it ran.
    invoke_wall: Option<Duration>,
}

impl Ended {
    fn new(outcome: Outcome) -> Ended {
        Ended {
            outcome,
            refusal: None,
            invoke_wall: None,
        }
    }
}

fn load_and_invoke(wasm: &[u8], function: &Function) -> Ended {
    let module = match LoadedModule::new(&function.name, wasm) {
        Ok(module) => module,
        Err(error) => {
            let message = error.to_string();
            assert!(
                message.contains(&function.name),
                "a refusal names the function: {message}"
            );
            return Ended {
                refusal: Some(message),
                ..Ended::new(Outcome::Refused(load_error_name(&error)))
            };
        }
    };
    let state = State::in_memory().expect("an in-memory store opens");
    for bucket in GRANTED {
        // Bucket names are validated; the ones the state refuses stay absent.
        let _ = state.ensure_bucket(bucket, 0);
    }
    let access = Access::new(
        state,
        &function.name,
        GRANTED.map(String::from),
        GRANTED.map(String::from),
    );
    let request = HttpRequest {
        method: "POST".into(),
        path: "/fuzz/item".into(),
        query: "a=1&b=%20".into(),
        params: BTreeMap::new(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-fuzz".into(), "1".into()),
        ],
        body: br#"{"hello":"world"}"#.to_vec(),
        connection: None,
    };
    let context = Context {
        start_time_ns: 1_700_000_000_000_000_000,
        seed: 7,
    };
    let input = Input::Http {
        request: &request,
        route: None,
    };
    let outcome = abi::call(&module, function, input, context, Some(Arc::new(access)));
    let classified = match outcome.result {
        Ok(_) => Outcome::Answered,
        Err(CallError::Invoke(InvokeError::FuelExhausted { .. })) => Outcome::OutOfFuel,
        Err(CallError::Invoke(InvokeError::Timeout { .. })) => Outcome::TimedOut,
        Err(CallError::Invoke(error)) => Outcome::Failed(error.kind()),
        Err(_) => Outcome::Malformed,
    };
    Ended {
        invoke_wall: Some(outcome.usage.wall),
        ..Ended::new(classified)
    }
}

fn load_error_name(error: &LoadError) -> &'static str {
    match error {
        LoadError::Read { .. } => "read",
        LoadError::InvalidModule { .. } => "invalid module",
        LoadError::MissingImport { .. } => "missing import",
        LoadError::MistypedImport { .. } => "mistyped import",
        LoadError::NotACommand { .. } => "no _start",
        LoadError::NoMemory { .. } => "no memory",
        LoadError::Instantiation { .. } => "instantiation failed",
        #[allow(unreachable_patterns)] // Other helpers may add variants.
        _ => "other",
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_string())
}

const START_SECTION: u8 = 8;

/// Whether the binary module `wasm` has a section with id `id`. Reads only
/// the section headers (an id byte and a LEB128 size each).
fn has_section(wasm: &[u8], id: u8) -> bool {
    let mut at = 8; // magic and version
    while at < wasm.len() {
        let section = wasm[at];
        at += 1;
        let (mut size, mut shift) = (0usize, 0);
        while let Some(&byte) = wasm.get(at) {
            at += 1;
            size |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 || shift > 28 {
                break;
            }
        }
        if section == id {
            return true;
        }
        at = at.saturating_add(size);
    }
    false
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Counts of outcomes over many seeds.
#[derive(Debug, Default)]
pub struct Tally {
    pub seeds: u64,
    pub not_generated: u64,
    pub loaded: u64,
    pub refused: BTreeMap<&'static str, u64>,
    pub answered: u64,
    pub malformed: u64,
    pub failed: BTreeMap<&'static str, u64>,
    pub out_of_fuel: u64,
    pub timed_out: u64,
    /// Seeds whose invocation outlived its timeout (see [`SeedReport::overran`]).
    pub overran: Vec<u64>,
    pub with_start: u64,
    pub with_start_loaded: u64,
    pub with_host_imports_loaded: u64,
    pub panics: Vec<(u64, String)>,
    pub hangs: Vec<u64>,
    /// The slowest seeds: time, seed and how each ended.
    pub slowest: Vec<(Duration, u64, String)>,
    /// The first refusal of each kind: its seed and message.
    pub first_refusals: BTreeMap<(Profile, &'static str), (u64, String)>,
}

impl Tally {
    pub fn add(&mut self, report: &SeedReport) {
        self.seeds += 1;
        self.slowest
            .push((report.elapsed, report.seed, format!("{:?}", report.outcome)));
        self.slowest.sort_by_key(|slow| std::cmp::Reverse(slow.0));
        self.slowest.truncate(5);
        let loaded = !matches!(
            report.outcome,
            Outcome::NotGenerated | Outcome::Refused(_) | Outcome::Panicked(_) | Outcome::Hung
        );
        if report.has_start {
            self.with_start += 1;
            self.with_start_loaded += u64::from(loaded);
        }
        if report.imports_host_calls && loaded {
            self.with_host_imports_loaded += 1;
        }
        self.loaded += u64::from(loaded);
        if report.overran {
            self.overran.push(report.seed);
        }
        match &report.outcome {
            Outcome::NotGenerated => self.not_generated += 1,
            Outcome::Refused(kind) => {
                *self.refused.entry(kind).or_default() += 1;
                if let Some(message) = &report.refusal {
                    self.first_refusals
                        .entry((report.profile, kind))
                        .or_insert_with(|| (report.seed, message.clone()));
                }
            }
            Outcome::Answered => self.answered += 1,
            Outcome::Malformed => self.malformed += 1,
            Outcome::Failed(kind) => *self.failed.entry(kind).or_default() += 1,
            Outcome::OutOfFuel => self.out_of_fuel += 1,
            Outcome::TimedOut => self.timed_out += 1,
            Outcome::Panicked(message) => self.panics.push((report.seed, message.clone())),
            Outcome::Hung => self.hangs.push(report.seed),
        }
    }

    /// The counts, one per line, for a test's or the runner's output.
    pub fn summary(&self) -> String {
        let refused: u64 = self.refused.values().sum();
        let failed: u64 = self.failed.values().sum();
        let mut text = format!(
            "seeds {}\n  not generated (wasm-smith gave up) {}\n  loaded {}\n  \
             refused with an error {refused} {:?}\n  ran ok: answered {}, malformed response {}\n  \
             trapped or failed {failed} {:?}\n  out of fuel {}\n  timed out {}\n  \
             ran past twice the timeout (the wall clock did not stop them) {} {:?}\n  \
             with a start function {} (loaded {})\n  loaded and importing host calls {}\n  \
             host panics {}\n  hangs {}\n",
            self.seeds,
            self.not_generated,
            self.loaded,
            self.refused,
            self.answered,
            self.malformed,
            self.failed,
            self.out_of_fuel,
            self.timed_out,
            self.overran.len(),
            &self.overran[..self.overran.len().min(20)],
            self.with_start,
            self.with_start_loaded,
            self.with_host_imports_loaded,
            self.panics.len(),
            self.hangs.len(),
        );
        for (elapsed, seed, outcome) in &self.slowest {
            text.push_str(&format!(
                "  slow: seed {seed} took {elapsed:.1?}: {outcome}\n"
            ));
        }
        for ((profile, kind), (seed, message)) in &self.first_refusals {
            text.push_str(&format!(
                "  first `{kind}` of a {profile:?} module (seed {seed}): {message}\n"
            ));
        }
        for (seed, message) in &self.panics {
            text.push_str(&format!("  PANIC seed {seed}: {message}\n"));
        }
        for seed in &self.hangs {
            text.push_str(&format!("  HANG seed {seed}\n"));
        }
        text
    }
}
