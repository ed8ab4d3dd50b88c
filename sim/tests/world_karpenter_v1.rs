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
    n["status"]["nodeInfo"]["kubeletVersion"].as_str().unwrap_or("")
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
    assert_eq!(cond(&nc, "Ready").map(|c| c["status"].clone()), Some("True".into()), "{nc}");
    let amis = nc["status"]["amis"].as_array().cloned().unwrap_or_default();
    assert_eq!(amis.len(), 2, "{nc}");
    assert_eq!(amis[0]["name"], "amazon-eks-node-al2023-x86_64-standard-1.33-v20260610");
    assert_eq!(amis[0]["requirements"][0]["values"][0], "amd64");

    let general = nodes_of(&st, "general");
    assert_eq!(general.len(), 1);
    assert_eq!(kubelet(&general[0]), "v1.33.5-eks-1a2b3c4");
    assert!(general[0]["status"]["nodeInfo"]["osImage"].as_str().is_some_and(|o| o.contains("2023")));
    let claims = st.store.list(Kind::NodeClaim, None);
    let claim = claims
        .iter()
        .find(|c| c["metadata"]["labels"]["karpenter.sh/nodepool"] == "general")
        .unwrap_or_else(|| panic!("no claim"));
    assert_eq!(claim["status"]["imageID"], amis[0]["id"]);
    assert_eq!(claim["status"]["nodeName"], general[0]["metadata"]["name"]);
    for ty in ["Launched", "Registered", "Initialized", "Ready"] {
        assert_eq!(cond(claim, ty).map(|c| c["status"].clone()), Some("True".into()), "{ty}");
    }
    assert!(cond(claim, "Drifted").is_none());

    // The pinned class: an AMI the scenario says is 1.32, whatever the control plane runs.
    let pinned = nodes_of(&st, "pinned");
    assert_eq!(pinned.len(), 1);
    assert!(kubelet(&pinned[0]).starts_with("v1.32.9-eks-"), "{}", kubelet(&pinned[0]));
    let pc = get(&st, Kind::EC2NodeClass, "pinned");
    assert_eq!(pc["status"]["amis"][0]["id"], "ami-0feedfacecafe1234");

    // AL2 has no AMIs for 1.33: the class is not Ready and its pool launches nothing.
    let al2 = get(&st, Kind::EC2NodeClass, "al2");
    let amis_ready = cond(&al2, "AMIsReady").cloned().unwrap_or_default();
    assert_eq!(amis_ready["status"], "False");
    assert_eq!(amis_ready["reason"], "UnsupportedAlias");
    assert_eq!(cond(&al2, "Ready").map(|c| c["status"].clone()), Some("False".into()));
    assert!(nodes_of(&st, "old").is_empty());
    // A NodePool naming a missing class launches nothing either.
    assert!(nodes_of(&st, "lost").is_empty());
}
