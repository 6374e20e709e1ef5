//! `rate(value unit)`: a fixed interval of minutes, hours or days.

use std::ops::Range;

use super::{NANOS_PER_MINUTE, ScheduleError, fields};

/// `rate(5 minutes)`: fires every `value` `unit`s after the rule starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many units; at least 1.
    pub value: u64,
    pub unit: RateUnit,
}

/// The units AWS accepts: no seconds, no weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minute,
    Hour,
    Day,
}

impl RateUnit {
    fn singular(self) -> &'static str {
        match self {
            RateUnit::Minute => "minute",
            RateUnit::Hour => "hour",
            RateUnit::Day => "day",
        }
    }

    fn nanos(self) -> u64 {
        match self {
            RateUnit::Minute => NANOS_PER_MINUTE,
            RateUnit::Hour => 60 * NANOS_PER_MINUTE,
            RateUnit::Day => 24 * 60 * NANOS_PER_MINUTE,
        }
    }

    /// `minute` for 1, `minutes` otherwise, as AWS requires.
    fn word(self, value: u64) -> String {
        if value == 1 {
            self.singular().to_string()
        } else {
            format!("{}s", self.singular())
        }
    }
}

impl Rate {
    /// The interval in nanoseconds (parsing guarantees it fits).
    pub fn period_ns(&self) -> u64 {
        self.value.saturating_mul(self.unit.nanos())
    }

    pub(super) fn next_after(&self, anchor_ns: u64, after_ns: u64) -> Option<u64> {
        let period = self.period_ns();
        let periods = match after_ns.checked_sub(anchor_ns) {
            Some(elapsed) => elapsed / period + 1,
            None => 1,
        };
        anchor_ns.checked_add(periods.checked_mul(period)?)
    }

    pub(super) fn describe(&self) -> String {
        if self.value == 1 {
            format!("every {}", self.unit.singular())
        } else {
            format!("every {} {}", self.value, self.unit.word(self.value))
        }
    }
}

const HELP: &str = "write `rate(value unit)`: a positive whole number, then `minute`, `hour` or \
                    `day` for 1 (`rate(1 hour)`) and `minutes`, `hours` or `days` otherwise \
                    (`rate(5 minutes)`)";

/// Parses the text between `rate(` and `)`, spanned by `inner` in `expression`.
pub(super) fn parse(expression: &str, inner: Range<usize>) -> Result<Rate, ScheduleError> {
    let parts = fields(expression, inner.clone());
    let [(value_text, value_span), (unit_text, unit_span)] = parts.as_slice() else {
        let message = match parts.len() {
            0 => "`rate()` is empty".to_string(),
            1 => "a rate needs a value and a unit".to_string(),
            n => format!("a rate has two fields, a value and a unit, found {n}"),
        };
        let span = if inner.is_empty() {
            0..expression.len()
        } else {
            inner
        };
        return Err(ScheduleError::new(span, message, HELP));
    };
    let value = parse_value(value_text, value_span.clone())?;
    let Some(unit) = parse_unit(unit_text) else {
        return Err(ScheduleError::new(
            unit_span.clone(),
            format!("unknown rate unit `{unit_text}`"),
            unit_help(unit_text, value),
        ));
    };
    let plural = unit_text.ends_with('s');
    if plural == (value == 1) {
        let right = unit.word(value);
        return Err(ScheduleError::new(
            unit_span.clone(),
            if value == 1 {
                format!("`rate(1 {unit_text})` needs the singular `{right}` (AWS rule)")
            } else {
                format!("`rate({value} {unit_text})` needs the plural `{right}` (AWS rule)")
            },
            format!("write `rate({value} {right})`"),
        ));
    }
    if value.checked_mul(unit.nanos()).is_none() {
        return Err(ScheduleError::new(
            value_span.clone(),
            format!("the rate `{value_text}` is too large"),
            format!(
                "the interval must be at most {} {}s",
                u64::MAX / unit.nanos(),
                unit.singular()
            ),
        ));
    }
    Ok(Rate { value, unit })
}

fn parse_value(text: &str, span: Range<usize>) -> Result<u64, ScheduleError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScheduleError::new(
            span,
            format!("the rate value `{text}` is not a positive whole number"),
            HELP,
        ));
    }
    match text.parse::<u64>() {
        Ok(0) => Err(ScheduleError::new(
            span,
            "the rate value must be at least 1",
            "a rate of 0 would never fire: write a positive number, e.g. `rate(1 minute)`",
        )),
        Ok(value) => Ok(value),
        Err(_) => Err(ScheduleError::new(
            span,
            format!("the rate value `{text}` is too large"),
            HELP,
        )),
    }
}

fn unit_help(unit_text: &str, value: u64) -> String {
    let lowercase = unit_text.to_ascii_lowercase();
    if parse_unit(&lowercase).is_some() {
        return format!("units are lowercase: write `{lowercase}`");
    }
    match lowercase.trim_end_matches('s') {
        "second" | "sec" => {
            "AWS schedules have a precision of one minute; the smallest rate is `rate(1 minute)`"
                .to_string()
        }
        "week" => format!(
            "write weeks as days: `rate({} days)`",
            value.saturating_mul(7)
        ),
        "min" => format!(
            "write the unit in full: `rate({value} {})`",
            RateUnit::Minute.word(value)
        ),
        _ => "the units are `minute`, `hour` and `day`, plural for values other than 1 \
              (`minutes`, `hours`, `days`)"
            .to_string(),
    }
}

fn parse_unit(text: &str) -> Option<RateUnit> {
    match text {
        "minute" | "minutes" => Some(RateUnit::Minute),
        "hour" | "hours" => Some(RateUnit::Hour),
        "day" | "days" => Some(RateUnit::Day),
        _ => None,
    }
}
