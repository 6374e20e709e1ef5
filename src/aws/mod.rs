//! AWS event shapes: the JSON documents AWS hands a Lambda function, and the
//! rules by which it reads what the function returns.
//!
//! This module owns the *shapes* only: API Gateway proxy events and responses
//! in both payload formats ([`apigw`]), S3 notifications ([`s3`]), SQS batches
//! ([`sqs`]) and EventBridge schedules ([`schedule`]), plus the generator
//! behind `wasmfaas event generate` ([`generate`]). It runs nothing and reads
//! no clock: every time, id and seed comes in as an argument, so the gateway,
//! the trigger dispatcher and the generator build byte-identical events from
//! the same inputs, and a recorded event replays exactly.
//!
//! Every event claims the account [`ACCOUNT_ID`] in the region [`REGION`]:
//! a local emulator has neither, and handlers that build ARNs or read
//! `awsRegion` expect real-looking values. `123456789012` is the account id
//! AWS itself uses in its documentation, so it can never be a real account.

pub mod apigw;
pub mod generate;
pub mod ids;
pub mod s3;
pub mod schedule;
pub mod sqs;
mod time;

pub use ids::IdSource;

/// The account every event claims to come from (AWS's own documentation example).
pub const ACCOUNT_ID: &str = "123456789012";

/// The region every event claims to come from.
pub const REGION: &str = "us-east-1";
