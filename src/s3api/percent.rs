//! Percent-encoding as S3 and SigV4 use it.
//!
//! One encoder serves the SigV4 canonical request, `EncodingType=url`
//! listings and SigV2 resources: AWS's "URI encode" keeps only the unreserved
//! characters `A-Z a-z 0-9 - _ . ~` (and, in paths, `/`) and writes every
//! other byte as `%XX` with upper-case hex. Decoding is the crate's one
//! decoder ([`crate::percent`]) in its strict form: S3 answers a bad escape
//! with `InvalidURI`.

use crate::percent::Plus;

/// Percent-decodes `input` to bytes; `plus_is_space` for query strings,
/// where form encoding writes a space as `+` (a path or key keeps `+` literal).
/// `None` for a `%` not followed by two hex digits.
pub fn decode(input: &str, plus_is_space: bool) -> Option<Vec<u8>> {
    let plus = if plus_is_space {
        Plus::Space
    } else {
        Plus::Literal
    };
    crate::percent::decode(input, plus)
}

/// Percent-decodes `input` into a UTF-8 string (see [`decode`]).
pub fn decode_utf8(input: &str, plus_is_space: bool) -> Option<String> {
    String::from_utf8(decode(input, plus_is_space)?).ok()
}

/// AWS URI-encodes `input`; `keep_slash` leaves `/` as it is (paths, keys).
pub fn encode(input: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len());
    for &byte in input {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) || (keep_slash && byte == b'/') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
    }
    out
}

/// A raw query string's (name, value) pairs, each still percent-encoded, in
/// order; a name without `=` has an empty value (`?uploads`).
pub fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_handles_escapes_plus_and_bad_escapes() {
        assert_eq!(
            decode_utf8("caf%C3%A9%20%e2%98%BA", false).unwrap(),
            "café ☺"
        );
        assert_eq!(decode_utf8("a+b", false).unwrap(), "a+b");
        assert_eq!(decode_utf8("a+b", true).unwrap(), "a b");
        assert_eq!(decode("%zz", false), None);
        assert_eq!(decode("abc%4", false), None);
        assert_eq!(decode_utf8("%FF", false), None);
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a b/c~d+é".as_bytes(), true), "a%20b/c~d%2B%C3%A9");
        assert_eq!(encode(b"dir/", false), "dir%2F");
    }

    #[test]
    fn raw_pairs_split_names_from_values() {
        let pairs: Vec<_> = raw_pairs("uploads&partNumber=1&x=a=b&").collect();
        assert_eq!(pairs, [("uploads", ""), ("partNumber", "1"), ("x", "a=b")]);
    }
}
