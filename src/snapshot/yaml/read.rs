//! Reading front matter: a small indentation parser for what insta writes,
//! plus comments and single quotes; anchors, tags and flow collections are
//! named in its error.

use super::{Fail, insta_quotes};
use crate::snapshot::error::ParseProblem;
use crate::snapshot::info::Info;

/// A parsed front-matter node, with the line it starts on.
#[derive(Debug)]
pub(in crate::snapshot) enum Node {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Scalar, Node)>),
}

/// A scalar as written: its text after unquoting, and whether it was quoted
/// (a quoted scalar is always a string; a plain one is resolved later).
#[derive(Debug)]
pub(in crate::snapshot) struct Scalar {
    pub(in crate::snapshot) text: String,
    pub(in crate::snapshot) quoted: bool,
    pub(in crate::snapshot) line: usize,
}

/// One line of the front matter: its 1-based number in the file and its text
/// without the line break.
pub(in crate::snapshot) struct Line<'a> {
    pub(in crate::snapshot) number: usize,
    pub(in crate::snapshot) text: &'a str,
}

impl Line<'_> {
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches(' ').len()
    }

    fn is_insignificant(&self) -> bool {
        let t = self.text.trim_start_matches([' ', '\t']);
        t.is_empty() || t.starts_with('#')
    }
}

/// Parses the front-matter lines (between the two `---`) into one node.
/// `fence_line` is the line of the closing `---`, for an empty front matter.
pub(in crate::snapshot) fn parse(lines: &[Line<'_>], fence_line: usize) -> Result<Node, Fail> {
    let mut parser = Parser { lines, pos: 0 };
    let Some(col) = parser.next_indent()? else {
        return Err((fence_line, ParseProblem::EmptyFrontMatter));
    };
    let node = parser.block(col)?;
    if let Some(found) = parser.next_indent()? {
        let line = parser.lines[parser.pos].number;
        return Err((
            line,
            ParseProblem::BadIndentation {
                expected: col,
                found,
            },
        ));
    }
    Ok(node)
}

struct Parser<'a, 'l> {
    lines: &'a [Line<'l>],
    pos: usize,
}

