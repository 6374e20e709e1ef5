//! Guest ABIs: how a trigger becomes the bytes a guest reads, and how the bytes it
//! writes become a response.
//!
//! Each ABI (`abi = "..."` in config) lives in its own file and owns both
//! directions of its conversion. ABIs sit between the callers (CLI, gateway) and
//! the [`runtime`](crate::runtime), which only ever sees stdin, stdout and stderr.

pub mod cgi;
pub mod http;
