//! The demo counter: `POST /counter/:name` adds one to the KV counter `name`
//! and answers `{"name":"visits","count":3}`. The count survives restarts of
//! `wasmfaas dev` (the state lives in `.wasmfaas/state`).

use wasmfaas_sdk::kv::Kv;
use wasmfaas_sdk::{Response, json, serve};

fn main() {
    serve(|req| {
        let Some(name) = req.param("name") else {
            return Response::text("no counter name in the path").with_status(400);
        };
        let counters = Kv::open("COUNTERS");
        let current = match counters.get(name) {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).parse::<u64>().unwrap_or(0),
            Ok(None) => 0,
            Err(error) => return Response::text(error.to_string()).with_status(500),
        };
        let count = current + 1;
        if let Err(error) = counters.put(name, count.to_string().as_bytes()) {
            return Response::text(error.to_string()).with_status(500);
        }
        Response::json(format!(
            "{{\"name\":{},\"count\":{count}}}",
            json::string(name)
        ))
    });
}
