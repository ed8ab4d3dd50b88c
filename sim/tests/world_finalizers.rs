//! Deleted pods as a real cluster keeps them: a pod with finalizers stays Terminating after its
//! kubelet confirmed the deletion (even after a grace-0 force delete) until the last finalizer
//! is removed; a node whose kubelet is lost (`faults.stuckKubeletNodes`) confirms nothing.
//! World tests move sim time with `Clock::advance`; the HTTP one polls the running sim.

mod common;

use common::{JSON, MERGE, get, req, send_json};
use kup_sim::resources::Kind;
use kup_sim::scenario::{self, ScenarioSource};
use kup_sim::state::SimState;
use kup_sim::store::DeleteOpts;
use kup_sim::world;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A settled cluster from scenario YAML (every pod Running).
fn settled(yaml: &str) -> SimState {
    let src = ScenarioSource {
        text: Some(("test".into(), yaml.into())),
        ..Default::default()
    };
    let sc = scenario::load(&src).unwrap_or_else(|e| panic!("{e}"));
    kup_sim::server::build_state(sc, None).unwrap_or_else(|e| panic!("{e}"))
}

fn pod(st: &SimState, name: &str) -> Option<Value> {
    st.store.get(Kind::Pod, "default", name)
}

fn delete(st: &mut SimState, name: &str, grace: Option<i64>) {
    let opts = DeleteOpts {
        grace_period_seconds: grace,
        uid: None,
    };
    st.store
        .delete(Kind::Pod, "default", name, &opts)
        .unwrap_or_else(|e| panic!("delete {name}: {e}"));
}

/// Step, then move sim time forward `secs` in small hops, stepping after each.
fn run_for(st: &mut SimState, secs: u64) {
    world::step(st);
    for _ in 0..secs.div_ceil(5) {
        st.clock.advance(Duration::from_secs(5));
        world::step(st);
    }
}

const TWO_NODES: &str = "nodes: [{name: n1}, {name: n2}]\n\
    workloads:\n\
    - {kind: Pod, name: a, nodeName: n1}\n\
    - {kind: Pod, name: b, nodeName: n2}\n\
    - {kind: Pod, name: c, nodeName: n1}\n";

