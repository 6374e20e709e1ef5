//! `wasmfaas replay FIXTURE...`: runs recorded invocations hermetically and
//! prints what each function answered, wrote, logged and cost.

use super::invoke::load;
use super::{Failure, console};
use crate::config::Project;
use crate::fixture::Fixture;
use crate::replay::{self, Replayed};
use crate::runtime::LoadedModule;
use colored::Colorize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Fixture files, or folders to replay every `.json` file under.
    #[arg(required = true, value_name = "FIXTURE")]
    pub fixtures: Vec<PathBuf>,

    /// Print each outcome as JSON: the document `wasmfaas test` snapshots.
    #[arg(long)]
    pub json: bool,
}

/// Replays every fixture named; fails (exit 1) if one cannot be replayed or
/// answers differently from its recording.
pub fn run(project: &Project, args: &ReplayArgs, quiet: bool) -> Result<(), Failure> {
    let files = expand(&args.fixtures)?;
    let mut modules: BTreeMap<String, LoadedModule> = BTreeMap::new();
    let mut unfaithful = Vec::new();
    for path in &files {
        let fixture = Fixture::load(path).map_err(|e| Failure::Usage(e.to_string()))?;
        let function = replay::function_of(project, &fixture)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        if !modules.contains_key(&function.name) {
            if let (Some(note), false) = (replay::warm_note(function), quiet) {
                console::note(&note);
            }
            modules.insert(function.name.clone(), load(project, function, quiet)?);
        }
        let module = &modules[&function.name];
        let replayed = replay::replay(&fixture, function, module)
            .map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))?;
        let difference = fixture
            .recorded
            .as_ref()
            .and_then(|recorded| replayed.difference_from(recorded));
        if args.json {
            let mut document = replayed.document();
            if let Some(fields) = document.as_object_mut() {
                fields.insert("fixture".into(), path.display().to_string().into());
                if fixture.recorded.is_some() {
                    let same = difference.is_none();
                    fields.insert("same_as_recorded".into(), same.into());
                }
                // What the same work would cost in the cloud (docs/dashboard.md).
                let memory_mb = crate::cost::memory_mb(function.limits.memory_bytes);
                let estimate = crate::cost::estimate(replayed.usage.fuel, memory_mb);
                if let Ok(cost) = serde_json::to_value(estimate) {
                    fields.insert("cost".into(), cost);
                }
            }
            print!("{}", crate::json_text::pretty(&document));
        } else {
            print_text(path, &fixture, &replayed, difference.as_deref());
        }
        if let Some(difference) = difference {
            unfaithful.push(format!("{}: {difference}", path.display()));
        }
    }
    if unfaithful.is_empty() {
        return Ok(());
    }
    Err(Failure::Failed(format!(
        "{} of {} replay(s) answered differently from their recording:\n  {}\n  \
         `wasmfaas test` shows the whole difference; a header the recording redacted \
         (`[record] redact_headers`) cannot be replayed as it was sent",
        unfaithful.len(),
        files.len(),
        unfaithful.join("\n  ")
    )))
}

/// The files named, with folders replaced by the `.json` files under them
/// (sorted, so the order is the same everywhere).
pub(super) fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = crate::suite::fixture_files(path).map_err(|e| {
                Failure::Usage(format!("cannot read the folder {}: {e}", path.display()))
            })?;
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(Failure::Usage(format!(
                "{} does not exist; name fixture files (`fixtures/<function>/<name>.json`) or \
                 folders of them",
                path.display()
            )));
        }
    }
    Ok(files)
}

fn print_text(path: &Path, fixture: &Fixture, replayed: &Replayed, difference: Option<&str>) {
    println!(
        "{} · {} · {}",
        path.display().to_string().bold(),
        replayed.function.cyan(),
        fixture.trigger.describe()
    );
    match &replayed.response {
        Ok(response) => {
            println!("HTTP {}", response.status);
            for (name, value) in &response.headers {
                println!("{name}: {value}");
            }
            println!();
            let body = String::from_utf8_lossy(&response.body);
            if !body.is_empty() {
                println!("{}", body.trim_end_matches('\n'));
            }
        }
        Err(error) => println!("{} {error}", "error:".red().bold()),
    }
    if replayed.writes.is_empty() {
        println!("{} none", "writes:".bold());
    } else {
        println!("{}", "writes:".bold());
        for write in &replayed.writes {
            println!("  {}", write.document());
        }
    }
    console::function_log(&replayed.function, &replayed.logs);
    println!(
        "{}",
        console::usage_line(&replayed.function, &replayed.usage)
    );
    match (&fixture.recorded, difference) {
        (None, _) => println!(),
        (Some(_), None) => println!("{}\n", "= same response as recorded".green()),
        (Some(_), Some(difference)) => println!(
            "{}\n",
            format!("≠ differs from the recorded response: {difference}").yellow()
        ),
    }
}
