//! Building a Rust function crate with cargo for `wasm32-wasip1`.
//!
//! The build uses its own profile, `wasmfaas`, defined on the command line so a
//! function's `Cargo.toml` needs nothing special: release optimisation (in an
//! interpreter every instruction is paid for, per request, in fuel and time) with
//! incremental compilation and many codegen units so an edit rebuilds in about a
//! second. The guest is linked with a small stack (64 KiB by default), because a
//! fresh instance must zero its whole initial memory on every invocation.

use super::process::{RunError, run_streaming};
use super::{BuildError, Cancel, Progress, manifest};
use crate::config::{Function, Project};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Rust target functions are compiled for.
pub const GUEST_TARGET: &str = "wasm32-wasip1";
/// The cargo profile guest builds use.
pub const PROFILE: &str = "wasmfaas";

/// Builds the crate of `function` and copies its `.wasm` to the managed artifact `out`.
pub(super) fn build_crate(
    project: &Project,
    function: &Function,
    out: &Path,
    fingerprint: &str,
    progress: &mut dyn FnMut(Progress),
    cancel: &Cancel,
) -> Result<(), BuildError> {
    let dir = function.source.path();
    ensure_target_installed(&function.name, progress)?;
    progress(Progress::Started {
        function: function.name.clone(),
    });
    let stamp = manifest::start(out);
    let manifest_path = dir.join("Cargo.toml");
    let output = run_streaming(
        &function.name,
        cargo_command(project, function, &manifest_path),
        progress,
        cancel,
    )
    .map_err(|error| match error {
        RunError::Cancelled => BuildError::Cancelled {
            function: function.name.clone(),
        },
        RunError::Spawn(source) => BuildError::Spawn {
            function: function.name.clone(),
            command: "cargo build".into(),
            hint: "is cargo on PATH?",
            source,
        },
    })?;
    if !output.status.success() {
        return Err(BuildError::Compiler {
            function: function.name.clone(),
            output: output.stderr,
        });
    }
    let built = find_wasm(&function.name, &manifest_path, &output.stdout)?;
    let wasm = std::fs::read(&built).map_err(|source| BuildError::Io {
        function: function.name.clone(),
        action: "reading",
        path: built.display().to_string(),
        source,
    })?;
    let mut inputs = dep_info_inputs(&built.with_extension("d"));
    inputs.push(manifest_path.clone());
    let lock = dir.join("Cargo.lock");
    if lock.is_file() {
        inputs.push(lock);
    }
    manifest::write_artifact(&function.name, out, &wasm, fingerprint, stamp, &inputs)
}

/// What changes in how guests are compiled; part of every artifact's
/// fingerprint, so a change rebuilds what an older recipe built.
pub(super) const RECIPE: &str = "remap-paths-1";

/// `--remap-path-prefix` flags (as TOML strings) that take the project's
/// folder and cargo's home out of the module: panic messages and debug
/// strings name `/project/...` and `/cargo/...` wherever the checkout is, so
/// a function compiles to the same bytes, and replays to the same fuel, in
/// every clone on every machine.
fn remap_flags(project: &Project) -> Vec<String> {
    let mut flags = vec![format!(
        "\"--remap-path-prefix={}=/project\"",
        toml_escape(&project.root.display().to_string())
    )];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    if let Some(home) = cargo_home {
        flags.push(format!(
            "\"--remap-path-prefix={}=/cargo\"",
            toml_escape(&home.display().to_string())
        ));
    }
    flags
}

