//! Plans computed on the workshop snapshot, extended with workloads, pools and PDBs.

use super::*;
use crate::checks::fixtures::workshop;
use crate::model::{Labels, Requirement, Selector, Toleration};

const P1: &str = "ip-192-168-101-21.us-west-2.compute.internal";
const P2: &str = "ip-192-168-102-9.us-west-2.compute.internal";
const M1: &str = "ip-192-168-12-34.us-west-2.compute.internal";
const M2: &str = "ip-192-168-45-67.us-west-2.compute.internal";
const NP: &str = "ip-192-168-150-11.us-west-2.compute.internal";
const LEGACY: &str = "legacy-worker-1";

fn v125() -> Version {
    Version::new(1, 25, None)
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn taint(key: &str) -> Taint {
    Taint {
        key: key.into(),
        value: None,
        effect: "NoSchedule".into(),
    }
}

fn tol(key: Option<&str>, effect: Option<&str>) -> Toleration {
    Toleration {
        key: key.map(Into::into),
        operator: Some("Exists".into()),
        value: None,
        effect: effect.map(Into::into),
    }
}

fn pool(kind: PoolKind, name: &str, labels: Labels, taints: Vec<Taint>) -> Pool {
    Pool {
        pool: PoolRef {
            kind,
            name: name.into(),
        },
        source: "test".into(),
        labels,
        taints,
        startup_taints: Vec::new(),
        requirements: Vec::new(),
    }
}

fn workload(
    kind: WorkloadKind,
    ns: &str,
    name: &str,
    owner: Option<(&str, &str)>,
    placement: Placement,
) -> Workload {
    Workload {
        kind,
        namespace: ns.into(),
        name: name.into(),
        owner: owner.map(|(k, n)| OwnerRef {
            kind: k.into(),
            name: n.into(),
        }),
        replicas: Some(3),
        ready_replicas: Some(3),
        placement,
        annotations: Labels::new(),
    }
}

fn pdb(name: &str, selector: Option<Selector>, allowed: i32) -> Pdb {
    Pdb {
        namespace: "default".into(),
        name: name.into(),
        selector,
        min_available: Some("2".into()),
        max_unavailable: None,
        disruptions_allowed: allowed,
        current_healthy: 2,
        desired_healthy: 2,
        expected_pods: 3,
    }
}

fn app_selector() -> Option<Selector> {
    Some(Selector {
        match_labels: labels(&[("app", "nginx")]),
        match_expressions: Vec::new(),
    })
}

/// The workshop with its Provisioner, the NodePool and node group, nginx (selector and
/// toleration for the Provisioner) and coredns (no constraints).
pub(crate) fn cluster() -> Snapshot {
    let mut s = workshop();
    let apps = labels(&[("node-type", "applications")]);
    s.pools = vec![
        pool(
            PoolKind::Provisioner,
            "default",
            apps.clone(),
            vec![taint("applications")],
        ),
        pool(PoolKind::NodePool, "default", Labels::new(), Vec::new()),
        pool(
            PoolKind::NodeGroup,
            "mng-1",
            labels(&[("eks.amazonaws.com/nodegroup", "mng-1")]),
            Vec::new(),
        ),
    ];
    for n in &mut s.nodes {
        match n.pool.kind {
            PoolKind::Provisioner => {
                n.labels = apps.clone();
                n.taints = vec![taint("applications")];
            }
            PoolKind::NodeGroup => {
                n.labels = labels(&[("eks.amazonaws.com/nodegroup", "mng-1")]);
            }
            _ => {}
        }
    }
    let nginx = Placement {
        node_selector: apps,
        affinity_terms: Vec::new(),
        tolerations: vec![tol(Some("applications"), Some("NoSchedule"))],
    };
    s.workloads = vec![
        workload(
            WorkloadKind::Deployment,
            "default",
            "nginx",
            None,
            nginx.clone(),
        ),
        workload(
            WorkloadKind::ReplicaSet,
            "default",
            "nginx-6b7f",
            Some(("Deployment", "nginx")),
            nginx,
        ),
        workload(
            WorkloadKind::Deployment,
            "kube-system",
            "coredns",
            None,
            Placement::default(),
        ),
        workload(
            WorkloadKind::ReplicaSet,
            "kube-system",
            "coredns-7d9f",
            Some(("Deployment", "coredns")),
            Placement::default(),
        ),
    ];
    for p in &mut s.pods {
        if p.name.starts_with("nginx-") {
            p.labels = labels(&[("app", "nginx")]).into();
        }
    }
    s
}

fn run(s: &Snapshot, opts: &PlanOptions) -> RotatePlan {
    match plan(s, &v125(), opts) {
        Ok(p) => p,
        Err(e) => panic!("plan failed: {e}"),
    }
}

fn order(p: &RotatePlan) -> Vec<Vec<&str>> {
    p.batches
        .iter()
        .map(|b| b.nodes.iter().map(|n| n.name.as_str()).collect())
        .collect()
}

fn node<'p>(p: &'p RotatePlan, name: &str) -> &'p PlannedNode {
    match p.nodes().find(|n| n.name == name) {
        Some(n) => n,
        None => panic!("{name} not in the plan: {:?}", order(p)),
    }
}

