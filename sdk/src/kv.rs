//! KV namespaces, with the semantics of Cloudflare Workers KV.
//!
//! A function may use the namespaces its config lists (`kv = ["CACHE"]` in
//! `wasmfaas.toml`); any other answers [`ErrorKind::Denied`].
//!
//! ```no_run
//! use wasmfaas_sdk::kv::{Kv, PutOptions};
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), wasmfaas_sdk::Error> {
//! let cache = Kv::open("CACHE");
//! cache.put("greeting", "hello")?;
//! assert_eq!(cache.get_text("greeting")?.as_deref(), Some("hello"));
//!
//! let session = PutOptions {
//!     ttl: Some(Duration::from_secs(3600)),
//!     metadata: Some(r#"{"user":"ada"}"#.into()),
//!     ..PutOptions::default()
//! };
//! cache.put_with("session:42", b"\x01\x02", &session)?;
//!
//! for key in cache.keys("session:") {
//!     println!("{}", key?.name);
//! }
//! cache.delete("greeting")?;
//! # Ok(())
//! # }
//! ```
//!
//! Keys are 1 to 512 bytes of UTF-8, and not `.` or `..`; values at most 25 MiB;
//! metadata is JSON text of at most 1024 bytes. Expiration follows the
//! invocation's virtual clock (nanoseconds since the Unix epoch).

use crate::error::found;
use crate::{Error, ErrorKind, binary, host};
use std::time::Duration;

/// A KV namespace. Opening one makes no host call: a namespace the function may
/// not use fails on its first operation, with [`ErrorKind::Denied`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kv {
    name: String,
}

/// A value with what was stored alongside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The value's bytes.
    pub value: Vec<u8>,
    /// The metadata, JSON text, if any was stored.
    pub metadata: Option<String>,
    /// When the key expires, in nanoseconds since the Unix epoch, if it does.
    pub expiration_ns: Option<u64>,
}

/// Options for [`Kv::put_with`]; the default stores a value that never expires,
/// without metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Expire this long after now (the invocation's virtual clock), rounded up to
    /// whole milliseconds. Set this or `expiration_ns`, not both.
    pub ttl: Option<Duration>,
    /// Expire at this time, in nanoseconds since the Unix epoch.
    pub expiration_ns: Option<u64>,
    /// Metadata to store with the value: JSON text (`{"owner":"ada"}`), at most
    /// 1024 bytes.
    pub metadata: Option<String>,
}

/// Options for [`Kv::list`]; the default lists the first page of all keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// List only keys that start with this (`""`: all keys).
    pub prefix: String,
    /// At most this many keys per page, 1 to 1000; `None` means 1000.
    pub limit: Option<u32>,
    /// Where to continue: the [`Page::cursor`] of the previous page.
    pub cursor: Option<String>,
}

/// One page of [`Kv::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The keys, in lexicographic byte order.
    pub keys: Vec<Key>,
    /// Whether this is the last page.
    pub list_complete: bool,
    /// Pass this back in [`ListOptions::cursor`] for the next page; `None` on
    /// the last page.
    pub cursor: Option<String>,
}

/// A key as [`Kv::list`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub name: String,
    /// When it expires, in nanoseconds since the Unix epoch, if it does.
    pub expiration_ns: Option<u64>,
    /// Its metadata, JSON text, if any.
    pub metadata: Option<String>,
}

