//! S3 buckets, with the semantics of AWS S3.
//!
//! A function may use the buckets its config lists (`s3 = ["photos"]` in
//! `wasmfaas.toml`); any other answers [`ErrorKind::Denied`]. Writes and deletes
//! fire the bucket's S3 event triggers, as they do through the S3 endpoint.
//!
//! ```no_run
//! use wasmfaas_sdk::s3::{Bucket, PutOptions};
//!
//! # fn main() -> Result<(), wasmfaas_sdk::Error> {
//! let photos = Bucket::open("photos");
//! let options = PutOptions {
//!     content_type: Some("image/jpeg".into()),
//!     metadata: vec![("owner".into(), "ada".into())],
//! };
//! let meta = photos.put_with("cats/tom.jpg", b"\xff\xd8\xff", &options)?;
//! println!("stored {} bytes, etag {}", meta.size, meta.etag);
//!
//! if let Some(photo) = photos.get("cats/tom.jpg")? {
//!     println!("{} is {}", photo.meta.key, photo.meta.content_type);
//! }
//! photos.copy("cats/tom.jpg", "photos", "archive/tom.jpg")?;
//! for object in photos.objects("cats/") {
//!     println!("{}", object?.key);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Keys are 1 to 1024 bytes of UTF-8; any characters are allowed, `../` and NUL
//! included, and are stored as data, never as paths.

use crate::error::found;
use crate::{Error, ErrorKind, binary, host};

/// A bucket. Opening one makes no host call: a bucket the function may not use
/// fails on its first operation, with [`ErrorKind::Denied`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    name: String,
}

/// What the host knows of an object, without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The object's key.
    pub key: String,
    /// The whole object's size in bytes (also for a ranged get).
    pub size: u64,
    /// When it was last written, in nanoseconds since the Unix epoch.
    pub last_modified_ns: u64,
    /// The entity tag, computed as AWS computes it.
    pub etag: String,
    /// The content type it was stored with.
    pub content_type: String,
    /// The user metadata (`x-amz-meta-*`) as `(name, value)` pairs.
    pub metadata: Vec<(String, String)>,
}

impl ObjectMeta {
    /// The value of the metadata `name`, compared case-insensitively as S3 does.
    pub fn metadata_value(&self, name: &str) -> Option<&str> {
        let mut pairs = self.metadata.iter();
        let found = pairs.find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, value)| value.as_str())
    }
}

/// An object with its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// What the host knows of it; `meta.size` is the whole object's size.
    pub meta: ObjectMeta,
    /// The body, or the requested range of it.
    pub body: Vec<u8>,
}

/// Options for [`Bucket::put_with`]; the default stores an object with the
/// host's default content type and no metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// The content type (`image/jpeg`).
    pub content_type: Option<String>,
    /// User metadata as `(name, value)` pairs.
    pub metadata: Vec<(String, String)>,
}

/// Options for [`Bucket::list`]; the default lists the first page of all objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// List only keys that start with this (`""`: all keys).
    pub prefix: String,
    /// Group keys that contain this after the prefix into
    /// [`ListPage::common_prefixes`] (`"/"` lists one "directory" level; `""`
    /// does not group).
    pub delimiter: String,
    /// At most this many objects and common prefixes per page; `None` means the
    /// host's default (1000, as in S3).
    pub max_keys: Option<u32>,
    /// Where to continue: the [`ListPage::next_continuation_token`] of the
    /// previous page.
    pub continuation_token: Option<String>,
}

/// One page of [`Bucket::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// The objects, in lexicographic byte order of their keys.
    pub objects: Vec<ObjectMeta>,
    /// The common prefixes, when listing with a delimiter.
    pub common_prefixes: Vec<String>,
    /// Whether more pages follow.
    pub is_truncated: bool,
    /// Pass this back in [`ListOptions::continuation_token`] for the next page.
    pub next_continuation_token: Option<String>,
}

