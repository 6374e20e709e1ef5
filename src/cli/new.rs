//! `wasmfaas new <name>`: a function from a template, added to the project
//! around the current folder, or, outside any project, a new project holding
//! it. The generation itself is `crate::scaffold`; this file picks where, and
//! tells the user what was written and what to run next.

use super::Failure;
use crate::config::{CONFIG_FILE_NAME, Project};
use crate::scaffold::{
    self, DEFAULT_TEMPLATE, Generated, NewFunction, ScaffoldError, SdkPlace, TEMPLATES,
};
use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser};
use std::path::{Path, PathBuf};

/// Arguments of `wasmfaas new`.
#[derive(Debug, Args)]
#[command(
    after_help = "Inside a project (a wasmfaas.toml here or in a parent folder), \
    the function is added to it: functions/<name>/ and a [functions.<name>] table \
    appended to wasmfaas.toml. Elsewhere, a new project is created in ./<name>."
)]
pub struct NewArgs {
    /// The function's name, also the new project's: lowercase letters, digits,
    /// `-` and `_`, starting with a letter.
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// The template to start from.
    #[arg(long, short, default_value = DEFAULT_TEMPLATE, value_parser = template_names())]
    pub template: String,
    /// Create a new project in DIR, even inside another project (default:
    /// `./<name>` outside a project).
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// The function's route (default: `GET /<name>`).
    #[arg(long, value_name = "ROUTE")]
    pub route: Option<String>,
    /// Write into a folder that already exists, replacing files the template
    /// also has.
    #[arg(long)]
    pub force: bool,
    /// List the templates and exit.
    #[arg(long, conflicts_with_all = ["name", "path", "route", "force"])]
    pub list: bool,
}

/// The templates as clap's possible values, so `--help` describes them and an
/// unknown one is a usage error listing them.
fn template_names() -> PossibleValuesParser {
    PossibleValuesParser::new(
        TEMPLATES
            .iter()
            .map(|template| PossibleValue::new(template.name).help(template.summary)),
    )
}

/// Runs `wasmfaas new`. `config` is the global `--config`: the project to add to.
///
/// # Errors
/// [`Failure::Usage`] for a name, route, template or folder the user must
/// change (nothing is written), or a config the new function would make
/// invalid (everything written is undone); [`Failure::Failed`] when the disk fails.
pub fn run(args: &NewArgs, config: Option<&Path>, quiet: bool) -> Result<(), Failure> {
    if args.list {
        print!("{}", template_list());
        return Ok(());
    }
    let Some(name) = args.name.as_deref() else {
        return Err(Failure::Usage(
            "name the function: `wasmfaas new <name>`".into(),
        ));
    };
    let template = scaffold::find_template(&args.template).map_err(failure)?;
    let spec = NewFunction {
        name,
        template,
        route: args.route.as_deref(),
        force: args.force,
    };
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::Usage(format!("cannot read the current folder: {e}")))?;
    let (generated, project_dir) = match (&args.path, config) {
        (Some(dir), _) => (scaffold::new_project(dir, &spec), Some(dir.clone())),
        (None, Some(config)) => (scaffold::add_function(config, &spec), None),
        (None, None) => match Project::discover(&cwd) {
            Some(config) => (scaffold::add_function(&config, &spec), None),
            None => {
                // Check the name first, so `wasmfaas new ../x` is refused as a
                // name rather than creating a folder in the parent.
                scaffold::check_name(name).map_err(failure)?;
                let dir = PathBuf::from(name);
                (scaffold::new_project(&cwd.join(&dir), &spec), Some(dir))
            }
        },
    };
    let generated = generated.map_err(failure)?;
    if let Some(compiler) = generated.missing_compiler {
        eprintln!(
            "note: `{}` is not on PATH, and the `{}` template's build runs it; {}",
            compiler.program, template.name, compiler.install
        );
    }
    if !quiet {
        print!(
            "{}",
            report(&generated, template.name, project_dir.as_deref(), &cwd)
        );
    }
    Ok(())
}

fn failure(error: ScaffoldError) -> Failure {
    match error.exit_code() {
        2 => Failure::Usage(error.to_string()),
        _ => Failure::Failed(error.to_string()),
    }
}

/// `wasmfaas new --list`: one template per line, the default marked.
fn template_list() -> String {
    let width = TEMPLATES.iter().map(|t| t.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for template in TEMPLATES {
        let default = if template.name == DEFAULT_TEMPLATE {
            " (default)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:width$}  {}{default}\n",
            template.name, template.summary
        ));
    }
    out
}

/// What was written, and the commands to try it. `project_dir` is the new
/// project's folder as the user gave it (`None` when a function was added).
fn report(generated: &Generated, template: &str, project_dir: Option<&Path>, cwd: &Path) -> String {
    let name = generated
        .function_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = match project_dir {
        Some(dir) => format!(
            "Created the project `{name}` in {} from the template `{template}`:\n",
            dir.display()
        ),
        None => format!(
            "Added the function `{name}` (template `{template}`, route `{}`) to {}:\n",
            generated.route,
            shown(&generated.config_path, cwd)
        ),
    };
    for file in &generated.files {
        let rel = file.strip_prefix(&generated.root).unwrap_or(file);
        let note = if rel == Path::new(CONFIG_FILE_NAME) && project_dir.is_none() {
            format!("  (appended [functions.{name}])")
        } else {
            String::new()
        };
        out.push_str(&format!("  {}{note}\n", rel.display()));
    }
    if let Some(SdkPlace::Vendor(folder)) = &generated.sdk {
        out.push_str(&format!(
            "  {folder}/  (the wasmfaas SDK, copied so Rust functions build offline)\n"
        ));
    }
    // The command must match the route: its method, and a body for the
    // methods that carry one.
    let method = generated.route.method.map_or("GET", |m| m.as_str());
    let invoke = match method {
        "GET" => format!(
            "wasmfaas invoke {name} --path {}",
            shell_quote(&format!("{}?name=Ada", generated.path))
        ),
        "POST" | "PUT" | "PATCH" => format!(
            "wasmfaas invoke {name} -X {method} --path {} --body {}",
            shell_quote(&generated.path),
            shell_quote(r#"{"name":"Ada"}"#)
        ),
        _ => format!(
            "wasmfaas invoke {name} -X {method} --path {}",
            shell_quote(&generated.path)
        ),
    };
    out.push_str("Next:\n");
    match project_dir {
        Some(dir) => out.push_str(&format!(
            "  cd {} && {invoke}\n",
            shell_quote(&dir.display().to_string())
        )),
        None => out.push_str(&format!("  {invoke}\n")),
    }
    out.push_str(&format!(
        "  wasmfaas dev    (serves `{}` on http://127.0.0.1:8787)\n",
        generated.route
    ));
    out
}

/// `path` relative to `cwd` when it is under it.
fn shown(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

/// `text` as one shell word: as it is when that is safe, else single-quoted.
fn shell_quote(text: &str) -> String {
    let safe = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe && !text.is_empty() {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::{shell_quote, template_list};
    use crate::scaffold::TEMPLATES;

    #[test]
    fn the_list_names_every_template_once_and_marks_the_default() {
        let list = template_list();
        assert_eq!(list.lines().count(), TEMPLATES.len());
        for template in TEMPLATES {
            assert!(list.contains(template.name), "{list}");
        }
        assert!(
            list.lines().next().unwrap().ends_with("(default)"),
            "{list}"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("my-app"), "my-app");
        assert_eq!(shell_quote("/hello?name=Ada"), "'/hello?name=Ada'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
