use super::*;
use crate::checks::fixtures::pod;
use crate::karpenter::{AmiTerm, Budget, Controller, NodeClaim};
use crate::model::{ControlPlane, Labels, PoolRef, WorkloadKind};

fn node(name: &str, pool: &str, kubelet: &str) -> Node {
    Node {
        name: name.into(),
        pool: PoolRef {
            kind: PoolKind::NodePool,
            name: pool.into(),
        },
        kubelet_version: kubelet.into(),
        kube_proxy_version: kubelet.into(),
        os_image: String::new(),
        labels: [("karpenter.sh/initialized".to_string(), "true".to_string())].into(),
        taints: Vec::new(),
        unschedulable: false,
        ready: Some(true),
        created: None,
        instance_type: None,
        zone: None,
        deleting: false,
        kup_annotations: Labels::new(),
    }
}

fn class(name: &str, term: AmiTerm) -> NodeClass {
    NodeClass {
        name: name.into(),
        api_version: "karpenter.k8s.aws/v1".into(),
        ami_family: term.alias.is_none().then(|| "AL2023".to_string()),
        ami_selector_terms: vec![term],
        ..NodeClass::default()
    }
}

fn alias(a: &str) -> AmiTerm {
    AmiTerm {
        alias: Some(a.into()),
        ..AmiTerm::default()
    }
}

fn pool(name: &str, class: &str, budgets: Vec<Budget>) -> NodePoolSpec {
    NodePoolSpec {
        name: name.into(),
        api_version: "karpenter.sh/v1".into(),
        node_class: Some(class.into()),
        budgets,
        ..NodePoolSpec::default()
    }
}

fn budget(nodes: &str, sched: Option<(&str, &str)>, reasons: Option<&[&str]>) -> Budget {
    Budget {
        nodes: nodes.into(),
        schedule: sched.map(|s| s.0.into()),
        duration: sched.map(|s| s.1.into()),
        reasons: reasons.map(|r| r.iter().map(|s| s.to_string()).collect()),
    }
}

fn claim(node: &str, pool: &str, drifted: bool) -> NodeClaim {
    NodeClaim {
        name: format!("{node}-claim"),
        node_pool: Some(pool.into()),
        node_name: Some(node.into()),
        image_id: Some("ami-0old".into()),
        drifted: drifted.then(|| "AMIDrift".to_string()),
        deleting: false,
        do_not_disrupt: false,
    }
}

/// Control plane 1.32; pools of every kind the findings speak about.
fn upgrade_day() -> Snapshot {
    let id = AmiTerm {
        id: Some("ami-0123".into()),
        ..AmiTerm::default()
    };
    let mut nodes = Vec::new();
    for i in 0..4 {
        nodes.push(node(&format!("follow-{i}"), "follow", "v1.32.9-eks-1"));
    }
    nodes.push(node("pinned-0", "pinned", "v1.32.9-eks-1"));
    nodes.push(node("old-0", "old", "v1.29.15-eks-1"));
    nodes.push(node("frozen-0", "frozen", "v1.32.9-eks-1"));
    let mut held = pod(
        "shop",
        "checkout-0",
        "follow-0",
        "Running",
        ("StatefulSet", "checkout"),
    );
    held.do_not_disrupt = true;
    let free = pod(
        "shop",
        "web-1",
        "follow-1",
        "Running",
        ("ReplicaSet", "web-1"),
    );
    Snapshot {
        control_plane: ControlPlane::new("v1.32.9-eks-1", "1", "32", "", None),
        nodes,
        pods: vec![held, free],
        taken_at: "2026-12-02T06:10:00Z".parse().ok(),
        karpenter: Some(KarpenterInfo {
            controller: Some(Controller {
                namespace: "kube-system".into(),
                name: "karpenter".into(),
                version: Some("1.4.0".into()),
                version_source: Some("app.kubernetes.io/version".into()),
                image: None,
            }),
            node_pools: Some(vec![
                pool("follow", "al2023", vec![budget("50%", None, None)]),
                pool("pinned", "pinned", vec![]),
                pool("old", "pinned", vec![]),
                pool(
                    "frozen",
                    "al2023",
                    vec![budget("0", None, Some(&["Drifted"]))],
                ),
                pool("legacy", "al2", vec![]),
                pool("lost", "nope", vec![]),
                pool(
                    "cron",
                    "al2023",
                    vec![budget("0", Some(("0 25 * * *", "1h")), None)],
                ),
            ]),
            node_classes: Some(vec![
                class("al2023", alias("al2023@latest")),
                class("pinned", id),
                class("al2", alias("al2@latest")),
                class("weird", alias("ubuntu@latest")),
            ]),
            node_claims: Some(vec![
                claim("follow-0", "follow", true),
                claim("follow-1", "follow", true),
                claim("follow-2", "follow", false),
            ]),
            notes: Vec::new(),
            aliases: Vec::new(),
        }),
        ..Snapshot::default()
    }
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{e:?}"))
}

