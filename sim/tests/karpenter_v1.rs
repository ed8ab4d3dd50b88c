//! Karpenter v1 on upgrade day: EC2NodeClasses (served, loaded, resolved), NodeClaim status as
//! Karpenter writes it, drift after a control-plane change, budgets, the `karpenter`
//! Deployment and SSM GetParameter.

mod common;
use common::*;
use kup_sim::scenario::ScenarioSource;
use kup_sim::{SimHandle, SimOptions};
use serde_json::{Value, json};

async fn sim_with_manifests(files: &[(&str, &str)]) -> (SimHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write manifest");
    }
    let h = kup_sim::start(SimOptions {
        source: ScenarioSource {
            manifests: Some(dir.path().to_path_buf()),
            now: Some("2026-06-15T09:00:00Z".parse().expect("now")),
            kube_version: Some("v1.33.5-eks-1a2b3c4".into()),
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("start: {e}"));
    (h, dir)
}

const NODECLASSES: &str = r#"
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: al2023}
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms: [{alias: al2023@latest}]
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
---
apiVersion: karpenter.k8s.aws/v1beta1
kind: EC2NodeClass
metadata: {name: legacy}
spec:
  amiFamily: AL2
  role: KarpenterNodeRole-demo
  subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
  securityGroupSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
"#;

#[tokio::test]
async fn ec2nodeclasses_are_served_at_v1_and_v1beta1() {
    let (h, _dir) = sim_with_manifests(&[("nc.yaml", NODECLASSES)]).await;
    let a = h.addr;
    let disc = get(a, "/apis/karpenter.k8s.aws/v1").await.json();
    let res = disc["resources"].as_array().cloned().unwrap_or_default();
    let nc = res
        .iter()
        .find(|r| r["name"] == "ec2nodeclasses")
        .unwrap_or_else(|| panic!("{disc}"));
    assert_eq!(nc["kind"], "EC2NodeClass");
    assert_eq!(nc["namespaced"], false);
    assert!(res.iter().any(|r| r["name"] == "ec2nodeclasses/status"));
    assert_eq!(get(a, "/apis/karpenter.k8s.aws/v1beta1").await.status, 200);

    let list = get(a, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses").await.json();
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["apiVersion"], "karpenter.k8s.aws/v1");
    let beta = get(a, "/apis/karpenter.k8s.aws/v1beta1/ec2nodeclasses/legacy").await;
    assert_eq!(beta.status, 200);
    assert_eq!(beta.json()["apiVersion"], "karpenter.k8s.aws/v1beta1");

    // Created and patched through the API like the other Karpenter kinds.
    let created = json!({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
        "metadata": {"name": "br"}, "spec": {"role": "r", "amiSelectorTerms": [{"alias": "bottlerocket@latest"}]}});
    let r = send_json(a, "POST", "/apis/karpenter.k8s.aws/v1/ec2nodeclasses", JSON, &created).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let patch = json!({"metadata": {"labels": {"team": "a"}}});
    let r = send_json(
        a,
        "PATCH",
        "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/br",
        "application/merge-patch+json",
        &patch,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["metadata"]["labels"]["team"], "a");
    h.shutdown().await;
}

#[allow(dead_code)]
fn ready(v: &Value) -> Option<&Value> {
    v["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
}
