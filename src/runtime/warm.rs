//! Warm instances: one instance serving several invocations in a row, as a
//! Lambda execution environment or a Workers isolate does.
//!
//! A warm-capable guest exports `wasmfaas_handle` (no parameters, no results),
//! called once per invocation instead of `_start`; a WASI reactor's
//! `_initialize` (and a hoisted `start` section, see `start.rs`) runs once,
//! when the instance is created. Its globals and linear memory persist from
//! one invocation to the next; everything an invocation brings is new each
//! time: stdin, stdout and stderr pipes, the virtual clock's start and the
//! random seed (from the invocation's `Context`), bindings, fuel budget,
//! deadline and memory accounting. `docs/abi.md` ("Warm instances") is the
//! contract.
//!
//! Any failure (trap, fuel, memory, timeout, output cap, an exit) discards
//! the instance: the next invocation gets a new one. So does a `proc_exit(0)`
//! from the handler, which counts as a normal end of that invocation but
//! leaves nothing trustworthy to call again.
//!
//! The pool lives inside the [`LoadedModule`], so a reload, which loads a
//! new module, drops the old one's instances with it: they cannot outlive
//! their code, and an in-flight invocation on the old module still returns
//! its instance to the old pool, dropped when the last reference goes.
//! Instances are checked out exclusively; at most `capacity`
//! idle ones are kept (one per core, the gateway's worker count), so each
//! worker thread usually finds one and none waits for another.

use super::error::InvokeError;
use super::invoke::{Ended, HostState, Invocation, Report, arm, export, finish};
use super::module::LoadedModule;
use crate::config::Instances;
use std::sync::Mutex;
use std::time::Instant;
use wasmi::{ExternType, Instance, Module, Store};

/// The export a warm-capable guest provides, called once per invocation.
pub const WARM_ENTRY: &str = "wasmfaas_handle";

/// The WASI reactor initialiser, run once per warm instance if exported.
const REACTOR_INIT: &str = "_initialize";

/// An instance and its store, between invocations.
struct WarmInstance {
    store: Store<HostState>,
    instance: Instance,
}

/// The idle warm instances of one loaded module.
pub(super) struct WarmPool {
    idle: Mutex<Vec<WarmInstance>>,
    capacity: usize,
}

impl std::fmt::Debug for WarmPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarmPool")
            .field("idle", &self.idle_count())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl WarmPool {
    pub(super) fn new() -> WarmPool {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        WarmPool {
            idle: Mutex::new(Vec::new()),
            capacity: cores.clamp(1, 64),
        }
    }

    fn idle_count(&self) -> usize {
        self.idle.lock().map_or(0, |idle| idle.len())
    }

    /// An idle instance, for this caller alone.
    fn check_out(&self) -> Option<WarmInstance> {
        self.idle.lock().ok()?.pop()
    }

    /// Takes `warm` back after an invocation that ended normally; beyond
    /// capacity it is dropped.
    fn check_in(&self, warm: WarmInstance) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.capacity
        {
            idle.push(warm);
        }
    }
}

/// Whether `module` exports the warm entry with the right type.
pub(super) fn exports_warm_entry(module: &Module) -> bool {
    matches!(
        module.get_export(WARM_ENTRY),
        Some(ExternType::Func(ty)) if ty.params().is_empty() && ty.results().is_empty()
    )
}

impl LoadedModule {
    /// Runs `invocation` under the function's instance policy: a fresh
    /// instance (as [`LoadedModule::invoke`]) or a warm one.
    ///
    /// A module without the warm entry cannot be run warm: under
    /// [`Instances::Warm`] every invocation fails with
    /// [`InvokeError::NotWarmCapable`], which names the fix.
    pub fn invoke_with(&self, instances: Instances, invocation: Invocation<'_>) -> Report {
        match instances {
            Instances::Fresh => self.invoke(invocation),
            Instances::Warm if self.warm_entry => self.invoke_warm(invocation),
            Instances::Warm => {
                let started = Instant::now();
                let mut store = self.new_store(invocation);
                let refusal = Err(InvokeError::NotWarmCapable {
                    function: self.function.clone(),
                });
                finish(&mut store, refusal, started)
            }
        }
    }

    /// Whether the module exports `wasmfaas_handle`, so it can run warm.
    pub fn supports_warm(&self) -> bool {
        self.warm_entry
    }

    /// How many warm instances are idle now (for tests and diagnostics).
    pub fn idle_warm_instances(&self) -> usize {
        self.pool.idle_count()
    }

    fn invoke_warm(&self, invocation: Invocation<'_>) -> Report {
        let started = Instant::now();
        let limits = invocation.limits;
        let (mut store, instance) = match self.pool.check_out() {
            Some(warm) => {
                let mut store = warm.store;
                let size = memory_size(&store, warm.instance);
                store.data_mut().begin(invocation, size);
                (store, Some(warm.instance))
            }
            None => (self.new_store(invocation), None),
        };
        arm(&mut store, limits, started, self.options.metering);
        let outcome = self.run_warm(&mut store, instance, limits, started);
        let (result, reusable) = match outcome {
            Ok((instance, ended)) => (
                Ok(store.data_mut().wasi.stdout.take()),
                (ended == Ended::Returned).then_some(instance),
            ),
            Err(error) => (Err(error), None),
        };
        let report = finish(&mut store, result, started);
        if let Some(instance) = reusable {
            self.pool.check_in(WarmInstance { store, instance });
        }
        report
    }

    /// Creates the instance if there is none yet, then calls the handler.
    fn run_warm(
        &self,
        store: &mut Store<HostState>,
        instance: Option<Instance>,
        limits: &crate::config::Limits,
        started: Instant,
    ) -> Result<(Instance, Ended), InvokeError> {
        let instance = match instance {
            Some(instance) => instance,
            None => self.initialize(store, limits, started)?,
        };
        let handler = export(store, instance, WARM_ENTRY)?;
        let ended = self.run_sliced(store, handler, limits, started)?;
        Ok((instance, ended))
    }

    /// A new instance, its `start` section and `_initialize` run; their fuel
    /// is charged to the invocation that needed the instance.
    fn initialize(
        &self,
        store: &mut Store<HostState>,
        limits: &crate::config::Limits,
        started: Instant,
    ) -> Result<Instance, InvokeError> {
        let instance = self.instantiate(store, limits)?;
        let mut initializers = Vec::new();
        if self.has_start {
            initializers.push(super::start::HOISTED_START_EXPORT);
        }
        if instance.get_func(&*store, REACTOR_INIT).is_some() {
            initializers.push(REACTOR_INIT);
        }
        for name in initializers {
            let func = export(store, instance, name)?;
            if self.run_sliced(store, func, limits, started)? == Ended::Exited {
                return Err(InvokeError::ExitedDuringInit {
                    function: self.function.clone(),
                });
            }
        }
        Ok(instance)
    }
}

fn memory_size(store: &Store<HostState>, instance: Instance) -> u64 {
    instance
        .get_memory(store, "memory")
        .map_or(0, |memory| memory.data_size(store) as u64)
}
