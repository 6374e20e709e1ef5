//! Lambda-style handlers, for functions with `abi = "lambda"`.
//!
//! ```no_run
//! use wasmfaas_sdk::lambda::{self, ApiGatewayV2Request, Error, Response, Value};
//!
//! fn main() {
//!     lambda::run(handler);
//! }
//!
//! fn handler(event: &Value) -> Result<Response, Error> {
//!     let request = ApiGatewayV2Request::new(event);
//!     let name = request.query_param("name").unwrap_or("world");
//!     let body = Value::object([("message", Value::from(format!("Hello, {name}!")))]);
//!     Ok(Response::json(&body))
//! }
//! ```
//!
//! The host writes the event JSON, exactly as AWS would deliver it (here an API
//! Gateway HTTP API request, payload format 2.0), to stdin; the handler's
//! return value goes to stdout as JSON, and the host turns it into the HTTP
//! response as API Gateway does. A handler that returns `Err` fails the
//! invocation: the error goes to the log (stderr) and the process exits with
//! [`EXIT_HANDLER_ERROR`], which the host answers as API Gateway does for a
//! failed Lambda function (502 behind a REST API, 500 behind an HTTP API).
//!
//! The shape follows the `lambda_runtime` crate (`Error` is a boxed error, so
//! `?` works on any error), so a handler moves between AWS and wasmfaas with
//! little change.

use std::fmt;
use std::io::{self, Write};

use crate::{EXIT_ENVELOPE, EXIT_IO, base64, fail};

pub use crate::json_value::{Number, ParseError, Value};

/// The error a handler returns: any error, boxed, as in `lambda_runtime`.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Exit code when the handler returns `Err`.
pub const EXIT_HANDLER_ERROR: i32 = 1;

/// Runs `handler` on the event read from stdin and writes what it returns to
/// stdout as JSON.
///
/// On an event that is not JSON it prints why to stderr and exits with code 70;
/// on an I/O error, with 74; when the handler returns `Err`, it prints the error
/// (and its sources) to stderr and exits with [`EXIT_HANDLER_ERROR`].
pub fn run<F, R>(handler: F)
where
    F: FnOnce(&Value) -> Result<R, Error>,
    R: Into<Value>,
{
    let input = match crate::stdio::read_stdin() {
        Ok(input) => input,
        Err(e) => fail(EXIT_IO, &format!("cannot read the event: {e}")),
    };
    let event = match Value::parse(&input) {
        Ok(event) => event,
        Err(e) => fail(
            EXIT_ENVELOPE,
            &format!("the event on stdin is not JSON: {e}"),
        ),
    };
    match handler(&event) {
        Ok(returned) => {
            let text = returned.into().to_json();
            let flushed = io::stdout().flush();
            if let Err(e) = flushed.and_then(|()| crate::stdio::write_stdout(text.as_bytes(), &[]))
            {
                fail(EXIT_IO, &format!("cannot write the result: {e}"));
            }
        }
        Err(error) => fail(
            EXIT_HANDLER_ERROR,
            &format!("the handler failed: {}", chain(error.as_ref())),
        ),
    }
}

/// An error and its sources, `outer: inner: innermost`.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Reads an API Gateway HTTP API event (payload format 2.0), the event a
/// function with `event = "apigw-v2"` receives.
///
/// Every accessor reads the event as it is: a missing field answers `None` or
/// `""`, never a panic.
#[derive(Debug, Clone, Copy)]
pub struct ApiGatewayV2Request<'a> {
    event: &'a Value,
}

impl<'a> ApiGatewayV2Request<'a> {
    /// Wraps an event.
    pub fn new(event: &'a Value) -> Self {
        ApiGatewayV2Request { event }
    }

    /// The whole event, for fields without an accessor (`requestContext`, ...).
    pub fn event(&self) -> &'a Value {
        self.event
    }

    /// `requestContext.http.method`: `GET`, `POST`, ...
    pub fn method(&self) -> &'a str {
        self.event["requestContext"]["http"]["method"]
            .as_str()
            .unwrap_or_default()
    }

    /// `rawPath`: the path as sent, still percent-encoded.
    pub fn raw_path(&self) -> &'a str {
        self.event["rawPath"].as_str().unwrap_or_default()
    }

    /// `rawQueryString`: the query without `?`; `""` when there is none.
    pub fn raw_query(&self) -> &'a str {
        self.event["rawQueryString"].as_str().unwrap_or_default()
    }

    /// `queryStringParameters[name]`, decoded. A repeated parameter arrives
    /// as its values joined by commas, as API Gateway sends it.
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        self.event["queryStringParameters"][name].as_str()
    }

    /// `pathParameters[name]`: a parameter of the matched route.
    pub fn path_param(&self, name: &str) -> Option<&'a str> {
        self.event["pathParameters"][name].as_str()
    }

    /// The header `name`, compared case-insensitively. A repeated header
    /// arrives as its values joined by commas, as API Gateway sends it.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        let headers = self.event["headers"].as_object()?;
        headers
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_str())
    }

    /// `cookies`: each `Cookie` header pair, `name=value`.
    pub fn cookies(&self) -> Vec<&'a str> {
        let cookies = self.event["cookies"].as_array().unwrap_or_default();
        cookies.iter().filter_map(Value::as_str).collect()
    }

    /// The body's bytes, decoded from base64 when `isBase64Encoded` is true;
    /// empty when there is no body.
    ///
    /// # Errors
    /// [`BodyError`] when the body claims to be base64 and is not.
    pub fn body(&self) -> Result<Vec<u8>, BodyError> {
        let body = self.event["body"].as_str().unwrap_or_default();
        if self.event["isBase64Encoded"].as_bool() == Some(true) {
            base64::decode(body).ok_or(BodyError::Base64)
        } else {
            Ok(body.as_bytes().to_vec())
        }
    }

    /// The body as text.
    ///
    /// # Errors
    /// [`BodyError`] for bad base64 or a decoded body that is not UTF-8.
    pub fn body_text(&self) -> Result<String, BodyError> {
        String::from_utf8(self.body()?).map_err(|_| BodyError::NotUtf8)
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// [`BodyError`] for bad base64 or a body that is not JSON.
    pub fn body_json(&self) -> Result<Value, BodyError> {
        Value::parse(&self.body()?).map_err(BodyError::Json)
    }
}

