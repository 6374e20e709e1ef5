//! The route table: which function answers a request's method and path.
//!
//! A [`RouteTable`] is compiled once per deployment (when the config is
//! loaded or reloaded), never per request, and every caller routes through
//! it: the gateway, `wasmfaas invoke`, `wasmfaas replay` and `wasmfaas test`,
//! so a recorded request replays with the route and parameters it was served
//! with. Compiling does the work that does not depend on the request:
//! - static segments are percent-decoded once (`/caf%C3%A9` matches `/café`
//!   and `/caf%C3%A9`, as API Gateway's resources do);
//! - precedence (static > `:param` > `*wildcard`, segment by segment) orders
//!   the table once, so the first route that matches is the best one and the
//!   search stops there;
//! - each route carries what the ABIs need: the AWS resource path
//!   (`/counter/{name}`, `/files/{rest+}`) for the `lambda` ABI.
//!
//! Matching compares the request's segments with the pre-decoded pattern
//! without allocating ([`percent::decoded_equals`]); only the winning route
//! allocates its parameters, decoded and raw. The HTTP rules that make a
//! table more than a list live here too: `HEAD` falls back to a `GET` route,
//! and a path that matches only for other methods is a 405 with `Allow`.

use crate::aws::apigw;
use crate::config::{Function, Method, Route, Segment};
use crate::percent::{self, Plus};
use std::collections::BTreeMap;

/// Route parameters captured from a path, percent-decoded.
pub type Params = BTreeMap<String, String>;

/// Decodes `%XX` escapes in a path; invalid escapes are kept as written, and
/// bytes that do not form UTF-8 become U+FFFD. How routing, `SCRIPT_NAME`
/// and `PATH_INFO` read a path ([`percent::decode_lossy`]).
pub fn percent_decode(text: &str) -> String {
    percent::decode_lossy(text, Plus::Literal)
}

/// Every function's routes, compiled and ordered by precedence.
#[derive(Debug, Default)]
pub struct RouteTable {
    /// Most specific first; among equals, in function then file order.
    routes: Vec<CompiledRoute>,
}

/// One route, ready to match.
#[derive(Debug)]
pub struct CompiledRoute {
    /// The function it belongs to.
    pub function: String,
    /// The route as configured (CGI derives `SCRIPT_NAME` from it).
    pub route: Route,
    /// The path in API Gateway's syntax, for `lambda` events: `/counter/{name}`.
    pub resource: String,
    pattern: Vec<Pattern>,
    /// Per segment: static 2, param 1, wildcard 0; greater wins.
    rank: Vec<u8>,
}

/// A segment as matched: static text already decoded.
#[derive(Debug)]
enum Pattern {
    Exact(String),
    Param(String),
    Rest(String),
}

/// A route that matched, with the parameters it captured.
#[derive(Debug, Clone)]
pub struct Matched<'t> {
    pub route: &'t CompiledRoute,
    /// Decoded, as the `http` ABI and CGI see them.
    pub params: Params,
    /// As they appear in the path, still percent-encoded, in pattern order:
    /// what a REST API puts in `pathParameters`.
    pub raw_params: Vec<(String, String)>,
}

/// What the table says about a request.
#[derive(Debug)]
pub enum Lookup<'t> {
    Found(Matched<'t>),
    /// The path exists, but not for this method; these are allowed (`*` for a
    /// route that takes any method), sorted, `HEAD` included wherever `GET` is.
    MethodNotAllowed {
        allowed: Vec<String>,
    },
    NotFound,
}

