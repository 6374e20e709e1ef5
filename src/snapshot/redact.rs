//! Redactions: blanking the volatile values of a JSON body (timestamps,
//! request ids) before it is snapshotted, chosen with insta's selectors.
//!
//! The grammar is insta's (`select_grammar.pest`), so a selector means the
//! same here as in `insta::Settings::add_redaction`:
//!
//! | selector | selects |
//! |---|---|
//! | `.body.timestamp` | the key `timestamp` of the object at `body` |
//! | `.headers["x-request-id"]` | a key that is not an identifier |
//! | `.items[].id` | `id` of every element of `items` |
//! | `.list[0]` | the first element |
//! | `.list[1:3]`, `[:-1]`, `[-2:]` | a range of elements; negative counts from the end |
//! | `.a.*` | every value of object `a` (or element, for an array) |
//! | `.**.id` | every `id`, at any depth |
//! | `.` | the whole value |
//! | `.a, .b` | either |
//!
//! A matched value is replaced whole and not looked into further.
//!
//! # Dev. Note: where we differ from insta
//! insta also walks object *keys* (as a pseudo-path `$key`), so its `.a.*`
//! and `.**` replace the keys of a map as well as its values, which for JSON
//! yields an object whose keys all collide. Here wildcards select values only
//! and `$key` is an ordinary key name. insta's `**` also lets the part after
//! it match fewer path steps than it names (`.**.a.b` matches a top-level `b`);
//! here the whole pattern must fit. A negative index (`[-1]`), which makes
//! insta panic, is an error pointing at the range form (`[-1:]`).

use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// One step of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `["name"]`: an object key.
    Key(String),
    /// `[n]`: an array element.
    Index(usize),
    /// `[]`, `[a:b]`, `[a:]`, `[:b]`: array elements from `a` (inclusive) to
    /// `b` (exclusive); negative bounds count from the end.
    Range(Option<i64>, Option<i64>),
    /// `.*`: any one key or element.
    Wildcard,
    /// `.**`: any number of keys or elements (at most one per selector).
    DeepWildcard,
}

/// A parsed selector: one or more comma-separated paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    paths: Vec<Vec<Segment>>,
}

impl Selector {
    /// Parses a selector such as `.body.timestamp` or `.items[].id, .id`.
    ///
    /// # Errors
    /// A [`SelectorError`] naming the 1-based column and what was expected there.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let paths = Parser::new(text).selectors()?;
        Ok(Selector {
            text: text.to_string(),
            paths,
        })
    }

    /// The comma-separated paths; an empty path is `.`, the whole value.
    pub fn paths(&self) -> &[Vec<Segment>] {
        &self.paths
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn matches(&self, path: &[Step<'_>]) -> bool {
        self.paths
            .iter()
            .any(|segments| path_matches(segments, path))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Selector, SelectorError> {
        Selector::parse(s)
    }
}

/// Replaces every value `selector` matches in `value` with the string
/// `placeholder` (insta's convention is `"[redacted]"`, or a name such as
/// `"[timestamp]"`). Returns how many values were replaced; 0 means the
/// selector matched nothing, which a caller may want to report.
pub fn redact(value: &mut Value, selector: &Selector, placeholder: &str) -> usize {
    walk(value, selector, placeholder, &mut Vec::new())
}

/// The placeholder insta's documentation uses.
pub const DEFAULT_PLACEHOLDER: &str = "[redacted]";

/// A step from the root to a value: an object key, or an element's index and
/// its array's length (for ranges counted from the end).
enum Step<'a> {
    Key(&'a str),
    Index(usize, usize),
}

fn walk<'a>(
    value: &'a mut Value,
    selector: &Selector,
    placeholder: &str,
    path: &mut Vec<Step<'a>>,
) -> usize {
    if selector.matches(path) {
        *value = Value::String(placeholder.to_string());
        return 1;
    }
    let mut count = 0;
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                path.push(Step::Key(key));
                count += walk(child, selector, placeholder, path);
                path.pop();
            }
        }
        Value::Array(items) => {
            let len = items.len();
            for (i, child) in items.iter_mut().enumerate() {
                path.push(Step::Index(i, len));
                count += walk(child, selector, placeholder, path);
                path.pop();
            }
        }
        _ => {}
    }
    count
}

