//! Schedule expressions: what AWS accepts and rejects, where errors point,
//! and next firings checked against calendar facts worked out by hand
//! (weekdays from a printed calendar: 2026-03-01 and 2026-02-01 are Sundays,
//! 2026-08-01 is a Saturday, 2026-05-31 a Sunday, 2024-02-29 a Thursday).

use super::*;
use crate::calendar::{parse_rfc3339_ns, rfc3339_ns};

fn parse(expression: &str) -> Schedule {
    Schedule::parse(expression).unwrap_or_else(|error| panic!("{expression}: {error:?}"))
}

/// The error's span as text, and its message.
fn rejected(expression: &str) -> (String, ScheduleError) {
    match Schedule::parse(expression) {
        Ok(schedule) => panic!("{expression} was accepted: {schedule:?}"),
        Err(error) => (expression[error.offset.clone()].to_string(), error),
    }
}

fn at(text: &str) -> u64 {
    parse_rfc3339_ns(text).unwrap_or_else(|| panic!("bad instant {text}"))
}

/// The next firing of a cron after `after`, as RFC 3339.
fn next(expression: &str, after: &str) -> Option<String> {
    parse(expression).next_after(0, at(after)).map(rfc3339_ns)
}

#[test]
fn the_examples_from_the_aws_documentation_are_accepted() {
    for expression in [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(15 10 ? * 6L 2019-2022)",
        "cron(0 8 * * ? *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 12 15W * ? *)",
        "cron(0 0 ? * L *)",
        "cron(0 6 1 JAN,APR,JUL,OCT ? *)",
        "cron(1/10 * * * ? *)",
        "cron(0 0 ? * 3#2 2026,2028)",
        "cron(0  12  *  *  ?  *)",
    ] {
        parse(expression);
    }
}

#[test]
fn names_and_special_characters_are_case_insensitive() {
    assert_eq!(
        parse("cron(0 12 ? * mon-fri *)"),
        parse("cron(0 12 ? * MON-FRI *)")
    );
    assert_eq!(
        parse("cron(0 12 ? * Mon-Fri *)"),
        parse("cron(0 12 ? * 2-6 *)")
    );
    assert_eq!(
        parse("cron(0 0 1 jan,Dec ? *)"),
        parse("cron(0 0 1 1,12 ? *)")
    );
    assert_eq!(parse("cron(0 0 lw * ? *)"), parse("cron(0 0 LW * ? *)"));
    assert_eq!(parse("cron(0 0 15w * ? *)"), parse("cron(0 0 15W * ? *)"));
    assert_eq!(parse("cron(0 0 ? * 6l *)"), parse("cron(0 0 ? * FRIL *)"));
    assert_eq!(parse("cron(0 0 ? * tue#2 *)"), parse("cron(0 0 ? * 3#2 *)"));
}

#[test]
fn both_day_fields_set_points_at_the_star_and_suggests_a_question_mark() {
    let (span, error) = rejected("cron(0 12 * * * *)");
    assert_eq!(error.offset, 14..15, "the day-of-week `*`");
    assert_eq!(span, "*");
    assert!(error.message.contains("cannot both be set"), "{error:?}");
    assert!(error.message.contains("AWS rule"), "{error:?}");
    assert!(error.help.contains("`cron(0 12 * * ? *)`"), "{error:?}");

    let (span, error) = rejected("cron(0 12 * * MON *)");
    assert_eq!((span.as_str(), error.offset.start), ("*", 10));
    assert!(error.help.contains("`cron(0 12 ? * MON *)`"), "{error:?}");

    let (span, error) = rejected("cron(0 12 1 * MON *)");
    assert_eq!(span, "MON");
    assert!(error.help.contains("`cron(0 12 1 * ? *)`"), "{error:?}");
    assert!(error.help.contains("`cron(0 12 ? * MON *)`"), "{error:?}");
}

