//! `wasmfaas new` as a user runs it: every template generates a project, in a
//! folder outside this repository, that builds (offline, with an empty cargo
//! home) and answers; adding, refusing and undoing work as documented.

mod common;

use common::{CONTEXT, run_with};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wasmfaas::config::Limits;
use wasmfaas::runtime::LoadedModule;
use wasmfaas::scaffold::{TEMPLATES, Template, Vars};

/// Runs the binary in `dir` as a user with no cargo home and no network:
/// cargo must find everything the generated project needs inside it.
fn wasmfaas(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CARGO_HOME", empty_cargo_home())
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .expect("the binary runs")
}

/// An empty cargo home, one per test binary.
fn empty_cargo_home() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmfaas-new-cargo-home-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh empty folder outside the repository.
fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmfaas-new-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(
        wasmfaas::config::Project::discover(&dir).is_none(),
        "{} must not be inside a wasmfaas project",
        dir.display()
    );
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that `out` succeeded, showing both streams if not.
#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Asserts that `out` failed with exit code 2, and returns its stderr.
#[track_caller]
fn usage_error(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// The response body `wasmfaas invoke` printed (after the blank line).
#[track_caller]
fn invoke_body(stdout: &str) -> &str {
    let (head, body) = stdout
        .split_once("\n\n")
        .expect("status, headers, blank line");
    assert!(head.starts_with("HTTP 200 OK\n"), "{stdout}");
    body.strip_suffix('\n').unwrap_or(body)
}

/// `wasmfaas new <name> --template <template>` in `parent`, then `build`
/// and `invoke` in the new project; returns the invoke output's body.
fn generate_build_invoke(parent: &Path, name: &str, template: &str, path: &str) -> String {
    ok(&wasmfaas(parent, &["new", name, "--template", template]));
    let project = parent.join(name);
    ok(&wasmfaas(&project, &["build"]));
    let out = ok(&wasmfaas(&project, &["invoke", name, "--path", path]));
    invoke_body(&out).to_string()
}

#[test]
fn the_rust_http_template_builds_offline_and_answers_json() {
    let dir = fresh("rust-http");
    let stdout = ok(&wasmfaas(&dir, &["new", "greeter"]));
    assert!(stdout.contains("functions/greeter/src/main.rs"), "{stdout}");
    assert!(
        stdout.contains("cd greeter && wasmfaas invoke greeter --path '/greeter?name=Ada'"),
        "{stdout}"
    );
    let project = dir.join("greeter");
    let manifest = std::fs::read_to_string(project.join("functions/greeter/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("wasmfaas-sdk = { path = \"../../sdk\" }"),
        "{manifest}"
    );
    assert!(project.join("sdk/src/lambda.rs").is_file());
    ok(&wasmfaas(&project, &["build"]));
    let out = ok(&wasmfaas(
        &project,
        &["invoke", "greeter", "--path", "/greeter?name=Ada"],
    ));
    assert_eq!(invoke_body(&out), r#"{"message":"Hello, Ada!"}"#);
}

#[test]
fn a_project_created_inside_a_cargo_workspace_still_builds() {
    let dir = fresh("in-workspace");
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = []\nresolver = \"2\"\n",
    )
    .unwrap();
    let body = generate_build_invoke(&dir, "inner", "rust-http", "/inner?name=Bo");
    assert_eq!(body, r#"{"message":"Hello, Bo!"}"#);
}

#[test]
fn the_wat_template_answers_and_echoes_a_body() {
    let dir = fresh("wat");
    let body = generate_build_invoke(&dir, "tiny", "wat", "/tiny");
    assert_eq!(body, "Hello from WebAssembly text!");
    // Bytes as they are: a newline and a NUL pass through untouched.
    let body = dir.join("body.bin");
    std::fs::write(&body, b"echo me\n\0bytes").unwrap();
    let out = ok(&wasmfaas(
        &dir.join("tiny"),
        &[
            "invoke",
            "tiny",
            // The template's route is `GET /tiny`; a body alone would make
            // it a POST, which the route does not take.
            "-X",
            "GET",
            "--path",
            "/tiny",
            "--body-file",
            body.to_str().unwrap(),
        ],
    ));
    assert_eq!(invoke_body(&out), "echo me\n\0bytes");
    // More than its buffer holds: it says so with a status.
    std::fs::write(&body, vec![b'x'; 130 * 1024]).unwrap();
    let out = ok(&wasmfaas(
        &dir.join("tiny"),
        &[
            "invoke",
            "tiny",
            // The template's route is `GET /tiny`; a body alone would make
            // it a POST, which the route does not take.
            "-X",
            "GET",
            "--path",
            "/tiny",
            "--body-file",
            body.to_str().unwrap(),
        ],
    ));
    assert!(out.starts_with("HTTP 413 "), "{out}");
    assert!(out.contains("larger than this function reads"), "{out}");
    assert!(!dir.join("tiny/sdk").exists(), "a WAT project needs no SDK");
}

#[test]
fn the_rust_lambda_template_answers_through_api_gateway() {
    let dir = fresh("rust-lambda");
    let body = generate_build_invoke(&dir, "lam", "rust-lambda", "/lam?name=Ada");
    assert_eq!(body, r#"{"message":"Hello, Ada!","path":"/lam"}"#);
}

#[test]
fn the_c_cgi_template_answers_through_cgi() {
    if !common::clang::available("the_c_cgi_template_answers_through_cgi") {
        return;
    }
    let dir = fresh("c-cgi");
    let body = generate_build_invoke(&dir, "legacy", "c-cgi", "/legacy?name=Ada");
    assert_eq!(body, r#"{"message":"Hello, Ada!"}"#);
}

/// Writes `template`'s function files for a function `name` into `dir`, with
/// the SDK taken from this repository, without going through the config.
fn render_function(template: &str, name: &str, dir: &Path) -> Vars {
    let template = Template::find(template).unwrap();
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk");
    let vars = Vars {
        name: name.into(),
        project: "p".into(),
        dir: format!("functions/{name}"),
        route: format!("GET /{name}"),
        path: format!("/{name}"),
        sdk_path: sdk.display().to_string(),
        sdk_note: String::new(),
    };
    for (rel, text) in template.function_files() {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vars.render(text, rel.ends_with(".toml"))).unwrap();
    }
    vars
}

/// Builds the crate in `dir` for wasm32-wasip1, offline, and loads `bin`.
fn build_guest(dir: &Path, bin: &str) -> LoadedModule {
    let target = dir.join("target");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--offline",
            "--release",
            "--target",
            "wasm32-wasip1",
        ])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(dir)
        .env("CARGO_HOME", empty_cargo_home())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .unwrap();
    ok(&out);
    let wasm = target.join(format!("wasm32-wasip1/release/{bin}.wasm"));
    LoadedModule::from_file(bin, &wasm).expect("the guest loads")
}

/// An API Gateway HTTP API event (payload format 2.0), as AWS documents it.
const V2_EVENT: &str = r#"{"version":"2.0","routeKey":"GET /lam","rawPath":"/lam","rawQueryString":"name=Ada%20L","headers":{"host":"localhost"},"queryStringParameters":{"name":"Ada L"},"requestContext":{"http":{"method":"GET","path":"/lam","protocol":"HTTP/1.1","sourceIp":"127.0.0.1"},"requestId":"r1","stage":"$default"},"isBase64Encoded":false}"#;

#[test]
fn the_rust_lambda_handler_turns_a_v2_event_into_a_proxy_response() {
    let dir = fresh("lambda-guest");
    render_function("rust-lambda", "lam", &dir);
    // A second binary: a handler that fails, to see how `lambda::run` reports it.
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(
        dir.join("src/bin/failing.rs"),
        "use wasmfaas_sdk::lambda::{self, Error, Value};\n\
         fn main() {\n\
             lambda::run(|_event: &Value| -> Result<Value, Error> { Err(\"no such order\".into()) });\n\
         }\n",
    )
    .unwrap();
    let limits = Limits::default();

    let module = build_guest(&dir, "lam");
    let report = run_with(&module, V2_EVENT.as_bytes(), &limits, CONTEXT);
    let stdout = report.result.expect("the handler succeeds");
    let response: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(
        response,
        serde_json::json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": "{\"message\":\"Hello, Ada L!\",\"path\":\"/lam\"}",
            "isBase64Encoded": false
        })
    );
    assert_eq!(text(&report.stderr), "GET /lam for Ada L\n");

    let report = run_with(&module, b"{not json", &limits, CONTEXT);
    let error = report.result.expect_err("an event that is not JSON fails");
    assert_eq!(error.to_string(), "exited with status 70");
    assert!(
        text(&report.stderr).contains("not JSON"),
        "{}",
        text(&report.stderr)
    );

    let failing = build_guest(&dir, "failing");
    let report = run_with(&failing, V2_EVENT.as_bytes(), &limits, CONTEXT);
    let error = report
        .result
        .expect_err("a handler error fails the invocation");
    assert_eq!(error.to_string(), "exited with status 1");
    assert_eq!(
        text(&report.stderr),
        "wasmfaas-sdk: the handler failed: no such order\n"
    );
}

#[test]
fn the_c_cgi_template_builds_with_its_own_command_and_speaks_cgi() {
    if !common::clang::available("the_c_cgi_template_builds_with_its_own_command_and_speaks_cgi") {
        return;
    }
    let dir = fresh("cgi-guest");
    let vars = render_function("c-cgi", "legacy", &dir);
    let template = Template::find("c-cgi").unwrap();
    let snippet: toml::Table = vars
        .render(template.config_snippet(), true)
        .parse()
        .unwrap();
    let function = &snippet["functions"]["legacy"];
    assert_eq!(function["abi"].as_str(), Some("cgi"));
    assert_eq!(
        function["source"].as_str(),
        Some("functions/legacy/app.wasm")
    );
    // The build command exactly as the config will run it, in the function's folder.
    let command = function["build"].as_str().unwrap();
    ok(&Command::new("sh")
        .args(["-c", command])
        .current_dir(&dir)
        .output()
        .unwrap());
    let module = LoadedModule::from_file("legacy", &dir.join("app.wasm")).unwrap();
    let report = module.invoke(wasmfaas::runtime::Invocation {
        stdin: Vec::new(),
        args: vec!["legacy".into()],
        env: vec![
            ("GATEWAY_INTERFACE".into(), "CGI/1.1".into()),
            ("REQUEST_METHOD".into(), "GET".into()),
            ("QUERY_STRING".into(), "x=1&name=Ada+%22L%22".into()),
        ],
        context: CONTEXT,
        limits: &Limits::default(),
        bindings: None,
    });
    let stdout = report.result.expect("the program succeeds");
    assert_eq!(
        text(&stdout),
        "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"message\":\"Hello, Ada \\\"L\\\"!\"}"
    );
    assert_eq!(
        text(&report.stderr),
        "GET with 0 body bytes for Ada \"L\"\n"
    );
}

#[test]
fn a_bare_relative_path_creates_the_project_there() {
    // `--path proj` failed with "cannot create proj" (only `./proj` worked).
    let dir = fresh("relative");
    let stdout = ok(&wasmfaas(
        &dir,
        &["new", "demo", "--path", "proj", "--template", "wat"],
    ));
    assert!(dir.join("proj/wasmfaas.toml").is_file(), "{stdout}");
    assert!(
        stdout.contains("cd proj && wasmfaas invoke demo"),
        "{stdout}"
    );
    let out = ok(&wasmfaas(&dir.join("proj"), &["invoke", "demo"]));
    assert!(!invoke_body(&out).is_empty());
}

#[test]
fn a_second_function_is_added_from_inside_the_project() {
    let dir = fresh("add");
    ok(&wasmfaas(&dir, &["new", "app", "--template", "wat"]));
    let project = dir.join("app");
    let before = std::fs::read_to_string(project.join("wasmfaas.toml")).unwrap();
    // From a subfolder: the project is found in a parent, as every command finds it.
    let stdout = ok(&wasmfaas(
        &project.join("functions"),
        &[
            "new",
            "second",
            "--template",
            "wat",
            "--route",
            "POST /second/:id",
        ],
    ));
    assert!(stdout.contains("Added the function `second`"), "{stdout}");
    // The hint is a command that matches the route it added.
    assert!(
        stdout.contains("wasmfaas invoke second -X POST --path /second/id --body"),
        "{stdout}"
    );
    assert!(stdout.contains("appended [functions.second]"), "{stdout}");
    let after = std::fs::read_to_string(project.join("wasmfaas.toml")).unwrap();
    assert!(
        after.starts_with(&before),
        "the existing text is untouched:\n{after}"
    );
    assert!(after.contains("routes = [\"POST /second/:id\"]"), "{after}");
    let out = ok(&wasmfaas(
        &project,
        &[
            "invoke",
            "second",
            "-X",
            "POST",
            "--path",
            "/second/7",
            "--body",
            "hi",
        ],
    ));
    assert_eq!(invoke_body(&out), "hi");
    let out = ok(&wasmfaas(&project, &["invoke", "app"]));
    assert_eq!(invoke_body(&out), "Hello from WebAssembly text!");
}

#[test]
fn a_duplicate_function_or_folder_is_refused_and_nothing_changes() {
    let dir = fresh("duplicate");
    ok(&wasmfaas(&dir, &["new", "app", "--template", "wat"]));
    let project = dir.join("app");
    let config = std::fs::read(project.join("wasmfaas.toml")).unwrap();
    let stderr = usage_error(&wasmfaas(&project, &["new", "app", "--template", "wat"]));
    assert!(stderr.contains("already has a function `app`"), "{stderr}");
    std::fs::create_dir_all(project.join("functions/other")).unwrap();
    let stderr = usage_error(&wasmfaas(&project, &["new", "other", "--template", "wat"]));
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read(project.join("wasmfaas.toml")).unwrap(),
        config
    );
    // Outside a project, an existing non-empty folder is refused the same way.
    let stderr = usage_error(&wasmfaas(&dir, &["new", "app", "--template", "wat"]));
    assert!(stderr.contains("already a wasmfaas project"), "{stderr}");
}

