//! The dashboard's view of the activity stream: the last [`RECENT`]
//! invocations, and the live streams (browser tabs) each new one goes to.
//!
//! [`Hub::observe`] runs on the activity tee's thread (see
//! [`crate::activity::ActivityFeed::tee`]), never on a request's: a request
//! pays only its `try_send` into the activity channel, as before. Each tab
//! has its own bounded queue; a tab too slow to take an event loses it (and
//! is told how many it lost), rather than holding memory or the tee.

use crate::activity::{Activity, RequestRecord};
use crate::cost::{self, Estimate};
use crate::deployment::Live;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::UNIX_EPOCH;

/// Invocations held for `/__wasmfaas/api/invocations` and a new tab's first
/// render. Each is a few hundred bytes plus its log (cut to [`LOG_BYTES`]),
/// so the ring holds at most ~2.5 MiB.
pub const RECENT: usize = 500;

/// A function's log kept with its invocation, at most.
pub const LOG_BYTES: usize = 4 * 1024;

/// Events queued for one tab before newer ones are dropped for it: a
/// stream writes every 20 ms (`sse::COALESCE`), and 1,024 events of about
/// 500 bytes cover 50,000 requests a second between two writes.
pub const TAB_BACKLOG: usize = 1024;

/// One answered request, as the dashboard shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Invocation {
    /// Increasing from 1 for the run; the page's key.
    pub id: u64,
    /// RFC 3339, UTC.
    pub time: String,
    pub method: String,
    pub target: String,
    pub function: Option<String>,
    pub status: u16,
    pub elapsed_ms: f64,
    pub fuel: Option<u64>,
    pub peak_memory_bytes: Option<u64>,
    pub error: Option<String>,
    /// The function's latest build failed; older code answered.
    pub stale: bool,
    /// The function's log, lossily decoded, cut to [`LOG_BYTES`].
    pub logs: String,
    /// What it would cost in the cloud, when a function ran.
    pub cost: Option<Estimate>,
}

/// What the dashboard knows of the run, shared by the tee and the handlers.
#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
    /// Set once the first deployment is live; estimates need each
    /// function's memory.
    live: OnceLock<Arc<Live>>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    recent: VecDeque<Arc<Invocation>>,
    tabs: Vec<Tab>,
}

struct Tab {
    sender: SyncSender<Arc<str>>,
    /// Events dropped since the last one delivered.
    lost: u64,
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        Arc::new(Hub::default())
    }

    /// Gives estimates the deployment's functions (their `memory_mb`).
    pub fn set_live(&self, live: Arc<Live>) {
        let _ = self.live.set(live);
    }

    /// Takes one report from the activity stream.
    pub fn observe(&self, activity: &Activity) {
        match activity {
            Activity::Request(record) => self.add(record),
            Activity::Swapped { function, .. } => self.broadcast("build", function),
            Activity::BuildFailed { function, .. } => self.broadcast("build", function),
            Activity::ConfigReloaded { .. } => self.broadcast("build", ""),
            _ => {}
        }
    }

    fn add(&self, record: &RequestRecord) {
        let memory_mb = record.function.as_deref().and_then(|name| {
            let deployment = self.live.get()?.snapshot();
            let deployed = deployment.functions.get(name)?;
            Some(cost::memory_mb(deployed.function.limits.memory_bytes))
        });
        let mut inner = lock(&self.inner);
        inner.next_id += 1;
        let invocation = Arc::new(view(inner.next_id, record, memory_mb));
        if inner.recent.len() == RECENT {
            inner.recent.pop_front();
        }
        inner.recent.push_back(Arc::clone(&invocation));
        if !inner.tabs.is_empty() {
            let data = serde_json::to_string(&*invocation).unwrap_or_default();
            send_all(&mut inner.tabs, "invocation", &data);
        }
    }

    fn broadcast(&self, event: &str, function: &str) {
        let data = serde_json::json!({ "function": function }).to_string();
        send_all(&mut lock(&self.inner).tabs, event, &data);
    }

    /// A new tab's queue of events, as SSE frames.
    pub fn subscribe(&self) -> Receiver<Arc<str>> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(TAB_BACKLOG);
        lock(&self.inner).tabs.push(Tab { sender, lost: 0 });
        receiver
    }

    /// The invocations held, oldest first, that `keep` accepts.
    pub fn recent(&self, keep: impl Fn(&Invocation) -> bool) -> Vec<Arc<Invocation>> {
        let inner = lock(&self.inner);
        inner
            .recent
            .iter()
            .filter(|invocation| keep(invocation))
            .cloned()
            .collect()
    }
}