#[test]
fn both_day_fields_unset_is_rejected_too() {
    let (span, error) = rejected("cron(0 12 ? * ? *)");
    assert_eq!((span.as_str(), error.offset.start), ("?", 14));
    assert!(error.message.contains("cannot both be `?`"), "{error:?}");
    assert!(error.help.contains("`cron(0 12 * * ? *)`"), "{error:?}");
}

#[test]
fn out_of_range_values_point_at_the_value_and_name_the_range() {
    for (expression, value, rule) in [
        ("cron(0 25 * * ? *)", "25", "hours are 0-23"),
        ("cron(60 * * * ? *)", "60", "minutes are 0-59"),
        ("cron(0 0 32 * ? *)", "32", "days of the month are 1-31"),
        ("cron(0 0 0 * ? *)", "0", "days of the month are 1-31"),
        ("cron(0 0 1 13 ? *)", "13", "months are 1-12 or JAN-DEC"),
        (
            "cron(0 0 ? * 8 *)",
            "8",
            "days of the week are 1-7 (1 = SUN) or SUN-SAT",
        ),
        ("cron(0 0 ? * 0 *)", "0", "days of the week are 1-7"),
        ("cron(0 0 * * ? 2200)", "2200", "years are 1970-2199"),
        ("cron(0 0 * * ? 1969)", "1969", "years are 1970-2199"),
        ("cron(0 9-24 * * ? *)", "24", "hours are 0-23"),
        ("cron(0 1,2,99 * * ? *)", "99", "hours are 0-23"),
        ("cron(0 0 5W * ? *)", "", ""),
    ] {
        if value.is_empty() {
            parse(expression);
            continue;
        }
        let (span, error) = rejected(expression);
        assert_eq!(span, value, "{expression}: {error:?}");
        assert!(error.message.contains(rule), "{expression}: {error:?}");
        assert!(
            error.message.contains("out of range"),
            "{expression}: {error:?}"
        );
    }
    let (_, error) = rejected("cron(0 25 * * ? *)");
    assert_eq!(error.offset, 7..9);
}

#[test]
fn rate_errors_point_at_the_value_or_the_unit() {
    let (span, error) = rejected("rate(0 minutes)");
    assert_eq!(span, "0");
    assert!(error.message.contains("at least 1"), "{error:?}");

    let (span, error) = rejected("rate(5 minute)");
    assert_eq!((span.as_str(), error.offset.clone()), ("minute", 7..13));
    assert!(error.message.contains("plural `minutes`"), "{error:?}");
    assert_eq!(error.help, "write `rate(5 minutes)`");

    let (span, error) = rejected("rate(1 hours)");
    assert_eq!(span, "hours");
    assert!(error.message.contains("singular `hour`"), "{error:?}");

    let (span, error) = rejected("rate(5 seconds)");
    assert_eq!(span, "seconds");
    assert!(error.help.contains("precision of one minute"), "{error:?}");

    let (span, error) = rejected("rate(2 weeks)");
    assert_eq!(span, "weeks");
    assert!(error.help.contains("`rate(14 days)`"), "{error:?}");

    let (span, error) = rejected("rate(5 Minutes)");
    assert_eq!(span, "Minutes");
    assert!(error.help.contains("lowercase"), "{error:?}");

    let (span, _) = rejected("rate(-5 minutes)");
    assert_eq!(span, "-5");
    let (span, _) = rejected("rate(1.5 hours)");
    assert_eq!(span, "1.5");
    let (span, error) = rejected("rate(5)");
    assert_eq!(span, "5");
    assert!(error.message.contains("value and a unit"), "{error:?}");
    let (span, _) = rejected("rate(5 minutes please)");
    assert_eq!(span, "5 minutes please");
    let (span, error) = rejected("rate()");
    assert_eq!(span, "rate()");
    assert!(error.message.contains("empty"), "{error:?}");
    let (span, error) = rejected("rate(1000000 days)");
    assert_eq!(span, "1000000");
    assert!(error.message.contains("too large"), "{error:?}");
    let (span, _) = rejected("rate(99999999999999999999 minutes)");
    assert_eq!(span, "99999999999999999999");
}

