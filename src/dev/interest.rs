//! Which paths the dev loop acts on, and how paths from the config and from
//! file events are made comparable.

use crate::build;
use crate::config::Project;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// The paths the builder acts on: the config file and every function's
/// inputs, made absolute. Shared with the watcher so that writes nobody builds
/// from (a log file in the project folder, say) never hold a batch open: the
/// watcher closes a batch after a quiet gap, and such writes would keep
/// resetting it.
#[derive(Debug, Default)]
pub(super) struct Interest(RwLock<Vec<PathBuf>>);

impl Interest {
    pub(super) fn new(project: &Project) -> Interest {
        let interest = Interest::default();
        interest.update(project);
        interest
    }

    /// Recomputes the paths, after a config reload or a build (whose recorded
    /// inputs may have changed).
    pub(super) fn update(&self, project: &Project) {
        let mut paths = vec![
            absolute(&project.config_path),
            absolute(&project.root.join(crate::secrets::FILE)),
        ];
        for function in project.functions.values() {
            paths.extend(build::inputs(project, function).iter().map(|p| absolute(p)));
        }
        if let Ok(mut current) = self.0.write() {
            *current = paths;
        }
    }

    /// Whether a change to `path` can matter to a build or the config.
    pub(super) fn covers(&self, path: &Path) -> bool {
        let path = absolute(path);
        self.0
            .read()
            .is_ok_and(|paths| paths.iter().any(|interest| path.starts_with(interest)))
    }
}

/// `path` made absolute and free of symlinks where possible, so that paths
/// from the config and from file events compare equal.
pub(super) fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    // A deleted file cannot be canonicalised; its folder usually can.
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map(|p| p.join(name))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_config_and_function_inputs_are_of_interest() {
        let dir = std::env::temp_dir().join(format!("wasmfaas-interest-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("fns/api")).unwrap();
        std::fs::write(dir.join("hello.wat"), "(module)").unwrap();
        std::fs::write(dir.join("fns/api/Cargo.toml"), "").unwrap();
        let config = "[project]\nname = \"t\"\n\
                      [functions.hello]\nsource = \"hello.wat\"\n\
                      [functions.api]\nsource = \"fns/api\"\n";
        std::fs::write(dir.join("wasmfaas.toml"), config).unwrap();
        let project = Project::load(&dir.join("wasmfaas.toml")).unwrap();
        let interest = Interest::new(&project);
        assert!(interest.covers(&dir.join("wasmfaas.toml")));
        assert!(interest.covers(&dir.join("hello.wat")));
        // Anything in a crate's folder, even a file that does not exist yet.
        assert!(interest.covers(&dir.join("fns/api/src/new_module.rs")));
        // A log written beside the project's files is not.
        assert!(!interest.covers(&dir.join("dev.log")));
        assert!(!interest.covers(&dir.join("notes/todo.md")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
