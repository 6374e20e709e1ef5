//! Secrets: values a function reads from its environment that must never
//! be written down anywhere wasmfaas writes.
//!
//! A function lists the names it needs (`secrets = ["STRIPE_KEY"]`); the
//! values live in the project's secrets file, [`FILE`], next to
//! `wasmfaas.toml` and ignored by git (as wrangler's `.dev.vars` is). Its
//! format is dotenv's: `NAME=value` lines, `#` comments, blank lines, an
//! optional `export ` prefix, and values optionally in double quotes (with
//! `\n`, `\"` and `\\` escapes) or single quotes (taken as written).
//!
//! Commands that run functions for real (`dev`, `invoke`, `trigger`)
//! [`resolve`] the values into each function's environment; a missing file
//! or name stops them with a message naming both. Replays ([`stand_in`])
//! never read the file: each secret is the text [`stand_in_value`], which
//! is also what [`Redactor`] writes wherever a value would appear (console
//! lines, fixtures, error pages), so a recorded invocation that echoed a
//! secret replays to the same bytes.

use crate::config::Project;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The secrets file, relative to the project's folder.
pub const FILE: &str = "secrets.env";

/// Why the secrets could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "`{function}` needs the secret `{name}`, and {file} does not exist; create it with a \
         line `{name}=...` (it is git-ignored: keep it out of commits)"
    )]
    NoFile {
        function: String,
        name: String,
        file: PathBuf,
    },
    #[error(
        "`{function}` needs the secret `{name}`, which {file} does not set; add a line \
         `{name}=...` to it"
    )]
    Missing {
        function: String,
        name: String,
        file: PathBuf,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read {file}: {reason}")]
    Read { file: PathBuf, reason: String },
}

/// What replays and redaction show in place of the secret `name`.
pub fn stand_in_value(name: &str) -> String {
    format!("[secret {name}]")
}

/// Reads the secrets file and sets every function's secrets in its
/// environment. A project whose functions need no secrets reads nothing.
///
/// # Errors
/// [`SecretsError`] naming the file, and the function and name missing.
pub fn resolve(project: &mut Project) -> Result<(), SecretsError> {
    if project.functions.values().all(|f| f.secrets.is_empty()) {
        return Ok(());
    }
    let file = project.root.join(FILE);
    let values = match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text, &file)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let (function, name) = first_needed(project);
            return Err(SecretsError::NoFile {
                function,
                name,
                file,
            });
        }
        Err(error) => {
            return Err(SecretsError::Read {
                file,
                reason: error.to_string(),
            });
        }
    };
    for function in project.functions.values_mut() {
        for name in &function.secrets {
            let Some(value) = values.get(name) else {
                return Err(SecretsError::Missing {
                    function: function.name.clone(),
                    name: name.clone(),
                    file,
                });
            };
            function.env.insert(name.clone(), value.clone());
        }
    }
    Ok(())
}

/// Sets every secret to its stand-in ([`stand_in_value`]): how replays and
/// `wasmfaas test` run, hermetically and with nothing secret to leak.
pub fn stand_in(project: &mut Project) {
    for function in project.functions.values_mut() {
        for name in &function.secrets {
            function.env.insert(name.clone(), stand_in_value(name));
        }
    }
}

fn first_needed(project: &Project) -> (String, String) {
    project
        .functions
        .values()
        .find_map(|f| Some((f.name.clone(), f.secrets.first()?.clone())))
        .unwrap_or_default()
}

/// Parses the secrets file's text.
fn parse(text: &str, file: &Path) -> Result<BTreeMap<String, String>, SecretsError> {
    let mut values = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let syntax = |column: usize, message: String| SecretsError::Syntax {
            file: file.to_path_buf(),
            line: index + 1,
            column,
            message,
        };
        let indent = raw.len() - raw.trim_start().len();
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(syntax(
                indent + 1,
                "expected `NAME=value` (a `#` starts a comment)".into(),
            ));
        };
        let name = name.trim();
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(syntax(
                indent + 1,
                format!(
                    "`{name}` is not a variable name: letters, digits and `_`, not starting \
                     with a digit"
                ),
            ));
        }
        let value_column = raw.find('=').map_or(1, |at| at + 2);
        let value = unquote(value.trim()).map_err(|message| syntax(value_column, message))?;
        values.insert(name.to_string(), value);
    }
    Ok(values)
}

/// A value as written: bare (up to a ` #` comment), in double quotes with
/// escapes, or in single quotes.
fn unquote(value: &str) -> Result<String, String> {
    if let Some(rest) = value.strip_prefix('\'') {
        return match rest.find('\'') {
            Some(end) => Ok(rest[..end].to_string()),
            None => Err("the single quote is not closed on this line".into()),
        };
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(out),
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other @ ('"' | '\\' | '$')) => out.push(other),
                    Some(other) => {
                        return Err(format!(
                            "`\\{other}` is not an escape; write `\\\\` for a backslash"
                        ));
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err("the double quote is not closed on this line".into());
    }
    let bare = value.split(" #").next().unwrap_or("").trim_end();
    Ok(bare.to_string())
}

