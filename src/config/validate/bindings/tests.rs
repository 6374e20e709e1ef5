use crate::config::{Project, ScheduleTrigger, Trigger};
use crate::schedule::Schedule;

#[test]
fn bindings_triggers_and_the_endpoint_are_read() {
    let dir = std::env::temp_dir().join(format!("wasmfaas-bindings-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("seed/uploads")).unwrap();
    std::fs::write(dir.join("f.wat"), "(module)").unwrap();
    std::fs::write(dir.join("seed/sessions.json"), "{}").unwrap();
    let text = r#"
[project]
name = "t"

[kv.SESSIONS]
seed = "seed/sessions.json"

[s3.uploads]
seed = "seed/uploads"

[s3_endpoint]
port = 0
credentials = [{ access_key_id = "AKID", secret_access_key = "secret" }]

[functions.f]
source = "f.wat"
kv = ["CACHE"]
s3 = ["summaries"]

[[functions.f.triggers]]
s3 = { bucket = "inbox", events = ["s3:ObjectCreated:Put"], suffix = ".jpg" }
"#;
    let project = Project::parse(text, &dir.join("wasmfaas.toml")).unwrap();
    assert_eq!(project.kv.keys().collect::<Vec<_>>(), ["CACHE", "SESSIONS"]);
    assert!(
        project.kv["SESSIONS"]
            .seed
            .as_ref()
            .unwrap()
            .ends_with("seed/sessions.json")
    );
    assert_eq!(
        project.s3.keys().collect::<Vec<_>>(),
        ["inbox", "summaries", "uploads"]
    );
    assert_eq!(project.s3_endpoint.port, Some(0));
    assert_eq!(project.s3_endpoint.credentials[0].access_key_id, "AKID");
    assert!(!format!("{:?}", project.s3_endpoint).contains("secret\""));
    let Trigger::S3(trigger) = &project.functions["f"].triggers[0] else {
        panic!(
            "not an S3 trigger: {:?}",
            project.functions["f"].triggers[0]
        );
    };
    assert!(trigger.matches("inbox", "a/b.jpg", "ObjectCreated:Put"));
    assert!(!trigger.matches("inbox", "a/b.jpg", "ObjectCreated:Copy"));
    assert!(!trigger.matches("inbox", "a/b.png", "ObjectCreated:Put"));
    assert!(!trigger.matches("uploads", "a/b.jpg", "ObjectCreated:Put"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn parse(text: &str) -> Result<Project, String> {
    let dir = std::env::temp_dir().join(format!("wasmfaas-schedules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("f.wat"), "(module)").map_err(|e| e.to_string())?;
    let full = format!("[project]\nname = \"t\"\n[functions.report]\nsource = \"f.wat\"\n{text}");
    Project::parse(&full, &dir.join("wasmfaas.toml")).map_err(|error| error.to_string())
}

fn schedules(project: &Project, function: &str) -> Vec<ScheduleTrigger> {
    project.functions[function]
        .triggers
        .iter()
        .filter_map(|trigger| match trigger {
            Trigger::Schedule(schedule) => Some(schedule.clone()),
            Trigger::S3(_) => None,
        })
        .collect()
}

#[test]
fn schedule_triggers_get_default_names_counted_per_function() {
    let project = parse(
        r#"
[[functions.report.triggers]]
schedule = "rate(5 minutes)"
[[functions.report.triggers]]
s3 = { bucket = "inbox" }
[[functions.report.triggers]]
schedule = "cron(0 12 * * ? *)"
name = "noon.report_v2"
input = '{"kind": "noon", "n": [1, 2]}'
[[functions.report.triggers]]
schedule = 'cron(0 0 L * ? *)'
"#,
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let found = schedules(&project, "report");
    let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["report-schedule-1", "noon.report_v2", "report-schedule-3"]
    );
    assert_eq!(found[0].expression, "rate(5 minutes)");
    assert_eq!(
        found[0].schedule,
        Schedule::parse("rate(5 minutes)").unwrap()
    );
    assert_eq!(found[0].input, None);
    assert_eq!(
        found[1].input.as_deref(),
        Some(r#"{"kind": "noon", "n": [1, 2]}"#)
    );
    assert_eq!(
        project.functions["report"].triggers[2].describe(),
        "cron(0 12 * * ? *) (at 12:00 UTC every day)"
    );
    // Schedules watch no bucket.
    assert_eq!(project.s3.keys().collect::<Vec<_>>(), ["inbox"]);
}

#[test]
fn a_schedule_error_points_inside_the_string() {
    let error = parse("[[functions.report.triggers]]\nschedule = \"cron(0 25 * * ? *)\"\n")
        .expect_err("hour 25");
    // `schedule = "` is 12 characters; `cron(0 ` 7 more.
    assert!(
        error.contains("wasmfaas.toml:6:20: invalid schedule"),
        "{error}"
    );
    assert!(error.contains("hours are 0-23"), "{error}");
    assert!(error.contains("  |                    ^^\n"), "{error}");
    // Literal and multi-line strings are mapped too.
    let error = parse("[[functions.report.triggers]]\nschedule = 'rate(5 minute)'\n")
        .expect_err("singular");
    assert!(error.contains("wasmfaas.toml:6:20:"), "{error}");
    let error = parse("[[functions.report.triggers]]\nschedule = \"\"\"\nrate(5 minute)\"\"\"\n")
        .expect_err("singular");
    assert!(error.contains("wasmfaas.toml:7:8:"), "{error}");
    // With an escape, the text differs from the source: the whole string.
    let error = parse("[[functions.report.triggers]]\nschedule = \"rate(5 \\u006dinute)\"\n")
        .expect_err("singular");
    assert!(error.contains("wasmfaas.toml:6:12:"), "{error}");
}

#[test]
fn invalid_inputs_and_rule_names_are_rejected() {
    let error =
        parse("[[functions.report.triggers]]\nschedule = \"rate(1 day)\"\ninput = '{\"a\": 1,}'\n")
            .expect_err("trailing comma");
    assert!(
        error.contains("`input` is not valid JSON: trailing comma"),
        "{error}"
    );
    assert!(error.contains("wasmfaas.toml:7:18:"), "{error}");
    let error =
        parse("[[functions.report.triggers]]\nschedule = \"rate(1 day)\"\ninput = { a = 1 }\n")
            .expect_err("a table");
    assert!(error.contains("must be a string of JSON"), "{error}");
    let long = format!("\"{}\"", "x".repeat(8191));
    let error = parse(&format!(
        "[[functions.report.triggers]]\nschedule = \"rate(1 day)\"\ninput = '{long}'\n"
    ))
    .expect_err("too long");
    assert!(error.contains("at most 8192"), "{error}");
    let error =
        parse("[[functions.report.triggers]]\nschedule = \"rate(1 day)\"\nname = \"my rule\"\n")
            .expect_err("a space");
    assert!(error.contains("invalid rule name `my rule`"), "{error}");
    let error = parse("[[functions.report.triggers]]\ns3 = { bucket = \"inbox\" }\nname = \"x\"\n")
        .expect_err("name on s3");
    assert!(
        error.contains("`name` belongs to schedule triggers"),
        "{error}"
    );
}

#[test]
fn rule_names_are_unique_across_the_project() {
    let error = parse(
        r#"
[[functions.report.triggers]]
schedule = "rate(1 day)"
[functions.other]
source = "f.wat"
[[functions.other.triggers]]
schedule = "rate(2 days)"
name = "report-schedule-1"
"#,
    )
    .expect_err("a clash with a default name");
    assert!(
        error.contains("the rule name `report-schedule-1` is taken by a schedule of `report`"),
        "{error}"
    );
    assert!(
        error.contains("12 | name = \"report-schedule-1\""),
        "{error}"
    );
    let error = parse(
        r#"
[[functions.report.triggers]]
schedule = "rate(1 day)"
name = "daily"
[[functions.report.triggers]]
schedule = "rate(2 days)"
name = "daily"
"#,
    )
    .expect_err("the same name twice");
    assert!(
        error.contains("taken by another schedule of this function"),
        "{error}"
    );
    assert!(error.contains("wasmfaas.toml:11:8:"), "{error}");
}
