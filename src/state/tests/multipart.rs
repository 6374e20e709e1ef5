//! Multipart uploads.

use super::s3::md5_hex;
use super::*;
use md5::{Digest, Md5};

const MIB: usize = 1024 * 1024;

#[test]
fn multipart_upload_joins_parts_and_computes_the_aws_etag() {
    let dir = TempDir::new("multipart");
    let state = open(&dir);
    bucket(&state);
    let options = PutOptions {
        content_type: Some("video/mp4".into()),
        ..Default::default()
    };
    let id = state
        .create_multipart_upload("bucket", "movie", &options, T0)
        .unwrap();
    let parts = [
        pattern(5 * MIB, 1),
        pattern(5 * MIB + 3, 2),
        pattern(1000, 3),
    ];
    let mut sent = Vec::new();
    for (i, body) in parts.iter().enumerate() {
        let info = state
            .upload_part("bucket", "movie", &id, i as u32 + 1, body, T0 + i as u64)
            .unwrap();
        assert_eq!(info.etag, format!("\"{}\"", md5_hex(body)));
        assert_eq!(info.size, body.len() as u64);
        // Clients send ETags quoted or not.
        let etag = if i % 2 == 0 {
            info.etag
        } else {
            info.etag.trim_matches('"').to_owned()
        };
        sent.push((i as u32 + 1, etag));
    }
    // Re-uploading a part replaces it; a part not listed at completion is dropped.
    state
        .upload_part("bucket", "movie", &id, 9, b"unlisted", T0)
        .unwrap();
    let listed = state.list_parts("bucket", "movie", &id).unwrap();
    assert_eq!(
        listed.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        [1, 2, 3, 9]
    );

    let meta = state
        .complete_multipart_upload("bucket", "movie", &id, &sent, T0 + 10)
        .unwrap();

    let mut digests = Vec::new();
    for body in &parts {
        digests.extend_from_slice(&Md5::digest(body));
    }
    assert_eq!(meta.etag, format!("\"{}-3\"", md5_hex(&digests)));
    assert_eq!(meta.content_type, "video/mp4");
    assert_eq!(meta.size, parts.iter().map(|p| p.len() as u64).sum::<u64>());
    let (head, body) = state.get_object("bucket", "movie", None).unwrap();
    assert_eq!(head, meta);
    assert_eq!(body, parts.concat());
    // S3 would combine part checksums into a composite one; none is kept.
    assert_eq!(meta.checksum, None);
    // The part layout is kept for `?partNumber=` reads, readable in the sqlite3 shell.
    let conn = rusqlite::Connection::open(dir.state_dir().join(DATABASE_FILE)).unwrap();
    let (sizes, count): (String, i64) = conn
        .query_row(
            "SELECT part_sizes, json_array_length(part_sizes) FROM objects WHERE key = 'movie'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((sizes.as_str(), count), ("[5242880,5242883,1000]", 3));
    drop(conn);
    // Only the object's blob is left; the upload is gone.
    assert_eq!(dir.blob_files().len(), 1);
    assert_eq!(
        state.list_parts("bucket", "movie", &id).unwrap_err().code(),
        "NoSuchUpload"
    );
    let again = state
        .complete_multipart_upload("bucket", "movie", &id, &sent, T0)
        .unwrap_err();
    assert_eq!((again.code(), again.http_status()), ("NoSuchUpload", 404));
}

#[test]
fn every_part_but_the_last_must_be_five_mib() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let id = state
        .create_multipart_upload("bucket", "k", &PutOptions::default(), T0)
        .unwrap();
    let small = state
        .upload_part("bucket", "k", &id, 1, &vec![1; 5 * MIB - 1], T0)
        .unwrap();
    let last = state
        .upload_part("bucket", "k", &id, 2, b"end", T0)
        .unwrap();
    let parts = [(1, small.etag.clone()), (2, last.etag.clone())];
    let err = state
        .complete_multipart_upload("bucket", "k", &id, &parts, T0)
        .unwrap_err();
    assert!(
        matches!(err, BucketError::EntityTooSmall { part_number: 1, size, .. } if size == 5 * MIB as u64 - 1)
    );
    assert_eq!(err.http_status(), 400);
    // A single small part is fine: it is the last.
    let meta = state
        .complete_multipart_upload("bucket", "k", &id, &[(2, last.etag)], T0)
        .unwrap();
    assert_eq!(meta.size, 3);
    assert!(meta.etag.ends_with("-1\""));
}

