//! One invocation: a fresh store and instance, run to completion under limits.
//!
//! Fuel is granted in slices. Between slices the call is suspended (wasmi's
//! resumable calls) and the wall clock is checked, so a timeout needs no second
//! thread and no signal, and fuel used is exact. A fresh `Store` per invocation
//! means nothing a guest did to its memory or globals survives into the next
//! request; `warm.rs` reuses a store and instance instead, through the same
//! arming, slicing and reporting, with the per-invocation state reset
//! ([`HostState::begin`]).

use super::error::InvokeError;
use super::limiter::InvocationLimiter;
use super::module::LoadedModule;
use crate::bindings::{Access, BindingCtx, BindingsView, Capture, ObjectChange};
use crate::config::Limits;
use crate::wasi::{OutputLimitExceeded, WasiCtx, WasiInputs, WasiView};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wasmi::{Instance, ResumableCall, Store, TrapCode};

/// Fuel granted per slice: small enough that a timeout is noticed within a few
/// milliseconds, large enough that suspending costs nothing measurable.
const FUEL_SLICE: u64 = 5_000_000;

/// What an invocation may depend on besides its input: its time and its seed.
/// Recording these is what makes a replay byte-identical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The start of the invocation, nanoseconds since the Unix epoch.
    pub start_time_ns: u64,
    /// Seed of the guest's `random_get` stream.
    pub seed: u64,
}

impl Context {
    /// The current wall-clock time and a fresh seed, for live requests.
    pub fn live() -> Context {
        let start_time_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        // RandomState is seeded from the OS per process and per instance: enough
        // for a seed that differs between live invocations.
        use std::hash::{BuildHasher, RandomState};
        let seed = RandomState::new().hash_one(start_time_ns);
        Context {
            start_time_ns,
            seed,
        }
    }
}

/// Everything one invocation needs.
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    /// Bytes the guest reads from stdin (the ABI's request envelope).
    pub stdin: Vec<u8>,
    /// `argv`, starting with the program name.
    pub args: Vec<String>,
    /// The environment, from config.
    pub env: Vec<(String, String)>,
    pub context: Context,
    pub limits: &'a Limits,
    /// The KV namespaces and buckets the function may reach; `None`: none.
    pub bindings: Option<Arc<Access>>,
}

/// What an invocation cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Deterministic instruction budget consumed.
    pub fuel: u64,
    /// Largest linear memory the instance had, in bytes.
    pub peak_memory_bytes: u64,
    /// Wall-clock time, instantiation included.
    pub wall: Duration,
}

/// The result of an invocation: output or the reason it failed, plus what it
/// logged and cost either way.
#[derive(Debug)]
pub struct Report {
    /// The guest's stdout when it ended normally.
    pub result: Result<Vec<u8>, InvokeError>,
    /// The guest's stderr (its log), whatever the result.
    pub stderr: Vec<u8>,
    pub usage: Usage,
    /// Objects the guest wrote or deleted through its bindings, in order.
    pub changes: Vec<ObjectChange>,
    /// The initial state it touched, when its bindings were recording.
    pub capture: Option<Capture>,
}

/// The last `lines` lines of a guest's log, lossily decoded, for error messages.
pub fn log_tail(log: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(log);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The data of an invocation's store.
#[derive(Debug)]
pub(crate) struct HostState {
    pub(super) wasi: WasiCtx,
    pub(super) limiter: InvocationLimiter,
    fuel: FuelLedger,
    /// When the invocation started and how long it may take; host calls
    /// check it, so a guest cannot outlive its limit inside one.
    pub(super) deadline: Option<Deadline>,
    bindings: Option<BindingCtx>,
}

/// Fuel accounting across slices: the store only knows what is left in the
/// current slice.
#[derive(Debug, Default, Clone, Copy)]
struct FuelLedger {
    spent_before_slice: u64,
    slice: u64,
    /// The invocation's whole budget: a host call may draw on it beyond the
    /// current slice.
    budget: u64,
}

/// An invocation's wall-clock limit.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    pub(super) started: Instant,
    pub(super) limit: Duration,
}

/// A host call found its invocation past the wall-clock deadline.
#[derive(Debug)]
struct DeadlinePassed;

impl std::fmt::Display for DeadlinePassed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the invocation is past its wall-clock deadline")
    }
}

