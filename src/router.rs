//! Matching a request's method and path against a function's routes.
//!
//! A path is split on `/` and compared segment by segment: a static segment must
//! be equal, a `:param` takes one segment (percent-decoded), a `*wildcard` takes
//! the rest. Which of several matching routes wins (static > param > wildcard) is
//! decided by [`specificity`], so the gateway and `invoke` agree.

use crate::config::{Route, Segment};
use std::collections::BTreeMap;

/// Route parameters captured from a path.
pub type Params = BTreeMap<String, String>;

/// The parameters if `route` matches `method` and `path` (without query).
pub fn match_route(route: &Route, method: &str, path: &str) -> Option<Params> {
    if route.method.is_some_and(|m| m.as_str() != method) {
        return None;
    }
    match_path(route, path)
}

/// The parameters if `route`'s path pattern matches `path`, whatever the method.
pub fn match_path(route: &Route, path: &str) -> Option<Params> {
    let parts: Vec<&str> = split_path(path);
    let mut params = Params::new();
    for (i, segment) in route.path.segments.iter().enumerate() {
        match segment {
            Segment::Static(text) => {
                if parts.get(i).map(|part| percent_decode(part)) != Some(text.clone()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                params.insert(name.clone(), percent_decode(parts.get(i)?));
            }
            Segment::Wildcard(name) => {
                // A wildcard takes at least one segment: `/files/*rest` does not
                // match `/files`, so it never competes with a route for `/files`.
                let rest = parts.get(i..).filter(|rest| !rest.is_empty())?.join("/");
                params.insert(name.clone(), percent_decode(&rest));
                return Some(params);
            }
        }
    }
    (parts.len() == route.path.segments.len()).then_some(params)
}

/// How specific a route is, per segment: static (2) > param (1) > wildcard (0).
/// Compare two matching routes' keys; the greater wins.
pub fn specificity(route: &Route) -> Vec<u8> {
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

/// The best route of `routes` for a request, with its parameters.
pub fn best_match<'r>(
    routes: impl IntoIterator<Item = &'r Route>,
    method: &str,
    path: &str,
) -> Option<(&'r Route, Params)> {
    best_match_by(routes, |route| route, method, path)
}

/// As [`best_match`], over items that each carry a route (e.g. a route and the
/// function it belongs to).
pub fn best_match_by<T>(
    items: impl IntoIterator<Item = T>,
    route_of: impl Fn(&T) -> &Route,
    method: &str,
    path: &str,
) -> Option<(T, Params)> {
    items
        .into_iter()
        .filter_map(|item| {
            let params = match_route(route_of(&item), method, path)?;
            Some((item, params))
        })
        .max_by(|(a, _), (b, _)| specificity(route_of(a)).cmp(&specificity(route_of(b))))
}

fn split_path(path: &str) -> Vec<&str> {
    path.trim_start_matches('/')
        .split('/')
        .filter(|part| !part.is_empty())
        .collect()
}

/// Decodes `%XX` escapes; invalid escapes are kept as written, and bytes that do
/// not form UTF-8 become U+FFFD.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(list: &[&str]) -> Vec<Route> {
        list.iter()
            .map(|text| Route::parse(text).unwrap())
            .collect()
    }

    #[test]
    fn params_are_captured_and_decoded() {
        let r = routes(&["GET /items/:id"]);
        let params = match_route(&r[0], "GET", "/items/a%20b").unwrap();
        assert_eq!(params["id"], "a b");
        assert!(match_route(&r[0], "POST", "/items/1").is_none());
        assert!(match_route(&r[0], "GET", "/items/1/more").is_none());
        assert!(match_route(&r[0], "GET", "/items").is_none());
    }

    #[test]
    fn a_wildcard_takes_the_rest_of_the_path() {
        let r = routes(&["/files/*rest"]);
        let params = match_route(&r[0], "PUT", "/files/a/b/c.txt").unwrap();
        assert_eq!(params["rest"], "a/b/c.txt");
        assert!(match_route(&r[0], "GET", "/files").is_none());
        assert!(match_route(&r[0], "GET", "/files/").is_none());
    }

    #[test]
    fn static_beats_param_beats_wildcard() {
        let r = routes(&["/items/*rest", "/items/:id", "/items/new"]);
        let (best, _) = best_match(&r, "GET", "/items/new").unwrap();
        assert_eq!(best.text, "/items/new");
        let (best, _) = best_match(&r, "GET", "/items/7").unwrap();
        assert_eq!(best.text, "/items/:id");
        let (best, _) = best_match(&r, "GET", "/items/7/x").unwrap();
        assert_eq!(best.text, "/items/*rest");
    }

    #[test]
    fn bad_percent_escapes_are_kept_literally() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
