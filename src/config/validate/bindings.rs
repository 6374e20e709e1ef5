//! The schema of bindings: `[kv.<name>]`, `[s3.<name>]` and `[s3_endpoint]`.
//! Triggers have their own room (`triggers.rs`).

use super::limits::IntRule;
use super::{Cx, KV, NameRule, RELATIVE_TO, Result, S3, Value};
use crate::config::raw::RawValue;
use crate::config::{Bucket, Credential, Function, KvNamespace, S3Endpoint, Trigger};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

const KV_TABLE_KEYS: &[&str] = &["seed"];
const S3_TABLE_KEYS: &[&str] = &["seed", "cors"];
const CORS_EXAMPLE: &str = "cors = [\"http://localhost:5173\"]";
const ENDPOINT_KEYS: &[&str] = &["port", "credentials"];
const CREDENTIAL_KEYS: &[&str] = &["access_key_id", "secret_access_key"];
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
        let mut cors = self.bucket_cors(value)?;
        for (name, seed) in tables {
            let cors = cors.remove(&name).unwrap_or_default();
            buckets.insert(name.clone(), Bucket { name, seed, cors });
        }
        let used = functions.values().flat_map(|f| {
            f.s3.iter().chain(f.triggers.iter().filter_map(|t| match t {
                Trigger::S3(s3) => Some(&s3.bucket),
                Trigger::Schedule(_) => None,
            }))
        });
        for name in used {
            buckets.entry(name.clone()).or_insert_with(|| Bucket {
                name: name.clone(),
                seed: None,
                cors: Vec::new(),
            });
        }
        Ok(buckets)
    }

    /// `[s3.<name>] cors = ["http://localhost:5173"]`: the browser origins
    /// allowed to use each bucket (the tables are already checked).
    fn bucket_cors(&self, value: Option<&Value>) -> Result<HashMap<String, Vec<String>>> {
        let mut cors = HashMap::new();
        let Some(RawValue::Table(table)) = value.map(|v| v.get_ref()) else {
            return Ok(cors);
        };
        for (name, inner) in table {
            let RawValue::Table(inner) = inner.get_ref() else {
                continue;
            };
            let key = format!("s3.{}.cors", name.get_ref());
            let mut origins = Vec::new();
            for (origin, span) in self.string_list(inner.get("cors"), &key, CORS_EXAMPLE)? {
                if let Some(problem) = origin_problem(origin) {
                    return Err(self.error(
                        span,
                        &key,
                        format!("invalid origin `{origin}` in `{key}`"),
                        problem,
                    ));
                }
                origins.push(origin.to_string());
            }
            cors.insert(name.get_ref().clone(), origins);
        }
        Ok(cors)
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
}

/// Why `origin` is not a CORS origin S3 would accept, if it is not: a
/// scheme and a host (and port), no path, at most one `*`; or `*` alone.
fn origin_problem(origin: &str) -> Option<String> {
    if origin == "*" {
        return None;
    }
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let fix = format!(
        "write the origin as the browser sends it, scheme and host (and port) without a path, \
         e.g. `{CORS_EXAMPLE}`; one `*` may stand for any part, `\"*\"` alone for any origin"
    );
    match rest {
        None => Some(format!(
            "an origin starts with `http://` or `https://`; {fix}"
        )),
        Some("") => Some(format!("the origin has no host; {fix}")),
        Some(host) if host.contains('/') => Some(format!("an origin has no path; {fix}")),
        Some(host) if host.matches('*').count() > 1 => {
            Some(format!("an origin has at most one `*`; {fix}"))
        }
        Some(host) if host.chars().any(|c| c.is_whitespace() || c.is_control()) => Some(format!(
            "an origin has no spaces or control characters; {fix}"
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests;