impl Kv {
    /// The namespace called `name` (as listed under `kv` in `wasmfaas.toml`).
    pub fn open(name: impl Into<String>) -> Kv {
        Kv { name: name.into() }
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key`, or `None` if there is no such key (or it expired).
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::Kv;
    /// let avatar: Option<Vec<u8>> = Kv::open("CACHE").get("avatar:ada")?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Denied`] if the namespace is not granted,
    /// [`ErrorKind::InvalidKey`] for a bad key, and the other [`ErrorKind`]s.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match found(host::kv_get(&self.name, key))? {
            Some(result) => binary::kv_value(result).map(Some),
            None => Ok(None),
        }
    }

    /// The value of `key` as text, or `None` if there is no such key.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::Kv;
    /// let theme = Kv::open("CACHE").get_text("theme")?.unwrap_or_else(|| "light".into());
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Kv::get`]; [`ErrorKind::Malformed`] if the value is not UTF-8.
    pub fn get_text(&self, key: &str) -> Result<Option<String>, Error> {
        match self.get(key)? {
            Some(value) => String::from_utf8(value).map(Some).map_err(|_| not_text()),
            None => Ok(None),
        }
    }

    /// The value of `key` with its metadata and expiration, or `None` if there is
    /// no such key.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::Kv;
    /// if let Some(entry) = Kv::open("CACHE").get_with_metadata("session:42")? {
    ///     println!("{} bytes, metadata {:?}", entry.value.len(), entry.metadata);
    /// }
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Kv::get`].
    pub fn get_with_metadata(&self, key: &str) -> Result<Option<Entry>, Error> {
        match found(host::kv_get(&self.name, key))? {
            Some(result) => binary::kv_entry(result).map(Some),
            None => Ok(None),
        }
    }

    /// Stores `value` under `key`, replacing any value there; it never expires.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::Kv;
    /// Kv::open("CACHE").put("theme", "dark")?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] for a value over 25 MiB, and as [`Kv::get`].
    pub fn put(&self, key: &str, value: impl AsRef<[u8]>) -> Result<(), Error> {
        self.put_raw(key, value.as_ref(), &PutOptions::default())
    }

    /// Stores `value` under `key` with an expiration and metadata.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::{Kv, PutOptions};
    /// # use std::time::Duration;
    /// let options = PutOptions { ttl: Some(Duration::from_secs(60)), ..PutOptions::default() };
    /// Kv::open("CACHE").put_with("otp:ada", "123456", &options)?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for metadata that is not JSON, a TTL of
    /// zero or an expiration of 0 or after the year 2262 (neither can be sent),
    /// and as [`Kv::put`].
    pub fn put_with(
        &self,
        key: &str,
        value: impl AsRef<[u8]>,
        options: &PutOptions,
    ) -> Result<(), Error> {
        self.put_raw(key, value.as_ref(), options)
    }

    fn put_raw(&self, key: &str, value: &[u8], options: &PutOptions) -> Result<(), Error> {
        // On the wire, 0 and below mean "unused".
        let ttl_ms = match options.ttl {
            None => 0,
            Some(ttl) => match ttl.as_nanos().div_ceil(1_000_000) {
                0 => return Err(invalid("ttl must be at least 1 ms")),
                ms => i64::try_from(ms).unwrap_or(i64::MAX),
            },
        };
        let expiration_ns = match options.expiration_ns {
            None => 0,
            Some(ns) => match i64::try_from(ns) {
                Ok(ns) if ns > 0 => ns,
                _ => return Err(invalid("expiration_ns must be in 1..=i64::MAX")),
            },
        };
        let metadata = options.metadata.as_deref().unwrap_or_default();
        let metadata = metadata.as_bytes();
        host::kv_put(&self.name, key, value, metadata, expiration_ns, ttl_ms).map(drop)
    }

    /// Deletes `key`; deleting a key that is not there succeeds.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::Kv;
    /// Kv::open("CACHE").delete("session:42")?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Kv::get`].
    pub fn delete(&self, key: &str) -> Result<(), Error> {
        host::kv_delete(&self.name, key).map(drop)
    }

    /// One page of keys, in lexicographic byte order. [`Kv::keys`] walks every
    /// page for you.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::{Kv, ListOptions};
    /// let cache = Kv::open("CACHE");
    /// let mut options = ListOptions { prefix: "user:".into(), limit: Some(100), cursor: None };
    /// loop {
    ///     let page = cache.list(&options)?;
    ///     for key in &page.keys {
    ///         println!("{}", key.name);
    ///     }
    ///     if page.list_complete {
    ///         break;
    ///     }
    ///     options.cursor = page.cursor;
    /// }
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for a bad cursor or a limit over 1000, and
    /// as [`Kv::get`].
    pub fn list(&self, options: &ListOptions) -> Result<Page, Error> {
        let cursor = options.cursor.as_deref().unwrap_or_default();
        let limit = options.limit.map_or(0, i64::from);
        let result = host::kv_list(&self.name, &options.prefix, cursor, limit)?;
        binary::kv_page(&result)
    }

    /// Every key that starts with `prefix` (`""`: all of them), fetched a page at
    /// a time as the iteration goes.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::kv::Kv;
    /// let cache = Kv::open("CACHE");
    /// let names = cache.keys("user:").map(|key| key.map(|key| key.name));
    /// let names: Vec<String> = names.collect::<Result<_, _>>()?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// An error ends the iteration after it is yielded.
    pub fn keys(&self, prefix: &str) -> Keys<'_> {
        Keys {
            kv: self,
            options: ListOptions {
                prefix: prefix.to_owned(),
                ..ListOptions::default()
            },
            page: Vec::new().into_iter(),
            done: false,
        }
    }
}

