//! The builder actor: batches of changed paths in, build outcomes out.
//!
//! It owns the config as currently served and a queue of functions to build.
//! One build runs at a time, on a helper thread, so the actor stays free to
//! hear about newer edits and cancel a build they make pointless.

use super::interest::{Interest, absolute};
use super::{Event, Outcome, reporter};
use crate::activity::{Activity, ActivitySink};
use crate::build::{self, BuildError, Cancel};
use crate::config::{Function, Project};
use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

/// A build in progress.
struct Running {
    function: String,
    cancel: Cancel,
}

struct Builder {
    project: Arc<Project>,
    interest: Arc<Interest>,
    config_path: PathBuf,
    queue: VecDeque<String>,
    running: Option<Running>,
    /// Shared with [`super::Watch::stop`] so shutdown can cancel the build.
    cancel_slot: Arc<Mutex<Cancel>>,
    events: Sender<Event>,
    outcomes: Sender<Outcome>,
    activity: ActivitySink,
}

pub(super) fn spawn(
    project: Arc<Project>,
    interest: Arc<Interest>,
    events_tx: Sender<Event>,
    events: Receiver<Event>,
    outcomes: Sender<Outcome>,
    activity: ActivitySink,
    cancel_slot: Arc<Mutex<Cancel>>,
) -> JoinHandle<()> {
    let config_path = absolute(&project.config_path);
    let mut builder = Builder {
        project,
        interest,
        config_path,
        queue: VecDeque::new(),
        running: None,
        cancel_slot,
        events: events_tx,
        outcomes,
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
        if paths.iter().any(|path| absolute(path) == self.config_path) {
            self.reload_config();
        }
        let affected: Vec<String> = self
            .project
            .functions
            .values()
            .filter(|function| {
                let inputs = build::inputs(&self.project, function);
                paths
                    .iter()
                    .any(|path| is_input(path, &inputs) && !is_own_output(function, path))
            })
            .map(|function| function.name.clone())
            .collect();
        for name in affected {
            self.enqueue(name);
        }
    }

    /// Reloads `wasmfaas.toml`: an invalid file is reported and ignored; a
    /// valid one is published and the functions whose code or build settings
    /// changed (or that are new) are queued for a build.
    fn reload_config(&mut self) {
        let next = match Project::load(&self.project.config_path) {
            Ok(next) => Arc::new(next),
            Err(error) => {
                self.activity.send(Activity::ConfigRejected {
                    message: error.to_string(),
                });
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
        self.interest.update(&self.project);
        let _ = self.outcomes.send(Outcome::Config(next));
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
        let outcome = match result {
            Ok(artifact) => {
                self.interest.update(&self.project);
                Outcome::Built {
                    function,
                    artifact: artifact.path,
                    rebuilt: artifact.rebuilt,
                    build_time: started.elapsed(),
                    finished: Instant::now(),
                }
            }
            // Cancelled because a newer change queued it again.
            Err(BuildError::Cancelled { .. }) => return,
            Err(error) => Outcome::Failed {
                function,
                message: error.to_string(),
            },
        };
        let _ = self.outcomes.send(outcome);
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

/// Whether `path` is what `function`'s custom build command writes: a change
/// there is the build's own result, not an edit, and rebuilding for it would
/// loop forever.
fn is_own_output(function: &Function, path: &Path) -> bool {
    function.build.command.is_some()
        && function
            .build
            .output
            .as_deref()
            .is_some_and(|output| absolute(output) == absolute(path))
}
