//! What the CLI prints besides command results: errors, build progress, usage
//! lines. Colors follow `colored`'s rules (off when `NO_COLOR` is set or the
//! stream is not a terminal).

use crate::build::Progress;
use crate::human;
use crate::runtime::Usage;
use colored::Colorize;
use std::io::{IsTerminal, Write};

/// Turns colors off when stderr is not a terminal or `NO_COLOR` is set; called
/// once at start-up, before anything is printed.
pub fn init_colors() {
    if !std::io::stderr().is_terminal() || std::env::var_os("NO_COLOR").is_some() {
        colored::control::set_override(false);
    }
}

/// Prints `wasmfaas: <message>` to stderr.
pub fn error(message: &str) {
    eprintln!("{}: {message}", "wasmfaas".red().bold());
}

/// Prints `wasmfaas: warning: <message>` to stderr: something that works
/// here but will not where the project is going.
pub fn warning(message: &str) {
    eprintln!("{} {}", "wasmfaas: warning:".yellow().bold(), message);
}

/// Prints build progress to stderr, unless quiet.
pub fn progress(quiet: bool) -> impl FnMut(Progress) {
    move |event| {
        if quiet {
            return;
        }
        match event {
            Progress::Started { function } => {
                eprintln!("{:>12} {function}", "Building".cyan().bold());
            }
            Progress::Line { function, line } => {
                eprintln!("{:>12} {line}", format!("[{function}]").dimmed());
            }
        }
    }
}

/// The one-line cost summary of an invocation.
pub fn usage_line(function: &str, usage: &Usage) -> String {
    format!("{function}: {}", human::usage(usage))
}

/// Prints each line of a function's log to stderr, prefixed with its name.
pub fn function_log(function: &str, log: &[u8]) {
    let text = String::from_utf8_lossy(log);
    let mut err = std::io::stderr().lock();
    for line in text.lines() {
        let _ = writeln!(err, "{} {line}", format!("[{function}]").dimmed());
    }
}
