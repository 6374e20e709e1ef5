//! Dependencies between the crate's rooms point one way. The compiler
//! accepts a cycle between modules of one crate, so this test is what keeps
//! one from creeping back:
//!
//! - `config` knows nothing of AWS shapes (`aws` reads config, not the reverse);
//! - `state` knows nothing of the S3 wire protocol (`s3api` builds on state);
//! - `aws` knows nothing of the guest ABIs (the `lambda` ABI uses `aws`, and
//!   both speak the neutral `crate::http` vocabulary).

use std::fs;
use std::path::{Path, PathBuf};

/// A room, and the modules its files must not name.
const RULES: &[(&str, &[&str])] = &[
    ("src/config", &["aws"]),
    ("src/state", &["s3api"]),
    ("src/aws", &["abi"]),
];

#[test]
fn modules_depend_on_each_other_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut violations = Vec::new();
    for (room, forbidden) in RULES {
        for file in rust_files(&root.join(room)) {
            let text = fs::read_to_string(&file).expect("a readable source file");
            for (number, line) in text.lines().enumerate() {
                if let Some(module) = forbidden.iter().find(|m| names_module(line, m)) {
                    let shown = file.strip_prefix(root).unwrap_or(&file).display();
                    violations.push(format!(
                        "{shown}:{}: `{room}` must not depend on `crate::{module}`: {}",
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "dependencies point the wrong way; move the shared piece into the lower \
         room (or a neutral module) and have the higher one use it:\n{}",
        violations.join("\n")
    );
}

#[test]
fn a_path_is_recognised_in_every_spelling() {
    assert!(names_module("use crate::aws::apigw::PayloadFormat;", "aws"));
    assert!(names_module("use crate::{aws, config};", "aws"));
    assert!(names_module(
        "use crate::{config::Vendor, aws::REGION};",
        "aws"
    ));
    assert!(names_module("/// see [`crate::s3api::checksum`]", "s3api"));
    assert!(!names_module("use crate::awsome::Thing;", "aws"));
    assert!(!names_module("use crate::state::S3Error; // aws", "aws"));
    assert!(!names_module("use super::aws_names;", "aws"));
}

/// Whether `line` names `crate::<module>`, directly or inside a `crate::{…}` group.
fn names_module(line: &str, module: &str) -> bool {
    let is_module = |path: &str| {
        let name: String = path
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        name == module
    };
    line.match_indices("crate::").any(|(at, prefix)| {
        let rest = &line[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = group.split('}').next().unwrap_or("");
                group.split(',').any(|item| is_module(item.trim()))
            }
            None => is_module(rest),
        }
    })
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}
