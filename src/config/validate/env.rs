//! The schema of a function's `env` table: variable names and values.

use std::collections::BTreeMap;

use toml::Spanned;

use super::raw::RawValue;
use super::{Cx, Result, Value};

impl Cx<'_> {
    pub(super) fn env(
        &self,
        value: Option<&Value>,
        function_key: &str,
    ) -> Result<BTreeMap<String, String>> {
        let Some(value) = value else {
            return Ok(BTreeMap::new());
        };
        let key = format!("{function_key}.env");
        let table = self.table(value, &key, "write `env = { GREETING = \"hi\" }`")?;
        table
            .iter()
            .map(|(name, value)| {
                Ok((
                    self.env_name(name, &key)?,
                    self.env_value(name, value, &key)?,
                ))
            })
            .collect()
    }

    pub(super) fn env_name(&self, name: &Spanned<String>, env_key: &str) -> Result<String> {
        let text = name.get_ref();
        let valid = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(self.error(
                name.span(),
                &format!("{env_key}.{text}"),
                format!("invalid environment variable name `{text}`"),
                "names start with a letter or `_` and contain only letters, digits and `_`",
            ));
        }
        Ok(text.clone())
    }

    pub(super) fn env_value(
        &self,
        name: &Spanned<String>,
        value: &Value,
        env_key: &str,
    ) -> Result<String> {
        let name = name.get_ref();
        let help = match value.get_ref() {
            RawValue::String(text) => return Ok(text.clone()),
            RawValue::Array(_) | RawValue::Table(_) => {
                format!("environment values are strings, e.g. `{name} = \"value\"`")
            }
            _ => format!("quote it: `{name} = \"{}\"`", self.source_of(value)),
        };
        Err(self.wrong_type(value, &format!("{env_key}.{name}"), "a string", &help))
    }
}
