//! How list pages travel: JSON or Kubernetes protobuf (`--wire`), and how many paged lists run
//! at once (`--list-concurrency`).
//!
//! The API server encodes protobuf for about two thirds of the JSON cost, but only for built-in
//! kinds: custom resources (Karpenter) are always JSON. `auto` asks for protobuf with JSON as
//! the second choice, so a server that cannot encode a kind answers JSON; a proxy that refuses
//! the media type outright (406 Not Acceptable, 415 Unsupported Media Type) makes kup ask again
//! in JSON and stay with JSON for the rest of the run. The answer's `Content-Type` decides how a
//! page is parsed, whatever was asked for.

use super::retry::{Call, with_retry};
use super::{ClusterError, Connection};
use http::header::{ACCEPT, CONTENT_TYPE};
use kube::api::ListParams;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;

pub const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
const JSON: &str = "application/json";

/// Which encoding kup asks the API server for when listing built-in kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Wire {
    Json,
    Protobuf,
    /// Protobuf where the server offers it, JSON otherwise (the default).
    #[default]
    Auto,
}

impl Wire {
    pub fn word(self) -> &'static str {
        match self {
            Wire::Json => "json",
            Wire::Protobuf => "protobuf",
            Wire::Auto => "auto",
        }
    }
}

/// `--wire` and `--list-concurrency`, as the user gave them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListOptions {
    pub wire: Wire,
    /// Paged lists in flight at once; 1 lists everything one after another, unsharded.
    pub concurrency: NonZeroUsize,
}

pub const DEFAULT_LIST_CONCURRENCY: NonZeroUsize = NonZeroUsize::new(4).unwrap();

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            wire: Wire::Auto,
            concurrency: DEFAULT_LIST_CONCURRENCY,
        }
    }
}

/// A connection's list state: the options, the bound on lists in flight, and whether `auto`
/// has learnt that protobuf is refused on this connection.
#[derive(Clone, Debug)]
pub struct Lists {
    pub options: ListOptions,
    permits: Arc<Semaphore>,
    protobuf_refused: Arc<AtomicBool>,
}

impl Lists {
    pub fn new(options: ListOptions) -> Self {
        Lists {
            options,
            permits: Arc::new(Semaphore::new(options.concurrency.get())),
            protobuf_refused: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Waits for a slot among the `--list-concurrency` lists allowed at once; the slot is held
    /// until the returned guard is dropped (the whole paged list).
    pub async fn slot(&self) -> tokio::sync::SemaphorePermit<'_> {
        // The semaphore is never closed.
        self.permits.acquire().await.expect("list semaphore open")
    }

    /// Whether pod lists are sharded by namespace.
    pub fn sharded(&self) -> bool {
        self.options.concurrency.get() > 1
    }

    fn accept(&self, protobuf_ok: bool) -> &'static str {
        if !protobuf_ok {
            return JSON;
        }
        match self.options.wire {
            Wire::Json => JSON,
            Wire::Protobuf => PROTOBUF,
            Wire::Auto if self.protobuf_refused.load(Ordering::Relaxed) => JSON,
            Wire::Auto => "application/vnd.kubernetes.protobuf, application/json",
        }
    }
}

impl Default for Lists {
    fn default() -> Self {
        Lists::new(ListOptions::default())
    }
}

/// One page as the server sent it.
pub struct Page {
    pub body: bytes::Bytes,
    pub protobuf: bool,
}

/// GETs one page of the list at `path`, asking for protobuf when `protobuf_ok` (a built-in kind
/// kup can decode from protobuf) and `--wire` allows it.
pub async fn fetch_page(
    conn: &Connection,
    path: &str,
    resource: &'static str,
    params: &ListParams,
    protobuf_ok: bool,
) -> Result<Page, ClusterError> {
    let call = Call {
        verb: "list",
        resource,
    };
    let lists = &conn.lists;
    let accept = lists.accept(protobuf_ok);
    let first = with_retry(conn, call, || get_page(conn, path, params, accept)).await;
    match first {
        Err(ClusterError::Api { code, .. })
            if (code == 406 || code == 415)
                && accept != JSON
                && lists.options.wire == Wire::Auto =>
        {
            crate::log::debug(format_args!(
                "list {resource}: the server answered {code} to protobuf; using JSON from now on"
            ));
            lists.protobuf_refused.store(true, Ordering::Relaxed);
            with_retry(conn, call, || get_page(conn, path, params, JSON)).await
        }
        Err(ClusterError::Api { code, message, .. })
            if (code == 406 || code == 415) && accept == PROTOBUF =>
        {
            Err(ClusterError::Decode {
                resource: resource.into(),
                reason: format!(
                    "the server does not answer protobuf ({code}: {message}); use --wire auto or --wire json"
                ),
            })
        }
        other => other,
    }
}

async fn get_page(
    conn: &Connection,
    path: &str,
    params: &ListParams,
    accept: &'static str,
) -> Result<Page, kube::Error> {
    let request = kube::core::Request::new(path);
    let mut req = request.list(params).map_err(kube::Error::BuildRequest)?;
    req.headers_mut()
        .insert(ACCEPT, http::HeaderValue::from_static(accept));
    let res = conn.client.send(req.map(kube::client::Body::from)).await?;
    let status = res.status();
    let protobuf = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.split(';').next().unwrap_or("").trim() == PROTOBUF);
    let body = res.into_body().collect_bytes().await?;
    if !status.is_success() {
        return Err(kube::Error::Api(Box::new(error_status(
            status.as_u16(),
            protobuf,
            &body,
        ))));
    }
    Ok(Page { body, protobuf })
}

/// The `Status` of an error answer, in whichever encoding it came; its text when it is neither.
fn error_status(code: u16, protobuf: bool, body: &[u8]) -> kube::core::Status {
    let parsed = if protobuf {
        super::lean_pb::status(body).ok()
    } else {
        serde_json::from_slice::<kube::core::Status>(body).ok()
    };
    match parsed {
        Some(s) if s.code != 0 => s,
        Some(s) => s.with_code(code),
        None => kube::core::Status::failure(&String::from_utf8_lossy(body), "").with_code(code),
    }
}