impl std::error::Error for DeadlinePassed {}
impl wasmi::errors::HostError for DeadlinePassed {}

impl HostState {
    fn new(wasi: WasiCtx, limits: &Limits, bindings: Option<Arc<Access>>) -> HostState {
        HostState {
            wasi,
            limiter: InvocationLimiter::new(limits.memory_bytes),
            fuel: FuelLedger::default(),
            deadline: None,
            bindings: bindings.map(BindingCtx::new),
        }
    }

    /// Gives a warm instance's state the next invocation's inputs: fresh
    /// pipes, clock, seed, bindings and limits, the same memory.
    pub(super) fn begin(&mut self, invocation: Invocation<'_>, memory_bytes: u64) {
        let limits = invocation.limits;
        let memory = self.wasi.memory;
        self.bindings = invocation.bindings.clone().map(BindingCtx::new);
        self.wasi = wasi_inputs(invocation);
        self.wasi.memory = memory;
        self.limiter = InvocationLimiter::new(limits.memory_bytes);
        // Memory kept from earlier invocations is this one's starting size.
        self.limiter.note_size(memory_bytes);
        self.fuel = FuelLedger::default();
        self.deadline = None;
    }

    /// A state with no input, for load-time trial instantiation.
    pub(super) fn trial() -> HostState {
        let limits = Limits::default();
        HostState::new(
            WasiCtx::new(WasiInputs {
                stdin: Vec::new(),
                args: Vec::new(),
                env: Vec::new(),
                start_time_ns: 0,
                seed: 0,
                max_stdout: 0,
                max_stderr: 0,
            }),
            &limits,
            None,
        )
    }
}

impl WasiView for HostState {
    fn wasi(&mut self) -> &mut WasiCtx {
        &mut self.wasi
    }

    fn fuel_consumed(&self, fuel_left_in_store: u64) -> u64 {
        self.fuel.spent_before_slice + self.fuel.slice.saturating_sub(fuel_left_in_store)
    }

    fn time_left(&self) -> Option<Duration> {
        let deadline = self.deadline?;
        Some(deadline.limit.saturating_sub(deadline.started.elapsed()))
    }

    fn charge(&mut self, fuel_left: Option<u64>, fuel: u64) -> Result<Option<u64>, wasmi::Error> {
        if let Some(deadline) = self.deadline
            && deadline.started.elapsed() >= deadline.limit
        {
            return Err(wasmi::Error::host(DeadlinePassed));
        }
        let Some(left) = fuel_left else {
            return Ok(None);
        };
        let consumed = self.fuel_consumed(left);
        if self.fuel.budget.saturating_sub(consumed) < fuel {
            // As when an instruction needs more than is left: the whole
            // budget is spent, and the invocation ends out of fuel.
            self.fuel = FuelLedger {
                spent_before_slice: self.fuel.budget,
                slice: 0,
                budget: self.fuel.budget,
            };
            return Err(wasmi::Error::from(TrapCode::OutOfFuel));
        }
        if fuel <= left {
            return Ok(Some(left - fuel));
        }
        // More than the slice holds: draw the rest from the budget and leave
        // the slice empty, so the guest's next instruction suspends the call
        // and the invocation loop checks the clock before granting more.
        self.fuel = FuelLedger {
            spent_before_slice: consumed + fuel,
            slice: 0,
            budget: self.fuel.budget,
        };
        Ok(Some(0))
    }
}

impl BindingsView for HostState {
    fn bindings(&mut self) -> Option<&mut BindingCtx> {
        self.bindings.as_mut()
    }
}

impl LoadedModule {
    /// Runs the module's `_start` once in a fresh instance.
    ///
    /// Never panics on guest behaviour: every way a guest can fail is an
    /// [`InvokeError`] in the report.
    pub fn invoke(&self, invocation: Invocation<'_>) -> Report {
        let started = Instant::now();
        let limits = invocation.limits;
        let mut store = self.new_store(invocation);
        let result = self.run(&mut store, limits, started);
        finish(&mut store, result, started)
    }

    /// A store for `invocation`, with its limiter attached.
    pub(super) fn new_store(&self, invocation: Invocation<'_>) -> Store<HostState> {
        let limits = invocation.limits;
        let bindings = invocation.bindings.clone();
        let mut store = Store::new(
            &self.engine,
            HostState::new(wasi_inputs(invocation), limits, bindings),
        );
        store.limiter(|state| &mut state.limiter);
        store
    }

