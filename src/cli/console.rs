//! What the CLI prints besides command results: errors, build progress, usage
//! lines. Colors follow `colored`'s rules (off when `NO_COLOR` is set or the
//! stream is not a terminal).

use crate::build::Progress;
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

/// `1,234,567`: fuel counts are large and read best grouped.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `64 KiB`, `1.5 MiB`.
pub fn bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} B")
    }
}

/// The one-line cost summary of an invocation.
pub fn usage_line(function: &str, usage: &Usage) -> String {
    format!(
        "{function}: fuel {} · peak memory {} · wall {:.2} ms",
        grouped(usage.fuel),
        bytes(usage.peak_memory_bytes),
        usage.wall.as_secs_f64() * 1000.0
    )
}

/// Prints each line of a function's log to stderr, prefixed with its name.
pub fn function_log(function: &str, log: &[u8]) {
    let text = String::from_utf8_lossy(log);
    let mut err = std::io::stderr().lock();
    for line in text.lines() {
        let _ = writeln!(err, "{} {line}", format!("[{function}]").dimmed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
