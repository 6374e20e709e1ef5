//! The swapper actor: build updates in, new deployments published.
//!
//! It is the only writer of [`Live`], so each new deployment is derived from
//! the one being served without a race: copy the map of functions (cheap: each
//! is an `Arc`), replace one entry, publish.

use super::{Update, build_failure};
use crate::activity::{Activity, ActivitySink};
use crate::config::{Function, Project};
use crate::deployment::{Deployed, Deployment, Live};
use crate::runtime::LoadedModule;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;

pub(super) fn spawn(
    live: Arc<Live>,
    updates: Receiver<Update>,
    activity: ActivitySink,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("swapper".into())
        .spawn(move || {
            for update in updates {
                apply(&live, update, &activity);
            }
        })
        .expect("spawning the swapper")
}

/// Loads the module a build produced.
pub(super) fn load(function: &Function, artifact: &Path) -> Result<Arc<LoadedModule>, String> {
    LoadedModule::from_file(&function.name, artifact)
        .map(Arc::new)
        .map_err(|error| error.to_string())
}

fn apply(live: &Live, update: Update, activity: &ActivitySink) {
    let current = live.snapshot();
    match update {
        Update::Built {
            function,
            artifact,
            rebuilt,
            build_time,
            finished,
        } => {
            let Some(deployed) = current.functions.get(&function) else {
                return; // removed from the config meanwhile
            };
            let up_to_date = deployed.module.is_some() && deployed.stale.is_none();
            if !rebuilt && up_to_date {
                return; // an edit that changed nothing (e.g. a save without changes)
            }
            let next = match load(&deployed.function, &artifact) {
                Ok(module) => Deployed::ready(deployed.function.clone(), module, &current.state),
                Err(message) => return failed(live, &current, deployed, message, activity),
            };
            live.publish(with(&current, next));
            activity.send(Activity::Swapped {
                function,
                build: build_time,
                swap: finished.elapsed(),
            });
        }
        Update::Failed { function, message } => {
            if let Some(deployed) = current.functions.get(&function) {
                failed(live, &current, deployed, message, activity);
            }
        }
        Update::Config(project) => {
            let summary = summarize(&current.project, &project);
            live.publish(reconfigured(&current, project));
            activity.send(Activity::ConfigReloaded { summary });
        }
    }
}

/// Publishes `deployed` marked as failed, keeping its module if it has one.
fn failed(
    live: &Live,
    current: &Deployment,
    deployed: &Deployed,
    message: String,
    activity: &ActivitySink,
) {
    let serving_previous = deployed.module.is_some();
    let next = Deployed::failed(
        deployed.function.clone(),
        deployed.module.clone(),
        build_failure(message.clone()),
        &current.state,
    );
    live.publish(with(current, next));
    activity.send(Activity::BuildFailed {
        function: deployed.function.name.clone(),
        message,
        serving_previous,
    });
}

/// `current` with one function replaced.
fn with(current: &Deployment, deployed: Deployed) -> Deployment {
    let mut functions = current.functions.clone();
    functions.insert(deployed.function.name.clone(), Arc::new(deployed));
    current.with_functions(functions)
}

/// The deployment for a new config: every function keeps the module it has
/// (a function whose source changed keeps answering with the old code until
/// its rebuild lands), takes its new routes, limits and env, and new functions
/// wait for their first build.
fn reconfigured(current: &Deployment, project: Arc<Project>) -> Deployment {
    let functions: BTreeMap<String, Arc<Deployed>> = project
        .functions
        .values()
        .map(|function| {
            let previous = current.functions.get(&function.name);
            let deployed = Deployed::new(
                function.clone(),
                previous.and_then(|d| d.module.clone()),
                previous.and_then(|d| d.stale.clone()),
                &current.state,
            );
            (function.name.clone(), Arc::new(deployed))
        })
        .collect();
    Deployment::new(project, functions, current.state.clone())
}

/// One line on what a config change changed.
fn summarize(old: &Project, new: &Project) -> String {
    let mut parts = Vec::new();
    for name in new.functions.keys() {
        match (old.functions.get(name), new.functions.get(name)) {
            (None, Some(_)) => parts.push(format!("+{name}")),
            (Some(a), Some(b)) if a != b => {
                let mut what = Vec::new();
                if a.routes != b.routes {
                    what.push("routes");
                }
                if a.limits != b.limits {
                    what.push("limits");
                }
                if a.env != b.env {
                    what.push("env");
                }
                if a.source != b.source || a.build != b.build {
                    what.push("build");
                }
                if what.is_empty() {
                    what.push("settings");
                }
                parts.push(format!("{name} ({})", what.join(", ")));
            }
            _ => {}
        }
    }
    for name in old.functions.keys() {
        if !new.functions.contains_key(name) {
            parts.push(format!("-{name}"));
        }
    }
    if parts.is_empty() {
        "no change to functions".to_string()
    } else {
        parts.join(", ")
    }
}
