//! S3 objects and buckets: round trips, ranges, listing, copy, names.

use super::*;
use crate::state::{Checksum, ChecksumAlgorithm};
use md5::{Digest, Md5};
use std::collections::BTreeMap;

pub(super) fn md5_hex(bytes: &[u8]) -> String {
    crate::hex::hex(&Md5::digest(bytes))
}

#[test]
fn put_get_head_delete_round_trip_with_etag_and_defaults() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let body = b"hello, world";
    let meta = state
        .put_object(
            "bucket",
            "greeting.txt",
            body,
            &PutOptions {
                user_metadata: BTreeMap::from([("Author".into(), "Ada".into())]),
                ..Default::default()
            },
            T0 + 7,
        )
        .unwrap();
    assert_eq!(meta.etag, format!("\"{}\"", md5_hex(body)));
    assert_eq!(meta.size, 12);
    assert_eq!(meta.content_type, "binary/octet-stream");
    assert_eq!(
        meta.user_metadata,
        BTreeMap::from([("author".into(), "Ada".into())])
    );
    assert_eq!(meta.last_modified_ns, T0 + 7);
    assert_eq!(state.head_object("bucket", "greeting.txt").unwrap(), meta);
    let (got, bytes) = state.get_object("bucket", "greeting.txt", None).unwrap();
    assert_eq!((got, bytes.as_slice()), (meta.clone(), &body[..]));

    let deleted = state
        .delete_object("bucket", "greeting.txt")
        .unwrap()
        .unwrap();
    assert!(deleted.sequencer > meta.sequencer);
    assert_eq!(deleted.etag, meta.etag);
    assert_eq!(state.delete_object("bucket", "greeting.txt").unwrap(), None);
    let err = state.head_object("bucket", "greeting.txt").unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("NoSuchKey", 404));
    let err = state.get_object("nope", "greeting.txt", None).unwrap_err();
    assert_eq!(err.code(), "NoSuchBucket");
    let err = state.delete_object("nope", "k").unwrap_err();
    assert_eq!(err.code(), "NoSuchBucket");
    let err = state
        .put_object("nope", "k", b"", &PutOptions::default(), T0)
        .unwrap_err();
    assert_eq!(err.code(), "NoSuchBucket");
}

#[test]
fn sequencers_increase_across_writes_deletes_and_buckets() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    state.create_bucket("other", T0).unwrap();
    let mut seen = vec![put_obj(&state, "a", b"1").sequencer];
    seen.push(put_obj(&state, "a", b"2").sequencer);
    seen.push(
        state
            .put_object("other", "a", b"", &PutOptions::default(), T0)
            .unwrap()
            .sequencer,
    );
    seen.push(
        state
            .delete_object("bucket", "a")
            .unwrap()
            .unwrap()
            .sequencer,
    );
    let copy = state
        .copy_object("other", "a", "bucket", "b", &CopyOptions::default(), T0)
        .unwrap();
    seen.push(copy.sequencer);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(
        seen.iter()
            .all(|s| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    );
}

#[test]
fn if_none_match_any_refuses_to_overwrite() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let once = PutOptions {
        if_none_match_any: true,
        ..Default::default()
    };
    state.put_object("bucket", "k", b"1", &once, T0).unwrap();
    let err = state
        .put_object("bucket", "k", b"2", &once, T0)
        .unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("PreconditionFailed", 412));
    assert_eq!(state.get_object("bucket", "k", None).unwrap().1, b"1");
}

#[test]
fn user_metadata_over_two_kib_is_refused() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let options = |len| PutOptions {
        user_metadata: BTreeMap::from([("k".into(), "v".repeat(len))]),
        ..Default::default()
    };
    state
        .put_object("bucket", "k", b"", &options(2047), T0)
        .unwrap();
    let err = state
        .put_object("bucket", "k", b"", &options(2048), T0)
        .unwrap_err();
    assert_eq!(err.code(), "MetadataTooLarge");
}

#[test]
fn byte_ranges_parse_as_http_defines_them() {
    use ByteRange::*;
    assert_eq!(
        ByteRange::parse("bytes=0-99"),
        Some(FromTo { first: 0, last: 99 })
    );
    assert_eq!(ByteRange::parse("bytes=5-"), Some(From { first: 5 }));
    assert_eq!(ByteRange::parse("bytes=-5"), Some(Suffix { len: 5 }));
    assert_eq!(
        ByteRange::parse(" bytes=1-1 "),
        Some(FromTo { first: 1, last: 1 })
    );
    for ignored in [
        "bytes=5-4",
        "bytes=-",
        "bytes=0-1,3-4",
        "items=0-1",
        "bytes=a-b",
        "bytes=+1-2",
        "0-1",
    ] {
        assert_eq!(ByteRange::parse(ignored), None, "{ignored}");
    }
    assert_eq!(FromTo { first: 0, last: 99 }.to_string(), "bytes=0-99");
}

