//! Secrets: a function gets the values its config names from the project's
//! secrets file; a missing one stops the command naming file and key; the
//! values never appear in the console, fixtures or replays, which run on
//! stand-ins and still replay to the recorded bytes.

mod common;

use common::dev_server::{DevServer, TempProject, wait_for};
use common::text;
use std::process::Output;

/// Answers with its whole environment (`NAME=value` entries, NUL-separated)
/// as the body, and writes it to its log too.
const ENV_DUMP: &str = r#"(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"status\":200}\n")
  (func (export "_start")
    (drop (call $sizes (i32.const 100) (i32.const 104)))
    (drop (call $get (i32.const 1024) (i32.const 4096)))
    (i32.store (i32.const 200) (i32.const 0))
    (i32.store (i32.const 204) (i32.const 15))
    (i32.store (i32.const 208) (i32.const 4096))
    (i32.store (i32.const 212) (i32.load (i32.const 104)))
    (drop (call $write (i32.const 1) (i32.const 200) (i32.const 2) (i32.const 300)))
    (drop (call $write (i32.const 2) (i32.const 208) (i32.const 1) (i32.const 300)))))"#;

const CONFIG: &str = "[project]\nname = \"shop\"\n\n[functions.checkout]\nsource = \"env.wat\"\n\
                      routes = [\"GET /checkout\"]\nsecrets = [\"STRIPE_KEY\"]\n";

const VALUE: &str = "sk_test_51abcdefSECRET";

fn project(secrets_file: Option<&str>) -> TempProject {
    let project = TempProject::new(
        "secrets",
        &[("wasmfaas.toml", CONFIG), ("env.wat", ENV_DUMP)],
    );
    if let Some(text) = secrets_file {
        project.write("secrets.env", text);
    }
    project
}

fn wasmfaas(project: &TempProject, args: &[&str]) -> Output {
    common::wasmfaas_in(project.root(), args)
}

#[test]
fn invoke_gives_the_function_its_secret_and_keeps_it_out_of_the_log() {
    let project = project(Some(&format!("# test keys\nSTRIPE_KEY={VALUE}\n")));
    let out = wasmfaas(&project, &["invoke", "checkout"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    // The function read the real value (its response is its own)...
    assert!(stdout.contains(&format!("STRIPE_KEY={VALUE}")), "{stdout}");
    // ...but the console shows its log with the value redacted.
    assert!(!stderr.contains(VALUE), "{stderr}");
    assert!(
        stderr.contains("STRIPE_KEY=[secret STRIPE_KEY]"),
        "{stderr}"
    );
}

#[test]
fn a_missing_file_or_key_stops_the_command_naming_both() {
    let out = wasmfaas(&project(None), &["invoke", "checkout"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`checkout` needs the secret `STRIPE_KEY`")
            && stderr.contains("secrets.env does not exist"),
        "{stderr}"
    );
    let out = wasmfaas(&project(Some("OTHER=x\n")), &["invoke", "checkout"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("which") && stderr.contains("secrets.env does not set"),
        "{stderr}"
    );
    let out = wasmfaas(&project(Some("STRIPE_KEY\n")), &["invoke", "checkout"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("secrets.env:1:1: expected `NAME=value`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_recorded_invocation_holds_no_secret_and_replays_to_the_recorded_bytes() {
    let project = project(Some(&format!("STRIPE_KEY=\"{VALUE}\"\n")));
    let record_dir = project.path("fixtures");
    let server = DevServer::start(
        &project,
        &[
            "--ephemeral",
            "--no-watch",
            "--record",
            record_dir.to_str().unwrap(),
        ],
    );
    let reply = server.get("/checkout");
    assert_eq!(reply.status, 200);
    assert!(
        reply.text().contains(VALUE),
        "the client gets the function's response"
    );
    let fixture = wait_for("the fixture", || {
        let path = record_dir.join("checkout/get-checkout-1.json");
        std::fs::read_to_string(path).ok()
    });
    let stopped = server.stop();
    assert!(!fixture.contains(VALUE), "{fixture}");
    assert!(fixture.contains("[secret STRIPE_KEY]"), "{fixture}");
    assert!(!stopped.stdout.contains(VALUE), "{}", stopped.stdout);

    // The replay runs on the stand-in, so it answers what was recorded, and
    // it needs no secrets file at all.
    std::fs::remove_file(project.path("secrets.env")).unwrap();
    let out = wasmfaas(&project, &["replay", "fixtures"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("= same response as recorded"));
}

#[test]
fn dev_picks_up_an_edited_secrets_file_and_keeps_serving_when_a_key_goes_missing() {
    let project = project(Some("STRIPE_KEY=sk_test_first_value\n"));
    let server = DevServer::start(&project, &["--ephemeral"]);
    assert!(
        server
            .get("/checkout")
            .text()
            .contains("sk_test_first_value")
    );
    project.write("secrets.env", "STRIPE_KEY=sk_test_second_value\n");
    wait_for("the new secret to be served", || {
        server
            .get("/checkout")
            .text()
            .contains("sk_test_second_value")
            .then_some(())
    });
    // A file that no longer sets the key is rejected like a broken config:
    // the last good values keep serving, and the console says why.
    let from = server.stdout().len();
    project.write("secrets.env", "OTHER=x\n");
    server.wait_for_stdout(from, "secrets.env does not set");
    assert!(
        server
            .get("/checkout")
            .text()
            .contains("sk_test_second_value")
    );
    let stopped = server.stop();
    assert!(
        !stopped.stdout.contains("sk_test_second_value"),
        "{}",
        stopped.stdout
    );
}
