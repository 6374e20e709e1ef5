//! The time formats AWS events carry besides RFC 3339.

use crate::calendar::{self, MONTHS};

/// `12/Mar/2020:19:03:58 +0000`: API Gateway's `requestTime` and `time`
/// (the Common Log Format date), always in UTC, whole seconds.
pub fn common_log(ns: u64) -> String {
    let c = calendar::civil(i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX));
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// Milliseconds since the epoch, as `requestTimeEpoch` and `timeEpoch` carry them.
pub fn epoch_ms(ns: u64) -> u64 {
    ns / 1_000_000
}

/// `2026-11-24T12:00:00Z`: EventBridge's `time`, whole seconds.
pub fn rfc3339_seconds(ns: u64) -> String {
    calendar::rfc3339_ns(ns - ns % 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2020-03-04T19:15:17.135Z, the `requestTimeEpoch` of AWS's own example.
    const AWS_EXAMPLE_NS: u64 = 1_583_349_317_135_000_000;

    #[test]
    fn request_time_matches_the_aws_example() {
        assert_eq!(common_log(AWS_EXAMPLE_NS), "04/Mar/2020:19:15:17 +0000");
        assert_eq!(epoch_ms(AWS_EXAMPLE_NS), 1_583_349_317_135);
    }

    #[test]
    fn eventbridge_time_drops_the_fraction() {
        assert_eq!(rfc3339_seconds(AWS_EXAMPLE_NS), "2020-03-04T19:15:17Z");
        assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn every_month_has_its_abbreviation() {
        let december = 1_798_675_200_000_000_000; // 2026-12-31T00:00:00Z
        assert_eq!(common_log(december), "31/Dec/2026:00:00:00 +0000");
    }
}
