//! What the dev server reports as it works: requests served, builds, reloads.
//!
//! The gateway and the watch pipeline send [`Activity`] values down a channel
//! and never print; the console (in `cli`) is the one place that formats them.
//! That keeps terminal I/O off the request path (a send is a few tens of
//! nanoseconds) and keeps output from worker threads from interleaving.
//!
//! The channel is bounded and a send never waits: when the console cannot keep
//! up (stdout piped to a reader that stopped, a terminal paused with Ctrl-S),
//! reports are dropped and counted instead of piling up in memory or stalling
//! requests.

use crate::runtime::Usage;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, SystemTime};

/// One thing worth telling the user.
#[derive(Debug)]
pub enum Activity {
    /// A request was answered.
    Request(RequestRecord),
    /// A function's build started (after an edit, or at start-up).
    BuildStarted { function: String },
    /// A line of compiler output.
    BuildLine { function: String, line: String },
    /// A function's new module is now serving.
    Swapped {
        function: String,
        /// How long the build took (zero when nothing needed rebuilding).
        build: Duration,
        /// From the end of the build to the new module serving.
        swap: Duration,
    },
    /// A build failed; `serving_previous` says whether older code still answers.
    BuildFailed {
        function: String,
        message: String,
        serving_previous: bool,
    },
    /// `wasmfaas.toml` changed and the new version is being served.
    ConfigReloaded { summary: String },
    /// `wasmfaas.toml` changed but is invalid; the previous config still serves.
    ConfigRejected { message: String },
    /// Anything else, e.g. a file the watcher could not watch.
    Notice { message: String },
}

/// One answered request, for the per-request log line.
#[derive(Debug)]
pub struct RequestRecord {
    pub at: SystemTime,
    pub status: u16,
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// The function that answered; `None` for 404, 405, 400.
    pub function: Option<String>,
    /// Cost of the invocation, if a function ran.
    pub usage: Option<Usage>,
    /// Total time on the worker, writing the reply included (the body was
    /// read before, by the connection's thread: see `crate::http_pool`).
    pub elapsed: Duration,
    /// The function's stderr.
    pub logs: Vec<u8>,
    /// Why there is no function response (a trap, a limit, …), in one line.
    pub error: Option<String>,
    /// The function's latest build failed; older code answered.
    pub stale: bool,
}

/// Where activity goes. Sending never blocks and never fails the sender: if
/// the console is behind, the report is dropped and counted; if it has gone
/// (shutdown), the report is dropped.
#[derive(Debug, Clone)]
pub struct ActivitySink {
    sender: Option<SyncSender<Activity>>,
    dropped: Arc<AtomicU64>,
}

impl ActivitySink {
    /// A sink holding at most `capacity` unread reports, and its receiving end.
    pub fn bounded(capacity: usize) -> (ActivitySink, ActivityFeed) {
        let (sender, receiver) = std::sync::mpsc::sync_channel(capacity);
        let dropped = Arc::new(AtomicU64::new(0));
        let sink = ActivitySink {
            sender: Some(sender),
            dropped: Arc::clone(&dropped),
        };
        (sink, ActivityFeed { receiver, dropped })
    }

    /// A sink that discards everything (tests, benchmarks).
    pub fn discard() -> ActivitySink {
        ActivitySink {
            sender: None,
            dropped: Arc::default(),
        }
    }

    pub fn send(&self, activity: Activity) {
        if let Some(sender) = &self.sender
            && let Err(TrySendError::Full(_)) = sender.try_send(activity)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Default for ActivitySink {
    /// Discards everything.
    fn default() -> ActivitySink {
        ActivitySink::discard()
    }
}

/// The receiving end of an [`ActivitySink`]; it ends when every sink is gone.
#[derive(Debug)]
pub struct ActivityFeed {
    pub receiver: Receiver<Activity>,
    dropped: Arc<AtomicU64>,
}

impl ActivityFeed {
    /// How many reports were dropped so far because the reader was behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// How long the tee rests after emptying its channel (see [`ActivityFeed::tee`]).
const TEE_PAUSE: Duration = Duration::from_millis(5);

impl ActivityFeed {
    /// Shows every report to `observe` (the dashboard) before passing it on
    /// to the feed returned (the console), on a thread of its own named
    /// `name`. The senders are not slowed: they still only `try_send` into
    /// this feed's channel, and `observe` must not block either (the
    /// dashboard drops what a slow browser cannot take). A report the
    /// console is too far behind to take is dropped and counted with the
    /// others, so [`ActivityFeed::dropped`] still tells the whole story.
    /// The returned feed ends when this one does.
    pub fn tee(
        self,
        name: &str,
        capacity: usize,
        mut observe: impl FnMut(&Activity) + Send + 'static,
    ) -> ActivityFeed {
        let (sender, receiver) = std::sync::mpsc::sync_channel(capacity);
        let dropped = Arc::clone(&self.dropped);
        let spawned = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let mut pass = |activity: Activity| {
                    observe(&activity);
                    if let Err(TrySendError::Full(_)) = sender.try_send(activity) {
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                };
                // Woken by the first report, then through what is queued,
                // then a pause: under load, senders find the tee awake or
                // asleep on a timer, seldom blocked in `recv`, so a send
                // rarely has to wake a thread.
                while let Ok(first) = self.receiver.recv() {
                    pass(first);
                    while let Ok(next) = self.receiver.try_recv() {
                        pass(next);
                    }
                    std::thread::sleep(TEE_PAUSE);
                }
            });
        // Without a thread for the tee the console's feed ends at once and
        // senders see a closed channel, which they already tolerate.
        drop(spawned);
        ActivityFeed { receiver, dropped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(n: usize) -> Activity {
        Activity::Notice {
            message: n.to_string(),
        }
    }

    #[test]
    fn a_tee_shows_every_report_to_the_observer_and_passes_it_on() {
        let (sink, feed) = ActivitySink::bounded(16);
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let observer = Arc::clone(&seen);
        let console = feed.tee("tee-test", 16, move |activity| {
            if let Activity::Notice { message } = activity {
                observer.lock().unwrap().push(message.clone());
            }
        });
        for n in 0..3 {
            sink.send(notice(n));
        }
        drop(sink);
        let passed: Vec<String> = console
            .receiver
            .iter()
            .map(|activity| match activity {
                Activity::Notice { message } => message,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(passed, ["0", "1", "2"]);
        assert_eq!(*seen.lock().unwrap(), ["0", "1", "2"]);
        assert_eq!(console.dropped(), 0);
    }

    #[test]
    fn a_tee_counts_what_a_stalled_console_could_not_take() {
        let (sink, feed) = ActivitySink::bounded(64);
        // The console holds one unread report and reads nothing.
        let console = feed.tee("tee-test", 1, |_| {});
        for n in 0..10 {
            sink.send(notice(n));
        }
        drop(sink);
        // The tee gets through all ten without waiting for the console:
        // one fits its channel, nine are dropped and counted.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while console.dropped() < 9 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(console.dropped(), 9);
        assert_eq!(console.receiver.iter().count(), 1);
    }
}
