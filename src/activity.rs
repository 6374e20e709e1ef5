//! What the dev server reports as it works: requests served, builds, reloads.
//!
//! The gateway and the watch pipeline send [`Activity`] values down a channel
//! and never print; the console (in `cli`) is the one place that formats them.
//! That keeps terminal I/O off the request path (a send is a few tens of
//! nanoseconds) and keeps output from worker threads from interleaving.

use crate::runtime::Usage;
use std::sync::mpsc::Sender;
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
    /// Total time in the gateway, reading the body and writing the reply included.
    pub elapsed: Duration,
    /// The function's stderr.
    pub logs: Vec<u8>,
    /// Why there is no function response (a trap, a limit, …), in one line.
    pub error: Option<String>,
    /// The function's latest build failed; older code answered.
    pub stale: bool,
}

/// Where activity goes. Sending never blocks and never fails the sender: if
/// the console has gone (shutdown), the report is dropped.
#[derive(Debug, Clone)]
pub struct ActivitySink(Option<Sender<Activity>>);

impl ActivitySink {
    pub fn new(sender: Sender<Activity>) -> ActivitySink {
        ActivitySink(Some(sender))
    }

    /// A sink that discards everything (tests, benchmarks).
    pub fn discard() -> ActivitySink {
        ActivitySink(None)
    }

    pub fn send(&self, activity: Activity) {
        if let Some(sender) = &self.0 {
            let _ = sender.send(activity);
        }
    }
}
