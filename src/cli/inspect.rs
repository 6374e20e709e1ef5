//! `wasmfaas kv ...` and `wasmfaas s3 ...`: reading and changing a project's
//! KV namespaces and buckets from the command line, in the same state the
//! functions and `wasmfaas dev` use.

use super::{Failure, Storage};
use crate::config::Project;
use crate::human;
use crate::runtime::Context;
use crate::state::{KvListRequest, KvPutOptions, ListRequest, PutOptions, State};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// `wasmfaas kv <command>`.
#[derive(Debug, Args)]
pub struct KvArgs {
    #[command(subcommand)]
    pub command: KvCommand,
}

#[derive(Debug, Subcommand)]
pub enum KvCommand {
    /// Print a key's value (raw bytes, as stored).
    Get { namespace: String, key: String },
    /// Store a value: the VALUE argument, or a file's bytes with --file.
    Put {
        namespace: String,
        key: String,
        #[arg(required_unless_present = "file")]
        value: Option<String>,
        #[arg(long, value_name = "PATH", conflicts_with = "value")]
        file: Option<PathBuf>,
        /// Expire after this many seconds.
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
        /// Metadata, as JSON text.
        #[arg(long, value_name = "JSON")]
        metadata: Option<String>,
    },
    /// Delete a key (deleting a missing key succeeds).
    Delete { namespace: String, key: String },
    /// List keys in byte order, one per line.
    List {
        namespace: String,
        #[arg(long, default_value = "")]
        prefix: String,
    },
}

/// `wasmfaas s3 <command>`.
#[derive(Debug, Args)]
pub struct S3Args {
    #[command(subcommand)]
    pub command: S3Command,
}

#[derive(Debug, Subcommand)]
pub enum S3Command {
    /// List buckets, or the objects of `s3://bucket/prefix`.
    Ls { target: Option<String> },
    /// Copy a file to `s3://bucket/key`, or an object to a file (`-` for stdout).
    Cp { from: String, to: String },
    /// Delete `s3://bucket/key`.
    Rm { target: String },
}

pub fn kv(project: &Project, args: &KvArgs, storage: &Storage) -> Result<(), Failure> {
    let now = Context::live().start_time_ns;
    let (state, _) = storage.open(project, now)?;
    let failed = |e: crate::state::KvError| Failure::Failed(e.to_string());
    match &args.command {
        KvCommand::Get { namespace, key } => {
            match state.kv_get(namespace, key, now).map_err(failed)? {
                Some(entry) => write_out(&entry.value),
                None => Err(Failure::Failed(format!(
                    "no key {key:?} in KV namespace `{namespace}`"
                ))),
            }
        }
        KvCommand::Put {
            namespace,
            key,
            value,
            file,
            ttl,
            metadata,
        } => {
            let bytes = match (value, file) {
                (Some(value), _) => value.clone().into_bytes(),
                (None, Some(path)) => read_file(path)?,
                (None, None) => Vec::new(),
            };
            let options = KvPutOptions {
                expiration_ttl: ttl.map(Duration::from_secs),
                metadata: metadata.clone(),
                ..KvPutOptions::default()
            };
            state
                .kv_put(namespace, key, &bytes, &options, now)
                .map_err(failed)
        }
        KvCommand::Delete { namespace, key } => state.kv_delete(namespace, key).map_err(failed),
        KvCommand::List { namespace, prefix } => {
            let mut out = std::io::stdout().lock();
            let mut request = KvListRequest {
                prefix: prefix.clone(),
                ..KvListRequest::default()
            };
            loop {
                let page = state.kv_list(namespace, &request, now).map_err(failed)?;
                for key in &page.keys {
                    let _ = writeln!(out, "{}", key.name);
                }
                if page.list_complete {
                    return Ok(());
                }
                request.cursor = page.cursor;
            }
        }
    }
}

