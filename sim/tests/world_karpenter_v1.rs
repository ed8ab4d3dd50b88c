//! Karpenter v1 in the world: EC2NodeClass resolution, launches at the resolved AMI's
//! version, drift after a control-plane change, replacement within the NodePool's budgets.
//! Sim time moves by `Clock::advance` only.

use kup_sim::resources::Kind;
use kup_sim::scenario::{self, ScenarioSource};
use kup_sim::state::SimState;
use kup_sim::world;
use serde_json::Value;
use std::time::Duration;

fn load(yaml: &str) -> SimState {
    let src = ScenarioSource {
        text: Some(("test".into(), yaml.into())),
        ..Default::default()
    };
    let sc = scenario::load(&src).unwrap_or_else(|e| panic!("{e}"));
    kup_sim::server::build_state(sc, None).unwrap_or_else(|e| panic!("{e}"))
}

fn run_for(st: &mut SimState, secs: u64) {
    let mut left = secs;
    world::step(st);
    while left > 0 {
        let d = left.min(10);
        st.clock.advance(Duration::from_secs(d));
        left -= d;
        world::step(st);
        world::step(st);
    }
}

fn get(st: &SimState, kind: Kind, name: &str) -> Value {
    st.store
        .get(kind, "", name)
        .unwrap_or_else(|| panic!("no {kind:?} {name}"))
}

fn cond<'a>(v: &'a Value, ty: &str) -> Option<&'a Value> {
    v["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == ty)
}

fn nodes_of(st: &SimState, pool: &str) -> Vec<Value> {
    st.store
        .list(Kind::Node, None)
        .into_iter()
        .filter(|n| n["metadata"]["labels"]["karpenter.sh/nodepool"] == pool)
        .collect()
}

fn kubelet(n: &Value) -> &str {
    n["status"]["nodeInfo"]["kubeletVersion"]
        .as_str()
        .unwrap_or("")
}

const BASE: &str = r#"
cluster: {version: v1.33.5-eks-1a2b3c4, now: "2026-06-15T20:00:00Z"}
timing: {speed: 1}
pools:
  - {name: general, labels: {pool: general}, nodeClass: al2023}
  - {name: pinned, labels: {pool: pinned}, nodeClass: pinned}
  - {name: old, labels: {pool: old}, nodeClass: al2}
  - {name: lost, labels: {pool: lost}, nodeClass: nowhere}
workloads:
  - {kind: Deployment, name: web, replicas: 2, nodeSelector: {pool: general}, resources: {requests: {cpu: 100m}}}
  - {kind: Deployment, name: db, replicas: 1, nodeSelector: {pool: pinned}, resources: {requests: {cpu: 100m}}}
  - {kind: Deployment, name: legacy, replicas: 1, nodeSelector: {pool: old}}
  - {kind: Deployment, name: stray, replicas: 1, nodeSelector: {pool: lost}}
objects:
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: al2023}
    spec: {role: NodeRole, amiSelectorTerms: [{alias: al2023@latest}]}
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: pinned, annotations: {kup-sim.io/ami-kubernetes-version: "1.32"}}
    spec: {role: NodeRole, amiFamily: AL2023, amiSelectorTerms: [{id: ami-0feedfacecafe1234}]}
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: al2}
    spec: {role: NodeRole, amiSelectorTerms: [{alias: al2@latest}]}
"#;

