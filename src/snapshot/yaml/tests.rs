use super::*;

fn emitted(value: &Info) -> String {
    let mut out = String::new();
    write_block(&mut out, value, 0);
    out
}

fn quoted_as(s: &str) -> String {
    let mut out = String::new();
    write_str(&mut out, s);
    out
}

#[test]
fn strings_yaml_would_misread_are_double_quoted() {
    let cases = [
        ("", r#""""#),
        (" lead", r#"" lead""#),
        ("trail ", r#""trail ""#),
        ("-flag", r#""-flag""#),
        ("--- not a fence", r#""--- not a fence""#),
        ("a: b", r#""a: b""#),
        ("http://x", r#""http://x""#),
        ("true", r#""true""#),
        ("False", r#""False""#),
        ("yes", r#""yes""#),
        ("off", r#""off""#),
        ("null", r#""null""#),
        ("~", r#""~""#),
        ("42", r#""42""#),
        ("-7", r#""-7""#),
        ("+5", r#""+5""#),
        ("007", r#""007""#),
        ("2.5", r#""2.5""#),
        ("1e5", r#""1e5""#),
        ("inf", r#""inf""#),
        ("NaN", r#""NaN""#),
        (".hidden", r#"".hidden""#),
        ("0xff", r#""0xff""#),
        ("0o17", r#""0o17""#),
        ("+.inf", r#""+.inf""#),
        ("a#b", r##""a#b""##),
        ("it's", r#""it's""#),
        ("say \"hi\"", r#""say \"hi\"""#),
        ("C:\\path", r#""C:\\path""#),
        ("[x]", r#""[x]""#),
        ("{}", r#""{}""#),
        ("a,b", r#""a,b""#),
        ("`tick`", r#""`tick`""#),
        ("*star", r#""*star""#),
        ("&amp", r#""&amp""#),
        ("!bang", r#""!bang""#),
        ("%pct", r#""%pct""#),
        ("@at", r#""@at""#),
        ("|pipe", r#""|pipe""#),
        (">gt", r#"">gt""#),
        ("?q", r#""?q""#),
        ("<lt", r#""<lt""#),
        ("=eq", r#""=eq""#),
    ];
    for (input, expected) in cases {
        assert_eq!(quoted_as(input), expected, "for {input:?}");
    }
}

#[test]
fn control_characters_are_escaped_like_json_inside_quotes() {
    assert_eq!(quoted_as("a\nb"), r#""a\nb""#);
    assert_eq!(quoted_as("tab\there"), r#""tab\there""#);
    assert_eq!(quoted_as("cr\r"), r#""cr\r""#);
    assert_eq!(quoted_as("nul\0"), r#""nul\u0000""#);
    assert_eq!(quoted_as("\x01\x1f"), r#""\u0001\u001f""#);
    // BEL/ESC/DEL/VT/FF do not force quotes on their own (insta's rule) ...
    assert_eq!(quoted_as("bell\x07"), "bell\x07");
    assert_eq!(quoted_as("esc\x1b"), "esc\x1b");
    assert_eq!(quoted_as("\x1b[31mred"), r#""\u001b[31mred""#);
    // ... but are escaped when something else does.
    assert_eq!(
        quoted_as("a\nb\x07\x08\x0b\x0c\x1b\x7f"),
        r#""a\nb\u0007\b\u000b\f\u001b\u007f""#
    );
}

#[test]
fn ordinary_text_and_unicode_stay_plain() {
    for s in [
        "hello",
        "string with spaces",
        "你好",
        "naïve café",
        "emoji 🎉",
        "a-b",
        "a.b",
        "0o8",
        "0oz",
        "y",
        "n",
        "src/main.rs",
        "GET /users/{id}",
    ] {
        let expected = if s.contains(['{', '}']) {
            format!("\"{s}\"")
        } else {
            s.to_string()
        };
        assert_eq!(quoted_as(s), expected, "for {s:?}");
    }
}

#[test]
fn nested_blocks_indent_by_two_with_compact_items() {
    let info = Info::map([
        (
            "a",
            Info::map([
                ("b", Info::map([("c", Info::from("hello"))])),
                ("d", Info::Map(vec![])),
            ]),
        ),
        (
            "e",
            Info::seq([
                Info::from("f"),
                Info::seq([Info::from("g"), Info::seq([Info::from("h")])]),
                Info::map([("i", Info::Seq(vec![])), ("j", Info::Null)]),
                Info::map([("k", Info::seq([1, 2]))]),
            ]),
        ),
    ]);
    let expected = "\
a:
  b:
    c: hello
  d: {}
e:
  - f
  - - g
    - - h
  - i: []
    j: ~
  - k:
      - 1
      - 2";
    assert_eq!(emitted(&info), expected);
}

fn lines(text: &str) -> Vec<Line<'_>> {
    text.split('\n')
        .enumerate()
        .map(|(i, text)| Line {
            number: i + 2,
            text,
        })
        .collect()
}

fn parse_info(text: &str) -> Result<Info, Fail> {
    to_info(&parse(&lines(text), 99)?)
}

#[test]
fn the_parser_reads_what_the_writer_writes() {
    let info = Info::map([
        ("", Info::from("empty key")),
        ("1", Info::from(true)),
        ("plain", Info::from("0o17")),
        ("quoted", Info::from("a: \"b\"\n\tc\u{7f}")),
        ("n", Info::Integer(i64::MIN)),
        (
            "deep",
            Info::seq([
                Info::seq([Info::seq([Info::Null, Info::from("~")])]),
                Info::map([("x", Info::map([("y", Info::seq(["z"]))]))]),
                Info::Map(vec![]),
            ]),
        ),
    ]);
    let text = emitted(&info);
    assert_eq!(parse_info(&text), Ok(info), "text:\n{text}");
}

#[test]
fn the_parser_accepts_comments_single_quotes_and_literal_blocks() {
    let text = "\
# a comment
a: 'it''s' # trailing
b: |
  line 1

  line 3
c: |-
  no newline
d: |+
  kept

e:
- at the key's column
- second";
    let info = parse_info(text).unwrap();
    assert_eq!(info.get("a"), Some(&Info::from("it's")));
    assert_eq!(info.get("b"), Some(&Info::from("line 1\n\nline 3\n")));
    assert_eq!(info.get("c"), Some(&Info::from("no newline")));
    assert_eq!(info.get("d"), Some(&Info::from("kept\n\n")));
    assert_eq!(
        info.get("e"),
        Some(&Info::seq(["at the key's column", "second"]))
    );
}

#[test]
fn plain_scalars_resolve_as_insta_writes_them() {
    let info = parse_info("a: ~\nb: null\nc: -12\nd: 0x1f\ne: yes\nf: 0o17\ng:").unwrap();
    assert_eq!(
        info,
        Info::map([
            ("a", Info::Null),
            ("b", Info::Null),
            ("c", Info::Integer(-12)),
            ("d", Info::Integer(31)),
            ("e", Info::from("yes")),
            ("f", Info::from("0o17")),
            ("g", Info::Null),
        ])
    );
}

#[test]
fn parse_errors_name_the_line_and_the_problem() {
    let cases: [(&str, usize, ParseProblem); 9] = [
        (
            "a: 1\n  b: 2",
            3,
            ParseProblem::BadIndentation {
                expected: 0,
                found: 2,
            },
        ),
        ("a: \"open", 2, ParseProblem::UnterminatedQuote),
        (
            "a: \"\\q\"",
            2,
            ParseProblem::InvalidEscape {
                escape: "\\q".into(),
            },
        ),
        ("a: [1, 2]", 2, ParseProblem::FlowCollection),
        (
            "a: 1.5",
            2,
            ParseProblem::FloatInInfo { text: "1.5".into() },
        ),
        (
            "a: 18446744073709551615",
            2,
            ParseProblem::IntegerOutOfRange {
                text: "18446744073709551615".into(),
            },
        ),
        (
            "a: b: c",
            2,
            ParseProblem::ColonInPlainValue {
                text: "b: c".into(),
            },
        ),
        (
            "a: *ref",
            2,
            ParseProblem::Unsupported {
                feature: "aliases (`*`)",
            },
        ),
        (
            "just text",
            2,
            ParseProblem::ExpectedMapEntry {
                found: "just text".into(),
            },
        ),
    ];
    for (text, line, problem) in cases {
        assert_eq!(parse_info(text), Err((line, problem)), "for {text:?}");
    }
    assert_eq!(
        parse_info("a:\n\t- b").unwrap_err(),
        (3, ParseProblem::TabIndentation)
    );
    assert_eq!(
        parse_info("a: \"x\" y").unwrap_err(),
        (2, ParseProblem::TrailingCharacters { found: "y".into() })
    );
}
