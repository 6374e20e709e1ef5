//! `wasmfaas dev` launch → first 200: how long a developer waits, on an
//! already-built demo, from starting the server to `GET /hello` answering.
//!
//! Runs the release binary on the repository's demo as `dev` starts by
//! default (S3 endpoint included, on a free port so launches never collide;
//! state in memory with `--ephemeral`, so the repository is not written),
//! 20 launches; prints each and the median. Target (issue 13): ≤ 30 ms.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_wasmfaas");

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let launches = if quick { 5 } else { 20 };
    let demo = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Built once, as a developer's project is before they start `dev`.
    let built = Command::new(BINARY)
        .args(["-q", "build"])
        .current_dir(demo)
        .status()
        .expect("running wasmfaas build");
    assert!(built.success(), "wasmfaas build failed on the demo");
    let mut times = Vec::new();
    for round in 1..=launches {
        let port = free_port();
        let started = Instant::now();
        let mut child = Command::new(BINARY)
            .args([
                "--ephemeral",
                "dev",
                "--port",
                &port.to_string(),
                "--s3-port",
                "0",
            ])
            .current_dir(demo)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting wasmfaas dev");
        let give_up = started + Duration::from_secs(60);
        let took = loop {
            if matches!(get(port, "/hello"), Ok(200)) {
                break started.elapsed();
            }
            assert!(Instant::now() < give_up, "dev never answered /hello");
            std::thread::sleep(Duration::from_micros(200));
        };
        let _ = child.kill();
        let _ = child.wait();
        println!("launch {round:>2}: first 200 after {:.1} ms", ms(took));
        times.push(took);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "\nlaunch → first 200 of GET /hello: median {:.1} ms of {launches} (min {:.1}, max {:.1}); target ≤ 30 ms",
        ms(median),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("local address").port()
}

/// The status of `GET path` on a new connection.
fn get(port: u16, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let head = String::from_utf8_lossy(&response);
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not HTTP"))
}