/// Queues one SSE frame for every tab; forgets tabs that have closed.
fn send_all(tabs: &mut Vec<Tab>, event: &str, data: &str) {
    let frame: Arc<str> = Arc::from(format!("event: {event}\ndata: {data}\n\n"));
    tabs.retain_mut(|tab| {
        let frame = if tab.lost > 0 {
            // The page reloads the list when told it missed events.
            Arc::from(format!("event: lost\ndata: {}\n\n{frame}", tab.lost))
        } else {
            Arc::clone(&frame)
        };
        match tab.sender.try_send(frame) {
            Ok(()) => {
                tab.lost = 0;
                true
            }
            Err(TrySendError::Full(_)) => {
                tab.lost += 1;
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    });
}

fn view(id: u64, record: &RequestRecord, memory_mb: Option<u64>) -> Invocation {
    let time_ns = record
        .at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    let logs = &record.logs[..record.logs.len().min(LOG_BYTES)];
    let fuel = record.usage.as_ref().map(|usage| usage.fuel);
    Invocation {
        id,
        time: crate::calendar::rfc3339_ns(time_ns),
        method: record.method.clone(),
        target: record.target.clone(),
        function: record.function.clone(),
        status: record.status,
        elapsed_ms: record.elapsed.as_secs_f64() * 1e3,
        fuel,
        peak_memory_bytes: record.usage.as_ref().map(|usage| usage.peak_memory_bytes),
        error: record.error.clone(),
        stale: record.stale,
        logs: String::from_utf8_lossy(logs).into_owned(),
        cost: fuel.map(|fuel| cost::estimate(fuel, memory_mb.unwrap_or(128))),
    }
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    // Every change leaves the ring and the tab list whole.
    inner
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Usage;
    use std::time::{Duration, SystemTime};

    fn request(target: &str, status: u16, fuel: Option<u64>) -> Activity {
        Activity::Request(RequestRecord {
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            status,
            method: "GET".into(),
            target: target.into(),
            function: fuel.map(|_| "hello".into()),
            usage: fuel.map(|fuel| Usage {
                fuel,
                peak_memory_bytes: 65536,
                wall: Duration::from_millis(1),
            }),
            elapsed: Duration::from_millis(2),
            logs: b"said hi\n".to_vec(),
            error: None,
            stale: false,
        })
    }

    #[test]
    fn the_ring_keeps_the_last_500_oldest_first() {
        let hub = Hub::new();
        for n in 0..RECENT + 7 {
            hub.observe(&request(&format!("/{n}"), 200, None));
        }
        let recent = hub.recent(|_| true);
        assert_eq!(recent.len(), RECENT);
        assert_eq!(recent[0].target, "/7");
        assert_eq!(recent[0].id, 8);
        assert_eq!(recent[RECENT - 1].target, format!("/{}", RECENT + 6));
    }

    #[test]
    fn an_invocation_carries_usage_and_its_estimate() {
        let hub = Hub::new();
        hub.observe(&request("/hello", 200, Some(1_000_000)));
        let invocation = &hub.recent(|_| true)[0];
        assert_eq!(invocation.fuel, Some(1_000_000));
        assert_eq!(invocation.peak_memory_bytes, Some(65536));
        assert_eq!(invocation.time, "2023-11-14T22:13:20Z");
        assert_eq!(invocation.logs, "said hi\n");
        assert_eq!(invocation.cost, Some(cost::estimate(1_000_000, 128)));
    }

    #[test]
    fn every_tab_gets_each_invocation_as_an_sse_frame() {
        let hub = Hub::new();
        let (a, b) = (hub.subscribe(), hub.subscribe());
        hub.observe(&request("/x", 404, None));
        for tab in [a, b] {
            let frame = tab.try_recv().unwrap();
            assert!(frame.starts_with("event: invocation\ndata: {\"id\":1,"));
            assert!(frame.contains("\"target\":\"/x\""));
            assert!(frame.ends_with("\n\n"));
        }
    }

    #[test]
    fn a_slow_tab_loses_events_and_is_told_how_many() {
        let hub = Hub::new();
        let tab = hub.subscribe();
        for n in 0..TAB_BACKLOG + 3 {
            hub.observe(&request(&format!("/{n}"), 200, None));
        }
        // The queue is full; three were lost. Make room, then one more.
        assert_eq!(tab.try_iter().count(), TAB_BACKLOG);
        hub.observe(&request("/late", 200, None));
        let frame = tab.try_recv().unwrap();
        assert!(frame.starts_with("event: lost\ndata: 3\n\n"), "{frame}");
        assert!(frame.contains("\"target\":\"/late\""));
        // The ring itself lost nothing.
        assert_eq!(hub.recent(|_| true).len(), (TAB_BACKLOG + 4).min(RECENT));
    }

    #[test]
    fn a_closed_tab_is_forgotten() {
        let hub = Hub::new();
        drop(hub.subscribe());
        hub.observe(&request("/x", 200, None));
        assert!(lock(&hub.inner).tabs.is_empty());
    }
}
