//! C guests for the tests: C files compiled with clang for `wasm32-wasi`,
//! the way a legacy program is brought to wasmfaas.
//!
//! Builds go to a directory under cargo's per-target temp dir, named by a hash
//! of the source and the flags, so an unchanged guest is compiled once across
//! test runs and parallel tests never write the same file half-way (each
//! build is written aside and renamed into place).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The Debian/Ubuntu packages that give clang a working `wasm32-wasi` target.
pub const APT_PACKAGES: &str = "clang lld wasi-libc libclang-rt-14-dev-wasm32";

/// Every guest is built as a legacy program would be, and must build without
/// a warning: `-Werror` turns "compiles warning-free" into a test.
const FLAGS: &[&str] = &["--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror"];

/// Compiles the C file at `source` to a `.wasm` command module and returns
/// its path, or `None` (with a `SKIPPED` line, see `common::skip`) when
/// clang cannot build for WASI here. Under CI a missing toolchain fails the
/// test instead: a skipped test proves nothing.
///
/// `WASI_SYSROOT`, when set, is passed as `--sysroot` (for a wasi-sdk or a
/// wasi-libc outside clang's default search path).
///
/// # Panics
/// When the toolchain is missing under CI, or when `source` does not compile
/// (the panic shows clang's output).
pub fn compile(test: &str, source: &Path) -> Option<PathBuf> {
    if !available(test) {
        return None;
    }
    let text = std::fs::read(source)
        .unwrap_or_else(|e| panic!("cannot read C guest {}: {e}", source.display()));
    let mut hash = Sha256::new();
    for flag in FLAGS {
        hash.update(flag.as_bytes());
        hash.update([0]);
    }
    hash.update(&text);
    let digest: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stem = source.file_stem().unwrap_or_default().to_string_lossy();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-guests");
    let wasm = out_dir.join(format!("{stem}-{digest}.wasm"));
    if wasm.is_file() {
        return Some(wasm);
    }
    std::fs::create_dir_all(&out_dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", out_dir.display()));
    let partial = out_dir.join(format!(
        "{stem}-{digest}.{}.{:?}.partial",
        std::process::id(),
        std::thread::current().id()
    ));
    let output = clang()
        .arg(source)
        .arg("-o")
        .arg(&partial)
        .output()
        .unwrap_or_else(|e| panic!("running clang failed: {e}"));
    assert!(
        output.status.success(),
        "clang could not compile {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::rename(&partial, &wasm)
        .unwrap_or_else(|e| panic!("cannot move the build to {}: {e}", wasm.display()));
    Some(wasm)
}

/// Whether `test`, which needs clang for WASI (directly, or through a project
/// that builds C, such as the demo's `legacy-cgi`), can run here. When it
/// cannot, a `SKIPPED` line says so (see `common::skip`); under CI a missing
/// toolchain fails the test instead: a skipped test proves nothing.
///
/// # Panics
/// When the toolchain is missing under CI.
pub fn available(test: &str) -> bool {
    match toolchain() {
        Ok(()) => true,
        Err(problem) => {
            super::skip::skip(
                test,
                &format!("it needs clang with the wasm32-wasi target: {problem}"),
            );
            false
        }
    }
}

/// `clang` with [`FLAGS`] and the sysroot, ready for a source and `-o`.
fn clang() -> Command {
    let mut command = Command::new("clang");
    command.args(FLAGS);
    if let Some(sysroot) = std::env::var_os("WASI_SYSROOT") {
        command.arg("--sysroot").arg(sysroot);
    }
    command
}

/// Whether clang can build a WASI program here, checked once per test binary
/// by building one: clang, the linker, libc and the compiler runtime are four
/// packages, and any of them can be missing.
fn toolchain() -> Result<(), &'static str> {
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = CHECKED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-guests");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let probe = dir.join(format!("probe-{}.c", std::process::id()));
        std::fs::write(
            &probe,
            "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n",
        )
        .map_err(|e| format!("cannot write {}: {e}", probe.display()))?;
        let output = clang()
            .arg(&probe)
            .arg("-o")
            .arg(probe.with_extension("wasm"))
            .output();
        let _ = std::fs::remove_file(&probe);
        let _ = std::fs::remove_file(probe.with_extension("wasm"));
        match output {
            Err(e) => Err(format!(
                "clang cannot be run ({e}); install it with `apt-get install {APT_PACKAGES}`"
            )),
            Ok(output) if !output.status.success() => Err(format!(
                "clang cannot build for wasm32-wasi; install the target with \
                 `apt-get install {APT_PACKAGES}` (or set WASI_SYSROOT to a wasi-libc \
                 sysroot). clang said:\n{}",
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Ok(_) => Ok(()),
        }
    });
    result.as_ref().map(|_| ()).map_err(String::as_str)
}
