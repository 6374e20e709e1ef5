//! The request head: one line of JSON read by a minimal hand-written reader.
//!
//! Hand-written because the guest runs in an interpreter that charges per
//! instruction: `serde_json` would triple the module size and parse slower. It reads
//! exactly what the ABI needs and skips (while still validating) everything else.
//!
//! Nothing is copied: every string of the head is a [`Text`], a range of the input
//! itself. Only a string with escapes is decoded, into one side buffer shared by
//! all such strings, so a typical head costs no allocation at all beyond the list
//! of header and parameter pairs.
//!
//! # Dev. Note: what fuel charges for
//! wasmi charges fuel when it enters a straight-line region, for every instruction
//! in it whether it runs or not: a function's whole body outside its loops and
//! `if`s at each call, and a loop's whole body at each iteration. So hot loops here
//! are tiny, and everything rare (escapes, non-ASCII checks, errors) is a separate,
//! non-inlined function instead of a branch inside the hot code.

use std::ops::Range;

use crate::{EnvelopeError, Request};

/// Unknown values are skipped recursively; the cap keeps a hostile head from
/// exhausting the guest's small (64 KiB by default) stack.
const MAX_DEPTH: usize = 64;

/// Where one string of the head is: a range of the input, or of the side buffer
/// holding strings that had escapes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Text {
    start: usize,
    end: usize,
    unescaped: bool,
}

/// `(name, value)` pairs of the head, for headers and route parameters.
pub(crate) type Pairs = Vec<(Text, Text)>;

/// Everything [`parse`] extracts from a head; the texts refer to its input.
struct Head {
    method: Text,
    path: Text,
    query: Text,
    pairs: Pairs,
    params: Range<usize>,
    headers: Range<usize>,
    unescaped: String,
    body_start: usize,
}

/// Parses a whole envelope, keeping `input` in the [`Request`] as its body.
pub(crate) fn parse(input: Vec<u8>) -> Result<Request, EnvelopeError> {
    let head = read_head(&input)?;
    Ok(Request {
        input,
        body_start: head.body_start,
        unescaped: head.unescaped,
        method: head.method,
        path: head.path,
        query: head.query,
        pairs: head.pairs,
        params: head.params,
        headers: head.headers,
        owned_params: Default::default(),
        owned_headers: Default::default(),
    })
}

fn read_head(input: &[u8]) -> Result<Head, EnvelopeError> {
    let mut r = Reader::new(input);
    let fields = match r.canonical() {
        Ok(fields) => fields,
        Err(Failed) => {
            r.restart();
            let mut fields = Fields::default();
            let read = r.object(|r, key| fields.member(r, key));
            if read.is_err() || !r.eat(b'\n') {
                return Err(r.error());
            }
            fields
        }
    };
    let body_start = r.pos;
    match fields.v {
        Some(1) => {}
        Some(n) => return Err(EnvelopeError::new(format!("unsupported ABI version {n}"))),
        None => return Err(missing("v")),
    }
    let actual = input.len() - body_start;
    if let Some(n) = fields.body_len.filter(|&n| n != actual as u64) {
        let msg = format!("body_len is {n} but {actual} body bytes follow");
        return Err(EnvelopeError::new(msg));
    }
    Ok(Head {
        method: fields.method.ok_or_else(|| missing("method"))?,
        path: fields.path.ok_or_else(|| missing("path"))?,
        query: fields.query,
        pairs: r.pairs,
        params: fields.params,
        headers: fields.headers,
        unescaped: r.unescaped,
        body_start,
    })
}

#[cold]
fn missing(key: &str) -> EnvelopeError {
    EnvelopeError::new(format!("missing key \"{key}\""))
}

/// The keys of the head seen so far; a repeated key's last value wins.
#[derive(Default)]
struct Fields {
    v: Option<u64>,
    method: Option<Text>,
    path: Option<Text>,
    query: Text,
    params: Range<usize>,
    headers: Range<usize>,
    body_len: Option<u64>,
}

impl Fields {
    fn member(&mut self, r: &mut Reader<'_>, key: Text) -> Res<()> {
        match r.str(key).as_bytes() {
            b"v" => self.v = Some(r.uint()?),
            b"method" => self.method = Some(r.string()?),
            b"path" => self.path = Some(r.string()?),
            b"query" => self.query = r.string()?,
            b"params" => self.params = r.string_map()?,
            b"headers" => self.headers = r.pairs()?,
            b"body_len" => self.body_len = Some(r.uint()?),
            _ => r.skip(0)?,
        }
        Ok(())
    }
}

