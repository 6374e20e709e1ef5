//! `legacy-lambda`: an AWS Lambda handler for an API Gateway HTTP API
//! (payload format 2.0), run by wasmfaas with `abi = "lambda"` and
//! `event = "apigw-v2"`. `docs/migrating.md` shows it before and after the move.
//!
//! - `GET /legacy/lambda/Ada?greeting=Hi` answers
//!   `{"greeting":"Hi, Ada!","name":"Ada","query":"greeting=Hi"}` and sets a
//!   `last_name` cookie;
//! - `POST /legacy/lambda/Ada` with `{"message":"..."}` answers 201 with the
//!   message echoed; a body that is not JSON, or has no string `message`,
//!   answers 400 with a JSON error.

use wasmfaas_sdk::lambda::{self, ApiGatewayV2Request, Error, Response, Value};

fn main() {
    lambda::run(handler);
}

fn handler(event: &Value) -> Result<Response, Error> {
    let request = ApiGatewayV2Request::new(event);
    // The route `/legacy/lambda/:name` always captures `name`; an event sent
    // by hand may not have it.
    let Some(name) = request.path_param("name") else {
        return Ok(error(
            400,
            "the path has no name: use /legacy/lambda/<name>",
        ));
    };
    let method = request.method();
    let path = request.raw_path();
    // stderr is the function's log (CloudWatch Logs, on AWS).
    eprintln!("{method} {path} for {name}");
    match method {
        "GET" => Ok(greet(&request, name)),
        "POST" => Ok(echo(&request, name)),
        other => {
            Ok(error(405, &format!("{other} is not allowed here"))
                .with_header("allow", "GET, POST"))
        }
    }
}

/// `GET`: a greeting, and the raw query string as the function received it.
fn greet(request: &ApiGatewayV2Request, name: &str) -> Response {
    let greeting = request.query_param("greeting").unwrap_or("Hello");
    let body = Value::object([
        ("greeting", Value::from(format!("{greeting}, {name}!"))),
        ("name", Value::from(name)),
        ("query", Value::from(request.raw_query())),
    ]);
    let cookie = format!("last_name={}; Path=/legacy; HttpOnly", cookie_value(name));
    Response::json(&body).with_cookie(cookie)
}

/// `text` as a cookie value: the bytes RFC 6265 allows pass as they are,
/// every other byte (space, `;`, `,`, `"`, `\`, controls, non-ASCII) is
/// percent-encoded, so a name from the path cannot add cookie attributes or
/// break the header.
fn cookie_value(text: &str) -> String {
    let mut value = String::with_capacity(text.len());
    for byte in text.bytes() {
        let allowed = matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
        if allowed && byte != b'%' {
            value.push(char::from(byte));
        } else {
            value.push_str(&format!("%{byte:02X}"));
        }
    }
    value
}

/// `POST`: reads `{"message": "..."}` and echoes the message back.
fn echo(request: &ApiGatewayV2Request, name: &str) -> Response {
    let body = match request.body_json() {
        Ok(body) => body,
        Err(e) => return error(400, &e.to_string()),
    };
    let Some(message) = body["message"].as_str() else {
        return error(400, "the body has no string field `message`");
    };
    let reply = Value::object([
        ("name", Value::from(name)),
        ("message", Value::from(message)),
    ]);
    Response::json(&reply).with_status(201)
}

/// A JSON error response: `{"error": "..."}` with `status`.
fn error(status: u16, message: &str) -> Response {
    Response::json(&Value::object([("error", Value::from(message))])).with_status(status)
}
