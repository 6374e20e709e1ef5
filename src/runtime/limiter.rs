//! Memory and table caps for one invocation, with peak-memory accounting.
//!
//! Exceeding the memory cap traps the guest — as a vendor kills a function that
//! goes over its memory size — instead of making `memory.grow` return -1, which a
//! guest would often answer by spinning or by an opaque abort. The limiter
//! remembers the denial so the error can say "memory limit", not "unreachable".

use wasmi::ResourceLimiter;
use wasmi::errors::{MemoryError, TableError};
use wasmi_core::LimiterError;

/// How many elements any table may hold; Rust and C guests use a few hundred.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Caps and counters for one instance's resources.
#[derive(Debug, Clone)]
pub struct InvocationLimiter {
    memory_limit: usize,
    peak_memory: usize,
    /// The size a denied `memory.grow` asked for, if any.
    denied_memory: Option<usize>,
}

impl InvocationLimiter {
    /// A limiter allowing at most `memory_limit` bytes of linear memory.
    pub fn new(memory_limit: u64) -> InvocationLimiter {
        InvocationLimiter {
            memory_limit: usize::try_from(memory_limit).unwrap_or(usize::MAX),
            peak_memory: 0,
            denied_memory: None,
        }
    }

    /// The largest linear memory the instance had, in bytes.
    pub fn peak_memory(&self) -> u64 {
        self.peak_memory as u64
    }

    /// Counts a memory size seen from outside the limiter (the initial memory).
    pub fn note_size(&mut self, bytes: u64) {
        self.peak_memory = self
            .peak_memory
            .max(usize::try_from(bytes).unwrap_or(usize::MAX));
    }

    /// The size a denied growth asked for, if the guest hit the cap.
    pub fn denied_memory(&self) -> Option<u64> {
        self.denied_memory.map(|bytes| bytes as u64)
    }
}

/// Wasmi's signal that the limiter wants the growth to trap.
fn deny() -> Result<bool, LimiterError> {
    Err(LimiterError::ResourceLimiterDeniedAllocation)
}

impl ResourceLimiter for InvocationLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired > self.memory_limit {
            self.denied_memory = Some(desired);
            return deny();
        }
        if maximum.is_some_and(|max| desired > max) {
            // Growing past the module's own declared maximum is ordinary Wasm
            // semantics: `memory.grow` returns -1 and the guest decides.
            return Ok(false);
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: &MemoryError) -> Result<(), LimiterError> {
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        Ok(desired <= MAX_TABLE_ELEMENTS && maximum.is_none_or(|max| desired <= max))
    }

    fn table_grow_failed(&mut self, _error: &TableError) -> Result<(), LimiterError> {
        Ok(())
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        4
    }

    fn memories(&self) -> usize {
        1
    }
}