/// Whether text at a block column starts a `- ` item.
fn is_item(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// The part of a plain scalar before a ` #` comment, without trailing blanks.
fn strip_comment(text: &str) -> &str {
    let end = text
        .match_indices(" #")
        .chain(text.match_indices("\t#"))
        .map(|(i, _)| i)
        .min()
        .unwrap_or(text.len());
    let text = if text.starts_with('#') {
        ""
    } else {
        &text[..end]
    };
    text.trim_end_matches([' ', '\t'])
}

impl Parser<'_, '_> {
    fn current(&self) -> &Line<'_> {
        &self.lines[self.pos]
    }

    /// Skips blank and comment lines; the indentation of the next line, if any.
    fn next_indent(&mut self) -> Result<Option<usize>, Fail> {
        while self.pos < self.lines.len() && self.lines[self.pos].is_insignificant() {
            self.pos += 1;
        }
        let Some(line) = self.lines.get(self.pos) else {
            return Ok(None);
        };
        let indent = line.indent();
        if line.text[indent..].starts_with('\t') {
            return Err((line.number, ParseProblem::TabIndentation));
        }
        Ok(Some(indent))
    }

    /// A map or sequence starting at column `col` of the current line.
    fn block(&mut self, col: usize) -> Result<Node, Fail> {
        if is_item(&self.current().text[col..]) {
            self.seq(col)
        } else {
            self.map(col)
        }
    }

    /// A block sequence whose dashes stand at column `col`; the first dash is
    /// on the current line (possibly after another dash, in compact form).
    fn seq(&mut self, col: usize) -> Result<Node, Fail> {
        let mut items = Vec::new();
        loop {
            let line = self.current();
            let after_dash = &line.text[col + 1..];
            let content = after_dash.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                self.pos += 1;
                items.push(self.value_below(col, false)?);
            } else {
                let item_col = col + 1 + (after_dash.len() - content.len());
                items.push(self.node_at(item_col, col, true)?);
            }
            match self.next_indent()? {
                Some(indent) if indent == col && is_item(&self.current().text[col..]) => {}
                Some(indent) if indent > col => {
                    return Err((
                        self.current().number,
                        ParseProblem::BadIndentation {
                            expected: col,
                            found: indent,
                        },
                    ));
                }
                _ => return Ok(Node::Seq(items)),
            }
        }
    }

    /// A block map whose keys stand at column `col`; the first key is on the
    /// current line.
    fn map(&mut self, col: usize) -> Result<Node, Fail> {
        let mut entries = Vec::new();
        loop {
            let line = self.current();
            let number = line.number;
            let rest = &line.text[col..];
            if rest == "?" || rest.starts_with("? ") {
                return Err((
                    number,
                    ParseProblem::Unsupported {
                        feature: "complex keys (`? `)",
                    },
                ));
            }
            let Some((key, value_offset)) = split_key(rest, number)? else {
                return Err((
                    number,
                    ParseProblem::ExpectedMapEntry {
                        found: rest.trim_end().to_string(),
                    },
                ));
            };
            let value_col = col + value_offset;
            let after = &line.text[value_col..];
            let value = if after.is_empty() || after.starts_with('#') {
                self.pos += 1;
                self.value_below(col, true)?
            } else {
                self.node_at(value_col, col, false)?
            };
            entries.push((key, value));
            match self.next_indent()? {
                Some(indent) if indent == col => {
                    if is_item(&self.current().text[col..]) {
                        return Err((
                            self.current().number,
                            ParseProblem::ExpectedMapEntry {
                                found: self.current().text[col..].trim_end().to_string(),
                            },
                        ));
                    }
                }
                Some(indent) if indent > col => {
                    return Err((
                        self.current().number,
                        ParseProblem::BadIndentation {
                            expected: col,
                            found: indent,
                        },
                    ));
                }
                _ => return Ok(Node::Map(entries)),
            }
        }
    }

    /// The value of a `key:` or `-` with nothing after it: a block on the
    /// following lines, indented deeper (or, for a key, a sequence at the
    /// key's own column), else null.
    fn value_below(&mut self, parent_col: usize, key: bool) -> Result<Node, Fail> {
        let null_line = self.lines[self.pos - 1].number;
        match self.next_indent()? {
            Some(indent) if indent > parent_col => self.block(indent),
            Some(indent)
                if key && indent == parent_col && is_item(&self.current().text[indent..]) =>
            {
                self.seq(indent)
            }
            _ => Ok(Node::Scalar(Scalar {
                text: String::new(),
                quoted: false,
                line: null_line,
            })),
        }
    }

    /// A node starting at column `col` of the current line, after a key's
    /// `: ` or an item's `- ` at `parent_col`. Only after a dash may a map or
    /// sequence start on the same line (insta's compact form).
    fn node_at(&mut self, col: usize, parent_col: usize, after_dash: bool) -> Result<Node, Fail> {
        let line = self.current();
        let number = line.number;
        let rest = &line.text[col..];
        if after_dash {
            if is_item(rest) {
                return self.seq(col);
            }
            if split_key(rest, number)?.is_some() || rest.starts_with("? ") {
                return self.map(col);
            }
        }
        if rest.starts_with('|') {
            let (keep, strip) = block_header(rest, number)?;
            self.pos += 1;
            return Ok(self.literal(parent_col, keep, strip, number));
        }
        let node = scalar_node(rest, number)?;
        self.pos += 1;
        Ok(node)
    }

    /// The lines of a literal block (`|`) whose parent stands at `parent_col`.
    fn literal(&mut self, parent_col: usize, keep: bool, strip: bool, line: usize) -> Node {
        let all_spaces = |t: &str| t.bytes().all(|b| b == b' ');
        let indent = self.lines[self.pos..]
            .iter()
            .find(|l| !all_spaces(l.text))
            .map(Line::indent)
            .filter(|&n| n > parent_col);
        let mut content: Vec<&str> = Vec::new();
        let mut trailing_empty = 0;
        if let Some(n) = indent {
            while let Some(l) = self.lines.get(self.pos) {
                if all_spaces(l.text) && l.text.len() <= n {
                    trailing_empty += 1;
                } else if l.indent() >= n {
                    content.extend(std::iter::repeat_n("", trailing_empty));
                    trailing_empty = 0;
                    content.push(&l.text[n..]);
                } else {
                    break;
                }
                self.pos += 1;
            }
        }
        let mut text = content.join("\n");
        if keep {
            text.push_str(&"\n".repeat(trailing_empty + usize::from(!content.is_empty())));
        } else if !strip && !content.is_empty() {
            text.push('\n');
        }
        Node::Scalar(Scalar {
            text,
            quoted: true,
            line,
        })
    }
}

