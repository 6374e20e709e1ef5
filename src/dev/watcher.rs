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
use std::time::{Duration, Instant, SystemTime};

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
///
/// Only the first root is watched before this returns (so a watcher that
/// cannot work at all is an error at start). The rest of the tree is watched
/// by the actor itself: a watch is a round trip to notify's thread, and a
/// large project holds hundreds of folders (the demo repository: ~90, 70 ms)
/// that `dev` must not wait for before serving. A file saved meanwhile in a
/// folder not yet watched is found by its modification time during the walk
/// and sent like any change, so no edit made after `spawn` is lost.
pub(super) fn spawn(
    roots: Vec<PathBuf>,
    interest: Arc<Interest>,
    out: Sender<Event>,
    stop: Receiver<()>,
) -> Result<JoinHandle<()>, notify::Error> {
    let began = SystemTime::now();
    let (raw_tx, raw) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(raw_tx)?;
    if let Some(first) = roots.first().filter(|root| root.exists()) {
        watcher.watch(first, RecursiveMode::NonRecursive)?;
    }
    Ok(std::thread::Builder::new()
        .name("watcher".into())
        .spawn(move || {
            let mut saved_meanwhile = BTreeSet::new();
            for root in &roots {
                let watched = if root.is_dir() {
                    watch_tree(&mut watcher, root, began, &mut saved_meanwhile)
                } else if root.exists() {
                    watcher.watch(root, RecursiveMode::NonRecursive)
                } else {
                    Ok(())
                };
                if let Err(error) = watched {
                    let _ = out.send(Event::WatchError(format!(
                        "cannot watch {}: {error}; edits there are not seen (raise the inotify \
                         limit: sysctl fs.inotify.max_user_watches)",
                        root.display()
                    )));
                }
            }
            saved_meanwhile.retain(|path: &PathBuf| interest.covers(path));
            if !saved_meanwhile.is_empty() {
                let _ = out.send(Event::Changed(saved_meanwhile));
            }
            run(watcher, &interest, &raw, &out, &stop);
        })
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
                // Files already inside are not sent: as before, only changes
                // from now on count.
                let _ = watch_tree(watcher, path, SystemTime::now(), &mut BTreeSet::new());
            }
        })
        .collect()
}

/// Watches `dir` and every folder below it that is not ignored, and adds to
/// `modified` the files in them changed at or after `since`.
fn watch_tree(
    watcher: &mut RecommendedWatcher,
    dir: &Path,
    since: SystemTime,
    modified: &mut BTreeSet<PathBuf>,
) -> notify::Result<()> {
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_ignored(&path) {
            continue;
        }
        if is_dir {
            watch_tree(watcher, &path, since, modified)?;
        } else if entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|at| at >= since)
        {
            modified.insert(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_walk_reports_files_saved_since_watching_began() {
        let dir = std::env::temp_dir().join(format!("wasmfaas-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub/target")).unwrap();
        let old = dir.join("sub/old.rs");
        std::fs::write(&old, "old").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
            .unwrap();
        let since = SystemTime::now() - Duration::from_secs(60);
        std::fs::write(dir.join("sub/new.rs"), "new").unwrap();
        std::fs::write(dir.join("sub/target/out.rs"), "ignored folder").unwrap();
        let (tx, _rx) = mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(tx).unwrap();
        let mut modified = BTreeSet::new();
        watch_tree(&mut watcher, &dir, since, &mut modified).unwrap();
        assert_eq!(modified, BTreeSet::from([dir.join("sub/new.rs")]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
