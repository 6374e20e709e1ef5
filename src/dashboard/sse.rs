//! `/__wasmfaas/api/events`: the live stream of invocations a tab listens
//! to (server-sent events).
//!
//! The gateway has about one worker per core, and a stream lasts as long as
//! the tab is open: a worker holding one would serve nothing else. So a
//! stream is handed to a thread of its own at once: the worker writes
//! nothing, takes the connection's writer out of the request (tiny_http's
//! `into_writer`) and returns to its queue. At most [`MAX_STREAMS`] streams
//! run at once; one more is answered 503. A stream ends when its tab goes
//! away (a write fails: the heartbeat finds a silent one within
//! [`HEARTBEAT`]) or the hub forgets it.

use super::hub::Hub;
use super::reply::Answer;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// Streams served at once: a few tabs, with room for a reload while the old
/// tab's connection is still being noticed as gone.
pub const MAX_STREAMS: usize = 8;

/// A stream writes at most this often: events that arrive meanwhile are
/// queued and sent together, so a busy server costs each tab about 50
/// writes a second rather than one per request (one per request, two tabs
/// cost `GET /hello` a quarter of its rate in `benches/dashboard.rs`).
pub const COALESCE: Duration = Duration::from_millis(20);

/// Bytes of queued events sent in one write, at most.
const BATCH_BYTES: usize = 256 * 1024;

/// How often an idle stream sends a comment, so a closed tab is noticed
/// (its write fails) and proxies do not time the stream out.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// The streams running, shared by the handlers.
#[derive(Debug, Default)]
pub struct Streams {
    open: Arc<AtomicUsize>,
}

/// Gives one back when its stream's thread ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Streams {
    /// How many streams are running now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Starts streaming `hub`'s events to `request` on a new thread, or
    /// answers 503 if [`MAX_STREAMS`] are running. Returns at once.
    pub fn start(&self, request: tiny_http::Request, hub: &Hub) {
        let taken = self
            .open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < MAX_STREAMS).then_some(open + 1)
            });
        if taken.is_err() {
            return Answer::error(
                503,
                format!(
                    "{MAX_STREAMS} dashboard tabs are already streaming live invocations; close \
                     one (or wait a few seconds for a closed one to be noticed) and reload"
                ),
            )
            .with_header("retry-after", "5".into())
            .send(request);
        }
        let slot = Slot(Arc::clone(&self.open));
        let events = hub.subscribe();
        let spawned = std::thread::Builder::new()
            .name("dashboard-sse".into())
            .spawn(move || {
                let _slot = slot;
                let mut writer = request.into_writer();
                let head = "HTTP/1.1 200 OK\r\n\
                            Content-Type: text/event-stream\r\n\
                            Cache-Control: no-store\r\n\
                            X-Content-Type-Options: nosniff\r\n\
                            Connection: close\r\n\r\n\
                            retry: 2000\n\n";
                if writer
                    .write_all(head.as_bytes())
                    .and_then(|()| writer.flush())
                    .is_err()
                {
                    return;
                }
                loop {
                    let mut batch = match events.recv_timeout(HEARTBEAT) {
                        Ok(frame) => String::from(&*frame),
                        Err(RecvTimeoutError::Timeout) => ": heartbeat\n\n".to_string(),
                        Err(RecvTimeoutError::Disconnected) => return,
                    };
                    // Everything queued since goes in the same write.
                    while batch.len() < BATCH_BYTES {
                        match events.try_recv() {
                            Ok(frame) => batch.push_str(&frame),
                            Err(_) => break,
                        }
                    }
                    if writer
                        .write_all(batch.as_bytes())
                        .and_then(|()| writer.flush())
                        .is_err()
                    {
                        return;
                    }
                    std::thread::sleep(COALESCE);
                }
            });
        // No thread: the slot and the request were dropped with the closure,
        // and tiny_http answers a dropped request with 500.
        drop(spawned);
    }
}