#[test]
fn an_unknown_kind_asks_for_rate_or_cron() {
    for expression in [
        "every 5 minutes",
        "",
        "at(2026-01-01T00:00:00)",
        "0 12 * * ?",
    ] {
        let (span, error) = rejected(expression);
        assert_eq!(span, expression);
        assert_eq!(error.message, "expected `rate(...)` or `cron(...)`");
        assert!(error.help.contains("`rate(5 minutes)`"), "{error:?}");
    }
    let (_, error) = rejected("RATE(5 minutes)");
    assert!(error.help.contains("lowercase"), "{error:?}");
    let (_, error) = rejected(" rate(5 minutes)");
    assert!(error.help.contains("remove the spaces"), "{error:?}");
    let (span, error) = rejected("cron(0 12 * * ? *");
    assert_eq!(span, "cron(0 12 * * ? *");
    assert!(error.message.contains("not closed"), "{error:?}");
}

#[test]
fn a_cron_needs_exactly_six_fields() {
    let (span, error) = rejected("cron(0 12 * * ?)");
    assert_eq!(span, "0 12 * * ?");
    assert!(error.message.contains("found 5"), "{error:?}");
    assert!(error.help.contains("year"), "{error:?}");
    let (_, error) = rejected("cron(0 0 12 * * ? *)");
    assert!(error.message.contains("found 7"), "{error:?}");
    assert!(error.help.contains("no seconds"), "{error:?}");
    let (span, _) = rejected("cron()");
    assert_eq!(span, "cron()");
}

#[test]
fn wildcards_are_only_accepted_where_aws_allows_them() {
    for (expression, span, message) in [
        (
            "cron(? 0 * * ? *)",
            "?",
            "`?` is not allowed in the minutes field",
        ),
        (
            "cron(0 0 1 ? ? *)",
            "?",
            "`?` is not allowed in the month field",
        ),
        (
            "cron(0 0 ? * 3W *)",
            "3W",
            "`W` is only allowed in day-of-month",
        ),
        ("cron(0 0 1-15W * ? *)", "1-15W", "stand alone"),
        ("cron(0 0 1,L * ? *)", "1,L", "stand alone"),
        ("cron(0 0 L-2 * ? *)", "L-2", "stand alone"),
        (
            "cron(0 0 ? * 3#1,6#3 *)",
            "3#1,6#3",
            "only value in day-of-week",
        ),
        ("cron(0 0 ? * 3#6 *)", "6", "1 to 5"),
        ("cron(0 0 ? * 3#0 *)", "0", "1 to 5"),
        ("cron(0 0 ? * 9#1 *)", "9", "out of range"),
        ("cron(0 0 ? * 2-6L *)", "2-6L", "`L` stands alone"),
        ("cron(L 0 * * ? *)", "L", "`L` is not a minute"),
        ("cron(*/0 * * * ? *)", "0", "not a valid step"),
        ("cron(*/61 * * * ? *)", "61", "not a valid step"),
        ("cron(0 0 20-10 * ? *)", "20-10", "runs backwards"),
        ("cron(0 0 * * ? 2030-2020)", "2030-2020", "runs backwards"),
        ("cron(1,,2 * * * ? *)", ",,", "empty value"),
        (
            "cron(0 0 1 JANUARY ? *)",
            "JANUARY",
            "unknown month `JANUARY`",
        ),
        (
            "cron(0 0 ? * MONDAY *)",
            "MONDAY",
            "unknown day of the week `MONDAY`",
        ),
        ("cron(0 9- * * ? *)", "- ", "value is missing"),
        ("cron(0 0 ? * L#2 *)", "L#2", "only value in day-of-week"),
        ("cron(0 0 15X * ? *)", "15X", "is not a day of the month"),
    ] {
        let (actual_span, error) = rejected(expression);
        assert_eq!(actual_span, span, "{expression}: {error:?}");
        assert!(error.message.contains(message), "{expression}: {error:?}");
        assert!(!error.help.is_empty(), "{expression}: {error:?}");
    }
}

