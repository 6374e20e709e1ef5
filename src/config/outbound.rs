//! `outbound = [...]`: the origins (and optional path prefixes) a function
//! may send HTTP requests to, and the one parser both the config and the
//! outbound call use for URLs, so what is granted and what is asked are read
//! the same way.
//!
//! A rule is `scheme://host[:port]` (every path on that origin) or
//! `scheme://host[:port]/prefix/*` (paths under `/prefix/`). Nothing else is
//! accepted: no user info (`https://allowed.com@evil.com` names `evil.com`),
//! no query, no pattern in the host. A URL matches when scheme, host and port
//! are the same (the default port counts as written) and its path starts
//! with the prefix; a path that could climb out of the prefix (`..` or an
//! escaped dot or slash) never matches a prefixed rule.

use std::fmt;

/// One `outbound` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRule {
    /// As written in the config, for messages.
    pub text: String,
    origin: Origin,
    /// `""` for the whole origin, else a prefix ending in `/`.
    prefix: String,
}

/// The parts of a URL a rule compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// Lower-case; an IPv6 address keeps its brackets.
    pub host: String,
    pub port: u16,
}

/// A URL split into what the outbound layer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    pub origin: Origin,
    /// The path, `/` at least, as written (still percent-encoded).
    pub path: String,
    /// The query, without `?`; empty when there is none.
    pub query: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = default_port(&self.scheme);
        if Some(self.port) == default {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// Splits an absolute `http` or `https` URL.
///
/// # Errors
/// What is wrong with it, as a sentence.
pub fn parse_url(text: &str) -> Result<ParsedUrl, String> {
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("`{text}` is not an absolute URL; write `https://host/path`"))?;
    let scheme = scheme.to_ascii_lowercase();
    let Some(default) = default_port(&scheme) else {
        return Err(format!(
            "`{text}` uses the scheme `{scheme}`; only `http` and `https` can be called"
        ));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err(format!(
            "`{text}` has user info before `@`; put credentials in a header, not the URL"
        ));
    }
    let (host, port) =
        split_port(authority).ok_or_else(|| format!("`{text}` has no valid host and port"))?;
    if host.is_empty() || !host_is_plain(host) {
        return Err(format!("`{text}` has no valid host"));
    }
    let tail = tail.split('#').next().unwrap_or("");
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    Ok(ParsedUrl {
        origin: Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(default),
        },
        path: if path.is_empty() { "/" } else { path }.to_string(),
        query: query.to_string(),
    })
}

