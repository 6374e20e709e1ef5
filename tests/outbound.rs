//! Outbound HTTP from guests: allowed origins are called for real (here an
//! upstream on 127.0.0.1 the test starts), anything else is DENIED before a
//! byte is sent, redirects are followed only when asked and each hop is
//! checked, and the per-invocation limits hold.

mod common;

use common::dev_server::TempProject;
use common::text;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A CGI program: its request body is a `http_fetch` envelope, which it
/// sends; it answers the staged result (200), or 502 with the host's
/// message when the call failed.
const PROXY: &str = include_str!("guests/fetch_proxy.wat");

/// An upstream on 127.0.0.1: `/public/hello` answers, `/public/redirect`
/// and `/public/outside` redirect (inside and outside the grant), `/slow`
/// answers after 3 s. It counts the requests it gets.
struct Upstream {
    port: u16,
    hits: Arc<AtomicUsize>,
    server: Arc<tiny_http::Server>,
}

impl Upstream {
    fn start() -> Upstream {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let (serving, counting) = (Arc::clone(&server), Arc::clone(&hits));
        std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                counting.fetch_add(1, Ordering::SeqCst);
                let header = |name: &str, value: &str| {
                    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
                };
                let seen = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("x-from-guest"))
                    .map(|h| h.value.to_string())
                    .unwrap_or_default();
                let response = match request.url() {
                    "/public/hello" => tiny_http::Response::from_string(format!(
                        "hi from upstream; x-from-guest={seen}"
                    ))
                    .with_header(header("x-up", "1")),
                    "/public/redirect" => tiny_http::Response::from_string("")
                        .with_status_code(302)
                        .with_header(header("location", "/public/hello")),
                    "/public/outside" => tiny_http::Response::from_string("")
                        .with_status_code(302)
                        .with_header(header("location", "/private/secret")),
                    "/slow" => {
                        std::thread::sleep(Duration::from_secs(3));
                        tiny_http::Response::from_string("late")
                    }
                    _ => tiny_http::Response::from_string("no").with_status_code(404),
                };
                let _ = request.respond(response);
            }
        });
        Upstream { port, hits, server }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn project(upstream: &Upstream, limits: &str) -> TempProject {
    let config = format!(
        "[project]\nname = \"calls\"\n\n[functions.proxy]\nsource = \"proxy.wat\"\nabi = \"cgi\"\n\
         routes = [\"POST /proxy\"]\noutbound = [\"http://127.0.0.1:{}/public/*\"]\n{limits}",
        upstream.port
    );
    TempProject::new(
        "outbound",
        &[("wasmfaas.toml", &config), ("proxy.wat", PROXY)],
    )
}

/// `invoke proxy` with `envelope` (head JSON; empty body) as its request body.
fn fetch_through(project: &TempProject, head: &str) -> Output {
    let body = format!("{head}\n");
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .args(["invoke", "proxy", "--path", "/proxy", "--body", &body])
        .output()
        .expect("running wasmfaas")
}

#[test]
fn an_allowed_origin_is_called_with_the_guests_headers() {
    let upstream = Upstream::start();
    let project = project(&upstream, "");
    let head = format!(
        r#"{{"url":"{}","headers":[["x-from-guest","ada"]]}}"#,
        upstream.url("/public/hello")
    );
    let out = fetch_through(&project, &head);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.starts_with("HTTP 200 OK\n"), "{stdout}");
    assert!(stdout.contains("\"status\":200"), "{stdout}");
    assert!(stdout.contains("[\"x-up\",\"1\"]"), "{stdout}");
    assert!(
        stdout.contains("hi from upstream; x-from-guest=ada"),
        "{stdout}"
    );
    assert_eq!(upstream.hits(), 1);
}

