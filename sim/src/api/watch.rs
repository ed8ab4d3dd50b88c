//! Watch streams: newline-delimited `{"type":..,"object":..}` events (refs 70, 71), from the
//! kept history when a resourceVersion is given, else starting with ADDED events for every
//! current object; BOOKMARKs when asked for; ended by `timeoutSeconds`, a lagging reader
//! (as a real "too old resource version"), the watch-cut fault, or server shutdown.

use super::selectors::{FieldSelector, LabelSelector};
use super::{ResourceRoute, value_json};
use crate::http::{App, Reply, finish};
use crate::resources::Kind;
use crate::store::{ApiError, Change, ChangeType, ObjIndex};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK.
const BOOKMARK_EVERY: Duration = Duration::from_secs(5);
/// Upper bound on a watch without timeoutSeconds (the real server picks 30-60 min).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

struct Filter {
    kind: Kind,
    ns: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, idx: &ObjIndex) -> bool {
        self.ns.as_ref().is_none_or(|ns| *ns == idx.namespace)
            && self.labels.matches(idx)
            && self.fields.matches(idx)
    }
}

fn event(kind: &str, object: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(object.len() + 32);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(object);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

fn bookmark(kind: Kind, api_version: &str, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    // Same shape as upstream's (ref 71): an empty object of the kind.
    let obj = if kind == Kind::Pod {
        format!(
            "{{\"kind\":\"Pod\",\"apiVersion\":\"{api_version}\",\"metadata\":{meta},\"spec\":{{\"containers\":null}},\"status\":{{}}}}"
        )
    } else if kind.is_custom() {
        format!(
            "{{\"apiVersion\":\"{api_version}\",\"kind\":\"{}\",\"metadata\":{meta}}}",
            kind.name()
        )
    } else {
        format!(
            "{{\"kind\":\"{}\",\"apiVersion\":\"{api_version}\",\"metadata\":{meta},\"spec\":{{}},\"status\":{{}}}}",
            kind.name()
        )
    };
    event("BOOKMARK", obj.as_bytes())
}

/// How event objects are written: as objects, or as one-row Tables (`kubectl get -w`).
#[derive(Clone)]
struct Shape {
    api_version: String,
    version: String,
    /// Some(includeObject) when the client asked for Tables.
    table: Option<String>,
    clock: crate::clock::Clock,
}

impl Shape {
    fn object_bytes(&self, kind: Kind, obj: &serde_json::Value) -> Vec<u8> {
        match &self.table {
            None => value_json(kind, obj, &self.api_version),
            Some(include) => {
                let mut o = obj.clone();
                o["apiVersion"] = json!(self.api_version);
                let meta = json!({"resourceVersion": o.pointer("/metadata/resourceVersion").cloned().unwrap_or_default()});
                let t =
                    super::table::table(kind, &self.version, &[o], self.clock.now(), include, meta);
                serde_json::to_vec(&t).unwrap_or_default()
            }
        }
    }
}

/// The event a watcher with `filter` sees for a change, if any: an object that leaves the
/// selection is DELETED for it, one that enters it ADDED (upstream does the same).
fn event_type(filter: &Filter, c: &Change) -> Option<&'static str> {
    let now = filter.matches(&ObjIndex::of(&c.object));
    let was = c.previous.as_deref().is_some_and(|p| filter.matches(p));
    match (c.change, was, now) {
        (ChangeType::Added, _, true) => Some("ADDED"),
        (ChangeType::Modified, true, true) => Some("MODIFIED"),
        (ChangeType::Modified, false, true) => Some("ADDED"),
        (ChangeType::Modified, true, false) => Some("DELETED"),
        (ChangeType::Deleted, w, n) if w || n => Some("DELETED"),
        _ => None,
    }
}

pub(crate) fn serve(
    app: Arc<App>,
    r: ResourceRoute,
    query: &HashMap<String, String>,
    gzip: bool,
    cut_after: Option<u64>,
    as_table: bool,
) -> Response {
    match start(app.clone(), r, query, cut_after, as_table) {
        Ok(resp) => resp,
        Err(e) => finish(&app, Reply::error(&e), gzip),
    }
}

