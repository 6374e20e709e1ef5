//! `wasmfaas test`: replays the project's fixtures and compares each outcome
//! with its snapshot; prints a line per fixture, a diff per failure and a
//! summary, or one JSON document with `--json`.

use super::invoke::load;
use super::{Failure, console};
use crate::config::Project;
use crate::replay;
use crate::runtime::LoadedModule;
use crate::suite::{self, Case, Options, Partition, Verdict};
use colored::Colorize;
use std::collections::BTreeMap;

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Only fixtures whose path contains this text.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,

    /// Accept every new or changed outcome as its snapshot.
    #[arg(long)]
    pub accept: bool,

    /// Replays to run at once (default: one per CPU core).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,

    /// Run only share I of N of the suite, e.g. `--partition 2/3` on the
    /// second of three CI machines.
    #[arg(long, value_name = "I/N")]
    pub partition: Option<Partition>,

    /// Print the results as one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// Runs the suite; fails (exit 1) if any fixture fails.
pub fn run(project: &Project, args: &TestArgs, quiet: bool) -> Result<(), Failure> {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci && args.accept {
        return Err(Failure::Usage(
            "--accept writes snapshots, and CI is set, where nothing is written; accept \
             locally and commit the snapshots"
                .into(),
        ));
    }
    let all = suite::discover(project).map_err(|e| Failure::Failed(e.to_string()))?;
    let options = Options {
        filter: args.filter.clone(),
        partition: args.partition,
        accept: args.accept,
        ci,
        jobs: args.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        }),
    };
    let planned = suite::plan(project, suite::select(all, &options));
    let mut modules: BTreeMap<String, Result<LoadedModule, String>> = BTreeMap::new();
    for name in suite::functions_needed(&planned) {
        let loaded = match project.function(&name) {
            Ok(function) => {
                if let (Some(note), false) = (replay::warm_note(function), quiet || args.json) {
                    console::note(&note);
                }
                load(project, function, quiet || args.json).map_err(|failure| match failure {
                    Failure::Usage(message) | Failure::Failed(message) => message,
                    Failure::Reported => format!("`{name}` could not be built"),
                })
            }
            Err(e) => Err(e.to_string()),
        };
        modules.insert(name, loaded);
    }
    let cases = suite::run(project, &planned, &options, &modules);
    let failed = cases.iter().filter(|c| !c.verdict.passed()).count();
    if args.json {
        print_json(&cases);
    } else {
        print_text(project, &cases, ci);
    }
    if failed > 0 {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}

fn print_text(project: &Project, cases: &[Case], ci: bool) {
    if cases.is_empty() {
        println!(
            "no fixtures under {}/ (record some with `wasmfaas dev --record`)",
            project.test.fixtures.display()
        );
    }
    for case in cases {
        let label = match &case.verdict {
            Verdict::Passed { .. } => "ok".green(),
            Verdict::Accepted => "accepted".green(),
            Verdict::New => "new".yellow(),
            Verdict::Changed { .. } => "changed".red(),
            Verdict::FuelGrew { .. } => "fuel".red(),
            Verdict::Error { .. } => "error".red(),
        };
        let fuel = case
            .fuel
            .map(|f| format!(" · fuel {}", crate::human::grouped(f)))
            .unwrap_or_default();
        println!("{label:>8} {}{}", case.fixture, fuel.dimmed());
        match &case.verdict {
            Verdict::Passed { note: Some(note) } => println!("         {}", note.dimmed()),
            Verdict::New => println!("         no snapshot {}", case.snapshot),
            Verdict::Changed { diff } => {
                for line in diff.lines() {
                    println!("         {}", paint(line));
                }
            }
            Verdict::FuelGrew {
                old,
                new,
                percent,
                tolerance,
            } => println!(
                "         fuel grew {} → {} ({percent:+.1}%), over the tolerance of {tolerance}% ([test] fuel_tolerance)",
                crate::human::grouped(*old),
                crate::human::grouped(*new)
            ),
            Verdict::Error { message } => {
                for line in message.lines() {
                    println!("         {line}");
                }
            }
            Verdict::Passed { note: None } | Verdict::Accepted => {}
        }
        if let Some(difference) = &case.unlike_recording {
            // Accepting makes it the truth the suite holds code to: say
            // that it is not what was recorded.
            let line = match case.verdict {
                Verdict::Accepted => format!(
                    "warning: accepted an outcome unlike the fixture's recording ({difference}); \
                     the snapshot holds what the replay answers, not what was served"
                )
                .yellow(),
                _ => format!("unlike the fixture's recording: {difference}").dimmed(),
            };
            println!("         {line}");
        }
        if !case.verdict.passed() && !matches!(case.verdict, Verdict::Error { .. }) {
            match &case.pending {
                Some(path) => println!(
                    "         {}",
                    format!("new outcome written to {path}").dimmed()
                ),
                None if ci => println!("         {}", "CI is set: nothing written".dimmed()),
                None => {}
            }
        }
    }
    let passed = cases.iter().filter(|c| c.verdict.passed()).count();
    let failed = cases.len() - passed;
    let summary = format!("{passed} passed, {failed} failed");
    if failed == 0 {
        println!("\n{}", summary.green().bold());
    } else {
        println!("\n{}", summary.red().bold());
        if !ci {
            println!(
                "review with `cargo insta review`, or accept all with `wasmfaas test --accept`"
            );
        }
    }
}

fn print_json(cases: &[Case]) {
    use serde_json::json;
    let list: Vec<serde_json::Value> = cases
        .iter()
        .map(|case| {
            let mut entry = json!({
                "fixture": case.fixture,
                "snapshot": case.snapshot,
                "function": case.function,
                "status": case.verdict.kind(),
                "fuel": case.fuel,
                "pending": case.pending,
                "unlike_recording": case.unlike_recording,
            });
            let extra = match &case.verdict {
                Verdict::Passed { note } => json!({ "note": note }),
                Verdict::Changed { diff } => json!({ "diff": diff }),
                Verdict::FuelGrew {
                    old,
                    new,
                    percent,
                    tolerance,
                } => json!({
                    "old_fuel": old, "new_fuel": new, "percent": percent, "tolerance": tolerance
                }),
                Verdict::Error { message } => json!({ "message": message }),
                Verdict::New | Verdict::Accepted => json!({}),
            };
            if let (Some(entry), Some(extra)) = (entry.as_object_mut(), extra.as_object()) {
                for (key, value) in extra {
                    entry.insert(key.clone(), value.clone());
                }
            }
            entry
        })
        .collect();
    let passed = cases.iter().filter(|c| c.verdict.passed()).count();
    let document = json!({
        "passed": passed,
        "failed": cases.len() - passed,
        "cases": list,
    });
    print!("{}", crate::json_text::pretty(&document));
}

/// A unified diff line in color: removed red, added green, hunks cyan.
fn paint(line: &str) -> String {
    if line.starts_with("---") || line.starts_with("+++") {
        line.bold().to_string()
    } else if line.starts_with('-') {
        line.red().to_string()
    } else if line.starts_with('+') {
        line.green().to_string()
    } else if line.starts_with("@@") {
        line.cyan().to_string()
    } else {
        line.dimmed().to_string()
    }
}
