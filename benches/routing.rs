//! Routing alone: nanoseconds per lookup in a table of 50 routes over 7
//! functions, the compiled [`RouteTable`] against the matcher it replaced
//! (kept here only, for the comparison: every route tried, every path
//! segment decoded into a fresh `String`, precedence computed per match).
//! Prints figures, asserts nothing. `cargo bench --bench routing`;
//! `BENCH_QUICK=1` for a short run.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;
use wasmfaas::config::{Project, Route, Segment};
use wasmfaas::router::{RouteTable, percent_decode};

/// 50 routes: statics, parameters and wildcards, as a real API might have.
fn project() -> Project {
    let dir = std::env::temp_dir().join(format!("wasmfaas-bench-routing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut toml = String::from("[project]\nname = \"bench\"\n");
    let resources = [
        "users", "orders", "items", "carts", "invoices", "reports", "files",
    ];
    let mut count = 0;
    for (n, resource) in resources.iter().enumerate() {
        std::fs::write(dir.join(format!("{resource}.wat")), "(module)").unwrap();
        let mut routes = vec![
            format!("GET /api/v1/{resource}"),
            format!("POST /api/v1/{resource}"),
            format!("GET /api/v1/{resource}/:id"),
            format!("PUT /api/v1/{resource}/:id"),
            format!("DELETE /api/v1/{resource}/:id"),
            format!("GET /api/v1/{resource}/:id/history"),
            format!("GET /api/v1/{resource}/search/recent"),
        ];
        if n == 0 {
            routes.push("GET /static/*path".to_string());
        }
        count += routes.len();
        let routes: Vec<String> = routes.iter().map(|r| format!("{r:?}")).collect();
        toml.push_str(&format!(
            "[functions.{resource}]\nsource = \"{resource}.wat\"\nroutes = [{}]\n",
            routes.join(", ")
        ));
    }
    assert_eq!(count, 50, "the table has 50 routes");
    let project = Project::parse(&toml, &dir.join("wasmfaas.toml")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    project
}

/// The requests: the first, a middle and the last resource, exact,
/// parameterised and wildcard routes, a miss.
const REQUESTS: [(&str, &str); 8] = [
    ("DELETE", "/api/v1/users/9"),
    ("GET", "/api/v1/users"),
    ("GET", "/api/v1/carts/42"),
    ("PUT", "/api/v1/files/a%20b"),
    ("GET", "/api/v1/files/search/recent"),
    ("GET", "/api/v1/invoices/7/history"),
    ("GET", "/static/css/site.css"),
    ("GET", "/nowhere/at/all"),
];

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let rounds: u32 = if quick { 20_000 } else { 200_000 };
    let project = project();

    let started = Instant::now();
    let table = RouteTable::new(project.functions.values());
    println!(
        "compiling the table of {} routes: {:.1} µs",
        table.routes().count(),
        started.elapsed().as_secs_f64() * 1e6
    );
    let routes: Vec<(&str, &Route)> = project
        .functions
        .values()
        .flat_map(|f| f.routes.iter().map(move |r| (f.name.as_str(), r)))
        .collect();
    // Both must agree before their speeds mean anything.
    for (method, path) in REQUESTS {
        let new = table.find(method, path).map(|m| m.route.route.text.clone());
        let old = old::best_match(&routes, method, path).map(|(r, _)| r.text.clone());
        assert_eq!(new, old, "{method} {path}");
    }

    println!(
        "{:<36} {:>12} {:>12} {:>8}",
        "request", "old ns", "new ns", "old/new"
    );
    let (mut old_total, mut new_total) = (0.0, 0.0);
    for (method, path) in REQUESTS {
        let new_ns = per_call(rounds, || {
            black_box(table.find(black_box(method), black_box(path)));
        });
        let old_ns = per_call(rounds, || {
            black_box(old::best_match(&routes, black_box(method), black_box(path)));
        });
        old_total += old_ns;
        new_total += new_ns;
        println!(
            "{:<36} {old_ns:>12.0} {new_ns:>12.0} {:>7.1}×",
            format!("{method} {path}"),
            old_ns / new_ns
        );
    }
    let n = REQUESTS.len() as f64;
    println!(
        "{:<36} {:>12.0} {:>12.0} {:>7.1}×",
        "mean",
        old_total / n,
        new_total / n,
        old_total / new_total
    );
}

/// Nanoseconds per call of `f`: the median of 9 batches of `rounds / 9`
/// calls (after a warm-up), so another process's burst on this shared
/// machine moves one batch, not the figure.
fn per_call(rounds: u32, mut f: impl FnMut()) -> f64 {
    const BATCHES: u32 = 9;
    for _ in 0..rounds / 10 {
        f();
    }
    let per_batch = (rounds / BATCHES).max(1);
    let mut batches: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            started.elapsed().as_nanos() as f64 / f64::from(per_batch)
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[batches.len() / 2]
}

/// The matcher before the compiled table (src/router.rs at ba82b80), for
/// comparison only.
mod old {
    use super::*;

    pub fn best_match<'r>(
        routes: &[(&str, &'r Route)],
        method: &str,
        path: &str,
    ) -> Option<(&'r Route, BTreeMap<String, String>)> {
        routes
            .iter()
            .filter_map(|(_, route)| {
                if route.method.is_some_and(|m| m.as_str() != method) {
                    return None;
                }
                Some((*route, match_path(route, path)?))
            })
            .max_by(|(a, _), (b, _)| specificity(a).cmp(&specificity(b)))
    }

    fn match_path(route: &Route, path: &str) -> Option<BTreeMap<String, String>> {
        let parts: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|part| !part.is_empty())
            .collect();
        let mut params = BTreeMap::new();
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
                    let rest = parts.get(i..).filter(|rest| !rest.is_empty())?.join("/");
                    params.insert(name.clone(), percent_decode(&rest));
                    return Some(params);
                }
            }
        }
        (parts.len() == route.path.segments.len()).then_some(params)
    }

    fn specificity(route: &Route) -> Vec<u8> {
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
}
