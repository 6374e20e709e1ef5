//! The host side of the `wasmfaas` import module: KV namespaces and S3 buckets
//! for guests (`docs/abi.md`, "Bindings").
//!
//! Each call checks the function's grant first, then goes to the [`State`]
//! store. Its answer is staged in the invocation until the guest copies it
//! with `result_read`. That way the guest can allocate exactly the right
//! buffer, and the host never writes into guest memory it did not ask for.
//! Failures become status codes with a message, never a trap and never a
//! panic. A denied call is also written to the function's stderr, so the
//! console and error pages name the function and the binding.
//!
//! Every call pays fuel before it does anything ([`crate::wasi::cost`]): a
//! storage call's fixed price plus the bytes of its arguments, then the bytes
//! of the result it stages; `result_read` pays for the bytes it copies. So a
//! guest looping on `kv_put` runs out of fuel (or time: the charge checks the
//! deadline) as a guest looping on its own instructions does.
//!
//! This module owns the ABI's encoding and capability checks; storage
//! semantics live in `state`.

mod call;
mod capture;
mod fetch;
mod kv;
mod s3;
mod seed;

pub use capture::{Capture, CapturedObject};
pub use seed::{SeedError, Seeded, prepare};

use crate::config::Function;
use crate::config::outbound::OutboundRule;
use crate::outbound::RecordedCalls;
use crate::state::{ObjectMeta, State};
use crate::wasi::WasiView;
use crate::wasi::cost::{CALL_FUEL, STORAGE_CALL_FUEL, bytes_fuel, charge};
use call::Call;
use std::collections::BTreeSet;
use std::sync::Arc;
use wasmi::{Caller, Error, Linker};

/// The import module name.
pub const MODULE: &str = "wasmfaas";

/// The ABI's status codes (`docs/abi.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotFound = 1,
    Denied = 2,
    TooLarge = 3,
    InvalidKey = 4,
    InvalidArgument = 5,
    PreconditionFailed = 6,
    InvalidRange = 7,
    NoSuchBucket = 8,
    Storage = 9,
    Fault = 10,
    /// An outbound request got no answer: the network failed or the
    /// invocation's time ran out.
    Unreachable = 11,
    /// A per-invocation limit is reached (`limits.subrequests`).
    Limit = 12,
}

/// A failed host call: its ABI status and the message the guest can read.
#[derive(Debug)]
pub struct HostCallError {
    pub status: Status,
    pub message: String,
}

impl HostCallError {
    fn new(status: Status, message: impl Into<String>) -> HostCallError {
        HostCallError {
            status,
            message: message.into(),
        }
    }
}

/// What one function may reach, and where its data lives.
#[derive(Debug, Clone)]
pub struct Access {
    pub state: State,
    pub function: String,
    kv: BTreeSet<String>,
    s3: BTreeSet<String>,
    /// Capture the initial state of what each invocation touches (recording).
    capture: bool,
    /// The most linear memory the function may have: a result larger than
    /// this could never be read by it, so it is refused before being loaded.
    memory_limit: u64,
    /// Where it may send HTTP requests (`outbound = [...]`).
    outbound: Arc<[OutboundRule]>,
    /// How many it may send per invocation (`limits.subrequests`).
    subrequests: u32,
    /// Whether requests leave the process, or are answered from a
    /// recording (replays are hermetic).
    network: Network,
    /// Functions of the project it may call (`services = [...]`).
    services: Arc<[String]>,
    /// What runs those calls, and the functions whose service calls led to
    /// this invocation (outermost first): a loop is refused.
    runner: Option<Runner>,
}

/// What runs a function's service calls, and the chain of callers that led
/// to the invocation (outermost first).
type Runner = (Arc<dyn Services>, Arc<[String]>);

/// Runs a service call: another function of the project, in-process,
/// through its own ABI, limits and grants. The pipeline implements it; the
/// bindings only know this trait, as they run below the pipeline.
pub trait Services: Send + Sync + std::fmt::Debug {
    /// Sends `request` to `service` for `caller`, whose own callers are
    /// `callers` (outermost first).
    ///
    /// # Errors
    /// Why the callee gave no response, as a sentence.
    fn call(
        &self,
        caller: &str,
        callers: &[String],
        service: &str,
        request: crate::abi::http::HttpRequest,
    ) -> Result<crate::abi::http::HttpResponse, String>;
}

/// Where a function's outbound calls go.
#[derive(Debug, Clone, Default)]
enum Network {
    /// To the network, within the grants.
    Live,
    /// Nowhere: every call fails, saying why.
    #[default]
    Offline,
    /// Answered from a fixture's recorded calls, in order.
    Replay(Arc<RecordedCalls>),
}

/// A wasm32 guest's largest possible memory: 65536 pages of 64 KiB.
const WASM32_MEMORY_MAX: u64 = 4 * 1024 * 1024 * 1024;

