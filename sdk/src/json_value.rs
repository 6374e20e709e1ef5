//! A JSON document as a tree: [`Value`], read by a small strict parser and
//! written back compactly.
//!
//! The `http` ABI never needs this (its head has a fixed shape, read without a
//! tree by `head.rs`); a Lambda handler does, because its input is a whole
//! vendor event and its output a JSON value. No serde: it would triple the
//! guest's size, and every byte of a module is loaded on every invocation.
//!
//! The parser follows RFC 8259 strictly (no comments, trailing commas, lone
//! surrogates or raw control characters in strings), keeps numbers as the text
//! they were written as (so a 64-bit id survives a round trip), keeps object
//! members in document order, and refuses documents nested deeper than
//! [`MAX_DEPTH`] so hostile input cannot exhaust the guest's small stack.

use std::fmt;
use std::ops::Index;
use std::str::FromStr;

use crate::json::push_string;

/// How deeply arrays and objects may nest. The guest stack is 64 KiB by
/// default; each level costs one parser frame (and one drop frame later).
pub const MAX_DEPTH: usize = 64;

/// A JSON value.
///
/// Objects keep their members in order, as a list; [`Value::get`] answers the
/// last member of a name, like most JSON readers. Missing keys and indexes read
/// as [`Value::Null`] through `value["key"]`, so chains such as
/// `event["requestContext"]["http"]["method"].as_str()` never panic.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept as written.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object's members in document order.
    Object(Vec<(String, Value)>),
}

/// A JSON number as its text, which is always valid JSON number syntax.
///
/// Kept as text rather than `f64` so integers beyond 2^53 (ids, timestamps in
/// nanoseconds) pass through a handler unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    /// The number as written, such as `-12.5e3`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as an `f64`, if it is finite as one.
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse::<f64>().ok().filter(|n| n.is_finite())
    }

    /// The number as an `i64`, if it is written as an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The number as a `u64`, if it is written as a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a text is not a JSON document, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    message: String,
    offset: usize,
}

impl ParseError {
    /// The byte offset in the input where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for ParseError {}

static NULL: Value = Value::Null;

impl Value {
    /// Parses one JSON document (surrounding whitespace allowed).
    ///
    /// # Errors
    /// A [`ParseError`] naming the first problem and its byte offset: invalid
    /// UTF-8, bad syntax, a lone surrogate escape, nesting deeper than
    /// [`MAX_DEPTH`], or text after the document.
    pub fn parse(input: &[u8]) -> Result<Value, ParseError> {
        let text = std::str::from_utf8(input).map_err(|e| ParseError {
            message: "the text is not valid UTF-8".into(),
            offset: e.valid_up_to(),
        })?;
        let mut parser = Parser { text, pos: 0 };
        parser.whitespace();
        let value = parser.value(0)?;
        parser.whitespace();
        if parser.pos < text.len() {
            return Err(parser.error("unexpected text after the JSON value"));
        }
        Ok(value)
    }