#[test]
fn error_spans_stay_on_character_boundaries() {
    for expression in [
        "cron(0 0 1 JÄN ? *)",
        "rate(5 minütes)",
        "cron(é 0 * * ? *)",
        "é",
    ] {
        let error = Schedule::parse(expression).expect_err(expression);
        assert!(
            expression.get(error.offset.clone()).is_some(),
            "{expression}: {error:?}"
        );
    }
}

#[test]
fn cron_fires_on_the_next_whole_minute_strictly_after() {
    let daily = "cron(0 12 * * ? *)";
    assert_eq!(
        next(daily, "2026-03-01T11:59:59.999Z").as_deref(),
        Some("2026-03-01T12:00:00Z")
    );
    assert_eq!(
        next(daily, "2026-03-01T12:00:00Z").as_deref(),
        Some("2026-03-02T12:00:00Z")
    );
    assert_eq!(
        next(daily, "2026-03-01T12:00:00.5Z").as_deref(),
        Some("2026-03-02T12:00:00Z")
    );
    let quarter = "cron(*/15 * * * ? *)";
    assert_eq!(
        next(quarter, "2026-03-01T10:07:30.5Z").as_deref(),
        Some("2026-03-01T10:15:00Z")
    );
    assert_eq!(
        next(quarter, "2026-12-31T23:50:00Z").as_deref(),
        Some("2027-01-01T00:00:00Z")
    );
    let offset = "cron(5/20 * * * ? *)";
    assert_eq!(
        next(offset, "2026-03-01T10:45:00Z").as_deref(),
        Some("2026-03-01T11:05:00Z")
    );
    assert_eq!(
        next(offset, "2026-03-01T11:05:00Z").as_deref(),
        Some("2026-03-01T11:25:00Z")
    );
    let every_minute = "cron(* * * * ? *)";
    assert_eq!(
        next(every_minute, "2026-03-01T10:00:00Z").as_deref(),
        Some("2026-03-01T10:01:00Z")
    );
    let new_year = "cron(0 0 1 1 ? *)";
    assert_eq!(
        next(new_year, "2026-12-31T23:59:59Z").as_deref(),
        Some("2027-01-01T00:00:00Z")
    );
    assert_eq!(
        next(new_year, "2027-01-01T00:00:00Z").as_deref(),
        Some("2028-01-01T00:00:00Z")
    );
    let months = "cron(0 6 1 jan,jul ? *)";
    assert_eq!(
        next(months, "2026-02-01T00:00:00Z").as_deref(),
        Some("2026-07-01T06:00:00Z")
    );
}

#[test]
fn month_ends_and_leap_years() {
    let last = "cron(0 0 L * ? *)";
    assert_eq!(
        next(last, "2024-02-10T00:00:00Z").as_deref(),
        Some("2024-02-29T00:00:00Z")
    );
    assert_eq!(
        next(last, "2023-02-10T00:00:00Z").as_deref(),
        Some("2023-02-28T00:00:00Z")
    );
    assert_eq!(
        next(last, "2024-02-29T00:00:00Z").as_deref(),
        Some("2024-03-31T00:00:00Z")
    );
    assert_eq!(
        next(last, "2026-04-01T00:00:00Z").as_deref(),
        Some("2026-04-30T00:00:00Z")
    );
    let leap_day = "cron(0 0 29 2 ? *)";
    assert_eq!(
        next(leap_day, "2024-03-01T00:00:00Z").as_deref(),
        Some("2028-02-29T00:00:00Z")
    );
    // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
    let next_century = "cron(0 0 29 2 ? 2097-2199)";
    assert_eq!(
        next(next_century, "2097-01-01T00:00:00Z").as_deref(),
        Some("2104-02-29T00:00:00Z")
    );
    assert_eq!(
        next(leap_day, "1999-01-01T00:00:00Z").as_deref(),
        Some("2000-02-29T00:00:00Z")
    );
    let thirty_first = "cron(0 0 31 * ? *)";
    assert_eq!(
        next(thirty_first, "2026-04-01T00:00:00Z").as_deref(),
        Some("2026-05-31T00:00:00Z")
    );
}

