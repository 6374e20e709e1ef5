//! `wasmfaas event generate <kind>`: prints a sample AWS event as JSON, like
//! `sam local generate-event`, to feed `wasmfaas invoke --event` or to start
//! a fixture from. The events come from [`crate::aws::generate`], the same
//! code the gateway and the triggers build live events with. Needs no project.

use super::Failure;
use crate::aws::generate::{self, Kind, Options};
use crate::calendar;
use crate::runtime::Context;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `wasmfaas event`.
#[derive(Debug, Args)]
pub struct EventArgs {
    #[command(subcommand)]
    pub command: EventCommand,
}

/// The subcommands of `wasmfaas event`.
#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Print a sample event of a kind as JSON (kinds: aws:apigw-v1,
    /// aws:apigw-v2, aws:s3-put, aws:s3-delete, aws:sqs, aws:schedule).
    // Boxed: its many options would make every `Command` as large.
    Generate(Box<GenerateArgs>),
}

/// Arguments of `wasmfaas event generate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Pass --time and --seed (or --id) to make the output reproducible. \
                        See docs/events.md for every field."
)]
pub struct GenerateArgs {
    /// The kind of event: aws:apigw-v1, aws:apigw-v2, aws:s3-put,
    /// aws:s3-delete, aws:sqs or aws:schedule.
    pub kind: String,

    /// API Gateway: the request method [default: GET].
    #[arg(long, short = 'X', help_heading = "API Gateway")]
    pub method: Option<String>,
    /// API Gateway: the request path as sent (percent-encoded), optionally
    /// with `?query` [default: /].
    #[arg(long, help_heading = "API Gateway")]
    pub path: Option<String>,
    /// API Gateway: the raw query string, without `?`.
    #[arg(long, help_heading = "API Gateway")]
    pub query: Option<String>,
    /// API Gateway: a request header `Name: value`; repeat for several.
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE",
        help_heading = "API Gateway"
    )]
    pub headers: Vec<String>,
    /// API Gateway: the request body, as text.
    #[arg(long, conflicts_with = "body_file", help_heading = "API Gateway")]
    pub body: Option<String>,
    /// API Gateway: read the request body from a file (bytes as they are).
    #[arg(long, value_name = "FILE", help_heading = "API Gateway")]
    pub body_file: Option<PathBuf>,
    /// API Gateway: the route, `/items/{id}` or `/items/:id` [default: the path].
    #[arg(long, help_heading = "API Gateway")]
    pub resource: Option<String>,
    /// API Gateway: the stage [default: local for v1, $default for v2].
    #[arg(long, help_heading = "API Gateway")]
    pub stage: Option<String>,

    /// S3: the bucket [default: example-bucket].
    #[arg(long, help_heading = "S3")]
    pub bucket: Option<String>,
    /// S3: the object key, unencoded [default: test/key].
    #[arg(long, help_heading = "S3")]
    pub key: Option<String>,
    /// S3: the object size in bytes (put) [default: 1024].
    #[arg(long, help_heading = "S3")]
    pub size: Option<u64>,
    /// S3: the object's ETag (put) [default: 0123456789abcdef0123456789abcdef].
    #[arg(long, help_heading = "S3")]
    pub etag: Option<String>,

    /// SQS: a message body; repeat for one record each [default: Hello from SQS!].
    #[arg(long = "message", value_name = "BODY", help_heading = "SQS")]
    pub messages: Vec<String>,
    /// SQS: the queue name [default: my-queue].
    #[arg(long, help_heading = "SQS")]
    pub queue: Option<String>,

    /// EventBridge: the rule name or ARN [default: my-schedule].
    #[arg(long, help_heading = "EventBridge")]
    pub rule: Option<String>,

    /// When the event happens, RFC 3339 in UTC (`2026-11-24T12:00:00Z`) [default: now].
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
    /// Seed of the generated ids [default: fresh each run].
    #[arg(long)]
    pub seed: Option<u64>,
    /// The event's id instead of a generated one (API Gateway requestId, S3
    /// request id, first SQS messageId, EventBridge id).
    #[arg(long)]
    pub id: Option<String>,
}

