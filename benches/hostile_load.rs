//! Good `GET /hello` load on `wasmfaas dev`, alone and with 10% of the
//! connections hostile: what a slow or malicious client, or a runaway guest,
//! costs everyone else.
//!
//! A small wrk-style load generator (one thread per keep-alive connection,
//! loopback only, bounded in time and in requests) drives the release binary
//! on a project it writes to a temp folder: `hello` (a WAT guest answering
//! `hello`) and `runaway` (a WAT guest that loops until its 1 s timeout).
//! Clean and mixed runs alternate, three each, each on a fresh server; the
//! summary gives medians. In the mixed run one connection in ten is hostile,
//! in turn:
//! - a stalled body: `POST /upload` announcing 4 KiB and sending nothing,
//!   held open until the run ends;
//! - a garbage head: 2 KiB of noise, then waiting for the close;
//! - a runaway guest: `GET /runaway`, answered with a 504 after its timeout.
//!
//! `cargo bench --bench hostile_load`; `BENCH_QUICK=1` for 2 s runs instead
//! of 10 s; `HOSTILE_KINDS=stalled` (or `garbage`, `runaway`, or a
//! comma-separated list) fills the hostile slots with those kinds only;
//! `WASMFAAS_BENCH_BINARY=path` runs another build. Prints good requests sent / succeeded / failed and req/s per run,
//! then the medians and the mixed/clean ratio. Exits 1 if any good request
//! failed. It needs nothing installed (no wrk).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The binary under test: this build's, or `WASMFAAS_BENCH_BINARY` (to
/// compare two builds on the same machine in the same hour).
fn binary() -> PathBuf {
    std::env::var_os("WASMFAAS_BENCH_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_wasmfaas")),
        PathBuf::from,
    )
}

/// Connections per run; in the mixed run every tenth is hostile.
const CONNECTIONS: usize = 30;

/// Stop a run's good connections after this many requests, whatever the time.
const MAX_REQUESTS_PER_CONNECTION: u64 = 200_000;

/// A good request unanswered for this long counts as failed (and its
/// connection is replaced). Far above any answer's time: it bounds a hang.
const ANSWER_PATIENCE: Duration = Duration::from_secs(10);

const ROUNDS: usize = 3;

const CONFIG: &str = r#"[project]
name = "hostile-load"

[functions.hello]
source = "hello.wat"
routes = ["GET /hello", "POST /upload"]

[functions.runaway]
source = "runaway.wat"
routes = ["GET /runaway"]
[functions.runaway.limits]
fuel = 1000000000000
timeout_ms = 1000
"#;

/// An `http` guest answering 200 `hello`.
const HELLO_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"status\":200}\nhello")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 20))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// A guest that never ends: only its timeout stops it.
const RUNAWAY_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start") (loop (br 0))))"#;

fn main() -> ExitCode {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let duration = Duration::from_secs(if quick { 2 } else { 10 });
    let project = TempDir::new();
    project.write("wasmfaas.toml", CONFIG);
    project.write("hello.wat", HELLO_WAT);
    project.write("runaway.wat", RUNAWAY_WAT);
    println!(
        "hostile_load: {} ; {CONNECTIONS} keep-alive connections, {duration:?} per run, \
         {ROUNDS} clean and {ROUNDS} mixed runs interleaved, fresh server each",
        binary().display()
    );
    let mut clean = Vec::new();
    let mut mixed = Vec::new();
    for round in 1..=ROUNDS {
        for hostile in [false, true] {
            let run = run_once(project.path(), duration, hostile);
            println!("round {round} {}", run.line());
            if hostile { &mut mixed } else { &mut clean }.push(run);
        }
    }
    let clean_rate = median(clean.iter().map(Run::rate).collect());
    let mixed_rate = median(mixed.iter().map(Run::rate).collect());
    let total = |runs: &[Run]| runs.iter().fold(Counts::default(), |a, r| a.plus(&r.good));
    let (clean_total, mixed_total) = (total(&clean), total(&mixed));
    println!("\nsummary (medians of {ROUNDS} runs)");
    println!(
        "  clean: good {} ; {clean_rate:.0} req/s",
        clean_total.line()
    );
    println!(
        "  mixed: good {} ; {mixed_rate:.0} req/s",
        mixed_total.line()
    );
    println!(
        "  mixed/clean throughput of good requests: {:.3}",
        mixed_rate / clean_rate.max(f64::MIN_POSITIVE)
    );
    let failed = clean_total.failed + mixed_total.failed;
    if failed > 0 {
        println!("  FAILED: {failed} good requests did not get their 200");
        return ExitCode::FAILURE;
    }
    println!("  every good request got its 200");
    ExitCode::SUCCESS
}