fn segment_matches(segment: &Segment, step: &Step<'_>) -> bool {
    match (segment, step) {
        (Segment::Wildcard | Segment::DeepWildcard, _) => true,
        (Segment::Key(want), Step::Key(key)) => want == key,
        (Segment::Index(want), Step::Index(i, _)) => want == i,
        (Segment::Range(start, end), Step::Index(i, len)) => {
            let resolve = |bound: i64| {
                if bound < 0 {
                    (*len as i64 + bound).max(0)
                } else {
                    bound
                }
            };
            let i = *i as i64;
            start.is_none_or(|s| i >= resolve(s)) && end.is_none_or(|e| i < resolve(e))
        }
        _ => false,
    }
}

fn path_matches(segments: &[Segment], path: &[Step<'_>]) -> bool {
    let pairwise = |segments: &[Segment], steps: &[Step<'_>]| {
        segments
            .iter()
            .zip(steps)
            .all(|(segment, step)| segment_matches(segment, step))
    };
    match segments.iter().position(|s| *s == Segment::DeepWildcard) {
        Some(deep) => {
            let (before, after) = (&segments[..deep], &segments[deep + 1..]);
            // `**` stands for one or more steps when nothing follows it (as
            // in insta, `.**` never selects the root) and zero or more otherwise.
            path.len() > deep
                && path.len() >= before.len() + after.len()
                && pairwise(before, &path[..before.len()])
                && pairwise(after, &path[path.len() - after.len()..])
        }
        None => segments.len() == path.len() && pairwise(segments, path),
    }
}

/// A selector that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid selector \"{selector}\" at column {column}: {problem}")]
pub struct SelectorError {
    /// The selector as written.
    pub selector: String,
    /// 1-based column, in characters, where parsing stopped.
    pub column: usize,
    /// What was expected there.
    pub problem: SelectorProblem,
}

/// What a selector lacks at the column of a [`SelectorError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorProblem {
    /// Nothing, or something that cannot start a selector.
    #[error(
        "expected a selector starting with \".\" or \"[\", such as .body.id, .items[].id or . for the whole value"
    )]
    ExpectedStart,
    /// A `.` not followed by a key, `*` or `**`.
    #[error("expected a key, \"*\" or \"**\" after \".\"{hint}")]
    AfterDot {
        /// How to say it instead, when we can tell.
        hint: String,
    },
    /// A `[` not followed by a key, an index or a range.
    #[error(
        "expected a quoted key (\"name\"), an index (0) or a range ([], [1:], [:-1], [1:3]) after \"[\""
    )]
    InSubscript,
    /// A quoted key with no closing quote.
    #[error("expected a closing '\"' for the key that starts here")]
    UnclosedString,
    /// A subscript not closed by `]`.
    #[error("expected \"]\"")]
    ExpectedCloseBracket,
    /// An integer after `:` in a range.
    #[error("expected an integer or \"]\" after \":\"")]
    ExpectedRangeEnd,
    /// A negative single index.
    #[error(
        "expected an index of 0 or more; to count from the end use a range: [{index}:] selects the last {count}"
    )]
    NegativeIndex {
        /// The index as written.
        index: i64,
        /// How many elements the suggested range selects, in words.
        count: String,
    },
    /// An integer that does not fit.
    #[error("expected a smaller number")]
    NumberTooLarge,
    /// `**` used twice in one path.
    #[error("expected at most one \"**\" in each comma-separated path")]
    DeepWildcardTwice,
    /// Something after a complete path.
    #[error("expected \".\", \"[\", \",\" or the end of the selector{hint}")]
    AfterPath {
        /// How to say it instead, when we can tell.
        hint: String,
    },
}

struct Parser<'s> {
    text: &'s str,
    chars: Vec<char>,
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c == '$' || unicode_ident::is_xid_start(c)
}

fn is_ident_continue(c: char) -> bool {
    unicode_ident::is_xid_continue(c)
}

