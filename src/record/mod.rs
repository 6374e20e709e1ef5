//! `wasmfaas dev --record`: every invocation served becomes a fixture file.
//!
//! Strategy: three steps on three threads, so the request path pays only
//! for the first.
//! 1. The request path builds the [`Fixture`] (the capture of the state it
//!    read was taken during the call) and hands it over without waiting.
//! 2. The writer thread redacts it, renders it as one line of JSON
//!    ([`Fixture::to_compact`]) and appends it to the [`spool`], a batch per
//!    write.
//! 3. The files thread, running only when a core would otherwise idle, lays
//!    each one out readably ([`fixture::layout`]), picks its file name
//!    (`<dir>/<function>/<slug>-<n>.json`), writes it atomically and says
//!    where it went in the console.
//!
//! Under a load that keeps every core busy, step 3 waits and the spool
//! grows; the files appear when the load eases. Only if the writer itself
//! falls [`QUEUE`] fixtures behind are later ones dropped, and counted in
//! the console, rather than slowing requests.

pub mod spool;

use crate::abi::CallOutcome;
use crate::abi::http::HttpRequest;
use crate::activity::{Activity, ActivitySink};
use crate::atomic_file::{self, Durability};
use crate::bindings::Access;
use crate::fixture::{self, Fixture, InitialState, Recorded, Trigger};
use crate::runtime::Context;
use crate::secrets::Redactor;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Fixtures waiting for the writer before new ones are dropped.
pub const QUEUE: usize = 4096;

/// Where recorded invocations go; cheap to clone. [`Recorder::off`] records
/// nothing.
#[derive(Clone, Default)]
pub struct Recorder(Option<Arc<Inner>>);

struct Inner {
    sender: SyncSender<Spooled>,
    dropped: AtomicU64,
    activity: ActivitySink,
    /// Signalled when the files thread has written everything out and
    /// removed the spool (see [`Recorder::finish`]).
    finished: std::sync::Mutex<Receiver<()>>,
}

/// What the request path hands the writer thread.
enum Spooled {
    /// A fixture, and what hides secret values in it.
    Fixture(Box<Fixture>, Arc<Redactor>),
    /// The server is stopping: write out what is spooled, then end.
    Close,
}

impl Recorder {
    /// Records nothing.
    pub fn off() -> Recorder {
        Recorder(None)
    }

    /// Starts the writer and files threads: fixtures go under `dir`,
    /// request headers named in `redact` (and the default sensitive ones)
    /// are redacted, and the spool is `<root>/.wasmfaas/record-<pid>.spool`.
    /// Spools left by killed servers are written out first, into `dir`. The
    /// console shows paths relative to `root` (the project's folder).
    ///
    /// # Errors
    /// The spool cannot be opened.
    pub fn spawn(
        dir: PathBuf,
        root: PathBuf,
        redact: Vec<String>,
        activity: ActivitySink,
    ) -> std::io::Result<Recorder> {
        let spools = root.join(SPOOL_DIR);
        let orphans = orphaned_spools(&spools);
        let own = spools.join(format!("record-{}.spool", std::process::id()));
        let (appender, reader) = spool::open(&own)?;
        let (sender, receiver) = mpsc::sync_channel::<Spooled>(QUEUE);
        let (done, finished) = mpsc::channel();
        let writer_activity = activity.clone();
        std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || append_all(&receiver, appender, &redact, &writer_activity))?;
        let files_activity = activity.clone();
        std::thread::Builder::new()
            .name("fixture-files".into())
            .spawn(move || {
                yield_to_requests();
                for (path, orphan) in orphans {
                    write_files(orphan, &dir, &root, &files_activity);
                    let _ = std::fs::remove_file(path);
                }
                write_files(reader, &dir, &root, &files_activity);
                let _ = std::fs::remove_file(own);
                let _ = done.send(());
            })?;
        Ok(Recorder(Some(Arc::new(Inner {
            sender,
            dropped: AtomicU64::new(0),
            activity,
            finished: std::sync::Mutex::new(finished),
        }))))
    }

    /// At a clean stop: writes out every fixture recorded so far and removes
    /// the spool, waiting at most `within`. The threads that run functions
    /// live as long as the process and keep their copies of the recorder,
    /// so the writer is told to end rather than waiting for the last copy to
    /// go. Past `within` the spool stays, and the next `dev --record` writes
    /// it out. Returns whether everything was written.
    pub fn finish(&self, within: Duration) -> bool {
        let Some(inner) = &self.0 else { return true };
        // A full queue drains as the writer runs; this waits for room.
        if inner.sender.send(Spooled::Close).is_err() {
            return false;
        }
        let finished = match inner.finished.lock() {
            Ok(finished) => finished,
            Err(poisoned) => poisoned.into_inner(),
        };
        finished.recv_timeout(within).is_ok()
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
        outcome: &mut CallOutcome,
        redactor: &Arc<Redactor>,
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
        let mut capture = outcome.capture.take().unwrap_or_default();
        let outbound = std::mem::take(&mut capture.outbound);
        let fixture = Fixture {
            function: Some(function.to_string()),
            trigger,
            context,
            state: InitialState::from(capture),
            recorded: Some(recorded),
            outbound,
        };
        match inner
            .sender
            .try_send(Spooled::Fixture(Box::new(fixture), Arc::clone(redactor)))
        {
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

/// Where spools live, relative to the project folder: `.wasmfaas/` is not
/// committed, so a spool left by a killed server never reaches a commit.
pub const SPOOL_DIR: &str = ".wasmfaas";

/// Spools in `dir` that no running server holds, opened (and so locked)
/// for reading out; their appenders are closed so reading ends at their end.
fn orphaned_spools(dir: &Path) -> Vec<(PathBuf, spool::Reader)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("record-") && name.ends_with(".spool"))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let (appender, reader) = spool::open(&path).ok()?;
            drop(appender);
            Some((path, reader))
        })
        .collect()
}

