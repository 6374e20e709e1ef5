//! `wasmfaas event generate` as a user runs it: every kind prints JSON with
//! the fields AWS sends, computed fields are right, options that make no
//! event are refused with exit code 2.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// 2026-11-24T12:00:00.250Z in milliseconds.
const TIME: &str = "2026-11-24T12:00:00.250Z";
const TIME_MS: u64 = 1_795_521_600_250;

/// A folder with no `wasmfaas.toml` above it: the command needs no project.
fn outside_any_project() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmfaas-event-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wasmfaas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(outside_any_project())
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// Runs `event generate <args>` with a fixed time and seed; the parsed JSON.
fn generate(args: &[&str]) -> Value {
    let mut all = vec!["event", "generate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--time", TIME, "--seed", "7"]);
    let out = wasmfaas(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{all:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|error| {
        panic!(
            "{all:?} printed no JSON ({error}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs `event generate <args>` expecting a usage error; its stderr.
fn refused(args: &[&str]) -> String {
    let mut all = vec!["event", "generate"];
    all.extend_from_slice(args);
    let out = wasmfaas(&all);
    assert_eq!(out.status.code(), Some(2), "{all:?} should exit 2");
    assert!(out.stdout.is_empty(), "{all:?} printed an event");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn has_fields(value: &Value, fields: &[&str]) {
    for field in fields {
        assert!(value.get(field).is_some(), "no `{field}` in {value:#}");
    }
}

#[test]
fn an_apigw_v1_event_has_the_rest_api_fields_and_times_from_time() {
    let event = generate(&[
        "aws:apigw-v1",
        "--method",
        "post",
        "--path",
        "/items/a%20b?tag=x&tag=y",
        "--resource",
        "/items/:id",
        "--header",
        "X-Probe: one",
        "--header",
        "x-probe: two",
        "--body",
        "hello",
    ]);
    has_fields(
        &event,
        &[
            "resource",
            "path",
            "httpMethod",
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
            "requestContext",
            "body",
            "isBase64Encoded",
        ],
    );
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["resource"], "/items/{id}");
    assert_eq!(event["pathParameters"]["id"], "a%20b");
    assert_eq!(event["headers"]["X-Probe"], "two");
    assert_eq!(
        event["multiValueHeaders"]["X-Probe"],
        serde_json::json!(["one", "two"])
    );
    assert_eq!(
        event["multiValueQueryStringParameters"]["tag"],
        serde_json::json!(["x", "y"])
    );
    assert_eq!(event["body"], "hello");
    let context = &event["requestContext"];
    assert_eq!(context["requestTimeEpoch"], TIME_MS);
    assert_eq!(context["requestTime"], "24/Nov/2026:12:00:00 +0000");
    assert_eq!(context["stage"], "local");
    assert_eq!(context["path"], "/local/items/a%20b");
    assert_eq!(context["accountId"], "123456789012");
}

#[test]
fn an_apigw_v2_event_has_the_http_api_fields() {
    let event = generate(&[
        "aws:apigw-v2",
        "--path",
        "/files/docs/readme.md",
        "--resource",
        "/files/{proxy+}",
        "--query",
        "a=1&a=2",
        "-H",
        "Cookie: s=1; t=2",
        "-H",
        "Content-Type: application/json",
        "--body",
        "{\"k\": 1}",
    ]);
    has_fields(
        &event,
        &[
            "version",
            "routeKey",
            "rawPath",
            "rawQueryString",
            "cookies",
            "headers",
            "queryStringParameters",
            "pathParameters",
            "requestContext",
            "body",
            "isBase64Encoded",
        ],
    );
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "GET /files/{proxy+}");
    assert_eq!(event["cookies"], serde_json::json!(["s=1", "t=2"]));
    assert!(event["headers"].get("cookie").is_none());
    assert_eq!(event["headers"]["content-type"], "application/json");
    assert_eq!(event["queryStringParameters"]["a"], "1,2");
    assert_eq!(event["pathParameters"]["proxy"], "docs/readme.md");
    assert_eq!(event["body"], "{\"k\": 1}");
    assert_eq!(event["isBase64Encoded"], false);
    let context = &event["requestContext"];
    has_fields(
        context,
        &[
            "accountId",
            "apiId",
            "domainName",
            "http",
            "requestId",
            "stage",
        ],
    );
    assert_eq!(context["timeEpoch"], TIME_MS);
    assert_eq!(context["time"], "24/Nov/2026:12:00:00 +0000");
    assert_eq!(context["stage"], "$default");
}

#[test]
fn a_binary_body_file_is_sent_base64() {
    let file = outside_any_project().join("image.bin");
    let bytes = [0x89, b'P', b'N', b'G', 0x00, 0xff, 0xfe];
    std::fs::write(&file, bytes).unwrap();
    for kind in ["aws:apigw-v1", "aws:apigw-v2"] {
        let event = generate(&[
            kind,
            "--method",
            "PUT",
            "--body-file",
            file.to_str().unwrap(),
            "-H",
            "Content-Type: image/png",
        ]);
        assert_eq!(event["isBase64Encoded"], true, "{kind}");
        let body = BASE64.decode(event["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, bytes, "{kind}");
    }
}

#[test]
fn s3_events_url_encode_the_key_and_carry_the_time() {
    let put = generate(&[
        "aws:s3-put",
        "--bucket",
        "uploads",
        "--key",
        "photos/my cat & dog.jpg",
        "--size",
        "2048",
        "--etag",
        "d41d8cd98f00b204e9800998ecf8427e",
    ]);
    let record = &put["Records"][0];
    has_fields(
        record,
        &[
            "eventVersion",
            "eventSource",
            "awsRegion",
            "eventTime",
            "eventName",
            "s3",
        ],
    );
    assert_eq!(record["eventName"], "ObjectCreated:Put");
    assert_eq!(record["eventTime"], "2026-11-24T12:00:00.250Z");
    assert_eq!(record["s3"]["bucket"]["name"], "uploads");
    assert_eq!(record["s3"]["bucket"]["arn"], "arn:aws:s3:::uploads");
    let object = &record["s3"]["object"];
    assert_eq!(object["key"], "photos/my+cat+%26+dog.jpg");
    assert_eq!(object["size"], 2048);
    assert_eq!(object["eTag"], "d41d8cd98f00b204e9800998ecf8427e");

    let delete = generate(&["aws:s3-delete", "--key", "a b"]);
    let record = &delete["Records"][0];
    assert_eq!(record["eventName"], "ObjectRemoved:Delete");
    assert_eq!(record["s3"]["object"]["key"], "a+b");
    assert!(record["s3"]["object"].get("size").is_none());
    assert!(record["s3"]["object"].get("eTag").is_none());
}

#[test]
fn an_sqs_event_has_one_record_per_message_with_its_md5() {
    let event = generate(&[
        "aws:sqs",
        "--message",
        "test",
        "--message",
        "second",
        "--queue",
        "jobs",
    ]);
    let records = event["Records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    let first = &records[0];
    has_fields(
        first,
        &[
            "messageId",
            "receiptHandle",
            "body",
            "attributes",
            "messageAttributes",
            "md5OfBody",
            "eventSource",
            "eventSourceARN",
            "awsRegion",
        ],
    );
    assert_eq!(first["body"], "test");
    // MD5("test"), the value in AWS's own example record.
    assert_eq!(first["md5OfBody"], "098f6bcd4621d373cade4e832627b4f6");
    assert_eq!(first["eventSource"], "aws:sqs");
    assert_eq!(
        first["eventSourceARN"],
        "arn:aws:sqs:us-east-1:123456789012:jobs"
    );
    assert_eq!(first["attributes"]["SentTimestamp"], TIME_MS.to_string());
    assert_eq!(first["attributes"]["ApproximateReceiveCount"], "1");
    assert_ne!(records[0]["messageId"], records[1]["messageId"]);
}

#[test]
fn a_schedule_event_has_whole_seconds_and_the_rule_arn() {
    let event = generate(&["aws:schedule", "--rule", "nightly", "--id", "fixed-id"]);
    has_fields(
        &event,
        &[
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        ],
    );
    assert_eq!(event["id"], "fixed-id");
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(event["source"], "aws.events");
    assert_eq!(event["time"], "2026-11-24T12:00:00Z");
    assert_eq!(
        event["resources"],
        serde_json::json!(["arn:aws:events:us-east-1:123456789012:rule/nightly"])
    );
}

#[test]
fn time_and_seed_make_the_output_reproducible() {
    for kind in [
        "aws:apigw-v1",
        "aws:apigw-v2",
        "aws:s3-put",
        "aws:s3-delete",
        "aws:sqs",
        "aws:schedule",
    ] {
        let run = |seed: &str| {
            let out = wasmfaas(&["event", "generate", kind, "--time", TIME, "--seed", seed]);
            assert!(out.status.success(), "{kind}");
            out.stdout
        };
        assert_eq!(run("1"), run("1"), "{kind}");
        assert_ne!(run("1"), run("2"), "{kind}");
    }
}

#[test]
fn an_unknown_kind_exits_2_and_lists_the_kinds() {
    let stderr = refused(&["aws:kinesis"]);
    assert!(
        stderr.contains("unknown event kind `aws:kinesis`"),
        "{stderr}"
    );
    for kind in [
        "aws:apigw-v1",
        "aws:apigw-v2",
        "aws:s3-put",
        "aws:s3-delete",
        "aws:sqs",
        "aws:schedule",
    ] {
        assert!(stderr.contains(kind), "{stderr}");
    }
}

#[test]
fn options_that_make_no_event_exit_2_with_the_reason() {
    let stderr = refused(&["aws:sqs", "--bucket", "b"]);
    assert!(
        stderr.contains("--bucket does not apply to aws:sqs"),
        "{stderr}"
    );
    let stderr = refused(&["aws:schedule", "--time", "yesterday"]);
    assert!(stderr.contains("--time \"yesterday\""), "{stderr}");
    let stderr = refused(&["aws:apigw-v1", "--header", "no colon"]);
    assert!(stderr.contains("Name: value"), "{stderr}");
    let stderr = refused(&[
        "aws:apigw-v2",
        "--path",
        "/a/b",
        "--resource",
        "/items/{id}",
    ]);
    assert!(stderr.contains("does not match the resource"), "{stderr}");
}
