//! The request head: one line of JSON read by a minimal hand-written reader.
//!
//! Hand-written because the guest runs in an interpreter that charges per
//! instruction: `serde_json` would triple the module size and parse slower. It reads
//! exactly what the ABI needs and skips (while still validating) everything else.

use std::borrow::Cow;

use crate::{EnvelopeError, Request};

/// Unknown values are skipped recursively; the cap keeps a hostile head from
/// exhausting the guest's small (64 KiB by default) stack.
const MAX_DEPTH: usize = 64;

type Pairs = Vec<(String, String)>;

/// Parses a whole envelope, keeping `input` in the [`Request`] as its body.
pub(crate) fn parse(input: Vec<u8>) -> Result<Request, EnvelopeError> {
    let mut r = Reader { b: &input, pos: 0 };
    let (mut v, mut method, mut path) = (None, None, None);
    let (mut query, mut params, mut headers) = (String::new(), Vec::new(), Vec::new());
    let mut body_len = None;
    r.object(|r, key| {
        match &*key {
            "v" => v = Some(r.uint()?),
            "method" => method = Some(r.string()?.into_owned()),
            "path" => path = Some(r.string()?.into_owned()),
            "query" => query = r.string()?.into_owned(),
            "params" => params = r.string_map()?,
            "headers" => headers = r.pairs()?,
            "body_len" => body_len = Some(r.uint()?),
            _ => r.skip(0)?,
        }
        Ok(())
    })?;
    if !r.eat(b'\n') {
        let at_end = r.pos == r.b.len();
        let what = if at_end {
            "missing '\\n' after"
        } else {
            "unexpected character after"
        };
        return Err(r.err(&format!("{what} the JSON head")));
    }
    let body_start = r.pos;
    match v {
        Some(1) => {}
        Some(n) => return Err(EnvelopeError::new(format!("unsupported ABI version {n}"))),
        None => return Err(EnvelopeError::new("missing key \"v\"")),
    }
    let actual = input.len() - body_start;
    if let Some(n) = body_len.filter(|&n| n != actual as u64) {
        let msg = format!("body_len is {n} but {actual} body bytes follow");
        return Err(EnvelopeError::new(msg));
    }
    let missing = |k: &str| EnvelopeError::new(format!("missing key \"{k}\""));
    Ok(Request {
        method: method.ok_or_else(|| missing("method"))?,
        path: path.ok_or_else(|| missing("path"))?,
        query,
        params,
        headers,
        input,
        body_start,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

type Res<T> = Result<T, EnvelopeError>;

impl<'a> Reader<'a> {
    fn err(&self, what: &str) -> EnvelopeError {
        EnvelopeError::new(format!("{what} at byte {}", self.pos))
    }

    /// `\n` is not whitespace here: it ends the head, which must be a single line.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        self.eat_raw(c)
    }

    fn expect(&mut self, c: u8, what: &str) -> Res<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn object(&mut self, mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Res<()>) -> Res<()> {
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

    /// Borrows when the string has no escapes, which is the common case.
    fn string(&mut self) -> Res<Cow<'a, str>> {
        self.expect(b'"', "expected a string")?;
        let (mut owned, mut run) = (None::<String>, self.pos);
        loop {
            match self.b.get(self.pos) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    let tail = self.text(run)?;
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text(run)?);
                    self.pos += 1;
                    s.push(self.escape()?);
                    run = self.pos;
                }
                Some(0..=0x1f) => return Err(self.err("raw control character in string")),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Runs end at ASCII delimiters, so they never split a UTF-8 sequence.
    fn text(&self, from: usize) -> Res<&'a str> {
        std::str::from_utf8(&self.b[from..self.pos]).map_err(|e| {
            EnvelopeError::new(format!("invalid UTF-8 at byte {}", from + e.valid_up_to()))
        })
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
                            _ => return Err(self.err("unpaired surrogate in \\u escape")),
                        }
                    }
                    0xd800..=0xdfff => return Err(self.err("unpaired surrogate in \\u escape")),
                    _ => hi,
                };
                char::from_u32(code).ok_or_else(|| self.err("invalid \\u escape"))?
            }
            _ => {
                self.pos -= 1;
                return Err(self.err("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Res<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = self.b.get(self.pos).and_then(|&c| (c as char).to_digit(16));
            n = n * 16 + digit.ok_or_else(|| self.err("expected 4 hex digits in \\u escape"))?;
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

    fn uint(&mut self) -> Res<u64> {
        self.ws();
        let start = self.pos;
        if self.digits() == 0 || matches!(self.b.get(self.pos), Some(b'.' | b'e' | b'E')) {
            self.pos = start;
            return Err(self.err("expected a non-negative integer"));
        }
        // Only ASCII digits were consumed: from_utf8 cannot fail, parse only on overflow.
        let text = std::str::from_utf8(&self.b[start..self.pos]).unwrap_or_default();
        text.parse().map_err(|_| self.err("integer too large"))
    }

    fn string_map(&mut self) -> Res<Pairs> {
        let mut map = Pairs::new();
        self.object(|r, key| {
            let value = r.string()?.into_owned();
            map.push((key.into_owned(), value));
            Ok(())
        })?;
        Ok(map)
    }

    fn pairs(&mut self) -> Res<Pairs> {
        let mut pairs = Pairs::new();
        self.array(|r| {
            r.expect(b'[', "expected a [name, value] pair")?;
            let name = r.string()?.into_owned();
            r.expect(b',', "expected ',' in a [name, value] pair")?;
            let value = r.string()?.into_owned();
            r.expect(b']', "expected ']' closing a [name, value] pair")?;
            pairs.push((name, value));
            Ok(())
        })?;
        Ok(pairs)
    }

    /// Validates and discards any JSON value, so unknown keys may hold anything.
    fn skip(&mut self, depth: usize) -> Res<()> {
        self.ws();
        if depth > MAX_DEPTH {
            return Err(self.err("value nested too deeply"));
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
                None => Err(self.err("expected a JSON value")),
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
            Err(self.err("malformed number"))
        }
    }

    /// Like [`Reader::eat`] but without skipping whitespace, for inside a number.
    fn eat_raw(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.pos) == Some(&c);
        self.pos += usize::from(hit);
        hit
    }
}