#[test]
fn nearest_weekday_never_leaves_the_month() {
    // 2026-08-15 is a Saturday: the Friday before.
    assert_eq!(
        next("cron(0 9 15W * ? *)", "2026-08-01T00:00:00Z").as_deref(),
        Some("2026-08-14T09:00:00Z")
    );
    // 2026-03-15 is a Sunday: the Monday after.
    assert_eq!(
        next("cron(0 9 15W * ? *)", "2026-03-01T00:00:00Z").as_deref(),
        Some("2026-03-16T09:00:00Z")
    );
    // 2026-03-10 is a Tuesday: that day.
    assert_eq!(
        next("cron(0 9 10W * ? *)", "2026-03-01T00:00:00Z").as_deref(),
        Some("2026-03-10T09:00:00Z")
    );
    // 2026-08-01 is a Saturday: Monday the 3rd, not Friday July 31.
    assert_eq!(
        next("cron(0 9 1W * ? *)", "2026-07-02T00:00:00Z").as_deref(),
        Some("2026-08-03T09:00:00Z")
    );
    // 2026-05-31 is a Sunday: Friday the 29th, not Monday June 1.
    assert_eq!(
        next("cron(0 9 31W * ? *)", "2026-05-01T00:00:00Z").as_deref(),
        Some("2026-05-29T09:00:00Z")
    );
    // 31W skips months without a 31st: after May comes July.
    assert_eq!(
        next("cron(0 9 31W * ? *)", "2026-05-30T00:00:00Z").as_deref(),
        Some("2026-07-31T09:00:00Z")
    );
    // The last weekday: May 2026 ends on a Sunday, February 2026 on a Saturday.
    assert_eq!(
        next("cron(0 0 LW * ? *)", "2026-05-01T00:00:00Z").as_deref(),
        Some("2026-05-29T00:00:00Z")
    );
    assert_eq!(
        next("cron(0 0 LW * ? *)", "2026-02-01T00:00:00Z").as_deref(),
        Some("2026-02-27T00:00:00Z")
    );
    assert_eq!(
        next("cron(0 0 LW * ? *)", "2026-03-01T00:00:00Z").as_deref(),
        Some("2026-03-31T00:00:00Z")
    );
}

#[test]
fn days_of_the_week_count_from_sunday() {
    // Friday 2026-03-27 at noon, then the weekend.
    let weekdays = "cron(0 12 ? * MON-FRI *)";
    assert_eq!(
        next(weekdays, "2026-03-27T12:00:00Z").as_deref(),
        Some("2026-03-30T12:00:00Z")
    );
    assert_eq!(
        next("cron(0 12 ? * 1 *)", "2026-03-02T00:00:00Z").as_deref(),
        Some("2026-03-08T12:00:00Z")
    );
    // `L` alone is the last day of the week: Saturday.
    assert_eq!(
        next("cron(0 0 ? * L *)", "2026-03-01T00:00:00Z").as_deref(),
        Some("2026-03-07T00:00:00Z")
    );
    // A range may wrap past Saturday.
    let long_weekend = "cron(0 0 ? * FRI-MON *)";
    assert_eq!(
        next(long_weekend, "2026-03-03T00:00:00Z").as_deref(),
        Some("2026-03-06T00:00:00Z")
    );
    assert_eq!(
        next(long_weekend, "2026-03-08T00:00:00Z").as_deref(),
        Some("2026-03-09T00:00:00Z")
    );
    assert_eq!(
        next(long_weekend, "2026-03-09T00:00:00Z").as_deref(),
        Some("2026-03-13T00:00:00Z")
    );
    // And hours past midnight.
    let night = "cron(30 22-1 * * ? *)";
    assert_eq!(
        next(night, "2026-03-01T01:30:00Z").as_deref(),
        Some("2026-03-01T22:30:00Z")
    );
    assert_eq!(
        next(night, "2026-03-01T23:30:00Z").as_deref(),
        Some("2026-03-02T00:30:00Z")
    );
}

