//! Body files, hostile keys, reopening, crashes and concurrency.

use super::*;

// ---------------------------------------------------------------- keys as data

#[test]
fn hostile_keys_are_stored_as_data_and_create_no_files_outside_the_state_dir() {
    let dir = TempDir::new("hostile");
    // A sibling folder a path-joining bug would write into.
    let outside = dir.0.join("etc");
    std::fs::create_dir_all(&outside).unwrap();
    let state = open(&dir);
    bucket(&state);
    let long = "k".repeat(1024);
    let keys = [
        "../../etc/passwd",
        "../etc/x",
        "%2e%2e/%2e%2e/etc",
        "/absolute/path",
        "a\0b",
        "\0",
        "..",
        ".",
        "blobs/../state.sqlite",
        "con",
        "a\\..\\b",
        long.as_str(),
    ];
    for (i, key) in keys.iter().enumerate() {
        let body = pattern(70_000 + i, i as u8);
        state
            .put_object("bucket", key, &body, &PutOptions::default(), T0)
            .unwrap();
        assert_eq!(
            state.get_object("bucket", key, None).unwrap().1,
            body,
            "{key:?}"
        );
        state
            .kv_put(
                "ns",
                &key[..key.len().min(512)],
                &body,
                &KvPutOptions::default(),
                T0,
            )
            .ok();
    }
    let (listed, _, _) = list_all(&state, &ListRequest::default());
    assert_eq!(
        listed,
        sorted_by_bytes(keys.iter().map(|k| k.to_string()).collect())
    );
    let err = state
        .put_object("bucket", &"k".repeat(1025), b"", &PutOptions::default(), T0)
        .unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("KeyTooLongError", 400));
    let err = state
        .put_object("bucket", "", b"", &PutOptions::default(), T0)
        .unwrap_err();
    assert_eq!(err.code(), "InvalidArgument");

    assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
    let mut top: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    top.sort();
    assert_eq!(top, ["etc", "state"]);
    let blobs = dir.blob_files();
    assert_eq!(
        blobs.len(),
        keys.len() * 2 - 2,
        "objects plus the KV values (two keys are not KV keys)"
    );
    for name in &blobs {
        assert!(
            name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
    }
    let mut state_files: Vec<String> = std::fs::read_dir(dir.state_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("state.sqlite"))
        .collect();
    state_files.sort();
    assert_eq!(state_files, ["blobs"]);
}

// ---------------------------------------------------------------- files, reopen, durability

#[test]
fn large_bodies_live_in_blob_files_and_survive_reopening() {
    let dir = TempDir::new("reopen");
    let big = pattern(limits::INLINE_BODY_BYTES + 1, 7);
    let small = pattern(limits::INLINE_BODY_BYTES, 8);
    let seq_before;
    {
        let state = open(&dir);
        bucket(&state);
        put_obj(&state, "big", &big);
        seq_before = put_obj(&state, "small", &small).sequencer;
        state
            .kv_put("ns", "big", &big, &KvPutOptions::default(), T0)
            .unwrap();
        put(&state, "small", &small, T0);
        assert_eq!(
            dir.blob_files().len(),
            2,
            "only bodies over 64 KiB get a file"
        );
    }
    let state = open(&dir);
    assert_eq!(state.get_object("bucket", "big", None).unwrap().1, big);
    assert_eq!(state.get_object("bucket", "small", None).unwrap().1, small);
    assert_eq!(state.kv_get("ns", "big", T0).unwrap().unwrap().value, big);
    assert_eq!(
        state.kv_get("ns", "small", T0).unwrap().unwrap().value,
        small
    );
    assert!(put_obj(&state, "next", b"").sequencer > seq_before);

    // Overwriting and deleting remove the old files.
    put_obj(&state, "big", b"now small");
    state
        .kv_put(
            "ns",
            "big",
            &pattern(100_000, 1),
            &KvPutOptions::default(),
            T0,
        )
        .unwrap();
    assert_eq!(dir.blob_files().len(), 1);
    state.kv_delete("ns", "big").unwrap();
    assert!(dir.blob_files().is_empty());
}

#[test]
fn opening_sweeps_blob_files_left_by_a_crash_but_nothing_else() {
    let dir = TempDir::new("sweep");
    {
        let state = open(&dir);
        bucket(&state);
        put_obj(&state, "kept", &pattern(100_000, 1));
    }
    let blobs = dir.state_dir().join(BLOBS_DIR);
    let kept = dir.blob_files();
    std::fs::write(blobs.join("0123456789abcdef0123456789abcdef"), b"orphan").unwrap();
    std::fs::write(blobs.join("fedcba9876543210fedcba9876543210.tmp"), b"half").unwrap();
    std::fs::write(blobs.join("README"), b"not ours").unwrap();
    let state = open(&dir);
    let mut expected = kept.clone();
    expected.push("README".into());
    expected.sort();
    assert_eq!(dir.blob_files(), expected);
    assert_eq!(
        state.get_object("bucket", "kept", None).unwrap().1,
        pattern(100_000, 1)
    );
}

#[test]
fn a_blob_file_deleted_by_hand_is_reported_not_panicked_on() {
    let dir = TempDir::new("missing");
    let state = open(&dir);
    bucket(&state);
    put_obj(&state, "k", &pattern(100_000, 1));
    let name = dir.blob_files().remove(0);
    std::fs::remove_file(dir.state_dir().join(BLOBS_DIR).join(&name)).unwrap();
    let err = state.get_object("bucket", "k", None).unwrap_err();
    assert_eq!(err.http_status(), 500);
    assert!(err.to_string().contains(&name), "{err}");
    // Deleting the object still works.
    state.delete_object("bucket", "k").unwrap();
}

