//! The S3 event notification record now lives with the other AWS event
//! shapes in [`crate::aws::s3`]; this path stays so existing callers keep
//! working.

pub use crate::aws::s3::{REGION, encode_key, notification};
