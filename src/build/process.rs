//! Running a build tool while showing its output as it comes.

use super::Progress;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};

/// What a finished build process printed.
pub(super) struct ProcessOutput {
    pub status: ExitStatus,
    pub stdout: String,
    /// Stderr, which compilers use for progress and diagnostics.
    pub stderr: String,
}

/// Runs `command`, reporting each stderr line as [`Progress::Line`] while it runs
/// and collecting stdout (which cargo uses for machine-readable messages).
pub(super) fn run_streaming(
    function: &str,
    mut command: Command,
    progress: &mut dyn FnMut(Progress),
) -> std::io::Result<ProcessOutput> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let mut stderr_text = String::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            progress(Progress::Line {
                function: function.to_string(),
                line: line.clone(),
            });
            stderr_text.push_str(&line);
            stderr_text.push('\n');
        }
    }
    let status = child.wait()?;
    let stdout = reader.join().unwrap_or_default();
    Ok(ProcessOutput {
        status,
        stdout,
        stderr: stderr_text,
    })
}
