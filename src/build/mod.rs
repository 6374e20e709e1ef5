//! Turns a function's source into a `.wasm` artifact, one function at a time.
//!
//! Rust crates are built by cargo for `wasm32-wasip1`; `.wat` files are compiled
//! in-process; `.wasm` files are taken as they are; a custom `build` command is run
//! in the function's folder. Artifacts land in `.wasmfaas/build/<function>.wasm`
//! beside a small manifest of the files they were built from, so `invoke` can tell
//! in microseconds whether a build is needed, and a failed build never replaces
//! the last good artifact (cargo writes elsewhere; we copy only on success).
//!
//! This module owns build commands and the artifact folder. It never loads or runs
//! a module.

mod cargo;
mod command;
mod manifest;
mod process;

use crate::config::{Function, Project, Source};
use process::RunError;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use cargo::{GUEST_TARGET, PROFILE};

/// Where build artifacts of a project live, relative to its root.
pub const ARTIFACT_DIR: &str = ".wasmfaas/build";

/// A built function, ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub function: String,
    /// The `.wasm` file to load.
    pub path: PathBuf,
    /// Whether this call built it (false: it was already up to date).
    pub rebuilt: bool,
}

/// What the builder tells its caller while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A build of this function started.
    Started { function: String },
    /// A line of compiler output (cargo's progress or diagnostics).
    Line { function: String, line: String },
}

