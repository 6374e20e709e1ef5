//! Sample events for `wasmfaas event generate`, like `sam local
//! generate-event`, for `wasmfaas invoke --event` and hand-written fixtures.
//!
//! Every event is built by the same function that builds the live one (an
//! API Gateway event goes through [`apigw::request_event`] from an
//! [`HttpRequest`], an S3 event through [`s3::notification`]), so a
//! generated event and one the gateway sends can never disagree. Nothing
//! here reads a clock or entropy: the time and the seed are options.

use super::{IdSource, apigw, s3, schedule, sqs};
use crate::bindings::ObjectChange;
use crate::http::HttpRequest;
use crate::router::percent_decode;
use crate::state::ObjectMeta;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// What kind of event to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// API Gateway REST API proxy event (payload 1.0).
    ApigwV1,
    /// API Gateway HTTP API event (payload 2.0).
    ApigwV2,
    /// S3 `ObjectCreated:Put` notification.
    S3Put,
    /// S3 `ObjectRemoved:Delete` notification.
    S3Delete,
    /// SQS batch.
    Sqs,
    /// EventBridge `Scheduled Event`.
    Schedule,
}

impl Kind {
    /// Every kind, in the order help and errors list them.
    pub const ALL: [Kind; 6] = [
        Kind::ApigwV1,
        Kind::ApigwV2,
        Kind::S3Put,
        Kind::S3Delete,
        Kind::Sqs,
        Kind::Schedule,
    ];

