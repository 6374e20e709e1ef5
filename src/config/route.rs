//! Route patterns such as `GET /items/:id` or `/files/*rest`.
//!
//! This file owns the route syntax (parsing one route string into a [`Route`]) and
//! the conflict rule between two routes. It knows nothing about the config file:
//! [`RouteError`] carries a message and a help line, and the validator places
//! them at the route's span. Matching requests is the router's job; it uses the
//! precedence static segment > `:param` > `*wildcard`, which is why only routes
//! of the same shape conflict.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// An HTTP method a route may be restricted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// Every method, in the order error messages list them.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Patch,
        Method::Options,
    ];

    /// The method as written on the wire: `"GET"`, `"POST"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Options => "OPTIONS",
        }
    }

    /// Parses an uppercase method name; `"get"` is `None`, as HTTP methods are case-sensitive.
    pub fn parse(text: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|method| method.as_str() == text)
    }
}

impl FromStr for Method {
    type Err = RouteError;

    fn from_str(text: &str) -> Result<Method, RouteError> {
        Method::parse(text).ok_or_else(|| unknown_method(text))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parsed route: an optional method and a path pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    /// The method it answers; `None` answers any method.
    pub method: Option<Method>,
    /// The path pattern.
    pub path: RoutePath,
    /// The route as written in the config, for messages.
    pub text: String,
}

/// A path pattern split on `/`; the root `/` has no segments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutePath {
    /// The segments between slashes, in order.
    pub segments: Vec<Segment>,
}

/// One segment of a [`RoutePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Matches exactly this text.
    Static(String),
    /// `:name`: matches any one segment and captures it as `name`.
    Param(String),
    /// `*name`: matches the rest of the path and captures it as `name`; always last.
    Wildcard(String),
}

/// Why a route string is not a valid route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RouteError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl RouteError {
    fn new(message: impl Into<String>, help: impl Into<String>) -> RouteError {
        RouteError {
            message: message.into(),
            help: help.into(),
        }
    }
}

impl Route {
    /// Parses `[METHOD ]/path` where path segments are literal, `:param` or a final `*wildcard`.
    ///
    /// # Errors
    /// A [`RouteError`] saying what is wrong and how to write it instead.
    pub fn parse(text: &str) -> Result<Route, RouteError> {
        let (method, path) = split_method(text)?;
        Ok(Route {
            method,
            path: RoutePath::parse(path)?,
            text: text.to_string(),
        })
    }

    /// Whether some request could match both routes with equal precedence:
    /// the methods overlap and the paths have the same shape.
    pub fn conflicts_with(&self, other: &Route) -> bool {
        let methods_overlap = match (self.method, other.method) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        methods_overlap && self.path.same_shape(&other.path)
    }
}

impl FromStr for Route {
    type Err = RouteError;

    fn from_str(text: &str) -> Result<Route, RouteError> {
        Route::parse(text)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl RoutePath {
    /// Parses a path pattern that starts with `/`.
    ///
    /// # Errors
    /// A [`RouteError`] for a missing leading `/`, an empty segment, a bad or
    /// repeated parameter name, a wildcard before the end, or a forbidden character.
    pub fn parse(path: &str) -> Result<RoutePath, RouteError> {
        let Some(rest) = path.strip_prefix('/') else {
            return Err(RouteError::new(
                format!("the path `{path}` does not start with `/`"),
                format!("write `/{path}`"),
            ));
        };
        if let Some(bad) = path.chars().find(|&c| is_forbidden(c)) {
            return Err(forbidden_char(bad));
        }
        if rest.is_empty() {
            return Ok(RoutePath {
                segments: Vec::new(),
            });
        }
        let raw: Vec<&str> = rest.split('/').collect();
        let mut segments = Vec::with_capacity(raw.len());
        let mut names = HashSet::new();
        for (index, text) in raw.iter().enumerate() {
            let segment = parse_segment(text, index + 1 == raw.len())?;
            if let Segment::Param(name) | Segment::Wildcard(name) = &segment
                && !names.insert(name.clone())
            {
                return Err(RouteError::new(
                    format!("the parameter name `{name}` is used twice"),
                    "give each `:param` and `*wildcard` in a route its own name",
                ));
            }
            segments.push(segment);
        }
        Ok(RoutePath { segments })
    }

    /// Same length and, position by position, the same kind of segment (and the
    /// same text for static ones, compared percent-decoded as the router
    /// matches them: `/caf%C3%A9` and `/café` answer the same requests):
    /// parameter and wildcard names do not matter.
    pub fn same_shape(&self, other: &RoutePath) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|pair| match pair {
                    (Segment::Static(a), Segment::Static(b)) => a == b || decoded(a) == decoded(b),
                    (Segment::Param(_), Segment::Param(_))
                    | (Segment::Wildcard(_), Segment::Wildcard(_)) => true,
                    _ => false,
                })
    }
}

/// A static segment as the router compares it.
fn decoded(text: &str) -> String {
    crate::percent::decode_lossy(text, crate::percent::Plus::Literal)
}