impl RouteTable {
    /// Compiles the routes of `functions`.
    pub fn new<'f>(functions: impl IntoIterator<Item = &'f Function>) -> RouteTable {
        let mut routes: Vec<CompiledRoute> = functions
            .into_iter()
            .flat_map(|function| {
                function
                    .routes
                    .iter()
                    .map(|route| CompiledRoute::new(&function.name, route))
            })
            .collect();
        // Stable: routes of equal rank keep their order (config rejects the
        // ones that could answer the same request).
        routes.sort_by(|a, b| b.rank.cmp(&a.rank));
        RouteTable { routes }
    }

    /// The routes, most specific first.
    pub fn routes(&self) -> impl Iterator<Item = &CompiledRoute> {
        self.routes.iter()
    }

    /// Routes `method path` (path without query), with the HTTP rules: the
    /// best route for the method; else for `HEAD` the best `GET` route; else
    /// 405 if the path matches for other methods; else 404.
    pub fn lookup(&self, method: &str, path: &str) -> Lookup<'_> {
        let segments = split_path(path);
        if let Some(found) = self.best(method, &segments) {
            return Lookup::Found(found);
        }
        if method == "HEAD"
            && let Some(found) = self.best("GET", &segments)
        {
            return Lookup::Found(found);
        }
        let mut allowed: Vec<String> = self
            .routes
            .iter()
            .filter(|route| route.matches(&segments))
            .map(|route| route.route.method.map_or("*", Method::as_str).to_string())
            .collect();
        if allowed.iter().any(|m| m == "GET") {
            allowed.push("HEAD".to_string());
        }
        allowed.sort();
        allowed.dedup();
        if allowed.is_empty() {
            Lookup::NotFound
        } else {
            Lookup::MethodNotAllowed { allowed }
        }
    }

    /// The route that answers `method path`, if one does ([`Self::lookup`]
    /// without the 405 detail).
    pub fn find(&self, method: &str, path: &str) -> Option<Matched<'_>> {
        match self.lookup(method, path) {
            Lookup::Found(found) => Some(found),
            _ => None,
        }
    }

    /// The route that answers `method path` (`HEAD` falling back to `GET`),
    /// without capturing its parameters: allocates nothing but the path's
    /// segment list. For questions asked before the request is handled, such
    /// as how large a body to read.
    pub fn route_for(&self, method: &str, path: &str) -> Option<&CompiledRoute> {
        let segments = split_path(path);
        self.best_route(method, &segments).or_else(|| {
            (method == "HEAD")
                .then(|| self.best_route("GET", &segments))
                .flatten()
        })
    }

    fn best(&self, method: &str, segments: &[&str]) -> Option<Matched<'_>> {
        self.best_route(method, segments)
            .map(|route| route.capture(segments))
    }

    /// The first route in precedence order that matches: the best one.
    fn best_route(&self, method: &str, segments: &[&str]) -> Option<&CompiledRoute> {
        self.routes
            .iter()
            .filter(|route| route.route.method.is_none_or(|m| m.as_str() == method))
            .find(|route| route.matches(segments))
    }
}

impl CompiledRoute {
    fn new(function: &str, route: &Route) -> CompiledRoute {
        let pattern = route
            .path
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Static(text) => Pattern::Exact(percent_decode(text)),
                Segment::Param(name) => Pattern::Param(name.clone()),
                Segment::Wildcard(name) => Pattern::Rest(name.clone()),
            })
            .collect();
        CompiledRoute {
            function: function.to_string(),
            route: route.clone(),
            resource: apigw::resource_of(&route.path),
            pattern,
            rank: rank(route),
        }
    }

    /// Whether the request's `segments` fit the pattern; allocates nothing.
    fn matches(&self, segments: &[&str]) -> bool {
        let wildcard = matches!(self.pattern.last(), Some(Pattern::Rest(_)));
        // A wildcard takes at least one segment: `/files/*rest` does not match
        // `/files`, so it never competes with a route for `/files`.
        let length_fits = if wildcard {
            segments.len() >= self.pattern.len()
        } else {
            segments.len() == self.pattern.len()
        };
        length_fits
            && self
                .pattern
                .iter()
                .zip(segments)
                .all(|(pattern, segment)| match pattern {
                    Pattern::Exact(text) => percent::decoded_equals(segment, text.as_bytes()),
                    Pattern::Param(_) | Pattern::Rest(_) => true,
                })
    }

    /// The parameters of `segments`, which [`Self::matches`].
    fn capture<'t>(&'t self, segments: &[&str]) -> Matched<'t> {
        let mut raw_params = Vec::new();
        for (at, pattern) in self.pattern.iter().enumerate() {
            match pattern {
                Pattern::Exact(_) => {}
                Pattern::Param(name) => raw_params.push((name.clone(), segments[at].to_string())),
                Pattern::Rest(name) => raw_params.push((name.clone(), segments[at..].join("/"))),
            }
        }
        let params = raw_params
            .iter()
            .map(|(name, raw)| (name.clone(), percent_decode(raw)))
            .collect();
        Matched {
            route: self,
            params,
            raw_params,
        }
    }
}

impl Matched<'_> {
    /// What the `lambda` ABI names this match by.
    pub fn resource(&self) -> apigw::Resource<'_> {
        apigw::Resource {
            path: &self.route.resource,
            parameters: &self.raw_params,
        }
    }
}

/// How specific a route is, per segment: static (2) > param (1) > wildcard
/// (0); of two routes that match a request, the greater key wins.
pub fn rank(route: &Route) -> Vec<u8> {
    route
        .path
        .segments
        .iter()
        .map(|segment| match segment {
            Segment::Static(_) => 2,
            Segment::Param(_) => 1,
            Segment::Wildcard(_) => 0,
        })
        .collect()
}

/// The non-empty segments of a path: `//a/` is `["a"]`, as the gateway has
/// always read it.
fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|part| !part.is_empty()).collect()
}

#[cfg(test)]
mod tests;
