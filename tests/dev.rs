//! `wasmfaas dev` over time: edits swapped in under load, broken builds and
//! configs that keep the last good version serving, and a graceful stop.
//! The real binary, on a free loopback port, on a throwaway project of WAT
//! functions (they rebuild in-process in milliseconds).

mod common;

use common::dev_server::{DevServer, TempProject, agent, env_wat, send, wait_for};
use common::printing_wat;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A guest answering 200 with `body`.
fn answering(body: &str) -> String {
    printing_wat(1, &format!("{{\"status\":200}}\n{body}"), "")
}

/// WAT that does not compile; the error points at line 2.
const BROKEN_WAT: &str = "(module\n  (func (export \"_start\") (i32.bogus)))\n";

/// Sets the flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn edits_swap_in_under_load_and_a_broken_edit_keeps_the_last_good_code() {
    let config = "[project]\nname = \"hot\"\n\n[functions.hot]\nsource = \"hot.wat\"\n\
                  routes = [\"GET /hot\"]\n";
    let project = TempProject::new(
        "hot",
        &[("wasmfaas.toml", config), ("hot.wat", &answering("v0"))],
    );
    let server = DevServer::start(&project, &[]);
    let version = |body: &[u8]| -> Option<usize> {
        let text = std::str::from_utf8(body).ok()?;
        text.strip_prefix('v')?.parse().ok()
    };

    let stop = AtomicBool::new(false);
    // What went wrong in the load threads, for one assertion at the end.
    let failures = Mutex::new(Vec::<String>::new());
    let answered = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (stop, failures, answered, server) = (&stop, &failures, &answered, &server);
            scope.spawn(move || {
                let client = agent();
                let url = server.url("/hot");
                let mut newest = 0;
                let mut count = 0;
                // Bounded, in case the test fails without setting `stop`.
                while !stop.load(Ordering::Relaxed) && count < 100_000 {
                    count += 1;
                    let problem = match send(&client, "GET", &url, &[], None) {
                        Err(e) => Some(format!("no response: {e}")),
                        Ok(reply) => match version(&reply.body) {
                            _ if reply.status != 200 => {
                                Some(format!("status {}: {}", reply.status, reply.text()))
                            }
                            None => Some(format!("unexpected body {:?}", reply.text())),
                            // Requests from one client are sequential, so a
                            // newer deployment is never followed by an older one.
                            Some(v) if v < newest => Some(format!("v{v} after v{newest}")),
                            // Only the last good build answers while stale.
                            Some(v) if reply.header("x-wasmfaas-stale").is_some() && v != 5 => {
                                Some(format!("v{v} marked stale"))
                            }
                            Some(v) => {
                                newest = v;
                                None
                            }
                        },
                    };
                    if let Some(problem) = problem {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("thread {thread}: {problem}"));
                    }
                }
                *answered.lock().unwrap() += count;
            });
        }

        // The load threads stop when this does, even if an assertion fails.
        let _stop = StopOnDrop(&stop);
        let server = &server;
        let wait_for_version = |v: usize| {
            wait_for(&format!("GET /hot to answer v{v}"), || {
                let reply = server.get("/hot");
                (version(&reply.body) == Some(v)).then_some(reply)
            })
        };
        for v in 1..=5 {
            project.write("hot.wat", answering(&format!("v{v}")));
            let reply = wait_for_version(v);
            assert!(reply.header("x-wasmfaas-stale").is_none());
        }

        // A broken edit: v5 keeps answering, marked stale.
        let mark = server.stdout().len();
        project.write("hot.wat", BROKEN_WAT);
        server.wait_for_state("hot", "stale");
        let failed = server.wait_for_stdout(mark, "Failed");
        assert!(failed.contains("hot"), "{failed}");
        let reply = server.get("/hot");
        assert_eq!((reply.status, reply.text().as_str()), (200, "v5"));
        let stale = reply.header("x-wasmfaas-stale").expect("a stale marker");
        assert!(stale.contains("build failed"), "{stale}");

        // Fixed: the new code answers, unmarked.
        project.write("hot.wat", answering("v6"));
        let reply = wait_for_version(6);
        assert!(reply.header("x-wasmfaas-stale").is_none(), "{reply:?}");
        assert_eq!(server.state("hot").as_deref(), Some("ready"));
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} failed requests: {failures:#?}",
        failures.len()
    );
    assert!(answered.into_inner().unwrap() > 0);
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert_eq!(
        stopped.stdout.matches("Reloaded").count(),
        6,
        "{}",
        stopped.stdout
    );
}

