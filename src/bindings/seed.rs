//! Making the state ready for a project: every declared bucket exists, and
//! empty namespaces and buckets get their seed files (`docs/config.md`).
//!
//! Seeds only fill what is empty, so a restart never overwrites data the
//! functions wrote, and deleting the state folder starts over from the seeds.

use crate::config::Project;
use crate::state::{KvListRequest, KvPutOptions, ListRequest, PutOptions, State};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::path::{Path, PathBuf};

/// Why a seed could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "seed {path} is not valid: {reason}; write a JSON object of key → string, or key → \
         {{\"value\": \"...\"}} / {{\"value_base64\": \"...\"}} with an optional \"metadata\""
    )]
    Invalid { path: PathBuf, reason: String },
    #[error("seeding {what}: {reason}")]
    Store { what: String, reason: String },
}

/// What was seeded, for the console.
#[derive(Debug, Default)]
pub struct Seeded {
    /// `(namespace or bucket, entries loaded)`.
    pub loaded: Vec<(String, usize)>,
    /// KV entries whose TTL had passed, deleted to reclaim their space.
    pub purged: u64,
}

/// Creates the project's buckets, seeds empty namespaces and buckets, and
/// deletes KV entries expired by `now_ns` (reads already skip them; this
/// gives their space back, once per start rather than on the request path).
///
/// # Errors
/// A [`SeedError`] naming the seed file and what is wrong with it.
pub fn prepare(state: &State, project: &Project, now_ns: u64) -> Result<Seeded, SeedError> {
    let mut seeded = Seeded {
        purged: state
            .kv_purge_expired(now_ns)
            .map_err(|e| store_error("expired KV entries", e))?,
        ..Seeded::default()
    };
    for bucket in project.s3.values() {
        state
            .ensure_bucket(&bucket.name, now_ns)
            .map_err(|e| store_error(&format!("bucket `{}`", bucket.name), e))?;
        let Some(seed) = &bucket.seed else { continue };
        let listing = ListRequest {
            max_keys: 1,
            ..ListRequest::default()
        };
        let empty = state
            .list_objects(&bucket.name, &listing)
            .map_err(|e| store_error(&format!("bucket `{}`", bucket.name), e))?
            .objects
            .is_empty();
        if empty {
            let count = seed_bucket(state, &bucket.name, seed, now_ns)?;
            seeded.loaded.push((bucket.name.clone(), count));
        }
    }
    for namespace in project.kv.values() {
        let Some(seed) = &namespace.seed else {
            continue;
        };
        let listing = KvListRequest {
            prefix: String::new(),
            limit: 1,
            cursor: None,
        };
        let empty = state
            .kv_list(&namespace.name, &listing, now_ns)
            .map_err(|e| store_error(&format!("KV namespace `{}`", namespace.name), e))?
            .keys
            .is_empty();
        if empty {
            let count = seed_namespace(state, &namespace.name, seed, now_ns)?;
            seeded.loaded.push((namespace.name.clone(), count));
        }
    }
    Ok(seeded)
}

fn store_error(what: &str, error: impl std::fmt::Display) -> SeedError {
    SeedError::Store {
        what: what.to_string(),
        reason: error.to_string(),
    }
}

