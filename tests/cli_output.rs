//! Golden tests of what the `wasmfaas` command prints, as insta snapshots in
//! `tests/snapshots/`: a change to user-facing output shows up in review as a
//! diff of the text a user would see. Accept intended changes with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test --test cli_output`).
//!
//! Wall times are the only volatile part of this output; fuel is deterministic
//! (guests are built with their paths remapped), so it stays in the snapshots.

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in the repository (the demo project) without colors.
fn wasmfaas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .output()
        .expect("running wasmfaas")
}

/// Exit code, stdout and stderr as one reviewable text.
fn transcript(output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    )
}

/// Snapshot settings shared by every test here: wall times become `[time]`.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"wall [0-9.]+ (ms|µs|s)\b", "wall [time]");
    settings.add_filter(r"in [0-9.]+ ?(ms|µs|s)\b", "in [time]");
    settings
}

#[test]
fn replay_prints_the_response_the_writes_and_the_usage() {
    let output = wasmfaas(&[
        "--quiet",
        "replay",
        "fixtures/hello/get-hello-1.json",
        "fixtures/counter/post-counter-ada-2.json",
    ]);
    settings().bind(|| insta::assert_snapshot!(transcript(&output)));
}

#[test]
fn wasmfaas_test_under_ci_lists_each_fixture_and_the_summary() {
    // The demo's `legacy-cgi` is C: `wasmfaas test` builds it with clang.
    if !common::clang::available("wasmfaas_test_under_ci_lists_each_fixture_and_the_summary") {
        return;
    }
    let output = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(["--quiet", "test"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .output()
        .expect("running wasmfaas");
    settings().bind(|| insta::assert_snapshot!(transcript(&output)));
}

#[test]
fn an_invalid_config_is_reported_with_its_location_and_exit_2() {
    let config = Path::new("fixtures/config/bad-abi.toml");
    let output = wasmfaas(&["--config", config.to_str().unwrap(), "build"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn an_unknown_function_is_named_with_the_ones_that_exist() {
    let output = wasmfaas(&["invoke", "hallo"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn the_top_level_help_lists_every_command() {
    let output = wasmfaas(&["--help"]);
    insta::assert_snapshot!(transcript(&output));
}
