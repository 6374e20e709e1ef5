//! Everything that can go wrong while loading `wasmfaas.toml`, and how it is shown.
//!
//! This file owns [`ConfigError`], the [`Diagnostic`] behind every problem found
//! inside the file (file:line:column, the quoted source line with carets, and a
//! help line), and the "did you mean" matching shared by unknown keys and unknown
//! function names. Rendering is plain text so golden tests can compare it exactly.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A config problem. Every variant is a usage error: see [`ConfigError::exit_code`].
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file as given.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// A problem at a place in the file: bad TOML or a schema violation.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    /// A command named a function the project does not define.
    #[error("unknown function `{name}`; {hint}")]
    UnknownFunction {
        /// The name as requested.
        name: String,
        /// A "did you mean" suggestion or the list of defined functions.
        hint: String,
    },
}

impl ConfigError {
    /// Builds [`ConfigError::UnknownFunction`], suggesting the closest defined name.
    pub fn unknown_function<'a>(
        name: &str,
        candidates: impl Iterator<Item = &'a String>,
    ) -> ConfigError {
        let candidates: Vec<&str> = candidates.map(String::as_str).collect();
        let hint = match did_you_mean(name, candidates.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None if candidates.is_empty() => {
                "the project defines no functions; add a `[functions.<name>]` table".to_string()
            }
            None => format!("the project defines {}", backticked(&candidates)),
        };
        ConfigError::UnknownFunction {
            name: name.to_string(),
            hint,
        }
    }

    /// The process exit code for this error: always 2, because every config error
    /// is a usage error the user fixes by editing the file or the command line
    /// (1 is left for failures of the function itself).
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// The located problem, when the error points into the file.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            ConfigError::Invalid(diagnostic) => Some(diagnostic),
            _ => None,
        }
    }
}

/// A problem at a place in the config file, rendered rustc-style by `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The config file as given (not canonicalized).
    pub path: PathBuf,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column of the span's start, counted in characters.
    pub column: usize,
    /// The offending key path, like `functions.hello.limits.fuel` (empty for TOML syntax errors).
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    snippet: Snippet,
}

/// The quoted source line and where the carets go under it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snippet {
    line_text: String,
    /// The characters before the span, blanked but keeping tabs so carets line up.
    indent: String,
    carets: usize,
}

impl Diagnostic {
    /// Locates `span` (byte offsets into `source`) and keeps the texts to show.
    pub(crate) fn new(
        path: &Path,
        source: &str,
        span: Range<usize>,
        key: &str,
        message: String,
        help: String,
    ) -> Diagnostic {
        let start = char_boundary_at_or_before(source, span.start);
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line_text = source[line_start..line_end].trim_end_matches('\r');
        // Multi-line spans are underlined to the end of their first line only.
        let underline_end = span.end.min(line_start + line_text.len()).max(start);
        let before = &source[line_start..start];
        Diagnostic {
            path: path.to_path_buf(),
            line: source[..start].matches('\n').count() + 1,
            column: before.chars().count() + 1,
            key: key.to_string(),
            message,
            help,
            snippet: Snippet {
                line_text: line_text.to_string(),
                indent: before
                    .chars()
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect(),
                carets: source
                    .get(start..underline_end)
                    .map_or(0, |s| s.chars().count())
                    .max(1),
            },
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        let quoted = format!("{number} | {}", self.snippet.line_text);
        writeln!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )?;
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{}", quoted.trim_end())?;
        writeln!(
            f,
            "{gutter} | {}{}",
            self.snippet.indent,
            "^".repeat(self.snippet.carets)
        )?;
        write!(f, "{gutter} = help: {}", self.help)
    }
}

/// The candidate closest to `name`, if any is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|&(score, candidate)| score > 0.8 || is_small_edit(name, candidate))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Two edits or fewer, but only between words long enough for that to mean a typo
/// (`kv` and `s3` are two edits apart and unrelated).
fn is_small_edit(name: &str, candidate: &str) -> bool {
    name.len().min(candidate.len()) > 3 && strsim::levenshtein(name, candidate) <= 2
}

/// "`a`, `b`, `c`": names for a help line.
pub(crate) fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// toml reports spans on char boundaries; this keeps slicing safe whatever it gets.
fn char_boundary_at_or_before(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, span: Range<usize>) -> String {
        let diagnostic = Diagnostic::new(
            Path::new("wasmfaas.toml"),
            source,
            span,
            "k",
            "msg".to_string(),
            "fix".to_string(),
        );
        diagnostic.to_string()
    }

    #[test]
    fn the_gutter_grows_with_the_line_number() {
        let source = format!("{}fule = 100\n", "\n".repeat(11));
        let start = source.find("fule").unwrap_or_default();
        assert_eq!(
            render(&source, start..start + 4),
            "wasmfaas.toml:12:1: msg\n   |\n12 | fule = 100\n   | ^^^^\n   = help: fix"
        );
    }

    #[test]
    fn a_multi_line_span_is_underlined_to_the_end_of_its_first_line() {
        let text = render("a = [\n  1,\n]\n", 4..14);
        assert!(text.contains("1 | a = [\n  |     ^\n"), "{text}");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = render("név = \"é\"\nx = 1\n", "név = \"é\"\n".len()..13);
        assert!(text.starts_with("wasmfaas.toml:2:1:"), "{text}");
        let text = render("é = 1", 2..3);
        assert!(text.starts_with("wasmfaas.toml:1:2:"), "{text}");
    }

    #[test]
    fn an_empty_span_still_gets_one_caret() {
        assert!(render("", 0..0).contains("1 |\n  | ^\n"));
    }

    #[test]
    fn did_you_mean_ignores_unrelated_short_names() {
        assert_eq!(did_you_mean("fule", ["fuel", "memory_mb"]), Some("fuel"));
        assert_eq!(did_you_mean("ab", ["kv", "s3"]), None);
    }
}
