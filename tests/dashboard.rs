//! The dashboard `wasmfaas dev` serves under `/__wasmfaas/`, driven over
//! HTTP on 127.0.0.1 as its page drives it: the token and origin checks, the
//! live stream and the ring of invocations, the functions panel's API, and
//! the KV and S3 browser's API. (No browser runs here: see docs/dashboard.md.)

mod common;

use common::dev_server::{DevServer, PATIENCE, RawConnection, Reply, TempProject, wait_for};
use common::printing_wat;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

const CONFIG: &str = r#"[project]
name = "dash"

[functions.hello]
source = "hello.wat"
routes = ["GET /hello"]
kv = ["NOTES"]
s3 = ["photos"]

[functions.hello.limits]
memory_mb = 256

[functions.broken]
source = "broken.wat"
routes = ["GET /broken"]

[functions.onupload]
source = "hello.wat"
s3 = ["photos"]

[[functions.onupload.triggers]]
s3 = { bucket = "photos", events = ["ObjectCreated:*"] }

[kv.NOTES]

[s3.photos]
"#;

/// WAT that does not compile; its error must reach the functions panel.
const BROKEN_WAT: &str = "(module\n  (func (export \"_start\") (i32.bogus)))\n";

fn hello_wat() -> String {
    printing_wat(1, "{\"status\":200}\nhi", "")
}

fn project(tag: &str) -> TempProject {
    TempProject::new(
        tag,
        &[
            ("wasmfaas.toml", CONFIG),
            ("hello.wat", &hello_wat()),
            ("broken.wat", BROKEN_WAT),
        ],
    )
}

/// A running dev server and the dashboard token it printed.
struct Dash {
    server: DevServer,
    token: String,
}

impl Dash {
    fn start(tag: &str, args: &[&str]) -> (TempProject, Dash) {
        let project = project(tag);
        let mut all = vec!["--ephemeral", "--no-watch"];
        all.extend_from_slice(args);
        let server = DevServer::start(&project, &all);
        let printed = server.wait_for_stdout(0, "Dashboard http://");
        let line = printed.lines().last().expect("the Dashboard line");
        let url = line
            .split_whitespace()
            .nth(1)
            .expect("a URL after `Dashboard`");
        assert!(
            url.starts_with(&format!(
                "http://127.0.0.1:{}/__wasmfaas/?token=",
                server.address().port()
            )),
            "{line}"
        );
        let token = url.rsplit_once("token=").expect("a token").1.to_string();
        (project, Dash { server, token })
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    /// `method path` with the token in `Authorization`, as the page sends it.
    fn api(&self, method: &str, path: &str, body: Option<&[u8]>) -> Reply {
        let bearer = self.bearer();
        self.server.request(
            method,
            &format!("/__wasmfaas/api/{path}"),
            &[("authorization", &bearer)],
            body,
        )
    }

    fn json(&self, path: &str) -> Value {
        let reply = self.api("GET", path, None);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        serde_json::from_slice(&reply.body).expect("JSON")
    }
}

fn error_of(reply: &Reply) -> String {
    let document: Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|_| panic!("a JSON error, got {:?}", reply.text()));
    document["error"]
        .as_str()
        .expect("an `error` field")
        .to_string()
}