#[test]
fn karpenter_launches_at_the_resolved_ami_version() {
    let mut st = load(BASE);
    run_for(&mut st, 120);
    let nc = get(&st, Kind::EC2NodeClass, "al2023");
    assert_eq!(
        cond(&nc, "Ready").map(|c| c["status"].clone()),
        Some("True".into()),
        "{nc}"
    );
    let amis = nc["status"]["amis"].as_array().cloned().unwrap_or_default();
    assert_eq!(amis.len(), 2, "{nc}");
    assert_eq!(
        amis[0]["name"],
        "amazon-eks-node-al2023-x86_64-standard-1.33-v20260610"
    );
    assert_eq!(amis[0]["requirements"][0]["values"][0], "amd64");

    let general = nodes_of(&st, "general");
    assert_eq!(general.len(), 1);
    assert_eq!(kubelet(&general[0]), "v1.33.5-eks-1a2b3c4");
    assert!(
        general[0]["status"]["nodeInfo"]["osImage"]
            .as_str()
            .is_some_and(|o| o.contains("2023"))
    );
    let claims = st.store.list(Kind::NodeClaim, None);
    let claim = claims
        .iter()
        .find(|c| c["metadata"]["labels"]["karpenter.sh/nodepool"] == "general")
        .unwrap_or_else(|| panic!("no claim"));
    assert_eq!(claim["status"]["imageID"], amis[0]["id"]);
    assert_eq!(claim["status"]["nodeName"], general[0]["metadata"]["name"]);
    for ty in ["Launched", "Registered", "Initialized", "Ready"] {
        assert_eq!(
            cond(claim, ty).map(|c| c["status"].clone()),
            Some("True".into()),
            "{ty}"
        );
    }
    assert!(cond(claim, "Drifted").is_none());

    // The pinned class: an AMI the scenario says is 1.32, whatever the control plane runs.
    let pinned = nodes_of(&st, "pinned");
    assert_eq!(pinned.len(), 1);
    assert!(
        kubelet(&pinned[0]).starts_with("v1.32.9-eks-"),
        "{}",
        kubelet(&pinned[0])
    );
    let pc = get(&st, Kind::EC2NodeClass, "pinned");
    assert_eq!(pc["status"]["amis"][0]["id"], "ami-0feedfacecafe1234");

    // AL2 has no AMIs for 1.33: the class is not Ready and its pool launches nothing.
    let al2 = get(&st, Kind::EC2NodeClass, "al2");
    let amis_ready = cond(&al2, "AMIsReady").cloned().unwrap_or_default();
    assert_eq!(amis_ready["status"], "False");
    assert_eq!(amis_ready["reason"], "UnsupportedAlias");
    assert_eq!(
        cond(&al2, "Ready").map(|c| c["status"].clone()),
        Some("False".into())
    );
    assert!(nodes_of(&st, "old").is_empty());
    // A NodePool naming a missing class launches nothing either, and says why.
    assert!(nodes_of(&st, "lost").is_empty());
    let lost = get(&st, Kind::NodePool, "lost");
    let c = cond(&lost, "NodeClassReady").cloned().unwrap_or_default();
    assert_eq!(
        (c["status"].as_str(), c["reason"].as_str()),
        (Some("False"), Some("NodeClassNotFound")),
        "{lost}"
    );
    assert_eq!(
        cond(&get(&st, Kind::NodePool, "old"), "NodeClassReady").map(|c| c["reason"].clone()),
        Some("NodeClassNotReady".into())
    );
    assert_eq!(
        cond(&get(&st, Kind::NodePool, "general"), "Ready").map(|c| c["status"].clone()),
        Some("True".into())
    );
    // A budget Karpenter cannot parse: said on the NodePool, and no drift replacement (fails closed).
    st.store
        .update(Kind::NodePool, "", "general", &mut |p| {
            p["spec"]["disruption"]["budgets"] = serde_json::json!([{"nodes": "1", "schedule": "0 9 * * someday", "duration": "8h"}]);
        })
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    let general = get(&st, Kind::NodePool, "general");
    let v = cond(&general, "ValidationSucceeded")
        .cloned()
        .unwrap_or_default();
    assert_eq!(v["status"], "False", "{general}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("someday")),
        "{v}"
    );
    st.cluster.git_version = "v1.34.2-eks-5d6e7f8".into();
    run_for(&mut st, 600);
    assert!(
        nodes_of(&st, "general")
            .iter()
            .all(|n| kubelet(n).starts_with("v1.33."))
    );
    assert_eq!(stats(&st)["max_disrupting_by_pool"]["general"], 0);
}

const FLEET: &str = r#"
cluster: {version: v1.33.5-eks-1a2b3c4, now: "2026-06-15T06:00:00Z"}
timing: {speed: 1}
pools:
  - {name: general, labels: {pool: general}, nodeClass: al2023}
nodes:
  - {count: 5, pool: general, kubeletVersion: v1.33.5-eks-1a2b3c4, instanceType: m5.xlarge}
workloads:
  - {kind: Deployment, name: web, replicas: 10, nodeSelector: {pool: general}, resources: {requests: {cpu: 200m}}}
  - {kind: Deployment, name: batch, replicas: 1, nodeSelector: {pool: general}, annotations: {karpenter.sh/do-not-disrupt: "true"}}
pdbs:
  - {name: web, selector: {app: web}, maxUnavailable: 1}
objects:
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: al2023}
    spec: {role: NodeRole, amiSelectorTerms: [{alias: al2023@latest}]}
"#;

