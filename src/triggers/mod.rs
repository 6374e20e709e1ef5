//! Invoking functions on events other than HTTP requests: S3 object events
//! here, schedules in [`schedules`].
//!
//! # Strategy
//! Every write that causes an S3 event records it in the state's event
//! outbox in the write's own transaction (`state::outbox`), whoever wrote:
//! a guest through its bindings, a client of the S3 endpoint, the CLI. The
//! outbox *is* the queue: a dispatcher thread reads it in write order, runs
//! every function subscribed to each event (`[[functions.<name>.triggers]]`)
//! one after another, as S3 delivers notifications asynchronously after the
//! write, and then deletes the event. A process killed in between leaves the
//! event on record, and the next `dev` delivers it: at least once, as AWS
//! does. Writers only wake the dispatcher ([`EventSink::submit`]); it also
//! looks at the outbox every [`POLL_INTERVAL`], for writes made by other
//! processes. The triggered function gets the AWS event through its ABI
//! ([`abi::Input::Event`]): a Lambda handler as it is, an `http` function as
//! the body of a `POST /` request with the header `x-wasmfaas-trigger: s3`
//! (`docs/abi.md`).
//!
//! ```text
//!  writer ──(write + outbox row, one transaction)──► state
//!     └──── wake-up (bounded channel) ───► dispatcher ──reads──┘
//!                                            │  runs subscribers, deletes row
//!                                            └─ their writes: rows of the same chain
//! ```
//!
//! A function that writes to the bucket that triggers it would run forever,
//! and one that writes k objects would multiply its events k-fold per round.
//! So the events a delivery causes belong to the chain of the event that
//! started it (its root), and a chain may run at most
//! [`MAX_INVOCATIONS_PER_EVENT`] invocations (`[triggers]
//! max_invocations_per_event`) and [`MAX_DEPTH`] rounds; past
//! either, its remaining events are dropped and the console says once which
//! function loops on which bucket, as AWS's recursive loop detection does.
//! Memory stays bounded: the queue is on disk, the channel holds one wake-up,
//! and the dispatcher keeps only the chains of events it has not delivered.

pub mod schedules;

use crate::abi::Input;
use crate::bindings::ObjectChange;
use crate::config::Trigger;
use crate::deployment::Live;
use crate::pipeline::{Call, Line, Pipeline};
use crate::runtime::Context;
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::time::Duration;

/// How many rounds one chain of events may run before it is stopped (AWS
/// stops a recursive loop after about 16 invocations in a row).
pub const MAX_DEPTH: u32 = 16;

/// How many invocations one event, and every event its deliveries cause,
/// may run in all, unless `[triggers] max_invocations_per_event` says
/// otherwise: a function writing k objects into its own trigger bucket
/// would otherwise run on the order of k^15 times before [`MAX_DEPTH`].
pub const MAX_INVOCATIONS_PER_EVENT: u32 = 100;

/// How often the dispatcher looks at the outbox without being woken: writes
/// by other processes (`wasmfaas s3 cp`) are delivered within this.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Events read from the outbox at a time.
const BATCH: usize = 64;

/// What goes through the channel: a wake-up, or (for [`EventSink::capture`])
/// the changes themselves.
enum Job {
    Wake,
    Changes(Vec<ObjectChange>),
}

/// Where invocations report the objects they changed.
#[derive(Debug, Clone, Default)]
pub struct EventSink {
    sender: Option<SyncSender<Job>>,
    /// The changes themselves go through the channel (tests and tools).
    capture: bool,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Wake => f.write_str("Wake"),
            Job::Changes(changes) => write!(f, "{} changes", changes.len()),
        }
    }
}

impl EventSink {
    /// A sink that delivers nothing (no dev server running).
    pub fn discard() -> EventSink {
        EventSink::default()
    }

