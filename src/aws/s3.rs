//! The S3 event notification record, exactly as AWS delivers it to a function.

use crate::bindings::ObjectChange;
use crate::s3api::time;
use serde_json::{Value, json};

use super::REGION;

/// `{"Records": [ … ]}` for one change, delivered to the subscription
/// `configuration_id` (AWS's name for the notification configuration).
pub fn notification(change: &ObjectChange, configuration_id: &str, request_id: &str) -> Value {
    let object = &change.object;
    let mut object_json = json!({
        "key": encode_key(&object.key),
        "sequencer": object.sequencer,
    });
    if change.event_name.starts_with("ObjectCreated") {
        object_json["size"] = json!(object.size);
        object_json["eTag"] = json!(object.etag.trim_matches('"'));
    }
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": REGION,
            "eventTime": time::iso8601_ms(i64::try_from(change.at_ns).unwrap_or(i64::MAX)),
            "eventName": change.event_name,
            "userIdentity": { "principalId": "AWS:WASMFAAS" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": {
                "x-amz-request-id": request_id,
                "x-amz-id-2": request_id,
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": object.bucket,
                    "ownerIdentity": { "principalId": "WASMFAAS" },
                    "arn": format!("arn:aws:s3:::{}", object.bucket),
                },
                "object": object_json,
            },
        }]
    })
}

/// Keys in events are URL-encoded as HTML forms encode them: a space becomes
/// `+`, `/` stays, and every other byte outside `A-Z a-z 0-9 - _ . *` is `%XX`.
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => {
                out.push(byte as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ObjectMeta;

    fn change(event_name: &'static str, key: &str) -> ObjectChange {
        ObjectChange {
            event_name,
            object: ObjectMeta {
                bucket: "uploads".into(),
                key: key.into(),
                size: 1024,
                etag: "\"0123456789abcdef0123456789abcdef\"".into(),
                content_type: "image/jpeg".into(),
                user_metadata: Default::default(),
                last_modified_ns: 0,
                sequencer: "0000000000000007".into(),
                checksum: None,
            },
            at_ns: 1_700_000_000_123_000_000,
        }
    }

    #[test]
    fn a_put_event_has_the_aws_shape() {
        let event = notification(
            &change("ObjectCreated:Put", "photos/my cat=1.jpg"),
            "uploads-0",
            "R1",
        );
        let record = &event["Records"][0];
        assert_eq!(record["eventSource"], "aws:s3");
        assert_eq!(record["eventName"], "ObjectCreated:Put");
        assert_eq!(record["eventTime"], "2023-11-14T22:13:20.123Z");
        assert_eq!(record["s3"]["bucket"]["arn"], "arn:aws:s3:::uploads");
        let object = &record["s3"]["object"];
        assert_eq!(object["key"], "photos/my+cat%3D1.jpg");
        assert_eq!(object["size"], 1024);
        assert_eq!(object["eTag"], "0123456789abcdef0123456789abcdef");
        assert_eq!(object["sequencer"], "0000000000000007");
    }

    #[test]
    fn a_delete_event_has_no_size_or_etag() {
        let event = notification(&change("ObjectRemoved:Delete", "a"), "c", "R");
        let object = &event["Records"][0]["s3"]["object"];
        assert!(object.get("size").is_none() && object.get("eTag").is_none());
    }

    #[test]
    fn keys_are_form_encoded() {
        assert_eq!(encode_key("a b/c+d%é"), "a+b/c%2Bd%25%C3%A9");
    }
}
