//! The S3-compatible HTTP endpoint `wasmfaas dev` serves beside the gateway,
//! so aws-cli, boto3 and any SDK can read and write the project's buckets.
//!
//! It only wires existing pieces together: tiny_http takes the request,
//! [`crate::s3api`] authenticates, routes and decodes it, [`crate::state`]
//! does the work, and every write or delete goes to the [`EventSink`] as the
//! S3 event a function may be subscribed to. It owns no protocol rule and no
//! storage rule of its own; a rule missing here belongs in one of those.
//!
//! The worker pool and graceful stop are [`crate::http_pool`]'s, as for the
//! gateway. A handler never panics on input: every failure is an S3 error
//! document.

mod body;
mod buckets;
mod handle;
mod multipart;
mod objects;

use crate::activity::ActivitySink;
use crate::config::Credential;
use crate::http_pool::{AllowedHosts, Limits, Listener};
use crate::state::State;
use crate::triggers::EventSink;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;

pub use crate::http_pool::Running;

/// The port the endpoint listens on unless told otherwise (MinIO's, which
/// S3 tooling often assumes for a local endpoint).
pub const DEFAULT_PORT: u16 = 9000;

/// The largest request body the listener reads: AWS's 5 GiB object limit,
/// plus room for the framing of an `aws-chunked` upload of that size. A
/// larger body is refused from its head (see [`crate::http_pool`]).
pub const MAX_REQUEST_BODY: u64 = 5 * 1024 * 1024 * 1024 + 64 * 1024 * 1024;

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
    listener: Listener,
    cors: BTreeMap<String, Vec<String>>,
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
    /// Per bucket, the browser origins allowed to use it (`cors`).
    cors: BTreeMap<String, Vec<String>>,
}

impl S3Server {
    /// Binds `host:port`; port 0 picks a free port (see [`S3Server::address`]).
    ///
    /// # Errors
    /// [`S3EndpointError::Bind`] when the address is taken or invalid.
    pub fn bind(host: &str, port: u16) -> Result<S3Server, S3EndpointError> {
        let listener = Listener::bind(host, port).map_err(|reason| S3EndpointError::Bind {
            address: format!("{host}:{port}"),
            reason,
        })?;
        Ok(S3Server {
            listener,
            cors: BTreeMap::new(),
        })
    }

    /// Allows browser pages of these origins, per bucket, to use it (the
    /// buckets' `cors` config). Without it, a request that changes state
    /// and carries an `Origin` is refused, and preflights are answered 403.
    #[must_use]
    pub fn allow_origins(mut self, cors: BTreeMap<String, Vec<String>>) -> S3Server {
        self.cors = cors;
        self
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.listener.address()
    }

    /// Answers requests for `hosts` besides loopback names.
    pub fn allow_hosts(self, hosts: AllowedHosts) -> S3Server {
        S3Server {
            listener: self.listener.allow_hosts(hosts),
            ..self
        }
    }

    /// Serves under `limits` instead of the defaults.
    pub fn limits(self, limits: Limits) -> S3Server {
        S3Server {
            listener: self.listener.limits(limits),
            ..self
        }
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
        let listener = self.listener.report_to(activity.clone());
        let service = Service {
            state,
            credentials,
            activity,
            events,
            requests: AtomicU64::new(0),
            cors: self.cors,
        };
        let (state, signed) = (service.state.clone(), !service.credentials.is_empty());
        listener.serve(
            "s3",
            workers,
            move |request| body_limit(&state, signed, request),
            move |request| handle::handle(&service, request),
        )
    }
}

/// How much of `request`'s body is worth reading, judged from its head on the
/// connection's thread before any worker sees it. An upload whose answer is
/// already known to be an error gets 0: its body is neither invited (no
/// `100 Continue`) nor read, as S3 refuses first. That is an object write to
/// a bucket that does not exist, or, when requests must be signed, one that
/// carries no signature at all; the handler then gives the error itself.
fn body_limit(state: &State, signed: bool, request: &tiny_http::Request) -> u64 {
    let url = request.url();
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let bucket = segments.next().unwrap_or_default();
    let has_key = segments.next().is_some_and(|key| !key.is_empty());
    let unsigned = signed
        && !request
            .headers()
            .iter()
            .any(|h| h.field.equiv("Authorization"))
        && !query.contains("X-Amz-Signature=")
        && !query.contains("Signature=");
    let missing_bucket = has_key && state.head_bucket(bucket).is_err();
    if unsigned || missing_bucket {
        0
    } else {
        MAX_REQUEST_BODY
    }
}