/// Reads a literal block header: `(keep, strip)` for `|+` / `|-`.
fn block_header(rest: &str, line: usize) -> Result<(bool, bool), Fail> {
    let header = strip_comment(rest);
    match header {
        "|" => Ok((false, false)),
        "|-" => Ok((false, true)),
        "|+" => Ok((true, false)),
        other => Err((
            line,
            ParseProblem::BadBlockHeader {
                found: other.to_string(),
            },
        )),
    }
}

/// If `rest` starts with `key:` (then a space or the end of the line), the key
/// and the byte offset where the value starts.
fn split_key(rest: &str, line: usize) -> Result<Option<(Scalar, usize)>, Fail> {
    let (key, after_key) = if rest.starts_with(['"', '\'']) {
        let (text, used) = quoted(rest, line)?;
        let key = Scalar {
            text,
            quoted: true,
            line,
        };
        (key, used)
    } else {
        let mut found = None;
        for (i, _) in rest.match_indices(':') {
            let next = rest[i + 1..].chars().next();
            if next.is_none() || next == Some(' ') {
                found = Some(i);
                break;
            }
        }
        let Some(colon) = found else {
            return Ok(None);
        };
        let text = rest[..colon].trim_end_matches(' ');
        if text.is_empty() || text.starts_with('#') || text.contains(" #") {
            return Ok(None);
        }
        let key = Scalar {
            text: text.to_string(),
            quoted: false,
            line,
        };
        (key, colon)
    };
    let after = &rest[after_key..];
    let spaces_before = after.len() - after.trim_start_matches(' ').len();
    let Some(value) = after[spaces_before..].strip_prefix(':') else {
        return Ok(None);
    };
    if !(value.is_empty() || value.starts_with(' ')) {
        return Ok(None);
    }
    let value_start = rest.len() - value.trim_start_matches(' ').len();
    Ok(Some((key, value_start)))
}

/// An inline scalar (or `[]` / `{}`) filling the rest of a line.
fn scalar_node(rest: &str, line: usize) -> Result<Node, Fail> {
    let unsupported = |feature| Err((line, ParseProblem::Unsupported { feature }));
    match rest.chars().next() {
        Some('"' | '\'') => {
            let (text, used) = quoted(rest, line)?;
            let trailing = strip_comment(rest[used..].trim_start_matches([' ', '\t']));
            if !trailing.is_empty() {
                return Err((
                    line,
                    ParseProblem::TrailingCharacters {
                        found: trailing.to_string(),
                    },
                ));
            }
            Ok(Node::Scalar(Scalar {
                text,
                quoted: true,
                line,
            }))
        }
        Some('[' | '{') => match strip_comment(rest).replace(' ', "").as_str() {
            "[]" => Ok(Node::Seq(Vec::new())),
            "{}" => Ok(Node::Map(Vec::new())),
            _ => Err((line, ParseProblem::FlowCollection)),
        },
        Some('&') => unsupported("anchors (`&`)"),
        Some('*') => unsupported("aliases (`*`)"),
        Some('!') => unsupported("tags (`!`)"),
        Some('>') => unsupported("folded blocks (`>`)"),
        _ => {
            let text = strip_comment(rest);
            if text.ends_with(':') || text.contains(": ") {
                return Err((
                    line,
                    ParseProblem::ColonInPlainValue {
                        text: text.to_string(),
                    },
                ));
            }
            Ok(Node::Scalar(Scalar {
                text: text.to_string(),
                quoted: false,
                line,
            }))
        }
    }
}

