//! The record beside each artifact of what it was built from.
//!
//! `<function>.json` holds a fingerprint of the build settings, the time the build
//! started, and every input file (for Rust, read from cargo's dep-info, so a change
//! to the SDK counts too). An artifact is fresh when the fingerprint matches and no
//! input changed since the build *started* — an edit saved while cargo was running
//! still triggers the next build.

use super::BuildError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    fingerprint: String,
    /// Nanoseconds since the Unix epoch when the build began.
    started_ns: u128,
    inputs: Vec<PathBuf>,
}

fn manifest_path(artifact: &Path) -> PathBuf {
    artifact.with_extension("json")
}

fn nanos(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The current time in the form manifests store.
pub(super) fn now() -> u128 {
    nanos(SystemTime::now())
}

/// Whether `artifact` exists and nothing it was built from changed since.
pub(super) fn is_fresh(artifact: &Path, fingerprint: &str) -> bool {
    let Ok(text) = std::fs::read(manifest_path(artifact)) else {
        return false;
    };
    let Ok(manifest) = serde_json::from_slice::<Manifest>(&text) else {
        return false;
    };
    manifest.fingerprint == fingerprint
        && artifact.is_file()
        && manifest.inputs.iter().all(|input| {
            std::fs::metadata(input)
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| nanos(modified) < manifest.started_ns)
        })
}

/// Writes `wasm` to `artifact` and its manifest, each atomically (temp + rename),
/// so a crash never leaves a half-written module that looks fresh.
pub(super) fn write_artifact(
    function: &str,
    artifact: &Path,
    wasm: &[u8],
    fingerprint: &str,
    started_ns: u128,
    inputs: &[PathBuf],
) -> Result<(), BuildError> {
    let io_error = |action: &'static str, path: &Path| {
        let path = path.display().to_string();
        move |source| BuildError::Io {
            function: function.to_string(),
            action,
            path,
            source,
        }
    };
    if let Some(dir) = artifact.parent() {
        std::fs::create_dir_all(dir).map_err(io_error("creating", dir))?;
    }
    write_atomically(artifact, wasm).map_err(io_error("writing", artifact))?;
    let manifest = Manifest {
        fingerprint: fingerprint.to_string(),
        started_ns,
        inputs: inputs.to_vec(),
    };
    let json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    let path = manifest_path(artifact);
    write_atomically(&path, &json).map_err(io_error("writing", &path))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A per-process temp name: two builders of the same function (two test
    // processes, or `build` beside `dev`) must not write into one temp file.
    let temp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path)
}