/// Replaces the values of a project's secrets with their stand-ins in text
/// that wasmfaas writes down. Values shorter than [`Redactor::SHORTEST`]
/// bytes are left alone: replacing every `1` in a log would hide more than
/// it protects, and no real credential is that short.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (value, stand-in), longest value first so a value containing
    /// another is replaced whole.
    pairs: Vec<(String, String)>,
}

impl Redactor {
    /// The shortest value that is redacted.
    pub const SHORTEST: usize = 6;

    /// The redactor of `project`'s secret values, as [`resolve`] set them.
    pub fn for_project(project: &Project) -> Redactor {
        let mut pairs: Vec<(String, String)> = project
            .functions
            .values()
            .flat_map(|function| {
                function.secrets.iter().filter_map(|name| {
                    let value = function.env.get(name)?;
                    let stand_in = stand_in_value(name);
                    (value.len() >= Self::SHORTEST && *value != stand_in)
                        .then(|| (value.clone(), stand_in))
                })
            })
            .flat_map(|(value, stand_in)| {
                // In a JSON document (a fixture) a value with quotes,
                // backslashes or control characters appears escaped.
                let escaped = serde_json::to_string(&value).unwrap_or_default();
                let escaped = escaped[1..escaped.len().max(2) - 1].to_string();
                let also = (escaped != value).then(|| (escaped, stand_in.clone()));
                std::iter::once((value, stand_in)).chain(also)
            })
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        pairs.dedup();
        Redactor { pairs }
    }

    /// Whether there is anything to redact.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// `text` with every secret value replaced by its stand-in.
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for (value, stand_in) in &self.pairs {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), stand_in));
            }
        }
        out
    }

    /// `bytes` with every secret value replaced by its stand-in.
    pub fn bytes<'b>(&self, bytes: &'b [u8]) -> Cow<'b, [u8]> {
        let mut out = Cow::Borrowed(bytes);
        for (value, stand_in) in &self.pairs {
            if let Some(replaced) = replace_bytes(&out, value.as_bytes(), stand_in.as_bytes()) {
                out = Cow::Owned(replaced);
            }
        }
        out
    }

    /// Redacts `bytes` in place.
    pub fn in_place(&self, bytes: &mut Vec<u8>) {
        if let Cow::Owned(redacted) = self.bytes(bytes) {
            *bytes = redacted;
        }
    }
}

/// `haystack` with every `needle` replaced, or `None` if it has none.
fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let first = find(haystack, needle)?;
    let mut out = Vec::with_capacity(haystack.len());
    out.extend_from_slice(&haystack[..first]);
    out.extend_from_slice(with);
    let mut rest = &haystack[first + needle.len()..];
    while let Some(at) = find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    Some(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<BTreeMap<String, String>, SecretsError> {
        parse(text, Path::new("secrets.env"))
    }

    #[test]
    fn the_file_reads_as_dotenv() {
        let values = parsed(
            "# keys\nSTRIPE_KEY=sk_test_123 # a comment\nexport TOKEN=\"a \\\"b\\\"\\nc\"\n\
             RAW='x\\ny'\n\nEMPTY=\n",
        )
        .unwrap();
        assert_eq!(values["STRIPE_KEY"], "sk_test_123");
        assert_eq!(values["TOKEN"], "a \"b\"\nc");
        assert_eq!(values["RAW"], "x\\ny");
        assert_eq!(values["EMPTY"], "");
    }

    #[test]
    fn mistakes_name_their_line_and_column() {
        let error = parsed("A=1\n  no equals\n").unwrap_err().to_string();
        assert_eq!(
            error,
            "secrets.env:2:3: expected `NAME=value` (a `#` starts a comment)"
        );
        let error = parsed("1A=x\n").unwrap_err().to_string();
        assert!(
            error.starts_with("secrets.env:1:1: `1A` is not a variable name"),
            "{error}"
        );
        let error = parsed("KEY=\"open\n").unwrap_err().to_string();
        assert!(
            error.starts_with("secrets.env:1:5: the double quote"),
            "{error}"
        );
    }

    #[test]
    fn redaction_replaces_every_value_longest_first() {
        let redactor = Redactor {
            pairs: vec![
                ("sk_live_abcdef".into(), "[secret LONG]".into()),
                ("sk_live".into(), "[secret SHORT]".into()),
            ],
        };
        assert_eq!(
            redactor.text("a sk_live_abcdef b sk_live c"),
            "a [secret LONG] b [secret SHORT] c"
        );
        assert_eq!(
            redactor.bytes(b"xsk_live_abcdefx").as_ref(),
            b"x[secret LONG]x"
        );
        assert!(matches!(redactor.text("nothing"), Cow::Borrowed(_)));
    }
}