#[test]
fn last_and_nth_weekdays_of_the_month() {
    // Last Friday: 2026-03-27, 2026-02-27.
    assert_eq!(
        next("cron(15 10 ? * 6L *)", "2026-03-01T00:00:00Z").as_deref(),
        Some("2026-03-27T10:15:00Z")
    );
    assert_eq!(
        next("cron(15 10 ? * 6L *)", "2026-02-01T00:00:00Z").as_deref(),
        Some("2026-02-27T10:15:00Z")
    );
    // Last Sunday of March 2026 is the 29th.
    assert_eq!(
        next("cron(0 1 ? * 1L *)", "2026-03-01T00:00:00Z").as_deref(),
        Some("2026-03-29T01:00:00Z")
    );
    // Second Tuesday.
    assert_eq!(
        next("cron(0 8 ? * 3#2 *)", "2026-02-01T00:00:00Z").as_deref(),
        Some("2026-02-10T08:00:00Z")
    );
    assert_eq!(
        next("cron(0 8 ? * 3#2 *)", "2026-02-10T08:00:00Z").as_deref(),
        Some("2026-03-10T08:00:00Z")
    );
    // First Sunday: March 1st itself.
    assert_eq!(
        next("cron(0 8 ? * 1#1 *)", "2026-02-02T00:00:00Z").as_deref(),
        Some("2026-03-01T08:00:00Z")
    );
    // A fifth Monday: February 2026 has four, so March 30; then April and
    // May have four, so June 29.
    let fifth_monday = "cron(0 0 ? * 2#5 *)";
    assert_eq!(
        next(fifth_monday, "2026-02-01T00:00:00Z").as_deref(),
        Some("2026-03-30T00:00:00Z")
    );
    assert_eq!(
        next(fifth_monday, "2026-03-30T00:00:00Z").as_deref(),
        Some("2026-06-29T00:00:00Z")
    );
}

#[test]
fn a_cron_with_no_future_firing_answers_none() {
    assert_eq!(next("cron(0 0 * * ? 2020)", "2026-01-01T00:00:00Z"), None);
    assert_eq!(next("cron(0 0 30 2 ? *)", "2026-01-01T00:00:00Z"), None);
    assert_eq!(
        next("cron(0 0 31 4,6,9,11 ? *)", "2026-01-01T00:00:00Z"),
        None
    );
    let last_minute = "cron(59 23 L 12 ? 2199)";
    assert_eq!(
        next(last_minute, "2026-01-01T00:00:00Z").as_deref(),
        Some("2199-12-31T23:59:00Z")
    );
    assert_eq!(next(last_minute, "2199-12-31T23:59:00Z"), None);
    assert_eq!(parse(last_minute).next_after(0, u64::MAX), None);
}

