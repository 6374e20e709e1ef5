//! Just enough JSON output to build response bodies without serde.

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

/// Appends `s` as a JSON string literal, copying unescaped runs in one go (cheaper
/// in the interpreter than pushing char by char).
pub(crate) fn push_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        } else {
            out.push_str(short);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::string;

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
}
