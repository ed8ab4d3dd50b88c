//! PATCH: merge, strategic merge (conditions by type, containers by name, taints replaced as
//! upstream does, directives) and JSON patch, on objects and on /status.

mod common;
use common::*;
use kup_sim::resources::Kind;
use serde_json::json;

#[tokio::test]
async fn patch_flavours() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let mut n = node("n1", json!({"a": "1"}));
    n["spec"]["taints"] = json!([{"key": "applications", "effect": "NoSchedule"}, {"key": "other", "effect": "NoSchedule"}]);
    n["status"] = json!({"conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}]});
    load(&h, Kind::Node, vec![n]);

    // Cordon as kubectl does it (ref 17).
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        SMP,
        &json!({"spec": {"unschedulable": true}}),
    )
    .await;
    assert_eq!(r.status, 200);
    let n = r.json();
    assert_eq!(n["spec"]["unschedulable"], true);
    assert_eq!(n["spec"]["taints"].as_array().unwrap().len(), 2);

    // Taints have no merge strategy upstream: the list is replaced (kubectl taint relies on it).
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        SMP,
        &json!({"spec": {"taints": [{"key": "other", "effect": "NoSchedule"}]}}),
    )
    .await;
    assert_eq!(
        r.json()["spec"]["taints"],
        json!([{"key": "other", "effect": "NoSchedule"}])
    );

    // Conditions merge by type on /status; a patch of the main resource leaves status alone.
    let r = send_json(a, "PATCH", "/api/v1/nodes/n1/status", SMP,
        &json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletDown"}]}})).await;
    assert_eq!(r.status, 200);
    let conds = r.json()["status"]["conditions"].clone();
    assert_eq!(
        conds,
        json!([{"type": "Ready", "status": "False", "reason": "KubeletDown"}, {"type": "MemoryPressure", "status": "False"}])
    );
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        MERGE,
        &json!({"status": {"conditions": []}, "metadata": {"labels": {"b": "2"}}}),
    )
    .await;
    assert_eq!(r.json()["status"]["conditions"], conds);
    assert_eq!(r.json()["metadata"]["labels"], json!({"a": "1", "b": "2"}));
    // /status ignores spec changes.
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1/status",
        MERGE,
        &json!({"spec": {"unschedulable": false}}),
    )
    .await;
    assert_eq!(r.json()["spec"]["unschedulable"], true);

    // Merge patch: null deletes.
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        MERGE,
        &json!({"metadata": {"labels": {"a": null}}, "spec": {"unschedulable": null}}),
    )
    .await;
    assert_eq!(r.json()["metadata"]["labels"], json!({"b": "2"}));
    assert!(r.json()["spec"].get("unschedulable").is_none());

    // JSON patch.
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        JSONPATCH,
        &json!([
            {"op": "add", "path": "/metadata/labels/c", "value": "3"},
            {"op": "test", "path": "/metadata/labels/b", "value": "2"},
            {"op": "remove", "path": "/metadata/labels/b"},
            {"op": "replace", "path": "/spec/taints/0/key", "value": "renamed"},
            {"op": "add", "path": "/spec/taints/-", "value": {"key": "x", "effect": "NoExecute"}}
        ]),
    )
    .await;
    assert_eq!(r.status, 200);
    let n = r.json();
    assert_eq!(n["metadata"]["labels"], json!({"c": "3"}));
    assert_eq!(
        n["spec"]["taints"],
        json!([{"key": "renamed", "effect": "NoSchedule"}, {"key": "x", "effect": "NoExecute"}])
    );
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/nodes/n1",
        JSONPATCH,
        &json!([{"op": "test", "path": "/metadata/labels/c", "value": "nope"}]),
    )
    .await;
    assert_eq!(r.status, 422);

    // Pod: containers merge by name, $patch: delete, resourceVersion precondition in a patch.
    let mut p = pod("test", "p", json!({}));
    p["spec"]["containers"] = json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]);
    load(&h, Kind::Pod, vec![p]);
    let r = send_json(a, "PATCH", "/api/v1/namespaces/test/pods/p", SMP,
        &json!({"spec": {"containers": [{"name": "a", "image": "a:2"}, {"name": "b", "$patch": "delete"}]}})).await;
    assert_eq!(r.status, 200);
    let c = r.json()["spec"]["containers"].clone();
    assert_eq!(c.as_array().unwrap().len(), 1);
    assert_eq!(c[0]["image"], "a:2");
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/namespaces/test/pods/p",
        MERGE,
        &json!({"metadata": {"resourceVersion": "1", "labels": {"x": "y"}}}),
    )
    .await;
    assert_eq!(r.status, 409);
    // Missing object: 404; bad patch body: 400; SMP on a CR: 415.
    let r = send_json(
        a,
        "PATCH",
        "/api/v1/namespaces/test/pods/nope",
        MERGE,
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = req(
        a,
        "PATCH",
        "/api/v1/namespaces/test/pods/p",
        &[("Content-Type", MERGE)],
        b"{nope",
    )
    .await;
    assert_eq!(r.status, 400);
    let np = json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "np"}, "spec": {}});
    assert_eq!(
        send_json(a, "POST", "/apis/karpenter.sh/v1/nodepools", JSON, &np)
            .await
            .status,
        201
    );
    let r = send_json(
        a,
        "PATCH",
        "/apis/karpenter.sh/v1/nodepools/np",
        SMP,
        &json!({"spec": {"weight": 1}}),
    )
    .await;
    assert_eq!(r.status, 415);
    let r = send_json(
        a,
        "PATCH",
        "/apis/karpenter.sh/v1beta1/nodepools/np",
        MERGE,
        &json!({"spec": {"weight": 2}}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["apiVersion"], "karpenter.sh/v1beta1");
    assert_eq!(r.json()["spec"]["weight"], 2);
    let stats = h.stats();
    assert_eq!(
        stats["requests"]["by_verb_resource"]["patch nodes/status"],
        2
    );
    h.shutdown().await;
}

#[tokio::test]
async fn server_side_apply_creates_then_merges() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let apply = "application/apply-patch+yaml";
    let doc = b"apiVersion: v1\nkind: Node\nmetadata:\n  name: n9\n  labels:\n    a: \"1\"\n";
    let r = req(
        a,
        "PATCH",
        "/api/v1/nodes/n9?fieldManager=kup",
        &[("Content-Type", apply)],
        doc,
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["metadata"]["labels"]["a"], "1");
    let doc = br#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"n9","labels":{"b":"2"}}}"#;
    let r = req(
        a,
        "PATCH",
        "/api/v1/nodes/n9?fieldManager=kup&force=true",
        &[("Content-Type", apply)],
        doc,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["metadata"]["labels"], json!({"a": "1", "b": "2"}));
    let r = req(
        a,
        "PATCH",
        "/api/v1/nodes/n9",
        &[("Content-Type", apply)],
        doc,
    )
    .await;
    assert_eq!(r.status, 422);
    h.shutdown().await;
}