#[test]
fn completing_checks_part_numbers_order_and_etags() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let id = state
        .create_multipart_upload("bucket", "k", &PutOptions::default(), T0)
        .unwrap();
    let one = state
        .upload_part("bucket", "k", &id, 1, &vec![0; 5 * MIB], T0)
        .unwrap();
    let two = state.upload_part("bucket", "k", &id, 2, b"x", T0).unwrap();
    let complete =
        |parts: &[(u32, String)]| state.complete_multipart_upload("bucket", "k", &id, parts, T0);

    let err = complete(&[(2, two.etag.clone()), (1, one.etag.clone())]).unwrap_err();
    assert_eq!(err.code(), "InvalidPartOrder");
    let err = complete(&[(1, one.etag.clone()), (1, one.etag.clone())]).unwrap_err();
    assert_eq!(err.code(), "InvalidPartOrder");
    let err = complete(&[(1, one.etag.clone()), (3, two.etag.clone())]).unwrap_err();
    assert!(
        matches!(err, BucketError::InvalidPart { part_number: 3, .. }),
        "{err}"
    );
    let err = complete(&[(1, one.etag.clone()), (2, one.etag.clone())]).unwrap_err();
    assert!(
        matches!(err, BucketError::InvalidPart { part_number: 2, .. }),
        "{err}"
    );
    assert_eq!(complete(&[]).unwrap_err().code(), "InvalidArgument");
    for number in [0, 10_001] {
        let err = state
            .upload_part("bucket", "k", &id, number, b"", T0)
            .unwrap_err();
        assert_eq!(err.code(), "InvalidArgument");
    }
    // The upload belongs to its key.
    let err = state
        .upload_part("bucket", "other", &id, 1, b"", T0)
        .unwrap_err();
    assert_eq!(err.code(), "NoSuchUpload");
    complete(&[(1, one.etag), (2, two.etag)]).unwrap();
}

#[test]
fn an_aborted_upload_is_gone_with_its_part_files() {
    let dir = TempDir::new("abort");
    let state = open(&dir);
    bucket(&state);
    let id = state
        .create_multipart_upload("bucket", "k", &PutOptions::default(), T0)
        .unwrap();
    state
        .upload_part("bucket", "k", &id, 1, &pattern(200_000, 1), T0)
        .unwrap();
    state
        .upload_part("bucket", "k", &id, 1, &pattern(200_000, 2), T0)
        .unwrap();
    assert_eq!(
        dir.blob_files().len(),
        1,
        "the replaced part's file is removed"
    );
    state.abort_multipart_upload("bucket", "k", &id).unwrap();
    assert!(dir.blob_files().is_empty());
    let err = state
        .abort_multipart_upload("bucket", "k", &id)
        .unwrap_err();
    assert_eq!(err.code(), "NoSuchUpload");
    assert_eq!(
        state.head_object("bucket", "k").unwrap_err().code(),
        "NoSuchKey"
    );
}

#[test]
fn upload_ids_differ_for_every_upload() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    let a = state
        .create_multipart_upload("bucket", "k", &PutOptions::default(), T0)
        .unwrap();
    let b = state
        .create_multipart_upload("bucket", "k", &PutOptions::default(), T0)
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
}

/// Uploads `parts` under the given numbers and completes the upload as `key`.
fn complete(state: &State, key: &str, parts: &[(u32, &[u8])]) -> ObjectMeta {
    let id = state
        .create_multipart_upload("bucket", key, &PutOptions::default(), T0)
        .unwrap();
    let mut listed = Vec::new();
    for (number, body) in parts {
        let info = state
            .upload_part("bucket", key, &id, *number, body, T0)
            .unwrap();
        listed.push((*number, info.etag));
    }
    state
        .complete_multipart_upload("bucket", key, &id, &listed, T0)
        .unwrap()
}

