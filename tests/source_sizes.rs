//! Keeps the size target of issue 13 true: no source file over 800 lines
//! (tests and `#[cfg(test)]` blocks not counted) and no non-test function
//! over 120 lines. A file or function that grows past the limit is a
//! concept that wants its own room; this test names it while the change is
//! still small enough to split.
//!
//! The scan is deliberately simple: it blanks out comments, strings and
//! character literals, then matches braces. That is enough for this code
//! base (no macros that open braces they do not close); it is not a Rust
//! parser and does not need to be.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 120;

/// Files and functions over the limits that others are changing at the same
/// time: `(path, None)` allows a file's length, `(path, Some(name))` one
/// function in it. The test fails when an entry is no longer needed, so the
/// list only shrinks.
// being reworked in issue 13, see report (none of those files is over today)
const ALLOWED: &[(&str, Option<&str>)] = &[];

#[derive(Debug, PartialEq)]
enum Finding {
    File {
        path: String,
        lines: usize,
    },
    Function {
        path: String,
        line: usize,
        name: String,
        lines: usize,
    },
}

impl Finding {
    fn allowed_by(&self, entry: &(&str, Option<&str>)) -> bool {
        match (self, entry) {
            (Finding::File { path, .. }, (allowed, None)) => path == allowed,
            (Finding::Function { path, name, .. }, (allowed, Some(allowed_name))) => {
                path == allowed && name == allowed_name
            }
            _ => false,
        }
    }

    fn message(&self) -> String {
        match self {
            Finding::File { path, lines } => format!(
                "{path}:1: {lines} lines of non-test code (limit {MAX_FILE_LINES}); \
                 split it by concept into sibling modules under a folder of the same name \
                 (move `mod tests` into `tests.rs` first, then one file per concept, \
                 re-exported with `pub use` so callers do not change)"
            ),
            Finding::Function {
                path,
                line,
                name,
                lines,
            } => format!(
                "{path}:{line}: fn `{name}` is {lines} lines (limit {MAX_FN_LINES}); \
                 split it by extracting well-named helpers for its steps"
            ),
        }
    }
}

#[test]
fn no_source_file_or_function_is_over_the_size_limits() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect_rust_files(&root.join("src"), &mut files);
    assert!(!files.is_empty(), "found no .rs files under src/");

    let mut findings = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        let code = blank_out_comments_and_literals(&text);
        assert_eq!(
            code.matches('{').count(),
            code.matches('}').count(),
            "{relative}: braces do not balance once comments and literals are blanked out, \
             so this scan would miscount; teach blank_out_comments_and_literals the syntax \
             it missed"
        );
        findings.extend(measure(&relative, &text));
    }

    let mut report = String::new();
    for finding in &findings {
        if !ALLOWED.iter().any(|entry| finding.allowed_by(entry)) {
            writeln!(report, "{}", finding.message()).unwrap();
        }
    }
    for entry in ALLOWED {
        if !findings.iter().any(|finding| finding.allowed_by(entry)) {
            writeln!(
                report,
                "ALLOWED entry {entry:?} is under the limits now (or gone): remove it from \
                 tests/source_sizes.rs"
            )
            .unwrap();
        }
    }
    assert!(report.is_empty(), "size limits exceeded:\n{report}");
}