#[test]
fn the_page_needs_the_printed_token_and_keeps_it_in_a_strict_cookie() {
    let (_project, dash) = Dash::start("dash-page", &[]);
    let page = dash
        .server
        .get(&format!("/__wasmfaas/?token={}", dash.token));
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.text().contains(&dash.token),
        "the page's scripts get the token"
    );
    let cookie = page.header("set-cookie").expect("a cookie");
    let port = dash.server.address().port();
    assert!(cookie.starts_with(&format!("wasmfaas_dashboard_{port}={}", dash.token)));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'sha256-") && policy.contains("frame-ancestors 'none'"));

    // With the cookie alone (a reload without the query), the page still loads.
    let cookie_pair = cookie.split(';').next().unwrap();
    let again = dash
        .server
        .request("GET", "/__wasmfaas/", &[("cookie", cookie_pair)], None);
    assert_eq!(again.status, 200);

    for target in [
        "/__wasmfaas/".to_string(),
        "/__wasmfaas/?token=0123456789abcdef0123456789abcdef".to_string(),
        "/__wasmfaas/api/functions".to_string(),
        format!("/__wasmfaas/api/functions?token={}x", dash.token),
    ] {
        let refused = dash.server.get(&target);
        assert_eq!(refused.status, 401, "{target}");
        assert!(
            error_of(&refused).contains("Dashboard URL that `wasmfaas dev` printed"),
            "{target}: {}",
            refused.text()
        );
    }
    // The health check stays the gateway's, token-free.
    assert_eq!(dash.server.get("/__wasmfaas/health").status, 200);
}

#[test]
fn foreign_origins_are_refused_with_403_even_with_the_token() {
    let (_project, dash) = Dash::start("dash-origin", &[]);
    let bearer = dash.bearer();
    for origin in [
        "https://evil.example",
        "null",
        "http://localhost.evil.example",
    ] {
        let refused = dash.server.request(
            "GET",
            "/__wasmfaas/api/functions",
            &[("authorization", &bearer), ("origin", origin)],
            None,
        );
        assert_eq!(refused.status, 403, "{origin}");
        assert!(error_of(&refused).contains("only pages served from this machine"));
        let write = dash.server.request(
            "PUT",
            "/__wasmfaas/api/kv/NOTES/k",
            &[("authorization", &bearer), ("origin", origin)],
            Some(b"v"),
        );
        assert_eq!(write.status, 403, "{origin}");
    }
    let local = format!("http://localhost:{}", dash.server.address().port());
    let allowed = dash.server.request(
        "GET",
        "/__wasmfaas/api/functions",
        &[("authorization", &bearer), ("origin", &local)],
        None,
    );
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    // Nothing was written by the refused requests.
    assert_eq!(dash.api("GET", "kv/NOTES/k", None).status, 404);
}

#[test]
fn writes_need_the_bearer_token_not_only_the_cookie() {
    let (_project, dash) = Dash::start("dash-write", &[]);
    let port = dash.server.address().port();
    let cookie = format!("wasmfaas_dashboard_{port}={}", dash.token);
    let read = dash.server.request(
        "GET",
        "/__wasmfaas/api/kv/NOTES",
        &[("cookie", &cookie)],
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text());
    let write = dash.server.request(
        "PUT",
        "/__wasmfaas/api/kv/NOTES/k",
        &[("cookie", &cookie)],
        Some(b"v"),
    );
    assert_eq!(write.status, 401);
    assert!(error_of(&write).contains("Authorization: Bearer"));
    assert_eq!(dash.api("PUT", "kv/NOTES/k", Some(b"v")).status, 200);
}

