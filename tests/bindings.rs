//! KV and S3 semantics through a real guest and the SDK (`tests/guests/bindings`):
//! the host module, the SDK's decoding and the state store together.

mod common;

use common::{CONTEXT, rust_guest};
use serde_json::Value;
use std::sync::Arc;
use wasmfaas::abi::http::{self, HttpRequest};
use wasmfaas::bindings::Access;
use wasmfaas::config::Project;
use wasmfaas::runtime::{Context, LoadedModule};
use wasmfaas::state::State;

struct Guest {
    project: Project,
    module: LoadedModule,
    access: Arc<Access>,
}

impl Guest {
    fn new() -> Guest {
        let (project, module) = rust_guest("bindings");
        let state = State::in_memory().unwrap();
        state.ensure_bucket("photos", 0).unwrap();
        state.ensure_bucket("other", 0).unwrap();
        let function = project.function("bindings").unwrap();
        let access = Arc::new(Access::for_function(state, function));
        Guest {
            project,
            module,
            access,
        }
    }

    /// Runs one command at the virtual time `at_ns`; returns the JSON answer.
    fn at(&self, at_ns: u64, command: &str, payload: &[u8]) -> Value {
        let mut body = command.as_bytes().to_vec();
        body.extend_from_slice(b"\n\n");
        body.extend_from_slice(payload);
        let request = HttpRequest {
            method: "POST".into(),
            path: "/bindings".into(),
            body,
            ..HttpRequest::default()
        };
        let function = self.project.function("bindings").unwrap();
        let context = Context {
            start_time_ns: at_ns,
            ..CONTEXT
        };
        let outcome = http::call(
            &self.module,
            function,
            &request,
            context,
            Some(Arc::clone(&self.access)),
        );
        let response = outcome.result.expect("the guest answers");
        serde_json::from_slice(&response.body).expect("a JSON answer")
    }

    fn run(&self, command: &str, payload: &[u8]) -> Value {
        self.at(CONTEXT.start_time_ns, command, payload)
    }
}

const SECOND: u64 = 1_000_000_000;

#[test]
fn a_ttl_expires_on_the_virtual_clock() {
    let guest = Guest::new();
    let put = guest.run("kv.put\nns=CACHE\nkey=session\nttl_ms=60000", b"token");
    assert_eq!(put["ok"], true, "{put}");
    let soon = guest.at(
        CONTEXT.start_time_ns + 59 * SECOND,
        "kv.get_text\nns=CACHE\nkey=session",
        b"",
    );
    assert_eq!(soon["text"], "token", "{soon}");
    let later = guest.at(
        CONTEXT.start_time_ns + 61 * SECOND,
        "kv.get_text\nns=CACHE\nkey=session",
        b"",
    );
    assert_eq!(later["found"], false, "{later}");
}

#[test]
fn kv_lists_in_byte_order_page_by_page() {
    let guest = Guest::new();
    let names = ["b", "a/2", "a/10", "a", "é", "a/1", "z"];
    for name in names {
        let put = guest.run(&format!("kv.put\nns=CACHE\nkey={name}"), b"v");
        assert_eq!(put["ok"], true, "{put}");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut command = "kv.list\nns=CACHE\nlimit=2".to_string();
        if let Some(cursor) = &cursor {
            command.push_str(&format!("\ncursor={cursor}"));
        }
        let page = guest.run(&command, b"");
        assert_eq!(page["ok"], true, "{page}");
        let keys = page["keys"].as_array().unwrap();
        assert!(keys.len() <= 2);
        seen.extend(keys.iter().map(|k| k["name"].as_str().unwrap().to_string()));
        if page["list_complete"] == true {
            break;
        }
        cursor = Some(page["cursor"].as_str().unwrap().to_string());
    }
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort(); // Rust sorts strings by their UTF-8 bytes
    assert_eq!(seen, expected);
    let prefixed = guest.run("kv.keys\nns=CACHE\nprefix=a/", b"");
    let prefixed: Vec<&str> = prefixed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(prefixed, ["a/1", "a/10", "a/2"]);
}

#[test]
fn kv_limits_and_grants_are_typed_errors() {
    let guest = Guest::new();
    let long_key = "k".repeat(513);
    let too_long = guest.run(&format!("kv.put\nns=CACHE\nkey={long_key}"), b"v");
    assert_eq!(too_long["error"], "INVALID_KEY", "{too_long}");
    let bad_meta = guest.run("kv.put\nns=CACHE\nkey=k\nmetadata={not json", b"v");
    assert_eq!(bad_meta["error"], "INVALID_ARGUMENT", "{bad_meta}");
    let denied = guest.run("kv.get\nns=SECRETS\nkey=k", b"");
    assert_eq!(denied["error"], "DENIED", "{denied}");
    assert!(denied["message"].as_str().unwrap().contains("SECRETS"));
    let with_meta = guest.run(
        "kv.put\nns=CACHE\nkey=m\nmetadata={\"owner\":\"ada\"}",
        b"v",
    );
    assert_eq!(with_meta["ok"], true, "{with_meta}");
    let got = guest.run("kv.get_meta\nns=CACHE\nkey=m", b"");
    assert_eq!(got["metadata"], "{\"owner\":\"ada\"}", "{got}");
}

#[test]
fn s3_objects_round_trip_with_ranges_metadata_and_delimiters() {
    let guest = Guest::new();
    let body: Vec<u8> = (0..=255).collect();
    let put = guest.run(
        "s3.put\nbucket=photos\nkey=2026/11/a.bin\ncontent_type=application/x-test\nmeta=owner:ada",
        &body,
    );
    assert_eq!(put["ok"], true, "{put}");
    // ETag as AWS computes it for a single put: the quoted MD5 of the body.
    let etag = put["object"]["etag"].as_str().unwrap();
    assert_eq!(etag.len(), 34, "{etag}");
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let head = guest.run("s3.head\nbucket=photos\nkey=2026/11/a.bin", b"");
    assert_eq!(head["object"]["size"], 256);
    assert_eq!(head["object"]["content_type"], "application/x-test");
    let range = guest.run(
        "s3.get\nbucket=photos\nkey=2026/11/a.bin\nrange=bytes=250-",
        b"",
    );
    assert_eq!(range["object"]["size"], 256, "{range}");
    let unsatisfiable = guest.run(
        "s3.get\nbucket=photos\nkey=2026/11/a.bin\nrange=bytes=300-400",
        b"",
    );
    assert_eq!(unsatisfiable["error"], "INVALID_RANGE", "{unsatisfiable}");
    for key in ["2026/12/b.bin", "2027/01/c.bin", "top.txt"] {
        guest.run(&format!("s3.put\nbucket=photos\nkey={key}"), b"x");
    }
    let listing = guest.run("s3.list\nbucket=photos\ndelimiter=/", b"");
    assert_eq!(
        listing["common_prefixes"],
        serde_json::json!(["2026/", "2027/"]),
        "{listing}"
    );
    let objects: Vec<&str> = listing["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(objects, ["top.txt"]);
    let missing = guest.run("s3.get\nbucket=photos\nkey=nope", b"");
    assert_eq!(missing["found"], false, "{missing}");
    let denied = guest.run(
        "s3.copy\nbucket=photos\nkey=top.txt\ndst_bucket=other\ndst_key=x",
        b"",
    );
    assert_eq!(denied["error"], "DENIED", "{denied}");
}
