//! UpdateClusterVersion over real HTTP: EKS's refusals (a skipped minor, a node group behind
//! the cluster, an update in progress), the update taking simulated minutes before `/version`,
//! DescribeCluster and the platform version move, ListUpdates/DescribeUpdate showing it, and
//! the fault that makes the next one fail.

mod common;

use common::{Resp, get, req, send_json};
use kup_sim::scenario::{ScenarioSource, builtin};
use kup_sim::{SimHandle, SimOptions, start};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000";
const CLUSTER: &str = "eks-upgrades-workshop";

/// A built-in scenario, its clock 600 times real time (a 10-minute update takes a second).
async fn sim(name: &str) -> SimHandle {
    let text = builtin(name)
        .unwrap_or_else(|| panic!("no {name} scenario"))
        .replace("speed: 60", "speed: 600");
    let opts = SimOptions {
        source: ScenarioSource {
            text: Some(("test-scenario".into(), text)),
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

fn error(r: &Resp, status: u16, code: &str) -> String {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("x-amzn-errortype"), Some(code));
    r.json()["message"].as_str().unwrap_or_default().to_string()
}

async fn update_version(a: SocketAddr, version: &str) -> Resp {
    let path = format!("/clusters/{CLUSTER}/updates");
    eks(a, "POST", &path, Some(&json!({"version": version}))).await
}

async fn cluster(a: SocketAddr) -> Value {
    eks(a, "GET", &format!("/clusters/{CLUSTER}"), None)
        .await
        .json()["cluster"]
        .clone()
}

async fn wait_update(a: SocketAddr, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = eks(a, "GET", &format!("/clusters/{CLUSTER}/updates/{id}"), None).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let u = r.json()["update"].clone();
        if u["status"] != "InProgress" {
            return u;
        }
        assert!(Instant::now() < deadline, "still in progress: {u}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn served_version(a: SocketAddr) -> String {
    get(a, "/version").await.json()["gitVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_node_group_behind_the_cluster_refuses_the_update() {
    // The workshop: cluster 1.25, mng-system 1.24.
    let h = sim("workshop").await;
    let a = h.addr;
    let msg = error(
        &update_version(a, "1.26").await,
        400,
        "InvalidParameterException",
    );
    assert_eq!(
        msg,
        "Nodegroups mng-system must be updated to match cluster version 1.25 before updating cluster version"
    );
    assert_eq!(
        h.stats()["eks"]["writes"],
        1,
        "a refused write is counted too"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn one_minor_at_a_time_one_update_at_a_time_then_version_moves() {
    let h = sim("no-lag").await;
    let a = h.addr;
    let msg = error(
        &update_version(a, "1.27").await,
        400,
        "InvalidParameterException",
    );
    assert_eq!(
        msg,
        "Unsupported Kubernetes minor version update from 1.25 to 1.27."
    );
    let msg = error(
        &update_version(a, "1.25").await,
        400,
        "InvalidParameterException",
    );
    assert!(msg.contains("from 1.25 to 1.25"), "{msg}");
    let msg = error(
        &update_version(a, "x").await,
        400,
        "InvalidParameterException",
    );
    assert_eq!(msg, "unsupported Kubernetes version");

    let r = update_version(a, "1.26").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let u = r.json()["update"].clone();
    assert_eq!(u["status"], "InProgress");
    assert_eq!(u["type"], "VersionUpdate");
    assert_eq!(u["params"][0], json!({"type": "Version", "value": "1.26"}));
    let id = u["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(id.len(), 36, "{id}");
    // While it runs: UPDATING, the version unchanged, a second update refused.
    let c = cluster(a).await;
    assert_eq!(c["status"], "UPDATING");
    assert_eq!(c["version"], "1.25");
    error(
        &update_version(a, "1.26").await,
        409,
        "ResourceInUseException",
    );
    let list = eks(a, "GET", &format!("/clusters/{CLUSTER}/updates"), None).await;
    assert_eq!(list.json()["updateIds"], json!([id]));
    // A node group's list stays its own.
    let list = eks(
        a,
        "GET",
        &format!("/clusters/{CLUSTER}/updates?nodegroupName=mng-system"),
        None,
    )
    .await;
    assert_eq!(list.json()["updateIds"], json!([]));

    let done = wait_update(a, &id).await;
    assert_eq!(done["status"], "Successful", "{done}");
    assert_eq!(done["errors"], json!([]));
    let c = cluster(a).await;
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["version"], "1.26");
    assert_ne!(
        c["platformVersion"], "eks.15",
        "the platform version moves too: {c}"
    );
    assert!(served_version(a).await.starts_with("v1.26."));
    // The node group now lags: the next minor is refused until it is moved.
    let msg = error(
        &update_version(a, "1.27").await,
        400,
        "InvalidParameterException",
    );
    assert!(
        msg.starts_with("Nodegroups mng-system must be updated"),
        "{msg}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn the_fault_makes_the_next_update_fail_with_an_error_detail() {
    let h = sim("no-lag").await;
    let a = h.addr;
    let r = send_json(
        a,
        "PUT",
        "/sim/faults",
        "application/json",
        &json!({"eks_fail_next_cluster_update": "ClusterUnreachable"}),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = update_version(a, "1.26").await;
    assert_eq!(r.status, 200);
    let id = r.json()["update"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let done = wait_update(a, &id).await;
    assert_eq!(done["status"], "Failed", "{done}");
    assert_eq!(done["errors"][0]["errorCode"], "ClusterUnreachable");
    assert_eq!(cluster(a).await["version"], "1.25");
    assert!(served_version(a).await.starts_with("v1.25."));
    // The fault is spent: the next update goes through.
    let r = update_version(a, "1.26").await;
    let id = r.json()["update"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(wait_update(a, &id).await["status"], "Successful");
    h.shutdown().await;
}