pub fn s3(project: &Project, args: &S3Args, storage: &Storage) -> Result<(), Failure> {
    let now = Context::live().start_time_ns;
    let (state, _) = storage.open(project, now)?;
    let failed = |e: crate::state::BucketError| Failure::Failed(e.to_string());
    match &args.command {
        S3Command::Ls { target: None } => {
            let mut out = std::io::stdout().lock();
            for bucket in state.list_buckets().map_err(failed)? {
                let _ = writeln!(out, "{} s3://{}", human::utc_of_ns(bucket.created_ns), bucket.name);
            }
            Ok(())
        }
        S3Command::Ls { target: Some(target) } => {
            let (bucket, prefix) = s3_url(target)?;
            list(&state, &bucket, &prefix)
        }
        S3Command::Cp { from, to } => match (from.strip_prefix("s3://"), to.strip_prefix("s3://")) {
            (None, Some(_)) => {
                let (bucket, key) = s3_url(to)?;
                let key = if key.is_empty() || key.ends_with('/') {
                    let name = PathBuf::from(from);
                    let name = name.file_name().map(|n| n.to_string_lossy().into_owned());
                    format!("{key}{}", name.unwrap_or_default())
                } else {
                    key
                };
                let body = read_file(&PathBuf::from(from))?;
                let meta = state
                    .put_object(&bucket, &key, &body, &PutOptions::default(), now)
                    .map_err(failed)?;
                eprintln!("upload: {from} to s3://{bucket}/{key} ({}, ETag {})", human::bytes(meta.size), meta.etag);
                Ok(())
            }
            (Some(_), None) => {
                let (bucket, key) = s3_url(from)?;
                let (_, body) = state.get_object(&bucket, &key, None).map_err(failed)?;
                if to == "-" {
                    write_out(&body)
                } else {
                    std::fs::write(to, &body)
                        .map_err(|e| Failure::Failed(format!("cannot write {to}: {e}")))
                }
            }
            _ => Err(Failure::Usage(
                "`wasmfaas s3 cp` copies between a file and an s3://bucket/key URL; exactly one side \
                 must be an s3:// URL"
                    .into(),
            )),
        },
        S3Command::Rm { target } => {
            let (bucket, key) = s3_url(target)?;
            state.delete_object(&bucket, &key).map_err(failed)?;
            eprintln!("delete: s3://{bucket}/{key}");
            Ok(())
        }
    }
}

/// Lists a bucket like `aws s3 ls`: prefixes as `PRE name/`, objects with
/// time, size and key.
fn list(state: &State, bucket: &str, prefix: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let mut request = ListRequest {
        prefix: prefix.to_string(),
        delimiter: Some("/".to_string()),
        ..ListRequest::default()
    };
    loop {
        let page = state
            .list_objects(bucket, &request)
            .map_err(|e| Failure::Failed(e.to_string()))?;
        for common in &page.common_prefixes {
            let _ = writeln!(out, "{:>30} PRE {}", "", &common[prefix.len()..]);
        }
        for object in &page.objects {
            let _ = writeln!(
                out,
                "{} {:>10} {}",
                human::utc_of_ns(object.last_modified_ns),
                object.size,
                &object.key[prefix.len()..]
            );
        }
        if !page.is_truncated {
            return Ok(());
        }
        request.continuation_token = page.next_continuation_token;
    }
}

/// `s3://bucket/key` → `(bucket, key)`.
fn s3_url(url: &str) -> Result<(String, String), Failure> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| {
        Failure::Usage(format!("{url:?} is not an S3 URL; write s3://bucket/key"))
    })?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Failure::Usage(format!(
            "{url:?} names no bucket; write s3://bucket/key"
        )));
    }
    Ok((bucket.to_string(), key.to_string()))
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Failed(format!("cannot read {}: {e}", path.display())))
}

/// Writes raw bytes to stdout; a closed pipe is not an error.
fn write_out(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
    Ok(())
}
