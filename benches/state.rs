//! The state engine (src/state) on a real file: KV get+put pairs, reads from
//! several threads, S3 puts and gets of small and large bodies, listing.
//! Prints figures; asserts nothing. Run with `cargo bench --bench state`;
//! `BENCH_QUICK=1` for a short run. `BENCH_STATE_DIR` picks the folder (the
//! default is a fresh one under the system temp dir; its filesystem matters,
//! because large bodies are fsynced).
//!
//! Each figure is the median of several rounds. Beside the wall-clock rate it
//! prints the CPU time the calling thread spent per operation (user + system,
//! so SQLite's syscalls count), which stays steady when other processes load
//! the machine and the wall-clock rate does not.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use wasmfaas::state::{ByteRange, KvListRequest, KvPutOptions, ListRequest, PutOptions, State};

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let scale = if quick { 1 } else { 4 };
    let rounds = if quick { 3 } else { 5 };
    let dir = match std::env::var_os("BENCH_STATE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("wasmfaas-bench-state-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "state dir: {}  ({rounds} rounds each, median)",
        dir.display()
    );
    let state = State::open(&dir).expect("open state");
    let none = KvPutOptions::default();
    // Every write stores new bytes: SQLite skips writing a page that an update
    // left unchanged, which would flatter the figures.
    let mut value = vec![7u8; 100];
    let mut counter = 0usize;
    let mut fresh = |bytes: &mut Vec<u8>| {
        counter += 1;
        vary(bytes, counter)
    };
    for i in 0..1000 {
        state
            .kv_put("bench", &format!("user:{i}"), &fresh(&mut value), &none, 0)
            .unwrap();
    }

    let n = 5_000 * scale;
    measure("kv get+put pair, 100 B values", "pairs", n, rounds, || {
        for i in 0..n {
            let key = format!("user:{}", i % 1000);
            let _ = state.kv_get("bench", &key, 0).unwrap();
            state
                .kv_put("bench", &key, &fresh(&mut value), &none, 0)
                .unwrap();
        }
    });
    measure("kv put", "puts", n, rounds, || {
        for i in 0..n {
            let key = format!("user:{}", i % 1000);
            state
                .kv_put("bench", &key, &fresh(&mut value), &none, 0)
                .unwrap();
        }
    });
    measure("kv get", "gets", n, rounds, || {
        for i in 0..n {
            state
                .kv_get("bench", &format!("user:{}", i % 1000), 0)
                .unwrap()
                .unwrap();
        }
    });
    for threads in [2, 4] {
        let per = n / threads;
        let label = format!("kv get, {threads} threads");
        measure(&label, "gets", per * threads, rounds, || {
            std::thread::scope(|s| {
                for t in 0..threads {
                    let state = state.clone();
                    s.spawn(move || {
                        for i in 0..per {
                            let key = format!("user:{}", (i + t) % 1000);
                            state.kv_get("bench", &key, 0).unwrap().unwrap();
                        }
                    });
                }
            });
        });
    }
    measure(
        "kv list, pages of 1000 keys",
        "pages",
        50 * scale,
        rounds,
        || {
            for _ in 0..50 * scale {
                let page = state
                    .kv_list("bench", &KvListRequest::default(), 0)
                    .unwrap();
                assert_eq!(page.keys.len(), 1000);
            }
        },
    );

    state.ensure_bucket("bench", 0).unwrap();
    let options = PutOptions::default();
    let mut small = vec![1u8; 1024];
    let m = 2_500 * scale;
    measure("s3 put 1 KiB", "puts", m, rounds, || {
        for i in 0..m {
            let key = format!("dir{}/obj{}", i % 10, i % 1000);
            state
                .put_object("bench", &key, &fresh(&mut small), &options, 0)
                .unwrap();
        }
    });
    measure("s3 get 1 KiB", "gets", m, rounds, || {
        for i in 0..m {
            let key = format!("dir{}/obj{}", i % 10, i % 1000);
            state.get_object("bench", &key, None).unwrap();
        }
    });
    let flat = ListRequest::default();
    measure("s3 list 1000 objects", "pages", 50 * scale, rounds, || {
        for _ in 0..50 * scale {
            assert_eq!(
                state.list_objects("bench", &flat).unwrap().objects.len(),
                1000
            );
        }
    });
    let grouped = ListRequest {
        delimiter: Some("/".into()),
        ..Default::default()
    };
    measure(
        "s3 list, delimiter: 10 prefixes",
        "pages",
        500 * scale,
        rounds,
        || {
            for _ in 0..500 * scale {
                assert_eq!(
                    state
                        .list_objects("bench", &grouped)
                        .unwrap()
                        .common_prefixes
                        .len(),
                    10
                );
            }
        },
    );

    let mut big = vec![3u8; 1024 * 1024];
    let b = 20 * scale;
    measure(
        "s3 put 1 MiB (blob file, fsynced)",
        "puts",
        b,
        rounds,
        || {
            for i in 0..b {
                let key = format!("big/{}", i % 20);
                state
                    .put_object("bench", &key, &fresh(&mut big), &options, 0)
                    .unwrap();
            }
        },
    );
    measure("s3 get 1 MiB", "gets", b, rounds, || {
        for i in 0..b {
            state
                .get_object("bench", &format!("big/{}", i % 20), None)
                .unwrap();
        }
    });
    let range = ByteRange::FromTo {
        first: 4096,
        last: 8191,
    };
    measure(
        "s3 get 4 KiB range of 1 MiB",
        "gets",
        b * 10,
        rounds,
        || {
            for i in 0..b * 10 {
                let key = format!("big/{}", i % 20);
                state.get_object("bench", &key, Some(range)).unwrap();
            }
        },
    );

    drop(state);
    let start = Instant::now();
    let reopened = State::open(&dir).unwrap();
    println!(
        "reopen (schema check + blob sweep): {:.2} ms",
        ms(start.elapsed())
    );
    drop(reopened);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `f` (which performs `ops` operations) `rounds` times and prints the
/// median rate and CPU time per operation.
fn measure(label: &str, unit: &str, ops: usize, rounds: usize, mut f: impl FnMut()) {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..rounds {
        let (start, start_cpu) = (Instant::now(), thread_cpu());
        f();
        wall.push(start.elapsed());
        cpu.push(thread_cpu() - start_cpu);
    }
    wall.sort();
    cpu.sort();
    let median_wall = wall[rounds / 2];
    let per_op_us = cpu[rounds / 2].as_secs_f64() * 1e6 / ops as f64;
    // Work done on other threads does not show in this thread's CPU time.
    let cpu = if cpu[rounds / 2] < median_wall / 10 {
        "cpu on other threads".to_owned()
    } else {
        format!("cpu {per_op_us:>7.2} µs/op")
    };
    println!(
        "{label:<36} {:>9.0} {unit}/s  (range {:.0}–{:.0}); {cpu}",
        ops as f64 / median_wall.as_secs_f64(),
        ops as f64 / wall[rounds - 1].as_secs_f64(),
        ops as f64 / wall[0].as_secs_f64(),
    );
}

/// CPU time of the calling thread (user + system).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `bytes` with its first 8 bytes set to `i`.
fn vary(bytes: &mut [u8], i: usize) -> Vec<u8> {
    bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
    bytes.to_vec()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