fn reasons(n: &PlannedNode) -> Vec<(BlockReason, bool)> {
    n.blockers.iter().map(|b| (b.reason, b.blocking)).collect()
}

#[test]
fn lagging_nodes_by_pool_then_oldest_one_per_batch() {
    let p = run(&cluster(), &PlanOptions::default());
    assert_eq!(
        order(&p),
        vec![vec![P2], vec![P1], vec![M1], vec![M2], vec![LEGACY]]
    );
    assert_eq!(p.summary.up_to_date, 1, "{NP} is at 1.25");
    assert_eq!(p.summary.nodes, 5);
    assert_eq!(p.summary.batches, 5);
    assert!(p.is_clear(), "{:?}", p.blockers().collect::<Vec<_>>());
    assert!(p.skipped.is_empty());
}

#[test]
fn pods_to_evict_skip_daemonsets_finished_and_terminating_pods() {
    let mut s = cluster();
    let mut terminating = s.pods[0].clone();
    terminating.name = "nginx-6b7f-old".into();
    terminating.owner = Some(OwnerRef {
        kind: "ReplicaSet".into(),
        name: "nginx-6b7f".into(),
    });
    terminating.node_name = Some(P2.into());
    terminating.deleting = true;
    let mut mirror = terminating.clone();
    mirror.name = "kube-apiserver-x".into();
    mirror.deleting = false;
    mirror.mirror = true;
    s.pods.extend([terminating, mirror]);
    let p = run(&s, &PlanOptions::default());
    let names =
        |n: &str| -> Vec<String> { node(&p, n).pods.iter().map(|x| x.name.clone()).collect() };
    assert_eq!(names(P2), ["nginx-6b7f-2"]);
    assert_eq!(names(P1), ["nginx-6b7f-0", "nginx-6b7f-1"]);
    assert_eq!(names(M1), ["coredns-7d9f-a"]);
    assert_eq!(p.summary.evictions, 5);
    let nginx = &node(&p, P2).pods[0];
    assert_eq!(
        nginx.workload,
        Some(WorkloadRef {
            kind: WorkloadKind::Deployment,
            namespace: "default".into(),
            name: "nginx".into()
        })
    );
    assert_eq!(
        nginx.owner.as_ref().map(|o| o.kind.as_str()),
        Some("ReplicaSet")
    );
}

#[test]
fn replacement_follows_the_pool() {
    let p = run(&cluster(), &PlanOptions::default());
    assert_eq!(node(&p, P1).replacement.action, ReplaceAction::DeleteNode);
    let m1 = &node(&p, M1).replacement;
    assert_eq!(m1.action, ReplaceAction::LeaveDrained);
    assert!(
        m1.message.contains(
            "--cluster-name eks-upgrades-workshop --nodegroup-name mng-1 --kubernetes-version 1.25"
        ),
        "{}",
        m1.message
    );
    let legacy = &node(&p, LEGACY).replacement;
    assert_eq!(legacy.action, ReplaceAction::LeaveDrained);
    assert!(
        legacy
            .message
            .contains("kubectl delete node legacy-worker-1")
    );

    let drain = run(
        &cluster(),
        &PlanOptions {
            mode: Mode::Drain,
            ..PlanOptions::default()
        },
    );
    assert!(
        drain
            .nodes()
            .all(|n| n.replacement.action == ReplaceAction::LeaveDrained)
    );
}

#[test]
fn cordon_mode_evicts_nothing_and_predicts_no_blockers() {
    let mut s = cluster();
    s.pdbs.push(pdb("nginx", app_selector(), 0));
    let p = run(
        &s,
        &PlanOptions {
            mode: Mode::Cordon,
            ..PlanOptions::default()
        },
    );
    assert_eq!(p.summary.evictions, 0);
    assert!(p.is_clear());
    assert!(
        p.nodes()
            .all(|n| n.replacement.action == ReplaceAction::LeaveCordoned && n.pods.is_empty())
    );
}

