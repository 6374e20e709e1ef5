//! `wasmfaas dev --record`: every invocation served becomes a fixture file.
//!
//! The request path only builds the [`Fixture`] (the capture of the state it
//! read was taken during the call) and hands it over without waiting; one
//! writer thread redacts it, picks its file name
//! (`<dir>/<function>/<slug>-<n>.json`), writes it atomically and says where
//! it went in the console. When the writer falls behind by more than
//! [`QUEUE`] fixtures, later ones are dropped and counted rather than slowing
//! requests, and the console says how many.

use crate::abi::http::{HttpOutcome, HttpRequest};
use crate::activity::{Activity, ActivitySink};
use crate::atomic_file::{self, Durability};
use crate::bindings::Access;
use crate::fixture::{Fixture, InitialState, Recorded, Trigger};
use crate::runtime::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};

/// Fixtures waiting for the writer before new ones are dropped.
pub const QUEUE: usize = 4096;

/// Where recorded invocations go; cheap to clone. [`Recorder::off`] records
/// nothing.
#[derive(Clone, Default)]
pub struct Recorder(Option<Arc<Inner>>);

struct Inner {
    sender: SyncSender<Fixture>,
    dropped: AtomicU64,
    activity: ActivitySink,
}

impl Recorder {
    /// Records nothing.
    pub fn off() -> Recorder {
        Recorder(None)
    }

    /// Starts the writer: fixtures go under `dir`, request headers named in
    /// `redact` (and the default sensitive ones) are redacted. The console
    /// shows paths relative to `root` (the project's folder).
    pub fn spawn(
        dir: PathBuf,
        root: PathBuf,
        redact: Vec<String>,
        activity: ActivitySink,
    ) -> Recorder {
        let (sender, receiver) = mpsc::sync_channel::<Fixture>(QUEUE);
        let writer_activity = activity.clone();
        std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || {
                yield_to_requests();
                let mut names = Names::default();
                for mut fixture in receiver {
                    fixture.redact_headers(&redact);
                    let message = match write(&dir, &fixture, &mut names) {
                        Ok(path) => format!(
                            "{:>12} {}",
                            "Recorded",
                            path.strip_prefix(&root).unwrap_or(&path).display()
                        ),
                        Err(error) => format!("{:>12} a fixture: {error}", "Not recorded"),
                    };
                    writer_activity.send(Activity::Notice { message });
                }
            })
            .expect("spawning the fixture writer");
        Recorder(Some(Arc::new(Inner {
            sender,
            dropped: AtomicU64::new(0),
            activity,
        })))
    }

    /// Whether invocations should capture what they read.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// The grants an invocation runs with: `access` itself, or when
    /// recording a copy that captures the state the invocation touches.
    pub fn access_for(&self, access: &Arc<Access>) -> Arc<Access> {
        if self.is_on() {
            Arc::new(access.recording())
        } else {
            Arc::clone(access)
        }
    }

    /// Records one finished invocation. A no-op when off: `trigger` is only
    /// built (the request copied) when recording.
    pub fn record(
        &self,
        function: &str,
        trigger: impl FnOnce() -> Trigger,
        context: Context,
        outcome: &mut HttpOutcome,
    ) {
        let Some(inner) = &self.0 else { return };
        let trigger = trigger();
        let recorded = match &outcome.result {
            Ok(response) => Recorded::Response {
                status: response.status,
                headers: response.headers.clone(),
                body: response.body.clone(),
            },
            Err(error) => Recorded::Error {
                kind: error.kind().to_string(),
                message: error.to_string(),
            },
        };
        let fixture = Fixture {
            function: Some(function.to_string()),
            trigger,
            context,
            state: outcome
                .capture
                .take()
                .map(InitialState::from)
                .unwrap_or_default(),
            recorded: Some(recorded),
        };
        match inner.sender.try_send(fixture) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let dropped = inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    inner.activity.send(Activity::Notice {
                        message: format!(
                            "{:>12} {dropped} invocation(s) so far: the fixture writer is \
                             {QUEUE} behind",
                            "Not recorded"
                        ),
                    });
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// Makes the calling (writer) thread run only when a core would otherwise
/// idle (Linux `SCHED_IDLE`): under a load that keeps every core busy, the
/// queue fills and fixtures are dropped and counted, instead of the writer
/// taking CPU from requests. Elsewhere, or if refused, nothing changes.
fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sets the scheduling policy of the calling thread (pid 0)
        // with a valid, initialised parameter; no memory is shared.
        let _ = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    }
}

/// The HTTP request as a fixture trigger (route parameters are derived again
/// on replay, so they are not stored).
pub fn http_trigger(request: &HttpRequest) -> Trigger {
    Trigger::Http(HttpRequest {
        params: Default::default(),
        ..request.clone()
    })
}

/// The next number to try per `(function, slug)`, so naming the n-th
/// recording of a route does not probe n names.
#[derive(Default)]
struct Names(HashMap<(String, String), u32>);

impl Names {
    fn next(&mut self, dir: &Path, function: &str, slug: &str) -> PathBuf {
        let counter = self
            .0
            .entry((function.to_string(), slug.to_string()))
            .or_insert(1);
        loop {
            let path = dir.join(function).join(format!("{slug}-{counter}.json"));
            *counter += 1;
            if !path.exists() {
                return path;
            }
        }
    }
}

/// Writes `fixture` to the next free name under `dir`: a temporary file,
/// then renamed, so neither a crash nor a reader ever sees half a fixture.
/// (Not fsynced: a fixture is a development record, and a sync per request
/// would cap recording at the disk's sync rate.)
fn write(dir: &Path, fixture: &Fixture, names: &mut Names) -> std::io::Result<PathBuf> {
    let function = fixture.function.as_deref().unwrap_or("unrouted");
    let path = names.next(dir, function, &fixture.slug());
    atomic_file::replace(&path, fixture.to_text().as_bytes(), Durability::Unsynced)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_take_the_next_free_number_per_route() {
        let dir =
            std::env::temp_dir().join(format!("wasmfaas-record-names-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("hello")).unwrap();
        // A file from an earlier session is kept, not overwritten.
        std::fs::write(dir.join("hello/get-hello-1.json"), "{}").unwrap();
        let mut names = Names::default();
        assert_eq!(
            names.next(&dir, "hello", "get-hello"),
            dir.join("hello/get-hello-2.json")
        );
        assert_eq!(
            names.next(&dir, "hello", "get-hello"),
            dir.join("hello/get-hello-3.json")
        );
        assert_eq!(
            names.next(&dir, "hello", "post-hello"),
            dir.join("hello/post-hello-1.json")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
