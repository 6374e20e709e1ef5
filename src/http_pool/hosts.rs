//! Which `Host` names the listeners answer: the guard against DNS rebinding.
//!
//! A page on any web site can make the browser resolve its own name to
//! 127.0.0.1 and then talk to a local server as if it were that site. The
//! one thing such a request cannot hide is the name it was sent to, in
//! `Host`. So the gateway and the S3 endpoint answer only loopback names
//! (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`), the address they are
//! bound to, and the names the user allows (`--allow-host`, `[dev]
//! allow_hosts`); anything else gets 421 with a page saying how to allow it.
//!
//! A request with no `Host` at all is allowed for HTTP/1.0 and refused (400)
//! for HTTP/1.1, which requires it (RFC 9112 §3.2). Browsers always send
//! `Host`, so a request without one is never the browser-borne attack this
//! guards against, and HTTP/1.0 tools (`curl -0`, `ab`, old scripts) may
//! omit it.

use std::net::{IpAddr, SocketAddr};

/// The names a listener answers besides loopback ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    /// Lowercase names; `*.example.test` allows the subdomains of
    /// `example.test`, `*` allows any name.
    names: Vec<String>,
    /// The address the listener is bound to, when it is a specific one.
    bound: Option<IpAddr>,
}

/// Why a request's `Host` is refused: the status and the page to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRefusal {
    pub status: u16,
    pub text: String,
}

impl AllowedHosts {
    /// Loopback names and `names` (as given to `--allow-host`).
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> AllowedHosts {
        AllowedHosts {
            names: names
                .into_iter()
                .map(|name| {
                    name.as_ref()
                        .trim()
                        .trim_end_matches('.')
                        .to_ascii_lowercase()
                })
                .collect(),
            bound: None,
        }
    }

    /// Also allows the literal address `address` is bound to (unless it is
    /// the unspecified 0.0.0.0 or [::]): a name-less request to the address
    /// the user chose to serve on is not a rebinding.
    pub fn with_bound(mut self, address: SocketAddr) -> AllowedHosts {
        let ip = address.ip();
        self.bound = (!ip.is_unspecified()).then_some(ip);
        self
    }

    /// Whether a request with `host` (the `Host` header, if any) over HTTP/1.`minor`
    /// may be answered.
    ///
    /// # Errors
    /// The refusal to send when it may not.
    pub fn check(&self, host: Option<&str>, minor_version: u8) -> Result<(), HostRefusal> {
        let Some(host) = host else {
            if minor_version == 0 {
                return Ok(());
            }
            return Err(HostRefusal {
                status: 400,
                text: "an HTTP/1.1 request must send a `Host` header (RFC 9112 §3.2); \
                       send e.g. `Host: localhost`\n"
                    .to_string(),
            });
        };
        let name = name_of(host);
        if self.is_loopback_or_bound(&name) || self.allows(&name) {
            return Ok(());
        }
        Err(HostRefusal {
            status: 421,
            text: format!(
                "wasmfaas refused a request for the host {host:?}: this server answers only \
                 loopback names (localhost, *.localhost, 127.0.0.1, [::1]) and the names you \
                 allow, so that a web page cannot reach it through a DNS name it controls \
                 (DNS rebinding).\nIf you meant to reach it as {name:?}, allow the name: \
                 `wasmfaas dev --allow-host {name}`, or in wasmfaas.toml:\n\n    [dev]\n    \
                 allow_hosts = [\"{name}\"]\n"
            ),
        })
    }

    fn is_loopback_or_bound(&self, name: &str) -> bool {
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        let literal = name.trim_start_matches('[').trim_end_matches(']');
        literal
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || Some(ip) == self.bound)
    }

    fn allows(&self, name: &str) -> bool {
        self.names.iter().any(|allowed| {
            allowed == "*"
                || allowed == name
                || allowed
                    .strip_prefix("*.")
                    .is_some_and(|parent| name.ends_with(&format!(".{parent}")))
        })
    }
}

