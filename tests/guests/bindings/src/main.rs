//! Performs exactly one KV or S3 operation per request through the SDK, so host
//! tests can drive every binding, and every error, from outside.
//!
//! # Request body
//!
//! ```text
//! <operation>\n
//! <name>=<value>\n      zero or more arguments
//! \n                    a blank line, then the payload (the value of kv.put,
//! <payload bytes>       the body of s3.put), raw bytes until the end
//! ```
//!
//! Argument values are percent-decoded (`%0A` newline, `%00` NUL, `%25` a `%`);
//! every other byte stands for itself, so `metadata={"a":1}` needs no escaping.
//! Decoded values must be UTF-8. Without a blank line there is no payload. A
//! `\r` ending a line is ignored. An argument the operation does not take, or one
//! given twice (other than `meta`), is a bad command, and nothing is done.
//!
//! # Operations
//!
//! Required arguments first, optional ones in brackets:
//!
//! | operation    | arguments | SDK call |
//! | ------------ | --------- | -------- |
//! | `kv.get`      | `ns key [raw]` | `Kv::get` |
//! | `kv.get_text` | `ns key` | `Kv::get_text` |
//! | `kv.get_meta` | `ns key [raw]` | `Kv::get_with_metadata` |
//! | `kv.put`      | `ns key [ttl_ms] [expiration_ns] [metadata]`, payload = value | `Kv::put`, or `Kv::put_with` if any option is given |
//! | `kv.delete`   | `ns key` | `Kv::delete` |
//! | `kv.list`     | `ns [prefix] [limit] [cursor]` | `Kv::list` |
//! | `kv.keys`     | `ns [prefix] [limit]` | `Kv::keys` (every page; `limit` is the page size) |
//! | `s3.get`      | `bucket key [range] [raw]` | `Bucket::get`, or `Bucket::get_range` with `range` |
//! | `s3.head`     | `bucket key` | `Bucket::head` |
//! | `s3.put`      | `bucket key [content_type] [meta]...`, payload = body | `Bucket::put`, or `Bucket::put_with` if any option is given |
//! | `s3.delete`   | `bucket key` | `Bucket::delete` |
//! | `s3.list`     | `bucket [prefix] [delimiter] [max_keys] [token]` | `Bucket::list` |
//! | `s3.objects`  | `bucket [prefix] [max_keys]` | `Bucket::objects` (every page; `max_keys` is the page size) |
//! | `s3.copy`     | `bucket key dst_bucket dst_key` | `Bucket::copy` |
//!
//! `meta` may repeat; each is `name:value`, split at the first raw `:` before
//! decoding (write a `:` in a name as `%3A`). `raw` is `1` or `0`.
//!
//! # Response
//!
//! One JSON object, `application/json`:
//!
//! - success, status 200: `{"ok":true, ...}` with the result's fields below;
//! - an error from the SDK, status 200:
//!   `{"ok":false,"error":"NOT_FOUND","code":1,"message":"..."}` (`error` is
//!   `ErrorKind::name`, `code` the host's status or `null`);
//! - a bad command, status 400: `{"ok":false,"error":"BAD_COMMAND","code":null,"message":"..."}`.
//!
//! Result fields, by operation:
//!
//! - getters (`kv.get*`, `s3.get`, `s3.head`) add `"found":false` and nothing else
//!   for a missing key, else `"found":true` and:
//!   - `kv.get`: the bytes field `value`;
//!   - `kv.get_text`: `"text":"..."`;
//!   - `kv.get_meta`: `value`, `"metadata":"<JSON text>"|null`, `"expiration_ns":N|null`;
//!   - `s3.get`: `"object":OBJECT` and the bytes field `body`;
//!   - `s3.head`: `"object":OBJECT`;
//! - `kv.put`, `kv.delete`, `s3.delete`: nothing more;
//! - `kv.list`: `"keys":[KEY...],"list_complete":bool,"cursor":"..."|null`;
//! - `kv.keys`: `"keys":[KEY...]`;
//! - `s3.put`, `s3.copy`: `"object":OBJECT`;
//! - `s3.list`: `"objects":[OBJECT...],"common_prefixes":["..."],"is_truncated":bool,"next_continuation_token":"..."|null`;
//! - `s3.objects`: `"objects":[OBJECT...]`.
//!
//! `KEY` is `{"name":"...","expiration_ns":N|null,"metadata":"<JSON text>"|null}`;
//! `OBJECT` is `{"key":"...","size":N,"last_modified_ns":N,"etag":"...",
//! "content_type":"...","metadata":[["name","value"],...]}`. Metadata JSON is
//! passed through as a string, never embedded. A bytes field `x` appears as
//! `"x_len":N` and either `"x":"<text>"` if the bytes are UTF-8 or
//! `"x_hex":"<lowercase hex>"` if not. With `raw=1` and a found value, the
//! response body is instead the raw bytes (`application/octet-stream`) and the
//! JSON, without the bytes field, is in the header `x-result`.
use std::str::FromStr;
use std::time::Duration;