#[test]
fn get_object_returns_the_requested_range() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let body = pattern(100, 1);
    put_obj(&state, "k", &body);
    let get = |header: &str| state.get_object("bucket", "k", ByteRange::parse(header));
    assert_eq!(get("bytes=0-9").unwrap().1, &body[0..10]);
    assert_eq!(get("bytes=90-200").unwrap().1, &body[90..]);
    assert_eq!(get("bytes=99-99").unwrap().1, &body[99..]);
    assert_eq!(get("bytes=95-").unwrap().1, &body[95..]);
    assert_eq!(get("bytes=-3").unwrap().1, &body[97..]);
    assert_eq!(get("bytes=-1000").unwrap().1, body);
    let (meta, _) = get("bytes=10-19").unwrap();
    assert_eq!(
        meta.size, 100,
        "the metadata gives the whole size, for Content-Range"
    );
    for unsatisfiable in ["bytes=100-", "bytes=100-200", "bytes=-0"] {
        let err = get(unsatisfiable).unwrap_err();
        assert!(
            matches!(err, BucketError::InvalidRange { size: 100 }),
            "{unsatisfiable}: {err}"
        );
        assert_eq!(err.http_status(), 416);
    }
    put_obj(&state, "empty", b"");
    let err = state
        .get_object("bucket", "empty", ByteRange::parse("bytes=0-"))
        .unwrap_err();
    assert_eq!(err.code(), "InvalidRange");
}

#[test]
fn ranges_of_large_bodies_read_only_the_range_from_the_blob_file() {
    let dir = TempDir::new("range");
    let state = open(&dir);
    bucket(&state);
    let body = pattern(300_000, 9);
    put_obj(&state, "big", &body);
    assert_eq!(dir.blob_files().len(), 1);
    let range = ByteRange::FromTo {
        first: 123_456,
        last: 200_000,
    };
    assert_eq!(
        state.get_object("bucket", "big", Some(range)).unwrap().1,
        &body[123_456..=200_000]
    );
    let tail = ByteRange::Suffix { len: 10 };
    assert_eq!(
        state.get_object("bucket", "big", Some(tail)).unwrap().1,
        &body[body.len() - 10..]
    );
}

#[test]
fn delimiter_listing_rolls_keys_up_into_common_prefixes() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    for key in [
        "a.txt",
        "docs/a",
        "docs/b/c",
        "docs/b/d",
        "docs/z",
        "docs/",
        "photos/2020/x.jpg",
        "photos/2021/y.jpg",
        "photos/2021/z.jpg",
        "photos/top.jpg",
        "zz",
        "é/1",
        "é/2",
    ] {
        put_obj(&state, key, key.as_bytes());
    }
    let request = ListRequest {
        delimiter: Some("/".into()),
        ..Default::default()
    };
    let page = state.list_objects("bucket", &request).unwrap();
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a.txt", "zz"]);
    assert_eq!(page.common_prefixes, ["docs/", "photos/", "é/"]);
    assert!(!page.is_truncated);
    assert_eq!(page.objects[0].size, 5);

    let request = ListRequest {
        prefix: "photos/".into(),
        delimiter: Some("/".into()),
        ..Default::default()
    };
    let page = state.list_objects("bucket", &request).unwrap();
    assert_eq!(page.common_prefixes, ["photos/2020/", "photos/2021/"]);
    assert_eq!(
        page.objects
            .iter()
            .map(|o| o.key.as_str())
            .collect::<Vec<_>>(),
        ["photos/top.jpg"]
    );

    let request = ListRequest {
        prefix: "docs/".into(),
        delimiter: Some("/".into()),
        ..Default::default()
    };
    let page = state.list_objects("bucket", &request).unwrap();
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["docs/", "docs/a", "docs/z"]);
    assert_eq!(page.common_prefixes, ["docs/b/"]);

    // A delimiter of several characters; an empty delimiter means none.
    let request = ListRequest {
        delimiter: Some("/2".into()),
        prefix: "photos".into(),
        ..Default::default()
    };
    let page = state.list_objects("bucket", &request).unwrap();
    assert_eq!(page.common_prefixes, ["photos/2"]);
    let request = ListRequest {
        delimiter: Some(String::new()),
        ..Default::default()
    };
    assert_eq!(
        state
            .list_objects("bucket", &request)
            .unwrap()
            .objects
            .len(),
        13
    );
}

