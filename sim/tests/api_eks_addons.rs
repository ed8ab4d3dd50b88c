//! The EKS add-on API over real HTTP: ListAddons, DescribeAddon, DescribeAddonVersions,
//! UpdateAddon and the add-on side of ListUpdates/DescribeUpdate, with their errors; the
//! scenario's `eks.addons:` section and its errors.

mod common;

use common::{Resp, req};
use kup_sim::scenario::ScenarioSource;
use kup_sim::{SimHandle, SimOptions, start};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";
const CLUSTER: &str = "addons";

/// A 1.32 cluster (2026-01) with four add-ons: vpc-cni behind, coredns degraded, kube-proxy
/// at its default, aws-ebs-csi-driver too old for 1.33.
const SCENARIO: &str = r#"
cluster:
  name: addons
  version: v1.32.9-eks-1a2b3c4
  now: 2026-01-15T00:00:00Z
timing: {speed: 600}
eks:
  addons:
    - name: vpc-cni
      version: v1.18.3-eksbuild.2
    - name: coredns
      status: DEGRADED
      issues:
        - code: InsufficientNumberOfReplicas
          message: The add-on is unhealthy because it doesn't have the desired number of replicas.
          resourceIds: [kube-system/coredns]
    - name: kube-proxy
    - name: aws-ebs-csi-driver
      version: v1.25.0-eksbuild.1
      serviceAccountRoleArn: arn:aws:iam::111122223333:role/ebs-csi
"#;

async fn sim(text: &str) -> SimHandle {
    let opts = SimOptions {
        source: ScenarioSource {
            text: Some(("addons.yaml".into(), text.into())),
            ..Default::default()
        },
        listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        token: None,
        readonly_token: None,
        noaccess_token: None,
    };
    start(opts).await.unwrap_or_else(|e| panic!("start: {e}"))
}

async fn eks(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Resp {
    let b = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
    let mut headers = vec![("Authorization", AUTH)];
    if b.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    req(addr, method, path, &headers, b.as_deref().unwrap_or(b"")).await
}

async fn ok(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> Value {
    let r = eks(addr, method, path, body).await;
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

fn assert_error(r: &Resp, status: u16, code: &str) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("x-amzn-errortype"), Some(code));
    let v = r.json();
    assert!(v["message"].is_string(), "{v}");
    v
}

#[tokio::test]
async fn list_and_describe_addons() {
    let h = sim(SCENARIO).await;
    let a = h.addr;
    let l = ok(a, "GET", &format!("/clusters/{CLUSTER}/addons"), None).await;
    assert_eq!(
        l["addons"],
        json!(["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"])
    );
    let p = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/addons?maxResults=3"),
        None,
    )
    .await;
    assert_eq!(p["addons"].as_array().map(Vec::len), Some(3));
    let next = p["nextToken"].as_str().unwrap_or_default().to_string();
    let p2 = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/addons?maxResults=3&nextToken={next}"),
        None,
    )
    .await;
    assert_eq!(p2["addons"], json!(["aws-ebs-csi-driver"]));
    assert!(p2.get("nextToken").is_none());

    let d = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/addons/coredns"),
        None,
    )
    .await;
    let c = &d["addon"];
    assert_eq!(c["addonName"], "coredns");
    assert_eq!(c["clusterName"], CLUSTER);
    // No version in the scenario: the catalogue's default for 1.32.
    assert_eq!(c["addonVersion"], "v1.11.4-eksbuild.2");
    assert_eq!(c["status"], "DEGRADED");
    assert_eq!(
        c["health"]["issues"][0]["code"],
        "InsufficientNumberOfReplicas"
    );
    assert_eq!(
        c["health"]["issues"][0]["resourceIds"],
        json!(["kube-system/coredns"])
    );
    assert!(
        c["addonArn"].as_str().is_some_and(
            |s| s.starts_with("arn:aws:eks:us-east-1:") && s.contains(":addon/addons/coredns/")
        ),
        "{c}"
    );
    assert!(c["createdAt"].is_number() && c["modifiedAt"].is_number());
    let kp = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/addons/kube-proxy"),
        None,
    )
    .await;
    assert_eq!(kp["addon"]["addonVersion"], "v1.32.0-eksbuild.2");
    assert_eq!(kp["addon"]["status"], "ACTIVE");
    assert_eq!(kp["addon"]["health"]["issues"], json!([]));
    let ebs = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/addons/aws-ebs-csi-driver"),
        None,
    )
    .await;
    assert_eq!(
        ebs["addon"]["serviceAccountRoleArn"],
        "arn:aws:iam::111122223333:role/ebs-csi"
    );

    let r = eks(a, "GET", &format!("/clusters/{CLUSTER}/addons/adot"), None).await;
    let e = assert_error(&r, 404, "ResourceNotFoundException");
    assert_eq!(e["addonName"], "adot");
    let r = eks(a, "GET", "/clusters/other/addons", None).await;
    assert_error(&r, 404, "ResourceNotFoundException");
    let r = req(a, "GET", &format!("/clusters/{CLUSTER}/addons"), &[], b"").await;
    assert_error(&r, 403, "MissingAuthenticationTokenException");
    h.shutdown().await;
}