fn set_budgets(st: &mut SimState, budgets: serde_json::Value) {
    st.store
        .update(Kind::NodePool, "", "general", &mut |p| {
            p["spec"]["disruption"]["budgets"] = budgets.clone();
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

fn drifted(st: &SimState) -> usize {
    st.store
        .list(Kind::NodeClaim, None)
        .iter()
        .filter(|c| {
            cond(c, "Drifted").is_some_and(|d| d["status"] == "True" && d["reason"] == "AMIDrift")
        })
        .count()
}

fn stats(st: &SimState) -> serde_json::Value {
    serde_json::to_value(&st.safety).unwrap_or_default()
}

#[test]
fn a_minor_change_drifts_alias_nodes_and_karpenter_replaces_them_within_the_budget() {
    let mut st = load(FLEET);
    set_budgets(&mut st, serde_json::json!([{"nodes": "40%"}]));
    run_for(&mut st, 30);
    assert_eq!(drifted(&st), 0, "nodes at the resolved AMI are not drifted");
    let batch_node = st
        .store
        .list(Kind::Pod, Some("default"))
        .into_iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("batch-"))
        })
        .map(|p| p["spec"]["nodeName"].as_str().unwrap_or("").to_string())
        .unwrap_or_default();
    assert!(!batch_node.is_empty());

    st.cluster.git_version = "v1.34.2-eks-5d6e7f8".into();
    world::step(&mut st);
    assert_eq!(drifted(&st), 5, "every alias node drifts on a minor change");
    let nc = get(&st, Kind::EC2NodeClass, "al2023");
    assert!(
        nc["status"]["amis"][0]["name"]
            .as_str()
            .is_some_and(|n| n.contains("-1.34-")),
        "{nc}"
    );

    run_for(&mut st, 1800);
    let nodes = nodes_of(&st, "general");
    let old: Vec<&Value> = nodes
        .iter()
        .filter(|n| kubelet(n).starts_with("v1.33."))
        .collect();
    assert_eq!(
        old.len(),
        1,
        "only the do-not-disrupt node stays: {:?}",
        nodes.iter().map(kubelet).collect::<Vec<_>>()
    );
    assert_eq!(old[0]["metadata"]["name"], batch_node.as_str());
    assert!(
        nodes
            .iter()
            .filter(|n| kubelet(n).starts_with("v1.34."))
            .count()
            >= 4
    );
    let s = stats(&st);
    // 40% of 5 nodes = 2.
    let max = s["max_disrupting_by_pool"]["general"]
        .as_u64()
        .unwrap_or(99);
    assert!((1..=2).contains(&max), "{s}");
    assert_eq!(s["pdb_violations"], 0, "{s}");
    assert_eq!(s["pods_lost"], 0, "{s}");
}

#[test]
fn a_budget_window_holds_drift_until_it_closes() {
    let mut st = load(&FLEET.replace("2026-06-15T06:00:00Z", "2026-06-15T09:30:00Z"));
    set_budgets(
        &mut st,
        serde_json::json!([{"nodes": "20%"},
            {"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h", "reasons": ["Drifted"]}]),
    );
    st.cluster.git_version = "v1.34.2-eks-5d6e7f8".into();
    run_for(&mut st, 3600);
    assert_eq!(drifted(&st), 5);
    assert_eq!(
        stats(&st)["max_disrupting_by_pool"]["general"],
        0,
        "Monday 9:00-17:00: nothing"
    );
    assert!(
        nodes_of(&st, "general")
            .iter()
            .all(|n| kubelet(n).starts_with("v1.33."))
    );
    // 17:00: the window closes; 20% of 5 = 1 at a time.
    st.clock.advance(Duration::from_secs(6 * 3600 + 1800));
    run_for(&mut st, 1800);
    let s = stats(&st);
    assert_eq!(s["max_disrupting_by_pool"]["general"], 1, "{s}");
    assert!(
        nodes_of(&st, "general")
            .iter()
            .any(|n| kubelet(n).starts_with("v1.34."))
    );
    assert_eq!(s["pdb_violations"], 0);
}

#[test]
fn do_not_disrupt_holds_until_the_termination_grace_period() {
    let mut st = load(FLEET);
    set_budgets(&mut st, serde_json::json!([{"nodes": "100%"}]));
    st.store
        .update(Kind::NodePool, "", "general", &mut |p| {
            p["spec"]["template"]["spec"]["terminationGracePeriod"] = serde_json::json!("1h");
        })
        .unwrap_or_else(|e| panic!("{e}"));
    st.cluster.git_version = "v1.34.2-eks-5d6e7f8".into();
    run_for(&mut st, 1200);
    let batch = |st: &SimState| {
        st.store
            .list(Kind::Pod, Some("default"))
            .into_iter()
            .filter(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("batch-"))
            })
            .collect::<Vec<_>>()
    };
    // With a grace period the node is a candidate: deleted, but the pod stays until it ends.
    let held: Vec<Value> = nodes_of(&st, "general")
        .into_iter()
        .filter(|n| kubelet(n).starts_with("v1.33."))
        .collect();
    assert_eq!(held.len(), 1);
    assert!(held[0]["metadata"]["deletionTimestamp"].is_string());
    assert!(
        batch(&st)
            .iter()
            .any(|p| p["spec"]["nodeName"] == held[0]["metadata"]["name"])
    );
    run_for(&mut st, 3600);
    assert!(
        nodes_of(&st, "general")
            .iter()
            .all(|n| kubelet(n).starts_with("v1.34."))
    );
}

