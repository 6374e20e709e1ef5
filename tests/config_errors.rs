//! `wasmfaas.toml` parsing: golden error messages for invalid configs, and the
//! values valid configs turn into.
//!
//! Each `fixtures/config/<case>.toml` must fail with exactly the message in its
//! insta snapshot, `tests/snapshots/config_errors__config_error@<case>.toml.snap`.
//! After an intended change to a message, review and accept the new text with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test --test config_errors`
//! and `git diff`). Under `CI`, a changed or missing snapshot fails.

use std::fs;
use std::path::Path;
use std::time::Duration;

use wasmfaas::config::{
    Abi, ConfigError, DEFAULT_STACK_SIZE, Limits, Method, Project, Segment, Source,
};

const FIXTURES: &str = "fixtures/config";

#[test]
fn every_invalid_fixture_fails_with_its_golden_message() {
    let mut cases = 0;
    insta::glob!("../fixtures/config", "*.toml", |case| {
        cases += 1;
        // The message names the file as a user would pass it: relative to the
        // project, so snapshots do not depend on where the checkout lives.
        let relative = case
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(case);
        let text = fs::read_to_string(case).unwrap_or_else(|error| panic!("{case:?}: {error}"));
        let message = match Project::parse(&text, relative) {
            Ok(project) => panic!("{}: parsed without error: {project:#?}", relative.display()),
            Err(error) => error.to_string(),
        };
        insta::assert_snapshot!("config_error", message);
    });
    assert!(cases >= 20, "only {cases} golden cases in {FIXTURES}");
}

/// Parses `text` as `fixtures/config/<name>.toml`, so sources resolve against the fixtures.
fn parse_ok(text: &str) -> Project {
    let path = Path::new(FIXTURES).join("valid.toml");
    Project::parse(text, &path).unwrap_or_else(|error| panic!("{error}"))
}

