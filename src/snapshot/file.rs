//! One snapshot file: its name on disk, its text, and how bodies compare.
//!
//! The format is insta's: a `---` line, YAML front matter (`source`, then the
//! optional `description`, `expression` and `info`), another `---` line, and
//! the body followed by exactly one newline.
//!
//! # Dev. Note: which body is written
//! insta normalizes a body before saving it (trailing whitespace trimmed,
//! CRLF turned into LF) and reads one back line by line. We write the same
//! normalized body, so a file we write is one insta would write, and
//! `cargo insta accept` (read, then save) gives back the very same bytes.

use super::error::{ParseProblem, SnapshotError};
use super::info::Info;
use super::yaml::{self, Line, Node};
use crate::atomic_file::{self, Durability};
use std::fs;
use std::path::{Path, PathBuf};

/// A snapshot: the metadata insta keeps in the front matter, and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// What produced the snapshot (for wasmfaas, the fixture file), written as `source:`.
    pub source: String,
    /// A human-readable description, written as `description:`.
    pub description: Option<String>,
    /// The expression that produced the body, written as `expression:`.
    pub expression: Option<String>,
    /// Structured extra data, written as `info:`.
    pub info: Option<Info>,
    /// The snapshot's content. Written normalized (see [`normalize_body`]);
    /// read back as insta reads it, with no trailing newline.
    pub body: String,
}

impl Snapshot {
    /// A snapshot with only a source and a body.
    pub fn new(source: impl Into<String>, body: impl Into<String>) -> Snapshot {
        Snapshot {
            source: source.into(),
            description: None,
            expression: None,
            info: None,
            body: body.into(),
        }
    }

    /// The file's text, byte for byte what insta 1.49 writes for the same
    /// metadata and body.
    pub fn to_file_text(&self) -> String {
        let mut out = String::from("---\nsource: ");
        yaml::write_str(&mut out, &self.source);
        for (name, value) in [
            ("description", &self.description),
            ("expression", &self.expression),
        ] {
            if let Some(value) = value {
                out.push('\n');
                out.push_str(name);
                out.push_str(": ");
                yaml::write_str(&mut out, value);
            }
        }
        if let Some(info) = &self.info {
            out.push_str("\ninfo:");
            yaml::write_after_key(&mut out, info, 0);
        }
        out.push_str("\n---\n");
        out.push_str(&normalize_body(&self.body));
        out.push('\n');
        out
    }

    /// Reads a snapshot file's text: ours, or one insta wrote.
    ///
    /// Keys insta may add that wasmfaas has no use for (`assertion_line`,
    /// `input_file`) are skipped, as insta skips keys it does not know.
    ///
    /// # Errors
    /// [`SnapshotError::Parse`] with the line and what is wrong there; name the
    /// file with [`SnapshotError::in_file`] (or use [`Snapshot::read`]).
    pub fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
        parse(text).map_err(|(line, problem)| SnapshotError::Parse {
            path: None,
            line,
            problem,
        })
    }

    /// Reads and parses a snapshot file.
    ///
    /// # Errors
    /// [`SnapshotError::Read`] when the file cannot be read (including when it
    /// is not UTF-8), [`SnapshotError::Parse`] naming `path:line` otherwise.
    pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
        let text = fs::read_to_string(path).map_err(|source| SnapshotError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Snapshot::parse(&text).map_err(|e| e.in_file(path))
    }

    /// Whether `body` matches this snapshot's body as insta compares them
    /// (see [`bodies_match`]).
    pub fn matches(&self, body: &str) -> bool {
        bodies_match(&self.body, body)
    }
}

