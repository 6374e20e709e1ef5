//! The little-endian records of the host module `wasmfaas` (docs/abi.md,
//! "Encoding of results"): a reader for every result layout, and the writer of
//! the one binary input, `s3_put`'s metadata.
//!
//! Results come from the host, but a host with a bug must not crash the guest:
//! every read is checked, and a record that is short, has bytes left over, a
//! string that is not UTF-8 or a flag that is not 0 or 1 is an
//! [`ErrorKind::Malformed`] error naming the field and the byte offset.

use crate::kv::{Entry, Key, Page};
use crate::s3::{ListPage, Object, ObjectMeta};
use crate::{Error, ErrorKind};

const CUT: &str = " is cut off by the end of the result";

/// Reads one result from its start.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        match rest.first_chunk::<N>() {
            Some(&array) => {
                self.pos += N;
                Ok(array)
            }
            None => Err(self.truncated(what)),
        }
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// An `opt_u64`: 0 means none.
    pub(crate) fn opt_u64(&mut self, what: &'static str) -> Result<Option<u64>, Error> {
        self.u64(what).map(|n| (n != 0).then_some(n))
    }

    /// A `u32` that must be 0 or 1.
    pub(crate) fn flag(&mut self, what: &'static str) -> Result<bool, Error> {
        let at = self.pos;
        match self.u32(what)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed(what, at, " is neither 0 nor 1")),
        }
    }

    /// A count of records at least `min_size` bytes each, and how many of them
    /// can really follow: a capacity to reserve that a bad count cannot inflate.
    pub(crate) fn count(
        &mut self,
        what: &'static str,
        min_size: usize,
    ) -> Result<(u32, usize), Error> {
        let count = self.u32(what)?;
        let fits = (self.bytes.len() - self.pos) / min_size;
        Ok((count, fits.min(count as usize)))
    }

    /// The bytes of a `str`, unchecked.
    fn str_bytes(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let start = self.pos;
        let len = self.u32(what)? as usize;
        let at = self.pos;
        match at.checked_add(len).and_then(|end| self.bytes.get(at..end)) {
            Some(bytes) => {
                self.pos += len;
                Ok(bytes)
            }
            None => Err(malformed(what, start, CUT)),
        }
    }

    /// A `str`.
    pub(crate) fn str(&mut self, what: &'static str) -> Result<&'a str, Error> {
        let at = self.pos;
        let bytes = self.str_bytes(what)?;
        std::str::from_utf8(bytes).map_err(|_| malformed(what, at, " is not UTF-8"))
    }

    /// A `str`, owned.
    pub(crate) fn string(&mut self, what: &'static str) -> Result<String, Error> {
        self.str(what).map(str::to_owned)
    }

    /// A `str` where empty means none.
    pub(crate) fn opt_string(&mut self, what: &'static str) -> Result<Option<String>, Error> {
        self.str(what)
            .map(|s| (!s.is_empty()).then(|| s.to_owned()))
    }

    /// Skips a `str` without decoding it.
    pub(crate) fn skip_str(&mut self, what: &'static str) -> Result<(), Error> {
        self.str_bytes(what).map(drop)
    }

    /// Where the reader is: the start of a trailing `bytes`.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Checks that the whole result was read.
    pub(crate) fn end(&self) -> Result<(), Error> {
        if self.pos == self.bytes.len() {
            return Ok(());
        }
        Err(malformed(
            "the end of the result",
            self.pos,
            " has extra bytes",
        ))
    }

    /// An object record.
    pub(crate) fn object(&mut self) -> Result<ObjectMeta, Error> {
        let key = self.string("key")?;
        let size = self.u64("size")?;
        let last_modified_ns = self.u64("last_modified_ns")?;
        let etag = self.string("etag")?;
        let content_type = self.string("content_type")?;
        let (count, capacity) = self.count("metadata_count", 8)?;
        let mut metadata = Vec::with_capacity(capacity);
        for _ in 0..count {
            let name = self.string("metadata name")?;
            metadata.push((name, self.string("metadata value")?));
        }
        Ok(ObjectMeta {
            key,
            size,
            last_modified_ns,
            etag,
            content_type,
            metadata,
        })
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self, what: &'static str) -> Error {
        malformed(what, self.pos, CUT)
    }
}