fn parse_err(text: &str) -> String {
    let path = Path::new(FIXTURES).join("invalid.toml");
    match Project::parse(text, &path) {
        Ok(project) => panic!("parsed: {project:#?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn an_empty_project_is_valid() {
    let project = parse_ok("[project]\nname = \"demo\"\n");
    assert_eq!(project.name, "demo");
    assert!(project.functions.is_empty());
    assert_eq!(project.config_path, Path::new("fixtures/config/valid.toml"));
    assert!(project.root.is_absolute());
    assert!(project.root.ends_with("fixtures/config"));
}

#[test]
fn a_minimal_function_gets_every_default() {
    let project =
        parse_ok("[project]\nname = \"demo\"\n[functions.hello]\nsource = \"sources/ok.wat\"\n");
    let hello = project
        .function("hello")
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(hello.name, "hello");
    assert_eq!(
        hello.source,
        Source::Wat(project.root.join("sources/ok.wat"))
    );
    assert_eq!(hello.abi, Abi::Http);
    assert_eq!(hello.limits, Limits::default());
    assert_eq!(hello.build.command, None);
    assert_eq!(hello.build.output, None);
    assert_eq!(hello.build.stack_size, DEFAULT_STACK_SIZE);
    assert!(hello.routes.is_empty() && hello.env.is_empty());
    assert!(hello.kv.is_empty() && hello.s3.is_empty());
}

#[test]
fn limits_accept_integers_and_size_strings() {
    let project = parse_ok(
        r#"
[project]
name = "demo"
[functions.hello]
source = "sources/ok.wat"
[functions.hello.limits]
fuel = 5000
memory_mb = 64
timeout_ms = 250
max_body_bytes = "10MiB"
max_response_bytes = "10MB"
max_log_bytes = 512
"#,
    );
    let limits = project.functions["hello"].limits;
    assert_eq!(limits.fuel, 5000);
    assert_eq!(limits.memory_bytes, 64 * 1024 * 1024);
    assert_eq!(limits.timeout, Duration::from_millis(250));
    assert_eq!(limits.max_body_bytes, 10 * 1024 * 1024);
    assert_eq!(limits.max_response_bytes, 10_000_000);
    assert_eq!(limits.max_log_bytes, 512);
}

#[test]
fn a_build_string_is_the_command_of_a_wasm_source() {
    let project = parse_ok(
        "[project]\nname = \"demo\"\n[functions.app]\nsource = \"out/app.wasm\"\nbuild = \"make wasm\"\n",
    );
    let app = &project.functions["app"];
    let wasm = project.root.join("out/app.wasm");
    assert_eq!(app.source, Source::Wasm(wasm.clone()));
    assert_eq!(app.build.command.as_deref(), Some("make wasm"));
    assert_eq!(app.build.output, Some(wasm));
}

#[test]
fn a_build_table_sets_command_output_and_stack_size_of_a_crate() {
    let project = parse_ok(
        r#"
[project]
name = "demo"
[functions.app]
source = "sources/crate"
[functions.app.build]
command = "make"
output = "out/app.wasm"
stack_size = "1MiB"
"#,
    );
    let app = &project.functions["app"];
    assert_eq!(
        app.source,
        Source::RustCrate(project.root.join("sources/crate"))
    );
    assert_eq!(app.build.command.as_deref(), Some("make"));
    assert_eq!(app.build.output, Some(project.root.join("out/app.wasm")));
    assert_eq!(app.build.stack_size, 1024 * 1024);
}

#[test]
fn routes_env_kv_and_s3_are_parsed() {
    let project = parse_ok(
        r#"
[project]
name = "demo"
[functions.items]
source = "sources/ok.wat"
routes = ["GET /items", "/items/:id", "POST /upload/*rest", "/items/new"]
env = { GREETING = "hi", _DEBUG = "1" }
kv = ["SESSIONS", "cache-2"]
s3 = ["uploads", "my.bucket-1"]
"#,
    );
    let items = &project.functions["items"];
    let routes = &items.routes;
    assert_eq!(routes[0].method, Some(Method::Get));
    assert_eq!(routes[1].method, None);
    assert_eq!(
        routes[1].path.segments,
        vec![Segment::Static("items".into()), Segment::Param("id".into())]
    );
    assert_eq!(routes[2].path.segments[1], Segment::Wildcard("rest".into()));
    assert_eq!(routes[3].to_string(), "/items/new");
    assert_eq!(items.env.get("GREETING").map(String::as_str), Some("hi"));
    assert_eq!(items.env.len(), 2);
    assert_eq!(items.kv, ["SESSIONS", "cache-2"]);
    assert_eq!(items.s3, ["uploads", "my.bucket-1"]);
}

#[test]
fn the_same_path_with_different_methods_does_not_conflict() {
    let project = parse_ok(
        r#"
[project]
name = "demo"
[functions.read]
source = "sources/ok.wat"
routes = ["GET /items/:id"]
[functions.write]
source = "sources/ok.wat"
routes = ["PUT /items/:id", "/items/*rest"]
"#,
    );
    assert_eq!(project.functions.len(), 2);
}

#[test]
fn unknown_limit_key_suggests_the_closest_one() {
    let message = parse_err(
        "[project]\nname = \"demo\"\n[functions.hello]\nsource = \"sources/ok.wat\"\nlimits = { timeout = 5 }\n",
    );
    assert!(message.contains("unknown key `timeout`"), "{message}");
    assert!(message.contains("did you mean `timeout_ms`?"), "{message}");
}

#[test]
fn an_unknown_function_name_suggests_the_closest_one() {
    let project = parse_ok(
        "[project]\nname = \"demo\"\n[functions.hello]\nsource = \"sources/ok.wat\"\n[functions.world]\nsource = \"sources/ok.wat\"\n",
    );
    let Err(error) = project.function("helo") else {
        panic!("found a function named helo");
    };
    assert_eq!(
        error.to_string(),
        "unknown function `helo`; did you mean `hello`?"
    );
    assert_eq!(error.exit_code(), 2);
    let Err(error) = project.function("zzz") else {
        panic!("found a function named zzz");
    };
    assert_eq!(
        error.to_string(),
        "unknown function `zzz`; the project defines `hello`, `world`"
    );
}

#[test]
fn discover_finds_the_config_from_a_subfolder() {
    let root = std::env::temp_dir().join(format!("wasmfaas-discover-{}", std::process::id()));
    let nested = root.join("functions/hello/src");
    fs::create_dir_all(&nested).unwrap_or_else(|error| panic!("{error}"));
    fs::write(root.join("wasmfaas.toml"), "[project]\nname = \"demo\"\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let found = Project::discover(&nested);
    let loaded = found.as_deref().map(Project::load);
    fs::remove_dir_all(&root).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(found, Some(root.join("wasmfaas.toml")));
    assert!(matches!(loaded, Some(Ok(project)) if project.root == root));
}

#[test]
fn loading_a_missing_file_is_a_read_error() {
    let error = Project::load(Path::new("fixtures/config/no-such-file.toml"));
    assert!(matches!(&error, Err(ConfigError::Read { .. })), "{error:?}");
    assert!(error.is_err_and(|error| error.exit_code() == 2));
}

#[test]
fn no_prefix_of_any_fixture_panics() {
    insta::glob!("../fixtures/config", "*.toml", |case| {
        let text = fs::read_to_string(case).unwrap_or_else(|error| panic!("{error}"));
        for (end, _) in text.char_indices() {
            // Only the absence of a panic matters here, not the outcome.
            let _ = Project::parse(&text[..end], case);
        }
    });
}

#[test]
fn windows_line_endings_and_tabs_keep_the_carets_aligned() {
    let message = parse_err("[project]\r\n\tname = \"demo\"\r\n\tfule = 1\r\n");
    assert!(
        message.contains("invalid.toml:3:2: unknown key `fule` in `[project]`"),
        "{message}"
    );
    assert!(
        message.contains("3 | \tfule = 1\n  | \t^^^^\n"),
        "{message}"
    );
}

#[test]
fn routes_that_differ_only_in_percent_encoding_conflict() {
    // The route table compares static segments decoded, so these two answer
    // the same requests (`/café` and `/caf%C3%A9`): a config error at the
    // later route.
    let message = parse_err(
        "[project]\nname = \"demo\"\n[functions.a]\nsource = \"sources/ok.wat\"\nroutes = [\"GET /caf%C3%A9\"]\n[functions.b]\nsource = \"sources/ok.wat\"\nroutes = [\"GET /café\"]\n",
    );
    assert!(message.contains("invalid.toml:8:11:"), "{message}");
    assert!(
        message.contains("route `GET /café` of function `b` conflicts with route `GET /caf%C3%A9` of function `a`"),
        "{message}"
    );
}

#[test]
fn instances_default_to_fresh_and_accept_warm() {
    let base = "[project]\nname = \"demo\"\n\n[functions.hello]\nsource = \"sources/ok.wat\"\n";
    let project = parse_ok(base);
    assert_eq!(
        project.functions["hello"].instances,
        wasmfaas::config::Instances::Fresh
    );
    let project = parse_ok(&format!("{base}instances = \"warm\"\n"));
    assert_eq!(
        project.functions["hello"].instances,
        wasmfaas::config::Instances::Warm
    );
    let message = parse_err(&format!("{base}instances = 2\n"));
    assert!(message.contains("functions.hello.instances"), "{message}");
}
