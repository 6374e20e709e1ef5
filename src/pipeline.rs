//! One invocation, whoever asks for it.
//!
//! Every caller that runs a function goes through [`Pipeline::run`]: the
//! gateway for a request, the trigger dispatcher for an S3 event, the
//! scheduler for a firing, and `invoke`, `trigger`, `replay` and `test` from
//! the command line. The caller finds the function and builds its input; the
//! pipeline does the rest, in one order, once:
//!
//! ```text
//!  caller ──Call──► grants (recording copy if --record) ─► abi::call ─► outcome
//!                                                                        │
//!   record fixture ◄─────────────────────────────────────────────────────┤
//!   caller answers (gateway: sends the reply) ◄──────────────────────────┤
//!   activity line (console, dashboard) ◄─────────────────────────────────┤
//!   change events (S3 triggers) ◄────────────────────────────────────────┘
//! ```
//!
//! Callers differ only in what surrounds a run, never in the run: the
//! command line uses [`Pipeline::offline`] (nothing recorded, no console
//! line, no events), and a new trigger or caller (service calls, queues)
//! plugs in by building a [`Call`].

use crate::abi::{self, CallOutcome, Input};
use crate::activity::{Activity, ActivitySink, RequestRecord};
use crate::bindings::{Access, Services};
use crate::config::Function;
use crate::deployment::{Deployed, Deployment};
use crate::fixture;
use crate::record::{Recorder, http_trigger};
use crate::runtime::{Context, LoadedModule};
use crate::secrets::Redactor;
use crate::triggers::EventSink;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Where an invocation's effects go besides its caller: the recorder, the
/// console, the trigger dispatcher. Cheap to clone.
#[derive(Clone, Default)]
pub struct Pipeline {
    recorder: Recorder,
    activity: ActivitySink,
    events: EventSink,
    /// Runs the service calls of functions that make them (`dev`).
    services: Option<Arc<dyn Services>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("recording", &self.recorder.is_on())
            .field("services", &self.services.is_some())
            .finish_non_exhaustive()
    }
}

/// One invocation to run: a function, its module and grants, and what
/// triggered it.
pub struct Call<'a> {
    pub function: &'a Function,
    pub module: &'a LoadedModule,
    /// Its KV namespaces and buckets; `None` for a function with no
    /// bindings run outside `dev` (no state needed).
    pub grants: Option<&'a Arc<Access>>,
    /// The function's latest build failed and older code answers.
    pub stale: bool,
    pub input: Input<'a>,
    /// The virtual clock and random seed it runs with.
    pub context: Context,
    /// How the console names it.
    pub line: Line,
    /// Hides secret values in what is written down about it.
    pub redactor: &'a Arc<Redactor>,
}

/// How an invocation appears in the activity log, and when it started.
#[derive(Debug)]
pub struct Line {
    /// `GET`, `POST`, …, or `EVENT` for a trigger.
    pub method: String,
    /// The request target as sent, or what fired (`schedule NAME EXPR`,
    /// `ObjectCreated:Put s3://bucket/key`).
    pub target: String,
    pub at: SystemTime,
    pub started: Instant,
}

impl Line {
    /// A line naming `input` itself: the request's method and path, or the
    /// event's source (for callers with nothing more telling to show).
    pub fn of_input(input: &Input<'_>) -> Line {
        match input {
            Input::Http { request, .. } if request.query.is_empty() => {
                Line::starting(request.method.as_str(), request.path.as_str())
            }
            Input::Http { request, .. } => Line::starting(
                request.method.as_str(),
                format!("{}?{}", request.path, request.query),
            ),
            Input::Event { source, .. } => Line::starting("EVENT", *source),
        }
    }

    /// A line for an invocation starting now.
    pub fn starting(method: impl Into<String>, target: impl Into<String>) -> Line {
        Line {
            method: method.into(),
            target: target.into(),
            at: SystemTime::now(),
            started: Instant::now(),
        }
    }
}

/// What the caller answered for an invocation: the status its log line
/// shows, and why it is not the function's own response, if so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub problem: Option<String>,
}

impl Answer {
    /// The function's own status, or 500 with the reason it has none: how
    /// every caller but the gateway (which has its own replies) reports.
    pub fn of(outcome: &CallOutcome) -> Answer {
        match &outcome.result {
            Ok(response) => Answer {
                status: response.status,
                problem: None,
            },
            Err(error) => Answer {
                status: 500,
                problem: Some(error.to_string()),
            },
        }
    }
}

