//! Telling a build's own writes from a person's edits, so that no build ever
//! triggers itself.
//!
//! A Rust crate's build writes only under `target/`, which is never watched,
//! and its inputs come from cargo's dep-info. A custom `build` command is
//! opaque: it runs in the function's folder, which is watched as a whole, and
//! may write there (the `.wasm` it produces, object files, generated code).
//! Left alone, each such write looks like an edit, and the function rebuilds
//! forever (a `c-cgi` project did: 64 clang runs in 18 s with no edit).
//!
//! The rule, for a function whose build is a custom command:
//! - the module it declares (`source`, or `build.output`) is its output,
//!   never an input;
//! - any other file is taken for the build's own output once it has changed
//!   during two builds in a row (its modification time inside the run, or it
//!   vanished while the run went on or just after): the first time could be
//!   a person saving while the command ran, which must cancel and rebuild; a
//!   second time is the command writing it again. From then on its changes
//!   are ignored (the console says so), until the config is reloaded;
//!
//! - a file that vanished during a run (or just after, before its events
//!   arrived) was the run's temporary file;
//! - and should a build keep writing files with new names, three builds in a
//!   row started only by such changes end it: their changes are ignored too.
//!
//! So a by-product costs at most one extra build, an edit saved during a
//! build is never lost, and no build triggers itself forever.

use super::interest::absolute;
use crate::config::{Function, Source};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How long after a build ends its last events may still be on their way:
/// the watcher's quiet gap, its longest batch, and room for a slow inotify.
const LATE_EVENTS: Duration = Duration::from_secs(2);

/// Slack before a run's start for file systems that keep coarse times: a
/// change stamped just before the start either triggered this run or is in
/// its batch, so counting it as the run's loses no edit.
const CLOCK_SLACK: Duration = Duration::from_millis(50);

/// Builds in a row started only by changes made during the previous build
/// before such changes are taken for the build's own.
const MAX_SELF_STARTED: u32 = 3;

/// One run of a function's build command.
#[derive(Debug, Clone, Copy)]
struct Run {
    started: SystemTime,
    /// When it ended, by both clocks: the file clock for modification times,
    /// the monotonic one for how long ago that was.
    ended: Option<(SystemTime, Instant)>,
}

/// When a change happened, relative to a function's last build run.
#[derive(Debug, PartialEq, Eq)]
enum When {
    /// Outside any run: a person's edit.
    Outside,
    /// The file changed while the run went on.
    DuringRun,
    /// The file vanished while the run went on or just after.
    Vanished,
}

impl Run {
    /// When the change to `path` seen now happened.
    fn when(&self, path: &Path) -> When {
        match std::fs::metadata(path).and_then(|meta| meta.modified()) {
            Ok(modified) => {
                let ended = self.ended.map_or_else(SystemTime::now, |(at, _)| at);
                if self.started - CLOCK_SLACK <= modified && modified <= ended {
                    When::DuringRun
                } else {
                    When::Outside
                }
            }
            Err(_) if self.ended.is_none_or(|(_, at)| at.elapsed() <= LATE_EVENTS) => {
                When::Vanished
            }
            Err(_) => When::Outside,
        }
    }
}

/// What the builder knows of one function's runs and the files they write.
#[derive(Debug, Default)]
struct Known {
    last: Option<Run>,
    /// Changed during a run once: an edit or a by-product, not known yet.
    suspects: HashSet<PathBuf>,
    /// Changed during two runs in a row: the build's own output.
    outputs: HashSet<PathBuf>,
    /// Since the last run started: changes that could be a person's.
    edits: u32,
    /// Since the last run started: changes made during the run before.
    suspect_edits: u32,
    /// Runs in a row started only by changes made during the run before.
    self_started: u32,
}

/// What the builder knows of every function's build runs.
#[derive(Debug, Default)]
pub(super) struct OwnWrites {
    functions: HashMap<String, Known>,
}

/// What a change to one of a function's inputs is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Change {
    /// A person's edit (or not known to be otherwise): rebuild.
    Edit,
    /// The build's own output: ignore.
    Own,
    /// Just recognised as the build's own output: ignore, and say so once.
    NewlyOwn,
}

impl OwnWrites {
    /// `function`'s build starts now.
    pub(super) fn started(&mut self, function: &str) {
        let known = self.functions.entry(function.to_string()).or_default();
        known.self_started = if known.edits == 0 && known.suspect_edits > 0 {
            known.self_started + 1
        } else {
            0
        };
        known.edits = 0;
        known.suspect_edits = 0;
        known.last = Some(Run {
            started: SystemTime::now(),
            ended: None,
        });
    }

    /// `function` was built between `started` and now, before the builder
    /// ran: `dev`'s first builds, which run while the watcher already hears
    /// their writes.
    pub(super) fn built_before(&mut self, function: &str, started: SystemTime) {
        self.functions.entry(function.to_string()).or_default().last = Some(Run {
            started,
            ended: Some((SystemTime::now(), Instant::now())),
        });
    }

    /// `function`'s build (started with [`OwnWrites::started`]) ended now.
    pub(super) fn ended(&mut self, function: &str) {
        if let Some(run) = self
            .functions
            .get_mut(function)
            .and_then(|f| f.last.as_mut())
        {
            run.ended = Some((SystemTime::now(), Instant::now()));
        }
    }

    /// The config was reloaded: what the builds write may have changed.
    pub(super) fn forget(&mut self) {
        for known in self.functions.values_mut() {
            known.suspects.clear();
            known.outputs.clear();
        }
    }

    /// What a change to `path`, one of `function`'s inputs, is.
    pub(super) fn classify(&mut self, function: &Function, path: &Path) -> Change {
        if function.build.command.is_none() {
            return Change::Edit;
        }
        if is_declared_output(function, path) {
            return Change::Own;
        }
        let path = absolute(path);
        let Some(known) = self.functions.get_mut(&function.name) else {
            return Change::Edit;
        };
        if known.outputs.contains(&path) {
            return Change::Own;
        }
        let when = known.last.map_or(When::Outside, |run| run.when(&path));
        match when {
            When::Outside => {
                known.suspects.remove(&path);
                known.edits += 1;
                Change::Edit
            }
            When::Vanished => Change::Own,
            When::DuringRun
                if known.suspects.remove(&path) || known.self_started >= MAX_SELF_STARTED =>
            {
                known.outputs.insert(path);
                Change::NewlyOwn
            }
            When::DuringRun => {
                known.suspects.insert(path);
                known.suspect_edits += 1;
                Change::Edit
            }
        }
    }
}

/// Whether `path` is the module a custom build command writes: the function's
/// `build.output`, or its `source` when that names a module file (the plain
/// form, `build = "clang … -o app.wasm main.c"` with `source = "app.wasm"`).
fn is_declared_output(function: &Function, path: &Path) -> bool {
    let path = absolute(path);
    let module = match &function.source {
        Source::Wasm(file) | Source::Wat(file) => Some(file.as_path()),
        Source::RustCrate(_) => None,
    };
    [function.build.output.as_deref(), module]
        .into_iter()
        .flatten()
        .any(|output| absolute(output) == path)
}