fn parse(text: &str) -> Result<Snapshot, yaml::Fail> {
    if text.is_empty() {
        return Err((1, ParseProblem::Empty));
    }
    // Lines as insta's reader sees them: split at `\n`, a fence is any line
    // that is `---` once trailing whitespace is trimmed.
    let mut rest = text;
    let mut header: Vec<Line<'_>> = Vec::new();
    let mut number = 0;
    let mut closed_at = None;
    while !rest.is_empty() {
        let (line, after) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = after;
        number += 1;
        let is_fence = line.trim_end() == "---";
        if number == 1 {
            if !is_fence {
                return Err((
                    1,
                    ParseProblem::MissingOpeningFence {
                        found: line.trim_end().to_string(),
                    },
                ));
            }
            continue;
        }
        if is_fence {
            closed_at = Some(number);
            break;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        header.push(Line { number, text: line });
    }
    let Some(fence_line) = closed_at else {
        return Err((1, ParseProblem::UnclosedFrontMatter));
    };
    let Node::Map(entries) = yaml::parse(&header, fence_line)? else {
        return Err((2, ParseProblem::FrontMatterNotAMap));
    };

    let mut source = None;
    let mut description = None;
    let mut expression = None;
    let mut info = None;
    // Later keys win, as in insta's reader.
    for (key, value) in &entries {
        match key.text.as_str() {
            "source" => source = text_value("source", value)?,
            "description" => description = text_value("description", value)?,
            "expression" => expression = text_value("expression", value)?,
            "info" => {
                info = match yaml::to_info(value)? {
                    Info::Null => None,
                    other => Some(other),
                }
            }
            "snapshot_kind" => {
                if let Node::Scalar(kind) = value
                    && kind.text == "binary"
                {
                    return Err((kind.line, ParseProblem::BinarySnapshot));
                }
            }
            _ => {}
        }
    }
    let Some(source) = source else {
        return Err((2, ParseProblem::MissingSource));
    };
    Ok(Snapshot {
        source,
        description,
        expression,
        info,
        body: body_as_insta_reads_it(rest),
    })
}

/// A top-level key's text: null is absent; any other scalar is taken as
/// written (insta's writer quotes every string that would read as something
/// else, so a plain `42` only comes from a person, who meant the text).
fn text_value(key: &str, value: &Node) -> Result<Option<String>, yaml::Fail> {
    match value {
        Node::Scalar(s)
            if !s.quoted && (s.text.is_empty() || s.text == "~" || s.text == "null") =>
        {
            Ok(None)
        }
        Node::Scalar(s) => Ok(Some(s.text.clone())),
        Node::Seq(_) | Node::Map(_) => Err((
            first_line(value),
            ParseProblem::NotAString {
                key: key.to_string(),
                found: if matches!(value, Node::Seq(_)) {
                    "sequence"
                } else {
                    "map"
                },
            },
        )),
    }
}

fn first_line(node: &Node) -> usize {
    match node {
        Node::Scalar(s) => s.line,
        Node::Seq(items) => items.first().map_or(2, first_line),
        Node::Map(entries) => entries.first().map_or(2, |(k, _)| k.line),
    }
}

/// The body after the closing fence, as insta's `BufRead::lines` loop reads
/// it: lines split at `\n`, one `\r` before each `\n` dropped, joined by `\n`.
fn body_as_insta_reads_it(rest: &str) -> String {
    let mut lines: Vec<&str> = rest.split('\n').collect();
    if rest.ends_with('\n') || rest.is_empty() {
        lines.pop();
    }
    let last = lines.len().saturating_sub(1);
    let unterminated_last = !rest.ends_with('\n');
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if i == last && unterminated_last {
                *line
            } else {
                line.strip_suffix('\r').unwrap_or(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A body as insta compares and saves it: trailing whitespace trimmed and
/// Windows line ends (`\r\n`) turned into `\n`.
///
/// insta replaces `\r\n` once, so `\r\r\n` would keep a `\r\n` that its own
/// reader then drops: a snapshot that never matches the value that made it.
/// We drop every `\r` before a `\n` instead, which agrees with insta on every
/// body insta can round-trip.
pub fn normalize_body(body: &str) -> String {
    let trimmed = body.trim_end();
    let mut out = String::with_capacity(trimmed.len());
    let mut pending_cr = 0;
    for c in trimmed.chars() {
        match c {
            '\r' => pending_cr += 1,
            '\n' => {
                pending_cr = 0;
                out.push('\n');
            }
            c => {
                out.extend(std::iter::repeat_n('\r', pending_cr));
                pending_cr = 0;
                out.push(c);
            }
        }
    }
    out
}

/// Whether two bodies match as insta's `matches_latest` decides: equal once
/// each is normalized with [`normalize_body`].
pub fn bodies_match(a: &str, b: &str) -> bool {
    normalize_body(a) == normalize_body(b)
}

/// `dir/<group>__<name>.snap`, the accepted snapshot.
///
/// `group` and `name` are used verbatim, so callers pass file-name-safe text;
/// insta reads the part after the last `__` as the snapshot's name.
pub fn snapshot_path(dir: &Path, group: &str, name: &str) -> PathBuf {
    dir.join(format!("{group}__{name}.snap"))
}

/// `dir/<group>__<name>.snap.new`, a result waiting for review, beside the
/// accepted file it would replace (what `cargo insta review` looks for).
pub fn pending_path(dir: &Path, group: &str, name: &str) -> PathBuf {
    dir.join(format!("{group}__{name}.snap.new"))
}

/// Writes `text` to `path` so a reader sees the old file or the new one, never
/// a part: a temporary file in the same folder is written, synced, and renamed
/// over `path`. Creates the folder if needed.
///
/// # Errors
/// [`SnapshotError::Write`] naming the path when any step fails (the temporary
/// file is removed), and [`SnapshotError::PendingSnap`] for a `.pending-snap`
/// path, which cargo-insta would treat as inline Rust snapshots.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), SnapshotError> {
    if path
        .file_name()
        .is_some_and(|name| name.to_string_lossy().ends_with(".pending-snap"))
    {
        return Err(SnapshotError::PendingSnap {
            path: path.to_path_buf(),
        });
    }
    // The temporary name is a dot name ending in `.tmp`: invisible to
    // cargo-insta, which looks for `*.snap.new` and `*.pending-snap`.
    atomic_file::replace(path, text.as_bytes(), Durability::Synced).map_err(|source| {
        SnapshotError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Snapshot {
        Snapshot {
            source: "fixtures/hello/get root.json".into(),
            description: Some("GET / with \"quotes\": and\nnewline".into()),
            expression: Some("-".into()),
            info: Some(Info::map([
                ("method", Info::from("GET")),
                ("status", Info::Integer(200)),
                ("ok", Info::Bool(true)),
                ("trace", Info::Null),
                (
                    "headers",
                    Info::map([("content-type", "text/plain"), ("x-id", "[redacted]")]),
                ),
                ("tags", Info::seq(["a", "true", "3"])),
            ])),
            body: "line 1\n  indented\n\nlast".into(),
        }
    }

    #[test]
    fn the_file_text_is_front_matter_then_body_then_one_newline() {
        let text = full().to_file_text();
        let expected = "\
---
source: fixtures/hello/get root.json
description: \"GET / with \\\"quotes\\\": and\\nnewline\"
expression: \"-\"
info:
  method: GET
  status: 200
  ok: true
  trace: ~
  headers:
    content-type: text/plain
    x-id: \"[redacted]\"
  tags:
    - a
    - \"true\"
    - \"3\"
---
line 1
  indented

last
";
        assert_eq!(text, expected);
    }

    #[test]
    fn absent_keys_are_omitted_and_empty_info_is_braces() {
        let mut snap = Snapshot::new("s", "");
        assert_eq!(snap.to_file_text(), "---\nsource: s\n---\n\n");
        snap.info = Some(Info::Map(vec![]));
        snap.expression = Some(String::new());
        assert_eq!(
            snap.to_file_text(),
            "---\nsource: s\nexpression: \"\"\ninfo: {}\n---\n\n"
        );
    }

    #[test]
    fn parsing_the_file_text_gives_the_snapshot_back() {
        let cases = [
            full(),
            Snapshot::new("s", ""),
            Snapshot::new("", "\n\nleading newlines kept"),
            Snapshot {
                info: Some(Info::seq([Info::Seq(vec![]), Info::Map(vec![])])),
                ..Snapshot::new("0o17", "---\nnot a fence: inside the body\n---")
            },
            Snapshot {
                description: Some(String::new()),
                info: Some(Info::from("scalar info")),
                ..Snapshot::new("a", "unicode ✓ 你好\ttab")
            },
        ];
        for snap in cases {
            let text = snap.to_file_text();
            assert_eq!(Snapshot::parse(&text).unwrap(), snap, "text:\n{text}");
        }
    }

    #[test]
    fn the_written_body_is_normalized_like_insta() {
        let snap = Snapshot::new("s", "a\r\nb  \r\n\r\n \t");
        assert_eq!(snap.to_file_text(), "---\nsource: s\n---\na\nb\n");
        let back = Snapshot::parse(&snap.to_file_text()).unwrap();
        assert_eq!(back.body, "a\nb");
        assert!(back.matches(&snap.body));
    }

    #[test]
    fn bodies_compare_after_trimming_the_end_and_crlf() {
        assert!(bodies_match("a\r\nb\n\n", "a\nb"));
        assert!(bodies_match("a\n", "a   \t\n"));
        assert!(bodies_match("x\r\r\ny", "x\ny"));
        // Leading whitespace and inner blank lines are content.
        assert!(!bodies_match(" a", "a"));
        assert!(!bodies_match("a\n\nb", "a\nb"));
        // A lone carriage return is data, not a line end.
        assert!(!bodies_match("a\rb", "a\nb"));
    }

    #[test]
    fn the_body_is_read_line_by_line_as_insta_reads_it() {
        let text = "---\nsource: s\n---\r\nline\r\nnext\rmid\n\nend\r";
        let snap = Snapshot::parse(text).unwrap();
        assert_eq!(snap.body, "line\nnext\rmid\n\nend\r");
    }

    #[test]
    fn insta_extra_keys_are_skipped_and_null_means_absent() {
        let text = "---\nsource: s\nassertion_line: 12\ndescription: ~\nexpression: x\ninfo: ~\ninput_file: f.txt\n---\nbody\n";
        let snap = Snapshot::parse(text).unwrap();
        assert_eq!(
            snap,
            Snapshot {
                expression: Some("x".into()),
                ..Snapshot::new("s", "body")
            }
        );
    }

    #[test]
    fn parse_errors_say_the_line_and_what_is_wrong() {
        let err = |text: &str| Snapshot::parse(text).unwrap_err().to_string();
        assert_eq!(
            err(""),
            "line 1: the file is empty; a snapshot starts with a `---` line"
        );
        assert!(err("source: s\n").starts_with("line 1: expected `---` to open"));
        assert_eq!(
            err("---\nsource: s\nbody\n"),
            "line 1: the front matter opened here is never closed by a `---` line before the body"
        );
        assert_eq!(
            err("---\n---\nbody"),
            "line 2: the front matter is empty; it needs at least `source: <file>`"
        );
        assert_eq!(
            err("---\nexpression: e\n---\n"),
            "line 2: the front matter has no `source:` key; add `source: <file the snapshot came from>`"
        );
        assert_eq!(
            err("---\nsource: s\ninfo:\n  a: 1\n    b: 2\n---\n"),
            "line 5: unexpected indentation: expected 2 spaces, found 4"
        );
        assert_eq!(
            err("---\nsource:\n  - a\n---\n"),
            "line 3: `source` must be a single string, not a sequence"
        );
        assert_eq!(
            err("---\nsource: s\nsnapshot_kind: binary\nextension: png\n---\n"),
            "line 3: this is a binary snapshot (`snapshot_kind: binary`); wasmfaas reads text snapshots only"
        );
        let in_file = Snapshot::parse("---\nsource: \"s\n---\n")
            .unwrap_err()
            .in_file(Path::new("snapshots/a__b.snap"));
        assert_eq!(in_file.line(), Some(2));
        assert!(
            in_file
                .to_string()
                .starts_with("snapshots/a__b.snap:2: the quoted string is not closed")
        );
    }

    #[test]
    fn paths_put_group_and_name_around_a_double_underscore() {
        let dir = Path::new("snapshots");
        assert_eq!(
            snapshot_path(dir, "hello", "get_root"),
            Path::new("snapshots/hello__get_root.snap")
        );
        assert_eq!(
            pending_path(dir, "hello", "get_root"),
            Path::new("snapshots/hello__get_root.snap.new")
        );
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!(
            "wasmfaas-snapshot-write-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("nested").join("g__n.snap.new");
        write_atomically(&path, "first").unwrap();
        write_atomically(&path, "second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> = fs::read_dir(dir.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["g__n.snap.new"]);

        let refused = write_atomically(&dir.join("x.pending-snap"), "{}").unwrap_err();
        assert!(matches!(refused, SnapshotError::PendingSnap { .. }));
        assert!(!dir.join("x.pending-snap").exists());

        let blocked = write_atomically(&path.join("under-a-file"), "x").unwrap_err();
        assert!(
            blocked.to_string().starts_with("cannot write "),
            "{blocked}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
