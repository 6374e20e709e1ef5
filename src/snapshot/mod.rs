//! Snapshot files for `wasmfaas test`, in insta's format so `cargo insta
//! review` and `cargo insta accept` work on them unchanged.
//!
//! This module owns the file format and nothing above it: the text of a
//! `.snap` file ([`Snapshot::to_file_text`], [`Snapshot::parse`]), where it
//! lives ([`snapshot_path`], [`pending_path`]), how it is written
//! ([`write_atomically`]), when two bodies count as equal ([`bodies_match`]),
//! how a difference is shown ([`diff`]), and how volatile values are blanked
//! before a body is compared ([`redact`]). It knows nothing of fixtures,
//! functions or the CLI: callers hand it strings, [`Info`] and JSON values and
//! decide what to do with the answers (such as never writing under `CI`).
//!
//! insta 1.49 is the reference. Where insta's behaviour contradicts itself we
//! choose the reading that keeps values intact, and say so where
//! it happens (`\r\r\n` in [`normalize_body`], strings like `0o17` in the
//! front matter, floats in [`Info`], object keys in [`redact`]).
//!
//! ```
//! use wasmfaas::snapshot::{Info, Snapshot};
//!
//! let mut snap = Snapshot::new("fixtures/hello/get.json", "HTTP 200\n\nhello\n");
//! snap.info = Some(Info::map([("status", Info::Integer(200))]));
//! let text = snap.to_file_text();
//! assert_eq!(text, "---\nsource: fixtures/hello/get.json\ninfo:\n  status: 200\n---\nHTTP 200\n\nhello\n");
//! assert!(Snapshot::parse(&text)?.matches("HTTP 200\r\n\r\nhello"));
//! # Ok::<(), wasmfaas::snapshot::SnapshotError>(())
//! ```

pub mod diff;
mod error;
mod file;
mod info;
pub mod redact;
mod yaml;

pub use error::{ParseProblem, SnapshotError};
pub use file::{
    Snapshot, bodies_match, normalize_body, pending_path, snapshot_path, write_atomically,
};
pub use info::Info;