/// What is wrong with `name` as an allowed host name (`--allow-host`,
/// `[dev] allow_hosts`), if anything, as help for the user.
pub fn host_name_problem(name: &str) -> Option<&'static str> {
    if name == "*" {
        return None;
    }
    let bare = name.strip_prefix("*.").unwrap_or(name);
    if bare
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
    {
        return None;
    }
    if bare.contains(':') {
        return Some("write the name without a port: any port is allowed");
    }
    let valid = !bare.is_empty()
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if valid {
        None
    } else {
        Some(
            "write a DNS name such as `my-laptop.local`, `*.example.test` for its \
             subdomains, an IP address, or `*` for any name",
        )
    }
}

/// The name in a `Host` value: lowercase, without port or trailing dot;
/// an IPv6 literal keeps its brackets.
fn name_of(host: &str) -> String {
    let host = host.trim();
    let name = if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        }
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(hosts: &AllowedHosts, host: &str) -> bool {
        hosts.check(Some(host), 1).is_ok()
    }

    #[test]
    fn loopback_names_are_answered_with_or_without_a_port() {
        let hosts = AllowedHosts::default();
        for host in [
            "localhost",
            "LOCALHOST:8787",
            "app.localhost",
            "a.b.localhost:1",
            "localhost.",
            "127.0.0.1",
            "127.0.0.1:9000",
            "127.1.2.3",
            "[::1]",
            "[::1]:8787",
        ] {
            assert!(allowed(&hosts, host), "{host}");
        }
    }

    #[test]
    fn other_names_are_refused_with_a_page_saying_how_to_allow_them() {
        let hosts = AllowedHosts::default();
        for host in [
            "evil.example",
            "localhost.evil.example",
            "evillocalhost",
            "10.0.0.1",
            "[::2]",
            "0.0.0.0",
            "",
        ] {
            assert!(!allowed(&hosts, host), "{host}");
        }
        let refusal = hosts.check(Some("Evil.Example:80"), 1).unwrap_err();
        assert_eq!(refusal.status, 421);
        assert!(
            refusal.text.contains("--allow-host evil.example"),
            "{}",
            refusal.text
        );
        assert!(refusal.text.contains("allow_hosts = [\"evil.example\"]"));
    }

    #[test]
    fn allowed_names_wildcards_and_the_bound_address_are_answered() {
        let hosts = AllowedHosts::new(["My-Box.local", "*.dev.test"])
            .with_bound("192.168.1.5:8787".parse().unwrap());
        assert!(allowed(&hosts, "my-box.local:8787"));
        assert!(allowed(&hosts, "api.dev.test"));
        assert!(!allowed(&hosts, "dev.test"));
        assert!(allowed(&hosts, "192.168.1.5"));
        assert!(!allowed(&hosts, "192.168.1.6"));
        assert!(allowed(&AllowedHosts::new(["*"]), "anything.example"));
        let unspecified = AllowedHosts::default().with_bound("0.0.0.0:1".parse().unwrap());
        assert!(!allowed(&unspecified, "0.0.0.0"));
    }

    #[test]
    fn allowed_names_are_checked_before_use() {
        for good in [
            "my-laptop.local",
            "*.example.test",
            "*",
            "192.168.1.5",
            "[::2]",
            "box",
        ] {
            assert_eq!(host_name_problem(good), None, "{good}");
        }
        assert!(
            host_name_problem("box.local:8080")
                .unwrap()
                .contains("port")
        );
        for bad in ["", "a b", "http://box", "a..b", "box/"] {
            assert!(host_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn a_missing_host_is_allowed_for_http_1_0_only() {
        let hosts = AllowedHosts::default();
        assert!(hosts.check(None, 0).is_ok());
        assert_eq!(hosts.check(None, 1).unwrap_err().status, 400);
    }
}
