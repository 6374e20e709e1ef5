//! Service calls: one function of the project calling another in-process
//! (`services = ["pricing"]`, then `service://pricing/path` with
//! `http_fetch`), as Workers' service bindings do.
//!
//! The callee runs through the same [`Pipeline`] as any invocation: its own
//! ABI, limits and grants, recorded and reported on its own console line
//! (`CALL checkout → pricing /quote`), so the console shows the call tree
//! as it happens. The bindings check the caller's grant and refuse loops;
//! this side finds the callee in the deployment being served and routes the
//! request through the callee's own routes.

use crate::abi::Input;
use crate::abi::http::{HttpRequest, HttpResponse};
use crate::bindings::Services;
use crate::deployment::Live;
use crate::pipeline::{Call, Line, Pipeline};
use crate::router::RouteTable;
use crate::runtime::Context;
use std::sync::{Arc, Weak};

/// Runs service calls on the deployment `dev` serves.
#[derive(Debug)]
pub struct LiveServices {
    live: Weak<Live>,
    pipeline: Pipeline,
    /// Itself, for the callee's own service calls.
    me: Weak<LiveServices>,
}

impl LiveServices {
    /// Service calls on what `live` serves, run through `pipeline`.
    pub fn new(live: &Arc<Live>, pipeline: Pipeline) -> Arc<LiveServices> {
        Arc::new_cyclic(|me| LiveServices {
            live: Arc::downgrade(live),
            pipeline,
            me: me.clone(),
        })
    }
}

impl Services for LiveServices {
    fn call(
        &self,
        caller: &str,
        callers: &[String],
        service: &str,
        mut request: HttpRequest,
    ) -> Result<HttpResponse, String> {
        let live = self.live.upgrade().ok_or("the server is stopping")?;
        let deployment = live.snapshot();
        let deployed = deployment
            .functions
            .get(service)
            .ok_or_else(|| format!("the service `{service}` is not deployed"))?;
        let module = deployed
            .module
            .as_deref()
            .ok_or_else(|| format!("the service `{service}` has no working build"))?;
        // The callee's own routes, with the gateway's rules; a callee with
        // no route matching is called as on a catch-all.
        let routes = RouteTable::new([&deployed.function]);
        let matched = routes.find(&request.method, &request.path);
        if let Some(matched) = &matched {
            request.params = matched.params.clone();
        }
        let chain: Arc<[String]> = callers
            .iter()
            .cloned()
            .chain([caller.to_string()])
            .collect();
        let me: Arc<dyn Services> = self.me.upgrade().ok_or("the server is stopping")?;
        let grants = Arc::new(deployed.access.as_ref().clone().calling_services(me, chain));
        let target = format!("{caller} → {service} {}", request.path);
        let input = Input::Http {
            request: &request,
            route: matched.as_ref(),
        };
        let call = Call {
            function: &deployed.function,
            module,
            grants: Some(&grants),
            stale: deployed.stale.is_some(),
            input,
            context: Context::live(),
            line: Line::starting("CALL", target),
            redactor: &deployment.redactor,
        };
        let outcome = self.pipeline.run(call);
        outcome
            .result
            .map_err(|error| format!("the service `{service}` failed: {error}"))
    }
}
