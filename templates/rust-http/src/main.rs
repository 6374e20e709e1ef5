//! `{{name}}`: answers `{{route}}?name=Ada` with `{"message":"Hello, Ada!"}`.
//!
//! A wasmfaas function speaking the `http` ABI: the host writes the request to
//! stdin and reads the response from stdout, and `serve` does both. Routing
//! (which method and path reach this function) is the host's job, declared in
//! `wasmfaas.toml`. Try it:
//!
//! ```text
//! wasmfaas invoke {{name}} --path '{{path}}?name=Ada'
//! ```

use wasmfaas_sdk::json::Value;
use wasmfaas_sdk::{Response, serve};

fn main() {
    serve(|req| {
        let name = req
            .query_param("name")
            .unwrap_or_else(|| "world".to_owned());
        // stderr is the function's log; stdout belongs to the response.
        eprintln!("{} {} for {name}", req.method(), req.path());
        let body = Value::object([("message", Value::from(format!("Hello, {name}!")))]);
        Response::json(body.to_json())
    });
}
