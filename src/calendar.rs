//! UTC calendar arithmetic: seconds since the Unix epoch to a civil date and
//! back, for every place that prints or parses a date (console, headers, XML,
//! S3 events). No clock is read here.

/// English month abbreviations, January first, as HTTP dates and log
/// formats write them.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A moment broken into its UTC calendar fields.
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    /// 0 is Thursday (1970-01-01 was one).
    pub weekday: usize,
}

pub(crate) fn civil(secs: i64) -> Civil {
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Civil {
        year: yoe + era * 400 + i64::from(month <= 2),
        month,
        day,
        hour: rest / 3600,
        minute: rest / 60 % 60,
        second: rest % 60,
        weekday: days.rem_euclid(7) as usize,
    }
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil`]).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the epoch of a UTC date and time; `None` if a field is out of range.
pub(crate) fn seconds(
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second);
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `2026-11-24T10:37:03Z`, or `2026-11-24T10:37:03.000000250Z` when the
/// time has a fraction: nanoseconds since the epoch as RFC 3339, exactly.
pub fn rfc3339_ns(ns: u64) -> String {
    let secs = i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX);
    let fraction = ns % 1_000_000_000;
    let c = civil(secs);
    let whole = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if fraction == 0 {
        format!("{whole}Z")
    } else {
        format!("{whole}.{fraction:09}Z")
    }
}

/// The inverse of [`rfc3339_ns`], also taking 1 to 9 fraction digits and a
/// lowercase `z`; `None` for anything else (offsets other than Z included,
/// so a fixture's time never depends on a time zone).
pub fn parse_rfc3339_ns(text: &str) -> Option<u64> {
    let text = text.strip_suffix('Z').or_else(|| text.strip_suffix('z'))?;
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let bytes = whole.as_bytes();
    if bytes.len() != 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'T' {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = whole.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let secs = seconds(
        number(0..4)?,
        u32::try_from(number(5..7)?).ok()?,
        u32::try_from(number(8..10)?).ok()?,
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
    )?;
    let nanos = match fraction {
        None => 0,
        Some(digits)
            if (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            digits.parse::<u64>().ok()? * 10u64.pow(9 - digits.len() as u32)
        }
        Some(_) => return None,
    };
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_nanoseconds_and_rejects_offsets() {
        for ns in [0, 1, 1_795_516_623_000_000_000, 1_795_516_623_000_000_250] {
            assert_eq!(
                parse_rfc3339_ns(&rfc3339_ns(ns)),
                Some(ns),
                "{}",
                rfc3339_ns(ns)
            );
        }
        assert_eq!(
            rfc3339_ns(1_795_516_623_500_000_000),
            "2026-11-24T10:37:03.500000000Z"
        );
        assert_eq!(
            parse_rfc3339_ns("2026-11-24T10:37:03.5Z"),
            Some(1_795_516_623_500_000_000)
        );
        for bad in [
            "2026-11-25T09:17:03+01:00",
            "2026-11-25 09:17:03Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T09:17:03.Z",
            "2026-11-25T09:17:03.1234567890Z",
        ] {
            assert_eq!(parse_rfc3339_ns(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_dates_round_trip_across_centuries() {
        for secs in [0, 951_782_400, 4_102_444_800, -2_208_988_800, 1_795_516_623] {
            let c = civil(secs);
            let back = seconds(c.year, c.month, c.day, c.hour, c.minute, c.second);
            assert_eq!(back, Some(secs));
        }
    }
}