fn start(
    app: Arc<App>,
    r: ResourceRoute,
    query: &HashMap<String, String>,
    cut_after: Option<u64>,
    as_table: bool,
) -> Result<Response, ApiError> {
    let kind = r.kind();
    let av = r.api_version();
    let filter = Filter {
        kind,
        ns: r.ns.clone(),
        labels: LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?,
        fields: FieldSelector::parse(kind, query.get("fieldSelector").map_or("", String::as_str))?,
    };
    let bookmarks = query
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true" || v == "1");
    let send_initial = query
        .get("sendInitialEvents")
        .is_some_and(|v| v == "true" || v == "1");
    let timeout = match query.get("timeoutSeconds").map(String::as_str) {
        None | Some("") => DEFAULT_TIMEOUT,
        Some(t) => Duration::from_secs(
            t.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds: {t}")))?,
        ),
    };
    let rv_param = query
        .get("resourceVersion")
        .map(String::as_str)
        .unwrap_or("");
    let from_rv: Option<u64> = match rv_param {
        "" | "0" => None,
        v => Some(
            v.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {v}")))?,
        ),
    };
    let mut first: Vec<Bytes> = Vec::new();
    let mut last_rv;
    let mut initial_end_bookmark = false;
    let shape;
    let rx = {
        let st = app.lock_state();
        shape = Shape {
            api_version: av.clone(),
            version: r.version.clone(),
            table: as_table.then(|| query.get("includeObject").cloned().unwrap_or_default()),
            clock: st.clock.clone(),
        };
        last_rv = st.store.resource_version();
        match from_rv.filter(|_| !send_initial) {
            None => {
                for (_, s) in st.store.scan(kind, r.ns.as_deref(), None) {
                    if filter.matches(&s.index) {
                        let bytes = if shape.table.is_some() {
                            shape.object_bytes(kind, &s.to_value(kind))
                        } else {
                            s.to_json(kind, &av)
                        };
                        first.push(event("ADDED", &bytes));
                    }
                }
                initial_end_bookmark = send_initial && bookmarks;
                st.store.subscribe()
            }
            Some(rv) => match st.store.watch_from(rv) {
                Ok((replay, rx)) => {
                    for c in replay.iter().filter(|c| c.kind == kind) {
                        if let Some(t) = event_type(&filter, c) {
                            first.push(event(t, &shape.object_bytes(c.kind, &c.object)));
                        }
                    }
                    rx
                }
                Err(e) => {
                    // Upstream answers 200 with one ERROR event carrying the 410 Status.
                    let status =
                        serde_json::to_vec(&crate::http::status_json(&e)).unwrap_or_default();
                    first.push(event("ERROR", &status));
                    let (tx, rx) = tokio::sync::broadcast::channel(1);
                    drop(tx);
                    rx
                }
            },
        }
    };
    if initial_end_bookmark {
        first.push(bookmark(kind, &av, last_rv, true));
    }
    let (tx, out_rx) = tokio::sync::mpsc::channel::<Bytes>(256);
    let mut shutdown = app.shutdown.clone();
    let app2 = app.clone();
    tokio::spawn(async move {
        let mut rx = rx;
        let mut sent_events: u64 = 0;
        let deadline = tokio::time::Instant::now() + timeout;
        let cut = |n: u64| cut_after.is_some_and(|c| n >= c);
        let send = |b: Bytes| {
            app2.lock_counters().bytes_sent += b.len() as u64;
            tx.send(b)
        };
        for b in first {
            let is_bookmark = b.starts_with(b"{\"type\":\"BOOKMARK\"");
            if send(b).await.is_err() {
                return;
            }
            if !is_bookmark {
                sent_events += 1;
                if cut(sent_events) {
                    return;
                }
            }
        }
        let mut ticker =
            tokio::time::interval_at(tokio::time::Instant::now() + BOOKMARK_EVERY, BOOKMARK_EVERY);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = shutdown.changed() => return,
                _ = ticker.tick(), if bookmarks => {
                    if send(bookmark(kind, &av, last_rv, false)).await.is_err() {
                        return;
                    }
                }
                got = rx.recv() => match got {
                    Ok(c) => {
                        last_rv = last_rv.max(c.resource_version);
                        if c.kind != filter.kind {
                            continue;
                        }
                        let Some(t) = event_type(&filter, &c) else { continue };
                        if send(event(t, &shape.object_bytes(c.kind, &c.object))).await.is_err() {
                            return;
                        }
                        sent_events += 1;
                        if cut(sent_events) {
                            return;
                        }
                    }
                    // A reader too slow for the channel loses its stream; clients re-list.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
                },
            }
        }
    });
    let stream = futures::stream::unfold(out_rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<Bytes, std::io::Error>(b), rx))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn bookmark_shapes() {
        let b = bookmark(Kind::Pod, "v1", 375, false);
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["type"], "BOOKMARK");
        assert_eq!(v["object"]["metadata"]["resourceVersion"], "375");
        assert!(v["object"]["spec"]["containers"].is_null());
        let b = bookmark(Kind::NodePool, "karpenter.sh/v1", 9, true);
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(
            v["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
            "true"
        );
    }
}
