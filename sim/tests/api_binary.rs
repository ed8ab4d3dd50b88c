//! The kup-sim binary: first stdout line, --kubeconfig-out, --token, clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn http_get(addr: &str, path: &str, token: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

/// Kills the child if the test fails half-way (no stray servers).
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn binary_prints_url_writes_kubeconfig_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("kubeconfig");
    let mut child = Reap(
        Command::new(env!("CARGO_BIN_EXE_kup-sim"))
            .args([
                "--kubeconfig-out",
                kc.to_str().expect("path"),
                "--token",
                "s3cret",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kup-sim"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line was {line:?}"))
        .to_string();
    let config = std::fs::read_to_string(&kc).expect("kubeconfig written");
    assert!(config.contains(&format!("server: http://{url}")));
    assert!(config.contains("token: \"s3cret\""));
    assert!(config.contains("current-context: \"arn:aws:eks:"));
    assert!(http_get(&url, "/api/v1/nodes", None).starts_with("HTTP/1.1 401"));
    let ok = http_get(&url, "/api/v1/nodes", Some("s3cret"));
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    // No scenario: the built-in workshop (EKS 1.25, minor "25+" as EKS reports it).
    let version = http_get(&url, "/version", None);
    assert!(version.contains("\"minor\":\"25+\""), "{version}");
    let pid = child.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.0.wait().expect("wait");
    assert!(status.success(), "exit status {status:?}");
}
