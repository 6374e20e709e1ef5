//! The host module `wasmfaas`, version 1 (docs/abi.md, "Bindings"): its raw
//! imports, and the one safe way to call them.
//!
//! Every call returns an `i64`: its result's length, or minus a status code, in
//! which case the result is the host's message. Either is copied out with one
//! `result_read` into a buffer of the right size, so it does not matter whether
//! the host's `result_read` keeps a cursor.
//!
//! Outside wasm32 (a native `cargo test`), the imports do not exist: every call
//! answers [`ErrorKind::Unavailable`] without touching anything.

use crate::Error;
#[cfg(any(test, target_arch = "wasm32"))]
use {crate::ErrorKind, std::mem::MaybeUninit};

/// Declares the imports on wasm32 and, elsewhere, stand-ins with the same
/// signatures so the callers compile; [`call`] never runs them there.
macro_rules! imports {
    ($(fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> i64;)*) => {
        #[cfg(target_arch = "wasm32")]
        #[link(wasm_import_module = "wasmfaas")]
        unsafe extern "C" {
            $(pub(super) fn $name($($arg: $ty),*) -> i64;)*
        }

        $(
            #[cfg(not(target_arch = "wasm32"))]
            #[allow(unused_variables, dead_code, clippy::too_many_arguments)]
            pub(super) unsafe fn $name($($arg: $ty),*) -> i64 {
                unreachable!("host calls are made only on wasm32")
            }
        )*
    };
}

/// Pointers are `i32` addresses of the guest's memory, lengths `i32` byte counts
/// (read by the host as unsigned), numbers `i64`.
mod raw {
    imports! {
        fn kv_get(ns: *const u8, ns_len: i32, key: *const u8, key_len: i32) -> i64;
        fn kv_put(
            ns: *const u8, ns_len: i32,
            key: *const u8, key_len: i32,
            value: *const u8, value_len: i32,
            metadata: *const u8, metadata_len: i32,
            expiration_ns: i64,
            ttl_ms: i64,
        ) -> i64;
        fn kv_delete(ns: *const u8, ns_len: i32, key: *const u8, key_len: i32) -> i64;
        fn kv_list(
            ns: *const u8, ns_len: i32,
            prefix: *const u8, prefix_len: i32,
            cursor: *const u8, cursor_len: i32,
            limit: i64,
        ) -> i64;
        fn s3_get(
            bucket: *const u8, bucket_len: i32,
            key: *const u8, key_len: i32,
            range: *const u8, range_len: i32,
        ) -> i64;
        fn s3_head(bucket: *const u8, bucket_len: i32, key: *const u8, key_len: i32) -> i64;
        fn s3_put(
            bucket: *const u8, bucket_len: i32,
            key: *const u8, key_len: i32,
            body: *const u8, body_len: i32,
            content_type: *const u8, content_type_len: i32,
            metadata: *const u8, metadata_len: i32,
        ) -> i64;
        fn s3_delete(bucket: *const u8, bucket_len: i32, key: *const u8, key_len: i32) -> i64;
        fn s3_list(
            bucket: *const u8, bucket_len: i32,
            prefix: *const u8, prefix_len: i32,
            delimiter: *const u8, delimiter_len: i32,
            token: *const u8, token_len: i32,
            max_keys: i64,
        ) -> i64;
        fn s3_copy(
            src_bucket: *const u8, src_bucket_len: i32,
            src_key: *const u8, src_key_len: i32,
            dst_bucket: *const u8, dst_bucket_len: i32,
            dst_key: *const u8, dst_key_len: i32,
        ) -> i64;
        fn http_fetch(request: *const u8, request_len: i32) -> i64;
        fn result_read(buf: *mut u8, len: i32) -> i64;
    }
}

/// A length as the ABI's `i32`. On wasm32 `usize` is 32 bits, so this keeps every
/// bit (the host reads it back as unsigned); elsewhere it is never used.
fn len(bytes: &[u8]) -> i32 {
    bytes.len() as i32
}

// SAFETY (every call below): each pointer comes with its own slice's length, and
// the slices outlive the call; the host reads only within them.

