//! coordination.k8s.io/v1 Leases: a plain stored kind (kup rotate's lock), over HTTP.

mod common;
use common::*;
use serde_json::json;

const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";

#[tokio::test]
async fn lease_create_conflict_list_patch_delete() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}});
    let r = send_json(a, "POST", "/api/v1/namespaces", JSON, &ns).await;
    assert!(r.status == 201 || r.status == 409, "{}", r.status);

    let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "kup-rotate", "namespace": "kube-system"},
        "spec": {"holderIdentity": "run-a", "leaseDurationSeconds": 60}});
    let r = send_json(a, "POST", LEASES, JSON, &lease).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let created = r.json();
    assert_eq!(created["kind"], "Lease");
    assert_eq!(created["apiVersion"], "coordination.k8s.io/v1");
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();

    // A second create of the same name: AlreadyExists.
    let r = send_json(a, "POST", LEASES, JSON, &lease).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["reason"], "AlreadyExists");

    // Run A renews with the current resourceVersion: accepted.
    let mut renew = created.clone();
    renew["spec"]["holderIdentity"] = json!("run-a");
    renew["spec"]["renewTime"] = json!("2026-01-01T00:00:00.000000Z");
    let r = send_json(a, "PUT", &format!("{LEASES}/kup-rotate"), JSON, &renew).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_ne!(r.json()["metadata"]["resourceVersion"], json!(rv));

    // Run B tries to take it over with the stale resourceVersion: 409 Conflict.
    let mut steal = created.clone();
    steal["spec"]["holderIdentity"] = json!("run-b");
    let r = send_json(a, "PUT", &format!("{LEASES}/kup-rotate"), JSON, &steal).await;
    assert_eq!(r.status, 409);
    let s = r.json();
    assert_eq!(s["reason"], "Conflict");
    assert_eq!(s["details"]["group"], "coordination.k8s.io");
    assert_eq!(s["details"]["kind"], "leases");

    let r = get(a, LEASES).await;
    assert_eq!(r.status, 200);
    let list = r.json();
    assert_eq!(list["kind"], "LeaseList");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["spec"]["holderIdentity"], "run-a");
    // All-namespaces list too.
    let r = get(a, "/apis/coordination.k8s.io/v1/leases").await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));

    let r = send_json(
        a,
        "PATCH",
        &format!("{LEASES}/kup-rotate"),
        MERGE,
        &json!({"spec": {"holderIdentity": "run-c"}}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["spec"]["holderIdentity"], "run-c");

    // Server-side table: Name, Holder, Age.
    let r = req(
        a,
        "GET",
        LEASES,
        &[("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")],
        b"",
    )
    .await;
    let t = r.json();
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["columnDefinitions"][1]["name"], "Holder");
    assert_eq!(t["rows"][0]["cells"][1], "run-c");

    let r = req(a, "DELETE", &format!("{LEASES}/kup-rotate"), &[], b"").await;
    assert_eq!(r.status, 200);
    let r = get(a, &format!("{LEASES}/kup-rotate")).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["message"],
        "leases.coordination.k8s.io \"kup-rotate\" not found"
    );
}

#[tokio::test]
async fn lease_discovery() {
    let (h, _d) = start_empty(None, None).await;
    let a = h.addr;
    let r = get(a, "/apis/coordination.k8s.io/v1").await;
    assert_eq!(r.status, 200);
    let res = &r.json()["resources"][0];
    assert_eq!(res["name"], "leases");
    assert_eq!(res["kind"], "Lease");
    assert_eq!(res["namespaced"], true);
    let r = req(
        a,
        "GET",
        "/apis",
        &[(
            "Accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        )],
        b"",
    )
    .await;
    let groups = r.json();
    let coord = groups["items"]
        .as_array()
        .and_then(|g| {
            g.iter()
                .find(|g| g["metadata"]["name"] == "coordination.k8s.io")
        })
        .cloned()
        .expect("coordination.k8s.io in aggregated discovery");
    assert_eq!(coord["versions"][0]["resources"][0]["resource"], "leases");
    assert_eq!(coord["versions"][0]["resources"][0]["scope"], "Namespaced");
}
