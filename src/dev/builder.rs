//! The builder actor: batches of changed paths in, build updates out.
//!
//! It owns the config as currently served and a queue of functions to build.
//! One build runs at a time, on a helper thread, so the actor stays free to
//! hear about newer edits and cancel a build they make pointless.

use super::interest::{Interest, absolute};
use super::own_writes::{Change, OwnWrites};
use super::{Event, Update, reporter};
use crate::activity::{Activity, ActivitySink};
use crate::build::{self, BuildError, Cancel};
use crate::config::Project;
use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

/// A build in progress.
struct Running {
    function: String,
    cancel: Cancel,
}

struct Builder {
    project: Arc<Project>,
    interest: Arc<Interest>,
    config_path: PathBuf,
    /// The secrets file: an edit reloads the config, which reads it.
    secrets_path: PathBuf,
    queue: VecDeque<String>,
    running: Option<Running>,
    /// Which changes are the builds' own writes, never a reason to rebuild.
    own_writes: OwnWrites,
    /// Shared with [`super::Watch::stop`] so shutdown can cancel the build.
    cancel_slot: Arc<Mutex<Cancel>>,
    events: Sender<Event>,
    updates: Sender<Update>,
    activity: ActivitySink,
}

/// Starts the builder on `events` (the receiving end, and a sender for its
/// own build threads to report on).
pub(super) fn spawn(
    project: Arc<Project>,
    interest: Arc<Interest>,
    (events_tx, events): (Sender<Event>, Receiver<Event>),
    updates: Sender<Update>,
    activity: ActivitySink,
    cancel_slot: Arc<Mutex<Cancel>>,
    first_builds_began: SystemTime,
) -> JoinHandle<()> {
    let config_path = absolute(&project.config_path);
    let secrets_path = absolute(&project.root.join(crate::secrets::FILE));
    let mut own_writes = OwnWrites::default();
    for name in project.functions.keys() {
        own_writes.built_before(name, first_builds_began);
    }
    let mut builder = Builder {
        project,
        interest,
        config_path,
        secrets_path,
        queue: VecDeque::new(),
        running: None,
        own_writes,
        cancel_slot,
        events: events_tx,
        updates,
        activity,
    };
    std::thread::Builder::new()
        .name("builder".into())
        .spawn(move || {
            for event in events {
                match event {
                    Event::Changed(paths) => builder.changed(&paths),
                    Event::Finished {
                        function,
                        result,
                        started,
                    } => builder.finished(function, result, started),
                    Event::WatchError(message) => builder.activity.send(Activity::Notice {
                        message: format!("file watching: {message}"),
                    }),
                    Event::Stop => {
                        if let Some(running) = &builder.running {
                            running.cancel.cancel();
                        }
                        return;
                    }
                }
                builder.start_next();
            }
        })
        .expect("spawning the builder")
}

impl Builder {
    fn changed(&mut self, paths: &BTreeSet<PathBuf>) {
        if paths.iter().any(|path| {
            let path = absolute(path);
            path == self.config_path || path == self.secrets_path
        }) {
            self.reload_config();
        }
        let project = Arc::clone(&self.project);
        let mut affected = Vec::new();
        for function in project.functions.values() {
            let inputs = build::inputs(&project, function);
            let mut edited = false;
            // Every path is classified, not just up to the first edit, so
            // that a by-product is recognised whatever else changed with it.
            for path in paths.iter().filter(|path| is_input(path, &inputs)) {
                match self.own_writes.classify(function, path) {
                    Change::Edit => edited = true,
                    Change::Own => {}
                    Change::NewlyOwn => self.activity.send(Activity::Notice {
                        message: format!(
                            "{:>12} {}: {} is written by its own build; its changes no \
                             longer trigger a rebuild",
                            "Ignoring",
                            function.name,
                            path.display()
                        ),
                    }),
                }
            }
            if edited {
                affected.push(function.name.clone());
            }
        }
        for name in affected {
            self.enqueue(name);
        }
    }

    /// Reloads `wasmfaas.toml`: an invalid file is reported and ignored; a
    /// valid one is published and the functions whose code or build settings
    /// changed (or that are new) are queued for a build.
    fn reload_config(&mut self) {
        let loaded = Project::load(&self.project.config_path)
            .map_err(|error| error.to_string())
            .and_then(|mut next| {
                // A secret the new config needs must be there, as at start.
                crate::secrets::resolve(&mut next).map_err(|error| error.to_string())?;
                Ok(next)
            });
        let next = match loaded {
            Ok(next) => Arc::new(next),
            Err(message) => {
                self.activity.send(Activity::ConfigRejected { message });
                return;
            }
        };
        let needs_build: Vec<String> = next
            .functions
            .values()
            .filter(|function| {
                self.project
                    .functions
                    .get(&function.name)
                    .is_none_or(|old| old.source != function.source || old.build != function.build)
            })
            .map(|function| function.name.clone())
            .collect();
        self.project = Arc::clone(&next);
        self.own_writes.forget();
        self.interest.update(&self.project);
        let _ = self.updates.send(Update::Config(next));
        for name in needs_build {
            self.enqueue(name);
        }
    }

    /// Queues `function` once; if it is being built, that build is now out of
    /// date: cancel it, and it runs again from the queue.
    fn enqueue(&mut self, function: String) {
        if let Some(running) = &self.running
            && running.function == function
            && !running.cancel.is_cancelled()
        {
            running.cancel.cancel();
            self.activity.send(Activity::Notice {
                message: format!(
                    "{:>12} {function}: a newer change arrived; building again",
                    "Cancelled"
                ),
            });
        }
        if !self.queue.contains(&function) {
            self.queue.push_back(function);
        }
    }

    fn finished(
        &mut self,
        function: String,
        result: Result<build::Artifact, BuildError>,
        started: Instant,
    ) {
        self.running = None;
        self.own_writes.ended(&function);
        let update = match result {
            Ok(artifact) => {
                self.interest.update(&self.project);
                Update::Built {
                    function,
                    artifact: artifact.path,
                    rebuilt: artifact.rebuilt,
                    build_time: started.elapsed(),
                    finished: Instant::now(),
                }
            }
            // Cancelled because a newer change queued it again.
            Err(BuildError::Cancelled { .. }) => return,
            Err(error) => Update::Failed {
                function,
                message: error.to_string(),
            },
        };
        let _ = self.updates.send(update);
    }

    /// Starts the next queued build, if none is running.
    fn start_next(&mut self) {
        if self.running.is_some() {
            return;
        }
        let Some(name) = self.queue.pop_front() else {
            return;
        };
        // A function removed from the config while queued is simply dropped.
        let Some(function) = self.project.functions.get(&name).cloned() else {
            return self.start_next();
        };
        let cancel = Cancel::default();
        self.own_writes.started(&name);
        if let Ok(mut slot) = self.cancel_slot.lock() {
            *slot = cancel.clone();
        }
        self.running = Some(Running {
            function: name,
            cancel: cancel.clone(),
        });
        let project = Arc::clone(&self.project);
        let events = self.events.clone();
        let activity = self.activity.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let result = build::build(
                &project,
                &function,
                false,
                &mut reporter(&activity),
                &cancel,
            );
            let _ = events.send(Event::Finished {
                function: function.name,
                result,
                started,
            });
        });
    }
}

/// Whether a change to `path` concerns a function with these inputs (files,
/// or folders whose whole content counts).
fn is_input(path: &Path, inputs: &[PathBuf]) -> bool {
    let path = absolute(path);
    inputs.iter().any(|input| path.starts_with(absolute(input)))
}
