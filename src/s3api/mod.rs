//! The protocol of an S3-compatible HTTP endpoint (path-style addressing),
//! as pure functions: no server, no storage, no clock.
//!
//! The endpoint that serves the project's buckets to aws-cli and boto3 is
//! built from these pieces, in request order:
//!
//! 1. [`sigv4`] authenticates the request (SigV4 header or presigned URL,
//!    and SigV2 presigned URLs, which boto3 still makes by default);
//! 2. [`request`] decides the S3 operation and its parameters from method,
//!    path, query and headers;
//! 3. [`chunked`] turns the body into the object's bytes (aws-chunked or
//!    plain) and checks its integrity ([`checksum`]);
//! 4. the storage engine does the work (elsewhere);
//! 5. [`xml`] writes the response document, or the error document for an
//!    [`S3Error`].
//!
//! Every failure is an [`S3Error`] carrying the AWS error code and HTTP
//! status that clients expect. The modules are tested against requests
//! recorded from real boto3 (tests/s3_clients/captured) and against the
//! worked examples in the AWS SigV4 documentation.

pub mod checksum;
pub mod chunked;
pub mod error;
pub mod headers;
mod percent;
pub mod request;
pub mod sigv4;
pub mod time;
pub mod xml;

pub use error::{ErrorCode, S3Error};
pub use headers::{Headers, RawRequest};