#[test]
fn delimiter_pagination_splits_across_prefixes_without_gaps_or_duplicates() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let mut keys = Vec::new();
    for group in ["a", "b", "c", "é", "日"] {
        for i in 0..group.len() * 3 {
            keys.push(format!("{group}/{i}"));
        }
        keys.push(format!("{group}-loose"));
    }
    keys.extend(["a", "b/", "c/x/y", "top"].map(String::from));
    for key in &keys {
        put_obj(&state, key, b"");
    }
    for prefix in ["", "a", "c/"] {
        let request = ListRequest {
            prefix: prefix.into(),
            delimiter: Some("/".into()),
            ..Default::default()
        };
        let whole = state.list_objects("bucket", &request).unwrap();
        assert!(!whole.is_truncated);
        let whole_keys: Vec<String> = whole.objects.iter().map(|o| o.key.clone()).collect();
        for max_keys in 1..=7 {
            let request = ListRequest {
                max_keys,
                ..request.clone()
            };
            let (keys, prefixes, pages) = list_all(&state, &request);
            assert_eq!(keys, whole_keys, "max_keys {max_keys} prefix {prefix:?}");
            assert_eq!(prefixes, whole.common_prefixes, "max_keys {max_keys}");
            let items = whole_keys.len() + whole.common_prefixes.len();
            assert_eq!(pages, items.div_ceil(max_keys as usize).max(1));
        }
    }
    // V1: `next_marker` is given with a delimiter and continues the same way.
    let mut request = ListRequest {
        delimiter: Some("/".into()),
        max_keys: 2,
        ..Default::default()
    };
    let mut items = Vec::new();
    loop {
        let page = state.list_objects("bucket", &request).unwrap();
        items.extend(page.objects.iter().map(|o| o.key.clone()));
        items.extend(page.common_prefixes.iter().cloned());
        if !page.is_truncated {
            break;
        }
        request.marker = page.next_marker;
        assert!(request.marker.is_some());
    }
    items.sort();
    assert_eq!(
        items,
        [
            "a",
            "a-loose",
            "a/",
            "b-loose",
            "b/",
            "c-loose",
            "c/",
            "top",
            "é-loose",
            "é/",
            "日-loose",
            "日/"
        ]
    );
}

#[test]
fn listing_without_delimiter_pages_through_every_key_in_byte_order() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let keys = tricky_keys();
    for key in &keys {
        put_obj(&state, key, b"");
    }
    for max_keys in [1, 10, 1000] {
        let request = ListRequest {
            max_keys,
            ..Default::default()
        };
        let (listed, prefixes, _) = list_all(&state, &request);
        assert_eq!(listed, sorted_by_bytes(keys.clone()));
        assert!(prefixes.is_empty());
    }
    let after_a = ListRequest {
        start_after: Some("a/b".into()),
        prefix: "a".into(),
        ..Default::default()
    };
    let (listed, _, _) = list_all(&state, &after_a);
    assert_eq!(listed, ["a/b/c", "aa", "aaa", "ab"]);
    let page = state
        .list_objects(
            "bucket",
            &ListRequest {
                max_keys: 0,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(page.objects.is_empty() && !page.is_truncated);
    let bad = ListRequest {
        continuation_token: Some("!!".into()),
        ..Default::default()
    };
    assert_eq!(
        state.list_objects("bucket", &bad).unwrap_err().code(),
        "InvalidArgument"
    );
    assert_eq!(
        state
            .list_objects("nope", &ListRequest::default())
            .unwrap_err()
            .code(),
        "NoSuchBucket"
    );
}

#[test]
fn copy_keeps_or_replaces_metadata_as_directed() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    state.create_bucket("dest", T0).unwrap();
    let original = PutOptions {
        content_type: Some("text/plain".into()),
        user_metadata: BTreeMap::from([("a".into(), "1".into())]),
        ..Default::default()
    };
    let src = state
        .put_object("bucket", "src", b"body", &original, T0)
        .unwrap();

    let copied = state
        .copy_object(
            "bucket",
            "src",
            "dest",
            "copy",
            &CopyOptions::default(),
            T0 + 1,
        )
        .unwrap();
    assert_eq!(
        (copied.bucket.as_str(), copied.key.as_str()),
        ("dest", "copy")
    );
    assert_eq!(copied.etag, src.etag);
    assert_eq!(copied.content_type, "text/plain");
    assert_eq!(copied.user_metadata, src.user_metadata);
    assert_eq!(copied.last_modified_ns, T0 + 1);
    assert_eq!(state.get_object("dest", "copy", None).unwrap().1, b"body");

    let replace = CopyOptions {
        replace_metadata: Some(PutOptions {
            user_metadata: BTreeMap::from([("b".into(), "2".into())]),
            ..Default::default()
        }),
    };
    let replaced = state
        .copy_object("bucket", "src", "bucket", "src", &replace, T0 + 2)
        .unwrap();
    assert_eq!(replaced.content_type, "binary/octet-stream");
    assert_eq!(
        replaced.user_metadata,
        BTreeMap::from([("b".into(), "2".into())])
    );
    assert_eq!(state.head_object("bucket", "src").unwrap(), replaced);

    let err = state
        .copy_object(
            "bucket",
            "src",
            "bucket",
            "src",
            &CopyOptions::default(),
            T0,
        )
        .unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("InvalidRequest", 400));
    let err = state
        .copy_object(
            "bucket",
            "missing",
            "dest",
            "x",
            &CopyOptions::default(),
            T0,
        )
        .unwrap_err();
    assert_eq!(err.code(), "NoSuchKey");
    let err = state
        .copy_object("bucket", "src", "nope", "x", &CopyOptions::default(), T0)
        .unwrap_err();
    assert_eq!(err.code(), "NoSuchBucket");
}

