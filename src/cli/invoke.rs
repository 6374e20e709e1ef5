//! `wasmfaas invoke <function>`: one invocation from the command line.
//!
//! The function is built first if its artifact is missing or stale, so `invoke`
//! right after an edit runs the new code. The response goes to stdout (status
//! line, headers, blank line, body — like `curl -i`); the function's log and the
//! usage line go to stderr, so `> file` keeps only the response.

use super::{Failure, Storage, console};
use crate::abi::http::{HttpRequest, HttpResponse};
use crate::abi::{CallOutcome, Input};
use crate::bindings::Access;
use crate::build;
use crate::config::{Abi, Function, Project, ScheduleTrigger, Trigger};
use crate::pipeline::{Call, Line, Pipeline};
use crate::router::{Matched, RouteTable};
use crate::runtime::{Context, LoadedModule};
use crate::secrets::Redactor;
use crate::triggers::schedules;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::Args;
use serde::Deserialize;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `wasmfaas invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The function to run.
    pub function: String,
    /// Request path, with an optional query: `/hello?name=Ada` (default: the
    /// function's first route if it has no parameters, else `/`).
    #[arg(long)]
    pub path: Option<String>,
    /// Request method (default: GET, or POST when a body is given).
    #[arg(long, short = 'X')]
    pub method: Option<String>,
    /// A request header `Name: value`; repeat for several.
    #[arg(long = "header", short = 'H', value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// The request body, as text.
    #[arg(long, conflicts_with_all = ["body_file", "request"])]
    pub body: Option<String>,
    /// Read the request body from a file (bytes as they are).
    #[arg(long, value_name = "FILE", conflicts_with = "request")]
    pub body_file: Option<PathBuf>,
    /// Read the whole request from a JSON file: `{"method", "path", "headers",
    /// "body" | "body_base64"}`.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// Deliver an event instead of a request: a JSON file (`-` for stdin) as
    /// AWS delivers events, e.g. from `wasmfaas event generate`. A `lambda`
    /// function gets it as it is; an `http` function as `POST /` with the
    /// event as the body.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["path", "method", "headers", "body", "body_file", "request"]
    )]
    pub event: Option<PathBuf>,
    /// Print one JSON object (response, usage, logs) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Seed of the function's random numbers (default: fresh each run).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The invocation's clock start, in nanoseconds since the Unix epoch (default: now).
    #[arg(long, value_name = "NS")]
    pub time_ns: Option<u64>,
    /// Run the function even when none of its routes matches the request
    /// (without route parameters), as if called on a catch-all route.
    #[arg(long)]
    pub force: bool,
}

/// A request file, as `--request` reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    headers: Headers,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
}

/// Headers as pairs (repeats allowed) or as an object.
#[derive(Debug, Deserialize, Default)]
#[serde(untagged)]
enum Headers {
    #[default]
    None,
    Pairs(Vec<(String, String)>),
    Map(std::collections::BTreeMap<String, String>),
}

/// Arguments of `wasmfaas trigger`.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The function whose schedule to fire now.
    pub function: String,
    /// Which of its schedules, by rule name, when it has several.
    #[arg(long)]
    pub rule: Option<String>,
    /// Print one JSON object (response, usage, logs) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Seed of the function's random numbers and the event's id (default: fresh).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The firing time, in nanoseconds since the Unix epoch (default: now).
    #[arg(long, value_name = "NS")]
    pub time_ns: Option<u64>,
}

/// Runs the invocation and prints its outcome.
pub fn run(
    project: &Project,
    args: &InvokeArgs,
    storage: &Storage,
    quiet: bool,
) -> Result<(), Failure> {
    let function = project.function(&args.function)?;
    let event = args.event.as_deref().map(read_event).transpose()?;
    // One invocation: the function's routes compiled for it, with the
    // gateway's rules (HEAD falls back to GET).
    let routes = RouteTable::new([function]);
    let mut request = HttpRequest::default();
    let mut matched = None;
    if event.is_none() {
        request = build_request(function, args)?;
        matched = route(&routes, function, &mut request, args.force)?;
    }
    let context = context(args.seed, args.time_ns);
    let input = match &event {
        Some((source, payload)) => Input::Event { source, payload },
        None => Input::Http {
            request: &request,
            route: matched.as_ref(),
        },
    };
    deliver(project, function, input, context, args.json, storage, quiet)
}

