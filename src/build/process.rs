//! Running a build tool while showing its output as it comes, and stopping it
//! when a newer edit makes its result useless.

use super::{Cancel, Progress};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often a running build checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// What a finished build process printed.
pub(super) struct ProcessOutput {
    pub status: ExitStatus,
    pub stdout: String,
    /// Stderr, which compilers use for progress and diagnostics.
    pub stderr: String,
}

/// Why a build process gave no output.
#[derive(Debug)]
pub(super) enum RunError {
    /// It could not be started.
    Spawn(std::io::Error),
    /// It was stopped because `cancel` was set.
    Cancelled,
}

/// Runs `command`, reporting each stderr line as [`Progress::Line`] while it runs
/// and collecting stdout (which cargo uses for machine-readable messages).
///
/// The process gets its own process group so that cancelling stops the compiler
/// processes cargo started too, not only cargo.
pub(super) fn run_streaming(
    function: &str,
    mut command: Command,
    progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<ProcessOutput, RunError> {
    if cancel.is_cancelled() {
        return Err(RunError::Cancelled);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(RunError::Spawn)?;
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let stdout_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    // Lines arrive on a channel so that this thread can wake up to check for
    // cancellation while the compiler is quiet.
    let (lines_tx, lines) = mpsc::channel();
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let mut stderr_text = String::new();
    loop {
        match lines.recv_timeout(CANCEL_POLL) {
            Ok(line) => {
                stderr_text.push_str(&line);
                stderr_text.push('\n');
                progress(Progress::Line {
                    function: function.to_string(),
                    line,
                });
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if cancel.is_cancelled() {
            kill_group(&mut child);
            return Err(RunError::Cancelled);
        }
    }
    let status = child.wait().map_err(RunError::Spawn)?;
    let stdout = stdout_reader.join().unwrap_or_default();
    Ok(ProcessOutput {
        status,
        stdout,
        stderr: stderr_text,
    })
}

/// Stops the child and everything it started, and reaps it.
fn kill_group(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: `kill` has no memory-safety preconditions; a negative pid
        // addresses the process group the child leads (`process_group(0)`).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Whether `pid` is still running (a zombie waiting to be reaped is not).
    fn running(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.split_whitespace().nth(2).is_none_or(|s| s != "Z"))
    }

    #[test]
    fn cancelling_stops_the_tool_and_everything_it_started() {
        let dir = std::env::temp_dir().join(format!("wasmfaas-cancel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = dir.join("grandchild.pid");
        let mut command = Command::new("sh");
        // Like cargo starting rustc: a child that outlives a killed parent
        // unless its whole process group is stopped.
        command.arg("-c").arg(format!(
            "sleep 60 & echo $! > {}; echo started >&2; wait",
            pid_file.display()
        ));
        let cancel = Cancel::default();
        let trigger = cancel.clone();
        let mut lines = Vec::new();
        let started = Instant::now();
        let result = run_streaming(
            "f",
            command,
            &mut |progress| {
                if let Progress::Line { line, .. } = progress {
                    lines.push(line);
                    trigger.cancel();
                }
            },
            &cancel,
        );
        assert!(matches!(result, Err(RunError::Cancelled)));
        assert_eq!(lines, ["started"]);
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        let grandchild = grandchild.trim();
        // SIGKILL is delivered asynchronously; give the kernel a moment.
        while running(grandchild) && started.elapsed().as_secs() < 30 {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!running(grandchild), "the grandchild {grandchild} survived");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_build_cancelled_before_it_starts_never_runs() {
        let cancel = Cancel::default();
        cancel.cancel();
        let result = run_streaming("f", Command::new("true"), &mut |_| {}, &cancel);
        assert!(matches!(result, Err(RunError::Cancelled)));
    }
}
