//! Why a module failed to load, or an invocation failed to finish.
//!
//! Each variant is something a user can act on, so each message says what
//! happened and, where there is one, which limit or import is involved and how to
//! change it.

use crate::wasi::Stream;
use std::time::Duration;

/// A `.wasm` module that cannot be turned into a runnable function.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The artifact could not be read.
    #[error("cannot read `{function}`'s module {path}: {source}")]
    Read {
        function: String,
        path: std::path::PathBuf,
        source: std::io::Error,
    },

    /// The bytes are not valid WebAssembly (or use a feature wasmi does not enable).
    #[error("`{function}` is not a valid WebAssembly module: {reason}")]
    InvalidModule { function: String, reason: String },

    /// The module imports something wasmfaas does not provide.
    #[error(
        "`{function}` imports `{module}::{name}` ({ty}), which wasmfaas does not provide; \
         functions may import only `wasi_snapshot_preview1` calls (see docs/abi.md)"
    )]
    MissingImport {
        function: String,
        module: String,
        name: String,
        ty: String,
    },

    /// The module imports a provided name with the wrong type.
    #[error(
        "`{function}` imports `{module}::{name}` as {found}, but wasmfaas provides it as \
         {expected}; rebuild against the documented signature (docs/abi.md)"
    )]
    MistypedImport {
        function: String,
        module: String,
        name: String,
        expected: String,
        found: String,
    },

    /// The module has no `_start` export, so it is not a WASI command.
    #[error(
        "`{function}` exports no `_start` function: build it as a WASI command \
         (a Rust `bin` crate, or C with a `main`), not as a library"
    )]
    NotACommand { function: String },

    /// The module exports no linear memory, so WASI cannot pass data in and out.
    #[error("`{function}` exports no `memory`; WASI guests must export their linear memory")]
    NoMemory { function: String },

    /// Creating the instance failed (e.g. its data does not fit its own memory).
    #[error("`{function}` could not be instantiated: {reason}")]
    Instantiation { function: String, reason: String },
}

/// Why an invocation did not run to a normal end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The deterministic instruction budget ran out.
    #[error(
        "ran out of fuel: used its whole budget of {budget} units; \
         raise `limits.fuel` if the work is legitimate, or look for an endless loop"
    )]
    FuelExhausted { budget: u64 },

    /// Linear memory would have grown past the configured cap.
    #[error(
        "hit the memory limit: asked for {requested} bytes with `limits.memory_mb` = {limit_mb}; \
         raise the limit or allocate less"
    )]
    MemoryLimit { requested: u64, limit_mb: u64 },

    /// The wasm call stack got too deep (usually unbounded recursion).
    #[error("overflowed the call stack (unbounded recursion?)")]
    StackOverflow,

    /// The guest executed a trap instruction or a failing operation.
    #[error("trapped: {reason}")]
    Trap { reason: String },

    /// The wall-clock budget ran out.
    #[error(
        "timed out after {} ms (`limits.timeout_ms` = {}) having used {fuel_used} fuel",
        elapsed.as_millis(), limit.as_millis()
    )]
    Timeout {
        limit: Duration,
        elapsed: Duration,
        fuel_used: u64,
    },

    /// The guest wrote more than its cap to stdout or stderr.
    #[error(
        "wrote more than {limit} bytes to {stream}; raise `limits.{}` or write less",
        match stream { Stream::Stdout => "max_response_bytes", Stream::Stderr => "max_log_bytes" }
    )]
    OutputLimit { stream: Stream, limit: u64 },

    /// The guest called `proc_exit` with a non-zero code.
    #[error("exited with status {code}")]
    Exit { code: i32 },

    /// A host call failed in a way that stops the guest.
    #[error("failed in a host call: {reason}")]
    Host { reason: String },

    /// `instances = "warm"` on a module without the warm entry.
    #[error(
        "`{function}` has `instances = \"warm\"` but its module exports no `wasmfaas_handle`, \
         so an instance cannot serve a second request; build it with the Rust SDK's \
         `wasmfaas_sdk::http_main!` (or export `wasmfaas_handle`, see docs/abi.md), \
         or set `instances = \"fresh\"`"
    )]
    NotWarmCapable { function: String },

    /// A warm instance's initialisation called `proc_exit`.
    #[error(
        "`{function}` exited while its warm instance was initialising (`_initialize` or its \
         `start` function), before serving a request; a warm guest must return from them"
    )]
    ExitedDuringInit { function: String },
}

impl InvokeError {
    /// A short, stable name for logs, headers and JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            InvokeError::FuelExhausted { .. } => "fuel_exhausted",
            InvokeError::MemoryLimit { .. } => "memory_limit",
            InvokeError::StackOverflow => "stack_overflow",
            InvokeError::Trap { .. } => "trap",
            InvokeError::Timeout { .. } => "timeout",
            InvokeError::OutputLimit { .. } => "output_limit",
            InvokeError::Exit { .. } => "exit",
            InvokeError::Host { .. } => "host",
            InvokeError::NotWarmCapable { .. } => "not_warm_capable",
            InvokeError::ExitedDuringInit { .. } => "exit",
        }
    }
}