impl Bucket {
    /// The bucket called `name` (as listed under `s3` in `wasmfaas.toml`).
    pub fn open(name: impl Into<String>) -> Bucket {
        Bucket { name: name.into() }
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The object at `key` with its body, or `None` if there is none.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::Bucket;
    /// match Bucket::open("photos").get("cats/tom.jpg")? {
    ///     Some(photo) => println!("{} bytes", photo.body.len()),
    ///     None => println!("no such photo"),
    /// }
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Denied`] if the bucket is not granted,
    /// [`ErrorKind::NoSuchBucket`], [`ErrorKind::InvalidKey`], and the other
    /// [`ErrorKind`]s.
    pub fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        self.get_range(key, "")
    }

    /// Part of the object at `key`: `range` is an HTTP range such as
    /// `bytes=0-99`, `bytes=100-` or `bytes=-10` (the last 10 bytes); `""` is the
    /// whole object. `None` if there is no object.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::Bucket;
    /// if let Some(head) = Bucket::open("photos").get_range("cats/tom.jpg", "bytes=0-15")? {
    ///     println!("the first {} of {} bytes", head.body.len(), head.meta.size);
    /// }
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidRange`] if the range lies outside the object, and as
    /// [`Bucket::get`].
    pub fn get_range(&self, key: &str, range: &str) -> Result<Option<Object>, Error> {
        match found(host::s3_get(&self.name, key, range))? {
            Some(result) => binary::s3_object(result).map(Some),
            None => Ok(None),
        }
    }

    /// What the host knows of the object at `key`, without its body, or `None` if
    /// there is none.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::Bucket;
    /// let exists = Bucket::open("photos").head("cats/tom.jpg")?.is_some();
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Bucket::get`].
    pub fn head(&self, key: &str) -> Result<Option<ObjectMeta>, Error> {
        match found(host::s3_head(&self.name, key))? {
            Some(result) => binary::s3_meta(&result).map(Some),
            None => Ok(None),
        }
    }

    /// Stores `body` at `key`, replacing any object there, and returns the new
    /// object's record.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::Bucket;
    /// let meta = Bucket::open("photos").put("notes/today.txt", "buy milk")?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] for a body over the limit, and as [`Bucket::get`].
    pub fn put(&self, key: &str, body: impl AsRef<[u8]>) -> Result<ObjectMeta, Error> {
        self.put_raw(key, body.as_ref(), &PutOptions::default())
    }

    /// Stores `body` at `key` with a content type and metadata.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::{Bucket, PutOptions};
    /// let options = PutOptions {
    ///     content_type: Some("application/json".into()),
    ///     metadata: vec![("source".into(), "import".into())],
    /// };
    /// Bucket::open("photos").put_with("index.json", "[]", &options)?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Bucket::put`].
    pub fn put_with(
        &self,
        key: &str,
        body: impl AsRef<[u8]>,
        options: &PutOptions,
    ) -> Result<ObjectMeta, Error> {
        self.put_raw(key, body.as_ref(), options)
    }

    fn put_raw(&self, key: &str, body: &[u8], options: &PutOptions) -> Result<ObjectMeta, Error> {
        let metadata = binary::metadata(&options.metadata)?;
        let content_type = options.content_type.as_deref().unwrap_or_default();
        let result = host::s3_put(&self.name, key, body, content_type, &metadata)?;
        binary::s3_meta(&result)
    }

    /// Deletes the object at `key`; deleting one that is not there succeeds.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::Bucket;
    /// Bucket::open("photos").delete("cats/tom.jpg")?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Bucket::get`].
    pub fn delete(&self, key: &str) -> Result<(), Error> {
        host::s3_delete(&self.name, key).map(drop)
    }

    /// One page of objects (and, with a delimiter, common prefixes).
    /// [`Bucket::objects`] walks every page for you.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::{Bucket, ListOptions};
    /// let options = ListOptions { prefix: "cats/".into(), delimiter: "/".into(), ..ListOptions::default() };
    /// let page = Bucket::open("photos").list(&options)?;
    /// for dir in &page.common_prefixes {
    ///     println!("{dir}");
    /// }
    /// for object in &page.objects {
    ///     println!("{} ({} bytes)", object.key, object.size);
    /// }
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for a bad token or `max_keys`, and as
    /// [`Bucket::get`].
    pub fn list(&self, options: &ListOptions) -> Result<ListPage, Error> {
        let token = options.continuation_token.as_deref().unwrap_or_default();
        let max_keys = options.max_keys.map_or(0, i64::from);
        let (prefix, delimiter) = (&options.prefix, &options.delimiter);
        let result = host::s3_list(&self.name, prefix, delimiter, token, max_keys)?;
        binary::s3_page(&result)
    }

    /// Every object whose key starts with `prefix` (`""`: all of them), fetched a
    /// page at a time as the iteration goes.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::Bucket;
    /// let mut total = 0;
    /// for object in Bucket::open("photos").objects("cats/") {
    ///     total += object?.size;
    /// }
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// An error ends the iteration after it is yielded.
    pub fn objects(&self, prefix: &str) -> Objects<'_> {
        Objects {
            bucket: self,
            options: ListOptions {
                prefix: prefix.to_owned(),
                ..ListOptions::default()
            },
            page: Vec::new().into_iter(),
            done: false,
        }
    }

    /// Copies the object at `src_key` to `dst_key` in the bucket `dst_bucket`
    /// (which may be this one), and returns the new object's record.
    ///
    /// ```no_run
    /// # use wasmfaas_sdk::s3::Bucket;
    /// Bucket::open("photos").copy("cats/tom.jpg", "photos", "archive/tom.jpg")?;
    /// # Ok::<(), wasmfaas_sdk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if there is no object at `src_key`,
    /// [`ErrorKind::Denied`] unless both buckets are granted, and as
    /// [`Bucket::get`].
    pub fn copy(
        &self,
        src_key: &str,
        dst_bucket: &str,
        dst_key: &str,
    ) -> Result<ObjectMeta, Error> {
        let result = host::s3_copy(&self.name, src_key, dst_bucket, dst_key)?;
        binary::s3_meta(&result)
    }
}