/// `<what> at byte <at><problem>`, as a [`ErrorKind::Malformed`] error.
#[cold]
#[inline(never)]
fn malformed(what: &str, at: usize, problem: &str) -> Error {
    let mut message = String::from("malformed result from the host: ");
    message.push_str(what);
    message.push_str(" at byte ");
    crate::json::push_u64(&mut message, at as u64);
    message.push_str(problem);
    Error::new(ErrorKind::Malformed, message)
}

/// `buf` without its first `start` bytes, in place: a `bytes` field after a
/// header keeps the result's allocation instead of being copied into a new one.
fn tail(mut buf: Vec<u8>, start: usize) -> Vec<u8> {
    let len = buf.len() - start;
    buf.copy_within(start.., 0);
    buf.truncate(len);
    buf
}

/// `kv_get`: `expiration_ns: opt_u64, metadata: str, value: bytes`.
pub(crate) fn kv_entry(result: Vec<u8>) -> Result<Entry, Error> {
    let mut r = Reader::new(&result);
    let expiration_ns = r.opt_u64("expiration_ns")?;
    let metadata = r.opt_string("metadata")?;
    let start = r.pos();
    Ok(Entry {
        value: tail(result, start),
        metadata,
        expiration_ns,
    })
}

/// `kv_get`, the value only: the metadata is skipped, not decoded.
pub(crate) fn kv_value(result: Vec<u8>) -> Result<Vec<u8>, Error> {
    let mut r = Reader::new(&result);
    r.u64("expiration_ns")?;
    r.skip_str("metadata")?;
    let start = r.pos();
    Ok(tail(result, start))
}

/// `kv_list`: `list_complete: u32, cursor: str, count: u32`, then
/// `count × (name: str, expiration_ns: opt_u64, metadata: str)`.
pub(crate) fn kv_page(result: &[u8]) -> Result<Page, Error> {
    let mut r = Reader::new(result);
    let list_complete = r.flag("list_complete")?;
    let cursor = r.opt_string("cursor")?;
    let (count, capacity) = r.count("count", 16)?;
    let mut keys = Vec::with_capacity(capacity);
    for _ in 0..count {
        keys.push(Key {
            name: r.string("name")?,
            expiration_ns: r.opt_u64("expiration_ns")?,
            metadata: r.opt_string("metadata")?,
        });
    }
    r.end()?;
    Ok(Page {
        keys,
        list_complete,
        cursor,
    })
}

/// `s3_head`, `s3_put`, `s3_copy`: one object record.
pub(crate) fn s3_meta(result: &[u8]) -> Result<ObjectMeta, Error> {
    let mut r = Reader::new(result);
    let meta = r.object()?;
    r.end()?;
    Ok(meta)
}

/// `s3_get`: an object record, then `body: bytes`.
pub(crate) fn s3_object(result: Vec<u8>) -> Result<Object, Error> {
    let mut r = Reader::new(&result);
    let meta = r.object()?;
    let start = r.pos();
    Ok(Object {
        meta,
        body: tail(result, start),
    })
}

/// `s3_list`: `is_truncated: u32, next_token: str, object_count: u32`, the object
/// records, `prefix_count: u32`, then the common prefixes as `str`s.
pub(crate) fn s3_page(result: &[u8]) -> Result<ListPage, Error> {
    let mut r = Reader::new(result);
    let is_truncated = r.flag("is_truncated")?;
    let next_continuation_token = r.opt_string("next_token")?;
    let (count, capacity) = r.count("object_count", 32)?;
    let mut objects = Vec::with_capacity(capacity);
    for _ in 0..count {
        objects.push(r.object()?);
    }
    let (count, capacity) = r.count("prefix_count", 4)?;
    let mut common_prefixes = Vec::with_capacity(capacity);
    for _ in 0..count {
        common_prefixes.push(r.string("common prefix")?);
    }
    r.end()?;
    Ok(ListPage {
        objects,
        common_prefixes,
        is_truncated,
        next_continuation_token,
    })
}

