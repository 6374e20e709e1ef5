//! Percent-decoding (`%XX`), the one decoder of the crate.
//!
//! Routing, the `lambda` and `cgi` ABIs and the S3 wire code all decode URL
//! text, but not by the same rules, and each caller's rule is part of how it
//! behaves today, so the rules are parameters here rather than copies:
//! - [`Plus`]: a path keeps `+` literal (S3 object keys `a+b` are `a+b`);
//!   form-encoded query strings write a space as `+`.
//! - strict or lossy: the S3 endpoint refuses a `%` not followed by two hex
//!   digits (`InvalidURI`, as S3 does), and wants UTF-8 ([`decode`]);
//!   routing keeps a bad escape as written and turns bytes that are not
//!   UTF-8 into U+FFFD, so any path a client sends can be routed
//!   ([`decode_lossy`]).
//!
//! Encoding is not here: only the S3 and SigV4 code encode, by AWS's rules
//! (`s3api::percent::encode`).

/// What a `+` means in the text being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    /// A path or an S3 key: `+` is a plus sign.
    Literal,
    /// A form-encoded query string: `+` is a space.
    Space,
}

/// A `%` that is not followed by two hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BadEscape;

/// The decoded bytes of `input`, one at a time, without allocating: what
/// both [`decode`] and [`decoded_equals`] walk.
struct Decoded<'a> {
    bytes: &'a [u8],
    at: usize,
    plus: Plus,
}

impl Iterator for Decoded<'_> {
    type Item = Result<u8, BadEscape>;

    fn next(&mut self) -> Option<Result<u8, BadEscape>> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(match byte {
            b'%' => {
                let hi = self.bytes.get(self.at).copied().and_then(hex_value);
                let lo = self.bytes.get(self.at + 1).copied().and_then(hex_value);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => {
                        self.at += 2;
                        Ok(hi << 4 | lo)
                    }
                    // Only the `%` is consumed: a lossy caller keeps it and
                    // reads what follows as plain text (`%zz%41` → `%zzA`).
                    _ => Err(BadEscape),
                }
            }
            b'+' if self.plus == Plus::Space => Ok(b' '),
            byte => Ok(byte),
        })
    }
}

fn decoded(input: &str, plus: Plus) -> Decoded<'_> {
    Decoded {
        bytes: input.as_bytes(),
        at: 0,
        plus,
    }
}

/// Percent-decodes `input` to bytes; `None` for a `%` not followed by two
/// hex digits.
pub fn decode(input: &str, plus: Plus) -> Option<Vec<u8>> {
    decoded(input, plus)
        .collect::<Result<Vec<u8>, BadEscape>>()
        .ok()
}

/// Percent-decodes `input`, keeping a bad escape as written; bytes that do
/// not form UTF-8 become U+FFFD.
pub fn decode_lossy(input: &str, plus: Plus) -> String {
    if !input.contains('%') && (plus == Plus::Literal || !input.contains('+')) {
        return input.to_string();
    }
    let bytes: Vec<u8> = decoded(input, plus).map(|b| b.unwrap_or(b'%')).collect();
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    }
}

/// Whether `raw` decodes (lossily, `+` literal, as a path segment) to exactly
/// `expected`, without allocating: how the router compares a request's
/// segment with a route's pre-decoded one. Decoded bytes that are not UTF-8
/// never equal a UTF-8 `expected`.
pub fn decoded_equals(raw: &str, expected: &[u8]) -> bool {
    if raw.len() < expected.len() {
        // Decoding only ever shortens the text.
        return false;
    }
    if !raw.as_bytes().contains(&b'%') {
        // Most segments: nothing to decode (a `+` stays a `+`).
        return raw.as_bytes() == expected;
    }
    let mut want = expected.iter();
    decoded(raw, Plus::Literal)
        .map(|b| b.unwrap_or(b'%'))
        .all(|b| want.next() == Some(&b))
        && want.next().is_none()
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decoding_refuses_bad_escapes_as_s3_does() {
        let text = |input, plus| String::from_utf8(decode(input, plus).unwrap()).unwrap();
        assert_eq!(text("caf%C3%A9%20%e2%98%BA", Plus::Literal), "café ☺");
        assert_eq!(decode("%zz", Plus::Literal), None);
        assert_eq!(decode("abc%4", Plus::Literal), None);
        assert_eq!(decode("%FF", Plus::Literal), Some(vec![0xFF]));
    }

    #[test]
    fn a_plus_is_literal_in_paths_and_keys_and_a_space_in_forms() {
        let text = |input, plus| String::from_utf8(decode(input, plus).unwrap()).unwrap();
        assert_eq!(text("a+b%2B", Plus::Literal), "a+b+");
        assert_eq!(text("a+b%2B", Plus::Space), "a b+");
        assert_eq!(decode_lossy("a+b", Plus::Literal), "a+b");
        assert_eq!(decode_lossy("a+b%2B", Plus::Space), "a b+");
    }

    #[test]
    fn lossy_decoding_keeps_bad_escapes_and_replaces_bad_utf8() {
        assert_eq!(decode_lossy("100%", Plus::Literal), "100%");
        assert_eq!(decode_lossy("%zz%41", Plus::Literal), "%zzA");
        assert_eq!(decode_lossy("a%FFb", Plus::Literal), "a\u{FFFD}b");
        assert_eq!(decode_lossy("a%2", Plus::Literal), "a%2");
    }

    #[test]
    fn decoded_equals_agrees_with_decoding_then_comparing() {
        for (raw, expected) in [
            ("a%20b", "a b"),
            ("a b", "a b"),
            ("a%2Fb", "a/b"),
            ("100%", "100%"),
            ("%zz%41", "%zzA"),
            ("caf%C3%A9", "café"),
            ("a+b", "a+b"),
            ("a+b", "a b"),
            ("ab", "abc"),
            ("abc", "ab"),
            ("%FF", "\u{FFFD}"),
        ] {
            let by_decoding = decode_lossy(raw, Plus::Literal) == expected;
            // The one documented difference: bytes that are not UTF-8.
            let expected_equal = by_decoding && raw != "%FF";
            assert_eq!(
                decoded_equals(raw, expected.as_bytes()),
                expected_equal,
                "{raw} vs {expected}"
            );
        }
    }
}
