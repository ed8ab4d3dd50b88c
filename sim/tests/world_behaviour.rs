//! The world (scheduler, controllers, kubelet, Karpenter, eviction) driven step by step on a
//! small cluster held in a real Store; sim time moves by `Clock::advance`, never by sleeping.

use kup_sim::clock::Clock;
use kup_sim::resources::Kind;
use kup_sim::scenario::{ClusterInfo, FaultConfig, Timing};
use kup_sim::state::SimState;
use kup_sim::store::{DeleteOpts, Store};
use kup_sim::world;
use serde_json::{Value, json};
use std::time::Duration;

const CONTROL_PLANE: &str = "v1.25.16-eks-3025e55";

fn state(objects: Vec<Value>) -> SimState {
    let clock = Clock::new(1.0);
    let mut store = Store::new();
    store.set_clock(clock.clone());
    store.set_seed(7);
    for o in objects {
        let kind = kind_of(&o);
        if let Err(e) = store.create(kind, o.clone()) {
            panic!("create {o}: {e}");
        }
    }
    SimState {
        store,
        clock,
        cluster: ClusterInfo {
            git_version: CONTROL_PLANE.into(),
            name: "eks-upgrades-workshop".into(),
            region: "us-east-1".into(),
            platform_version: "eks.15".into(),
            account_id: "123456789012".into(),
            served_version: None,
            apiserver: Default::default(),
        },
        timing: Timing {
            node_launch_delay: Duration::from_secs(60),
            pod_start_delay: Duration::from_secs(5),
            default_grace_period: Duration::from_secs(30),
            cordon_taint_delay: Duration::from_secs(2),
            speed: 1.0,
        },
        faults: FaultConfig::default(),
        node_groups: Vec::new(),
        safety: Default::default(),
        seed: 7,
        eks: Default::default(),
    }
}

fn kind_of(o: &Value) -> Kind {
    match o["kind"].as_str().unwrap_or("") {
        "Namespace" => Kind::Namespace,
        "Node" => Kind::Node,
        "Pod" => Kind::Pod,
        "Deployment" => Kind::Deployment,
        "ReplicaSet" => Kind::ReplicaSet,
        "StatefulSet" => Kind::StatefulSet,
        "DaemonSet" => Kind::DaemonSet,
        "PodDisruptionBudget" => Kind::PodDisruptionBudget,
        "Provisioner" => Kind::Provisioner,
        "NodePool" => Kind::NodePool,
        "NodeClaim" => Kind::NodeClaim,
        other => panic!("unknown kind {other}"),
    }
}

fn ns(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn node(name: &str, version: &str, labels: Value, taints: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": taints},
        "status": {
            "capacity": {"cpu": "2", "memory": "8Gi", "pods": "29"},
            "allocatable": {"cpu": "1930m", "memory": "7Gi", "pods": "29"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "addresses": [{"type": "InternalIP", "address": "192.168.10.21"}],
            "nodeInfo": {"kubeletVersion": version, "kubeProxyVersion": version}}})
}

fn deployment(name: &str, namespace: &str, replicas: i64, pod_spec: Value) -> Value {
    let mut spec = pod_spec;
    spec["containers"] = json!([{"name": "nginx", "image": "public.ecr.aws/nginx/nginx:1.25",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]);
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}})
}