#[test]
fn copying_a_large_object_gives_the_copy_its_own_blob() {
    let dir = TempDir::new("copy");
    let state = open(&dir);
    bucket(&state);
    let body = pattern(100_000, 3);
    put_obj(&state, "src", &body);
    state
        .copy_object(
            "bucket",
            "src",
            "bucket",
            "dst",
            &CopyOptions::default(),
            T0,
        )
        .unwrap();
    assert_eq!(dir.blob_files().len(), 2);
    state.delete_object("bucket", "src").unwrap();
    assert_eq!(dir.blob_files().len(), 1);
    assert_eq!(state.get_object("bucket", "dst", None).unwrap().1, body);
}

// ---------------------------------------------------------------- buckets

#[test]
fn buckets_are_created_listed_and_deleted_only_when_empty() {
    let state = State::in_memory().unwrap();
    state.create_bucket("zeta", T0).unwrap();
    state.create_bucket("alpha", T0 + 1).unwrap();
    let err = state.create_bucket("alpha", T0).unwrap_err();
    assert_eq!(
        (err.code(), err.http_status()),
        ("BucketAlreadyOwnedByYou", 409)
    );
    state.ensure_bucket("alpha", T0 + 5).unwrap();
    state.ensure_bucket("mid", T0 + 2).unwrap();
    let names: Vec<String> = state
        .list_buckets()
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
    assert_eq!(state.head_bucket("alpha").unwrap().created_ns, T0 + 1);
    assert_eq!(
        state.head_bucket("nope").unwrap_err().code(),
        "NoSuchBucket"
    );

    state
        .put_object("alpha", "k", b"", &PutOptions::default(), T0)
        .unwrap();
    let err = state.delete_bucket("alpha").unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("BucketNotEmpty", 409));
    state.delete_object("alpha", "k").unwrap();
    let upload = state
        .create_multipart_upload("alpha", "big", &PutOptions::default(), T0)
        .unwrap();
    assert_eq!(
        state.delete_bucket("alpha").unwrap_err().code(),
        "BucketNotEmpty"
    );
    state
        .abort_multipart_upload("alpha", "big", &upload)
        .unwrap();
    state.delete_bucket("alpha").unwrap();
    assert_eq!(
        state.delete_bucket("alpha").unwrap_err().code(),
        "NoSuchBucket"
    );
}

