//! The schema of bindings and triggers: `[kv.<name>]`, `[s3.<name>]`,
//! `[s3_endpoint]` and `[[functions.<name>.triggers]]`.

use super::{Cx, IntRule, KV, NameRule, RELATIVE_TO, Result, S3, Value};
use crate::config::raw::RawValue;
use crate::config::{
    Bucket, Credential, Function, KvNamespace, S3Endpoint, S3EventPattern, S3Trigger, Trigger,
};
use std::collections::BTreeMap;
use std::path::PathBuf;

const KV_TABLE_KEYS: &[&str] = &["seed"];
const S3_TABLE_KEYS: &[&str] = &["seed"];
const ENDPOINT_KEYS: &[&str] = &["port", "credentials"];
const CREDENTIAL_KEYS: &[&str] = &["access_key_id", "secret_access_key"];
const TRIGGER_KINDS: &[&str] = &["s3"];
const S3_TRIGGER_KEYS: &[&str] = &["bucket", "events", "prefix", "suffix"];

const PORT: IntRule = IntRule {
    min: 0,
    max: 65_535,
    example: "port = 9000",
    why: "a TCP port is at most 65535; 0 picks a free one",
};

impl Cx<'_> {
    /// `[kv.<name>]` tables, plus every namespace a function uses.
    pub(super) fn kv_namespaces(
        &self,
        value: Option<&Value>,
        functions: &BTreeMap<String, Function>,
    ) -> Result<BTreeMap<String, KvNamespace>> {
        let mut namespaces = BTreeMap::new();
        let tables = self.binding_tables(value, "kv", "[kv.SESSIONS]", &KV, KV_TABLE_KEYS)?;
        for (name, seed) in tables {
            namespaces.insert(name.clone(), KvNamespace { name, seed });
        }
        for name in functions.values().flat_map(|f| &f.kv) {
            namespaces
                .entry(name.clone())
                .or_insert_with(|| KvNamespace {
                    name: name.clone(),
                    seed: None,
                });
        }
        Ok(namespaces)
    }

    /// `[s3.<name>]` tables, plus every bucket a function uses or a trigger watches.
    pub(super) fn buckets(
        &self,
        value: Option<&Value>,
        functions: &BTreeMap<String, Function>,
    ) -> Result<BTreeMap<String, Bucket>> {
        let mut buckets = BTreeMap::new();
        let tables = self.binding_tables(value, "s3", "[s3.uploads]", &S3, S3_TABLE_KEYS)?;
        for (name, seed) in tables {
            buckets.insert(name.clone(), Bucket { name, seed });
        }
        let used = functions.values().flat_map(|f| {
            f.s3.iter().chain(f.triggers.iter().map(|t| match t {
                Trigger::S3(s3) => &s3.bucket,
            }))
        });
        for name in used {
            buckets.entry(name.clone()).or_insert_with(|| Bucket {
                name: name.clone(),
                seed: None,
            });
        }
        Ok(buckets)
    }

    /// The `[kv]` or `[s3]` table of `<name> = { seed = "..." }` tables.
    fn binding_tables(
        &self,
        value: Option<&Value>,
        section: &str,
        example_table: &str,
        rule: &NameRule,
        keys: &[&str],
    ) -> Result<Vec<(String, Option<PathBuf>)>> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let example = format!("write tables such as `{example_table}`");
        let table = self.table(value, section, &example)?;
        table
            .iter()
            .map(|(name, value)| {
                let key = format!("{section}.{}", name.get_ref());
                if let Some(problem) = (rule.problem)(name.get_ref()) {
                    return Err(self.error(
                        name.span(),
                        &key,
                        format!("invalid {} `{}`", rule.noun, name.get_ref()),
                        problem,
                    ));
                }
                let inner = self.table(value, &key, &format!("write a `[{key}]` table"))?;
                self.check_keys(inner, keys, &key)?;
                let seed = match inner.get("seed") {
                    Some(seed) => Some(self.seed_path(seed, &format!("{key}.seed"))?),
                    None => None,
                };
                Ok((name.get_ref().clone(), seed))
            })
            .collect()
    }

    /// A seed path, which must exist.
    fn seed_path(&self, value: &Value, key: &str) -> Result<PathBuf> {
        let written = self.string(value, key, "write the path of the seed in quotes")?;
        let path = self.root.join(written);
        if path.exists() {
            return Ok(path);
        }
        Err(self.error(
            value.span(),
            key,
            format!("seed `{written}` does not exist"),
            format!("create it or fix the path ({RELATIVE_TO})"),
        ))
    }

    /// `[s3_endpoint]`.
    pub(super) fn s3_endpoint(&self, value: Option<&Value>) -> Result<S3Endpoint> {
        let Some(value) = value else {
            return Ok(S3Endpoint::default());
        };
        let key = "s3_endpoint";
        let table = self.table(value, key, "write an `[s3_endpoint]` table")?;
        self.check_keys(table, ENDPOINT_KEYS, key)?;
        let port = match table.get("port") {
            Some(port) => Some(self.int_in(port, "s3_endpoint.port", &PORT)? as u16),
            None => None,
        };
        let credentials = match table.get("credentials") {
            Some(list) => self.credentials(list)?,
            None => Vec::new(),
        };
        Ok(S3Endpoint { port, credentials })
    }

    fn credentials(&self, value: &Value) -> Result<Vec<Credential>> {
        let key = "s3_endpoint.credentials";
        let example =
            "credentials = [{ access_key_id = \"AKIAEXAMPLE\", secret_access_key = \"...\" }]";
        let RawValue::Array(items) = value.get_ref() else {
            return Err(self.wrong_type(value, key, "an array of tables", example));
        };
        items
            .iter()
            .map(|item| {
                let table = self.table(item, key, example)?;
                self.check_keys(table, CREDENTIAL_KEYS, key)?;
                let field = |name: &str| -> Result<String> {
                    match table.get(name) {
                        Some(v) => Ok(self
                            .string(v, &format!("{key}.{name}"), example)?
                            .to_string()),
                        None => Err(self.error(
                            item.span(),
                            &format!("{key}.{name}"),
                            format!("missing `{name}` in a credential"),
                            example,
                        )),
                    }
                };
                Ok(Credential {
                    access_key_id: field("access_key_id")?,
                    secret_access_key: field("secret_access_key")?,
                })
            })
            .collect()
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
            "write `[[{key}]]` tables, e.g. `s3 = {{ bucket = \"uploads\", events = [\"ObjectCreated:*\"] }}`"
        );
        let RawValue::Array(items) = value.get_ref() else {
            return Err(self.wrong_type(value, &key, "an array of tables", &example));
        };
        items
            .iter()
            .map(|item| {
                let table = self.table(item, &key, &example)?;
                self.check_keys(table, TRIGGER_KINDS, &key)?;
                match table.get("s3") {
                    Some(s3) => Ok(Trigger::S3(self.s3_trigger(s3, &format!("{key}.s3"))?)),
                    None => Err(self.error(item.span(), &key, "a trigger needs a kind", &example)),
                }
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use crate::config::{Project, Trigger};

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
        let Trigger::S3(trigger) = &project.functions["f"].triggers[0];
        assert!(trigger.matches("inbox", "a/b.jpg", "ObjectCreated:Put"));
        assert!(!trigger.matches("inbox", "a/b.jpg", "ObjectCreated:Copy"));
        assert!(!trigger.matches("inbox", "a/b.png", "ObjectCreated:Put"));
        assert!(!trigger.matches("uploads", "a/b.jpg", "ObjectCreated:Put"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