/// Splits an optional leading method from the path.
fn split_method(text: &str) -> Result<(Option<Method>, &str), RouteError> {
    if text.trim().is_empty() {
        return Err(RouteError::new(
            "the route is empty",
            "write a path such as `/hello` or `GET /hello`",
        ));
    }
    if text.starts_with('/') {
        return Ok((None, text));
    }
    let Some((method, path)) = text.split_once(' ') else {
        return Err(RouteError::new(
            format!("the route `{text}` does not start with `/`"),
            format!("write `/{text}`, or a method and a path such as `GET /{text}`"),
        ));
    };
    let method = method.parse::<Method>()?;
    if path.starts_with(' ') {
        return Err(RouteError::new(
            format!("more than one space after `{method}`"),
            format!(
                "separate the method and the path with one space: `{method} {}`",
                path.trim_start()
            ),
        ));
    }
    Ok((Some(method), path))
}

/// One segment; `last` says whether a wildcard is allowed here.
fn parse_segment(text: &str, last: bool) -> Result<Segment, RouteError> {
    if text.is_empty() {
        return Err(RouteError::new(
            "the path has an empty segment (`//` or a trailing `/`)",
            "remove the extra `/`",
        ));
    }
    if let Some(name) = text.strip_prefix(':') {
        return Ok(Segment::Param(capture_name(name, ':')?));
    }
    if let Some(name) = text.strip_prefix('*') {
        let name = capture_name(name, '*')?;
        if !last {
            return Err(RouteError::new(
                format!("the wildcard `*{name}` is not the last segment"),
                "a wildcard takes the rest of the path: move it to the end, or use `:param` for one segment",
            ));
        }
        return Ok(Segment::Wildcard(name));
    }
    Ok(Segment::Static(text.to_string()))
}

/// Validates the name after `:` or `*`.
fn capture_name(name: &str, sigil: char) -> Result<String, RouteError> {
    if name.is_empty() {
        return Err(RouteError::new(
            format!("`{sigil}` without a name"),
            format!("name the captured value, e.g. `{sigil}id`"),
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(RouteError::new(
            format!("the parameter name `{name}` is not an identifier"),
            "parameter names use only letters, digits and `_`",
        ));
    }
    Ok(name.to_string())
}

/// Characters a request path never carries through to routing: the query and
/// fragment are split off first, and whitespace would end the request line.
fn is_forbidden(c: char) -> bool {
    matches!(c, '?' | '#') || c.is_whitespace() || c.is_control()
}

fn forbidden_char(c: char) -> RouteError {
    match c {
        '?' => RouteError::new(
            "the path contains `?`",
            "routes match the path only; read query parameters in the function",
        ),
        '#' => RouteError::new(
            "the path contains `#`",
            "fragments never reach the server; remove it",
        ),
        _ => RouteError::new(
            format!("the path contains the character {c:?}"),
            "remove it; put exactly one space between the method and the path",
        ),
    }
}

fn unknown_method(text: &str) -> RouteError {
    let valid: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
    let help = match Method::parse(&text.to_ascii_uppercase()) {
        Some(method) => format!("methods are uppercase: write `{method}`"),
        None => format!("use one of {}", valid.join(", ")),
    };
    RouteError::new(format!("unknown HTTP method `{text}`"), help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(text: &str) -> Route {
        match Route::parse(text) {
            Ok(route) => route,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    fn error(text: &str) -> String {
        match Route::parse(text) {
            Ok(route) => panic!("{text} parsed as {route:?}"),
            Err(error) => error.message,
        }
    }

    #[test]
    fn a_route_without_a_method_answers_any_method() {
        let parsed = route("/items/:id");
        assert_eq!(parsed.method, None);
        assert_eq!(
            parsed.path.segments,
            vec![
                Segment::Static("items".to_string()),
                Segment::Param("id".to_string())
            ]
        );
        assert_eq!(parsed.to_string(), "/items/:id");
    }

    #[test]
    fn a_method_prefix_and_a_final_wildcard_parse() {
        let parsed = route("POST /upload/*rest");
        assert_eq!(parsed.method, Some(Method::Post));
        assert_eq!(
            parsed.path.segments.last(),
            Some(&Segment::Wildcard("rest".to_string()))
        );
    }

    #[test]
    fn the_root_has_no_segments() {
        assert!(route("GET /").path.segments.is_empty());
    }

    #[test]
    fn malformed_routes_are_rejected() {
        assert!(error("items").contains("does not start with `/`"));
        assert!(error("get /x").contains("unknown HTTP method"));
        assert!(error("/a//b").contains("empty segment"));
        assert!(error("/a/").contains("empty segment"));
        assert!(error("/*rest/a").contains("not the last segment"));
        assert!(error("/a/:").contains("without a name"));
        assert!(error("/:id/:id").contains("used twice"));
        assert!(error("/a?b=1").contains("`?`"));
        assert!(error("GET  /a").contains("after `GET`"));
        assert!(error("GET a").contains("does not start with `/`"));
    }

    #[test]
    fn only_routes_of_the_same_shape_and_overlapping_methods_conflict() {
        let conflict = |a: &str, b: &str| route(a).conflicts_with(&route(b));
        assert!(!conflict("/items/new", "/items/:id"));
        assert!(conflict("/items/:id", "/items/:key"));
        assert!(conflict("/a/*rest", "/a/*other"));
        assert!(!conflict("GET /a", "POST /a"));
        assert!(conflict("/a", "DELETE /a"));
        assert!(conflict("GET /a", "GET /a"));
        assert!(!conflict("/a/:id", "/a/*rest"));
        // Static segments are compared as the router matches them: decoded.
        assert!(conflict("/caf%C3%A9", "/café"));
        assert!(conflict("GET /a%2Bb", "GET /a+b"));
        assert!(!conflict("/a%20b", "/a+b"));
    }
}