    /// An object with `members` in order.
    pub fn object<K: Into<String>>(members: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The member `key` of an object (the last one if repeated); `None` for a
    /// missing key or a value that is not an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Sets the member `key` of an object, replacing an existing one; turns any
    /// other value into an object first (as building a response expects).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        if !matches!(self, Value::Object(_)) {
            *self = Value::Object(Vec::new());
        }
        if let Value::Object(members) = self {
            match members.iter_mut().rev().find(|(k, _)| *k == key) {
                Some((_, slot)) => *slot = value,
                None => members.push((key, value)),
            }
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A number as an `f64` (see [`Number::as_f64`]).
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    /// A number as an `i64` (see [`Number::as_i64`]).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// A number as a `u64` (see [`Number::as_u64`]).
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    /// The number of a number value.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members of an object, in document order.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The compact JSON text of the value.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(n) => out.push_str(&n.0),
            Value::String(s) => push_string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_string(out, key);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Compact JSON, as [`Value::to_json`].
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl FromStr for Value {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Value, ParseError> {
        Value::parse(text.as_bytes())
    }
}

/// `value["key"]`: the member, or `null` when missing or not an object.
impl Index<&str> for Value {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

/// `value[i]`: the item, or `null` when out of range or not an array.
impl Index<usize> for Value {
    type Output = Value;

    fn index(&self, index: usize) -> &Value {
        self.as_array().and_then(|a| a.get(index)).unwrap_or(&NULL)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(Number(n.to_string()))
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

/// A finite float; NaN and the infinities have no JSON form and become `null`.
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        if n.is_finite() {
            // `{:?}` prints the shortest text that reads back as the same f64,
            // always with a `.` or an exponent (`1.0`, `1e300`): valid JSON.
            Value::Number(Number(format!("{n:?}")))
        } else {
            Value::Null
        }
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(option: Option<T>) -> Value {
        option.map_or(Value::Null, Into::into)
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            offset: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        match self.peek() {
            None => Err(self.error("expected a value, found the end of the text")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, ParseError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn enter(&self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.enter(depth)?;
        self.pos += 1; // [
        let mut items = Vec::new();
        self.whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.whitespace();
            items.push(self.value(depth)?);
            self.whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]` in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.enter(depth)?;
        self.pos += 1; // {
        let mut members = Vec::new();
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key in an object"));
            }
            let key = self.string()?;
            self.whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after an object key"));
            }
            self.pos += 1;
            self.whitespace();
            members.push((key, self.value(depth)?));
            self.whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}` in an object")),
            }
        }
    }

    /// A string literal at `pos` (its opening quote), unescaped.
    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // "
        let mut out = String::new();
        loop {
            let run = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The stop bytes are ASCII, so `run..pos` lies on character boundaries.
            out.push_str(&self.text[run..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => {
                    return Err(self.error("a control character must be escaped in a string"));
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// One escape sequence at `pos` (its backslash), appended to `out`.
    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        self.pos += 1; // \
        let decoded = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(out),
            _ => return Err(self.error("invalid escape in a string")),
        };
        self.pos += 1;
        out.push(decoded);
        Ok(())
    }

    /// `\uXXXX`, or a surrogate pair `\uD83E\uDD80`, at `pos` (the `u`).
    fn unicode_escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err(self.error("a high surrogate escape must be followed by a low one"));
                }
                self.pos += 1; // \ (hex4 steps over the u)
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("a high surrogate escape must be followed by a low one"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("a low surrogate escape without a high one")),
            code => code,
        };
        // Every code outside the surrogate range is a char.
        out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        Ok(())
    }

    /// The four hex digits after the `u` at `pos`.
    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.text.as_bytes().get(self.pos + 1..self.pos + 5);
        let value = digits.and_then(|digits| {
            digits.iter().try_fold(0u32, |acc, &d| {
                char::from(d).to_digit(16).map(|d| acc * 16 + d)
            })
        });
        match value {
            Some(value) => {
                self.pos += 5;
                Ok(value)
            }
            None => Err(self.error("`\\u` must be followed by four hex digits")),
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit in a number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits("expected a digit after `.` in a number")?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digits("expected a digit in a number's exponent")?;
        }
        Ok(Value::Number(Number(self.text[start..self.pos].to_owned())))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self, message: &str) -> Result<(), ParseError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error(message));
        }
        self.digits();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, Value};

