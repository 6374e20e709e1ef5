//! Stage two: the schema. Turns the spanned [`RawTable`] into a [`Project`].
//!
//! This file owns every rule of schema v1 (`docs/config.md`): which keys exist,
//! their types, ranges and defaults, how `source` is classified, how `build`
//! combines with it, and route conflicts across functions. Each rule fails with
//! a [`Diagnostic`] at the span of the offending key or value, so the user sees
//! the exact place and a fix. Each table rejects unknown keys before reading
//! known ones, because a misspelt key is usually the cause of a "missing" one.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::error::{Diagnostic, backticked, did_you_mean};
use super::raw::{self, RawTable, RawValue};
use super::{
    Abi, BuildSettings, ConfigError, DEFAULT_STACK_SIZE, Function, Limits, PayloadFormat, Project,
    Route, Source, Vendor,
};

type Value = Spanned<RawValue>;
type Result<T> = std::result::Result<T, ConfigError>;

mod bindings;
mod dev;
mod instances;
mod testing;

const TOP_LEVEL_KEYS: &[&str] = &[
    "project",
    "functions",
    "kv",
    "s3",
    "s3_endpoint",
    "record",
    "test",
    "dev",
    "triggers",
];
const PROJECT_KEYS: &[&str] = &["name", "vendor"];
const FUNCTION_KEYS: &[&str] = &[
    "source",
    "build",
    "abi",
    "event",
    "routes",
    "env",
    "kv",
    "s3",
    "triggers",
    "limits",
    "instances",
];
const BUILD_KEYS: &[&str] = &["command", "output", "stack_size"];
const LIMIT_KEYS: &[&str] = &[
    "fuel",
    "memory_mb",
    "timeout_ms",
    "max_body_bytes",
    "max_response_bytes",
    "max_log_bytes",
];

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// Where the help for paths says they resolve from.
const RELATIVE_TO: &str = "paths are relative to the folder holding the config file";
const SIZE_HELP: &str = "write a byte count or a size such as `6MiB`, `10MB` or `512KiB` (units: B, KB, MB, GB, KiB, MiB, GiB)";

/// An integer limit: its bounds and how to explain them.
struct IntRule {
    min: i64,
    max: i64,
    example: &'static str,
    why: &'static str,
}

const FUEL: IntRule = IntRule {
    min: 1,
    max: i64::MAX,
    example: "fuel = 1000000000",
    why: "fuel is the instruction budget of one invocation",
};
const MEMORY_MB: IntRule = IntRule {
    min: 1,
    max: 4096,
    example: "memory_mb = 128",
    why: "a wasm32 memory holds at most 4 GiB",
};
const TIMEOUT_MS: IntRule = IntRule {
    min: 1,
    max: 900_000,
    example: "timeout_ms = 3000",
    why: "the longest timeout is 15 minutes, AWS Lambda's maximum",
};

/// A list of unique names, such as `kv` namespaces or `s3` buckets.
struct NameRule {
    field: &'static str,
    noun: &'static str,
    example: &'static str,
    /// What is wrong with one name, if anything, as a help line.
    problem: fn(&str) -> Option<&'static str>,
}

const KV: NameRule = NameRule {
    field: "kv",
    noun: "KV namespace name",
    example: "kv = [\"SESSIONS\"]",
    problem: kv_name_problem,
};
const S3: NameRule = NameRule {
    field: "s3",
    noun: "bucket name",
    example: "s3 = [\"uploads\"]",
    problem: bucket_name_problem,
};

