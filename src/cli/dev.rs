//! `wasmfaas dev`: build everything, serve it over HTTP, rebuild and hot-swap
//! on every save, until Ctrl-C.

use super::{Failure, Storage, activity_log};
use crate::activity::Activity;
use crate::activity::ActivitySink;
use crate::bindings::Seeded;
use crate::build::Cancel;
use crate::config::Project;
use crate::dashboard::{Dashboard, Hub, Token};
use crate::deployment::{Deployment, Live};
use crate::dev::{self, Watching};
use crate::gateway::Gateway;
use crate::http_pool::{AllowedHosts, Limits, host_name_problem};
use crate::pipeline::Pipeline;
use crate::record::Recorder;
use crate::runtime::Context;
use crate::s3endpoint::{self, S3Server};
use crate::services::LiveServices;
use crate::state::State;
use crate::triggers::{self, EventSink};
use clap::Args;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// Arguments of `wasmfaas dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Address to listen on; loopback by default, so nothing outside this
    /// machine can reach the functions.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (the URL is printed).
    #[arg(long, short, default_value_t = 8787)]
    pub port: u16,
    /// Worker threads running functions (default: one per CPU core).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Serve what is built now; do not watch files or rebuild.
    #[arg(long)]
    pub no_watch: bool,
    /// Port of the S3-compatible endpoint (default: `[s3_endpoint] port`,
    /// else 9000); 0 picks a free one.
    #[arg(long, value_name = "PORT")]
    pub s3_port: Option<u16>,
    /// Do not serve the S3-compatible endpoint.
    #[arg(long, conflicts_with = "s3_port")]
    pub no_s3: bool,
    /// Save every invocation served (HTTP or event) as a fixture under DIR
    /// (default: `fixtures` in the project), for `wasmfaas replay` and
    /// `wasmfaas test`.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "fixtures")]
    pub record: Option<std::path::PathBuf>,
    /// Also answer requests sent to host NAME (repeatable; adds to `[dev]
    /// allow_hosts`). The gateway and the S3 endpoint answer only loopback
    /// names (localhost, *.localhost, 127.0.0.1, [::1]) and the address they
    /// listen on, so that no web page can reach them through a DNS name it
    /// controls (DNS rebinding). `*.example.test` allows its subdomains, `*`
    /// any name.
    #[arg(long = "allow-host", value_name = "NAME", value_parser = allowed_host)]
    pub allow_hosts: Vec<String>,
    /// Do not serve the dashboard (`/__wasmfaas/`, docs/dashboard.md).
    #[arg(long)]
    pub no_dashboard: bool,
}

/// A `--allow-host` value, checked as `[dev] allow_hosts` entries are.
fn allowed_host(name: &str) -> Result<String, String> {
    match host_name_problem(name) {
        Some(problem) => Err(problem.to_string()),
        None => Ok(name.to_string()),
    }
}

/// Reports the tee drains every few milliseconds: a burst of 100k
/// requests a second fills a quarter of it between two drains.
const TEE_INPUT_CAPACITY: usize = 2048;

/// Longest wait for in-flight requests at Ctrl-C, whatever the functions' timeouts.
const MAX_GRACE: Duration = Duration::from_secs(30);

