//! Every limit the state engine enforces, in one place, for the layers above
//! it (the guest ABI, the S3 endpoint, the CLI) to quote in their own errors.
//! KV limits follow Cloudflare Workers KV and S3 limits follow AWS S3, except
//! where docs/state.md says otherwise.

use std::time::Duration;

/// Longest KV key, in bytes of UTF-8.
pub const KV_MAX_KEY_BYTES: usize = 512;
/// Largest KV value: 25 MiB.
pub const KV_MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;
/// Largest KV metadata: 1024 bytes of JSON text.
pub const KV_MAX_METADATA_BYTES: usize = 1024;
/// Shortest KV expiration, from `now_ns` (Workers KV: 60 s).
pub const KV_MIN_TTL: Duration = Duration::from_secs(1);
/// Most keys one KV list call returns, and the default.
pub const KV_MAX_LIST_LIMIT: u32 = 1000;

/// Longest object key, in bytes of UTF-8.
pub const S3_MAX_KEY_BYTES: usize = 1024;
/// Largest body of one PUT, and of one part: 5 GiB.
pub const S3_MAX_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Most bytes of user metadata (names plus values).
pub const S3_MAX_USER_METADATA_BYTES: usize = 2 * 1024;
/// Most objects and common prefixes one list call returns, and the default.
pub const S3_MAX_LIST_KEYS: u32 = 1000;
/// Every part of a multipart upload but the last must be at least this big: 5 MiB.
pub const S3_MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
/// Part numbers run from 1 to this.
pub const S3_MAX_PART_NUMBER: u32 = 10_000;
/// The content type S3 gives an object stored without one.
pub const S3_DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// Bodies (KV values, objects, parts) up to this size are stored in their
/// SQLite row; larger ones in a file under `blobs/`.
pub const INLINE_BODY_BYTES: usize = 64 * 1024;
