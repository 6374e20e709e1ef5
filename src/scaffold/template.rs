//! The template catalogue and the `{{placeholder}}` substitution.
//!
//! A template is a folder `templates/<name>/`: `function.toml` is the
//! `[functions.<name>]` table appended to `wasmfaas.toml`, and every other file
//! is copied into the function's folder. `templates/_project/` holds the files
//! of a new project itself. Substitution is plain text replacement of the
//! placeholders listed in [`Vars`], so template files stay readable (and Rust's
//! own `{{` in format strings is left alone).

use super::embedded::{EmbeddedFile, TEMPLATE_FILES};

/// A function template `wasmfaas new --template <name>` can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// The name `--template` takes, and the folder under `templates/`.
    pub name: &'static str,
    /// One line for `wasmfaas new --list` and `--help`.
    pub summary: &'static str,
    /// Whether the function is a Rust crate depending on the guest SDK.
    pub uses_sdk: bool,
    /// A program the build command needs, checked when generating.
    pub compiler: Option<Compiler>,
}

/// A program a template's build command runs, and how to install it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compiler {
    /// The executable looked up on `PATH`.
    pub program: &'static str,
    /// What to install when it is missing.
    pub install: &'static str,
}

/// The template used without `--template`.
pub const DEFAULT_TEMPLATE: &str = "rust-http";

/// Every template, in the order `--list` shows them.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "rust-http",
        summary: "Rust with the wasmfaas SDK's `serve`, answering JSON (abi = \"http\")",
        uses_sdk: true,
        compiler: None,
    },
    Template {
        name: "rust-lambda",
        summary: "Rust written as an AWS Lambda handler for an API Gateway HTTP API \
                  (abi = \"lambda\", event = \"apigw-v2\")",
        uses_sdk: true,
        compiler: None,
    },
    Template {
        name: "c-cgi",
        summary: "a C CGI program built by clang for WASI (abi = \"cgi\")",
        uses_sdk: false,
        compiler: Some(Compiler {
            program: "clang",
            install: "on Debian or Ubuntu: `apt-get install clang lld wasi-libc \
                      libclang-rt-14-dev-wasm32` (the libclang-rt package matching your \
                      clang version), or use wasi-sdk",
        }),
    },
    Template {
        name: "wat",
        summary: "hand-written WebAssembly text speaking the http ABI through WASI, \
                  commented for learning (abi = \"http\")",
        uses_sdk: false,
        compiler: None,
    },
];

/// The folder under `templates/` with a new project's own files.
pub(super) const PROJECT_FILES: &str = "_project";

/// The file of a template that becomes the function's table in `wasmfaas.toml`.
pub(super) const CONFIG_SNIPPET: &str = "function.toml";

impl Template {
    /// The template called `name`.
    pub fn find(name: &str) -> Option<&'static Template> {
        TEMPLATES.iter().find(|t| t.name == name)
    }

    /// The files copied into the function's folder: paths relative to it, and
    /// their text (placeholders not yet replaced).
    pub fn function_files(&self) -> Vec<EmbeddedFile> {
        files_under(self.name)
            .into_iter()
            .filter(|(path, _)| *path != CONFIG_SNIPPET)
            .collect()
    }

    /// The `[functions.<name>]` table for `wasmfaas.toml` (placeholders not yet
    /// replaced).
    pub fn config_snippet(&self) -> &'static str {
        files_under(self.name)
            .into_iter()
            .find(|(path, _)| *path == CONFIG_SNIPPET)
            .map_or("", |(_, text)| text)
    }
}

/// The embedded files under `templates/<folder>/`, paths relative to it.
pub(super) fn files_under(folder: &str) -> Vec<EmbeddedFile> {
    let prefix = format!("templates/{folder}/");
    TEMPLATE_FILES
        .iter()
        .filter_map(|(path, text)| path.strip_prefix(&prefix).map(|rel| (rel, *text)))
        .collect()
}

/// The values of the placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vars {
    /// `{{name}}`: the function's name.
    pub name: String,
    /// `{{project}}`: the project's name.
    pub project: String,
    /// `{{dir}}`: the function's folder relative to the project root, with `/`.
    pub dir: String,
    /// `{{route}}`: the function's route, such as `GET /hello`.
    pub route: String,
    /// `{{path}}`: a request path the route matches, such as `/hello`.
    pub path: String,
    /// `{{sdk_path}}`: the SDK's folder relative to the function's folder.
    pub sdk_path: String,
    /// `{{sdk_note}}`: a sentence about the vendored SDK, or nothing.
    pub sdk_note: String,
}

