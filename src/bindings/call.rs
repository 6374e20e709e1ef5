//! A binding call's arguments, read out of guest memory, and the time it happens at.
//!
//! Every pointer a guest passes is untrusted: one outside its memory becomes a
//! `FAULT` status, never a host panic. The bounds rule itself is
//! [`crate::guest_memory`]'s, shared with WASI.

use super::{BindingsView, HostCallError, Status};
use crate::guest_memory::{GuestMemory, OutOfBounds};
use wasmi::Caller;

/// A call's view of the guest's memory, plus the time it happens at.
pub(super) struct Call<'a> {
    memory: GuestMemory<'a>,
    /// The invocation's virtual clock, read once per call.
    pub now_ns: u64,
    /// Wall-clock time left before the invocation's deadline (`None`: no
    /// deadline), for calls that wait on the network.
    pub time_left: Option<std::time::Duration>,
}

impl<'a> Call<'a> {
    /// Borrows the guest's memory and the store's data for one call; `None`
    /// when the guest has no memory yet.
    pub(super) fn begin<T: BindingsView>(
        caller: &'a mut Caller<'_, T>,
    ) -> Option<(Call<'a>, &'a mut T)> {
        let fuel_left = caller.get_fuel().unwrap_or(0);
        let memory = caller.data_mut().wasi().memory?;
        let (bytes, data) = memory.data_and_store_mut(caller);
        let fuel = data.fuel_consumed(fuel_left);
        let now_ns = data.wasi().clock.realtime_ns(fuel);
        let time_left = data.time_left();
        Some((
            Call {
                memory: GuestMemory::new(bytes),
                now_ns,
                time_left,
            },
            data,
        ))
    }

    /// The bytes at `ptr..ptr + len`.
    pub(super) fn bytes(&self, ptr: i32, len: i32) -> Result<&[u8], HostCallError> {
        self.memory.slice(ptr as u32, len as u32).map_err(fault)
    }

    /// The UTF-8 string at `ptr..ptr + len`; `what` names it in the error.
    pub(super) fn str(&self, ptr: i32, len: i32, what: &str) -> Result<&str, HostCallError> {
        std::str::from_utf8(self.bytes(ptr, len)?).map_err(|error| {
            HostCallError::new(
                Status::InvalidArgument,
                format!("the {what} is not UTF-8 ({error})"),
            )
        })
    }

    /// An optional string argument: a length of 0 (or less) means none.
    pub(super) fn opt_str(
        &self,
        ptr: i32,
        len: i32,
        what: &str,
    ) -> Result<Option<String>, HostCallError> {
        if len <= 0 {
            return Ok(None);
        }
        self.str(ptr, len, what).map(|text| Some(text.to_string()))
    }

    /// Copies `data` to `ptr` in the guest's memory.
    pub(super) fn write(&mut self, ptr: i32, data: &[u8]) -> Result<(), HostCallError> {
        self.memory.write(ptr as u32, data).map_err(fault)
    }
}

/// A pointer outside the guest's memory, as the bindings' `FAULT` status.
fn fault(error: OutOfBounds) -> HostCallError {
    HostCallError::new(Status::Fault, error.to_string())
}
