//! Our snapshot files, read and re-saved by insta itself.
//!
//! `cargo insta accept` loads a `.snap.new` with `insta::Snapshot::from_file`
//! and saves it with `Snapshot::save`; these tests do exactly that and demand
//! the accepted `.snap` be byte-identical to the `.snap.new` we wrote, so a
//! review never shows a change we did not make. The other direction: what
//! insta saves, we parse to the values insta itself reports.

use insta::internals::Content;
use std::fs;
use std::path::{Path, PathBuf};
use wasmfaas::snapshot::{
    Info, Snapshot, normalize_body, pending_path, snapshot_path, write_atomically,
};

/// A fresh folder for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "wasmfaas-insta-compat-{}-{test}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// insta's parsed `info`, in our value type.
fn info_of(content: &Content) -> Info {
    match content.resolve_inner() {
        Content::Map(entries) => Info::Map(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().expect("string key").to_string(), info_of(v)))
                .collect(),
        ),
        Content::Seq(items) => Info::Seq(items.iter().map(info_of).collect()),
        Content::Bool(b) => Info::Bool(*b),
        Content::String(s) => Info::String(s.clone()),
        Content::None | Content::Unit => Info::Null,
        other => Info::Integer(
            other
                .as_i64()
                .unwrap_or_else(|| panic!("unexpected info value {other:?}")),
        ),
    }
}

/// Asserts that insta's reading of a snapshot equals `ours`.
fn assert_insta_reads(insta_snap: &insta::Snapshot, ours: &Snapshot, what: &str) {
    let meta = insta_snap.metadata();
    assert_eq!(
        meta.source(),
        Some(ours.source.as_str()),
        "source of {what}"
    );
    assert_eq!(
        meta.expression(),
        ours.expression.as_deref(),
        "expression of {what}"
    );
    // insta reports an empty description as none.
    assert_eq!(
        meta.description(),
        ours.description.as_deref().filter(|d| !d.is_empty()),
        "description of {what}"
    );
    assert_eq!(
        meta.private_info().map(info_of),
        ours.info,
        "info of {what}"
    );
    let contents = insta_snap.contents().as_text().expect("a text snapshot");
    assert_eq!(
        contents.to_string(),
        normalize_body(&ours.body),
        "body of {what}"
    );
}

fn tricky_snapshots() -> Vec<(&'static str, Snapshot)> {
    vec![
        (
            "plain",
            Snapshot {
                expression: Some("GET /hello".into()),
                ..Snapshot::new(
                    "fixtures/hello/get.json",
                    "HTTP/1.1 200 OK\ncontent-type: text/plain\n\nhello\n",
                )
            },
        ),
        (
            "quoted_metadata",
            Snapshot {
                source: "fixtures/odd name: with colon #1.json".into(),
                description: Some("two\nlines\twith \"quotes\" and \\ and 'single'".into()),
                expression: Some("-leading dash".into()),
                info: None,
                body: "crlf\r\nline   \r\n\r\n  \t\n".into(),
            },
        ),
        (
            "reserved_words",
            Snapshot {
                source: "~".into(),
                description: Some("true".into()),
                expression: Some("42".into()),
                info: Some(Info::seq([
                    "null", "yes", "No", "OFF", "-1", "1.5", "1e3", "inf", ".5", "0x10",
                ])),
                body: "---\nlooks: like a fence\n---".into(),
            },
        ),
        (
            "nested_info",
            Snapshot {
                description: Some(String::new()),
                info: Some(Info::map([
                    ("", Info::from("empty key")),
                    ("1", Info::from("numeric key")),
                    ("true", Info::Null),
                    ("plain key", Info::Integer(-42)),
                    ("big", Info::Integer(i64::MAX)),
                    ("flag", Info::Bool(false)),
                    ("empty_seq", Info::Seq(vec![])),
                    ("empty_map", Info::Map(vec![])),
                    (
                        "request",
                        Info::map([
                            ("method", Info::from("POST")),
                            (
                                "headers",
                                Info::map([
                                    ("content-type", "application/json"),
                                    ("x-request-id", "[redacted]"),
                                ]),
                            ),
                            (
                                "items",
                                Info::seq([
                                    Info::map([
                                        ("id", Info::Integer(1)),
                                        ("tags", Info::seq(["a"])),
                                    ]),
                                    Info::seq([Info::seq([Info::from("deep")]), Info::Map(vec![])]),
                                    Info::Null,
                                ]),
                            ),
                        ]),
                    ),
                ])),
                ..Snapshot::new("fixtures/api/post items.json", "{\n  \"ok\": true\n}")
            },
        ),
        (
            "odd_text",
            Snapshot {
                source: "ünïcödé/你好 🎉.json".into(),
                description: Some(
                    "bell\x07 esc\x1b del\x7f vt\x0b ff\x0c nel\u{85} ls\u{2028} nbsp\u{a0}".into(),
                ),
                expression: Some("nul\0 and \x01 with ctl".into()),
                info: Some(Info::map([
                    ("not octal", Info::from("0o8")),
                    ("dot", Info::from(".hidden")),
                    ("spaces", Info::from(" padded ")),
                    ("percent", Info::from("%d")),
                    ("url", Info::from("https://example.com/a?b=c")),
                ])),
                body: "\n\nleading blank lines\ninner\r\r\ncarriage\rreturn\n\t\n".into(),
            },
        ),
        ("empty_body", Snapshot::new("s.json", "")),
        (
            "scalar_info",
            Snapshot {
                info: Some(Info::from("just a string")),
                ..Snapshot::new("s.json", "x")
            },
        ),
    ]
}