impl Request {
    /// The string `text` stands for.
    pub(crate) fn text(&self, text: Text) -> &str {
        if text.unescaped {
            &self.unescaped[text.start..text.end]
        } else {
            raw_str(&self.input, text)
        }
    }

    /// The `(name, value)` pairs in `range` of the head, in order.
    pub(crate) fn pairs_in(
        &self,
        range: Range<usize>,
    ) -> impl DoubleEndedIterator<Item = (&str, &str)> {
        self.pairs[range]
            .iter()
            .map(|&(name, value)| (self.text(name), self.text(value)))
    }
}

/// A raw text as `&str`, without validating it again.
fn raw_str(input: &[u8], text: Text) -> &str {
    let bytes = &input[text.start..text.end];
    // SAFETY: raw texts are made only by `Reader::string`, which checked that the
    // bytes are UTF-8 (all ASCII, or validated by `Reader::check_utf8`), and the
    // input they index is never modified afterwards.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// How many bytes from the start of `b` are plain ASCII that a JSON string
/// holds as they are (no `"`, `\\`, control character or byte over 0x7f).
fn plain_run(b: &[u8]) -> usize {
    let mut at = 0;
    while let Some(&c) = b.get(at) {
        if PLAIN[usize::from(c)] == 0 {
            break;
        }
        at += 1;
    }
    at
}

/// 1 for the bytes [`plain_run`] accepts.
static PLAIN: [u8; 256] = {
    let mut table = [0; 256];
    let mut c = 0x20;
    while c < 0x80 {
        table[c] = 1;
        c += 1;
    }
    table[b'"' as usize] = 0;
    table[b'\\' as usize] = 0;
    table
};

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    /// What went wrong and where, once something did.
    failure: Option<(&'static str, usize)>,
    unescaped: String,
    pairs: Pairs,
}

/// A failed read; what failed is in [`Reader::failure`]. Empty, so that passing
/// it up with `?` costs nothing on the way that succeeds.
struct Failed;

type Res<T> = Result<T, Failed>;

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Reader<'a> {
        Reader {
            b: input,
            pos: 0,
            failure: None,
            unescaped: String::new(),
            // Room for a typical request's headers and parameters: growing
            // the list from empty took three reallocations.
            pairs: Pairs::with_capacity(16),
        }
    }

    /// Records that `what` is wrong at the current position.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, what: &'static str) -> Failed {
        self.fail_at(what, self.pos)
    }

    #[cold]
    #[inline(never)]
    fn fail_at(&mut self, what: &'static str, at: usize) -> Failed {
        self.failure = Some((what, at));
        Failed
    }

    /// Reads a head written the way wasmfaas writes it: the keys in the order of
    /// the ABI's table, no whitespace. Anything else fails, and the head is read
    /// again by the general reader; this saves matching each key by name, which
    /// was a third of the cost of a typical head.
    fn canonical(&mut self) -> Res<Fields> {
        let mut fields = Fields::default();
        self.literal(b"{\"v\":")?;
        fields.v = Some(self.uint()?);
        self.literal(b",\"method\":")?;
        fields.method = Some(self.string()?);
        self.literal(b",\"path\":")?;
        fields.path = Some(self.string()?);
        self.literal(b",\"query\":")?;
        fields.query = self.string()?;
        self.literal(b",\"params\":")?;
        fields.params = self.string_map()?;
        self.literal(b",\"headers\":")?;
        fields.headers = self.canonical_pairs()?;
        self.literal(b",\"body_len\":")?;
        fields.body_len = Some(self.uint()?);
        self.literal(b"}\n")?;
        Ok(fields)
    }

    /// Consumes `expected` if the input continues with it.
    fn literal(&mut self, expected: &[u8]) -> Res<()> {
        if self.b[self.pos..].starts_with(expected) {
            self.pos += expected.len();
            Ok(())
        } else {
            Err(Failed)
        }
    }

    /// The header list as the host writes it, `[["name","value"],...]` with
    /// no whitespace and no escapes; anything else fails, and the general
    /// reader takes over. One tight loop instead of the general reader's
    /// nested array and pair handling, which was a fifth of a request's cost.
    #[inline(never)]
    fn canonical_pairs(&mut self) -> Res<Range<usize>> {
        let first = self.pairs.len();
        self.literal(b"[")?;
        if self.literal(b"]").is_ok() {
            return Ok(first..first);
        }
        loop {
            self.literal(b"[\"")?;
            let name = self.plain_string()?;
            self.literal(b",\"")?;
            let value = self.plain_string()?;
            self.pairs.push((name, value));
            match self.b.get(self.pos..self.pos + 2) {
                Some(b"],") => self.pos += 2,
                Some(b"]]") => {
                    self.pos += 2;
                    return Ok(first..self.pairs.len());
                }
                _ => return Err(Failed),
            }
        }
    }

    /// The rest of a string whose opening quote is read, if it is plain ASCII
    /// with no escapes (a header as the host writes it); fails otherwise.
    fn plain_string(&mut self) -> Res<Text> {
        let start = self.pos;
        let end = start + plain_run(&self.b[start..]);
        if self.b.get(end) != Some(&b'"') {
            return Err(Failed);
        }
        self.pos = end + 1;
        Ok(Text {
            start,
            end,
            unescaped: false,
        })
    }

    /// Forgets everything read so far, to read the head again from its start.
    #[cold]
    #[inline(never)]
    fn restart(&mut self) {
        self.pos = 0;
        self.failure = None;
        self.unescaped.clear();
        self.pairs.clear();
    }

    /// The error to report after a failed read.
    #[cold]
    #[inline(never)]
    fn error(&self) -> EnvelopeError {
        let (what, at) = match self.failure {
            Some(failure) => failure,
            None if self.pos == self.b.len() => ("missing '\\n' after the JSON head", self.pos),
            None => ("unexpected character after the JSON head", self.pos),
        };
        EnvelopeError::new(format!("{what} at byte {at}"))
    }

    fn str(&self, text: Text) -> &str {
        if text.unescaped {
            &self.unescaped[text.start..text.end]
        } else {
            raw_str(self.b, text)
        }
    }

    /// `\n` is not whitespace here: it ends the head, which must be a single line.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        // Heads are usually written without whitespace: try without the loop first.
        self.eat_raw(c) || self.eat_after_ws(c)
    }

    #[inline(never)]
    fn eat_after_ws(&mut self, c: u8) -> bool {
        self.ws();
        self.eat_raw(c)
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Res<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.fail(what))
        }
    }

    fn object(&mut self, mut member: impl FnMut(&mut Self, Text) -> Res<()>) -> Res<()> {
        self.expect(b'{', "expected '{'")?;
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':', "expected ':'")?;
            member(self, key)?;
            if !self.eat(b',') {
                return self.expect(b'}', "expected ',' or '}'");
            }
        }
    }

    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Res<()>) -> Res<()> {
        self.expect(b'[', "expected '['")?;
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            element(self)?;
            if !self.eat(b',') {
                return self.expect(b']', "expected ',' or ']'");
            }
        }
    }

    /// A string as a range of the input when it has no escapes (the common case),
    /// else decoded into the side buffer.
    #[inline(never)]
    fn string(&mut self) -> Res<Text> {
        self.expect(b'"', "expected a string")?;
        let (b, start) = (self.b, self.pos);
        let mut end = start;
        let mut seen = 0u8;
        while let Some(&c) = b.get(end) {
            if crate::json::ESCAPE[usize::from(c)] {
                break;
            }
            seen |= c;
            end += 1;
        }
        self.pos = end;
        if seen >= 0x80 {
            self.check_utf8(start)?;
        }
        if b.get(end) != Some(&b'"') {
            return self.escaped_string(start);
        }
        self.pos = end + 1;
        Ok(Text {
            start,
            end,
            unescaped: false,
        })
    }

    /// Checks that the run from `start` to here is UTF-8. Runs end at ASCII
    /// delimiters, so they never split a UTF-8 sequence.
    #[inline(never)]
    fn check_utf8(&mut self, start: usize) -> Res<()> {
        match std::str::from_utf8(&self.b[start..self.pos]) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail_at("invalid UTF-8", start + e.valid_up_to())),
        }
    }

    /// The rest of a string whose first run, from `start`, stopped at an escape or
    /// a control character: decodes the whole string into the side buffer.
    #[inline(never)]
    fn escaped_string(&mut self, start: usize) -> Res<Text> {
        let from = self.unescaped.len();
        let mut run = start;
        loop {
            match self.b.get(self.pos) {
                None => return Err(self.fail("unterminated string")),
                Some(b'"') => {
                    self.push_run(run)?;
                    self.pos += 1;
                    return Ok(Text {
                        start: from,
                        end: self.unescaped.len(),
                        unescaped: true,
                    });
                }
                Some(b'\\') => {
                    self.push_run(run)?;
                    self.pos += 1;
                    let c = self.escape()?;
                    self.unescaped.push(c);
                    run = self.pos;
                }
                Some(0..=0x1f) => return Err(self.fail("raw control character in string")),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Appends the unescaped run from `run` to here to the side buffer.
    fn push_run(&mut self, run: usize) -> Res<()> {
        match std::str::from_utf8(&self.b[run..self.pos]) {
            Ok(text) => {
                self.unescaped.push_str(text);
                Ok(())
            }
            Err(e) => Err(self.fail_at("invalid UTF-8", run + e.valid_up_to())),
        }
    }

    fn escape(&mut self) -> Res<char> {
        let c = self.b.get(self.pos).copied();
        self.pos += 1;
        Ok(match c {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = self.hex4()?;
                let code = match hi {
                    0xd800..=0xdbff if self.b[self.pos..].starts_with(b"\\u") => {
                        self.pos += 2;
                        match self.hex4()? {
                            lo @ 0xdc00..=0xdfff => 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00),
                            _ => return Err(self.fail("unpaired surrogate in \\u escape")),
                        }
                    }
                    0xd800..=0xdfff => return Err(self.fail("unpaired surrogate in \\u escape")),
                    _ => hi,
                };
                match char::from_u32(code) {
                    Some(c) => c,
                    None => return Err(self.fail("invalid \\u escape")),
                }
            }
            _ => {
                self.pos -= 1;
                return Err(self.fail("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Res<u32> {
        let mut n = 0;
        for _ in 0..4 {
            match self.b.get(self.pos).and_then(|&c| (c as char).to_digit(16)) {
                Some(digit) => n = n * 16 + digit,
                None => return Err(self.fail("expected 4 hex digits in \\u escape")),
            }
            self.pos += 1;
        }
        Ok(n)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    #[inline(never)]
    fn uint(&mut self) -> Res<u64> {
        self.ws();
        let start = self.pos;
        let mut n = 0u64;
        while let Some(&c) = self.b.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let digit = u64::from(c - b'0');
            if n > (u64::MAX - digit) / 10 {
                return Err(self.fail("integer too large"));
            }
            n = n * 10 + digit;
            self.pos += 1;
        }
        if self.pos == start || matches!(self.b.get(self.pos), Some(b'.' | b'e' | b'E')) {
            self.pos = start;
            return Err(self.fail("expected a non-negative integer"));
        }
        Ok(n)
    }

    /// An object of strings, as pairs; returns where they are in `self.pairs`.
    #[inline(never)]
    fn string_map(&mut self) -> Res<Range<usize>> {
        let first = self.pairs.len();
        self.object(|r, key| {
            let value = r.string()?;
            r.pairs.push((key, value));
            Ok(())
        })?;
        Ok(first..self.pairs.len())
    }

    /// An array of `[name, value]` string pairs; returns where they are in `self.pairs`.
    #[inline(never)]
    fn pairs(&mut self) -> Res<Range<usize>> {
        let first = self.pairs.len();
        self.array(|r| {
            r.expect(b'[', "expected a [name, value] pair")?;
            let name = r.string()?;
            r.expect(b',', "expected ',' in a [name, value] pair")?;
            let value = r.string()?;
            r.expect(b']', "expected ']' closing a [name, value] pair")?;
            r.pairs.push((name, value));
            Ok(())
        })?;
        Ok(first..self.pairs.len())
    }

    /// Validates and discards any JSON value, so unknown keys may hold anything.
    #[inline(never)]
    fn skip(&mut self, depth: usize) -> Res<()> {
        self.ws();
        if depth > MAX_DEPTH {
            return Err(self.fail("value nested too deeply"));
        }
        let rest = &self.b[self.pos..];
        match rest.first() {
            Some(b'{') => self.object(|r, _| r.skip(depth + 1)),
            Some(b'[') => self.array(|r| r.skip(depth + 1)),
            Some(b'"') => self.string().map(drop),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => match ["true", "false", "null"]
                .iter()
                .find(|w| rest.starts_with(w.as_bytes()))
            {
                Some(word) => {
                    self.pos += word.len();
                    Ok(())
                }
                None => Err(self.fail("expected a JSON value")),
            },
        }
    }

    fn number(&mut self) -> Res<()> {
        self.pos += usize::from(self.b[self.pos] == b'-');
        let mut ok = self.digits() > 0;
        if ok && self.eat_raw(b'.') {
            ok = self.digits() > 0;
        }
        if ok && (self.eat_raw(b'e') || self.eat_raw(b'E')) {
            let _ = self.eat_raw(b'+') || self.eat_raw(b'-');
            ok = self.digits() > 0;
        }
        if ok {
            Ok(())
        } else {
            Err(self.fail("malformed number"))
        }
    }

    /// Like [`Reader::eat`] but without skipping whitespace, for inside a number.
    fn eat_raw(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.pos) == Some(&c);
        self.pos += usize::from(hit);
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of docs/abi.md, as the host writes heads.
    const DOCUMENTED: &str = concat!(
        r#"{"v":1,"method":"GET","path":"/hello","query":"name=Ada&x=%20y","params":{"id":"42"},"#,
        r#""headers":[["host","localhost:8080"],["accept","*/*"],["accept","text/html"]],"body_len":0}"#,
        "\n"
    );

    #[test]
    fn the_documented_head_takes_the_canonical_path() {
        let mut r = Reader::new(DOCUMENTED.as_bytes());
        assert!(r.canonical().is_ok());
        assert_eq!(r.pos, DOCUMENTED.len());
        assert_eq!(r.pairs.len(), 4);
    }

    #[test]
    fn plain_runs_end_at_the_first_byte_a_json_string_cannot_hold_as_it_is() {
        let plain = b"abcdefghijklmnopqrstuvwxyz0123456789 !#$%&'()*+,-./:;<=>?@[]^_`{|}~";
        for special in [b'"', b'\\', 0, 0x1f, b'\n', 0x7f + 1, 0xff] {
            for len in 0..plain.len() {
                let mut bytes = plain[..len].to_vec();
                bytes.push(special);
                bytes.extend_from_slice(b"tail after it");
                assert_eq!(plain_run(&bytes), len, "{special:#x} at {len}");
            }
        }
        assert_eq!(plain_run(plain), plain.len());
        // 0x7f (DEL) is plain in JSON.
        assert_eq!(plain_run(b"abcdefg\x7fhij"), 11);
    }

    #[test]
    fn headers_with_escapes_or_non_ascii_fall_back_and_read_the_same() {
        for value in [r"caf\u00e9", "café ☕ latte", r#"say \"hi\""#, r"tab\there"] {
            let head = DOCUMENTED
                .replace(r#""body_len":0"#, r#""body_len":4"#)
                .replace("localhost:8080", value);
            let general = summary(&head.replace(r#"{"v":1,"#, r#"{ "v":1,"#));
            assert_eq!(summary(&head), general, "{value}");
        }
    }

    /// Everything a request exposes, for comparing two parses.
    fn summary(head: &str) -> String {
        let req = parse(format!("{head}body").into_bytes()).unwrap();
        format!(
            "{} {} {} {:?} {:?} {:?}",
            req.method(),
            req.path(),
            req.query(),
            req.params(),
            req.headers(),
            req.body()
        )
    }

    #[test]
    fn other_heads_fall_back_and_read_the_same() {
        let body_len = DOCUMENTED.replace(r#""body_len":0"#, r#""body_len":4"#);
        let expected = summary(&body_len);
        let variants = [
            // Keys in another order, after the headers were already read.
            body_len
                .replace(r#"{"v":1,"#, "{")
                .replace(r#""body_len":4}"#, r#""body_len":4,"v":1}"#),
            // Whitespace.
            body_len.replace(r#","path""#, r#", "path""#),
            // An unknown key between two known ones.
            body_len.replace(r#","body_len""#, r#","extra":[1,{}],"body_len""#),
            // No body_len.
            body_len.replace(r#","body_len":4"#, ""),
        ];
        for variant in variants {
            let mut r = Reader::new(variant.as_bytes());
            assert!(r.canonical().is_err(), "{variant}");
            assert_eq!(summary(&variant), expected, "{variant}");
        }
        // Escapes do not leave the canonical path.
        let escaped = body_len.replace("/hello", r"/h\u0065llo");
        assert!(Reader::new(escaped.as_bytes()).canonical().is_ok());
        assert_eq!(summary(&escaped), expected);
    }
}
