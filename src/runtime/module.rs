//! A function's compiled module, ready to be instantiated once per invocation.
//!
//! Each loaded module gets its own `Engine`: an engine keeps the code of every
//! module it ever compiled, so a process that reloads functions (the dev loop)
//! would grow with each reload if they shared one. `Module` and `Linker` are
//! immutable after loading and shared by every worker thread.
//!
//! Loading does all the checks that can be done without a request — validation,
//! exports, and a trial instantiation that resolves every import — so a broken
//! module is reported once, at load, with the import's name, instead of failing
//! every request.

use super::error::LoadError;
use super::invoke::HostState;
use super::warm::WarmPool;
use crate::{bindings, wasi};
use wasmi::errors::{ErrorKind, InstantiationError, LinkerError};
use wasmi::{CompilationMode, Config, CustomFuelCosts, Engine, ExternType, Linker, Module, Store};

/// How an engine is configured. User code always runs metered; the switch exists
/// only so benchmarks can measure what metering costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// Charge fuel per instruction (needed for fuel limits, timeouts, the virtual clock).
    pub metering: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { metering: true }
    }
}

/// A validated, linked module for one function.
#[derive(Debug)]
pub struct LoadedModule {
    pub(super) function: String,
    pub(super) engine: Engine,
    pub(super) module: Module,
    pub(super) linker: Linker<HostState>,
    pub(super) options: EngineOptions,
    /// The module had a `start` section, now an export run before `_start`.
    pub(super) has_start: bool,
    /// The module exports `wasmfaas_handle`, so it can run warm.
    pub(super) warm_entry: bool,
    /// Idle warm instances; dropped with the module, so a reload drops them.
    pub(super) pool: WarmPool,
    /// Size of the `.wasm` binary, for reporting.
    pub size_bytes: usize,
}

impl LoadedModule {
    /// Validates and links `wasm` (binary) for the function named `function`.
    ///
    /// # Errors
    /// A [`LoadError`] naming what is wrong: invalid bytes, a missing or mistyped
    /// import, no `_start` or no `memory` export, or a failing instantiation.
    pub fn new(function: &str, wasm: &[u8]) -> Result<LoadedModule, LoadError> {
        LoadedModule::with_options(function, wasm, EngineOptions::default())
    }

    /// [`LoadedModule::new`] of the `.wasm` file at `path` (a build artifact).
    ///
    /// # Errors
    /// [`LoadError::Read`] if the file cannot be read, else as [`LoadedModule::new`].
    pub fn from_file(function: &str, path: &std::path::Path) -> Result<LoadedModule, LoadError> {
        let wasm = std::fs::read(path).map_err(|source| LoadError::Read {
            function: function.to_string(),
            path: path.to_path_buf(),
            source,
        })?;
        LoadedModule::new(function, &wasm)
    }

