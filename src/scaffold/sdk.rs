//! Where a project's Rust functions find the guest SDK.
//!
//! A generated crate depends on `wasmfaas-sdk` by a relative path, never on
//! crates.io, so it builds offline, in any folder, with an empty cargo home. A
//! project that already holds the SDK (as this repository's demo does in
//! `sdk/`) reuses it; otherwise the copy compiled into wasmfaas is written
//! there, once, and then belongs to the project like any of its sources.

use std::path::{Path, PathBuf};

/// Folders tried in turn, relative to the project root: the first that holds
/// the SDK is reused; the first free one receives it.
const FOLDERS: &[&str] = &["sdk", "wasmfaas-sdk"];

/// The package name the SDK's manifest declares.
const PACKAGE: &str = "wasmfaas-sdk";

/// Where the SDK of a project is, or will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkPlace {
    /// The project already has it in this folder (relative to the root).
    Existing(&'static str),
    /// It must be written to this folder (relative to the root), which is free.
    Vendor(&'static str),
}

impl SdkPlace {
    /// The folder, relative to the project root.
    pub fn folder(&self) -> &'static str {
        match self {
            SdkPlace::Existing(folder) | SdkPlace::Vendor(folder) => folder,
        }
    }
}

/// Finds the SDK of the project at `root`, or a free folder for it; `None`
/// when every candidate folder is taken by something else.
pub(super) fn locate(root: &Path) -> Option<SdkPlace> {
    FOLDERS.iter().find_map(|folder| {
        let dir = root.join(folder);
        if is_sdk(&dir.join("Cargo.toml")) {
            Some(SdkPlace::Existing(folder))
        } else if !dir.exists() {
            Some(SdkPlace::Vendor(folder))
        } else {
            None
        }
    })
}

/// The folders [`locate`] tries, for the message when all are taken.
pub(super) fn candidates(root: &Path) -> Vec<PathBuf> {
    FOLDERS.iter().map(|folder| root.join(folder)).collect()
}

/// Whether `manifest` is a `Cargo.toml` whose `[package] name` is the SDK's.
fn is_sdk(manifest: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return false;
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    table
        .get("package")
        .and_then(|package| package.get("name"))
        .and_then(|name| name.as_str())
        == Some(PACKAGE)
}

#[cfg(test)]
mod tests {
    use super::{SdkPlace, locate};
    use std::path::Path;

    fn dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("wasmfaas-sdk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_repository_sdk_is_reused() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(locate(repo), Some(SdkPlace::Existing("sdk")));
    }

    #[test]
    fn an_empty_project_gets_sdk_and_a_taken_sdk_folder_moves_it_aside() {
        let root = dir("taken");
        assert_eq!(locate(&root), Some(SdkPlace::Vendor("sdk")));
        std::fs::create_dir_all(root.join("sdk")).unwrap();
        std::fs::write(root.join("sdk/Cargo.toml"), "[package]\nname = \"other\"\n").unwrap();
        assert_eq!(locate(&root), Some(SdkPlace::Vendor("wasmfaas-sdk")));
        std::fs::create_dir_all(root.join("wasmfaas-sdk")).unwrap();
        assert_eq!(locate(&root), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
