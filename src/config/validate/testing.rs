//! The schema of recording and snapshot testing: `[record]` and `[test]`.

use super::{Cx, Result, Value};
use crate::config::raw::RawValue;
use crate::config::{RecordConfig, TestConfig};
use std::path::PathBuf;

const RECORD_KEYS: &[&str] = &["dir", "redact_headers"];
const TEST_KEYS: &[&str] = &[
    "fixtures",
    "snapshots",
    "fuel_tolerance",
    "redact_headers",
    "redact",
];

impl Cx<'_> {
    /// `[record]`.
    pub(super) fn record(&self, value: Option<&Value>) -> Result<RecordConfig> {
        let mut config = RecordConfig::default();
        let Some(value) = value else {
            return Ok(config);
        };
        let table = self.table(value, "record", "write a `[record]` table")?;
        self.check_keys(table, RECORD_KEYS, "record")?;
        if let Some(dir) = table.get("dir") {
            config.dir = self.folder(dir, "record.dir", "dir = \"fixtures\"")?;
        }
        config.redact_headers =
            self.header_names(table.get("redact_headers"), "record.redact_headers")?;
        Ok(config)
    }

    /// `[test]`.
    pub(super) fn test(&self, value: Option<&Value>) -> Result<TestConfig> {
        let mut config = TestConfig::default();
        let Some(value) = value else {
            return Ok(config);
        };
        let table = self.table(value, "test", "write a `[test]` table")?;
        self.check_keys(table, TEST_KEYS, "test")?;
        if let Some(dir) = table.get("fixtures") {
            config.fixtures = self.folder(dir, "test.fixtures", "fixtures = \"fixtures\"")?;
        }
        if let Some(dir) = table.get("snapshots") {
            config.snapshots = self.folder(dir, "test.snapshots", "snapshots = \"snapshots\"")?;
        }
        if let Some(tolerance) = table.get("fuel_tolerance") {
            config.fuel_tolerance_percent = self.percent(tolerance, "test.fuel_tolerance")?;
        }
        config.redact_headers =
            self.header_names(table.get("redact_headers"), "test.redact_headers")?;
        config.redact = self
            .string_list(
                table.get("redact"),
                "test.redact",
                "redact = [\".response.json.id\"]",
            )?
            .into_iter()
            .map(|(text, span)| {
                crate::snapshot::redact::Selector::parse(text).map_err(|e| {
                    self.error(
                        span,
                        "test.redact",
                        e.to_string(),
                        "write insta-style selectors such as `.response.json.id`, \
                             `.writes[].body` or `.response.json.*`",
                    )
                })
            })
            .collect::<Result<_>>()?;
        Ok(config)
    }

    /// A folder relative to the project, that must stay inside it.
    fn folder(&self, value: &Value, key: &str, example: &str) -> Result<PathBuf> {
        let text = self.string(value, key, &format!("write `{example}`"))?;
        let path = PathBuf::from(text);
        if text.is_empty() || path.is_absolute() || text.split(['/', '\\']).any(|part| part == "..")
        {
            return Err(self.error(
                value.span(),
                key,
                format!("`{key}` is {text:?}; it must be a folder inside the project"),
                format!("write a relative path such as `{example}`"),
            ));
        }
        Ok(path)
    }

    /// Header names, lowercased.
    fn header_names(&self, value: Option<&Value>, key: &str) -> Result<Vec<String>> {
        let names = self.string_list(value, key, "redact_headers = [\"x-session-id\"]")?;
        names
            .into_iter()
            .map(|(name, span)| {
                let valid = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b));
                if valid {
                    Ok(name.to_ascii_lowercase())
                } else {
                    Err(self.error(
                        span,
                        key,
                        format!("{name:?} is not an HTTP header name"),
                        "write header names such as `x-session-id`",
                    ))
                }
            })
            .collect()
    }

    /// `"5%"`, `5` or `2.5`: a percentage, at least 0.
    fn percent(&self, value: &Value, key: &str) -> Result<f64> {
        let help =
            "write a percentage such as `fuel_tolerance = \"5%\"` (0 means fuel must not grow)";
        let number = match value.get_ref() {
            RawValue::String(text) => text
                .trim()
                .strip_suffix('%')
                .and_then(|n| n.trim().parse::<f64>().ok()),
            RawValue::Integer(n) => Some(*n as f64),
            RawValue::Float(n) => Some(*n),
            _ => return Err(self.wrong_type(value, key, "a percentage", help)),
        };
        match number {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(n),
            _ => Err(self.error(
                value.span(),
                key,
                format!(
                    "`{key}` is {}, not a percentage of at least 0",
                    self.source_of(value)
                ),
                help,
            )),
        }
    }
}