/// A switch that stops a running build, shared between the builder and whoever
/// decides the build is no longer wanted (a newer edit, Ctrl-C).
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A switch nobody will flip: for one-shot commands.
    pub fn never() -> Cancel {
        Cancel::default()
    }

    /// Stops the build at its next check (within a few tens of milliseconds).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The build was stopped by its [`Cancel`] switch; the last artifact stays.
    #[error("the build of `{function}` was cancelled")]
    Cancelled { function: String },
    #[error("building `{function}` failed:\n{output}")]
    Compiler { function: String, output: String },
    /// Invalid WAT text; the message carries `file:line:column` and the line.
    #[error("`{function}` is not valid WAT: {rendered}")]
    Wat { function: String, rendered: String },
    #[error("could not run `{command}` for `{function}`: {source}; {hint}")]
    Spawn {
        function: String,
        command: String,
        hint: &'static str,
        source: std::io::Error,
    },
    #[error(
        "the Rust target `{target}` is not installed and `rustup target add {target}` failed; \
         install rustup (https://rustup.rs) or the target by hand"
    )]
    MissingTarget { target: &'static str },
    #[error("`{function}`: the build finished but {path} does not exist; {hint}")]
    MissingOutput {
        function: String,
        path: String,
        hint: String,
    },
    #[error("`{function}`: {action} {path}: {source}")]
    Io {
        function: String,
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
}

/// Builds `function` if anything it was built from changed (or `force` is set).
///
/// # Errors
/// A [`BuildError`] with the compiler's output or the command that failed. The
/// previous artifact, if any, is left in place.
pub fn build(
    project: &Project,
    function: &Function,
    force: bool,
    progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<Artifact, BuildError> {
    if let Some(output) = &function.build.output {
        return build_external(project, function, output, force, progress, cancel);
    }
    let managed = artifact_path(project, &function.name);
    let fingerprint = fingerprint(function);
    let fresh = !force && manifest::is_fresh(&managed, &fingerprint);
    if !fresh {
        match &function.source {
            Source::Wat(path) => build_wat(function, path, &managed, &fingerprint)?,
            Source::RustCrate(_) => {
                cargo::build_crate(project, function, &managed, &fingerprint, progress, cancel)?;
            }
            // Config gives every `.wasm` source an `output` (the file itself).
            Source::Wasm(path) => {
                return build_external(project, function, path, force, progress, cancel);
            }
        }
    }
    Ok(Artifact {
        function: function.name.clone(),
        path: managed,
        rebuilt: !fresh,
    })
}

/// The artifact to load for `function`, building it first only if it is missing
/// or out of date (for a custom command: if a file in its folder changed). A
/// `.wasm` source without a command is used as it is.
///
/// # Errors
/// As [`build`].
pub fn ensure_built(
    project: &Project,
    function: &Function,
    progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<Artifact, BuildError> {
    build(project, function, false, progress, cancel)
}

/// Every file whose change should rebuild `function`: its source (the crate
/// folder, or the `.wat`/`.wasm` file) and whatever its last build read, as
/// recorded in the artifact's manifest (for Rust, path dependencies such as the
/// SDK). The watcher uses this to rebuild only what an edit affects.
///
/// With a custom build command the whole folder of the source counts (the
/// command's own inputs are unknown), except the output it writes: that change
/// is the build's result, and counting it would rebuild forever.
pub fn inputs(project: &Project, function: &Function) -> Vec<PathBuf> {
    let source = function.source.path();
    if function.build.command.is_some() {
        return vec![command::folder(function).to_path_buf()];
    }
    let mut inputs = vec![source.to_path_buf()];
    if function.build.output.is_none() {
        inputs.extend(manifest::recorded_inputs(&artifact_path(
            project,
            &function.name,
        )));
    }
    inputs
}

/// Folder names no build reads (build output, wasmfaas's state, VCS
/// metadata, node packages): never watched, never tracked as inputs.
const IGNORED_DIRS: &[&str] = &["target", ".wasmfaas", ".git", ".hg", ".svn", "node_modules"];

/// Whether a change to `path` can never matter to a build: it lies in such
/// a folder, or is an editor's temporary file.
pub fn is_ignored(path: &Path) -> bool {
    let in_ignored_dir = path.components().any(|component| {
        component
            .as_os_str()
            .to_str()
            .is_some_and(|name| IGNORED_DIRS.contains(&name))
    });
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // Editor droppings: vim swap and probe files, emacs locks and backups.
    let editor_temp = name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913";
    in_ignored_dir || editor_temp
}

/// `.wasmfaas/build/<function>.wasm` under the project root.
pub fn artifact_path(project: &Project, function: &str) -> PathBuf {
    project
        .root
        .join(ARTIFACT_DIR)
        .join(format!("{function}.wasm"))
}

/// Everything besides source files that changes what a build produces.
fn fingerprint(function: &Function) -> String {
    format!(
        "wasmfaas {} | {} | {} | stack {} | {:?}",
        env!("CARGO_PKG_VERSION"),
        PROFILE,
        cargo::RECIPE,
        function.build.stack_size,
        function.source
    )
}

/// An artifact wasmfaas does not manage: runs the custom command, if any and
/// if its inputs changed, in the function's folder, then checks that `output`
/// exists.
fn build_external(
    project: &Project,
    function: &Function,
    output: &Path,
    force: bool,
    progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<Artifact, BuildError> {
    if let Some(command) = &function.build.command {
        return command::build(project, function, command, output, force, progress, cancel);
    }
    check_output(function, output)?;
    Ok(Artifact {
        function: function.name.clone(),
        path: output.to_path_buf(),
        rebuilt: false,
    })
}

/// Fails unless the module a build should have written exists.
fn check_output(function: &Function, output: &Path) -> Result<(), BuildError> {
    if output.is_file() {
        return Ok(());
    }
    Err(BuildError::MissingOutput {
        function: function.name.clone(),
        path: output.display().to_string(),
        hint: "make the build command write it, or fix `source` / `build.output` in \
               wasmfaas.toml"
            .into(),
    })
}

/// Compiles a `.wat` source into the managed artifact `out`.
fn build_wat(
    function: &Function,
    path: &Path,
    out: &Path,
    fingerprint: &str,
) -> Result<(), BuildError> {
    let stamp = manifest::start(out);
    let text = std::fs::read_to_string(path).map_err(|source| BuildError::Io {
        function: function.name.clone(),
        action: "reading",
        path: path.display().to_string(),
        source,
    })?;
    let wasm = compile_wat(&function.name, path, &text)?;
    let inputs = [path.to_path_buf()];
    manifest::write_artifact(&function.name, out, &wasm, fingerprint, stamp, &inputs)
}

/// Compiles WAT text, reporting errors at `path:line:column` with the line quoted.
///
/// # Errors
/// [`BuildError::Wat`] for the first error.
pub fn compile_wat(function: &str, path: &Path, text: &str) -> Result<Vec<u8>, BuildError> {
    wat::parse_str(text).map_err(|mut error| {
        error.set_path(path);
        BuildError::Wat {
            function: function.to_string(),
            rendered: error.to_string(),
        }
    })
}

/// Runs a user's build command through `sh -c` in `dir`, streaming its output.
fn run_command(
    function: &Function,
    dir: &Path,
    command: &str,
    progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<(), BuildError> {
    progress(Progress::Started {
        function: function.name.clone(),
    });
    let mut child = Command::new("sh");
    child.arg("-c").arg(command).current_dir(dir);
    let output = process::run_streaming(&function.name, child, progress, cancel).map_err(
        |error| match error {
            RunError::Cancelled => BuildError::Cancelled {
                function: function.name.clone(),
            },
            RunError::Spawn(source) => BuildError::Spawn {
                function: function.name.clone(),
                command: command.to_string(),
                hint: "check that `sh` and the command exist",
                source,
            },
        },
    )?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BuildError::Compiler {
            function: function.name.clone(),
            output: format!("{}{}", output.stdout, output.stderr),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_state_and_editor_files_are_ignored() {
        assert!(is_ignored(Path::new(
            "/p/functions/hello/target/debug/x.rs"
        )));
        assert!(is_ignored(Path::new("/p/.wasmfaas/build/hello.wasm")));
        assert!(is_ignored(Path::new("/p/.git/index")));
        assert!(is_ignored(Path::new("/p/src/.main.rs.swp")));
        assert!(is_ignored(Path::new("/p/src/main.rs~")));
        assert!(!is_ignored(Path::new("/p/functions/hello/src/main.rs")));
        assert!(!is_ignored(Path::new("/p/wasmfaas.toml")));
    }
}
