//! The HTTP gateway: tiny_http in front of the deployed functions.
//!
//! tiny_http parses requests on its own connection threads and queues them; a
//! fixed pool of workers (one per core by default: invocations are CPU-bound, and
//! more threads than cores only adds switching) takes each request, picks the
//! function by route from the deployment current at that moment, runs it and
//! answers. Keep-alive, `Expect: 100-continue`, chunked bodies and malformed
//! request lines (400) are handled by tiny_http.
//!
//! Shutdown is graceful: [`Running::shutdown`] stops taking new requests, lets
//! each worker finish the request it holds and those already queued, and gives
//! up waiting after a bound so a runaway guest cannot keep the process alive.

mod handle;
mod reply;

use crate::activity::ActivitySink;
use crate::deployment::Live;
use crate::triggers::EventSink;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use handle::{HEALTH_PATH, handle};
pub use reply::{ERROR_HEADER, FUNCTION_HEADER, STALE_HEADER};

/// How often an idle worker looks up from the queue to see if it should stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// The gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "cannot listen on {address}: {reason}; pick another port with --port (0 picks a free one)"
    )]
    Bind { address: String, reason: String },
}

/// A bound, not yet serving, gateway.
pub struct Gateway {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
}

impl Gateway {
    /// Binds `host:port`; port 0 picks a free port (see [`Gateway::address`]).
    ///
    /// # Errors
    /// [`GatewayError::Bind`] when the address is taken or invalid.
    pub fn bind(host: &str, port: u16) -> Result<Gateway, GatewayError> {
        let address = format!("{host}:{port}");
        let bind_error = |reason: String| GatewayError::Bind {
            address: address.clone(),
            reason,
        };
        let server = tiny_http::Server::http(&address).map_err(|e| bind_error(e.to_string()))?;
        let address = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| bind_error("not an IP address".into()))?;
        Ok(Gateway {
            server: Arc::new(server),
            address,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Starts `workers` threads answering requests from `live`.
    pub fn serve(
        self,
        live: Arc<Live>,
        activity: ActivitySink,
        events: EventSink,
        workers: usize,
    ) -> Running {
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..workers.max(1))
            .map(|i| {
                let server = Arc::clone(&self.server);
                let live = Arc::clone(&live);
                let activity = activity.clone();
                let events = events.clone();
                let stopping = Arc::clone(&stopping);
                std::thread::Builder::new()
                    .name(format!("gateway-{i}"))
                    .spawn(move || work(&server, &live, &activity, &events, &stopping))
                    .expect("spawning a gateway worker")
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

/// A serving gateway.
pub struct Running {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

/// How a shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Workers still busy when the grace period ended (their requests were cut off).
    pub abandoned: usize,
}

impl Running {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving: no new requests are taken; requests already being handled
    /// or queued get up to `grace` to finish.
    pub fn shutdown(self, grace: Duration) -> Shutdown {
        self.stopping.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + grace;
        let mut abandoned = 0;
        for worker in self.workers {
            while !worker.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if worker.is_finished() {
                let _ = worker.join();
            } else {
                abandoned += 1;
            }
        }
        // Dropping the last handle closes the listening socket.
        drop(self.server);
        Shutdown { abandoned }
    }
}

/// One worker: take a request, answer it, repeat until told to stop. When
/// stopping, requests already queued are still answered, so a client that got
/// its request in before Ctrl-C gets a response.
fn work(
    server: &tiny_http::Server,
    live: &Live,
    activity: &ActivitySink,
    events: &EventSink,
    stopping: &AtomicBool,
) {
    loop {
        let next = if stopping.load(Ordering::SeqCst) {
            server.try_recv()
        } else {
            server.recv_timeout(STOP_POLL)
        };
        match next {
            Ok(Some(request)) => {
                let deployment = live.snapshot();
                handle(&deployment, request, activity, events);
            }
            Ok(None) if stopping.load(Ordering::SeqCst) => return,
            Ok(None) => {}
            // The listener failed (e.g. out of file descriptors); keep serving
            // the connections that exist rather than dying.
            Err(_) => std::thread::sleep(STOP_POLL),
        }
    }
}