#[tokio::test]
async fn addon_versions_per_kubernetes_version() {
    let h = sim(SCENARIO).await;
    let a = h.addr;
    let v = ok(
        a,
        "GET",
        "/addons/supported-versions?kubernetesVersion=1.33&addonName=coredns",
        None,
    )
    .await;
    let addons = v["addons"].as_array().cloned().unwrap_or_default();
    assert_eq!(addons.len(), 1);
    let info = &addons[0];
    assert_eq!(info["addonName"], "coredns");
    assert_eq!(info["type"], "networking");
    let versions = info["addonVersions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = versions
        .iter()
        .filter_map(|v| v["addonVersion"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "v1.12.1-eksbuild.2",
            "v1.11.4-eksbuild.2",
            "v1.11.3-eksbuild.2"
        ]
    );
    // Only the asked-for cluster version is listed; exactly one default.
    for v in &versions {
        assert_eq!(
            v["compatibilities"].as_array().map(Vec::len),
            Some(1),
            "{v}"
        );
        assert_eq!(v["compatibilities"][0]["clusterVersion"], "1.33");
    }
    let defaults: Vec<&str> = versions
        .iter()
        .filter(|v| v["compatibilities"][0]["defaultVersion"] == true)
        .filter_map(|v| v["addonVersion"].as_str())
        .collect();
    assert_eq!(defaults, ["v1.11.4-eksbuild.2"]);

    // kube-proxy versions are made for one minor.
    let kp = ok(
        a,
        "GET",
        "/addons/supported-versions?kubernetesVersion=1.33&addonName=kube-proxy",
        None,
    )
    .await;
    let kp_versions: Vec<Value> = kp["addons"][0]["addonVersions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!kp_versions.is_empty());
    assert!(kp_versions.iter().all(|v| {
        v["addonVersion"]
            .as_str()
            .is_some_and(|s| s.starts_with("v1.33."))
    }));

    // Without a version: every compatibility; with one EKS doesn't know: nothing.
    let all = ok(
        a,
        "GET",
        "/addons/supported-versions?addonName=vpc-cni",
        None,
    )
    .await;
    let oldest = all["addons"][0]["addonVersions"]
        .as_array()
        .and_then(|v| v.last().cloned())
        .unwrap_or_default();
    assert_eq!(oldest["addonVersion"], "v1.12.6-eksbuild.2");
    assert!(oldest["compatibilities"].as_array().map(Vec::len) > Some(1));
    let none = ok(
        a,
        "GET",
        "/addons/supported-versions?kubernetesVersion=1.99",
        None,
    )
    .await;
    assert_eq!(none["addons"], json!([]));
    let storage = ok(a, "GET", "/addons/supported-versions?types=storage", None).await;
    assert_eq!(storage["addons"][0]["addonName"], "aws-ebs-csi-driver");
    assert_eq!(storage["addons"].as_array().map(Vec::len), Some(1));
    h.shutdown().await;
}

async fn describe_update(a: SocketAddr, id: &str, addon: &str) -> Value {
    ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates/{id}?addonName={addon}"),
        None,
    )
    .await["update"]
        .clone()
}

#[tokio::test]
async fn update_addon_moves_the_version_after_a_while() {
    let h = sim(SCENARIO).await;
    let a = h.addr;
    let path = format!("/clusters/{CLUSTER}/addons/aws-ebs-csi-driver/update");
    // v1.12.6 of vpc-cni is not compatible with 1.32: refused.
    let r = eks(
        a,
        "POST",
        &format!("/clusters/{CLUSTER}/addons/vpc-cni/update"),
        Some(&json!({"addonVersion": "v1.12.6-eksbuild.2"})),
    )
    .await;
    let e = assert_error(&r, 400, "InvalidParameterException");
    assert_eq!(e["addonName"], "vpc-cni");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("1.32")),
        "{e}"
    );
    let r = eks(
        a,
        "POST",
        &path,
        Some(&json!({"addonVersion": "v9.9.9-eksbuild.1"})),
    )
    .await;
    assert_error(&r, 400, "InvalidParameterException");
    let r = eks(
        a,
        "POST",
        &path,
        Some(&json!({"addonVersion": "v1.45.0-eksbuild.2", "resolveConflicts": "MAYBE"})),
    )
    .await;
    assert_error(&r, 400, "InvalidParameterException");

    let body = json!({"addonVersion": "v1.45.0-eksbuild.2", "resolveConflicts": "OVERWRITE", "clientRequestToken": "t-1"});
    let u = ok(a, "POST", &path, Some(&body)).await["update"].clone();
    assert_eq!(u["type"], "AddonUpdate");
    assert_eq!(u["status"], "InProgress");
    assert_eq!(
        u["params"],
        json!([{"type": "AddonVersion", "value": "v1.45.0-eksbuild.2"}, {"type": "ResolveConflicts", "value": "OVERWRITE"}])
    );
    let id = u["id"].as_str().unwrap_or_default().to_string();
    // The same token is the same update; another update while this one runs is refused.
    let again = ok(a, "POST", &path, Some(&body)).await;
    assert_eq!(again["update"]["id"], id.as_str());
    let r = eks(
        a,
        "POST",
        &path,
        Some(&json!({"addonVersion": "v1.38.1-eksbuild.2"})),
    )
    .await;
    assert_error(&r, 409, "ResourceInUseException");
    let during = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/addons/aws-ebs-csi-driver"),
        None,
    )
    .await;
    assert_eq!(during["addon"]["status"], "UPDATING");
    assert_eq!(during["addon"]["addonVersion"], "v1.25.0-eksbuild.1");

    let l = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates?addonName=aws-ebs-csi-driver"),
        None,
    )
    .await;
    assert_eq!(l["updateIds"], json!([id.as_str()]));
    let none = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates?addonName=coredns"),
        None,
    )
    .await;
    assert_eq!(none["updateIds"], json!([]));
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates/{id}?addonName=coredns"),
        None,
    )
    .await;
    assert_error(&r, 404, "ResourceNotFoundException");
    let r = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates?addonName=adot"),
        None,
    )
    .await;
    assert_error(&r, 404, "ResourceNotFoundException");

    // 90 s of sim time at speed 600: well under a second; the deadline is only a guard.
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let u = describe_update(a, &id, "aws-ebs-csi-driver").await;
        if u["status"] != "InProgress" {
            break u;
        }
        assert!(Instant::now() < deadline, "still in progress: {u}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["status"], "Successful");
    let after = ok(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/addons/aws-ebs-csi-driver"),
        None,
    )
    .await;
    assert_eq!(after["addon"]["addonVersion"], "v1.45.0-eksbuild.2");
    assert_eq!(after["addon"]["status"], "ACTIVE");
    h.shutdown().await;
}

