//! wasmfaas patch: request bodies read on the connection's own thread, before
//! the request is queued to the workers, and the clock that bounds every read.
//!
//! Upstream hands a request to the application with its body still on the
//! socket, so whoever reads it (a worker) waits as long as the client likes:
//! eight clients announcing a body and sending nothing stopped a server with
//! eight workers. Here a body is read completely first, up to a limit the
//! application gives from the head; small bodies stay in memory and larger
//! ones go to an unlinked temporary file, so neither a slow client nor a
//! large upload holds a worker or the server's memory.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A complete request body, read ahead of the request being handled.
pub(crate) enum SpooledBody {
    Memory(Cursor<Vec<u8>>),
    File(BufReader<File>),
}

impl Read for SpooledBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            SpooledBody::Memory(bytes) => bytes.read(buf),
            SpooledBody::File(file) => file.read(buf),
        }
    }
}

/// Why a body could not be read ahead.
#[derive(Debug)]
pub(crate) enum SpoolError {
    /// More than the limit arrived.
    TooLarge,
    /// Reading from the client failed (timed out, reset, bad chunking).
    Source(io::Error),
    /// The temporary file for a large body could not be made or written.
    Spill(io::Error),
}

/// Bytes asked of the client per read.
const CHUNK: usize = 16 * 1024;

/// Reads all of `source`, refusing more than `limit` bytes: up to
/// `in_memory` bytes are kept in memory, a larger body goes to an unlinked
/// temporary file in `spill_dir`.
pub(crate) fn spool(
    source: &mut dyn Read,
    limit: u64,
    in_memory: usize,
    spill_dir: &Path,
    expected: Option<usize>,
) -> Result<(SpooledBody, u64), SpoolError> {
    let mut memory = Vec::with_capacity(expected.unwrap_or(0).min(in_memory));
    let mut file: Option<BufWriter<File>> = None;
    let mut total: u64 = 0;
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let read = match source.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(SpoolError::Source(e)),
        };
        total += read as u64;
        if total > limit {
            return Err(SpoolError::TooLarge);
        }
        if file.is_none() && memory.len() + read > in_memory {
            let spill = tempfile::tempfile_in(spill_dir).map_err(SpoolError::Spill)?;
            let mut spill = BufWriter::with_capacity(64 * 1024, spill);
            spill.write_all(&memory).map_err(SpoolError::Spill)?;
            memory = Vec::new();
            file = Some(spill);
        }
        match &mut file {
            Some(spill) => spill.write_all(&chunk[..read]).map_err(SpoolError::Spill)?,
            None => memory.extend_from_slice(&chunk[..read]),
        }
    }
    let body = match file {
        None => SpooledBody::Memory(Cursor::new(memory)),
        Some(spill) => {
            let mut spill = spill.into_inner().map_err(|e| SpoolError::Spill(e.into_error()))?;
            spill.seek(SeekFrom::Start(0)).map_err(SpoolError::Spill)?;
            SpooledBody::File(BufReader::with_capacity(64 * 1024, spill))
        }
    };
    Ok((body, total))
}

/// A request body the server refused to read because it is over the limit
/// given for the request: every read fails with [`crate::BodyTooLarge`].
pub(crate) struct RefusedBody {
    pub(crate) limit: u64,
}

impl Read for RefusedBody {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            crate::BodyTooLarge { limit: self.limit },
        ))
    }
}

/// How long the next read from a client may wait: while a head is awaited,
/// what is left of one deadline for the whole head (so a client cannot keep
/// a connection by sending a byte now and then); while a body is read, a
/// fixed time per read.
#[derive(Default)]
pub(crate) struct ReadClock {
    state: Mutex<ClockState>,
}

#[derive(Default)]
struct ClockState {
    head_deadline: Option<Instant>,
    per_read: Option<Duration>,
    /// The per-read timeout last set on the socket, to set it only on change.
    applied: Option<Option<Duration>>,
}

impl ReadClock {
    /// The whole next head must arrive within `within`.
    pub(crate) fn await_head(&self, within: Option<Duration>) {
        let mut state = self.lock();
        state.head_deadline = within.map(|within| Instant::now() + within);
        state.per_read = None;
    }

    /// Each read of a body may wait up to `per_read`.
    pub(crate) fn await_body(&self, per_read: Option<Duration>) {
        let mut state = self.lock();
        state.head_deadline = None;
        state.per_read = per_read;
    }

    /// The timeout to set on the socket before the next read, if it must
    /// change; an error when the head's deadline has passed.
    pub(crate) fn before_read(&self) -> io::Result<Option<Option<Duration>>> {
        let mut state = self.lock();
        let timeout = match state.head_deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request head did not arrive in time",
                    ));
                }
                Some(left)
            }
            None => state.per_read,
        };
        if state.head_deadline.is_none() && state.applied == Some(timeout) {
            return Ok(None);
        }
        state.applied = Some(timeout);
        Ok(Some(timeout))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_body_stays_in_memory_and_a_large_one_spills() {
        let dir = std::env::temp_dir();
        let (body, size) = spool(&mut &b"hello"[..], 100, 10, &dir, Some(5)).unwrap();
        assert!(matches!(body, SpooledBody::Memory(_)));
        assert_eq!(size, 5);
        let large = vec![7u8; 50_000];
        let (mut body, size) = spool(&mut &large[..], 100_000, 1000, &dir, None).unwrap();
        assert!(matches!(body, SpooledBody::File(_)));
        assert_eq!(size, 50_000);
        let mut back = Vec::new();
        body.read_to_end(&mut back).unwrap();
        assert_eq!(back, large);
    }

    #[test]
    fn a_body_over_the_limit_is_refused() {
        let dir = std::env::temp_dir();
        let result = spool(&mut &[1u8; 101][..], 100, 1000, &dir, None);
        assert!(matches!(result, Err(SpoolError::TooLarge)));
    }
}
