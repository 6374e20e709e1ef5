//! Snapshot tests (`wasmfaas test`): replays the project's fixtures and
//! compares each outcome with its snapshot in `snapshots/`.
//!
//! For every fixture `fixtures/<function>/<name>.json` the accepted outcome
//! lives in `snapshots/<function>__<name>.snap` (insta's format, see
//! [`crate::snapshot`]); a different or missing one is written beside it as
//! `.snap.new`, for `wasmfaas test --accept` or `cargo insta review`. Under CI
//! nothing is written. Outcomes are redacted first (`[test] redact_headers`,
//! `[test] redact` selectors), and fuel may grow up to
//! `[test] fuel_tolerance` percent before it counts as a change.
//!
//! This module decides; it prints nothing (`crate::cli` does). Modules are
//! loaded by the caller, so building stays out of here.

use crate::config::{Project, TestConfig};
use crate::fixture::Fixture;
use crate::json_text;
use crate::replay;
use crate::runtime::LoadedModule;
use crate::snapshot::diff::{DiffOptions, unified_diff};
use crate::snapshot::redact::redact as apply_selector;
use crate::snapshot::{self, Snapshot};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What replaces a redacted value.
pub const PLACEHOLDER: &str = "[redacted]";

/// `--partition I/N`: run the I-th of N shares of the suite (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(text: &str) -> Result<Partition, String> {
        let bad = || format!("{text:?} is not a partition; write I/N with 1 ≤ I ≤ N, e.g. 2/3");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Partition { index, count })
    }
}

/// How to run the suite.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only fixtures whose path (relative to the project) contains this.
    pub filter: Option<String>,
    pub partition: Option<Partition>,
    /// Write every new or changed outcome as the accepted snapshot.
    pub accept: bool,
    /// CI mode: write nothing; a missing snapshot fails.
    pub ci: bool,
    /// Replays running at once (at least 1).
    pub jobs: usize,
}

/// One fixture's result.
#[derive(Debug)]
pub struct Case {
    /// The fixture, relative to the project root, `/`-separated.
    pub fixture: String,
    /// Its snapshot, relative to the project root.
    pub snapshot: String,
    pub function: String,
    /// Fuel used by this replay, if it ran.
    pub fuel: Option<u64>,
    pub verdict: Verdict,
    /// The `.snap.new` written for a new or changed outcome (never under CI
    /// or with `--accept`), relative to the project root.
    pub pending: Option<String>,
    /// How the replay's answer differs from the one the fixture recorded,
    /// if it does: a snapshot of it is not what production answered.
    pub unlike_recording: Option<String>,
}

/// How a fixture's outcome compared with its snapshot.
#[derive(Debug)]
pub enum Verdict {
    /// Same outcome; `note` says when fuel moved within the tolerance.
    Passed { note: Option<String> },
    /// The outcome was written as the accepted snapshot (`--accept`).
    Accepted,
    /// No snapshot yet.
    New,
    /// Different outcome: a unified diff from the snapshot to it.
    Changed { diff: String },
    /// Same outcome but fuel grew past the tolerance.
    FuelGrew {
        old: u64,
        new: u64,
        percent: f64,
        tolerance: f64,
    },
    /// The fixture could not be read or replayed, or a file not written.
    Error { message: String },
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Passed { .. } | Verdict::Accepted)
    }

    /// `passed`, `accepted`, `new`, `changed`, `fuel`, `error`.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Passed { .. } => "passed",
            Verdict::Accepted => "accepted",
            Verdict::New => "new",
            Verdict::Changed { .. } => "changed",
            Verdict::FuelGrew { .. } => "fuel",
            Verdict::Error { .. } => "error",
        }
    }
}

/// Why the suite could not start.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("cannot read the fixtures folder {path}: {reason}")]
    Fixtures { path: PathBuf, reason: String },
}