pub fn run(
    project: Project,
    args: &DevArgs,
    storage: &Storage,
    quiet: bool,
) -> Result<(), Failure> {
    let project = Arc::new(project);
    let (activity, hub, console) = start_console(args, quiet);
    let token = Token::generate()
        .map_err(|error| Failure::Failed(format!("cannot make the dashboard's token: {error}")))?;
    let interrupted = on_ctrl_c()?;
    raise_open_file_limit();
    let hosts = AllowedHosts::new(project.dev.allow_hosts.iter().chain(&args.allow_hosts));
    let limits = listener_limits(&project);

    // Bind first: a taken port should fail before minutes of building.
    let gateway = Gateway::bind(&args.host, args.port)
        .map_err(|e| Failure::Usage(e.to_string()))?
        .allow_hosts(hosts.clone())
        .limits(limits.clone());
    // S3 endpoint: bound here with the gateway, served beside it.
    let s3_server = bind_s3_endpoint(&project, args, hosts, limits)?;
    // Watch before building: a file saved while the first builds run must
    // still be rebuilt afterwards.
    let watching = begin_watching(&project, args)?;
    let (state, seeded) = storage.open(&project, Context::live().start_time_ns)?;
    announce_seeding(&seeded, &activity);
    let Some(deployment) = first_deploy(&project, &state, &activity, &interrupted)? else {
        drop(activity);
        activity_log::finish(console);
        return Ok(());
    };
    let live = Arc::new(Live::new(deployment));
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let recorder = start_recorder(&project, args, &activity)?;
    let recording = recorder.clone();
    let (pipeline, events) = start_pipeline(&live, recorder, &activity);
    // S3 endpoint: its writes trigger functions as the functions' own do.
    let s3 = s3_server.map(|server| {
        let credentials = project.s3_endpoint.credentials.clone();
        let cors = project
            .s3
            .values()
            .map(|b| (b.name.clone(), b.cors.clone()));
        server.allow_origins(cors.collect()).serve(
            state.clone(),
            credentials,
            activity.clone(),
            events.clone(),
            workers,
        )
    });
    let dashboard = (!args.no_dashboard)
        .then(|| open_dashboard(token, hub, &live, &events, gateway.address().port()));
    let gateway = match &dashboard {
        Some(dashboard) => gateway.dashboard(Arc::clone(dashboard)),
        None => gateway,
    };
    let running = gateway.serve(Arc::clone(&live), pipeline, workers);
    activity_log::banner(
        &live.snapshot(),
        running.address(),
        !args.no_watch,
        &activity,
    );
    if let Some(dashboard) = &dashboard {
        activity.send(Activity::Notice {
            message: format!("Dashboard {}", dashboard.url(running.address())),
        });
    }
    // S3 endpoint: announced under the banner.
    if let Some(s3) = &s3 {
        let url = format!("http://{}", s3.address());
        activity.send(Activity::Notice {
            message: format!("S3 endpoint {url}  (aws --endpoint-url {url} s3 ls)\n"),
        });
    }

    let watch = watching
        .map(|watching| watching.serve(Arc::clone(&project), Arc::clone(&live), activity.clone()));

    let _ = interrupted.recv();
    activity_log::stopping(&activity);
    if let Some(watch) = watch {
        watch.stop();
    }
    let abandoned = running.shutdown(grace_period(&live));
    // The dashboard holds an event sink; the trigger dispatcher (and so
    // the console, which it reports to) ends only when every sink is gone.
    drop(dashboard);
    // S3 endpoint: its requests are short; no function runs on its threads.
    if let Some(s3) = s3 {
        s3.shutdown(Duration::from_secs(5));
    }
    finish_recording(&recording, &activity);
    activity_log::stopped(&activity, abandoned);
    drop(activity);
    activity_log::finish(console);
    Ok(())
}

/// The console, fed the reports `activity` gets; with the dashboard on, a
/// tee also shows each to the dashboard's `hub`.
fn start_console(
    args: &DevArgs,
    quiet: bool,
) -> (ActivitySink, Arc<Hub>, std::thread::JoinHandle<()>) {
    // With the dashboard, reports reach the console through a tee that
    // drains this channel every few milliseconds, so it only holds a
    // burst; the console's backlog is the tee's own channel. (A second
    // 16k-slot channel cost about 2 ms of start-up to allocate and touch.)
    let capacity = if args.no_dashboard {
        activity_log::CAPACITY
    } else {
        TEE_INPUT_CAPACITY
    };
    let (activity, activity_rx) = ActivitySink::bounded(capacity);
    let hub = Hub::new();
    let activity_rx = if args.no_dashboard {
        activity_rx
    } else {
        let hub = Arc::clone(&hub);
        activity_rx.tee("activity-tee", activity_log::CAPACITY, move |report| {
            hub.observe(report);
        })
    };
    (activity, hub, activity_log::spawn(activity_rx, quiet))
}

