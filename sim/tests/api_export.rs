//! Objects as a real cluster holds them, so that an export of kup-sim loads into a real
//! cluster unchanged: DaemonSets carry their template generation and their pods the revision
//! labels a real DaemonSet controller checks; NodeClaims name their NodePool's uid (a real
//! server rejects an empty one); karpenter.sh NodePools and NodeClaims keep no field the
//! real CRDs' schemas prune.

mod common;
use common::*;
use kup_sim::scenario::{ScenarioSource, builtin};
use kup_sim::{SimHandle, SimOptions};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;

const SAFE: &str = "bcdfghjklmnpqrstvwxz2456789";

async fn sim(source: ScenarioSource) -> SimHandle {
    kup_sim::start(SimOptions {
        source,
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("start: {e}"))
}

async fn items(a: SocketAddr, path: &str) -> Vec<Value> {
    let r = get(a, path).await;
    assert_eq!(r.status, 200, "{path}");
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

/// The metadata a real controller relies on, checked on every object of a cluster.
async fn check_revision_metadata(a: SocketAddr) {
    let dss = items(a, "/apis/apps/v1/daemonsets").await;
    assert!(!dss.is_empty());
    let mut generation: HashMap<String, String> = HashMap::new();
    for ds in &dss {
        let g = ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"]
            .as_str()
            .unwrap_or_else(|| panic!("no template generation: {ds}"));
        assert!(g.parse::<u64>().is_ok_and(|g| g >= 1), "{ds}");
        generation.insert(
            ds["metadata"]["uid"].as_str().unwrap_or("").into(),
            g.into(),
        );
    }
    let pods = items(a, "/api/v1/pods").await;
    let ds_pods: Vec<&Value> = pods
        .iter()
        .filter(|p| p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet")
        .collect();
    assert!(!ds_pods.is_empty());
    for p in ds_pods {
        let labels = &p["metadata"]["labels"];
        let hash = labels["controller-revision-hash"].as_str().unwrap_or("");
        assert!(
            hash.len() >= 8 && hash.chars().all(|c| SAFE.contains(c)),
            "controller-revision-hash: {p}"
        );
        let owner = p["metadata"]["ownerReferences"][0]["uid"]
            .as_str()
            .unwrap_or("");
        assert_eq!(
            labels["pod-template-generation"].as_str(),
            generation.get(owner).map(String::as_str),
            "pod-template-generation is its DaemonSet's: {p}"
        );
    }
    let pools = items(a, "/apis/karpenter.sh/v1/nodepools").await;
    let claims = items(a, "/apis/karpenter.sh/v1/nodeclaims").await;
    assert!(!claims.is_empty());
    for c in &claims {
        let owner = &c["metadata"]["ownerReferences"][0];
        let pool = pools
            .iter()
            .find(|p| p["metadata"]["name"] == owner["name"])
            .unwrap_or_else(|| panic!("owner of {c}"));
        assert!(owner["uid"].as_str().is_some_and(|u| !u.is_empty()), "{c}");
        assert_eq!(owner["uid"], pool["metadata"]["uid"], "{c}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_loads_back_with_the_metadata_real_controllers_need() {
    // A v1beta1 NodePool with its NodeClaim, the workshop's DaemonSets, and a generated
    // cluster (v1 NodePools, more DaemonSets).
    let a = sim(ScenarioSource {
        text: Some((
            "nodepool-v1beta1".into(),
            builtin("nodepool-v1beta1").unwrap_or_default().into(),
        )),
        generate: Some("nodes=6,pods=60,deployments=3,pools=2,daemonsets=3".into()),
        seed: 3,
        ..Default::default()
    })
    .await;
    check_revision_metadata(a.addr).await;

    // Export: one List per resource, as `kubectl get -o json` writes them (every item with
    // its apiVersion and kind).
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, (path, api_version, kind)) in [
        ("/api/v1/nodes", "v1", "Node"),
        (
            "/apis/karpenter.sh/v1/nodepools",
            "karpenter.sh/v1",
            "NodePool",
        ),
        (
            "/apis/karpenter.sh/v1/nodeclaims",
            "karpenter.sh/v1",
            "NodeClaim",
        ),
        ("/apis/apps/v1/daemonsets", "apps/v1", "DaemonSet"),
        ("/api/v1/pods", "v1", "Pod"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut list = items(a.addr, path).await;
        for o in &mut list {
            o["apiVersion"] = json!(api_version);
            o["kind"] = json!(kind);
        }
        let doc = json!({"apiVersion": "v1", "kind": "List", "items": list});
        std::fs::write(dir.path().join(format!("{i}.yaml")), doc.to_string()).expect("write");
    }
    a.shutdown().await;

    let b = sim(ScenarioSource {
        text: Some(("empty".into(), "{}".into())),
        manifests: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    check_revision_metadata(b.addr).await;
    b.shutdown().await;
}

#[tokio::test]
async fn karpenter_objects_are_held_and_served_as_the_real_crds_say() {
    let h = sim(ScenarioSource {
        text: Some((
            "nodepool-v1beta1".into(),
            builtin("nodepool-v1beta1").unwrap_or_default().into(),
        )),
        ..Default::default()
    })
    .await;
    let a = h.addr;
    // The scenario's v1beta1 NodePool, read at v1beta1 and at v1 (the storage version).
    let beta = get(a, "/apis/karpenter.sh/v1beta1/nodepools/default")
        .await
        .json();
    assert!(
        beta["spec"]["disruption"].get("expireAfter").is_none(),
        "{beta}"
    );
    let tspec = &beta["spec"]["template"]["spec"];
    assert_eq!(
        tspec["nodeClassRef"],
        json!({"kind": "EC2NodeClass", "name": "default"})
    );
    assert!(
        tspec.get("expireAfter").is_none(),
        "v1-only, pruned at v1beta1: {beta}"
    );
    let v1 = get(a, "/apis/karpenter.sh/v1/nodepools/default")
        .await
        .json();
    assert_eq!(
        v1["spec"]["template"]["spec"]["expireAfter"], "720h",
        "{v1}"
    );

    // Created at v1beta1 with fields only v1beta1 has: held without them.
    let np = json!({"apiVersion": "karpenter.sh/v1beta1", "kind": "NodePool", "metadata": {"name": "old"},
        "spec": {"disruption": {"consolidationPolicy": "WhenUnderutilized", "expireAfter": "720h"},
                 "template": {"spec": {"nodeClassRef": {"apiVersion": "karpenter.k8s.aws/v1beta1", "kind": "EC2NodeClass", "name": "default"},
                                       "kubelet": {"maxPods": 110}, "requirements": []}}}});
    let r = send_json(a, "POST", "/apis/karpenter.sh/v1beta1/nodepools", JSON, &np).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let held = get(a, "/apis/karpenter.sh/v1/nodepools/old").await.json();
    assert!(
        held["spec"]["disruption"].get("expireAfter").is_none(),
        "{held}"
    );
    assert!(
        held["spec"]["template"]["spec"].get("kubelet").is_none(),
        "{held}"
    );
    assert_eq!(
        held["spec"]["template"]["spec"]["nodeClassRef"],
        json!({"kind": "EC2NodeClass", "name": "default"})
    );

    // An ownerReference without a uid is refused as the real server refuses it.
    let claim = json!({"apiVersion": "karpenter.sh/v1", "kind": "NodeClaim",
        "metadata": {"name": "orphan", "ownerReferences": [{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "name": "default", "uid": ""}]},
        "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}, "requirements": []}});
    let r = send_json(a, "POST", "/apis/karpenter.sh/v1/nodeclaims", JSON, &claim).await;
    assert_eq!(r.status, 422);
    let s = r.json();
    assert!(
        s["message"].as_str().is_some_and(|m| m
            .contains("metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty")),
        "{s}"
    );

    // A DaemonSet's template generation moves with its template only.
    let ds = "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node";
    let generation = |v: &Value| {
        v["metadata"]["annotations"]["deprecated.daemonset.template.generation"].clone()
    };
    assert_eq!(generation(&get(a, ds).await.json()), "1");
    let r = send_json(
        a,
        "PATCH",
        ds,
        MERGE,
        &json!({"metadata": {"labels": {"x": "y"}}}),
    )
    .await;
    assert_eq!(generation(&r.json()), "1");
    let r = send_json(
        a,
        "PATCH",
        ds,
        MERGE,
        &json!({"spec": {"template": {"metadata": {"annotations": {"restartedAt": "now"}}}}}),
    )
    .await;
    assert_eq!(generation(&r.json()), "2");
    let r = send_json(
        a,
        "PATCH",
        ds,
        MERGE,
        &json!({"metadata": {"annotations": {"deprecated.daemonset.template.generation": "9"}}}),
    )
    .await;
    assert_eq!(generation(&r.json()), "2", "not the client's to set");
    h.shutdown().await;
}