fn toml_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn cargo_command(project: &Project, function: &Function, manifest_path: &Path) -> Command {
    let color = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        "always"
    } else {
        "never"
    };
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(manifest_path)
        .args(["--target", GUEST_TARGET, "--profile", PROFILE])
        .args(["--message-format", "json-render-diagnostics"])
        .args(["--color", color]);
    for setting in [
        format!("profile.{PROFILE}.inherits=\"release\""),
        format!("profile.{PROFILE}.incremental=true"),
        format!("profile.{PROFILE}.codegen-units=16"),
        format!("profile.{PROFILE}.debug=false"),
        format!(
            "target.{GUEST_TARGET}.rustflags=[\"-Clink-arg=-zstack-size={}\", {}]",
            function.build.stack_size,
            remap_flags(project).join(", ")
        ),
    ] {
        command.arg("--config").arg(setting);
    }
    // Host builds of wasmfaas itself may run under `cargo test`, which sets
    // variables meant for the host target; they must not leak into the guest.
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        command.env_remove(var);
    }
    command
}

/// Picks the `.wasm` of the crate's binary from cargo's JSON messages.
fn find_wasm(function: &str, manifest_path: &Path, messages: &str) -> Result<PathBuf, BuildError> {
    let mut found = Vec::new();
    for line in messages.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let is_ours = message["manifest_path"]
            .as_str()
            .is_some_and(|path| same_file(Path::new(path), manifest_path));
        let is_bin = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
        if !(is_ours && is_bin) {
            continue;
        }
        let wasm = message["filenames"].as_array().into_iter().flatten();
        found.extend(
            wasm.filter_map(|name| name.as_str())
                .filter(|name| name.ends_with(".wasm"))
                .map(PathBuf::from),
        );
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(BuildError::MissingOutput {
            function: function.to_string(),
            path: format!("a .wasm binary from {}", manifest_path.display()),
            hint: "the crate must have exactly one `bin` target (src/main.rs)".into(),
        }),
        _ => Err(BuildError::MissingOutput {
            function: function.to_string(),
            path: "a single .wasm binary".into(),
            hint: format!(
                "the crate builds several binaries ({}); keep one, or set `build.command` and `build.output`",
                found
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The source files cargo's dep-info (`<artifact>.d`) lists for the artifact.
fn dep_info_inputs(dep_info: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(dep_info) else {
        return Vec::new();
    };
    let Some(first) = text.lines().next() else {
        return Vec::new();
    };
    let Some((_, deps)) = first.split_once(": ") else {
        return Vec::new();
    };
    // Make-style: spaces inside paths are escaped as `\ `.
    let mut inputs = Vec::new();
    let mut current = String::new();
    let mut chars = deps.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                current.push(' ');
                chars.next();
            }
            ' ' => {
                if !current.is_empty() {
                    inputs.push(PathBuf::from(std::mem::take(&mut current)));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        inputs.push(PathBuf::from(current));
    }
    inputs
}

/// Makes sure the standard library for the guest target is installed, installing
/// it with rustup once if not.
fn ensure_target_installed(
    function: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), BuildError> {
    if target_installed() {
        return Ok(());
    }
    progress(Progress::Line {
        function: function.to_string(),
        line: format!(
            "the Rust target {GUEST_TARGET} is not installed; running `rustup target add {GUEST_TARGET}`"
        ),
    });
    let mut command = Command::new("rustup");
    command.args(["target", "add", GUEST_TARGET]);
    match run_streaming(function, command, progress, &Cancel::never()) {
        Ok(output) if output.status.success() && target_installed() => Ok(()),
        _ => Err(BuildError::MissingTarget {
            target: GUEST_TARGET,
        }),
    }
}

fn target_installed() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(GUEST_TARGET)
        .is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_paths_with_escaped_spaces_are_kept_whole() {
        let dir = std::env::temp_dir().join(format!("wasmfaas-depinfo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("x.d");
        std::fs::write(
            &file,
            "/t/x.wasm: /a/src/main.rs /my\\ dir/lib.rs\n\n/a/src/main.rs:\n",
        )
        .unwrap();
        assert_eq!(
            dep_info_inputs(&file),
            vec![
                PathBuf::from("/a/src/main.rs"),
                PathBuf::from("/my dir/lib.rs")
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
