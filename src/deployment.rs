//! What is being served right now: the project's config and one loaded module
//! per function, swapped as a whole.
//!
//! A [`Deployment`] is immutable. The dev loop builds a new one for every change
//! (a rebuilt module, a failed build, a new config) and publishes it through
//! [`Live`]; each request takes the deployment current when it arrives and keeps
//! it, through its `Arc`, until it has answered. So a reload never changes the
//! code under a running request, never makes a request wait for a build, and
//! the old module is freed when its last request ends.

use crate::bindings::Access;
use crate::config::{Function, Project};
use crate::router::{Lookup, Matched, RouteTable};
use crate::runtime::LoadedModule;
use crate::secrets::Redactor;
use crate::state::State;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// One function as served: its config, its module, and how current the module is.
#[derive(Debug)]
pub struct Deployed {
    pub function: Function,
    /// The module answering requests; `None` until a build has succeeded once.
    pub module: Option<Arc<LoadedModule>>,
    /// Set when the latest build failed: the module (if any) is from an older
    /// version of the source. Responses say so in a header.
    pub stale: Option<Arc<BuildFailure>>,
    /// The KV namespaces and buckets its config grants, computed once here
    /// rather than on every request.
    pub access: Arc<Access>,
}

/// A build that failed, as the gateway reports it.
#[derive(Debug)]
pub struct BuildFailure {
    /// The compiler's error, as printed in the console.
    pub message: String,
    pub at: SystemTime,
}

impl Deployed {
    /// A function with a working module built from its current source.
    pub fn ready(function: Function, module: Arc<LoadedModule>, state: &State) -> Deployed {
        Deployed::new(function, Some(module), None, state)
    }

    /// A function whose latest build failed; `previous` keeps answering if any.
    pub fn failed(
        function: Function,
        previous: Option<Arc<LoadedModule>>,
        failure: BuildFailure,
        state: &State,
    ) -> Deployed {
        Deployed::new(function, previous, Some(Arc::new(failure)), state)
    }

    /// A function with whatever module and build state it has.
    pub fn new(
        function: Function,
        module: Option<Arc<LoadedModule>>,
        stale: Option<Arc<BuildFailure>>,
        state: &State,
    ) -> Deployed {
        let access = Arc::new(Access::for_function(state.clone(), &function));
        Deployed {
            function,
            module,
            stale,
            access,
        }
    }
}

/// Which function a request goes to, or why none.
#[derive(Debug)]
pub enum RouteMatch<'d> {
    Found {
        deployed: &'d Arc<Deployed>,
        /// The route that matched (Lambda events name it, CGI derives
        /// `SCRIPT_NAME` from it) and its parameters.
        matched: Matched<'d>,
    },
    /// The path exists, but not for this method; these methods are allowed.
    MethodNotAllowed {
        allowed: Vec<String>,
    },
    NotFound,
}

/// An immutable set of deployed functions with the route table they answer.
#[derive(Debug)]
pub struct Deployment {
    pub project: Arc<Project>,
    pub functions: BTreeMap<String, Arc<Deployed>>,
    /// Where the functions' KV namespaces and buckets live.
    pub state: State,
    /// The project's routes, compiled once per config ([`Deployment::new`]);
    /// a rebuilt module keeps its config's table ([`Deployment::with_functions`]).
    pub routes: Arc<RouteTable>,
    /// Hides the config's secret values wherever an invocation is written
    /// down (console, fixtures, error pages).
    pub redactor: Arc<Redactor>,
}

impl Deployment {
    /// The deployment of `functions` under `project`, its route table
    /// compiled from the project's routes.
    pub fn new(
        project: Arc<Project>,
        functions: BTreeMap<String, Arc<Deployed>>,
        state: State,
    ) -> Deployment {
        let routes = Arc::new(RouteTable::new(project.functions.values()));
        let redactor = Arc::new(Redactor::for_project(&project));
        Deployment {
            project,
            functions,
            state,
            routes,
            redactor,
        }
    }

    /// This deployment with other modules for the same config: the route
    /// table is shared, not compiled again.
    pub fn with_functions(&self, functions: BTreeMap<String, Arc<Deployed>>) -> Deployment {
        Deployment {
            project: Arc::clone(&self.project),
            functions,
            state: self.state.clone(),
            routes: Arc::clone(&self.routes),
            redactor: Arc::clone(&self.redactor),
        }
    }