fn codes(f: &[Finding]) -> Vec<(Code, String, Severity)> {
    f.iter()
        .map(|f| (f.code, f.subject.clone(), f.severity))
        .collect()
}

#[test]
fn every_verdict_at_1_33() {
    let f = findings(&upgrade_day(), &v("1.33"));
    let got = codes(&f);
    for want in [
        (
            Code::KarpTooOld,
            "deployment/kube-system/karpenter",
            Severity::Error,
        ),
        (Code::KarpAl2Target, "ec2nodeclass/al2", Severity::Error),
        (
            Code::KarpBadNodeClass,
            "ec2nodeclass/weird",
            Severity::Error,
        ),
        (Code::KarpPinnedAmi, "nodepool/pinned", Severity::Warning),
        (Code::KarpPinnedAmi, "nodepool/old", Severity::Error),
        (Code::KarpBudgetNever, "nodepool/frozen", Severity::Warning),
        (Code::KarpMissingNodeClass, "nodepool/lost", Severity::Error),
        (Code::KarpBadBudget, "nodepool/cron", Severity::Error),
        (Code::KarpHeld, "nodepool/follow", Severity::Warning),
    ] {
        assert!(
            got.contains(&(want.0, want.1.to_string(), want.2)),
            "{want:?} missing from {got:#?}"
        );
    }
    let held = f
        .iter()
        .find(|f| f.code == Code::KarpHeld)
        .map(|f| f.message.clone());
    assert!(
        held.as_deref()
            .is_some_and(|m| m.contains("pod/shop/checkout-0") && !m.contains("web-1")),
        "{held:?}"
    );
    let too_old = f
        .iter()
        .find(|f| f.code == Code::KarpTooOld)
        .map(|f| f.remedy.clone());
    assert!(too_old.is_some_and(|r| r.contains("1.5.0")));
}

#[test]
fn at_1_32_karpenter_and_al2_are_fine() {
    let f = codes(&findings(&upgrade_day(), &v("1.32")));
    assert!(
        !f.iter()
            .any(|c| matches!(c.0, Code::KarpTooOld | Code::KarpAl2Target)),
        "{f:?}"
    );
}

