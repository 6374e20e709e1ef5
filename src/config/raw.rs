//! Stage one: the file as TOML, every key and value with its source span.
//!
//! This file owns turning text into a [`RawTable`] through serde and the `toml`
//! crate. It does not know the schema: unknown keys, wrong types and bad values
//! all pass through, so that [`super::validate`] can report each at the span of
//! the key or value itself (serde's own "unknown field" and "invalid type"
//! errors cannot say which key, nor how to fix it).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// A TOML table: keys and values with their spans, in key order.
pub(super) type RawTable = BTreeMap<Spanned<String>, Spanned<RawValue>>;

/// Any TOML value, with spans kept all the way down.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RawValue {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// The schema has no date-time keys, so only the kind is kept, for messages.
    Datetime,
    Array(Vec<Spanned<RawValue>>),
    Table(RawTable),
}

impl RawValue {
    /// The kind, with its article, as messages say it: "found an integer".
    pub(super) fn kind(&self) -> &'static str {
        match self {
            RawValue::String(_) => "a string",
            RawValue::Integer(_) => "an integer",
            RawValue::Float(_) => "a float",
            RawValue::Boolean(_) => "a boolean",
            RawValue::Datetime => "a date-time",
            RawValue::Array(_) => "an array",
            RawValue::Table(_) => "a table",
        }
    }
}

/// Parses TOML text into the root table.
///
/// # Errors
/// The `toml` crate's syntax error, which carries the span of the problem.
pub(super) fn parse(text: &str) -> Result<RawTable, toml::de::Error> {
    toml::from_str(text)
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawValue, D::Error> {
        deserializer.deserialize_any(RawValueVisitor)
    }
}

struct RawValueVisitor;

impl<'de> Visitor<'de> for RawValueVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<RawValue, E> {
        Ok(RawValue::Boolean(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawValue, E> {
        Ok(RawValue::Integer(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<RawValue, E> {
        // TOML integers are i64, so toml never sends a u64 that does not fit.
        i64::try_from(value)
            .map(RawValue::Integer)
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<RawValue, E> {
        Ok(RawValue::String(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<RawValue, E> {
        Ok(RawValue::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut table = RawTable::new();
        loop {
            // toml hands a date-time to visitors as a one-entry map whose key has
            // no span; a table key always has one, so a key that cannot be read
            // as spanned marks a date-time.
            let Ok(key) = map.next_key::<Spanned<String>>() else {
                return Ok(RawValue::Datetime);
            };
            let Some(key) = key else {
                return Ok(RawValue::Table(table));
            };
            let value = map.next_value()?;
            table.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> RawTable {
        match parse(text) {
            Ok(table) => table,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let text = "[project]\nname = \"demo\"\n";
        let root = parsed(text);
        let Some(project) = root.get("project") else {
            panic!("no project in {root:?}")
        };
        let RawValue::Table(project) = project.get_ref() else {
            panic!("project is {project:?}")
        };
        let Some((key, value)) = project.iter().next() else {
            panic!("empty project")
        };
        assert_eq!(&text[key.span()], "name");
        assert_eq!(&text[value.span()], "\"demo\"");
    }

    #[test]
    fn a_date_time_is_kept_as_its_kind() {
        let root = parsed("when = 1979-05-27T07:32:00Z\n");
        assert_eq!(
            root.get("when").map(|v| v.get_ref()),
            Some(&RawValue::Datetime)
        );
    }

    #[test]
    fn a_syntax_error_has_a_span() {
        assert!(parse("a = = 1").is_err_and(|error| error.span() == Some(4..5)));
    }
}
