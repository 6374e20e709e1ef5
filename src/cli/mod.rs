//! The `wasmfaas` command line: argument parsing, dispatch, and the exit-code
//! contract.
//!
//! Exit codes (documented in the README and `wasmfaas --help`):
//! - 0: the thing asked for happened (an invocation whose function answered, even
//!   with a 4xx/5xx status, is a success);
//! - 1: the thing asked for failed: a build error, a trapping or runaway function,
//!   a malformed response;
//! - 2: the command could not start: bad arguments, or an invalid `wasmfaas.toml`.
//!
//! Errors are printed as `wasmfaas: <what>: <why>`, with a hint where there is one.
//! A closed stdout (`wasmfaas invoke ... | head -1`) is not an error.

mod activity_log;
mod build;
mod console;
mod cost;
mod dev;
mod event;
mod inspect;
mod invoke;
mod new;
mod replay;
mod test;

use crate::bindings::{self, Seeded};
use crate::config::{CONFIG_FILE_NAME, ConfigError, Project};
use crate::secrets;
use crate::state::State;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run serverless functions compiled to WebAssembly, locally and reproducibly.
#[derive(Debug, Parser)]
#[command(
    name = "wasmfaas",
    version,
    after_help = "Exit codes: 0 success, 1 the command's work failed (build error, \
                  function trap or limit), 2 usage or config error."
)]
pub struct Cli {
    /// The project file (default: `wasmfaas.toml` in this folder or the nearest parent).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Print less: no build progress.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Where KV namespaces and buckets are stored (default: `.wasmfaas/state`
    /// in the project).
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "ephemeral")]
    pub state: Option<PathBuf>,

    /// Keep KV namespaces and buckets in memory only: nothing is read from or
    /// written to disk, and everything is gone when the command ends.
    #[arg(long, global = true)]
    pub ephemeral: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build functions to WebAssembly (all of them, or those named).
    Build(build::BuildArgs),
    /// Run one invocation of a function and print its response and usage.
    Invoke(invoke::InvokeArgs),
    /// Build every function, serve them over HTTP, and rebuild and hot-swap
    /// each one when its source changes.
    Dev(dev::DevArgs),
    /// Read and change KV namespaces: get, put, delete, list.
    Kv(inspect::KvArgs),
    /// Read and change buckets: ls, cp, rm (like `aws s3`).
    S3(inspect::S3Args),
    /// Run recorded invocations (fixtures) again, hermetically: on in-memory
    /// state seeded from each fixture, with its time and seed.
    Replay(replay::ReplayArgs),
    /// Replay every fixture and compare each outcome with its snapshot in
    /// `snapshots/` (insta's format); new or changed ones are written as
    /// `.snap.new` for `--accept` or `cargo insta review`. Under CI nothing is
    /// written and a missing snapshot fails.
    Test(test::TestArgs),
    /// Estimate what the recorded invocations in a folder of fixtures
    /// (default: `fixtures`) would cost on AWS Lambda and Cloudflare
    /// Workers, per function, by replaying them for their fuel.
    Cost(cost::CostArgs),
    /// Fire one of a function's schedule triggers now, with the event
    /// `wasmfaas dev` would deliver, and print the outcome.
    Trigger(invoke::TriggerArgs),
    /// Work with AWS events: `event generate <kind>` prints a sample one.
    Event(event::EventArgs),
    /// Create a function from a template: in the project around this folder,
    /// or else in a new project (`--list` shows the templates).
    New(new::NewArgs),
}

/// The failure of a command, carrying its exit code.
#[derive(Debug)]
pub enum Failure {
    /// A usage or config problem (exit 2); the message was not printed yet.
    Usage(String),
    /// The command's work failed (exit 1); the message was not printed yet.
    Failed(String),
    /// The command's work failed and already said why (exit 1).
    Reported,
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        Failure::Usage(error.to_string())
    }
}

/// Parses the process arguments, runs the command, and returns its exit code.
pub fn main() -> ExitCode {
    console::init_colors();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS // --help, --version
            };
        }
    };
    if !matches!(cli.command, Command::Dev(_)) {
        end_quietly_on_a_closed_pipe();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            console::error(&message);
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            console::error(&message);
            ExitCode::from(1)
        }
        Err(Failure::Reported) => ExitCode::from(1),
    }
}

