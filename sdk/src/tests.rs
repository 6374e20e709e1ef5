use super::*;

fn parse(text: &str) -> Result<Request, EnvelopeError> {
    Request::parse(text.as_bytes())
}

fn err(text: &str) -> String {
    parse(text).expect_err("should be rejected").to_string()
}

const EXAMPLE: &str = concat!(
    r#"{"v":1,"method":"GET","path":"/hello","query":"name=Ada&x=%20y","params":{"id":"42"},"#,
    r#""headers":[["host","localhost:8080"],["accept","*/*"],["accept","text/html"]],"body_len":0}"#,
    "\n"
);

#[test]
fn parses_the_documented_example() {
    let req = parse(EXAMPLE).unwrap();
    assert_eq!(
        (req.method(), req.path(), req.query()),
        ("GET", "/hello", "name=Ada&x=%20y")
    );
    assert_eq!(req.param("id"), Some("42"));
    assert_eq!(req.param("nope"), None);
    assert_eq!(req.header("HOST"), Some("localhost:8080"));
    assert_eq!(
        req.header_all("accept").collect::<Vec<_>>(),
        ["*/*", "text/html"]
    );
    assert_eq!(req.headers().len(), 3);
    assert_eq!(req.body(), b"");
    assert_eq!(req.query_param("x").as_deref(), Some(" y"));
}

#[test]
fn optional_keys_default_and_order_does_not_matter() {
    let req = parse("{\"path\":\"/\", \"method\":\"POST\" , \"v\" : 1 }\r\nhi").unwrap();
    assert_eq!(
        (req.method(), req.query(), req.body_text()),
        ("POST", "", Some("hi"))
    );
    assert!(req.params().is_empty() && req.headers().is_empty());
}

#[test]
fn decodes_every_string_escape() {
    let head = r#"{"v":1,"method":"GET","path":"/\"\\\/\b\f\n\r\t\u00e9\u4e16\ud83e\udd80"}"#;
    let req = parse(&format!("{head}\n")).unwrap();
    assert_eq!(req.path(), "/\"\\/\u{8}\u{c}\n\r\té世🦀");
}