/// The pipeline every invocation runs through, with the trigger dispatcher
/// and the scheduler started on it; and where changes to buckets go.
fn start_pipeline(
    live: &Arc<Live>,
    recorder: Recorder,
    activity: &ActivitySink,
) -> (Pipeline, EventSink) {
    let (events, wakeups) = triggers::channel();
    let pipeline = Pipeline::new(recorder.clone(), activity.clone(), events.clone());
    // Service calls run through the pipeline too, whoever makes them.
    let services = LiveServices::new(live, pipeline.clone());
    let pipeline = pipeline.with_services(services.clone());
    // The dispatcher's own deliveries find what they cause in the outbox,
    // so its copy sends no change events.
    let dispatching =
        Pipeline::new(recorder, activity.clone(), EventSink::discard()).with_services(services);
    triggers::spawn_on(wakeups, Arc::clone(live), dispatching);
    triggers::schedules::spawn(Arc::clone(live), pipeline.clone());
    (pipeline, events)
}

/// The dashboard over what `live` serves, on the gateway's `port`.
fn open_dashboard(
    token: Token,
    hub: Arc<Hub>,
    live: &Arc<Live>,
    events: &EventSink,
    port: u16,
) -> Arc<Dashboard> {
    hub.set_live(Arc::clone(live));
    Arc::new(Dashboard::new(
        token,
        port,
        hub,
        Arc::clone(live),
        events.clone(),
    ))
}

/// Writes out the fixtures still spooled, or says where they wait.
fn finish_recording(recording: &Recorder, activity: &ActivitySink) {
    if recording.finish(RECORDING_GRACE) {
        return;
    }
    activity.send(Activity::Notice {
        message: format!(
            "{:>12} fixtures not yet written stay in {}/record-{}.spool; the next `wasmfaas \
             dev --record` writes them out",
            "Pending",
            crate::record::SPOOL_DIR,
            std::process::id()
        ),
    });
}

/// The S3 endpoint's listener, unless `--no-s3`.
fn bind_s3_endpoint(
    project: &Project,
    args: &DevArgs,
    hosts: AllowedHosts,
    limits: Limits,
) -> Result<Option<S3Server>, Failure> {
    if args.no_s3 {
        return Ok(None);
    }
    let port = (args.s3_port)
        .or(project.s3_endpoint.port)
        .unwrap_or(s3endpoint::DEFAULT_PORT);
    let server = S3Server::bind(&args.host, port)
        .map_err(|e| Failure::Usage(e.to_string()))?
        .allow_hosts(hosts)
        .limits(limits);
    Ok(Some(server))
}

/// The file watcher, unless `--no-watch`.
fn begin_watching(project: &Project, args: &DevArgs) -> Result<Option<Watching>, Failure> {
    if args.no_watch {
        return Ok(None);
    }
    let watching = Watching::begin(project).map_err(|error| {
        Failure::Failed(format!(
            "cannot watch {} for changes: {error}; run with --no-watch, or raise the \
             inotify limit (sysctl fs.inotify.max_user_watches)",
            project.root.display()
        ))
    })?;
    Ok(Some(watching))
}

/// Console lines for the seed files loaded and the expired entries purged.
fn announce_seeding(seeded: &Seeded, activity: &ActivitySink) {
    for (name, count) in &seeded.loaded {
        activity.send(Activity::Notice {
            message: format!("{:>12} {name} with {count} entries", "Seeded"),
        });
    }
    if seeded.purged > 0 {
        activity.send(Activity::Notice {
            message: format!("{:>12} {} expired KV entries", "Purged", seeded.purged),
        });
    }
}