/// Every fixture of the project (`[test] fixtures`), relative to the project
/// root with `/` separators, sorted. A missing folder is an empty suite.
///
/// # Errors
/// [`SuiteError::Fixtures`] if the folder cannot be read.
pub fn discover(project: &Project) -> Result<Vec<String>, SuiteError> {
    let dir = project.root.join(&project.test.fixtures);
    let mut found = Vec::new();
    if dir.is_dir() {
        found = fixture_files(&dir).map_err(|e| SuiteError::Fixtures {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
    }
    let mut relative: Vec<String> = found
        .iter()
        .filter_map(|path| path.strip_prefix(&project.root).ok())
        .map(slash_path)
        .collect();
    relative.sort();
    Ok(relative)
}

/// Every `.json` file under `dir`, sorted.
///
/// # Errors
/// The first folder that cannot be read.
pub fn fixture_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    collect(dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The fixtures to run: those matching the filter, then this partition's
/// share of them (the i-th, (i+N)-th, … of the sorted list, as nextest's
/// `count:` partitions do): the N shares are disjoint and cover the suite.
pub fn select(all: Vec<String>, options: &Options) -> Vec<String> {
    let filtered = all
        .into_iter()
        .filter(|path| options.filter.as_deref().is_none_or(|f| path.contains(f)));
    match options.partition {
        None => filtered.collect(),
        Some(Partition { index, count }) => filtered
            .enumerate()
            .filter(|(i, _)| i % count == index - 1)
            .map(|(_, path)| path)
            .collect(),
    }
}

/// `<function>__<name>.snap` for `fixture` (relative path): the name is the
/// fixture's path inside `fixtures/<function>/` without `.json`, with any
/// deeper folders joined by `-`.
pub fn snapshot_name(config: &TestConfig, fixture: &str, function: &str) -> String {
    let base = slash_path(&config.fixtures);
    let inside = fixture.strip_prefix(&format!("{base}/")).unwrap_or(fixture);
    let inside = inside
        .strip_prefix(&format!("{function}/"))
        .unwrap_or(inside);
    inside.trim_end_matches(".json").replace('/', "-")
}

/// Applies the project's redactions to an outcome document.
pub fn redact(config: &TestConfig, document: &mut Value) {
    if let Some(headers) = document
        .pointer_mut("/response/headers")
        .and_then(Value::as_array_mut)
    {
        for pair in headers {
            let named = pair[0].as_str().is_some_and(|name| {
                config
                    .redact_headers
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(name))
            });
            if named {
                pair[1] = Value::String(PLACEHOLDER.into());
            }
        }
    }
    for selector in &config.redact {
        apply_selector(document, selector, PLACEHOLDER);
    }
}

/// A selected fixture, read and matched to its function once, before the
/// build and the run.
#[derive(Debug)]
pub struct Planned {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    /// The fixture and its function's name, or why there is none.
    plan: Result<(Fixture, String), String>,
}

/// Reads each fixture and finds the function it runs.
pub fn plan(project: &Project, paths: Vec<String>) -> Vec<Planned> {
    paths
        .into_iter()
        .map(|path| {
            let plan = Fixture::load(&project.root.join(&path))
                .map_err(|e| e.to_string())
                .and_then(|fixture| {
                    let function = replay::function_of(project, &fixture)
                        .map_err(|e| format!("{path}: {e}"))?
                        .name
                        .clone();
                    Ok((fixture, function))
                });
            Planned { path, plan }
        })
        .collect()
}

/// The functions the planned fixtures run, each once, for building first.
pub fn functions_needed(planned: &[Planned]) -> Vec<String> {
    let mut names: Vec<String> = planned
        .iter()
        .filter_map(|p| p.plan.as_ref().ok().map(|(_, function)| function.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Runs the planned fixtures with `options.jobs` threads, over the modules
/// the caller loaded (or why one could not be).
pub fn run(
    project: &Project,
    planned: &[Planned],
    options: &Options,
    modules: &BTreeMap<String, Result<LoadedModule, String>>,
) -> Vec<Case> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Case)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1).min(planned.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(one) = planned.get(i) else {
                        break;
                    };
                    let case = run_one(project, one, options, modules);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, case));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, case)| case).collect()
}

