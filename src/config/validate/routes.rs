//! The schema of a function's `abi` and `routes`, and route conflicts
//! across functions.

use std::ops::Range;

use super::raw::RawTable;
use super::{Abi, Cx, PayloadFormat, Result, Route, Value};
use crate::config::error::backticked;

impl Cx<'_> {
    /// `abi`, and `event` (the API Gateway payload format) for `lambda`.
    pub(super) fn abi(&self, table: &RawTable, function_key: &str) -> Result<Abi> {
        let key = format!("{function_key}.abi");
        let event_key = format!("{function_key}.event");
        let formats = "`apigw-v2` (HTTP API, payload 2.0) or `apigw-v1` (REST API, payload 1.0)";
        let abi = match table.get("abi") {
            None => "http",
            Some(value) => {
                let valid = format!("valid values are {}", backticked(Abi::VALID));
                let text = self.string(value, &key, &valid)?;
                if !Abi::VALID.contains(&text) {
                    return Err(self.error(
                        value.span(),
                        &key,
                        format!("unknown ABI `{text}` in `{key}`"),
                        valid,
                    ));
                }
                text
            }
        };
        let event = table.get("event");
        if let (Some(value), false) = (event, abi == "lambda") {
            return Err(self.error(
                value.span(),
                &event_key,
                format!(
                    "`event` applies to `abi = \"lambda\"` only, and this function's ABI is `{abi}`"
                ),
                "remove `event`, or set `abi = \"lambda\"` to receive API Gateway events",
            ));
        }
        Ok(match abi {
            "lambda" => {
                let event = match event {
                    // HTTP APIs, and their payload 2.0, are what AWS
                    // recommends for new APIs.
                    None => PayloadFormat::V2,
                    Some(value) => {
                        let text = self.string(value, &event_key, formats)?;
                        text.parse().map_err(|_| {
                            self.error(
                                value.span(),
                                &event_key,
                                format!(
                                    "unknown API Gateway payload format `{text}` in `{event_key}`"
                                ),
                                format!("use {formats}"),
                            )
                        })?
                    }
                };
                Abi::Lambda { event }
            }
            "cgi" => Abi::Cgi,
            _ => Abi::Http,
        })
    }

    pub(super) fn routes(
        &self,
        value: Option<&Value>,
        function_key: &str,
    ) -> Result<(Vec<Route>, Vec<Range<usize>>)> {
        let key = format!("{function_key}.routes");
        let mut routes = Vec::new();
        let mut spans = Vec::new();
        for (text, span) in self.string_list(value, &key, "routes = [\"GET /hello\"]")? {
            let route = Route::parse(text).map_err(|error| {
                let message = format!("invalid route `{text}` in `{key}`: {}", error.message);
                self.error(span.clone(), &key, message, error.help)
            })?;
            routes.push(route);
            spans.push(span);
        }
        Ok((routes, spans))
    }

    /// Two routes that can match the same request, reported at the later one.
    pub(super) fn check_route_conflicts(&self, mut sites: Vec<RouteSite>) -> Result<()> {
        sites.sort_by_key(|site| site.span.start);
        for (index, later) in sites.iter().enumerate() {
            let Some(earlier) = sites[..index]
                .iter()
                .find(|earlier| earlier.route.conflicts_with(&later.route))
            else {
                continue;
            };
            return Err(self.error(
                later.span.clone(),
                &format!("functions.{}.routes", later.function),
                format!(
                    "route `{}` of function `{}` conflicts with route `{}` of function `{}`",
                    later.route, later.function, earlier.route, earlier.function
                ),
                "both match the same requests: change a path or a method (a literal segment beats `:param`, which beats `*wildcard`)",
            ));
        }
        Ok(())
    }
}

/// A route and where it came from, for conflict messages.
pub(super) struct RouteSite {
    pub(super) function: String,
    pub(super) route: Route,
    pub(super) span: Range<usize>,
}
