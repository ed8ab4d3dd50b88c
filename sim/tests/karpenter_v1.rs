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

/// Shared with kup's end-to-end tests (tests/karpenter.rs).
const NODECLASSES: &str = include_str!("data/ec2nodeclasses.yaml");

const POOLS: &str = r#"
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general}
spec:
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    budgets:
      - {nodes: "20%"}
      - {nodes: "0", schedule: "0 9 * * mon-fri", duration: 8h, reasons: [Drifted]}
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: al2023}
      requirements: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
---
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: general-abcde, labels: {karpenter.sh/nodepool: general}}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: al2023}
  requirements: []
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karpenter
  namespace: kube-system
  labels: {app.kubernetes.io/name: karpenter, app.kubernetes.io/version: 1.5.0, helm.sh/chart: karpenter-1.5.0}
spec:
  replicas: 0
  selector: {matchLabels: {app.kubernetes.io/name: karpenter}}
  template:
    metadata: {labels: {app.kubernetes.io/name: karpenter}}
    spec: {containers: [{name: controller, image: "public.ecr.aws/karpenter/controller:1.5.0"}]}
"#;

#[tokio::test]
async fn ec2nodeclasses_are_served_at_v1_and_v1beta1() {
    let (h, _dir) = sim_with_manifests(&[("nc.yaml", NODECLASSES), ("pools.yaml", POOLS)]).await;
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

    let list = get(a, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses")
        .await
        .json();
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["apiVersion"], "karpenter.k8s.aws/v1");
    let beta = get(a, "/apis/karpenter.k8s.aws/v1beta1/ec2nodeclasses/legacy").await;
    assert_eq!(beta.status, 200);
    assert_eq!(beta.json()["apiVersion"], "karpenter.k8s.aws/v1beta1");
    assert_eq!(beta.json()["spec"]["amiFamily"], "AL2");
    // Karpenter's conversion webhook: amiFamily without terms reads at v1 as its @latest alias.
    let v1 = get(a, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/legacy")
        .await
        .json();
    assert_eq!(
        v1["spec"]["amiSelectorTerms"],
        json!([{"alias": "al2@latest"}]),
        "{v1}"
    );
    assert!(v1["spec"].get("amiFamily").is_none(), "{v1}");
    // And a v1 alias reads at v1beta1 (no aliases there) as its family.
    let al2023 = get(a, "/apis/karpenter.k8s.aws/v1beta1/ec2nodeclasses/al2023")
        .await
        .json();
    assert_eq!(al2023["spec"]["amiFamily"], "AL2023", "{al2023}");
    assert!(al2023["spec"].get("amiSelectorTerms").is_none(), "{al2023}");
    // The rest of a Karpenter v1 install loads from plain manifests too.
    let np = get(a, "/apis/karpenter.sh/v1/nodepools/general")
        .await
        .json();
    assert_eq!(
        np["spec"]["disruption"]["budgets"][1]["schedule"], "0 9 * * mon-fri",
        "{np}"
    );
    assert_eq!(
        get(a, "/apis/karpenter.sh/v1/nodeclaims/general-abcde")
            .await
            .status,
        200
    );
    let k = get(
        a,
        "/apis/apps/v1/namespaces/kube-system/deployments/karpenter",
    )
    .await
    .json();
    assert_eq!(
        k["metadata"]["labels"]["app.kubernetes.io/version"],
        "1.5.0"
    );

    // Created and patched through the API like the other Karpenter kinds.
    let created = json!({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
        "metadata": {"name": "br"}, "spec": {"role": "r", "amiSelectorTerms": [{"alias": "bottlerocket@latest"}]}});
    let r = send_json(
        a,
        "POST",
        "/apis/karpenter.k8s.aws/v1/ec2nodeclasses",
        JSON,
        &created,
    )
    .await;
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

fn ready(v: &Value) -> Option<&Value> {
    v["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
}

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260615/us-east-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";

#[tokio::test]
async fn the_control_plane_endpoint_moves_version_eks_and_drifts_alias_classes() {
    let (h, _dir) = sim_with_manifests(&[("nc.yaml", NODECLASSES)]).await;
    let a = h.addr;
    let amis = |v: &Value| {
        v["status"]["amis"][0]["name"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let before = get(a, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/al2023")
        .await
        .json();
    assert!(amis(&before).contains("-1.33-"), "{before}");
    assert_eq!(
        ready(&before).map(|c| c["status"].clone()),
        Some(json!("True"))
    );
    // The v1beta1 class without terms: AL2's recommended AMI, which 1.33 no longer has.
    let legacy = get(a, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/legacy")
        .await
        .json();
    assert_eq!(
        ready(&legacy).map(|c| c["status"].clone()),
        Some(json!("False")),
        "{legacy}"
    );

    let r = get(a, "/sim/control-plane").await;
    assert_eq!(r.json()["version"], "v1.33.5-eks-1a2b3c4");
    let r = send_json(
        a,
        "PUT",
        "/sim/control-plane",
        JSON,
        &json!({"version": "1.34"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["previous"], "v1.33.5-eks-1a2b3c4");
    let v = get(a, "/version").await.json();
    assert_eq!(v["minor"], "34+", "{v}");
    assert!(
        v["gitVersion"]
            .as_str()
            .is_some_and(|g| g.starts_with("v1.34.") && g.ends_with("-eks-1a2b3c4"))
    );
    let c = req(
        a,
        "GET",
        "/clusters/kup-sim",
        &[("Authorization", AUTH)],
        b"",
    )
    .await
    .json();
    assert_eq!(c["cluster"]["version"], "1.34", "{c}");
    for bad in [
        json!({"version": "latest"}),
        json!({"v": "1.34"}),
        json!("1.34"),
    ] {
        let r = send_json(a, "PUT", "/sim/control-plane", JSON, &bad).await;
        assert_eq!(r.status, 400, "{bad}");
    }
    // The world re-resolves the alias (polled: the world loop runs on its own).
    let mut after = Value::Null;
    for _ in 0..200 {
        after = get(a, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/al2023")
            .await
            .json();
        if amis(&after).contains("-1.34-") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(amis(&after).contains("-1.34-"), "{after}");
    h.shutdown().await;
}

async fn ssm(a: std::net::SocketAddr, name: &str) -> Resp {
    let body = serde_json::to_vec(&json!({"Name": name})).unwrap_or_default();
    req(
        a,
        "POST",
        "/",
        &[
            ("Authorization", AUTH),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
        ],
        &body,
    )
    .await
}

#[tokio::test]
async fn ssm_get_parameter_resolves_aliases_as_karpenter_does() {
    let (h, _dir) = sim_with_manifests(&[("nc.yaml", NODECLASSES)]).await;
    let a = h.addr;
    let nc = get(a, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/al2023")
        .await
        .json();
    let path = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id";
    let r = ssm(a, path).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.1"));
    let p = r.json()["Parameter"].clone();
    assert_eq!(p["Name"], path);
    assert_eq!(p["Type"], "String");
    assert_eq!(p["DataType"], "aws:ec2:image");
    assert_eq!(p["Version"], 1);
    assert!(p["LastModifiedDate"].is_number());
    assert_eq!(p["ARN"], format!("arn:aws:ssm:us-east-1::parameter{path}"));
    assert_eq!(
        p["Value"], nc["status"]["amis"][0]["id"],
        "the id the class resolved to"
    );

    let pinned = "/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.32-v20250510/image_id";
    assert_eq!(ssm(a, pinned).await.status, 200);
    let br = ssm(
        a,
        "/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id",
    )
    .await;
    assert!(
        br.json()["Parameter"]["Value"]
            .as_str()
            .is_some_and(|v| v.starts_with("ami-0"))
    );

    for missing in [
        "/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/image_id",
        "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.33-v20240101/image_id",
        "/not/a/parameter",
    ] {
        let r = ssm(a, missing).await;
        assert_eq!(r.status, 400, "{missing}");
        assert_eq!(r.header("x-amzn-errortype"), Some("ParameterNotFound"));
        assert_eq!(r.json()["__type"], "ParameterNotFound");
    }
    let stats = get(a, "/sim/stats").await.json();
    assert_eq!(stats["ssm"]["by_operation"]["GetParameter"], 6, "{stats}");
    h.shutdown().await;
}
