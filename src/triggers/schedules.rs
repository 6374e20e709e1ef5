//! Firing schedule triggers (`schedule = "rate(5 minutes)"` or
//! `"cron(0 12 * * ? *)"`) while `wasmfaas dev` runs, with the event an
//! EventBridge rule sends (or the trigger's `input` instead, as AWS does).
//!
//! One thread sleeps until the earliest next firing of any schedule in the
//! deployment being served, fires every schedule due, and looks again. It
//! wakes at least once a second, so a reload that adds, changes or removes
//! a schedule takes effect without a restart. Rates count from when the
//! server started, as an AWS rate counts from when its rule was created.

use crate::abi::Input;
use crate::aws::ids::IdSource;
use crate::config::{ScheduleTrigger, Trigger};
use crate::deployment::{Deployed, Deployment, Live};
use crate::pipeline::{Call, Line, Pipeline};
use crate::runtime::Context;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest the scheduler sleeps before looking at the deployment again.
const LOOK_AGAIN: Duration = Duration::from_secs(1);

/// The event a schedule trigger delivers when it fires at `time_ns`: its
/// `input` if set, else the `Scheduled Event`, whose id follows from `seed`.
pub fn event(trigger: &ScheduleTrigger, time_ns: u64, seed: u64) -> Value {
    if let Some(input) = &trigger.input {
        // Checked to be JSON when the config was read.
        if let Ok(value) = serde_json::from_str(input) {
            return value;
        }
    }
    crate::aws::schedule::event(&trigger.name, time_ns, &IdSource::new(seed).uuid())
}

/// Starts the scheduler; it runs for the life of the process, firing
/// through `pipeline`.
pub fn spawn(live: Arc<Live>, pipeline: Pipeline) {
    let anchor_ns = now_ns();
    let spawned = std::thread::Builder::new()
        .name("schedules".into())
        .spawn(move || {
            // The next firing per (function, rule), so a firing is never
            // repeated and one missed while the machine slept is fired once.
            let mut due: HashMap<(String, String), u64> = HashMap::new();
            loop {
                let deployment = live.snapshot();
                let now = now_ns();
                let mut earliest = now.saturating_add(LOOK_AGAIN.as_nanos() as u64);
                let mut seen = Vec::new();
                for deployed in deployment.functions.values() {
                    for trigger in &deployed.function.triggers {
                        let Trigger::Schedule(schedule) = trigger else {
                            continue;
                        };
                        let key = (deployed.function.name.clone(), schedule.name.clone());
                        let next = *due.entry(key.clone()).or_insert_with(|| {
                            schedule
                                .schedule
                                .next_after(anchor_ns, now)
                                .unwrap_or(u64::MAX)
                        });
                        if next <= now {
                            fire(&deployment, deployed, schedule, next, &pipeline);
                            let after = schedule.schedule.next_after(anchor_ns, now);
                            due.insert(key.clone(), after.unwrap_or(u64::MAX));
                        }
                        earliest = earliest.min(due[&key]);
                        seen.push(key);
                    }
                }
                // Schedules removed by a reload are forgotten.
                due.retain(|key, _| seen.contains(key));
                let wait = earliest.saturating_sub(now_ns());
                std::thread::sleep(Duration::from_nanos(wait).min(LOOK_AGAIN));
            }
        });
    if let Err(error) = spawned {
        eprintln!("wasmfaas: schedules will not fire: cannot start their thread: {error}");
    }
}

/// Runs `deployed` for one firing of `schedule` at `time_ns`.
fn fire(
    deployment: &Deployment,
    deployed: &Arc<Deployed>,
    schedule: &ScheduleTrigger,
    time_ns: u64,
    pipeline: &Pipeline,
) {
    let function = &deployed.function;
    let target = format!("schedule {} {}", schedule.name, schedule.expression);
    let Some(module) = &deployed.module else {
        pipeline.notice(format!(
            "{:>12} {target}: `{}` has no working build",
            "Skipped", function.name
        ));
        return;
    };
    // The virtual clock reads the firing time, as the event says.
    let context = Context {
        start_time_ns: time_ns,
        ..Context::live()
    };
    let payload = event(schedule, time_ns, context.seed);
    let input = Input::Event {
        source: "schedule",
        payload: &payload,
    };
    let line = Line::starting("EVENT", target);
    pipeline.run(Call::of_deployed(
        deployment, deployed, module, input, context, line,
    ));
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
