//! The schema of triggers: `[triggers]` (bounds of S3 event deliveries)
//! and `[[functions.<name>.triggers]]` (S3 events and schedules).

use super::limits::IntRule;
use super::{Cx, Result, S3, Value};
use crate::config::raw::{RawTable, RawValue};
use crate::config::{
    Function, S3EventPattern, S3Trigger, ScheduleTrigger, Trigger, TriggersConfig,
};
use crate::schedule::Schedule;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

const TRIGGER_KEYS: &[&str] = &["s3", "schedule", "name", "input"];

/// Keys that only a schedule trigger has.
const SCHEDULE_ONLY_KEYS: &[&str] = &["name", "input"];

/// AWS's limit on a target's `Input`.
const MAX_INPUT_CHARS: usize = 8192;

const S3_TRIGGER_KEYS: &[&str] = &["bucket", "events", "prefix", "suffix"];

const TRIGGERS_KEYS: &[&str] = &["max_invocations_per_event"];

const INVOCATIONS_PER_EVENT: IntRule = IntRule {
    min: 1,
    max: 1_000_000,
    example: "max_invocations_per_event = 100",
    why: "one S3 event may cause 1 to 1000000 invocations in all",
};

impl Cx<'_> {
    /// `[triggers]`: the bounds of S3 event deliveries.
    pub(super) fn triggers_config(&self, value: Option<&Value>) -> Result<TriggersConfig> {
        let mut config = TriggersConfig::default();
        let Some(value) = value else {
            return Ok(config);
        };
        let table = self.table(value, "triggers", "write a `[triggers]` table")?;
        self.check_keys(table, TRIGGERS_KEYS, "triggers")?;
        if let Some(limit) = table.get("max_invocations_per_event") {
            let key = "triggers.max_invocations_per_event";
            config.max_invocations_per_event =
                self.int_in(limit, key, &INVOCATIONS_PER_EVENT)? as u32;
        }
        Ok(config)
    }

    /// `[[functions.<name>.triggers]]`.
    pub(super) fn triggers(
        &self,
        value: Option<&Value>,
        function_key: &str,
    ) -> Result<Vec<Trigger>> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let key = format!("{function_key}.triggers");
        let example = format!(
            "write `[[{key}]]` tables, e.g. `s3 = {{ bucket = \"uploads\", events = [\"ObjectCreated:*\"] }}` \
             or `schedule = \"rate(5 minutes)\"`"
        );
        let RawValue::Array(items) = value.get_ref() else {
            return Err(self.wrong_type(value, &key, "an array of tables", &example));
        };
        let function = function_key
            .strip_prefix("functions.")
            .unwrap_or(function_key);
        let mut schedules = 0;
        items
            .iter()
            .map(|item| {
                let table = self.table(item, &key, &example)?;
                self.check_keys(table, TRIGGER_KEYS, &key)?;
                match (table.get("s3"), table.get_key_value("schedule")) {
                    (Some(_), Some((schedule_key, _))) => Err(self.error(
                        schedule_key.span(),
                        &key,
                        "a trigger has one kind, `s3` or `schedule`, not both",
                        format!("write each in its own `[[{key}]]` table"),
                    )),
                    (Some(s3), None) => {
                        if let Some(extra) = table
                            .keys()
                            .find(|k| SCHEDULE_ONLY_KEYS.contains(&k.get_ref().as_str()))
                        {
                            return Err(self.error(
                                extra.span(),
                                &format!("{key}.{}", extra.get_ref()),
                                format!("`{}` belongs to schedule triggers", extra.get_ref()),
                                "remove it from this S3 trigger",
                            ));
                        }
                        Ok(Trigger::S3(self.s3_trigger(s3, &format!("{key}.s3"))?))
                    }
                    (None, Some((_, schedule))) => {
                        schedules += 1;
                        let default_name = format!("{function}-schedule-{schedules}");
                        let trigger = self.schedule_trigger(table, schedule, &key, default_name)?;
                        Ok(Trigger::Schedule(trigger))
                    }
                    (None, None) => {
                        Err(self.error(item.span(), &key, "a trigger needs a kind", &example))
                    }
                }
            })
            .collect()
    }

    /// `schedule = "..."`, with the optional `name` and `input` beside it.
    fn schedule_trigger(
        &self,
        table: &RawTable,
        value: &Value,
        key: &str,
        default_name: String,
    ) -> Result<ScheduleTrigger> {
        let schedule_key = format!("{key}.schedule");
        let example =
            "write `schedule = \"rate(5 minutes)\"` or `schedule = \"cron(0 12 * * ? *)\"`";
        let expression = self.string(value, &schedule_key, example)?;
        let schedule = Schedule::parse(expression).map_err(|error| {
            self.error(
                self.inside_string(value, expression, error.offset),
                &schedule_key,
                format!("invalid schedule: {}", error.message),
                error.help,
            )
        })?;
        let name = match table.get("name") {
            Some(name_value) => {
                let name_key = format!("{key}.name");
                let name =
                    self.string(name_value, &name_key, "write `name = \"nightly-report\"`")?;
                if let Some(problem) = rule_name_problem(name) {
                    return Err(self.error(
                        name_value.span(),
                        &name_key,
                        format!("invalid rule name `{name}`"),
                        problem,
                    ));
                }
                name.to_string()
            }
            None => default_name,
        };
        let input = match table.get("input") {
            Some(input) => Some(self.schedule_input(input, &format!("{key}.input"))?),
            None => None,
        };
        Ok(ScheduleTrigger {
            expression: expression.to_string(),
            schedule,
            name,
            input,
        })
    }

    /// `input`: JSON text, which AWS delivers in place of the Scheduled Event.
    fn schedule_input(&self, value: &Value, key: &str) -> Result<String> {
        let example = "input = '{\"report\": \"daily\"}'";
        let help = format!(
            "`input` replaces the whole Scheduled Event, as AWS's target `Input` does, so it \
             must be JSON text: `{example}`"
        );
        let text = match value.get_ref() {
            RawValue::String(text) => text,
            RawValue::Table(_) | RawValue::Array(_) => {
                return Err(self.wrong_type(
                    value,
                    key,
                    "a string of JSON",
                    &format!("write the JSON in single quotes: `{example}`"),
                ));
            }
            _ => return Err(self.wrong_type(value, key, "a string of JSON", &help)),
        };
        if let Err(error) = serde_json::from_str::<serde_json::Value>(text) {
            let at = json_error_offset(text, error.line(), error.column());
            let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            let reason = error.to_string();
            let reason = reason
                .rfind(" at line ")
                .map_or(reason.as_str(), |i| &reason[..i]);
            return Err(self.error(
                self.inside_string(value, text, at..end),
                key,
                format!("`input` is not valid JSON: {reason}"),
                help,
            ));
        }
        let length = text.chars().count();
        if length > MAX_INPUT_CHARS {
            return Err(self.error(
                value.span(),
                key,
                format!(
                    "`input` is {length} characters long; AWS allows at most {MAX_INPUT_CHARS}"
                ),
                "shorten it, or have the function read the data from a KV namespace or a bucket",
            ));
        }
        Ok(text.clone())
    }

    /// Where `offset` (bytes into the string's value) is in the file: inside the
    /// quotes when the string is written without escapes, else the whole string.
    fn inside_string(&self, value: &Value, text: &str, offset: Range<usize>) -> Range<usize> {
        let span = value.span();
        let written = self.text.get(span.clone()).unwrap_or_default();
        for quote in ["\"\"\"", "'''", "\"", "'"] {
            let Some(inner) = written
                .strip_prefix(quote)
                .and_then(|rest| rest.strip_suffix(quote))
            else {
                continue;
            };
            let mut start = span.start + quote.len();
            let mut inner = inner;
            // A newline right after `"""` or `'''` is not part of the string.
            if quote.len() == 3 {
                for newline in ["\r\n", "\n"] {
                    if let Some(rest) = inner.strip_prefix(newline) {
                        start += newline.len();
                        inner = rest;
                        break;
                    }
                }
            }
            if inner == text {
                return start + offset.start..start + offset.end;
            }
            break;
        }
        span
    }

    /// Rule names of schedule triggers, unique in the project as on one
    /// EventBridge event bus. A clash is reported at a written `name` rather
    /// than at a default one, since the written one is what to change.
    pub(super) fn check_schedule_names(
        &self,
        functions_value: Option<&Value>,
        functions: &BTreeMap<String, Function>,
    ) -> Result<()> {
        let mut schedules: Vec<(&str, &str, Option<Range<usize>>)> = Vec::new();
        for function in functions.values() {
            for (index, trigger) in function.triggers.iter().enumerate() {
                if let Trigger::Schedule(schedule) = trigger {
                    let written = trigger_table(functions_value, &function.name, index)
                        .and_then(|table| table.get("name"))
                        .map(|name| name.span());
                    schedules.push((&function.name, &schedule.name, written));
                }
            }
        }
        // Stable: defaults first, then written names, each in file order.
        schedules.sort_by_key(|(_, _, written)| written.is_some());
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (function, name, written) in schedules {
            let Some(other) = seen.insert(name, function) else {
                continue;
            };
            let owner = if other == function {
                "another schedule of this function".to_string()
            } else {
                format!("a schedule of `{other}`")
            };
            return Err(self.error(
                written.unwrap_or(0..0),
                &format!("functions.{function}.triggers"),
                format!("the rule name `{name}` is taken by {owner}"),
                "rule names are unique, as on an EventBridge event bus: set a different `name`",
            ));
        }
        Ok(())
    }

    fn s3_trigger(&self, value: &Value, key: &str) -> Result<S3Trigger> {
        let example = "s3 = { bucket = \"uploads\", events = [\"ObjectCreated:*\"] }";
        let table = self.table(value, key, example)?;
        self.check_keys(table, S3_TRIGGER_KEYS, key)?;
        let Some(bucket_value) = table.get("bucket") else {
            return Err(self.error(
                value.span(),
                &format!("{key}.bucket"),
                "missing `bucket` in the S3 trigger",
                format!("name the bucket to watch: `{example}`"),
            ));
        };
        let bucket = self.string(bucket_value, &format!("{key}.bucket"), example)?;
        if let Some(problem) = (S3.problem)(bucket) {
            return Err(self.error(
                bucket_value.span(),
                &format!("{key}.bucket"),
                format!("invalid bucket name `{bucket}`"),
                problem,
            ));
        }
        let events = self.event_patterns(table.get("events"), &format!("{key}.events"))?;
        let text = |name: &str| -> Result<String> {
            match table.get(name) {
                Some(v) => Ok(self
                    .string(v, &format!("{key}.{name}"), example)?
                    .to_string()),
                None => Ok(String::new()),
            }
        };
        Ok(S3Trigger {
            bucket: bucket.to_string(),
            events,
            prefix: text("prefix")?,
            suffix: text("suffix")?,
        })
    }

    /// Event names; AWS's `s3:` prefix is accepted. Default: every event.
    fn event_patterns(&self, value: Option<&Value>, key: &str) -> Result<Vec<S3EventPattern>> {
        let example = "events = [\"ObjectCreated:*\", \"ObjectRemoved:*\"]";
        let listed = self.string_list(value, key, example)?;
        let names: Vec<(&str, std::ops::Range<usize>)> = if listed.is_empty() {
            vec![("ObjectCreated:*", 0..0), ("ObjectRemoved:*", 0..0)]
        } else {
            listed
        };
        names
            .into_iter()
            .map(|(name, span)| {
                let bare = name.strip_prefix("s3:").unwrap_or(name);
                if !S3EventPattern::KNOWN.contains(&bare) {
                    return Err(self.error(
                        span,
                        key,
                        format!("unknown S3 event `{name}`"),
                        format!(
                            "S3 events are {}",
                            S3EventPattern::KNOWN
                                .iter()
                                .map(|e| format!("`{e}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                let (category, action) = bare.split_once(':').unwrap_or((bare, "*"));
                Ok(S3EventPattern {
                    category: category.to_string(),
                    action: (action != "*").then(|| action.to_string()),
                })
            })
            .collect()
    }
}

/// Trigger `index` of `[functions.<function>]`, as written.
fn trigger_table<'v>(
    functions_value: Option<&'v Value>,
    function: &str,
    index: usize,
) -> Option<&'v RawTable> {
    let RawValue::Table(functions) = functions_value?.get_ref() else {
        return None;
    };
    let RawValue::Table(table) = functions.get(function)?.get_ref() else {
        return None;
    };
    let RawValue::Array(items) = table.get("triggers")?.get_ref() else {
        return None;
    };
    match items.get(index)?.get_ref() {
        RawValue::Table(trigger) => Some(trigger),
        _ => None,
    }
}

/// AWS's rule for EventBridge rule names.
fn rule_name_problem(name: &str) -> Option<&'static str> {
    if !(1..=64).contains(&name.len()) {
        Some("rule names are 1 to 64 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Some("rule names use only letters, digits, `.`, `-` and `_`")
    } else {
        None
    }
}

/// The byte offset in `text` of serde_json's 1-based line and column (the
/// column counts bytes; 0 means the error is at the end of the previous line).
fn json_error_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
