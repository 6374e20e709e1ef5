//! API Gateway's Lambda proxy integration, both payload formats, both
//! directions: an [`HttpRequest`] becomes the event a function receives
//! ([`request_event`]), and what the function returns becomes the response
//! API Gateway would send ([`response`]), or the reason API Gateway would
//! answer with one of its own [error responses](gateway_error).
//!
//! - **`apigw-v1`** is the REST API proxy event (`payloadFormatVersion`
//!   1.0). Its response must be an object with a `statusCode`; anything else
//!   is the "Malformed Lambda proxy response" that API Gateway answers with
//!   `502`.
//! - **`apigw-v2`** is the HTTP API event (payload format 2.0). Its response
//!   may be a bare value, which API Gateway turns into a `200` JSON response.
//!
//! The shapes follow the API Gateway developer guide ("Create AWS Lambda
//! proxy integrations for HTTP APIs", "Lambda proxy integrations in API
//! Gateway") and, where the guide is silent, live events captured from real
//! APIs (github.com/hotsock/voker, `vokerhttp/testdata`). Where they differ
//! from what one would guess, the field's doc here says so; `docs/events.md`
//! has the summary.
//!
//! ## Bodies: text or base64
//! A JSON event cannot carry arbitrary bytes, so a body travels either as a
//! string or base64-encoded with `isBase64Encoded: true`:
//! - `apigw-v1`: as text when it is valid UTF-8, otherwise base64. A REST API
//!   base64-encodes exactly the content types listed in its `binaryMediaTypes`;
//!   we have no such list, and this rule is what a REST API behaves like when
//!   the list names the binary types its clients send — and it never mangles
//!   a body, which a REST API without the list would.
//! - `apigw-v2`: as text only when the `content-type` is `text/*`,
//!   `application/json`, `application/xml` or `application/javascript` (and
//!   the bytes are UTF-8); everything else is base64 — including a request
//!   with no `content-type` and `application/x-www-form-urlencoded`. An HTTP
//!   API has no setting for this; the list was measured against real HTTP
//!   APIs (ministackorg/ministack pull request 766).

use super::{ACCOUNT_ID, REGION, time};
use crate::http::{HttpRequest, HttpResponse};
use crate::percent::{Plus, decode_lossy};
use crate::router::percent_decode;
// The payload format is a function's config choice; API Gateway's shapes
// depend on config, not the reverse.
pub use crate::config::{PayloadFormat, UnknownPayloadFormat};

mod resource;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest, Md5};
pub use resource::{
    PROXY_RESOURCE, Resource, match_resource, proxy_parameters, resource_for, resource_of,
};
use serde_json::{Map, Value, json};

/// The `apiId` of every event: ten lower-case letters and digits, like AWS's.
pub const API_ID: &str = "wasmfaas01";

/// What the gateway knows about a request beyond the request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestInfo<'a> {
    /// The matched route's path in AWS syntax: `/counter/{name}`,
    /// `/files/{proxy+}` (see [`resource_of`]).
    pub resource: &'a str,
    /// The path parameters under `resource`, still percent-encoded
    /// (`apigw-v1` delivers them so; see [`Resource`]).
    pub path_parameters: &'a [(String, String)],
    /// The method the route is restricted to; `None` for a route that answers
    /// any method (`ANY` in AWS's `routeKey`).
    pub route_method: Option<&'a str>,
    /// The stage: a name such as `local` for `apigw-v1`; `$default` for
    /// `apigw-v2` unless the API has named stages.
    pub stage: &'a str,
    /// `requestContext.requestId`.
    pub request_id: &'a str,
    /// The request's arrival on the virtual clock, nanoseconds since the epoch:
    /// `requestTime`, `requestTimeEpoch`, `time` and `timeEpoch` come from it.
    pub time_ns: u64,
    /// The client's address (`sourceIp`).
    pub source_ip: &'a str,
    /// The `Host` the client used (`domainName`); `None` for AWS's default
    /// `execute-api` domain.
    pub host: Option<&'a str>,
}

/// The event a function behind API Gateway receives for `request`.
pub fn request_event(format: PayloadFormat, request: &HttpRequest, info: &RequestInfo) -> Value {
    match format {
        PayloadFormat::V1 => v1_event(request, info),
        PayloadFormat::V2 => v2_event(request, info),
    }
}

// ---------------------------------------------------------------------------
// Request events
// ---------------------------------------------------------------------------

