//! The local dashboard `wasmfaas dev` serves under `/__wasmfaas/`: live
//! invocations with their cost, the functions and their builds, and a
//! browser for KV namespaces and buckets. `docs/dashboard.md` is the guide.
//!
//! ```text
//!  gateway worker ──► Dashboard::handle ──► auth ─┬─► page (embedded HTML)
//!                                                  ├─► api: functions, invocations ◄── Hub (ring)
//!                                                  ├─► state_api: kv, s3 ──► State, EventSink
//!                                                  └─► sse: a thread per tab  ◄── Hub (fan-out)
//!  activity channel ──► tee thread ──► Hub::observe ──► console
//! ```
//!
//! It reads what the console reads (the activity stream, through a tee)
//! and acts through the library calls the CLI makes; it owns no state of
//! its own but the ring of recent invocations. Everything it answers is
//! guarded by [`auth`]. It must not slow the functions it watches: the tee
//! and the streams never block a request, and a tab's stream holds its own
//! thread, not a gateway worker.

mod api;
mod auth;
mod hub;
mod query;
mod reply;
mod sse;
mod state_api;

pub use auth::{Token, is_loopback_origin};
pub use hub::{Hub, Invocation, RECENT};
pub use sse::MAX_STREAMS;

use crate::deployment::Live;
use crate::gateway::HEALTH_PATH;
use crate::triggers::EventSink;
use auth::Offered;
use base64::Engine as _;
use query::Query;
use reply::Answer;
use sha2::Digest as _;
use state_api::{StateApi, Target};
use std::net::SocketAddr;
use std::sync::Arc;

/// Where the dashboard lives on the gateway.
pub const PREFIX: &str = "/__wasmfaas/";

/// The page, with `__WASMFAAS_TOKEN__` where the token goes.
const PAGE: &str = include_str!("page.html");

/// The dashboard of one `dev` run.
pub struct Dashboard {
    token: Token,
    port: u16,
    hub: Arc<Hub>,
    live: Arc<Live>,
    events: EventSink,
    streams: sse::Streams,
    /// The page with this run's token in it.
    page: String,
    /// Its `Content-Security-Policy`: only its own inline script runs.
    page_policy: String,
}

impl Dashboard {
    /// The dashboard for the gateway on `port`, showing `hub`'s activity and
    /// `live`'s functions; its S3 writes fire triggers through `events`.
    pub fn new(
        token: Token,
        port: u16,
        hub: Arc<Hub>,
        live: Arc<Live>,
        events: EventSink,
    ) -> Dashboard {
        let page = PAGE.replace("__WASMFAAS_TOKEN__", token.as_str());
        let page_policy = page_policy(&page);
        Dashboard {
            token,
            port,
            hub,
            live,
            events,
            streams: sse::Streams::default(),
            page,
            page_policy,
        }
    }