impl<'a> Call<'a> {
    /// A call of a deployed function (`dev`), which must have a module.
    pub fn of_deployed(
        deployment: &'a Deployment,
        deployed: &'a Deployed,
        module: &'a LoadedModule,
        input: Input<'a>,
        context: Context,
        line: Line,
    ) -> Call<'a> {
        Call {
            function: &deployed.function,
            module,
            grants: Some(&deployed.access),
            stale: deployed.stale.is_some(),
            input,
            context,
            line,
            redactor: &deployment.redactor,
        }
    }
}

impl Pipeline {
    /// The pipeline of `dev`: invocations are recorded by `recorder`,
    /// reported to `activity`, and the objects they change go to `events`.
    pub fn new(recorder: Recorder, activity: ActivitySink, events: EventSink) -> Pipeline {
        Pipeline {
            recorder,
            activity,
            events,
            services: None,
        }
    }

    /// This pipeline with service calls run by `services`.
    pub fn with_services(self, services: Arc<dyn Services>) -> Pipeline {
        Pipeline {
            services: Some(services),
            ..self
        }
    }

    /// The pipeline of one-off commands (`invoke`, `trigger`, `replay`,
    /// `test`): the caller prints the outcome itself; nothing is recorded,
    /// logged or delivered.
    pub fn offline() -> Pipeline {
        Pipeline::default()
    }

    /// This pipeline with its change events going nowhere: for the trigger
    /// dispatcher, which finds the events its deliveries cause in the
    /// outbox itself.
    pub fn without_events(&self) -> Pipeline {
        Pipeline {
            events: EventSink::discard(),
            ..self.clone()
        }
    }

    /// Runs `call`, reporting the function's own status.
    pub fn run(&self, call: Call<'_>) -> CallOutcome {
        self.run_answering(call, Answer::of)
    }

    /// Runs `call`; `answer` gives the caller's answer to the outcome (the
    /// gateway sends its reply there) before the run is reported, so the log
    /// line shows what the client got and how long it took.
    pub fn run_answering(
        &self,
        call: Call<'_>,
        answer: impl FnOnce(&CallOutcome) -> Answer,
    ) -> CallOutcome {
        let Call {
            function,
            module,
            grants,
            stale,
            input,
            context,
            line,
            redactor,
        } = call;
        let mut access = grants.map(|grants| self.recorder.access_for(grants));
        // A function that calls others gets the runner here, at the top of
        // its chain (a callee's grants carry it already, with the chain).
        if let (Some(services), Some(granted)) = (&self.services, &access)
            && granted.has_services()
            && !granted.runs_services()
        {
            let with = granted
                .as_ref()
                .clone()
                .calling_services(Arc::clone(services), Arc::from([]));
            access = Some(Arc::new(with));
        }
        let mut outcome = abi::call(module, function, input, context, access);
        // The log is never the response: whoever reads it gets it redacted.
        redactor.in_place(&mut outcome.logs);
        self.recorder.record(
            &function.name,
            || fixture_trigger(input),
            context,
            &mut outcome,
            redactor,
        );
        let mut answered = answer(&outcome);
        answered.problem = answered
            .problem
            .map(|problem| redactor.text(&problem).into_owned());
        self.activity.send(Activity::Request(RequestRecord {
            at: line.at,
            status: answered.status,
            method: line.method,
            target: line.target,
            function: Some(function.name.clone()),
            usage: Some(outcome.usage),
            elapsed: line.started.elapsed(),
            logs: outcome.logs.clone(),
            error: answered.problem,
            stale,
        }));
        self.events.submit(&outcome.changes);
        outcome
    }

    /// Where the console's reports go.
    pub fn activity(&self) -> &ActivitySink {
        &self.activity
    }

    /// Reports a request answered without running a function (404, 405,
    /// 413, never built, …).
    pub fn report(&self, record: RequestRecord) {
        self.activity.send(Activity::Request(record));
    }

    /// Reports something worth telling that is not an invocation.
    pub fn notice(&self, message: String) {
        self.activity.send(Activity::Notice { message });
    }
}

/// What a fixture stores as the trigger of `input`.
fn fixture_trigger(input: Input<'_>) -> fixture::Trigger {
    match input {
        Input::Http { request, .. } => http_trigger(request),
        Input::Event { source, payload } => fixture::Trigger::Event {
            trigger: source.to_string(),
            payload: payload.clone(),
        },
    }
}