/// What one run did.
struct Run {
    hostile: bool,
    elapsed: Duration,
    good: Counts,
    hostile_seen: Vec<String>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.good.succeeded as f64 / self.elapsed.as_secs_f64()
    }

    fn line(&self) -> String {
        let mut line = format!(
            "{}: good {} in {:.1?}: {:.0} req/s",
            if self.hostile { "mixed" } else { "clean" },
            self.good.line(),
            self.elapsed,
            self.rate()
        );
        if self.hostile {
            line.push_str(&format!("; hostile: {}", self.hostile_seen.join(", ")));
        }
        line
    }
}

/// Good requests of a connection or a run.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    sent: u64,
    succeeded: u64,
    failed: u64,
}

impl Counts {
    fn plus(self, other: &Counts) -> Counts {
        Counts {
            sent: self.sent + other.sent,
            succeeded: self.succeeded + other.succeeded,
            failed: self.failed + other.failed,
        }
    }

    fn line(&self) -> String {
        format!(
            "sent {} succeeded {} failed {}",
            self.sent, self.succeeded, self.failed
        )
    }
}

/// One run on a fresh server: good connections for `duration`, and with
/// `hostile` one in ten hostile.
fn run_once(project: &Path, duration: Duration, hostile: bool) -> Run {
    let server = Server::start(project);
    let address = server.address;
    let stop = Arc::new(AtomicBool::new(false));
    let mut good: Vec<JoinHandle<Counts>> = Vec::new();
    let mut bad: Vec<JoinHandle<String>> = Vec::new();
    let started = Instant::now();
    for n in 0..CONNECTIONS {
        let stop = Arc::clone(&stop);
        if hostile && n % 10 == 9 {
            let kinds = Hostile::chosen();
            let kind = kinds[(n / 10) % kinds.len()];
            bad.push(std::thread::spawn(move || kind.run(address, &stop)));
        } else {
            good.push(std::thread::spawn(move || good_connection(address, &stop)));
        }
    }
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let counts = good
        .into_iter()
        .map(|t| t.join().expect("a good connection's thread"))
        .fold(Counts::default(), |a, c| a.plus(&c));
    let elapsed = started.elapsed();
    let hostile_seen = bad
        .into_iter()
        .map(|t| t.join().expect("a hostile connection's thread"))
        .collect();
    server.stop();
    Run {
        hostile,
        elapsed,
        good: counts,
        hostile_seen,
    }
}

/// Keep-alive `GET /hello` until told to stop; a failed request is counted
/// and its connection replaced.
fn good_connection(address: SocketAddr, stop: &AtomicBool) -> Counts {
    let request = format!("GET /hello HTTP/1.1\r\nHost: {address}\r\n\r\n").into_bytes();
    let mut counts = Counts::default();
    let mut connection: Option<Connection> = None;
    while !stop.load(Ordering::Relaxed) && counts.sent < MAX_REQUESTS_PER_CONNECTION {
        let open = match connection.take() {
            Some(open) => Ok(open),
            None => Connection::open(address),
        };
        counts.sent += 1;
        match open.and_then(|mut c| c.exchange(&request).map(|answer| (c, answer))) {
            Ok((c, (200, body))) if body == b"hello" => {
                counts.succeeded += 1;
                connection = Some(c);
            }
            _ => counts.failed += 1,
        }
    }
    counts
}

/// What a hostile connection does.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    StalledBody,
    GarbageHead,
    Runaway,
}

impl Hostile {
    const ALL: [Hostile; 3] = [Hostile::StalledBody, Hostile::GarbageHead, Hostile::Runaway];

    /// The kinds `HOSTILE_KINDS` names (`stalled`, `garbage`, `runaway`,
    /// comma-separated), to see what each costs alone; all by default.
    fn chosen() -> Vec<Hostile> {
        let Ok(names) = std::env::var("HOSTILE_KINDS") else {
            return Hostile::ALL.to_vec();
        };
        let kinds: Vec<Hostile> = names
            .split(',')
            .map(|name| match name.trim() {
                "stalled" => Hostile::StalledBody,
                "garbage" => Hostile::GarbageHead,
                "runaway" => Hostile::Runaway,
                other => {
                    panic!("HOSTILE_KINDS: unknown kind {other:?} (stalled, garbage, runaway)")
                }
            })
            .collect();
        assert!(!kinds.is_empty(), "HOSTILE_KINDS names no kind");
        kinds
    }

