//! Answers with everything a guest could use to be nondeterministic: the
//! clock, the iteration order of std's randomly seeded `HashMap`, a
//! `RandomState` hash and random bytes (all from WASI). A replay must give
//! the same answer every time for the same time and seed.
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use wasmfaas_sdk::{Response, serve};

fn main() {
    serve(|request| {
        let started = Instant::now();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let map: HashMap<String, usize> = (0..16).map(|i| (format!("key{i}"), i)).collect();
        let order: Vec<&str> = map.keys().map(String::as_str).collect();
        let mut random = [0u8; 16];
        // `RandomState` draws its keys from WASI `random_get`; so does this.
        for (i, chunk) in random.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(&RandomState::new().hash_one(i).to_le_bytes());
        }
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!("body {} bytes", request.body().len());
        Response::text(format!(
            "realtime_ns {}\nhashmap_order {}\nrandom {hex}\nelapsed_ns {}\n",
            now.as_nanos(),
            order.join(","),
            started.elapsed().as_nanos()
        ))
    });
}