/// `.rs` files under `dir`, except test files (`tests.rs`, anything in a
/// `tests/` folder).
fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if name != "tests" {
                collect_rust_files(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// Everything in one file that is over a limit.
fn measure(path: &str, text: &str) -> Vec<Finding> {
    let code = blank_out_comments_and_literals(text);
    let line_starts = line_starts(&code);
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset);
    let test_blocks = cfg_test_blocks(&code);
    let in_test_block = |offset: usize| test_blocks.iter().any(|b| b.contains(&offset));

    let mut findings = Vec::new();
    let total_lines = text.lines().count();
    let test_lines: usize = test_blocks
        .iter()
        .map(|b| line_of(b.end - 1) - line_of(b.start) + 1)
        .sum();
    let lines = total_lines - test_lines;
    if lines > MAX_FILE_LINES {
        findings.push(Finding::File {
            path: path.to_string(),
            lines,
        });
    }

    for (fn_offset, name) in functions(&code) {
        if in_test_block(fn_offset) || is_test_function(&code, fn_offset) {
            continue;
        }
        let Some(end) = body_end(&code, fn_offset) else {
            continue;
        };
        let (first, last) = (line_of(fn_offset), line_of(end));
        let lines = last - first + 1;
        if lines > MAX_FN_LINES {
            findings.push(Finding::Function {
                path: path.to_string(),
                line: first,
                name,
                lines,
            });
        }
    }
    findings
}

/// The text with comments, strings and char literals replaced by spaces
/// (newlines kept), so braces and keywords in them are not seen.
fn blank_out_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let is_ident = |k: usize| chars[k].is_alphanumeric() || chars[k] == '_';
        // `br"..."` is a raw string too: a lone `b` before `r` is its prefix.
        let after_ident =
            i > 0 && is_ident(i - 1) && !(chars[i - 1] == 'b' && (i < 2 || !is_ident(i - 2)));
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if c == 'r' && !after_ident && matches!(next, Some('"') | Some('#')) && {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            chars.get(i + 1 + hashes) == Some(&'"')
        } {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            let skip = 1 + hashes + 1;
            (0..skip).for_each(|_| out.push(' '));
            i += skip;
            while i < chars.len() {
                if chars[i] == '"'
                    && chars[i + 1..].iter().take_while(|&&h| h == '#').count() >= hashes
                {
                    (0..1 + hashes).for_each(|_| out.push(' '));
                    i += 1 + hashes;
                    break;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A char literal ('x', '\n', '\u{1F600}'); otherwise a lifetime.
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(' ');
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Byte offset at which each line starts (line 1 at index 0).
fn line_starts(code: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(code.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Byte ranges of items under `#[cfg(test)]` that have a brace body
/// (`mod tests { ... }`), from the attribute to the closing brace.
fn cfg_test_blocks(code: &str) -> Vec<std::ops::Range<usize>> {
    let mut blocks = Vec::new();
    for (start, _) in code.match_indices("#[cfg(test)]") {
        let rest = &code[start..];
        let item = rest["#[cfg(test)]".len()..].trim_start();
        let is_inline_mod = item
            .strip_prefix("pub ")
            .unwrap_or(item)
            .strip_prefix("mod ")
            .is_some_and(|m| {
                let head = m.split(['{', ';']).next().unwrap_or("");
                m[head.len()..].starts_with('{')
            });
        if !is_inline_mod {
            continue;
        }
        let open = start + rest.find('{').unwrap();
        if let Some(close) = matching_brace(code, open) {
            blocks.push(start..close + 1);
        }
    }
    blocks
}

/// Offsets of every `fn name` keyword in the code, with the name.
fn functions(code: &str) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    for (offset, _) in code.match_indices("fn ") {
        let word_start = offset == 0 || !is_ident_byte(bytes[offset - 1]);
        if !word_start {
            continue;
        }
        let name: String = code[offset + 3..]
            .trim_start()
            .chars()
            .take_while(|&c| c.is_alphanumeric() || c == '_')
            .collect();
        if !name.is_empty() {
            found.push((offset, name));
        }
    }
    found
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether the attributes just above the `fn` mark it as a test
/// (`#[test]`, `#[tokio::test]`, `#[cfg(test)]`).
fn is_test_function(code: &str, fn_offset: usize) -> bool {
    let line_start = code[..fn_offset].rfind('\n').map_or(0, |i| i + 1);
    for line in code[..line_start].lines().rev() {
        let line = line.trim();
        if line.is_empty() {
            continue; // doc comments are blanked out
        }
        if !line.starts_with("#[") {
            return false;
        }
        if line.contains("test]") || line.contains("cfg(test)") {
            return true;
        }
    }
    false
}

/// Offset of the brace closing the function's body; `None` for a
/// declaration without a body (`fn f(&self);` in a trait).
fn body_end(code: &str, fn_offset: usize) -> Option<usize> {
    let mut depth = 0i32; // of () and [], where `;` does not end the signature
    for (i, c) in code[fn_offset..].char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ';' if depth == 0 => return None,
            '{' if depth == 0 => return matching_brace(code, fn_offset + i),
            _ => {}
        }
    }
    None
}

fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

#[test]
fn the_scan_counts_a_long_function_and_ignores_braces_in_literals() {
    let body = "    let x = 1;\n".repeat(MAX_FN_LINES);
    let text = format!(
        "// a comment with {{ braces\nfn long() {{\n    let s = \"}}\";\n    let c = '}}';\n    \
         let r = r#\"{{\"#;\n{body}}}\n\nfn short<'a>(x: [u8; 4]) -> &'a str {{\n    \"\"\n}}\n"
    );
    let findings = measure("src/x.rs", &text);
    assert_eq!(
        findings,
        vec![Finding::Function {
            path: "src/x.rs".into(),
            line: 2,
            name: "long".into(),
            lines: MAX_FN_LINES + 5,
        }]
    );
}

#[test]
fn test_modules_and_test_functions_do_not_count() {
    let body = "    let x = 1;\n".repeat(MAX_FILE_LINES + MAX_FN_LINES);
    let text = format!(
        "fn small() {{}}\n\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn long() {{\n{body}    }}\n}}\n"
    );
    assert_eq!(measure("src/x.rs", &text), vec![]);

    let text = format!("#[test]\nfn long() {{\n{body}}}\n");
    assert_eq!(
        measure("src/x.rs", &text),
        vec![Finding::File {
            path: "src/x.rs".into(),
            lines: MAX_FILE_LINES + MAX_FN_LINES + 3,
        }]
    );
}