    /// A sink whose changes arrive on the returned receiver instead of
    /// running functions (tests and tools).
    pub fn capture() -> (EventSink, mpsc::Receiver<ObjectChange>) {
        let (sender, jobs) = mpsc::sync_channel::<Job>(1024);
        let (changes, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("triggers-capture".into())
            .spawn(move || {
                for job in jobs {
                    if let Job::Changes(list) = job {
                        for change in list {
                            let _ = changes.send(change);
                        }
                    }
                }
            })
            .expect("spawning the trigger capture");
        let sink = EventSink {
            sender: Some(sender),
            capture: true,
        };
        (sink, receiver)
    }

    /// Reports `changes` made by a request, a firing or a client. Their
    /// events are already in the outbox; this wakes the dispatcher, which
    /// starts a new chain for each. (The dispatcher's own deliveries join
    /// their chain instead: it reads what they caused from their outcome.)
    pub fn submit(&self, changes: &[ObjectChange]) {
        let Some(sender) = &self.sender else { return };
        if changes.is_empty() {
            return;
        }
        if self.capture {
            let _ = sender.send(Job::Changes(changes.to_vec()));
        } else {
            // A full channel already holds a wake-up: nothing is lost.
            let _ = sender.try_send(Job::Wake);
        }
    }
}

/// The budget shared by a root event and every event its deliveries cause.
#[derive(Debug)]
struct Chain {
    /// The invocations the chain started with.
    budget: u32,
    invocations_left: Cell<u32>,
    /// The console was told this chain was stopped.
    reported: Cell<bool>,
}

/// An event's place in its chain.
#[derive(Debug, Clone)]
struct Link {
    depth: u32,
    chain: Rc<Chain>,
}

impl Link {
    fn root(budget: u32) -> Link {
        Link {
            depth: 0,
            chain: Rc::new(Chain {
                budget,
                invocations_left: Cell::new(budget),
                reported: Cell::new(false),
            }),
        }
    }
}

/// The dispatcher's state between deliveries.
struct Dispatcher {
    live: Arc<Live>,
    /// Runs deliveries; it sends no change events (see [`spawn`]).
    pipeline: Pipeline,
    /// Deliveries so far, for their request ids.
    requests: u64,
    /// The chains of events caused by deliveries and not yet delivered, by
    /// the sequencer of their write. Events not here are roots.
    links: HashMap<String, Link>,
}

/// Starts the dispatcher; it runs until the last [`EventSink`] is gone,
/// delivering first what an earlier process left in the outbox. Deliveries
/// run through `pipeline`, whose change events should go nowhere: the
/// events a delivery causes are in the outbox, and join its chain.
pub fn spawn(live: Arc<Live>, pipeline: Pipeline) -> EventSink {
    let (sink, queue) = channel();
    spawn_on(queue, live, pipeline);
    sink
}

/// The wake-ups of a dispatcher not started yet ([`spawn_on`]): for a
/// caller whose pipeline needs the sink before the dispatcher can start.
pub struct Wakeups(mpsc::Receiver<Job>);

/// An event sink and the wake-ups it will send to [`spawn_on`].
pub fn channel() -> (EventSink, Wakeups) {
    // One wake-up is all the channel needs to hold: the events are on disk.
    let (sender, jobs) = mpsc::sync_channel::<Job>(1);
    let sink = EventSink {
        sender: Some(sender),
        capture: false,
    };
    (sink, Wakeups(jobs))
}

/// Starts the dispatcher on `wakeups`, as [`spawn`] does.
pub fn spawn_on(wakeups: Wakeups, live: Arc<Live>, pipeline: Pipeline) {
    let jobs = wakeups.0;
    std::thread::Builder::new()
        .name("triggers".into())
        .spawn(move || {
            let mut dispatcher = Dispatcher {
                live,
                pipeline,
                requests: 0,
                links: HashMap::new(),
            };
            loop {
                dispatcher.drain_outbox();
                match jobs.recv_timeout(POLL_INTERVAL) {
                    Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })
        .expect("spawning the trigger dispatcher");
}

impl Dispatcher {
    /// Delivers every event in the outbox, in write order, including those
    /// the deliveries cause.
    fn drain_outbox(&mut self) {
        loop {
            let deployment = self.live.snapshot();
            let state = deployment.state.clone();
            let budget = deployment.project.triggers.max_invocations_per_event;
            let pending = match state.pending_events(BATCH) {
                Ok(pending) => pending,
                Err(error) => return self.storage_trouble(&error),
            };
            if pending.is_empty() {
                return;
            }
            for event in pending {
                let sequencer = event.object.sequencer.clone();
                let link = self
                    .links
                    .remove(&sequencer)
                    .unwrap_or_else(|| Link::root(budget));
                let change = ObjectChange {
                    event_name: event.event_name,
                    object: event.object,
                    at_ns: event.at_ns,
                };
                self.deliver(&change, &link);
                // Delivered (or dropped on purpose): either way it is done.
                if let Err(error) = state.event_done(&sequencer) {
                    return self.storage_trouble(&error);
                }
            }
        }
    }

    /// The outbox cannot be read or written; try again at the next wake-up.
    fn storage_trouble(&self, error: &crate::state::StateError) {
        self.pipeline.notice(format!(
            "{:>12} S3 event deliveries: the event outbox is not usable ({error}); pending \
             events stay there and are retried",
            "Paused"
        ));
        std::thread::sleep(POLL_INTERVAL);
    }

    /// Says once per chain that it was stopped, naming the function and the
    /// bucket that loop.
    fn report_stop(&self, link: &Link, function: &str, bucket: &str, why: &str) {
        if link.chain.reported.replace(true) {
            return;
        }
        self.pipeline.notice(format!(
            "{:>12} `{function}` loops on s3://{bucket}: {why}; the rest of this chain of \
             events is dropped (write its output to another bucket, or filter the trigger with \
             `prefix`/`suffix`)",
            "Stopped"
        ));
    }

    /// Runs every function subscribed to `change`, within its chain's budget.
    fn deliver(&mut self, change: &ObjectChange, link: &Link) {
        let deployment = self.live.snapshot();
        let object = &change.object;
        for deployed in deployment.functions.values() {
            for (index, trigger) in deployed.function.triggers.iter().enumerate() {
                let Trigger::S3(s3) = trigger else {
                    continue;
                };
                if !s3.matches(&object.bucket, &object.key, change.event_name) {
                    continue;
                }
                let function = &deployed.function;
                if link.depth + 1 >= MAX_DEPTH {
                    let why = format!(
                        "{MAX_DEPTH} invocations in a row were caused by writes to watched \
                         buckets (a recursive loop, which AWS also stops)"
                    );
                    self.report_stop(link, &function.name, &object.bucket, &why);
                    continue;
                }
                let left = link.chain.invocations_left.get();
                if left == 0 {
                    let why = format!(
                        "one event has caused {} invocations, the budget of a chain of events \
                         (`[triggers] max_invocations_per_event`)",
                        link.chain.budget
                    );
                    self.report_stop(link, &function.name, &object.bucket, &why);
                    continue;
                }
                let Some(module) = &deployed.module else {
                    self.pipeline.notice(format!(
                        "{:>12} {} on s3://{}/{} not delivered: `{}` has no working build",
                        "Skipped", change.event_name, object.bucket, object.key, function.name
                    ));
                    continue;
                };
                link.chain.invocations_left.set(left - 1);
                self.requests += 1;
                let request_id = format!("{:016X}", self.requests);
                let configuration_id = format!("{}-{index}", function.name);
                let event = crate::aws::s3::notification(change, &configuration_id, &request_id);
                let input = Input::Event {
                    source: "s3",
                    payload: &event,
                };
                let target = format!(
                    "{} s3://{}/{}",
                    change.event_name, object.bucket, object.key
                );
                let line = Line::starting("EVENT", target);
                let call =
                    Call::of_deployed(&deployment, deployed, module, input, Context::live(), line);
                let outcome = self.pipeline.run(call);
                // Their events are in the outbox already; they join this chain.
                for caused in outcome.changes {
                    let next = Link {
                        depth: link.depth + 1,
                        chain: Rc::clone(&link.chain),
                    };
                    self.links.insert(caused.object.sequencer, next);
                }
            }
        }
    }
}
