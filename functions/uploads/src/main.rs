//! The demo S3 trigger: for each object created in bucket `uploads`, writes a
//! JSON summary (key, size, content type) to bucket `summaries` under the same
//! key plus `.json`. It receives the S3 event notification exactly as AWS
//! delivers it (`Records[].s3.object.key` URL-encoded).

use serde_json::{Value, json};
use wasmfaas_sdk::s3::{Bucket, PutOptions};
use wasmfaas_sdk::{Response, serve};

fn main() {
    serve(|req| {
        let event: Value = match serde_json::from_slice(req.body()) {
            Ok(event) => event,
            Err(error) => return Response::text(format!("not an S3 event: {error}")).with_status(400),
        };
        let uploads = Bucket::open("uploads");
        let summaries = Bucket::open("summaries");
        let records = event["Records"].as_array().cloned().unwrap_or_default();
        for record in &records {
            let key = form_decode(record["s3"]["object"]["key"].as_str().unwrap_or_default());
            let head = match uploads.head(&key) {
                Ok(Some(head)) => head,
                Ok(None) => continue, // deleted again before we ran
                Err(error) => return Response::text(error.to_string()).with_status(500),
            };
            let summary = json!({
                "key": key,
                "size": head.size,
                "content_type": head.content_type,
                "etag": head.etag,
                "event": record["eventName"],
            });
            let options = PutOptions {
                content_type: Some("application/json".to_string()),
                ..PutOptions::default()
            };
            if let Err(error) = summaries.put_with(&format!("{key}.json"), summary.to_string(), &options) {
                return Response::text(error.to_string()).with_status(500);
            }
            eprintln!("summarised {key} ({} bytes)", head.size);
        }
        Response::json(json!({ "summarised": records.len() }).to_string())
    });
}

/// Undoes the event's key encoding: `+` is a space, `%XX` a byte.
fn form_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex(hi).zip(hex(lo)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