/// A single- or double-quoted scalar at the start of `rest`: its value and the
/// bytes it used, closing quote included.
fn quoted(rest: &str, line: usize) -> Result<(String, usize), Fail> {
    let double = rest.starts_with('"');
    let mut out = String::new();
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if !double => {
                if matches!(chars.peek(), Some((_, '\''))) {
                    chars.next();
                    out.push('\'');
                } else {
                    return Ok((out, i + 1));
                }
            }
            '"' if double => return Ok((out, i + 1)),
            '\\' if double => {
                let Some((_, e)) = chars.next() else {
                    return Err((line, ParseProblem::UnterminatedQuote));
                };
                let simple = match e {
                    '0' => Some('\0'),
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    't' | '\t' => Some('\t'),
                    'n' => Some('\n'),
                    'v' => Some('\x0b'),
                    'f' => Some('\x0c'),
                    'r' => Some('\r'),
                    'e' => Some('\x1b'),
                    ' ' => Some(' '),
                    '"' => Some('"'),
                    '\'' => Some('\''),
                    '\\' => Some('\\'),
                    '/' => Some('/'),
                    'N' => Some('\u{85}'),
                    '_' => Some('\u{a0}'),
                    'L' => Some('\u{2028}'),
                    'P' => Some('\u{2029}'),
                    _ => None,
                };
                if let Some(c) = simple {
                    out.push(c);
                    continue;
                }
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => {
                        return Err((
                            line,
                            ParseProblem::InvalidEscape {
                                escape: format!("\\{e}"),
                            },
                        ));
                    }
                };
                let mut hex = String::new();
                for _ in 0..digits {
                    match chars.next() {
                        Some((_, h)) if h.is_ascii_hexdigit() => hex.push(h),
                        _ => break,
                    }
                }
                let decoded = (hex.len() == digits)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                match decoded {
                    Some(c) => out.push(c),
                    None => {
                        return Err((
                            line,
                            ParseProblem::InvalidEscape {
                                escape: format!("\\{e}{hex}"),
                            },
                        ));
                    }
                }
            }
            c => out.push(c),
        }
    }
    Err((line, ParseProblem::UnterminatedQuote))
}

/// Converts a parsed node into an [`Info`] value.
///
/// A plain scalar is read as the value insta's writer would have written that
/// way: `~`/`null` null, `true`/`false` booleans, decimal integers, and any
/// text the writer leaves unquoted a string (so `0o17`, which insta writes
/// plain for the string, stays a string). Other plain text follows insta's
/// reader: `0x` hex is an integer, a float is refused, the rest (`yes`, `-x`)
/// are strings.
pub(in crate::snapshot) fn to_info(node: &Node) -> Result<Info, Fail> {
    match node {
        Node::Scalar(s) if s.quoted => Ok(Info::String(s.text.clone())),
        Node::Scalar(s) => resolve_plain(&s.text, s.line),
        Node::Seq(items) => Ok(Info::Seq(
            items.iter().map(to_info).collect::<Result<_, _>>()?,
        )),
        Node::Map(entries) => Ok(Info::Map(
            entries
                .iter()
                .map(|(k, v)| Ok((k.text.clone(), to_info(v)?)))
                .collect::<Result<_, Fail>>()?,
        )),
    }
}

fn resolve_plain(text: &str, line: usize) -> Result<Info, Fail> {
    match text {
        "" | "~" | "null" => return Ok(Info::Null),
        "true" => return Ok(Info::Bool(true)),
        "false" => return Ok(Info::Bool(false)),
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return Ok(Info::Integer(n));
    }
    if !insta_quotes(text) {
        return Ok(Info::String(text.to_string()));
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(n) = i64::from_str_radix(hex, 16)
    {
        return Ok(Info::Integer(n));
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err((
            line,
            ParseProblem::IntegerOutOfRange {
                text: text.to_string(),
            },
        ));
    }
    let float = matches!(
        text,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
    ) || matches!(text, ".nan" | ".NaN" | ".NAN")
        || text.parse::<f64>().is_ok();
    if float {
        return Err((
            line,
            ParseProblem::FloatInInfo {
                text: text.to_string(),
            },
        ));
    }
    Ok(Info::String(text.to_string()))
}