    fn run(
        &self,
        store: &mut Store<HostState>,
        limits: &Limits,
        started: Instant,
    ) -> Result<Vec<u8>, InvokeError> {
        arm(store, limits, started, self.options.metering);
        let instance = self.instantiate(store, limits)?;
        let mut entries = Vec::new();
        if self.has_start {
            entries.push(super::start::HOISTED_START_EXPORT);
        }
        entries.push("_start");
        for name in entries {
            let func = export(store, instance, name)?;
            if self.run_sliced(store, func, limits, started)? == Ended::Exited {
                break;
            }
        }
        Ok(store.data_mut().wasi.stdout.take())
    }

    /// Instantiates the module in `store` and hands its memory to WASI.
    pub(super) fn instantiate(
        &self,
        store: &mut Store<HostState>,
        limits: &Limits,
    ) -> Result<Instance, InvokeError> {
        let instance = self
            .linker
            .instantiate_and_start(&mut *store, &self.module)
            .map_err(|error| classify(store, limits, error))?;
        attach_memory(store, instance);
        Ok(instance)
    }

    /// Calls `func` in fuel slices, checking the wall clock between them.
    pub(super) fn run_sliced(
        &self,
        store: &mut Store<HostState>,
        func: wasmi::Func,
        limits: &Limits,
        started: Instant,
    ) -> Result<Ended, InvokeError> {
        let budget = limits.fuel;
        if self.options.metering {
            grant_slice(store, budget);
        }
        let mut call = func.call_resumable(&mut *store, &[], &mut []);
        loop {
            match call {
                Ok(ResumableCall::Finished) => return Ok(Ended::Returned),
                Ok(ResumableCall::OutOfFuel(suspended)) => {
                    let spent = fuel_used(store);
                    if budget.saturating_sub(spent) < suspended.required_fuel().max(1) {
                        return Err(InvokeError::FuelExhausted { budget });
                    }
                    let elapsed = started.elapsed();
                    if elapsed >= limits.timeout {
                        return Err(InvokeError::Timeout {
                            limit: limits.timeout,
                            elapsed,
                            fuel_used: spent,
                        });
                    }
                    grant_slice(store, budget);
                    call = suspended.resume(&mut *store, &mut []);
                }
                Ok(ResumableCall::HostTrap(trap)) => {
                    return ended_by(store, limits, trap.into_host_error());
                }
                Err(error) => return ended_by(store, limits, error),
            }
        }
    }
}

/// The inputs of `invocation` as its WASI context sees them.
fn wasi_inputs(invocation: Invocation<'_>) -> WasiCtx {
    let limits = invocation.limits;
    WasiCtx::new(WasiInputs {
        stdin: invocation.stdin,
        args: invocation.args,
        env: invocation.env,
        start_time_ns: invocation.context.start_time_ns,
        seed: invocation.context.seed,
        max_stdout: limits.max_response_bytes,
        max_stderr: limits.max_log_bytes,
    })
}

/// Starts the invocation's clock and gives it its whole fuel budget.
pub(super) fn arm(store: &mut Store<HostState>, limits: &Limits, started: Instant, metering: bool) {
    let budget = limits.fuel;
    store.data_mut().deadline = Some(Deadline {
        started,
        limit: limits.timeout,
    });
    if metering {
        // Instantiation runs no guest code (a start function was made an
        // export at load, see `start.rs`), but gets the whole budget in
        // case wasmi charges for initialising memory.
        store.data_mut().fuel = FuelLedger {
            spent_before_slice: 0,
            slice: budget,
            budget,
        };
        set_fuel(store, budget);
    }
}

/// The export `name` of `instance`, which loading checked is there.
pub(super) fn export(
    store: &Store<HostState>,
    instance: Instance,
    name: &str,
) -> Result<wasmi::Func, InvokeError> {
    instance
        .get_func(store, name)
        .ok_or_else(|| InvokeError::Host {
            reason: format!("`{name}` disappeared after loading"),
        })
}