/// Why a request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// `isBase64Encoded` is true but the body is not base64.
    Base64,
    /// The body is not UTF-8 text.
    NotUtf8,
    /// The body is not JSON.
    Json(ParseError),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Base64 => {
                f.write_str("the body is marked isBase64Encoded but is not base64")
            }
            BodyError::NotUtf8 => f.write_str("the body is not UTF-8 text"),
            BodyError::Json(e) => write!(f, "the body is not JSON: {e}"),
        }
    }
}

/// The message already includes the parse error, so there is no `source`.
impl std::error::Error for BodyError {}

/// Headers that hold one value (RFC 9110): [`Response::with_header`]
/// replaces them instead of joining a second value on.
pub const SINGLE_VALUED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "content-location",
    "content-disposition",
    "location",
    "etag",
    "last-modified",
    "expires",
    "date",
    "retry-after",
    "age",
    "server",
    "access-control-allow-origin",
];

/// A Lambda proxy response for API Gateway:
/// `{"statusCode":..,"headers":{..},"body":"..","isBase64Encoded":false}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    body: String,
    base64: bool,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            cookies: Vec::new(),
            body: String::new(),
            base64: false,
        }
    }

    /// A 200 response with `value` as its `application/json` body.
    pub fn json(value: &Value) -> Response {
        Response::new(200)
            .with_header("content-type", "application/json")
            .with_body(value.to_json())
    }

    /// A 200 response with a `text/plain; charset=utf-8` body.
    pub fn text(body: impl Into<String>) -> Response {
        Response::new(200)
            .with_header("content-type", "text/plain; charset=utf-8")
            .with_body(body)
    }

    /// Replaces the status.
    pub fn with_status(mut self, status: u16) -> Response {
        self.status = status;
        self
    }

    /// Sets a header. The response's `headers` is an object: a header that
    /// holds one value (`content-type`, `location`, … see
    /// [`SINGLE_VALUED_HEADERS`]) is replaced, so
    /// `Response::text(..).with_header("content-type", "application/json")`
    /// is JSON; a list header (`allow`, `vary`, `cache-control`, …) joins
    /// its values with `, `. Use [`Response::with_cookie`] for `set-cookie`,
    /// which must not be joined.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        let (name, value) = (name.into(), value.into());
        let single = SINGLE_VALUED_HEADERS
            .iter()
            .any(|single| single.eq_ignore_ascii_case(&name));
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((_, existing)) if single => *existing = value,
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            None => self.headers.push((name, value)),
        }
        self
    }

    /// Adds a cookie (`name=value; attributes`): payload 2.0's `cookies` list,
    /// which API Gateway sends as one `set-cookie` header each.
    pub fn with_cookie(mut self, cookie: impl Into<String>) -> Response {
        self.cookies.push(cookie.into());
        self
    }

    /// Replaces the body with text.
    pub fn with_body(mut self, body: impl Into<String>) -> Response {
        self.body = body.into();
        self.base64 = false;
        self
    }

    /// Replaces the body with bytes, sent base64-encoded (`isBase64Encoded: true`).
    pub fn with_binary_body(mut self, body: &[u8]) -> Response {
        self.body = base64::encode(body);
        self.base64 = true;
        self
    }

    /// The response as the JSON object API Gateway reads.
    pub fn to_value(&self) -> Value {
        let headers = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), Value::from(v.as_str())));
        let mut value = Value::object([
            ("statusCode", Value::from(self.status)),
            ("headers", Value::Object(headers.collect())),
        ]);
        if !self.cookies.is_empty() {
            let cookies = self.cookies.iter().map(|c| Value::from(c.as_str()));
            value.insert("cookies", Value::Array(cookies.collect()));
        }
        value.insert("body", self.body.as_str());
        value.insert("isBase64Encoded", self.base64);
        value
    }
}

