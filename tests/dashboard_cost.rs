//! `wasmfaas cost`: a folder of fixtures priced per function, from the fuel
//! a replay measures.

mod common;

use common::dev_server::TempProject;
use common::printing_wat;
use serde_json::Value;
use std::process::{Command, Output};

const CONFIG: &str = r#"[project]
name = "priced"

[functions.small]
source = "small.wat"
routes = ["GET /small"]

[functions.big]
source = "big.wat"
routes = ["GET /big"]

[functions.big.limits]
memory_mb = 1024
"#;

fn fixture(path: &str) -> String {
    format!(
        r#"{{
  "wasmfaas": "fixture/1",
  "time": "2026-11-24T12:57:44Z",
  "seed": 1,
  "http": {{ "method": "GET", "path": "{path}", "headers": [] }}
}}
"#
    )
}

fn project() -> TempProject {
    // `big` loops before answering, so it burns measurably more fuel.
    let big = printing_wat(1, "{\"status\":200}\nbig", "(local.set 0 (i32.const 0))")
        .replace(
            "(func (export \"_start\")",
            "(func (export \"_start\") (local i32)",
        )
        .replace(
            "(local.set 0 (i32.const 0))",
            "(block $done (loop $again (br_if $done (i32.ge_u (local.get 0) (i32.const 100000))) \
         (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br $again)))",
        );
    TempProject::new(
        "cost",
        &[
            ("wasmfaas.toml", CONFIG),
            ("small.wat", &printing_wat(1, "{\"status\":200}\nsmall", "")),
            ("big.wat", &big),
            ("fixtures/small/a.json", &fixture("/small")),
            ("fixtures/small/b.json", &fixture("/small")),
            ("fixtures/big/a.json", &fixture("/big")),
        ],
    )
}

fn wasmfaas(project: &TempProject, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the wasmfaas binary runs")
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-12 + expected.abs() * 1e-9
}

#[test]
fn cost_prices_each_functions_replayed_fuel_at_its_memory() {
    let project = project();
    let output = wasmfaas(&project, &["cost", "--json", "-q"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_str(&stdout).expect("JSON");

    for (function, count, memory_mb) in [("small", 2, 128), ("big", 1, 1024)] {
        // The fuel a replay of one of its fixtures reports.
        let replayed = wasmfaas(
            &project,
            &[
                "replay",
                "--json",
                "-q",
                &format!("fixtures/{function}/a.json"),
            ],
        );
        let replayed: Value = serde_json::from_slice(&replayed.stdout).expect("replay JSON");
        let fuel = replayed["usage"]["fuel"].as_u64().expect("fuel");
        // `replay --json` carries the same estimate `cost` adds up.
        let estimate = wasmfaas::cost::estimate(fuel, memory_mb);
        assert_eq!(
            replayed["cost"]["lambda_memory_mb"], memory_mb,
            "{replayed}"
        );
        assert_eq!(
            replayed["cost"]["lambda_billed_ms"],
            estimate.lambda_billed_ms
        );
        let replayed_x86 = replayed["cost"]["lambda_x86_usd"].as_f64().unwrap();
        assert!(close(replayed_x86, estimate.lambda_x86_usd), "{replayed}");

        let entry = &document["functions"][function];
        assert_eq!(entry["memory_mb"], memory_mb, "{function}");
        let totals = &entry["totals"];
        assert_eq!(totals["invocations"], count, "{function}");
        assert_eq!(totals["fuel"].as_u64(), Some(fuel * count), "{function}");
        let one = wasmfaas::cost::estimate(fuel, memory_mb);
        let x86 = totals["lambda_x86_usd"].as_f64().unwrap();
        assert!(
            close(x86, one.lambda_x86_usd * count as f64),
            "{function}: {x86}"
        );
        // Lambda bills at least 1 ms: a fast function costs its request plus
        // 1 ms at its memory: $0.0000002 + 0.001 s × memory/1024 GB × rate.
        let floor = 0.000_000_2 + 0.001 * memory_mb as f64 / 1024.0 * 0.000_016_666_7;
        assert!(x86 >= floor * count as f64 - 1e-15, "{function}: {x86}");
    }
    let small = document["functions"]["small"]["totals"]["fuel"]
        .as_u64()
        .unwrap()
        / 2;
    let big = document["functions"]["big"]["totals"]["fuel"]
        .as_u64()
        .unwrap();
    assert!(big > small * 10, "the loop burns fuel: {big} vs {small}");
    assert_eq!(document["model"]["lambda"]["per_million_requests"], 0.2);

    let table = wasmfaas(&project, &["cost", "-q", "fixtures"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(table.status.success(), "{text}");
    let small_row = text
        .lines()
        .find(|l| l.starts_with("small "))
        .expect("a row for small");
    assert_eq!(
        small_row.split_whitespace().nth(1),
        Some("2"),
        "{small_row}"
    );
    assert!(text.lines().any(|l| l.starts_with("total ")), "{text}");
    assert!(text.contains("prices checked"), "{text}");
}

#[test]
fn a_fixture_that_cannot_be_replayed_is_named_and_the_rest_are_priced() {
    let project = project();
    project.write("fixtures/small/broken.json", "{ not json");
    let output = wasmfaas(&project, &["cost", "-q"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(
        stderr.contains("1 of 4 fixtures could not be replayed"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("big ")), "{stdout}");
}

#[test]
fn cost_without_fixtures_says_how_to_record_some() {
    let project = TempProject::new(
        "cost-empty",
        &[("wasmfaas.toml", "[project]\nname = \"empty\"\n")],
    );
    let output = wasmfaas(&project, &["cost"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("wasmfaas dev --record"), "{stderr}");
}
