//! The demo function: `GET /hello?name=Ada` answers `{"message":"Hello, Ada!"}`.
//!
//! `http_main!` gives it both entries: `main` for a fresh instance per
//! request, and `wasmfaas_handle` for `instances = "warm"`.

use wasmfaas_sdk::{Response, json};

wasmfaas_sdk::http_main!(|req| {
    // Routing (method and path) is the host's job, per wasmfaas.toml.
    let name = req
        .query_param("name")
        .unwrap_or_else(|| "world".to_owned());
    let message = json::string(&format!("Hello, {name}!"));
    Response::json(format!("{{\"message\":{message}}}"))
});
