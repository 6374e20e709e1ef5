//! A request target's query string, decoded once.

use crate::percent::{Plus, decode_lossy};

/// `name=value` pairs of a query string, percent-decoded (`+` is a space).
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(query: &str) -> Query {
        Query(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (
                        decode_lossy(name, Plus::Space),
                        decode_lossy(value, Plus::Space),
                    )
                })
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_decoded_and_the_first_wins() {
        let query = Query::parse("q=a+b%2Fc&limit=5&q=second&flag&=x");
        assert_eq!(query.get("q"), Some("a b/c"));
        assert_eq!(query.get("limit"), Some("5"));
        assert_eq!(query.get("flag"), Some(""));
        assert_eq!(query.get("missing"), None);
    }
}
