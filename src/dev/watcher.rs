//! The watcher actor: file events in, debounced batches of changed paths out.
//!
//! Folders are watched one by one rather than recursively from the root, so
//! that `target/` (tens of thousands of files cargo rewrites on every build),
//! `.wasmfaas/` and VCS folders cost no inotify watches and send no events.
//! A folder created later is watched when its creation is seen.

use super::Event;
use super::interest::Interest;
use crate::build::is_ignored;
use notify::event::{AccessKind, AccessMode, CreateKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Quiet time that ends a burst: editors save in several steps (write a temp
/// file, rename, touch) within a few milliseconds; a person does not save twice
/// in 75 ms.
pub const DEBOUNCE: Duration = Duration::from_millis(75);

/// A burst never delays a rebuild by more than this, even if events keep coming
/// (e.g. a code generator writing for seconds).
const MAX_BATCH: Duration = Duration::from_millis(500);

/// How often the watcher checks whether it should stop while idle.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Starts watching `roots` (folders, watched with their subfolders, and files)
/// and spawns the actor that sends [`Event::Changed`] batches to `out` until
/// `stop` receives or closes; it then sends [`Event::Stop`].
pub(super) fn spawn(
    roots: Vec<PathBuf>,
    interest: Arc<Interest>,
    out: Sender<Event>,
    stop: Receiver<()>,
) -> Result<JoinHandle<()>, notify::Error> {
    let (raw_tx, raw) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(raw_tx)?;
    for root in &roots {
        if root.is_dir() {
            watch_tree(&mut watcher, root)?;
        } else if root.exists() {
            watcher.watch(root, RecursiveMode::NonRecursive)?;
        }
    }
    Ok(std::thread::Builder::new()
        .name("watcher".into())
        .spawn(move || run(watcher, &interest, &raw, &out, &stop))
        .expect("spawning the watcher"))
}

fn run(
    mut watcher: RecommendedWatcher,
    interest: &Interest,
    raw: &Receiver<notify::Result<notify::Event>>,
    out: &Sender<Event>,
    stop: &Receiver<()>,
) {
    let mut batch = BTreeSet::new();
    let mut batch_started: Option<Instant> = None;
    loop {
        if !matches!(stop.try_recv(), Err(mpsc::TryRecvError::Empty)) {
            let _ = out.send(Event::Stop);
            return;
        }
        // Idle: wait for the first event. In a burst: wait for the quiet gap.
        let wait = if batch_started.is_some() {
            DEBOUNCE
        } else {
            STOP_POLL
        };
        let quiet = match raw.recv_timeout(wait) {
            Ok(Ok(event)) => {
                for path in relevant_paths(&mut watcher, event) {
                    if !interest.covers(&path) {
                        continue;
                    }
                    batch.insert(path);
                    batch_started.get_or_insert_with(Instant::now);
                }
                false
            }
            Ok(Err(error)) => {
                let _ = out.send(Event::WatchError(error.to_string()));
                false
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => {
                let _ = out.send(Event::Stop);
                return;
            }
        };
        // A batch ends after a quiet gap or when it has been open too long.
        let Some(started) = batch_started else {
            continue;
        };
        if quiet || started.elapsed() >= MAX_BATCH {
            if out
                .send(Event::Changed(std::mem::take(&mut batch)))
                .is_err()
            {
                return;
            }
            batch_started = None;
        }
    }
}

/// The paths of `event` that can matter; new folders get watched.
fn relevant_paths(watcher: &mut RecommendedWatcher, event: notify::Event) -> Vec<PathBuf> {
    let matters = match event.kind {
        // Reads and opens change nothing; a close after writing does.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    };
    if !matters {
        return Vec::new();
    }
    let new_folder = matches!(event.kind, EventKind::Create(CreateKind::Folder))
        || matches!(event.kind, EventKind::Create(_)) && event.paths.iter().all(|p| p.is_dir());
    event
        .paths
        .into_iter()
        .filter(|path| !is_ignored(path))
        .inspect(|path| {
            if new_folder && path.is_dir() {
                // Best effort: if the folder vanished already there is nothing to watch.
                let _ = watch_tree(watcher, path);
            }
        })
        .collect()
}

/// Watches `dir` and every folder below it that is not ignored.
fn watch_tree(watcher: &mut RecommendedWatcher, dir: &Path) -> notify::Result<()> {
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && !is_ignored(&path) {
            watch_tree(watcher, &path)?;
        }
    }
    Ok(())
}