    /// As [`LoadedModule::new`], with explicit engine options.
    ///
    /// # Errors
    /// As [`LoadedModule::new`].
    pub fn with_options(
        function: &str,
        wasm: &[u8],
        options: EngineOptions,
    ) -> Result<LoadedModule, LoadError> {
        let mut config = Config::default();
        // Lazy translation validates the whole module now and translates each
        // function on its first call (loading is ~4x faster than eager); the
        // unchecked lazy mode is never used for user code. wasmi would charge
        // that one-time translation to the fuel of whichever invocation first
        // calls the function, making the same request cost more on a cold module
        // than a warm one; fuel must be a property of the request alone (replays
        // and cost diffs depend on it), so translation and validation are free.
        config
            .compilation_mode(CompilationMode::LazyTranslation)
            .consume_fuel(options.metering)
            .fuel_cost(CustomFuelCosts {
                bytes_copied_per_fuel: 64,
                fuel_per_bytes_translated: 0,
                fuel_per_bytes_validated: 0,
            });
        let engine = Engine::new(&config);
        let (runnable, has_start) = super::start::hoist(wasm);
        let module = Module::new(&engine, &runnable).map_err(|error| LoadError::InvalidModule {
            function: function.to_string(),
            reason: error.to_string(),
        })?;
        check_exports(function, &module)?;
        let warm_entry = super::warm::exports_warm_entry(&module);
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker, &module).map_err(|error| LoadError::Instantiation {
            function: function.to_string(),
            reason: error.to_string(),
        })?;
        bindings::add_to_linker(&mut linker).map_err(|error| LoadError::Instantiation {
            function: function.to_string(),
            reason: error.to_string(),
        })?;
        let loaded = LoadedModule {
            function: function.to_string(),
            engine,
            module,
            linker,
            options,
            has_start,
            warm_entry,
            pool: WarmPool::new(),
            size_bytes: wasm.len(),
        };
        loaded.trial_instantiation()?;
        Ok(loaded)
    }

    /// The function this module belongs to.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// Instantiates once with no input, to report link errors at load time.
    fn trial_instantiation(&self) -> Result<(), LoadError> {
        let mut store = Store::new(&self.engine, HostState::trial());
        if self.options.metering {
            // Runs no guest code (a start function is run per invocation,
            // see `start.rs`); fuel only in case instantiation is charged.
            let _ = store.set_fuel(100_000_000);
        }
        store.limiter(|state| &mut state.limiter);
        self.linker
            .instantiate_and_start(&mut store, &self.module)
            .map(drop)
            .map_err(|error| self.link_error(&error))
    }

    fn link_error(&self, error: &wasmi::Error) -> LoadError {
        let function = self.function.clone();
        match error.kind() {
            ErrorKind::Linker(LinkerError::MissingDefinition { name, ty }) => {
                LoadError::MissingImport {
                    function,
                    module: name.module().to_string(),
                    name: name.name().to_string(),
                    ty: describe_extern(ty),
                }
            }
            ErrorKind::Linker(LinkerError::InvalidTypeDefinition {
                name,
                expected,
                found,
            }) => LoadError::MistypedImport {
                function,
                module: name.module().to_string(),
                name: name.name().to_string(),
                // wasmi's "expected" is the module's import; "found" is our definition.
                expected: describe_extern(found),
                found: describe_extern(expected),
            },
            ErrorKind::Instantiation(InstantiationError::FuncTypeMismatch {
                name,
                expected,
                actual,
            }) => LoadError::MistypedImport {
                function,
                module: name.module().to_string(),
                name: name.name().to_string(),
                // wasmi's "expected" is the module's import; "actual" is our definition.
                expected: describe_func(actual),
                found: describe_func(expected),
            },
            _ => LoadError::Instantiation {
                function,
                reason: error.to_string(),
            },
        }
    }
}

fn check_exports(function: &str, module: &Module) -> Result<(), LoadError> {
    match module.get_export("_start") {
        Some(ExternType::Func(_)) => {}
        _ => {
            return Err(LoadError::NotACommand {
                function: function.to_string(),
            });
        }
    }
    match module.get_export("memory") {
        Some(ExternType::Memory(_)) => Ok(()),
        _ => Err(LoadError::NoMemory {
            function: function.to_string(),
        }),
    }
}

/// A readable signature such as `func(i32, i32) -> i32`.
fn describe_extern(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(func) => describe_func(func),
        ExternType::Memory(_) => "a memory".to_string(),
        ExternType::Table(_) => "a table".to_string(),
        ExternType::Global(_) => "a global".to_string(),
    }
}

/// `func(i32, i32) -> i32`.
fn describe_func(func: &wasmi::FuncType) -> String {
    let list = |types: &[wasmi::ValType]| {
        types
            .iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let results = match func.results() {
        [] => String::new(),
        [one] => format!(" -> {}", list(std::slice::from_ref(one))),
        many => format!(" -> ({})", list(many)),
    };
    format!("func({}){results}", list(func.params()))
}
