//! The HTTP gateway: tiny_http in front of the deployed functions.
//!
//! Each request is answered from the deployment current when it arrives: the
//! function is picked by route, run, and its response sent. The worker pool
//! and the graceful stop are [`crate::http_pool`]'s. Keep-alive,
//! `Expect: 100-continue`, chunked bodies and malformed request lines (400)
//! are handled by tiny_http.

mod handle;
mod reply;

use crate::dashboard::Dashboard;
use crate::deployment::Live;
use crate::http_pool::{AllowedHosts, Limits, Listener, Running};
use crate::pipeline::Pipeline;
use std::net::SocketAddr;
use std::sync::Arc;

pub use handle::{HEALTH_PATH, handle};
pub use reply::{ERROR_HEADER, FUNCTION_HEADER, STALE_HEADER};

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
    listener: Listener,
    /// Answers requests under `/__wasmfaas/` but the health check.
    dashboard: Option<Arc<Dashboard>>,
}

impl Gateway {
    /// Binds `host:port`; port 0 picks a free port (see [`Gateway::address`]).
    ///
    /// # Errors
    /// [`GatewayError::Bind`] when the address is taken or invalid.
    pub fn bind(host: &str, port: u16) -> Result<Gateway, GatewayError> {
        let listener = Listener::bind(host, port).map_err(|reason| GatewayError::Bind {
            address: format!("{host}:{port}"),
            reason,
        })?;
        Ok(Gateway {
            listener,
            dashboard: None,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.listener.address()
    }

    /// Answers requests for `hosts` besides loopback names.
    pub fn allow_hosts(self, hosts: AllowedHosts) -> Gateway {
        Gateway {
            listener: self.listener.allow_hosts(hosts),
            ..self
        }
    }

    /// Serves under `limits` instead of the defaults.
    pub fn limits(self, limits: Limits) -> Gateway {
        Gateway {
            listener: self.listener.limits(limits),
            ..self
        }
    }

    /// Serves `dashboard` under `/__wasmfaas/` (the health check excepted).
    pub fn dashboard(self, dashboard: Arc<Dashboard>) -> Gateway {
        Gateway {
            dashboard: Some(dashboard),
            ..self
        }
    }

    /// Starts `workers` threads answering requests from the deployment that
    /// `live` holds when each request arrives, running functions through
    /// `pipeline`.
    pub fn serve(self, live: Arc<Live>, pipeline: Pipeline, workers: usize) -> Running {
        let routes = Arc::clone(&live);
        let dashboard = self.dashboard;
        let limits_dashboard = dashboard.clone();
        self.listener.report_to(pipeline.activity().clone()).serve(
            "gateway",
            workers,
            move |request| match &limits_dashboard {
                Some(dashboard) if Dashboard::serves(request.url()) => {
                    dashboard.body_limit(request)
                }
                _ => handle::body_limit(&routes.snapshot(), request),
            },
            move |request| match &dashboard {
                Some(dashboard) if Dashboard::serves(request.url()) => dashboard.handle(request),
                _ => handle(&live.snapshot(), request, &pipeline),
            },
        )
    }
}