#[test]
fn a_pod_with_a_finalizer_stays_terminating_until_the_finalizer_goes() {
    let mut st = settled(TWO_NODES);
    st.store
        .update(Kind::Pod, "default", "a", &mut |p| {
            p["metadata"]["finalizers"] = json!(["example.com/keep"])
        })
        .unwrap_or_else(|e| panic!("{e}"));
    delete(&mut st, "a", None);
    delete(&mut st, "b", None);
    run_for(&mut st, 60);

    assert!(pod(&st, "b").is_none(), "b without finalizers is gone");
    let a = pod(&st, "a").unwrap_or_else(|| panic!("a must stay: it has a finalizer"));
    assert!(a["metadata"]["deletionTimestamp"].is_string(), "{a}");
    assert_eq!(a["metadata"]["deletionGracePeriodSeconds"], 0, "{a}");
    // Its kubelet reported it stopped.
    assert_eq!(a["status"]["phase"], "Succeeded", "{a}");
    assert_eq!(
        a["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 0,
        "{a}"
    );
    let rv = st.store.resource_version();
    run_for(&mut st, 30);
    assert_eq!(
        st.store.resource_version(),
        rv,
        "a kept pod costs no writes"
    );

    // Even a grace-0 force delete leaves it.
    delete(&mut st, "a", Some(0));
    assert!(pod(&st, "a").is_some());

    // The last finalizer going removes it.
    st.store
        .update(Kind::Pod, "default", "a", &mut |p| {
            p["metadata"]["finalizers"] = json!([])
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pod(&st, "a").is_none());
    run_for(&mut st, 10);
    assert!(pod(&st, "a").is_none(), "bare pods are not recreated");
    assert_eq!(st.safety.pods_lost, 2, "two bare pods deleted");
}

#[test]
fn a_lost_kubelet_leaves_its_pods_terminating_until_forced() {
    let mut st = settled(&format!("{TWO_NODES}faults: {{stuckKubeletNodes: [n1]}}\n"));
    assert_eq!(st.faults.stuck_kubelet_nodes, ["n1"]);
    for name in ["a", "b", "c"] {
        delete(&mut st, name, None);
    }
    run_for(&mut st, 120);
    assert!(pod(&st, "b").is_none(), "n2's kubelet confirmed b");
    for name in ["a", "c"] {
        let p = pod(&st, name).unwrap_or_else(|| panic!("{name} stays on the lost node"));
        let deadline: jiff::Timestamp = p["metadata"]["deletionTimestamp"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{p}"));
        assert!(deadline < st.clock.now(), "past its grace period: {p}");
        assert_eq!(p["status"]["phase"], "Running", "nobody reported it: {p}");
    }
    // A force delete removes a pod whatever its kubelet does.
    delete(&mut st, "a", Some(0));
    assert!(pod(&st, "a").is_none());
    // The kubelet comes back: it confirms what is left.
    st.faults.stuck_kubelet_nodes.clear();
    run_for(&mut st, 5);
    assert!(pod(&st, "c").is_none());
}

async fn poll(addr: std::net::SocketAddr, path: &str, done: impl Fn(u16, &Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(addr, path).await;
        let v: Value = serde_json::from_slice(&r.plain_body()).unwrap_or_default();
        if done(r.status, &v) {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out on {path}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_and_the_lost_kubelet_over_http() {
    let h = kup_sim::start(kup_sim::SimOptions {
        source: ScenarioSource {
            text: Some(("test".into(), "nodes: [{name: n1}]\n".into())),
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let a = h.addr;
    const POD: &str = "/api/v1/namespaces/default/pods/keep";
    let body = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "keep", "finalizers": ["example.com/keep"]},
        "spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 5,
                 "containers": [{"name": "c", "image": "busybox:1.36"}]}});
    let r = send_json(a, "POST", "/api/v1/namespaces/default/pods", JSON, &body).await;
    assert_eq!(r.status, 201);
    poll(a, POD, |_, p| p["status"]["phase"] == "Running").await;

    // The kubelet confirms; the finalizer keeps the pod, terminated.
    assert_eq!(req(a, "DELETE", POD, &[], b"").await.status, 200);
    let p = poll(a, POD, |_, p| {
        p["metadata"]["deletionGracePeriodSeconds"] == 0
    })
    .await;
    assert_eq!(p["status"]["phase"], "Succeeded", "{p}");
    // A PATCH of metadata.finalizers removes the last one: the pod is gone.
    let r = send_json(
        a,
        "PATCH",
        POD,
        MERGE,
        &json!({"metadata": {"finalizers": null}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(get(a, POD).await.status, 404);

    // PUT /sim/faults sets the lost kubelet; the response echoes it.
    let r = req(
        a,
        "PUT",
        "/sim/faults",
        &[("Content-Type", JSON)],
        br#"{"stuck_kubelet_nodes": ["n1"]}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["stuck_kubelet_nodes"], json!(["n1"]));
    let mut body = body.clone();
    body["metadata"]["finalizers"] = json!([]);
    let r = send_json(a, "POST", "/api/v1/namespaces/default/pods", JSON, &body).await;
    assert_eq!(r.status, 201);
    poll(a, POD, |_, p| p["status"]["phase"] == "Running").await;
    assert_eq!(req(a, "DELETE", POD, &[], b"").await.status, 200);
    // Well past the 5 s grace period in sim time, the pod is still there.
    h.shared
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clock
        .advance(Duration::from_secs(600));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let p = poll(a, POD, |s, _| s == 200).await;
    assert!(p["metadata"]["deletionTimestamp"].is_string(), "{p}");
    // The kubelet comes back: the pod goes.
    let r = req(a, "PUT", "/sim/faults", &[("Content-Type", JSON)], b"{}").await;
    assert_eq!(r.status, 200);
    poll(a, POD, |s, _| s == 404).await;
    h.shutdown().await;
}

/// The workshop's Karpenter node is deleted while one nginx pod carries a finalizer: Karpenter
/// drains it, the pod stays Terminating (terminated, Succeeded) and no longer holds the node,
/// which goes; the pod stays until its finalizer is removed (what a resumed rotate must see).
#[test]
fn karpenter_removes_a_node_whose_last_pod_is_kept_by_a_finalizer() {
    const NODE: &str = "ip-192-168-60-113.ec2.internal";
    let mut st = settled(scenario::builtin("workshop").unwrap_or_default());
    let kept = st
        .store
        .list(Kind::Pod, Some("default"))
        .into_iter()
        .find(|p| p["spec"]["nodeName"] == NODE)
        .and_then(|p| p["metadata"]["name"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no pod on {NODE}"));
    st.store
        .update(Kind::Pod, "default", &kept, &mut |p| {
            p["metadata"]["finalizers"] = json!(["example.com/keep"])
        })
        .unwrap_or_else(|e| panic!("{e}"));
    st.store
        .delete(Kind::Node, "", NODE, &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    run_for(&mut st, 300);
    assert!(
        st.store.get(Kind::Node, "", NODE).is_none(),
        "the node went"
    );
    let p = pod(&st, &kept).unwrap_or_else(|| panic!("{kept} must stay"));
    assert!(p["metadata"]["deletionTimestamp"].is_string(), "{p}");
    assert_eq!(p["status"]["phase"], "Succeeded", "{p}");
    st.store
        .update(Kind::Pod, "default", &kept, &mut |p| {
            p["metadata"]["finalizers"] = json!(null)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pod(&st, &kept).is_none());
    run_for(&mut st, 120);
    let running = st
        .store
        .list(Kind::Pod, Some("default"))
        .into_iter()
        .filter(|p| {
            p["status"]["phase"] == "Running" && p["metadata"]["deletionTimestamp"].is_null()
        })
        .count();
    assert_eq!(running, 3, "the ReplicaSet keeps 3 nginx pods");
    assert_eq!(st.safety.pods_lost, 0);
}