#[test]
fn batches_never_exceed_batch_or_max_unavailable() {
    let s = cluster();
    let with = |batch, max: Option<&str>| {
        let opts = PlanOptions {
            batch,
            max_unavailable: max.and_then(|m| m.parse().ok()),
            ..PlanOptions::default()
        };
        let p = run(&s, &opts);
        (
            p.effective_batch,
            p.batches.iter().map(|b| b.nodes.len()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(with(2, None), (2, vec![2, 2, 1]));
    assert_eq!(with(3, Some("1")), (1, vec![1, 1, 1, 1, 1]));
    // 50% of the 6 nodes is 3.
    assert_eq!(with(5, Some("50%")), (3, vec![3, 2]));
    // 10% of 6 rounds down to 0, but a rotation needs at least one node.
    assert_eq!(with(5, Some("10%")), (1, vec![1, 1, 1, 1, 1]));
    assert_eq!(with(10, None), (10, vec![5]));
    assert_eq!(
        plan(
            &s,
            &v125(),
            &PlanOptions {
                batch: 0,
                ..PlanOptions::default()
            }
        ),
        Err(PlanError::ZeroBatch)
    );
}

#[test]
fn max_unavailable_parses_counts_and_percentages() {
    assert_eq!("2".parse(), Ok(MaxUnavailable::Count(2)));
    assert_eq!(" 25% ".parse(), Ok(MaxUnavailable::Percent(25)));
    assert_eq!("100%".parse(), Ok(MaxUnavailable::Percent(100)));
    for bad in ["0", "0%", "101%", "-1", "x", "%", "", "1.5", "2 nodes"] {
        assert!(bad.parse::<MaxUnavailable>().is_err(), "{bad:?}");
    }
    assert_eq!(MaxUnavailable::Percent(25).to_string(), "25%");
    assert_eq!(MaxUnavailable::Percent(34).resolve(10), 3);
    assert_eq!(MaxUnavailable::Count(4).resolve(2), 4);
}

#[test]
fn named_nodes_and_pools_narrow_the_selection() {
    let s = cluster();
    let names = |nodes: &[&str], pool: Option<&str>| {
        let p = run(
            &s,
            &PlanOptions {
                nodes: nodes.iter().map(|n| n.to_string()).collect(),
                pool: pool.map(|p| p.parse().unwrap_or_else(|e| panic!("{e}"))),
                ..PlanOptions::default()
            },
        );
        let got: Vec<String> = p.nodes().map(|n| n.name.clone()).collect();
        (got, p)
    };
    assert_eq!(names(&[], Some("provisioner/default")).0, [P2, P1]);
    // A bare name matches every kind: the NodePool's only node is current.
    assert_eq!(names(&[], Some("default")).0, [P2, P1]);
    assert_eq!(names(&[], Some("nodegroup/mng-1")).0, [M1, M2]);
    // A named node is rotated even when current, and the plan says why.
    let (got, p) = names(&[NP, M2], None);
    assert_eq!(got, [NP, M2]);
    assert!(!node(&p, NP).lagging);
    assert!(node(&p, NP).notes[0].contains("rotated because it was named"));
    // Named but outside the pool: skipped with the reason.
    let (got, p) = names(&[M1, P1], Some("provisioner/default"));
    assert_eq!(got, [P1]);
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.skipped[0].name, M1);
    assert!(
        p.skipped[0]
            .reason
            .contains("not in pool provisioner/default")
    );
}

#[test]
fn a_label_selector_narrows_without_forcing_current_nodes() {
    let s = cluster();
    let p = run(
        &s,
        &PlanOptions {
            selector_nodes: Some(vec![NP.into(), M1.into()]),
            nodes: vec![M1.into(), M2.into()],
            ..PlanOptions::default()
        },
    );
    // NP matches -l but is current; M2 is named but does not match -l.
    assert_eq!(order(&p), vec![vec![M1]]);
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.skipped[0].name, M2);
    assert_eq!(p.skipped[0].reason, "does not match the -l selector");
    let v = serde_json::to_value(&p.options).unwrap_or_default();
    assert!(v.get("selectorNodes").is_some());
    let v = serde_json::to_value(PlanOptions::default()).unwrap_or_default();
    assert!(v.get("selectorNodes").is_none());
}

#[test]
fn bad_selections_are_errors() {
    let s = cluster();
    let err = |nodes: &[&str], pool: Option<&str>| {
        plan(
            &s,
            &v125(),
            &PlanOptions {
                nodes: nodes.iter().map(|n| n.to_string()).collect(),
                pool: pool.map(|p| p.parse().unwrap_or_else(|e| panic!("{e}"))),
                ..PlanOptions::default()
            },
        )
        .err()
    };
    assert_eq!(
        err(&["nope", P1, "gone"], None),
        Some(PlanError::UnknownNodes(vec!["nope".into(), "gone".into()]))
    );
    assert_eq!(
        err(&[], Some("nodegroup/default")),
        Some(PlanError::UnknownPool("default".into()))
    );
    // A malformed --pool (`asg/x`, `nodepool/`) never gets here: clap parses `PoolFilter`
    // before anything runs (see `model` and `cli` tests).
    let msg = err(&["nope"], None)
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("no such node: nope"), "{msg}");
}