/// Validates `text`, read from `path`, into a [`Project`].
pub(super) fn project(text: &str, path: &Path) -> Result<Project> {
    let cx = Cx {
        text,
        path,
        root: project_root(path),
    };
    let document = raw::parse(text).map_err(|error| cx.syntax_error(&error))?;
    cx.check_keys(&document, TOP_LEVEL_KEYS, "")?;
    let name = cx.project_name(&document)?;
    let vendor = cx.vendor(&document)?;
    let functions = cx.functions(document.get("functions"))?;
    cx.check_schedule_names(document.get("functions"), &functions)?;
    let kv = cx.kv_namespaces(document.get("kv"), &functions)?;
    let s3 = cx.buckets(document.get("s3"), &functions)?;
    let s3_endpoint = cx.s3_endpoint(document.get("s3_endpoint"))?;
    let record = cx.record(document.get("record"))?;
    let test = cx.test(document.get("test"))?;
    let dev = cx.dev(document.get("dev"))?;
    let triggers = cx.triggers_config(document.get("triggers"))?;
    Ok(Project {
        root: cx.root,
        config_path: path.to_path_buf(),
        name,
        vendor,
        functions,
        kv,
        s3,
        s3_endpoint,
        record,
        test,
        dev,
        triggers,
    })
}

/// The absolute folder of the config file. Symlinks are kept as written so that
/// messages and build paths look like what the user typed.
fn project_root(config: &Path) -> PathBuf {
    let absolute = std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf());
    absolute.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// What every check needs: the text for spans and the paths for messages.
struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
    root: PathBuf,
}

/// `build` as written, type-checked but not yet matched against the source kind.
#[derive(Default)]
struct BuildSpec<'v> {
    command: Option<String>,
    output: Option<(&'v str, Range<usize>)>,
    stack_size: Option<(u64, Range<usize>)>,
    span: Range<usize>,
}

/// A route and where it came from, for conflict messages.
struct RouteSite {
    function: String,
    route: Route,
    span: Range<usize>,
}

