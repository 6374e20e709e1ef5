//! Who may use the dashboard: a page from a loopback origin holding this
//! run's token.
//!
//! The dashboard's API changes state (KV entries, objects), and the gateway
//! serving it is reachable by any web page the developer opens: a page on
//! the internet can send requests to `127.0.0.1:8787` (it cannot read the
//! answers, but a write does its harm unread). So, as Jupyter does:
//! - every run makes a new random token, printed in the dashboard's URL;
//!   nothing is answered without it (401);
//! - a request whose `Origin` is not a loopback origin is refused (403)
//!   before the token is even looked at, so a foreign page cannot probe it;
//! - the page's own URL may carry the token (`?token=`); the page is then
//!   served with a cookie (HttpOnly, SameSite=Strict, named for the port so
//!   two `dev`s do not overwrite each other's) so reloads and `EventSource`
//!   work, and the token embedded for its scripts;
//! - a request that changes state must send the token in `Authorization:
//!   Bearer`, not only the cookie: a browser adds cookies to requests other
//!   sites' pages make, but only our page's script knows the token, and a
//!   cross-origin script that sets `Authorization` needs a CORS preflight we
//!   never approve.
//!
//! The `Host` check (DNS rebinding) is the listener's, before this.

use std::fmt::Write as _;

/// Bytes of OS randomness in a token (128 bits, printed as 32 hex digits).
const TOKEN_BYTES: usize = 16;

/// This run's secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never in logs or panic messages.
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A new token from the operating system's random source.
    ///
    /// # Errors
    /// The OS has no random source to give (a sentence saying so).
    pub fn generate() -> Result<Token, String> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|error| format!("the OS random source failed: {error}"))?;
        let mut text = String::with_capacity(TOKEN_BYTES * 2);
        for byte in bytes {
            let _ = write!(text, "{byte:02x}");
        }
        Ok(Token(text))
    }

    /// A fixed token, for tests.
    pub fn from_text(text: &str) -> Token {
        Token(text.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this token, in time independent of where they
    /// differ (no guessing it a character at a time from response times).
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The name of the cookie holding the token for the dashboard on `port`.
pub fn cookie_name(port: u16) -> String {
    format!("wasmfaas_dashboard_{port}")
}

/// What a request offers as credentials, read from its head.
#[derive(Debug, Default)]
pub struct Offered<'r> {
    pub origin: Option<&'r str>,
    pub bearer: Option<&'r str>,
    pub cookie: Option<&'r str>,
    pub query: Option<String>,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 403: sent by a page that is not on this machine.
    ForeignOrigin { origin: String },
    /// 401: no token, or not this run's.
    NoToken,
    /// 401: a write with the token in a cookie only.
    WriteNeedsBearer,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::ForeignOrigin { .. } => 403,
            Refusal::NoToken | Refusal::WriteNeedsBearer => 401,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::ForeignOrigin { origin } => format!(
                "the dashboard refuses requests from pages on {origin:?}: it answers only pages \
                 served from this machine (http://localhost, http://127.0.0.1, http://[::1]); \
                 open the Dashboard URL that `wasmfaas dev` printed"
            ),
            Refusal::NoToken => "the dashboard needs this run's token: open the Dashboard URL \
                                 that `wasmfaas dev` printed (it ends in `?token=…`; the token \
                                 changes every time `dev` starts)"
                .to_string(),
            Refusal::WriteNeedsBearer => "a change through the dashboard's API must send the \
                                          token in an `Authorization: Bearer <token>` header \
                                          (the cookie alone is not enough for writes); the \
                                          token is in the Dashboard URL `wasmfaas dev` printed"
                .to_string(),
        }
    }
}

/// Whether `offered` may read (`writes` false) or change state.
///
/// # Errors
/// The [`Refusal`] to answer with.
pub fn check(token: &Token, port: u16, offered: &Offered, writes: bool) -> Result<(), Refusal> {
    if let Some(origin) = offered.origin
        && !is_loopback_origin(origin)
    {
        return Err(Refusal::ForeignOrigin {
            origin: origin.to_string(),
        });
    }
    if offered.bearer.is_some_and(|bearer| token.matches(bearer)) {
        return Ok(());
    }
    let by_cookie = offered
        .cookie
        .and_then(|cookies| cookie_value(cookies, &cookie_name(port)))
        .is_some_and(|value| token.matches(value));
    let by_query = offered.query.as_deref().is_some_and(|q| token.matches(q));
    match (by_cookie || by_query, writes) {
        (true, false) => Ok(()),
        (true, true) => Err(Refusal::WriteNeedsBearer),
        (false, _) => Err(Refusal::NoToken),
    }
}

