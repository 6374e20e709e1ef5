//! Functions built by a custom `build` command (clang, make, a script): when
//! the command must run again.
//!
//! wasmfaas cannot see what such a command reads, so it takes the whole
//! folder the command runs in as its inputs (less the module it writes and the
//! folders no build reads: `target/`, `.git/`, …). The record of the last run
//! lists those files with a hash of each, and its fingerprint names the
//! command, the output and the set of file names, so an added or deleted file
//! counts as a change too. With nothing changed and the output in place, the
//! command is not run: `dev` starts without re-running clang each time.

use super::manifest;
use super::{Artifact, BuildError, Cancel, Progress, is_ignored};
use crate::config::{Function, Project, Source};
use std::path::{Path, PathBuf};

/// A folder with more files than this is not tracked: the command runs every
/// time, as it did before tracking (hashing it all would cost more).
const MAX_TRACKED_FILES: usize = 10_000;

/// The folder a function's build command runs in.
pub fn folder(function: &Function) -> &Path {
    match &function.source {
        Source::RustCrate(dir) => dir.as_path(),
        Source::Wasm(file) | Source::Wat(file) => file.parent().unwrap_or(Path::new(".")),
    }
}

/// Runs `function`'s build `command` unless its inputs are unchanged since the
/// last successful run and `output` exists (or `force` is set).
pub(super) fn build(
    project: &Project,
    function: &Function,
    command: &str,
    output: &Path,
    force: bool,
    progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<Artifact, BuildError> {
    let record = super::artifact_path(project, &function.name).with_extension("command.json");
    let inputs = tracked_files(folder(function), output);
    let fingerprint = inputs
        .as_ref()
        .map(|files| fingerprint(command, output, files));
    let fresh = !force
        && fingerprint
            .as_ref()
            .is_some_and(|fp| manifest::is_fresh_record(&record, output, fp));
    if fresh {
        return Ok(Artifact {
            function: function.name.clone(),
            path: output.to_path_buf(),
            rebuilt: false,
        });
    }
    let stamp = manifest::start(&record.with_extension("json"));
    super::run_command(function, folder(function), command, progress, cancel)?;
    super::check_output(function, output)?;
    match (&inputs, &fingerprint) {
        (Some(files), Some(fp)) => {
            manifest::write_record(&function.name, &record, fp, stamp, files)?;
        }
        // Untracked: remove a stale record so it can never say "fresh".
        _ => {
            let _ = std::fs::remove_file(&record);
        }
    }
    Ok(Artifact {
        function: function.name.clone(),
        path: output.to_path_buf(),
        rebuilt: true,
    })
}

/// What the build depends on besides the contents of its files.
fn fingerprint(command: &str, output: &Path, files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    format!(
        "wasmfaas {} | command {command} | output {} | files {}",
        env!("CARGO_PKG_VERSION"),
        output.display(),
        names.join("\0")
    )
}

/// Every file under `dir` that can be an input, sorted; `None` when there are
/// too many to track or the folder cannot be read.
fn tracked_files(dir: &Path, output: &Path) -> Option<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).ok()? {
            let path = entry.ok()?.path();
            if is_ignored(&path) || path == output {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
                if files.len() > MAX_TRACKED_FILES {
                    return None;
                }
            }
        }
    }
    files.sort();
    Some(files)
}
