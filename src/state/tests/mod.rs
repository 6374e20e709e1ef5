//! Behaviour of the state engine, on real SQLite files in temp folders, by
//! area. Helpers shared by several areas live here.

mod files;
mod kv;
mod multipart;
mod s3;
mod schema;

use super::*;

const SEC: u64 = 1_000_000_000;
const T0: u64 = 1_700_000_000 * SEC;

/// A temp folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("wasmfaas-state-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn state_dir(&self) -> PathBuf {
        self.0.join("state")
    }

    /// Names in `blobs/`, sorted.
    fn blob_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.state_dir().join(BLOBS_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open(dir: &TempDir) -> State {
    State::open(&dir.state_dir()).unwrap()
}

/// Bytes that differ from part to part, so a mix-up shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn put(state: &State, key: &str, value: &[u8], now: u64) {
    state
        .kv_put("ns", key, value, &KvPutOptions::default(), now)
        .unwrap();
}

fn all_kv_keys(state: &State, prefix: &str, limit: u32, now: u64) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let request = KvListRequest {
            prefix: prefix.into(),
            limit,
            cursor,
        };
        let page = state.kv_list("ns", &request, now).unwrap();
        pages += 1;
        assert!(page.keys.len() <= limit as usize);
        assert_eq!(page.list_complete, page.cursor.is_none());
        names.extend(page.keys.into_iter().map(|k| k.name));
        if page.list_complete {
            return (names, pages);
        }
        cursor = page.cursor;
    }
}

fn sorted_by_bytes(mut keys: Vec<String>) -> Vec<String> {
    keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    keys
}

/// Keys that trip up naive ordering: prefixes of each other, NUL, multibyte
/// characters of every UTF-8 length, and characters whose UTF-16 order differs
/// from their UTF-8 order.
fn tricky_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "a",
        "a\0",
        "a\0b",
        "aa",
        "aaa",
        "a/",
        "a/b",
        "a/b/c",
        "ab",
        "b",
        "é",
        "é/x",
        "éa",
        "z",
        "~",
        "\u{7f}",
        "\u{80}",
        "\u{7ff}",
        "\u{800}",
        "\u{ffff}",
        "\u{10000}",
        "\u{10ffff}",
        "\u{ff61}",
        "\u{1f600}",
        "日本",
        "日本語",
        "A",
        "0",
        " ",
        "ß",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 0..200 {
        keys.push(format!("p/{i:03}/{}", ["x", "é", "日", "\u{1f600}"][i % 4]));
    }
    keys
}

fn bucket(state: &State) {
    state.create_bucket("bucket", T0).unwrap();
}

fn put_obj(state: &State, key: &str, body: &[u8]) -> ObjectMeta {
    state
        .put_object("bucket", key, body, &PutOptions::default(), T0)
        .unwrap()
}

fn list_all(state: &State, request: &ListRequest) -> (Vec<String>, Vec<String>, usize) {
    let mut request = request.clone();
    let (mut keys, mut prefixes, mut pages) = (Vec::new(), Vec::new(), 0);
    loop {
        let page = state.list_objects("bucket", &request).unwrap();
        pages += 1;
        assert!(page.objects.len() + page.common_prefixes.len() <= request.max_keys as usize);
        keys.extend(page.objects.iter().map(|o| o.key.clone()));
        prefixes.extend(page.common_prefixes.iter().cloned());
        if !page.is_truncated {
            assert_eq!(page.next_continuation_token, None);
            return (keys, prefixes, pages);
        }
        request.continuation_token = page.next_continuation_token;
    }
}
