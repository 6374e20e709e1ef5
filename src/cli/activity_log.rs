//! The `wasmfaas dev` console: one line per request, build progress, reloads.
//!
//! Everything arrives as [`Activity`] on one channel and is printed by one
//! thread into a buffered stdout. Under load the printer works in rounds: it
//! prints what has arrived, flushes, and sleeps for [`ROUND`]; a thread that
//! sleeps (rather than waits on the channel) need not be woken by each send,
//! so thousands of lines a second cost the request path no system call, and
//! one `write` per round. When a round finds nothing, it waits on the channel
//! again, so an idle server uses no CPU and the first line shows at once.

use super::console::printable;
use crate::activity::{Activity, ActivityFeed, ActivitySink, RequestRecord};
use crate::deployment::{Deployed, Deployment};
use crate::{http_pool, human};
use colored::{ColoredString, Colorize};
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::sync::mpsc::TryRecvError;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the printer sleeps between rounds while lines keep coming.
const ROUND: Duration = Duration::from_millis(10);

/// Unprinted reports the console holds before it drops new ones (about 3 MB).
pub const CAPACITY: usize = 16 * 1024;

/// Starts the printer; it ends when every sink is gone.
pub fn spawn(feed: ActivityFeed, quiet: bool) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("console".into())
        .spawn(move || {
            let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout());
            let mut dropped_reported = 0;
            let activity = &feed.receiver;
            while let Ok(first) = activity.recv() {
                print(&mut out, &first, quiet);
                loop {
                    let mut printed = 0;
                    let mut open = true;
                    loop {
                        match activity.try_recv() {
                            Ok(item) => {
                                print(&mut out, &item, quiet);
                                printed += 1;
                            }
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => {
                                open = false;
                                break;
                            }
                        }
                    }
                    let dropped = feed.dropped();
                    if dropped > dropped_reported {
                        let _ = writeln!(
                            out,
                            "{} {} log lines dropped: the console could not keep up",
                            "…".yellow(),
                            dropped - dropped_reported
                        );
                        dropped_reported = dropped;
                    }
                    // A closed stdout (`| head`) is not worth stopping the server for.
                    let _ = out.flush();
                    if !open {
                        return;
                    }
                    if printed == 0 {
                        break;
                    }
                    std::thread::sleep(ROUND);
                }
            }
            let _ = out.flush();
        })
        .expect("spawning the console")
}

fn print(out: &mut impl Write, activity: &Activity, quiet: bool) {
    let _ = match activity {
        Activity::Request(record) => request_line(out, record),
        Activity::BuildStarted { function } if !quiet => {
            writeln!(out, "{:>12} {function}", "Building".cyan().bold())
        }
        Activity::BuildLine { function, line } if !quiet => {
            writeln!(out, "{:>12} {line}", format!("[{function}]").dimmed())
        }
        Activity::BuildStarted { .. } | Activity::BuildLine { .. } => Ok(()),
        Activity::Swapped {
            function,
            build,
            swap,
        } => writeln!(
            out,
            "{:>12} {function} (build {:.0} ms, swap {:.1} ms)",
            "Reloaded".green().bold(),
            build.as_secs_f64() * 1000.0,
            swap.as_secs_f64() * 1000.0
        ),
        Activity::BuildFailed {
            function,
            message,
            serving_previous,
        } => {
            let what = if *serving_previous {
                "the previous build keeps serving (responses carry `x-wasmfaas-stale`)"
            } else {
                "its routes answer 503 until it builds"
            };
            writeln!(
                out,
                "{:>12} {function}: {what}\n{message}",
                "Failed".red().bold()
            )
        }
        Activity::ConfigReloaded { summary } => {
            writeln!(
                out,
                "{:>12} wasmfaas.toml: {summary}",
                "Config".green().bold()
            )
        }
        Activity::ConfigRejected { message } => writeln!(
            out,
            "{:>12} wasmfaas.toml is invalid; the previous config keeps serving\n{message}",
            "Config".red().bold()
        ),
        Activity::Notice { message } => writeln!(out, "{message}"),
    };
}