/// `wasmfaas trigger`: fires one of the function's schedules now, with the
/// event `dev` would deliver.
pub fn trigger(
    project: &Project,
    args: &TriggerArgs,
    storage: &Storage,
    quiet: bool,
) -> Result<(), Failure> {
    let function = project.function(&args.function)?;
    let schedules: Vec<&ScheduleTrigger> = function
        .triggers
        .iter()
        .filter_map(|trigger| match trigger {
            Trigger::Schedule(schedule) => Some(schedule),
            _ => None,
        })
        .collect();
    let names = || {
        schedules
            .iter()
            .map(|s| format!("`{}`", s.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let schedule = match (&args.rule, schedules.as_slice()) {
        (_, []) => {
            return Err(Failure::Usage(format!(
                "`{}` has no schedule trigger; add one to wasmfaas.toml, e.g. \
                 `[[functions.{}.triggers]]` with `schedule = \"rate(5 minutes)\"`, or send it \
                 an event with `wasmfaas invoke {} --event FILE`",
                function.name, function.name, function.name
            )));
        }
        (None, [only]) => *only,
        (None, _) => {
            return Err(Failure::Usage(format!(
                "`{}` has several schedules ({}); pick one with `--rule NAME`",
                function.name,
                names()
            )));
        }
        (Some(rule), _) => *schedules.iter().find(|s| &s.name == rule).ok_or_else(|| {
            Failure::Usage(format!(
                "`{}` has no schedule named `{rule}`; its schedules are {}",
                function.name,
                names()
            ))
        })?,
    };
    let context = context(args.seed, args.time_ns);
    let payload = schedules::event(schedule, context.start_time_ns, context.seed);
    let input = Input::Event {
        source: "schedule",
        payload: &payload,
    };
    deliver(project, function, input, context, args.json, storage, quiet)
}

/// The invocation's clock and seed: as given, or now and fresh.
fn context(seed: Option<u64>, time_ns: Option<u64>) -> Context {
    let live = Context::live();
    Context {
        start_time_ns: time_ns.unwrap_or(live.start_time_ns),
        seed: seed.unwrap_or(live.seed),
    }
}

/// Builds and loads `function`, runs it on `input` and prints the outcome.
fn deliver(
    project: &Project,
    function: &Function,
    input: Input<'_>,
    context: Context,
    json: bool,
    storage: &Storage,
    quiet: bool,
) -> Result<(), Failure> {
    let module = load(project, function, quiet)?;
    // Only a function with storage bindings needs the state (and creates its
    // folder); one that only calls out gets its grants over an empty one.
    let access = if !function.kv.is_empty() || !function.s3.is_empty() {
        let (state, _) = storage.open(project, context.start_time_ns)?;
        Some(Arc::new(Access::for_function(state, function)))
    } else if !function.outbound.is_empty() || !function.services.is_empty() {
        let state = crate::state::State::in_memory()
            .map_err(|error| Failure::Failed(format!("cannot create a state: {error}")))?;
        Some(Arc::new(Access::for_function(state, function)))
    } else {
        None
    };
    let redactor = Arc::new(Redactor::for_project(project));
    let call = Call {
        function,
        module: &module,
        grants: access.as_ref(),
        stale: false,
        input,
        context,
        line: Line::of_input(&input),
        redactor: &redactor,
    };
    let outcome = Pipeline::offline().run(call);
    if json {
        print_json(function, &outcome, context, &redactor)
    } else {
        report_batch_failures(function, input, &outcome);
        // A Lambda handler given an event returns a value, not an HTTP
        // response: it is printed as it is, as `aws lambda invoke` does.
        let returned_value =
            matches!(input, Input::Event { .. }) && matches!(function.abi, Abi::Lambda { .. });
        print_text(function, &outcome, returned_value, quiet, &redactor)
    }
}

/// For an SQS batch delivered to a Lambda-style function: which messages it
/// reported as failed (a partial batch response), as Lambda reads it.
fn report_batch_failures(function: &Function, input: Input<'_>, outcome: &CallOutcome) {
    let (
        Input::Event {
            source: "sqs",
            payload,
        },
        Abi::Lambda { .. },
        Ok(response),
    ) = (input, function.abi, &outcome.result)
    else {
        return;
    };
    let ids: Vec<&str> = payload["Records"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .filter_map(|r| r["messageId"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let line = match crate::aws::sqs::batch_item_failures(&response.body, &ids) {
        Ok(failed) if failed.is_empty() => {
            format!("SQS batch: all {} message(s) succeeded", ids.len())
        }
        Ok(failed) => format!(
            "SQS batch: {} of {} message(s) failed and would be retried: {}",
            failed.len(),
            ids.len(),
            failed.join(", ")
        ),
        Err(error) => format!(
            "SQS batch: the whole batch of {} would be retried: {error}",
            ids.len()
        ),
    };
    eprintln!("{line}");
}

/// Builds `function` if its artifact is stale and loads it.
pub(super) fn load(
    project: &Project,
    function: &Function,
    quiet: bool,
) -> Result<LoadedModule, Failure> {
    let mut progress = console::progress(quiet);
    let artifact = build::ensure_built(project, function, &mut progress, &build::Cancel::never())
        .map_err(|error| Failure::Failed(error.to_string()))?;
    LoadedModule::from_file(&function.name, &artifact.path)
        .map_err(|error| Failure::Failed(error.to_string()))
}

/// Reads an event file (`-`: stdin) and names its source from its shape:
/// `s3`, `sqs`, `schedule`, or `event` for anything else.
fn read_event(path: &std::path::Path) -> Result<(&'static str, serde_json::Value), Failure> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|error| {
            Failure::Usage(format!("cannot read the event from stdin: {error}"))
        })?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|error| {
            Failure::Usage(format!("cannot read --event {}: {error}", path.display()))
        })?
    };
    let event: serde_json::Value = serde_json::from_str(&text).map_err(|error| {
        Failure::Usage(format!(
            "--event {}:{}:{}: not JSON: {error}; `wasmfaas event generate <kind>` writes a valid one",
            path.display(),
            error.line(),
            error.column()
        ))
    })?;
    let source = match event["Records"][0]["eventSource"].as_str() {
        Some("aws:s3") => "s3",
        Some("aws:sqs") => "sqs",
        _ if event["detail-type"] == "Scheduled Event" => "schedule",
        _ => "event",
    };
    Ok((source, event))
}

fn build_request(function: &Function, args: &InvokeArgs) -> Result<HttpRequest, Failure> {
    let mut request = match &args.request {
        Some(path) => read_request_file(path)?,
        None => HttpRequest::default(),
    };
    if let Some(path) = args.path.clone().or_else(|| default_path(function)) {
        set_path(&mut request, &path);
    }
    if request.path.is_empty() {
        request.path = "/".into();
    }
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Failure::Usage(format!(
                "--header {header:?} has no `:`; write it as `Name: value`"
            )));
        };
        request
            .headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }
    if let Some(body) = &args.body {
        request.body = body.clone().into_bytes();
    }
    if let Some(path) = &args.body_file {
        request.body = std::fs::read(path).map_err(|error| {
            Failure::Usage(format!(
                "cannot read --body-file {}: {error}",
                path.display()
            ))
        })?;
    }
    let has_body = !request.body.is_empty();
    if let Some(method) = &args.method {
        request.method = method.to_ascii_uppercase();
    } else if request.method.is_empty() {
        request.method = if has_body { "POST" } else { "GET" }.into();
    }
    Ok(request)
}

