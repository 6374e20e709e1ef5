//! Stage two: the schema. Turns the spanned [`RawTable`] into a [`Project`].
//!
//! This module owns every rule of schema v1 (`docs/config.md`): which keys exist,
//! their types, ranges and defaults, how `source` is classified, how `build`
//! combines with it, and route conflicts across functions. This file holds the
//! document and function tables and the shared checks; each other table has a
//! room below (`build`, `routes`, `env`, `limits`, `bindings`, ...). Each rule fails with
//! a [`Diagnostic`] at the span of the offending key or value, so the user sees
//! the exact place and a fix. Each table rejects unknown keys before reading
//! known ones, because a misspelt key is usually the cause of a "missing" one.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

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
mod build;
mod calls;
mod dev;
mod env;
mod instances;
mod limits;
mod routes;
mod testing;
mod triggers;

use routes::RouteSite;

/// Where the help for paths says they resolve from.
const RELATIVE_TO: &str = "paths are relative to the folder holding the config file";

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
    "outbound",
    "services",
    "secrets",
];
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
    cx.check_services(document.get("functions"), &functions)?;
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
        let env = self.env(table.get("env"), &key)?;
        let function = Function {
            name: name.get_ref().clone(),
            source,
            build,
            abi,
            routes,
            secrets: self.secrets(table.get("secrets"), &key, &env)?,
            env,
            outbound: self.outbound(table.get("outbound"), &key)?,
            services: self.services(table.get("services"), &key)?,
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
mod tests;