#[test]
fn unparseable_kubelets_are_skipped_unless_named() {
    let mut s = cluster();
    if let Some(n) = s.nodes.iter_mut().find(|n| n.name == LEGACY) {
        n.kubelet_version = "garbage".into();
    }
    let p = run(&s, &PlanOptions::default());
    assert!(p.nodes().all(|n| n.name != LEGACY));
    assert_eq!(p.skipped[0].name, LEGACY);
    assert!(p.skipped[0].reason.contains("does not parse"));
    let p = run(
        &s,
        &PlanOptions {
            nodes: vec![LEGACY.into()],
            ..PlanOptions::default()
        },
    );
    assert!(node(&p, LEGACY).notes[0].contains("does not parse; rotated because it was named"));
}

fn with_pod(s: &mut Snapshot, name: &str, on: &str, f: impl FnOnce(&mut Pod)) {
    let mut p = s.pods[0].clone();
    p.namespace = "default".into();
    p.name = name.into();
    p.node_name = Some(on.into());
    p.owner = Some(OwnerRef {
        kind: "ReplicaSet".into(),
        name: "nginx-6b7f".into(),
    });
    f(&mut p);
    s.pods.push(p);
}

#[test]
fn refused_pods_are_blockers_unless_the_flag_allows_them() {
    let mut s = cluster();
    with_pod(&mut s, "bare", P1, |p| p.owner = None);
    with_pod(&mut s, "scratch", P1, |p| p.uses_empty_dir = true);
    with_pod(&mut s, "precious", P1, |p| p.do_not_disrupt = true);
    let p = run(&s, &PlanOptions::default());
    assert_eq!(
        reasons(node(&p, P1)),
        [
            (BlockReason::NoController, true),
            (BlockReason::DoNotDisrupt, true),
            (BlockReason::EmptyDir, true),
        ]
    );
    let b = &node(&p, P1).blockers[0];
    assert_eq!(b.pods[0].to_string(), "default/bare");
    assert_eq!(b.override_flag, Some("--force"));
    assert!(b.message.contains("no controller"), "{}", b.message);
    assert_eq!(p.summary.blocking, 3);
    assert!(!p.is_clear());

    let p = run(
        &s,
        &PlanOptions {
            force: true,
            delete_emptydir_data: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        reasons(node(&p, P1)),
        [
            (BlockReason::NoController, false),
            (BlockReason::DoNotDisrupt, false),
            (BlockReason::EmptyDir, false),
        ]
    );
    assert!(p.is_clear());
    assert_eq!(p.summary.allowed, 3);
    // Refused or not, they are on the eviction list: the executor skips the refused ones.
    assert_eq!(node(&p, P1).pods.len(), 5);
}

#[test]
fn pods_whose_controller_is_gone_are_refused_like_bare_pods() {
    let mut s = cluster();
    with_pod(&mut s, "orphan", P1, |p| {
        p.owner = Some(OwnerRef {
            kind: "ReplicaSet".into(),
            name: "deleted-rs".into(),
        })
    });
    // An owner of a kind kup does not list says nothing about whether it exists.
    with_pod(&mut s, "custom", P1, |p| {
        p.owner = Some(OwnerRef {
            kind: "Rollout".into(),
            name: "canary".into(),
        })
    });
    let p = run(&s, &PlanOptions::default());
    assert_eq!(reasons(node(&p, P1)), [(BlockReason::NoController, true)]);
    let b = &node(&p, P1).blockers[0];
    assert_eq!(b.pods[0].to_string(), "default/orphan");
    assert!(
        b.message.contains("ReplicaSet deleted-rs no longer exists"),
        "{}",
        b.message
    );
    let p = run(
        &s,
        &PlanOptions {
            force: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(reasons(node(&p, P1)), [(BlockReason::NoController, false)]);
}

#[test]
fn a_pdb_allowing_no_disruption_blocks_its_running_pods() {
    let mut s = cluster();
    s.pdbs.push(pdb("nginx", app_selector(), 0));
    with_pod(&mut s, "nginx-6b7f-9", P1, |p| {
        p.phase = "Pending".into();
        p.labels = labels(&[("app", "nginx")]).into();
    });
    let p = run(&s, &PlanOptions::default());
    let p1 = node(&p, P1);
    // One blocker naming the two Running nginx pods; the Pending one is evicted without
    // asking the PDB. It is waited for (429s retried until --drain-timeout), so it does not
    // stop the run, and the plan says so.
    assert_eq!(reasons(p1), [(BlockReason::PdbAllowsNone, false)]);
    assert!(p.is_clear());
    assert_eq!((p.summary.blocking, p.summary.waits), (0, 2));
    assert_eq!(p.stopping_blockers().count(), 0);
    let pods: Vec<String> = p1.blockers[0].pods.iter().map(|x| x.name.clone()).collect();
    assert_eq!(pods, ["nginx-6b7f-0", "nginx-6b7f-1"]);
    assert_eq!(p1.blockers[0].pdbs, ["default/nginx"]);
    assert!(p1.blockers[0].message.contains("--drain-timeout"));
    assert_eq!(
        p.summary.by_reason.get(&BlockReason::PdbAllowsNone),
        Some(&2)
    );
    // Not in another namespace, and not when it allows a disruption.
    assert!(node(&p, M1).blockers.is_empty());
    s.pdbs[0].disruptions_allowed = 1;
    assert!(run(&s, &PlanOptions::default()).is_clear());
}

#[test]
fn pdb_selectors_follow_label_selector_rules() {
    let mut s = cluster();
    // No selector selects nothing; an empty one the whole namespace.
    s.pdbs.push(pdb("none", None, 0));
    let p = run(&s, &PlanOptions::default());
    assert!(p.is_clear());
    s.pdbs[0].selector = Some(Selector::default());
    let p = run(&s, &PlanOptions::default());
    let held: usize = p
        .blockers()
        .filter(|b| b.reason == BlockReason::PdbAllowsNone)
        .map(|b| b.pods.len())
        .sum();
    assert_eq!(held, 3, "the three Running nginx pods of namespace default");
    // matchExpressions: NotIn nginx excludes them.
    s.pdbs[0].selector = Some(Selector {
        match_labels: Labels::new(),
        match_expressions: vec![Requirement {
            key: "app".into(),
            operator: "NotIn".into(),
            values: vec!["nginx".into()],
        }],
    });
    assert!(run(&s, &PlanOptions::default()).is_clear());
}

#[test]
fn two_pdbs_on_one_pod_are_named_both() {
    let mut s = cluster();
    s.pdbs.push(pdb("nginx", app_selector(), 1));
    s.pdbs.push(pdb("all", Some(Selector::default()), 5));
    let p = run(&s, &PlanOptions::default());
    let b = &node(&p, P2).blockers;
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].reason, BlockReason::MultiplePdbs);
    assert_eq!(b[0].pdbs, ["default/all", "default/nginx"]);
    assert!(b[0].message.contains("500"));
}

#[test]
fn wildcard_tolerations_bring_pods_back_to_the_cordoned_node() {
    let mut s = cluster();
    for w in &mut s.workloads {
        if w.name == "nginx" {
            w.placement.tolerations.push(tol(None, None));
        }
    }
    let p = run(&s, &PlanOptions::default());
    let p1 = node(&p, P1);
    assert_eq!(reasons(p1), [(BlockReason::WildcardToleration, true)]);
    let b = &p1.blockers[0];
    assert_eq!(b.pods.len(), 2, "one blocker naming both pods on the node");
    assert!(
        b.message.contains("deployment/default/nginx"),
        "{}",
        b.message
    );
    assert!(b.message.contains("never finishes"));
    // A wildcard for NoExecute only does not tolerate the cordon's NoSchedule taint.
    for w in &mut s.workloads {
        if w.name == "nginx" {
            w.placement.tolerations.pop();
            w.placement.tolerations.push(tol(None, Some("NoExecute")));
        }
    }
    assert!(run(&s, &PlanOptions::default()).is_clear());
}

#[test]
fn tolerating_the_cordon_on_purpose_also_brings_pods_back() {
    let mut s = cluster();
    for w in &mut s.workloads {
        if w.name.starts_with("coredns") {
            w.placement
                .tolerations
                .push(tol(Some("node.kubernetes.io/unschedulable"), None));
        }
    }
    let p = run(&s, &PlanOptions::default());
    assert_eq!(
        reasons(node(&p, M1)),
        [(BlockReason::ToleratesCordon, true)]
    );
    assert!(
        node(&p, M1).blockers[0]
            .message
            .contains("tolerates node.kubernetes.io/unschedulable")
    );
}

#[test]
fn not_ready_and_foreign_cordons_are_noted() {
    let mut s = cluster();
    with_pod(&mut s, "stuck", LEGACY, |_| {});
    let p = run(&s, &PlanOptions::default());
    let notes = &node(&p, LEGACY).notes;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("not Ready"));
    assert!(notes[1].contains("already cordoned, not by kup"));
    assert!(node(&p, P1).notes.is_empty());
}

