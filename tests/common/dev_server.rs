//! `wasmfaas dev` as a user runs it: a throwaway project folder, the real
//! binary on a free port, a real HTTP client, and a stop with SIGINT.
//!
//! Everything here waits by polling against a generous deadline
//! ([`PATIENCE`]) and never sleeps for a fixed time, so a slow or loaded
//! machine makes a test slower, not red.

use super::wat_string;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest a test waits for anything (a start, a rebuild, an answer)
/// before failing. Far above what it takes here, so it only bounds a hang.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The longest a test waits for `wasmfaas dev` to serve: its first builds may
/// run cargo.
pub const START_PATIENCE: Duration = Duration::from_secs(300);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(10);

/// Polls `probe` until it gives a value, failing the test after [`PATIENCE`].
pub fn wait_for<T>(what: &str, probe: impl FnMut() -> Option<T>) -> T {
    wait_for_within(PATIENCE, what, probe)
}

/// Polls `probe` until it gives a value, failing the test after `patience`.
pub fn wait_for_within<T>(
    patience: Duration,
    what: &str,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "gave up after {patience:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}

/// A project folder under the system temp folder, removed when dropped.
pub struct TempProject {
    root: PathBuf,
}

impl TempProject {
    /// A fresh folder holding `files` (relative path, contents). `tag` names it
    /// for whoever finds it left over after a crash.
    pub fn new(tag: &str, files: &[(&str, &str)]) -> TempProject {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("wasmfaas-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("creating the project folder");
        let project = TempProject { root };
        for (path, contents) in files {
            project.write(path, contents);
        }
        project
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Replaces (or creates) a file in one step: writes a sibling and renames
    /// it over the file, so the watcher never sees it half-written (as editors
    /// that save atomically do). The sibling's name ends in `~`, which the
    /// watcher ignores.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))
            .expect("creating the file's folder");
        let mut temp = path.clone().into_os_string();
        temp.push("~");
        std::fs::write(&temp, contents).expect("writing the file");
        std::fs::rename(&temp, &path).expect("renaming the file into place");
    }
}

impl Drop for TempProject {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Text a child process printed, collected line by line by a thread.
#[derive(Clone, Default)]
struct Collected(Arc<Mutex<String>>);

impl Collected {
    fn spawn(stream: impl Read + Send + 'static) -> (Collected, JoinHandle<()>) {
        let collected = Collected::default();
        let sink = collected.clone();
        let thread = std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            // Whole lines, so a character split across two reads stays whole.
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                sink.lock().push_str(&String::from_utf8_lossy(&line));
                line.clear();
            }
        });
        (collected, thread)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn text(&self) -> String {
        self.lock().clone()
    }
}

/// A running `wasmfaas dev` on a free loopback port. Dropping it kills the
/// process if a test did not stop it.
pub struct DevServer {
    child: Child,
    address: SocketAddr,
    stdout: Collected,
    stderr: Collected,
    readers: Vec<JoinHandle<()>>,
    agent: ureq::Agent,
}

/// How `wasmfaas dev` ended.
pub struct Stopped {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl DevServer {
    /// Starts `wasmfaas dev --port 0 <args>` in `project` and waits until it
    /// serves. The watcher is running by then: it starts before the first build.
    pub fn start(project: &TempProject, args: &[&str]) -> DevServer {
        let mut server = DevServer::spawn(project, args);
        server.wait_until_serving();
        server
    }

    /// Starts `wasmfaas dev --port 0 <args>` in `project` without waiting;
    /// [`DevServer::wait_until_serving`] waits for it.
    pub fn spawn(project: &TempProject, args: &[&str]) -> DevServer {
        DevServer::spawn_in(project.root(), args)
    }

    /// Starts `wasmfaas dev --port 0 <args>` in the project at `root` (the
    /// demo project, say) and waits until it serves.
    pub fn start_in(root: &Path, args: &[&str]) -> DevServer {
        let mut server = DevServer::spawn_in(root, args);
        server.wait_until_serving();
        server
    }

    /// Starts `wasmfaas dev --port 0 <args>` in `project` with the limit on
    /// open files set to `soft` and `hard` (as `ulimit -S -n` and `-H -n`
    /// do; `hard` at most the current hard limit), and waits until it serves.
    pub fn start_with_open_files(
        project: &TempProject,
        soft: u64,
        hard: u64,
        args: &[&str],
    ) -> DevServer {
        let script = format!("ulimit -S -n {soft} && ulimit -H -n {hard} && exec \"$0\" \"$@\"");
        let mut command = Command::new("sh");
        command.args(["-c", &script, env!("CARGO_BIN_EXE_wasmfaas")]);
        let mut server = DevServer::spawn_command(command, project.root(), args);
        server.wait_until_serving();
        server
    }

    fn spawn_in(root: &Path, args: &[&str]) -> DevServer {
        DevServer::spawn_command(Command::new(env!("CARGO_BIN_EXE_wasmfaas")), root, args)
    }

    fn spawn_command(mut command: Command, root: &Path, args: &[&str]) -> DevServer {
        let mut child = command
            .args(["dev", "--port", "0", "--s3-port", "0"])
            .args(args)
            .current_dir(root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the wasmfaas binary starts");
        let stdout: ChildStdout = child.stdout.take().expect("stdout is piped");
        let stderr: ChildStderr = child.stderr.take().expect("stderr is piped");
        let (stdout, out_thread) = Collected::spawn(stdout);
        let (stderr, err_thread) = Collected::spawn(stderr);
        DevServer {
            child,
            // Replaced once the banner names the real port.
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            stdout,
            stderr,
            readers: vec![out_thread, err_thread],
            agent: agent(),
        }
    }

    /// Waits for the banner's `Serving http://…` line, takes the address from
    /// it, and waits for the health check to answer.
    pub fn wait_until_serving(&mut self) {
        let what = "`wasmfaas dev` to print `Serving http://…`";
        self.address = wait_for_within(START_PATIENCE, what, || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "`wasmfaas dev` exited ({status}) before serving\n--- stdout\n{}\n--- stderr\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            serving_address(&self.stdout())
        });
        wait_for("the health check to answer", || {
            self.health().filter(|text| text.starts_with("ok\n"))
        });
    }

    /// The address the gateway listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The process id, to signal it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything printed to stdout so far (the console: banner, one line per
    /// request, builds and reloads).
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Waits until stdout, from byte `from` on, contains `needle`; returns the
    /// stdout from `from` to the end of the line that holds it.
    pub fn wait_for_stdout(&self, from: usize, needle: &str) -> String {
        wait_for(&format!("stdout to show {needle:?}"), || {
            let out = self.stdout();
            let tail = out.get(from..)?;
            let at = tail.find(needle)?;
            let end = tail[at..].find('\n').map_or(tail.len(), |n| at + n + 1);
            Some(tail[..end].to_string())
        })
    }

    /// The S3 endpoint's URL, from the banner's `S3 endpoint http://…` line.
    pub fn s3_endpoint(&self) -> String {
        wait_for("the S3 endpoint URL in the banner", || {
            let stdout = self.stdout();
            let rest = stdout.split_once("S3 endpoint http://")?.1;
            let address = rest.split_whitespace().next()?;
            Some(format!("http://{address}"))
        })
    }

    /// A client whose connections go to this server (it keeps them alive).
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// The health page, or `None` if the gateway does not answer 200.
    pub fn health(&self) -> Option<String> {
        let reply = send(
            &self.agent,
            "GET",
            &self.url("/__wasmfaas/health"),
            &[],
            None,
        )
        .ok()?;
        (reply.status == 200).then(|| reply.text())
    }

    /// `function`'s state on the health page: `ready`, `stale` or `not_built`.
    pub fn state(&self, function: &str) -> Option<String> {
        let health = self.health()?;
        health.lines().find_map(|line| {
            let (name, state) = line.split_once(' ')?;
            (name == function).then(|| state.to_string())
        })
    }

    /// Waits until the health page shows `function` in `state`.
    pub fn wait_for_state(&self, function: &str, state: &str) {
        wait_for(&format!("`{function}` to be {state}"), || {
            (self.state(function).as_deref() == Some(state)).then_some(())
        });
    }

    /// `GET path`; panics if no HTTP response comes back.
    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], None)
    }

    /// `POST path` with `body` (with a `Content-Length`).
    pub fn post(&self, path: &str, body: &[u8]) -> Reply {
        self.request("POST", path, &[], Some(body))
    }

    /// Any request; panics if no HTTP response comes back.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        send(&self.agent, method, &self.url(path), headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: no HTTP response: {e}"))
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: `kill` only sends a signal; the pid is our own child, which
        // has not been reaped (we hold its `Child`), so it names no other process.
        let result = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(result, 0, "sending SIGINT to {pid}");
    }

    /// Sends SIGINT and waits for the process to end.
    pub fn stop(self) -> Stopped {
        self.interrupt();
        self.wait()
    }

    /// Waits for the process to end (after [`DevServer::interrupt`]), with
    /// everything it printed.
    pub fn wait(mut self) -> Stopped {
        let status = wait_for("`wasmfaas dev` to exit", || {
            self.child.try_wait().expect("waiting for the child")
        });
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Stopped {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }

    /// CPU time (user + system, in clock ticks) the process has used so far:
    /// rises steadily only while a guest is running, since an idle server
    /// sleeps.
    pub fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("reading /proc/PID/stat");
        // Fields after the parenthesised command name, which may hold spaces.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 2..]
            .split(' ')
            .collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address in the banner's `Serving http://ADDRESS` line.
pub fn serving_address(stdout: &str) -> Option<SocketAddr> {
    let rest = &stdout[stdout.find("Serving http://")? + "Serving http://".len()..];
    let end = rest.find(|c: char| c.is_whitespace())?;
    rest[..end].parse().ok()
}

/// A client that reports every status as a response, never as an error.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

/// An HTTP response, whatever its status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Names lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request with `agent`.
///
/// # Errors
/// The transport failed: no HTTP response came back.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Reply, ureq::Error> {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = match body {
        Some(body) => agent.run(builder.body(body).expect("a valid request"))?,
        None => agent.run(builder.body(()).expect("a valid request"))?,
    };
    reply_of(response)
}

