//! The project model: `wasmfaas.toml` read into a validated [`Project`].
//!
//! Parsing happens in two stages. [`raw`] mirrors the file with serde and keeps the
//! source span of every value; [`validate`] turns that into the types below, which
//! are correct by construction: every later stage (build, runtime, gateway) trusts
//! them and never re-checks. Every problem becomes a [`ConfigError`] naming the file,
//! line and column, the key, and how to fix it.
//!
//! This module owns the schema and its defaults. It must not touch the filesystem
//! beyond reading the config file and checking that declared sources exist.

mod error;
pub mod outbound;
mod payload_format;
mod raw;
mod route;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::schedule::Schedule;

pub use error::{ConfigError, Diagnostic};
pub use payload_format::{PayloadFormat, UnknownPayloadFormat};
pub use route::{Method, Route, RouteError, RoutePath, Segment};

/// The name of the project file looked up by every command.
pub const CONFIG_FILE_NAME: &str = "wasmfaas.toml";

/// How a function name is written, for messages.
pub const FUNCTION_NAME_RULE: &str =
    "function names use lowercase letters, digits, `-` and `_`, and start with a letter";

/// Whether `name` may name a function (see [`FUNCTION_NAME_RULE`]): it is a
/// TOML bare key, a cargo package name and a file name on every system.
pub fn is_function_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A validated `wasmfaas.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The folder holding the config file; relative paths in the file resolve against it.
    pub root: PathBuf,
    /// The config file itself, as given (used in messages).
    pub config_path: PathBuf,
    /// `[project] name`.
    pub name: String,
    /// `[project] vendor`: whose limits and behaviour to check against
    /// (`crate::profile`).
    pub vendor: Vendor,
    /// `[functions.<name>]`, in name order.
    pub functions: BTreeMap<String, Function>,
    /// Every KV namespace: declared in `[kv.<name>]` or used by a function.
    pub kv: BTreeMap<String, KvNamespace>,
    /// Every bucket: declared in `[s3.<name>]`, used by a function, or watched
    /// by a trigger.
    pub s3: BTreeMap<String, Bucket>,
    /// `[s3_endpoint]`: the S3-compatible endpoint `wasmfaas dev` serves.
    pub s3_endpoint: S3Endpoint,
    /// `[record]`: how `wasmfaas dev --record` writes fixtures.
    pub record: RecordConfig,
    /// `[test]`: what `wasmfaas test` replays and compares.
    pub test: TestConfig,
    /// `[dev]`: how `wasmfaas dev` serves.
    pub dev: DevConfig,
    /// `[triggers]`: how S3 event deliveries are bounded.
    pub triggers: TriggersConfig,
}

/// `[dev]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DevConfig {
    /// Host names both listeners answer besides loopback ones
    /// (`allow_hosts`; see [`crate::http_pool::AllowedHosts`]).
    pub allow_hosts: Vec<String>,
}

/// `[triggers]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggersConfig {
    /// Invocations one S3 event may cause in all, counting those caused by
    /// the writes of the functions it triggers (a recursive loop's budget).
    pub max_invocations_per_event: u32,
}

impl Default for TriggersConfig {
    fn default() -> Self {
        TriggersConfig {
            max_invocations_per_event: 100,
        }
    }
}

/// `[project] vendor = "..."`: the cloud the project is meant to deploy to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Vendor {
    /// No vendor: wasmfaas's own behaviour only.
    #[default]
    None,
    /// AWS: Lambda limits, API Gateway's answers, and warnings for anything
    /// a function relies on that AWS does not have or wasmfaas does not
    /// emulate (`docs/vendors.md`).
    Aws,
}

impl Vendor {
    /// Every value `vendor` accepts, for error messages.
    pub const VALID: &'static [&'static str] = &["none", "aws"];
}

/// `[record]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordConfig {
    /// Where `--record` without a folder writes, relative to the project.
    pub dir: PathBuf,
    /// Request headers redacted in fixtures, besides the default sensitive
    /// ones (`crate::fixture::DEFAULT_REDACTED_HEADERS`); lowercase.
    pub redact_headers: Vec<String>,
}

