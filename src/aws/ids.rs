//! Identifiers that look like AWS's (UUIDs, API Gateway request ids, hex
//! sequencers) but follow from a seed, so a generated event can be made
//! reproducible with `--seed`.

use crate::hex::hex;
use crate::wasi::SeededRng;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// A deterministic stream of identifiers.
#[derive(Debug, Clone)]
pub struct IdSource {
    rng: SeededRng,
}

impl IdSource {
    /// Identifiers that all follow from `seed`.
    pub fn new(seed: u64) -> IdSource {
        IdSource {
            rng: SeededRng::new(seed),
        }
    }

    /// A version-4 UUID, lower-case: `059f36b4-87a3-44ab-83d2-661975830a7d`
    /// (SQS message ids, EventBridge event ids, REST API request ids).
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        let hex = hex(&bytes);
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// An HTTP API request id: 11 bytes in base64, e.g. `ATfSmjLgPHcESJw=`.
    pub fn short_request_id(&mut self) -> String {
        let mut bytes = [0u8; 11];
        self.rng.fill(&mut bytes);
        BASE64.encode(bytes)
    }

    /// `digits` upper-case hex digits (S3 request ids and sequencers).
    pub fn upper_hex(&mut self, digits: usize) -> String {
        let mut bytes = vec![0u8; digits.div_ceil(2)];
        self.rng.fill(&mut bytes);
        let mut text = hex(&bytes).to_ascii_uppercase();
        text.truncate(digits);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_follow_from_the_seed() {
        let first = IdSource::new(7).uuid();
        assert_eq!(first, IdSource::new(7).uuid());
        assert_ne!(first, IdSource::new(8).uuid());
        let parts: Vec<&str> = first.split('-').collect();
        let lengths: Vec<usize> = parts.iter().map(|part| part.len()).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12], "{first}");
        assert!(parts[2].starts_with('4'), "{first}");
        assert!("89ab".contains(&parts[3][..1]), "{first}");
    }

    #[test]
    fn successive_ids_differ() {
        let mut ids = IdSource::new(1);
        assert_ne!(ids.uuid(), ids.uuid());
        assert_ne!(ids.upper_hex(16), ids.upper_hex(16));
    }

    #[test]
    fn short_ids_and_hex_have_aws_lengths() {
        let mut ids = IdSource::new(3);
        let short = ids.short_request_id();
        assert_eq!(short.len(), 16, "{short}");
        assert!(short.ends_with('='), "{short}");
        let sequencer = ids.upper_hex(15);
        assert_eq!(sequencer.len(), 15);
        assert!(
            sequencer
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
    }
}
