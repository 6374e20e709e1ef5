//! KV: expiration, limits, ordering and cursors.

use super::*;
use std::time::Duration;

#[test]
fn kv_put_then_get_returns_value_metadata_and_expiration() {
    let state = State::in_memory().unwrap();
    let options = KvPutOptions {
        expiration_ttl: Some(Duration::from_secs(90)),
        metadata: Some(r#"{"owner":"ada"}"#.into()),
        ..Default::default()
    };
    state.kv_put("ns", "k", b"v\0\xff", &options, T0).unwrap();
    let entry = state.kv_get("ns", "k", T0).unwrap().unwrap();
    assert_eq!(entry.value, b"v\0\xff");
    assert_eq!(entry.metadata.as_deref(), Some(r#"{"owner":"ada"}"#));
    assert_eq!(entry.expiration_ns, Some(T0 + 90 * SEC));
    assert_eq!(state.kv_get("other-ns", "k", T0).unwrap(), None);
}

#[test]
fn entries_expire_exactly_at_their_expiration_time() {
    let state = State::in_memory().unwrap();
    let ttl = KvPutOptions {
        expiration_ttl: Some(Duration::from_secs(10)),
        ..Default::default()
    };
    state.kv_put("ns", "ttl", b"1", &ttl, T0).unwrap();
    let at = KvPutOptions {
        expiration_ns: Some(T0 + 5 * SEC),
        ..Default::default()
    };
    state.kv_put("ns", "at", b"2", &at, T0).unwrap();
    put(&state, "forever", b"3", T0);

    let names = |now| all_kv_keys(&state, "", 1000, now).0;
    assert_eq!(names(T0 + 5 * SEC - 1), ["at", "forever", "ttl"]);
    assert!(
        state
            .kv_get("ns", "at", T0 + 5 * SEC - 1)
            .unwrap()
            .is_some()
    );
    assert_eq!(state.kv_get("ns", "at", T0 + 5 * SEC).unwrap(), None);
    assert_eq!(names(T0 + 5 * SEC), ["forever", "ttl"]);
    assert_eq!(state.kv_get("ns", "ttl", T0 + 10 * SEC).unwrap(), None);
    assert_eq!(names(T0 + 10 * SEC), ["forever"]);
    // The virtual clock may go back (a replay): the entry is there again until purged.
    assert!(state.kv_get("ns", "ttl", T0).unwrap().is_some());

    assert_eq!(state.kv_purge_expired(T0 + 10 * SEC).unwrap(), 2);
    assert_eq!(state.kv_get("ns", "ttl", T0).unwrap(), None);
    assert!(state.kv_get("ns", "forever", u64::MAX).unwrap().is_some());
}

#[test]
fn a_put_without_expiration_clears_an_earlier_one() {
    let state = State::in_memory().unwrap();
    let ttl = KvPutOptions {
        expiration_ttl: Some(Duration::from_secs(10)),
        ..Default::default()
    };
    state.kv_put("ns", "k", b"1", &ttl, T0).unwrap();
    put(&state, "k", b"2", T0);
    let entry = state.kv_get("ns", "k", T0 + 100 * SEC).unwrap().unwrap();
    assert_eq!(
        (entry.value.as_slice(), entry.expiration_ns),
        (&b"2"[..], None)
    );
}

#[test]
fn expirations_under_one_second_are_refused_and_ttl_wins_over_an_absolute_time() {
    let state = State::in_memory().unwrap();
    let cases = [
        (Some(Duration::from_millis(999)), None),
        (None, Some(T0)),
        (None, Some(T0 - 1)),
        (None, Some(T0 + SEC - 1)),
    ];
    for (ttl, at) in cases {
        let options = KvPutOptions {
            expiration_ttl: ttl,
            expiration_ns: at,
            metadata: None,
        };
        let err = state.kv_put("ns", "k", b"", &options, T0).unwrap_err();
        assert!(
            matches!(err, KvError::InvalidTtl { .. }),
            "{ttl:?} {at:?}: {err}"
        );
        assert_eq!(err.code(), "invalid-ttl");
    }
    let both = KvPutOptions {
        expiration_ttl: Some(Duration::from_secs(1)),
        expiration_ns: Some(T0 + 100 * SEC),
        metadata: None,
    };
    state.kv_put("ns", "k", b"", &both, T0).unwrap();
    assert_eq!(
        state.kv_get("ns", "k", T0).unwrap().unwrap().expiration_ns,
        Some(T0 + SEC)
    );
}

#[test]
fn kv_limits_are_enforced_with_errors_that_say_the_limit() {
    let state = State::in_memory().unwrap();
    let none = KvPutOptions::default();
    for key in ["", ".", ".."] {
        let err = state.kv_put("ns", key, b"", &none, T0).unwrap_err();
        assert_eq!(err.code(), "invalid-key", "{key:?}");
        assert!(matches!(
            state.kv_get("ns", key, T0),
            Err(KvError::InvalidKey { .. })
        ));
        assert!(matches!(
            state.kv_delete("ns", key),
            Err(KvError::InvalidKey { .. })
        ));
    }
    state
        .kv_put("ns", &"é".repeat(256), b"", &none, T0)
        .unwrap();
    let err = state
        .kv_put("ns", &"k".repeat(513), b"", &none, T0)
        .unwrap_err();
    assert!(err.to_string().contains("513 bytes"), "{err}");
    // "..." and "./" are ordinary keys.
    state.kv_put("ns", "...", b"", &none, T0).unwrap();
    state.kv_put("ns", "./", b"", &none, T0).unwrap();

    state
        .kv_put("ns", "big", &vec![0; limits::KV_MAX_VALUE_BYTES], &none, T0)
        .unwrap();
    let err = state
        .kv_put(
            "ns",
            "big",
            &vec![0; limits::KV_MAX_VALUE_BYTES + 1],
            &none,
            T0,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            KvError::ValueTooLarge {
                size: 26_214_401,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("25 MiB"), "{err}");

    let meta = |json: String| KvPutOptions {
        metadata: Some(json),
        ..Default::default()
    };
    let fits = format!("\"{}\"", "m".repeat(1022));
    state.kv_put("ns", "m", b"", &meta(fits), T0).unwrap();
    let over = format!("\"{}\"", "m".repeat(1023));
    let err = state.kv_put("ns", "m", b"", &meta(over), T0).unwrap_err();
    assert_eq!(err.code(), "metadata-too-large");
    let err = state
        .kv_put("ns", "m", b"", &meta("{oops".into()), T0)
        .unwrap_err();
    assert_eq!(err.code(), "invalid-metadata");
    assert!(err.to_string().contains("JSON"), "{err}");

    for limit in [0, 1001] {
        let request = KvListRequest {
            limit,
            ..Default::default()
        };
        let err = state.kv_list("ns", &request, T0).unwrap_err();
        assert!(matches!(err, KvError::InvalidLimit { .. }), "{err}");
    }
    for cursor in ["not base64!", "", "Mg"] {
        let request = KvListRequest {
            cursor: Some(cursor.into()),
            ..Default::default()
        };
        let err = state.kv_list("ns", &request, T0).unwrap_err();
        assert_eq!(err.code(), "invalid-cursor", "{cursor:?}");
    }
}

#[test]
fn deleting_a_missing_key_is_ok_and_deleting_a_key_removes_it() {
    let state = State::in_memory().unwrap();
    state.kv_delete("ns", "never").unwrap();
    put(&state, "k", b"v", T0);
    state.kv_delete("ns", "k").unwrap();
    assert_eq!(state.kv_get("ns", "k", T0).unwrap(), None);
}

#[test]
fn list_is_in_byte_order_and_filters_by_prefix() {
    let state = State::in_memory().unwrap();
    let keys = tricky_keys();
    for key in keys.iter().rev() {
        put(&state, key, b"", T0);
    }
    let (listed, _) = all_kv_keys(&state, "", 1000, T0);
    assert_eq!(listed, sorted_by_bytes(keys.clone()));
    for prefix in [
        "a",
        "a\0",
        "a/",
        "é",
        "日本",
        "p/1",
        "\u{10ffff}",
        "nothing",
    ] {
        let (listed, _) = all_kv_keys(&state, prefix, 1000, T0);
        let expected: Vec<String> = keys
            .iter()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        assert_eq!(listed, sorted_by_bytes(expected), "prefix {prefix:?}");
    }
    let page = state.kv_list("ns", &KvListRequest::default(), T0).unwrap();
    assert!(page.list_complete);
    assert_eq!(page.cursor, None);
}

#[test]
fn list_pages_with_a_cursor_have_no_gaps_or_duplicates() {
    let state = State::in_memory().unwrap();
    let keys = tricky_keys();
    for key in &keys {
        let options = KvPutOptions {
            metadata: Some(format!("{}", key.len())),
            ..Default::default()
        };
        state.kv_put("ns", key, b"", &options, T0).unwrap();
    }
    for limit in [1, 2, 3, 7, 229, 230, 231] {
        for prefix in ["", "a", "p/", "p/1"] {
            let expected: Vec<String> = keys
                .iter()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect();
            let (listed, pages) = all_kv_keys(&state, prefix, limit, T0);
            assert_eq!(
                listed,
                sorted_by_bytes(expected.clone()),
                "limit {limit} prefix {prefix:?}"
            );
            assert_eq!(
                pages,
                expected.len().div_ceil(limit as usize).max(1),
                "limit {limit}"
            );
        }
    }
    // A cursor keeps working after the key it names is deleted or a key is added before it.
    let first = state
        .kv_list(
            "ns",
            &KvListRequest {
                limit: 3,
                ..Default::default()
            },
            T0,
        )
        .unwrap();
    state.kv_delete("ns", &first.keys[2].name).unwrap();
    put(&state, "\u{1}", b"", T0);
    let next = KvListRequest {
        limit: 1,
        cursor: first.cursor,
        ..Default::default()
    };
    let page = state.kv_list("ns", &next, T0).unwrap();
    assert_eq!(page.keys[0].name, sorted_by_bytes(keys)[3]);
    assert_eq!(
        page.keys[0].metadata.as_deref(),
        Some(page.keys[0].name.len().to_string().as_str())
    );
}

#[test]
fn namespaces_do_not_see_each_others_keys() {
    let state = State::in_memory().unwrap();
    state
        .kv_put("one", "k", b"1", &KvPutOptions::default(), T0)
        .unwrap();
    state
        .kv_put("two", "k", b"2", &KvPutOptions::default(), T0)
        .unwrap();
    state.kv_delete("one", "k").unwrap();
    assert_eq!(state.kv_get("two", "k", T0).unwrap().unwrap().value, b"2");
    let page = state.kv_list("one", &KvListRequest::default(), T0).unwrap();
    assert!(page.keys.is_empty());
}