/// `s3_put`'s `metadata` input: `count: u32`, then `count × (name: str, value:
/// str)`; nothing at all (which the host reads as none) for no pairs.
pub(crate) fn metadata(pairs: &[(String, String)]) -> Result<Vec<u8>, Error> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let size: usize = pairs.iter().map(|(n, v)| 8 + n.len() + v.len()).sum();
    let mut out = Vec::with_capacity(4 + size);
    push_u32(&mut out, pairs.len())?;
    for (name, value) in pairs {
        push_u32(&mut out, name.len())?;
        out.extend_from_slice(name.as_bytes());
        push_u32(&mut out, value.len())?;
        out.extend_from_slice(value.as_bytes());
    }
    Ok(out)
}

fn push_u32(out: &mut Vec<u8>, n: usize) -> Result<(), Error> {
    match u32::try_from(n) {
        Ok(n) => {
            out.extend_from_slice(&n.to_le_bytes());
            Ok(())
        }
        Err(_) => Err(Error::new(ErrorKind::TooLarge, "metadata is over 4 GiB")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a record the way the host does.
    #[derive(Default)]
    struct Record(Vec<u8>);

    impl Record {
        fn u32(mut self, n: u32) -> Self {
            self.0.extend_from_slice(&n.to_le_bytes());
            self
        }
        fn u64(mut self, n: u64) -> Self {
            self.0.extend_from_slice(&n.to_le_bytes());
            self
        }
        fn str(self, s: &str) -> Self {
            self.raw_str(s.as_bytes())
        }
        fn raw_str(self, s: &[u8]) -> Self {
            let mut r = self.u32(s.len() as u32);
            r.0.extend_from_slice(s);
            r
        }
        fn bytes(mut self, b: &[u8]) -> Self {
            self.0.extend_from_slice(b);
            self
        }
        fn object(self, key: &str, size: u64, metadata: &[(&str, &str)]) -> Self {
            let mut r = self
                .str(key)
                .u64(size)
                .u64(1_700_000_000_123_456_789)
                .str("\"5d41402abc4b2a76b9719d911017c592\"")
                .str("image/jpeg")
                .u32(metadata.len() as u32);
            for (name, value) in metadata {
                r = r.str(name).str(value);
            }
            r
        }
    }

    fn meta(key: &str, size: u64, metadata: &[(&str, &str)]) -> ObjectMeta {
        ObjectMeta {
            key: key.into(),
            size,
            last_modified_ns: 1_700_000_000_123_456_789,
            etag: "\"5d41402abc4b2a76b9719d911017c592\"".into(),
            content_type: "image/jpeg".into(),
            metadata: metadata
                .iter()
                .map(|&(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }

    /// Every proper prefix of `record` must be rejected as malformed.
    fn assert_every_cut_is_malformed<T: std::fmt::Debug>(
        record: &[u8],
        decode: impl Fn(Vec<u8>) -> Result<T, Error>,
    ) {
        for cut in 0..record.len() {
            match decode(record[..cut].to_vec()) {
                Err(e) => assert_eq!(e.kind(), ErrorKind::Malformed, "cut at {cut}: {e}"),
                Ok(value) => panic!("cut at {cut} decoded as {value:?}"),
            }
        }
    }

    #[test]
    fn kv_get_with_and_without_expiration_and_metadata() {
        let full = Record::default()
            .u64(1_700_000_060_000_000_000)
            .str(r#"{"owner":"ada"}"#)
            .bytes(b"\0binary\nvalue\xff");
        let entry = kv_entry(full.0.clone()).unwrap();
        assert_eq!(entry.value, b"\0binary\nvalue\xff");
        assert_eq!(entry.metadata.as_deref(), Some(r#"{"owner":"ada"}"#));
        assert_eq!(entry.expiration_ns, Some(1_700_000_060_000_000_000));
        assert_eq!(kv_value(full.0).unwrap(), b"\0binary\nvalue\xff");

        let bare = Record::default().u64(0).str("");
        let entry = kv_entry(bare.0.clone()).unwrap();
        assert_eq!(
            (entry.value, entry.metadata, entry.expiration_ns),
            (vec![], None, None)
        );
        assert_eq!(kv_value(bare.0).unwrap(), b"");
    }

    #[test]
    fn kv_get_cut_short_is_malformed() {
        let record = Record::default().u64(5).str("{}").0;
        assert_every_cut_is_malformed(&record, kv_entry);
        assert_every_cut_is_malformed(&record, kv_value);
        let e = kv_entry(record[..10].to_vec()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed result from the host: metadata at byte 8 is cut off by the end of the result"
        );
    }

    #[test]
    fn kv_get_metadata_must_be_utf8_unless_skipped() {
        let record = Record::default().u64(0).raw_str(b"\xc3(").bytes(b"v").0;
        let e = kv_entry(record.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        assert!(
            e.message().ends_with("metadata at byte 8 is not UTF-8"),
            "{e}"
        );
        assert_eq!(kv_value(record).unwrap(), b"v");
    }

    #[test]
    fn kv_list_pages() {
        let record = Record::default()
            .u32(0)
            .str("cursor-2")
            .u32(2)
            .str("user:1")
            .u64(0)
            .str("")
            .str("user:2 ü")
            .u64(1_700_000_000_000_000_001)
            .str(r#"{"n":2}"#)
            .0;
        let page = kv_page(&record).unwrap();
        assert!(!page.list_complete);
        assert_eq!(page.cursor.as_deref(), Some("cursor-2"));
        assert_eq!(
            page.keys,
            [
                Key {
                    name: "user:1".into(),
                    expiration_ns: None,
                    metadata: None
                },
                Key {
                    name: "user:2 ü".into(),
                    expiration_ns: Some(1_700_000_000_000_000_001),
                    metadata: Some(r#"{"n":2}"#.into())
                },
            ]
        );
        assert_every_cut_is_malformed(&record, |r| kv_page(&r));

        let last = kv_page(&Record::default().u32(1).str("").u32(0).0).unwrap();
        assert_eq!(
            (last.keys.len(), last.list_complete, last.cursor),
            (0, true, None)
        );
    }

    #[test]
    fn kv_list_rejects_bad_flags_extra_bytes_and_huge_counts() {
        let e = kv_page(&Record::default().u32(2).str("").u32(0).0).unwrap_err();
        assert!(
            e.message()
                .ends_with("list_complete at byte 0 is neither 0 nor 1"),
            "{e}"
        );
        let e = kv_page(&Record::default().u32(1).str("").u32(0).u32(0).0).unwrap_err();
        assert!(
            e.message()
                .ends_with("the end of the result at byte 12 has extra bytes"),
            "{e}"
        );
        // A count of 4 billion with nothing after it: an error, not a huge allocation.
        let e = kv_page(&Record::default().u32(1).str("").u32(u32::MAX).0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        // A string length past the end, even one that would overflow an offset.
        let e = kv_page(&Record::default().u32(1).u32(u32::MAX).0).unwrap_err();
        assert!(
            e.message()
                .ends_with("cursor at byte 4 is cut off by the end of the result"),
            "{e}"
        );
    }

    #[test]
    fn s3_object_records() {
        let record = Record::default()
            .object("photos/../cat\0.jpg", 11, &[("owner", "ada"), ("x", "")])
            .0;
        let expected = meta("photos/../cat\0.jpg", 11, &[("owner", "ada"), ("x", "")]);
        assert_eq!(s3_meta(&record).unwrap(), expected);
        assert_every_cut_is_malformed(&record, |r| s3_meta(&r));
        let mut extra = record.clone();
        extra.push(0);
        assert_eq!(s3_meta(&extra).unwrap_err().kind(), ErrorKind::Malformed);

        let with_body = Record::default()
            .object("k", 11, &[])
            .bytes(b"hello\0world")
            .0;
        let object = s3_object(with_body.clone()).unwrap();
        assert_eq!(
            (object.meta, object.body),
            (meta("k", 11, &[]), b"hello\0world".to_vec())
        );
        let head = Record::default().object("k", 11, &[]).0.len();
        assert_every_cut_is_malformed(&with_body[..head], s3_object);
        let empty_body = s3_object(with_body[..head].to_vec()).unwrap();
        assert!(empty_body.body.is_empty());
    }

    #[test]
    fn s3_list_pages() {
        let record = Record::default()
            .u32(1)
            .str("token-3")
            .u32(2)
            .object("a/1.jpg", 3, &[])
            .object("a/2.jpg", 4, &[("k", "v")])
            .u32(2)
            .str("a/b/")
            .str("a/c/")
            .0;
        let page = s3_page(&record).unwrap();
        assert!(page.is_truncated);
        assert_eq!(page.next_continuation_token.as_deref(), Some("token-3"));
        assert_eq!(
            page.objects,
            [meta("a/1.jpg", 3, &[]), meta("a/2.jpg", 4, &[("k", "v")])]
        );
        assert_eq!(page.common_prefixes, ["a/b/", "a/c/"]);
        assert_every_cut_is_malformed(&record, |r| s3_page(&r));

        let empty = s3_page(&Record::default().u32(0).str("").u32(0).u32(0).0).unwrap();
        assert_eq!(
            (
                empty.objects.len(),
                empty.common_prefixes.len(),
                empty.is_truncated
            ),
            (0, 0, false)
        );
        assert_eq!(empty.next_continuation_token, None);
        let e = s3_page(&Record::default().u32(7).str("").u32(0).u32(0).0).unwrap_err();
        assert!(e.message().contains("is_truncated"), "{e}");
    }

    #[test]
    fn metadata_writer_round_trips_through_the_reader() {
        let pairs = vec![
            ("owner".to_string(), "Ada Lovelace".to_string()),
            ("empty".to_string(), String::new()),
            ("ünïcode".to_string(), "✓\n".to_string()),
        ];
        let written = metadata(&pairs).unwrap();
        assert_eq!(&written[..4], &3u32.to_le_bytes());
        let mut r = Reader::new(&written);
        let (count, capacity) = r.count("count", 8).unwrap();
        assert_eq!((count, capacity), (3, 3));
        let mut read = Vec::new();
        for _ in 0..count {
            read.push((r.string("name").unwrap(), r.string("value").unwrap()));
        }
        r.end().unwrap();
        assert_eq!(read, pairs);
        assert_eq!(written.len(), 4 + 3 * 8 + 5 + 12 + 5 + 9 + 4);
        assert!(
            metadata(&[]).unwrap().is_empty(),
            "no metadata is sent as length 0"
        );
    }

    #[test]
    fn reader_primitives() {
        let bytes = Record::default().u32(7).u64(u64::MAX).u64(0).u64(9).0;
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u32("a").unwrap(), 7);
        assert_eq!(r.u64("b").unwrap(), u64::MAX);
        assert_eq!(r.opt_u64("c").unwrap(), None);
        assert_eq!(r.opt_u64("d").unwrap(), Some(9));
        r.end().unwrap();
        assert_eq!(r.u32("e").unwrap_err().kind(), ErrorKind::Malformed);
    }
}
