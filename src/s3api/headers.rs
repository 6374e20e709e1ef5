//! A request as the S3 modules read it: method, raw path and query, and
//! headers with case-insensitive names, repeatable, in arrival order.
//!
//! Kept independent of the HTTP server's types so that routing, SigV4 and
//! body decoding are pure functions that tests (and captured client
//! requests) can drive directly.

/// What routing and signature checks need of an HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    /// `GET`, `PUT`, ...
    pub method: &'a str,
    /// The path exactly as received, still percent-encoded.
    pub path: &'a str,
    /// The query string exactly as received, without `?`; empty if none.
    pub query: &'a str,
    pub headers: &'a Headers,
}

/// The headers of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// (lower-cased name, value as received).
    entries: Vec<(String, String)>,
}

impl Headers {
    /// Headers from (name, value) pairs in arrival order.
    pub fn new<N: AsRef<str>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        let entries = pairs
            .into_iter()
            .map(|(name, value)| (name.as_ref().to_ascii_lowercase(), value.into()))
            .collect();
        Self { entries }
    }

    /// The first value of `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` (any case), in arrival order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All (lower-cased name, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl<N: AsRef<str>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self::new(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whatever_their_case() {
        let headers = Headers::new([
            ("X-Amz-Date", "a"),
            ("x-amz-meta-A", "b"),
            ("X-AMZ-DATE", "c"),
        ]);
        assert_eq!(headers.get("x-amz-date"), Some("a"));
        assert_eq!(
            headers.get_all("X-Amz-Date").collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert_eq!(headers.iter().nth(1), Some(("x-amz-meta-a", "b")));
        assert_eq!(headers.get("range"), None);
    }
}
