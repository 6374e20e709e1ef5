//! Outbound HTTP for guests: the one place a function's request leaves the
//! process, after its grant (`outbound = [...]`) and its limits say yes.
//!
//! # Strategy
//! - **Grants per hop.** Redirects are never followed by the client: a
//!   `3xx` comes back here, and when the guest asked to follow, the next URL
//!   is checked against the grants like the first, so an allowed origin
//!   cannot redirect a function to one it may not reach.
//! - **Limits per invocation** ([`Budget`]): a number of subrequests (each
//!   hop counts, as on Workers), response bytes (at most the function's
//!   memory: it could not hold more), and time: each request gets what is
//!   left of the invocation's `timeout_ms`, so waiting on the network counts
//!   against it as running does.
//! - **One client per process**, so connections to an origin are reused
//!   across requests and invocations; no proxy from the environment (a
//!   function's traffic goes where its grant says).

use crate::config::outbound::{OutboundRule, parse_url};
use std::sync::OnceLock;
use std::time::Duration;

/// The most redirects followed for one request.
pub const MAX_REDIRECTS: u32 = 10;

/// A guest's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Follow `3xx` answers (each hop checked and counted); else the `3xx`
    /// is the response.
    pub follow_redirects: bool,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The URL that answered (after redirects).
    pub url: String,
}

/// One outbound call as a fixture records it: the request, and what came
/// back (or why nothing did). A replay answers the function's calls from
/// these, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub request: FetchRequest,
    pub response: Result<FetchResponse, RecordedFailure>,
}

/// A call that got no response, as recorded: the kind of [`FetchError`]
/// and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFailure {
    /// `denied`, `invalid`, `too_many`, `too_large`, `unreachable` or
    /// `timed_out`.
    pub kind: String,
    pub message: String,
}

impl FetchError {
    /// A short, stable name: what a fixture records.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Denied { .. } => "denied",
            FetchError::Invalid(_) => "invalid",
            FetchError::TooMany { .. } => "too_many",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Unreachable { .. } => "unreachable",
            FetchError::TimedOut { .. } => "timed_out",
        }
    }
}

impl Exchange {
    /// `GET https://api.example.com/v1/x`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.request.method, self.request.url)
    }

    /// Whether `request` is the call this exchange recorded: same method,
    /// URL and body. Headers are not compared: recording redacts
    /// credentials, and a replay sends stand-ins for secrets.
    pub fn answers(&self, request: &FetchRequest) -> bool {
        self.request.method == request.method
            && self.request.url == request.url
            && self.request.body == request.body
    }
}

/// The calls a fixture recorded, served to a replay in order, and what
/// went differently: a call the fixture does not hold, one made in another
/// order or with another request, or one the function no longer makes.
#[derive(Debug, Default)]
pub struct RecordedCalls {
    state: std::sync::Mutex<Served>,
}

#[derive(Debug, Default)]
struct Served {
    exchanges: Vec<Exchange>,
    next: usize,
    problems: Vec<String>,
}

impl RecordedCalls {
    pub fn new(exchanges: Vec<Exchange>) -> RecordedCalls {
        RecordedCalls {
            state: std::sync::Mutex::new(Served {
                exchanges,
                ..Served::default()
            }),
        }
    }

    fn served(&self) -> std::sync::MutexGuard<'_, Served> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The recorded answer to `request`, the next call of the fixture; or,
    /// when it is not that call, the failure the function gets (and the
    /// difference is noted).
    pub fn answer(&self, request: &FetchRequest) -> Result<FetchResponse, RecordedFailure> {
        let mut served = self.served();
        let index = served.next;
        let asked = format!("{} {}", request.method, request.url);
        let problem = match served.exchanges.get(index) {
            Some(exchange) if exchange.answers(request) => {
                let response = exchange.response.clone();
                served.next += 1;
                return response;
            }
            Some(exchange) => format!(
                "call {}: the fixture recorded {}, the function now calls {asked}",
                index + 1,
                exchange.describe()
            ),
            None => format!(
                "call {}: the function now calls {asked}, which the fixture does not hold (it \
                 recorded {} call(s))",
                index + 1,
                served.exchanges.len()
            ),
        };
        served.problems.push(problem.clone());
        Err(RecordedFailure {
            kind: "unreachable".into(),
            message: format!("replayed without the network: {problem}"),
        })
    }

    /// How the replay's calls differed from the recording, once it is
    /// over: empty when it made exactly the recorded calls.
    pub fn differences(&self) -> Vec<String> {
        let served = self.served();
        let mut problems = served.problems.clone();
        if served.problems.is_empty() {
            for (index, exchange) in served.exchanges.iter().enumerate().skip(served.next) {
                problems.push(format!(
                    "call {}: the fixture recorded {}, which the function no longer makes",
                    index + 1,
                    exchange.describe()
                ));
            }
        }
        problems
    }
}

/// What one invocation may still spend on outbound requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub subrequests: u32,
    pub response_bytes: u64,
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error(
        "function `{function}` may not call {url}; add \"{origin}\" (or a path prefix under it, \
         \"{origin}/path/*\") to `outbound = [...]` under [functions.{function}] in wasmfaas.toml"
    )]
    Denied {
        function: String,
        url: String,
        origin: String,
    },
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(
        "function `{function}` has made its {limit} outbound requests (redirects count); raise \
         `limits.subrequests` or make fewer calls"
    )]
    TooMany { function: String, limit: u32 },
    #[error(
        "the response from {url} is over the {limit} bytes of responses left to this invocation \
         (its memory limit)"
    )]
    TooLarge { url: String, limit: u64 },
    #[error("{url} could not be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} did not answer before the invocation's timeout")]
    TimedOut { url: String },
}