#[test]
fn a_function_whose_first_build_fails_answers_503_with_the_error_until_fixed() {
    let config = "[project]\nname = \"first\"\n\n\
                  [functions.good]\nsource = \"good.wat\"\nroutes = [\"GET /good\"]\n\n\
                  [functions.broken]\nsource = \"broken.wat\"\nroutes = [\"GET /broken\"]\n";
    let project = TempProject::new(
        "first-build",
        &[
            ("wasmfaas.toml", config),
            ("good.wat", &answering("good")),
            ("broken.wat", BROKEN_WAT),
        ],
    );
    let server = DevServer::start(&project, &[]);
    assert_eq!(server.state("broken").as_deref(), Some("not_built"));
    assert_eq!(server.state("good").as_deref(), Some("ready"));
    assert!(server.stdout().contains("not built: requests get 503"));

    let reply = server.get("/broken");
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.header("x-wasmfaas-error"), Some("not_built"));
    assert_eq!(reply.header("x-wasmfaas-function"), Some("broken"));
    let text = reply.text();
    assert!(text.contains("no working build"), "{text}");
    // The compiler's error, with where it is.
    assert!(text.contains("broken.wat:2:"), "{text}");
    assert!(text.contains("i32.bogus"), "{text}");
    // The other function is unaffected.
    assert_eq!(server.get("/good").text(), "good");

    project.write("broken.wat", answering("fixed"));
    server.wait_for_state("broken", "ready");
    let reply = server.get("/broken");
    assert_eq!((reply.status, reply.text().as_str()), (200, "fixed"));
    assert!(reply.header("x-wasmfaas-stale").is_none());
    assert!(reply.header("x-wasmfaas-error").is_none());
}

/// A config for the `env` function with these routes and env table; an
/// `extra` line goes into its limits table.
fn env_config(routes: &[&str], env: &str, extra: &str) -> String {
    let routes: Vec<String> = routes.iter().map(|r| format!("\"GET {r}\"")).collect();
    format!(
        "[project]\nname = \"reload\"\n\n[functions.env]\nsource = \"env.wat\"\n\
         routes = [{}]\nenv = {{ {env} }}\n\n[functions.env.limits]\nfuel = 1000000\n{extra}",
        routes.join(", ")
    )
}