/// The REST API (payload 1.0) event.
///
/// `path`, `requestContext.path` and `pathParameters` keep the path's
/// percent-encoding, as REST APIs deliver them (live captures: `path` is
/// `/capture/space%20value`); query parameters are decoded, `+` included.
fn v1_event(request: &HttpRequest, info: &RequestInfo) -> Value {
    let (headers, multi_headers) = v1_headers(&request.headers);
    let (query, multi_query) = v1_query(&request.query);
    let path_parameters = if info.path_parameters.is_empty() {
        Value::Null
    } else {
        Value::Object(
            info.path_parameters
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                .collect(),
        )
    };
    let user_agent = request.header("user-agent");
    let (body, is_base64) = encode_body(&request.body, true);
    let domain = domain_name(info);
    json!({
        "resource": info.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": domain_prefix(&domain),
            "extendedRequestId": derived_id(info.request_id),
            "httpMethod": request.method,
            "identity": {
                "accessKey": null,
                "accountId": null,
                "caller": null,
                "cognitoAuthenticationProvider": null,
                "cognitoAuthenticationType": null,
                "cognitoIdentityId": null,
                "cognitoIdentityPoolId": null,
                "principalOrgId": null,
                "sourceIp": info.source_ip,
                "user": null,
                "userAgent": user_agent,
                "userArn": null,
            },
            "path": format!("/{}{}", info.stage, request.path),
            "protocol": "HTTP/1.1",
            "requestId": info.request_id,
            "requestTime": time::common_log(info.time_ns),
            "requestTimeEpoch": time::epoch_ms(info.time_ns),
            "resourceId": resource_id(info.resource),
            "resourcePath": info.resource,
            "stage": info.stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// `headers` (last value wins) and `multiValueHeaders` (every value), names
/// as the client wrote them; `null` both when there are none. Names that
/// differ only in case are one header, under the first spelling seen.
fn v1_headers(pairs: &[(String, String)]) -> (Value, Value) {
    last_and_all(group_headers(pairs))
}

/// REST API's pair of maps for grouped values: the last value of each name,
/// and all of them; `null` both when there are none.
fn last_and_all(grouped: Vec<(String, Vec<String>)>) -> (Value, Value) {
    if grouped.is_empty() {
        return (Value::Null, Value::Null);
    }
    let mut single = Map::new();
    let mut multi = Map::new();
    for (name, values) in grouped {
        single.insert(name.clone(), json!(values.last()));
        multi.insert(name, json!(values));
    }
    (Value::Object(single), Value::Object(multi))
}

/// Header values grouped by case-insensitive name, in order of first arrival.
fn group_headers(pairs: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in pairs {
        match grouped
            .iter_mut()
            .find(|(seen, _)| seen.eq_ignore_ascii_case(name))
        {
            Some((_, values)) => values.push(value.clone()),
            None => grouped.push((name.clone(), vec![value.clone()])),
        }
    }
    grouped
}

/// `queryStringParameters` (last value wins) and
/// `multiValueQueryStringParameters`, decoded; `null` both for no query.
fn v1_query(raw: &str) -> (Value, Value) {
    last_and_all(query_pairs(raw))
}

/// A raw query's parameters, names and values form-decoded (`+` is a space),
/// grouped by name in order of first appearance; `flag` alone has value `""`.
fn query_pairs(raw: &str) -> Vec<(String, Vec<String>)> {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for pair in raw.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (form_decode(name), form_decode(value));
        match grouped.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, values)) => values.push(value),
            None => grouped.push((name, vec![value])),
        }
    }
    grouped
}

fn form_decode(text: &str) -> String {
    decode_lossy(text, Plus::Space)
}