/// Sends `body` as a chunked upload (no `Content-Length`).
///
/// # Errors
/// The transport failed: no HTTP response came back.
pub fn post_chunked(agent: &ureq::Agent, url: &str, body: &[u8]) -> Result<Reply, ureq::Error> {
    let mut reader = body;
    let response = agent
        .post(url)
        .send(ureq::SendBody::from_reader(&mut reader))?;
    reply_of(response)
}

fn reply_of(mut response: ureq::http::Response<ureq::Body>) -> Result<Reply, ureq::Error> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Raw HTTP/1.1 over one TCP connection, for what a polite client never sends
/// (garbage request lines, broken escapes) and for keep-alive.
pub struct RawConnection {
    stream: TcpStream,
    buffered: Vec<u8>,
}

impl RawConnection {
    pub fn open(address: SocketAddr) -> RawConnection {
        let stream = TcpStream::connect(address).expect("connecting to the gateway");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("setting a read timeout");
        RawConnection {
            stream,
            buffered: Vec::new(),
        }
    }

    /// Writes `bytes` as they are.
    /// This end's address: what the server sees as the client's.
    pub fn local_address(&self) -> SocketAddr {
        self.stream
            .local_addr()
            .expect("a connected socket has an address")
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .expect("writing to the gateway");
    }

