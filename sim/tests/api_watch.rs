//! Watch: initial ADDED events, resume from a resourceVersion, BOOKMARKs (with the
//! initial-events-end annotation for sendInitialEvents), timeoutSeconds, 410 Expired, and
//! selectors applied to events.

mod common;
use common::*;
use kup_sim::resources::Kind;
use kup_sim::store::DeleteOpts;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn watch_events_and_resume() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(
        &h,
        Kind::Pod,
        vec![
            pod("shop", "p1", json!({"app": "web"})),
            pod("shop", "p2", json!({"app": "db"})),
        ],
    );
    // From "now" (no resourceVersion): ADDED for what exists, then live changes.
    let mut w = Watch::open(
        a,
        "/api/v1/namespaces/shop/pods?watch=true&labelSelector=app%3Dweb",
        &[],
    )
    .await;
    assert_eq!(w.status, 200);
    let ev = w.next(WAIT).await.expect("initial event");
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["metadata"]["name"], "p1");
    assert_eq!(ev["object"]["kind"], "Pod");
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/namespaces/shop/pods/p1",
        SMP,
        &json!({"metadata": {"labels": {"upgrade-check": "pending"}}}),
    )
    .await;
    assert_eq!(r.status, 200);
    let ev = w
        .until(WAIT, |e| {
            e["type"] == "MODIFIED"
                && e["object"]["metadata"]["labels"]["upgrade-check"] == "pending"
        })
        .await;
    let rv_after_patch: u64 = ev["object"]["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Leaving the selection is a DELETED for this watcher, entering it an ADDED.
    send_json(
        a,
        "PATCH",
        "/api/v1/namespaces/shop/pods/p1",
        MERGE,
        &json!({"metadata": {"labels": {"app": "other"}}}),
    )
    .await;
    let ev = w.until(WAIT, |e| e["type"] != "MODIFIED").await;
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["object"]["metadata"]["name"].as_str()
        ),
        (Some("DELETED"), Some("p1"))
    );
    send_json(
        a,
        "PATCH",
        "/api/v1/namespaces/shop/pods/p1",
        MERGE,
        &json!({"metadata": {"labels": {"app": "web"}}}),
    )
    .await;
    let ev = w.until(WAIT, |e| e["type"] != "MODIFIED").await;
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("p1"))
    );
    // p2 doesn't match the selector: its changes never show up; p1's deletion does.
    send_json(
        a,
        "PATCH",
        "/api/v1/namespaces/shop/pods/p2",
        MERGE,
        &json!({"metadata": {"labels": {"x": "1"}}}),
    )
    .await;
    assert_eq!(
        req(a, "DELETE", "/api/v1/namespaces/shop/pods/p1", &[], b"")
            .await
            .status,
        200
    );
    let ev = w
        .until(WAIT, |e| {
            e["type"] != "MODIFIED" || e["object"]["metadata"]["name"] != "p1"
        })
        .await;
    assert_eq!(ev["type"], "DELETED");
    assert_eq!(ev["object"]["metadata"]["name"], "p1");

    // Resume from the patch's resourceVersion: replays the later p1 deletion (and p2's patch).
    let mut w2 = Watch::open(
        a,
        &format!("/api/v1/namespaces/shop/pods?watch=1&resourceVersion={rv_after_patch}"),
        &[],
    )
    .await;
    let ev = w2.until(WAIT, |e| e["type"] == "DELETED").await;
    assert_eq!(ev["object"]["metadata"]["name"], "p1");

    // Too old: 200 with an ERROR event carrying 410 Expired, then the stream ends.
    {
        let mut st = h.shared.lock().unwrap();
        for i in 0..(kup_sim::store::HISTORY + 10) {
            st.store.create(Kind::Namespace, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns{i}")}})).unwrap();
        }
    }
    let mut w3 = Watch::open(
        a,
        "/api/v1/namespaces/shop/pods?watch=true&resourceVersion=2",
        &[],
    )
    .await;
    let ev = w3.next(WAIT).await.expect("error event");
    assert_eq!(ev["type"], "ERROR");
    assert_eq!(ev["object"]["code"], 410);
    assert_eq!(ev["object"]["reason"], "Expired");
    assert!(w3.next(WAIT).await.is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn bookmarks_initial_events_and_timeout() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(
        &h,
        Kind::Node,
        vec![node("n1", json!({})), node("n2", json!({}))],
    );
    let rv = h.shared.lock().unwrap().store.resource_version();
    // sendInitialEvents: ADDED for each, then the initial-events-end BOOKMARK.
    let mut w = Watch::open(
        a,
        "/api/v1/nodes?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
        &[],
    )
    .await;
    for n in ["n1", "n2"] {
        let ev = w.next(WAIT).await.expect("added");
        assert_eq!(ev["type"], "ADDED");
        assert_eq!(ev["object"]["metadata"]["name"], n);
    }
    let ev = w.next(WAIT).await.expect("bookmark");
    assert_eq!(ev["type"], "BOOKMARK");
    assert_eq!(
        ev["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert_eq!(ev["object"]["metadata"]["resourceVersion"], rv.to_string());

    // Periodic bookmarks, and the server ends the stream at timeoutSeconds.
    let mut w = Watch::open(a, &format!("/api/v1/namespaces/x/pods?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=7"), &[]).await;
    let ev = w.next(WAIT).await.expect("bookmark");
    assert_eq!(ev["type"], "BOOKMARK");
    assert_eq!(ev["object"]["kind"], "Pod");
    assert!(ev["object"]["spec"]["containers"].is_null());
    assert!(ev["object"]["metadata"].get("annotations").is_none());
    assert!(
        w.next(WAIT).await.is_none(),
        "stream should end after timeoutSeconds"
    );

    // Bad parameters are plain 400 Statuses.
    let r = get(a, "/api/v1/nodes?watch=true&resourceVersion=abc").await;
    assert_eq!(r.status, 400);
    // A deletion watched through the store API path too.
    let mut w = Watch::open(
        a,
        &format!("/api/v1/nodes?watch=true&resourceVersion={rv}"),
        &[],
    )
    .await;
    h.shared
        .lock()
        .unwrap()
        .store
        .delete(Kind::Node, "", "n2", &DeleteOpts::default())
        .unwrap();
    let ev = w.until(WAIT, |e| e["type"] == "DELETED").await;
    assert_eq!(ev["object"]["metadata"]["name"], "n2");
    let stats = h.stats();
    assert!(
        stats["requests"]["by_verb_resource"]["watch nodes"]
            .as_u64()
            .unwrap()
            >= 2
    );
    h.shutdown().await;
}
