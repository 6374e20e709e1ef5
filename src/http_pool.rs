//! A tiny_http server with a fixed pool of workers and a graceful stop: the
//! serving machinery the function gateway and the S3 endpoint share. Each
//! brings only its handler.
//!
//! tiny_http parses requests on its own connection threads and queues them;
//! with our patches (vendor/README.md) a connection's thread also reads the
//! request's whole body before queueing it, under read and write timeouts, so
//! a slow or stalled client costs its connection, never a worker. Requests
//! for a `Host` not allowed ([`AllowedHosts`]) are refused here, once for
//! both listeners. Workers (about one per core: handlers are CPU-bound, and
//! more threads than cores only add switching) take requests from that queue. A handler that
//! panics costs its one request (tiny_http answers a dropped request with 500),
//! not a worker. [`Running::shutdown`] stops taking new requests, lets each
//! worker finish the request it holds and those already queued, and gives up
//! after a bound, so a stuck handler cannot keep the process alive.

mod hosts;
pub mod reply;

use crate::activity::{Activity, ActivitySink, RequestRecord};

pub use hosts::{AllowedHosts, HostRefusal, host_name_problem};
pub use reply::{Body, Reply};

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How often an idle worker looks up from the queue to see if it should stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// What a client may cost a listener. The defaults are for a server on a
/// developer's machine: generous to slow tools, and bounded so that a few
/// misbehaving clients (or a browser tab holding connections open) cannot
/// take the file descriptors, threads or memory the other requests need.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The whole head of a request must arrive within this, counted from the
    /// connection's start or its previous response; an idle keep-alive
    /// connection is closed after it.
    pub head_timeout: Duration,
    /// Longest wait for one read of a body or one write of a response.
    pub io_timeout: Duration,
    /// Connections served at once (each holds a thread and three file
    /// descriptors); one more is answered 503 and closed.
    pub max_connections: usize,
    /// Larger request bodies are read into an unlinked temporary file. With
    /// `max_connections` bodies waiting at once, this bounds what a listener
    /// holds in memory for them: 256 KiB × 512 = 128 MiB (with 1 MiB it was
    /// 512 MiB per listener). Typical API bodies are far smaller; larger
    /// uploads pay one temporary file.
    pub body_in_memory: usize,
    /// Where those files are made: on disk rather than a RAM-backed `/tmp`
    /// when the caller knows such a place (`dev` uses `.wasmfaas/tmp`).
    pub spill_dir: PathBuf,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            head_timeout: Duration::from_secs(20),
            io_timeout: Duration::from_secs(30),
            max_connections: 512,
            body_in_memory: 256 * 1024,
            spill_dir: std::env::temp_dir(),
        }
    }
}

/// A bound, not yet serving, server.
pub struct Listener {
    socket: TcpListener,
    address: SocketAddr,
    hosts: AllowedHosts,
    limits: Limits,
    /// Where refused requests are reported (the console).
    activity: ActivitySink,
}