/// The route of `function` that answers `request`, its parameters set on
/// the request. A function with routes that none matches is an error
/// naming them (the gateway would answer 404 or 405), unless `force`.
fn route<'t>(
    routes: &'t RouteTable,
    function: &Function,
    request: &mut HttpRequest,
    force: bool,
) -> Result<Option<Matched<'t>>, Failure> {
    let matched = routes.find(&request.method, &request.path);
    match &matched {
        Some(matched) => request.params = matched.params.clone(),
        None if function.routes.is_empty() => {}
        None if force => console::error(&format!(
            "warning: no route of `{}` matches {} {}; invoking it without route parameters \
             (--force)",
            function.name, request.method, request.path
        )),
        None => {
            let routes: Vec<String> = function
                .routes
                .iter()
                .map(|route| format!("`{}`", route.text))
                .collect();
            return Err(Failure::Usage(format!(
                "no route of `{}` matches {} {}; its routes are {}. Pick a matching --path \
                 and -X, or add --force to run it anyway, without route parameters",
                function.name,
                request.method,
                request.path,
                routes.join(", ")
            )));
        }
    }
    Ok(matched)
}

/// The first route's path when it has no parameters: `invoke hello` just works.
fn default_path(function: &Function) -> Option<String> {
    let route = function.routes.first()?;
    let text = route.text.rsplit(' ').next()?;
    (!text.contains([':', '*'])).then(|| text.to_string())
}

fn set_path(request: &mut HttpRequest, path_and_query: &str) {
    match path_and_query.split_once('?') {
        Some((path, query)) => {
            request.path = path.to_string();
            request.query = query.to_string();
        }
        None => request.path = path_and_query.to_string(),
    }
}

