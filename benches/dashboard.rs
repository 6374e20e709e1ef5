//! What an open dashboard costs the functions: `GET /hello` req/s under
//! `wrk` with the dashboard off (`--no-dashboard`), on with no tab, and on
//! with two tabs streaming every invocation (server-sent events), in
//! alternating rounds on the same machine. Issue 16's target: within 5 % of
//! the rate with the dashboard closed. Prints figures; asserts nothing. Run
//! with `cargo bench --bench dashboard`; `BENCH_QUICK=1` for a short run.
//! Needs `wrk` on PATH.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_wasmfaas");

/// A `http` guest answering 200 `hi` (no build step: WAT).
const HELLO_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"status\":200}\nhi")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 17))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

struct Server {
    child: Child,
    port: u16,
    dashboard: Option<String>,
}

impl Server {
    fn start(project: &PathBuf, dashboard: bool) -> Server {
        let mut command = Command::new(BINARY);
        command
            .args(["dev", "--port", "0", "--no-s3", "--no-watch", "--ephemeral"])
            .current_dir(project)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if !dashboard {
            command.arg("--no-dashboard");
        }
        let mut child = command.spawn().expect("starting wasmfaas dev");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut port, mut url) = (None, None);
        while let Some(Ok(line)) = lines.next() {
            if let Some(rest) = line.split("Serving http://").nth(1) {
                let address = rest.split_whitespace().next().unwrap_or_default();
                port = address.rsplit(':').next().and_then(|p| p.parse().ok());
            }
            if let Some(rest) = line.strip_prefix("Dashboard ") {
                url = Some(rest.trim().to_string());
            }
            if port.is_some() && (url.is_some() || !dashboard) {
                break;
            }
        }
        // Keep reading the console so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            port: port.expect("the Serving line"),
            dashboard: url,
        }
    }

    /// A tab's event stream, read on a thread; counts events received.
    fn open_tab(&self, received: Arc<AtomicU64>) {
        let token = self
            .dashboard
            .as_ref()
            .and_then(|u| u.split("token=").nth(1));
        let token = token.expect("a dashboard URL").to_string();
        let mut socket = TcpStream::connect(("127.0.0.1", self.port)).expect("connecting");
        let request =
            format!("GET /__wasmfaas/api/events?token={token} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        socket
            .write_all(request.as_bytes())
            .expect("asking for events");
        std::thread::spawn(move || {
            let mut chunk = [0u8; 65536];
            while let Ok(n @ 1..) = socket.read(&mut chunk) {
                let events = chunk[..n]
                    .windows(17)
                    .filter(|w| w == b"event: invocation")
                    .count();
                received.fetch_add(events as u64, Ordering::Relaxed);
            }
        });
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wrk`'s requests per second for `GET /hello`.
fn wrk(port: u16, secs: u32) -> f64 {
    let output = Command::new("wrk")
        .args(["-t2", "-c32", &format!("-d{secs}s")])
        .arg(format!("http://127.0.0.1:{port}/hello"))
        .output()
        .expect("running wrk");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .unwrap_or(0.0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("wrk is not on PATH; this bench needs it (apt install wrk). Skipped.");
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let (secs, rounds) = if quick { (2, 2) } else { (8, 5) };
    let project = std::env::temp_dir().join(format!("wasmfaas-bench-dash-{}", std::process::id()));
    std::fs::create_dir_all(&project).expect("a project folder");
    std::fs::write(
        project.join("wasmfaas.toml"),
        "[project]\nname = \"bench\"\n\n[functions.hello]\nsource = \"hello.wat\"\n\
         routes = [\"GET /hello\"]\n",
    )
    .expect("writing the config");
    std::fs::write(project.join("hello.wat"), HELLO_WAT).expect("writing the guest");

    let (mut off, mut idle, mut watched) = (Vec::new(), Vec::new(), Vec::new());
    let mut streamed = 0;
    for round in 0..rounds {
        off.push(wrk(Server::start(&project, false).port, secs));
        idle.push(wrk(Server::start(&project, true).port, secs));
        let server = Server::start(&project, true);
        let received = Arc::new(AtomicU64::new(0));
        server.open_tab(Arc::clone(&received));
        server.open_tab(Arc::clone(&received));
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        watched.push(wrk(server.port, secs));
        streamed = received.load(Ordering::Relaxed);
        println!(
            "round {round}: off {:.0}  on {:.0}  two tabs {:.0} req/s ({streamed} events to the \
             tabs in {:.1} s)",
            off[round],
            idle[round],
            watched[round],
            started.elapsed().as_secs_f64()
        );
    }
    let (off, idle, watched) = (median(&mut off), median(&mut idle), median(&mut watched));
    println!(
        "\nmedian GET /hello: dashboard off {off:.0} req/s; on, no tab {idle:.0} ({:+.1} %); \
         two tabs streaming {watched:.0} ({:+.1} %). Target: within 5 %.\n\
         Tabs that read too slowly lose events (counted, `event: lost`); requests never wait \
         for them. Last round's tabs received {streamed} events.",
        (idle / off - 1.0) * 100.0,
        (watched / off - 1.0) * 100.0
    );
    let _ = std::fs::remove_dir_all(&project);
}
