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