impl Access {
    /// The grants of `function`'s config over `state`.
    pub fn for_function(state: State, function: &Function) -> Access {
        Access {
            memory_limit: function.limits.memory_bytes,
            outbound: function.outbound.iter().cloned().collect(),
            subrequests: function.limits.subrequests,
            network: Network::Live,
            services: function.services.iter().cloned().collect(),
            ..Access::new(
                state,
                &function.name,
                function.kv.iter().cloned(),
                function.s3.iter().cloned(),
            )
        }
    }

    /// Grants of the KV namespaces `kv` and the buckets `s3` to `function`.
    pub fn new(
        state: State,
        function: &str,
        kv: impl IntoIterator<Item = String>,
        s3: impl IntoIterator<Item = String>,
    ) -> Access {
        Access {
            state,
            function: function.to_string(),
            kv: kv.into_iter().collect(),
            s3: s3.into_iter().collect(),
            capture: false,
            memory_limit: WASM32_MEMORY_MAX,
            outbound: Arc::from([]),
            subrequests: 0,
            network: Network::Offline,
            services: Arc::from([]),
            runner: None,
        }
    }

    /// The same grants for a function whose memory limit is `bytes` (set
    /// from the function's `memory_mb` by [`Access::for_function`]).
    pub fn with_memory_limit(self, bytes: u64) -> Access {
        Access {
            memory_limit: bytes,
            ..self
        }
    }

    /// The same grants, its service calls run by `runner` on behalf of
    /// the chain `callers` that led to this invocation.
    pub fn calling_services(self, runner: Arc<dyn Services>, callers: Arc<[String]>) -> Access {
        Access {
            runner: Some((runner, callers)),
            ..self
        }
    }

    /// Whether it may call other functions.
    pub fn has_services(&self) -> bool {
        !self.services.is_empty()
    }

    /// Whether something runs its service calls already.
    pub fn runs_services(&self) -> bool {
        self.runner.is_some()
    }

    /// The same grants, its outbound calls answered from `calls` (a
    /// fixture's recording) instead of the network.
    pub fn replaying(self, calls: Arc<RecordedCalls>) -> Access {
        Access {
            network: Network::Replay(calls),
            ..self
        }
    }

    /// The same grants, for invocations being recorded: each one's
    /// [`Capture`] of the state it touched comes back in its report.
    pub fn recording(&self) -> Access {
        Access {
            capture: true,
            ..self.clone()
        }
    }

    /// The KV namespaces granted, in order.
    pub fn kv_namespaces(&self) -> impl Iterator<Item = &str> {
        self.kv.iter().map(String::as_str)
    }

    /// The buckets granted, in order.
    pub fn buckets(&self) -> impl Iterator<Item = &str> {
        self.s3.iter().map(String::as_str)
    }

    fn kv(&self, namespace: &str) -> Result<(), HostCallError> {
        if self.kv.contains(namespace) {
            return Ok(());
        }
        Err(HostCallError::new(
            Status::Denied,
            format!(
                "function `{}` may not use KV namespace `{namespace}`; add it to `kv = [...]` \
                 under [functions.{}] in wasmfaas.toml",
                self.function, self.function
            ),
        ))
    }

    fn s3(&self, bucket: &str) -> Result<(), HostCallError> {
        if self.s3.contains(bucket) {
            return Ok(());
        }
        Err(HostCallError::new(
            Status::Denied,
            format!(
                "function `{}` may not use bucket `{bucket}`; add it to `s3 = [...]` \
                 under [functions.{}] in wasmfaas.toml",
                self.function, self.function
            ),
        ))
    }
}

/// An object written or deleted through a binding: what S3 event triggers
/// fire on once the invocation is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChange {
    /// `ObjectCreated:Put`, `ObjectCreated:Copy` or `ObjectRemoved:Delete`.
    pub event_name: &'static str,
    /// The object as written; for a delete, as it was.
    pub object: ObjectMeta,
    /// When it happened, on the invocation's virtual clock.
    pub at_ns: u64,
}

/// The bindings of one invocation: what it may reach, the staged result of
/// its last call, and what it did to storage.
#[derive(Debug)]
pub struct BindingCtx {
    access: Arc<Access>,
    result: Vec<u8>,
    effects: Effects,
}

/// What an invocation's calls did to storage: the objects changed (for S3
/// event triggers) and, when recorded, the initial state touched.
#[derive(Debug, Default)]
pub struct Effects {
    /// Objects written or deleted, in order.
    pub changes: Vec<ObjectChange>,
    /// `Some` when the invocation is recorded.
    pub capture: Option<Capture>,
    /// What its outbound requests have spent so far.
    pub outbound: OutboundSpent,
}

/// The outbound requests an invocation made and the response bytes they
/// brought, against its [`Access`] limits.
#[derive(Debug, Default, Clone, Copy)]
pub struct OutboundSpent {
    pub subrequests: u32,
    pub response_bytes: u64,
}