/// `12:04:31.207 200 GET /hello?name=Ada → hello 0.06 ms · fuel 120,480 · mem 128 KiB`
fn request_line(out: &mut impl Write, record: &RequestRecord) -> std::io::Result<()> {
    let status = status_colored(record.status);
    let function = match &record.function {
        Some(name) => format!("→ {}", name.cyan()),
        None => "→ -".dimmed().to_string(),
    };
    // The method, target, error and logs come from clients and guests:
    // printed with control characters escaped, never raw.
    let mut line = format!(
        "{} {status} {} {} {function} {:.2} ms",
        clock(record.at).dimmed(),
        printable(&record.method).bold(),
        printable(&record.target),
        record.elapsed.as_secs_f64() * 1000.0
    );
    if let Some(usage) = &record.usage {
        line.push_str(&format!(
            " · fuel {} · mem {}",
            human::grouped(usage.fuel),
            human::bytes(usage.peak_memory_bytes)
        ));
    }
    if record.stale {
        line.push_str(&format!(" {}", "(stale)".yellow()));
    }
    if let Some(error) = &record.error {
        line.push_str(&format!(" {}", printable(error).red()));
    }
    writeln!(out, "{line}")?;
    if let Some(function) = &record.function {
        let text = String::from_utf8_lossy(&record.logs);
        for log_line in text.lines() {
            writeln!(
                out,
                "  {} {}",
                format!("[{function}]").dimmed(),
                printable(log_line)
            )?;
        }
    }
    Ok(())
}

fn status_colored(status: u16) -> ColoredString {
    let text = status.to_string();
    match status {
        200..=299 => text.green(),
        300..=399 => text.cyan(),
        400..=499 => text.yellow(),
        _ => text.red().bold(),
    }
}

/// `HH:MM:SS.mmm` in local time.
fn clock(at: SystemTime) -> String {
    let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = libc::time_t::try_from(since_epoch.as_secs()).unwrap_or(0);
    // SAFETY: `localtime_r` writes only into the `tm` we own; a zeroed `tm` is
    // a valid value of that plain C struct.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&seconds, &mut tm);
        tm
    };
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        since_epoch.subsec_millis()
    )
}

/// The start-up summary: every route with its function, and the URL.
pub fn banner(deployment: &Deployment, address: SocketAddr, watching: bool, out: &ActivitySink) {
    let project = &deployment.project;
    // A function with no route and no trigger is deployed but nothing
    // reaches it: it is not counted as served, and the table says so.
    let unreachable: Vec<&Deployed> = deployment
        .functions
        .values()
        .filter(|d| d.function.routes.is_empty() && d.function.triggers.is_empty())
        .map(|d| d.as_ref())
        .collect();
    let served = project.functions.len() - unreachable.len();
    let mut text = format!(
        "\n{} {} · {} function{}\n\n",
        "wasmfaas dev".bold(),
        project.name,
        served,
        if served == 1 { "" } else { "s" }
    );
    // Routes first, then event triggers, in one aligned table: a function
    // that only an event invokes is listed too.
    let mut entries: Vec<(String, &Deployed)> = deployment
        .all_routes()
        .map(|(deployed, route)| (route.text.clone(), deployed.as_ref()))
        .collect();
    for deployed in deployment.functions.values() {
        for trigger in &deployed.function.triggers {
            entries.push((trigger.describe(), deployed.as_ref()));
        }
    }
    let width = entries
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0);
    for (label, deployed) in &entries {
        let state = match (&deployed.module, &deployed.stale) {
            (Some(_), None) => String::new(),
            (Some(_), Some(_)) => format!(" {}", "(stale: latest build failed)".yellow()),
            (None, _) => format!(" {}", "(not built: requests get 503)".red()),
        };
        text.push_str(&format!(
            "  {label:width$}  → {}{state}\n",
            deployed.function.name.cyan()
        ));
    }
    if entries.is_empty() {
        text.push_str("  (no routes: add `routes = [\"GET /path\"]` to a function)\n");
    }
    for deployed in unreachable {
        let name = &deployed.function.name;
        text.push_str(&format!(
            "  {}\n",
            format!(
                "warning: `{name}` has no route and no trigger, so nothing reaches it; add \
                 `routes = [\"GET /{name}\"]` or a trigger to [functions.{name}] (or run it \
                 with `wasmfaas invoke {name}`)"
            )
            .yellow()
        ));
    }
    text.push_str(&format!(
        "\nServing {}  (Ctrl-C to stop)\n",
        format!("http://{address}").bold().underline()
    ));
    if watching {
        text.push_str(&format!(
            "Watching {} for changes\n",
            project.root.display()
        ));
    }
    out.send(Activity::Notice { message: text });
}

pub fn stopping(out: &ActivitySink) {
    out.send(Activity::Notice {
        message: "Stopping: finishing requests in flight…".to_string(),
    });
}

/// Waits for the printer to print what it has, but not forever: a stdout
/// nobody reads (a paused terminal, a stopped pipe) must not keep the process
/// from exiting.
pub fn finish(console: JoinHandle<()>) {
    http_pool::join_by(&console, std::time::Instant::now() + Duration::from_secs(2));
}

pub fn stopped(out: &ActivitySink, abandoned: usize) {
    let message = if abandoned == 0 {
        "Stopped.".to_string()
    } else {
        format!("Stopped; {abandoned} request(s) still running were cut off.")
    };
    out.send(Activity::Notice { message });
}