pub(crate) fn http_fetch(envelope: &[u8]) -> Result<Vec<u8>, Error> {
    call(|| unsafe { raw::http_fetch(envelope.as_ptr(), len(envelope)) })
}

pub(crate) fn kv_get(ns: &str, key: &str) -> Result<Vec<u8>, Error> {
    let (ns, key) = (ns.as_bytes(), key.as_bytes());
    call(|| unsafe { raw::kv_get(ns.as_ptr(), len(ns), key.as_ptr(), len(key)) })
}

pub(crate) fn kv_put(
    ns: &str,
    key: &str,
    value: &[u8],
    metadata: &[u8],
    expiration_ns: i64,
    ttl_ms: i64,
) -> Result<Vec<u8>, Error> {
    let (ns, key) = (ns.as_bytes(), key.as_bytes());
    call(|| unsafe {
        raw::kv_put(
            ns.as_ptr(),
            len(ns),
            key.as_ptr(),
            len(key),
            value.as_ptr(),
            len(value),
            metadata.as_ptr(),
            len(metadata),
            expiration_ns,
            ttl_ms,
        )
    })
}

pub(crate) fn kv_delete(ns: &str, key: &str) -> Result<Vec<u8>, Error> {
    let (ns, key) = (ns.as_bytes(), key.as_bytes());
    call(|| unsafe { raw::kv_delete(ns.as_ptr(), len(ns), key.as_ptr(), len(key)) })
}

pub(crate) fn kv_list(ns: &str, prefix: &str, cursor: &str, limit: i64) -> Result<Vec<u8>, Error> {
    let (ns, prefix, cursor) = (ns.as_bytes(), prefix.as_bytes(), cursor.as_bytes());
    call(|| unsafe {
        raw::kv_list(
            ns.as_ptr(),
            len(ns),
            prefix.as_ptr(),
            len(prefix),
            cursor.as_ptr(),
            len(cursor),
            limit,
        )
    })
}

pub(crate) fn s3_get(bucket: &str, key: &str, range: &str) -> Result<Vec<u8>, Error> {
    let (bucket, key, range) = (bucket.as_bytes(), key.as_bytes(), range.as_bytes());
    call(|| unsafe {
        raw::s3_get(
            bucket.as_ptr(),
            len(bucket),
            key.as_ptr(),
            len(key),
            range.as_ptr(),
            len(range),
        )
    })
}

pub(crate) fn s3_head(bucket: &str, key: &str) -> Result<Vec<u8>, Error> {
    let (bucket, key) = (bucket.as_bytes(), key.as_bytes());
    call(|| unsafe { raw::s3_head(bucket.as_ptr(), len(bucket), key.as_ptr(), len(key)) })
}

pub(crate) fn s3_put(
    bucket: &str,
    key: &str,
    body: &[u8],
    content_type: &str,
    metadata: &[u8],
) -> Result<Vec<u8>, Error> {
    let (bucket, key, content_type) = (bucket.as_bytes(), key.as_bytes(), content_type.as_bytes());
    call(|| unsafe {
        raw::s3_put(
            bucket.as_ptr(),
            len(bucket),
            key.as_ptr(),
            len(key),
            body.as_ptr(),
            len(body),
            content_type.as_ptr(),
            len(content_type),
            metadata.as_ptr(),
            len(metadata),
        )
    })
}

pub(crate) fn s3_delete(bucket: &str, key: &str) -> Result<Vec<u8>, Error> {
    let (bucket, key) = (bucket.as_bytes(), key.as_bytes());
    call(|| unsafe { raw::s3_delete(bucket.as_ptr(), len(bucket), key.as_ptr(), len(key)) })
}

pub(crate) fn s3_list(
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    token: &str,
    max_keys: i64,
) -> Result<Vec<u8>, Error> {
    let (bucket, prefix) = (bucket.as_bytes(), prefix.as_bytes());
    let (delimiter, token) = (delimiter.as_bytes(), token.as_bytes());
    call(|| unsafe {
        raw::s3_list(
            bucket.as_ptr(),
            len(bucket),
            prefix.as_ptr(),
            len(prefix),
            delimiter.as_ptr(),
            len(delimiter),
            token.as_ptr(),
            len(token),
            max_keys,
        )
    })
}