/// The HTTP API (payload 2.0) event.
///
/// `rawPath` and `requestContext.http.path` are percent-*decoded*: HTTP APIs
/// decode the path before the function sees it, despite the field's name
/// (live captures: `/capture/space%20value` arrives as `/capture/space
/// value`). A real HTTP API also decodes twice and cuts the path at a decoded
/// `?`; we decode once and keep the whole path.
fn v2_event(request: &HttpRequest, info: &RequestInfo) -> Value {
    let mut event = Map::new();
    let route_key = format!("{} {}", info.route_method.unwrap_or("ANY"), info.resource);
    let stage_prefix = if info.stage == "$default" {
        String::new()
    } else {
        format!("/{}", info.stage)
    };
    let path = format!("{stage_prefix}{}", percent_decode(&request.path));
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(route_key));
    event.insert("rawPath".into(), json!(path));
    event.insert("rawQueryString".into(), json!(request.query));

    let cookies: Vec<String> = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, value)| value.split(';'))
        .map(str::trim)
        .filter(|cookie| !cookie.is_empty())
        .map(String::from)
        .collect();
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    let headers: Map<String, Value> = group_headers(&request.headers)
        .into_iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("cookie"))
        .map(|(name, values)| (name.to_ascii_lowercase(), json!(values.join(","))))
        .collect();
    event.insert("headers".into(), Value::Object(headers));
    let query: Map<String, Value> = query_pairs(&request.query)
        .into_iter()
        .map(|(name, values)| (name, json!(values.join(","))))
        .collect();
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), Value::Object(query));
    }
    let domain = domain_name(info);
    event.insert(
        "requestContext".into(),
        json!({
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain,
            "domainPrefix": domain_prefix(&domain),
            "http": {
                "method": request.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": info.source_ip,
                "userAgent": request.header("user-agent").unwrap_or(""),
            },
            "requestId": info.request_id,
            "routeKey": route_key,
            "stage": info.stage,
            "time": time::common_log(info.time_ns),
            "timeEpoch": time::epoch_ms(info.time_ns),
        }),
    );
    if !request.params.is_empty() {
        event.insert("pathParameters".into(), json!(request.params));
    }
    let (body, is_base64) = encode_body(&request.body, is_textual(request.header("content-type")));
    if !body.is_null() {
        event.insert("body".into(), body);
    }
    event.insert("isBase64Encoded".into(), json!(is_base64));
    Value::Object(event)
}

/// Whether an HTTP API passes a body of this content type as text.
fn is_textual(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return false;
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json" | "application/xml" | "application/javascript"
        )
}

/// The body field and `isBase64Encoded`: `null` for no body, a string when
/// `textual` and UTF-8, otherwise base64.
fn encode_body(body: &[u8], textual: bool) -> (Value, bool) {
    if body.is_empty() {
        return (Value::Null, false);
    }
    match std::str::from_utf8(body) {
        Ok(text) if textual => (json!(text), false),
        _ => (json!(BASE64.encode(body)), true),
    }
}

fn domain_name(info: &RequestInfo) -> String {
    match info.host {
        Some(host) => host.to_string(),
        None => format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
    }
}

/// The first label of the domain (`wasmfaas01` of `wasmfaas01.execute-api…`),
/// port removed.
fn domain_prefix(domain: &str) -> String {
    let host = domain.split(':').next().unwrap_or(domain);
    host.split('.').next().unwrap_or(host).to_string()
}

/// A REST API `resourceId`: six lower-case characters, stable per resource.
fn resource_id(resource: &str) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    Md5::digest(resource.as_bytes())
        .iter()
        .take(6)
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect()
}

/// `extendedRequestId`: an id in API Gateway's short form (11 bytes of
/// base64), derived from the request id so it is as reproducible.
fn derived_id(request_id: &str) -> String {
    BASE64.encode(&Md5::digest(request_id.as_bytes())[..11])
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// Why API Gateway would not accept what a function returned. The gateway
/// answers with [`gateway_error`]`(format, GatewayFailure::MalformedResponse)`
/// and shows this message in the console.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LambdaResponseError {
    #[error(
        "the function returned nothing (its stdout is empty); a `lambda` function writes \
         its handler's return value as JSON, such as {{\"statusCode\": 200, \"body\": \"...\"}}"
    )]
    Empty,
    #[error(
        "the return value is not JSON ({reason}); it starts with {start:?}. A Lambda \
         handler's return value is serialized as JSON: return an object such as \
         {{\"statusCode\": 200, \"body\": \"...\"}}"
    )]
    NotJson { reason: String, start: String },
    #[error(
        "the return value is a JSON {found}, but an `apigw-v1` function must return an \
         object such as {{\"statusCode\": 200, \"body\": \"...\"}}"
    )]
    NotAnObject { found: &'static str },
    #[error(
        "the returned object has no `statusCode`; an `apigw-v1` function must return \
         {{\"statusCode\": 200, ...}} (only `apigw-v2` infers a 200 response)"
    )]
    MissingStatusCode,
    #[error("`statusCode` is {found}; it must be an integer from 100 to 599, such as 200")]
    BadStatusCode { found: String },
    #[error("`{field}` is {found}; it must be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
        found: String,
    },
    #[error(
        "`isBase64Encoded` is true but `body` is not valid base64 ({reason}); encode the \
         bytes with standard base64 (RFC 4648, with `=` padding)"
    )]
    BadBase64 { reason: String },
    #[error(
        "the response header name {name:?} is not a valid HTTP header name (letters, digits \
         and !#$%&'*+-.^_`|~ only)"
    )]
    BadHeaderName { name: String },
    #[error(
        "the response header {name:?} has a value HTTP cannot carry (a line break, a control \
         character or non-ASCII text): {value:?}; percent-encode it or move it to the body"
    )]
    BadHeaderValue { name: String, value: String },
}