#[test]
fn far_away_firings_are_found_without_walking_minutes() {
    // A minute-by-minute walk to 2199 is 90 million steps per call.
    let started = std::time::Instant::now();
    let rare = parse("cron(59 23 ? 2 2#5 2199)");
    for _ in 0..100 {
        // February 2199 has 28 days: four of each day of the week, no fifth Monday.
        assert_eq!(rare.next_after(0, at("2026-01-01T00:00:00Z")), None);
    }
    let fifth = parse("cron(0 0 ? 2 2#5 2196-2199)");
    // 2196 is the only leap year of these, and its February starts on a Monday.
    assert_eq!(
        fifth
            .next_after(0, at("2026-01-01T00:00:00Z"))
            .map(rfc3339_ns)
            .as_deref(),
        Some("2196-02-29T00:00:00Z")
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_rate_counts_from_its_anchor() {
    let anchor = at("2026-03-01T10:00:20Z");
    let five = parse("rate(5 minutes)");
    let fire = |after: &str| five.next_after(anchor, at(after)).map(rfc3339_ns);
    assert_eq!(
        fire("2026-03-01T10:00:20Z").as_deref(),
        Some("2026-03-01T10:05:20Z")
    );
    assert_eq!(
        fire("2026-03-01T10:05:19Z").as_deref(),
        Some("2026-03-01T10:05:20Z")
    );
    assert_eq!(
        fire("2026-03-01T10:05:20Z").as_deref(),
        Some("2026-03-01T10:10:20Z")
    );
    assert_eq!(
        fire("2026-03-01T11:02:00Z").as_deref(),
        Some("2026-03-01T11:05:20Z")
    );
    // Asked before the anchor: the first firing is one interval after it.
    assert_eq!(
        fire("2026-01-01T00:00:00Z").as_deref(),
        Some("2026-03-01T10:05:20Z")
    );
    let daily = parse("rate(1 day)");
    assert_eq!(
        daily
            .next_after(anchor, anchor + 1)
            .map(rfc3339_ns)
            .as_deref(),
        Some("2026-03-02T10:00:20Z")
    );
    assert_eq!(five.next_after(u64::MAX - 10, u64::MAX - 10), None);
    assert_eq!(
        parse("rate(2 hours)"),
        Schedule::Rate(Rate {
            value: 2,
            unit: RateUnit::Hour
        })
    );
}

#[test]
fn descriptions_read_like_the_schedule() {
    for (expression, description) in [
        ("rate(1 minute)", "every minute"),
        ("rate(5 minutes)", "every 5 minutes"),
        ("rate(1 hour)", "every hour"),
        ("rate(2 days)", "every 2 days"),
        ("cron(0 12 * * ? *)", "at 12:00 UTC every day"),
        ("cron(0 18 ? * MON-FRI *)", "at 18:00 UTC on MON-FRI"),
        ("cron(0 9 ? * 2,4,6 *)", "at 09:00 UTC on MON,WED,FRI"),
        ("cron(0/15 * * * ? *)", "every 15 minutes"),
        ("cron(* * * * ? *)", "every minute"),
        ("cron(0 * * * ? *)", "every hour at minute 0"),
        (
            "cron(0/5 8-17 ? * MON-FRI *)",
            "every 5 minutes during hours 8-17 UTC on MON-FRI",
        ),
        (
            "cron(0 8,12,18 * * ? *)",
            "at 08:00, 12:00 and 18:00 UTC every day",
        ),
        (
            "cron(0,30 9 * * ? *)",
            "every 30 minutes during hour 09 UTC",
        ),
        (
            "cron(0,20 9 * * ? *)",
            "at minutes 0,20 past hour 09 UTC every day",
        ),
        ("cron(0 8 1 * ? *)", "at 08:00 UTC on day 1 of the month"),
        (
            "cron(0 8 1,15 * ? *)",
            "at 08:00 UTC on days 1,15 of the month",
        ),
        (
            "cron(0 0 L * ? *)",
            "at 00:00 UTC on the last day of the month",
        ),
        (
            "cron(0 0 LW * ? *)",
            "at 00:00 UTC on the last weekday of the month",
        ),
        (
            "cron(0 12 15W * ? *)",
            "at 12:00 UTC on the weekday nearest day 15 of the month",
        ),
        (
            "cron(0 9 ? * 2#1 *)",
            "at 09:00 UTC on the first Monday of the month",
        ),
        (
            "cron(15 10 ? * 6L 2019-2022)",
            "at 10:15 UTC on the last Friday of the month in 2019-2022",
        ),
        (
            "cron(0 6 1 JAN,APR,JUL,OCT ? *)",
            "at 06:00 UTC on day 1 of the month in JAN,APR,JUL,OCT",
        ),
        ("cron(0 0 ? * * 2030)", "at 00:00 UTC every day in 2030"),
        ("cron(0 0 * 6-8 ? *)", "at 00:00 UTC every day in JUN-AUG"),
    ] {
        assert_eq!(parse(expression).describe(), description, "{expression}");
    }
}
