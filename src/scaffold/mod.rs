//! `wasmfaas new`: a new project, or a new function in a project, from a
//! template.
//!
//! Everything written comes from files compiled into the binary
//! ([`embedded`]): the templates under `templates/` and the guest SDK, so a
//! project can be created anywhere, offline. A function is added by
//! *appending* its table to `wasmfaas.toml`, which keeps the user's comments
//! and layout; the whole file is then validated as every command would read
//! it, and if it is rejected (a route conflict, say) every change is undone:
//! the config is put back byte for byte and the new files and folders are
//! removed.
//!
//! This module owns the layout of generated projects. It never builds or runs
//! anything: the CLI prints what to run next.

mod changes;
pub mod embedded;
mod sdk;
mod template;

use std::path::{Path, PathBuf};

use crate::config::{
    CONFIG_FILE_NAME, ConfigError, FUNCTION_NAME_RULE, Project, Route, Segment, is_function_name,
};
use changes::Changes;
use embedded::SDK_FILES;
use template::{PROJECT_FILES, files_under};

pub use sdk::SdkPlace;
pub use template::{Compiler, DEFAULT_TEMPLATE, TEMPLATES, Template, Vars};

/// Where generated functions live, relative to the project root.
pub const FUNCTIONS_DIR: &str = "functions";

/// The function to generate.
#[derive(Debug, Clone, Copy)]
pub struct NewFunction<'a> {
    /// Its name: the `[functions.<name>]` key, its folder, its crate.
    pub name: &'a str,
    pub template: &'static Template,
    /// Its route; `None` for `GET /<name>`.
    pub route: Option<&'a str>,
    /// Write into folders that already exist, replacing files of the same names.
    pub force: bool,
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The project's root folder.
    pub root: PathBuf,
    /// Its `wasmfaas.toml`.
    pub config_path: PathBuf,
    /// Whether the project itself is new (else a function was added).
    pub new_project: bool,
    /// The new function's folder.
    pub function_dir: PathBuf,
    /// Every file written, in order, except the SDK's.
    pub files: Vec<PathBuf>,
    /// The SDK the function uses, for Rust templates: reused or written.
    pub sdk: Option<SdkPlace>,
    /// The function's route.
    pub route: Route,
    /// A request path the route matches, for the commands to try.
    pub path: String,
    /// A program the template's build needs that is not on `PATH`.
    pub missing_compiler: Option<Compiler>,
}

/// Why `wasmfaas new` generated nothing.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "invalid function name `{name}`: {FUNCTION_NAME_RULE}, e.g. `wasmfaas new hello-world`"
    )]
    InvalidName { name: String },
    #[error("unknown template `{name}`; the templates are {known}")]
    UnknownTemplate { name: String, known: String },
    #[error("invalid route `{route}`: {message}; {help}")]
    InvalidRoute {
        route: String,
        message: String,
        help: String,
    },
    #[error(
        "the project already has a function `{name}` (see {}); pick another name",
        config.display()
    )]
    FunctionExists { name: String, config: PathBuf },
    #[error(
        "{} already exists; pick another name, or pass --force to write the template's files into it",
        path.display()
    )]
    FolderExists { path: PathBuf },
    #[error(
        "{} is already a wasmfaas project; run `wasmfaas new <name>` in it to add a function",
        path.display()
    )]
    AlreadyAProject { path: PathBuf },
    #[error("no folder for the wasmfaas SDK: {tried} are taken by something else; move one aside")]
    NoSdkFolder { tried: String },
    /// The project's config was already invalid: nothing was written.
    #[error(transparent)]
    Config(ConfigError),
    /// The config with the new function is invalid: everything was undone.
    #[error("{error}\n   = note: {undone}")]
    Rejected { error: ConfigError, undone: String },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ScaffoldError {
    /// 1 when the disk failed, 2 for everything the user can fix by changing
    /// the command or the config (see the CLI's exit-code contract).
    pub fn exit_code(&self) -> u8 {
        match self {
            ScaffoldError::Io { .. } => 1,
            _ => 2,
        }
    }
}

/// Checks a function name against the config's rule.
///
/// # Errors
/// [`ScaffoldError::InvalidName`].
pub fn check_name(name: &str) -> Result<(), ScaffoldError> {
    if is_function_name(name) {
        Ok(())
    } else {
        Err(ScaffoldError::InvalidName {
            name: name.to_string(),
        })
    }
}