/// Whether `origin` (an `Origin` header) is a page served from this
/// machine: `http` or `https` on localhost, a `*.localhost` name,
/// 127.0.0.0/8 or `[::1]`, any port. `null` (sandboxed frames, files) is not.
pub fn is_loopback_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    if !matches!(scheme, "http" | "https") || rest.contains(['/', '@', '?', '#']) {
        return false;
    }
    let host = if let Some(bracketed) = rest.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((inside, port)) if port.is_empty() || valid_port(port) => inside,
            _ => return false,
        }
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) if valid_port(port) => host,
            Some(_) => return false,
            None => rest,
        }
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn valid_port(text: &str) -> bool {
    text.strip_prefix(':')
        .unwrap_or(text)
        .parse::<u16>()
        .is_ok()
}

/// The value of cookie `name` in a `Cookie` header.
fn cookie_value<'c>(header: &'c str, name: &str) -> Option<&'c str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// The `Set-Cookie` value that keeps `token` for the page on `port`.
pub fn set_cookie(token: &Token, port: u16) -> String {
    format!(
        "{}={}; Path=/__wasmfaas/; HttpOnly; SameSite=Strict",
        cookie_name(port),
        token.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORT: u16 = 8787;
    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn token() -> Token {
        Token::from_text(TOKEN)
    }

    #[test]
    fn generated_tokens_are_32_hex_digits_and_differ() {
        let (a, b) = (Token::generate().unwrap(), Token::generate().unwrap());
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "Token(…)");
    }

    #[test]
    fn a_token_matches_itself_only() {
        assert!(token().matches("0123456789abcdef0123456789abcdef"));
        assert!(!token().matches("0123456789abcdef0123456789abcdee"));
        assert!(!token().matches("0123456789abcdef"));
        assert!(!token().matches(""));
    }

    #[test]
    fn loopback_origins_are_recognised_and_others_are_not() {
        for origin in [
            "http://localhost:8787",
            "http://127.0.0.1:8787",
            "http://127.9.9.9",
            "http://[::1]:8787",
            "https://app.localhost",
            "http://LOCALHOST:3000",
        ] {
            assert!(is_loopback_origin(origin), "{origin}");
        }
        for origin in [
            "null",
            "http://example.com",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "http://[::2]:80",
            "file://",
            "http://localhost:99999",
            "http://user@localhost",
            "ftp://localhost",
            "http://192.168.1.2:8787",
        ] {
            assert!(!is_loopback_origin(origin), "{origin}");
        }
    }

    #[test]
    fn a_foreign_origin_is_refused_even_with_the_token() {
        let offered = Offered {
            origin: Some("https://evil.example"),
            bearer: Some(TOKEN),
            ..Offered::default()
        };
        let refusal = check(&token(), PORT, &offered, false).unwrap_err();
        assert_eq!(refusal.status(), 403);
        assert!(refusal.message().contains("evil.example"));
    }

    #[test]
    fn no_token_or_a_wrong_one_is_401_pointing_at_the_printed_url() {
        for offered in [
            Offered::default(),
            Offered {
                bearer: Some("nope"),
                ..Offered::default()
            },
            Offered {
                cookie: Some("wasmfaas_dashboard_8787=nope"),
                ..Offered::default()
            },
            // The right token under another port's cookie.
            Offered {
                cookie: Some("wasmfaas_dashboard_9999=0123456789abcdef0123456789abcdef"),
                ..Offered::default()
            },
        ] {
            let refusal = check(&token(), PORT, &offered, false).unwrap_err();
            assert_eq!(refusal, Refusal::NoToken);
            assert_eq!(refusal.status(), 401);
            assert!(
                refusal
                    .message()
                    .contains("URL that `wasmfaas dev` printed")
            );
        }
    }

    #[test]
    fn reads_accept_the_token_from_bearer_cookie_or_query() {
        let cookie = format!("a=b; {}={}", cookie_name(PORT), token().as_str());
        for offered in [
            Offered {
                bearer: Some(TOKEN),
                ..Offered::default()
            },
            Offered {
                cookie: Some(&cookie),
                origin: Some("http://localhost:8787"),
                ..Offered::default()
            },
            Offered {
                query: Some(TOKEN.to_string()),
                ..Offered::default()
            },
        ] {
            assert_eq!(check(&token(), PORT, &offered, false), Ok(()));
        }
    }

    #[test]
    fn writes_need_the_bearer_header_not_only_the_cookie() {
        let cookie = format!("{}={}", cookie_name(PORT), token().as_str());
        let by_cookie = Offered {
            cookie: Some(&cookie),
            ..Offered::default()
        };
        assert_eq!(
            check(&token(), PORT, &by_cookie, true),
            Err(Refusal::WriteNeedsBearer)
        );
        let by_bearer = Offered {
            bearer: Some(TOKEN),
            ..Offered::default()
        };
        assert_eq!(check(&token(), PORT, &by_bearer, true), Ok(()));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_dashboard() {
        let cookie = set_cookie(&token(), PORT);
        assert!(cookie.starts_with("wasmfaas_dashboard_8787=0123"));
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Strict"));
        assert!(cookie.contains("Path=/__wasmfaas/"));
    }
}
