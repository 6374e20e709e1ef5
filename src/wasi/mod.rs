//! A virtual, deterministic WASI preview1 layer: our own, about twenty calls.
//!
//! A guest sees in-memory pipes for stdin/stdout/stderr, the environment and
//! arguments its config grants, a virtual clock and a seeded random generator —
//! and nothing else: there is no filesystem (`fd_prestat_get` answers `EBADF`, so
//! wasi-libc finds no preopened directory) and no network. Every other preview1
//! import links to a stub answering `ENOSYS`, so a module that merely *imports*
//! `path_open` still loads, and fails politely only if it calls it.
//!
//! Why not `wasmi_wasi`: it rests on `wasi-common` (being removed upstream), pulls
//! in dozens of crates, blocks a worker thread in `sleep`, and reads the real clock
//! and OS randomness — which would make replays differ byte for byte. Here time and
//! randomness come only from the [`WasiCtx`] an invocation is built with, so the
//! same invocation always produces the same bytes.
//!
//! This module owns the guest-visible system interface. It must not know about
//! HTTP, config files or fuel budgets: the runtime feeds it what it needs, and
//! keeps the books of what each call costs ([`cost`]).

mod clock;
pub mod cost;
mod pipes;
mod preview1;
mod rng;

pub use clock::VirtualClock;
pub use pipes::{OutputLimitExceeded, OutputPipe, Stream};
pub use preview1::{MODULE, add_to_linker, implemented_calls};
pub use rng::SeededRng;

use wasmi::Memory;

/// Everything one invocation's guest can observe through WASI.
#[derive(Debug)]
pub struct WasiCtx {
    stdin: Vec<u8>,
    stdin_pos: usize,
    /// What the guest wrote to fd 1.
    pub stdout: OutputPipe,
    /// What the guest wrote to fd 2.
    pub stderr: OutputPipe,
    args: Vec<String>,
    env: Vec<String>,
    /// Time as the guest sees it.
    pub clock: VirtualClock,
    rng: SeededRng,
    /// The guest's exported `memory`, set once the instance exists.
    pub memory: Option<Memory>,
}

/// What a [`WasiCtx`] is made from: the inputs of one invocation.
#[derive(Debug, Clone)]
pub struct WasiInputs {
    pub stdin: Vec<u8>,
    pub args: Vec<String>,
    /// `KEY=value` pairs, in order.
    pub env: Vec<(String, String)>,
    /// Wall-clock start, nanoseconds since the Unix epoch.
    pub start_time_ns: u64,
    /// Seed of every random byte the guest will read.
    pub seed: u64,
    /// Cap on fd 1, in bytes.
    pub max_stdout: u64,
    /// Cap on fd 2, in bytes.
    pub max_stderr: u64,
}

impl WasiCtx {
    /// A context for one invocation.
    pub fn new(inputs: WasiInputs) -> WasiCtx {
        WasiCtx {
            stdin: inputs.stdin,
            stdin_pos: 0,
            stdout: OutputPipe::new(Stream::Stdout, inputs.max_stdout),
            stderr: OutputPipe::new(Stream::Stderr, inputs.max_stderr),
            args: inputs.args,
            env: inputs
                .env
                .into_iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect(),
            clock: VirtualClock::new(inputs.start_time_ns),
            rng: SeededRng::new(inputs.seed),
            memory: None,
        }
    }

    /// Copies the unread part of stdin into `buf`, returning how much was copied.
    fn read_stdin(&mut self, buf: &mut [u8]) -> usize {
        let rest = &self.stdin[self.stdin_pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.stdin_pos += n;
        n
    }
}

/// Gives the WASI shims access to a [`WasiCtx`] inside the store's data, and to the
/// fuel consumed so far (the virtual clock advances with it).
pub trait WasiView {
    /// The invocation's WASI state.
    fn wasi(&mut self) -> &mut WasiCtx;
    /// Fuel consumed by the invocation so far, given what is left in the store now.
    fn fuel_consumed(&self, fuel_left_in_store: u64) -> u64;
    /// Charges a host call `fuel` and checks the wall-clock deadline.
    /// `fuel_left_in_store` is `None` when metering is off. Returns the fuel
    /// the store should hold afterwards.
    ///
    /// # Errors
    /// The error that ends the invocation (out of fuel, or past its deadline).
    fn charge(
        &mut self,
        fuel_left_in_store: Option<u64>,
        fuel: u64,
    ) -> Result<Option<u64>, wasmi::Error>;
    /// Wall-clock time left before the invocation's deadline; `None` when
    /// it has none (trial instantiation, tests).
    fn time_left(&self) -> Option<std::time::Duration> {
        None
    }
}
