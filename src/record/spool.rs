//! The recording spool: an append-only file between the request path and
//! the fixture files.
//!
//! Writing a fixture file costs a file creation and a rename, 30 µs or more
//! of kernel time, which at full load is a tenth or more of a request. So
//! fixtures are first appended to one spool file (an `append` per batch, a
//! few µs per fixture), and a second thread running only when a core would
//! otherwise idle turns each into its file. Under a load that keeps every
//! core busy, the spool grows and the files appear when the load stops;
//! nothing is dropped. The spool is emptied whenever every fixture in it has
//! its file, and one left by a killed server is written out at the next start.
//!
//! A record is a header line `fixture <function> <slug> <length>\n` and then
//! `length` bytes of fixture text. Function names and slugs never contain
//! spaces or newlines (config names and [`Fixture::slug`]), so the header is
//! unambiguous. Once a record's file is written, its first word is
//! overwritten in place with `written` (same length), so a spool left by a
//! killed server is not written out twice.
//!
//! [`Fixture::slug`]: crate::fixture::Fixture::slug

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

/// One fixture waiting in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub function: String,
    pub slug: String,
    pub text: String,
    /// Where its record starts, for [`Reader::mark_written`].
    offset: u64,
}

/// The first word of a record waiting for its file, and of one that has it.
const WAITING: &[u8; 7] = b"fixture";
const DONE: &[u8; 7] = b"written";

/// How far the spool has been written and read; both reset to 0 when the
/// file is emptied.
#[derive(Debug, Default)]
struct Progress {
    written: u64,
    read: u64,
    /// Bumped on each emptying, so the reader knows to start again at 0.
    generation: u64,
    closed: bool,
}

/// Shared between the appending and the reading side.
#[derive(Debug, Default)]
struct Shared {
    progress: Mutex<Progress>,
    wake: Condvar,
}

/// Opens the spool at `path`, keeping what a previous run left in it, and
/// locks it for this process (the lock goes with the process, however it
/// ends, which is how a spool whose server was killed is told apart).
///
/// # Errors
/// The file cannot be created or opened, or another process holds it
/// (`ErrorKind::WouldBlock`).
pub fn open(path: &Path) -> io::Result<(Appender, Reader)> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    lock(&file)?;
    let left = file.metadata()?.len();
    let shared = Arc::new(Shared::default());
    shared.progress.lock().expect("fresh lock").written = left;
    let reader_file = OpenOptions::new().read(true).write(true).open(path)?;
    Ok((
        Appender {
            file,
            buffer: Vec::new(),
            shared: Arc::clone(&shared),
        },
        Reader {
            file: BufReader::new(reader_file),
            position: 0,
            path: path.to_path_buf(),
            generation: 0,
            shared,
        },
    ))
}

/// Takes the process's exclusive lock on `file`, without waiting.
fn lock(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a descriptor this function borrows; no memory is shared.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    let _ = file;
    Ok(())
}

/// The writing side: [`Appender::push`] buffers, [`Appender::flush`] appends.
#[derive(Debug)]
pub struct Appender {
    file: File,
    buffer: Vec<u8>,
    shared: Arc<Shared>,
}

impl Appender {
    /// Adds one fixture to the next flush.
    pub fn push(&mut self, function: &str, slug: &str, text: &str) {
        self.buffer
            .extend_from_slice(format!("fixture {function} {slug} {}\n", text.len()).as_bytes());
        self.buffer.extend_from_slice(text.as_bytes());
    }

    /// Appends what was pushed, in one write, and wakes the reader.
    ///
    /// # Errors
    /// The write failed; the pushed fixtures are lost (and counted by the caller).
    pub fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        // Held across the write: the reader empties the file under it.
        let mut progress = self.shared.progress.lock().expect("spool lock");
        let result = self
            .file
            .seek(SeekFrom::Start(progress.written))
            .and_then(|_| self.file.write_all(&self.buffer));
        let appended = self.buffer.len() as u64;
        self.buffer.clear();
        result?;
        progress.written += appended;
        self.shared.wake.notify_one();
        Ok(())
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        let _ = self.flush();
        let mut progress = self.shared.progress.lock().expect("spool lock");
        progress.closed = true;
        self.shared.wake.notify_one();
    }
}

