//! The `wasi_snapshot_preview1` host calls, as thin shims over [`WasiCtx`].
//!
//! Each shim decodes guest pointers through [`GuestMemory`] (bad pointers become
//! `EFAULT`), does its work on the context, and answers an errno. Each first
//! pays for itself ([`super::cost`]): a fixed price, plus the bytes it moves.
//! Only these leave a shim as a trap: `proc_exit`, a write past an output cap,
//! and running out of fuel or time in the charge.

use super::cost::{CALL_FUEL, bytes_fuel, charge};
use super::{WasiCtx, WasiView};
use crate::guest_memory::{GuestMemory, OutOfBounds};
use wasmi::{Caller, Error, ExternType, Linker, Module, Val};

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The WASI errno values the shims answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub(super) enum Errno {
    Success = 0,
    Badf = 8,
    Fault = 21,
    Inval = 28,
    Nosys = 52,
    Spipe = 70,
}

impl From<OutOfBounds> for Errno {
    fn from(_: OutOfBounds) -> Self {
        Errno::Fault
    }
}

const FD_STDIN: i32 = 0;
const FD_STDOUT: i32 = 1;
const FD_STDERR: i32 = 2;
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const CLOCK_REALTIME: i32 = 0;
const CLOCK_THREAD_CPUTIME: i32 = 3;
const EVENTTYPE_CLOCK: u8 = 0;
const SUBCLOCKFLAG_ABSTIME: u16 = 1;

type Result32 = Result<i32, Error>;

/// The preview1 calls with a real implementation; every other one answers `ENOSYS`.
pub fn implemented_calls() -> &'static [&'static str] {
    &[
        "args_get",
        "args_sizes_get",
        "environ_get",
        "environ_sizes_get",
        "clock_res_get",
        "clock_time_get",
        "fd_write",
        "fd_read",
        "fd_close",
        "fd_fdstat_get",
        "fd_prestat_get",
        "fd_prestat_dir_name",
        "fd_seek",
        "random_get",
        "proc_exit",
        "sched_yield",
        "poll_oneoff",
    ]
}

/// Defines every preview1 call `module` imports: the implemented ones, and an
/// `ENOSYS` stub of the right type for the rest.
///
/// # Errors
/// A [`wasmi::Error`] if a name is defined twice (a bug) or an unimplemented import
/// has a type a stub cannot answer (no single `i32` errno result).
pub fn add_to_linker<T: WasiView + 'static>(
    linker: &mut Linker<T>,
    module: &Module,
) -> Result<(), Error> {
    define_implemented(linker)?;
    for import in module.imports() {
        if import.module() != MODULE || implemented_calls().contains(&import.name()) {
            continue;
        }
        let ExternType::Func(ty) = import.ty() else {
            continue; // Non-function WASI imports fail at link time with a clear name.
        };
        let returns_errno = matches!(ty.results(), [wasmi::ValType::I32]);
        let name = import.name().to_string();
        linker.func_new(
            MODULE,
            import.name(),
            ty.clone(),
            move |mut caller, _, results| {
                charge(&mut caller, CALL_FUEL)?;
                if returns_errno {
                    results[0] = Val::I32(Errno::Nosys as i32);
                    Ok(())
                } else {
                    Err(Error::new(format!(
                        "the guest called WASI `{name}`, which wasmfaas does not provide"
                    )))
                }
            },
        )?;
    }
    Ok(())
}

fn define_implemented<T: WasiView + 'static>(linker: &mut Linker<T>) -> Result<(), Error> {
    linker.func_wrap(MODULE, "args_get", args_get::<T>)?;
    linker.func_wrap(MODULE, "args_sizes_get", args_sizes_get::<T>)?;
    linker.func_wrap(MODULE, "environ_get", environ_get::<T>)?;
    linker.func_wrap(MODULE, "environ_sizes_get", environ_sizes_get::<T>)?;
    linker.func_wrap(MODULE, "clock_res_get", clock_res_get::<T>)?;
    linker.func_wrap(MODULE, "clock_time_get", clock_time_get::<T>)?;
    linker.func_wrap(MODULE, "fd_write", fd_write::<T>)?;
    linker.func_wrap(MODULE, "fd_read", fd_read::<T>)?;
    linker.func_wrap(MODULE, "fd_close", fd_close::<T>)?;
    linker.func_wrap(MODULE, "fd_fdstat_get", fd_fdstat_get::<T>)?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_get",
        |mut caller: Caller<'_, T>, _: i32, _: i32| {
            charge(&mut caller, CALL_FUEL).map(|()| Errno::Badf as i32)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |mut caller: Caller<'_, T>, _: i32, _: i32, _: i32| {
            charge(&mut caller, CALL_FUEL).map(|()| Errno::Badf as i32)
        },
    )?;
    linker.func_wrap(MODULE, "fd_seek", fd_seek::<T>)?;
    linker.func_wrap(MODULE, "random_get", random_get::<T>)?;
    linker.func_wrap(MODULE, "proc_exit", |_: Caller<'_, T>, code: i32| {
        Err::<(), _>(Error::i32_exit(code))
    })?;
    linker.func_wrap(MODULE, "sched_yield", |mut caller: Caller<'_, T>| {
        charge(&mut caller, CALL_FUEL).map(|()| Errno::Success as i32)
    })?;
    linker.func_wrap(MODULE, "poll_oneoff", poll_oneoff::<T>)?;
    Ok(())
}