pub(crate) fn s3_copy(
    src_bucket: &str,
    src_key: &str,
    dst_bucket: &str,
    dst_key: &str,
) -> Result<Vec<u8>, Error> {
    let (src_bucket, src_key) = (src_bucket.as_bytes(), src_key.as_bytes());
    let (dst_bucket, dst_key) = (dst_bucket.as_bytes(), dst_key.as_bytes());
    call(|| unsafe {
        raw::s3_copy(
            src_bucket.as_ptr(),
            len(src_bucket),
            src_key.as_ptr(),
            len(src_key),
            dst_bucket.as_ptr(),
            len(dst_bucket),
            dst_key.as_ptr(),
            len(dst_key),
        )
    })
}

/// Makes one host call and collects its result or error.
#[cfg(target_arch = "wasm32")]
fn call(invoke: impl FnOnce() -> i64) -> Result<Vec<u8>, Error> {
    finish(invoke(), |buf| {
        // SAFETY: `buf` is writable memory of the guest of exactly that length.
        unsafe { raw::result_read(buf.as_mut_ptr().cast(), buf.len() as i32) }
    })
}

/// Outside wasm32 there is no host: `invoke` is never run.
#[cfg(not(target_arch = "wasm32"))]
fn call(invoke: impl FnOnce() -> i64) -> Result<Vec<u8>, Error> {
    drop(invoke);
    Err(Error::unavailable())
}

/// The most of a failure's message that is read; longer ones are cut.
#[cfg(any(test, target_arch = "wasm32"))]
const MAX_MESSAGE: usize = 4096;

/// Turns a call's return value `ret` into its result or its error, copying the
/// pending result with `read` (which is `result_read`: it fills the start of its
/// buffer and returns how many bytes it wrote).
#[cfg(any(test, target_arch = "wasm32"))]
fn finish(ret: i64, mut read: impl FnMut(&mut [MaybeUninit<u8>]) -> i64) -> Result<Vec<u8>, Error> {
    if ret < 0 {
        return Err(failure(ret, &mut read));
    }
    let mut out = Vec::new();
    if ret == 0 {
        return Ok(out);
    }
    let size = match usize::try_from(ret) {
        Ok(size) if out.try_reserve_exact(size).is_ok() => size,
        _ => return Err(too_large(ret)),
    };
    let copied = read(&mut out.spare_capacity_mut()[..size]);
    if copied != ret {
        return Err(short_read(copied, ret));
    }
    // SAFETY: `read` initialised the first `copied == size` bytes, within capacity.
    unsafe { out.set_len(size) };
    Ok(out)
}

