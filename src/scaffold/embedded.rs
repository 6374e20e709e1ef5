//! The files `wasmfaas new` writes, compiled into the binary: the guest SDK's
//! sources and the templates under `templates/`.
//!
//! Embedded rather than read from disk so that the binary alone can create a
//! project anywhere, with no checkout of this repository and no network. The
//! lists are written out by hand; a test compares them with the folders, so a
//! file added to `sdk/src` or `templates/` and not listed here fails the build's
//! tests rather than silently missing from new projects.

/// A file compiled in: its path relative to the repository root, and its text.
pub type EmbeddedFile = (&'static str, &'static str);

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path)))),*]
    };
}

/// The guest SDK (`sdk/`): its manifest and every source file.
pub const SDK_FILES: &[EmbeddedFile] = embed![
    "sdk/Cargo.toml",
    "sdk/src/alloc.rs",
    "sdk/src/base64.rs",
    "sdk/src/binary.rs",
    "sdk/src/error.rs",
    "sdk/src/head.rs",
    "sdk/src/host.rs",
    "sdk/src/http.rs",
    "sdk/src/json.rs",
    "sdk/src/json_value.rs",
    "sdk/src/kv.rs",
    "sdk/src/lambda.rs",
    "sdk/src/lib.rs",
    "sdk/src/s3.rs",
    "sdk/src/stdio.rs",
    "sdk/src/tests.rs",
];

/// Every file under `templates/`.
pub const TEMPLATE_FILES: &[EmbeddedFile] = embed![
    "templates/_project/.gitignore",
    "templates/_project/README.md",
    "templates/_project/wasmfaas.toml",
    "templates/c-cgi/.gitignore",
    "templates/c-cgi/function.toml",
    "templates/c-cgi/main.c",
    "templates/rust-http/Cargo.toml",
    "templates/rust-http/function.toml",
    "templates/rust-http/src/main.rs",
    "templates/rust-lambda/Cargo.toml",
    "templates/rust-lambda/function.toml",
    "templates/rust-lambda/src/main.rs",
    "templates/wat/function.toml",
    "templates/wat/main.wat",
];
