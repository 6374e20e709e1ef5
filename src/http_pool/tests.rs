//! The listener's defences against slow, stalled and too many clients, with
//! short limits so that they show quickly. Waits are bounded by `PATIENCE`
//! only to catch a hang; nothing asserts how long anything took.

use super::{Limits, Listener, Running};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(20);

fn short_limits() -> Limits {
    Limits {
        head_timeout: Duration::from_millis(300),
        io_timeout: Duration::from_millis(300),
        max_connections: 64,
        body_in_memory: 1024,
        spill_dir: std::env::temp_dir(),
    }
}

/// A server whose handler reads the body and answers with its length;
/// `handled` counts the requests that reached a worker.
fn serve(limits: Limits, handled: Arc<AtomicUsize>) -> Running {
    Listener::bind("127.0.0.1", 0)
        .expect("binding a free port")
        .limits(limits)
        .serve(
            "test",
            1,
            |_| 100_000,
            move |mut request| {
                handled.fetch_add(1, Ordering::SeqCst);
                let mut body = Vec::new();
                let text = match request.as_reader().read_to_end(&mut body) {
                    Ok(n) => format!("read {n}"),
                    Err(error) => format!("refused: {error}"),
                };
                let _ = request.respond(tiny_http::Response::from_string(text));
            },
        )
}

fn connect(server: &Running) -> TcpStream {
    let stream = TcpStream::connect(server.address()).expect("connecting");
    stream.set_read_timeout(Some(PATIENCE)).expect("a timeout");
    stream
}

/// Everything the server sends until it closes the connection.
fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .expect("the server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn an_idle_connection_is_closed_without_a_word_after_the_head_timeout() {
    let server = serve(short_limits(), Arc::default());
    let mut idle = connect(&server);
    assert_eq!(read_to_close(&mut idle), "");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn a_head_that_never_finishes_gets_408() {
    let server = serve(short_limits(), Arc::default());
    let mut slow = connect(&server);
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .unwrap();
    let answer = read_to_close(&mut slow);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn a_stalled_body_gets_408_and_never_reaches_a_worker() {
    let handled = Arc::new(AtomicUsize::new(0));
    let server = serve(short_limits(), Arc::clone(&handled));
    let mut stalled = connect(&server);
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();
    let answer = read_to_close(&mut stalled);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert_eq!(handled.load(Ordering::SeqCst), 0);
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn bodies_arrive_whole_in_memory_or_spooled_and_over_the_limit_are_refused_unread() {
    let server = serve(short_limits(), Arc::default());
    for size in [10usize, 5000, 99_999] {
        let mut client = connect(&server);
        let mut request = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        request.extend(std::iter::repeat_n(b'x', size));
        client.write_all(&request).unwrap();
        let answer = read_to_close(&mut client);
        assert!(answer.ends_with(&format!("read {size}")), "{answer}");
    }
    let mut chunked = connect(&server);
    chunked
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    for _ in 0..2 {
        // 60,000 bytes twice: over the limit in the second chunk.
        chunked.write_all(b"ea60\r\n").unwrap();
        chunked.write_all(&[b'y'; 60_000]).unwrap();
        chunked.write_all(b"\r\n").unwrap();
    }
    let answer = read_to_close(&mut chunked);
    assert!(answer.contains("connection: close") || answer.contains("Connection: close"));
    assert!(
        answer.contains("refused: the request body is over the limit of 100000 bytes"),
        "{answer}"
    );
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn connections_over_the_cap_get_503_and_the_others_keep_being_served() {
    let limits = Limits {
        max_connections: 2,
        head_timeout: PATIENCE,
        ..short_limits()
    };
    let server = serve(limits, Arc::default());
    let request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut held: Vec<TcpStream> = (0..2).map(|_| connect(&server)).collect();
    for stream in &mut held {
        stream.write_all(request).unwrap();
        let mut answer = [0u8; 17];
        stream.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"HTTP/1.1 200 OK\r\n");
    }
    let mut over = connect(&server);
    let answer = read_to_close(&mut over);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("Connection: close"), "{answer}");
    drop(held);
    let after = wait_for_answer(&server, request);
    assert_eq!(after, "HTTP/1.1 200");
    server.shutdown(Duration::from_secs(1));
}

/// Sends `request` on new connections until one is answered by a handler
/// (the closed connections free their slots as their threads notice).
fn wait_for_answer(server: &Running, request: &[u8]) -> String {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let mut stream = connect(server);
        stream.write_all(request).unwrap();
        let mut head = [0u8; 12];
        if stream.read_exact(&mut head).is_ok() && !head.starts_with(b"HTTP/1.1 503") {
            return String::from_utf8_lossy(&head).into_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no slot freed up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_client_that_stops_reading_its_response_frees_the_worker() {
    let server = Listener::bind("127.0.0.1", 0)
        .unwrap()
        .limits(short_limits())
        .serve(
            "test",
            1,
            |_| 0,
            |request| {
                let huge = request.url() == "/huge";
                let size = if huge { 256 * 1024 * 1024 } else { 2 };
                let body = std::io::repeat(b'z').take(size as u64);
                let response = tiny_http::Response::new(200.into(), vec![], body, Some(size), None);
                let _ = request.respond(response);
            },
        );
    let mut stuck = connect(&server);
    stuck
        .write_all(b"GET /huge HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    // Never read: the only worker blocks writing until the write times out.
    let mut other = connect(&server);
    other
        .write_all(b"GET /small HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_to_close(&mut other);
    assert!(
        answer.starts_with("HTTP/1.1 200 ") && answer.ends_with("zz"),
        "{answer}"
    );
    drop(stuck);
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn an_upgrade_request_is_answered_without_a_body_and_the_connection_ends() {
    let server = serve(short_limits(), Arc::default());
    let mut client = connect(&server);
    client
        .write_all(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        )
        .unwrap();
    let answer = read_to_close(&mut client);
    assert!(
        answer.starts_with("HTTP/1.1 200 ") && answer.ends_with("read 0"),
        "{answer}"
    );
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn a_content_length_that_is_not_one_number_gets_400() {
    let handled = Arc::new(AtomicUsize::new(0));
    let server = serve(short_limits(), Arc::clone(&handled));
    for lengths in [
        "Content-Length: abc\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
    ] {
        let mut client = connect(&server);
        let request = format!("POST / HTTP/1.1\r\nHost: localhost\r\n{lengths}\r\nhello");
        client.write_all(request.as_bytes()).unwrap();
        let answer = read_to_close(&mut client);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{lengths:?}: {answer}");
    }
    assert_eq!(handled.load(Ordering::SeqCst), 0);
    server.shutdown(Duration::from_secs(1));
}
