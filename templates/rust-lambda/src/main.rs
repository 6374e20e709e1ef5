//! `{{name}}`: an AWS Lambda handler behind an API Gateway HTTP API.
//!
//! With `abi = "lambda"` and `event = "apigw-v2"`, the host turns each HTTP
//! request into the event API Gateway would send (payload format 2.0) and
//! turns what the handler returns into the HTTP response, as API Gateway does.
//! A handler returning `Err` is a failed invocation: the host answers as an
//! HTTP API does, 500 `{"message":"Internal Server Error"}`, and the error is
//! in the log. Try it:
//!
//! ```text
//! wasmfaas invoke {{name}} --path '{{path}}?name=Ada'
//! ```

use wasmfaas_sdk::lambda::{self, ApiGatewayV2Request, Error, Response, Value};

fn main() {
    lambda::run(handler);
}

fn handler(event: &Value) -> Result<Response, Error> {
    let request = ApiGatewayV2Request::new(event);
    let name = request.query_param("name").unwrap_or("world");
    // stderr is the function's log (CloudWatch Logs, on AWS).
    eprintln!("{} {} for {name}", request.method(), request.raw_path());
    let body = Value::object([
        ("message", Value::from(format!("Hello, {name}!"))),
        ("path", Value::from(request.raw_path())),
    ]);
    Ok(Response::json(&body))
}