#[test]
fn bucket_names_follow_the_s3_rules() {
    let state = State::in_memory().unwrap();
    for good in ["abc", "my-bucket.v2", "0-9", &"a".repeat(63), "1.2.3"] {
        state
            .create_bucket(good, T0)
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        "ab",
        &"a".repeat(64),
        "My-Bucket",
        "under_score",
        "-dash",
        "dot.",
        "a..b",
        "192.168.5.4",
        "xn--bucket",
        "sthree-x",
        "amzn-s3-demo-x",
        "x-s3alias",
        "x--ol-s3",
        "x.mrap",
        "x--x-s3",
        "x--table-s3",
        "../etc",
        "sp ace",
    ] {
        let err = state.create_bucket(bad, T0).unwrap_err();
        assert_eq!(
            (err.code(), err.http_status()),
            ("InvalidBucketName", 400),
            "{bad}"
        );
        assert_eq!(
            state.ensure_bucket(bad, T0).unwrap_err().code(),
            "InvalidBucketName"
        );
    }
}

#[test]
fn listing_seeks_through_the_primary_key_index() {
    let state = State::in_memory().unwrap();
    let plan = state
        .inner
        .db
        .read(|conn| -> Result<_, StateError> {
            let mut stmt = conn.prepare(
                "EXPLAIN QUERY PLAN SELECT key, size FROM objects
                 WHERE bucket = ?1 AND key >= CAST(?2 AS TEXT) ORDER BY key",
            )?;
            let rows = stmt.query_map(rusqlite::params!["b", b"k".to_vec()], |r| {
                r.get::<_, String>(3)
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("\n"))
        })
        .unwrap();
    assert!(
        plan.contains("USING INDEX sqlite_autoindex_objects_1 (bucket=? AND key>?)"),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "no sort: {plan}");
}

#[test]
fn a_checksum_put_with_an_object_is_returned_by_head_get_and_list() {
    let dir = TempDir::new("checksum");
    let state = open(&dir);
    bucket(&state);
    let small = b"hello world\nhello world\nhello world\n";
    let given = Checksum {
        algorithm: ChecksumAlgorithm::Crc32,
        value: "6wn4jA==".into(),
    };
    let put = state
        .put_object_with_checksum(
            "bucket",
            "small",
            small,
            &PutOptions::default(),
            Some(&given),
            T0,
        )
        .unwrap();
    assert_eq!(put.checksum, Some(given.clone()));
    // A body kept in a file keeps its checksum in the row all the same.
    let large = pattern(100_000, 7);
    let sha = Checksum::of(ChecksumAlgorithm::Sha256, &large);
    state
        .put_object_with_checksum(
            "bucket",
            "large",
            &large,
            &PutOptions::default(),
            Some(&sha),
            T0,
        )
        .unwrap();
    assert_eq!(dir.blob_files().len(), 1);

    assert_eq!(
        state.head_object("bucket", "small").unwrap().checksum,
        Some(given.clone())
    );
    assert_eq!(
        state
            .get_object("bucket", "large", None)
            .unwrap()
            .0
            .checksum,
        Some(sha.clone())
    );
    let listed = state
        .list_objects("bucket", &ListRequest::default())
        .unwrap();
    let checksums: Vec<_> = listed.objects.iter().map(|o| o.checksum.clone()).collect();
    assert_eq!(checksums, [Some(sha), Some(given)]);

    // A put without a checksum replaces the object and its checksum.
    let plain = put_obj(&state, "small", b"other bytes");
    assert_eq!(plain.checksum, None);
    assert_eq!(state.head_object("bucket", "small").unwrap().checksum, None);
}

#[test]
fn a_checksum_that_is_not_the_bodys_is_refused_and_nothing_is_stored() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    put_obj(&state, "k", b"old");
    let wrong = Checksum::of(ChecksumAlgorithm::Crc32, b"something else");
    let err = state
        .put_object_with_checksum(
            "bucket",
            "k",
            b"new",
            &PutOptions::default(),
            Some(&wrong),
            T0,
        )
        .unwrap_err();
    assert_eq!((err.code(), err.http_status()), ("BadDigest", 400));
    assert!(err.to_string().contains("CRC32"), "{err}");
    let (meta, body) = state.get_object("bucket", "k", None).unwrap();
    assert_eq!((body.as_slice(), meta.checksum), (&b"old"[..], None));
}

