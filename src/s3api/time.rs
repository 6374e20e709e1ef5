//! The date formats S3 speaks, to and from seconds or nanoseconds since the
//! Unix epoch (UTC). No clock is read here: callers pass `now`.
//!
//! - XML timestamps: ISO 8601 with milliseconds, `2026-11-24T10:37:03.000Z`.
//! - HTTP headers (`Last-Modified`, `If-Modified-Since`): IMF-fixdate,
//!   `Tue, 24 Nov 2026 10:37:03 GMT`.
//! - SigV4 (`X-Amz-Date`): basic ISO 8601, `20261124T103703Z`.

use crate::calendar::{MONTHS, civil, seconds};

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// `2026-11-24T10:37:03.000Z`, as S3 writes `LastModified` in XML.
pub fn iso8601_ms(ns: i64) -> String {
    let c = civil(ns.div_euclid(1_000_000_000));
    let ms = ns.rem_euclid(1_000_000_000) / 1_000_000;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `Tue, 24 Nov 2026 10:37:03 GMT`, as S3 writes `Last-Modified`.
pub fn http_date(ns: i64) -> String {
    let c = civil(ns.div_euclid(1_000_000_000));
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[c.weekday],
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// Seconds since the epoch of an HTTP date: IMF-fixdate, or the obsolete
/// RFC 850 and asctime forms a server must still accept (RFC 9110 §5.6.7).
/// `None` for anything else: an unparsable `If-Modified-Since` is ignored.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let month = |name: &str| MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1);
    let clock = |hms: &str| -> Option<(i64, i64, i64)> {
        let mut it = hms.split(':').map(|part| part.parse::<i64>().ok());
        let parsed = (it.next()??, it.next()??, it.next()??);
        it.next().is_none().then_some(parsed)
    };
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    match words.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        [_, day, mon, year, hms, "GMT"] if year.len() == 4 => {
            let (h, m, s) = clock(hms)?;
            seconds(year.parse().ok()?, month(mon)?, day.parse().ok()?, h, m, s)
        }
        // Sunday, 06-Nov-94 08:49:37 GMT
        [_, date, hms, "GMT"] => {
            let mut parts = date.split('-');
            let (day, mon, yy) = (parts.next()?, parts.next()?, parts.next()?);
            let yy: i64 = yy.parse().ok()?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            let (h, m, s) = clock(hms)?;
            seconds(year, month(mon)?, day.parse().ok()?, h, m, s)
        }
        // Sun Nov  6 08:49:37 1994
        [_, mon, day, hms, year] => {
            let (h, m, s) = clock(hms)?;
            seconds(year.parse().ok()?, month(mon)?, day.parse().ok()?, h, m, s)
        }
        _ => None,
    }
}

/// Seconds since the epoch of a SigV4 `X-Amz-Date`, `20130524T000000Z`.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|d| d.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    seconds(
        digits(0..4)?,
        u32::try_from(digits(4..6)?).ok()?,
        u32::try_from(digits(6..8)?).ok()?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i64 = 1_000_000_000;

    #[test]
    fn xml_timestamps_have_milliseconds() {
        assert_eq!(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_ms(951_782_400 * NS), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            iso8601_ms(1_795_516_623 * NS + 987_654_321),
            "2026-11-24T10:37:03.987Z"
        );
        assert_eq!(iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn http_dates_print_and_parse_in_all_three_forms() {
        assert_eq!(
            http_date(1_795_516_623 * NS),
            "Tue, 24 Nov 2026 10:37:03 GMT"
        );
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            parse_http_date("Tue, 24 Nov 2026 10:37:03 GMT"),
            Some(1_795_516_623)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Tue, 32 Nov 2026 10:37:03 GMT"), None);
    }

    #[test]
    fn amz_dates_parse_to_seconds() {
        assert_eq!(parse_amz_date("20130524T000000Z"), Some(1_369_353_600));
        assert_eq!(parse_amz_date("20130524T000000"), None);
        assert_eq!(parse_amz_date("2013-05-24T00:00:00Z"), None);
        assert_eq!(parse_amz_date("20131324T000000Z"), None);
    }
}