/// Every file under `dir` becomes an object keyed by its path relative to it.
fn seed_bucket(state: &State, bucket: &str, dir: &Path, now_ns: u64) -> Result<usize, SeedError> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    for file in &files {
        let body = std::fs::read(file).map_err(|source| SeedError::Read {
            path: file.clone(),
            source,
        })?;
        let key = file
            .strip_prefix(dir)
            .unwrap_or(file)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let meta = state
            .put_object(bucket, &key, &body, &PutOptions::default(), now_ns)
            .map_err(|e| store_error(&format!("`{key}` into bucket `{bucket}`"), e))?;
        // Seeding sets the stage; it is not an event functions should see
        // (it never was), so its writes leave nothing owed in the outbox.
        state
            .event_done(&meta.sequencer)
            .map_err(|e| store_error(&format!("`{key}` into bucket `{bucket}`"), e))?;
    }
    Ok(files.len())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SeedError> {
    let read_error = |source| SeedError::Read {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// A JSON object of key → string or key → `{value | value_base64, metadata}`.
fn seed_namespace(
    state: &State,
    namespace: &str,
    file: &Path,
    now_ns: u64,
) -> Result<usize, SeedError> {
    let text = std::fs::read(file).map_err(|source| SeedError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let invalid = |reason: String| SeedError::Invalid {
        path: file.to_path_buf(),
        reason,
    };
    let json: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
    let entries = json
        .as_object()
        .ok_or_else(|| invalid("the top level is not an object".into()))?;
    for (key, entry) in entries {
        let (value, metadata) = match entry {
            serde_json::Value::String(text) => (text.clone().into_bytes(), None),
            serde_json::Value::Object(fields) => {
                let value = match (fields.get("value"), fields.get("value_base64")) {
                    (Some(serde_json::Value::String(text)), None) => text.clone().into_bytes(),
                    (None, Some(serde_json::Value::String(encoded))) => BASE64
                        .decode(encoded)
                        .map_err(|e| invalid(format!("`{key}`: value_base64: {e}")))?,
                    _ => {
                        return Err(invalid(format!(
                            "`{key}` needs exactly one of \"value\" or \"value_base64\", as a string"
                        )));
                    }
                };
                (value, fields.get("metadata").map(ToString::to_string))
            }
            _ => {
                return Err(invalid(format!(
                    "`{key}` is neither a string nor an object"
                )));
            }
        };
        let options = KvPutOptions {
            metadata,
            ..KvPutOptions::default()
        };
        state
            .kv_put(namespace, key, &value, &options, now_ns)
            .map_err(|e| store_error(&format!("`{key}` into KV namespace `{namespace}`"), e))?;
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(dir: &Path, kv_seed: &str) -> Project {
        std::fs::create_dir_all(dir.join("seed/photos/2026")).unwrap();
        std::fs::write(dir.join("seed/photos/2026/a.txt"), "A").unwrap();
        std::fs::write(dir.join("seed/photos/b.txt"), "B").unwrap();
        std::fs::write(dir.join("seed/users.json"), kv_seed).unwrap();
        let config = "[project]\nname = \"t\"\n\
                      [kv.USERS]\nseed = \"seed/users.json\"\n\
                      [s3.photos]\nseed = \"seed/photos\"\n\
                      [s3.empty]\n";
        Project::parse(config, &dir.join("wasmfaas.toml")).unwrap()
    }

    #[test]
    fn seeds_fill_empty_namespaces_and_buckets_once() {
        let dir = std::env::temp_dir().join(format!("wasmfaas-seed-{}", std::process::id()));
        let project = project(
            &dir,
            r#"{"ada": "text", "bin": {"value_base64": "AAEC", "metadata": {"k": 1}}}"#,
        );
        let state = State::in_memory().unwrap();
        let seeded = prepare(&state, &project, 0).unwrap();
        assert_eq!(
            seeded.loaded,
            [("photos".to_string(), 2), ("USERS".to_string(), 2)]
        );
        assert!(state.head_bucket("empty").is_ok(), "declared buckets exist");
        let (_, body) = state.get_object("photos", "2026/a.txt", None).unwrap();
        assert_eq!(body, b"A");
        let bin = state.kv_get("USERS", "bin", 0).unwrap().unwrap();
        assert_eq!(
            (bin.value, bin.metadata.as_deref()),
            (vec![0, 1, 2], Some("{\"k\":1}"))
        );

        // A function's write survives the next start: seeds fill only what is empty.
        state
            .kv_put("USERS", "ada", b"changed", &KvPutOptions::default(), 0)
            .unwrap();
        let again = prepare(&state, &project, 0).unwrap();
        assert!(again.loaded.is_empty());
        assert_eq!(
            state.kv_get("USERS", "ada", 0).unwrap().unwrap().value,
            b"changed"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_start_deletes_expired_kv_entries_and_keeps_the_rest() {
        let dir = std::env::temp_dir().join(format!("wasmfaas-purge-{}", std::process::id()));
        let project = project(&dir, "{}");
        let state = State::in_memory().unwrap();
        let minute = KvPutOptions {
            expiration_ttl: Some(std::time::Duration::from_secs(60)),
            ..KvPutOptions::default()
        };
        state.kv_put("USERS", "short", b"1", &minute, 0).unwrap();
        state
            .kv_put("USERS", "kept", b"2", &KvPutOptions::default(), 0)
            .unwrap();
        assert_eq!(prepare(&state, &project, 59_000_000_000).unwrap().purged, 0);
        let later = prepare(&state, &project, 61_000_000_000).unwrap();
        assert_eq!(later.purged, 1);
        // Gone from the table, not only hidden: a read at time 0 misses it.
        assert!(state.kv_get("USERS", "short", 0).unwrap().is_none());
        assert!(state.kv_get("USERS", "kept", 0).unwrap().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_bad_seed_names_the_file_and_the_entry() {
        let dir = std::env::temp_dir().join(format!("wasmfaas-badseed-{}", std::process::id()));
        let project = project(&dir, r#"{"ada": 42}"#);
        let error = prepare(&State::in_memory().unwrap(), &project, 0).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("users.json") && message.contains("`ada`"),
            "{message}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