use wasmfaas_sdk::kv::{self, Kv};
use wasmfaas_sdk::s3::{self, Bucket, ObjectMeta};
use wasmfaas_sdk::{Error, Response, json, serve};

fn main() {
    serve(|req| {
        let reply = run(req.body());
        match reply {
            Ok(Reply { json, raw: None }) => json_response(200, json),
            Ok(Reply {
                json,
                raw: Some(bytes),
            }) => Response::new(200)
                .with_header("content-type", "application/octet-stream")
                .with_header("x-result", json)
                .with_body(bytes),
            Err(Fail::Binding(e)) => {
                let code = e.kind().code().map_or("null".into(), |c| c.to_string());
                let json = Obj::default()
                    .field("ok", "false")
                    .field("error", json::string(e.kind().name()))
                    .field("code", code)
                    .field("message", json::string(e.message()))
                    .end();
                json_response(200, json)
            }
            Err(Fail::Bad(message)) => {
                eprintln!("bindings: bad command: {message}");
                let json = Obj::default()
                    .field("ok", "false")
                    .field("error", "\"BAD_COMMAND\"")
                    .field("code", "null")
                    .field("message", json::string(&message))
                    .end();
                json_response(400, json)
            }
        }
    });
}

fn json_response(status: u16, json: String) -> Response {
    Response::json(json).with_status(status)
}

/// A successful operation: its JSON, and the raw bytes to answer with instead of
/// it when `raw=1` was asked.
struct Reply {
    json: String,
    raw: Option<Vec<u8>>,
}

enum Fail {
    /// The SDK call failed.
    Binding(Error),
    /// The command itself is wrong.
    Bad(String),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Binding(e)
    }
}

fn bad<T>(message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Bad(message.into()))
}

