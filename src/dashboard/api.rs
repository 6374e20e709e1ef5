//! The read-only API: the functions being served and the invocations held.

use super::hub::{Hub, Invocation};
use super::query::Query;
use super::reply::Answer;
use crate::cost;
use crate::deployment::{Deployed, Deployment};
use serde_json::{Value, json};

/// `GET /__wasmfaas/api/functions`: what is deployed, how each function is
/// configured, whether its build works (with the compiler's last error in
/// full), and the cost model the estimates use.
pub fn functions(deployment: &Deployment) -> Answer {
    let functions: Vec<Value> = deployment.functions.values().map(|d| function(d)).collect();
    let project = &deployment.project;
    Answer::json(
        200,
        &json!({
            "project": project.name,
            "vendor": format!("{:?}", project.vendor).to_lowercase(),
            "functions": functions,
            "kv_namespaces": project.kv.keys().collect::<Vec<_>>(),
            "buckets": project.s3.keys().collect::<Vec<_>>(),
            "cost_model": cost::model(),
        }),
    )
}

fn function(deployed: &Deployed) -> Value {
    let function = &deployed.function;
    let limits = &function.limits;
    let state = match (&deployed.module, &deployed.stale) {
        (Some(_), None) => "ready",
        (Some(_), Some(_)) => "stale",
        (None, _) => "not_built",
    };
    let failure = deployed.stale.as_ref();
    json!({
        "name": function.name,
        "abi": function.abi.as_str(),
        "instances": function.instances.as_str(),
        "routes": function.routes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "triggers": function.triggers.iter().map(|t| t.describe()).collect::<Vec<_>>(),
        "kv": function.kv,
        "s3": function.s3,
        "limits": {
            "fuel": limits.fuel,
            "memory_mb": cost::memory_mb(limits.memory_bytes),
            "timeout_ms": limits.timeout.as_millis() as u64,
            "max_body_bytes": limits.max_body_bytes,
            "max_response_bytes": limits.max_response_bytes,
            "max_log_bytes": limits.max_log_bytes,
        },
        "build": {
            "state": state,
            "error": failure.map(|f| f.message.as_str()),
            "failed_at": failure.map(|f| crate::human::utc(f.at)),
        },
    })
}

/// `GET /__wasmfaas/api/invocations?function=&status=&q=&limit=`: the
/// invocations held, oldest first, filtered. `status` is a code (`404`), a
/// class (`4xx`) or `error` (those that carry one); `q` is text looked for,
/// ignoring case, in the method, target, function, error and log; `limit`
/// keeps the newest that many.
pub fn invocations(hub: &Hub, query: &Query) -> Answer {
    let function = query.get("function").filter(|f| !f.is_empty());
    let status = query.get("status").filter(|s| !s.is_empty());
    let text = query
        .get("q")
        .filter(|q| !q.is_empty())
        .map(|q| q.to_lowercase());
    let status_filter = match status.map(StatusFilter::parse).transpose() {
        Ok(filter) => filter,
        Err(message) => return Answer::error(400, message),
    };
    let limit = match query.get("limit").map(str::parse::<usize>).transpose() {
        Ok(limit) => limit,
        Err(_) => {
            return Answer::error(400, "`limit` must be a whole number, such as `limit=100`");
        }
    };
    let mut kept = hub.recent(|invocation| {
        function.is_none_or(|f| invocation.function.as_deref() == Some(f))
            && status_filter.as_ref().is_none_or(|s| s.keeps(invocation))
            && text.as_deref().is_none_or(|t| mentions(invocation, t))
    });
    if let Some(limit) = limit {
        kept.drain(..kept.len().saturating_sub(limit));
    }
    let kept: Vec<&Invocation> = kept.iter().map(AsRef::as_ref).collect();
    Answer::json(
        200,
        &json!({ "capacity": super::hub::RECENT, "invocations": kept }),
    )
}

enum StatusFilter {
    Code(u16),
    Class(u16),
    Error,
}

impl StatusFilter {
    fn parse(text: &str) -> Result<StatusFilter, String> {
        let lower = text.to_ascii_lowercase();
        if lower == "error" {
            return Ok(StatusFilter::Error);
        }
        if let Some(class) = lower.strip_suffix("xx")
            && let Ok(digit @ 1..=5) = class.parse::<u16>()
        {
            return Ok(StatusFilter::Class(digit));
        }
        match text.parse::<u16>() {
            Ok(code @ 100..=599) => Ok(StatusFilter::Code(code)),
            _ => Err(format!(
                "`status={text}` is not a status filter: use a code (`404`), a class (`4xx`) or \
                 `error`"
            )),
        }
    }

    fn keeps(&self, invocation: &Invocation) -> bool {
        match self {
            StatusFilter::Code(code) => invocation.status == *code,
            StatusFilter::Class(class) => invocation.status / 100 == *class,
            StatusFilter::Error => invocation.error.is_some(),
        }
    }
}

fn mentions(invocation: &Invocation, text: &str) -> bool {
    [
        Some(invocation.method.as_str()),
        Some(invocation.target.as_str()),
        invocation.function.as_deref(),
        invocation.error.as_deref(),
        Some(invocation.logs.as_str()),
    ]
    .into_iter()
    .flatten()
    .any(|field| field.to_lowercase().contains(text))
}