impl Default for RecordConfig {
    fn default() -> Self {
        RecordConfig {
            dir: PathBuf::from("fixtures"),
            redact_headers: Vec::new(),
        }
    }
}

/// `[test]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestConfig {
    /// Fixtures to replay: every `.json` file under this folder.
    pub fixtures: PathBuf,
    /// Where `<function>__<fixture>.snap` files live.
    pub snapshots: PathBuf,
    /// How much a function's fuel may grow over its snapshot, in percent,
    /// before the test fails.
    pub fuel_tolerance_percent: f64,
    /// Response headers whose values are replaced by a placeholder; lowercase.
    pub redact_headers: Vec<String>,
    /// Selectors (insta's syntax) of outcome values replaced by a placeholder,
    /// parsed when the config is read.
    pub redact: Vec<crate::snapshot::redact::Selector>,
}

impl Default for TestConfig {
    fn default() -> Self {
        TestConfig {
            fixtures: PathBuf::from("fixtures"),
            snapshots: PathBuf::from("snapshots"),
            fuel_tolerance_percent: 0.0,
            redact_headers: Vec::new(),
            redact: Vec::new(),
        }
    }
}

/// A KV namespace (`[kv.<name>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvNamespace {
    pub name: String,
    /// A JSON file of initial entries, loaded into an empty namespace.
    pub seed: Option<PathBuf>,
}

/// A bucket (`[s3.<name>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    /// A folder whose files become the initial objects (keys are their paths
    /// relative to it, with `/`), loaded into an empty bucket.
    pub seed: Option<PathBuf>,
    /// `cors = [...]`: browser origins allowed to write to the bucket through
    /// the S3 endpoint (and to read its answers), as an S3 CORS rule allows.
    pub cors: Vec<String>,
}

/// `[s3_endpoint]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct S3Endpoint {
    /// Port to listen on (`None`: the default; 0: any free port).
    pub port: Option<u16>,
    /// When not empty, requests must be signed (SigV4) with one of these.
    pub credentials: Vec<Credential>,
}

/// An access key the S3 endpoint accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credential {
    // The secret never reaches a log or an error message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// What, besides HTTP routes, invokes a function (`[[functions.<name>.triggers]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Object events of a bucket: `s3 = { bucket = "uploads", events = [...] }`.
    S3(S3Trigger),
    /// A timetable: `schedule = "rate(5 minutes)"` or `schedule = "cron(0 12 * * ? *)"`.
    Schedule(ScheduleTrigger),
}

/// A scheduled rule, as an EventBridge rule with a schedule expression and
/// the function as its target configures one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTrigger {
    /// The expression as written: `rate(5 minutes)`.
    pub expression: String,
    /// The expression, parsed.
    pub schedule: Schedule,
    /// The rule's name: `name`, or `<function>-schedule-<n>` (n counts the
    /// function's schedule triggers from 1). Unique in the project.
    pub name: String,
    /// `input`: JSON text that AWS (the target's `Input`) delivers instead of
    /// the Scheduled Event; checked to be JSON, kept as written.
    pub input: Option<String>,
}

/// An S3 event subscription, as an AWS bucket notification configures one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Trigger {
    pub bucket: String,
    /// Event names such as `ObjectCreated:*` or `ObjectRemoved:Delete`.
    pub events: Vec<S3EventPattern>,
    /// Only keys starting with this (AWS's `prefix` filter rule).
    pub prefix: String,
    /// Only keys ending with this (AWS's `suffix` filter rule).
    pub suffix: String,
}

impl Trigger {
    /// One line for people: `s3://uploads ObjectCreated:* prefix=in/`,
    /// `rate(5 minutes) (every 5 minutes)`.
    pub fn describe(&self) -> String {
        match self {
            Trigger::S3(s3) => {
                let events: Vec<String> = s3
                    .events
                    .iter()
                    .map(|e| format!("{}:{}", e.category, e.action.as_deref().unwrap_or("*")))
                    .collect();
                let mut text = format!("s3://{} {}", s3.bucket, events.join(","));
                if !s3.prefix.is_empty() {
                    text.push_str(&format!(" prefix={}", s3.prefix));
                }
                if !s3.suffix.is_empty() {
                    text.push_str(&format!(" suffix={}", s3.suffix));
                }
                text
            }
            Trigger::Schedule(schedule) => {
                format!("{} ({})", schedule.expression, schedule.schedule.describe())
            }
        }
    }
}

