//! In-memory output pipes with a hard cap.
//!
//! A guest that writes without end must be stopped at the cap, not after it has
//! filled the host's memory: the write that would cross the cap fails the whole
//! invocation with [`OutputLimitExceeded`].

use std::fmt;

/// Which standard stream a pipe stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        })
    }
}

/// Bytes a guest wrote to one stream.
#[derive(Debug)]
pub struct OutputPipe {
    stream: Stream,
    limit: u64,
    bytes: Vec<u8>,
}

/// A guest tried to write more than its config allows to a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLimitExceeded {
    pub stream: Stream,
    pub limit: u64,
}

impl fmt::Display for OutputLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the function wrote more than {} bytes to {}",
            self.limit, self.stream
        )
    }
}

impl std::error::Error for OutputLimitExceeded {}

impl OutputPipe {
    /// An empty pipe accepting at most `limit` bytes.
    pub fn new(stream: Stream, limit: u64) -> OutputPipe {
        OutputPipe {
            stream,
            limit,
            bytes: Vec::new(),
        }
    }

    /// Appends `data`, or fails without appending if that would cross the cap.
    ///
    /// # Errors
    /// [`OutputLimitExceeded`] when the pipe would hold more than its limit.
    pub fn write(&mut self, data: &[u8]) -> Result<(), OutputLimitExceeded> {
        if self.bytes.len() as u64 + data.len() as u64 > self.limit {
            return Err(OutputLimitExceeded {
                stream: self.stream,
                limit: self.limit,
            });
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    /// Everything written so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes the bytes out, leaving the pipe empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}
