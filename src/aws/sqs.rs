//! SQS batches as Lambda's event source mapping delivers them, and the partial
//! batch response a function may return.
//!
//! The record follows the Lambda developer guide ("Using Lambda with Amazon
//! SQS"). The response rules follow "Handling errors for an SQS event source":
//! with `ReportBatchItemFailures` on, Lambda deletes every message except the
//! ones the function names in `batchItemFailures`; an empty or `null` list,
//! an empty object or `null` mean the whole batch succeeded, and a response it
//! cannot read — invalid JSON, a missing, `null` or empty `itemIdentifier`,
//! or one naming a message not in the batch — means the whole batch failed
//! and every message is retried.

use super::{ACCOUNT_ID, REGION};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};
use serde_json::{Value, json};

/// The `SenderId` of every message: the IAM user id of AWS's own example.
pub const SENDER_ID: &str = "AIDAIENQZJOLO23YVJ4VO";

/// One message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsMessage {
    /// `messageId`, a UUID in AWS.
    pub message_id: String,
    /// The message body, as sent.
    pub body: String,
    /// When it was sent, nanoseconds since the epoch (`SentTimestamp`).
    pub sent_ns: u64,
    /// How many times it has been received, this delivery included (1 the first time).
    pub receive_count: u32,
}

/// `arn:aws:sqs:us-east-1:123456789012:<queue>`.
pub fn queue_arn(queue: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue}")
}

/// `{"Records": [ … ]}` for `messages` received from `queue` (its name).
pub fn event(queue: &str, messages: &[SqsMessage]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|message| {
            let sent_ms = (message.sent_ns / 1_000_000).to_string();
            json!({
                "messageId": message.message_id,
                "receiptHandle": receipt_handle(queue, message),
                "body": message.body,
                "attributes": {
                    "ApproximateReceiveCount": message.receive_count.to_string(),
                    "SentTimestamp": sent_ms,
                    "SenderId": SENDER_ID,
                    "ApproximateFirstReceiveTimestamp": sent_ms,
                },
                "messageAttributes": {},
                "md5OfBody": md5_hex(message.body.as_bytes()),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn(queue),
                "awsRegion": REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// An opaque handle, as AWS's are, but derived from the queue, the message
/// and the delivery so the same inputs give the same event.
fn receipt_handle(queue: &str, message: &SqsMessage) -> String {
    let text = format!(
        "wasmfaas:{queue}:{}:{}",
        message.message_id, message.receive_count
    );
    BASE64.encode(text)
}

/// The MD5 digest of `bytes` in lower-case hex, as `md5OfBody` carries it.
pub fn md5_hex(bytes: &[u8]) -> String {
    crate::hex::hex(&Md5::digest(bytes))
}

/// A partial batch response Lambda cannot read: the whole batch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchResponseError {
    #[error(
        "the return value is not JSON ({reason}); it starts with {start:?}. Lambda treats \
         the whole batch as failed; return {{\"batchItemFailures\": []}} when all succeeded"
    )]
    NotJson { reason: String, start: String },
    #[error(
        "the return value is a JSON {found}, not a batch response; Lambda treats the whole \
         batch as failed. Return {{\"batchItemFailures\": [{{\"itemIdentifier\": \"<messageId>\"}}]}}"
    )]
    NotAnObject { found: &'static str },
    #[error(
        "`batchItemFailures` is not an array; Lambda treats the whole batch as failed. \
         Write {{\"batchItemFailures\": [{{\"itemIdentifier\": \"<messageId>\"}}]}}"
    )]
    NotAList,
    #[error(
        "`batchItemFailures[{index}]` has no `itemIdentifier` string (it is {found}); \
         Lambda treats the whole batch as failed"
    )]
    BadIdentifier { index: usize, found: String },
    #[error(
        "`batchItemFailures[{index}].itemIdentifier` is empty; Lambda treats the whole \
         batch as failed. Give the failed message's `messageId`"
    )]
    EmptyIdentifier { index: usize },
    #[error(
        "`batchItemFailures[{index}].itemIdentifier` is {id:?}, which is not the \
         `messageId` of any message in the batch; Lambda treats the whole batch as failed"
    )]
    UnknownIdentifier { index: usize, id: String },
}