/// The reading side, in its own thread.
#[derive(Debug)]
pub struct Reader {
    file: BufReader<File>,
    /// Offset in the file of the next byte `file` yields.
    position: u64,
    path: PathBuf,
    generation: u64,
    shared: Arc<Shared>,
}

/// What [`Reader::wait_next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Entry(Entry),
    /// The rest of the spool is not a record (a crash cut one short); it is
    /// skipped. Holds the number of bytes skipped.
    Damaged(u64),
}

impl Reader {
    /// Blocks until a fixture without its file is in the spool and returns
    /// it with how many more bytes are waiting after it; `None` once the
    /// appender is gone and everything is read.
    pub fn wait_next(&mut self) -> Option<(Next, u64)> {
        loop {
            let shared = Arc::clone(&self.shared);
            let (start, end) = {
                let mut progress = shared.progress.lock().expect("spool lock");
                loop {
                    if progress.generation != self.generation {
                        self.generation = progress.generation;
                        self.seek(0);
                    }
                    if progress.read < progress.written {
                        break (progress.read, progress.written);
                    }
                    if progress.closed {
                        return None;
                    }
                    progress = shared.wake.wait(progress).expect("spool lock");
                }
            };
            if self.position != start {
                self.seek(start);
            }
            let (found, used) = match self.read_entry(start, end - start) {
                Ok((first, entry, used)) => {
                    let done = &first == DONE;
                    ((!done).then_some(Next::Entry(entry)), used)
                }
                Err(_) => (Some(Next::Damaged(end - start)), end - start),
            };
            let mut progress = self.shared.progress.lock().expect("spool lock");
            progress.read += used;
            let waiting = progress.written - progress.read;
            drop(progress);
            match found {
                Some(Next::Damaged(bytes)) => {
                    self.empty_if_done();
                    return Some((Next::Damaged(bytes), waiting));
                }
                Some(next) => return Some((next, waiting)),
                // Written out before a restart: skipped.
                None => self.empty_if_done(),
            }
        }
    }

