//! The schema of `[dev]`: how `wasmfaas dev` serves.

use super::{Cx, Result, Value};
use crate::config::DevConfig;
use crate::http_pool::host_name_problem;

const DEV_KEYS: &[&str] = &["allow_hosts"];

impl Cx<'_> {
    /// `[dev]`.
    pub(super) fn dev(&self, value: Option<&Value>) -> Result<DevConfig> {
        let Some(value) = value else {
            return Ok(DevConfig::default());
        };
        let table = self.table(value, "dev", "write a `[dev]` table")?;
        self.check_keys(table, DEV_KEYS, "dev")?;
        let key = "dev.allow_hosts";
        let mut allow_hosts = Vec::new();
        let names = self.string_list(
            table.get("allow_hosts"),
            key,
            "allow_hosts = [\"my-laptop.local\"]",
        )?;
        for (name, span) in names {
            if let Some(problem) = host_name_problem(name) {
                return Err(self.error(
                    span,
                    key,
                    format!("`{name}` in `{key}` is not a host name"),
                    problem,
                ));
            }
            allow_hosts.push(name.to_string());
        }
        Ok(DevConfig { allow_hosts })
    }
}