    /// Repeats its attack until told to stop; says what it got.
    fn run(self, address: SocketAddr, stop: &AtomicBool) -> String {
        let mut answers = std::collections::BTreeMap::<String, u64>::new();
        while !stop.load(Ordering::Relaxed) {
            let answer = match self {
                Hostile::StalledBody => stalled_body(address, stop),
                Hostile::GarbageHead => garbage_head(address),
                Hostile::Runaway => runaway(address),
            };
            *answers.entry(answer).or_default() += 1;
        }
        format!("{self:?} {answers:?}")
    }
}

/// Announces a 4 KiB body, sends none, and holds the connection until the
/// run ends or the server closes it.
fn stalled_body(address: SocketAddr, stop: &AtomicBool) -> String {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return "connect failed".into();
    };
    let head = format!("POST /upload HTTP/1.1\r\nHost: {address}\r\nContent-Length: 4096\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return "closed".into();
    }
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut byte = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        match stream.read(&mut byte) {
            Ok(0) => return "closed by the server".into(),
            Ok(_) => return "answered".into(),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return "reset by the server".into(),
        }
    }
    "held to the end".into()
}

/// 2 KiB of noise, then waits for the server's answer or close.
fn garbage_head(address: SocketAddr) -> String {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return "connect failed".into();
    };
    let noise: Vec<u8> = (0..2048u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = stream.write_all(&noise);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(ANSWER_PATIENCE));
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) if answer.is_empty() => "closed".into(),
        Ok(_) => status_line(&answer),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            "no answer".into()
        }
        Err(_) => "reset".into(),
    }
}

/// `GET /runaway`: the guest loops until its 1 s timeout.
fn runaway(address: SocketAddr) -> String {
    let request = format!("GET /runaway HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    match Connection::open(address).and_then(|mut c| c.exchange(request.as_bytes())) {
        Ok((status, _)) => status.to_string(),
        Err(error) => format!("{:?}", error.kind()),
    }
}

fn status_line(answer: &[u8]) -> String {
    let end = answer
        .iter()
        .position(|&b| b == b'\r')
        .unwrap_or(answer.len());
    String::from_utf8_lossy(&answer[..end.min(40)]).into_owned()
}

/// A keep-alive HTTP/1.1 connection reading `Content-Length` framed answers.
struct Connection {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl Connection {
    fn open(address: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(address)?;
        stream.set_read_timeout(Some(ANSWER_PATIENCE))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffered: Vec::new(),
        })
    }

    /// Sends `request`, reads one answer: (status, body).
    fn exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        self.stream.write_all(request)?;
        let head_end = loop {
            if let Some(at) = find(&self.buffered, b"\r\n\r\n") {
                break at;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buffered[..head_end]).into_owned();
        self.buffered.drain(..head_end + 4);
        let bad = || std::io::Error::new(ErrorKind::InvalidData, "not an HTTP response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while self.buffered.len() < length {
            self.fill()?;
        }
        Ok((status, self.buffered.drain(..length).collect()))
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        self.buffered.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// A running `wasmfaas dev`, its console to /dev/null; killed if dropped
/// still running.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(project: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary())
            .args(["dev", "--port", &port.to_string(), "--s3-port", "0"])
            .args(["--no-watch", "--ephemeral"])
            .current_dir(project)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting wasmfaas dev");
        let mut server = Server {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        let probe = format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", server.address);
        loop {
            let answered = Connection::open(server.address)
                .and_then(|mut c| c.exchange(probe.as_bytes()))
                .is_ok_and(|(status, _)| status == 200);
            if answered {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("wasmfaas dev exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "wasmfaas dev did not serve in 2 minutes"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl-C, then a kill if it has not exited within 30 s.
    fn stop(mut self) {
        let pid = i32::try_from(self.child.id()).expect("a pid fits i32");
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        println!("  (the server did not stop within 30 s of Ctrl-C: killed)");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A folder under the system temp folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path =
            std::env::temp_dir().join(format!("wasmfaas-hostile-load-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating the project folder");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).expect("writing a project file");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