#[test]
fn a_part_of_a_multipart_object_is_read_by_its_position() {
    let dir = TempDir::new("part-read");
    let state = open(&dir);
    bucket(&state);
    let (one, two, three) = (
        pattern(5 * MIB, 1),
        pattern(5 * MIB + 3, 2),
        pattern(1000, 3),
    );
    // Numbers may skip; parts are counted in order all the same.
    complete(&state, "movie", &[(1, &one), (4, &two), (9, &three)]);
    let expected = [
        (0, &one),
        ((5 * MIB) as u64, &two),
        ((10 * MIB + 3) as u64, &three),
    ];
    for (n, (offset, bytes)) in (1..).zip(expected) {
        let (meta, part, body) = state.get_object_part("bucket", "movie", n).unwrap();
        let range = PartRange {
            offset,
            size: bytes.len() as u64,
            parts_count: Some(3),
        };
        assert_eq!((part, body.len()), (range, bytes.len()), "part {n}");
        assert!(body == *bytes, "part {n} has other bytes");
        assert_eq!(meta, state.head_object("bucket", "movie").unwrap());
        assert_eq!(
            state.head_object_part("bucket", "movie", n).unwrap(),
            (meta, range)
        );
    }
    for read in [
        state.get_object_part("bucket", "movie", 4).map(|_| ()),
        state.head_object_part("bucket", "movie", 4).map(|_| ()),
    ] {
        let err = read.unwrap_err();
        assert_eq!((err.code(), err.http_status()), ("InvalidPartNumber", 416));
        assert!(err.to_string().contains("3 part"), "{err}");
    }
    let zero = state.get_object_part("bucket", "movie", 0).unwrap_err();
    assert_eq!(zero.code(), "InvalidArgument");
    assert_eq!(
        state
            .get_object_part("bucket", "none", 1)
            .unwrap_err()
            .code(),
        "NoSuchKey"
    );

    // A copy has the same bytes, and so the same parts.
    state
        .copy_object(
            "bucket",
            "movie",
            "bucket",
            "copy",
            &CopyOptions::default(),
            T0,
        )
        .unwrap();
    let (_, part, body) = state.get_object_part("bucket", "copy", 3).unwrap();
    assert_eq!((part.offset, body), ((10 * MIB + 3) as u64, three));
}

#[test]
fn an_object_put_whole_is_its_own_only_part() {
    let state = State::in_memory().unwrap();
    bucket(&state);
    put_obj(&state, "k", b"0123456789");
    let (_, part, body) = state.get_object_part("bucket", "k", 1).unwrap();
    let whole = PartRange {
        offset: 0,
        size: 10,
        parts_count: None,
    };
    assert_eq!((part, body.as_slice()), (whole, &b"0123456789"[..]));
    assert_eq!(state.head_object_part("bucket", "k", 1).unwrap().1, whole);
    let err = state.get_object_part("bucket", "k", 2).unwrap_err();
    assert!(matches!(
        err,
        BucketError::InvalidPartNumber {
            part_number: 2,
            parts_count: 1
        }
    ));
    // An empty object, and an empty last part, read as empty.
    put_obj(&state, "empty", b"");
    let (_, part, body) = state.get_object_part("bucket", "empty", 1).unwrap();
    assert_eq!((part.size, body.len()), (0, 0));
    let one = pattern(5 * MIB, 4);
    complete(&state, "tail", &[(1, &one), (2, b"")]);
    let (_, part, body) = state.get_object_part("bucket", "tail", 2).unwrap();
    assert_eq!((part.offset, part.size, body.len()), (5 * MIB as u64, 0, 0));
}

#[test]
fn part_sizes_edited_by_hand_into_nonsense_are_an_error_not_a_panic() {
    let dir = TempDir::new("part-corrupt");
    let state = open(&dir);
    bucket(&state);
    complete(&state, "k", &[(1, b"tiny")]);
    let conn = rusqlite::Connection::open(dir.state_dir().join(DATABASE_FILE)).unwrap();
    for nonsense in [
        "[1,2]",
        "[]",
        "{\"a\":1}",
        "[-4]",
        "[18446744073709551615,5]",
    ] {
        conn.execute("UPDATE objects SET part_sizes = ?1", [nonsense])
            .unwrap();
        let err = state.get_object_part("bucket", "k", 1).unwrap_err();
        assert_eq!(
            (err.code(), err.http_status()),
            ("InternalError", 500),
            "{nonsense}"
        );
        assert!(err.to_string().contains("part sizes"), "{nonsense}: {err}");
    }
    // Whole reads do not depend on the layout.
    assert_eq!(state.get_object("bucket", "k", None).unwrap().1, b"tiny");
}