#[test]
fn insta_reads_our_files_and_accepting_them_rewrites_no_bytes() {
    let dir = TempDir::new("accept");
    for (name, ours) in tricky_snapshots() {
        let text = ours.to_file_text();
        let new = pending_path(&dir.0, "compat", name);
        write_atomically(&new, &text).unwrap();

        let loaded = insta::Snapshot::from_file(&new).unwrap();
        assert_insta_reads(&loaded, &ours, name);

        // What `cargo insta accept` does with a pending file.
        let target = snapshot_path(&dir.0, "compat", name);
        loaded.save(&target).unwrap();
        let accepted = fs::read_to_string(&target).unwrap();
        assert_eq!(accepted, text, "insta rewrote {name}");

        // And what we read back is what insta read.
        let reparsed = Snapshot::parse(&accepted).unwrap();
        assert_eq!(
            reparsed,
            Snapshot {
                body: normalize_body(&ours.body),
                ..ours
            },
            "{name}"
        );
    }
}

/// Front matter a person (or another insta setting) might write: single
/// quotes, escapes insta never emits, comments, literal blocks.
const HAND_WRITTEN: &[(&str, &str)] = &[
    (
        "styles",
        "---\nsource: 'single ''quoted'' source'\ndescription: \"esc \\u00e9 \\x41 \\N \\e\"\nexpression: plain words # a comment\ninfo:\n  hex: 0x1F\n  word: yes\n  tilde: ~\n  list:\n  - at the key's column\n  - {}\n  quoted key: \"0o8\"\n---\nbody line\r\nsecond\n",
    ),
    (
        "literal_blocks",
        "---\nsource: s.rs\ndescription: |-\n  Line 1\n\n  Line 3\nexpression: |\n  assert_snapshot!(x)\ninfo:\n  kept: |+\n    a\n\n  seq:\n    - |-\n      in a sequence\n---\nbody\n",
    ),
    (
        "assertion_line",
        "---\nsource: tests/t.rs\nassertion_line: 12\nexpression: value\n---\n  indented body\n\n",
    ),
];

#[test]
fn what_insta_saves_we_parse_to_the_values_insta_reports() {
    let dir = TempDir::new("reverse");
    for (name, text) in HAND_WRITTEN {
        let original = dir.0.join(format!("hand__{name}.snap.new"));
        fs::write(&original, text).unwrap();
        let loaded = insta::Snapshot::from_file(&original).unwrap();

        // We read the hand-written file as insta does ...
        let ours = Snapshot::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_insta_reads(&loaded, &ours, name);

        // ... and the file insta saves from it, too.
        let saved_path = dir.0.join(format!("hand__{name}.snap"));
        loaded.save(&saved_path).unwrap();
        let saved = fs::read_to_string(&saved_path).unwrap();
        let reparsed = Snapshot::read(&saved_path).unwrap();
        assert_insta_reads(&loaded, &reparsed, name);

        // Writing what we parsed gives insta's bytes.
        assert_eq!(reparsed.to_file_text(), saved, "{name}");
    }
}

#[test]
fn insta_and_we_agree_on_which_bodies_match() {
    let dir = TempDir::new("matches");
    let stored = Snapshot::new("s", "a\nb\n\n");
    let path = dir.0.join("m__m.snap");
    write_atomically(&path, &stored.to_file_text()).unwrap();
    let loaded = insta::Snapshot::from_file(&path).unwrap();
    let theirs = loaded.contents().as_text().unwrap();
    for (candidate, expected) in [
        ("a\nb", true),
        ("a\r\nb\r\n", true),
        ("a\nb   \t\n\n", true),
        ("a\n\nb", false),
        (" a\nb", false),
        ("a\rb", false),
    ] {
        let insta_says = theirs.matches_latest(&insta::internals::TextSnapshotContents::new(
            candidate.to_string(),
            insta::TextSnapshotKind::File,
        ));
        let ours = Snapshot::read(Path::new(&path)).unwrap();
        assert_eq!(insta_says, expected, "insta on {candidate:?}");
        assert_eq!(ours.matches(candidate), expected, "we on {candidate:?}");
    }
}

/// insta writes the string `0o17` unquoted and then reads it back as the
/// integer 15 (and `+.inf` as infinity), so no spelling survives its accept
/// unchanged. We quote such strings so insta at least reads the right value;
/// its accept then drops the quotes, and our reader still reads a string.
#[test]
fn octal_looking_strings_keep_their_value_through_an_insta_accept() {
    let dir = TempDir::new("octal");
    let ours = Snapshot {
        description: Some("0o17".into()),
        info: Some(Info::map([("mode", "0o755"), ("limit", "+.inf")])),
        ..Snapshot::new("s.json", "body")
    };
    let text = ours.to_file_text();
    assert!(text.contains("description: \"0o17\"\n"), "{text}");
    assert!(text.contains("mode: \"0o755\"\n"), "{text}");
    assert!(text.contains("limit: \"+.inf\"\n"), "{text}");

    let new = pending_path(&dir.0, "o", "o");
    write_atomically(&new, &text).unwrap();
    let loaded = insta::Snapshot::from_file(&new).unwrap();
    assert_insta_reads(&loaded, &ours, "octal");

    let target = snapshot_path(&dir.0, "o", "o");
    loaded.save(&target).unwrap();
    let accepted = fs::read_to_string(&target).unwrap();
    assert_eq!(
        accepted,
        text.replace("\"0o17\"", "0o17")
            .replace("\"0o755\"", "0o755")
            .replace("\"+.inf\"", "+.inf"),
        "insta's accept only drops the quotes"
    );
    assert_eq!(Snapshot::parse(&accepted).unwrap(), ours);
}