#[test]
fn skips_unknown_keys_of_any_shape() {
    let unknown =
        r#""a":{"b":[1,-2.5e+3,{"c":null}],"d":"}"},"e":[],"f":true,"g":false,"h":0.1E-2"#;
    let head = format!(r#"{{{unknown},"v":1,"method":"GET","path":"/x","z":{{}}}}"#);
    assert_eq!(parse(&format!("{head}\n")).unwrap().path(), "/x");
}

#[test]
fn rejects_malformed_heads() {
    let ok = r#"{"v":1,"method":"GET","path":"/"}"#;
    assert!(parse(&format!("{ok}\n")).is_ok());
    assert!(err(ok).contains("missing '\\n'"));
    assert!(err(r#"{"v":1,"method":"GET","pa"#).contains("unterminated string"));
    assert!(err(r#"{"v":1,"method":"GET""#).contains("expected ',' or '}'"));
    assert!(err("").contains("expected '{'"));
    assert!(err("{\"v\":1,\n\"method\":\"GET\",\"path\":\"/\"}\n").contains("expected a string"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"/\"} x\n").contains("after the JSON head"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"/\\x\"}\n").contains("invalid escape"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"/\\u12\"}\n").contains("hex digits"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"\\ud83e\"}\n").contains("surrogate"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"\\udd80\"}\n").contains("surrogate"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"a\tb\"}\n").contains("control"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"/\",}\n").contains("expected a string"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"/\",\"x\":tru}\n").contains("value"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"/\",\"x\":1.}\n").contains("number"));
    assert!(err("{\"v\":1,\"method\":\"GET\",\"path\":\"/\",\"x\":-}\n").contains("number"));
}

#[test]
fn rejects_wrong_types_versions_and_missing_keys() {
    assert!(err("{\"v\":2,\"method\":\"GET\",\"path\":\"/\"}\n").contains("version 2"));
    assert!(err("{\"v\":1.0,\"method\":\"GET\",\"path\":\"/\"}\n").contains("integer"));
    assert!(err("{\"method\":\"GET\",\"path\":\"/\"}\n").contains("\"v\""));
    assert!(err("{\"v\":1,\"path\":\"/\"}\n").contains("\"method\""));
    assert!(err("{\"v\":1,\"method\":\"GET\"}\n").contains("\"path\""));
    let base = r#"{"v":1,"method":"GET","path":"/""#;
    assert!(err(&format!("{base},\"headers\":[[\"a\"]]}}\n")).contains("pair"));
    assert!(err(&format!("{base},\"headers\":[[\"a\",\"b\",\"c\"]]}}\n")).contains("pair"));
    assert!(err(&format!("{base},\"params\":{{\"id\":42}}}}\n")).contains("expected a string"));
    assert!(err(&format!("{base},\"body_len\":99999999999999999999}}\n")).contains("too large"));
}

#[test]
fn rejects_deep_nesting_instead_of_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let head = format!(r#"{{"v":1,"method":"GET","path":"/","x":{deep}}}"#);
    assert!(err(&format!("{head}\n")).contains("nested too deeply"));
}

#[test]
fn rejects_invalid_utf8_in_the_head() {
    let mut bytes = br#"{"v":1,"method":"G"#.to_vec();
    bytes.extend_from_slice(b"\xff\"}\n");
    assert!(
        Request::parse(&bytes)
            .unwrap_err()
            .to_string()
            .contains("UTF-8")
    );
}

#[test]
fn body_is_binary_safe_and_body_len_is_checked() {
    let body: Vec<u8> = (0..=255).collect();
    let mut input = br#"{"v":1,"method":"PUT","path":"/","body_len":256}"#.to_vec();
    input.push(b'\n');
    input.extend_from_slice(&body);
    let req = Request::parse(&input).unwrap();
    assert_eq!(req.body(), body);
    assert_eq!(req.body_text(), None);
    input.pop();
    let e = Request::parse(&input).unwrap_err().to_string();
    assert!(
        e.contains("body_len is 256 but 255 body bytes follow"),
        "{e}"
    );
}

#[test]
fn query_parameters_are_decoded() {
    let req = parse(&EXAMPLE.replace("name=Ada&x=%20y", "a=1&&b&na%6De=J+D%C3%A9&a=2&bad=%zz%4"))
        .unwrap();
    assert_eq!(req.query_param("a").as_deref(), Some("1"));
    assert_eq!(req.query_param("b").as_deref(), Some(""));
    assert_eq!(req.query_param("name").as_deref(), Some("J Dé"));
    assert_eq!(req.query_param("bad").as_deref(), Some("%zz%4"));
    assert_eq!(req.query_param("missing"), None);
    let all = req.query_params();
    assert_eq!(all.len(), 5);
    assert_eq!(all[2], ("name".to_owned(), "J Dé".to_owned()));
    assert_eq!(decode("%ff"), "\u{fffd}");
}

#[test]
fn response_envelope_has_head_newline_body() {
    let mut out = Vec::new();
    let resp = Response::json(r#"{"message":"Hello, Ada!"}"#)
        .with_header("set-cookie", "a=1")
        .with_header("set-cookie", "b=\"2\"");
    resp.write_to(&mut out).unwrap();
    let expected = concat!(
        r#"{"status":200,"headers":[["content-type","application/json"],"#,
        r#"["set-cookie","a=1"],["set-cookie","b=\"2\""]]}"#,
        "\n",
        r#"{"message":"Hello, Ada!"}"#
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn response_builders() {
    let resp = Response::new(204);
    assert_eq!(
        (resp.status(), resp.headers(), resp.body()),
        (204, &[][..], &b""[..])
    );
    let mut out = Vec::new();
    resp.write_to(&mut out).unwrap();
    assert_eq!(out, b"{\"status\":204,\"headers\":[]}\n");

    let resp = Response::text("nope")
        .with_status(404)
        .with_body(vec![0, 10, 255]);
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()[0].1, "text/plain; charset=utf-8");
    let mut out = Vec::new();
    resp.write_to(&mut out).unwrap();
    assert!(out.ends_with(b"]]}\n\x00\x0a\xff"));
}

#[test]
fn escaped_strings_are_decoded_each_into_its_own_text() {
    let head = concat!(
        r#"{"v":1,"method":"G\u0045T","path":"/a\"b","query":"q=\u00e9","#,
        r#""params":{"i\u0064":"4\/2","raw":"x"},"#,
        r#""headers":[["x-\u0041","v\\1"],["plain","p"],["x-b","\tv2"]]}"#,
        "\n"
    );
    let req = parse(head).unwrap();
    assert_eq!(req.method(), "GET");
    assert_eq!(req.path(), "/a\"b");
    assert_eq!(req.query(), "q=é");
    assert_eq!(req.param("id"), Some("4/2"));
    assert_eq!(req.param("raw"), Some("x"));
    assert_eq!(req.header("x-a"), Some("v\\1"));
    assert_eq!(req.header("plain"), Some("p"));
    assert_eq!(req.header("X-B"), Some("\tv2"));
}

#[test]
fn raw_non_ascii_text_is_kept_and_checked() {
    let head = "{\"v\":1,\"method\":\"GET\",\"path\":\"/caf\u{e9}\",\"headers\":[[\"x-name\",\"\u{4e16}\u{754c} \u{1f980}\"]]}\n";
    let req = parse(head).unwrap();
    assert_eq!(req.path(), "/café");
    assert_eq!(req.header("x-name"), Some("世界 🦀"));

    // A truncated UTF-8 sequence in a header value, then in an escaped string.
    let mut bytes = br#"{"v":1,"method":"GET","path":"/","headers":[["a","x"#.to_vec();
    bytes.extend_from_slice(b"\xe4\xb8\"]]}\n");
    let e = Request::parse(&bytes).unwrap_err().to_string();
    assert!(e.contains("invalid UTF-8 at byte 51"), "{e}");
    let mut bytes = br#"{"v":1,"method":"GET","path":"\n"#.to_vec();
    bytes.extend_from_slice(b"\xff\"}\n");
    let e = Request::parse(&bytes).unwrap_err().to_string();
    assert!(e.contains("invalid UTF-8 at byte 32"), "{e}");
}

#[test]
fn repeated_headers_stay_separate_and_in_order() {
    let head = concat!(
        r#"{"v":1,"method":"GET","path":"/","headers":[["cookie","a=1"],"#,
        r#"["accept","*/*"],["Cookie","b=2"],["cookie","c=3"]]}"#,
        "\n"
    );
    let req = parse(head).unwrap();
    assert_eq!(req.header("cookie"), Some("a=1"));
    assert_eq!(
        req.header_all("COOKIE").collect::<Vec<_>>(),
        ["a=1", "b=2", "c=3"]
    );
    let names: Vec<&str> = req.headers().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["cookie", "accept", "Cookie", "cookie"]);
    assert_eq!(req.header_all("missing").count(), 0);
}

#[test]
fn a_repeated_key_keeps_its_last_value() {
    let head = concat!(
        r#"{"v":1,"method":"GET","path":"/old","headers":[["a","1"]],"params":{"id":"1","id":"2"},"#,
        r#""path":"/new","headers":[["b","2"]]}"#,
        "\n"
    );
    let req = parse(head).unwrap();
    assert_eq!(req.path(), "/new");
    assert_eq!(req.header("a"), None);
    assert_eq!(req.header("b"), Some("2"));
    assert_eq!(req.headers(), [("b".to_owned(), "2".to_owned())]);
    // Within one object, the last of two equal keys wins too.
    assert_eq!(req.param("id"), Some("2"));
    assert_eq!(req.params().len(), 2);
}

#[test]
fn owned_lists_match_the_lookups_also_in_a_clone() {
    let req = parse(EXAMPLE).unwrap();
    let copy = req.clone();
    drop(req);
    assert_eq!(copy.params(), [("id".to_owned(), "42".to_owned())]);
    assert_eq!(
        copy.headers()[2],
        ("accept".to_owned(), "text/html".to_owned())
    );
    assert_eq!(copy.header("host"), Some("localhost:8080"));
    let debug = format!("{copy:?}");
    assert!(debug.contains(r#"headers: [("host", "localhost:8080"), ("accept", "*/*")"#));
    assert!(debug.contains("body_len: 0"), "{debug}");
}

#[test]
fn empty_bodies_and_empty_lists() {
    let req = parse(
        "{\"v\":1,\"method\":\"GET\",\"path\":\"\",\"params\":{},\"headers\":[],\"body_len\":0}\n",
    )
    .unwrap();
    assert_eq!(
        (req.path(), req.body(), req.body_text()),
        ("", &b""[..], Some(""))
    );
    assert!(req.params().is_empty() && req.headers().is_empty());
    assert_eq!(req.header("x"), None);
    assert!(req.query_params().is_empty());
}

#[test]
fn odd_query_strings_split_like_url_encoded_forms() {
    let req = parse(&EXAMPLE.replace("name=Ada&x=%20y", "&&a=1&=x&b==c&flag&")).unwrap();
    assert_eq!(
        req.query_params(),
        [
            ("a".to_owned(), "1".to_owned()),
            (String::new(), "x".to_owned()),
            ("b".to_owned(), "=c".to_owned()),
            ("flag".to_owned(), String::new()),
        ]
    );
    assert_eq!(req.query_param("b").as_deref(), Some("=c"));
    assert_eq!(req.query_param("").as_deref(), Some("x"));
}

#[test]
fn statuses_are_written_in_decimal() {
    for (status, text) in [
        (100, "100"),
        (204, "204"),
        (599, "599"),
        (0, "0"),
        (65535, "65535"),
    ] {
        let mut out = Vec::new();
        Response::new(status).write_to(&mut out).unwrap();
        let expected = format!("{{\"status\":{text},\"headers\":[]}}\n");
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}

/// A writer that takes a few bytes per call and is interrupted now and then, as
/// a pipe may be.
struct Trickle {
    written: Vec<u8>,
    calls: usize,
}

impl Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(3) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.calls % 4 + 1);
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn short_and_interrupted_writes_still_write_the_whole_envelope() {
    let resp = Response::text("body\nwith lines").with_header("x-y", "z");
    let mut whole = Vec::new();
    resp.write_to(&mut whole).unwrap();
    let mut trickle = Trickle {
        written: Vec::new(),
        calls: 0,
    };
    resp.write_to(&mut trickle).unwrap();
    assert_eq!(trickle.written, whole);
    assert!(whole.ends_with(b"]]}\nbody\nwith lines"));

    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let e = resp.write_to(&mut Full).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::WriteZero);
}

/// A reader that hands out its bytes a chunk at a time, interrupted now and then.
struct Chunks {
    bytes: Vec<u8>,
    at: usize,
    calls: usize,
}

impl std::io::Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(5) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(1000).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn stdin_is_read_to_its_end_past_the_first_buffer() {
    for len in [
        0,
        1,
        crate::stdio::INITIAL_INPUT,
        crate::stdio::INITIAL_INPUT + 1,
        3 * crate::stdio::INITIAL_INPUT + 7,
    ] {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut source = Chunks {
            bytes: bytes.clone(),
            at: 0,
            calls: 0,
        };
        let read = crate::stdio::read_all(|buf| crate::stdio::read_from(&mut source, buf));
        assert_eq!(read.unwrap(), bytes, "{len} bytes");
    }
}