#[test]
fn transient_taints_do_not_strand_a_workload_as_in_kup_workloads() {
    let mut s = cluster();
    for w in &mut s.workloads {
        if w.name.starts_with("coredns") {
            w.placement.node_selector = labels(&[("eks.amazonaws.com/nodegroup", "mng-1")]);
        }
    }
    // The node left to run on is under memory pressure for now: `kup workloads` ignores such
    // taints (crate::checks::placement::steady_taints), so the planner must too.
    for n in &mut s.nodes {
        if n.name == M2 {
            n.taints.push(Taint {
                key: "node.kubernetes.io/memory-pressure".into(),
                value: None,
                effect: "NoSchedule".into(),
            });
        }
    }
    let p = run(
        &s,
        &PlanOptions {
            nodes: vec![M1.into()],
            ..PlanOptions::default()
        },
    );
    assert!(p.is_clear(), "{:?}", node(&p, M1).blockers);
}

#[test]
fn workloads_with_nowhere_left_to_go_are_stranded() {
    let mut s = cluster();
    // coredns pinned to the managed node group, which kup leaves cordoned.
    for w in &mut s.workloads {
        if w.name.starts_with("coredns") {
            w.placement.node_selector = labels(&[("eks.amazonaws.com/nodegroup", "mng-1")]);
        }
    }
    let p = run(&s, &PlanOptions::default());
    for n in [M1, M2] {
        assert_eq!(reasons(node(&p, n)), [(BlockReason::Stranded, true)], "{n}");
    }
    assert!(
        node(&p, M1).blockers[0]
            .message
            .contains("deployment/kube-system/coredns")
    );
    // Rotating one of the two leaves the other to run on.
    let p = run(
        &s,
        &PlanOptions {
            nodes: vec![M1.into()],
            ..PlanOptions::default()
        },
    );
    assert!(p.is_clear());
    // nginx fits the Provisioner, which launches nodes: never stranded.
    assert!(
        node(&run(&s, &PlanOptions::default()), P1)
            .blockers
            .is_empty()
    );
}