/// The error for a failed call: its kind, and the host's message.
#[cfg(any(test, target_arch = "wasm32"))]
#[cold]
#[inline(never)]
fn failure(ret: i64, read: &mut dyn FnMut(&mut [MaybeUninit<u8>]) -> i64) -> Error {
    let kind = ErrorKind::from_code(ret.wrapping_neg());
    let mut message = Vec::with_capacity(MAX_MESSAGE);
    let copied = read(&mut message.spare_capacity_mut()[..MAX_MESSAGE]);
    let copied = usize::try_from(copied).map_or(0, |n| n.min(MAX_MESSAGE));
    // SAFETY: `read` initialised the first `copied` bytes, within capacity.
    unsafe { message.set_len(copied) };
    let message = match String::from_utf8(message) {
        Ok(message) => message,
        // Cut inside a character, or not UTF-8 at all: still worth showing.
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Error::new(kind, message)
}

#[cfg(any(test, target_arch = "wasm32"))]
#[cold]
#[inline(never)]
fn too_large(size: i64) -> Error {
    let mut message = String::from("a result of ");
    crate::json::push_u64(&mut message, size as u64);
    message.push_str(" bytes does not fit in the guest's memory");
    Error::new(ErrorKind::TooLarge, message)
}

#[cfg(any(test, target_arch = "wasm32"))]
#[cold]
#[inline(never)]
fn short_read(copied: i64, size: i64) -> Error {
    let mut message = String::from("malformed result from the host: result_read copied ");
    if copied < 0 {
        message.push('-');
    }
    crate::json::push_u64(&mut message, copied.unsigned_abs());
    message.push_str(" of its ");
    crate::json::push_u64(&mut message, size as u64);
    message.push_str(" bytes");
    Error::new(ErrorKind::Malformed, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `result_read` over `pending` that, like the host, copies from its start.
    fn reader(pending: &[u8]) -> impl FnMut(&mut [MaybeUninit<u8>]) -> i64 + '_ {
        move |buf| {
            let n = buf.len().min(pending.len());
            for (dst, &src) in buf.iter_mut().zip(&pending[..n]) {
                dst.write(src);
            }
            n as i64
        }
    }

    #[test]
    fn a_length_is_the_result() {
        assert_eq!(finish(5, reader(b"hello")).unwrap(), b"hello");
        let mut calls = 0;
        let empty = finish(0, |_| {
            calls += 1;
            0
        });
        assert_eq!((empty.unwrap(), calls), (Vec::new(), 0), "nothing to read");
    }

    #[test]
    fn a_negative_value_is_a_status_with_the_hosts_message() {
        let cases = [
            (1, ErrorKind::NotFound),
            (2, ErrorKind::Denied),
            (3, ErrorKind::TooLarge),
            (4, ErrorKind::InvalidKey),
            (5, ErrorKind::InvalidArgument),
            (6, ErrorKind::PreconditionFailed),
            (7, ErrorKind::InvalidRange),
            (8, ErrorKind::NoSuchBucket),
            (9, ErrorKind::Storage),
            (10, ErrorKind::Fault),
            (11, ErrorKind::Unreachable),
            (12, ErrorKind::Limit),
            (13, ErrorKind::Unknown(13)),
        ];
        for (code, kind) in cases {
            let e = finish(-code, reader(b"bucket \"x\" is not granted")).unwrap_err();
            assert_eq!(e.kind(), kind);
            assert_eq!(e.kind().code(), Some(code));
            assert_eq!(e.to_string(), "bucket \"x\" is not granted");
        }
        let e = finish(i64::MIN, reader(b"")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unknown(i64::MIN));
        assert_eq!(e.to_string(), "UNKNOWN", "an empty message shows the kind");
    }

    #[test]
    fn long_or_invalid_messages_are_cut_not_fatal() {
        let long = "é".repeat(MAX_MESSAGE);
        let e = finish(-9, reader(long.as_bytes())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Storage);
        assert_eq!(e.message().len(), MAX_MESSAGE);
        assert!(e.message().starts_with("éé"));
        let e = finish(-1, reader(b"bad \xff byte")).unwrap_err();
        assert_eq!(e.message(), "bad \u{fffd} byte");
        let e = finish(-1, |_| -3).unwrap_err();
        assert_eq!((e.kind(), e.message()), (ErrorKind::NotFound, ""));
    }

    #[test]
    fn a_short_copy_is_malformed() {
        let e = finish(10, reader(b"only6b")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(e.message().contains("copied 6 of its 10 bytes"), "{e}");
        let e = finish(4, |_| -10).unwrap_err();
        assert!(e.message().contains("copied -10 of its 4 bytes"), "{e}");
    }

    #[test]
    fn a_result_too_large_for_memory_is_an_error_not_an_abort() {
        let e = finish(i64::MAX, reader(b"")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn outside_wasm_every_call_is_unavailable() {
        let calls = [
            kv_get("CACHE", "k"),
            kv_put("CACHE", "k", b"v", b"", 0, 0),
            kv_delete("CACHE", "k"),
            kv_list("CACHE", "", "", 0),
            s3_get("photos", "k", ""),
            s3_head("photos", "k"),
            s3_put("photos", "k", b"", "", b""),
            s3_delete("photos", "k"),
            s3_list("photos", "", "", "", 0),
            s3_copy("photos", "k", "photos", "k2"),
        ];
        for call in calls {
            let e = call.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unavailable);
            assert_eq!(e.to_string(), "bindings exist only inside wasmfaas");
            assert_eq!(e.kind().code(), None);
        }
    }
}
