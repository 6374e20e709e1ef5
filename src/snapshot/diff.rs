//! A unified line diff between an accepted body and a new one, as `diff -u`
//! and `git diff` print it, optionally colored for a terminal.
//!
//! The diff engine is `similar` with the patience algorithm, the one insta
//! uses, so `wasmfaas test` and `cargo insta review` show the same hunks.
//! Bodies are diffed exactly as given: pass them through
//! [`normalize_body`](super::normalize_body) first to hide the differences
//! that [`bodies_match`](super::bodies_match) ignores.

use colored::Colorize;
use similar::{Algorithm, ChangeTag, TextDiff};
use std::time::Duration;

/// How a diff is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffOptions {
    /// Unchanged lines shown around each change (3, as `diff -u`).
    pub context: usize,
    /// Removed lines red, added lines green, context dim. Applied through
    /// `colored`, so its global switch (`NO_COLOR`, a non-terminal) still wins.
    pub color: bool,
}

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            context: 3,
            color: false,
        }
    }
}

/// The marker `diff` prints after a last line that has no newline.
pub const NO_NEWLINE_MARKER: &str = "\\ No newline at end of file";

/// The unified diff turning `old` into `new`: `--- old_name` and `+++
/// new_name` headers, then `@@ -l,n +l,n @@` hunks. Empty when the two are
/// identical.
pub fn unified_diff(
    old_name: &str,
    old: &str,
    new_name: &str,
    new: &str,
    options: DiffOptions,
) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        // A bound for pathological inputs: past it the diff is still correct,
        // just not minimal.
        .timeout(Duration::from_secs(2))
        .diff_lines(old, new);
    let mut unified = diff.unified_diff();
    unified.context_radius(options.context);
    let mut out = String::new();
    let paint = |out: &mut String, kind: Kind, text: &str| {
        if options.color {
            let styled = match kind {
                Kind::FileHeader => text.bold(),
                Kind::HunkHeader => text.cyan(),
                Kind::Removed => text.red(),
                Kind::Added => text.green(),
                Kind::Context | Kind::Marker => text.dimmed(),
            };
            out.push_str(&styled.to_string());
        } else {
            out.push_str(text);
        }
        out.push('\n');
    };
    for (i, hunk) in unified.iter_hunks().enumerate() {
        if i == 0 {
            paint(&mut out, Kind::FileHeader, &format!("--- {old_name}"));
            paint(&mut out, Kind::FileHeader, &format!("+++ {new_name}"));
        }
        paint(&mut out, Kind::HunkHeader, &hunk.header().to_string());
        for change in hunk.iter_changes() {
            let (sign, kind) = match change.tag() {
                ChangeTag::Delete => ('-', Kind::Removed),
                ChangeTag::Insert => ('+', Kind::Added),
                ChangeTag::Equal => (' ', Kind::Context),
            };
            let line = change.value();
            let line = line.strip_suffix('\n').unwrap_or(line);
            paint(&mut out, kind, &format!("{sign}{line}"));
            if change.missing_newline() {
                paint(&mut out, Kind::Marker, NO_NEWLINE_MARKER);
            }
        }
    }
    out
}

/// What a line of the diff is, for its color.
#[derive(Clone, Copy)]
enum Kind {
    FileHeader,
    HunkHeader,
    Removed,
    Added,
    Context,
    Marker,
}
