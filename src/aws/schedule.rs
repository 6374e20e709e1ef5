//! The event an EventBridge schedule rule sends a function (the Lambda
//! developer guide's "Using Lambda with EventBridge" example).

use super::{ACCOUNT_ID, REGION, time};
use serde_json::{Value, json};

/// `arn:aws:events:us-east-1:123456789012:rule/<name>`, or `rule` itself
/// when it is already an ARN.
pub fn rule_arn(rule: &str) -> String {
    if rule.starts_with("arn:") {
        rule.to_string()
    } else {
        format!("arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}")
    }
}

/// The `Scheduled Event` for `rule` (a name or an ARN) firing at `time_ns`,
/// with event id `id`. EventBridge writes `time` in whole seconds.
pub fn event(rule: &str, time_ns: u64, id: &str) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": time::rfc3339_seconds(time_ns),
        "region": REGION,
        "resources": [rule_arn(rule)],
        "detail": {},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduled_event_has_the_aws_shape() {
        let event = event(
            "nightly",
            1_795_521_600_999_000_000,
            "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        );
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["source"], "aws.events");
        assert_eq!(event["version"], "0");
        assert_eq!(event["time"], "2026-11-24T12:00:00Z");
        assert_eq!(
            event["resources"],
            json!(["arn:aws:events:us-east-1:123456789012:rule/nightly"])
        );
        assert_eq!(event["detail"], json!({}));
        assert_eq!(event["id"], "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa");
    }

    #[test]
    fn an_arn_is_kept_as_given() {
        let arn = "arn:aws:events:eu-west-1:111122223333:rule/x";
        assert_eq!(rule_arn(arn), arn);
    }
}
