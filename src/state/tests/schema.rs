//! Schema versions, foreign files, and what the sqlite3 shell sees.

use super::s3::md5_hex;
use super::*;

#[test]
fn a_database_from_a_newer_wasmfaas_is_refused_with_a_clear_error() {
    let dir = TempDir::new("newer");
    drop(open(&dir));
    let path = dir.state_dir().join(DATABASE_FILE);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", db::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = State::open(&dir.state_dir()).unwrap_err();
    assert!(
        matches!(err, StateError::NewerSchema { found, .. } if found == db::SCHEMA_VERSION + 1)
    );
    let message = err.to_string();
    assert!(
        message.contains("upgrade wasmfaas") && message.contains("state.sqlite"),
        "{message}"
    );
}

#[test]
fn a_database_of_another_program_is_refused_and_left_alone() {
    let dir = TempDir::new("foreign");
    std::fs::create_dir_all(dir.state_dir()).unwrap();
    let path = dir.state_dir().join(DATABASE_FILE);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(conn);
    let err = State::open(&dir.state_dir()).unwrap_err();
    assert!(matches!(err, StateError::NotAStateDatabase { .. }), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let text: String = conn
        .query_row("SELECT text FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(text, "mine");
}

#[test]
fn an_empty_database_is_migrated_to_the_current_schema() {
    let dir = TempDir::new("migrate");
    std::fs::create_dir_all(dir.state_dir()).unwrap();
    let path = dir.state_dir().join(DATABASE_FILE);
    drop(rusqlite::Connection::open(&path).unwrap());
    let state = open(&dir);
    put(&state, "k", b"v", T0);
    drop(state);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (version, app, mode.as_str()),
        (db::SCHEMA_VERSION, db::APPLICATION_ID, "wal")
    );
    // The rows read plainly in the sqlite3 shell's terms.
    let (key, value): (String, Vec<u8>) = conn
        .query_row(
            "SELECT key, value FROM kv_entries WHERE namespace = 'ns'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((key.as_str(), value.as_slice()), ("k", &b"v"[..]));
}

#[test]
fn state_can_be_shared_between_threads() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<State>();
}

#[test]
fn a_version_1_database_is_migrated_on_open_and_its_objects_read_back_unchanged() {
    let dir = TempDir::new("v1");
    let blobs = dir.state_dir().join(BLOBS_DIR);
    std::fs::create_dir_all(&blobs).unwrap();
    let path = dir.state_dir().join(DATABASE_FILE);
    let large = pattern(100_000, 9);
    let file = "0123456789abcdef0123456789abcdef";
    std::fs::write(blobs.join(file), &large).unwrap();
    {
        // Rows as a wasmfaas of schema version 1 wrote them.
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        db::create_schema_at(&mut conn, 1).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO buckets VALUES ('photos', {T0});
             INSERT INTO objects VALUES
                 ('photos', 'a.txt', 5, '5d41402abc4b2a76b9719d911017c592', 'text/plain',
                  '{{\"owner\":\"ada\"}}', {T0}, 6, X'68656c6c6f', NULL),
                 ('photos', 'b.bin', 100000, 'abc', 'binary/octet-stream', '{{}}', {T0}, 7,
                  NULL, '{file}'),
                 ('photos', 'm.bin', 3, '0123456789abcdef0123456789abcdef-2', 'binary/octet-stream',
                  '{{}}', {T0}, 5, X'616263', NULL);
             INSERT INTO multipart_uploads VALUES
                 ('up1', 'photos', 'c.bin', 'video/mp4', '{{}}', 0, {T0});
             INSERT INTO multipart_parts VALUES
                 ('up1', 1, 4, '{}', {T0}, X'74616c6c', NULL);
             UPDATE counters SET value = 7 WHERE name = 'sequencer';",
            md5_hex(b"tall")
        ))
        .unwrap();
    }

    let state = open(&dir);

    let (meta, body) = state.get_object("photos", "a.txt", None).unwrap();
    assert_eq!(body, b"hello");
    assert_eq!(
        meta,
        ObjectMeta {
            bucket: "photos".into(),
            key: "a.txt".into(),
            size: 5,
            etag: "\"5d41402abc4b2a76b9719d911017c592\"".into(),
            content_type: "text/plain".into(),
            user_metadata: [("owner".to_string(), "ada".to_string())].into(),
            last_modified_ns: T0,
            sequencer: "0000000000000006".into(),
            checksum: None,
        }
    );
    // The body file is still referenced, so the sweep at open kept it.
    assert_eq!(dir.blob_files(), [file]);
    assert_eq!(state.get_object("photos", "b.bin", None).unwrap().1, large);
    let listed = state
        .list_objects("photos", &ListRequest::default())
        .unwrap();
    let keys: Vec<_> = listed.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a.txt", "b.bin", "m.bin"]);
    // Version 1 kept no part layout: a single-part object is its own part 1,
    // and a multipart one cannot be read by part (but whole, as before).
    assert_eq!(
        state.get_object_part("photos", "a.txt", 1).unwrap().2,
        b"hello"
    );
    let unknown = state.get_object_part("photos", "m.bin", 1).unwrap_err();
    assert_eq!(unknown.code(), "InvalidRequest");
    assert!(
        unknown.to_string().contains("schema version 2"),
        "{unknown}"
    );
    assert_eq!(state.get_object("photos", "m.bin", None).unwrap().1, b"abc");
    // An upload begun before the migration completes after it.
    let done = state
        .complete_multipart_upload("photos", "c.bin", "up1", &[(1, md5_hex(b"tall"))], T0)
        .unwrap();
    assert_eq!(done.sequencer, "0000000000000008");
    assert_eq!(
        state.get_object("photos", "c.bin", None).unwrap().1,
        b"tall"
    );
    drop(state);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, db::SCHEMA_VERSION);
    // The new columns sit before the body, so reading them never pages through it.
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('objects')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
    assert!(
        at("checksum_value") < at("body") && at("part_sizes") < at("body"),
        "{columns:?}"
    );
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'objects%' AND type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1);
}