#[test]
fn movements_say_how_each_pool_moves() {
    let m = pool_movements(&upgrade_day(), &v("1.33"));
    let by = |n: &str| {
        m.iter()
            .find(|p| p.node_pool == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let follow = by("follow");
    assert_eq!(follow.moves, Moves::KarpenterDrifts);
    assert_eq!(
        follow.summary,
        "Karpenter drifts them once the control plane is at 1.33 (alias al2023@latest)"
    );
    assert_eq!((follow.nodes, follow.behind, follow.drifted), (4, 4, 2));
    assert_eq!(follow.budget.allowed, Some(2), "50% of 4");
    assert_eq!(follow.eta_minutes, Some(2 * WAVE_MINUTES));
    let pinned = by("pinned");
    assert_eq!(pinned.moves, Moves::Pinned);
    assert!(
        pinned
            .summary
            .starts_with("pinned AMI ami-0123: Karpenter will not drift them")
    );
    assert_eq!(pinned.eta_minutes, None);
    assert_eq!(by("frozen").eta_minutes, None);
    assert_eq!(by("legacy").moves, Moves::Blocked);
    assert_eq!(by("lost").moves, Moves::Blocked);
}

#[test]
fn nothing_read_nothing_said() {
    let mut s = upgrade_day();
    s.karpenter = None;
    assert!(findings(&s, &v("1.33")).is_empty());
    // Read, but no Karpenter at all: no finding either.
    s.karpenter = Some(KarpenterInfo::default());
    s.nodes.clear();
    assert!(findings(&s, &v("1.33")).is_empty());
}

/// A pinned NodeClass already pointed at an AMI for the target: nodes on another AMI drift
/// onto it and reach the target; a node on the selected AMI is the trap.
fn repinned(node_image: &str, name: Option<&str>, witness: bool) -> Snapshot {
    let mut c = class(
        "pinned",
        AmiTerm {
            id: Some("ami-0new".into()),
            ..AmiTerm::default()
        },
    );
    c.status_amis = vec!["ami-0new".into()];
    if let Some(n) = name {
        c.ami_names.insert("ami-0new".into(), n.into());
    }
    let mut behind = claim("pinned-0", "pinned", true);
    behind.image_id = Some(node_image.into());
    let mut nodes = vec![node("pinned-0", "pinned", "v1.32.9-eks-1")];
    let mut claims = vec![behind];
    if witness {
        nodes.push(node("pinned-1", "pinned", "v1.33.5-eks-1"));
        let mut current = claim("pinned-1", "pinned", false);
        current.image_id = Some("ami-0new".into());
        claims.push(current);
    }
    Snapshot {
        control_plane: ControlPlane::new("v1.33.5-eks-1", "1", "33", "", None),
        nodes,
        taken_at: "2026-12-02T06:10:00Z".parse().ok(),
        karpenter: Some(KarpenterInfo {
            node_pools: Some(vec![pool("pinned", "pinned", vec![])]),
            node_classes: Some(vec![c]),
            node_claims: Some(claims),
            ..KarpenterInfo::default()
        }),
        ..Snapshot::default()
    }
}

#[test]
fn a_pinned_ami_already_for_the_target_is_no_trap() {
    let t = v("1.33");
    let named = Some("amazon-eks-node-al2023-x86_64-standard-1.33-v20260610");
    // By the AMI's name in status.amis, or by a node that already runs it.
    for snap in [
        repinned("ami-0old", named, false),
        repinned("ami-0old", None, true),
    ] {
        let m = &pool_movements(&snap, &t)[0];
        assert_eq!(m.moves, Moves::KarpenterDrifts, "{}", m.summary);
        assert!(
            m.summary.contains("ami-0new, built for 1.33"),
            "{}",
            m.summary
        );
        assert!(
            !findings(&snap, &t)
                .iter()
                .any(|f| f.code == Code::KarpPinnedAmi),
            "{:#?}",
            findings(&snap, &t)
        );
    }
    // The node already runs the selected AMI: its replacement is the same AMI.
    let trap = repinned("ami-0new", named, false);
    assert_eq!(pool_movements(&trap, &t)[0].moves, Moves::Pinned);
    assert!(
        findings(&trap, &t)
            .iter()
            .any(|f| f.code == Code::KarpPinnedAmi)
    );
    // Repinned to an AMI for 1.33, but the target is 1.34: still behind, said with the version.
    let short = repinned("ami-0old", named, false);
    let m = &pool_movements(&short, &v("1.34"))[0];
    assert_eq!(m.moves, Moves::Pinned);
    assert!(m.summary.contains("built for 1.33"), "{}", m.summary);
}

#[test]
fn a_karpenter_too_new_for_the_target_has_its_own_code() {
    // Karpenter 1.4.0 supports 1.25 to 1.32; a target of 1.24 is below it.
    let f = codes(&findings(&upgrade_day(), &v("1.24")));
    assert!(
        f.contains(&(
            Code::KarpTooNew,
            "deployment/kube-system/karpenter".into(),
            Severity::Error
        )),
        "{f:?}"
    );
    assert!(!f.iter().any(|c| c.0 == Code::KarpTooOld), "{f:?}");
}

#[test]
fn a_windows2025_alias_below_1_35_cannot_launch() {
    let mut snap = upgrade_day();
    if let Some(k) = snap.karpenter.as_mut() {
        k.node_classes = Some(vec![class("win", alias("windows2025@latest"))]);
        k.node_pools = Some(vec![pool("win", "win", vec![])]);
    }
    let f = codes(&findings(&snap, &v("1.33")));
    assert!(
        f.contains(&(
            Code::KarpAliasNoAmi,
            "ec2nodeclass/win".into(),
            Severity::Error
        )),
        "{f:?}"
    );
    assert_eq!(pool_movements(&snap, &v("1.33"))[0].moves, Moves::Blocked);
}

#[test]
fn budgets_count_initialized_nodes_and_node_level_do_not_disrupt_holds() {
    let mut snap = upgrade_day();
    // follow: 4 nodes, 50%. Two not yet initialized: 50% of 2 is 1.
    for n in snap
        .nodes
        .iter_mut()
        .filter(|n| n.name == "follow-2" || n.name == "follow-3")
    {
        n.labels.clear();
    }
    // A NotReady node that is not initialized uses none of the budget.
    if let Some(n) = snap.nodes.iter_mut().find(|n| n.name == "follow-3") {
        n.ready = Some(false);
    }
    if let Some(n) = snap.nodes.iter_mut().find(|n| n.name == "follow-1") {
        n.kup_annotations
            .insert("karpenter.sh/do-not-disrupt".into(), "true".into());
    }
    let t = v("1.33");
    let m = pool_movements(&snap, &t)
        .into_iter()
        .find(|m| m.node_pool == "follow")
        .unwrap_or_else(|| panic!("no follow pool"));
    assert_eq!(m.budget.allowed, Some(1), "{:?}", m.budget);
    assert!(
        m.held.iter().any(|h| h.node == "follow-1"
            && h.by.contains("node follow-1 (karpenter.sh/do-not-disrupt)")),
        "{:?}",
        m.held
    );
    // An explicit empty list of budgets limits nothing.
    if let Some(p) = snap
        .karpenter
        .as_mut()
        .and_then(|k| k.node_pools.as_mut())
        .and_then(|ps| ps.iter_mut().find(|p| p.name == "follow"))
    {
        p.budgets.clear();
    }
    let m = pool_movements(&snap, &t)
        .into_iter()
        .find(|m| m.node_pool == "follow")
        .unwrap_or_else(|| panic!("no follow pool"));
    assert_eq!(m.budget.allowed, None, "{:?}", m.budget);
}

#[test]
fn the_skew_remedy_does_not_promise_drift_for_a_pinned_pool() {
    let f = crate::checks::skew::skew_findings(&upgrade_day(), &v("1.33"));
    let remedy = |node: &str| {
        f.iter()
            .find(|f| f.subject == format!("node/{node}"))
            .map(|f| f.remedy.clone())
            .unwrap_or_default()
    };
    let pinned = remedy("old-0");
    assert!(
        pinned.contains("nodepool/old cannot bring it to 1.33") && !pinned.contains("drift"),
        "{pinned}"
    );
    // A pool that follows the control plane keeps the usual remedy.
    assert!(
        !remedy("follow-0").contains("cannot bring"),
        "{}",
        remedy("follow-0")
    );
}

fn workload(
    kind: WorkloadKind,
    name: &str,
    owner: Option<(&str, &str)>,
    ready: i32,
) -> crate::model::Workload {
    crate::model::Workload {
        kind,
        namespace: "shop".into(),
        name: name.into(),
        owner: owner.map(|(k, n)| crate::model::OwnerRef {
            kind: k.into(),
            name: n.into(),
        }),
        replicas: Some(1),
        ready_replicas: Some(ready),
        placement: Default::default(),
        annotations: Default::default(),
    }
}

#[test]
fn following_waits_for_the_pools_workloads_and_stops_when_nothing_can_move() {
    let mut snap = upgrade_day();
    snap.workloads = vec![
        workload(WorkloadKind::StatefulSet, "checkout", None, 0),
        workload(
            WorkloadKind::ReplicaSet,
            "web-1",
            Some(("Deployment", "web")),
            1,
        ),
        workload(WorkloadKind::Deployment, "web", None, 0),
        // Unready, but with no pod on the followed pool's nodes.
        workload(WorkloadKind::Deployment, "elsewhere", None, 0),
    ];
    let pools = vec!["follow".to_string()];
    let watched = workloads_on_pools(&snap, &pools);
    assert_eq!(
        watched,
        [
            (
                "shop".to_string(),
                WorkloadKind::Deployment,
                "web".to_string()
            ),
            (
                "shop".to_string(),
                WorkloadKind::StatefulSet,
                "checkout".to_string()
            ),
        ]
        .into(),
    );
    let t = v("1.33");
    let st = follow_status(&snap, &t, Some("follow"), &watched);
    assert_eq!(st.unready.len(), 2, "{:?}", st.unready);
    assert!(
        !st.unready.iter().any(|u| u.contains("elsewhere")),
        "{:?}",
        st.unready
    );
    // follow drifts (budget 50%): waiting helps. frozen (0 for Drifted, always) and pinned
    // cannot move.
    assert!(!st.cannot_move());
    assert!(follow_status(&snap, &t, Some("frozen"), &watched).cannot_move());
    assert!(follow_status(&snap, &t, Some("pinned"), &watched).cannot_move());
}

#[test]
fn a_node_level_do_not_disrupt_is_not_said_to_end_with_the_grace_period() {
    let mut snap = upgrade_day();
    if let Some(n) = snap.nodes.iter_mut().find(|n| n.name == "follow-2") {
        n.kup_annotations
            .insert("karpenter.sh/do-not-disrupt".into(), "true".into());
    }
    let held = findings(&snap, &v("1.33"))
        .into_iter()
        .find(|f| f.code == Code::KarpHeld)
        .map(|f| f.message)
        .unwrap_or_default();
    assert!(
        held.contains("until the annotation goes") && held.contains("node follow-2"),
        "{held}"
    );
}
