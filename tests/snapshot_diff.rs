//! The unified diff `wasmfaas test` shows between an accepted body and a new one.
//!
//! Its own test binary because the color test switches `colored` on for the
//! whole process.

use wasmfaas::snapshot::diff::{DiffOptions, NO_NEWLINE_MARKER, unified_diff};

fn plain(old: &str, new: &str) -> String {
    unified_diff("old.snap", old, "new.snap.new", new, DiffOptions::default())
}

fn numbered(range: std::ops::RangeInclusive<u32>) -> String {
    range.map(|n| format!("{n}\n")).collect()
}

/// `numbered(1..=last)` with some lines replaced.
fn numbered_with(last: u32, changes: &[(u32, &str)]) -> String {
    (1..=last)
        .map(|n| match changes.iter().find(|(at, _)| *at == n) {
            Some((_, text)) => format!("{text}\n"),
            None => format!("{n}\n"),
        })
        .collect()
}

#[test]
fn identical_bodies_give_an_empty_diff() {
    assert_eq!(plain("a\nb\n", "a\nb\n"), "");
    assert_eq!(plain("", ""), "");
}

#[test]
fn a_change_shows_three_lines_of_context_under_file_headers() {
    let old = numbered(1..=10);
    let new = numbered_with(10, &[(5, "five")]);
    assert_eq!(
        plain(&old, &new),
        "\
--- old.snap
+++ new.snap.new
@@ -2,7 +2,7 @@
 2
 3
 4
-5
+five
 6
 7
 8
"
    );
}

#[test]
fn distant_changes_get_separate_hunks_and_near_ones_share_one() {
    let old = numbered(1..=20);
    let new = numbered_with(20, &[(2, "two"), (18, "eighteen")]);
    assert_eq!(
        plain(&old, &new),
        "\
--- old.snap
+++ new.snap.new
@@ -1,5 +1,5 @@
 1
-2
+two
 3
 4
 5
@@ -15,6 +15,6 @@
 15
 16
 17
-18
+eighteen
 19
 20
"
    );
    // Six unchanged lines between two changes: the contexts touch, one hunk.
    let near = numbered_with(20, &[(2, "two"), (9, "nine")]);
    let diff = plain(&old, &near);
    assert_eq!(diff.matches("@@ -").count(), 1, "{diff}");
    assert!(diff.contains("@@ -1,12 +1,12 @@\n"), "{diff}");
}

#[test]
fn a_pure_addition_counts_from_line_zero_of_an_empty_body() {
    assert_eq!(
        plain("", "a\nb\n"),
        "--- old.snap\n+++ new.snap.new\n@@ -0,0 +1,2 @@\n+a\n+b\n"
    );
    assert_eq!(
        plain("a\nc\n", "a\nb\nc\n"),
        "--- old.snap\n+++ new.snap.new\n@@ -1,2 +1,3 @@\n a\n+b\n c\n"
    );
}

#[test]
fn a_pure_removal_counts_to_line_zero_of_an_empty_body() {
    assert_eq!(
        plain("a\n", ""),
        "--- old.snap\n+++ new.snap.new\n@@ -1 +0,0 @@\n-a\n"
    );
}

#[test]
fn a_last_line_without_newline_is_marked() {
    assert_eq!(
        plain("a\nb", "a\nc"),
        format!(
            "--- old.snap\n+++ new.snap.new\n@@ -1,2 +1,2 @@\n a\n-b\n{NO_NEWLINE_MARKER}\n+c\n{NO_NEWLINE_MARKER}\n"
        )
    );
    // Only the newline differs: the line is removed and added back, marked.
    assert_eq!(
        plain("a\nb\n", "a\nb"),
        format!(
            "--- old.snap\n+++ new.snap.new\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n{NO_NEWLINE_MARKER}\n"
        )
    );
}

#[test]
fn the_context_radius_is_an_option() {
    let old = numbered(1..=10);
    let new = numbered_with(10, &[(5, "five")]);
    let options = DiffOptions {
        context: 0,
        ..DiffOptions::default()
    };
    assert_eq!(
        unified_diff("a", &old, "b", &new, options),
        "--- a\n+++ b\n@@ -5 +5 @@\n-5\n+five\n"
    );
}

#[test]
fn color_marks_removals_red_additions_green_and_context_dim() {
    colored::control::set_override(true);
    let options = DiffOptions {
        color: true,
        ..DiffOptions::default()
    };
    let diff = unified_diff("old", "a\nb\n", "new", "a\nc\n", options);
    assert_eq!(
        diff,
        "\x1b[1m--- old\x1b[0m\n\
         \x1b[1m+++ new\x1b[0m\n\
         \x1b[36m@@ -1,2 +1,2 @@\x1b[0m\n\
         \x1b[2m a\x1b[0m\n\
         \x1b[31m-b\x1b[0m\n\
         \x1b[32m+c\x1b[0m\n"
    );
    // Without the option, the same diff has no escapes even with colors forced on.
    let uncolored = unified_diff("old", "a\nb\n", "new", "a\nc\n", DiffOptions::default());
    assert!(!uncolored.contains('\x1b'), "{uncolored:?}");
}
