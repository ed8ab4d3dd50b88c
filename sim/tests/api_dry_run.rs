//! `dryRun=All` on every write: validated and answered as the real server answers (the object
//! as it would be), with nothing changed; any other value is 422 Invalid.

mod common;
use common::*;
use kup_sim::resources::Kind;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// GET an object, or panic.
async fn fetch(a: SocketAddr, path: &str) -> Value {
    let r = get(a, path).await;
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// Poll until `done` holds for the object at `path` (the world runs at 60x: a few real seconds).
async fn until(a: SocketAddr, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = fetch(a, path).await;
        if done(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting on {path}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const POD: &str = "/api/v1/namespaces/test/pods/web";
const PDB: &str = "/apis/policy/v1/namespaces/test/poddisruptionbudgets/web";

#[tokio::test]
async fn dry_run_writes_change_nothing() {
    // One bare pod on n1 under a PDB that allows one disruption (settled at start).
    let yaml = "nodes: [{name: n1}]\n\
        workloads: [{kind: Pod, name: web, namespace: test, nodeName: n1}]\n\
        pdbs: [{name: web, namespace: test, minAvailable: 0, selector: {app: web}}]\n";
    let h = kup_sim::start(kup_sim::SimOptions {
        source: kup_sim::scenario::ScenarioSource {
            text: Some(("dry-run".into(), yaml.into())),
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .expect("start sim");
    let a = h.addr;
    until(a, POD, |p| p["status"]["phase"] == "Running").await;
    let pdb = until(a, PDB, |p| p["status"]["disruptionsAllowed"] == 1).await;
    let node = fetch(a, "/api/v1/nodes/n1").await;
    let pod_before = fetch(a, POD).await;
    let writes = h.stats()["writes"].clone();

    // Create: 201 with the object as it would be (uid, creationTimestamp, no
    // resourceVersion), and no object.
    let r = send_json(
        a,
        "POST",
        "/api/v1/namespaces/test/pods?dryRun=All",
        JSON,
        &pod("test", "new", json!({})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let created = r.json();
    assert_eq!(created["metadata"]["name"], "new");
    assert!(
        created["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );
    assert!(created["metadata"]["creationTimestamp"].is_string());
    assert!(
        created["metadata"].get("resourceVersion").is_none(),
        "{created}"
    );
    assert_eq!(get(a, "/api/v1/namespaces/test/pods/new").await.status, 404);

    // Patch (a cordon) and update: the changed object, at the current resourceVersion.
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1?dryRun=All",
        SMP,
        &json!({"spec": {"unschedulable": true}}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["spec"]["unschedulable"], true);
    assert_eq!(
        r.json()["metadata"]["resourceVersion"],
        node["metadata"]["resourceVersion"]
    );
    let mut relabelled = node.clone();
    relabelled["metadata"]["labels"] = json!({"team": "web"});
    let r = send_json(a, "PUT", "/api/v1/nodes/n1?dryRun=All", JSON, &relabelled).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["metadata"]["labels"]["team"], "web");
    assert_eq!(fetch(a, "/api/v1/nodes/n1").await, node);

    // Delete, by query or by DeleteOptions body: the pod as it would be (terminating).
    let r = req(a, "DELETE", &format!("{POD}?dryRun=All"), &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.json()["metadata"]["deletionTimestamp"].is_string());
    let body =
        br#"{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"],"gracePeriodSeconds":0}"#;
    let r = req(a, "DELETE", POD, &[("Content-Type", JSON)], body).await;
    assert_eq!(r.status, 200);
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/test/pods?dryRun=All",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));

    // Eviction as kubectl drain --dry-run=server sends it: 201, the budget not spent (a second
    // one is allowed too), the pod untouched.
    let eviction = json!({"apiVersion": "policy/v1", "kind": "Eviction",
        "metadata": {"name": "web", "namespace": "test"}, "deleteOptions": {"dryRun": ["All"]}});
    for _ in 0..2 {
        let r = send_json(a, "POST", &format!("{POD}/eviction"), JSON, &eviction).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }
    assert_eq!(fetch(a, POD).await, pod_before);
    assert_eq!(fetch(a, PDB).await, pdb);

    let stats = h.stats();
    assert_eq!(stats["writes"], writes, "{stats}");
    assert_eq!(stats["dry_run_writes"], 8, "{stats}");
    assert_eq!(stats["evictions"], 0, "{stats}");
    h.shutdown().await;
}

#[tokio::test]
async fn bad_dry_run_values_are_invalid() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    load(&h, Kind::Node, vec![node("n1", json!({}))]);
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1?dryRun=Some",
        MERGE,
        &json!({"spec": {"unschedulable": true}}),
    )
    .await;
    assert_eq!(r.status, 422);
    let s = r.json();
    assert_eq!(
        s["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\""
    );
    assert_eq!(s["reason"], "Invalid");
    assert_eq!(s["details"]["kind"], "PatchOptions");
    assert_eq!(s["details"]["causes"][0]["field"], "dryRun");
    let r = send_json(
        a,
        "POST",
        "/api/v1/namespaces/test/pods?dryRun=All&dryRun=x",
        JSON,
        &pod("test", "p", json!({})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("CreateOptions.meta.k8s.io")
                && m.contains("[]string{\"All\", \"x\"}")),
        "{}",
        r.json()
    );
    // Nothing was changed by either.
    assert!(fetch(a, "/api/v1/nodes/n1").await["spec"]["unschedulable"].is_null());
    assert_eq!(get(a, "/api/v1/namespaces/test/pods/p").await.status, 404);
    h.shutdown().await;
}