    /// The URL `dev` prints: the page, with the token.
    pub fn url(&self, address: SocketAddr) -> String {
        let host = if address.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            address
                .to_string()
                .rsplit_once(':')
                .map_or_else(String::new, |(h, _)| h.into())
        };
        format!(
            "http://{host}:{}{PREFIX}?token={}",
            self.port,
            self.token.as_str()
        )
    }

    /// Whether the gateway should hand `target` to the dashboard: anything
    /// under [`PREFIX`] but the health check, which the gateway answers.
    pub fn serves(target: &str) -> bool {
        let path = target.split_once('?').map_or(target, |(path, _)| path);
        path.starts_with(PREFIX) && path != HEALTH_PATH
    }

    /// The largest body the dashboard reads for `request`, judged from its
    /// head: a KV value or an upload for a request allowed to write, and
    /// nothing for any other (a client without the token cannot make the
    /// server read, or spool to disk, 26 MiB it will refuse).
    pub fn body_limit(&self, request: &tiny_http::Request) -> u64 {
        let target = request.url();
        let query = Query::parse(target.split_once('?').map_or("", |(_, query)| query));
        match auth::check(&self.token, self.port, &offered(request, &query), true) {
            Ok(()) => state_api::MAX_BODY,
            Err(_) => 0,
        }
    }

    /// How many live streams (tabs) are open.
    pub fn streams_open(&self) -> usize {
        self.streams.open()
    }

    /// Answers one request under [`PREFIX`].
    pub fn handle(&self, mut request: tiny_http::Request) {
        let target = request.url().to_string();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let query = Query::parse(query);
        let method = request.method().as_str().to_ascii_uppercase();
        let writes = !matches!(method.as_str(), "GET" | "HEAD");
        let offered = offered(&request, &query);
        if let Err(refusal) = auth::check(&self.token, self.port, &offered, writes) {
            return Answer::error(refusal.status(), refusal.message()).send(request);
        }
        let rest = &path[PREFIX.len()..];
        let answer = match rest {
            "" => self.page(&method),
            "api/events" if method == "GET" => return self.streams.start(request, &self.hub),
            "api/invocations" if method == "GET" => api::invocations(&self.hub, &query),
            "api/functions" if method == "GET" => api::functions(&self.live.snapshot()),
            "api/events" | "api/invocations" | "api/functions" => {
                Answer::error(405, format!("{method} is not allowed on {path}; use GET"))
            }
            _ => match rest
                .strip_prefix("api/kv/")
                .map(|r| (r, true))
                .or_else(|| rest.strip_prefix("api/s3/").map(|r| (r, false)))
            {
                Some((rest, is_kv)) => self.state(&method, rest, &query, is_kv, &mut request),
                None => not_found(path),
            },
        };
        answer.send(request);
    }

    fn page(&self, method: &str) -> Answer {
        if method != "GET" {
            return Answer::error(405, format!("{method} is not allowed on {PREFIX}; use GET"));
        }
        Answer::bytes("text/html; charset=utf-8", self.page.clone().into_bytes())
            .with_header("set-cookie", auth::set_cookie(&self.token, self.port))
            .with_header("content-security-policy", self.page_policy.clone())
    }

    fn state(
        &self,
        method: &str,
        rest: &str,
        query: &Query,
        is_kv: bool,
        request: &mut tiny_http::Request,
    ) -> Answer {
        let (name, key) = rest.split_once('/').unwrap_or((rest, ""));
        let name = crate::percent::decode_lossy(name, crate::percent::Plus::Literal);
        let key = crate::percent::decode_lossy(key, crate::percent::Plus::Literal);
        let deployment = self.live.snapshot();
        let api = StateApi {
            project: &deployment.project,
            state: &deployment.state,
            events: &self.events,
        };
        let target = Target {
            method,
            name: &name,
            key: (!key.is_empty()).then_some(key.as_str()),
            query,
        };
        if is_kv {
            api.kv(&target, request)
        } else {
            api.s3(&target, request)
        }
    }
}

/// The credentials `request` offers.
fn offered<'r>(request: &'r tiny_http::Request, query: &Query) -> Offered<'r> {
    Offered {
        origin: header(request, "origin"),
        bearer: header(request, "authorization").and_then(|v| v.strip_prefix("Bearer ")),
        cookie: header(request, "cookie"),
        query: query.get("token").map(str::to_string),
    }
}

/// The first value of header `name` (any case).
fn header<'r>(request: &'r tiny_http::Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

fn not_found(path: &str) -> Answer {
    Answer::error(
        404,
        format!(
            "nothing at {path}; the dashboard is at {PREFIX} and its API has api/functions, \
             api/invocations, api/events, api/kv/<namespace>[/<key>] and \
             api/s3/<bucket>[/<key>] (docs/dashboard.md)"
        ),
    )
}

/// The page's `Content-Security-Policy`: its one inline script by hash, its
/// inline style, requests to this origin only, and no framing. A value
/// shown on the page (a KV entry, a log) can never run as script.
fn page_policy(page: &str) -> String {
    let script = page
        .split_once("<script>")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map_or("", |(script, _)| script);
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    format!(
        "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
         connect-src 'self'; img-src 'self' blob:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_serves_its_prefix_but_not_the_health_check() {
        assert!(Dashboard::serves("/__wasmfaas/"));
        assert!(Dashboard::serves("/__wasmfaas/?token=x"));
        assert!(Dashboard::serves("/__wasmfaas/api/kv/a/b"));
        assert!(!Dashboard::serves("/__wasmfaas/health"));
        assert!(!Dashboard::serves("/__wasmfaas"));
        assert!(!Dashboard::serves("/hello"));
    }

    #[test]
    fn the_page_has_one_script_and_the_policy_names_its_hash() {
        assert_eq!(PAGE.matches("<script>").count(), 1);
        assert_eq!(PAGE.matches("__WASMFAAS_TOKEN__").count(), 1);
        let policy = page_policy(PAGE);
        assert!(policy.contains("script-src 'sha256-"));
    }
}
