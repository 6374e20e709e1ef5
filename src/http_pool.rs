//! A tiny_http server with a fixed pool of workers and a graceful stop: the
//! serving machinery the function gateway and the S3 endpoint share. Each
//! brings only its handler.
//!
//! tiny_http parses requests on its own connection threads and queues them.
//! Workers (about one per core: handlers are CPU-bound, and more threads than
//! cores only add switching) take requests from that queue. A handler that
//! panics costs its one request (tiny_http answers a dropped request with 500),
//! not a worker. [`Running::shutdown`] stops taking new requests, lets each
//! worker finish the request it holds and those already queued, and gives up
//! after a bound, so a stuck handler cannot keep the process alive.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often an idle worker looks up from the queue to see if it should stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// A bound, not yet serving, server.
pub struct Listener {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
}

impl Listener {
    /// Binds `host:port`; port 0 picks a free port (see [`Listener::address`]).
    ///
    /// # Errors
    /// Why the address cannot be bound (taken, invalid), as a sentence.
    pub fn bind(host: &str, port: u16) -> Result<Listener, String> {
        let server =
            tiny_http::Server::http(format!("{host}:{port}")).map_err(|e| e.to_string())?;
        let address = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| "not an IP address".to_string())?;
        Ok(Listener {
            server: Arc::new(server),
            address,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Starts `workers` threads named `<name>-<i>`, each answering requests with
    /// `handler`.
    pub fn serve(
        self,
        name: &str,
        workers: usize,
        handler: impl Fn(tiny_http::Request) + Send + Sync + 'static,
    ) -> Running {
        let handler = Arc::new(handler);
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..workers.max(1))
            .map(|i| {
                let server = Arc::clone(&self.server);
                let handler = Arc::clone(&handler);
                let stopping = Arc::clone(&stopping);
                std::thread::Builder::new()
                    .name(format!("{name}-{i}"))
                    .spawn(move || work(&server, &*handler, &stopping))
                    .expect("spawning a server worker")
            })
            .collect();
        Running {
            server: self.server,
            address: self.address,
            stopping,
            workers,
        }
    }
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