#[test]
fn the_functions_api_shows_routes_limits_and_the_last_build_error_in_full() {
    let (_project, dash) = Dash::start("dash-functions", &[]);
    let document = dash.json("functions");
    let functions = document["functions"].as_array().unwrap();
    let hello = functions.iter().find(|f| f["name"] == "hello").unwrap();
    assert_eq!(hello["routes"], serde_json::json!(["GET /hello"]));
    assert_eq!(hello["limits"]["memory_mb"], 256);
    assert_eq!(hello["kv"], serde_json::json!(["NOTES"]));
    assert_eq!(hello["build"]["state"], "ready");
    let broken = functions.iter().find(|f| f["name"] == "broken").unwrap();
    assert_eq!(broken["build"]["state"], "not_built");
    let error = broken["build"]["error"].as_str().expect("the build error");
    assert!(
        error.contains("broken.wat") && error.contains("2:"),
        "{error}"
    );
    assert_eq!(document["kv_namespaces"], serde_json::json!(["NOTES"]));
    assert_eq!(document["buckets"], serde_json::json!(["photos"]));
    assert!(
        document["cost_model"]["native_ns_per_fuel"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

/// One server-sent-events stream, read from a raw socket.
struct Stream {
    socket: TcpStream,
    received: String,
}

impl Stream {
    fn open(address: SocketAddr, token: &str) -> Stream {
        let mut socket = TcpStream::connect(address).expect("connecting");
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        let request = format!(
            "GET /__wasmfaas/api/events?token={token} HTTP/1.1\r\nHost: localhost\r\n\
             Accept: text/event-stream\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).unwrap();
        let mut stream = Stream {
            socket,
            received: String::new(),
        };
        stream.read_until("\r\n\r\n");
        stream
    }

    fn status(&self) -> u16 {
        self.received[9..12].parse().expect("a status line")
    }

    /// Reads until `needle` has arrived; returns everything so far.
    fn read_until(&mut self, needle: &str) -> &str {
        while !self.received.contains(needle) {
            let mut chunk = [0u8; 4096];
            let n = self.socket.read(&mut chunk).unwrap_or_else(|e| {
                panic!(
                    "waiting for {needle:?} in the stream: {e}; got {:?}",
                    self.received
                )
            });
            assert!(
                n > 0,
                "the stream closed before {needle:?}: {:?}",
                self.received
            );
            self.received
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
        &self.received
    }
}

#[test]
fn invocations_stream_live_and_are_held_for_filtering() {
    let (_project, dash) = Dash::start("dash-live", &[]);
    let mut stream = Stream::open(dash.server.address(), &dash.token);
    assert_eq!(stream.status(), 200);
    assert!(
        stream
            .received
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream")
    );

    // One at a time: workers report in the order they finish.
    assert_eq!(dash.server.get("/hello?n=1").status, 200);
    stream.read_until("\"target\":\"/hello?n=1\"");
    assert_eq!(dash.server.get("/missing").status, 404);
    let received = stream.read_until("\"target\":\"/missing\"").to_string();
    let frame = received
        .split("\n\n")
        .find(|frame| frame.contains("\"target\":\"/hello?n=1\""))
        .expect("the /hello request's frame");
    let data = frame.split_once("data: ").expect("a data line").1;
    assert!(frame.contains("event: invocation"), "{frame}");
    let invocation: Value = serde_json::from_str(data).expect("JSON data");
    assert_eq!(invocation["function"], "hello");
    assert_eq!(invocation["status"], 200);
    assert!(invocation["fuel"].as_u64().unwrap() > 0);
    assert!(invocation["peak_memory_bytes"].as_u64().unwrap() >= 65536);
    assert_eq!(invocation["cost"]["lambda_memory_mb"], 256);
    assert!(invocation["cost"]["lambda_x86_usd"].as_f64().unwrap() > 0.0);

    let held = |query: &str| -> Vec<String> {
        dash.json(&format!("invocations{query}"))["invocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["target"].as_str().unwrap().to_string())
            .collect()
    };
    // The health checks `DevServer` made while waiting are requests too.
    let all = held("");
    let others: Vec<&String> = all.iter().filter(|t| *t != "/__wasmfaas/health").collect();
    assert_eq!(others, ["/hello?n=1", "/missing"]);
    assert_eq!(held("?function=hello"), ["/hello?n=1"]);
    assert_eq!(held("?status=4xx"), ["/missing"]);
    assert_eq!(held("?status=200&q=hello"), ["/hello?n=1"]);
    assert_eq!(held("?q=MISS"), ["/missing"]);
    assert_eq!(held("?limit=1"), ["/missing"]);
    let bad = dash.api("GET", "invocations?status=teapot", None);
    assert_eq!(bad.status, 400);
    assert!(error_of(&bad).contains("`4xx`"));
    // The dashboard's own requests are not invocations.
    assert!(!held("").iter().any(|t| t.starts_with("/__wasmfaas/api")));
}

/// Regression guard for the stream design: a stream holding a gateway
/// worker for as long as its tab is open would leave a `--workers 1`
/// server unable to answer anything once one tab is open.
#[test]
fn streams_do_not_hold_gateway_workers_and_are_bounded() {
    let (_project, dash) = Dash::start("dash-streams", &["--workers", "1"]);
    let address = dash.server.address();
    let streams: Vec<Stream> = (0..8).map(|_| Stream::open(address, &dash.token)).collect();
    assert!(streams.iter().all(|s| s.status() == 200));
    // The one worker still answers functions and the API.
    let mut raw = RawConnection::open(address);
    let reply = raw.exchange(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!((reply.status, reply.text().as_str()), (200, "hi"));
    assert_eq!(dash.api("GET", "functions", None).status, 200);
    // One stream more than the bound is refused, with what to do.
    let mut ninth = Stream::open(address, &dash.token);
    assert_eq!(ninth.status(), 503);
    ninth.read_until("close one");
    // Closing tabs frees their places, once their threads notice: a
    // stream's next write fails (an event, or the 15 s heartbeat).
    drop(streams);
    wait_for("a closed stream's place to be given back", || {
        assert_eq!(dash.server.get("/hello").status, 200);
        let stream = Stream::open(address, &dash.token);
        (stream.status() == 200).then_some(())
    });
}

#[test]
fn kv_entries_can_be_listed_read_written_and_deleted() {
    let (_project, dash) = Dash::start("dash-kv", &[]);
    let put = dash.server.request(
        "PUT",
        "/__wasmfaas/api/kv/NOTES/greeting%20%F0%9F%91%8B?ttl=3600",
        &[
            ("authorization", &dash.bearer()),
            ("x-wasmfaas-metadata", "{\"by\":\"ada\"}"),
        ],
        Some(b"hello there"),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        dash.api("PUT", "kv/NOTES/bin", Some(&[0xff, 0x00])).status,
        200
    );

    let listed = dash.json("kv/NOTES?prefix=greet");
    let keys = listed["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["name"], "greeting 👋");
    assert_eq!(keys[0]["metadata"]["by"], "ada");
    assert!(keys[0]["expiration"].as_str().is_some());

    let entry = dash.json("kv/NOTES/greeting%20%F0%9F%91%8B");
    assert_eq!(entry["text"], "hello there");
    assert_eq!(entry["size"], 11);
    assert_eq!(dash.json("kv/NOTES/bin")["base64"], "/wA=");

    assert_eq!(dash.api("DELETE", "kv/NOTES/bin", None).status, 200);
    let gone = dash.api("GET", "kv/NOTES/bin", None);
    assert_eq!(gone.status, 404);
    assert!(error_of(&gone).contains("no key \"bin\""));

    let bad_meta = dash.server.request(
        "PUT",
        "/__wasmfaas/api/kv/NOTES/k",
        &[
            ("authorization", &dash.bearer()),
            ("x-wasmfaas-metadata", "{nope"),
        ],
        Some(b"v"),
    );
    assert_eq!(bad_meta.status, 400);
    assert!(error_of(&bad_meta).contains("JSON"));
    let unknown = dash.api("GET", "kv/ELSEWHERE", None);
    assert_eq!(unknown.status, 404);
    assert!(error_of(&unknown).contains("[kv.ELSEWHERE]"));
    assert_eq!(dash.api("POST", "kv/NOTES/k", Some(b"v")).status, 405);
}

#[test]
fn objects_can_be_listed_read_uploaded_and_deleted_and_never_run_as_pages() {
    let (_project, dash) = Dash::start("dash-s3", &[]);
    let put = dash.server.request(
        "PUT",
        "/__wasmfaas/api/s3/photos/pages/evil.html",
        &[
            ("authorization", &dash.bearer()),
            ("content-type", "text/html"),
            ("x-amz-meta-owner", "ada"),
        ],
        Some(b"<script>alert(1)</script>"),
    );
    assert_eq!(put.status, 200, "{}", put.text());

    let listed = dash.json("s3/photos?prefix=pages/");
    let objects = listed["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["key"], "pages/evil.html");
    assert_eq!(objects[0]["content_type"], "text/html");
    assert_eq!(objects[0]["metadata"]["owner"], "ada");
    let grouped = dash.json("s3/photos?delimiter=/");
    assert_eq!(grouped["common_prefixes"], serde_json::json!(["pages/"]));

    let body = dash.api("GET", "s3/photos/pages/evil.html", None);
    assert_eq!(body.status, 200);
    assert_eq!(body.body, b"<script>alert(1)</script>");
    assert_eq!(
        body.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(body.header("x-wasmfaas-content-type"), Some("text/html"));
    assert_eq!(body.header("content-security-policy"), Some("sandbox"));

    assert_eq!(
        dash.api("DELETE", "s3/photos/pages/evil.html", None).status,
        200
    );
    let gone = dash.api("GET", "s3/photos/pages/evil.html", None);
    assert_eq!(gone.status, 404);
    assert!(error_of(&gone).contains("does not exist"));
    let unknown = dash.api("GET", "s3/elsewhere", None);
    assert_eq!(unknown.status, 404);
    assert!(error_of(&unknown).contains("[s3.elsewhere]"));
}

#[test]
fn no_dashboard_leaves_the_prefix_to_the_gateway() {
    let (_project, dash) = {
        let project = project("dash-off");
        let server = DevServer::start(&project, &["--ephemeral", "--no-watch", "--no-dashboard"]);
        (project, server)
    };
    assert!(!dash.stdout().contains("Dashboard http://"));
    assert_eq!(dash.get("/__wasmfaas/").status, 404);
    assert_eq!(dash.get("/__wasmfaas/health").status, 200);
}

/// Regression: the dashboard's 26 MiB body limit applied before the token
/// was checked, so a client without it could make `dev` read (and spool to
/// disk) a large upload only to refuse it. The limit is now judged from the
/// head: without the token, nothing is read and the refusal comes at once.
#[test]
fn a_write_without_the_token_is_refused_before_its_body_is_read() {
    let (_project, dash) = Dash::start("dash-body", &[]);
    let mut raw = RawConnection::open(dash.server.address());
    // The head promises 20 MB that never come.
    let reply = raw.exchange(
        b"PUT /__wasmfaas/api/s3/photos/big HTTP/1.1\r\nHost: localhost\r\n\
          Content-Length: 20000000\r\n\r\n",
    );
    assert_eq!(reply.status, 401, "{}", reply.text());
    // With the token, the same head waits for its body, which is then stored.
    let mut raw = RawConnection::open(dash.server.address());
    let head = format!(
        "PUT /__wasmfaas/api/s3/photos/small HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {}\r\nContent-Length: 5\r\n\r\n",
        dash.token
    );
    raw.send(head.as_bytes());
    let reply = raw.exchange(b"hello");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(dash.api("GET", "s3/photos/small", None).body, b"hello");
}

#[test]
fn an_upload_through_the_dashboard_fires_the_buckets_trigger_and_is_listed() {
    let (_project, dash) = Dash::start("dash-trigger", &[]);
    assert_eq!(
        dash.api("PUT", "s3/photos/cat.jpg", Some(b"meow")).status,
        200
    );
    let fired = wait_for("the trigger's invocation in the list", || {
        let held = dash.json("invocations?function=onupload");
        let first = held["invocations"].as_array()?.first()?.clone();
        Some(first)
    });
    assert_eq!(fired["method"], "EVENT", "{fired}");
    assert!(
        fired["target"].as_str().unwrap().contains("cat.jpg"),
        "{fired}"
    );
    assert!(fired["fuel"].as_u64().unwrap() > 0);
}
