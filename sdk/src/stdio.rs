//! The envelope's way in and out: stdin read to its end, the response written
//! to stdout, each in as few host calls and guest instructions as possible.
//!
//! On `wasm32-wasip1` this calls WASI's `fd_read` and `fd_write` directly.
//! Going through std instead (`File::read` → wasi-libc `read` →
//! `__wasi_fd_read`, and `write_vectored` → `writev` → `__wasi_fd_write`)
//! cost three calls and their bookkeeping per host call, and std's `Read`
//! wants an initialised buffer, which meant zeroing 16 KiB before every
//! request: about 900 interpreted instructions of the 15,000 `hello` takes.
//! Elsewhere (a native `cargo test`, the benchmarks' native baseline) fd 0
//! and 1 are used through std.

use std::io;
use std::mem::MaybeUninit;

/// Room for a typical request, so that reading it takes one read and no
/// reallocation.
pub(crate) const INITIAL_INPUT: usize = 16 * 1024;

/// Reads stdin to its end.
pub(crate) fn read_stdin() -> io::Result<Vec<u8>> {
    read_all(sys::read_stdin)
}

/// Writes `head` and then `body` to stdout, completely; in one host call
/// unless the host takes less than everything.
pub(crate) fn write_stdout(mut head: &[u8], mut body: &[u8]) -> io::Result<()> {
    while !head.is_empty() || !body.is_empty() {
        match sys::write_stdout(head, body) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                let from_head = n.min(head.len());
                head = &head[from_head..];
                body = body.get(n - from_head..).unwrap_or_default();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads to the end with `read`, which fills the front of the buffer it is
/// given and says how much it filled (0 at the end). Nothing is zeroed first.
pub(crate) fn read_all(
    mut read: impl FnMut(&mut [MaybeUninit<u8>]) -> io::Result<usize>,
) -> io::Result<Vec<u8>> {
    let mut input = Vec::with_capacity(INITIAL_INPUT);
    loop {
        if input.len() == input.capacity() {
            input.reserve(input.len());
        }
        let len = input.len();
        match read(input.spare_capacity_mut()) {
            Ok(0) => return Ok(input),
            Ok(n) => {
                let n = n.min(input.capacity() - len);
                // SAFETY: `read` initialised the first `n` bytes of the spare
                // capacity, which has room for them.
                unsafe { input.set_len(len + n) };
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `read` from a [`std::io::Read`], which needs the buffer initialised.
#[cfg(any(test, not(target_os = "wasi")))]
pub(crate) fn read_from(
    source: &mut impl io::Read,
    buf: &mut [MaybeUninit<u8>],
) -> io::Result<usize> {
    buf.fill(MaybeUninit::new(0));
    // SAFETY: every byte was just initialised.
    let buf = unsafe { &mut *(buf as *mut [MaybeUninit<u8>] as *mut [u8]) };
    source.read(buf)
}

#[cfg(target_os = "wasi")]
mod sys {
    use std::io;
    use std::mem::MaybeUninit;

    /// WASI's `ciovec` and `iovec`: a pointer and a length.
    #[repr(C)]
    struct Iovec {
        buf: *const u8,
        len: usize,
    }

    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    unsafe extern "C" {
        #[link_name = "fd_read"]
        fn wasi_fd_read(fd: i32, iovs: *const Iovec, iovs_len: usize, nread: *mut usize) -> i32;
        #[link_name = "fd_write"]
        fn wasi_fd_write(fd: i32, iovs: *const Iovec, iovs_len: usize, nwritten: *mut usize)
        -> i32;
    }

    fn result(errno: i32, n: usize) -> io::Result<usize> {
        match errno {
            0 => Ok(n),
            errno => Err(io::Error::from_raw_os_error(errno)),
        }
    }

    pub(super) fn read_stdin(buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        let iov = Iovec {
            buf: buf.as_mut_ptr().cast(),
            len: buf.len(),
        };
        let mut n = 0;
        // SAFETY: the host writes at most `buf.len()` bytes into `buf`, and
        // `n` outlives the call.
        let errno = unsafe { wasi_fd_read(0, &iov, 1, &mut n) };
        result(errno, n)
    }

    pub(super) fn write_stdout(head: &[u8], body: &[u8]) -> io::Result<usize> {
        let iovs = [
            Iovec {
                buf: head.as_ptr(),
                len: head.len(),
            },
            Iovec {
                buf: body.as_ptr(),
                len: body.len(),
            },
        ];
        let mut n = 0;
        // SAFETY: the host reads only within the two slices, which outlive
        // the call, and writes only `n`.
        let errno = unsafe { wasi_fd_write(1, iovs.as_ptr(), iovs.len(), &mut n) };
        result(errno, n)
    }
}

#[cfg(not(target_os = "wasi"))]
mod sys {
    use std::io::{self, Write};
    use std::mem::MaybeUninit;

    pub(super) fn read_stdin(buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        super::read_from(&mut io::stdin().lock(), buf)
    }

    pub(super) fn write_stdout(head: &[u8], body: &[u8]) -> io::Result<usize> {
        let mut out = io::stdout().lock();
        let n = out.write_vectored(&[io::IoSlice::new(head), io::IoSlice::new(body)])?;
        out.flush()?;
        Ok(n)
    }
}