/// `host[:port]`, IPv6 in brackets; `None` for a bad port.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = &authority[..close + 2];
        return match &rest[close + 1..] {
            "" => Some((host, None)),
            port => Some((host, Some(port.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// Letters, digits, `-`, `.`, or a bracketed IPv6 address: no patterns.
fn host_is_plain(host: &str) -> bool {
    if host.starts_with('[') {
        return host.ends_with(']')
            && host[1..host.len() - 1]
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    host.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

impl OutboundRule {
    /// Parses one `outbound` entry.
    ///
    /// # Errors
    /// What is wrong with it and how to write it, as a sentence.
    pub fn parse(text: &str) -> Result<OutboundRule, String> {
        let url = parse_url(text)?;
        if !url.query.is_empty() || text.contains('#') {
            return Err(format!(
                "`{text}` has a query or fragment; a rule names an origin and a path prefix"
            ));
        }
        let prefix = match url.path.as_str() {
            "/" => String::new(),
            path => match path.strip_suffix('*') {
                Some(prefix) if prefix.ends_with('/') && !prefix.contains('*') => {
                    prefix.to_string()
                }
                _ => {
                    return Err(format!(
                        "`{text}` names one path; end it with `/*` to allow the paths under it \
                         (`{}/*`), or give only the origin",
                        path.trim_end_matches(['*', '/'])
                    ));
                }
            },
        };
        // `/*` is the whole origin.
        let prefix = if prefix == "/" { String::new() } else { prefix };
        Ok(OutboundRule {
            text: text.to_string(),
            origin: url.origin,
            prefix,
        })
    }

    /// Whether this rule lets a function call `url`.
    pub fn allows(&self, url: &ParsedUrl) -> bool {
        if url.origin != self.origin {
            return false;
        }
        if self.prefix.is_empty() {
            return true;
        }
        url.path.starts_with(&self.prefix) && !climbs(&url.path)
    }
}

/// Whether `path` could leave a prefix once a server normalises it.
fn climbs(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") || {
        path.split('/')
            .any(|segment| segment == ".." || segment == ".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(rule: &str, url: &str) -> bool {
        OutboundRule::parse(rule)
            .unwrap()
            .allows(&parse_url(url).unwrap())
    }

    #[test]
    fn an_origin_rule_allows_every_path_on_that_origin_only() {
        assert!(allows(
            "https://api.stripe.com",
            "https://api.stripe.com/v1/charges?x=1"
        ));
        assert!(allows(
            "https://api.stripe.com",
            "https://API.stripe.com:443/"
        ));
        assert!(!allows("https://api.stripe.com", "http://api.stripe.com/"));
        assert!(!allows(
            "https://api.stripe.com",
            "https://api.stripe.com:8443/"
        ));
        assert!(!allows(
            "https://api.stripe.com",
            "https://api.stripe.com.evil.com/"
        ));
        assert!(!allows(
            "https://api.stripe.com",
            "https://evil.com/api.stripe.com"
        ));
        assert!(allows(
            "http://127.0.0.1:4000/*",
            "http://127.0.0.1:4000/a/b"
        ));
        assert!(!allows(
            "http://127.0.0.1:4000/*",
            "http://127.0.0.1:4001/a/b"
        ));
        assert!(allows("http://[::1]:4000", "http://[::1]:4000/x"));
    }

    #[test]
    fn a_prefix_rule_allows_only_paths_under_it() {
        let rule = "https://api.example.com/v1/*";
        assert!(allows(rule, "https://api.example.com/v1/users"));
        assert!(!allows(rule, "https://api.example.com/v1"));
        assert!(!allows(rule, "https://api.example.com/v2/users"));
        assert!(!allows(rule, "https://api.example.com/v1/../admin"));
        assert!(!allows(rule, "https://api.example.com/v1/%2e%2e/admin"));
        assert!(!allows(rule, "https://api.example.com/v1/..%2Fadmin"));
    }

    #[test]
    fn urls_that_hide_their_host_are_refused() {
        let error = parse_url("https://api.stripe.com@evil.com/").unwrap_err();
        assert!(error.contains("user info"), "{error}");
        assert!(
            parse_url("ftp://x.com/")
                .unwrap_err()
                .contains("only `http`")
        );
        assert!(
            parse_url("x.com/path")
                .unwrap_err()
                .contains("absolute URL")
        );
        assert!(parse_url("https://*.x.com/").is_err());
        assert!(parse_url("https://x.com:99999/").is_err());
    }

    #[test]
    fn rules_say_how_to_write_a_prefix() {
        let error = OutboundRule::parse("https://x.com/v1").unwrap_err();
        assert!(error.contains("end it with `/*`"), "{error}");
        assert!(OutboundRule::parse("https://x.com/?a=1").is_err());
        assert_eq!(
            OutboundRule::parse("https://x.com/*").unwrap().prefix,
            String::new()
        );
    }

    #[test]
    fn origins_print_without_their_default_port() {
        let url = parse_url("https://x.com:443/a").unwrap();
        assert_eq!(url.origin.to_string(), "https://x.com");
        let url = parse_url("http://127.0.0.1:4000/a").unwrap();
        assert_eq!(url.origin.to_string(), "http://127.0.0.1:4000");
    }
}