impl<'s> Parser<'s> {
    fn new(text: &'s str) -> Parser<'s> {
        Parser {
            text,
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn fail_at(&self, pos: usize, problem: SelectorProblem) -> SelectorError {
        SelectorError {
            selector: self.text.to_string(),
            column: pos + 1,
            problem,
        }
    }

    fn fail(&self, problem: SelectorProblem) -> SelectorError {
        self.fail_at(self.pos, problem)
    }

    /// `path ("," path)* ","?`, with whitespace allowed between tokens.
    fn selectors(&mut self) -> Result<Vec<Vec<Segment>>, SelectorError> {
        let mut paths = Vec::new();
        self.skip_ws();
        loop {
            let (segments, last_key_start) = self.path()?;
            paths.push(segments);
            self.skip_ws();
            match self.peek() {
                None => return Ok(paths),
                Some(',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek().is_none() {
                        return Ok(paths);
                    }
                }
                Some(_) => {
                    let hint = last_key_start
                        .filter(|&start| {
                            // Only when the stray character directly follows a key.
                            !self.chars[start..self.pos]
                                .iter()
                                .any(|c| c.is_whitespace())
                        })
                        .map(|start| {
                            let end = (self.pos..self.chars.len())
                                .find(|&i| {
                                    let c = self.chars[i];
                                    matches!(c, '.' | '[' | ',') || c.is_whitespace()
                                })
                                .unwrap_or(self.chars.len());
                            let key: String = self.chars[start..end].iter().collect();
                            format!("; quote keys with other characters: [\"{key}\"]")
                        })
                        .unwrap_or_default();
                    return Err(self.fail(SelectorProblem::AfterPath { hint }));
                }
            }
        }
    }

    /// One path: segments, or a lone `.` for the root. Also returns where the
    /// last segment's key began, if it was a `.key`, for a quoting hint.
    fn path(&mut self) -> Result<(Vec<Segment>, Option<usize>), SelectorError> {
        let mut segments = Vec::new();
        let mut last_key_start = None;
        loop {
            if !segments.is_empty() {
                let before_ws = self.pos;
                self.skip_ws();
                if !matches!(self.peek(), Some('.' | '[')) {
                    self.pos = before_ws;
                    return Ok((segments, last_key_start));
                }
            }
            last_key_start = None;
            let segment = match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    if self.peek().is_some_and(is_ident_start) {
                        last_key_start = Some(self.pos);
                        let start = self.pos;
                        self.pos += 1;
                        while self.peek().is_some_and(is_ident_continue) {
                            self.pos += 1;
                        }
                        Segment::Key(self.chars[start..self.pos].iter().collect())
                    } else {
                        let after_dot = self.pos;
                        self.skip_ws();
                        if self.peek() == Some('*') {
                            self.pos += 1;
                            if self.peek() == Some('*') {
                                self.pos += 1;
                                if segments.contains(&Segment::DeepWildcard) {
                                    return Err(self.fail_at(
                                        self.pos - 2,
                                        SelectorProblem::DeepWildcardTwice,
                                    ));
                                }
                                Segment::DeepWildcard
                            } else {
                                Segment::Wildcard
                            }
                        } else if segments.is_empty() && matches!(self.peek(), None | Some(',')) {
                            // `.`: the root.
                            return Ok((segments, None));
                        } else {
                            self.pos = after_dot;
                            return Err(self.fail(SelectorProblem::AfterDot {
                                hint: self.after_dot_hint(),
                            }));
                        }
                    }
                }
                Some('[') => self.subscript()?,
                _ => return Err(self.fail(SelectorProblem::ExpectedStart)),
            };
            segments.push(segment);
        }
    }

    fn after_dot_hint(&self) -> String {
        match self.peek() {
            Some('[') => "; to select an element write it without the dot, as in [0]".into(),
            Some(c) if !c.is_whitespace() && !matches!(c, ',' | '.' | '*') => {
                let end = (self.pos..self.chars.len())
                    .find(|&i| {
                        matches!(self.chars[i], '.' | '[' | ',') || self.chars[i].is_whitespace()
                    })
                    .unwrap_or(self.chars.len());
                let key: String = self.chars[self.pos..end].iter().collect();
                format!("; quote keys that do not start with a letter, \"_\" or \"$\": [\"{key}\"]")
            }
            _ => String::new(),
        }
    }

