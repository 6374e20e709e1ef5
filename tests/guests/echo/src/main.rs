//! Echoes the request: body byte for byte, and what it saw in headers.
use wasmfaas_sdk::{Response, serve};

fn main() {
    serve(|req| {
        eprintln!("echo: {} {} ({} bytes)", req.method(), req.path(), req.body().len());
        Response::new(200)
            .with_header("content-type", "application/octet-stream")
            .with_header("x-method", req.method())
            .with_header("x-query", req.query())
            .with_header("x-param-id", req.param("id").unwrap_or("-"))
            .with_header("x-greeting", std::env::var("GREETING").unwrap_or_default())
            .with_header(
                "x-accept",
                req.header_all("accept").collect::<Vec<_>>().join("|"),
            )
            .with_body(req.body().to_vec())
    });
}
