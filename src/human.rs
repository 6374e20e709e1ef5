//! Figures as people read them: grouped counts, binary sizes, usage summaries.
//! Shared by the CLI's output and the gateway's error pages so both say the
//! same thing the same way.

use crate::runtime::Usage;
use std::time::{SystemTime, UNIX_EPOCH};

/// `1,234,567`: fuel counts are large and read best grouped.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `64 KiB`, `1.5 MiB`.
pub fn bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} B")
    }
}

/// `fuel 120,480 · peak memory 128 KiB · wall 1.30 ms`.
pub fn usage(usage: &Usage) -> String {
    format!(
        "fuel {} · peak memory {} · wall {:.2} ms",
        grouped(usage.fuel),
        bytes(usage.peak_memory_bytes),
        usage.wall.as_secs_f64() * 1000.0
    )
}

/// [`utc`] of a time in nanoseconds since the Unix epoch.
pub fn utc_of_ns(ns: u64) -> String {
    crate::calendar::rfc3339_ns(ns - ns % 1_000_000_000)
}

/// `2026-11-24T10:37:03Z`: a moment in UTC, as RFC 3339 writes it, to the
/// second.
pub fn utc(at: SystemTime) -> String {
    let ns = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    utc_of_ns(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }

    #[test]
    fn moments_print_as_rfc3339_utc() {
        let at = |secs| UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(utc(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(utc(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(utc(at(1_795_516_623)), "2026-11-24T10:37:03Z");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(128 * 1024), "128 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
    }
}