#[test]
fn a_config_change_applies_and_an_invalid_one_keeps_the_old_config_serving() {
    let project = TempProject::new(
        "config",
        &[
            (
                "wasmfaas.toml",
                &env_config(&["/env"], "GREETING = \"hi\"", ""),
            ),
            ("env.wat", &env_wat()),
        ],
    );
    let server = DevServer::start(&project, &[]);
    assert_eq!(server.get("/env").text(), "GREETING=hi\0");
    assert_eq!(server.get("/env2").status, 404);

    // A valid change: a new route and a new env table.
    let mark = server.stdout().len();
    project.write(
        "wasmfaas.toml",
        env_config(
            &["/env", "/env2"],
            "GREETING = \"hello\", MODE = \"dev\"",
            "",
        ),
    );
    wait_for("the new route", || {
        (server.get("/env2").status == 200).then_some(())
    });
    let reloaded = server.wait_for_stdout(mark, "env (routes, env)");
    assert!(reloaded.contains("Config wasmfaas.toml"), "{reloaded}");
    for path in ["/env", "/env2"] {
        let reply = server.get(path);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "GREETING=hello\0MODE=dev\0", "{path}");
    }

    // An invalid change (a misspelt key), which also adds a route and changes env.
    let invalid = env_config(
        &["/env", "/env2", "/env3"],
        "GREETING = \"bye\"",
        "fule = 5\n",
    );
    let line = invalid.lines().position(|l| l.starts_with("fule")).unwrap() + 1;
    let mark = server.stdout().len();
    project.write("wasmfaas.toml", &invalid);
    let rejected = server.wait_for_stdout(mark, &format!("wasmfaas.toml:{line}:1"));
    assert!(rejected.contains("is invalid"), "{rejected}");
    assert!(
        rejected.contains("previous config keeps serving"),
        "{rejected}"
    );
    assert!(server.stdout()[mark..].contains("did you mean `fuel`?"));
    // The old config still serves: its routes and env, not the new ones.
    assert_eq!(server.get("/env3").status, 404);
    assert_eq!(server.get("/env2").text(), "GREETING=hello\0MODE=dev\0");
    assert_eq!(server.state("env").as_deref(), Some("ready"));

    // Fixed: applied as a whole.
    project.write(
        "wasmfaas.toml",
        env_config(&["/env", "/env3"], "GREETING = \"bye\"", ""),
    );
    wait_for("the fixed config", || {
        (server.get("/env3").status == 200).then_some(())
    });
    assert_eq!(server.get("/env3").text(), "GREETING=bye\0");
    assert_eq!(server.get("/env2").status, 404);
}

/// `iterations` turns of a loop (7 fuel each), then 200 `slow done`.
fn slow_wat(iterations: u32) -> String {
    printing_wat(
        1,
        "{\"status\":200}\nslow done",
        &format!(
            "(local.set $i (i32.const {iterations}))
    (loop $spin
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $spin (local.get $i)))"
        ),
    )
    .replace(
        "(func (export \"_start\")",
        "(func (export \"_start\") (local $i i32)",
    )
}

#[test]
fn ctrl_c_lets_a_request_in_flight_finish_then_exits_0() {
    let config = "[project]\nname = \"stop\"\n\n[functions.slow]\nsource = \"slow.wat\"\n\
                  routes = [\"GET /slow\"]\n\n[functions.slow.limits]\n\
                  fuel = 1000000000000\ntimeout_ms = 60000\n";
    let project = TempProject::new(
        "stop",
        // About a second of work in a debug build.
        &[
            ("wasmfaas.toml", config),
            ("slow.wat", &slow_wat(1_000_000)),
        ],
    );
    let server = DevServer::start(&project, &["--no-watch"]);
    let idle = server.cpu_ticks();
    std::thread::scope(|scope| {
        let request = scope.spawn(|| send(&agent(), "GET", &server.url("/slow"), &[], None));
        // The server burns CPU only while the guest runs: once it has used
        // a few ticks the request is in flight.
        wait_for("the slow request to be running", || {
            assert!(
                !request.is_finished(),
                "the slow request ended before it could be interrupted; make it slower"
            );
            (server.cpu_ticks() >= idle + 3).then_some(())
        });
        server.interrupt();
        let reply = request
            .join()
            .unwrap()
            .expect("a response to the request in flight");
        assert_eq!((reply.status, reply.text().as_str()), (200, "slow done"));
    });
    let stopped = server.wait();
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    let out = &stopped.stdout;
    let stopping = out.find("Stopping").expect("a stopping notice");
    let logged = out.find(" 200 GET /slow").expect("the request's log line");
    let done = out.find("Stopped.").expect("a stopped notice");
    // The request ended after Ctrl-C was handled, and nothing was cut off.
    assert!(stopping < logged && logged < done, "{out}");
    assert!(!out.contains("cut off"), "{out}");
}