/// Runs `body` with the guest's memory and the WASI context, turning an errno
/// result into the `i32` the guest receives.
fn with_memory<T: WasiView>(
    caller: &mut Caller<'_, T>,
    body: impl FnOnce(&mut GuestMemory<'_>, &mut WasiCtx, u64) -> Result<(), Errno>,
) -> i32 {
    let fuel_left = caller.get_fuel().unwrap_or(0);
    let Some(memory) = caller.data_mut().wasi().memory else {
        return Errno::Fault as i32;
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    let fuel_consumed = data.fuel_consumed(fuel_left);
    let mut guest = GuestMemory::new(bytes);
    match body(&mut guest, data.wasi(), fuel_consumed) {
        Ok(()) => Errno::Success as i32,
        Err(errno) => errno as i32,
    }
}

/// The price of a call that writes `items` as a string list: each string,
/// its NUL and its pointer.
fn string_list_fuel(items: &[String]) -> u64 {
    let bytes: usize = items.iter().map(|item| item.len() + 1 + 4).sum();
    CALL_FUEL + bytes_fuel(bytes as u64)
}

fn args_get<T: WasiView>(mut caller: Caller<'_, T>, argv: i32, buf: i32) -> Result32 {
    let fuel = string_list_fuel(&caller.data_mut().wasi().args);
    charge(&mut caller, fuel)?;
    Ok(with_memory(&mut caller, |mem, ctx, _| {
        mem.write_string_list(&ctx.args, argv as u32, buf as u32)
            .map_err(Errno::from)
    }))
}

fn args_sizes_get<T: WasiView>(mut caller: Caller<'_, T>, count: i32, size: i32) -> Result32 {
    charge(&mut caller, CALL_FUEL)?;
    Ok(with_memory(&mut caller, |mem, ctx, _| {
        write_sizes(mem, &ctx.args, count, size)
    }))
}

fn environ_get<T: WasiView>(mut caller: Caller<'_, T>, environ: i32, buf: i32) -> Result32 {
    let fuel = string_list_fuel(&caller.data_mut().wasi().env);
    charge(&mut caller, fuel)?;
    Ok(with_memory(&mut caller, |mem, ctx, _| {
        mem.write_string_list(&ctx.env, environ as u32, buf as u32)
            .map_err(Errno::from)
    }))
}

fn environ_sizes_get<T: WasiView>(mut caller: Caller<'_, T>, count: i32, size: i32) -> Result32 {
    charge(&mut caller, CALL_FUEL)?;
    Ok(with_memory(&mut caller, |mem, ctx, _| {
        write_sizes(mem, &ctx.env, count, size)
    }))
}

fn write_sizes(
    mem: &mut GuestMemory<'_>,
    items: &[String],
    count_ptr: i32,
    size_ptr: i32,
) -> Result<(), Errno> {
    let size: usize = items.iter().map(|item| item.len() + 1).sum();
    mem.write_u32(count_ptr as u32, items.len() as u32)?;
    mem.write_u32(size_ptr as u32, size as u32)
        .map_err(Errno::from)
}

fn clock_res_get<T: WasiView>(mut caller: Caller<'_, T>, id: i32, res: i32) -> Result32 {
    charge(&mut caller, CALL_FUEL)?;
    Ok(with_memory(&mut caller, |mem, _, _| {
        check_clock(id)?;
        mem.write_u64(res as u32, 1).map_err(Errno::from)
    }))
}

fn check_clock(id: i32) -> Result<(), Errno> {
    if (CLOCK_REALTIME..=CLOCK_THREAD_CPUTIME).contains(&id) {
        Ok(())
    } else {
        Err(Errno::Inval)
    }
}

fn clock_time_get<T: WasiView>(mut caller: Caller<'_, T>, id: i32, _: i64, out: i32) -> Result32 {
    charge(&mut caller, CALL_FUEL)?;
    Ok(with_memory(&mut caller, |mem, ctx, fuel| {
        check_clock(id)?;
        let now = if id == CLOCK_REALTIME {
            ctx.clock.realtime_ns(fuel)
        } else {
            // Monotonic and CPU-time clocks all count from the invocation's start.
            ctx.clock.monotonic_ns(fuel)
        };
        mem.write_u64(out as u32, now).map_err(Errno::from)
    }))
}

fn fd_write<T: WasiView>(
    mut caller: Caller<'_, T>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    nwritten: i32,
) -> Result32 {
    charge(&mut caller, iovecs_fuel(iovs_len))?;
    let payload = iovecs_total(&mut caller, iovs, iovs_len);
    charge(&mut caller, bytes_fuel(payload))?;
    let mut limit_hit = None;
    let errno = with_memory(&mut caller, |mem, ctx, _| {
        let pipe = match fd {
            FD_STDOUT => &mut ctx.stdout,
            FD_STDERR => &mut ctx.stderr,
            _ => return Err(Errno::Badf),
        };
        let mut total = 0u32;
        for (ptr, len) in mem.iovecs(iovs as u32, iovs_len as u32)? {
            if let Err(exceeded) = pipe.write(mem.slice(ptr, len)?) {
                limit_hit = Some(exceeded);
                return Ok(());
            }
            total = total.saturating_add(len);
        }
        mem.write_u32(nwritten as u32, total).map_err(Errno::from)
    });
    match limit_hit {
        Some(exceeded) => Err(Error::host(exceeded)),
        None => Ok(errno),
    }
}

impl wasmi::errors::HostError for super::OutputLimitExceeded {}

/// The price of a call with an iovec array of `count` entries: the call and
/// the array itself (8 bytes an entry), before any payload.
fn iovecs_fuel(count: i32) -> u64 {
    CALL_FUEL + bytes_fuel(8 * u64::from(count as u32))
}

/// The bytes an iovec array points at, summed (0 if it lies outside memory:
/// the call then fails with `EFAULT` and moves nothing).
fn iovecs_total<T: WasiView>(caller: &mut Caller<'_, T>, iovs: i32, count: i32) -> u64 {
    let mut total = 0;
    with_memory(caller, |mem, _, _| {
        let lens = mem.iovecs(iovs as u32, count as u32)?;
        total = lens.iter().map(|&(_, len)| u64::from(len)).sum();
        Ok(())
    });
    total
}

fn fd_read<T: WasiView>(
    mut caller: Caller<'_, T>,
    fd: i32,
    iovs: i32,
    iovs_len: i32,
    nread: i32,
) -> Result32 {
    charge(&mut caller, iovecs_fuel(iovs_len))?;
    let mut total = 0u32;
    let errno = with_memory(&mut caller, |mem, ctx, _| {
        if fd != FD_STDIN {
            return Err(Errno::Badf);
        }
        for (ptr, len) in mem.iovecs(iovs as u32, iovs_len as u32)? {
            let n = ctx.read_stdin(mem.slice_mut(ptr, len)?);
            total += n as u32;
            if n < len as usize {
                break;
            }
        }
        mem.write_u32(nread as u32, total).map_err(Errno::from)
    });
    // Paid after the copy, for the bytes read: they are bounded by the
    // invocation's own stdin, so reading them first costs the host nothing a
    // guest could abuse, and a large buffer for a short input costs no more.
    charge(&mut caller, bytes_fuel(u64::from(total)))?;
    Ok(errno)
}

fn is_stdio(fd: i32) -> bool {
    matches!(fd, FD_STDIN | FD_STDOUT | FD_STDERR)
}

fn fd_close<T: WasiView>(mut caller: Caller<'_, T>, fd: i32) -> Result32 {
    charge(&mut caller, CALL_FUEL)?;
    // Closing stdio is allowed and harmless: output is collected when the guest ends.
    Ok(if is_stdio(fd) {
        Errno::Success as i32
    } else {
        Errno::Badf as i32
    })
}

fn fd_fdstat_get<T: WasiView>(mut caller: Caller<'_, T>, fd: i32, out: i32) -> Result32 {
    charge(&mut caller, CALL_FUEL)?;
    Ok(with_memory(&mut caller, |mem, _, _| {
        if !is_stdio(fd) {
            return Err(Errno::Badf);
        }
        // fdstat: filetype u8, flags u16 at 2, rights_base u64 at 8, inheriting at 16.
        let mut stat = [0u8; 24];
        stat[0] = FILETYPE_CHARACTER_DEVICE;
        let rights: u64 = if fd == FD_STDIN { 1 << 1 } else { 1 << 6 }; // fd_read / fd_write
        stat[8..16].copy_from_slice(&rights.to_le_bytes());
        mem.write(out as u32, &stat).map_err(Errno::from)
    }))
}

fn fd_seek<T: WasiView>(mut caller: Caller<'_, T>, fd: i32, _: i64, _: i32, _: i32) -> Result32 {
    charge(&mut caller, CALL_FUEL)?;
    Ok(if is_stdio(fd) {
        Errno::Spipe as i32
    } else {
        Errno::Badf as i32
    })
}

/// Bytes `random_get` fills between two looks at the wall clock, so a call
/// over a huge buffer ends soon after the deadline rather than after the
/// whole buffer (a multiple of 8: the generator's stream is the same).
const RANDOM_CHUNK: u32 = 1 << 20;

fn random_get<T: WasiView>(mut caller: Caller<'_, T>, buf: i32, len: i32) -> Result32 {
    let (start, len) = (buf as u32, len as u32);
    charge(&mut caller, CALL_FUEL + bytes_fuel(u64::from(len)))?;
    let in_bounds = with_memory(&mut caller, |mem, _, _| {
        mem.slice(start, len).map(drop).map_err(Errno::from)
    });
    if in_bounds != Errno::Success as i32 {
        return Ok(in_bounds);
    }
    let mut filled = 0;
    while filled < len {
        if filled > 0 {
            charge(&mut caller, 0)?; // paid already; only the clock is checked
        }
        let n = (len - filled).min(RANDOM_CHUNK);
        with_memory(&mut caller, |mem, ctx, _| {
            ctx.rng.fill(mem.slice_mut(start + filled, n)?);
            Ok(())
        });
        filled += n;
    }
    Ok(Errno::Success as i32)
}

/// `poll_oneoff`: stdio is always ready; clock subscriptions are sleeps, which
/// advance the virtual clock to the earliest deadline at once.
fn poll_oneoff<T: WasiView>(
    mut caller: Caller<'_, T>,
    subs: i32,
    events: i32,
    count: i32,
    nevents: i32,
) -> Result32 {
    // Each subscription is 48 bytes read; each event 32 bytes written.
    let entries = u64::from(count.max(0) as u32);
    charge(&mut caller, CALL_FUEL + bytes_fuel(entries * (48 + 32)))?;
    Ok(with_memory(&mut caller, |mem, ctx, fuel| {
        if count <= 0 {
            return Err(Errno::Inval);
        }
        let mut fd_events = Vec::new();
        let mut earliest: Option<(u64, u64)> = None; // (wait ns, userdata)
        for i in 0..count as u32 {
            let sub = (subs as u32).checked_add(i * 48).ok_or(Errno::Fault)?;
            let userdata = mem.read_u64(sub)?;
            let tag = mem.slice(sub + 8, 1)?[0];
            if tag == EVENTTYPE_CLOCK {
                let timeout = mem.read_u64(sub + 24)?;
                let flags = mem.read_u16(sub + 40)?;
                let wait = if flags & SUBCLOCKFLAG_ABSTIME != 0 {
                    let now = ctx.clock.start_ns() + ctx.clock.elapsed_ns(fuel);
                    timeout.saturating_sub(now)
                } else {
                    timeout
                };
                if earliest.is_none_or(|(best, _)| wait < best) {
                    earliest = Some((wait, userdata));
                }
            } else {
                fd_events.push((userdata, tag));
            }
        }
        let mut written = Vec::new();
        if fd_events.is_empty() {
            if let Some((wait, userdata)) = earliest {
                ctx.clock.sleep(wait);
                written.push((userdata, EVENTTYPE_CLOCK));
            }
        } else {
            written = fd_events;
        }
        for (i, (userdata, tag)) in written.iter().enumerate() {
            let mut event = [0u8; 32];
            event[0..8].copy_from_slice(&userdata.to_le_bytes());
            event[10] = *tag;
            let at = (events as u32)
                .checked_add(i as u32 * 32)
                .ok_or(Errno::Fault)?;
            mem.write(at, &event)?;
        }
        mem.write_u32(nevents as u32, written.len() as u32)
            .map_err(Errno::from)
    }))
}
