//! A guest for `instances = "warm"`: counts the requests its instance has
//! served in a static, and answers `<count> <name>`; `?panic=1` panics.

use std::sync::atomic::{AtomicU32, Ordering};
use wasmfaas_sdk::Response;

static SERVED: AtomicU32 = AtomicU32::new(0);

wasmfaas_sdk::http_main!(|req| {
    let count = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
    if req.query_param("panic").is_some() {
        panic!("asked to panic on request {count}");
    }
    let name = req.query_param("name").unwrap_or_default();
    eprintln!("request {count}");
    Response::text(format!("{count} {name}"))
});
