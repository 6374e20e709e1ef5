//! `wasmfaas dev` serves the S3 endpoint beside the gateway.

mod common;

use common::dev_server::{DevServer, TempProject, agent, send};
use std::net::TcpListener;

#[test]
fn dev_serves_the_s3_endpoint_and_logs_its_requests() {
    let project = TempProject::new(
        "s3dev",
        &[("wasmfaas.toml", "[project]\nname = \"s3dev\"\n")],
    );
    let server = DevServer::start(&project, &["--ephemeral"]);
    let url = server.s3_endpoint();
    assert!(
        server.stdout().contains("aws --endpoint-url"),
        "{}",
        server.stdout()
    );
    let agent = agent();
    let created = send(&agent, "PUT", &format!("{url}/photos"), &[], Some(b"")).unwrap();
    assert_eq!(created.status, 200, "{}", created.text());
    let put = send(
        &agent,
        "PUT",
        &format!("{url}/photos/cat.txt"),
        &[],
        Some(b"meow"),
    )
    .unwrap();
    assert_eq!(put.status, 200, "{}", put.text());
    let got = send(&agent, "GET", &format!("{url}/photos/cat.txt"), &[], None).unwrap();
    assert_eq!((got.status, got.text().as_str()), (200, "meow"));
    server.wait_for_stdout(0, "/photos/cat.txt");
    let stopped = server.stop();
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

#[test]
fn a_taken_s3_port_fails_with_a_hint() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let project = TempProject::new(
        "s3taken",
        &[("wasmfaas.toml", "[project]\nname = \"s3taken\"\n")],
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args([
            "dev",
            "--port",
            "0",
            "--no-watch",
            "--ephemeral",
            "--s3-port",
            &port,
        ])
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--s3-port 0"), "{stderr}");
}
