//! A tiny HTTP/1.1 client over a TcpStream (no client crate needed) and sim start-up helpers
//! for the API tests.
#![allow(dead_code)]

use kup_sim::resources::Kind;
use kup_sim::scenario::ScenarioSource;
use kup_sim::{SimHandle, SimOptions};
use serde_json::Value;
use std::io::Read as _;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body as JSON (gunzipped if needed).
    pub fn json(&self) -> Value {
        let body = self.plain_body();
        serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)))
    }
    pub fn plain_body(&self) -> Vec<u8> {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .expect("gunzip");
            out
        } else {
            self.body.clone()
        }
    }
}

/// Start a sim with an empty cluster (a manifests dir holding one namespace).
pub async fn start_empty(
    token: Option<&str>,
    readonly: Option<&str>,
) -> (SimHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n",
    )
    .expect("write manifest");
    let source = ScenarioSource {
        manifests: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let opts = SimOptions {
        source,
        listen: "127.0.0.1:0".parse().expect("addr"),
        token: token.map(str::to_string),
        readonly_token: readonly.map(str::to_string),
        noaccess_token: None,
    };
    let h = kup_sim::start(opts).await.expect("start sim");
    (h, dir)
}

/// Put objects straight into the store (fast bulk setup).
pub fn load(h: &SimHandle, kind: Kind, objs: Vec<Value>) {
    let mut st = h.shared.lock().expect("lock");
    for o in objs {
        st.store.create(kind, o).expect("create");
    }
}

pub fn node(name: &str, labels: Value) -> Value {
    serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}, "spec": {}})
}

pub fn pod(ns: &str, name: &str, labels: Value) -> Value {
    serde_json::json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}})
}

fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: sim\r\nUser-Agent: kup-sim-test/1.0\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("Connection: close\r\n\r\n");
    let mut out = req.into_bytes();
    out.extend_from_slice(body);
    out
}

async fn read_head(r: &mut BufReader<TcpStream>) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    r.read_line(&mut line).await.expect("status line");
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).await.expect("header");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    (status, headers)
}

/// One request; the whole response.
pub async fn req(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(&request_bytes(method, path, headers, body))
        .await
        .expect("send");
    let mut r = BufReader::new(s);
    let (status, headers) = read_head(&mut r).await;
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        while let Some(chunk) = read_chunk(&mut r).await {
            body.extend_from_slice(&chunk);
        }
    } else {
        r.read_to_end(&mut body).await.expect("body");
    }
    Resp {
        status,
        headers,
        body,
    }
}

async fn read_chunk(r: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut line = String::new();
    if r.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let size = usize::from_str_radix(line.trim(), 16).ok()?;
    if size == 0 {
        return None;
    }
    let mut buf = vec![0u8; size + 2];
    r.read_exact(&mut buf).await.ok()?;
    buf.truncate(size);
    Some(buf)
}

pub async fn get(addr: SocketAddr, path: &str) -> Resp {
    req(addr, "GET", path, &[], b"").await
}

pub async fn send_json(addr: SocketAddr, method: &str, path: &str, ct: &str, body: &Value) -> Resp {
    let b = serde_json::to_vec(body).expect("json");
    req(addr, method, path, &[("Content-Type", ct)], &b).await
}

/// A watch: events as JSON, one at a time.
pub struct Watch {
    r: BufReader<TcpStream>,
    chunked: bool,
    buf: Vec<u8>,
    pub status: u16,
}

impl Watch {
    pub async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Watch {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(&request_bytes("GET", path, headers, b""))
            .await
            .expect("send");
        let mut r = BufReader::new(s);
        let (status, headers) = read_head(&mut r).await;
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        Watch {
            r,
            chunked,
            buf: Vec::new(),
            status,
        }
    }

    /// The next event, or None when the stream ends (or nothing comes within `wait`).
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return Some(serde_json::from_slice(&line).expect("event JSON"));
            }
            let more = tokio::time::timeout_at(deadline, async {
                if self.chunked {
                    read_chunk(&mut self.r).await
                } else {
                    let mut b = vec![0u8; 8192];
                    match self.r.read(&mut b).await {
                        Ok(0) | Err(_) => None,
                        Ok(n) => {
                            b.truncate(n);
                            Some(b)
                        }
                    }
                }
            })
            .await
            .ok()??;
            self.buf.extend_from_slice(&more);
        }
    }

    /// Read events until one satisfies `f` (skipping others); panics after `wait`.
    pub async fn until(&mut self, wait: Duration, f: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(ev) if f(&ev) => return ev,
                Some(_) => continue,
                None => panic!("watch ended or timed out before the expected event"),
            }
        }
    }
}

pub const JSON: &str = "application/json";
pub const MERGE: &str = "application/merge-patch+json";
pub const SMP: &str = "application/strategic-merge-patch+json";
pub const JSONPATCH: &str = "application/json-patch+json";