impl BindingCtx {
    pub fn new(access: Arc<Access>) -> BindingCtx {
        let capture = access.capture.then(Capture::default);
        BindingCtx {
            access,
            result: Vec::new(),
            effects: Effects {
                changes: Vec::new(),
                capture,
                outbound: OutboundSpent::default(),
            },
        }
    }

    /// Everything done so far; the context keeps nothing.
    pub fn take_effects(&mut self) -> Effects {
        std::mem::take(&mut self.effects)
    }
}

/// Gives the shims the invocation's bindings, next to its WASI state (for
/// memory, the virtual clock and stderr).
pub trait BindingsView: WasiView {
    /// `None` when the invocation has no bindings (e.g. a trial instantiation):
    /// every call is then denied.
    fn bindings(&mut self) -> Option<&mut BindingCtx>;
}

/// Defines every `wasmfaas` import in `linker`.
///
/// # Errors
/// Only if a name is defined twice, which would be a bug here.
pub fn add_to_linker<T: BindingsView + 'static>(linker: &mut Linker<T>) -> Result<(), Error> {
    kv::add_to_linker(linker)?;
    fetch::add_to_linker(linker)?;
    s3::add_to_linker(linker)?;
    linker.func_wrap(MODULE, "result_read", result_read::<T>)?;
    Ok(())
}

/// Runs one call: `body` gets the guest's memory and the invocation's access;
/// its answer is staged and its length (or minus its status) returned.
/// `argument_lens` are the call's length arguments: it pays for those bytes
/// first, then for the result it stages.
///
/// # Errors
/// Only the charge's: out of fuel or past the deadline, which end the guest.
fn host_call<T: BindingsView>(
    caller: &mut Caller<'_, T>,
    argument_lens: &[i32],
    body: impl FnOnce(&Call<'_>, &Access, &mut Effects) -> Result<Vec<u8>, HostCallError>,
) -> Result<i64, Error> {
    let argument_bytes: u64 = argument_lens
        .iter()
        .map(|&len| u64::from(len.max(0) as u32))
        .sum();
    charge(caller, STORAGE_CALL_FUEL + bytes_fuel(argument_bytes))?;
    let answer = staged_call(caller, body);
    if answer > 0 {
        charge(caller, bytes_fuel(answer as u64))?;
    }
    Ok(answer)
}

/// [`host_call`] once paid for.
fn staged_call<T: BindingsView>(
    caller: &mut Caller<'_, T>,
    body: impl FnOnce(&Call<'_>, &Access, &mut Effects) -> Result<Vec<u8>, HostCallError>,
) -> i64 {
    let Some(call) = Call::begin(caller) else {
        return -(Status::Fault as i64);
    };
    let (call, data) = call;
    let Some(ctx) = data.bindings() else {
        return -(Status::Denied as i64);
    };
    let access = Arc::clone(&ctx.access);
    let mut effects = Effects {
        changes: Vec::new(),
        capture: ctx.effects.capture.take(),
        outbound: ctx.effects.outbound,
    };
    let outcome = body(&call, &access, &mut effects);
    let (answer, staged) = match outcome {
        Ok(result) => (i64::try_from(result.len()).unwrap_or(i64::MAX), result),
        Err(failure) => {
            if failure.status == Status::Denied {
                // Best effort: a full stderr must not turn a denial into a trap.
                let line = format!("wasmfaas: denied: {}\n", failure.message);
                let _ = data.wasi().stderr.write(line.as_bytes());
            }
            (-(failure.status as i64), failure.message.into_bytes())
        }
    };
    if let Some(ctx) = data.bindings() {
        ctx.result = staged;
        ctx.effects.changes.append(&mut effects.changes);
        ctx.effects.capture = effects.capture;
        ctx.effects.outbound = effects.outbound;
    }
    answer
}

/// `result_read(buf, len) -> i64`: copies the staged result into the guest.
fn result_read<T: BindingsView>(
    mut caller: Caller<'_, T>,
    buf: i32,
    len: i32,
) -> Result<i64, Error> {
    let staged = caller
        .data_mut()
        .bindings()
        .map_or(0, |ctx| ctx.result.len());
    let n = staged.min(len.max(0) as usize);
    charge(&mut caller, CALL_FUEL + bytes_fuel(n as u64))?;
    let Some((mut call, data)) = Call::begin(&mut caller) else {
        return Ok(-(Status::Fault as i64));
    };
    let Some(ctx) = data.bindings() else {
        return Ok(0);
    };
    Ok(match call.write(buf, &ctx.result[..n]) {
        Ok(()) => n as i64,
        Err(failure) => -(failure.status as i64),
    })
}

/// A little-endian record, as `docs/abi.md` encodes results.
#[derive(Debug, Default)]
struct Record(Vec<u8>);

impl Record {
    fn u32(&mut self, n: u32) -> &mut Self {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    fn u64(&mut self, n: u64) -> &mut Self {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    /// A count of items or bytes (the ABI's `u32`; nothing reaching it is larger).
    fn count(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn str(&mut self, text: &str) -> &mut Self {
        self.count(text.len());
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    fn done(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}