    /// After `[`: `]`, `"key"]`, `n]`, `a:b]`, `a:]`, `:b]`.
    fn subscript(&mut self) -> Result<Segment, SelectorError> {
        self.pos += 1;
        self.skip_ws();
        let segment = match self.peek() {
            Some(']') => Segment::Range(None, None),
            Some('"') => {
                let open = self.pos;
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c != '"') {
                    self.pos += 1;
                }
                if self.peek().is_none() {
                    return Err(self.fail_at(open, SelectorProblem::UnclosedString));
                }
                let raw = &self.chars[start..self.pos];
                self.pos += 1;
                // insta's unescaping: a backslash keeps the character after it.
                let mut key = String::new();
                let mut escaped = false;
                for &c in raw {
                    if c == '\\' && !escaped {
                        escaped = true;
                    } else {
                        key.push(c);
                        escaped = false;
                    }
                }
                self.skip_ws();
                Segment::Key(key)
            }
            Some(':') => {
                self.pos += 1;
                self.skip_ws();
                let end = self.integer(SelectorProblem::ExpectedRangeEnd)?;
                self.skip_ws();
                Segment::Range(None, Some(end))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start_pos = self.pos;
                let start = self.integer(SelectorProblem::InSubscript)?;
                self.skip_ws();
                if self.peek() == Some(':') {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(']') {
                        Segment::Range(Some(start), None)
                    } else {
                        let end = self.integer(SelectorProblem::ExpectedRangeEnd)?;
                        self.skip_ws();
                        Segment::Range(Some(start), Some(end))
                    }
                } else if start < 0 {
                    let count = if start == -1 {
                        "element".to_string()
                    } else {
                        format!("{} elements", start.unsigned_abs())
                    };
                    return Err(self.fail_at(
                        start_pos,
                        SelectorProblem::NegativeIndex {
                            index: start,
                            count,
                        },
                    ));
                } else {
                    let index = usize::try_from(start)
                        .map_err(|_| self.fail_at(start_pos, SelectorProblem::NumberTooLarge))?;
                    Segment::Index(index)
                }
            }
            _ => return Err(self.fail(SelectorProblem::InSubscript)),
        };
        if self.peek() != Some(']') {
            return Err(self.fail(SelectorProblem::ExpectedCloseBracket));
        }
        self.pos += 1;
        Ok(segment)
    }

    /// `-?[0-9]+`.
    fn integer(&mut self, missing: SelectorProblem) -> Result<i64, SelectorError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            return Err(self.fail_at(digits, missing));
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse()
            .map_err(|_| self.fail_at(start, SelectorProblem::NumberTooLarge))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "body": {"timestamp": "2024-05-01T12:00:00Z", "message": "hi"},
            "headers": {"x-request-id": "abc-123", "content-type": "text/plain"},
            "items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}],
            "list": [10, 20, 30, 40],
            "a": {"x": 1, "y": {"deep": true}},
            "nested": {"id": "top", "child": {"id": "inner", "list": [{"id": "in array"}]}}
        })
    }

    /// Redacts a copy of [`sample`]; the count and the result.
    fn redacted(selector: &str) -> (usize, Value) {
        let mut value = sample();
        let selector = Selector::parse(selector).unwrap();
        let count = redact(&mut value, &selector, DEFAULT_PLACEHOLDER);
        (count, value)
    }

    const R: &str = DEFAULT_PLACEHOLDER;

    #[test]
    fn a_key_path_replaces_one_value() {
        let (count, value) = redacted(".body.timestamp");
        assert_eq!(count, 1);
        assert_eq!(value["body"], json!({"timestamp": R, "message": "hi"}));
    }

    #[test]
    fn a_quoted_key_selects_keys_that_are_not_identifiers() {
        let (count, value) = redacted(r#".headers["x-request-id"]"#);
        assert_eq!(count, 1);
        assert_eq!(
            value["headers"],
            json!({"x-request-id": R, "content-type": "text/plain"})
        );
    }

    #[test]
    fn a_full_range_selects_every_element() {
        let (count, value) = redacted(".items[].id");
        assert_eq!(count, 3);
        assert_eq!(
            value["items"],
            json!([{"id": R, "name": "a"}, {"id": R, "name": "b"}, {"id": R, "name": "c"}])
        );
    }

    #[test]
    fn an_index_selects_one_element() {
        let (count, value) = redacted(".list[0]");
        assert_eq!(count, 1);
        assert_eq!(value["list"], json!([R, 20, 30, 40]));
        let (count, value) = redacted(".items[1].name");
        assert_eq!(count, 1);
        assert_eq!(value["items"][1], json!({"id": 2, "name": R}));
        assert_eq!(redacted(".list[4]").0, 0);
    }

    #[test]
    fn ranges_select_elements_and_negative_bounds_count_from_the_end() {
        assert_eq!(redacted(".list[1:3]").1["list"], json!([10, R, R, 40]));
        assert_eq!(redacted(".list[2:]").1["list"], json!([10, 20, R, R]));
        assert_eq!(redacted(".list[:-1]").1["list"], json!([R, R, R, 40]));
        assert_eq!(redacted(".list[-1:]").1["list"], json!([10, 20, 30, R]));
        assert_eq!(redacted(".list[-9:1]").1["list"], json!([R, 20, 30, 40]));
        assert_eq!(redacted(".list[3:1]").0, 0);
    }

    #[test]
    fn a_wildcard_replaces_every_value_of_an_object_but_keeps_its_keys() {
        let (count, value) = redacted(".a.*");
        assert_eq!(count, 2);
        assert_eq!(value["a"], json!({"x": R, "y": R}));
        // On an array it selects every element.
        assert_eq!(redacted(".list.*").0, 4);
    }

    #[test]
    fn a_deep_wildcard_finds_a_key_at_any_depth() {
        let (count, value) = redacted(".**.id");
        // Three items, then nested.id; nested.child and its array are looked into.
        assert_eq!(count, 6);
        assert_eq!(
            value["nested"],
            json!({"id": R, "child": {"id": R, "list": [{"id": R}]}})
        );
        assert_eq!(value["items"][0], json!({"id": R, "name": "a"}));
        // Fixed parts before the `**` must match too.
        let (count, value) = redacted(".nested.**.id");
        assert_eq!(count, 3);
        assert_eq!(value["items"][0]["id"], json!(1));
    }

    #[test]
    fn a_deep_wildcard_alone_replaces_each_top_level_value_not_the_root() {
        let (count, value) = redacted(".**");
        assert_eq!(count, 6);
        assert_eq!(value["list"], json!(R));
    }

    #[test]
    fn the_part_after_a_deep_wildcard_must_fit_whole() {
        // insta would match a top-level `list` with `.**.a.list`.
        assert_eq!(redacted(".**.nested.list").0, 0);
        assert_eq!(redacted(".**.child.list").0, 1);
    }

    #[test]
    fn a_dot_replaces_the_whole_value() {
        let (count, value) = redacted(".");
        assert_eq!(count, 1);
        assert_eq!(value, json!(R));
    }

    #[test]
    fn comma_separated_paths_each_apply() {
        let (count, value) = redacted(".body.timestamp, .list[0], .missing,");
        assert_eq!(count, 2);
        assert_eq!(value["body"]["timestamp"], json!(R));
        assert_eq!(value["list"][0], json!(R));
    }

    #[test]
    fn a_replaced_value_is_not_looked_into() {
        let (count, value) = redacted(".a, .a.x");
        assert_eq!(count, 1);
        assert_eq!(value["a"], json!(R));
    }

    #[test]
    fn a_selector_that_matches_nothing_replaces_nothing() {
        for selector in [
            ".nope",
            ".body.timestamp.deeper",
            ".list.x",
            ".a[0]",
            "[]",
            ".items[].missing",
        ] {
            let (count, value) = redacted(selector);
            assert_eq!(count, 0, "{selector}");
            assert_eq!(value, sample(), "{selector}");
        }
    }

    #[test]
    fn a_selector_may_start_with_a_subscript_for_a_top_level_array() {
        let mut value = json!([{"_id": 1}, {"_id": 2}]);
        let count = redact(&mut value, &Selector::parse("[]._id").unwrap(), "[id]");
        assert_eq!(count, 2);
        assert_eq!(value, json!([{"_id": "[id]"}, {"_id": "[id]"}]));
    }

    #[test]
    fn the_placeholder_is_the_callers_choice() {
        let mut value = sample();
        redact(
            &mut value,
            &Selector::parse(".body.timestamp").unwrap(),
            "[timestamp]",
        );
        assert_eq!(value["body"]["timestamp"], json!("[timestamp]"));
    }

    #[test]
    fn selectors_parse_into_insta_segments() {
        let paths = |s: &str| Selector::parse(s).unwrap().paths().to_vec();
        assert_eq!(
            paths(r#".a["b c"][2][1:][:-1][1:2][].*.**"#),
            [vec![
                Segment::Key("a".into()),
                Segment::Key("b c".into()),
                Segment::Index(2),
                Segment::Range(Some(1), None),
                Segment::Range(None, Some(-1)),
                Segment::Range(Some(1), Some(2)),
                Segment::Range(None, None),
                Segment::Wildcard,
                Segment::DeepWildcard,
            ]]
        );
        // Whitespace between tokens, identifiers with `$`, `_` and Unicode,
        // and insta's backslash rule in quoted keys.
        assert_eq!(
            paths(r#" .$key . * , ._x.ключ [ 0 ] , ["a\\b\c"] "#),
            [
                vec![Segment::Key("$key".into()), Segment::Wildcard],
                vec![
                    Segment::Key("_x".into()),
                    Segment::Key("ключ".into()),
                    Segment::Index(0),
                ],
                vec![Segment::Key("a\\bc".into())],
            ]
        );
        assert_eq!(paths(". , ."), [vec![], vec![]]);
        assert_eq!(Selector::parse(".a").unwrap().to_string(), ".a");
    }

    fn error(selector: &str) -> String {
        Selector::parse(selector).unwrap_err().to_string()
    }

    #[test]
    fn parse_errors_name_the_column_and_what_was_expected() {
        assert_eq!(
            error(".a["),
            "invalid selector \".a[\" at column 4: expected a quoted key (\"name\"), an index (0) or a range ([], [1:], [:-1], [1:3]) after \"[\""
        );
        assert_eq!(
            error(""),
            "invalid selector \"\" at column 1: expected a selector starting with \".\" or \"[\", such as .body.id, .items[].id or . for the whole value"
        );
        assert_eq!(
            error("body.id"),
            "invalid selector \"body.id\" at column 1: expected a selector starting with \".\" or \"[\", such as .body.id, .items[].id or . for the whole value"
        );
        assert_eq!(
            error(".headers.x-request-id"),
            "invalid selector \".headers.x-request-id\" at column 11: expected \".\", \"[\", \",\" or the end of the selector; quote keys with other characters: [\"x-request-id\"]"
        );
        assert_eq!(
            error(".1st"),
            "invalid selector \".1st\" at column 2: expected a key, \"*\" or \"**\" after \".\"; quote keys that do not start with a letter, \"_\" or \"$\": [\"1st\"]"
        );
        assert_eq!(
            error(".[0]"),
            "invalid selector \".[0]\" at column 2: expected a key, \"*\" or \"**\" after \".\"; to select an element write it without the dot, as in [0]"
        );
        assert_eq!(
            error(".list[-1]"),
            "invalid selector \".list[-1]\" at column 7: expected an index of 0 or more; to count from the end use a range: [-1:] selects the last element"
        );
        assert_eq!(
            error(".list[-3]"),
            "invalid selector \".list[-3]\" at column 7: expected an index of 0 or more; to count from the end use a range: [-3:] selects the last 3 elements"
        );
        assert_eq!(
            error(".a[\"b"),
            "invalid selector \".a[\"b\" at column 4: expected a closing '\"' for the key that starts here"
        );
        assert_eq!(
            error(".a[0"),
            "invalid selector \".a[0\" at column 5: expected \"]\""
        );
        assert_eq!(
            error(".a[1:x]"),
            "invalid selector \".a[1:x]\" at column 6: expected an integer or \"]\" after \":\""
        );
        assert_eq!(
            error(".**.a.**"),
            "invalid selector \".**.a.**\" at column 7: expected at most one \"**\" in each comma-separated path"
        );
        assert_eq!(
            error(".a[99999999999999999999]"),
            "invalid selector \".a[99999999999999999999]\" at column 4: expected a smaller number"
        );
        assert_eq!(
            error(".a,,"),
            "invalid selector \".a,,\" at column 4: expected a selector starting with \".\" or \"[\", such as .body.id, .items[].id or . for the whole value"
        );
        assert_eq!(
            error(". .a"),
            "invalid selector \". .a\" at column 2: expected a key, \"*\" or \"**\" after \".\""
        );
        let err = Selector::parse(".a[").unwrap_err();
        assert_eq!((err.column, err.problem), (4, SelectorProblem::InSubscript));
    }
}