    /// The function and route for `method path` (path without query), by the
    /// route table's rules: the most specific route of any function, `HEAD`
    /// falling back to `GET`, 405 with the allowed methods.
    pub fn route(&self, method: &str, path: &str) -> RouteMatch<'_> {
        match self.routes.lookup(method, path) {
            Lookup::Found(matched) => match self.functions.get(&matched.route.function) {
                Some(deployed) => RouteMatch::Found { deployed, matched },
                // The table and the functions come from one config.
                None => RouteMatch::NotFound,
            },
            Lookup::MethodNotAllowed { allowed } => RouteMatch::MethodNotAllowed { allowed },
            Lookup::NotFound => RouteMatch::NotFound,
        }
    }

    /// The function that answers `method path`, found without capturing
    /// route parameters (see [`RouteTable::route_for`]).
    pub fn function_for(&self, method: &str, path: &str) -> Option<&Arc<Deployed>> {
        let route = self.routes.route_for(method, path)?;
        self.functions.get(&route.function)
    }

    /// Every route with the function it belongs to, in function then file order.
    pub fn all_routes(&self) -> impl Iterator<Item = (&Arc<Deployed>, &crate::config::Route)> {
        self.functions
            .values()
            .flat_map(|deployed| deployed.function.routes.iter().map(move |r| (deployed, r)))
    }
}

/// The deployment being served, replaced atomically.
///
/// A `RwLock<Arc<_>>` rather than a lock-free cell: readers hold the lock only
/// to clone the `Arc` (nanoseconds), and writes happen once per reload.
#[derive(Debug)]
pub struct Live {
    current: RwLock<Arc<Deployment>>,
}

impl Live {
    pub fn new(deployment: Deployment) -> Live {
        Live {
            current: RwLock::new(Arc::new(deployment)),
        }
    }

    /// The deployment current now; hold it for the whole request.
    pub fn snapshot(&self) -> Arc<Deployment> {
        // A poisoned lock only means a writer panicked between two complete
        // values; the value itself is always whole.
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Publishes `next` for every request that starts from now on.
    pub fn publish(&self, next: Deployment) {
        let next = Arc::new(next);
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::Params;

    /// A deployment of functions `(name, routes)`, none built.
    fn deployment(test: &str, functions: &[(&str, &[&str])]) -> Deployment {
        let dir =
            std::env::temp_dir().join(format!("wasmfaas-deployment-{}-{test}", std::process::id()));
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
        let project = Project::parse(&toml, &dir.join("wasmfaas.toml")).unwrap();
        let state = State::in_memory().unwrap();
        let functions = project
            .functions
            .values()
            .map(|f| {
                let deployed = Deployed::new(f.clone(), None, None, &state);
                (f.name.clone(), Arc::new(deployed))
            })
            .collect();
        Deployment::new(Arc::new(project), functions, state)
    }

    fn found(d: &Deployment, method: &str, path: &str) -> Option<(String, Params)> {
        match d.route(method, path) {
            RouteMatch::Found { deployed, matched } => {
                Some((deployed.function.name.clone(), matched.params))
            }
            _ => None,
        }
    }

    #[test]
    fn the_most_specific_route_wins_across_functions() {
        let d = deployment(
            "specific",
            &[
                ("files", &["GET /items/*rest"]),
                ("item", &["GET /items/:id"]),
                ("new", &["GET /items/new"]),
            ],
        );
        assert_eq!(found(&d, "GET", "/items/new").unwrap().0, "new");
        let (name, params) = found(&d, "GET", "/items/42").unwrap();
        assert_eq!((name.as_str(), params["id"].as_str()), ("item", "42"));
        let (name, params) = found(&d, "GET", "/items/a/b").unwrap();
        assert_eq!((name.as_str(), params["rest"].as_str()), ("files", "a/b"));
    }

    #[test]
    fn head_falls_back_to_get_and_other_methods_get_405() {
        let d = deployment(
            "head",
            &[("a", &["GET /x", "PUT /x"]), ("b", &["DELETE /y"])],
        );
        assert_eq!(found(&d, "HEAD", "/x").unwrap().0, "a");
        match d.route("POST", "/x") {
            RouteMatch::MethodNotAllowed { allowed } => {
                assert_eq!(allowed, ["GET", "HEAD", "PUT"]);
            }
            other => panic!("expected 405, got {other:?}"),
        }
        assert!(matches!(
            d.route("HEAD", "/y"),
            RouteMatch::MethodNotAllowed { .. }
        ));
        assert!(matches!(d.route("GET", "/z"), RouteMatch::NotFound));
    }
}
