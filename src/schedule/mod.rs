//! Schedule expressions as AWS EventBridge writes them: `rate(5 minutes)` and
//! `cron(0 12 * * ? *)`, parsed, checked against AWS's own rules, and asked
//! "when do you fire next?".
//!
//! This module owns the syntax and the calendar arithmetic only. It reads no
//! clock and fires nothing: callers pass instants in (nanoseconds since the
//! Unix epoch, UTC, as everywhere in wasmfaas) and get instants back, which
//! keeps every answer testable and lets `wasmfaas dev` and replays agree.
//!
//! Why emulate AWS's rules exactly, restrictions included (`rate(5 minute)`
//! is rejected, one day field must be `?`): an expression that works here must
//! also deploy, and one AWS refuses should fail here first, with the place and
//! the fix, rather than in a deployment pipeline.

mod cron;
mod rate;

use std::ops::Range;

pub use cron::Cron;
pub use rate::{Rate, RateUnit};

const NANOS_PER_MINUTE: u64 = 60_000_000_000;

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `rate(value unit)`: a fixed interval, counted from when the rule starts.
    Rate(Rate),
    /// `cron(minutes hours day-of-month month day-of-week year)`, in UTC.
    Cron(Cron),
}

/// Why an expression is not a valid schedule, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScheduleError {
    /// The byte span of the offending part, inside the expression as given.
    pub offset: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl ScheduleError {
    pub(crate) fn new(
        offset: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> ScheduleError {
        ScheduleError {
            offset,
            message: message.into(),
            help: help.into(),
        }
    }
}

impl Schedule {
    /// Parses `rate(...)` or `cron(...)`, with AWS's rules.
    ///
    /// # Errors
    /// A [`ScheduleError`] whose span points at the part of `expression` that
    /// breaks a rule: the field, the value, or the whole text when it is
    /// neither kind.
    pub fn parse(expression: &str) -> Result<Schedule, ScheduleError> {
        let kind_error = || {
            let lowercase = expression.trim().to_ascii_lowercase();
            let help = if expression.trim() != expression && !expression.trim().is_empty() {
                "remove the spaces around the expression".to_string()
            } else if lowercase.starts_with("rate(") || lowercase.starts_with("cron(") {
                "AWS writes `rate` and `cron` in lowercase, with no space before the parenthesis"
                    .to_string()
            } else {
                "write `rate(5 minutes)` for a fixed interval or `cron(0 12 * * ? *)` for \
                 times of day (minutes hours day-of-month month day-of-week year, in UTC)"
                    .to_string()
            };
            ScheduleError::new(
                0..expression.len(),
                "expected `rate(...)` or `cron(...)`",
                help,
            )
        };
        let (kind, inner_start) = if expression.starts_with("rate(") {
            ("rate", "rate(".len())
        } else if expression.starts_with("cron(") {
            ("cron", "cron(".len())
        } else {
            return Err(kind_error());
        };
        let Some(inner_end) = expression.strip_suffix(')').map(str::len) else {
            return Err(ScheduleError::new(
                0..expression.len(),
                format!("`{kind}(` is not closed"),
                format!("end the expression with `)`, e.g. `{}`", example(kind)),
            ));
        };
        let inner = inner_start..inner_end.max(inner_start);
        match kind {
            "rate" => rate::parse(expression, inner).map(Schedule::Rate),
            _ => cron::parse(expression, inner).map(Schedule::Cron),
        }
    }

    /// The first firing strictly after `after_ns`, in nanoseconds since the Unix
    /// epoch (UTC); `None` when there is none (a cron whose years are past, or
    /// whose days never occur, such as February 30).
    ///
    /// `anchor_ns` is when the schedule started (for `wasmfaas dev`: when the
    /// server started): AWS counts a rate from when the rule is created, so a
    /// rate fires at `anchor + n × interval` for n ≥ 1. Crons ignore it: they
    /// fire at whole UTC minutes, whenever they started.
    pub fn next_after(&self, anchor_ns: u64, after_ns: u64) -> Option<u64> {
        match self {
            Schedule::Rate(rate) => rate.next_after(anchor_ns, after_ns),
            Schedule::Cron(cron) => cron.next_after(after_ns),
        }
    }

    /// For people: "every 5 minutes", "at 12:00 UTC every day".
    pub fn describe(&self) -> String {
        match self {
            Schedule::Rate(rate) => rate.describe(),
            Schedule::Cron(cron) => cron.describe(),
        }
    }
}

fn example(kind: &str) -> &'static str {
    if kind == "rate" {
        "rate(5 minutes)"
    } else {
        "cron(0 12 * * ? *)"
    }
}

/// The fields of `expression[inner]` split on whitespace, each with its byte
/// span in `expression`.
fn fields(expression: &str, inner: Range<usize>) -> Vec<(&str, Range<usize>)> {
    let text = &expression[inner.clone()];
    let mut fields = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                fields.push((&text[s..i], inner.start + s..inner.start + i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    fields
}

#[cfg(test)]
mod tests;