fn mark(s: &mut Snapshot, name: &str, value: &str) {
    if let Some(n) = s.nodes.iter_mut().find(|n| n.name == name) {
        n.kup_annotations
            .insert(ROTATION_ANNOTATION.into(), value.into());
        n.unschedulable = true;
    }
}

#[test]
fn marked_nodes_resume_first_furthest_phase_first() {
    let mut s = cluster();
    mark(&mut s, P1, "r1/cordoned");
    mark(&mut s, M2, "r1/drained");
    mark(&mut s, P2, "r1/verified");
    mark(&mut s, LEGACY, "what/ever");
    let p = run(
        &s,
        &PlanOptions {
            batch: 2,
            ..PlanOptions::default()
        },
    );
    assert_eq!(order(&p), vec![vec![M2, P1], vec![M1]]);
    assert_eq!(p.summary.resumed, 2);
    assert_eq!(node(&p, M2).resume, Some(Marker::new("r1", Phase::Drained)));
    assert!(node(&p, P1).notes[0].contains("continues run r1 after phase cordoned"));
    let skipped: Vec<(&str, &str)> = p
        .skipped
        .iter()
        .map(|x| (x.name.as_str(), x.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped[0].0 == P2 && skipped[0].1.contains("already rotated by run r1"));
    assert!(skipped[1].0 == LEGACY && skipped[1].1.contains("unreadable rotation marker"));
}

#[test]
fn a_deleted_node_is_resumed_to_verify_it() {
    let mut s = cluster();
    mark(&mut s, P1, "r1/deleted");
    if let Some(n) = s.nodes.iter_mut().find(|n| n.name == P1) {
        n.deleting = true;
    }
    if let Some(n) = s.nodes.iter_mut().find(|n| n.name == P2) {
        n.deleting = true;
    }
    let p = run(&s, &PlanOptions::default());
    assert_eq!(order(&p)[0], [P1]);
    // Deleted by someone else: not ours to rotate.
    assert!(
        p.skipped
            .iter()
            .any(|x| x.name == P2 && x.reason == "already being deleted")
    );
}

#[test]
fn marked_nodes_outside_the_selection_are_reported() {
    let mut s = cluster();
    mark(&mut s, M1, "r1/cordoned");
    let p = run(
        &s,
        &PlanOptions {
            pool: "provisioner/default".parse().ok(),
            ..PlanOptions::default()
        },
    );
    assert_eq!(order(&p), vec![vec![P2], vec![P1]]);
    assert_eq!(p.skipped.len(), 1);
    assert!(p.skipped[0].reason.contains("kup.dev/rotation=r1/cordoned"));
    assert!(p.skipped[0].reason.contains("--abort"));
}

#[test]
fn abort_uncordons_what_kup_marked() {
    let mut s = cluster();
    mark(&mut s, P1, "r1/cordoned");
    mark(&mut s, M2, "junk");
    // Stopped between recording `deleted` and the delete call: still cordoned, not deleting.
    mark(&mut s, P2, "r1/deleted");
    mark(&mut s, NP, "r1/deleted");
    for n in s.nodes.iter_mut() {
        if n.name == M2 {
            n.unschedulable = false;
        }
        if n.name == P2 || n.name == NP {
            n.unschedulable = true;
        }
        if n.name == NP {
            n.deleting = true;
        }
    }
    let a = abort_plan(&s.nodes);
    assert_eq!(
        a.nodes,
        [
            AbortNode {
                name: P1.into(),
                marker: "r1/cordoned".into(),
                uncordon: true,
                keep_cordon: None,
            },
            AbortNode {
                name: P2.into(),
                marker: "r1/deleted".into(),
                uncordon: true,
                keep_cordon: None,
            },
            AbortNode {
                name: M2.into(),
                marker: "junk".into(),
                uncordon: false,
                keep_cordon: None,
            },
        ]
    );
    assert_eq!(a.skipped.len(), 1);
    assert_eq!(a.skipped[0].name, NP);
}

#[test]
fn abort_leaves_alone_cordons_kup_did_not_make() {
    let mut s = cluster();
    // legacy-worker-1 is cordoned, not by kup.
    assert!(s.nodes.iter().any(|n| n.name == LEGACY && n.unschedulable));
    let a = abort_plan(&s.nodes);
    assert!(a.nodes.iter().all(|n| n.name != LEGACY), "{a:?}");
    mark(&mut s, LEGACY, "r1/drained/already-cordoned");
    mark(&mut s, P1, "junk");
    for n in s.nodes.iter_mut() {
        if n.name == P1 {
            n.unschedulable = true;
        }
    }
    let a = abort_plan(&s.nodes);
    let legacy = a.nodes.iter().find(|n| n.name == LEGACY);
    assert!(
        legacy.is_some_and(|n| !n.uncordon
            && n.keep_cordon
                .as_deref()
                .is_some_and(|k| k.contains("already cordoned"))),
        "{a:?}"
    );
    let junk = a.nodes.iter().find(|n| n.name == P1);
    assert!(
        junk.is_some_and(|n| !n.uncordon
            && n.keep_cordon
                .as_deref()
                .is_some_and(|k| k.contains("unreadable"))),
        "{a:?}"
    );
}

#[test]
fn the_plan_serialises_as_a_versioned_document() {
    let mut s = cluster();
    s.pdbs.push(pdb("nginx", app_selector(), 0));
    let p = run(
        &s,
        &PlanOptions {
            batch: 2,
            max_unavailable: Some(MaxUnavailable::Percent(50)),
            ..PlanOptions::default()
        },
    );
    let v = serde_json::to_value(&p).unwrap_or_default();
    assert_eq!(v["apiVersion"], "kup/v1");
    assert_eq!(v["kind"], "RotatePlan");
    assert_eq!(v["target"], "1.25");
    assert_eq!(v["options"]["maxUnavailable"], "50%");
    assert_eq!(v["options"]["mode"], "replace");
    assert_eq!(v["options"]["deleteEmptydirData"], false);
    let first = &v["batches"][0]["nodes"][0];
    assert_eq!(first["name"], P2);
    assert_eq!(first["pool"]["kind"], "Provisioner");
    assert_eq!(first["replacement"]["action"], "delete-node");
    assert_eq!(first["pods"][0]["owner"]["kind"], "ReplicaSet");
    assert_eq!(first["pods"][0]["workload"]["kind"], "Deployment");
    assert_eq!(first["blockers"][0]["reason"], "pdb-allows-none");
    assert_eq!(first["blockers"][0]["override"], serde_json::Value::Null);
    assert_eq!(v["summary"]["byReason"]["pdb-allows-none"], 2);
    assert_eq!(v["summary"]["upToDate"], 1);
}

#[test]
fn late_pods_get_the_plans_pdb_and_workload_predictions() {
    let mut s = cluster();
    for w in &mut s.workloads {
        if w.name.starts_with("coredns") {
            w.placement
                .tolerations
                .push(tol(Some("node.kubernetes.io/unschedulable"), None));
        }
    }
    s.pdbs.push(pdb("nginx", app_selector(), 0));
    let p = run(
        &s,
        &PlanOptions {
            nodes: vec![P1.into()],
            ..PlanOptions::default()
        },
    );
    // A coredns pod and a Running nginx pod reach P1 after the plan was made.
    let mut late: Vec<Pod> = s
        .pods
        .iter()
        .filter(|x| x.name.starts_with("coredns"))
        .take(1)
        .cloned()
        .collect();
    assert_eq!(late.len(), 1, "the fixture has coredns pods");
    late.extend(
        s.pods
            .iter()
            .find(|x| x.name.starts_with("nginx-") && x.phase == "Running")
            .cloned(),
    );
    assert_eq!(late.len(), 2, "the fixture has Running nginx pods");
    for x in &mut late {
        x.node_name = Some(P1.into());
    }
    let b = late_blockers(&s, &p, P1, &late);
    let reasons: Vec<BlockReason> = b.iter().map(|b| b.reason).collect();
    assert!(reasons.contains(&BlockReason::ToleratesCordon), "{b:?}");
    assert!(reasons.contains(&BlockReason::PdbAllowsNone), "{b:?}");
    assert!(b.iter().all(|b| b.node == P1), "{b:?}");
    // A workload the snapshot does not know: nothing more to say than late_pods does.
    let mut stranger = late[0].clone();
    stranger.owner = Some(OwnerRef {
        kind: "ReplicaSet".into(),
        name: "unknown-5f6d".into(),
    });
    assert!(late_blockers(&s, &p, P1, &[stranger]).is_empty());
}

#[test]
fn karpenter_budgets_cap_batches_and_pinned_amis_block() {
    use crate::karpenter::{AmiTerm, Budget, KarpenterInfo, NodeClass, NodePoolSpec};
    let mut s = workshop();
    let Some(np) = s.nodes.iter().find(|n| n.name == NP).cloned() else {
        panic!("no {NP}")
    };
    for i in 0..3 {
        let mut n = np.clone();
        n.name = format!("np-{i}");
        n.kubelet_version = "v1.24.17-eks-a59e1f0".into();
        s.nodes.push(n);
    }
    let info = |nodes: &str, term: AmiTerm| KarpenterInfo {
        node_pools: Some(vec![NodePoolSpec {
            name: "default".into(),
            api_version: "karpenter.sh/v1".into(),
            node_class: Some("c".into()),
            budgets: vec![Budget {
                nodes: nodes.into(),
                ..Budget::default()
            }],
            ..NodePoolSpec::default()
        }]),
        node_classes: Some(vec![NodeClass {
            name: "c".into(),
            api_version: "karpenter.k8s.aws/v1".into(),
            ami_family: Some("AL2023".into()),
            ami_selector_terms: vec![term],
            ..NodeClass::default()
        }]),
        ..KarpenterInfo::default()
    };
    let alias = AmiTerm {
        alias: Some("al2023@latest".into()),
        ..AmiTerm::default()
    };
    let id = AmiTerm {
        id: Some("ami-0123".into()),
        ..AmiTerm::default()
    };
    let opts = PlanOptions {
        pool: "nodepool/default".parse().ok(),
        batch: 3,
        ..PlanOptions::default()
    };
    s.karpenter = Some(info("1", alias.clone()));
    let p = run(&s, &opts);
    let sizes: Vec<usize> = order(&p).iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![1, 1, 1], "{:?}", order(&p));
    assert_eq!(p.budgets.len(), 1);
    let lifted = PlanOptions {
        ignore_budgets: true,
        ..opts.clone()
    };
    assert_eq!(order(&run(&s, &lifted)).len(), 1);
    assert!(run(&s, &lifted).budgets.is_empty());

    s.karpenter = Some(info("1", id));
    let p = run(&s, &opts);
    assert!(reasons(node(&p, "np-0")).contains(&(BlockReason::PinnedAmi, true)));
    assert!(!p.is_clear());

    s.karpenter = Some(info("0", alias.clone()));
    let p = run(&s, &opts);
    assert!(reasons(node(&p, "np-0")).contains(&(BlockReason::BudgetAllowsNone, true)));
    let p = run(&s, &lifted);
    assert!(reasons(node(&p, "np-0")).contains(&(BlockReason::BudgetAllowsNone, false)));

    // A budget of 1 taken by a node Karpenter is disrupting now: in use, not configured to 0.
    s.karpenter = Some(info("1", alias));
    for n in s.nodes.iter_mut().filter(|n| n.name.starts_with("np-")) {
        n.labels
            .insert("karpenter.sh/initialized".into(), "true".into());
    }
    let p = run(&s, &opts);
    assert!(
        !reasons(node(&p, "np-0"))
            .iter()
            .any(|(r, _)| *r == BlockReason::BudgetInUse),
        "nothing disrupting yet"
    );
    let Some(busy) = s.nodes.iter_mut().find(|n| n.name == "np-2") else {
        panic!("np-2")
    };
    busy.deleting = true;
    let p = run(&s, &opts);
    let r = reasons(node(&p, "np-0"));
    assert!(r.contains(&(BlockReason::BudgetInUse, true)), "{r:?}");
    assert!(
        !r.iter().any(|(r, _)| *r == BlockReason::BudgetAllowsNone),
        "{r:?}"
    );
    assert_eq!(BlockReason::BudgetInUse.as_str(), "budget-in-use");
}
