//! wasmfaas: a local FaaS emulator that runs serverless functions compiled to
//! WebAssembly in the `wasmi` interpreter.
//!
//! Data flows one way: [`config`] reads `wasmfaas.toml` into a validated
//! [`config::Project`]; [`build`] turns each function's source into a `.wasm`
//! artifact; [`runtime`] loads artifacts and runs one isolated invocation at a time
//! on the virtual, deterministic [`wasi`] layer; [`abi`] converts between the
//! host's requests and responses ([`http`]) and the bytes a guest reads and
//! writes.
//! [`bindings`] gives guests the KV namespaces and buckets of [`state`]; writes
//! to buckets reach subscribed functions through [`triggers`]. Whoever runs a
//! function (gateway, triggers, the CLI, replay) runs it through
//! [`pipeline`], which records, reports and hands on its changes. [`gateway`]
//! serves functions over HTTP, [`dev`] keeps what it serves in step with the
//! files, and [`s3api`] is the protocol real S3 clients speak. An invocation
//! recorded as a [`fixture`] runs again hermetically in [`replay`]. A
//! project meant for a cloud (`vendor = "aws"`) is checked against that
//! cloud's [`profile`]. [`cli`] wires them into commands.

pub mod abi;
pub mod activity;
mod atomic_file;
pub mod aws;
pub mod bindings;
pub mod build;
mod calendar;
pub mod cli;
pub mod config;
pub mod cost;
pub mod dashboard;
pub mod deployment;
pub mod dev;
pub mod fixture;
pub mod gateway;
mod guest_memory;
mod hex;
pub mod http;
pub mod http_pool;
pub mod human;
pub mod json_text;
pub mod outbound;
pub mod percent;
pub mod pipeline;
pub mod profile;
pub mod record;
pub mod replay;
pub mod router;
pub mod runtime;
pub mod s3api;
pub mod s3endpoint;
pub mod scaffold;
pub mod schedule;
pub mod secrets;
pub mod services;
pub mod snapshot;
pub mod state;
pub mod suite;
pub mod triggers;
pub mod wasi;
