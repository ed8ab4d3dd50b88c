//! What the HTTP front (`server`) and the two APIs behind it (`api/`: Kubernetes REST, `eks/`:
//! EKS REST-JSON) share: the per-server context, a response before encoding, and its encoding.
//! It sits below both APIs so that neither needs the other or the server.

use crate::faults::FaultRng;
use crate::state::{Shared, SimState};
use crate::stats::Counters;
use crate::store::ApiError;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::io::Write as _;
use std::sync::Mutex;

/// Responses at least this big are gzipped when the client accepts it.
const GZIP_MIN: usize = 1024;

/// What every handler shares.
pub struct App {
    pub shared: Shared,
    pub token: Option<String>,
    pub readonly_token: Option<String>,
    pub noaccess_token: Option<String>,
    pub counters: Mutex<Counters>,
    pub rng: Mutex<FaultRng>,
    /// `host:port` clients reach us at (for `/api`'s serverAddressByClientCIDRs).
    pub server_address: String,
    /// Flips to true when the server shuts down (ends watch streams).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl App {
    pub(crate) fn lock_counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn lock_state(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A response before encoding.
pub struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: &'static str,
    pub(crate) retry_after: Option<u64>,
    pub(crate) extra: Vec<(&'static str, &'static str)>,
}

impl Reply {
    pub(crate) fn json_bytes(status: u16, mut body: Vec<u8>) -> Reply {
        // Non-curl clients get compact JSON ending in a newline, as from the real server.
        body.push(b'\n');
        Reply {
            status,
            body,
            content_type: "application/json",
            retry_after: None,
            extra: Vec::new(),
        }
    }
    pub fn json(status: u16, v: &Value) -> Reply {
        Reply::json_bytes(status, serde_json::to_vec(v).unwrap_or_default())
    }
    /// Add a response header (the EKS API's `x-amzn-ErrorType`).
    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Reply {
        self.extra.push((name, value));
        self
    }
    /// A Kubernetes `Status` error.
    pub fn error(e: &ApiError) -> Reply {
        let mut r = Reply::json(e.code, &status_json(e));
        r.retry_after = e.retry_after;
        r
    }
}

/// A Status object for an error, field order as upstream.
pub fn status_json(e: &ApiError) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("kind".into(), json!("Status"));
    m.insert("apiVersion".into(), json!("v1"));
    m.insert("metadata".into(), json!({}));
    m.insert("status".into(), json!("Failure"));
    m.insert("message".into(), json!(e.message));
    if !e.reason.is_empty() {
        m.insert("reason".into(), json!(e.reason));
    }
    if let Some(d) = &e.details {
        m.insert("details".into(), d.clone());
    }
    m.insert("code".into(), json!(e.code));
    Value::Object(m)
}

pub(crate) fn header_str(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Encode a reply and count its bytes (every API response but `/sim/*`).
pub(crate) fn finish(app: &App, reply: Reply, gzip: bool) -> Response {
    encode(app, reply, gzip, true)
}

/// Encode a reply: Retry-After, gzip when asked for and worth it, byte counting.
pub(crate) fn encode(app: &App, reply: Reply, gzip: bool, count: bool) -> Response {
    let mut body = reply.body;
    let mut compressed = false;
    if gzip && body.len() >= GZIP_MIN {
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        if enc.write_all(&body).is_ok()
            && let Ok(out) = enc.finish()
        {
            body = out;
            compressed = true;
        }
    }
    if count {
        app.lock_counters().bytes_sent += body.len() as u64;
    }
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    if compressed {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Some(s) = reply.retry_after
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        h.insert(header::RETRY_AFTER, v);
    }
    for (k, v) in reply.extra {
        h.insert(k, HeaderValue::from_static(v));
    }
    resp
}
