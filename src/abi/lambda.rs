//! The `lambda` ABI: a function written as an AWS Lambda handler.
//!
//! The guest reads the event JSON on stdin, exactly as AWS delivers it, and
//! writes its handler's return value as JSON on stdout; a handler error is
//! a non-zero exit (its message on stderr). HTTP requests arrive as API
//! Gateway proxy events in the payload format the function's `event` picks,
//! and the return value is read back as API Gateway reads it
//! ([`crate::aws::apigw`]). Other events (S3, schedules, SQS) arrive as
//! they are, and the return value is the outcome.

use super::Input;
use super::http::{HttpRequest, HttpResponse};
use super::{CallError, CallOutcome};
use crate::aws::{apigw, ids::IdSource};
use crate::bindings::Access;
use crate::config::{Function, PayloadFormat};
use crate::router::Matched;
use crate::runtime::{Context, LoadedModule};
use std::sync::Arc;

/// The stage every `apigw-v1` event names: there is one local deployment.
pub const STAGE_V1: &str = "local";

/// Runs a Lambda-style `function` on `input`.
pub fn call(
    module: &LoadedModule,
    function: &Function,
    format: PayloadFormat,
    input: Input<'_>,
    context: Context,
    bindings: Option<Arc<Access>>,
) -> CallOutcome {
    match input {
        Input::Http { request, route } => {
            if let Err(error) = super::check_body(function, &request.body) {
                return CallOutcome::refused(error);
            }
            let event = request_event(format, request, route, context);
            let report = super::run(module, function, event, env(function), context, bindings);
            CallOutcome::from_report(report, |stdout| {
                let response = apigw::response(format, &stdout).map_err(CallError::from)?;
                // The handler chose these headers: no control characters.
                super::http::check_header_values(&response.headers)?;
                Ok(response)
            })
        }
        Input::Event { payload, .. } => {
            let stdin = serde_json::to_vec(payload).unwrap_or_default();
            let report = super::run(module, function, stdin, env(function), context, bindings);
            CallOutcome::from_report(report, |stdout| Ok(returned_value(stdout)))
        }
    }
}

/// The API Gateway event for `request`. Its request id and times follow
/// from the invocation's context, so a replay builds the same bytes.
pub fn request_event(
    format: PayloadFormat,
    request: &HttpRequest,
    route: Option<&Matched<'_>>,
    context: Context,
) -> Vec<u8> {
    // A routed request names its route as the route table compiled it; a
    // function invoked directly is reached as API Gateway's catch-all.
    let proxy_parameters;
    let resource = match route {
        Some(matched) => matched.resource(),
        None => {
            proxy_parameters = apigw::proxy_parameters(&request.path);
            apigw::Resource {
                path: apigw::PROXY_RESOURCE,
                parameters: &proxy_parameters,
            }
        }
    };
    // REST APIs name requests with UUIDs, HTTP APIs with short base64 ids.
    let mut ids = IdSource::new(context.seed);
    let request_id = match format {
        PayloadFormat::V1 => ids.uuid(),
        PayloadFormat::V2 => ids.short_request_id(),
    };
    let host = request.header("host");
    let source_ip = request.connection().peer.ip().to_string();
    let info = apigw::RequestInfo {
        resource: resource.path,
        path_parameters: resource.parameters,
        route_method: route
            .and_then(|matched| matched.route.route.method)
            .map(|m| m.as_str()),
        stage: match format {
            PayloadFormat::V1 => STAGE_V1,
            PayloadFormat::V2 => "$default",
        },
        request_id: &request_id,
        time_ns: context.start_time_ns,
        source_ip: &source_ip,
        host,
    };
    serde_json::to_vec(&apigw::request_event(format, request, &info)).unwrap_or_default()
}

/// A handler's return value for a non-HTTP event, as `invoke` and replays
/// show it: 200 with the JSON (AWS gives `null` for a handler returning
/// nothing).
fn returned_value(stdout: Vec<u8>) -> HttpResponse {
    let body = if stdout.iter().all(u8::is_ascii_whitespace) {
        b"null".to_vec()
    } else {
        stdout
    };
    HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

/// The variables the Lambda runtime sets that handlers commonly read, then
/// the function's own `env`.
fn env(function: &Function) -> Vec<(String, String)> {
    let memory_mb = (function.limits.memory_bytes / (1024 * 1024)).to_string();
    let mut env = vec![
        ("AWS_REGION".to_string(), crate::aws::REGION.to_string()),
        ("AWS_DEFAULT_REGION".into(), crate::aws::REGION.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), function.name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), memory_mb),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
    ];
    env.extend(super::config_env(function));
    env
}
