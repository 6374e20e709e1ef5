//! `cron(minutes hours day-of-month month day-of-week year)`: AWS's six-field,
//! Quartz-flavoured cron, always in UTC.
//!
//! Each field becomes a set of allowed values when parsed, so finding the
//! next firing walks years, then months, then days, then hours, then minutes,
//! taking the first allowed value at each level: a few hundred steps at most,
//! even for a schedule whose only firing is in 2199. Day rules that depend on
//! the month (`L`, `15W`, `6L`, `3#2`) are turned into a set of days once per
//! month visited.

use std::ops::Range;

use super::{NANOS_PER_MINUTE, ScheduleError, fields};
use crate::calendar;

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
/// AWS numbers days of the week from 1 = Sunday.
const WEEKDAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const WEEKDAY_WORDS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const ORDINALS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];

const FIRST_YEAR: u32 = 1970;
const LAST_YEAR: u32 = 2199;

/// A parsed `cron(...)` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Values,
    hours: Values,
    days: Days,
    months: Values,
    years: Values,
}

/// Which days fire: exactly one of the two day fields is `?`, so one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Days {
    /// Day-of-week is `?`.
    OfMonth(MonthDays),
    /// Day-of-month is `?`.
    OfWeek(WeekDays),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum MonthDays {
    /// `1,15`, `1-7`, `*/2`, `*`: days by number (a day the month lacks never fires).
    Listed(Values),
    /// `L`: the last day of the month.
    Last,
    /// `LW`: the last weekday (Monday to Friday) of the month.
    LastWeekday,
    /// `15W`: the weekday nearest that day, within the same month.
    NearestWeekday(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum WeekDays {
    /// `MON-FRI`, `1,7`, `*`, `L` (Saturday, the last day of the week).
    Listed(Values),
    /// `6L`: the last such day of the month (1 = Sunday).
    Last(u32),
    /// `3#2`: the second Tuesday of the month (1 = Sunday); a month without a
    /// fifth one is skipped.
    Nth(u32, u32),
}

/// A set of values of one field, as bits offset by the field's minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Values {
    min: u32,
    bits: [u64; 4],
}

impl Values {
    fn empty(min: u32) -> Values {
        Values { min, bits: [0; 4] }
    }

    fn insert(&mut self, value: u32) {
        let i = (value - self.min) as usize;
        self.bits[i / 64] |= 1 << (i % 64);
    }

    fn contains(&self, value: u32) -> bool {
        value
            .checked_sub(self.min)
            .map(|i| i as usize)
            .is_some_and(|i| i < 256 && self.bits[i / 64] & (1 << (i % 64)) != 0)
    }

    /// The smallest value at or after `from`.
    fn first_from(&self, from: u32) -> Option<u32> {
        let mut i = from.saturating_sub(self.min) as usize;
        while i < 256 {
            let word = self.bits[i / 64] >> (i % 64);
            if word != 0 {
                return Some(self.min + (i + word.trailing_zeros() as usize) as u32);
            }
            i = (i / 64 + 1) * 64;
        }
        None
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let mut next = self.first_from(self.min);
        std::iter::from_fn(move || {
            let value = next?;
            next = self.first_from(value + 1);
            Some(value)
        })
    }

    fn single(&self) -> Option<u32> {
        let mut values = self.iter();
        let first = values.next()?;
        values.next().is_none().then_some(first)
    }
}

/// What one field accepts, and how to explain it.
struct Field {
    /// "hour", as in "hour 25 is out of range".
    noun: &'static str,
    /// "hours are 0-23".
    rule: &'static str,
    /// Where it is written: "the hours field".
    place: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Values, a range, a list and a step, for help lines.
    examples: &'static str,
    /// Whether a range may wrap past the end (`FRI-MON`, `22-2`).
    cyclic: bool,
}

const MINUTES: Field = Field {
    examples: "`0`, `0-29`, `0,30` or `*/15`",
    noun: "minute",
    rule: "minutes are 0-59",
    place: "minutes",
    min: 0,
    max: 59,
    names: &[],
    cyclic: true,
};
const HOURS: Field = Field {
    examples: "`9`, `9-17`, `8,12,18` or `*/2`",
    noun: "hour",
    rule: "hours are 0-23",
    place: "hours",
    min: 0,
    max: 23,
    names: &[],
    cyclic: true,
};
const DAY_OF_MONTH: Field = Field {
    examples: "`1`, `1-15`, `1,15` or `*/2`",
    noun: "day of the month",
    rule: "days of the month are 1-31",
    place: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    cyclic: false,
};
const MONTH: Field = Field {
    examples: "`1`, `JAN-MAR`, `JAN,JUL` or `*/3`",
    noun: "month",
    rule: "months are 1-12 or JAN-DEC",
    place: "month",
    min: 1,
    max: 12,
    names: &MONTH_NAMES,
    cyclic: true,
};
const DAY_OF_WEEK: Field = Field {
    examples: "`MON`, `MON-FRI`, `2,4,6` or `*`",
    noun: "day of the week",
    rule: "days of the week are 1-7 (1 = SUN) or SUN-SAT",
    place: "day-of-week",
    min: 1,
    max: 7,
    names: &WEEKDAY_NAMES,
    cyclic: true,
};
const YEAR: Field = Field {
    examples: "`2026`, `2026-2030` or `*`",
    noun: "year",
    rule: "years are 1970-2199",
    place: "year",
    min: FIRST_YEAR,
    max: LAST_YEAR,
    names: &[],
    cyclic: false,
};

const SHAPE_HELP: &str = "write six fields: minutes hours day-of-month month day-of-week year, \
                          e.g. `cron(0 12 * * ? *)` for 12:00 UTC every day";

/// Parses the text between `cron(` and `)`, spanned by `inner` in `expression`.
pub(super) fn parse(expression: &str, inner: Range<usize>) -> Result<Cron, ScheduleError> {
    let parts = fields(expression, inner.clone());
    let parts = match <[(&str, Range<usize>); 6]>::try_from(parts) {
        Ok(parts) => parts,
        Err(parts) => return Err(shape_error(expression, inner, parts.len())),
    };
    let [minutes, hours, day_of_month, month, day_of_week, year] = parts;
    let minutes = values(&minutes, &MINUTES)?;
    let hours = values(&hours, &HOURS)?;
    check_one_day_field(expression, &day_of_month, &day_of_week)?;
    let month_days = match day_of_week.0 {
        "?" => Some(month_days(&day_of_month)?),
        _ => None,
    };
    let months = values(&month, &MONTH)?;
    let days = match month_days {
        Some(days) => Days::OfMonth(days),
        None => Days::OfWeek(week_days(&day_of_week)?),
    };
    let years = values(&year, &YEAR)?;
    Ok(Cron {
        minutes,
        hours,
        days,
        months,
        years,
    })
}

fn shape_error(expression: &str, inner: Range<usize>, count: usize) -> ScheduleError {
    let span = if inner.is_empty() {
        0..expression.len()
    } else {
        inner
    };
    let help = match count {
        5 => "AWS cron has a sixth field, the year: add ` *` at the end".to_string(),
        7 => "AWS cron has no seconds field: remove the first field".to_string(),
        _ => SHAPE_HELP.to_string(),
    };
    ScheduleError::new(
        span,
        format!(
            "a cron expression has six fields (minutes hours day-of-month month \
                 day-of-week year), found {count}"
        ),
        help,
    )
}

/// AWS: "You can't specify the Day-of-month and Day-of-week fields in the same
/// cron expression": exactly one of them is `?`.
fn check_one_day_field(
    expression: &str,
    (dom, dom_span): &(&str, Range<usize>),
    (dow, dow_span): &(&str, Range<usize>),
) -> Result<(), ScheduleError> {
    let with = |span: &Range<usize>, text: &str| {
        format!(
            "{}{text}{}",
            &expression[..span.start],
            &expression[span.end..]
        )
    };
    match (*dom == "?", *dow == "?") {
        (true, false) | (false, true) => Ok(()),
        (true, true) => Err(ScheduleError::new(
            dow_span.clone(),
            "day-of-month and day-of-week cannot both be `?`; one of them must say which days",
            format!(
                "for every day write `{}`; for some days of the week, put them here, e.g. `{}`",
                with(dom_span, "*"),
                with(dow_span, "MON-FRI")
            ),
        )),
        (false, false) => {
            let message = "day-of-month and day-of-week cannot both be set; use `?` in one \
                           of them (AWS rule)";
            if *dow == "*" {
                Err(ScheduleError::new(
                    dow_span.clone(),
                    message,
                    format!(
                        "`?` in day-of-week means any day of the week: `{}`",
                        with(dow_span, "?")
                    ),
                ))
            } else if *dom == "*" {
                Err(ScheduleError::new(
                    dom_span.clone(),
                    message,
                    format!(
                        "`?` in day-of-month means any day of the month: `{}`",
                        with(dom_span, "?")
                    ),
                ))
            } else {
                Err(ScheduleError::new(
                    dow_span.clone(),
                    message,
                    format!(
                        "keep the days of the month: `{}`, or the days of the week: `{}`",
                        with(dow_span, "?"),
                        with(dom_span, "?")
                    ),
                ))
            }
        }
    }
}

/// Day-of-month: `L`, `LW`, `15W`, or a list of days.
fn month_days((text, span): &(&str, Range<usize>)) -> Result<MonthDays, ScheduleError> {
    let upper = text.to_ascii_uppercase();
    if !upper.contains(['L', 'W']) {
        return values(&(text, span.clone()), &DAY_OF_MONTH).map(MonthDays::Listed);
    }
    if upper.contains([',', '-', '/', '*']) {
        return Err(ScheduleError::new(
            span.clone(),
            format!(
                "`{text}`: `L` and `W` stand alone in day-of-month, not in a list, range or step"
            ),
            "write `L` (the last day of the month), `LW` (its last weekday) or one day with `W`, \
             such as `15W` (the weekday nearest the 15th)",
        ));
    }
    match upper.as_str() {
        "L" => return Ok(MonthDays::Last),
        "LW" => return Ok(MonthDays::LastWeekday),
        _ => {}
    }
    if let Some(day) = upper.strip_suffix('W') {
        let day_span = span.start..span.start + day.len();
        let day = value(day, day_span, &DAY_OF_MONTH)?;
        return Ok(MonthDays::NearestWeekday(day));
    }
    Err(ScheduleError::new(
        span.clone(),
        format!("`{text}` is not a day-of-month"),
        "write a day (`15`), `L` (the last day of the month), `LW` (its last weekday) or a day \
         with `W`, such as `15W` (the weekday nearest the 15th)",
    ))
}

/// Day-of-week: `6L`, `3#2`, `L`, or a list of days of the week.
fn week_days((text, span): &(&str, Range<usize>)) -> Result<WeekDays, ScheduleError> {
    let upper = text.to_ascii_uppercase();
    if upper.contains('#') {
        if upper.contains([',', '-', '/', '*', 'L']) {
            return Err(ScheduleError::new(
                span.clone(),
                format!("`{text}`: `#` must be the only value in day-of-week (AWS rule)"),
                "write one day and which one in the month, such as `3#2` (the second Tuesday); \
                 AWS reads `3#1,6#3` as two expressions and rejects it",
            ));
        }
        let (day, nth) = upper.split_once('#').unwrap_or((&upper, ""));
        let day_span = span.start..span.start + day.len();
        let day = value(day, day_span, &DAY_OF_WEEK)?;
        let nth_span = span.start + text.len() - nth.len()..span.end;
        let nth = match nth.parse::<u32>() {
            Ok(n @ 1..=5) => n,
            _ => {
                return Err(ScheduleError::new(
                    nth_span,
                    format!("`#{nth}`: which one in the month must be 1 to 5"),
                    "a month has at most five of each day of the week: `3#2` is its second \
                     Tuesday",
                ));
            }
        };
        return Ok(WeekDays::Nth(day, nth));
    }
    if upper.contains('L') {
        if upper == "L" {
            let mut saturday = Values::empty(DAY_OF_WEEK.min);
            saturday.insert(7);
            return Ok(WeekDays::Listed(saturday));
        }
        let Some(day) = upper
            .strip_suffix('L')
            .filter(|day| !day.contains([',', '-', '/', '*', 'L']))
        else {
            return Err(ScheduleError::new(
                span.clone(),
                format!("`{text}`: `L` stands alone in day-of-week or after one day"),
                "write `6L` for the last Friday of the month, or `L` alone for Saturday, the \
                 last day of the week",
            ));
        };
        let day_span = span.start..span.start + day.len();
        return Ok(WeekDays::Last(value(day, day_span, &DAY_OF_WEEK)?));
    }
    if upper.contains('W') && !WEEKDAY_NAMES.iter().any(|name| upper.contains(name)) {
        return Err(ScheduleError::new(
            span.clone(),
            format!("`{text}`: `W` is only allowed in day-of-month"),
            "for Monday to Friday write `MON-FRI` (or `2-6`) here",
        ));
    }
    values(&(text, span.clone()), &DAY_OF_WEEK).map(WeekDays::Listed)
}

/// A field of `,`-separated items: `*`, `5`, `1-5`, `*/15`, `5/15`, `1-30/2`.
fn values((text, span): &(&str, Range<usize>), field: &Field) -> Result<Values, ScheduleError> {
    let mut set = Values::empty(field.min);
    let mut start = span.start;
    for item in text.split(',') {
        let item_span = start..start + item.len();
        start = item_span.end + 1;
        add_item(&mut set, item, item_span, field)?;
    }
    Ok(set)
}

fn add_item(
    set: &mut Values,
    item: &str,
    span: Range<usize>,
    field: &Field,
) -> Result<(), ScheduleError> {
    if item.is_empty() {
        return Err(ScheduleError::new(
            span.start.saturating_sub(1)..span.end + 1,
            format!("an empty value in the {} list", field.place),
            "separate values with single commas, e.g. `1,15`",
        ));
    }
    if item == "?" {
        return Err(ScheduleError::new(
            span,
            format!("`?` is not allowed in the {} field", field.place),
            "`?` is only for day-of-month or day-of-week (exactly one of them); write `*` for \
             every value",
        ));
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => {
            let step_span = span.start + range.len() + 1..span.end;
            (range, Some(parse_step(step, step_span, field)?))
        }
        None => (item, None),
    };
    let range_span = span.start..span.start + range.len();
    let (first, last) = if range == "*" {
        (field.min, field.max)
    } else if let Some((low, high)) = range.split_once('-') {
        let low_span = range_span.start..range_span.start + low.len();
        let high_span = low_span.end + 1..range_span.end;
        let low = value(low, low_span, field)?;
        let high = value(high, high_span, field)?;
        if low > high && !field.cyclic {
            return Err(ScheduleError::new(
                range_span,
                format!("the range `{range}` runs backwards"),
                format!("write the smaller {} first", field.noun),
            ));
        }
        (low, high)
    } else {
        let first = value(range, range_span, field)?;
        // `5/15` runs from 5 to the end; a lone `5` is just 5.
        (first, if step.is_some() { field.max } else { first })
    };
    let step = step.unwrap_or(1);
    let width = field.max - field.min + 1;
    // A wrapping range (`22-2`) is the same walk with the end moved one cycle on.
    let length = if last >= first {
        last - first
    } else {
        last + width - first
    };
    let mut offset = 0;
    while offset <= length {
        let position = first - field.min + offset;
        set.insert(field.min + position % width);
        offset += step;
    }
    Ok(())
}

fn parse_step(text: &str, span: Range<usize>, field: &Field) -> Result<u32, ScheduleError> {
    let largest = field.max - field.min;
    match text.parse::<u32>() {
        Ok(step)
            if text.bytes().all(|b| b.is_ascii_digit()) && (1..=largest.max(1)).contains(&step) =>
        {
            Ok(step)
        }
        _ => Err(ScheduleError::new(
            span,
            format!("`/{text}` is not a valid step for {}", field.place),
            format!(
                "a step is a whole number from 1 to {}, e.g. `*/5` (every fifth {})",
                largest.max(1),
                field.noun
            ),
        )),
    }
}

/// One value: a number in range, or a name where the field has names.
fn value(text: &str, span: Range<usize>, field: &Field) -> Result<u32, ScheduleError> {
    let upper = text.to_ascii_uppercase();
    if let Some(index) = field.names.iter().position(|name| *name == upper) {
        return Ok(field.min + index as u32);
    }
    let is_number = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let number = if is_number {
        text.parse::<u32>().ok()
    } else {
        None
    };
    match number {
        Some(n) if (field.min..=field.max).contains(&n) => Ok(n),
        Some(_) | None if is_number => Err(ScheduleError::new(
            span,
            format!("{} {text} is out of range: {}", field.noun, field.rule),
            format!(
                "use values from {} to {}, e.g. {}",
                field.min, field.max, field.examples
            ),
        )),
        _ if text.is_empty() => Err(ScheduleError::new(
            span.start.saturating_sub(1)..span.end + 1,
            format!("a value is missing in the {} field", field.place),
            field.rule.to_string(),
        )),
        _ => Err(ScheduleError::new(
            span,
            if field.names.is_empty() {
                format!("`{text}` is not a {}", field.noun)
            } else {
                format!("unknown {} `{text}`", field.noun)
            },
            format!("{}; the wildcards are `,` `-` `*` `/`", field.rule),
        )),
    }
}

impl Cron {
    pub(super) fn next_after(&self, after_ns: u64) -> Option<u64> {
        // Crons fire on whole minutes: start at the first one strictly after.
        let start_minute = after_ns / NANOS_PER_MINUTE + 1;
        let start = calendar::civil(i64::try_from(start_minute.checked_mul(60)?).ok()?);
        let (year, month, day) = (u32::try_from(start.year).ok()?, start.month, start.day);
        let (hour, minute) = (start.hour as u32, start.minute as u32);
        let mut y = self.years.first_from(year)?;
        loop {
            let fresh_year = y > year;
            let mut m = self.months.first_from(if fresh_year { 1 } else { month });
            while let Some(mo) = m {
                let fresh_month = fresh_year || mo > month;
                let days = self.days_in(y, mo);
                let mut d = days.first_from(if fresh_month { 1 } else { day });
                while let Some(da) = d {
                    let fresh_day = fresh_month || da > day;
                    let mut h = self.hours.first_from(if fresh_day { 0 } else { hour });
                    while let Some(ho) = h {
                        let fresh_hour = fresh_day || ho > hour;
                        let from = if fresh_hour { 0 } else { minute };
                        if let Some(mi) = self.minutes.first_from(from) {
                            let secs = calendar::seconds(
                                i64::from(y),
                                mo,
                                da,
                                i64::from(ho),
                                i64::from(mi),
                                0,
                            )?;
                            return u64::try_from(secs).ok()?.checked_mul(1_000_000_000);
                        }
                        h = self.hours.first_from(ho + 1);
                    }
                    d = days.first_from(da + 1);
                }
                m = self.months.first_from(mo + 1);
            }
            y = self.years.first_from(y + 1)?;
        }
    }

    /// The days of `month` in `year` that fire.
    fn days_in(&self, year: u32, month: u32) -> Values {
        let length = days_in_month(year, month);
        let mut days = Values::empty(1);
        let weekday = |day: u32| weekday(year, month, day);
        let mut add = |day: u32| {
            if (1..=length).contains(&day) {
                days.insert(day);
            }
        };
        match &self.days {
            Days::OfMonth(MonthDays::Listed(listed)) => listed.iter().for_each(add),
            Days::OfMonth(MonthDays::Last) => add(length),
            Days::OfMonth(MonthDays::LastWeekday) => add(match weekday(length) {
                7 => length - 1,
                1 => length - 2,
                _ => length,
            }),
            // Quartz's rule, which AWS follows: the nearest weekday, but never
            // in another month (the 1st on a Saturday moves to Monday the 3rd).
            Days::OfMonth(MonthDays::NearestWeekday(day)) if *day <= length => {
                add(match weekday(*day) {
                    7 if *day == 1 => 3,
                    7 => day - 1,
                    1 if *day == length => day - 2,
                    1 => day + 1,
                    _ => *day,
                })
            }
            Days::OfMonth(MonthDays::NearestWeekday(_)) => {}
            Days::OfWeek(WeekDays::Listed(listed)) => (1..=length)
                .filter(|&day| listed.contains(weekday(day)))
                .for_each(add),
            Days::OfWeek(WeekDays::Last(wanted)) => {
                add(length - (weekday(length) + 7 - wanted) % 7);
            }
            Days::OfWeek(WeekDays::Nth(wanted, nth)) => {
                add(1 + (wanted + 7 - weekday(1)) % 7 + 7 * (nth - 1));
            }
        }
        days
    }

    pub(super) fn describe(&self) -> String {
        let time = self.describe_time();
        let every_day = match &self.days {
            Days::OfMonth(MonthDays::Listed(days)) => days.iter().count() == 31,
            Days::OfWeek(WeekDays::Listed(days)) => days.iter().count() == 7,
            _ => false,
        };
        let days = match &self.days {
            _ if every_day => "every day".to_string(),
            Days::OfMonth(MonthDays::Listed(days)) => {
                let plural = if days.single().is_some() { "" } else { "s" };
                format!("on day{plural} {} of the month", compress(days, &[]))
            }
            Days::OfMonth(MonthDays::Last) => "on the last day of the month".to_string(),
            Days::OfMonth(MonthDays::LastWeekday) => "on the last weekday of the month".to_string(),
            Days::OfMonth(MonthDays::NearestWeekday(day)) => {
                format!("on the weekday nearest day {day} of the month")
            }
            Days::OfWeek(WeekDays::Listed(days)) => {
                format!("on {}", compress(days, &WEEKDAY_NAMES))
            }
            Days::OfWeek(WeekDays::Last(day)) => {
                format!(
                    "on the last {} of the month",
                    WEEKDAY_WORDS[*day as usize - 1]
                )
            }
            Days::OfWeek(WeekDays::Nth(day, nth)) => format!(
                "on the {} {} of the month",
                ORDINALS[*nth as usize - 1],
                WEEKDAY_WORDS[*day as usize - 1]
            ),
        };
        let mut text = if every_day && time.starts_with("every") {
            time
        } else {
            format!("{time} {days}")
        };
        if self.months.iter().count() < 12 {
            text.push_str(&format!(" in {}", compress(&self.months, &MONTH_NAMES)));
        }
        if self.years.iter().count() < (LAST_YEAR - FIRST_YEAR + 1) as usize {
            text.push_str(&format!(" in {}", compress(&self.years, &[])));
        }
        text
    }

    fn describe_time(&self) -> String {
        let all_hours = self.hours.iter().count() == 24;
        let hours: Vec<u32> = self.hours.iter().collect();
        if let (Some(minute), 1..=4) = (self.minutes.single(), hours.len()) {
            let times: Vec<String> = hours
                .iter()
                .map(|hour| format!("{hour:02}:{minute:02}"))
                .collect();
            return match times.split_last() {
                Some((last, [])) => format!("at {last} UTC"),
                Some((last, rest)) => format!("at {} and {last} UTC", rest.join(", ")),
                None => String::new(),
            };
        }
        let minutes = match (self.minutes.single(), every(&self.minutes, 60)) {
            (Some(minute), _) if all_hours => return format!("every hour at minute {minute}"),
            (Some(minute), _) => format!("at minute {minute}"),
            (None, Some(1)) => "every minute".to_string(),
            (None, Some(step)) => format!("every {step} minutes"),
            (None, None) => format!("at minutes {}", compress(&self.minutes, &[])),
        };
        if all_hours {
            return minutes;
        }
        let hours = match self.hours.single() {
            Some(hour) => format!("hour {hour:02}"),
            None => format!("hours {}", compress(&self.hours, &[])),
        };
        let joint = if minutes.starts_with("every") {
            "during"
        } else {
            "past"
        };
        format!("{minutes} {joint} {hours} UTC")
    }
}

/// `Some(step)` when `values` are `0, step, 2·step, …` over a cycle of `width`.
fn every(values: &Values, width: u32) -> Option<u32> {
    let listed: Vec<u32> = values.iter().collect();
    let step = match listed.as_slice() {
        [0] | [] => return None,
        [0, second, ..] => *second,
        _ => return None,
    };
    let expected: Vec<u32> = (0..width).step_by(step as usize).collect();
    (width.is_multiple_of(step) && listed == expected).then_some(step)
}

/// `1-5,7` or `MON-FRI`: the values, runs of three or more as ranges.
fn compress(values: &Values, names: &[&str]) -> String {
    let name = |value: u32| match names.get((value - values.min) as usize) {
        Some(name) => name.to_string(),
        None => value.to_string(),
    };
    let listed: Vec<u32> = values.iter().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < listed.len() {
        let mut j = i;
        while j + 1 < listed.len() && listed[j + 1] == listed[j] + 1 {
            j += 1;
        }
        if j >= i + 2 {
            parts.push(format!("{}-{}", name(listed[i]), name(listed[j])));
        } else {
            parts.extend(listed[i..=j].iter().map(|&v| name(v)));
        }
        i = j + 1;
    }
    parts.join(",")
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let first = calendar::days_from_civil(i64::from(year), month, 1);
    let next = calendar::days_from_civil(i64::from(next_year), next_month, 1);
    (next - first) as u32
}

/// AWS's day of the week: 1 = Sunday … 7 = Saturday.
fn weekday(year: u32, month: u32, day: u32) -> u32 {
    let days = calendar::days_from_civil(i64::from(year), month, day);
    // 1970-01-01, day 0, was a Thursday (5).
    (days + 4).rem_euclid(7) as u32 + 1
}
