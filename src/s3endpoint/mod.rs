//! The S3-compatible HTTP endpoint `wasmfaas dev` serves beside the gateway,
//! so aws-cli, boto3 and any SDK can read and write the project's buckets.
//!
//! It only wires existing pieces together: tiny_http takes the request,
//! [`crate::s3api`] authenticates, routes and decodes it, [`crate::state`]
//! does the work, and every write or delete goes to the [`EventSink`] as the
//! S3 event a function may be subscribed to. It owns no protocol rule and no
//! storage rule of its own; a rule missing here belongs in one of those.
//!
//! The server follows the gateway's pattern: a fixed pool of workers takes
//! requests from tiny_http's queue, and [`Running::shutdown`] lets queued
//! requests finish. A handler never panics on input: every failure is an S3
//! error document and the worker goes on serving.

mod handle;

use crate::activity::ActivitySink;
use crate::config::Credential;
use crate::state::State;
use crate::triggers::EventSink;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The port the endpoint listens on unless told otherwise (MinIO's, which
/// S3 tooling often assumes for a local endpoint).
pub const DEFAULT_PORT: u16 = 9000;

/// How often an idle worker looks up from the queue to see if it should stop.
const STOP_POLL: Duration = Duration::from_millis(100);

/// The endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum S3EndpointError {
    #[error(
        "the S3 endpoint cannot listen on {address}: {reason}; pick another port with \
         --s3-port (--s3-port 0 picks a free one), or turn the endpoint off with --no-s3"
    )]
    Bind { address: String, reason: String },
}

/// A bound, not yet serving, endpoint.
pub struct S3Server {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
}

/// What the workers share.
struct Service {
    state: State,
    /// Empty: any request is accepted, signed or not.
    credentials: Vec<Credential>,
    activity: ActivitySink,
    events: EventSink,
    /// The last `x-amz-request-id` given out.
    requests: AtomicU64,
}

impl S3Server {
    /// Binds `host:port`; port 0 picks a free port (see [`S3Server::address`]).
    ///
    /// # Errors
    /// [`S3EndpointError::Bind`] when the address is taken or invalid.
    pub fn bind(host: &str, port: u16) -> Result<S3Server, S3EndpointError> {
        let address = format!("{host}:{port}");
        let bind_error = |reason: String| S3EndpointError::Bind {
            address: address.clone(),
            reason,
        };
        let server = tiny_http::Server::http(&address).map_err(|e| bind_error(e.to_string()))?;
        let address = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| bind_error("not an IP address".into()))?;
        Ok(S3Server {
            server: Arc::new(server),
            address,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Starts `workers` threads answering requests from `state`. With
    /// `credentials`, every request must be signed by one of them.
    pub fn serve(
        self,
        state: State,
        credentials: Vec<Credential>,
        activity: ActivitySink,
        events: EventSink,
        workers: usize,
    ) -> Running {
        let service = Arc::new(Service {
            state,
            credentials,
            activity,
            events,
            requests: AtomicU64::new(0),
        });
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..workers.max(1))
            .map(|i| {
                let server = Arc::clone(&self.server);
                let service = Arc::clone(&service);
                let stopping = Arc::clone(&stopping);
                std::thread::Builder::new()
                    .name(format!("s3-{i}"))
                    .spawn(move || work(&server, &service, &stopping))
                    .expect("spawning an S3 endpoint worker")
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

/// A serving endpoint.
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

    /// Stops serving: no new requests are taken; requests already being
    /// handled or queued get up to `grace` to finish. Returns how many
    /// workers were still busy when the grace period ended.
    pub fn shutdown(self, grace: Duration) -> usize {
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
        drop(self.server);
        abandoned
    }
}

/// One worker: take a request, answer it, repeat until told to stop.
fn work(server: &tiny_http::Server, service: &Service, stopping: &AtomicBool) {
    loop {
        let next = if stopping.load(Ordering::SeqCst) {
            server.try_recv()
        } else {
            server.recv_timeout(STOP_POLL)
        };
        match next {
            Ok(Some(request)) => {
                // A bug must cost one request, not a worker: tiny_http answers
                // a dropped request with 500 and this worker keeps serving.
                let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handle::handle(service, request)
                }));
                drop(handled);
            }
            Ok(None) if stopping.load(Ordering::SeqCst) => return,
            Ok(None) => {}
            Err(_) => std::thread::sleep(STOP_POLL),
        }
    }
}