#[test]
fn anything_else_is_denied_before_a_byte_is_sent_and_says_what_to_add() {
    let upstream = Upstream::start();
    let project = project(&upstream, "");
    for url in [
        upstream.url("/private/secret"),
        upstream.url("/public/../private/secret"),
        format!("http://localhost:{}/public/hello", upstream.port),
    ] {
        let out = fetch_through(&project, &format!(r#"{{"url":"{url}"}}"#));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(stdout.starts_with("HTTP 502"), "{url}: {stdout}");
        assert!(
            stdout.contains("function `proxy` may not call") && stdout.contains("outbound = [...]"),
            "{stdout}"
        );
        // The function's log names the denial, so the console shows it.
        assert!(stderr.contains("wasmfaas: denied:"), "{stderr}");
    }
    assert_eq!(upstream.hits(), 0, "a denied request never leaves");
}

#[test]
fn redirects_are_returned_unless_followed_and_each_hop_is_checked() {
    let upstream = Upstream::start();
    let project = project(&upstream, "");
    let manual = fetch_through(
        &project,
        &format!(r#"{{"url":"{}"}}"#, upstream.url("/public/redirect")),
    );
    assert!(
        text(&manual.stdout).contains("\"status\":302"),
        "{}",
        text(&manual.stdout)
    );
    let followed = fetch_through(
        &project,
        &format!(
            r#"{{"url":"{}","redirect":"follow"}}"#,
            upstream.url("/public/redirect")
        ),
    );
    let stdout = text(&followed.stdout);
    assert!(
        stdout.contains("\"status\":200") && stdout.contains("hi from upstream"),
        "{stdout}"
    );
    assert!(stdout.contains("/public/hello"), "the final URL: {stdout}");
    assert_eq!(upstream.hits(), 3);
    // A redirect out of the grant is denied at that hop.
    let out = fetch_through(
        &project,
        &format!(
            r#"{{"url":"{}","redirect":"follow"}}"#,
            upstream.url("/public/outside")
        ),
    );
    assert!(
        text(&out.stdout).contains("may not call"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(upstream.hits(), 4, "the private path was never requested");
}

#[test]
fn the_subrequest_limit_counts_redirects() {
    let upstream = Upstream::start();
    let project = project(&upstream, "[functions.proxy.limits]\nsubrequests = 1\n");
    let out = fetch_through(
        &project,
        &format!(
            r#"{{"url":"{}","redirect":"follow"}}"#,
            upstream.url("/public/redirect")
        ),
    );
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("HTTP 502"), "{stdout}");
    assert!(
        stdout.contains("has made its 1 outbound requests"),
        "{stdout}"
    );
    assert_eq!(upstream.hits(), 1);
}

#[test]
fn waiting_on_the_network_counts_against_the_timeout() {
    let upstream = Upstream::start();
    let config_limits = "[functions.proxy.limits]\ntimeout_ms = 300\n";
    let config = format!(
        "[project]\nname = \"calls\"\n\n[functions.proxy]\nsource = \"proxy.wat\"\nabi = \"cgi\"\n\
         routes = [\"POST /proxy\"]\noutbound = [\"http://127.0.0.1:{}\"]\n{config_limits}",
        upstream.port
    );
    let project = TempProject::new(
        "outbound-slow",
        &[("wasmfaas.toml", &config), ("proxy.wat", PROXY)],
    );
    let out = fetch_through(
        &project,
        &format!(r#"{{"url":"{}"}}"#, upstream.url("/slow")),
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    // Either the call gives up with the invocation's time, or the runtime
    // ends the invocation as it returns: never the upstream's late answer.
    assert!(!all.contains("late"), "{all}");
    assert!(
        all.contains("did not answer before the invocation's timeout") || all.contains("timeout"),
        "{all}"
    );
}

#[test]
fn a_replay_never_reaches_the_network() {
    let upstream = Upstream::start();
    let project = project(&upstream, "");
    let envelope = format!(r#"{{"url":"{}"}}"#, upstream.url("/public/hello"));
    let body = serde_json::to_string(&format!("{envelope}\n")).unwrap();
    let fixture = format!(
        r#"{{
  "wasmfaas": "fixture/1",
  "function": "proxy",
  "time": "2026-12-01T00:00:00Z",
  "seed": 1,
  "http": {{ "method": "POST", "path": "/proxy", "headers": [], "body": {body} }}
}}"#
    );
    project.write("fixtures/proxy/post-proxy-1.json", fixture);
    let out = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .args(["replay", "fixtures"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("its outbound calls differ from the fixture's recording")
            && stderr.contains("which the fixture does not hold (it recorded 0 call(s))"),
        "{stderr}"
    );
    assert_eq!(upstream.hits(), 0);
}

#[test]
fn recorded_calls_replay_without_the_network_and_a_changed_call_is_a_clear_failure() {
    let upstream = Upstream::start();
    let project = project(&upstream, "");
    let record_dir = project.path("fixtures");
    let server = common::dev_server::DevServer::start(
        &project,
        &[
            "--ephemeral",
            "--no-watch",
            "--record",
            record_dir.to_str().unwrap(),
        ],
    );
    let head = format!(
        r#"{{"url":"{}","headers":[["authorization","Bearer sk_live_abc"]]}}"#,
        upstream.url("/public/hello")
    );
    let reply = server.post("/proxy", format!("{head}\n").as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let path = record_dir.join("proxy/post-proxy-1.json");
    let fixture =
        common::dev_server::wait_for("the fixture", || std::fs::read_to_string(&path).ok());
    server.stop();
    assert_eq!(upstream.hits(), 1);
    // The call and its answer are in the fixture, the call's credentials
    // redacted (the trigger's body, which the test wrote, still has them).
    assert!(fixture.contains("\"outbound\""), "{fixture}");
    assert!(fixture.contains("hi from upstream"), "{fixture}");
    assert!(
        fixture.contains("[\"authorization\", \"[redacted]\"]"),
        "{fixture}"
    );

    // Replayed from the recording: the same response, no traffic.
    let replay = || {
        Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
            .current_dir(project.root())
            .env("NO_COLOR", "1")
            .args(["replay", "fixtures"])
            .output()
            .unwrap()
    };
    let out = replay();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("= same response as recorded"));
    assert_eq!(upstream.hits(), 1, "the replay sent nothing");

    // The fixture now holds another URL than the one the function calls.
    let moved = fixture.replace("/public/hello\"", "/public/elsewhere\"");
    assert_ne!(moved, fixture);
    std::fs::write(&path, moved).unwrap();
    let out = replay();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("call 1: the fixture recorded GET")
            && stderr.contains("/public/elsewhere, the function now calls GET")
            && stderr.contains("/public/hello"),
        "{stderr}"
    );
    assert_eq!(upstream.hits(), 1);
}