impl Vars {
    /// Every placeholder a template may use, as written in template files.
    pub const PLACEHOLDERS: &'static [&'static str] = &[
        "{{name}}",
        "{{project}}",
        "{{dir}}",
        "{{route}}",
        "{{path}}",
        "{{sdk_path}}",
        "{{sdk_note}}",
    ];

    fn values(&self) -> [&str; 7] {
        [
            &self.name,
            &self.project,
            &self.dir,
            &self.route,
            &self.path,
            &self.sdk_path,
            &self.sdk_note,
        ]
    }

    /// `text` with every placeholder replaced. In a TOML file (`toml`) the
    /// values are escaped for a basic string, where all of them appear.
    pub fn render(&self, text: &str, toml: bool) -> String {
        let mut out = text.to_string();
        for (placeholder, value) in Self::PLACEHOLDERS.iter().zip(self.values()) {
            let value = if toml {
                value.replace('\\', "\\\\").replace('"', "\\\"")
            } else {
                value.to_string()
            };
            out = out.replace(placeholder, &value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{CONFIG_SNIPPET, PROJECT_FILES, TEMPLATES, Template, Vars, files_under};
    use crate::scaffold::embedded::TEMPLATE_FILES;

    fn vars() -> Vars {
        Vars {
            name: "api".into(),
            project: "demo".into(),
            dir: "functions/api".into(),
            route: "GET /api".into(),
            path: "/api".into(),
            sdk_path: "../../sdk".into(),
            sdk_note: String::new(),
        }
    }

    /// Every `{{word}}` in `text` (word: lowercase letters and `_`).
    fn placeholders(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let word: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !word.is_empty() && after[word.len()..].starts_with("}}") {
                found.push(format!("{{{{{word}}}}}"));
            }
            rest = after;
        }
        found
    }

    #[test]
    fn every_template_has_a_folder_a_config_snippet_and_files() {
        for template in TEMPLATES {
            assert!(
                template.config_snippet().contains("[functions.{{name}}]"),
                "{}",
                template.name
            );
            assert!(!template.function_files().is_empty(), "{}", template.name);
        }
    }

    #[test]
    fn every_template_folder_is_in_the_catalogue() {
        for (path, _) in TEMPLATE_FILES {
            let folder = path.split('/').nth(1).unwrap();
            assert!(
                folder == PROJECT_FILES || Template::find(folder).is_some(),
                "templates/{folder} is not in TEMPLATES"
            );
        }
        assert!(
            files_under(PROJECT_FILES)
                .iter()
                .any(|(p, _)| *p == "wasmfaas.toml")
        );
    }

    #[test]
    fn templates_use_only_known_placeholders_and_rendering_leaves_none() {
        for (path, text) in TEMPLATE_FILES {
            for found in placeholders(text) {
                assert!(
                    Vars::PLACEHOLDERS.contains(&found.as_str()),
                    "{path} uses the unknown placeholder {found}"
                );
            }
            let rendered = vars().render(text, path.ends_with(".toml"));
            assert_eq!(placeholders(&rendered), Vec::<String>::new(), "{path}");
        }
    }

    #[test]
    fn only_sdk_templates_depend_on_the_sdk() {
        for template in TEMPLATES {
            let depends = template
                .function_files()
                .iter()
                .any(|(path, text)| *path == "Cargo.toml" && text.contains("{{sdk_path}}"));
            assert_eq!(depends, template.uses_sdk, "{}", template.name);
        }
    }

    #[test]
    fn toml_values_are_escaped_and_other_files_get_them_as_they_are() {
        let mut vars = vars();
        vars.route = r#"GET /a"b\c"#.into();
        assert_eq!(
            vars.render("r = \"{{route}}\"", true),
            r#"r = "GET /a\"b\\c""#
        );
        assert_eq!(vars.render("// {{route}}", false), r#"// GET /a"b\c"#);
    }

    #[test]
    fn the_snippet_file_is_not_copied_into_the_function() {
        for template in TEMPLATES {
            assert!(
                template
                    .function_files()
                    .iter()
                    .all(|(path, _)| *path != CONFIG_SNIPPET)
            );
        }
    }
}