/// The template called `name`.
///
/// # Errors
/// [`ScaffoldError::UnknownTemplate`] listing the templates.
pub fn find_template(name: &str) -> Result<&'static Template, ScaffoldError> {
    Template::find(name).ok_or_else(|| ScaffoldError::UnknownTemplate {
        name: name.to_string(),
        known: TEMPLATES
            .iter()
            .map(|t| format!("`{}`", t.name))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Creates a project in `dir` (created if missing) with one function.
///
/// # Errors
/// A [`ScaffoldError`]; on any error after writing began, everything written
/// is removed again.
pub fn new_project(dir: &Path, spec: &NewFunction<'_>) -> Result<Generated, ScaffoldError> {
    check_name(spec.name)?;
    let route = parse_route(spec)?;
    let config_path = dir.join(CONFIG_FILE_NAME);
    if config_path.exists() {
        return Err(ScaffoldError::AlreadyAProject {
            path: dir.to_path_buf(),
        });
    }
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !spec.force {
        return Err(ScaffoldError::FolderExists {
            path: dir.to_path_buf(),
        });
    }
    let mut changes = Changes::default();
    let generated = (|| {
        changes
            .create_dir_all(dir)
            .map_err(|source| io("create", dir, source))?;
        let mut plan = Plan::new(dir, config_path.clone(), spec.name, spec, route)?;
        for (rel, text) in files_under(PROJECT_FILES) {
            plan.write(&mut changes, &dir.join(rel), text)?;
        }
        plan.generate(&mut changes, true)
    })();
    finish(generated, changes, &config_path)
}

/// Adds a function to the project whose config is `config_path`.
///
/// # Errors
/// A [`ScaffoldError`]; on any error after writing began, the config is put
/// back byte for byte and the new files are removed.
pub fn add_function(
    config_path: &Path,
    spec: &NewFunction<'_>,
) -> Result<Generated, ScaffoldError> {
    check_name(spec.name)?;
    let route = parse_route(spec)?;
    let project = Project::load(config_path).map_err(ScaffoldError::Config)?;
    if project.functions.contains_key(spec.name) {
        return Err(ScaffoldError::FunctionExists {
            name: spec.name.to_string(),
            config: config_path.to_path_buf(),
        });
    }
    let plan = Plan::new(
        &project.root,
        config_path.to_path_buf(),
        &project.name,
        spec,
        route,
    )?;
    if plan.function_dir.exists() && !spec.force {
        return Err(ScaffoldError::FolderExists {
            path: plan.function_dir,
        });
    }
    let mut changes = Changes::default();
    let generated = plan.generate(&mut changes, false);
    finish(generated, changes, config_path)
}

/// Validates the written project as every command will read it; undoes
/// everything if it (or writing it) failed.
fn finish(
    generated: Result<Generated, ScaffoldError>,
    changes: Changes,
    config_path: &Path,
) -> Result<Generated, ScaffoldError> {
    let error = match generated {
        Ok(generated) => match Project::load(config_path) {
            Ok(_) => return Ok(generated),
            Err(error) => error,
        },
        Err(error) => {
            changes.undo();
            return Err(error);
        }
    };
    let failed = changes.undo();
    let undone = if failed.is_empty() {
        format!(
            "nothing was changed: {} is as it was and the new files were removed",
            config_path.display()
        )
    } else {
        let paths: Vec<String> = failed.iter().map(|p| p.display().to_string()).collect();
        format!("undoing the changes failed for {}", paths.join(", "))
    };
    Err(ScaffoldError::Rejected { error, undone })
}

fn parse_route(spec: &NewFunction<'_>) -> Result<Route, ScaffoldError> {
    let text = match spec.route {
        Some(route) => route.to_string(),
        None => format!("GET /{}", spec.name),
    };
    Route::parse(&text).map_err(|error| ScaffoldError::InvalidRoute {
        route: text,
        message: error.message,
        help: error.help,
    })
}

/// A request path `route` matches: parameters and wildcards get their names.
fn example_path(route: &Route) -> String {
    let segments: Vec<&str> = route
        .path
        .segments
        .iter()
        .map(|segment| match segment {
            Segment::Static(text) | Segment::Param(text) | Segment::Wildcard(text) => text.as_str(),
        })
        .collect();
    format!("/{}", segments.join("/"))
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> ScaffoldError {
    ScaffoldError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `program` is an executable file in a folder of `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// One function about to be written into the project at `root`.
struct Plan {
    root: PathBuf,
    config_path: PathBuf,
    template: &'static Template,
    function_dir: PathBuf,
    sdk: Option<SdkPlace>,
    route: Route,
    vars: Vars,
    files: Vec<PathBuf>,
}

impl Plan {
    fn new(
        root: &Path,
        config_path: PathBuf,
        project: &str,
        spec: &NewFunction<'_>,
        route: Route,
    ) -> Result<Plan, ScaffoldError> {
        let sdk = if spec.template.uses_sdk {
            Some(sdk::locate(root).ok_or_else(|| {
                ScaffoldError::NoSdkFolder {
                    tried: sdk::candidates(root)
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" and "),
                }
            })?)
        } else {
            None
        };
        let sdk_folder = sdk.as_ref().map_or("sdk", SdkPlace::folder);
        let sdk_note = match &sdk {
            Some(SdkPlace::Vendor(folder)) => format!(
                "`{folder}/` is a copy of the wasmfaas guest SDK. The Rust functions depend\n\
                 on it by path, so they build offline, with no crates.io access: commit it\n\
                 with them.\n"
            ),
            _ => String::new(),
        };
        let dir = format!("{FUNCTIONS_DIR}/{}", spec.name);
        Ok(Plan {
            root: root.to_path_buf(),
            function_dir: root.join(FUNCTIONS_DIR).join(spec.name),
            config_path,
            template: spec.template,
            vars: Vars {
                name: spec.name.to_string(),
                project: project.to_string(),
                dir,
                route: route.text.clone(),
                path: example_path(&route),
                sdk_path: format!("../../{sdk_folder}"),
                sdk_note,
            },
            sdk,
            route,
            files: Vec::new(),
        })
    }

    /// Writes a template file with the placeholders replaced.
    fn write(
        &mut self,
        changes: &mut Changes,
        path: &Path,
        text: &str,
    ) -> Result<(), ScaffoldError> {
        let is_toml = path.extension().is_some_and(|ext| ext == "toml");
        let rendered = self.vars.render(text, is_toml);
        changes
            .write(path, rendered.as_bytes())
            .map_err(|source| io("write", path, source))?;
        self.files.push(path.to_path_buf());
        Ok(())
    }

    /// Writes the SDK if needed, the function's files, and its config table.
    fn generate(
        mut self,
        changes: &mut Changes,
        new_project: bool,
    ) -> Result<Generated, ScaffoldError> {
        if let Some(SdkPlace::Vendor(folder)) = &self.sdk {
            for (path, text) in SDK_FILES {
                let rel = path.strip_prefix("sdk/").unwrap_or(path);
                let target = self.root.join(folder).join(rel);
                changes
                    .write(&target, text.as_bytes())
                    .map_err(|source| io("write", &target, source))?;
            }
        }
        changes
            .create_dir_all(&self.function_dir)
            .map_err(|source| io("create", &self.function_dir, source))?;
        for (rel, text) in self.template.function_files() {
            let path = self.function_dir.join(rel);
            self.write(changes, &path, text)?;
        }
        self.append_config(changes)?;
        let missing_compiler = self.template.compiler.filter(|c| !on_path(c.program));
        Ok(Generated {
            root: self.root,
            config_path: self.config_path,
            new_project,
            function_dir: self.function_dir,
            files: self.files,
            sdk: self.sdk,
            route: self.route,
            path: self.vars.path,
            missing_compiler,
        })
    }

    /// Appends the function's table to the config, after a blank line, in the
    /// file's own line endings; the existing text is left exactly as it is.
    fn append_config(&mut self, changes: &mut Changes) -> Result<(), ScaffoldError> {
        let path = self.config_path.clone();
        let original = std::fs::read(&path).map_err(|source| io("read", &path, source))?;
        let crlf = original.windows(2).any(|pair| pair == b"\r\n");
        let newline: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut text = original.clone();
        if !text.is_empty() {
            if !text.ends_with(b"\n") {
                text.extend_from_slice(newline);
            }
            text.extend_from_slice(newline);
        }
        let snippet = self.vars.render(self.template.config_snippet(), true);
        let snippet = if crlf {
            snippet.replace('\n', "\r\n")
        } else {
            snippet
        };
        text.extend_from_slice(snippet.as_bytes());
        changes
            .write(&path, &text)
            .map_err(|source| io("write", &path, source))?;
        if !self.files.contains(&path) {
            self.files.push(path);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
