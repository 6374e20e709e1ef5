//! The YAML subset of a snapshot's front matter: written exactly as insta 1.49
//! writes it, and read back from what insta (or a person) may leave there.
//!
//! # Dev. Note: why byte-exact
//! `cargo insta accept` loads a `.snap.new` and saves it again with insta's own
//! emitter. If our bytes differed from insta's, every accept would rewrite the
//! file and show a spurious diff in review. So the writer follows insta's
//! emitter rule for rule: block style, two-space indentation, compact `- `
//! items (a map or sequence inside a sequence starts on the dash's line), `~`
//! for null, `[]`/`{}` for empty collections, and the same test for when a
//! string needs double quotes and the same JSON-like escapes inside them.
//! One exception, where insta cannot round-trip its own output: strings its
//! reader takes for numbers (`0o17`) are quoted; see `insta_reads_as_number`.
//! insta's literal-block style (`INSTA_YAML_BLOCK_STYLE=1`) is read, never written.
//!
//! The reader (`read.rs`) is a small indentation parser, not a YAML implementation: it
//! accepts what insta writes plus comments and single quotes, and names
//! anything else (anchors, tags, flow collections) in its error.

use super::error::ParseProblem;
use super::info::Info;

mod read;

pub(super) use read::{Line, Node, parse, to_info};

/// A problem at a 1-based line.
pub(super) type Fail = (usize, ParseProblem);

/// Words a YAML 1.1 reader takes for booleans or null; insta quotes them.
const RESERVED_WORDS: [&str; 22] = [
    "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false", "on",
    "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
];

/// Whether we put `s` in double quotes: where insta's emitter does, and where
/// insta's reader would otherwise misread it (see [`insta_reads_as_number`]).
pub(super) fn needs_quotes(s: &str) -> bool {
    insta_quotes(s) || insta_reads_as_number(s)
}

/// Whether insta's emitter puts `s` in double quotes. Mirrors insta's rule,
/// quirks included: the C0 controls BEL, BS, VT, FF and ESC, and DEL, do not
/// by themselves force quotes.
fn insta_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    let forces_quotes = |c: char| {
        matches!(
            c,
            ':' | '{' | '}' | '[' | ']' | ',' | '#' | '`' | '"' | '\'' | '\\'
        ) || (c.is_ascii_control()
            && !matches!(c, '\x07' | '\x08' | '\x0b' | '\x0c' | '\x1b' | '\x7f'))
    };
    s.starts_with(' ')
        || s.ends_with(' ')
        || matches!(
            first,
            '&' | '*' | '?' | '|' | '-' | '<' | '>' | '=' | '!' | '%' | '@' | '.'
        )
        || s.starts_with("0x")
        || s.chars().any(forces_quotes)
        || RESERVED_WORDS.contains(&s)
        || s.parse::<i64>().is_ok()
        || s.parse::<f64>().is_ok()
}

/// Plain text that insta's reader takes for a number although its writer
/// leaves it plain: `0o17` (octal) and `+.inf`. insta writes these unquoted and
/// reads them back as `15` and infinity, so a `cargo insta accept` would
/// change the value. We quote them; insta then reads the string intact (and
/// accept drops the quotes, a rewrite we cannot avoid).
fn insta_reads_as_number(s: &str) -> bool {
    s.strip_prefix("0o")
        .is_some_and(|octal| i64::from_str_radix(octal, 8).is_ok())
        || matches!(s, "+.inf" | "+.Inf" | "+.INF")
}

/// Appends `s` as a YAML scalar: plain when safe, else double-quoted.
pub(super) fn write_str(out: &mut String, s: &str) {
    if !needs_quotes(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a newline and `col` spaces: the start of the next line of a block.
fn newline_at(out: &mut String, col: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', col));
}

/// Appends a value that needs no lines of its own.
fn write_inline(out: &mut String, value: &Info) {
    match value {
        Info::Null => out.push('~'),
        Info::Bool(true) => out.push_str("true"),
        Info::Bool(false) => out.push_str("false"),
        Info::Integer(n) => out.push_str(&n.to_string()),
        Info::String(s) => write_str(out, s),
        Info::Seq(_) => out.push_str("[]"),
        Info::Map(_) => out.push_str("{}"),
    }
}

fn is_block(value: &Info) -> bool {
    match value {
        Info::Seq(items) => !items.is_empty(),
        Info::Map(entries) => !entries.is_empty(),
        _ => false,
    }
}

/// Appends what follows `key:`: a block value starts on the next line, two
/// columns deeper than the key; anything else follows a space.
pub(super) fn write_after_key(out: &mut String, value: &Info, key_col: usize) {
    if is_block(value) {
        newline_at(out, key_col + 2);
        write_block(out, value, key_col + 2);
    } else {
        out.push(' ');
        write_inline(out, value);
    }
}

/// Appends a non-empty map or sequence whose first line starts at the cursor
/// and whose later lines start at `col`.
fn write_block(out: &mut String, value: &Info, col: usize) {
    match value {
        Info::Map(entries) => {
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    newline_at(out, col);
                }
                write_str(out, key);
                out.push(':');
                write_after_key(out, value, col);
            }
        }
        Info::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    newline_at(out, col);
                }
                out.push_str("- ");
                // Compact: a nested block starts on the dash's own line.
                if is_block(item) {
                    write_block(out, item, col + 2);
                } else {
                    write_inline(out, item);
                }
            }
        }
        other => write_inline(out, other),
    }
}

#[cfg(test)]
mod tests;