    /// Reads one response framed by its `Content-Length` (tiny_http sets one on
    /// every response the gateway sends); `head_only` for a response to HEAD,
    /// which has none of the body its `Content-Length` announces.
    pub fn read_response(&mut self, head_only: bool) -> Reply {
        let head_end = loop {
            if let Some(at) = find(&self.buffered, b"\r\n\r\n") {
                break at;
            }
            assert!(
                self.fill() > 0,
                "connection closed before a full response head; got {:?}",
                String::from_utf8_lossy(&self.buffered)
            );
        };
        let head = String::from_utf8_lossy(&self.buffered[..head_end]).into_owned();
        self.buffered.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        assert!(
            reply.header("transfer-encoding").is_none(),
            "this reader only handles Content-Length framing: {head}"
        );
        let length: usize = match reply.header("content-length") {
            Some(length) => length.parse().expect("a numeric Content-Length"),
            None => 0,
        };
        if !head_only {
            while self.buffered.len() < length {
                assert!(self.fill() > 0, "connection closed inside a response body");
            }
            reply.body = self.buffered.drain(..length).collect();
        }
        reply
    }

    /// Sends `request` and reads its response.
    pub fn exchange(&mut self, request: &[u8]) -> Reply {
        self.send(request);
        self.read_response(request.starts_with(b"HEAD "))
    }

