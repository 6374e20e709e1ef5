use super::*;
use crate::config::Project;

/// The functions `(name, routes)` of a project, through the real config parser.
fn project(functions: &[(&str, &[&str])]) -> Project {
    let dir = std::env::temp_dir().join(format!("wasmfaas-router-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut toml = String::from("[project]\nname = \"t\"\n");
    for (name, routes) in functions {
        std::fs::write(dir.join(format!("{name}.wat")), "(module)").unwrap();
        let routes: Vec<String> = routes.iter().map(|r| format!("{r:?}")).collect();
        toml.push_str(&format!(
            "[functions.{name}]\nsource = \"{name}.wat\"\nroutes = [{}]\n",
            routes.join(", ")
        ));
    }
    Project::parse(&toml, &dir.join("wasmfaas.toml")).unwrap()
}

fn table(functions: &[(&str, &[&str])]) -> RouteTable {
    RouteTable::new(project(functions).functions.values())
}

/// The function and route text that answer, and the decoded params.
fn found(table: &RouteTable, method: &str, path: &str) -> Option<(String, String, Params)> {
    let matched = table.find(method, path)?;
    Some((
        matched.route.function.clone(),
        matched.route.route.text.clone(),
        matched.params,
    ))
}

#[test]
fn params_are_captured_decoded_and_raw() {
    let t = table(&[("f", &["GET /items/:id"])]);
    let matched = t.find("GET", "/items/a%20b").unwrap();
    assert_eq!(matched.params["id"], "a b");
    assert_eq!(
        matched.raw_params,
        [("id".to_string(), "a%20b".to_string())]
    );
    assert_eq!(matched.route.resource, "/items/{id}");
    assert!(t.find("POST", "/items/1").is_none());
    assert!(t.find("GET", "/items/1/more").is_none());
    assert!(t.find("GET", "/items").is_none());
}

#[test]
fn a_wildcard_takes_the_rest_of_the_path_and_at_least_one_segment() {
    let t = table(&[("f", &["/files/*rest"])]);
    let matched = t.find("PUT", "/files/a/b%2Fc/d.txt").unwrap();
    assert_eq!(matched.params["rest"], "a/b/c/d.txt");
    assert_eq!(matched.raw_params[0].1, "a/b%2Fc/d.txt");
    assert_eq!(matched.route.resource, "/files/{rest+}");
    assert!(t.find("GET", "/files").is_none());
    assert!(t.find("GET", "/files/").is_none());
}

#[test]
fn static_beats_param_beats_wildcard_across_functions() {
    let t = table(&[
        ("files", &["GET /items/*rest"]),
        ("item", &["GET /items/:id"]),
        ("new", &["GET /items/new"]),
    ]);
    assert_eq!(found(&t, "GET", "/items/new").unwrap().0, "new");
    let (name, _, params) = found(&t, "GET", "/items/42").unwrap();
    assert_eq!((name.as_str(), params["id"].as_str()), ("item", "42"));
    let (name, _, params) = found(&t, "GET", "/items/a/b").unwrap();
    assert_eq!((name.as_str(), params["rest"].as_str()), ("files", "a/b"));
}

#[test]
fn static_segments_are_compared_decoded_on_both_sides() {
    let t = table(&[("f", &["/caf%C3%A9/:x", "/plain/a+b"])]);
    assert!(t.find("GET", "/café/1").is_some());
    assert!(t.find("GET", "/caf%c3%a9/1").is_some());
    assert!(t.find("GET", "/plain/a+b").is_some());
    assert!(t.find("GET", "/plain/a%2Bb").is_some());
    assert!(t.find("GET", "/plain/a%20b").is_none());
}

#[test]
fn head_falls_back_to_get_with_its_params() {
    let t = table(&[("a", &["GET /x/:id", "PUT /x/:id"])]);
    let (name, text, params) = found(&t, "HEAD", "/x/7").unwrap();
    assert_eq!((name.as_str(), text.as_str()), ("a", "GET /x/:id"));
    assert_eq!(params["id"], "7");
}

#[test]
fn route_for_agrees_with_lookup_without_capturing() {
    let t = table(&[("a", &["GET /x/:id"]), ("b", &["/x/new", "POST /y"])]);
    for (method, path) in [
        ("HEAD", "/x/7"),
        ("GET", "/x/new"),
        ("GET", "/y"),
        ("PUT", "/x/7"),
    ] {
        assert_eq!(
            t.route_for(method, path).map(|r| &r.route.text),
            t.find(method, path).map(|m| &m.route.route.text),
            "{method} {path}"
        );
    }
}

#[test]
fn a_head_route_beats_the_get_fallback() {
    let t = table(&[("get", &["GET /x"]), ("head", &["HEAD /x"])]);
    assert_eq!(found(&t, "HEAD", "/x").unwrap().0, "head");
    assert_eq!(found(&t, "GET", "/x").unwrap().0, "get");
}

#[test]
fn other_methods_get_405_with_the_allowed_list() {
    let t = table(&[("a", &["GET /x", "PUT /x"]), ("b", &["DELETE /y"])]);
    match t.lookup("POST", "/x") {
        Lookup::MethodNotAllowed { allowed } => assert_eq!(allowed, ["GET", "HEAD", "PUT"]),
        other => panic!("expected 405, got {other:?}"),
    }
    match t.lookup("HEAD", "/y") {
        Lookup::MethodNotAllowed { allowed } => assert_eq!(allowed, ["DELETE"]),
        other => panic!("expected 405, got {other:?}"),
    }
    assert!(matches!(t.lookup("GET", "/z"), Lookup::NotFound));
}

#[test]
fn the_root_and_empty_segments() {
    let t = table(&[("root", &["GET /"]), ("a", &["/a/b"])]);
    assert_eq!(found(&t, "GET", "/").unwrap().0, "root");
    assert_eq!(found(&t, "GET", "//a//b/").unwrap().0, "a");
    assert_eq!(t.find("GET", "/").unwrap().route.resource, "/");
}

#[test]
fn bad_percent_escapes_are_kept_literally() {
    assert_eq!(percent_decode("100%"), "100%");
    assert_eq!(percent_decode("%zz%41"), "%zzA");
    let t = table(&[("f", &["/p/:x"])]);
    assert_eq!(t.find("GET", "/p/100%").unwrap().params["x"], "100%");
}
