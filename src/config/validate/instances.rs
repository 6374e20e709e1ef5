//! The schema of `instances`: whether a function's instances are fresh per
//! invocation or kept warm between them.

use super::{Cx, Result, Value};
use crate::config::Instances;
use crate::config::error::{backticked, did_you_mean};

impl Cx<'_> {
    /// `instances`, `"fresh"` when absent.
    pub(super) fn instances(&self, value: Option<&Value>, function_key: &str) -> Result<Instances> {
        let Some(value) = value else {
            return Ok(Instances::default());
        };
        let key = format!("{function_key}.instances");
        let valid = format!(
            "valid values are {} (`fresh`, the default, gives every invocation a new instance)",
            backticked(Instances::VALID)
        );
        match self.string(value, &key, &valid)? {
            "fresh" => Ok(Instances::Fresh),
            "warm" => Ok(Instances::Warm),
            other => {
                let help = match did_you_mean(other, Instances::VALID.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`? {valid}"),
                    None => valid,
                };
                Err(self.error(
                    value.span(),
                    &key,
                    format!("unknown instance policy `{other}` in `{key}`"),
                    help,
                ))
            }
        }
    }
}
