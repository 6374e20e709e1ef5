//! What can go wrong reading or writing a snapshot file, said so a user can fix it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A snapshot file could not be read, parsed or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file's text is not a snapshot we can read.
    #[error("{}: {problem}", Where(path.as_deref(), *line))]
    Parse {
        /// The file, when the text came from one (see [`SnapshotError::in_file`]).
        path: Option<PathBuf>,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong there.
        problem: ParseProblem,
    },
    /// Reading the file failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// Writing the file (or its temporary sibling) failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// Why writing failed.
        source: std::io::Error,
    },
    /// A caller asked for a `.pending-snap` file, which cargo-insta would take
    /// for a batch of inline Rust snapshots and try to apply to source files.
    #[error(
        "refusing to write {}: `.pending-snap` files belong to insta's inline snapshots; write `<name>.snap.new` instead",
        path.display()
    )]
    PendingSnap {
        /// The refused path.
        path: PathBuf,
    },
}

impl SnapshotError {
    /// Names the file a parse error came from, so it reads `file:line: problem`.
    pub fn in_file(self, file: &Path) -> SnapshotError {
        match self {
            SnapshotError::Parse { line, problem, .. } => SnapshotError::Parse {
                path: Some(file.to_path_buf()),
                line,
                problem,
            },
            other => other,
        }
    }

    /// The 1-based line of a parse error.
    pub fn line(&self) -> Option<usize> {
        match self {
            SnapshotError::Parse { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// What is wrong, for a parse error.
    pub fn problem(&self) -> Option<&ParseProblem> {
        match self {
            SnapshotError::Parse { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

/// `file:line`, or `line N` when the text came from no file.
struct Where<'a>(Option<&'a Path>, usize);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(path) => write!(f, "{}:{}", path.display(), self.1),
            None => write!(f, "line {}", self.1),
        }
    }
}

/// What is wrong at a line of a snapshot file.
///
/// The front matter is read as the YAML subset insta writes: block maps and
/// sequences indented by two, plain and quoted scalars, `[]`, `{}`, `~`, and
/// literal blocks (`|`). Anything else is named here rather than guessed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseProblem {
    /// The text is empty.
    #[error("the file is empty; a snapshot starts with a `---` line")]
    Empty,
    /// The first line is not `---`.
    #[error(
        "expected `---` to open the front matter, found `{found}` (files in insta's legacy header format are not read; re-save them with a current insta)"
    )]
    MissingOpeningFence {
        /// The first line as found.
        found: String,
    },
    /// No second `---` line ends the front matter.
    #[error("the front matter opened here is never closed by a `---` line before the body")]
    UnclosedFrontMatter,
    /// Nothing between the two `---` lines.
    #[error("the front matter is empty; it needs at least `source: <file>`")]
    EmptyFrontMatter,
    /// The front matter is not a map of keys.
    #[error("the front matter must be `key: value` lines (source, description, expression, info)")]
    FrontMatterNotAMap,
    /// No `source:` key.
    #[error("the front matter has no `source:` key; add `source: <file the snapshot came from>`")]
    MissingSource,
    /// A key that must hold text holds a map or a sequence.
    #[error("`{key}` must be a single string, not a {found}")]
    NotAString {
        /// The top-level key.
        key: String,
        /// `map` or `sequence`.
        found: &'static str,
    },
    /// The file is one of insta's binary snapshots, whose body lives in a sidecar file.
    #[error(
        "this is a binary snapshot (`snapshot_kind: binary`); wasmfaas reads text snapshots only"
    )]
    BinarySnapshot,
    /// A line is indented where nothing nests.
    #[error("unexpected indentation: expected {expected} spaces, found {found}")]
    BadIndentation {
        /// Spaces the enclosing block uses.
        expected: usize,
        /// Spaces found.
        found: usize,
    },
    /// Indentation with a tab, which YAML forbids.
    #[error("indentation must use spaces, not tabs")]
    TabIndentation,
    /// A line inside a map is not `key: value`.
    #[error("expected `key: value`, found `{found}`")]
    ExpectedMapEntry {
        /// The line's text from the map's column.
        found: String,
    },
    /// A plain value contains `: `, which YAML reads as a nested map.
    #[error("a plain value may not contain `: `; quote it: \"{text}\"")]
    ColonInPlainValue {
        /// The value as found.
        text: String,
    },
    /// A quoted scalar is not closed on its line.
    #[error(
        "the quoted string is not closed on this line (multi-line quoted strings are not supported; use `\\n`)"
    )]
    UnterminatedQuote,
    /// An unknown or malformed `\` escape in a double-quoted string.
    #[error("invalid escape `{escape}` in a double-quoted string")]
    InvalidEscape {
        /// The escape as found.
        escape: String,
    },
    /// Text after a closing quote.
    #[error("unexpected `{found}` after the closing quote")]
    TrailingCharacters {
        /// The text after the quote.
        found: String,
    },
    /// A non-empty flow collection (`[a, b]`, `{a: 1}`).
    #[error(
        "inline `[...]`/`{{...}}` collections are not supported except `[]` and `{{}}`; write one `- item` or `key: value` per line"
    )]
    FlowCollection,
    /// A YAML feature insta never writes: anchors, aliases, tags, complex keys, folded blocks.
    #[error("YAML {feature} are not supported in snapshot front matter")]
    Unsupported {
        /// What was found, in the plural (`anchors`, `tags`, ...).
        feature: &'static str,
    },
    /// A literal block header (`|`) with something unexpected after it.
    #[error("invalid block scalar header `{found}`; expected `|`, `|-` or `|+`")]
    BadBlockHeader {
        /// The header as found.
        found: String,
    },
    /// A number with a fraction or exponent in `info`.
    #[error(
        "`{text}` is a floating-point number; snapshot info holds strings, integers, booleans and null: quote it (\"{text}\") to keep it as text"
    )]
    FloatInInfo {
        /// The number as written.
        text: String,
    },
    /// An integer outside the signed 64-bit range in `info`.
    #[error(
        "`{text}` does not fit a signed 64-bit integer; quote it (\"{text}\") to keep it as text"
    )]
    IntegerOutOfRange {
        /// The number as written.
        text: String,
    },
}