impl From<Response> for Value {
    fn from(response: Response) -> Value {
        response.to_value()
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiGatewayV2Request, BodyError, Response, Value, chain};

    #[test]
    fn a_single_valued_header_is_replaced_and_a_list_header_joined() {
        // Issue 17: this joined two content types into one header.
        let response = Response::text("{}")
            .with_header("Content-Type", "application/json")
            .with_header("allow", "GET")
            .with_header("allow", "POST");
        let values = |name: &str| -> Vec<String> {
            response
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .collect()
        };
        assert_eq!(values("content-type"), ["application/json"]);
        assert_eq!(values("allow"), ["GET, POST"]);
    }

    /// The example event of AWS's "payload format version 2.0" documentation,
    /// trimmed of fields no accessor reads.
    const EVENT: &str = r#"{
      "version": "2.0",
      "routeKey": "$default",
      "rawPath": "/my/path",
      "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
      "cookies": ["cookie1", "cookie2"],
      "headers": {"header1": "value1", "Header2": "value1,value2"},
      "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
      "requestContext": {"http": {"method": "POST", "path": "/my/path", "protocol": "HTTP/1.1"}},
      "body": "Hello from Lambda",
      "pathParameters": {"parameter1": "value1"},
      "isBase64Encoded": false
    }"#;

    #[test]
    fn reads_the_documented_v2_event() {
        let event: Value = EVENT.parse().unwrap();
        let request = ApiGatewayV2Request::new(&event);
        assert_eq!(request.method(), "POST");
        assert_eq!(request.raw_path(), "/my/path");
        assert_eq!(
            request.raw_query(),
            "parameter1=value1&parameter1=value2&parameter2=value"
        );
        assert_eq!(request.query_param("parameter1"), Some("value1,value2"));
        assert_eq!(request.query_param("missing"), None);
        assert_eq!(request.path_param("parameter1"), Some("value1"));
        assert_eq!(request.header("HEADER2"), Some("value1,value2"));
        assert_eq!(request.header("nope"), None);
        assert_eq!(request.cookies(), ["cookie1", "cookie2"]);
        assert_eq!(request.body_text().unwrap(), "Hello from Lambda");
        assert_eq!(request.event()["routeKey"].as_str(), Some("$default"));
    }

    #[test]
    fn an_event_without_the_fields_reads_as_empty() {
        let event = Value::object([("version", Value::from("2.0"))]);
        let request = ApiGatewayV2Request::new(&event);
        assert_eq!(
            (request.method(), request.raw_path(), request.raw_query()),
            ("", "", "")
        );
        assert!(request.cookies().is_empty());
        assert_eq!(request.body().unwrap(), b"");
    }

    #[test]
    fn decodes_a_base64_body_and_reports_a_bad_one() {
        let event: Value = r#"{"body":"AP8K","isBase64Encoded":true}"#.parse().unwrap();
        let request = ApiGatewayV2Request::new(&event);
        assert_eq!(request.body().unwrap(), [0x00, 0xff, 0x0a]);
        assert_eq!(request.body_text(), Err(BodyError::NotUtf8));
        let event: Value = r#"{"body":"not base64!","isBase64Encoded":true}"#.parse().unwrap();
        assert_eq!(
            ApiGatewayV2Request::new(&event).body(),
            Err(BodyError::Base64)
        );
    }

    #[test]
    fn reads_a_json_body() {
        let event: Value = r#"{"body":"{\"n\":[1,2]}"}"#.parse().unwrap();
        let body = ApiGatewayV2Request::new(&event).body_json().unwrap();
        assert_eq!(body["n"][1].as_i64(), Some(2));
        let event: Value = r#"{"body":"{"}"#.parse().unwrap();
        let error = ApiGatewayV2Request::new(&event).body_json().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the body is not JSON: invalid JSON at byte 1")
        );
    }

    #[test]
    fn builds_the_proxy_response_object() {
        let body = Value::object([("ok", Value::from(true))]);
        let response = Response::json(&body)
            .with_status(201)
            .with_header("x-a", "1")
            .with_header("X-A", "2")
            .with_cookie("a=1; Path=/");
        assert_eq!(
            Value::from(response).to_json(),
            r#"{"statusCode":201,"headers":{"content-type":"application/json","x-a":"1, 2"},"cookies":["a=1; Path=/"],"body":"{\"ok\":true}","isBase64Encoded":false}"#
        );
    }

    #[test]
    fn a_binary_body_is_sent_as_base64() {
        let value = Response::new(200)
            .with_binary_body(&[0, 255, 10])
            .to_value();
        assert_eq!(value["body"].as_str(), Some("AP8K"));
        assert_eq!(value["isBase64Encoded"].as_bool(), Some(true));
    }

    #[test]
    fn a_handler_error_is_reported_with_its_sources() {
        #[derive(Debug)]
        struct Outer(BodyError);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("cannot read the order")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        assert_eq!(
            chain(&Outer(BodyError::Base64)),
            "cannot read the order: the body is marked isBase64Encoded but is not base64"
        );
    }
}
