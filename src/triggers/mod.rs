//! Invoking functions on events other than HTTP requests: S3 object events
//! here, schedules in [`schedules`].
//!
//! When an invocation writes or deletes objects through its bindings, the
//! changes go to a dispatcher thread, which runs every function subscribed to
//! them (`[[functions.<name>.triggers]]`) one after another, as S3 delivers
//! notifications asynchronously after the write. The triggered function gets
//! the AWS event through its ABI ([`abi::Input::Event`]): a Lambda handler as
//! it is, an `http` function as the body of a `POST /` request with the
//! header `x-wasmfaas-trigger: s3` (`docs/abi.md`).
//!
//! A function that writes to the bucket that triggers it would run forever.
//! So each change carries the depth of the chain that caused it, and past
//! [`MAX_DEPTH`] the chain is stopped and the console says so, as AWS's
//! recursive loop detection stops such loops.

pub mod schedules;

use crate::abi::{self, Input};
use crate::activity::{Activity, ActivitySink, RequestRecord};
use crate::bindings::ObjectChange;
use crate::config::Trigger;
use crate::deployment::Live;
use crate::fixture;
use crate::record::Recorder;
use crate::runtime::Context;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::{Instant, SystemTime};

/// How many invocations one chain of events may run before it is stopped
/// (AWS stops a recursive loop after about 16 invocations).
pub const MAX_DEPTH: u32 = 16;

/// A change waiting for delivery, and how deep in a chain it was made.
struct Job {
    change: ObjectChange,
    depth: u32,
}

/// Where invocations report the objects they changed.
#[derive(Debug, Clone, Default)]
pub struct EventSink(Option<Sender<Job>>);

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("depth", &self.depth).finish()
    }
}

impl EventSink {
    /// A sink that delivers nothing (no dev server running).
    pub fn discard() -> EventSink {
        EventSink(None)
    }

    /// A sink whose changes, with their depth, arrive on the returned
    /// receiver instead of running functions (tests and tools).
    pub fn capture() -> (EventSink, mpsc::Receiver<(ObjectChange, u32)>) {
        let (sender, jobs) = mpsc::channel::<Job>();
        let (changes, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("triggers-capture".into())
            .spawn(move || {
                for job in jobs {
                    let _ = changes.send((job.change, job.depth));
                }
            })
            .expect("spawning the trigger capture");
        (EventSink(Some(sender)), receiver)
    }

    /// Queues `changes` made by an invocation at chain `depth` (0: a request).
    pub fn submit(&self, changes: Vec<ObjectChange>, depth: u32) {
        if let Some(sender) = &self.0 {
            for change in changes {
                let _ = sender.send(Job { change, depth });
            }
        }
    }
}

/// Starts the dispatcher; it runs for the life of the process.
pub fn spawn(live: Arc<Live>, activity: ActivitySink, recorder: Recorder) -> EventSink {
    let (sender, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("triggers".into())
        .spawn(move || {
            let requests = AtomicU64::new(0);
            // Changes made by triggered functions are queued here, not sent
            // back to the channel: the thread ends when the last sink is gone.
            let mut queue = VecDeque::new();
            for job in jobs {
                queue.push_back(job);
                while let Some(job) = queue.pop_front() {
                    deliver(&live, &activity, &recorder, &mut queue, &requests, job);
                }
            }
        })
        .expect("spawning the trigger dispatcher");
    EventSink(Some(sender))
}

/// Runs every function subscribed to `job`'s change.
fn deliver(
    live: &Live,
    activity: &ActivitySink,
    recorder: &Recorder,
    queue: &mut VecDeque<Job>,
    requests: &AtomicU64,
    job: Job,
) {
    let deployment = live.snapshot();
    let object = &job.change.object;
    for deployed in deployment.functions.values() {
        for (index, trigger) in deployed.function.triggers.iter().enumerate() {
            let Trigger::S3(s3) = trigger else {
                continue;
            };
            if !s3.matches(&object.bucket, &object.key, job.change.event_name) {
                continue;
            }
            let function = &deployed.function;
            if job.depth + 1 >= MAX_DEPTH {
                activity.send(Activity::Notice {
                    message: format!(
                        "{:>12} {} on s3://{}/{} not delivered to `{}`: {MAX_DEPTH} invocations in a \
                         row were caused by writes to watched buckets (a recursive loop, which AWS \
                         also stops)",
                        "Stopped", job.change.event_name, object.bucket, object.key, function.name
                    ),
                });
                continue;
            }
            let Some(module) = &deployed.module else {
                activity.send(Activity::Notice {
                    message: format!(
                        "{:>12} {} on s3://{}/{} not delivered: `{}` has no working build",
                        "Skipped", job.change.event_name, object.bucket, object.key, function.name
                    ),
                });
                continue;
            };
            let request_id = format!("{:016X}", requests.fetch_add(1, Ordering::Relaxed) + 1);
            let configuration_id = format!("{}-{index}", function.name);
            let event = crate::aws::s3::notification(&job.change, &configuration_id, &request_id);
            let started = Instant::now();
            let context = Context::live();
            let access = recorder.access_for(&deployed.access);
            let input = Input::Event {
                source: "s3",
                payload: &event,
            };
            let mut outcome = abi::call(module, function, input, context, Some(access));
            let trigger = || fixture::Trigger::Event {
                trigger: "s3".into(),
                payload: event.clone(),
            };
            recorder.record(&function.name, trigger, context, &mut outcome);
            let (status, error) = trigger_outcome_status(&outcome);
            activity.send(Activity::Request(RequestRecord {
                at: SystemTime::now(),
                status,
                method: "EVENT".into(),
                target: format!(
                    "{} s3://{}/{}",
                    job.change.event_name, object.bucket, object.key
                ),
                function: Some(function.name.clone()),
                usage: Some(outcome.usage),
                elapsed: started.elapsed(),
                logs: outcome.logs,
                error,
                stale: deployed.stale.is_some(),
            }));
            queue.extend(outcome.changes.into_iter().map(|change| Job {
                change,
                depth: job.depth + 1,
            }));
        }
    }
}

/// The status and error an event delivery's log line shows.
fn trigger_outcome_status(outcome: &abi::http::HttpOutcome) -> (u16, Option<String>) {
    match &outcome.result {
        Ok(response) => (response.status, None),
        Err(error) => (500, Some(error.to_string())),
    }
}
