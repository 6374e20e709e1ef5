//! Schema versions, foreign files, and what the sqlite3 shell sees.

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