/// Lets a closed stdout end the process as it ends `cat` or ripgrep: quietly,
/// by SIGPIPE, when the reader (`wasmfaas test | head`) has read enough. Rust
/// ignores SIGPIPE, so each `println!` after the reader left panicked instead.
/// Not for `dev`: a server keeps serving when its console goes away.
fn end_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal, before any
    // thread is started, touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Runs a parsed command line.
///
/// # Errors
/// A [`Failure`] saying which exit code applies and why.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let storage = Storage {
        dir: cli.state.clone(),
        ephemeral: cli.ephemeral,
    };
    // `event` needs no project, and `new` may run where there is none yet;
    // every other command loads it first.
    let project = || project_for(cli.config.as_ref(), cli.quiet);
    // Functions that run for real get their secrets; replays get stand-ins
    // and never read the secrets file.
    let live = || {
        let mut project = project()?;
        secrets::resolve(&mut project).map_err(|error| Failure::Usage(error.to_string()))?;
        Ok::<_, Failure>(project)
    };
    let replayed = || {
        let mut project = project()?;
        secrets::stand_in(&mut project);
        Ok::<_, Failure>(project)
    };
    match &cli.command {
        Command::Event(args) => event::run(args),
        Command::New(args) => new::run(args, cli.config.as_deref(), cli.quiet),
        Command::Build(args) => build::run(&project()?, args, cli.quiet),
        Command::Invoke(args) => invoke::run(&live()?, args, &storage, cli.quiet),
        Command::Trigger(args) => invoke::trigger(&live()?, args, &storage, cli.quiet),
        Command::Dev(args) => dev::run(live()?, args, &storage, cli.quiet),
        Command::Kv(args) => inspect::kv(&project()?, args, &storage),
        Command::S3(args) => inspect::s3(&project()?, args, &storage),
        Command::Replay(args) => replay::run(&replayed()?, args, cli.quiet),
        Command::Test(args) => test::run(&replayed()?, args, cli.quiet),
        Command::Cost(args) => cost::run(&replayed()?, args, cli.quiet),
    }
}

/// Loads the project and warns about what its vendor lacks (unless quiet).
fn project_for(config: Option<&PathBuf>, quiet: bool) -> Result<Project, Failure> {
    let project = load_project(config)?;
    if !quiet {
        for warning in crate::profile::warnings(&project) {
            console::warning(&format!("vendor `aws`: {warning}"));
        }
    }
    Ok(project)
}

/// Where the state lives, as the global options chose.
#[derive(Debug)]
pub struct Storage {
    dir: Option<PathBuf>,
    ephemeral: bool,
}

/// The folder the state is kept in unless `--state` says otherwise.
pub const DEFAULT_STATE_DIR: &str = ".wasmfaas/state";

impl Storage {
    /// Opens the state and makes it ready for `project`: buckets created, empty
    /// namespaces and buckets seeded.
    ///
    /// # Errors
    /// [`Failure::Failed`] naming the folder or the seed that is the problem.
    pub fn open(&self, project: &Project, now_ns: u64) -> Result<(State, Seeded), Failure> {
        let state = if self.ephemeral {
            State::in_memory().map_err(|error| {
                Failure::Failed(format!("cannot create an in-memory state: {error}"))
            })?
        } else {
            let dir = self
                .dir
                .clone()
                .unwrap_or_else(|| project.root.join(DEFAULT_STATE_DIR));
            State::open(&dir).map_err(|error| {
                Failure::Failed(format!(
                    "cannot open the state in {}: {error}; pass --state DIR to use another \
                     folder, or --ephemeral to keep it in memory",
                    dir.display()
                ))
            })?
        };
        let seeded = bindings::prepare(&state, project, now_ns)
            .map_err(|error| Failure::Failed(error.to_string()))?;
        Ok((state, seeded))
    }
}

fn load_project(explicit: Option<&PathBuf>) -> Result<Project, Failure> {
    let path = match explicit {
        Some(path) => path.clone(),
        None => {
            let cwd = std::env::current_dir()
                .map_err(|e| Failure::Usage(format!("cannot read the current folder: {e}")))?;
            Project::discover(&cwd).ok_or_else(|| {
                Failure::Usage(format!(
                    "no {CONFIG_FILE_NAME} in {} or any parent folder; \
                     run in a project folder or pass --config PATH",
                    cwd.display()
                ))
            })?
        }
    };
    Ok(Project::load(&path)?)
}