/// The ids of the messages that failed, from what a function returned for a
/// batch of the messages `message_ids`; an empty list when all succeeded.
///
/// # Errors
/// A [`BatchResponseError`] when Lambda would not understand the response
/// and so treat every message in the batch as failed.
pub fn batch_item_failures(
    returned: &[u8],
    message_ids: &[&str],
) -> Result<Vec<String>, BatchResponseError> {
    let text = returned.trim_ascii();
    if text.is_empty() {
        return Ok(Vec::new()); // a handler that returns nothing
    }
    let value: Value =
        serde_json::from_slice(text).map_err(|error| BatchResponseError::NotJson {
            reason: error.to_string(),
            start: String::from_utf8_lossy(&text[..text.len().min(60)]).into_owned(),
        })?;
    let fields = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Object(fields) => fields,
        other => {
            return Err(BatchResponseError::NotAnObject {
                found: match other {
                    Value::Bool(_) => "boolean",
                    Value::Number(_) => "number",
                    Value::String(_) => "string",
                    _ => "array",
                },
            });
        }
    };
    let items = match fields.get("batchItemFailures") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(BatchResponseError::NotAList),
    };
    let mut failed = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let id = match item.get("itemIdentifier") {
            Some(Value::String(id)) => id,
            other => {
                return Err(BatchResponseError::BadIdentifier {
                    index,
                    found: match other {
                        None => "missing".into(),
                        Some(value) => value.to_string(),
                    },
                });
            }
        };
        if id.is_empty() {
            return Err(BatchResponseError::EmptyIdentifier { index });
        }
        if !message_ids.contains(&id.as_str()) {
            return Err(BatchResponseError::UnknownIdentifier {
                index,
                id: id.clone(),
            });
        }
        if !failed.contains(id) {
            failed.push(id.clone());
        }
    }
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, body: &str) -> SqsMessage {
        SqsMessage {
            message_id: id.into(),
            body: body.into(),
            sent_ns: 1_545_082_649_183_000_000,
            receive_count: 1,
        }
    }

    #[test]
    fn md5_matches_known_vectors() {
        // RFC 1321's test suite, and AWS's example record (body "test").
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(b"test"), "098f6bcd4621d373cade4e832627b4f6");
    }

    #[test]
    fn a_record_has_the_aws_shape() {
        let event = event(
            "my-queue",
            &[message("059f36b4-87a3-44ab-83d2-661975830a7d", "test")],
        );
        let record = &event["Records"][0];
        assert_eq!(record["messageId"], "059f36b4-87a3-44ab-83d2-661975830a7d");
        assert_eq!(record["body"], "test");
        assert_eq!(record["md5OfBody"], "098f6bcd4621d373cade4e832627b4f6");
        assert_eq!(record["attributes"]["SentTimestamp"], "1545082649183");
        assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
        assert_eq!(record["eventSource"], "aws:sqs");
        assert_eq!(
            record["eventSourceARN"],
            "arn:aws:sqs:us-east-1:123456789012:my-queue"
        );
        assert_eq!(record["awsRegion"], "us-east-1");
        assert!(
            record["receiptHandle"]
                .as_str()
                .is_some_and(|h| !h.is_empty())
        );
    }

    #[test]
    fn every_message_is_one_record_with_its_own_handle() {
        let event = event("q", &[message("a", "1"), message("b", "2")]);
        let records = event["Records"].as_array().unwrap();
        assert_eq!(records.len(), 2);
        assert_ne!(records[0]["receiptHandle"], records[1]["receiptHandle"]);
    }

    #[test]
    fn empty_and_null_responses_mean_the_batch_succeeded() {
        let ids = ["a", "b"];
        for returned in [
            "",
            "  \n",
            "null",
            "{}",
            r#"{"batchItemFailures": []}"#,
            r#"{"batchItemFailures": null}"#,
        ] {
            assert_eq!(
                batch_item_failures(returned.as_bytes(), &ids),
                Ok(vec![]),
                "{returned}"
            );
        }
    }

    #[test]
    fn named_failures_are_returned_once_each() {
        let returned =
            br#"{"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "b"}]}"#;
        assert_eq!(
            batch_item_failures(returned, &["a", "b"]),
            Ok(vec!["b".to_string()])
        );
    }

    #[test]
    fn unreadable_responses_fail_the_whole_batch() {
        let ids = ["a"];
        let error = |returned: &str| batch_item_failures(returned.as_bytes(), &ids).unwrap_err();
        assert!(matches!(error("{oops"), BatchResponseError::NotJson { .. }));
        assert!(matches!(
            error("\"ok\""),
            BatchResponseError::NotAnObject { found: "string" }
        ));
        assert!(matches!(
            error(r#"{"batchItemFailures": {}}"#),
            BatchResponseError::NotAList
        ));
        assert!(matches!(
            error(r#"{"batchItemFailures": [{"itemId": "a"}]}"#),
            BatchResponseError::BadIdentifier { index: 0, .. }
        ));
        assert!(matches!(
            error(r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#),
            BatchResponseError::BadIdentifier { index: 0, .. }
        ));
        assert_eq!(
            error(r#"{"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": ""}]}"#),
            BatchResponseError::EmptyIdentifier { index: 1 }
        );
        let unknown = error(r#"{"batchItemFailures": [{"itemIdentifier": "zzz"}]}"#);
        assert!(unknown.to_string().contains("\"zzz\""), "{unknown}");
    }
}
