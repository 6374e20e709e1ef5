//! The schema of a function's `source` and `build`: how the source is
//! classified (crate, `.wasm`, `.wat`, folder with a command) and how a
//! `build` table or command string combines with it.

use std::ffi::OsStr;
use std::ops::Range;
use std::path::PathBuf;

use super::limits::{KIB, MIB};
use super::raw::RawValue;
use super::{BuildSettings, Cx, DEFAULT_STACK_SIZE, RELATIVE_TO, Result, Source, Value};

impl Cx<'_> {
    /// Classifies `source` by what is on disk. A missing `.wasm` is fine when a
    /// build command will produce it; nothing else may be missing.
    pub(super) fn source(
        &self,
        value: &Value,
        function_key: &str,
        has_command: bool,
    ) -> Result<Source> {
        let key = format!("{function_key}.source");
        let kinds = "point it at a Rust crate folder, a `.wasm` file or a `.wat` file";
        let written = self.string(value, &key, kinds)?;
        let fail =
            |message: String, help: String| Err(self.error(value.span(), &key, message, help));
        if written.is_empty() {
            return fail(format!("`{key}` is empty"), kinds.to_string());
        }
        let path = self.root.join(written);
        match path.extension().and_then(OsStr::to_str) {
            Some("wasm") if path.is_file() || has_command => Ok(Source::Wasm(path)),
            Some("wasm") => fail(
                format!("source `{written}` does not exist; run its build or fix the path"),
                format!("add a `build` command that produces it, or fix the path ({RELATIVE_TO})"),
            ),
            Some("wat") if path.is_file() => Ok(Source::Wat(path)),
            Some("wat") => fail(
                format!("source `{written}` does not exist"),
                format!("fix the path ({RELATIVE_TO})"),
            ),
            _ if path.join("Cargo.toml").is_file() => Ok(Source::RustCrate(path)),
            _ if path.is_dir() => fail(
                format!("source `{written}` is a folder without a `Cargo.toml`"),
                "point `source` at a Rust crate folder, or at the `.wasm` file a `build` command produces".to_string(),
            ),
            Some(_) => fail(
                format!("source `{written}` is not a Rust crate folder, a `.wasm` file or a `.wat` file"),
                "compile it to WebAssembly: set `source` to the `.wasm` file and `build` to the command that produces it".to_string(),
            ),
            None => fail(
                format!("source `{written}` does not exist"),
                format!("create the crate with `cargo new --lib {written}`, or fix the path ({RELATIVE_TO})"),
            ),
        }
    }

    /// `build = "command"` or a `build` table, types checked.
    pub(super) fn build_spec<'v>(
        &self,
        value: Option<&'v Value>,
        function_key: &str,
    ) -> Result<BuildSpec<'v>> {
        let Some(value) = value else {
            return Ok(BuildSpec::default());
        };
        let key = format!("{function_key}.build");
        let table = match value.get_ref() {
            RawValue::String(command) => {
                return Ok(BuildSpec {
                    command: Some(self.command(command, value, &key)?),
                    span: value.span(),
                    ..BuildSpec::default()
                });
            }
            RawValue::Table(table) => table,
            _ => {
                return Err(self.wrong_type(
                    value,
                    &key,
                    "a string or a table",
                    "write `build = \"make wasm\"`, or a table with `command` and `output`",
                ));
            }
        };
        self.check_keys(table, BUILD_KEYS, &key)?;
        let command = match table.get("command") {
            Some(value) => {
                let command_key = format!("{key}.command");
                let text = self.string(value, &command_key, "write `command = \"make wasm\"`")?;
                Some(self.command(text, value, &command_key)?)
            }
            None => None,
        };
        let output = match table.get("output") {
            Some(value) => {
                let help = "write `output = \"out/app.wasm\"`";
                Some((
                    self.string(value, &format!("{key}.output"), help)?,
                    value.span(),
                ))
            }
            None => None,
        };
        let stack_size = match table.get("stack_size") {
            Some(value) => Some((
                self.stack_size(value, &format!("{key}.stack_size"))?,
                value.span(),
            )),
            None => None,
        };
        Ok(BuildSpec {
            command,
            output,
            stack_size,
            span: value.span(),
        })
    }

    pub(super) fn command(&self, text: &str, value: &Value, key: &str) -> Result<String> {
        if text.trim().is_empty() {
            return Err(self.error(
                value.span(),
                key,
                format!("`{key}` is an empty command"),
                "give a shell command, or remove it to use the default build",
            ));
        }
        Ok(text.to_string())
    }

    /// Matches the build spec against the source kind: `output` belongs to a
    /// folder built by a custom command; a `.wasm` source is its own output.
    pub(super) fn build(
        &self,
        spec: BuildSpec,
        source: &Source,
        function_key: &str,
    ) -> Result<BuildSettings> {
        let key = format!("{function_key}.build");
        let is_crate = matches!(source, Source::RustCrate(_));
        if let Some((_, span)) = &spec.stack_size
            && !is_crate
        {
            return Err(self.error(
                span.clone(),
                &format!("{key}.stack_size"),
                "`stack_size` only applies to Rust crate sources",
                "remove it: a `.wasm` or `.wat` module sets its own stack",
            ));
        }
        if matches!(source, Source::Wat(_)) && spec.command.is_some() {
            // Otherwise the command would silently never run.
            return Err(self.error(
                spec.span,
                &key,
                "a `.wat` source is compiled by wasmfaas itself, so a build command would never run",
                "remove `build`, or point `source` at the `.wasm` your command writes",
            ));
        }
        let output = match (source, &spec.command, spec.output) {
            (Source::Wasm(path), _, None) => Some(path.clone()),
            (Source::RustCrate(_), Some(_), Some((written, span))) => {
                Some(self.output_path(written, span, &key)?)
            }
            (Source::RustCrate(_), Some(_), None) => {
                return Err(self.error(
                    spec.span,
                    &key,
                    format!("`{key}` has a `command` but no `output`"),
                    format!("name the `.wasm` the command writes: `build = {{ command = \"...\", output = \"out/app.wasm\" }}` ({RELATIVE_TO})"),
                ));
            }
            (_, _, None) => None,
            (_, None, Some((_, span))) => {
                return Err(self.error(
                    span,
                    &format!("{key}.output"),
                    "`output` needs a `command`",
                    "add the `command` that writes this file, or remove `output`",
                ));
            }
            (_, Some(_), Some((_, span))) => {
                return Err(self.error(
                    span,
                    &format!("{key}.output"),
                    "`output` only applies to a folder source",
                    "the command must write the `source` file itself: remove `output`",
                ));
            }
        };
        Ok(BuildSettings {
            command: spec.command,
            output,
            stack_size: spec.stack_size.map_or(DEFAULT_STACK_SIZE, |(size, _)| size),
        })
    }

    pub(super) fn output_path(
        &self,
        written: &str,
        span: Range<usize>,
        build_key: &str,
    ) -> Result<PathBuf> {
        let path = self.root.join(written);
        if path.extension() != Some(OsStr::new("wasm")) {
            return Err(self.error(
                span,
                &format!("{build_key}.output"),
                format!("`output` must be a `.wasm` file, found `{written}`"),
                format!("name the file the command writes, e.g. `output = \"out/app.wasm\"` ({RELATIVE_TO})"),
            ));
        }
        Ok(path)
    }

    pub(super) fn stack_size(&self, value: &Value, key: &str) -> Result<u64> {
        let size = self.size(value, key)?;
        let problem = if size % 16 != 0 {
            "must be a multiple of 16"
        } else if !(4 * KIB..=64 * MIB).contains(&size) {
            "must be between 4 KiB and 64 MiB"
        } else {
            return Ok(size);
        };
        Err(self.error(
            value.span(),
            key,
            format!("`{key}` {problem}, found {size} bytes"),
            "e.g. `stack_size = \"64KiB\"` (the default) or `stack_size = \"1MiB\"`",
        ))
    }
}

pub(super) const BUILD_KEYS: &[&str] = &["command", "output", "stack_size"];

/// `build` as written, type-checked but not yet matched against the source kind.
#[derive(Default)]
pub(super) struct BuildSpec<'v> {
    pub(super) command: Option<String>,
    pub(super) output: Option<(&'v str, Range<usize>)>,
    pub(super) stack_size: Option<(u64, Range<usize>)>,
    pub(super) span: Range<usize>,
}