/// The report of an invocation that ran in `store`: what it cost, logged
/// and changed. Leaves the store with no per-invocation state to leak.
pub(super) fn finish(
    store: &mut Store<HostState>,
    result: Result<Vec<u8>, InvokeError>,
    started: Instant,
) -> Report {
    let fuel = fuel_used(store);
    let state = store.data_mut();
    let effects = state
        .bindings
        .take()
        .as_mut()
        .map(BindingCtx::take_effects)
        .unwrap_or_default();
    Report {
        result,
        changes: effects.changes,
        capture: effects.capture,
        stderr: state.wasi.stderr.take(),
        usage: Usage {
            fuel,
            peak_memory_bytes: state.limiter.peak_memory(),
            wall: started.elapsed(),
        },
    }
}

/// How a call that did not fail came to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    Returned,
    /// `proc_exit(0)`: the guest is done, nothing more runs.
    Exited,
}

/// Hands the instance's memory to WASI and counts its initial size as used.
fn attach_memory(store: &mut Store<HostState>, instance: Instance) {
    let memory = instance.get_memory(&*store, "memory");
    if let Some(memory) = memory {
        let size = memory.data_size(&*store) as u64;
        let state = store.data_mut();
        state.wasi.memory = Some(memory);
        // The limiter sees growth only; count the initial size as well.
        state.limiter.note_size(size);
    }
}

/// Records what was spent so far and fills the store with the next slice.
fn grant_slice(store: &mut Store<HostState>, budget: u64) {
    let spent = fuel_used(store);
    let slice = FUEL_SLICE.min(budget.saturating_sub(spent));
    let ledger = &mut store.data_mut().fuel;
    ledger.spent_before_slice = spent;
    ledger.slice = slice;
    set_fuel(store, slice);
}

/// Fuel the invocation has consumed, across slices.
fn fuel_used(store: &Store<HostState>) -> u64 {
    let left = store.get_fuel().unwrap_or(0);
    store.data().fuel_consumed(left)
}

fn set_fuel(store: &mut Store<HostState>, fuel: u64) {
    // Only fails when metering is off, which the callers have checked.
    let _ = store.set_fuel(fuel);
}

/// A guest that calls `proc_exit(0)` (C's `exit(0)`, Rust's `process::exit(0)`)
/// ended normally; anything else that stops it is a failure.
fn ended_by(
    store: &Store<HostState>,
    limits: &Limits,
    error: wasmi::Error,
) -> Result<Ended, InvokeError> {
    match error.i32_exit_status() {
        Some(0) => Ok(Ended::Exited),
        _ => Err(classify(store, limits, error)),
    }
}

/// Maps a wasmi error to what the user needs to hear.
fn classify(store: &Store<HostState>, limits: &Limits, error: wasmi::Error) -> InvokeError {
    if let Some(requested) = store.data().limiter.denied_memory() {
        return InvokeError::MemoryLimit {
            requested,
            limit_mb: limits.memory_bytes / (1024 * 1024),
        };
    }
    if let Some(code) = error.i32_exit_status() {
        return InvokeError::Exit { code };
    }
    if error.downcast_ref::<DeadlinePassed>().is_some() {
        let elapsed = store
            .data()
            .deadline
            .map_or(Duration::ZERO, |d| d.started.elapsed());
        return InvokeError::Timeout {
            limit: limits.timeout,
            elapsed,
            fuel_used: fuel_used(store),
        };
    }
    if let Some(exceeded) = error.downcast_ref::<OutputLimitExceeded>() {
        return InvokeError::OutputLimit {
            stream: exceeded.stream,
            limit: exceeded.limit,
        };
    }
    match error.as_trap_code() {
        Some(TrapCode::StackOverflow) => InvokeError::StackOverflow,
        Some(TrapCode::OutOfFuel) => InvokeError::FuelExhausted {
            budget: limits.fuel,
        },
        Some(TrapCode::UnreachableCodeReached) => InvokeError::Trap {
            reason: "reached `unreachable` (a Rust panic or C abort() ends this way)".to_string(),
        },
        Some(TrapCode::MemoryOutOfBounds) => InvokeError::Trap {
            reason: "accessed memory out of bounds (a Rust guest overflowing its shadow \
                     stack also ends this way: raise `build.stack_size`)"
                .to_string(),
        },
        Some(code) => InvokeError::Trap {
            reason: code.to_string(),
        },
        None => InvokeError::Host {
            reason: error.to_string(),
        },
    }
}
