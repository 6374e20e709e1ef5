//! Vendor profiles (`[project] vendor = "aws"`): what a project meant for a
//! cloud relies on that the cloud does not have, or that wasmfaas does not
//! emulate, said out loud when the project loads instead of diverging
//! silently. The table of what is emulated is `docs/vendors.md`.
//!
//! wasmfaas's default limits are already AWS Lambda's (3 s, 128 MB, 6 MB
//! payloads), so the profile changes no default; it checks limits against
//! AWS's maxima, and the gateway answers what API Gateway answers where the
//! two differ (`gateway::reply`).

use crate::config::{Abi, Function, PayloadFormat, Project, Trigger, Vendor};
use std::time::Duration;

/// AWS Lambda's longest timeout.
pub const LAMBDA_MAX_TIMEOUT: Duration = Duration::from_secs(900);
/// The largest request or response payload of a synchronous Lambda invocation.
pub const LAMBDA_MAX_PAYLOAD_BYTES: u64 = 6 * 1024 * 1024;

/// Environment variables the Lambda runtime sets itself; a function may
/// not set them (deploying fails).
const LAMBDA_RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// One divergence between the project and its vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The function it is about, if any.
    pub function: Option<String>,
    /// What differs, and what to do about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.function {
            Some(function) => write!(f, "`{function}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Everything in `project` its vendor does not have or wasmfaas does not
/// emulate for it; empty without a vendor.
pub fn warnings(project: &Project) -> Vec<Warning> {
    match project.vendor {
        Vendor::None => Vec::new(),
        Vendor::Aws => project.functions.values().flat_map(aws_warnings).collect(),
    }
}

fn aws_warnings(function: &Function) -> Vec<Warning> {
    let mut found = Vec::new();
    let mut warn = |message: String| {
        found.push(Warning {
            function: Some(function.name.clone()),
            message,
        });
    };
    match function.abi {
        Abi::Http => warn(
            "uses wasmfaas's own `http` ABI, which AWS Lambda does not have: it runs here, \
             not on AWS; write it as a Lambda handler (`abi = \"lambda\"`, see \
             docs/migrating.md) to deploy it"
                .into(),
        ),
        Abi::Cgi => warn(
            "uses the `cgi` ABI, which AWS Lambda does not have: it runs here, not on AWS".into(),
        ),
        Abi::Lambda { .. } => {}
    }
    if !function.kv.is_empty() {
        warn(format!(
            "uses KV namespaces ({}), which AWS has no counterpart of and wasmfaas does not \
             translate (DynamoDB is not emulated)",
            function.kv.join(", ")
        ));
    }
    let limits = &function.limits;
    // Memory needs no check: a wasm32 memory (at most 4 GiB) is always
    // within Lambda's 10,240 MB.
    if limits.timeout > LAMBDA_MAX_TIMEOUT {
        warn(format!(
            "`limits.timeout_ms` = {} is over AWS Lambda's maximum of 900,000 (15 minutes)",
            limits.timeout.as_millis()
        ));
    }
    if let Abi::Lambda { event } = function.abi
        && !function.routes.is_empty()
    {
        // API Gateway's integration timeout: the client gets 504 (REST) or
        // 503 (HTTP API) then, whatever the function's own timeout.
        let (gateway, limit) = match event {
            PayloadFormat::V1 => ("a REST API", Duration::from_secs(29)),
            PayloadFormat::V2 => ("an HTTP API", Duration::from_secs(30)),
        };
        if limits.timeout > limit {
            warn(format!(
                "`limits.timeout_ms` = {} is longer than {gateway} waits ({} s): on AWS its \
                 clients get a timeout answer first; wasmfaas waits for the function",
                limits.timeout.as_millis(),
                limit.as_secs()
            ));
        }
    }
    if limits.max_body_bytes > LAMBDA_MAX_PAYLOAD_BYTES {
        warn(format!(
            "`limits.max_body_bytes` = {} is over the 6 MB a synchronous Lambda invocation \
             accepts; AWS refuses larger requests",
            limits.max_body_bytes
        ));
    }
    if limits.max_response_bytes > LAMBDA_MAX_PAYLOAD_BYTES {
        warn(format!(
            "`limits.max_response_bytes` = {} is over the 6 MB a Lambda function may return",
            limits.max_response_bytes
        ));
    }
    for name in function.env.keys() {
        if LAMBDA_RESERVED_ENV.contains(&name.as_str()) {
            warn(format!(
                "sets `{name}`, which the Lambda runtime reserves: deploying fails; rename it"
            ));
        }
    }
    if function
        .triggers
        .iter()
        .any(|t| matches!(t, Trigger::S3(_)))
        && matches!(function.abi, Abi::Http | Abi::Cgi)
    {
        warn(
            "gets S3 events as `POST /` (its ABI's convention); on AWS a Lambda handler \
             gets the event itself"
                .into(),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn project(text: &str) -> Project {
        Project::parse(text, Path::new("/tmp/wasmfaas.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    const WAT: &str = "source = \"fixtures/never-read.wasm\"\nbuild = \"true\"\n";

    #[test]
    fn without_a_vendor_nothing_is_said() {
        let project = project(&format!(
            "[project]\nname = \"p\"\n[functions.f]\n{WAT}kv = [\"K\"]\n"
        ));
        assert!(warnings(&project).is_empty());
    }

    #[test]
    fn aws_names_each_divergence_of_each_function() {
        let project = project(&format!(
            "[project]\nname = \"p\"\nvendor = \"aws\"\n\
             [functions.native]\n{WAT}kv = [\"K\"]\n\
             [functions.handler]\n{WAT}abi = \"lambda\"\nevent = \"apigw-v1\"\n\
             routes = [\"GET /h\"]\nenv = {{ AWS_REGION = \"eu-west-1\" }}\n\
             limits = {{ timeout_ms = 60000, max_body_bytes = \"10MB\" }}\n\
             [functions.clean]\n{WAT}abi = \"lambda\"\nroutes = [\"GET /c\"]\n"
        ));
        let all: Vec<String> = warnings(&project).iter().map(ToString::to_string).collect();
        let about = |function: &str| -> Vec<&String> {
            all.iter()
                .filter(|w| w.starts_with(&format!("`{function}`")))
                .collect()
        };
        assert_eq!(about("clean"), Vec::<&String>::new(), "{all:#?}");
        let native = about("native");
        assert_eq!(native.len(), 2, "{all:#?}");
        assert!(native[0].contains("`http` ABI"), "{all:#?}");
        assert!(native[1].contains("KV namespaces (K)"), "{all:#?}");
        let handler = about("handler");
        assert_eq!(handler.len(), 3, "{all:#?}");
        assert!(
            handler.iter().any(|w| w.contains("over the 6 MB")),
            "{all:#?}"
        );
        assert!(
            handler
                .iter()
                .any(|w| w.contains("a REST API waits (29 s)")),
            "{all:#?}"
        );
        assert!(
            handler.iter().any(|w| w.contains("`AWS_REGION`")),
            "{all:#?}"
        );
    }
}
