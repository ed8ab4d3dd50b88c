//! What kubectl needs beyond plain JSON: server-side Tables (get, list, watch), the OpenAPI v3
//! documents its field-validation check reads, and protobuf bodies from `kubectl create`.

mod common;
use common::*;
use kup_sim::resources::Kind;
use serde_json::json;
use std::time::Duration;

const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

#[tokio::test]
async fn tables_openapi_and_protobuf() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let mut n = node("n1", json!({"node-role.kubernetes.io/worker": ""}));
    n["spec"]["unschedulable"] = json!(true);
    n["status"] = json!({"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.24.17-eks-a59e1f0"}});
    load(&h, Kind::Node, vec![n]);

    let t = req(
        a,
        "GET",
        "/api/v1/nodes?limit=500",
        &[("Accept", TABLE)],
        b"",
    )
    .await
    .json();
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
    let cols: Vec<&str> = t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols[..5], ["Name", "Status", "Roles", "Age", "Version"]);
    let cells = t["rows"][0]["cells"].as_array().unwrap();
    assert_eq!(cells[1], "Ready,SchedulingDisabled");
    assert_eq!(cells[2], "worker");
    assert_eq!(cells[4], "v1.24.17-eks-a59e1f0");
    assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    let one = req(
        a,
        "GET",
        "/api/v1/nodes/n1?includeObject=Object",
        &[("Accept", TABLE)],
        b"",
    )
    .await
    .json();
    assert_eq!(one["rows"][0]["object"]["kind"], "Node");
    // Watch events are one-row Tables too.
    let mut w = Watch::open(a, "/api/v1/nodes?watch=true", &[("Accept", TABLE)]).await;
    let ev = w.next(Duration::from_secs(20)).await.expect("event");
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["kind"], "Table");
    assert_eq!(ev["object"]["rows"][0]["cells"][0], "n1");

    let root = get(a, "/openapi/v3").await.json();
    let url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let doc = get(a, &url).await.json();
    let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"]["kind"],
        "Deployment"
    );
    assert!(
        patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fieldValidation")
    );
    assert_eq!(get(a, "/openapi/v3/apis/nope/v1").await.status, 404);

    // `kubectl create namespace foo` sends protobuf.
    let f = |n: u8, p: &[u8]| [vec![(n << 3) | 2, p.len() as u8], p.to_vec()].concat();
    let meta = f(1, b"foo");
    let body = [
        b"k8s\x00".to_vec(),
        f(1, &[f(1, b"v1"), f(2, b"Namespace")].concat()),
        f(2, &f(1, &meta)),
    ]
    .concat();
    let r = req(
        a,
        "POST",
        "/api/v1/namespaces",
        &[("Content-Type", "application/vnd.kubernetes.protobuf")],
        &body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["metadata"]["name"], "foo");
    assert_eq!(
        get(a, "/api/v1/namespaces/foo").await.json()["status"]["phase"],
        "Active"
    );
    let r = req(
        a,
        "POST",
        "/api/v1/nodes",
        &[("Content-Type", "application/vnd.kubernetes.protobuf")],
        &body,
    )
    .await;
    // A Namespace sent to nodes: refused as the wrong kind (every built-in decodes).
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    let r = req(
        a,
        "POST",
        "/apis/karpenter.sh/v1/nodepools",
        &[("Content-Type", "application/vnd.kubernetes.protobuf")],
        &body,
    )
    .await;
    // Custom resources have no protobuf form.
    assert_eq!(r.status, 415);
    h.shutdown().await;
}