impl Listener {
    /// Binds `host:port`; port 0 picks a free port (see [`Listener::address`]).
    /// It answers loopback names only until [`Listener::allow_hosts`] says more.
    ///
    /// # Errors
    /// Why the address cannot be bound (taken, invalid), as a sentence.
    pub fn bind(host: &str, port: u16) -> Result<Listener, String> {
        let socket = TcpListener::bind(format!("{host}:{port}")).map_err(|e| e.to_string())?;
        let address = socket.local_addr().map_err(|e| e.to_string())?;
        Ok(Listener {
            socket,
            address,
            hosts: AllowedHosts::default().with_bound(address),
            limits: Limits::default(),
            activity: ActivitySink::discard(),
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Answers requests for `hosts` besides loopback names and the bound address.
    pub fn allow_hosts(mut self, hosts: AllowedHosts) -> Listener {
        self.hosts = hosts.with_bound(self.address);
        self
    }

    /// Serves under `limits` instead of the defaults.
    pub fn limits(mut self, limits: Limits) -> Listener {
        self.limits = limits;
        self
    }

    /// Reports the requests this listener refuses itself (for their `Host`)
    /// to `activity`, as handlers report theirs.
    pub fn report_to(mut self, activity: ActivitySink) -> Listener {
        self.activity = activity;
        self
    }

    /// Starts `workers` threads named `<name>-<i>`, each answering requests with
    /// `handler`. Each request reaches `handler` with its body read completely
    /// (by its connection's thread, so a slow client holds no worker) up to
    /// `body_limit(request)` bytes, judged from the head; a larger body is not
    /// read, its reads fail with [`tiny_http::BodyTooLarge`], and the connection
    /// ends after the response. Requests for a host not allowed are answered
    /// here and never reach `handler`.
    pub fn serve(
        self,
        name: &str,
        workers: usize,
        body_limit: impl Fn(&tiny_http::Request) -> u64 + Send + Sync + 'static,
        handler: impl Fn(tiny_http::Request) + Send + Sync + 'static,
    ) -> Running {
        let hosts = Arc::new(self.hosts);
        let options = tiny_http::ServerOptions {
            head_timeout: Some(self.limits.head_timeout),
            io_timeout: Some(self.limits.io_timeout),
            max_connections: self.limits.max_connections,
            body_in_memory: self.limits.body_in_memory,
            spill_dir: self.limits.spill_dir,
            body_limit: {
                let hosts = Arc::clone(&hosts);
                // A refused host's body is not worth reading.
                Arc::new(move |request| match host_refusal(&hosts, request) {
                    Some(_) => 0,
                    None => body_limit(request),
                })
            },
        };
        let server = tiny_http::Server::from_listener_with_options(self.socket, None, options)
            .expect("a bound TCP listener without TLS always makes a server");
        let server = Arc::new(server);
        let handler = Arc::new(handler);
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..workers.max(1))
            .map(|i| {
                let server = Arc::clone(&server);
                let handler = Arc::clone(&handler);
                let stopping = Arc::clone(&stopping);
                let hosts = Arc::clone(&hosts);
                let activity = self.activity.clone();
                std::thread::Builder::new()
                    .name(format!("{name}-{i}"))
                    .spawn(move || {
                        let guarded =
                            |request: tiny_http::Request| match host_refusal(&hosts, &request) {
                                Some(refusal) => refuse(request, refusal, &activity),
                                None => handler(request),
                            };
                        work(&server, &guarded, &stopping)
                    })
                    .expect("spawning a server worker")
            })
            .collect();
        Running {
            server,
            address: self.address,
            stopping,
            workers,
        }
    }
}

/// Why `request` must not be answered for its `Host`, if it must not.
///
/// Two `Host` headers are refused (RFC 9112 3.2: 400), as a proxy and this
/// server could each believe a different one. A target in absolute form
/// (`GET http://name/path`) names the host the request is for, whatever
/// `Host` says (RFC 9112 3.2.2), so its name is checked too.
fn host_refusal(hosts: &AllowedHosts, request: &tiny_http::Request) -> Option<HostRefusal> {
    let mut host_headers = request
        .headers()
        .iter()
        .filter(|header| header.field.equiv("host"))
        .map(|header| header.value.as_str());
    let host = host_headers.next();
    if host_headers.next().is_some() {
        return Some(HostRefusal {
            status: 400,
            text: "a request may send one `Host` header, not several (RFC 9112 §3.2)\n".into(),
        });
    }
    let version = request.http_version().1;
    let url = request.url();
    let authority = ["http://", "https://"]
        .iter()
        .find_map(|scheme| {
            url.get(..scheme.len())?
                .eq_ignore_ascii_case(scheme)
                .then(|| &url[scheme.len()..])
        })
        .map(|rest| rest.split(['/', '?']).next().unwrap_or_default());
    if let Some(authority) = authority
        && let Err(refusal) = hosts.check(Some(authority), version)
    {
        return Some(refusal);
    }
    hosts.check(host, version).err()
}

/// Sends `refusal`, ending the connection, and reports it to `activity`
/// (its first line: what was refused and how to allow it).
fn refuse(request: tiny_http::Request, refusal: HostRefusal, activity: &ActivitySink) {
    let record = RequestRecord {
        at: SystemTime::now(),
        status: refusal.status,
        method: request.method().as_str().to_string(),
        target: request.url().to_string(),
        function: None,
        usage: None,
        elapsed: Duration::ZERO,
        logs: Vec::new(),
        error: refusal.text.lines().next().map(str::to_string),
        stale: false,
    };
    let header = |name: &str, value: &str| {
        tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
            .expect("a constant, valid header")
    };
    let response = tiny_http::Response::from_string(refusal.text)
        .with_status_code(refusal.status)
        .with_header(header("content-type", "text/plain; charset=utf-8"))
        .with_header(header("connection", "close"));
    let _ = request.respond(response);
    activity.send(Activity::Request(record));
}

/// A serving server.
pub struct Running {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl Running {
    /// The address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving: no new requests are taken; requests already being handled
    /// or queued get up to `grace` to finish. Returns how many workers were
    /// still busy when the grace period ended (their requests were cut off).
    pub fn shutdown(self, grace: Duration) -> usize {
        self.stopping.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + grace;
        let abandoned = self
            .workers
            .into_iter()
            .filter(|worker| !join_by(worker, deadline))
            .count();
        // Dropping the last handle closes the listening socket.
        drop(self.server);
        abandoned
    }
}

/// Waits until `thread` has finished or `deadline` passes; whether it finished.
pub fn join_by(thread: &JoinHandle<()>, deadline: Instant) -> bool {
    while !thread.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    thread.is_finished()
}

/// One worker: take a request, answer it, repeat until told to stop. When
/// stopping, requests already queued are still answered, so a client that got
/// its request in before Ctrl-C gets a response.
fn work(server: &tiny_http::Server, handler: &dyn Fn(tiny_http::Request), stopping: &AtomicBool) {
    loop {
        let next = if stopping.load(Ordering::SeqCst) {
            server.try_recv()
        } else {
            server.recv_timeout(STOP_POLL)
        };
        match next {
            Ok(Some(request)) => {
                let answered =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(request)));
                drop(answered);
            }
            Ok(None) if stopping.load(Ordering::SeqCst) => return,
            Ok(None) => {}
            // The listener failed (e.g. out of file descriptors); keep serving
            // the connections that exist rather than dying.
            Err(_) => std::thread::sleep(STOP_POLL),
        }
    }
}

#[cfg(test)]
mod tests;
