//! The demo function: `GET /hello?name=Ada` answers `{"message":"Hello, Ada!"}`.

use wasmfaas_sdk::{Response, json, serve};

fn main() {
    serve(|req| {
        // Routing (method and path) is the host's job, per wasmfaas.toml.
        let name = req
            .query_param("name")
            .unwrap_or_else(|| "world".to_owned());
        let message = json::string(&format!("Hello, {name}!"));
        Response::json(format!("{{\"message\":{message}}}"))
    });
}
