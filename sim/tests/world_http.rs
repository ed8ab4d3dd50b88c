//! The world loop behind the real HTTP server: the workshop's drain (cordon, evict through
//! `pods/eviction`) ends with the nginx pods Running on a new Karpenter node at the control
//! plane's version. Sim speed comes from the scenario (60x), so a 60 s launch takes ~1 s.

mod common;

use common::{get, send_json};
use kup_sim::scenario::{ScenarioSource, builtin};
use kup_sim::{SimOptions, start};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const OLD_NODE: &str = "ip-192-168-60-113.ec2.internal";

async fn nginx_pods(addr: std::net::SocketAddr) -> Vec<Value> {
    let r = get(
        addr,
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx",
    )
    .await;
    assert_eq!(r.status, 200);
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

fn running_ready(p: &Value) -> bool {
    p["status"]["phase"] == "Running"
        && p["status"]["conditions"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

#[tokio::test]
async fn drain_of_the_workshop_node_lands_nginx_on_a_new_node_at_the_control_plane_version() {
    let text = builtin("workshop").unwrap_or_else(|| panic!("no workshop scenario"));
    let opts = SimOptions {
        source: ScenarioSource {
            text: Some(("workshop".into(), text.into())),
            ..Default::default()
        },
        listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        token: None,
        readonly_token: None,
        noaccess_token: None,
    };
    let h = start(opts).await.unwrap_or_else(|e| panic!("start: {e}"));
    let addr = h.addr;
    let control_plane = get(addr, "/version").await.json()["gitVersion"].clone();

    // Settled at start: 3 Ready pods on the old Karpenter node.
    let pods = nginx_pods(addr).await;
    assert_eq!(pods.len(), 3);
    assert!(
        pods.iter()
            .all(|p| running_ready(p) && p["spec"]["nodeName"] == OLD_NODE),
        "{pods:?}"
    );

    let r = send_json(
        addr,
        "PATCH",
        &format!("/api/v1/nodes/{OLD_NODE}"),
        "application/strategic-merge-patch+json",
        &json!({"spec": {"unschedulable": true}}),
    )
    .await;
    assert_eq!(r.status, 200);
    for p in &pods {
        let name = p["metadata"]["name"].as_str().unwrap_or("");
        let r = send_json(
            addr,
            "POST",
            &format!("/api/v1/namespaces/default/pods/{name}/eviction"),
            "application/json",
            &json!({"apiVersion": "policy/v1", "kind": "Eviction",
                    "metadata": {"name": name, "namespace": "default"}}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    }

    // Generous deadline: launch (60 s sim) + grace (30 s sim) at 60x, on a busy machine.
    let deadline = Instant::now() + Duration::from_secs(60);
    let new_node = loop {
        let pods = nginx_pods(addr).await;
        let live: Vec<&Value> = pods
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .collect();
        if pods.len() == 3
            && live
                .iter()
                .all(|p| running_ready(p) && p["spec"]["nodeName"] != OLD_NODE)
        {
            break live[0]["spec"]["nodeName"]
                .as_str()
                .unwrap_or("")
                .to_string();
        }
        assert!(Instant::now() < deadline, "nginx never came back: {pods:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let node = get(addr, &format!("/api/v1/nodes/{new_node}")).await.json();
    assert_eq!(node["status"]["nodeInfo"]["kubeletVersion"], control_plane);
    assert_eq!(
        node["metadata"]["labels"]["karpenter.sh/provisioner-name"],
        "default"
    );
    let old = get(addr, &format!("/api/v1/nodes/{OLD_NODE}")).await.json();
    let taints = old["spec"]["taints"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        taints
            .iter()
            .any(|t| t["key"] == "node.kubernetes.io/unschedulable" && t["timeAdded"].is_string())
    );

    // Once everything has settled the world writes nothing (an idle cluster costs nothing).
    let mut last = String::new();
    loop {
        let rv = get(addr, "/api/v1/pods").await.json()["metadata"]["resourceVersion"].to_string();
        if rv == last {
            break;
        }
        last = rv;
        assert!(Instant::now() < deadline, "the world never went quiet");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let stats = get(addr, "/sim/stats").await.json();
    assert_eq!(stats["evictions"], 3, "{stats}");
    assert_eq!(stats["pdb_violations"], 0);
    assert_eq!(stats["pods_lost"], 0);
    assert_eq!(stats["nodes_launched"], 1);
    assert_eq!(stats["max_unschedulable_nodes"], 1);
}
