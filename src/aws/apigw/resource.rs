//! Route paths as API Gateway names them: resources such as
//! `/counter/{name}` and `/files/{proxy+}`, and the raw path parameters
//! under them. Routed requests get both from the route table
//! ([`crate::router`]), computed once; the matcher here serves resources that
//! are not routes (`wasmfaas event generate`, the catch-all).

use crate::config::{RoutePath, Segment};
use crate::router::percent_decode;

/// A route as the `lambda` ABI names it: its path in AWS syntax and the
/// path parameters of one request, still percent-encoded. The route table
/// computes both ([`crate::router::Matched::resource`]), so nothing here
/// parses a route or matches a path again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource<'a> {
    /// `/counter/{name}`, `/files/{rest+}`.
    pub path: &'a str,
    /// `(name, raw value)` in pattern order.
    pub parameters: &'a [(String, String)],
}

/// The resource a request reaches when no route matched (a function invoked
/// directly): `/{proxy+}`, with the whole path as `proxy`.
pub const PROXY_RESOURCE: &str = "/{proxy+}";

/// The path parameters of `raw_path` under [`PROXY_RESOURCE`].
pub fn proxy_parameters(raw_path: &str) -> Vec<(String, String)> {
    match_resource(PROXY_RESOURCE, raw_path).unwrap_or_default()
}

/// A parsed route path in AWS syntax: `/counter/:name` → `/counter/{name}`,
/// `/files/*rest` → `/files/{rest+}`; static segments as written.
pub fn resource_of(path: &RoutePath) -> String {
    let mut resource = String::from("/");
    for (at, segment) in path.segments.iter().enumerate() {
        if at > 0 {
            resource.push('/');
        }
        match segment {
            Segment::Static(text) => resource.push_str(text),
            Segment::Param(name) => resource.push_str(&format!("{{{name}}}")),
            Segment::Wildcard(name) => resource.push_str(&format!("{{{name}+}}")),
        }
    }
    resource
}

/// Our route syntax, as text, in AWS's (see [`resource_of`]); a leading
/// method (`GET /x`) is dropped. For `wasmfaas event generate`, which takes a
/// resource in either syntax from the command line.
pub fn resource_for(pattern: &str) -> String {
    let path = pattern.rsplit(' ').next().unwrap_or(pattern);
    path.split('/')
        .map(|segment| {
            if let Some(name) = segment.strip_prefix(':') {
                format!("{{{name}}}")
            } else if let Some(name) = segment.strip_prefix('*') {
                format!("{{{name}+}}")
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The path parameters of `raw_path` under `resource` (AWS syntax), each as
/// it appears in the path, still percent-encoded; `None` if the path does not
/// match. A greedy `{name+}` takes the rest of the path, at least one segment.
/// For resources that are not routes (`event generate`, [`PROXY_RESOURCE`]);
/// routed requests carry theirs from the route table.
pub fn match_resource(resource: &str, raw_path: &str) -> Option<Vec<(String, String)>> {
    let pattern: Vec<&str> = segments(resource);
    let parts: Vec<&str> = segments(raw_path);
    let mut params = Vec::new();
    for (i, segment) in pattern.iter().enumerate() {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            let expected = percent_decode(segment);
            if !parts
                .get(i)
                .is_some_and(|part| crate::percent::decoded_equals(part, expected.as_bytes()))
            {
                return None;
            }
            continue;
        };
        if let Some(greedy) = name.strip_suffix('+') {
            let rest = parts.get(i..).filter(|rest| !rest.is_empty())?;
            params.push((greedy.to_string(), rest.join("/")));
            return Some(params);
        }
        params.push((name.to_string(), parts.get(i)?.to_string()));
    }
    (parts.len() == pattern.len()).then_some(params)
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|part| !part.is_empty()).collect()
}