#[test]
fn two_handles_on_one_folder_see_each_others_writes() {
    // As a CLI and `wasmfaas dev` would, each with its own connections.
    let dir = TempDir::new("two");
    let a = open(&dir);
    let b = open(&dir);
    a.ensure_bucket("bucket", T0).unwrap();
    let body = pattern(100_000, 4);
    put_obj(&a, "k", &body);
    assert_eq!(b.get_object("bucket", "k", None).unwrap().1, body);
    put_obj(&b, "k", b"replaced");
    assert_eq!(a.get_object("bucket", "k", None).unwrap().1, b"replaced");
    assert!(dir.blob_files().is_empty());
}

#[test]
fn eight_threads_putting_500_keys_each_lose_nothing() {
    let dir = TempDir::new("threads");
    let state = open(&dir);
    bucket(&state);
    std::thread::scope(|s| {
        for t in 0..8 {
            let state = state.clone();
            s.spawn(move || {
                for i in 0..500 {
                    let key = format!("t{t}/k{i:03}");
                    state
                        .kv_put("ns", &key, key.as_bytes(), &KvPutOptions::default(), T0)
                        .unwrap();
                    if i % 50 == 0 {
                        state
                            .put_object(
                                "bucket",
                                &key,
                                &pattern(70_000, t),
                                &PutOptions::default(),
                                T0,
                            )
                            .unwrap();
                    }
                    // Readers run beside the writer.
                    assert_eq!(
                        state.kv_get("ns", &key, T0).unwrap().unwrap().value,
                        key.as_bytes()
                    );
                }
            });
        }
    });
    let (names, _) = all_kv_keys(&state, "", 1000, T0);
    assert_eq!(names.len(), 4000);
    for t in 0..8 {
        for i in 0..500 {
            let key = format!("t{t}/k{i:03}");
            assert_eq!(
                state.kv_get("ns", &key, T0).unwrap().unwrap().value,
                key.as_bytes()
            );
        }
    }
    assert_eq!(list_all(&state, &ListRequest::default()).0.len(), 80);
    assert_eq!(dir.blob_files().len(), 80);
}

#[test]
fn readers_never_see_a_missing_blob_while_a_writer_replaces_it() {
    let dir = TempDir::new("race");
    let state = open(&dir);
    bucket(&state);
    let bodies = [pattern(70_000, 1), pattern(70_000, 2)];
    put_obj(&state, "k", &bodies[0]);
    std::thread::scope(|s| {
        let writer = state.clone();
        let bodies_ref = &bodies;
        s.spawn(move || {
            for i in 0..200 {
                put_obj(&writer, "k", &bodies_ref[i % 2]);
            }
        });
        for _ in 0..2 {
            let reader = state.clone();
            s.spawn(move || {
                for _ in 0..300 {
                    let (_, body) = reader.get_object("bucket", "k", None).unwrap();
                    assert!(body == bodies_ref[0] || body == bodies_ref[1]);
                }
            });
        }
    });
}

// ---------------------------------------------------------------- crash

const CHILD_DIR_ENV: &str = "WASMFAAS_STATE_TEST_CHILD_DIR";

/// The writer half of the test below: runs only when that test starts it.
#[test]
fn sigkill_child_writes_until_killed() {
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let state = State::open(Path::new(&dir)).unwrap();
    state.ensure_bucket("bucket", T0).unwrap();
    for i in 0..100_000u32 {
        let key = format!("k{i:06}");
        if i % 4 == 0 {
            let body = pattern(70_000, i as u8);
            state
                .put_object("bucket", &key, &body, &PutOptions::default(), T0)
                .unwrap();
        } else {
            state
                .kv_put("ns", &key, key.as_bytes(), &KvPutOptions::default(), T0)
                .unwrap();
        }
        if i % 3 == 0 && i > 0 {
            // Overwrites and deletes remove blob files after the commit.
            let old = format!("k{:06}", (i - 1) / 4 * 4);
            state
                .put_object(
                    "bucket",
                    &old,
                    &pattern(70_000, 0),
                    &PutOptions::default(),
                    T0,
                )
                .unwrap();
        }
        println!("committed {i}");
    }
}

#[test]
fn writes_committed_before_a_sigkill_survive_it() {
    use std::io::BufRead;
    let dir = TempDir::new("sigkill");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "state::tests::files::sigkill_child_writes_until_killed",
            "--nocapture",
        ])
        .env(CHILD_DIR_ENV, dir.state_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut committed = None;
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        if let Some(i) = line.unwrap().strip_prefix("committed ") {
            let i: u32 = i.parse().unwrap();
            committed = Some(i);
            if i == 400 {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
    }
    child.wait().unwrap();
    let last = committed.expect("the child committed writes");
    assert_eq!(last, 400);

    let state = open(&dir);
    for i in 0..=last {
        let key = format!("k{i:06}");
        if i % 4 == 0 {
            let (_, body) = state.get_object("bucket", &key, None).unwrap();
            assert!(
                body == pattern(70_000, i as u8) || body == pattern(70_000, 0),
                "{key}"
            );
        } else {
            assert_eq!(
                state.kv_get("ns", &key, T0).unwrap().unwrap().value,
                key.as_bytes()
            );
        }
    }
    // After the sweep, every blob file belongs to an object.
    let objects = list_all(&state, &ListRequest::default()).0.len();
    assert_eq!(dir.blob_files().len(), objects);
}