    fn parse(text: &str) -> Value {
        Value::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn error(text: &[u8]) -> String {
        Value::parse(text)
            .expect_err("must be rejected")
            .to_string()
    }

    #[test]
    fn reads_every_kind_of_value() {
        let v = parse(r#" {"a":[1,-2.5e+3,true,false,null],"b":{"c":"d"},"e":{},"f":[]} "#);
        assert_eq!(v["a"][0].as_i64(), Some(1));
        assert_eq!(v["a"][1].as_f64(), Some(-2500.0));
        assert_eq!(v["a"][2].as_bool(), Some(true));
        assert_eq!(v["a"][3].as_bool(), Some(false));
        assert!(v["a"][4].is_null());
        assert_eq!(v["b"]["c"].as_str(), Some("d"));
        assert_eq!(v["e"].as_object().map(<[_]>::len), Some(0));
        assert_eq!(v["f"].as_array().map(<[_]>::len), Some(0));
    }

    #[test]
    fn missing_keys_and_indexes_read_as_null_without_panicking() {
        let v = parse(r#"{"a":[1]}"#);
        assert!(v["nope"]["deeper"][3].is_null());
        assert!(v["a"][1].is_null());
        assert!(v["a"]["key-of-an-array"].is_null());
        assert_eq!(v.get("nope"), None);
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let v = parse(r#""\"\\\/\b\f\n\r\t\u00e9\u4e16\ud83e\udd80 plain é""#);
        assert_eq!(v.as_str(), Some("\"\\/\u{8}\u{c}\n\r\té世🦀 plain é"));
    }

    #[test]
    fn refuses_lone_surrogates_and_bad_escapes() {
        assert!(error(br#""\ud83e""#).contains("followed by a low one"));
        assert!(error(br#""\ud83e\u0041""#).contains("followed by a low one"));
        assert!(error(br#""\udd80""#).contains("low surrogate"));
        assert!(error(br#""\x""#).contains("invalid escape"));
        assert!(error(br#""\u12G4""#).contains("four hex digits"));
        assert!(error(br#""\u12"#).contains("four hex digits"));
    }

    #[test]
    fn refuses_raw_control_characters_and_unterminated_strings() {
        assert!(error(b"\"a\nb\"").contains("control character"));
        assert!(error(b"\"abc").contains("unterminated"));
    }

    #[test]
    fn follows_the_number_grammar() {
        for good in ["0", "-0", "12", "-12.5", "1e9", "1E+9", "2.5e-3", "0.0"] {
            assert_eq!(parse(good).as_number().map(|n| n.as_str()), Some(good));
        }
        for bad in ["01", "-", "1.", ".5", "1e", "1e+", "+1", "--1", "0x10"] {
            assert!(
                Value::parse(bad.as_bytes()).is_err(),
                "{bad} must be rejected"
            );
        }
    }

    #[test]
    fn large_integers_survive_a_round_trip() {
        let text = r#"{"id":18446744073709551615,"neg":-9223372036854775808}"#;
        let v = parse(text);
        assert_eq!(v["id"].as_u64(), Some(u64::MAX));
        assert_eq!(v["neg"].as_i64(), Some(i64::MIN));
        assert_eq!(v.to_json(), text);
    }

    #[test]
    fn writes_compact_json_that_reads_back_the_same() {
        let v = parse("{ \"k\" : [ 1 , \"a\\u0001\\n\\\"\" , { } ] , \"x\" : null }");
        assert_eq!(v.to_json(), r#"{"k":[1,"a\u0001\n\"",{}],"x":null}"#);
        assert_eq!(parse(&v.to_json()), v);
    }

    #[test]
    fn a_repeated_key_reads_as_its_last_value_and_insert_replaces_it() {
        let mut v = parse(r#"{"a":1,"a":2}"#);
        assert_eq!(v["a"].as_i64(), Some(2));
        v.insert("a", 3);
        v.insert("b", "x");
        assert_eq!(v.to_json(), r#"{"a":1,"a":3,"b":"x"}"#);
    }

    #[test]
    fn refuses_trailing_text_empty_input_and_invalid_utf8() {
        assert!(error(b"{} {}").contains("after the JSON value"));
        assert!(error(b"[1,]").contains("expected a value"));
        assert!(error(b"{\"a\":1,}").contains("string key"));
        assert!(error(b"").contains("end of the text"));
        assert!(error(b"   ").contains("end of the text"));
        assert!(error(b"tru").contains("expected a value"));
        assert_eq!(
            error(b"\"\xff\""),
            "invalid JSON at byte 1: the text is not valid UTF-8"
        );
    }

    #[test]
    fn nesting_is_capped_so_hostile_input_cannot_exhaust_the_stack() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Value::parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(error(deep.as_bytes()).contains("nested deeper than 64 levels"));
        let bomb = "[{\"a\":".repeat(100_000);
        assert!(error(bomb.as_bytes()).contains("nested deeper"));
    }

    #[test]
    fn builds_values_from_rust_values() {
        let v = Value::object([
            ("s", Value::from("x")),
            ("n", Value::from(-3i32)),
            ("f", Value::from(0.5)),
            ("whole", Value::from(2.0)),
            ("nan", Value::from(f64::NAN)),
            ("none", Value::from(None::<&str>)),
            ("list", Value::from(vec![Value::from(true)])),
        ]);
        assert_eq!(
            v.to_json(),
            r#"{"s":"x","n":-3,"f":0.5,"whole":2.0,"nan":null,"none":null,"list":[true]}"#
        );
        assert_eq!(parse(&v.to_json()), v);
    }
}