/// Builds and loads every function; `None` when Ctrl-C stopped it. Ctrl-C
/// cancels the builds itself because cargo runs in its own process group,
/// so the terminal's signal does not reach it.
fn first_deploy(
    project: &Arc<Project>,
    state: &State,
    activity: &ActivitySink,
    interrupted: &mpsc::Receiver<()>,
) -> Result<Option<Deployment>, Failure> {
    let cancel = Cancel::default();
    let first = {
        let cancel = cancel.clone();
        let project = Arc::clone(project);
        let activity = activity.clone();
        let state = state.clone();
        std::thread::spawn(move || dev::deploy_all(&project, &state, &activity, &cancel))
    };
    loop {
        if first.is_finished() {
            return first
                .join()
                .map(Some)
                .map_err(|_| Failure::Failed("the first build panicked".into()));
        }
        if interrupted.recv_timeout(Duration::from_millis(20)).is_ok() {
            cancel.cancel();
            let _ = first.join();
            return Ok(None);
        }
    }
}

/// The fixture recorder when `--record DIR` is given, else one that drops
/// everything.
fn start_recorder(
    project: &Project,
    args: &DevArgs,
    activity: &ActivitySink,
) -> Result<Recorder, Failure> {
    let Some(dir) = &args.record else {
        return Ok(Recorder::off());
    };
    Recorder::spawn(
        project.root.join(dir),
        project.root.clone(),
        project.record.redact_headers.clone(),
        activity.clone(),
    )
    .map_err(|error| {
        Failure::Failed(format!(
            "cannot record: no spool for fixtures in `{}`: {error}",
            crate::record::SPOOL_DIR
        ))
    })
}

/// How long in-flight requests may finish at Ctrl-C: the longest function
/// timeout and a second, at most [`MAX_GRACE`].
fn grace_period(live: &Live) -> Duration {
    live.snapshot()
        .functions
        .values()
        .map(|deployed| deployed.function.limits.timeout)
        .max()
        .unwrap_or_default()
        .saturating_add(Duration::from_secs(1))
        .min(MAX_GRACE)
}

/// The longest a clean stop waits for recorded fixtures to be written out.
const RECORDING_GRACE: Duration = Duration::from_secs(10);

/// A channel that receives once per Ctrl-C (SIGINT) or SIGTERM.
fn on_ctrl_c() -> Result<mpsc::Receiver<()>, Failure> {
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|error| Failure::Failed(format!("cannot handle Ctrl-C: {error}")))?;
    Ok(rx)
}

/// The listeners' limits, with large request bodies spooled under
/// `.wasmfaas/tmp` in the project: on disk, where the system temp folder is
/// often RAM (tmpfs). The files are unlinked, so nothing is left behind.
fn listener_limits(project: &Project) -> Limits {
    let spill_dir = project.root.join(".wasmfaas").join("tmp");
    let spill_dir = match std::fs::create_dir_all(&spill_dir) {
        Ok(()) => spill_dir,
        Err(_) => std::env::temp_dir(),
    };
    Limits {
        spill_dir,
        ..Limits::default()
    }
}

/// Raises the soft limit on open files to the hard limit, as servers do: each
/// connection costs file descriptors, and the common soft default of 1024 is
/// a few hundred connections. Nothing is lost if it cannot be raised.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` only writes the `rlimit` we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    // macOS refuses a soft limit above OPEN_MAX whatever the hard limit says.
    #[cfg(target_os = "macos")]
    let hard = limit.rlim_max.min(10_240);
    #[cfg(not(target_os = "macos"))]
    let hard = limit.rlim_max;
    if limit.rlim_cur >= hard {
        return;
    }
    let raised = libc::rlimit {
        rlim_cur: hard,
        rlim_max: limit.rlim_max,
    };
    // SAFETY: `setrlimit` only reads the `rlimit` we pass.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) };
}
