//! Prints everything a guest can observe of its host through WASI, one fact per
//! line, so tests can check isolation and determinism. Plain std: no SDK.
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    println!("realtime_ns {}", now.as_nanos());
    let start = Instant::now();
    let mut map = HashMap::new();
    for i in 0..16 {
        map.insert(format!("key{i}"), i);
    }
    let order: Vec<_> = map.keys().cloned().collect();
    println!("hashmap_order {}", order.join(","));
    println!("random_state_hash {}", RandomState::new().hash_one("x"));
    // Ten minutes: were sleeping to block a host thread, the test would hang.
    std::thread::sleep(Duration::from_secs(600));
    println!("slept_ms {}", start.elapsed().as_millis());
    println!("args {:?}", std::env::args().collect::<Vec<_>>());
    let mut env: Vec<_> = std::env::vars().collect();
    env.sort();
    println!("env {env:?}");
    println!("read_etc_passwd {:?}", std::fs::read("/etc/passwd").map_err(|e| e.kind()));
    println!("read_relative {:?}", std::fs::read("Cargo.toml").map_err(|e| e.kind()));
    println!("current_dir {:?}", std::env::current_dir().map_err(|e| e.kind()));
    println!("stdin_bytes {}", input.len());
    // A guest whose HashMap differs per run would break replays: Debug-print one.
    let small: HashMap<u8, u8> = (0..8).map(|i| (i, i * 2)).collect();
    println!("hashmap_debug {small:?}");
    eprintln!("probe done");
}