/// A file saved while the first builds run is rebuilt once they are done (the
/// watcher starts before them). With a Rust function, whose first build can
/// take a minute, saving a fix meanwhile is ordinary.
#[test]
fn an_edit_saved_during_the_first_build_is_not_lost() {
    // `late`'s build command waits for the test's go-ahead, holding the first
    // deployment open while `hot`, already built, is edited.
    let late = wat::parse_str(answering("late")).expect("valid WAT");
    let config = "[project]\nname = \"early\"\n\n\
                  [functions.hot]\nsource = \"hot.wat\"\nroutes = [\"GET /hot\"]\n\n\
                  [functions.late]\nsource = \"late.wasm\"\nroutes = [\"GET /late\"]\n\
                  build = \"while [ ! -e go ]; do sleep 0.01; done\"\n";
    let project = TempProject::new(
        "early-edit",
        &[("wasmfaas.toml", config), ("hot.wat", &answering("v0"))],
    );
    std::fs::write(project.path("late.wasm"), late).unwrap();
    let mut server = DevServer::spawn(&project, &[]);
    server.wait_for_stdout(0, "Building late");
    project.write("hot.wat", answering("v1"));
    std::fs::write(project.path("go"), "").unwrap();
    server.wait_until_serving();

    wait_for("the edit saved during the first build to answer", || {
        (server.get("/hot").text() == "v1").then_some(())
    });
}

/// A save while a build runs cancels that build (its result would be stale on
/// arrival) and builds again: the newer code answers without waiting for the
/// cancelled build, which here would take a minute.
#[test]
fn a_newer_edit_cancels_the_build_in_progress() {
    // The build command copies the version named in `version.txt` into place,
    // and takes 60 s when that version is `slow` (saying so in `target/`,
    // which the watcher ignores).
    let config = "[project]\nname = \"cancel\"\n\n\
                  [functions.svc]\nsource = \"out.wasm\"\nroutes = [\"GET /svc\"]\n\
                  build = \"if [ \\\"$(cat version.txt)\\\" = slow ]; then \
                  mkdir -p target; touch target/sleeping; sleep 60; fi; \
                  cp \\\"$(cat version.txt).wasm\\\" out.wasm\"\n";
    let project = TempProject::new(
        "cancel",
        &[("wasmfaas.toml", config), ("version.txt", "v1")],
    );
    for version in ["v1", "v2", "slow"] {
        let wasm = wat::parse_str(answering(version)).expect("valid WAT");
        std::fs::write(project.path(&format!("{version}.wasm")), wasm).unwrap();
    }
    let server = DevServer::start(&project, &[]);
    assert_eq!(server.get("/svc").text(), "v1");

    let mark = server.stdout().len();
    project.write("version.txt", "slow");
    wait_for("the slow build to be running", || {
        project.path("target/sleeping").exists().then_some(())
    });
    project.write("version.txt", "v2");
    let cancelled = server.wait_for_stdout(mark, "Cancelled");
    assert!(cancelled.contains("svc"), "{cancelled}");
    wait_for(
        "v2 to answer before the slow build could have ended",
        || (server.get("/svc").text() == "v2").then_some(()),
    );
    let stopped = server.stop();
    assert!(!stopped.stdout.contains("slow"), "{}", stopped.stdout);
}

/// A console nobody reads (a paused terminal, a pipe whose reader stopped)
/// neither stalls requests nor keeps Ctrl-C from ending the process: log
/// lines are dropped instead of piling up.
#[test]
fn an_unread_console_does_not_stall_requests_or_shutdown() {
    use common::dev_server::{RawConnection, serving_address};
    use std::io::BufRead;
    let config = "[project]\nname = \"quiet\"\n\n[functions.hot]\nsource = \"hot.wat\"\n\
                  routes = [\"GET /hot\"]\n";
    let project = TempProject::new(
        "unread",
        &[("wasmfaas.toml", config), ("hot.wat", &answering("ok"))],
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(["dev", "--port", "0", "--s3-port", "0", "--no-watch"])
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the wasmfaas binary starts");
    // Read up to the banner's URL, then never again.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let address = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no URL in {seen}");
        seen.push_str(&line);
        if let Some(address) = serving_address(&seen) {
            break address;
        }
    };
    // Far more log than a pipe and the console's buffer hold.
    let mut connection = RawConnection::open(address);
    for _ in 0..4000 {
        let reply = connection.exchange(b"GET /hot HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert_eq!((reply.status, reply.text().as_str()), (200, "ok"));
    }
    // SAFETY: `kill` has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = wait_for("wasmfaas dev to exit after Ctrl-C", || {
        child.try_wait().expect("waiting for the child")
    });
    assert_eq!(status.code(), Some(0));
    drop(stdout);
}

