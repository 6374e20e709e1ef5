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
//! [`cors`] decides which browser origins may use a bucket.
//!
//! Every failure is an [`S3Error`] carrying the AWS error code and HTTP
//! status that clients expect. The modules are tested against requests
//! recorded from real boto3 (tests/s3_clients/captured) and against the
//! worked examples in the AWS SigV4 documentation.
//!
//! ```
//! use wasmfaas::s3api::request::{self, Operation};
//! use wasmfaas::s3api::{chunked, xml, Headers, RawRequest};
//!
//! // A PutObject as boto3 sends it over plain HTTP (its signature left out:
//! // `sigv4::verify` comes first when credentials are configured).
//! let headers = Headers::new([
//!     ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
//!     ("x-amz-checksum-crc32", "ihBq/g=="),
//!     ("x-amz-meta-Owner", "Ada"),
//! ]);
//! let put = RawRequest { method: "PUT", path: "/photos/cat%20pic.txt", query: "", headers: &headers };
//!
//! // Which operation, on what?
//! let Operation::PutObject { bucket, key, meta, .. } = request::route(&put)? else { unreachable!() };
//! assert_eq!((bucket.as_str(), key.as_str()), ("photos", "cat pic.txt"));
//! assert_eq!(meta.user["owner"], "Ada");
//!
//! // The object's bytes, checked against the client's checksum, which the
//! // response echoes back.
//! let body = chunked::decode(&headers, b"meow", None)?;
//! assert_eq!((body.data.as_slice(), body.checksum.unwrap().value.as_str()), (&b"meow"[..], "ihBq/g=="));
//!
//! // Failures answer with S3's code, status and error document.
//! let bad = RawRequest { path: "/photos/%FF", ..put };
//! let error = request::route(&bad).unwrap_err();
//! assert_eq!((error.code(), error.status()), ("InvalidURI", 400));
//! assert!(xml::error_document(&error, bad.path, "req-1").contains("<Code>InvalidURI</Code>"));
//! # Ok::<(), wasmfaas::s3api::S3Error>(())
//! ```

pub mod checksum;
pub mod chunked;
pub mod cors;
pub mod error;
pub mod headers;
mod percent;
pub mod request;
pub mod sigv4;
pub mod time;
pub mod xml;

pub use error::{ErrorCode, S3Error};
pub use headers::{Headers, RawRequest};
