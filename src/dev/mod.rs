//! The dev loop: build everything, serve it, and keep what is served in step
//! with the files on disk.
//!
//! Strategy: three small actors connected by channels, each owning one job and
//! one piece of state, so no lock is held across a build and a slow build never
//! delays a request.
//!
//! ```text
//!  notify ──► watcher ──Changes──► builder ──Update───► swapper ──► Live (Arc swap)
//!             (debounce,           (config reload,      (load module,
//!              ignore target/…)     which functions,     publish a new
//!                                   cancellable build)   Deployment)
//! ```
//!
//! - The watcher turns bursts of file events (an editor writes a file in
//!   several steps) into one batch of paths after a quiet period.
//! - The builder owns the current config. It reloads `wasmfaas.toml` when that
//!   changed, maps the other paths to the functions whose inputs they are, and
//!   builds those one at a time on a helper thread. A new batch that touches
//!   the function being built cancels that build (it would be stale on
//!   arrival) and queues it again.
//! - The swapper owns the set of loaded modules. It loads each new artifact,
//!   builds a new immutable [`Deployment`] and publishes it; requests already
//!   running keep the one they started with.
//!
//! Failures never replace working code: a build or load failure publishes the
//! same module marked stale, and an invalid config is reported and ignored.

mod builder;
mod interest;
mod own_writes;
mod swapper;
mod watcher;

use crate::activity::{Activity, ActivitySink};
use crate::build::{self, Cancel, Progress};
use crate::config::{Function, Project};
use crate::deployment::{BuildFailure, Deployed, Deployment, Live};
use crate::runtime::LoadedModule;
use crate::state::State;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use interest::Interest;
pub use watcher::DEBOUNCE;

/// What the builder hears: from the watcher, and from its own build threads.
enum Event {
    /// These paths changed (one debounced burst).
    Changed(BTreeSet<PathBuf>),
    /// The file watcher reported a problem.
    WatchError(String),
    /// A build thread finished.
    Finished {
        function: String,
        result: Result<build::Artifact, build::BuildError>,
        started: Instant,
    },
    /// The watcher stopped; the builder stops too.
    Stop,
}

/// What the builder tells the swapper.
enum Update {
    /// A build succeeded (or found the artifact up to date).
    Built {
        function: String,
        artifact: PathBuf,
        rebuilt: bool,
        build_time: Duration,
        /// When the build ended, to measure the swap.
        finished: Instant,
    },
    /// A build failed; the message is the compiler's error.
    Failed { function: String, message: String },
    /// A new, valid config.
    Config(Arc<Project>),
}

/// Builds and loads every function of `project`, for the first deployment.
/// Functions that fail to build are deployed without a module (they answer 503
/// with the error) so the others can be served and the broken one fixed live.
///
/// `cancel` stops the builds (Ctrl-C); the deployment returned is then partial.
///
/// Functions are checked, built and loaded on as many threads as there are
/// cores: on a built project, `dev`'s launch is mostly checking freshness
/// (hashing each function's inputs) and compiling modules, each independent
/// of the others. Each function is its own cargo workspace with its own
/// target folder, so their builds do not wait on each other's locks either.
pub fn deploy_all(
    project: &Arc<Project>,
    state: &State,
    activity: &ActivitySink,
    cancel: &Cancel,
) -> Deployment {
    let all: Vec<&Function> = project.functions.values().collect();
    let threads = std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .min(all.len().max(1));
    let per_thread = all.len().div_ceil(threads).max(1);
    let functions = std::thread::scope(|scope| {
        let workers: Vec<_> = all
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|function| deploy_one(project, function, state, activity, cancel))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                // A panic stays a panic, as when the builds ran on one thread.
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<BTreeMap<_, _>>()
    });
    Deployment::new(Arc::clone(project), functions, state.clone())
}

/// Builds and loads one function for the first deployment; one that fails
/// is deployed without a module, answering 503 with the error.
fn deploy_one(
    project: &Project,
    function: &Function,
    state: &State,
    activity: &ActivitySink,
    cancel: &Cancel,
) -> (String, Arc<Deployed>) {
    let deployed = match build_and_load(project, function, activity, cancel) {
        Ok(module) => Deployed::ready(function.clone(), module, state),
        Err(message) => {
            activity.send(Activity::BuildFailed {
                function: function.name.clone(),
                message: message.clone(),
                serving_previous: false,
            });
            Deployed::failed(function.clone(), None, build_failure(message), state)
        }
    };
    (function.name.clone(), Arc::new(deployed))
}

