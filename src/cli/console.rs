//! What the CLI prints besides command results: errors, build progress, usage
//! lines. Colors follow `colored`'s rules (off when `NO_COLOR` is set or the
//! stream is not a terminal).

use crate::build::Progress;
use crate::human;
use crate::runtime::Usage;
use colored::Colorize;
use std::borrow::Cow;
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

/// Prints `wasmfaas: note: <message>` to stderr: something worth knowing
/// about how a command works, not a problem.
pub fn note(message: &str) {
    eprintln!("{} {}", "wasmfaas: note:".cyan().bold(), message);
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
        let _ = writeln!(
            err,
            "{} {}",
            format!("[{function}]").dimmed(),
            printable(line)
        );
    }
}

/// `text` safe to print on a terminal: every control character but tab is
/// written as an escape (`\r`, `\n`, `\x1b`, `\u{9b}`), so that text from
/// outside (a request target, a guest's log or error) cannot move the cursor,
/// rewrite earlier lines, ring the bell or change the terminal's settings.
/// Applied where console lines are rendered, to every field that comes from
/// outside.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_escaped(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters (C0, DEL and C1, where U+009B is a one-byte CSI to
/// some terminals), tab excepted.
fn is_escaped(c: char) -> bool {
    c.is_control() && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn terminal_escape_sequences_are_printed_as_text() {
        assert_eq!(printable("/plain?a=b\tc"), "/plain?a=b\tc");
        assert_eq!(
            printable("/\u{1b}[2J\u{1b}]0;pwned\u{7}\rX\n\u{7f}\u{9b}31m"),
            "/\\x1b[2J\\x1b]0;pwned\\x07\\rX\\n\\x7f\\u{9b}31m"
        );
    }
}
