//! Just enough JSON output to build response bodies without serde, and a small
//! reader ([`Value`]) for JSON bodies and events.

pub use crate::json_value::{MAX_DEPTH, Number, ParseError, Value};

/// Returns `s` as a quoted JSON string literal, escaped so any text is safe inside JSON.
///
/// ```
/// assert_eq!(wasmfaas_sdk::json::string("say \"hi\"\n"), r#""say \"hi\"\n""#);
/// ```
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// Bytes that must be escaped inside a JSON string: `"`, `\` and the control
/// characters JSON forbids raw. Writing, they get escaped; reading, they end
/// a run of plain text.
pub(crate) static ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        table[c] = true;
        c += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `s` as a JSON string literal, copying unescaped runs in one go.
///
/// The scan for the next byte to escape is a loop of its own: the interpreter
/// charges a loop's whole body on every iteration, so the escaping code must not
/// sit inside it.
pub(crate) fn push_string(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // SAFETY: only whole UTF-8 runs of `s` and ASCII bytes are appended, so
    // `out` stays UTF-8. Bytes rather than `String::push(char)`, whose
    // encoding of any char is a few dozen instructions per quote.
    let out = unsafe { out.as_mut_vec() };
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    loop {
        let at = next_escape(bytes, run);
        out.extend_from_slice(&bytes[run..at]);
        let Some(&b) = bytes.get(at) else { break };
        push_escape(out, b);
        run = at + 1;
    }
    out.push(b'"');
}

/// Where the first byte from `from` on that needs escaping is, or the length.
fn next_escape(bytes: &[u8], mut from: usize) -> usize {
    while let Some(&b) = bytes.get(from) {
        if ESCAPE[usize::from(b)] {
            break;
        }
        from += 1;
    }
    from
}

#[inline(never)]
fn push_escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        }
    }
}

/// Appends `n` in decimal, without the formatting machinery of `to_string`.
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut first = digits.len();
    loop {
        first -= 1;
        digits[first] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // SAFETY: the digits are ASCII.
    out.push_str(unsafe { std::str::from_utf8_unchecked(&digits[first..]) });
}

#[cfg(test)]
mod tests {
    use super::{push_u64, string};

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(string(""), r#""""#);
        assert_eq!(string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(string("\n\r\t"), r#""\n\r\t""#);
        assert_eq!(string("\u{0}\u{1f}\u{8}"), r#""\u0000\u001f\u0008""#);
    }

    #[test]
    fn leaves_other_text_alone() {
        assert_eq!(
            string("héllo / 世界 🦀 \u{7f}"),
            "\"héllo / 世界 🦀 \u{7f}\""
        );
    }

    #[test]
    fn push_u64_writes_decimal() {
        for n in [0, 7, 10, 1_700_000_000_000_000_000, u64::MAX] {
            let mut s = String::from("n=");
            push_u64(&mut s, n);
            assert_eq!(s, format!("n={n}"));
        }
    }
}