fn run(body: &[u8]) -> Result<Reply, Fail> {
    let (op, mut args, payload) = parse(body)?;
    eprintln!("bindings: {op}");
    match op {
        "kv.get" => {
            let (kv, key, raw) = (args.kv()?, args.req("key")?, args.flag("raw")?);
            args.done()?;
            let Some(value) = kv.get(&key)? else {
                return Ok(not_found());
            };
            Ok(found_bytes(Obj::found(), "value", value, raw))
        }
        "kv.get_text" => {
            let (kv, key) = (args.kv()?, args.req("key")?);
            args.done()?;
            let Some(text) = kv.get_text(&key)? else {
                return Ok(not_found());
            };
            Ok(Reply::json(Obj::found().field("text", json::string(&text))))
        }
        "kv.get_meta" => {
            let (kv, key, raw) = (args.kv()?, args.req("key")?, args.flag("raw")?);
            args.done()?;
            let Some(entry) = kv.get_with_metadata(&key)? else {
                return Ok(not_found());
            };
            let obj = Obj::found()
                .field("metadata", opt_string(entry.metadata.as_deref()))
                .field("expiration_ns", opt_number(entry.expiration_ns));
            Ok(found_bytes(obj, "value", entry.value, raw))
        }
        "kv.put" => {
            let (kv, key) = (args.kv()?, args.req("key")?);
            let ttl_ms: Option<u64> = args.number("ttl_ms")?;
            let options = kv::PutOptions {
                ttl: ttl_ms.map(Duration::from_millis),
                expiration_ns: args.number("expiration_ns")?,
                metadata: args.opt("metadata")?,
            };
            args.done()?;
            if options == kv::PutOptions::default() {
                kv.put(&key, payload)?;
            } else {
                kv.put_with(&key, payload, &options)?;
            }
            Ok(Reply::json(Obj::ok()))
        }
        "kv.delete" => {
            let (kv, key) = (args.kv()?, args.req("key")?);
            args.done()?;
            kv.delete(&key)?;
            Ok(Reply::json(Obj::ok()))
        }
        "kv.list" => {
            let kv = args.kv()?;
            let options = kv::ListOptions {
                prefix: args.opt("prefix")?.unwrap_or_default(),
                limit: args.number("limit")?,
                cursor: args.opt("cursor")?,
            };
            args.done()?;
            let page = kv.list(&options)?;
            let obj = Obj::ok()
                .field("keys", array(page.keys.iter().map(key_json)))
                .field("list_complete", page.list_complete.to_string())
                .field("cursor", opt_string(page.cursor.as_deref()));
            Ok(Reply::json(obj))
        }
        "kv.keys" => {
            let (kv, prefix) = (args.kv()?, args.opt("prefix")?.unwrap_or_default());
            let limit: Option<u32> = args.number("limit")?;
            args.done()?;
            let mut keys = kv.keys(&prefix);
            if let Some(limit) = limit {
                keys = keys.page_size(limit);
            }
            let keys = keys.collect::<Result<Vec<_>, _>>()?;
            Ok(Reply::json(
                Obj::ok().field("keys", array(keys.iter().map(key_json))),
            ))
        }
        "s3.get" => {
            let (bucket, key) = (args.bucket()?, args.req("key")?);
            let (range, raw) = (args.opt("range")?, args.flag("raw")?);
            args.done()?;
            let object = match range {
                Some(range) => bucket.get_range(&key, &range)?,
                None => bucket.get(&key)?,
            };
            let Some(object) = object else {
                return Ok(not_found());
            };
            let obj = Obj::found().field("object", object_json(&object.meta));
            Ok(found_bytes(obj, "body", object.body, raw))
        }
        "s3.head" => {
            let (bucket, key) = (args.bucket()?, args.req("key")?);
            args.done()?;
            let Some(meta) = bucket.head(&key)? else {
                return Ok(not_found());
            };
            Ok(Reply::json(
                Obj::found().field("object", object_json(&meta)),
            ))
        }
        "s3.put" => {
            let (bucket, key) = (args.bucket()?, args.req("key")?);
            let content_type = args.opt("content_type")?;
            let metadata = args.meta()?;
            args.done()?;
            let meta = if content_type.is_none() && metadata.is_empty() {
                bucket.put(&key, payload)?
            } else {
                let options = s3::PutOptions {
                    content_type,
                    metadata,
                };
                bucket.put_with(&key, payload, &options)?
            };
            Ok(Reply::json(Obj::ok().field("object", object_json(&meta))))
        }
        "s3.delete" => {
            let (bucket, key) = (args.bucket()?, args.req("key")?);
            args.done()?;
            bucket.delete(&key)?;
            Ok(Reply::json(Obj::ok()))
        }
        "s3.list" => {
            let bucket = args.bucket()?;
            let options = s3::ListOptions {
                prefix: args.opt("prefix")?.unwrap_or_default(),
                delimiter: args.opt("delimiter")?.unwrap_or_default(),
                max_keys: args.number("max_keys")?,
                continuation_token: args.opt("token")?,
            };
            args.done()?;
            let page = bucket.list(&options)?;
            let prefixes = page.common_prefixes.iter().map(|p| json::string(p));
            let obj = Obj::ok()
                .field("objects", array(page.objects.iter().map(object_json)))
                .field("common_prefixes", array(prefixes))
                .field("is_truncated", page.is_truncated.to_string())
                .field(
                    "next_continuation_token",
                    opt_string(page.next_continuation_token.as_deref()),
                );
            Ok(Reply::json(obj))
        }
        "s3.objects" => {
            let (bucket, prefix) = (args.bucket()?, args.opt("prefix")?.unwrap_or_default());
            let max_keys: Option<u32> = args.number("max_keys")?;
            args.done()?;
            let mut objects = bucket.objects(&prefix);
            if let Some(max_keys) = max_keys {
                objects = objects.page_size(max_keys);
            }
            let objects = objects.collect::<Result<Vec<_>, _>>()?;
            Ok(Reply::json(
                Obj::ok().field("objects", array(objects.iter().map(object_json))),
            ))
        }
        "s3.copy" => {
            let (bucket, key) = (args.bucket()?, args.req("key")?);
            let (dst_bucket, dst_key) = (args.req("dst_bucket")?, args.req("dst_key")?);
            args.done()?;
            let meta = bucket.copy(&key, &dst_bucket, &dst_key)?;
            Ok(Reply::json(Obj::ok().field("object", object_json(&meta))))
        }
        _ => bad(format!("unknown operation {op:?}")),
    }
}