/// Every object with a prefix: the iterator of [`Bucket::objects`].
#[derive(Debug)]
pub struct Objects<'a> {
    bucket: &'a Bucket,
    options: ListOptions,
    page: std::vec::IntoIter<ObjectMeta>,
    /// No more pages to fetch.
    done: bool,
}

impl Objects<'_> {
    /// Fetches at most `max_keys` objects per host call instead of the host's
    /// default.
    pub fn page_size(mut self, max_keys: u32) -> Self {
        self.options.max_keys = Some(max_keys);
        self
    }

    fn next_page(&mut self) -> Result<(), Error> {
        let page = self.bucket.list(&self.options)?;
        self.done = !page.is_truncated;
        if !self.done {
            // Without a token, asking again would fetch the same page forever.
            match page.next_continuation_token {
                Some(token) => self.options.continuation_token = Some(token),
                None => {
                    let msg = "malformed result from the host: a truncated page has no token";
                    return Err(Error::new(ErrorKind::Malformed, msg));
                }
            }
        }
        self.page = page.objects.into_iter();
        Ok(())
    }
}

impl Iterator for Objects<'_> {
    type Item = Result<ObjectMeta, Error>;

    fn next(&mut self) -> Option<Result<ObjectMeta, Error>> {
        loop {
            if let Some(object) = self.page.next() {
                return Some(Ok(object));
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

impl std::iter::FusedIterator for Objects<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn outside_wasmfaas_every_operation_is_unavailable() {
        let bucket = Bucket::open("photos");
        assert_eq!(bucket.name(), "photos");
        let unavailable = |e: Error| assert_eq!(e.kind(), ErrorKind::Unavailable);
        unavailable(bucket.get("k").unwrap_err());
        unavailable(bucket.get_range("k", "bytes=0-1").unwrap_err());
        unavailable(bucket.head("k").unwrap_err());
        unavailable(bucket.put("k", "v").unwrap_err());
        let options = PutOptions {
            content_type: Some("text/plain".into()),
            metadata: vec![("a".into(), "b".into())],
        };
        unavailable(bucket.put_with("k", b"v", &options).unwrap_err());
        unavailable(bucket.delete("k").unwrap_err());
        unavailable(bucket.list(&ListOptions::default()).unwrap_err());
        unavailable(bucket.copy("k", "photos", "k2").unwrap_err());
        let mut objects = bucket.objects("").page_size(10);
        unavailable(objects.next().unwrap().unwrap_err());
        assert!(objects.next().is_none(), "an error ends the iteration");
    }

    #[test]
    fn metadata_names_are_case_insensitive() {
        let meta = ObjectMeta {
            key: "k".into(),
            size: 0,
            last_modified_ns: 1,
            etag: "\"d41d8cd98f00b204e9800998ecf8427e\"".into(),
            content_type: "text/plain".into(),
            metadata: vec![("Owner".into(), "ada".into())],
        };
        assert_eq!(meta.metadata_value("owner"), Some("ada"));
        assert_eq!(meta.metadata_value("OWNER"), Some("ada"));
        assert_eq!(meta.metadata_value("other"), None);
    }
}