/// Sends `request` for `function`, whose grants are `rules`, spending from
/// `budget`, with at most `time_left` to finish.
///
/// # Errors
/// [`FetchError`]: a URL not granted, a limit reached, or a network failure.
pub fn fetch(
    function: &str,
    rules: &[OutboundRule],
    request: FetchRequest,
    budget: &mut Budget,
    time_left: Duration,
) -> Result<FetchResponse, FetchError> {
    let limit = budget.subrequests;
    let started = std::time::Instant::now();
    let mut next = request;
    let mut hops = 0;
    loop {
        let url = parse_url(&next.url).map_err(FetchError::Invalid)?;
        if !rules.iter().any(|rule| rule.allows(&url)) {
            return Err(FetchError::Denied {
                function: function.to_string(),
                url: next.url,
                origin: url.origin.to_string(),
            });
        }
        if budget.subrequests == 0 {
            return Err(FetchError::TooMany {
                function: function.to_string(),
                limit,
            });
        }
        budget.subrequests -= 1;
        let left = time_left.saturating_sub(started.elapsed());
        let response = send(&next, budget, left)?;
        budget.response_bytes -= response.body.len() as u64;
        let location = response
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"))
            .map(|(_, value)| value.clone());
        let redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
        match (next.follow_redirects && redirect, location) {
            (true, Some(location)) if hops < MAX_REDIRECTS => {
                hops += 1;
                next.url = resolve(&next.url, &location);
                // As browsers do: 303 (and 301/302 after a POST) become GET.
                if response.status == 303
                    || (matches!(response.status, 301 | 302) && next.method == "POST")
                {
                    next.method = "GET".into();
                    next.body.clear();
                }
            }
            _ => return Ok(response),
        }
    }
}

/// `location` made absolute against `base`.
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let Ok(url) = parse_url(base) else {
        return location.to_string();
    };
    let origin = url.origin.to_string();
    if location.starts_with('/') {
        format!("{origin}{location}")
    } else {
        let dir = url.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        format!("{origin}{dir}/{location}")
    }
}

/// The process's client: no redirects, no proxy, statuses are answers.
fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .user_agent(concat!("wasmfaas/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent()
    })
}

/// Headers the client sets itself from the URL and body.
const OWN_HEADERS: &[&str] = &["host", "content-length", "transfer-encoding", "connection"];

/// One hop.
fn send(
    request: &FetchRequest,
    budget: &Budget,
    time_left: Duration,
) -> Result<FetchResponse, FetchError> {
    let url = request.url.clone();
    if time_left.is_zero() {
        return Err(FetchError::TimedOut { url });
    }
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_str())
        .uri(request.url.as_str());
    for (name, value) in &request.headers {
        if !OWN_HEADERS.iter().any(|own| own.eq_ignore_ascii_case(name)) {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    let http_request = builder
        .body(request.body.clone())
        .map_err(|error| FetchError::Invalid(error.to_string()))?;
    let configured = agent()
        .configure_request(http_request)
        .timeout_global(Some(time_left))
        .build();
    let mut response = agent().run(configured).map_err(|error| match error {
        ureq::Error::Timeout(_) => FetchError::TimedOut { url: url.clone() },
        other => FetchError::Unreachable {
            url: url.clone(),
            reason: other.to_string(),
        },
    })?;
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
        .limit(budget.response_bytes)
        .read_to_vec()
        .map_err(|error| match error {
            ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                url: url.clone(),
                limit: budget.response_bytes,
            },
            ureq::Error::Timeout(_) => FetchError::TimedOut { url: url.clone() },
            other => FetchError::Unreachable {
                url: url.clone(),
                reason: other.to_string(),
            },
        })?;
    Ok(FetchResponse {
        status,
        headers,
        body,
        url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_locations_resolve_against_the_request() {
        assert_eq!(
            resolve("http://127.0.0.1:4000/a/b", "/c"),
            "http://127.0.0.1:4000/c"
        );
        assert_eq!(
            resolve("http://127.0.0.1:4000/a/b", "c"),
            "http://127.0.0.1:4000/a/c"
        );
        assert_eq!(resolve("http://x/a", "https://y/z"), "https://y/z");
    }

    #[test]
    fn a_url_outside_the_grants_is_denied_before_any_traffic() {
        let rules = [OutboundRule::parse("http://127.0.0.1:9/allowed/*").unwrap()];
        let mut budget = Budget {
            subrequests: 5,
            response_bytes: 1024,
        };
        let request = FetchRequest {
            method: "GET".into(),
            url: "http://127.0.0.1:9/other".into(),
            headers: Vec::new(),
            body: Vec::new(),
            follow_redirects: false,
        };
        let error = fetch("f", &rules, request, &mut budget, Duration::from_secs(1)).unwrap_err();
        assert!(
            matches!(&error, FetchError::Denied { origin, .. } if origin == "http://127.0.0.1:9"),
            "{error}"
        );
        assert!(error.to_string().contains("[functions.f]"));
        // Nothing was spent on a denied request.
        assert_eq!(budget.subrequests, 5);
    }
}