    /// Reads until the server closes the connection; `None` if it keeps the
    /// connection open (no EOF within [`PATIENCE`]).
    pub fn read_to_close(&mut self) -> Option<Vec<u8>> {
        loop {
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Some(std::mem::take(&mut self.buffered)),
                Ok(n) => self.buffered.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Some(std::mem::take(&mut self.buffered));
                }
                Err(_) => return None,
            }
        }
    }

    /// Stops sending; the server sees EOF.
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 8192];
        let n = self
            .stream
            .read(&mut chunk)
            .expect("reading from the gateway");
        self.buffered.extend_from_slice(&chunk[..n]);
        n
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// WAT for an `http` guest that answers 200 with `headers` (a JSON array of
/// pairs) and, as its body, everything it read on stdin: the request
/// envelope's JSON head line, `\n`, then the request body. So a test sees the
/// request exactly as the function did. Bodies up to 120 KiB fit.
pub fn envelope_echo_wat(headers: &str) -> String {
    let head = format!("{{\"status\":200,\"headers\":{headers}}}\n");
    let escaped = wat_string(&head);
    // Memory: 0..16 the iovec and count, 1024.. the response head, then stdin.
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 1024) "{escaped}")
  (func (export "_start")
    (local $end i32)
    (local.set $end (i32.const {end}))
    (block $done
      (loop $more
        (i32.store (i32.const 0) (local.get $end))
        (i32.store (i32.const 4) (i32.sub (i32.const 131072) (local.get $end)))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $end (i32.add (local.get $end) (i32.load (i32.const 8))))
        (br $more)))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.sub (local.get $end) (i32.const 1024)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        end = 1024 + head.len()
    )
}

/// WAT for an `http` guest that answers 200 with its environment as the body:
/// `NAME=value` entries, each ended by a NUL byte.
pub fn env_wat() -> String {
    let head = wat_string("{\"status\":200}\n");
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{head}")
  (func (export "_start")
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 2048) (i32.const 8192)))
    (i32.store (i32.const 16) (i32.const 1024))
    (i32.store (i32.const 20) (i32.const 15))
    (i32.store (i32.const 24) (i32.const 8192))
    (i32.store (i32.const 28) (i32.load (i32.const 4)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 2) (i32.const 8)))))"#
    )
}

/// The request envelope a [`envelope_echo_wat`] guest sent back: its JSON
/// head and the body bytes after it.
pub fn envelope(reply: &Reply) -> (serde_json::Value, Vec<u8>) {
    let newline = reply
        .body
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or_else(|| panic!("no envelope in {:?}", reply.text()));
    let head = serde_json::from_slice(&reply.body[..newline])
        .unwrap_or_else(|e| panic!("bad envelope head ({e}): {:?}", reply.text()));
    (head, reply.body[newline + 1..].to_vec())
}