/// `ObjectCreated:*`, `ObjectCreated:Put`, `ObjectRemoved:Delete`, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3EventPattern {
    /// `ObjectCreated` or `ObjectRemoved`.
    pub category: String,
    /// `Put`, `Copy`, …; `None` for `*`.
    pub action: Option<String>,
}

impl S3EventPattern {
    /// The event types AWS delivers, by category.
    pub const KNOWN: &'static [&'static str] = &[
        "ObjectCreated:*",
        "ObjectCreated:Put",
        "ObjectCreated:Post",
        "ObjectCreated:Copy",
        "ObjectCreated:CompleteMultipartUpload",
        "ObjectRemoved:*",
        "ObjectRemoved:Delete",
        "ObjectRemoved:DeleteMarkerCreated",
    ];

    /// Whether an event named like `ObjectCreated:Put` matches.
    pub fn matches(&self, event_name: &str) -> bool {
        let Some((category, action)) = event_name.split_once(':') else {
            return false;
        };
        category == self.category && self.action.as_deref().is_none_or(|a| a == action)
    }
}

impl S3Trigger {
    /// Whether an event `event_name` on `key` in `bucket` invokes this trigger.
    pub fn matches(&self, bucket: &str, key: &str, event_name: &str) -> bool {
        self.bucket == bucket
            && key.starts_with(&self.prefix)
            && key.ends_with(&self.suffix)
            && self.events.iter().any(|p| p.matches(event_name))
    }
}

/// One `[functions.<name>]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The `<name>` in `[functions.<name>]`.
    pub name: String,
    /// `source`: where the code comes from.
    pub source: Source,
    /// `build`: how the code becomes a `.wasm`.
    pub build: BuildSettings,
    /// `abi`: the host-guest calling convention.
    pub abi: Abi,
    /// `routes`: the requests this function answers, in file order.
    pub routes: Vec<Route>,
    /// Environment visible to the guest through WASI `environ_get`.
    pub env: BTreeMap<String, String>,
    /// KV namespaces this function may use (served by a later issue).
    pub kv: Vec<String>,
    /// S3 buckets this function may use (served by a later issue).
    pub s3: Vec<String>,
    /// `[[functions.<name>.triggers]]`: events that invoke the function.
    pub triggers: Vec<Trigger>,
    /// `[functions.<name>.limits]`, defaults applied.
    pub limits: Limits,
    /// `instances`: a fresh instance per invocation, or warm ones reused.
    pub instances: Instances,
    /// `outbound`: the origins (and path prefixes) it may send HTTP
    /// requests to; nothing else is reachable.
    pub outbound: Vec<outbound::OutboundRule>,
    /// `services`: functions of the project it may call directly.
    pub services: Vec<String>,
    /// `secrets`: names of values read from the project's secrets file
    /// (`crate::secrets`) into its environment.
    pub secrets: Vec<String>,
}

/// How invocations get their instance (`instances = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Instances {
    /// A new instance for every invocation: nothing survives a request.
    #[default]
    Fresh,
    /// An instance serves several invocations in a row, as a Lambda execution
    /// environment or a Workers isolate does (`docs/abi.md`, "Warm instances").
    Warm,
}

impl Instances {
    /// Every value `instances` accepts, for error messages.
    pub const VALID: &'static [&'static str] = &["fresh", "warm"];

    /// The value as written in the config: `"warm"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Instances::Fresh => "fresh",
            Instances::Warm => "warm",
        }
    }
}