    /// Records that `entry`'s file is written, and empties the spool when
    /// it was the last one waiting.
    ///
    /// # Errors
    /// The mark could not be written; the entry may be written out again if
    /// the server is killed before the spool is emptied.
    pub fn mark_written(&mut self, entry: &Entry) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let marked = self.file.get_ref().write_all_at(DONE, entry.offset);
        self.empty_if_done();
        marked
    }

    /// Empties the file when everything in it has been read and written out.
    fn empty_if_done(&mut self) {
        let shared = Arc::clone(&self.shared);
        let mut progress = shared.progress.lock().expect("spool lock");
        if progress.read == progress.written
            && progress.written > 0
            && self.file.get_ref().set_len(0).is_ok()
        {
            progress.written = 0;
            progress.read = 0;
            progress.generation += 1;
            self.generation = progress.generation;
            self.seek(0);
        }
    }

    fn seek(&mut self, offset: u64) {
        // Seeking a BufReader drops what it had buffered.
        if self.file.seek(SeekFrom::Start(offset)).is_ok() {
            self.position = offset;
        }
    }

    /// Reads one record at `start`, at most `available` bytes: its first
    /// word, the entry, and the bytes used.
    fn read_entry(&mut self, start: u64, available: u64) -> io::Result<([u8; 7], Entry, u64)> {
        let damaged = || io::Error::new(io::ErrorKind::InvalidData, "not a spool record");
        let mut header = String::new();
        let header_len = (&mut self.file)
            .take(available.min(512))
            .read_line(&mut header)?;
        self.position += header_len as u64;
        let mut fields = header.strip_suffix('\n').ok_or_else(damaged)?.split(' ');
        let (Some(first), Some(function), Some(slug), Some(length), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(damaged());
        };
        let first: [u8; 7] = first.as_bytes().try_into().map_err(|_| damaged())?;
        if &first != WAITING && &first != DONE {
            return Err(damaged());
        }
        let length: u64 = length.parse().map_err(|_| damaged())?;
        let used = header_len as u64 + length;
        if used > available {
            return Err(damaged());
        }
        let mut text = vec![0; usize::try_from(length).map_err(|_| damaged())?];
        self.file.read_exact(&mut text)?;
        self.position += length;
        let text = String::from_utf8(text).map_err(|_| damaged())?;
        let entry = Entry {
            function: function.to_string(),
            slug: slug.to_string(),
            text,
            offset: start,
        };
        Ok((first, entry, used))
    }

    /// The spool's file, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("wasmfaas-spool-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("record.spool")
    }

    fn entry(next: Option<(Next, u64)>) -> Entry {
        match next {
            Some((Next::Entry(entry), _)) => entry,
            other => panic!("expected an entry, got {other:?}"),
        }
    }

    #[test]
    fn entries_come_out_in_order_and_the_file_is_emptied_once_all_are_written() {
        let path = temp("order");
        let (mut appender, mut reader) = open(&path).unwrap();
        appender.push("hello", "get-hello", "{\"a\": 1}\n");
        appender.push("counter", "post-counter-ada", "{}\n");
        appender.flush().unwrap();
        let first = entry(reader.wait_next());
        assert_eq!(
            (first.function.as_str(), first.slug.as_str()),
            ("hello", "get-hello")
        );
        assert_eq!(first.text, "{\"a\": 1}\n");
        reader.mark_written(&first).unwrap();
        let second = entry(reader.wait_next());
        assert_eq!(second.function, "counter");
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
        reader.mark_written(&second).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        // The next fixture starts the file again.
        appender.push("hello", "get-hello", "x");
        appender.flush().unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            "fixture hello get-hello 1\nx".len() as u64
        );
        assert_eq!(entry(reader.wait_next()).text, "x");
        drop(appender);
        assert_eq!(reader.wait_next(), None);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_spool_left_by_a_killed_run_is_written_out_once_and_a_torn_tail_skipped() {
        let path = temp("left");
        {
            let (mut appender, mut reader) = open(&path).unwrap();
            appender.push("hello", "get-hello", "already written");
            appender.push("hello", "get-hello", "kept");
            appender.flush().unwrap();
            let done = entry(reader.wait_next());
            reader.mark_written(&done).unwrap();
            // Killed before the second one's file was written.
            drop((appender, reader));
        }
        // A crash in the middle of the next append.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"fixture hello get-hello 100\nonly a part")
            .unwrap();
        drop(file);
        let (appender, mut reader) = open(&path).unwrap();
        assert_eq!(entry(reader.wait_next()).text, "kept");
        assert!(matches!(reader.wait_next(), Some((Next::Damaged(39), 0))));
        drop(appender);
        assert_eq!(reader.wait_next(), None);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_spool_in_use_by_another_opener_is_refused() {
        let path = temp("locked");
        let held = open(&path).unwrap();
        let second = open(&path).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock, "{second}");
        drop(held);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_reader_in_another_thread_gets_everything_appended_while_it_reads() {
        let path = temp("threads");
        let (mut appender, mut reader) = open(&path).unwrap();
        let read = std::thread::spawn(move || {
            let mut texts = Vec::new();
            while let Some((next, _)) = reader.wait_next() {
                if let Next::Entry(entry) = next {
                    reader.mark_written(&entry).unwrap();
                    texts.push(entry.text);
                }
            }
            texts
        });
        for batch in 0..200 {
            for i in 0..5 {
                appender.push("f", "s", &format!("{batch}-{i}"));
            }
            appender.flush().unwrap();
        }
        drop(appender);
        let texts = read.join().unwrap();
        let expected: Vec<String> = (0..200)
            .flat_map(|batch| (0..5).map(move |i| format!("{batch}-{i}")))
            .collect();
        assert_eq!(texts, expected);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