#[test]
fn a_copy_keeps_the_sources_checksum_whatever_its_metadata_directive() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let checksum = Checksum::of(ChecksumAlgorithm::Crc64Nvme, b"body");
    state
        .put_object_with_checksum(
            "bucket",
            "src",
            b"body",
            &PutOptions::default(),
            Some(&checksum),
            T0,
        )
        .unwrap();
    let copied = state
        .copy_object(
            "bucket",
            "src",
            "bucket",
            "copy",
            &CopyOptions::default(),
            T0,
        )
        .unwrap();
    assert_eq!(copied.checksum, Some(checksum.clone()));
    let replace = CopyOptions {
        replace_metadata: Some(PutOptions::default()),
    };
    let replaced = state
        .copy_object("bucket", "src", "bucket", "src", &replace, T0 + 1)
        .unwrap();
    assert_eq!(replaced.checksum, Some(checksum.clone()));
    assert_eq!(
        state.head_object("bucket", "copy").unwrap().checksum,
        Some(checksum)
    );
}

#[test]
fn metadata_or_content_types_that_would_split_a_response_head_are_refused() {
    // Bug pinned: a guest's `s3_put` stored `x-amz-meta-*` values with CR LF,
    // and every later GET of the object wrote them into its response head.
    let state = State::in_memory().unwrap();
    bucket(&state);
    let refused = [
        PutOptions {
            user_metadata: BTreeMap::from([("a".into(), "x\r\nSet-Cookie: pwn=1".into())]),
            ..Default::default()
        },
        PutOptions {
            user_metadata: BTreeMap::from([("a\r\nSet-Cookie".into(), "x".into())]),
            ..Default::default()
        },
        PutOptions {
            content_type: Some("text/html\nX-Evil: 1".into()),
            ..Default::default()
        },
        PutOptions {
            user_metadata: BTreeMap::from([("nul".into(), "a\0b".into())]),
            ..Default::default()
        },
    ];
    for options in &refused {
        let err = state
            .put_object("bucket", "k", b"x", options, T0)
            .unwrap_err();
        assert_eq!(err.code(), "InvalidArgument", "{options:?}: {err}");
        let upload = state.create_multipart_upload("bucket", "k", options, T0);
        assert!(upload.is_err(), "{options:?}");
    }
    assert!(
        state.head_object("bucket", "k").is_err(),
        "nothing was stored"
    );
    let tab = PutOptions {
        content_type: Some("text/plain;\tcharset=utf-8".into()),
        ..Default::default()
    };
    state.put_object("bucket", "k", b"x", &tab, T0).unwrap();
}

/// A body of `len` bytes made on the fly, `pattern(i)` at offset `i`.
struct Generated {
    at: u64,
    len: u64,
}

fn generated_byte(i: u64) -> u8 {
    (i % 251) as u8
}

impl std::io::Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.len - self.at) as usize);
        for (k, byte) in buf[..n].iter_mut().enumerate() {
            *byte = generated_byte(self.at + k as u64);
        }
        self.at += n as u64;
        Ok(n)
    }
}

#[test]
fn a_streamed_body_is_staged_to_a_file_and_read_back_by_span() {
    let dir = TempDir::new("stream");
    let state = open(&dir);
    bucket(&state);
    let len = 3 * 1024 * 1024 + 17;
    let mut body = Generated { at: 0, len };
    let staged = state.stage_object_body(&mut body).unwrap();
    assert_eq!(staged.size(), len);
    let mut all = Generated { at: 0, len };
    let mut expected = Vec::new();
    std::io::Read::read_to_end(&mut all, &mut expected).unwrap();
    assert_eq!(staged.md5_hex(), md5_hex(&expected));
    let meta = state
        .put_staged_object("bucket", "big", staged, &PutOptions::default(), None, T0)
        .unwrap();
    assert_eq!(meta.etag, format!("\"{}\"", md5_hex(&expected)));
    let (_, opened) = state.open_object("bucket", "big").unwrap();
    let span = opened.span(2_000_000, 1000).unwrap();
    assert_eq!(span.len(), 1000);
    assert_eq!(span.into_vec().unwrap(), &expected[2_000_000..2_001_000]);
}

#[test]
fn a_body_whose_reader_fails_midway_stores_nothing_and_leaves_no_file() {
    struct Broken(Generated);
    impl std::io::Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.at >= 1024 * 1024 {
                return Err(std::io::ErrorKind::ConnectionReset.into());
            }
            self.0.read(buf)
        }
    }
    let dir = TempDir::new("broken");
    let state = open(&dir);
    bucket(&state);
    let mut body = Broken(Generated {
        at: 0,
        len: 4 << 20,
    });
    let err = state.stage_object_body(&mut body).unwrap_err();
    assert!(matches!(err, StageError::Read(_)), "{err}");
    assert_eq!(
        dir.blob_files(),
        Vec::<String>::new(),
        "the temp file is removed"
    );
}