/// Where a function's code comes from; the kind decides the default build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder with a `Cargo.toml`: built with cargo for `wasm32-wasip1`.
    RustCrate(PathBuf),
    /// A ready `.wasm` file, loaded as is (or produced by a custom `build` command).
    Wasm(PathBuf),
    /// A `.wat` text file, compiled in-process with the `wat` crate.
    Wat(PathBuf),
}

impl Source {
    /// The absolute path of the crate folder or file.
    pub fn path(&self) -> &Path {
        match self {
            Source::RustCrate(p) | Source::Wasm(p) | Source::Wat(p) => p,
        }
    }
}

/// How a function is built: `build = "cmd"` or a `[functions.<name>.build]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSettings {
    /// A shell command replacing the default build, run in the function's folder.
    pub command: Option<String>,
    /// The `.wasm` the custom command produces (absolute). Required with `command`
    /// when `source` is a folder; when `source` is a `.wasm` file, that file.
    pub output: Option<PathBuf>,
    /// Guest stack size in bytes for Rust crates (default [`DEFAULT_STACK_SIZE`]).
    pub stack_size: u64,
}

/// Default guest stack: 64 KiB instead of Rust's 1 MiB, which would cost a fresh
/// instance 16 extra pages to zero on every invocation.
pub const DEFAULT_STACK_SIZE: u64 = 64 * 1024;

/// The calling convention between host and guest (`abi = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abi {
    /// Request envelope on stdin, response envelope on stdout (`docs/abi.md`).
    Http,
    /// An AWS Lambda handler: the event JSON on stdin, the handler's return
    /// value on stdout; HTTP requests arrive as API Gateway proxy events of
    /// the payload format `event` picks.
    Lambda { event: PayloadFormat },
    /// A CGI/1.1 program (RFC 3875): meta-variables in the environment, the
    /// body on stdin, a CGI response on stdout.
    Cgi,
}

impl Abi {
    /// Every value `abi` accepts, for error messages.
    pub const VALID: &'static [&'static str] = &["http", "lambda", "cgi"];

    /// The value as written in the config: `"http"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Abi::Http => "http",
            Abi::Lambda { .. } => "lambda",
            Abi::Cgi => "cgi",
        }
    }
}

/// `[functions.<name>.limits]`, defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deterministic instruction budget per invocation.
    pub fuel: u64,
    /// Linear memory cap in bytes (`memory_mb` × 1 MiB).
    pub memory_bytes: u64,
    /// Wall-clock budget per invocation.
    pub timeout: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: u64,
    /// Largest stdout (the response envelope) a guest may write.
    pub max_response_bytes: u64,
    /// Largest stderr (the function's log) a guest may write.
    pub max_log_bytes: u64,
    /// Outbound HTTP requests one invocation may make (each redirect
    /// followed counts), as Workers counts subrequests.
    pub subrequests: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 1_000_000_000,
            memory_bytes: 128 * 1024 * 1024,
            timeout: Duration::from_millis(3_000),
            max_body_bytes: 6 * 1024 * 1024,
            max_response_bytes: 6 * 1024 * 1024,
            max_log_bytes: 1024 * 1024,
            subrequests: 50,
        }
    }
}

impl Project {
    /// Reads and validates the config file at `path`.
    ///
    /// # Errors
    /// A [`ConfigError`] for an unreadable file, bad TOML, or a schema violation.
    pub fn load(path: &Path) -> Result<Project, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Project::parse(&text, path)
    }

    /// Validates `text` as if read from `path` (relative paths resolve against its folder).
    ///
    /// # Errors
    /// A [`ConfigError`] for bad TOML or a schema violation.
    pub fn parse(text: &str, path: &Path) -> Result<Project, ConfigError> {
        validate::project(text, path)
    }

    /// Finds `wasmfaas.toml` in `start` or the nearest parent folder, as cargo does.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(CONFIG_FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// Looks a function up by name.
    ///
    /// # Errors
    /// [`ConfigError::UnknownFunction`] with a "did you mean" hint.
    pub fn function(&self, name: &str) -> Result<&Function, ConfigError> {
        self.functions
            .get(name)
            .ok_or_else(|| ConfigError::unknown_function(name, self.functions.keys()))
    }
}