/// Runs `wasmfaas event`.
///
/// # Errors
/// [`Failure::Usage`] (exit 2) for an unknown kind, an option the kind does
/// not read, or an option value that makes no event.
pub fn run(args: &EventArgs) -> Result<(), Failure> {
    match &args.command {
        EventCommand::Generate(args) => generate_command(args),
    }
}

fn generate_command(args: &GenerateArgs) -> Result<(), Failure> {
    let kind: Kind = args
        .kind
        .parse()
        .map_err(|error: generate::UnknownKind| Failure::Usage(error.to_string()))?;
    check_options_apply(kind, args)?;
    let options = options(args)?;
    let event = generate::generate(kind, &options).map_err(|e| Failure::Usage(e.to_string()))?;
    let text = crate::json_text::pretty(&event);
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Failed(format!("cannot write the event: {error}")))
        }
        _ => Ok(()),
    }
}

/// Refuses options the kind ignores: `--bucket` on an SQS event is a mistake
/// worth hearing about, not a silent no-op.
fn check_options_apply(kind: Kind, args: &GenerateArgs) -> Result<(), Failure> {
    let http = matches!(kind, Kind::ApigwV1 | Kind::ApigwV2);
    let s3 = matches!(kind, Kind::S3Put | Kind::S3Delete);
    let given = [
        ("--method", args.method.is_some(), http),
        ("--path", args.path.is_some(), http),
        ("--query", args.query.is_some(), http),
        ("--header", !args.headers.is_empty(), http),
        ("--body", args.body.is_some(), http),
        ("--body-file", args.body_file.is_some(), http),
        ("--resource", args.resource.is_some(), http),
        ("--stage", args.stage.is_some(), http),
        ("--bucket", args.bucket.is_some(), s3),
        ("--key", args.key.is_some(), s3),
        ("--size", args.size.is_some(), kind == Kind::S3Put),
        ("--etag", args.etag.is_some(), kind == Kind::S3Put),
        ("--message", !args.messages.is_empty(), kind == Kind::Sqs),
        ("--queue", args.queue.is_some(), kind == Kind::Sqs),
        ("--rule", args.rule.is_some(), kind == Kind::Schedule),
    ];
    let stray: Vec<&str> = given
        .iter()
        .filter(|(_, set, applies)| *set && !applies)
        .map(|(flag, _, _)| *flag)
        .collect();
    if stray.is_empty() {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "{} {} not apply to {kind} events; see `wasmfaas event generate --help`",
            stray.join(", "),
            if stray.len() == 1 { "does" } else { "do" }
        )))
    }
}

fn options(args: &GenerateArgs) -> Result<Options, Failure> {
    let live = Context::live();
    let defaults = Options::default();
    let time_ns = match &args.time {
        None => live.start_time_ns,
        Some(text) => calendar::parse_rfc3339_ns(text).ok_or_else(|| {
            Failure::Usage(format!(
                "--time {text:?} is not an RFC 3339 time in UTC; write e.g. 2026-11-24T12:00:00Z"
            ))
        })?,
    };
    let headers = args
        .headers
        .iter()
        .map(|header| match header.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(Failure::Usage(format!(
                "--header {header:?} is not `Name: value`; write e.g. --header 'Accept: */*'"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let body = match (&args.body, &args.body_file) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => std::fs::read(path).map_err(|error| {
            Failure::Usage(format!(
                "cannot read --body-file {}: {error}",
                path.display()
            ))
        })?,
        (None, None) => Vec::new(),
    };
    Ok(Options {
        method: args.method.clone().unwrap_or(defaults.method),
        path: args.path.clone().unwrap_or(defaults.path),
        query: args.query.clone(),
        headers,
        body,
        resource: args.resource.clone(),
        stage: args.stage.clone(),
        bucket: args.bucket.clone().unwrap_or(defaults.bucket),
        key: args.key.clone().unwrap_or(defaults.key),
        size: args.size.unwrap_or(defaults.size),
        etag: args.etag.clone().unwrap_or(defaults.etag),
        messages: if args.messages.is_empty() {
            defaults.messages
        } else {
            args.messages.clone()
        },
        queue: args.queue.clone().unwrap_or(defaults.queue),
        rule: args.rule.clone().unwrap_or(defaults.rule),
        time_ns,
        seed: args.seed.unwrap_or(live.seed),
        id: args.id.clone(),
    })
}