/// Every key with a prefix: the iterator of [`Kv::keys`].
#[derive(Debug)]
pub struct Keys<'a> {
    kv: &'a Kv,
    options: ListOptions,
    page: std::vec::IntoIter<Key>,
    /// No more pages to fetch.
    done: bool,
}

impl Keys<'_> {
    /// Fetches `limit` keys per host call (1 to 1000) instead of 1000.
    pub fn page_size(mut self, limit: u32) -> Self {
        self.options.limit = Some(limit);
        self
    }

    fn next_page(&mut self) -> Result<(), Error> {
        let page = self.kv.list(&self.options)?;
        self.done = page.list_complete;
        if !self.done {
            // Without a cursor, asking again would fetch the same page forever.
            match page.cursor {
                Some(cursor) => self.options.cursor = Some(cursor),
                None => {
                    let msg = "malformed result from the host: an incomplete page has no cursor";
                    return Err(Error::new(ErrorKind::Malformed, msg));
                }
            }
        }
        self.page = page.keys.into_iter();
        Ok(())
    }
}

impl Iterator for Keys<'_> {
    type Item = Result<Key, Error>;

    fn next(&mut self) -> Option<Result<Key, Error>> {
        loop {
            if let Some(key) = self.page.next() {
                return Some(Ok(key));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.next_page() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

impl std::iter::FusedIterator for Keys<'_> {}

#[cold]
#[inline(never)]
fn invalid(message: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

#[cold]
#[inline(never)]
fn not_text() -> Error {
    Error::new(ErrorKind::Malformed, "the value is not UTF-8 text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn outside_wasmfaas_every_operation_is_unavailable() {
        let kv = Kv::open("CACHE");
        assert_eq!(kv.name(), "CACHE");
        let unavailable = |e: Error| assert_eq!(e.kind(), ErrorKind::Unavailable);
        unavailable(kv.get("k").unwrap_err());
        unavailable(kv.get_text("k").unwrap_err());
        unavailable(kv.get_with_metadata("k").unwrap_err());
        unavailable(kv.put("k", "v").unwrap_err());
        unavailable(kv.put_with("k", b"v", &PutOptions::default()).unwrap_err());
        unavailable(kv.delete("k").unwrap_err());
        unavailable(kv.list(&ListOptions::default()).unwrap_err());
        let mut keys = kv.keys("");
        unavailable(keys.next().unwrap().unwrap_err());
        assert!(keys.next().is_none(), "an error ends the iteration");
    }

    #[test]
    fn options_that_cannot_be_sent_are_invalid_before_any_call() {
        let kv = Kv::open("CACHE");
        let cases = [
            PutOptions {
                ttl: Some(Duration::ZERO),
                ..PutOptions::default()
            },
            PutOptions {
                expiration_ns: Some(0),
                ..PutOptions::default()
            },
            PutOptions {
                expiration_ns: Some(u64::MAX),
                ..PutOptions::default()
            },
        ];
        for options in cases {
            let e = kv.put_with("k", "v", &options).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{options:?}");
        }
        // A sub-millisecond TTL rounds up to 1 ms rather than to "none".
        let tiny = PutOptions {
            ttl: Some(Duration::from_nanos(1)),
            ..PutOptions::default()
        };
        assert_ne!(
            kv.put_with("k", "v", &tiny).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}
