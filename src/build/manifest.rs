//! The record beside each artifact of what it was built from.
//!
//! `<function>.json` holds a fingerprint of the build settings and every input
//! file (for Rust, read from cargo's dep-info, so a change to the SDK counts too)
//! with a hash of its contents. An artifact is fresh when the fingerprint matches
//! and every input still hashes the same.
//!
//! Why contents, not modification times: file mtimes come from the kernel's
//! coarse clock, a few milliseconds behind `SystemTime::now()`, so an edit saved
//! right after a build could look older than the build and be missed. Times are
//! still used for one thing, compared on the filesystem's own clock: an input
//! modified after the build began (a [`BuildStamp`]) may have been read before the
//! edit, so it is recorded without a hash and the next check rebuilds.

use super::BuildError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    fingerprint: String,
    inputs: Vec<Input>,
}

/// One file an artifact was built from.
#[derive(Debug, Serialize, Deserialize)]
struct Input {
    path: PathBuf,
    /// FNV-1a of the contents as built; `None` when it changed during the build.
    hash: Option<String>,
}

/// The moment a build began, read from the filesystem's clock so it compares
/// exactly with input mtimes.
#[derive(Debug, Clone, Copy)]
pub(super) struct BuildStamp(Option<SystemTime>);

fn manifest_path(artifact: &Path) -> PathBuf {
    artifact.with_extension("json")
}

/// Marks the start of a build of `artifact` by writing a stamp file beside it.
pub(super) fn start(artifact: &Path) -> BuildStamp {
    let stamp = artifact.with_extension("stamp");
    let written = artifact
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&stamp, b""));
    let time = written
        .and_then(|()| std::fs::metadata(&stamp))
        .and_then(|meta| meta.modified());
    // Without a stamp every input counts as changed during the build: the
    // artifact is still written, and simply rebuilt next time.
    BuildStamp(time.ok())
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
fn content_hash(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    Some(format!("{hash:016x}"))
}

/// Whether `artifact` exists and nothing it was built from changed since.
pub(super) fn is_fresh(artifact: &Path, fingerprint: &str) -> bool {
    is_fresh_record(&manifest_path(artifact), artifact, fingerprint)
}

/// Whether `output` exists and the record at `manifest` says nothing it was
/// built from changed since: the check for what a custom command writes,
/// whose record lives apart from it (in wasmfaas's build folder).
pub(super) fn is_fresh_record(manifest: &Path, output: &Path, fingerprint: &str) -> bool {
    let Ok(text) = std::fs::read(manifest) else {
        return false;
    };
    let Ok(manifest) = serde_json::from_slice::<Manifest>(&text) else {
        return false;
    };
    manifest.fingerprint == fingerprint
        && output.is_file()
        && manifest
            .inputs
            .iter()
            .all(|input| input.hash.is_some() && input.hash == content_hash(&input.path))
}

/// The input files recorded for `artifact` by its last build (none if it was
/// never built).
pub(super) fn recorded_inputs(artifact: &Path) -> Vec<PathBuf> {
    std::fs::read(manifest_path(artifact))
        .ok()
        .and_then(|text| serde_json::from_slice::<Manifest>(&text).ok())
        .map(|manifest| {
            manifest
                .inputs
                .into_iter()
                .map(|input| input.path)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `wasm` to `artifact` and its manifest, each atomically (temp + rename),
/// so a crash never leaves a half-written module that looks fresh.
pub(super) fn write_artifact(
    function: &str,
    artifact: &Path,
    wasm: &[u8],
    fingerprint: &str,
    stamp: BuildStamp,
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
    write_record(
        function,
        &manifest_path(artifact),
        fingerprint,
        stamp,
        inputs,
    )
}

/// Writes the record at `path` of a build that began at `stamp` from
/// `inputs`, atomically.
pub(super) fn write_record(
    function: &str,
    path: &Path,
    fingerprint: &str,
    stamp: BuildStamp,
    inputs: &[PathBuf],
) -> Result<(), BuildError> {
    let manifest = Manifest {
        fingerprint: fingerprint.to_string(),
        inputs: inputs
            .iter()
            .map(|path| Input {
                path: path.clone(),
                hash: unchanged_since(path, stamp)
                    .then(|| content_hash(path))
                    .flatten(),
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| BuildError::Io {
            function: function.to_string(),
            action: "creating",
            path: dir.display().to_string(),
            source,
        })?;
    }
    write_atomically(path, &json).map_err(|source| BuildError::Io {
        function: function.to_string(),
        action: "writing",
        path: path.display().to_string(),
        source,
    })
}

/// Whether `path` was last modified strictly before the build began. An mtime in
/// the same clock tick as the stamp counts as before: the build tool reads its
/// inputs after it starts, so such an edit was already seen.
fn unchanged_since(path: &Path, stamp: BuildStamp) -> bool {
    let Some(started) = stamp.0 else {
        return false;
    };
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| modified <= started)
}

/// Unsynced: an artifact lost to a power cut is rebuilt, and its manifest
/// is written after it, so a lost manifest only costs a rebuild.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::atomic_file::replace(path, bytes, crate::atomic_file::Durability::Unsynced)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty folder with the paths of an input and its artifact.
    fn scratch(name: &str) -> (PathBuf, PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("wasmfaas-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        (dir.clone(), dir.join("f.wat"), dir.join("f.wasm"))
    }

    #[test]
    fn an_edit_right_after_a_build_is_seen_even_within_one_clock_tick() {
        let (dir, input, artifact) = scratch("edit");
        std::fs::write(&input, "(module)").unwrap();
        let stamp = start(&artifact);
        write_artifact(
            "f",
            &artifact,
            b"\0asm",
            "fp",
            stamp,
            std::slice::from_ref(&input),
        )
        .unwrap();
        assert!(is_fresh(&artifact, "fp"));
        assert!(!is_fresh(&artifact, "other settings"));
        std::fs::write(&input, "(module )").unwrap();
        assert!(!is_fresh(&artifact, "fp"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_input_modified_during_the_build_is_rebuilt_next_time() {
        let (dir, input, artifact) = scratch("during");
        let stamp = start(&artifact);
        std::thread::sleep(std::time::Duration::from_millis(30));
        std::fs::write(&input, "(module)").unwrap();
        write_artifact(
            "f",
            &artifact,
            b"\0asm",
            "fp",
            stamp,
            std::slice::from_ref(&input),
        )
        .unwrap();
        assert!(!is_fresh(&artifact, "fp"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
