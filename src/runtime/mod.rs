//! Runs functions: loads `.wasm` modules and executes one isolated invocation at
//! a time in the `wasmi` interpreter, under fuel, memory, time and output limits,
//! in a fresh instance or, for `instances = "warm"`, a reused one (`warm.rs`).
//!
//! This module owns the engine, the store and every limit. It knows nothing of
//! HTTP or config files: callers hand it bytes for stdin and the limits to apply,
//! and get back stdout, stderr and usage in a [`Report`].

mod error;
mod invoke;
mod limiter;
mod module;
mod start;
mod warm;

pub use error::{InvokeError, LoadError};
pub use invoke::{Context, Invocation, Report, Usage, log_tail};
pub use module::{EngineOptions, LoadedModule};
pub use warm::WARM_ENTRY;
