//! What a host call costs in fuel, so a guest cannot escape its budget (and
//! the wall clock) by making the host do the work.
//!
//! Every host call, WASI or `wasmfaas` binding, pays a fixed price plus a
//! price per byte it moves. The price depends only on the call's arguments
//! (and, for reads, on bytes the invocation's own inputs determine), never on
//! the host's speed, so fuel stays deterministic: a replay burns exactly the
//! fuel the recording did.
//!
//! # Why these prices
//! One fuel buys one interpreted instruction. A guest moving bytes itself
//! pays between 1 fuel per 64 bytes (`memory.copy`, as this engine prices
//! it) and about 1 fuel per byte (a byte loop); a word-at-a-time loop, what
//! wasi-libc's `memcpy` and a guest PRNG do, pays about 1 fuel per 8 bytes
//! (one load or store of an `i64`), and so does a host call here. At that
//! price a host call that fills or copies memory gets no more done per unit
//! of fuel than the guest's own code, within a small factor in wall time.
//! A call itself costs about what entering and leaving the host takes in
//! interpreted instructions; a storage call, one SQLite statement, much more.
//! These are estimates, not measurements: the wall-clock limit, checked at
//! every call, is what bounds time; fuel only has to grow with the work.
//! `docs/abi.md` ("Host calls cost fuel") documents the same table.

use super::WasiView;
use wasmi::{Caller, Error};

/// The fixed price of any host call.
pub const CALL_FUEL: u64 = 100;

/// The fixed price of a storage call (`kv_*`, `s3_*`): a SQLite statement.
pub const STORAGE_CALL_FUEL: u64 = 10_000;

/// Bytes a host call moves per unit of fuel.
pub const BYTES_PER_FUEL: u64 = 8;

/// The fuel for moving `bytes` bytes, rounded up.
pub fn bytes_fuel(bytes: u64) -> u64 {
    bytes.div_ceil(BYTES_PER_FUEL)
}

/// Charges `fuel` to the invocation calling the host, and checks its clock.
///
/// # Errors
/// The error that ends the invocation: out of fuel (the same trap a guest
/// instruction would get) or past its wall-clock deadline.
pub fn charge<T: WasiView>(caller: &mut Caller<'_, T>, fuel: u64) -> Result<(), Error> {
    // `get_fuel` fails only when metering is off; the deadline still holds.
    let left = caller.get_fuel().ok();
    if let Some(after) = caller.data_mut().charge(left, fuel)? {
        caller.set_fuel(after)?;
    }
    Ok(())
}