#[test]
fn the_karpenter_v1_scenario_tells_its_story() {
    let text = scenario::builtin("karpenter-v1").unwrap_or_else(|| panic!("no karpenter-v1"));
    assert!(scenario::BUILTIN_NAMES.contains(&"karpenter-v1"));
    let mut st = load(text);
    // Settled: a further pass writes nothing (the world can go idle).
    let rv = st.store.resource_version();
    world::step(&mut st);
    assert_eq!(st.store.resource_version(), rv, "settle() left work behind");
    let general = get(&st, Kind::NodePool, "general");
    assert_eq!(general["status"]["resources"]["nodes"], "4", "{general}");
    assert_eq!(general["status"]["resources"]["cpu"], "16", "{general}");
    let drifted_nodes = |st: &SimState| {
        let mut v: Vec<String> = st
            .store
            .list(Kind::NodeClaim, None)
            .iter()
            .filter(|c| cond(c, "Drifted").is_some_and(|d| d["status"] == "True"))
            .map(|c| c["status"]["nodeName"].as_str().unwrap_or("").to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        drifted_nodes(&st),
        [
            "ip-10-0-1-24.eu-west-1.compute.internal",
            "ip-10-0-3-23.eu-west-1.compute.internal"
        ],
        "the lagging alias nodes, not the pinned ones"
    );
    for name in ["al2023", "pinned"] {
        let nc = get(&st, Kind::EC2NodeClass, name);
        assert_eq!(
            cond(&nc, "Ready").map(|c| c["status"].clone()),
            Some("True".into()),
            "{nc}"
        );
    }
    let pinned = get(&st, Kind::EC2NodeClass, "pinned");
    assert_eq!(
        pinned["status"]["amis"][0]["name"],
        "amazon-eks-node-al2023-x86_64-standard-1.32-v20260510"
    );

    let k = st
        .store
        .get(Kind::Deployment, "kube-system", "karpenter")
        .unwrap_or_else(|| panic!("no karpenter Deployment"));
    let labels = &k["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/name"], "karpenter");
    assert_eq!(labels["app.kubernetes.io/version"], "1.5.0");
    assert_eq!(labels["helm.sh/chart"], "karpenter-1.5.0");
    let image = k["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or("");
    assert!(
        image.starts_with("public.ecr.aws/karpenter/controller:1.5.0@sha256:"),
        "{image}"
    );
    assert_eq!(
        image.len(),
        "public.ecr.aws/karpenter/controller:1.5.0@sha256:".len() + 64
    );

    // Every pod runs: karpenter on the node group, report on its lagging node.
    let pods = st.store.list(Kind::Pod, None);
    let not_running: Vec<&str> = pods
        .iter()
        .filter(|p| p["status"]["phase"] != "Running")
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    assert!(not_running.is_empty(), "{not_running:?}");
    let node_of = |prefix: &str| {
        pods.iter()
            .filter(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(prefix))
            })
            .map(|p| p["spec"]["nodeName"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        node_of("karpenter-")
            .iter()
            .all(|n| n.starts_with("ip-10-0-1-10") || n.starts_with("ip-10-0-2-10"))
    );
    assert_eq!(
        node_of("report-"),
        ["ip-10-0-3-23.eu-west-1.compute.internal"]
    );

    // Monday 09:00-17:00: the budget allows no drift.
    run_for(&mut st, 3600);
    assert_eq!(stats(&st)["max_disrupting_by_pool"]["general"], 0);
    // From 17:00: 20% of 4 nodes = 1 at a time; the do-not-disrupt node stays.
    st.clock.advance(Duration::from_secs(7 * 3600));
    run_for(&mut st, 1800);
    let general = nodes_of(&st, "general");
    let versions: Vec<(&str, &str)> = general
        .iter()
        .map(|n| (n["metadata"]["name"].as_str().unwrap_or(""), kubelet(n)))
        .collect();
    assert!(
        !versions
            .iter()
            .any(|(n, _)| *n == "ip-10-0-1-24.eu-west-1.compute.internal"),
        "{versions:?}"
    );
    assert!(
        versions.iter().any(
            |(n, v)| *n == "ip-10-0-3-23.eu-west-1.compute.internal" && v.starts_with("v1.32.")
        )
    );
    assert_eq!(
        versions
            .iter()
            .filter(|(_, v)| v.starts_with("v1.33."))
            .count(),
        3,
        "{versions:?}"
    );
    assert!(
        nodes_of(&st, "pinned")
            .iter()
            .all(|n| kubelet(n).starts_with("v1.32."))
    );
    let s = stats(&st);
    assert_eq!(s["max_disrupting_by_pool"]["general"], 1, "{s}");
    assert_eq!(s["pdb_violations"], 0, "{s}");
    assert_eq!(s["pods_lost"], 0, "{s}");
}
