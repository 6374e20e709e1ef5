//! `wasmfaas build [FUNCTION...]`.

use super::{Failure, console};
use crate::build;
use crate::config::Project;
use clap::Args;
use colored::Colorize;

/// Arguments of `wasmfaas build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Functions to build (default: all).
    pub functions: Vec<String>,
    /// Rebuild even if nothing changed.
    #[arg(long)]
    pub force: bool,
}

/// Builds the named functions, or all; every failure is reported, then exit 1.
pub fn run(project: &Project, args: &BuildArgs, quiet: bool) -> Result<(), Failure> {
    let functions = if args.functions.is_empty() {
        project.functions.values().collect::<Vec<_>>()
    } else {
        args.functions
            .iter()
            .map(|name| project.function(name))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut progress = console::progress(quiet);
    let mut failed = 0;
    for function in functions {
        match build::build(
            project,
            function,
            args.force,
            &mut progress,
            &build::Cancel::never(),
        ) {
            Ok(artifact) => {
                if !quiet {
                    let verb = if artifact.rebuilt { "Built" } else { "Fresh" };
                    eprintln!(
                        "{:>12} {} → {}",
                        verb.green().bold(),
                        function.name,
                        relative(project, &artifact.path)
                    );
                }
            }
            Err(error) => {
                console::error(&error.to_string());
                failed += 1;
            }
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}

fn relative(project: &Project, path: &std::path::Path) -> String {
    path.strip_prefix(&project.root)
        .unwrap_or(path)
        .display()
        .to_string()
}