/// Splits the body into the operation, its arguments and the payload.
fn parse(body: &[u8]) -> Result<(&str, Args<'_>, &[u8]), Fail> {
    let mut lines = Vec::new();
    let mut rest = body;
    let payload = loop {
        let (line, after) = match rest.iter().position(|&b| b == b'\n') {
            Some(nl) => (&rest[..nl], Some(&rest[nl + 1..])),
            None => (rest, None),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else {
            return bad("the command lines must be UTF-8 (percent-encode other bytes)");
        };
        match after {
            Some(after) if line.is_empty() => break after,
            Some(after) => {
                lines.push(line);
                rest = after;
            }
            None => {
                if !line.is_empty() {
                    lines.push(line);
                }
                break &[][..];
            }
        }
    };
    let Some((&op, lines)) = lines.split_first() else {
        return bad("no operation: the body's first line names one (such as kv.get)");
    };
    let mut pairs = Vec::with_capacity(lines.len());
    for line in lines {
        let Some((name, value)) = line.split_once('=') else {
            return bad(format!("argument line {line:?} has no '='"));
        };
        pairs.push((name, value));
    }
    Ok((op, Args { pairs }, payload))
}

/// The arguments not taken yet, values still percent-encoded.
struct Args<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl Args<'_> {
    /// The raw value of `name`, removed; a second one stays and makes
    /// [`Args::done`] fail.
    fn take_raw(&mut self, name: &str) -> Option<&str> {
        let at = self.pairs.iter().position(|&(n, _)| n == name)?;
        Some(self.pairs.remove(at).1)
    }

    fn opt(&mut self, name: &str) -> Result<Option<String>, Fail> {
        self.take_raw(name).map(|v| decode(name, v)).transpose()
    }

    fn req(&mut self, name: &str) -> Result<String, Fail> {
        match self.opt(name)? {
            Some(value) => Ok(value),
            None => bad(format!("missing argument {name}")),
        }
    }

    fn number<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, Fail> {
        let Some(value) = self.opt(name)? else {
            return Ok(None);
        };
        match value.parse() {
            Ok(n) => Ok(Some(n)),
            Err(_) => bad(format!(
                "argument {name} is not a number in range: {value:?}"
            )),
        }
    }

    fn flag(&mut self, name: &str) -> Result<bool, Fail> {
        match self.opt(name)?.as_deref() {
            None | Some("0") => Ok(false),
            Some("1") => Ok(true),
            Some(other) => bad(format!("argument {name} must be 1 or 0, not {other:?}")),
        }
    }

    /// Every `meta=name:value`, split before decoding.
    fn meta(&mut self) -> Result<Vec<(String, String)>, Fail> {
        let mut pairs = Vec::new();
        while let Some(raw) = self.take_raw("meta") {
            let Some((name, value)) = raw.split_once(':') else {
                return bad(format!("meta {raw:?} is not name:value"));
            };
            pairs.push((decode("meta", name)?, decode("meta", value)?));
        }
        Ok(pairs)
    }

    fn kv(&mut self) -> Result<Kv, Fail> {
        Ok(Kv::open(self.req("ns")?))
    }

    fn bucket(&mut self) -> Result<Bucket, Fail> {
        Ok(Bucket::open(self.req("bucket")?))
    }

    /// Fails on any argument left over: unknown, or given twice.
    fn done(self) -> Result<(), Fail> {
        match self.pairs.first() {
            None => Ok(()),
            Some((name, _)) => bad(format!("unexpected argument {name} (unknown or repeated)")),
        }
    }
}