fn run_one(
    project: &Project,
    planned: &Planned,
    options: &Options,
    modules: &BTreeMap<String, Result<LoadedModule, String>>,
) -> Case {
    let mut case = Case {
        fixture: planned.path.clone(),
        snapshot: String::new(),
        function: String::new(),
        fuel: None,
        verdict: Verdict::New,
        pending: None,
        unlike_recording: None,
    };
    let fail = |mut case: Case, message: String| {
        case.verdict = Verdict::Error { message };
        case
    };
    let (fixture, function_name) = match &planned.plan {
        Ok(plan) => plan,
        Err(message) => return fail(case, message.clone()),
    };
    case.function = function_name.clone();
    let function = match project.function(function_name) {
        Ok(function) => function,
        Err(e) => return fail(case, e.to_string()),
    };
    let name = snapshot_name(&project.test, &planned.path, function_name);
    let dir = project.root.join(&project.test.snapshots);
    let snap_path = snapshot::snapshot_path(&dir, function_name, &name);
    let pending_path = snapshot::pending_path(&dir, function_name, &name);
    case.snapshot = project_relative(project, &snap_path);
    let module = match modules.get(function_name) {
        Some(Ok(module)) => module,
        Some(Err(message)) => return fail(case, message.clone()),
        None => return fail(case, format!("`{function_name}` was not built")),
    };
    let replayed = match replay::replay(fixture, function, module) {
        Ok(replayed) => replayed,
        Err(e) => return fail(case, format!("{}: {e}", planned.path)),
    };
    case.fuel = Some(replayed.usage.fuel);
    case.unlike_recording = fixture
        .recorded
        .as_ref()
        .and_then(|recorded| replayed.difference_from(recorded));
    let mut document = replayed.document();
    redact(&project.test, &mut document);
    let new = Snapshot {
        source: planned.path.clone(),
        description: Some(fixture.trigger.describe()),
        expression: Some(format!("wasmfaas replay --json {}", planned.path)),
        info: None,
        body: json_text::pretty(&document).trim_end().to_string(),
    };
    let old = match snap_path.is_file().then(|| Snapshot::read(&snap_path)) {
        None => None,
        Some(Ok(old)) => Some(old),
        Some(Err(e)) => {
            let message = format!("{}: {e}", case.snapshot);
            return fail(case, message);
        }
    };
    let verdict = match &old {
        None => Verdict::New,
        Some(old) => compare(
            old,
            &new,
            &document,
            replayed.usage.fuel,
            project,
            &case.snapshot,
            &pending_path,
        ),
    };
    if options.ci {
        case.verdict = verdict;
        return case;
    }
    // `--accept` also takes a fuel change within the tolerance, so the
    // snapshot follows a function that got cheaper instead of keeping a
    // figure that is no longer true.
    let accept_fuel = options.accept && matches!(verdict, Verdict::Passed { note: Some(_) });
    if verdict.passed() && !accept_fuel {
        // A pending file from an earlier run is stale now.
        let _ = std::fs::remove_file(&pending_path);
        case.verdict = verdict;
        return case;
    }
    let target = if options.accept {
        &snap_path
    } else {
        &pending_path
    };
    if let Err(e) = snapshot::write_atomically(target, &new.to_file_text()) {
        return fail(case, e.to_string());
    }
    if options.accept {
        let _ = std::fs::remove_file(&pending_path);
        case.verdict = Verdict::Accepted;
    } else {
        case.verdict = verdict;
        case.pending = Some(project_relative(project, &pending_path));
    }
    case
}

/// The verdict on `new` against the accepted `old`. When only the fuel
/// differs, the tolerance decides.
fn compare(
    old: &Snapshot,
    new: &Snapshot,
    document: &Value,
    new_fuel: u64,
    project: &Project,
    snapshot_name: &str,
    pending_path: &Path,
) -> Verdict {
    if old.matches(&new.body) {
        return Verdict::Passed { note: None };
    }
    let old_fuel = serde_json::from_str::<Value>(&old.body)
        .ok()
        .and_then(|v| v.pointer("/usage/fuel").and_then(Value::as_u64));
    if let Some(old_fuel) = old_fuel {
        let mut same_fuel = document.clone();
        if let Some(fuel) = same_fuel.pointer_mut("/usage/fuel") {
            *fuel = Value::from(old_fuel);
        }
        if old.matches(json_text::pretty(&same_fuel).trim_end()) {
            let percent = (new_fuel as f64 - old_fuel as f64) / (old_fuel.max(1) as f64) * 100.0;
            let tolerance = project.test.fuel_tolerance_percent;
            if percent <= tolerance {
                return Verdict::Passed {
                    note: Some(format!(
                        "fuel {} → {} ({percent:+.1}%, tolerance {tolerance}%)",
                        crate::human::grouped(old_fuel),
                        crate::human::grouped(new_fuel)
                    )),
                };
            }
            return Verdict::FuelGrew {
                old: old_fuel,
                new: new_fuel,
                percent,
                tolerance,
            };
        }
    }
    let diff = unified_diff(
        snapshot_name,
        &snapshot::normalize_body(&old.body),
        &project_relative(project, pending_path),
        &snapshot::normalize_body(&new.body),
        DiffOptions {
            context: 3,
            color: false,
        },
    );
    Verdict::Changed { diff }
}

fn project_relative(project: &Project, path: &Path) -> String {
    slash_path(path.strip_prefix(&project.root).unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_disjoint_and_cover_the_filtered_suite() {
        let all: Vec<String> = (0..10).map(|i| format!("fixtures/f/{i}.json")).collect();
        let mut union = Vec::new();
        for index in 1..=3 {
            let options = Options {
                partition: Some(Partition { index, count: 3 }),
                ..Options::default()
            };
            let share = select(all.clone(), &options);
            assert!(share.len() >= 3, "{share:?}");
            union.extend(share);
        }
        union.sort();
        let mut expected = all.clone();
        expected.sort();
        assert_eq!(union, expected);
        let filtered = Options {
            filter: Some("/1".into()),
            ..Options::default()
        };
        assert_eq!(select(all, &filtered), ["fixtures/f/1.json"]);
    }

    #[test]
    fn partitions_parse_with_clear_errors() {
        assert_eq!(
            "2/3".parse::<Partition>(),
            Ok(Partition { index: 2, count: 3 })
        );
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            let error = bad.parse::<Partition>().unwrap_err();
            assert!(error.contains("write I/N"), "{error}");
        }
    }
}