fn pdb(name: &str, namespace: &str, app: &str, rule: Value) -> Value {
    let mut spec = rule;
    spec["selector"] = json!({"matchLabels": {"app": app}});
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

fn pods(st: &SimState, namespace: &str, app: &str) -> Vec<Value> {
    st.store
        .list(Kind::Pod, Some(namespace))
        .into_iter()
        .filter(|p| p["metadata"]["labels"]["app"] == app)
        .collect()
}

fn running_ready(p: &Value) -> bool {
    p["status"]["phase"] == "Running"
        && p["status"]["conditions"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

fn terminating(p: &Value) -> bool {
    !p["metadata"]["deletionTimestamp"].is_null()
}

/// Step, then move time forward, a few times: enough for every delay of `state()` to pass.
fn run_for(st: &mut SimState, secs: u64) {
    let mut left = secs;
    world::step(st);
    while left > 0 {
        let d = left.min(5);
        st.clock.advance(Duration::from_secs(d));
        left -= d;
        world::step(st);
        world::step(st);
    }
}

fn app_nodes() -> Vec<Value> {
    vec![
        ns("shop"),
        node(
            "ip-192-168-42-117.us-east-1.compute.internal",
            "v1.24.17-eks-a59e1f0",
            json!({"node-type": "applications"}),
            json!([]),
        ),
        node(
            "ip-192-168-77-5.us-east-1.compute.internal",
            "v1.25.16-eks-3025e55",
            json!({"node-type": "applications"}),
            json!([]),
        ),
    ]
}

#[test]
fn deployment_settles_to_named_running_pods_and_statuses() {
    let mut objs = app_nodes();
    objs.push(deployment("nginx", "shop", 3, json!({})));
    objs.push(pdb(
        "nginx-pdb",
        "shop",
        "nginx",
        json!({"minAvailable": 3}),
    ));
    let mut st = state(objs);
    world::settle(&mut st);
    let rs = st.store.list(Kind::ReplicaSet, Some("shop"));
    assert_eq!(rs.len(), 1);
    let rs_name = rs[0]["metadata"]["name"].as_str().unwrap_or("").to_string();
    let hash = rs[0]["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(rs_name, format!("nginx-{hash}"));
    assert_eq!(
        rs[0]["metadata"]["ownerReferences"][0]["kind"],
        "Deployment"
    );
    assert_eq!(rs[0]["metadata"]["ownerReferences"][0]["controller"], true);
    let ps = pods(&st, "shop", "nginx");
    assert_eq!(ps.len(), 3);
    for p in &ps {
        let name = p["metadata"]["name"].as_str().unwrap_or("");
        assert!(
            name.starts_with(&format!("{rs_name}-")) && name.len() == rs_name.len() + 6,
            "{name}"
        );
        assert!(running_ready(p), "{p}");
        assert_eq!(
            p["metadata"]["ownerReferences"][0]["blockOwnerDeletion"],
            true
        );
        assert!(p["status"]["podIP"].is_string() && p["status"]["hostIP"].is_string());
        assert!(
            p["spec"]["nodeName"]
                .as_str()
                .is_some_and(|n| n.ends_with(".compute.internal"))
        );
    }
    let d = st
        .store
        .get(Kind::Deployment, "shop", "nginx")
        .unwrap_or_default();
    assert_eq!(d["status"]["availableReplicas"], 3);
    let available = d["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Available").cloned());
    assert_eq!(available.map(|c| c["status"].clone()), Some(json!("True")));
    let p = st
        .store
        .get(Kind::PodDisruptionBudget, "shop", "nginx-pdb")
        .unwrap_or_default();
    assert_eq!(p["status"]["currentHealthy"], 3);
    assert_eq!(p["status"]["desiredHealthy"], 3);
    assert_eq!(p["status"]["disruptionsAllowed"], 0);
    assert_eq!(p["status"]["expectedPods"], 3);
    assert_eq!(p["status"]["conditions"][0]["reason"], "InsufficientPods");
    assert_eq!(st.safety.min_ready_by_pdb.get("shop/nginx-pdb"), Some(&3));
    // Idle: another pass writes nothing.
    let rv = st.store.resource_version();
    world::step(&mut st);
    assert_eq!(
        st.store.resource_version(),
        rv,
        "a settled cluster must not churn"
    );
}

#[test]
fn pdb_blocks_eviction_with_the_exact_429_and_rs_replaces_evicted_pods() {
    let mut objs = app_nodes();
    objs.push(deployment("nginx", "shop", 3, json!({})));
    objs.push(pdb(
        "nginx-pdb",
        "shop",
        "nginx",
        json!({"minAvailable": 3}),
    ));
    let mut st = state(objs);
    world::settle(&mut st);
    let victim = pods(&st, "shop", "nginx")[0]["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let eviction = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": victim, "namespace": "shop"}});

    let err = world::evict(&mut st, "shop", &victim, &eviction, false)
        .err()
        .unwrap_or_else(|| panic!("not blocked"));
    assert_eq!(
        (err.code, err.reason.as_str(), err.retry_after),
        (429, "TooManyRequests", None)
    );
    assert_eq!(
        err.message,
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    assert_eq!(
        err.details,
        Some(json!({"causes": [{"reason": "DisruptionBudget",
            "message": "The disruption budget nginx-pdb needs 3 healthy pods and has 3 currently"}]}))
    );
    assert_eq!(st.safety.evictions_blocked, 1);

    // Relax the budget: the spec change is not yet observed -> 429 with Retry-After 10.
    st.store
        .update(Kind::PodDisruptionBudget, "shop", "nginx-pdb", &mut |p| {
            p["spec"]["minAvailable"] = json!(2)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let err = world::evict(&mut st, "shop", &victim, &eviction, false)
        .err()
        .unwrap_or_else(|| panic!("not blocked"));
    assert_eq!((err.code, err.retry_after), (429, Some(10)));
    world::step(&mut st);

    world::evict(&mut st, "shop", &victim, &eviction, false)
        .unwrap_or_else(|e| panic!("eviction refused: {e}"));
    assert_eq!(st.safety.evictions, 1);
    let p = st.store.get(Kind::Pod, "shop", &victim).unwrap_or_default();
    assert!(terminating(&p));
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 30);
    let dt = p["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "DisruptionTarget").cloned());
    assert_eq!(
        dt.as_ref().map(|c| c["reason"].clone()),
        Some(json!("EvictionByEvictionAPI"))
    );
    // The replacement exists at once; the budget is used up at once.
    let all = pods(&st, "shop", "nginx");
    assert_eq!(all.len(), 4, "terminating + 2 running + replacement");
    let budget = st
        .store
        .get(Kind::PodDisruptionBudget, "shop", "nginx-pdb")
        .unwrap_or_default();
    assert_eq!(budget["status"]["disruptionsAllowed"], 0);
    assert!(budget["status"]["disruptedPods"][&victim].is_string());

    // Right after: the controller's view (ref 46): 2 healthy of 4 expected.
    world::step(&mut st);
    let budget = st
        .store
        .get(Kind::PodDisruptionBudget, "shop", "nginx-pdb")
        .unwrap_or_default();
    assert_eq!(
        (
            budget["status"]["currentHealthy"].clone(),
            budget["status"]["expectedPods"].clone()
        ),
        (json!(2), json!(4))
    );
    let other = all
        .iter()
        .find(|p| running_ready(p) && !terminating(p))
        .map(|p| p["metadata"]["name"].clone());
    let other = other
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let err = world::evict(&mut st, "shop", &other, &json!({}), false)
        .err()
        .unwrap_or_else(|| panic!("not blocked"));
    assert_eq!(
        err.details
            .as_ref()
            .map(|d| d["causes"][0]["message"].clone()),
        Some(json!(
            "The disruption budget nginx-pdb needs 2 healthy pods and has 2 currently"
        ))
    );

    // After the grace period the old pod is gone and the replacement is Ready.
    run_for(&mut st, 40);
    assert!(st.store.get(Kind::Pod, "shop", &victim).is_none());
    let all = pods(&st, "shop", "nginx");
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(running_ready));
    let budget = st
        .store
        .get(Kind::PodDisruptionBudget, "shop", "nginx-pdb")
        .unwrap_or_default();
    assert_eq!(budget["status"]["disruptionsAllowed"], 1);
    assert_eq!(st.safety.pdb_violations, 0);
    assert_eq!(st.safety.pods_lost, 0);
    assert_eq!(st.safety.min_ready_by_pdb.get("shop/nginx-pdb"), Some(&2));
}

#[test]
fn two_pdbs_give_500_and_pending_pods_skip_every_check() {
    let mut objs = vec![ns("shop")];
    // No node fits (selector), so the pods stay Pending.
    objs.push(node("n1", CONTROL_PLANE, json!({}), json!([])));
    objs.push(deployment(
        "nginx",
        "shop",
        2,
        json!({"nodeSelector": {"node-type": "nowhere"}}),
    ));
    objs.push(pdb(
        "nginx-pdb",
        "shop",
        "nginx",
        json!({"minAvailable": 3}),
    ));
    objs.push(pdb(
        "nginx-pdb-2",
        "shop",
        "nginx",
        json!({"maxUnavailable": 1}),
    ));
    let mut st = state(objs);
    world::settle(&mut st);
    let ps = pods(&st, "shop", "nginx");
    assert_eq!(ps.len(), 2);
    let cond = ps[0]["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "PodScheduled").cloned());
    let cond = cond.unwrap_or_default();
    assert_eq!(
        (cond["status"].clone(), cond["reason"].clone()),
        (json!("False"), json!("Unschedulable"))
    );
    assert_eq!(
        cond["message"],
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, \
         preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    let pending = ps[0]["metadata"]["name"].as_str().unwrap_or("").to_string();
    world::evict(&mut st, "shop", &pending, &json!({}), false)
        .unwrap_or_else(|e| panic!("pending pod eviction refused: {e}"));
    assert!(
        st.store.get(Kind::Pod, "shop", &pending).is_none(),
        "an unbound pod goes at once"
    );

    // Make the other pod Running (bound elsewhere) and evict: two PDBs -> 500 without reason.
    let mut objs = app_nodes();
    objs.push(deployment("nginx", "shop", 2, json!({})));
    objs.push(pdb(
        "nginx-pdb",
        "shop",
        "nginx",
        json!({"minAvailable": 1}),
    ));
    objs.push(pdb(
        "nginx-pdb-2",
        "shop",
        "nginx",
        json!({"maxUnavailable": 1}),
    ));
    let mut st = state(objs);
    world::settle(&mut st);
    let running = pods(&st, "shop", "nginx")[0]["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let err = world::evict(&mut st, "shop", &running, &json!({}), false)
        .err()
        .unwrap_or_else(|| panic!("not refused"));
    assert_eq!((err.code, err.reason.as_str()), (500, ""));
    assert_eq!(
        err.message,
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
    );
    assert!(err.details.is_none());
    let err = world::evict(&mut st, "shop", "nginx-does-not-exist", &json!({}), false)
        .err()
        .unwrap_or_else(|| panic!("found"));
    assert_eq!(
        (err.code, err.message.as_str()),
        (404, "pods \"nginx-does-not-exist\" not found")
    );
}

#[test]
fn cordoned_node_takes_a_pod_with_a_wildcard_toleration_and_gets_its_taint_later() {
    let mut objs = vec![ns("shop"), node("n1", CONTROL_PLANE, json!({}), json!([]))];
    objs[1]["spec"]["unschedulable"] = json!(true);
    objs.push(deployment(
        "tolerant",
        "shop",
        1,
        json!({"tolerations": [{"operator": "Exists"}]}),
    ));
    objs.push(deployment("plain", "shop", 1, json!({})));
    let mut st = state(objs);
    world::step(&mut st);
    let n = st.store.get(Kind::Node, "", "n1").unwrap_or_default();
    assert!(
        n["spec"]["taints"].as_array().is_none_or(Vec::is_empty),
        "no taint before cordon_taint_delay: {n}"
    );
    let tolerant = &pods(&st, "shop", "tolerant")[0];
    assert_eq!(tolerant["spec"]["nodeName"], "n1");
    let plain = &pods(&st, "shop", "plain")[0];
    assert!(plain["spec"]["nodeName"].is_null());
    let msg = plain["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap_or("");
    assert!(
        msg.starts_with("0/1 nodes are available: 1 node(s) were unschedulable."),
        "{msg}"
    );
    assert_eq!(st.safety.max_unschedulable_nodes, 1);

    st.clock.advance(Duration::from_secs(3));
    world::step(&mut st);
    let n = st.store.get(Kind::Node, "", "n1").unwrap_or_default();
    assert_eq!(
        n["spec"]["taints"][0]["key"],
        "node.kubernetes.io/unschedulable"
    );
    assert_eq!(n["spec"]["taints"][0]["effect"], "NoSchedule");
    assert!(n["spec"]["taints"][0]["timeAdded"].is_string());
    // Uncordon removes it and the plain pod lands.
    st.store
        .update(Kind::Node, "", "n1", &mut |n| {
            n["spec"]["unschedulable"] = json!(false)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    let n = st.store.get(Kind::Node, "", "n1").unwrap_or_default();
    assert!(
        n["spec"]["taints"].as_array().is_none_or(Vec::is_empty),
        "{n}"
    );
    assert_eq!(pods(&st, "shop", "plain")[0]["spec"]["nodeName"], "n1");
}

fn workshop() -> Vec<Value> {
    vec![
        ns("default"),
        node(
            "ip-192-168-10-21.us-east-1.compute.internal",
            "v1.24.17-eks-a59e1f0",
            json!({"eks.amazonaws.com/nodegroup": "system"}),
            json!([]),
        ),
        json!({"apiVersion": "karpenter.sh/v1alpha5", "kind": "Provisioner", "metadata": {"name": "default"},
               "spec": {"labels": {"node-type": "applications"}, "providerRef": {"name": "default"},
                        "taints": [{"key": "applications", "effect": "NoSchedule"}],
                        "startupTaints": [{"key": "node.cilium.io/agent-not-ready", "effect": "NoExecute"}]}}),
    ]
}

fn app_spec() -> Value {
    json!({"nodeSelector": {"node-type": "applications"},
           "tolerations": [{"key": "applications", "operator": "Exists", "effect": "NoSchedule"}]})
}

#[test]
fn karpenter_launches_at_the_control_plane_version_only_for_tolerating_pods() {
    let mut objs = workshop();
    objs.push(deployment("nginx", "default", 3, app_spec()));
    objs.push(deployment(
        "no-toleration",
        "default",
        1,
        json!({"nodeSelector": {"node-type": "applications"}}),
    ));
    let mut st = state(objs);
    world::step(&mut st);
    assert!(
        pods(&st, "default", "nginx")
            .iter()
            .all(|p| p["spec"]["nodeName"].is_null())
    );
    assert_eq!(
        st.safety.nodes_launched, 0,
        "the launch takes node_launch_delay"
    );
    run_for(&mut st, 70);
    assert_eq!(
        st.safety.nodes_launched, 1,
        "one node for the batch, none for the pod without toleration"
    );
    let nodes: Vec<Value> = st
        .store
        .list(Kind::Node, None)
        .into_iter()
        .filter(|n| n["metadata"]["labels"]["karpenter.sh/provisioner-name"] == "default")
        .collect();
    assert_eq!(nodes.len(), 1);
    let n = &nodes[0];
    let name = n["metadata"]["name"].as_str().unwrap_or("");
    assert!(
        // AWS names us-east-1 instances `ip-….ec2.internal`, other regions `ip-….REGION.compute.internal`.
        name.starts_with("ip-192-168-") && name.ends_with(".ec2.internal"),
        "{name}"
    );
    assert_eq!(n["status"]["nodeInfo"]["kubeletVersion"], CONTROL_PLANE);
    assert_eq!(n["metadata"]["labels"]["node-type"], "applications");
    assert_eq!(n["metadata"]["labels"]["karpenter.sh/initialized"], "true");
    assert_eq!(n["metadata"]["labels"]["kubernetes.io/hostname"], name);
    assert_eq!(
        n["metadata"]["finalizers"],
        json!(["karpenter.sh/termination"])
    );
    assert_eq!(
        n["spec"]["taints"],
        json!([{"key": "applications", "effect": "NoSchedule"}]),
        "startup taint removed"
    );
    for p in pods(&st, "default", "nginx") {
        assert_eq!(p["spec"]["nodeName"], name);
        assert!(running_ready(&p));
    }
    let stuck = &pods(&st, "default", "no-toleration")[0];
    assert!(stuck["spec"]["nodeName"].is_null());
    let msg = stuck["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap_or("");
    assert!(
        msg.starts_with("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint(s)."),
        "{msg}"
    );
}

#[test]
fn nodepool_v1_launch_creates_a_nodeclaim() {
    let mut objs = vec![ns("default")];
    objs.push(json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "applications"},
        "spec": {"template": {"metadata": {"labels": {"node-type": "applications"}},
                 "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                          "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]}],
                          "taints": [{"key": "applications", "effect": "NoSchedule"}]}}}}));
    objs.push(deployment("nginx", "default", 2, app_spec()));
    let mut st = state(objs);
    world::step(&mut st);
    let claims = st.store.list(Kind::NodeClaim, None);
    assert_eq!(claims.len(), 1, "the claim exists while the node launches");
    run_for(&mut st, 65);
    let claims = st.store.list(Kind::NodeClaim, None);
    assert_eq!(claims.len(), 1);
    let node_name = claims[0]["status"]["nodeName"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let n = st.store.get(Kind::Node, "", &node_name).unwrap_or_default();
    assert_eq!(
        n["metadata"]["labels"]["karpenter.sh/nodepool"],
        "applications"
    );
    assert_eq!(
        n["metadata"]["labels"]["karpenter.sh/capacity-type"],
        "on-demand"
    );
    assert!(
        pods(&st, "default", "nginx")
            .iter()
            .all(|p| p["spec"]["nodeName"] == node_name.as_str())
    );

    // Termination through the finalizer: v1 taint, drain, node and claim gone, new node.
    st.store
        .delete(Kind::Node, "", &node_name, &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    let n = st.store.get(Kind::Node, "", &node_name).unwrap_or_default();
    let taints = n["spec"]["taints"].as_array().cloned().unwrap_or_default();
    assert!(
        taints
            .iter()
            .any(|t| t["key"] == "karpenter.sh/disrupted" && t["effect"] == "NoSchedule"),
        "{taints:?}"
    );
    run_for(&mut st, 120);
    assert!(st.store.get(Kind::Node, "", &node_name).is_none());
    assert_eq!(st.safety.nodes_terminated, 1);
    assert_eq!(st.safety.nodes_launched, 2);
    assert!(
        st.store
            .list(Kind::NodeClaim, None)
            .iter()
            .all(|c| c["status"]["nodeName"] != node_name.as_str())
    );
    let ps = pods(&st, "default", "nginx");
    assert_eq!(ps.len(), 2);
    assert!(ps.iter().all(running_ready));
}

#[test]
fn termination_finalizer_drains_through_evictions_that_honour_pdbs() {
    let mut objs = workshop();
    objs.push(deployment("nginx", "default", 3, app_spec()));
    objs.push(pdb(
        "nginx-pdb",
        "default",
        "nginx",
        json!({"maxUnavailable": 1}),
    ));
    let mut st = state(objs);
    run_for(&mut st, 70);
    let node_name = pods(&st, "default", "nginx")[0]["spec"]["nodeName"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!node_name.is_empty());
    st.store
        .delete(Kind::Node, "", &node_name, &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    let n = st.store.get(Kind::Node, "", &node_name).unwrap_or_default();
    let taints = n["spec"]["taints"].as_array().cloned().unwrap_or_default();
    assert!(
        taints
            .iter()
            .any(|t| t["key"] == "karpenter.sh/disruption" && t["value"] == "disrupting"),
        "{taints:?}"
    );
    // Only one pod may go at a time.
    let terminating_now = pods(&st, "default", "nginx")
        .iter()
        .filter(|p| terminating(p))
        .count();
    assert_eq!(terminating_now, 1);
    assert!(st.safety.evictions_blocked >= 1);
    run_for(&mut st, 400);
    assert!(
        st.store.get(Kind::Node, "", &node_name).is_none(),
        "node removed after the drain"
    );
    let ps = pods(&st, "default", "nginx");
    assert_eq!(ps.len(), 3);
    assert!(ps.iter().all(running_ready));
    assert!(
        ps.iter()
            .all(|p| p["spec"]["nodeName"] != node_name.as_str())
    );
    assert_eq!(st.safety.pdb_violations, 0);
    assert_eq!(
        st.safety.min_ready_by_pdb.get("default/nginx-pdb").copied(),
        Some(2)
    );
}

#[test]
fn statefulset_and_daemonset_pods() {
    let mut objs = app_nodes();
    objs.push(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}},
                              "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}}));
    objs.push(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "a", "image": "agent:1"}]}}}}));
    let mut st = state(objs);
    world::settle(&mut st);
    let names: Vec<String> = pods(&st, "shop", "db")
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names, vec!["db-0", "db-1"]);
    let agents = pods(&st, "shop", "agent");
    assert_eq!(agents.len(), 2, "one per node");
    let mut on: Vec<&str> = agents
        .iter()
        .filter_map(|p| p["spec"]["nodeName"].as_str())
        .collect();
    on.sort();
    assert_eq!(
        on,
        vec![
            "ip-192-168-42-117.us-east-1.compute.internal",
            "ip-192-168-77-5.us-east-1.compute.internal"
        ]
    );
    let terms = &agents[0]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"];
    assert_eq!(terms[0]["matchFields"][0]["key"], "metadata.name");
    let ds = st
        .store
        .get(Kind::DaemonSet, "shop", "agent")
        .unwrap_or_default();
    assert_eq!(
        (
            ds["status"]["desiredNumberScheduled"].clone(),
            ds["status"]["numberReady"].clone()
        ),
        (json!(2), json!(2))
    );

    // Scale down: the highest ordinal goes first.
    st.store
        .update(Kind::StatefulSet, "shop", "db", &mut |s| {
            s["spec"]["replicas"] = json!(1)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    assert!(terminating(
        &st.store.get(Kind::Pod, "shop", "db-1").unwrap_or_default()
    ));
    assert!(!terminating(
        &st.store.get(Kind::Pod, "shop", "db-0").unwrap_or_default()
    ));
    run_for(&mut st, 40);
    assert!(st.store.get(Kind::Pod, "shop", "db-1").is_none());
    st.store
        .update(Kind::StatefulSet, "shop", "db", &mut |s| {
            s["spec"]["replicas"] = json!(3)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    assert!(st.store.get(Kind::Pod, "shop", "db-1").is_some());
    assert!(
        st.store.get(Kind::Pod, "shop", "db-2").is_none(),
        "OrderedReady: one at a time"
    );
    run_for(&mut st, 20);
    assert!(running_ready(
        &st.store.get(Kind::Pod, "shop", "db-2").unwrap_or_default()
    ));

    // A StatefulSet pod comes back with the same name once the old one is gone.
    st.store
        .delete(Kind::Pod, "shop", "db-0", &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    assert!(terminating(
        &st.store.get(Kind::Pod, "shop", "db-0").unwrap_or_default()
    ));
    run_for(&mut st, 45);
    let p = st.store.get(Kind::Pod, "shop", "db-0").unwrap_or_default();
    assert!(running_ready(&p) && !terminating(&p));

    // Deleting the DaemonSet removes its pods.
    st.store
        .delete(Kind::DaemonSet, "shop", "agent", &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    run_for(&mut st, 40);
    assert!(pods(&st, "shop", "agent").is_empty());
    assert_eq!(st.safety.pods_lost, 0);
}

#[test]
fn a_generated_cluster_arrives_settled() {
    let src = kup_sim::scenario::ScenarioSource {
        generate: Some("nodes=60,pods=1500,deployments=40,pools=4".into()),
        seed: 3,
        ..Default::default()
    };
    let sc = kup_sim::scenario::load(&src).unwrap_or_else(|e| panic!("{e}"));
    let clock = Clock::new(1.0);
    let mut store = Store::new();
    store.set_clock(clock.clone());
    for o in sc.objects {
        let kind = kind_of(&o);
        store.create(kind, o).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut st = SimState {
        store,
        clock,
        cluster: sc.cluster,
        timing: sc.timing,
        faults: sc.faults,
        node_groups: sc.node_groups,
        safety: Default::default(),
        seed: 3,
        eks: Default::default(),
    };
    let pods_before = st.store.count(Kind::Pod);
    let rv = st.store.resource_version();
    world::settle(&mut st);
    // Bookkeeping only: no pod is created, deleted or moved.
    assert_eq!(st.store.count(Kind::Pod), pods_before);
    let pod_writes = st.store.resource_version() - rv;
    assert!(pod_writes < 200, "settle wrote {pod_writes} times");
    let rv = st.store.resource_version();
    world::step(&mut st);
    assert_eq!(
        st.store.resource_version(),
        rv,
        "a settled generated cluster is idle"
    );
    assert!(st.safety.min_ready_by_pdb.values().all(|n| *n > 0));
}

/// The benchmark-sized cluster: `cargo test --release -p kup-sim --test world_behaviour big --
/// --ignored --nocapture` prints how long settle and an idle pass take.
#[test]
#[ignore]
fn big_generated_cluster_settles_without_churn() {
    let src = kup_sim::scenario::ScenarioSource {
        generate: Some("nodes=5000,pods=150000,deployments=2000,pools=4".into()),
        seed: 1,
        ..Default::default()
    };
    let (sc, generated) = kup_sim::scenario::load_deferred(&src).unwrap_or_else(|e| panic!("{e}"));
    let clock = Clock::new(1.0);
    let mut store = Store::new();
    store.set_clock(clock.clone());
    let t = std::time::Instant::now();
    for o in sc.objects {
        let kind = kind_of(&o);
        store.create(kind, o).unwrap_or_else(|e| panic!("{e}"));
    }
    if let Some(g) = generated {
        g.for_each(&mut |o| {
            let kind = kind_of(&o);
            store.create(kind, o).unwrap_or_else(|e| panic!("{e}"));
        });
    }
    eprintln!("load: {:?}, {} pods", t.elapsed(), store.count(Kind::Pod));
    let mut st = SimState {
        store,
        clock,
        cluster: sc.cluster,
        timing: sc.timing,
        faults: sc.faults,
        node_groups: sc.node_groups,
        safety: Default::default(),
        seed: 1,
        eks: Default::default(),
    };
    let rv = st.store.resource_version();
    let t = std::time::Instant::now();
    world::settle(&mut st);
    eprintln!(
        "settle: {:?}, {} writes",
        t.elapsed(),
        st.store.resource_version() - rv
    );
    let rv = st.store.resource_version();
    let t = std::time::Instant::now();
    world::step(&mut st);
    eprintln!("idle pass: {:?}", t.elapsed());
    assert_eq!(st.store.resource_version(), rv);
    let pod = st
        .store
        .list(Kind::Pod, Some("team-0"))
        .into_iter()
        .find(|p| p["spec"]["nodeName"].is_string());
    let pod = pod.unwrap_or_default();
    let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
    let t = std::time::Instant::now();
    let r = world::evict(&mut st, "team-0", &name, &json!({}), false);
    eprintln!("evict: {:?} {:?}", t.elapsed(), r.err());
    let t = std::time::Instant::now();
    world::step(&mut st);
    eprintln!("busy pass: {:?}", t.elapsed());
}

#[test]
fn deletions_outside_the_eviction_api_are_counted_as_unsafe() {
    let mut objs = app_nodes();
    objs.push(deployment("nginx", "shop", 3, json!({})));
    objs.push(pdb(
        "nginx-pdb",
        "shop",
        "nginx",
        json!({"minAvailable": 3}),
    ));
    objs.push(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}),
    );
    let mut st = state(objs);
    world::settle(&mut st);
    assert!(running_ready(
        &st.store.get(Kind::Pod, "shop", "bare").unwrap_or_default()
    ));
    let victim = pods(&st, "shop", "nginx")[0]["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    st.store
        .delete(Kind::Pod, "shop", &victim, &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    st.store
        .delete(Kind::Pod, "shop", "bare", &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    assert_eq!(
        st.safety.pdb_violations, 1,
        "a plain delete broke the budget"
    );
    assert_eq!(st.safety.min_ready_by_pdb.get("shop/nginx-pdb"), Some(&2));
    run_for(&mut st, 40);
    assert!(st.store.get(Kind::Pod, "shop", "bare").is_none());
    assert_eq!(
        st.safety.pods_lost, 1,
        "the bare pod had no controller to replace it"
    );
    assert_eq!(st.safety.pdb_violations, 1, "counted once");
    assert_eq!(pods(&st, "shop", "nginx").len(), 3);
    // An unbound bare pod deleted through the API goes at once; it is lost all the same.
    let pending = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "stuck", "namespace": "shop"},
        "spec": {"nodeSelector": {"nowhere": "x"}, "containers": [{"name": "c", "image": "busybox:1.36"}]}});
    st.store
        .create(Kind::Pod, pending)
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    st.store
        .delete(Kind::Pod, "shop", "stuck", &DeleteOpts::default())
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    assert_eq!(st.safety.pods_lost, 2);
    world::step(&mut st);
    assert_eq!(st.safety.pods_lost, 2, "counted once");
}

#[test]
fn every_builtin_scenario_settles_with_nothing_pending() {
    for name in [
        "workshop",
        "nodepool-v1",
        "nodepool-v1beta1",
        "no-lag",
        "pdb-blocks",
    ] {
        let Some(text) = kup_sim::scenario::builtin(name) else {
            continue;
        };
        let src = kup_sim::scenario::ScenarioSource {
            text: Some((name.into(), text.into())),
            ..Default::default()
        };
        let sc = kup_sim::scenario::load(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
        let st = kup_sim::server::build_state(sc, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        for p in st.store.list(Kind::Pod, None) {
            assert!(
                running_ready(&p),
                "{name}: {} {}",
                p["metadata"]["name"],
                p["status"]
            );
        }
        for p in st.store.list(Kind::PodDisruptionBudget, None) {
            assert_eq!(
                p["status"]["observedGeneration"], p["metadata"]["generation"],
                "{name}"
            );
        }
    }
}

#[test]
fn a_pod_created_bound_starts_after_the_start_delay() {
    let mut st = state(vec![
        ns("shop"),
        node("n1", CONTROL_PLANE, json!({}), json!([])),
    ]);
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "direct", "namespace": "shop"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox:1.36"}]}});
    st.store
        .create(Kind::Pod, pod)
        .unwrap_or_else(|e| panic!("{e}"));
    world::step(&mut st);
    let p = st
        .store
        .get(Kind::Pod, "shop", "direct")
        .unwrap_or_default();
    assert_eq!(
        p["status"]["phase"], "Pending",
        "not before pod_start_delay"
    );
    st.clock.advance(Duration::from_secs(6));
    world::step(&mut st);
    let p = st
        .store
        .get(Kind::Pod, "shop", "direct")
        .unwrap_or_default();
    assert!(running_ready(&p), "{p}");
    assert_eq!(p["status"]["hostIP"], "192.168.10.21");
    assert_eq!(p["status"]["containerStatuses"][0]["ready"], true);
}

#[test]
fn pods_pending_while_a_node_launches_join_that_launch() {
    let mut objs = workshop();
    objs.push(deployment("nginx", "default", 1, app_spec()));
    let mut st = state(objs);
    world::step(&mut st);
    world::step(&mut st);
    // A node is launching for the first pod; two more pending pods arrive meanwhile (as
    // evictions one by one do).
    st.store
        .update(Kind::Deployment, "default", "nginx", &mut |d| {
            d["spec"]["replicas"] = json!(3)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    st.clock.advance(Duration::from_secs(10));
    world::step(&mut st);
    world::step(&mut st);
    assert_eq!(st.safety.nodes_launched, 0, "still launching");
    run_for(&mut st, 70);
    assert_eq!(st.safety.nodes_launched, 1, "one node for all three");
    let pods = pods(&st, "default", "nginx");
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(running_ready), "{pods:?}");
}