/// The response API Gateway sends for what a function returned (its stdout).
///
/// # Errors
/// A [`LambdaResponseError`] when API Gateway would reject the return value
/// and answer with its own error instead (see [`gateway_error`]).
pub fn response(
    format: PayloadFormat,
    returned: &[u8],
) -> Result<HttpResponse, LambdaResponseError> {
    let text = returned.trim_ascii();
    if text.is_empty() {
        return Err(LambdaResponseError::Empty);
    }
    let value: Value =
        serde_json::from_slice(text).map_err(|error| LambdaResponseError::NotJson {
            reason: error.to_string(),
            start: String::from_utf8_lossy(&text[..text.len().min(60)]).into_owned(),
        })?;
    match format {
        PayloadFormat::V1 => {
            let Value::Object(fields) = value else {
                return Err(LambdaResponseError::NotAnObject {
                    found: kind_of(&value),
                });
            };
            let mut response = structured(&fields, format)?;
            if response.header("content-type").is_none() {
                // A REST API answers `application/json` when the function sets no type.
                response
                    .headers
                    .push(("Content-Type".into(), "application/json".into()));
            }
            Ok(response)
        }
        PayloadFormat::V2 => match value {
            Value::Object(fields) if fields.get("statusCode").is_some_and(|s| !s.is_null()) => {
                structured(&fields, format)
            }
            // Any other valid JSON is the body of a 200 JSON response; a JSON
            // string is unquoted (AWS's example: "Hello from Lambda!" becomes
            // the body `Hello from Lambda!`), anything else is sent as returned.
            Value::String(body) => Ok(inferred(body.into_bytes())),
            _ => Ok(inferred(text.to_vec())),
        },
    }
}

fn inferred(body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

/// A response object with a `statusCode`, read the way `format` reads it.
///
/// `apigw-v1` merges `headers` with `multiValueHeaders` (a pair named in
/// both is sent once). `apigw-v2` reads `headers` and turns each of
/// `cookies` into a `set-cookie` header; payload 2.0 has no
/// `multiValueHeaders`, so it is ignored there, as API Gateway ignores it.
/// Fields API Gateway does not read are ignored.
fn structured(
    fields: &Map<String, Value>,
    format: PayloadFormat,
) -> Result<HttpResponse, LambdaResponseError> {
    let status = match fields.get("statusCode") {
        None | Some(Value::Null) => return Err(LambdaResponseError::MissingStatusCode),
        Some(value) => status_code(value)?,
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    if format == PayloadFormat::V1 {
        for (name, values) in object_field(fields, "multiValueHeaders")? {
            let field = format!("multiValueHeaders.{name}");
            let Value::Array(values) = values else {
                if values.is_null() {
                    continue;
                }
                return Err(wrong_type(&field, "an array of strings", values));
            };
            for (index, value) in values.iter().enumerate() {
                headers.push((
                    name.clone(),
                    header_value(&format!("{field}[{index}]"), value)?,
                ));
            }
        }
    }
    for (name, value) in object_field(fields, "headers")? {
        if value.is_null() {
            continue;
        }
        let value = header_value(&format!("headers.{name}"), value)?;
        let already = headers
            .iter()
            .any(|(seen, v)| seen.eq_ignore_ascii_case(name) && *v == value);
        if !already {
            headers.push((name.clone(), value));
        }
    }
    if format == PayloadFormat::V2 {
        match fields.get("cookies") {
            None | Some(Value::Null) => {}
            Some(Value::Array(cookies)) => {
                for (index, cookie) in cookies.iter().enumerate() {
                    let cookie = header_value(&format!("cookies[{index}]"), cookie)?;
                    headers.push(("set-cookie".into(), cookie));
                }
            }
            Some(other) => return Err(wrong_type("cookies", "an array of strings", other)),
        }
    }
    for (name, value) in &headers {
        check_header(name, value)?;
    }
    let base64 = match fields.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => return Err(wrong_type("isBase64Encoded", "true or false", other)),
    };
    let body = match fields.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) if base64 => {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            BASE64
                .decode(compact)
                .map_err(|error| LambdaResponseError::BadBase64 {
                    reason: error.to_string(),
                })?
        }
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(other) => {
            return Err(wrong_type(
                "body",
                "a string (serialize JSON bodies, e.g. JSON.stringify / json.dumps)",
                other,
            ));
        }
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// An integer status, or a string of digits (API Gateway, like SAM, reads
/// `"200"` as 200).
fn status_code(value: &Value) -> Result<u16, LambdaResponseError> {
    let number = match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u64>().ok()
        }
        _ => None,
    };
    number
        .filter(|status| (100..=599).contains(status))
        .and_then(|status| u16::try_from(status).ok())
        .ok_or_else(|| LambdaResponseError::BadStatusCode {
            found: describe(value),
        })
}