    /// The name on the command line, e.g. `aws:apigw-v1`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ApigwV1 => "aws:apigw-v1",
            Kind::ApigwV2 => "aws:apigw-v2",
            Kind::S3Put => "aws:s3-put",
            Kind::S3Delete => "aws:s3-delete",
            Kind::Sqs => "aws:sqs",
            Kind::Schedule => "aws:schedule",
        }
    }

    /// Every kind's name, comma-separated, for messages.
    pub fn names() -> String {
        Kind::ALL.map(Kind::name).join(", ")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An event kind name that is not one of [`Kind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind `{0}`; the kinds are: {names}", names = Kind::names())]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(text: &str) -> Result<Kind, UnknownKind> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| UnknownKind(text.to_string()))
    }
}

/// Everything an event can be made from; each kind reads its own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// API Gateway: the request method.
    pub method: String,
    /// API Gateway: the request path, percent-encoded as sent, optionally with `?query`.
    pub path: String,
    /// API Gateway: the raw query string, without `?`.
    pub query: Option<String>,
    /// API Gateway: header pairs, in order.
    pub headers: Vec<(String, String)>,
    /// API Gateway: the body.
    pub body: Vec<u8>,
    /// API Gateway: the route, in AWS (`/items/{id}`) or our (`/items/:id`)
    /// syntax; the path itself when `None`.
    pub resource: Option<String>,
    /// API Gateway: the stage; `local` for v1 and `$default` for v2 when `None`.
    pub stage: Option<String>,
    /// S3: the bucket.
    pub bucket: String,
    /// S3: the object key, as stored (the event URL-encodes it).
    pub key: String,
    /// S3: the object size (put events).
    pub size: u64,
    /// S3: the object's ETag, without quotes (put events).
    pub etag: String,
    /// SQS: one message body per record.
    pub messages: Vec<String>,
    /// SQS: the queue name.
    pub queue: String,
    /// EventBridge: the rule name or ARN.
    pub rule: String,
    /// When the event happens, nanoseconds since the epoch.
    pub time_ns: u64,
    /// Seed of the generated ids.
    pub seed: u64,
    /// The event's own id, instead of one from the seed: API Gateway's
    /// `requestId`, S3's `x-amz-request-id`, the first SQS `messageId`, the
    /// EventBridge `id`.
    pub id: Option<String>,
}

impl Default for Options {
    /// The defaults of `wasmfaas event generate` (time 0 and seed 0 here; the
    /// command uses now and a fresh seed).
    fn default() -> Options {
        Options {
            method: "GET".into(),
            path: "/".into(),
            query: None,
            headers: Vec::new(),
            body: Vec::new(),
            resource: None,
            stage: None,
            bucket: "example-bucket".into(),
            key: "test/key".into(),
            size: 1024,
            etag: "0123456789abcdef0123456789abcdef".into(),
            messages: vec!["Hello from SQS!".into()],
            queue: "my-queue".into(),
            rule: "my-schedule".into(),
            time_ns: 0,
            seed: 0,
            id: None,
        }
    }
}

/// Options that cannot make an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("the path {path:?} does not start with `/`; write `/{path}`")]
    RelativePath { path: String },
    #[error("the query is given twice, in --path and in --query; keep one")]
    QueryTwice,
    #[error(
        "the path {path:?} does not match the resource `{resource}`; give a path the route \
         matches, or another --resource"
    )]
    ResourceMismatch { path: String, resource: String },
    #[error("the method {method:?} is not an HTTP method token; write e.g. GET or POST")]
    BadMethod { method: String },
}

/// The event of `kind` made from `options`.
///
/// # Errors
/// A [`GenerateError`] for API Gateway options that make no request: a
/// relative path, a query given twice, a path the resource does not match.
pub fn generate(kind: Kind, options: &Options) -> Result<Value, GenerateError> {
    let mut ids = IdSource::new(options.seed);
    match kind {
        Kind::ApigwV1 => api_gateway(apigw::PayloadFormat::V1, options, &mut ids),
        Kind::ApigwV2 => api_gateway(apigw::PayloadFormat::V2, options, &mut ids),
        Kind::S3Put => Ok(s3_event("ObjectCreated:Put", options, &mut ids)),
        Kind::S3Delete => Ok(s3_event("ObjectRemoved:Delete", options, &mut ids)),
        Kind::Sqs => {
            let messages: Vec<sqs::SqsMessage> = options
                .messages
                .iter()
                .enumerate()
                .map(|(index, body)| sqs::SqsMessage {
                    message_id: match (&options.id, index) {
                        (Some(id), 0) => id.clone(),
                        _ => ids.uuid(),
                    },
                    body: body.clone(),
                    sent_ns: options.time_ns,
                    receive_count: 1,
                })
                .collect();
            Ok(sqs::event(&options.queue, &messages))
        }
        Kind::Schedule => {
            let id = options.id.clone().unwrap_or_else(|| ids.uuid());
            Ok(schedule::event(&options.rule, options.time_ns, &id))
        }
    }
}

/// The request an API Gateway event is made from.
fn http_request(options: &Options) -> Result<(HttpRequest, String), GenerateError> {
    let method = options.method.to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
        return Err(GenerateError::BadMethod {
            method: options.method.clone(),
        });
    }
    let (path, query) = match (options.path.split_once('?'), &options.query) {
        (Some(_), Some(_)) => return Err(GenerateError::QueryTwice),
        (Some((path, query)), None) => (path, query),
        (None, query) => (options.path.as_str(), query.as_deref().unwrap_or("")),
    };
    if !path.starts_with('/') {
        return Err(GenerateError::RelativePath { path: path.into() });
    }
    let resource = match &options.resource {
        Some(resource) if resource.contains([':', '*']) => apigw::resource_for(resource),
        Some(resource) => resource.clone(),
        None => percent_decode(path),
    };
    let params =
        apigw::match_resource(&resource, path).ok_or_else(|| GenerateError::ResourceMismatch {
            path: path.into(),
            resource: resource.clone(),
        })?;
    let mut headers = options.headers.clone();
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        // Every HTTP/1.1 request names its host; API Gateway's is its own domain.
        headers.insert(0, ("Host".into(), default_host()));
    }
    let request = HttpRequest {
        method,
        path: path.into(),
        query: query.into(),
        params: params
            .into_iter()
            .map(|(name, value)| (name, percent_decode(&value)))
            .collect(),
        headers,
        body: options.body.clone(),
        connection: None,
    };
    Ok((request, resource))
}

fn default_host() -> String {
    format!(
        "{}.execute-api.{}.amazonaws.com",
        apigw::API_ID,
        super::REGION
    )
}

fn api_gateway(
    format: apigw::PayloadFormat,
    options: &Options,
    ids: &mut IdSource,
) -> Result<Value, GenerateError> {
    let (request, resource) = http_request(options)?;
    let request_id = match (&options.id, format) {
        (Some(id), _) => id.clone(),
        (None, apigw::PayloadFormat::V1) => ids.uuid(),
        (None, apigw::PayloadFormat::V2) => ids.short_request_id(),
    };
    let stage = match (&options.stage, format) {
        (Some(stage), _) => stage.as_str(),
        (None, apigw::PayloadFormat::V1) => "local",
        (None, apigw::PayloadFormat::V2) => "$default",
    };
    let host = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.clone());
    let raw_parameters = apigw::match_resource(&resource, &request.path).unwrap_or_default();
    let info = apigw::RequestInfo {
        resource: &resource,
        path_parameters: &raw_parameters,
        route_method: Some(&request.method),
        stage,
        request_id: &request_id,
        time_ns: options.time_ns,
        source_ip: "127.0.0.1",
        host: host.as_deref(),
    };
    Ok(apigw::request_event(format, &request, &info))
}

fn s3_event(event_name: &'static str, options: &Options, ids: &mut IdSource) -> Value {
    let request_id = options.id.clone().unwrap_or_else(|| ids.upper_hex(16));
    let change = ObjectChange {
        event_name,
        object: ObjectMeta {
            bucket: options.bucket.clone(),
            key: options.key.clone(),
            size: options.size,
            etag: format!("\"{}\"", options.etag.trim_matches('"')),
            content_type: "application/octet-stream".into(),
            user_metadata: Default::default(),
            last_modified_ns: options.time_ns,
            sequencer: ids.upper_hex(16),
            checksum: None,
        },
        at_ns: options.time_ns,
    };
    s3::notification(&change, "wasmfaas-generated", &request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            time_ns: 1_795_521_600_000_000_000,
            seed: 9,
            ..Options::default()
        }
    }

    #[test]
    fn kinds_parse_from_their_names_and_unknown_ones_list_them_all() {
        for kind in Kind::ALL {
            assert_eq!(kind.name().parse(), Ok(kind));
        }
        let error = "aws:kinesis".parse::<Kind>().unwrap_err().to_string();
        assert!(error.contains("`aws:kinesis`"), "{error}");
        for kind in Kind::ALL {
            assert!(error.contains(kind.name()), "{error}");
        }
    }

    #[test]
    fn the_same_seed_and_time_give_the_same_event() {
        for kind in Kind::ALL {
            let one = generate(kind, &options()).unwrap();
            assert_eq!(one, generate(kind, &options()).unwrap(), "{kind}");
            let other_seed = Options {
                seed: 10,
                ..options()
            };
            assert_ne!(one, generate(kind, &other_seed).unwrap(), "{kind}");
        }
    }

    #[test]
    fn an_api_gateway_event_routes_the_path_through_the_resource() {
        let options = Options {
            method: "post".into(),
            path: "/items/a%20b?x=1".into(),
            resource: Some("/items/:id".into()),
            ..options()
        };
        let v1 = generate(Kind::ApigwV1, &options).unwrap();
        assert_eq!(v1["resource"], "/items/{id}");
        assert_eq!(v1["httpMethod"], "POST");
        assert_eq!(v1["pathParameters"]["id"], "a%20b");
        assert_eq!(v1["queryStringParameters"]["x"], "1");
        assert_eq!(v1["headers"]["Host"], default_host());
        let v2 = generate(Kind::ApigwV2, &options).unwrap();
        assert_eq!(v2["routeKey"], "POST /items/{id}");
        assert_eq!(v2["pathParameters"]["id"], "a b");
        assert_eq!(v2["requestContext"]["stage"], "$default");
    }

    #[test]
    fn bad_requests_are_refused_with_the_reason() {
        let refuse = |options: Options| generate(Kind::ApigwV1, &options).unwrap_err();
        assert_eq!(
            refuse(Options {
                path: "/a?x=1".into(),
                query: Some("y=2".into()),
                ..options()
            }),
            GenerateError::QueryTwice
        );
        assert!(matches!(
            refuse(Options {
                path: "items".into(),
                ..options()
            }),
            GenerateError::RelativePath { .. }
        ));
        assert!(matches!(
            refuse(Options {
                path: "/other/1".into(),
                resource: Some("/items/{id}".into()),
                ..options()
            }),
            GenerateError::ResourceMismatch { .. }
        ));
        assert!(matches!(
            refuse(Options {
                method: "G T".into(),
                ..options()
            }),
            GenerateError::BadMethod { .. }
        ));
    }

    #[test]
    fn the_id_option_names_the_event() {
        let named = Options {
            id: Some("my-id".into()),
            messages: vec!["a".into(), "b".into()],
            ..options()
        };
        let sqs = generate(Kind::Sqs, &named).unwrap();
        assert_eq!(sqs["Records"][0]["messageId"], "my-id");
        assert_ne!(sqs["Records"][1]["messageId"], "my-id");
        assert_eq!(generate(Kind::Schedule, &named).unwrap()["id"], "my-id");
        assert_eq!(
            generate(Kind::ApigwV2, &named).unwrap()["requestContext"]["requestId"],
            "my-id"
        );
        let s3 = generate(Kind::S3Put, &named).unwrap();
        assert_eq!(
            s3["Records"][0]["responseElements"]["x-amz-request-id"],
            "my-id"
        );
    }
}