#[test]
fn an_invalid_name_is_refused_before_anything_is_written() {
    let dir = fresh("invalid-name");
    for name in ["Hello", "9lives", "../escape", "a b"] {
        let stderr = usage_error(&wasmfaas(&dir, &["new", name]));
        assert!(
            stderr.contains(&format!("invalid function name `{name}`")),
            "{stderr}"
        );
        assert!(stderr.contains("start with a letter"), "{stderr}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    assert!(!dir.parent().unwrap().join("escape").exists());
}

#[test]
fn an_unknown_template_exits_2_listing_the_templates() {
    let dir = fresh("unknown-template");
    let stderr = usage_error(&wasmfaas(&dir, &["new", "x", "--template", "rust"]));
    for template in TEMPLATES {
        assert!(stderr.contains(template.name), "{stderr}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn list_and_help_describe_every_template() {
    let dir = fresh("list");
    let list = ok(&wasmfaas(&dir, &["new", "--list"]));
    let help = ok(&wasmfaas(&dir, &["new", "--help"]));
    for template in TEMPLATES {
        let line = format!("{:11}  {}", template.name, template.summary);
        assert!(list.contains(&line), "{list}");
        assert!(help.contains(template.name), "{help}");
        // clap wraps long descriptions; compare their first words.
        let start: String = template.summary.chars().take(20).collect();
        assert!(help.contains(&start), "{help}");
    }
}

#[test]
fn a_failing_add_restores_the_config_byte_for_byte() {
    let dir = fresh("restore");
    ok(&wasmfaas(&dir, &["new", "app", "--template", "wat"]));
    let project = dir.join("app");
    let config = project.join("wasmfaas.toml");
    // The user's own formatting: comments, odd spacing, no final newline.
    let mut original = std::fs::read(&config).unwrap();
    original.extend_from_slice(b"\n# mine  \n[functions.app.limits]\nfuel   =  5000000");
    std::fs::write(&config, &original).unwrap();

    let stderr = usage_error(&wasmfaas(
        &project,
        &[
            "new",
            "clash",
            "--template",
            "rust-http",
            "--route",
            "GET /app",
        ],
    ));
    assert!(
        stderr.contains(
            "route `GET /app` of function `clash` conflicts with route `GET /app` of function `app`"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(std::fs::read(&config).unwrap(), original);
    assert!(!project.join("functions/clash").exists());
    assert!(
        !project.join("sdk").exists(),
        "the SDK written for it is removed too"
    );
}
