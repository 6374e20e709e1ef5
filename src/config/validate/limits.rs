//! The schema of `[functions.NAME.limits]`: integer bounds and byte sizes
//! (`6MiB`, `10MB`).

use std::time::Duration;

use super::raw::RawValue;
use super::{Cx, Limits, Result, Value};

impl Cx<'_> {
    pub(super) fn limits(&self, value: Option<&Value>, function_key: &str) -> Result<Limits> {
        let mut limits = Limits::default();
        let Some(value) = value else {
            return Ok(limits);
        };
        let key = format!("{function_key}.limits");
        let table = self.table(value, &key, &format!("write a `[{key}]` table"))?;
        self.check_keys(table, LIMIT_KEYS, &key)?;
        for (field, value) in table {
            let field_key = format!("{key}.{}", field.get_ref());
            match field.get_ref().as_str() {
                "fuel" => limits.fuel = self.int_in(value, &field_key, &FUEL)?,
                "memory_mb" => {
                    limits.memory_bytes = self.int_in(value, &field_key, &MEMORY_MB)? * MIB
                }
                "timeout_ms" => {
                    limits.timeout =
                        Duration::from_millis(self.int_in(value, &field_key, &TIMEOUT_MS)?);
                }
                "max_body_bytes" => limits.max_body_bytes = self.size(value, &field_key)?,
                "max_response_bytes" => limits.max_response_bytes = self.size(value, &field_key)?,
                "max_log_bytes" => limits.max_log_bytes = self.size(value, &field_key)?,
                "subrequests" => {
                    let count = self.int_in(value, &field_key, &SUBREQUESTS)?;
                    limits.subrequests = u32::try_from(count).unwrap_or(u32::MAX);
                }
                // Anything else was rejected by check_keys above.
                _ => {}
            }
        }
        Ok(limits)
    }

    pub(super) fn int_in(&self, value: &Value, key: &str, rule: &IntRule) -> Result<u64> {
        let RawValue::Integer(number) = *value.get_ref() else {
            let help = format!(
                "write a whole number without quotes, e.g. `{}`",
                rule.example
            );
            return Err(self.wrong_type(value, key, "an integer", &help));
        };
        let problem = if number < rule.min && rule.min == 1 {
            "must be greater than 0".to_string()
        } else if number < rule.min {
            format!("must be at least {}", rule.min)
        } else if number > rule.max {
            format!("must be at most {}", rule.max)
        } else {
            // Every rule's minimum is positive, so this is the number itself.
            return Ok(number.unsigned_abs());
        };
        Err(self.error(
            value.span(),
            key,
            format!("`{key}` {problem}, found {number}"),
            format!("{}, e.g. `{}`", rule.why, rule.example),
        ))
    }

    /// A byte count: a non-negative integer or a size string like `"6MiB"`.
    pub(super) fn size(&self, value: &Value, key: &str) -> Result<u64> {
        match value.get_ref() {
            RawValue::Integer(number) => u64::try_from(*number).map_err(|_| {
                self.error(
                    value.span(),
                    key,
                    format!("`{key}` must not be negative, found {number}"),
                    SIZE_HELP,
                )
            }),
            RawValue::String(text) => parse_size(text).ok_or_else(|| {
                self.error(
                    value.span(),
                    key,
                    format!("`{key}` has an invalid size `{text}`"),
                    SIZE_HELP,
                )
            }),
            _ => Err(self.wrong_type(value, key, "an integer or a size string", SIZE_HELP)),
        }
    }
}

pub(super) const LIMIT_KEYS: &[&str] = &[
    "fuel",
    "memory_mb",
    "timeout_ms",
    "max_body_bytes",
    "max_response_bytes",
    "max_log_bytes",
    "subrequests",
];

pub(super) const KIB: u64 = 1024;

pub(super) const MIB: u64 = 1024 * KIB;

pub(super) const GIB: u64 = 1024 * MIB;

pub(super) const SIZE_HELP: &str = "write a byte count or a size such as `6MiB`, `10MB` or `512KiB` (units: B, KB, MB, GB, KiB, MiB, GiB)";

/// An integer limit: its bounds and how to explain them.
pub(super) struct IntRule {
    pub(super) min: i64,
    pub(super) max: i64,
    pub(super) example: &'static str,
    pub(super) why: &'static str,
}

pub(super) const FUEL: IntRule = IntRule {
    min: 1,
    max: i64::MAX,
    example: "fuel = 1000000000",
    why: "fuel is the instruction budget of one invocation",
};

pub(super) const SUBREQUESTS: IntRule = IntRule {
    min: 0,
    max: 10_000,
    example: "subrequests = 50",
    why: "the outbound requests one invocation may make",
};

pub(super) const MEMORY_MB: IntRule = IntRule {
    min: 1,
    max: 4096,
    example: "memory_mb = 128",
    why: "a wasm32 memory holds at most 4 GiB",
};

pub(super) const TIMEOUT_MS: IntRule = IntRule {
    min: 1,
    max: 900_000,
    example: "timeout_ms = 3000",
    why: "the longest timeout is 15 minutes, AWS Lambda's maximum",
};

/// Parses `"512"`, `"64KiB"`, `"10 MB"`: digits, then an optional unit.
/// Decimal units (KB, MB, GB) are powers of 1000, binary ones (KiB, ...) of 1024.
pub(super) fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let multiplier = match unit.trim_start() {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => KIB,
        "MiB" => MIB,
        "GiB" => GIB,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(multiplier)
}