/// Builds `function` if needed and loads its module; the error is the message
/// to show (compiler output, or why the module does not load).
fn build_and_load(
    project: &Project,
    function: &Function,
    activity: &ActivitySink,
    cancel: &Cancel,
) -> Result<Arc<LoadedModule>, String> {
    let artifact = build::build(project, function, false, &mut reporter(activity), cancel)
        .map_err(|error| error.to_string())?;
    swapper::load(function, &artifact.path)
}

/// Build progress, forwarded as activity.
fn reporter(activity: &ActivitySink) -> impl FnMut(Progress) + '_ {
    move |progress| match progress {
        Progress::Started { function } => activity.send(Activity::BuildStarted { function }),
        Progress::Line { function, line } => activity.send(Activity::BuildLine { function, line }),
    }
}

fn build_failure(message: String) -> BuildFailure {
    BuildFailure {
        message,
        at: SystemTime::now(),
    }
}

/// The watcher, started before the first builds so that a file saved while
/// they run is not missed; its batches wait in the channel until
/// [`Watching::serve`] starts the rest of the pipeline.
pub struct Watching {
    interest: Arc<Interest>,
    stop: mpsc::Sender<()>,
    events_tx: mpsc::Sender<Event>,
    events_rx: mpsc::Receiver<Event>,
    watcher: JoinHandle<()>,
    /// When watching began: the first builds run after it, and their writes
    /// are heard.
    began: SystemTime,
}

impl Watching {
    /// Starts watching `project`'s files.
    ///
    /// # Errors
    /// The watcher could not be started (e.g. the OS limit on watches).
    pub fn begin(project: &Project) -> Result<Watching, notify::Error> {
        let began = SystemTime::now();
        let (events_tx, events_rx) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel();
        let interest = Arc::new(Interest::new(project));
        let watcher = watcher::spawn(
            watch_roots(project),
            Arc::clone(&interest),
            events_tx.clone(),
            stop_rx,
        )?;
        Ok(Watching {
            interest,
            stop,
            events_tx,
            events_rx,
            watcher,
            began,
        })
    }

    /// Starts the builder and the swapper, which keep `live` in step with the
    /// files from now on, beginning with anything saved since [`Watching::begin`].
    pub fn serve(self, project: Arc<Project>, live: Arc<Live>, activity: ActivitySink) -> Watch {
        let (updates_tx, updates_rx) = mpsc::channel();
        let cancel_current = Arc::new(Mutex::new(Cancel::never()));
        let builder = builder::spawn(
            project,
            self.interest,
            (self.events_tx, self.events_rx),
            updates_tx,
            activity.clone(),
            Arc::clone(&cancel_current),
            self.began,
        );
        let swapper = swapper::spawn(live, updates_rx, activity);
        Watch {
            stop: self.stop,
            cancel_current,
            threads: vec![self.watcher, builder, swapper],
        }
    }
}

/// The running watch pipeline; [`Watch::stop`] ends it.
pub struct Watch {
    stop: mpsc::Sender<()>,
    cancel_current: Arc<Mutex<Cancel>>,
    threads: Vec<JoinHandle<()>>,
}

impl Watch {
    /// Stops watching, cancels a running build, and waits for the actors to end.
    pub fn stop(self) {
        let _ = self.stop.send(());
        if let Ok(cancel) = self.cancel_current.lock() {
            cancel.cancel();
        }
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// What to watch: the project folder, plus any function source or recorded
/// build input outside it (a path dependency elsewhere on disk).
fn watch_roots(project: &Project) -> Vec<PathBuf> {
    let mut roots = vec![project.root.clone()];
    for function in project.functions.values() {
        for input in build::inputs(project, function) {
            // Registry and toolchain sources never change under a running build.
            let immutable = input.components().any(|c| {
                let c = c.as_os_str();
                c == ".cargo" || c == ".rustup"
            });
            if input.starts_with(&project.root) || immutable {
                continue;
            }
            let dir = if input.is_dir() {
                input
            } else {
                input.parent().map(PathBuf::from).unwrap_or(input)
            };
            if !roots.iter().any(|root| dir.starts_with(root)) {
                roots.push(dir);
            }
        }
    }
    roots
}