#[test]
fn bad_addons_in_a_scenario_are_reported_with_their_place() {
    let load = |text: &str| {
        kup_sim::scenario::load(&ScenarioSource {
            text: Some(("a.yaml".into(), text.into())),
            ..Default::default()
        })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    };
    let e = load("eks:\n  addons:\n    - name: coredns\n      status: SICK\n");
    assert!(e.starts_with("a.yaml:3:") && e.contains("SICK"), "{e}");
    let e =
        load("eks:\n  addons:\n    - name: coredns\n      issues: [{code: Flaky, message: x}]\n");
    assert!(e.contains("Flaky"), "{e}");
    let e = load("eks:\n  addons:\n    - name: coredns\n    - name: coredns\n");
    assert!(e.starts_with("a.yaml:4:") && e.contains("twice"), "{e}");
    let e = load("eks:\n  addons:\n    - name: my-addon\n");
    assert!(e.contains("no default version"), "{e}");
    let e = load("eks:\n  addons:\n    - name: vpc-cni\n      version: 1.19\n");
    assert!(e.contains("not a version"), "{e}");
    let e = load("eks:\n  addon: []\n");
    assert!(e.contains("addon"), "{e}");
    let ok = kup_sim::scenario::load(&ScenarioSource {
        text: Some((
            "a.yaml".into(),
            "eks:\n  addons:\n    - name: vpc-cni\n".into(),
        )),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    // The default control plane is 1.25: vpc-cni's default there.
    assert_eq!(
        ok.eks.addons[0].version.as_deref(),
        Some("v1.15.1-eksbuild.1")
    );
}