/// Waits until `count` stops changing for `quiet` (bounded by a minute), and
/// returns its last value: how many builds a project settles at.
fn settled(quiet: std::time::Duration, mut count: impl FnMut() -> usize) -> usize {
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut last = count();
    let mut since = std::time::Instant::now();
    while since.elapsed() < quiet && std::time::Instant::now() < give_up {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let now = count();
        if now != last {
            last = now;
            since = std::time::Instant::now();
        }
    }
    last
}

/// Regression: a `c-cgi` project (`source = "app.wasm"`, a plain-string
/// `build` that writes it) rebuilt forever under `dev` with no edit: the
/// build's own output counted as a change. Here the command also writes a
/// by-product whose content differs every run and a temporary file it then
/// deletes, all in the watched function folder; the builds still settle, and
/// a real edit still rebuilds once.
#[test]
fn a_custom_build_never_triggers_itself() {
    let config = "[project]\nname = \"selfish\"\n\n\
                  [functions.f]\nsource = \"fn/app.wasm\"\nroutes = [\"GET /f\"]\n\
                  build = \"echo run >> ../builds.log; date +%s%N > stamp.txt; \
                  echo x > scratch.$$; rm scratch.$$; cp src.wasm app.wasm\"\n";
    let project = TempProject::new("selfish", &[("wasmfaas.toml", config)]);
    let module = |body: &str| wat::parse_str(answering(body)).expect("valid WAT");
    project.write("fn/src.wasm", module("v0"));
    let builds =
        || std::fs::read_to_string(project.path("builds.log")).map_or(0, |log| log.lines().count());
    let server = DevServer::start(&project, &[]);
    assert_eq!(server.get("/f").text(), "v0");
    let quiet = std::time::Duration::from_secs(3);
    // The first build, and at most one more before `stamp.txt` is known for
    // a by-product (it could have been a person's save during the build).
    let at_start = settled(quiet, builds);
    assert!(
        (1..=2).contains(&at_start),
        "{at_start} builds with no edit"
    );

    project.write("fn/src.wasm", module("v1"));
    wait_for("the edit to answer", || {
        (server.get("/f").text() == "v1").then_some(())
    });
    let after_edit = settled(quiet, builds);
    assert!(
        (at_start + 1..=at_start + 2).contains(&after_edit),
        "{at_start} builds, then {after_edit} after one edit"
    );
    // Once known, the by-product never starts a build again.
    project.write("fn/src.wasm", module("v2"));
    wait_for("the second edit to answer", || {
        (server.get("/f").text() == "v2").then_some(())
    });
    assert_eq!(settled(quiet, builds), after_edit + 1);
    let stopped = server.stop();
    assert!(
        stopped
            .stdout
            .contains("stamp.txt is written by its own build"),
        "{}",
        stopped.stdout
    );
}

#[test]
fn a_function_nothing_reaches_is_not_counted_as_served_and_is_named() {
    let config = "[project]\nname = \"reach\"\n\n\
                  [functions.routed]\nsource = \"routed.wat\"\nroutes = [\"GET /routed\"]\n\n\
                  [functions.orphan]\nsource = \"orphan.wat\"\n";
    let project = TempProject::new(
        "unreachable",
        &[
            ("wasmfaas.toml", config),
            ("routed.wat", &answering("routed")),
            ("orphan.wat", &answering("orphan")),
        ],
    );
    let server = DevServer::start(&project, &["--no-watch"]);
    let banner = server.wait_for_stdout(0, "Serving");
    assert!(banner.contains("reach · 1 function\n"), "{banner}");
    assert!(
        banner.contains("warning: `orphan` has no route and no trigger"),
        "{banner}"
    );
    assert!(!banner.contains("`routed` has no route"), "{banner}");
    server.stop();
}