fn read_request_file(path: &PathBuf) -> Result<HttpRequest, Failure> {
    let usage = |why: String| Failure::Usage(format!("--request {}: {why}", path.display()));
    let text = std::fs::read(path).map_err(|error| usage(error.to_string()))?;
    let file: RequestFile = serde_json::from_slice(&text).map_err(|error| {
        usage(format!(
            "{error}; expected {{\"method\", \"path\", \"headers\", \"body\" | \"body_base64\"}}"
        ))
    })?;
    let body = match (file.body, file.body_base64) {
        (Some(_), Some(_)) => return Err(usage("give `body` or `body_base64`, not both".into())),
        (Some(text), None) => text.into_bytes(),
        (None, Some(encoded)) => BASE64
            .decode(encoded.trim())
            .map_err(|error| usage(format!("`body_base64` is not valid base64: {error}")))?,
        (None, None) => Vec::new(),
    };
    let mut request = HttpRequest {
        method: file.method.unwrap_or_default().to_ascii_uppercase(),
        headers: match file.headers {
            Headers::None => Vec::new(),
            Headers::Pairs(pairs) => pairs,
            Headers::Map(map) => map.into_iter().collect(),
        },
        body,
        ..HttpRequest::default()
    };
    set_path(&mut request, file.path.as_deref().unwrap_or("/"));
    Ok(request)
}

fn print_text(
    function: &Function,
    outcome: &CallOutcome,
    returned_value: bool,
    quiet: bool,
    redactor: &Redactor,
) -> Result<(), Failure> {
    console::function_log(&function.name, &outcome.logs);
    let response = match &outcome.result {
        Ok(response) => response,
        Err(error) => {
            let error = redactor.text(&error.to_string()).into_owned();
            let mut message = format!("`{}`: {error}", function.name);
            let tail = outcome.log_tail(10);
            if !tail.is_empty() {
                message.push_str(&format!("\n  last lines of its log:\n{}", indent(&tail)));
            }
            message.push_str(&format!(
                "\n  {}",
                console::usage_line(&function.name, &outcome.usage)
            ));
            return Err(Failure::Failed(message));
        }
    };
    let written = if returned_value {
        write_returned_value(&response.body)
    } else {
        write_response(response)
    };
    written.map_err(|error| Failure::Failed(error.to_string()))?;
    if returned_value && let Some(status) = proxy_status(&response.body) {
        // What API Gateway would answer with this value, not the
        // invocation's success, is what a reader wants to know.
        eprintln!(
            "{}: returned an API Gateway response: HTTP {status} {}",
            function.name,
            reason(status)
        );
    }
    if !quiet {
        eprintln!("{}", console::usage_line(&function.name, &outcome.usage));
    }
    Ok(())
}

/// The `statusCode` of a returned value shaped as an API Gateway proxy
/// response.
fn proxy_status(value: &[u8]) -> Option<u16> {
    let value: serde_json::Value = serde_json::from_slice(value).ok()?;
    value.get("statusCode")?.as_u64()?.try_into().ok()
}

/// Writes a handler's return value as it is; a closed stdout is not an error.
fn write_returned_value(value: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let result = (|| {
        out.write_all(value)?;
        if !value.ends_with(b"\n") && !value.is_empty() {
            writeln!(out)?;
        }
        out.flush()
    })();
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes status, headers and body; a closed stdout is not an error.
fn write_response(response: &HttpResponse) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let result = (|| {
        writeln!(out, "HTTP {} {}", response.status, reason(response.status))?;
        for (name, value) in &response.headers {
            writeln!(out, "{name}: {value}")?;
        }
        writeln!(out)?;
        out.write_all(&response.body)?;
        if !response.body.ends_with(b"\n") && !response.body.is_empty() {
            writeln!(out)?;
        }
        out.flush()
    })();
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn print_json(
    function: &Function,
    outcome: &CallOutcome,
    context: Context,
    redactor: &Redactor,
) -> Result<(), Failure> {
    let usage = serde_json::json!({
        "fuel": outcome.usage.fuel,
        "peak_memory_bytes": outcome.usage.peak_memory_bytes,
        "wall_ms": outcome.usage.wall.as_secs_f64() * 1000.0,
    });
    let mut report = serde_json::json!({
        "function": function.name,
        "context": { "start_time_ns": context.start_time_ns, "seed": context.seed },
        "usage": usage,
        "logs": String::from_utf8_lossy(&outcome.logs),
    });
    let failed = match &outcome.result {
        Ok(response) => {
            let mut value = serde_json::json!({
                "status": response.status,
                "headers": response.headers,
            });
            match std::str::from_utf8(&response.body) {
                Ok(text) => value["body"] = text.into(),
                Err(_) => value["body_base64"] = BASE64.encode(&response.body).into(),
            }
            report["response"] = value;
            false
        }
        Err(error) => {
            report["error"] = serde_json::json!({
                "kind": error.kind(),
                "message": redactor.text(&error.to_string()),
            });
            true
        }
    };
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{report:#}");
    if let Err(error) = written
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure::Failed(error.to_string()));
    }
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}

/// The reason phrase of common statuses, for the status line.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