/// Step 2: renders fixtures into the spool, each batch the channel holds in
/// one write, until every [`Recorder`] is gone or one says to close. Ending
/// drops the appender, so the files thread reads to the end and stops.
fn append_all(
    receiver: &Receiver<Spooled>,
    mut appender: spool::Appender,
    redact: &[String],
    activity: &ActivitySink,
) {
    const BATCH: usize = 256;
    let mut closing = false;
    while !closing {
        let Ok(first) = receiver.recv() else { break };
        let mut batch = 0;
        for spooled in std::iter::once(first).chain(receiver.try_iter().take(BATCH - 1)) {
            let (mut fixture, redactor) = match spooled {
                Spooled::Fixture(fixture, redactor) => (fixture, redactor),
                Spooled::Close => {
                    closing = true;
                    break;
                }
            };
            fixture.redact_headers(redact);
            let function = fixture.function.as_deref().unwrap_or("unrouted");
            let text = fixture.to_compact();
            appender.push(function, &fixture.slug(), &redactor.text(&text));
            batch += 1;
        }
        if let Err(error) = appender.flush() {
            activity.send(Activity::Notice {
                message: format!("{:>12} {batch} fixture(s): {error}", "Not recorded"),
            });
        }
    }
}

/// Step 3: turns spooled fixtures into files. While the spool holds more
/// than the fixture at hand (a burst), the console gets one line a second
/// with the count instead of a line per fixture.
fn write_files(mut reader: spool::Reader, dir: &Path, root: &Path, activity: &ActivitySink) {
    let mut names = Names::default();
    let mut burst = Burst::default();
    let shown = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    while let Some((next, waiting)) = reader.wait_next() {
        let message = match next {
            spool::Next::Entry(entry) => {
                let path = names.next(dir, &entry.function, &entry.slug);
                let text = fixture::layout(&entry.text).unwrap_or_else(|_| entry.text.clone());
                match atomic_file::replace(&path, text.as_bytes(), Durability::Unsynced) {
                    Ok(()) => {
                        let _ = reader.mark_written(&entry);
                        burst.written(shown(&path), waiting)
                    }
                    Err(error) => Some(format!("{:>12} {}: {error}", "Not recorded", shown(&path))),
                }
            }
            spool::Next::Damaged(bytes) => Some(format!(
                "{:>12} the last {bytes} bytes of {}: cut short when the server was killed",
                "Not recorded",
                shown(reader.path())
            )),
        };
        if let Some(message) = message {
            activity.send(Activity::Notice { message });
        }
    }
}

/// Console lines for fixture files: one per file when they come one at a
/// time, one per second with a count during a burst.
#[derive(Default)]
struct Burst {
    count: u64,
    since: Option<Instant>,
}

impl Burst {
    fn written(&mut self, path: String, waiting: u64) -> Option<String> {
        if waiting == 0 && self.count == 0 {
            return Some(format!("{:>12} {path}", "Recorded"));
        }
        self.count += 1;
        let since = *self.since.get_or_insert_with(Instant::now);
        if waiting > 0 && since.elapsed() < Duration::from_secs(1) {
            return None;
        }
        let message = format!(
            "{:>12} {} fixtures, the latest {path}{}",
            "Recorded",
            self.count,
            if waiting > 0 { "; more to come" } else { "" }
        );
        *self = Burst::default();
        Some(message)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spool_left_by_a_killed_server_is_written_out_at_the_next_start() {
        let root =
            std::env::temp_dir().join(format!("wasmfaas-record-orphan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let fixture = Fixture::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/hello/get-hello-1.json"
        )))
        .unwrap();
        // What a server killed under load leaves: an unlocked spool with a
        // fixture whose file was never written.
        let orphan = root.join(SPOOL_DIR).join("record-1.spool");
        {
            let (mut appender, _reader) = spool::open(&orphan).unwrap();
            appender.push("hello", &fixture.slug(), &fixture.to_compact());
        }
        let recorder = Recorder::spawn(
            root.join("fixtures"),
            root.clone(),
            Vec::new(),
            ActivitySink::discard(),
        )
        .unwrap();
        let written = root.join("fixtures/hello/get-hello-1.json");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !written.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            std::fs::read_to_string(&written).unwrap(),
            fixture.to_text()
        );
        while orphan.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !orphan.exists(),
            "the orphaned spool is removed once written out"
        );
        drop(recorder);
        let _ = std::fs::remove_dir_all(&root);
    }

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
