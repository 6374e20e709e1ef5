//! [`Info`], the structured value a snapshot may carry in its `info:` key.
//!
//! insta fills `info` from any `serde::Serialize` value; the subset wasmfaas
//! needs (and can write byte-for-byte as insta would) is strings, integers,
//! booleans, null, sequences and maps with string keys, in insertion order.
//! Floats are left out on purpose: insta writes them with Rust's `Display`
//! (`1.0` becomes `1`), so they would not survive a round trip.

/// An ordered value tree stored under a snapshot's `info:` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info {
    /// `~` in the file.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer, written in decimal.
    Integer(i64),
    /// A string, quoted in the file only when YAML would misread it.
    String(String),
    /// A sequence, written as `- item` lines (`[]` when empty).
    Seq(Vec<Info>),
    /// A map in insertion order, written as `key: value` lines (`{}` when
    /// empty). Keys may repeat, as they may in insta's `Content::Map`.
    Map(Vec<(String, Info)>),
}

impl Info {
    /// A map from `(key, value)` pairs, kept in the order given.
    pub fn map<K, V>(entries: impl IntoIterator<Item = (K, V)>) -> Info
    where
        K: Into<String>,
        V: Into<Info>,
    {
        Info::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// A sequence of the values given.
    pub fn seq<V: Into<Info>>(items: impl IntoIterator<Item = V>) -> Info {
        Info::Seq(items.into_iter().map(Into::into).collect())
    }

    /// The value under `key` when this is a map (the first, if the key repeats).
    pub fn get(&self, key: &str) -> Option<&Info> {
        match self {
            Info::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Info::String(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Info {
    fn from(value: &str) -> Info {
        Info::String(value.to_string())
    }
}

impl From<String> for Info {
    fn from(value: String) -> Info {
        Info::String(value)
    }
}

impl From<i64> for Info {
    fn from(value: i64) -> Info {
        Info::Integer(value)
    }
}

impl From<i32> for Info {
    fn from(value: i32) -> Info {
        Info::Integer(value.into())
    }
}

impl From<u32> for Info {
    fn from(value: u32) -> Info {
        Info::Integer(value.into())
    }
}

impl From<bool> for Info {
    fn from(value: bool) -> Info {
        Info::Bool(value)
    }
}

impl From<Vec<Info>> for Info {
    fn from(value: Vec<Info>) -> Info {
        Info::Seq(value)
    }
}

impl<T: Into<Info>> From<Option<T>> for Info {
    fn from(value: Option<T>) -> Info {
        value.map_or(Info::Null, Into::into)
    }
}