impl Cx<'_> {
    fn error(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid(Box::new(Diagnostic::new(
            self.path,
            self.text,
            span,
            key,
            message.into(),
            help.into(),
        )))
    }

    fn syntax_error(&self, error: &toml::de::Error) -> ConfigError {
        self.error(
            error.span().unwrap_or(0..0),
            "",
            format!(
                "invalid TOML: {}",
                error.message().trim().replace('\n', " ")
            ),
            "fix the TOML syntax here (see https://toml.io)",
        )
    }

    fn wrong_type(&self, value: &Value, key: &str, expected: &str, help: &str) -> ConfigError {
        let found = value.get_ref().kind();
        self.error(
            value.span(),
            key,
            format!("`{key}` must be {expected}, found {found}"),
            help,
        )
    }

    /// The source text of a value, for suggestions that quote it back.
    fn source_of(&self, value: &Value) -> &str {
        self.text.get(value.span()).unwrap_or_default()
    }

    /// Rejects the first key of `table` not in `known`; `table_key` is empty at the top level.
    fn check_keys(&self, table: &RawTable, known: &[&str], table_key: &str) -> Result<()> {
        let Some(unknown) = table
            .keys()
            .find(|key| !known.contains(&key.get_ref().as_str()))
        else {
            return Ok(());
        };
        let name = unknown.get_ref();
        let (path, message) = if table_key.is_empty() {
            (name.clone(), format!("unknown top-level key `{name}`"))
        } else {
            (
                format!("{table_key}.{name}"),
                format!("unknown key `{name}` in `[{table_key}]`"),
            )
        };
        let help = match did_you_mean(name, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("valid keys are {}", backticked(known)),
        };
        Err(self.error(unknown.span(), &path, message, help))
    }

    fn table<'v>(&self, value: &'v Value, key: &str, help: &str) -> Result<&'v RawTable> {
        match value.get_ref() {
            RawValue::Table(table) => Ok(table),
            _ => Err(self.wrong_type(value, key, "a table", help)),
        }
    }

    fn string<'v>(&self, value: &'v Value, key: &str, help: &str) -> Result<&'v str> {
        match value.get_ref() {
            RawValue::String(text) => Ok(text),
            _ => Err(self.wrong_type(value, key, "a string", help)),
        }
    }

    fn project_name(&self, document: &RawTable) -> Result<String> {
        let example = "start the file with `[project]` and a line `name = \"demo\"`";
        let Some(value) = document.get("project") else {
            return Err(self.error(0..0, "project", "missing `[project]` table", example));
        };
        let project = self.table(value, "project", example)?;
        self.check_keys(project, PROJECT_KEYS, "project")?;
        let Some(name_value) = project.get("name") else {
            return Err(self.error(
                value.span(),
                "project.name",
                "missing `name` in `[project]`",
                "add a line `name = \"demo\"` under `[project]`",
            ));
        };
        let name = self.string(name_value, "project.name", "write `name = \"demo\"`")?;
        let message = if name.is_empty() {
            "`project.name` is empty".to_string()
        } else if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Ok(name.to_string());
        } else {
            format!("invalid project name `{name}`")
        };
        Err(self.error(
            name_value.span(),
            "project.name",
            message,
            "use letters, digits, `-` and `_`, e.g. `name = \"my-project\"`",
        ))
    }

    /// `[project] vendor`; `project_name` has checked the table.
    fn vendor(&self, document: &RawTable) -> Result<Vendor> {
        let vendor = document
            .get("project")
            .and_then(|project| match project.get_ref() {
                RawValue::Table(table) => table.get("vendor"),
                _ => None,
            });
        let Some(value) = vendor else {
            return Ok(Vendor::None);
        };
        let valid = format!("valid values are {}", backticked(Vendor::VALID));
        match self.string(value, "project.vendor", &valid)? {
            "none" => Ok(Vendor::None),
            "aws" => Ok(Vendor::Aws),
            other => Err(self.error(
                value.span(),
                "project.vendor",
                format!("unknown vendor `{other}` in `project.vendor`"),
                format!("{valid}; wasmfaas emulates AWS's event shapes, limits and errors"),
            )),
        }
    }

    fn functions(&self, value: Option<&Value>) -> Result<BTreeMap<String, Function>> {
        let Some(value) = value else {
            return Ok(BTreeMap::new());
        };
        let table = self.table(
            value,
            "functions",
            "declare each function as a `[functions.<name>]` table",
        )?;
        let mut functions = BTreeMap::new();
        let mut sites = Vec::new();
        for (name, value) in table {
            let (function, spans) = self.function(name, value)?;
            sites.extend(
                function
                    .routes
                    .iter()
                    .zip(spans)
                    .map(|(route, span)| RouteSite {
                        function: function.name.clone(),
                        route: route.clone(),
                        span,
                    }),
            );
            functions.insert(function.name.clone(), function);
        }
        self.check_route_conflicts(sites)?;
        Ok(functions)
    }

    /// One function, and the spans of its routes (for conflict messages).
    fn function(
        &self,
        name: &Spanned<String>,
        value: &Value,
    ) -> Result<(Function, Vec<Range<usize>>)> {
        self.check_function_name(name)?;
        let key = format!("functions.{}", name.get_ref());
        let table = self.table(
            value,
            &key,
            "write the function as a `[functions.<name>]` table",
        )?;
        self.check_keys(table, FUNCTION_KEYS, &key)?;
        let Some(source) = table.get("source") else {
            return Err(self.error(
                value.span(),
                &format!("{key}.source"),
                format!("missing `source` in `[{key}]`"),
                "add `source = \"...\"`: a Rust crate folder, a `.wasm` file or a `.wat` file",
            ));
        };
        let spec = self.build_spec(table.get("build"), &key)?;
        let source = self.source(source, &key, spec.command.is_some())?;
        let build = self.build(spec, &source, &key)?;
        let (routes, spans) = self.routes(table.get("routes"), &key)?;
        let abi = self.abi(table, &key)?;
        if let (Abi::Cgi, Some(triggers)) = (abi, table.get("triggers")) {
            return Err(self.error(
                triggers.span(),
                &format!("{key}.triggers"),
                "a CGI program answers HTTP requests only, and this `abi = \"cgi\"` function has triggers",
                "remove the triggers, or handle the events in a function with `abi = \"lambda\"` or `\"http\"`",
            ));
        }
        let function = Function {
            name: name.get_ref().clone(),
            source,
            build,
            abi,
            routes,
            env: self.env(table.get("env"), &key)?,
            kv: self.names(table.get("kv"), &key, &KV)?,
            s3: self.names(table.get("s3"), &key, &S3)?,
            triggers: self.triggers(table.get("triggers"), &key)?,
            limits: self.limits(table.get("limits"), &key)?,
            instances: self.instances(table.get("instances"), &key)?,
        };
        Ok((function, spans))
    }

    fn check_function_name(&self, name: &Spanned<String>) -> Result<()> {
        let text = name.get_ref();
        if super::is_function_name(text) {
            return Ok(());
        }
        Err(self.error(
            name.span(),
            &format!("functions.{text}"),
            format!("invalid function name `{text}`"),
            format!(
                "{}, e.g. `[functions.hello-world]`",
                super::FUNCTION_NAME_RULE
            ),
        ))
    }

    /// Classifies `source` by what is on disk. A missing `.wasm` is fine when a
    /// build command will produce it; nothing else may be missing.
    fn source(&self, value: &Value, function_key: &str, has_command: bool) -> Result<Source> {
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
    fn build_spec<'v>(
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

    fn command(&self, text: &str, value: &Value, key: &str) -> Result<String> {
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
    fn build(&self, spec: BuildSpec, source: &Source, function_key: &str) -> Result<BuildSettings> {
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

    fn output_path(&self, written: &str, span: Range<usize>, build_key: &str) -> Result<PathBuf> {
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

    fn stack_size(&self, value: &Value, key: &str) -> Result<u64> {
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

    /// `abi`, and `event` (the API Gateway payload format) for `lambda`.
    fn abi(&self, table: &RawTable, function_key: &str) -> Result<Abi> {
        let key = format!("{function_key}.abi");
        let event_key = format!("{function_key}.event");
        let formats = "`apigw-v2` (HTTP API, payload 2.0) or `apigw-v1` (REST API, payload 1.0)";
        let abi = match table.get("abi") {
            None => "http",
            Some(value) => {
                let valid = format!("valid values are {}", backticked(Abi::VALID));
                let text = self.string(value, &key, &valid)?;
                if !Abi::VALID.contains(&text) {
                    return Err(self.error(
                        value.span(),
                        &key,
                        format!("unknown ABI `{text}` in `{key}`"),
                        valid,
                    ));
                }
                text
            }
        };
        let event = table.get("event");
        if let (Some(value), false) = (event, abi == "lambda") {
            return Err(self.error(
                value.span(),
                &event_key,
                format!(
                    "`event` applies to `abi = \"lambda\"` only, and this function's ABI is `{abi}`"
                ),
                "remove `event`, or set `abi = \"lambda\"` to receive API Gateway events",
            ));
        }
        Ok(match abi {
            "lambda" => {
                let event = match event {
                    // HTTP APIs, and their payload 2.0, are what AWS
                    // recommends for new APIs.
                    None => PayloadFormat::V2,
                    Some(value) => {
                        let text = self.string(value, &event_key, formats)?;
                        text.parse().map_err(|_| {
                            self.error(
                                value.span(),
                                &event_key,
                                format!(
                                    "unknown API Gateway payload format `{text}` in `{event_key}`"
                                ),
                                format!("use {formats}"),
                            )
                        })?
                    }
                };
                Abi::Lambda { event }
            }
            "cgi" => Abi::Cgi,
            _ => Abi::Http,
        })
    }

    fn routes(
        &self,
        value: Option<&Value>,
        function_key: &str,
    ) -> Result<(Vec<Route>, Vec<Range<usize>>)> {
        let key = format!("{function_key}.routes");
        let mut routes = Vec::new();
        let mut spans = Vec::new();
        for (text, span) in self.string_list(value, &key, "routes = [\"GET /hello\"]")? {
            let route = Route::parse(text).map_err(|error| {
                let message = format!("invalid route `{text}` in `{key}`: {}", error.message);
                self.error(span.clone(), &key, message, error.help)
            })?;
            routes.push(route);
            spans.push(span);
        }
        Ok((routes, spans))
    }

    /// Two routes that can match the same request, reported at the later one.
    fn check_route_conflicts(&self, mut sites: Vec<RouteSite>) -> Result<()> {
        sites.sort_by_key(|site| site.span.start);
        for (index, later) in sites.iter().enumerate() {
            let Some(earlier) = sites[..index]
                .iter()
                .find(|earlier| earlier.route.conflicts_with(&later.route))
            else {
                continue;
            };
            return Err(self.error(
                later.span.clone(),
                &format!("functions.{}.routes", later.function),
                format!(
                    "route `{}` of function `{}` conflicts with route `{}` of function `{}`",
                    later.route, later.function, earlier.route, earlier.function
                ),
                "both match the same requests: change a path or a method (a literal segment beats `:param`, which beats `*wildcard`)",
            ));
        }
        Ok(())
    }

    fn env(&self, value: Option<&Value>, function_key: &str) -> Result<BTreeMap<String, String>> {
        let Some(value) = value else {
            return Ok(BTreeMap::new());
        };
        let key = format!("{function_key}.env");
        let table = self.table(value, &key, "write `env = { GREETING = \"hi\" }`")?;
        table
            .iter()
            .map(|(name, value)| {
                Ok((
                    self.env_name(name, &key)?,
                    self.env_value(name, value, &key)?,
                ))
            })
            .collect()
    }

    fn env_name(&self, name: &Spanned<String>, env_key: &str) -> Result<String> {
        let text = name.get_ref();
        let valid = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(self.error(
                name.span(),
                &format!("{env_key}.{text}"),
                format!("invalid environment variable name `{text}`"),
                "names start with a letter or `_` and contain only letters, digits and `_`",
            ));
        }
        Ok(text.clone())
    }

    fn env_value(&self, name: &Spanned<String>, value: &Value, env_key: &str) -> Result<String> {
        let name = name.get_ref();
        let help = match value.get_ref() {
            RawValue::String(text) => return Ok(text.clone()),
            RawValue::Array(_) | RawValue::Table(_) => {
                format!("environment values are strings, e.g. `{name} = \"value\"`")
            }
            _ => format!("quote it: `{name} = \"{}\"`", self.source_of(value)),
        };
        Err(self.wrong_type(value, &format!("{env_key}.{name}"), "a string", &help))
    }

    /// A list of unique names checked by `rule`.
    fn names(
        &self,
        value: Option<&Value>,
        function_key: &str,
        rule: &NameRule,
    ) -> Result<Vec<String>> {
        let key = format!("{function_key}.{}", rule.field);
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        for (name, span) in self.string_list(value, &key, rule.example)? {
            if let Some(problem) = (rule.problem)(name) {
                return Err(self.error(
                    span,
                    &key,
                    format!("invalid {} `{name}` in `{key}`", rule.noun),
                    problem,
                ));
            }
            if !seen.insert(name) {
                return Err(self.error(
                    span,
                    &key,
                    format!("`{key}` lists `{name}` twice"),
                    format!("remove the second `{name}`"),
                ));
            }
            names.push(name.to_string());
        }
        Ok(names)
    }

    /// An optional array of strings, each with its span.
    fn string_list<'v>(
        &self,
        value: Option<&'v Value>,
        key: &str,
        example: &str,
    ) -> Result<Vec<(&'v str, Range<usize>)>> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let RawValue::Array(items) = value.get_ref() else {
            let help = match value.get_ref() {
                RawValue::String(_) => format!(
                    "wrap it in brackets: `{} = [{}]`",
                    key.rsplit('.').next().unwrap_or(key),
                    self.source_of(value)
                ),
                _ => format!("write a list of strings, e.g. `{example}`"),
            };
            return Err(self.wrong_type(value, key, "an array of strings", &help));
        };
        let help = format!("write a list of strings, e.g. `{example}`");
        items
            .iter()
            .map(|item| match item.get_ref() {
                RawValue::String(text) => Ok((text.as_str(), item.span())),
                _ => Err(self.wrong_type(item, key, "an array of strings", &help)),
            })
            .collect()
    }

    fn limits(&self, value: Option<&Value>, function_key: &str) -> Result<Limits> {
        let mut limits = Limits::default();
        let Some(value) = value else {
            return Ok(limits);
        };
        let key = format!("{function_key}.limits");
        let table = self.table(value, &key, &format!("write a `[{key}]` table"))?;
        self.check_keys(table, LIMIT_KEYS, &key)?;
        for (field, value) in table {
            let field_key = format!("{key}.{}", field.get_ref());
            match field.get_ref().as_str() {
                "fuel" => limits.fuel = self.int_in(value, &field_key, &FUEL)?,
                "memory_mb" => {
                    limits.memory_bytes = self.int_in(value, &field_key, &MEMORY_MB)? * MIB
                }
                "timeout_ms" => {
                    limits.timeout =
                        Duration::from_millis(self.int_in(value, &field_key, &TIMEOUT_MS)?);
                }
                "max_body_bytes" => limits.max_body_bytes = self.size(value, &field_key)?,
                "max_response_bytes" => limits.max_response_bytes = self.size(value, &field_key)?,
                "max_log_bytes" => limits.max_log_bytes = self.size(value, &field_key)?,
                // Anything else was rejected by check_keys above.
                _ => {}
            }
        }
        Ok(limits)
    }

    fn int_in(&self, value: &Value, key: &str, rule: &IntRule) -> Result<u64> {
        let RawValue::Integer(number) = *value.get_ref() else {
            let help = format!(
                "write a whole number without quotes, e.g. `{}`",
                rule.example
            );
            return Err(self.wrong_type(value, key, "an integer", &help));
        };
        let problem = if number < rule.min && rule.min == 1 {
            "must be greater than 0".to_string()
        } else if number < rule.min {
            format!("must be at least {}", rule.min)
        } else if number > rule.max {
            format!("must be at most {}", rule.max)
        } else {
            // Every rule's minimum is positive, so this is the number itself.
            return Ok(number.unsigned_abs());
        };
        Err(self.error(
            value.span(),
            key,
            format!("`{key}` {problem}, found {number}"),
            format!("{}, e.g. `{}`", rule.why, rule.example),
        ))
    }

    /// A byte count: a non-negative integer or a size string like `"6MiB"`.
    fn size(&self, value: &Value, key: &str) -> Result<u64> {
        match value.get_ref() {
            RawValue::Integer(number) => u64::try_from(*number).map_err(|_| {
                self.error(
                    value.span(),
                    key,
                    format!("`{key}` must not be negative, found {number}"),
                    SIZE_HELP,
                )
            }),
            RawValue::String(text) => parse_size(text).ok_or_else(|| {
                self.error(
                    value.span(),
                    key,
                    format!("`{key}` has an invalid size `{text}`"),
                    SIZE_HELP,
                )
            }),
            _ => Err(self.wrong_type(value, key, "an integer or a size string", SIZE_HELP)),
        }
    }
}

/// Parses `"512"`, `"64KiB"`, `"10 MB"`: digits, then an optional unit.
/// Decimal units (KB, MB, GB) are powers of 1000, binary ones (KiB, ...) of 1024.
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let multiplier = match unit.trim_start() {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => KIB,
        "MiB" => MIB,
        "GiB" => GIB,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(multiplier)
}

fn kv_name_problem(name: &str) -> Option<&'static str> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (!valid).then_some("KV namespace names use one or more letters, digits, `-` and `_`")
}

/// S3's bucket naming rules, the ones a local emulator can check.
fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        Some("bucket names are 3 to 63 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        Some("bucket names use only lowercase letters, digits, `-` and `.`")
    } else if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        Some("bucket names start and end with a lowercase letter or a digit")
    } else if name.contains("..") {
        Some("bucket names have no two adjacent periods")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_strings_use_decimal_and_binary_units() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("512KiB"), Some(512 * 1024));
        assert_eq!(parse_size("10MB"), Some(10_000_000));
        assert_eq!(parse_size("6 MiB"), Some(6 * 1024 * 1024));
        assert_eq!(parse_size("1.5MiB"), None);
        assert_eq!(parse_size("MiB"), None);
        assert_eq!(parse_size("99999999999999999999GiB"), None);
    }

    #[test]
    fn bucket_names_follow_the_s3_rules() {
        assert_eq!(bucket_name_problem("uploads"), None);
        assert_eq!(bucket_name_problem("my.bucket-2"), None);
        assert!(bucket_name_problem("ab").is_some());
        assert!(bucket_name_problem("Uploads").is_some());
        assert!(bucket_name_problem("-uploads").is_some());
        assert!(bucket_name_problem("a..b").is_some());
    }
}
