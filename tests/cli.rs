//! The `wasmfaas` binary as a user runs it: exit codes, output, and errors.

mod common;

use common::printing_wat;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn wasmfaas(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A throwaway project folder with the given files.
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmfaas-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, contents) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

/// A project with one WAT function `name` and extra TOML for its table.
fn wat_project(name: &str, wat: &str, extra: &str) -> PathBuf {
    let config =
        format!("[project]\nname = \"t\"\n[functions.{name}]\nsource = \"{name}.wat\"\n{extra}");
    project(
        name,
        &[("wasmfaas.toml", &config), (&format!("{name}.wat"), wat)],
    )
}

#[test]
fn invoking_the_demo_hello_prints_the_response_and_a_usage_line() {
    let out = wasmfaas(&repo(), &["invoke", "hello", "--path", "/hello?name=Ada"]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("HTTP 200 OK\n"), "{stdout}");
    assert!(
        stdout.contains("content-type: application/json\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\n\n{\"message\":\"Hello, Ada!\"}\n"),
        "{stdout}"
    );
    assert!(stderr.contains("hello: fuel "), "{stderr}");
    assert!(stderr.contains("peak memory"), "{stderr}");
}

#[test]
fn invoke_json_reports_response_usage_and_context() {
    let out = wasmfaas(
        &repo(),
        &[
            "invoke",
            "hello",
            "--json",
            "--seed",
            "7",
            "--time-ns",
            "1000",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["response"]["status"], 200);
    assert_eq!(
        report["response"]["body"],
        "{\"message\":\"Hello, world!\"}"
    );
    assert_eq!(report["context"]["seed"], 7);
    assert!(report["usage"]["fuel"].as_u64().unwrap() > 0);
}

#[test]
fn a_trapping_function_exits_1_with_the_reason_and_its_log() {
    let dir = wat_project(
        "boom",
        &printing_wat(2, "about to fail\n", "unreachable"),
        "",
    );
    let out = wasmfaas(&dir, &["invoke", "boom"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("wasmfaas: `boom`: the function trapped"),
        "{stderr}"
    );
    assert!(stderr.contains("about to fail"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_runaway_function_exits_1_naming_the_fuel_budget() {
    let dir = wat_project(
        "spin",
        r#"(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))"#,
        "[functions.spin.limits]\nfuel = 1000000\n",
    );
    let out = wasmfaas(&dir, &["invoke", "spin"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ran out of fuel"), "{stderr}");
    assert!(stderr.contains("1000000"), "{stderr}");
}

#[test]
fn a_function_answering_500_is_still_a_successful_invocation() {
    let dir = wat_project("err", &printing_wat(1, "{\"status\":500}\noops", ""), "");
    let out = wasmfaas(&dir, &["invoke", "err"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("HTTP 500 Internal Server Error\n"));
}

#[test]
fn a_malformed_response_envelope_is_a_failure_that_says_why() {
    let dir = wat_project("junk", &printing_wat(1, "hello world", ""), "");
    let out = wasmfaas(&dir, &["invoke", "junk"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("malformed response"), "{stderr}");
    assert!(stderr.contains("not terminated by a newline"), "{stderr}");
}

#[test]
fn an_invalid_config_exits_2_with_file_line_and_column() {
    let dir = wat_project("f", "(module)", "abi = \"soap\"\n");
    let out = wasmfaas(&dir, &["invoke", "f"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("wasmfaas.toml:5:7"), "{stderr}");
}

#[test]
fn an_unknown_function_exits_2_with_a_suggestion() {
    let out = wasmfaas(&repo(), &["invoke", "helo"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean `hello`?"), "{stderr}");
}

#[test]
fn invalid_wat_fails_the_build_with_its_position() {
    let dir = wat_project(
        "bogus",
        "(module\n  (func (export \"_start\") (i32.bogus)))\n",
        "",
    );
    let out = wasmfaas(&dir, &["build"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("bogus.wat:2:"), "{stderr}");
}

#[test]
fn a_second_build_with_no_changes_rebuilds_nothing() {
    let out = wasmfaas(&repo(), &["build", "hello"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = wasmfaas(&repo(), &["build", "hello"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Fresh hello"), "{stderr}");
    assert!(!stderr.contains("Compiling"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let out = wasmfaas(&repo(), &["invoke"]);
    assert_eq!(out.status.code(), Some(2));
    let out = wasmfaas(&repo(), &["invoke", "hello", "--header", "no-colon"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_edit_rebuilds_and_a_failed_build_keeps_the_last_good_artifact() {
    let dir = wat_project("edit", &printing_wat(1, "{}\nv1", ""), "");
    let build = |dir: &Path| {
        let out = wasmfaas(dir, &["build"]);
        (out.status.code(), text(&out.stderr))
    };
    assert!(build(&dir).1.contains("Built edit"));
    assert!(build(&dir).1.contains("Fresh edit"));
    let artifact = dir.join(".wasmfaas/build/edit.wasm");
    let good = std::fs::read(&artifact).unwrap();

    std::fs::write(dir.join("edit.wat"), "(module (func $oops").unwrap();
    let (code, stderr) = build(&dir);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(std::fs::read(&artifact).unwrap(), good);

    std::fs::write(dir.join("edit.wat"), printing_wat(1, "{}\nv2", "")).unwrap();
    assert!(build(&dir).1.contains("Built edit"));
    let out = wasmfaas(&dir, &["invoke", "edit"]);
    assert!(
        text(&out.stdout).ends_with("\n\nv2\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn kv_and_s3_commands_read_and_change_the_projects_state() {
    let dir = project(
        "inspect",
        &[
            ("wasmfaas.toml", "[project]\nname = \"t\"\n[s3.photos]\n"),
            ("cat.txt", "meow"),
        ],
    );
    let ok = |args: &[&str]| {
        let out = wasmfaas(&dir, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&["kv", "put", "USERS", "ada", "lovelace"]);
    ok(&[
        "kv",
        "put",
        "USERS",
        "alan",
        "turing",
        "--metadata",
        "{\"v\":1}",
    ]);
    assert_eq!(ok(&["kv", "get", "USERS", "ada"]), "lovelace");
    assert_eq!(ok(&["kv", "list", "USERS", "--prefix", "a"]), "ada\nalan\n");
    ok(&["kv", "delete", "USERS", "ada"]);
    let missing = wasmfaas(&dir, &["kv", "get", "USERS", "ada"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no key \"ada\""));

    ok(&["s3", "cp", "cat.txt", "s3://photos/pets/"]);
    assert!(ok(&["s3", "ls"]).contains("s3://photos"));
    assert!(ok(&["s3", "ls", "s3://photos/"]).contains("PRE pets/"));
    assert!(ok(&["s3", "ls", "s3://photos/pets/"]).contains("4 cat.txt"));
    assert_eq!(ok(&["s3", "cp", "s3://photos/pets/cat.txt", "-"]), "meow");
    ok(&["s3", "rm", "s3://photos/pets/cat.txt"]);
    let gone = wasmfaas(&dir, &["s3", "cp", "s3://photos/pets/cat.txt", "-"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).contains("pets/cat.txt"),
        "{}",
        text(&gone.stderr)
    );
    // The state is where the docs say, and --ephemeral never touches it.
    assert!(dir.join(".wasmfaas/state/state.sqlite").is_file());
    let ephemeral = wasmfaas(&dir, &["--ephemeral", "kv", "list", "USERS"]);
    assert_eq!(text(&ephemeral.stdout), "");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression: `wasmfaas test | head` and `wasmfaas replay … | head` panicked
/// with "failed printing to stdout: Broken pipe" once `head` had left. A
/// command whose reader is gone ends quietly, as `cat` does (by SIGPIPE).
#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    // The reader has left before the first line is written.
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(["event", "generate", "aws:s3-put"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(output.status.signal(), Some(libc_sigpipe()), "{stderr}");
    }
}

/// SIGPIPE's number on Linux and the BSDs.
#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}

/// A custom build command runs again only when a file in its folder changed
/// (content, a new file, a deleted one) or its output is gone; before, it ran
/// on every `build` and every `dev` start (clang each time for the demo).
#[test]
fn a_custom_build_command_runs_only_when_its_folder_changed() {
    let wat = printing_wat(1, "{\"status\":200}\nok", "");
    let config = "[project]\nname = \"t\"\n[functions.c]\nsource = \"c/out.wasm\"\n\
                  build = \"echo ran >> ../runs.log; cp main.wasm out.wasm\"\n";
    let dir = project("tracked", &[("wasmfaas.toml", config), ("c/.keep", "")]);
    std::fs::write(dir.join("c/main.wasm"), wat::parse_str(&wat).unwrap()).unwrap();
    let runs =
        || std::fs::read_to_string(dir.join("runs.log")).map_or(0, |log| log.lines().count());
    let build = |args: &[&str]| {
        let out = wasmfaas(&dir, args);
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    build(&["build"]);
    assert_eq!(runs(), 1);
    build(&["build"]);
    assert_eq!(runs(), 1, "nothing changed");
    // Rewritten with the same bytes: not a change.
    std::fs::copy(dir.join("c/main.wasm"), dir.join("c/copy")).unwrap();
    std::fs::rename(dir.join("c/copy"), dir.join("c/main.wasm")).unwrap();
    build(&["build"]);
    assert_eq!(runs(), 1, "same contents");
    std::fs::write(dir.join("c/notes.txt"), "a new file").unwrap();
    build(&["build"]);
    assert_eq!(runs(), 2, "a file was added");
    std::fs::write(dir.join("c/notes.txt"), "edited").unwrap();
    build(&["build"]);
    assert_eq!(runs(), 3, "a file was edited");
    std::fs::remove_file(dir.join("c/notes.txt")).unwrap();
    build(&["build"]);
    assert_eq!(runs(), 4, "a file was deleted");
    std::fs::remove_file(dir.join("c/out.wasm")).unwrap();
    build(&["build"]);
    assert_eq!(runs(), 5, "the output was gone");
    build(&["build", "--force"]);
    assert_eq!(runs(), 6, "--force");
    // `invoke` builds the same way: nothing changed, so the command stays idle.
    let out = wasmfaas(&dir, &["invoke", "c"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(runs(), 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invoking_a_path_no_route_matches_is_refused_unless_forced() {
    let wat = printing_wat(1, "{\"status\":200}\nran", "");
    let dir = wat_project("routed", &wat, "routes = [\"GET /orders/:id\"]\n");
    let out = wasmfaas(&dir, &["invoke", "routed", "--path", "/nothing/here"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no route of `routed` matches GET /nothing/here")
            && stderr.contains("`GET /orders/:id`")
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty(), "nothing ran");
    // The wrong method is refused the same way.
    let out = wasmfaas(
        &dir,
        &["invoke", "routed", "-X", "POST", "--path", "/orders/7"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let out = wasmfaas(
        &dir,
        &["invoke", "routed", "--path", "/nothing/here", "--force"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("\n\nran\n"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("(--force)"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_event_to_a_lambda_handler_prints_its_return_value_and_the_status_it_means() {
    let returned = r#"{"statusCode":400,"body":"no name"}"#;
    let wat = printing_wat(1, returned, "");
    let dir = wat_project("handler", &wat, "abi = \"lambda\"\n");
    std::fs::write(dir.join("event.json"), r#"{"anything": 1}"#).unwrap();
    let out = wasmfaas(&dir, &["invoke", "handler", "--event", "event.json"]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The value as the handler returned it, with no invented `HTTP 200 OK`.
    assert_eq!(stdout, format!("{returned}\n"));
    assert!(
        stderr.contains("handler: returned an API Gateway response: HTTP 400 Bad Request"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
