//! What a function may call and read beyond its bindings: `outbound`
//! origins, `services` (other functions of the project) and `secrets`
//! (names read from the project's secrets file).

use std::collections::{BTreeMap, HashSet};

use super::{Cx, RawValue, Result, Value};
use crate::config::Function;
use crate::config::outbound::OutboundRule;

impl Cx<'_> {
    /// `outbound = ["https://api.example.com", "http://127.0.0.1:4000/v1/*"]`.
    pub(super) fn outbound(
        &self,
        value: Option<&Value>,
        function_key: &str,
    ) -> Result<Vec<OutboundRule>> {
        let key = format!("{function_key}.outbound");
        let example = "outbound = [\"https://api.example.com\", \"http://127.0.0.1:4000/v1/*\"]";
        let mut seen = HashSet::new();
        let mut rules = Vec::new();
        for (text, span) in self.string_list(value, &key, example)? {
            let rule = OutboundRule::parse(text).map_err(|problem| {
                self.error(
                    span.clone(),
                    &key,
                    format!("invalid outbound rule `{text}`"),
                    problem,
                )
            })?;
            if !seen.insert(text) {
                return Err(self.error(
                    span,
                    &key,
                    format!("`{key}` lists `{text}` twice"),
                    format!("remove the second `{text}`"),
                ));
            }
            rules.push(rule);
        }
        Ok(rules)
    }

    /// `secrets = ["STRIPE_KEY"]`: environment variable names, none also in
    /// the function's `env`.
    pub(super) fn secrets(
        &self,
        value: Option<&Value>,
        function_key: &str,
        env: &BTreeMap<String, String>,
    ) -> Result<Vec<String>> {
        let key = format!("{function_key}.secrets");
        let mut names = Vec::new();
        for (text, span) in self.string_list(value, &key, "secrets = [\"STRIPE_KEY\"]")? {
            let valid = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let problem = if !valid {
                Some((
                    format!("invalid secret name `{text}`"),
                    "a secret becomes an environment variable: names start with a letter or \
                     `_` and contain only letters, digits and `_`"
                        .to_string(),
                ))
            } else if env.contains_key(text) {
                Some((
                    format!("`{text}` is both a secret and in `{function_key}.env`"),
                    format!(
                        "keep the value in the secrets file only and remove `{text}` from `env`"
                    ),
                ))
            } else if names.iter().any(|name| name == text) {
                Some((
                    format!("`{key}` lists `{text}` twice"),
                    format!("remove the second `{text}`"),
                ))
            } else {
                None
            };
            if let Some((message, help)) = problem {
                return Err(self.error(span, &key, message, help));
            }
            names.push(text.to_string());
        }
        Ok(names)
    }

    /// `services = ["pricing"]`: functions this one may call directly;
    /// checked against the project's functions once all are read.
    pub(super) fn services(
        &self,
        value: Option<&Value>,
        function_key: &str,
    ) -> Result<Vec<String>> {
        let key = format!("{function_key}.services");
        let mut names: Vec<String> = Vec::new();
        for (text, span) in self.string_list(value, &key, "services = [\"pricing\"]")? {
            if names.iter().any(|name| name == text) {
                return Err(self.error(
                    span,
                    &key,
                    format!("`{key}` lists `{text}` twice"),
                    format!("remove the second `{text}`"),
                ));
            }
            names.push(text.to_string());
        }
        Ok(names)
    }

    /// Every `services` entry names a function of the project.
    pub(super) fn check_services(
        &self,
        functions_value: Option<&Value>,
        functions: &BTreeMap<String, Function>,
    ) -> Result<()> {
        for function in functions.values() {
            for service in &function.services {
                if functions.contains_key(service) {
                    continue;
                }
                let key = format!("functions.{}.services", function.name);
                let span = self
                    .service_span(functions_value, &function.name, service)
                    .unwrap_or(0..0);
                let names: Vec<&str> = functions.keys().map(String::as_str).collect();
                return Err(self.error(
                    span,
                    &key,
                    format!(
                        "`{}` may call `{service}`, which is not a function of this project",
                        function.name
                    ),
                    format!("the functions are: {}", names.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn service_span(
        &self,
        functions_value: Option<&Value>,
        function: &str,
        service: &str,
    ) -> Option<std::ops::Range<usize>> {
        let RawValue::Table(functions) = functions_value?.get_ref() else {
            return None;
        };
        let RawValue::Table(table) = functions.get(function)?.get_ref() else {
            return None;
        };
        let RawValue::Array(list) = table.get("services")?.get_ref() else {
            return None;
        };
        list.iter()
            .find(|item| matches!(item.get_ref(), RawValue::String(s) if s == service))
            .map(|item| item.span())
    }
}