/// The entries of an optional object field; `null` and absence are empty.
fn object_field<'v>(
    fields: &'v Map<String, Value>,
    field: &str,
) -> Result<Vec<(&'v String, &'v Value)>, LambdaResponseError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(entries)) => Ok(entries.iter().collect()),
        Some(other) => Err(wrong_type(field, "an object", other)),
    }
}

/// A header value: a string, or a number or boolean written as JSON writes it.
fn header_value(field: &str, value: &Value) -> Result<String, LambdaResponseError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        other => Err(wrong_type(field, "a string", other)),
    }
}

fn check_header(name: &str, value: &str) -> Result<(), LambdaResponseError> {
    if !crate::http::is_token(name) {
        return Err(LambdaResponseError::BadHeaderName { name: name.into() });
    }
    // HTTP/1.1 carries visible ASCII, spaces and tabs; what the gateway
    // cannot send is a malformed response, answered as API Gateway answers.
    if !value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return Err(LambdaResponseError::BadHeaderValue {
            name: name.into(),
            value: value.into(),
        });
    }
    Ok(())
}

fn wrong_type(field: &str, expected: &'static str, found: &Value) -> LambdaResponseError {
    LambdaResponseError::WrongType {
        field: field.to_string(),
        expected,
        found: describe(found),
    }
}

/// `the number 200.5`, `an object`, `the string "x"`: a value for a message.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) if text.chars().count() > 40 => {
            let start: String = text.chars().take(40).collect();
            format!("the string {start:?}…")
        }
        Value::String(text) => format!("the string {text:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// ---------------------------------------------------------------------------
// API Gateway's own error responses
// ---------------------------------------------------------------------------

/// Why API Gateway answers a request itself instead of with the function's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayFailure {
    /// The function crashed, trapped or ran out of fuel or memory (an
    /// unhandled error in Lambda terms).
    FunctionError,
    /// The function returned something [`response`] rejects.
    MalformedResponse,
    /// The function ran past the integration timeout.
    Timeout,
    /// The request is larger than Lambda accepts.
    RequestTooLarge,
}

/// API Gateway's answer when `failure` happens behind an API of `format`:
///
/// | failure            | `apigw-v1` (REST API)                            | `apigw-v2` (HTTP API)                      |
/// |--------------------|--------------------------------------------------|--------------------------------------------|
/// | function error     | 502 `{"message": "Internal server error"}`       | 500 `{"message":"Internal Server Error"}`  |
/// | malformed response | 502 `{"message": "Internal server error"}`       | 500 `{"message":"Internal Server Error"}`  |
/// | timeout            | 504 `{"message": "Endpoint request timed out"}`  | 503 `{"message":"Service Unavailable"}`    |
/// | request too large  | 413 `{"message": "Request Too Long"}`            | 413 `{"message":"Request Entity Too Large"}` |
///
/// Sources: the Lambda developer guide, "Handling Lambda errors with an API
/// Gateway API" (REST: 502 and its body); responses captured from real APIs
/// for the rest (REST 413 `Request Too Long`, 31 bytes, with the space;
/// HTTP API 503 `Service Unavailable`, 33 bytes, without). The HTTP API 413
/// body is not confirmed against AWS.
pub fn gateway_error(format: PayloadFormat, failure: GatewayFailure) -> HttpResponse {
    let (status, body) = match (format, failure) {
        (PayloadFormat::V1, GatewayFailure::FunctionError | GatewayFailure::MalformedResponse) => {
            (502, r#"{"message": "Internal server error"}"#)
        }
        (PayloadFormat::V1, GatewayFailure::Timeout) => {
            (504, r#"{"message": "Endpoint request timed out"}"#)
        }
        (PayloadFormat::V1, GatewayFailure::RequestTooLarge) => {
            (413, r#"{"message": "Request Too Long"}"#)
        }
        (PayloadFormat::V2, GatewayFailure::FunctionError | GatewayFailure::MalformedResponse) => {
            (500, r#"{"message":"Internal Server Error"}"#)
        }
        (PayloadFormat::V2, GatewayFailure::Timeout) => {
            (503, r#"{"message":"Service Unavailable"}"#)
        }
        (PayloadFormat::V2, GatewayFailure::RequestTooLarge) => {
            (413, r#"{"message":"Request Entity Too Large"}"#)
        }
    };
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests;