/// Percent-decodes the value of the argument `name`.
fn decode(name: &str, value: &str) -> Result<String, Fail> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let digit = |at: usize| bytes.get(at).and_then(|&c| char::from(c).to_digit(16));
        match (digit(i + 1), digit(i + 2)) {
            (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
            _ => return bad(format!("argument {name} has a bad % escape")),
        }
        i += 3;
    }
    match String::from_utf8(out) {
        Ok(s) => Ok(s),
        Err(_) => bad(format!("argument {name} is not UTF-8 once decoded")),
    }
}

impl Reply {
    fn json(obj: Obj) -> Reply {
        Reply {
            json: obj.end(),
            raw: None,
        }
    }
}

fn not_found() -> Reply {
    Reply::json(Obj::ok().field("found", "false"))
}

/// `obj` with the bytes field `name`, or `obj` alone and the bytes raw.
fn found_bytes(obj: Obj, name: &str, bytes: Vec<u8>, raw: bool) -> Reply {
    if raw {
        return Reply {
            json: obj.end(),
            raw: Some(bytes),
        };
    }
    let obj = obj.field(&format!("{name}_len"), bytes.len().to_string());
    let obj = match std::str::from_utf8(&bytes) {
        Ok(text) => obj.field(name, json::string(text)),
        Err(_) => obj.field(&format!("{name}_hex"), json::string(&hex(&bytes))),
    };
    Reply::json(obj)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// A JSON object written field by field; values are JSON already.
#[derive(Default)]
struct Obj(String);

impl Obj {
    fn ok() -> Obj {
        Obj::default().field("ok", "true")
    }

    fn found() -> Obj {
        Obj::ok().field("found", "true")
    }

    fn field(mut self, name: &str, value: impl AsRef<str>) -> Obj {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        self.0.push_str(&json::string(name));
        self.0.push(':');
        self.0.push_str(value.as_ref());
        self
    }

    fn end(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }
}

fn array(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    format!("[{}]", items.join(","))
}

fn opt_string(value: Option<&str>) -> String {
    value.map_or_else(|| "null".into(), json::string)
}

fn opt_number(value: Option<u64>) -> String {
    value.map_or_else(|| "null".into(), |n| n.to_string())
}

fn key_json(key: &kv::Key) -> String {
    Obj::default()
        .field("name", json::string(&key.name))
        .field("expiration_ns", opt_number(key.expiration_ns))
        .field("metadata", opt_string(key.metadata.as_deref()))
        .end()
}

fn object_json(meta: &ObjectMeta) -> String {
    let pairs = meta
        .metadata
        .iter()
        .map(|(n, v)| format!("[{},{}]", json::string(n), json::string(v)));
    Obj::default()
        .field("key", json::string(&meta.key))
        .field("size", meta.size.to_string())
        .field("last_modified_ns", meta.last_modified_ns.to_string())
        .field("etag", json::string(&meta.etag))
        .field("content_type", json::string(&meta.content_type))
        .field("metadata", array(pairs))
        .end()
}
