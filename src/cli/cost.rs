//! `wasmfaas cost [DIR]...`: what a folder of recorded invocations would
//! cost in the cloud, per function.
//!
//! Each fixture is replayed (hermetically, as `wasmfaas replay` does) for its
//! fuel, which `crate::cost` turns into an estimate at the function's
//! `memory_mb`. A fixture that cannot be replayed is reported and skipped;
//! the command then exits 1 after printing the rest.

use super::replay::expand;
use super::{Failure, invoke::load};
use crate::config::Project;
use crate::cost::{self, Tally};
use crate::fixture::Fixture;
use crate::replay;
use crate::runtime::LoadedModule;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// Folders of fixtures (every `.json` under them) or fixture files;
    /// default: `fixtures` in the project.
    #[arg(value_name = "DIR")]
    pub paths: Vec<PathBuf>,

    /// Print the figures as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(project: &Project, args: &CostArgs, quiet: bool) -> Result<(), Failure> {
    let paths = if args.paths.is_empty() {
        let default = project.root.join("fixtures");
        if !default.is_dir() {
            return Err(Failure::Usage(format!(
                "no fixtures to price: {} does not exist; record traffic with `wasmfaas dev \
                 --record`, or name a folder of fixtures",
                default.display()
            )));
        }
        vec![default]
    } else {
        args.paths.clone()
    };
    let files = expand(&paths)?;
    let mut modules: BTreeMap<String, LoadedModule> = BTreeMap::new();
    let mut tallies: BTreeMap<String, (u64, Tally)> = BTreeMap::new();
    let mut skipped = 0;
    for path in &files {
        let priced = (|| -> Result<(String, u64, u64), String> {
            let fixture = Fixture::load(path).map_err(|e| e.to_string())?;
            let function = replay::function_of(project, &fixture).map_err(|e| e.to_string())?;
            if !modules.contains_key(&function.name) {
                let module = load(project, function, quiet).map_err(|failure| match failure {
                    Failure::Usage(message) | Failure::Failed(message) => message,
                    Failure::Reported => format!("`{}` could not be built", function.name),
                })?;
                modules.insert(function.name.clone(), module);
            }
            let replayed = replay::replay(&fixture, function, &modules[&function.name])
                .map_err(|e| e.to_string())?;
            let memory_mb = cost::memory_mb(function.limits.memory_bytes);
            Ok((function.name.clone(), replayed.usage.fuel, memory_mb))
        })();
        match priced {
            Ok((function, fuel, memory_mb)) => {
                let entry = tallies
                    .entry(function)
                    .or_insert((memory_mb, Tally::default()));
                entry.1.add(fuel, &cost::estimate(fuel, memory_mb));
            }
            Err(message) => {
                skipped += 1;
                eprintln!("wasmfaas: {}: {message}", path.display());
            }
        }
    }
    if args.json {
        print!("{}", json(&tallies));
    } else {
        print!("{}", table(&tallies));
    }
    if skipped > 0 {
        return Err(Failure::Failed(format!(
            "{skipped} of {} fixtures could not be replayed (above); the figures leave them out",
            files.len()
        )));
    }
    Ok(())
}

/// The per-function table, a total line, and the model in a footnote.
fn table(tallies: &BTreeMap<String, (u64, Tally)>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:>7} {:>6} {:>14} {:>10} {:>12} {:>12} {:>12}   {:>9} {:>9} {:>9}",
        "function",
        "invoc.",
        "MB",
        "mean fuel",
        "native ms",
        "Lambda x86",
        "Lambda Arm",
        "Workers",
        "x86/1M",
        "Arm/1M",
        "Wkrs/1M"
    );
    let mut total = Tally::default();
    for (name, (memory_mb, tally)) in tallies {
        total.merge(tally);
        row(&mut out, name, &memory_mb.to_string(), tally);
    }
    if tallies.len() > 1 {
        row(&mut out, "total", "", &total);
    }
    let _ = writeln!(
        out,
        "\nEstimates of compute only, in USD: fuel × {} ns = native time \
         (benches/fuel_calibration.rs).\nLambda: ${}/M requests + GB-s at the function's \
         memory_mb (min {} MB), billed per 1 ms; ${}/GB-s x86, ${}/GB-s Arm (us-east-1).\n\
         Workers Standard: ${}/M requests + ${}/M CPU ms past the plan's allowances.\n\
         Free tiers and plan fees left out; prices checked {}. /1M: a million invocations \
         in the same mix.",
        cost::NATIVE_NS_PER_FUEL,
        cost::LAMBDA.per_million_requests,
        cost::LAMBDA.min_memory_mb,
        cost::LAMBDA.per_gb_second_x86,
        cost::LAMBDA.per_gb_second_arm,
        cost::WORKERS.per_million_requests,
        cost::WORKERS.per_million_cpu_ms,
        cost::PRICES_CHECKED,
    );
    out
}

fn row(out: &mut String, name: &str, memory: &str, tally: &Tally) {
    let (x86_m, arm_m, workers_m) = tally.per_million();
    let mean_fuel = tally.fuel / tally.invocations.max(1);
    let _ = writeln!(
        out,
        "{name:<20} {:>7} {memory:>6} {:>14} {:>10.3} {:>12} {:>12} {:>12}   {:>9} {:>9} {:>9}",
        tally.invocations,
        crate::human::grouped(mean_fuel),
        tally.native_ms,
        usd(tally.lambda_x86_usd),
        usd(tally.lambda_arm_usd),
        usd(tally.workers_usd),
        usd(x86_m),
        usd(arm_m),
        usd(workers_m),
    );
}

/// Dollars with enough digits to see a single invocation's cost.
fn usd(value: f64) -> String {
    if value >= 1.0 {
        format!("${value:.2}")
    } else if value >= 0.01 {
        format!("${value:.4}")
    } else {
        format!("${value:.8}")
    }
}

fn json(tallies: &BTreeMap<String, (u64, Tally)>) -> String {
    let functions: serde_json::Map<String, serde_json::Value> = tallies
        .iter()
        .map(|(name, (memory_mb, tally))| {
            let (x86, arm, workers) = tally.per_million();
            let value = serde_json::json!({
                "memory_mb": memory_mb,
                "totals": tally,
                "per_million": { "lambda_x86_usd": x86, "lambda_arm_usd": arm, "workers_usd": workers },
            });
            (name.clone(), value)
        })
        .collect();
    let document = serde_json::json!({
        "functions": functions,
        "model": cost::model(),
    });
    crate::json_text::pretty(&document)
}
