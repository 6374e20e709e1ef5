//! The `wasmfaas` host module at the ABI level (`docs/abi.md`, "Bindings"):
//! WAT guests make raw calls, so every status, encoding and fault is checked
//! byte for byte, independently of the SDK.

mod common;

use common::{CONTEXT, small_limits, wat};
use std::sync::Arc;
use wasmfaas::bindings::Access;
use wasmfaas::runtime::{Invocation, LoadedModule};
use wasmfaas::state::State;

/// Every import of the module, with its signature.
const IMPORTS: &str = r#"
  (import "wasmfaas" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "kv_put" (func $kv_put (param i32 i32 i32 i32 i32 i32 i32 i32 i64 i64) (result i64)))
  (import "wasmfaas" "kv_delete" (func $kv_delete (param i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "kv_list" (func $kv_list (param i32 i32 i32 i32 i32 i32 i64) (result i64)))
  (import "wasmfaas" "s3_put" (func $s3_put (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "s3_get" (func $s3_get (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasmfaas" "result_read" (func $result_read (param i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
"#;

/// Builds a guest that makes `calls` in order. Each call is WAT for one
/// `(call $… …)` returning an i64; strings are written as `"text"` and placed
/// in memory by this builder. For each call the guest appends to stdout: the
/// i64 result, the u32 count `result_read` copied, and those bytes.
struct Guest {
    data: Vec<(u32, Vec<u8>)>,
    next: u32,
    body: String,
}

impl Guest {
    fn new() -> Guest {
        Guest {
            data: Vec::new(),
            next: 16,
            body: String::new(),
        }
    }

    /// Places `bytes` in memory; returns `"ptr len"` for a call's arguments.
    fn bytes(&mut self, bytes: &[u8]) -> String {
        let at = self.next;
        self.data.push((at, bytes.to_vec()));
        self.next += bytes.len() as u32 + 1;
        format!("(i32.const {at}) (i32.const {})", bytes.len())
    }

    fn s(&mut self, text: &str) -> String {
        self.bytes(text.as_bytes())
    }

    fn call(&mut self, expression: &str) -> &mut Guest {
        self.body.push_str(&format!(
            "(local.set $r {expression})
             (i64.store (local.get $out) (local.get $r))
             (local.set $n (i32.wrap_i64 (call $result_read
                 (i32.add (local.get $out) (i32.const 12)) (i32.const 65536))))
             (i32.store (i32.add (local.get $out) (i32.const 8)) (local.get $n))
             (local.set $out (i32.add (local.get $out) (i32.add (i32.const 12) (local.get $n))))\n"
        ));
        self
    }

    fn wat(&self) -> String {
        let data: String = self
            .data
            .iter()
            .map(|(at, bytes)| {
                let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
                format!("(data (i32.const {at}) \"{escaped}\")\n")
            })
            .collect();
        format!(
            "(module {IMPORTS}
               (memory (export \"memory\") 4)
               {data}
               (func (export \"_start\") (local $out i32) (local $r i64) (local $n i32)
                 (local.set $out (i32.const 65536))
                 {}
                 ;; iovec at 0: the output area
                 (i32.store (i32.const 0) (i32.const 65536))
                 (i32.store (i32.const 4) (i32.sub (local.get $out) (i32.const 65536)))
                 (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))",
            self.body
        )
    }
}

/// One call's outcome as the guest saw it.
#[derive(Debug, PartialEq)]
struct Outcome {
    result: i64,
    bytes: Vec<u8>,
}

fn run(guest: &Guest, access: Access) -> (Vec<Outcome>, String) {
    let module: LoadedModule = wat("abi", &guest.wat());
    let limits = small_limits();
    let report = module.invoke(Invocation {
        stdin: Vec::new(),
        args: vec!["abi".into()],
        env: Vec::new(),
        context: CONTEXT,
        limits: &limits,
        bindings: Some(Arc::new(access)),
    });
    let stdout = report.result.expect("the guest runs to the end");
    let mut outcomes = Vec::new();
    let mut rest = &stdout[..];
    while !rest.is_empty() {
        let result = i64::from_le_bytes(rest[..8].try_into().unwrap());
        let n = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
        outcomes.push(Outcome {
            result,
            bytes: rest[12..12 + n].to_vec(),
        });
        rest = &rest[12 + n..];
    }
    (
        outcomes,
        String::from_utf8_lossy(&report.stderr).into_owned(),
    )
}

fn access(state: &State) -> Access {
    Access::new(
        state.clone(),
        "abi",
        ["CACHE".to_string()],
        ["photos".to_string()],
    )
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn a_kv_value_put_is_read_back_with_its_metadata() {
    let state = State::in_memory().unwrap();
    let mut g = Guest::new();
    let (ns, key, value, meta) = (
        g.s("CACHE"),
        g.s("greeting"),
        g.s("hello"),
        g.s("{\"v\":1}"),
    );
    g.call(&format!(
        "(call $kv_put {ns} {key} {value} {meta} (i64.const 0) (i64.const 0))"
    ));
    g.call(&format!("(call $kv_get {ns} {key})"));
    let (outcomes, _) = run(&g, access(&state));
    assert_eq!(
        outcomes[0],
        Outcome {
            result: 0,
            bytes: vec![]
        }
    );
    let record = &outcomes[1].bytes;
    assert_eq!(outcomes[1].result as usize, record.len());
    assert_eq!(&record[..8], &0u64.to_le_bytes(), "no expiration");
    assert_eq!(&record[8..12], &7u32.to_le_bytes());
    assert_eq!(text(&record[12..19]), "{\"v\":1}");
    assert_eq!(text(&record[19..]), "hello");
    // The value is in the store, where other functions and the CLI see it.
    let entry = state.kv_get("CACHE", "greeting", 0).unwrap().unwrap();
    assert_eq!(entry.value, b"hello");
}

#[test]
fn a_missing_key_is_not_found_with_a_message() {
    let state = State::in_memory().unwrap();
    let mut g = Guest::new();
    let (ns, key) = (g.s("CACHE"), g.s("nope"));
    g.call(&format!("(call $kv_get {ns} {key})"));
    let (outcomes, _) = run(&g, access(&state));
    assert_eq!(outcomes[0].result, -1);
    assert!(
        text(&outcomes[0].bytes).contains("nope"),
        "{:?}",
        outcomes[0]
    );
}

#[test]
fn an_undeclared_binding_is_denied_and_logged() {
    let state = State::in_memory().unwrap();
    let mut g = Guest::new();
    let (ns, key, value) = (g.s("SECRETS"), g.s("k"), g.s("v"));
    let (bucket, object) = (g.s("private"), g.s("k"));
    g.call(&format!(
        "(call $kv_put {ns} {key} {value} (i32.const 0) (i32.const 0) (i64.const 0) (i64.const 0))"
    ));
    g.call(&format!(
        "(call $s3_get {bucket} {object} (i32.const 0) (i32.const 0))"
    ));
    let (outcomes, stderr) = run(&g, access(&state));
    assert_eq!(outcomes[0].result, -2);
    assert_eq!(outcomes[1].result, -2);
    assert!(text(&outcomes[0].bytes).contains("`SECRETS`"));
    assert!(
        stderr.contains("denied") && stderr.contains("`SECRETS`") && stderr.contains("`private`"),
        "{stderr}"
    );
    assert!(
        state.kv_get("SECRETS", "k", 0).unwrap().is_none(),
        "nothing was written"
    );
}

#[test]
fn pointers_outside_memory_fault_instead_of_trapping() {
    let state = State::in_memory().unwrap();
    let mut g = Guest::new();
    let ns = g.s("CACHE");
    g.call(&format!(
        "(call $kv_get {ns} (i32.const 262140) (i32.const 100))"
    ));
    g.call("(call $kv_get (i32.const -1) (i32.const 5) (i32.const 0) (i32.const 1))");
    let (outcomes, _) = run(&g, access(&state));
    assert_eq!(outcomes[0].result, -10);
    assert_eq!(outcomes[1].result, -10);
}

#[test]
fn hostile_s3_keys_are_data_and_ranges_cut_the_body() {
    let state = State::in_memory().unwrap();
    state.ensure_bucket("photos", 0).unwrap();
    let mut g = Guest::new();
    let (bucket, key, body) = (g.s("photos"), g.s("../../etc/passwd"), g.s("0123456789"));
    let range = g.s("bytes=2-4");
    g.call(&format!(
        "(call $s3_put {bucket} {key} {body} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))"
    ));
    g.call(&format!("(call $s3_get {bucket} {key} {range})"));
    let (outcomes, _) = run(&g, access(&state));
    assert!(outcomes[0].result > 0, "{:?}", outcomes[0]);
    let got = &outcomes[1].bytes;
    assert!(got.ends_with(b"234"), "{got:?}");
    // The object record starts with the key, stored as written.
    assert_eq!(&got[..4], &16u32.to_le_bytes());
    assert_eq!(text(&got[4..20]), "../../etc/passwd");
    let (meta, body) = state
        .get_object("photos", "../../etc/passwd", None)
        .unwrap();
    assert_eq!((meta.size, body.as_slice()), (10, &b"0123456789"[..]));
}

#[test]
fn s3_get_of_more_than_the_guest_could_hold_is_too_large_and_loads_nothing() {
    // Bug pinned: s3_get loaded the whole object into the host's memory
    // whatever its size; the guest's memory limit bounded nothing.
    let state = State::in_memory().unwrap();
    state.ensure_bucket("photos", 0).unwrap();
    let big = vec![7u8; 2 * 1024 * 1024];
    let options = wasmfaas::state::PutOptions::default();
    state
        .put_object("photos", "big", &big, &options, 0)
        .unwrap();
    let mut g = Guest::new();
    let (bucket, key) = (g.s("photos"), g.s("big"));
    let small_range = g.s("bytes=0-9");
    g.call(&format!(
        "(call $s3_get {bucket} {key} (i32.const 0) (i32.const 0))"
    ));
    g.call(&format!("(call $s3_get {bucket} {key} {small_range})"));
    let limited = access(&state).with_memory_limit(1024 * 1024);
    let (outcomes, _) = run(&g, limited);
    assert_eq!(
        outcomes[0].result,
        -3,
        "TOO_LARGE: {:?}",
        text(&outcomes[0].bytes)
    );
    let message = text(&outcomes[0].bytes);
    assert!(
        message.contains("2097152 bytes") && message.contains("range"),
        "{message}"
    );
    assert!(outcomes[1].result > 0, "a range that fits is read");
    assert!(outcomes[1].bytes.ends_with(&[7u8; 10]));
}
