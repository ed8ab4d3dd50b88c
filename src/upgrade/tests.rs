//! The upgrade core on plain data: hops, the plan on the workshop fixture, resume decisions,
//! the end-of-hop verdict.

use super::plan::project;
use super::*;
use crate::checks::fixtures::{OLD, workshop, workshop_eks};
use crate::checks::{Config, FailOn};
use crate::eks::EksSection;
use crate::version::Version;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn opts(to: &str) -> UpgradeOptions {
    UpgradeOptions {
        to: v(to),
        fail_on: FailOn::Error,
        nodes: NodesMode::Auto,
        addons: AddonsMode::Default,
        batch: 1,
    }
}

#[test]
fn hops_are_one_minor_each() {
    let h: Vec<String> = hops(&v("1.25.16"), &v("1.28"))
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(h, ["1.26", "1.27", "1.28"]);
    assert!(hops(&v("1.25"), &v("1.25")).is_empty());
    assert!(hops(&v("1.25"), &v("1.24")).is_empty());
}

#[test]
fn downgrade_and_nothing_to_do_are_flag_errors() {
    let s = workshop();
    let e = plan(&s, &Config::default(), &opts("1.24"), &[]).unwrap_err();
    assert!(matches!(e, UpgradeError::Downgrade { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("older than the control plane (1.25)"),
        "{e}"
    );
    // Every node at 1.25: --to 1.25 has nothing to do.
    let mut s = workshop();
    for n in &mut s.nodes {
        n.kubelet_version = "v1.25.16-eks-3025e55".into();
    }
    let e = plan(&s, &Config::default(), &opts("1.25"), &[]).unwrap_err();
    assert!(matches!(e, UpgradeError::AlreadyThere { .. }), "{e}");
}

#[test]
fn same_minor_with_lagging_nodes_is_a_catch_up_with_no_hop() {
    let s = workshop();
    let p = plan(&s, &Config::default(), &opts("1.25"), &[]).unwrap();
    assert!(p.hops.is_empty());
    assert!(p.catch_up > 0, "{p:?}");
}

#[test]
fn a_version_eks_does_not_offer_is_refused() {
    let mut s = workshop();
    s.eks = EksSection::Read(Box::new(workshop_eks()));
    let e = plan(&s, &Config::default(), &opts("1.29"), &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--to 1.29: EKS does not offer 1.29 (it offers 1.25, 1.26, 1.27)"
    );
}

#[test]
fn the_workshop_plan_has_two_hops_with_groups_pools_and_gates() {
    let mut s = workshop();
    s.eks = EksSection::Read(Box::new(workshop_eks()));
    let p = plan(&s, &Config::default(), &opts("1.27"), &[]).unwrap();
    assert_eq!(p.from, "1.25.16");
    assert_eq!(p.to, "1.27");
    let versions: Vec<&str> = p.hops.iter().map(|h| h.version.as_str()).collect();
    assert_eq!(versions, ["1.26", "1.27"]);
    let first = &p.hops[0];
    assert!(!first.predicted);
    assert!(p.hops[1].predicted);
    // The node group EKS lists moves with UpdateNodegroupVersion, from its version now.
    assert_eq!(first.node_groups.len(), 1);
    assert_eq!(first.node_groups[0].name, "mng-1");
    assert_eq!(first.node_groups[0].from.as_deref(), Some("1.24"));
    assert_eq!(p.hops[1].node_groups[0].from.as_deref(), Some("1.26"));
    // The Provisioner's nodes: no NodePool drifts them, kup rotates them.
    let prov = first
        .pools
        .iter()
        .find(|m| m.pool == "provisioner/default")
        .unwrap();
    assert_eq!(prov.by, NodesBy::Kup);
    assert!(
        first
            .commands
            .iter()
            .any(|c| c == "aws eks update-cluster-version --name eks-upgrades-workshop --kubernetes-version 1.26"),
        "{:?}",
        first.commands
    );
    // The node group a minor behind the cluster is caught up before the first hop: its gate is
    // judged after that (no KUP-SKEW-007); the node of no pool still blocks it.
    assert_eq!(p.catch_up, 5);
    assert!(!first.gate.iter().any(|f| f.code.as_str() == "KUP-SKEW-007"));
    assert!(first.blocked);
    assert!(p.blocked_now());
    assert!(
        first
            .manual
            .iter()
            .any(|m| m.starts_with("KUP-SKEW-002 node/legacy-worker-1")),
        "{:?}",
        first.manual
    );
    // Hop 2 is judged with hop 1 done: nodes of pools are one minor behind it, no more.
    assert!(
        !p.hops[1]
            .gate
            .iter()
            .any(|f| f.subject.starts_with("node/ip-")
                && f.severity != crate::checks::Severity::Info),
        "{:?}",
        p.hops[1].gate
    );
    let projected = project(&s, &v("1.26"));
    assert!(
        projected
            .nodes
            .iter()
            .any(|n| n.name == "legacy-worker-1" && n.kubelet_version.starts_with("v1.23"))
    );
    assert!(
        projected
            .nodes
            .iter()
            .filter(|n| n.name != "legacy-worker-1")
            .all(|n| n.kubelet_version.starts_with("v1.26"))
    );
    assert_eq!(projected.control_plane.version().map(|v| v.minor), Some(26));
    assert!(p.estimate_minutes >= 2 * plan::CONTROL_PLANE_MINUTES);
    // --fail-on never lets it through.
    let o = UpgradeOptions {
        fail_on: FailOn::Never,
        ..opts("1.27")
    };
    assert!(!plan(&s, &Config::default(), &o, &[]).unwrap().blocked_now());
}

fn seen(id: &str, version: &str, status: &str) -> UpdateSeen {
    UpdateSeen {
        id: id.into(),
        version: Some(version.into()),
        status: status.into(),
    }
}

fn observed(cp: &str, updates: Vec<UpdateSeen>, behind: usize) -> Observed {
    Observed {
        control_plane: v(cp),
        updates,
        behind,
    }
}

#[test]
fn resume_starts_with_the_gate_of_the_next_hop() {
    let r = resume(&observed("1.25.16", vec![], 0), &v("1.27"));
    assert_eq!(
        r,
        Resume {
            hop: v("1.26"),
            step: Step::Gate
        }
    );
}

#[test]
fn resume_follows_an_update_in_progress_and_never_starts_a_second() {
    let o = observed("1.25.16", vec![seen("u1", "1.26", "InProgress")], 3);
    let r = resume(&o, &v("1.27"));
    assert_eq!(
        r,
        Resume {
            hop: v("1.26"),
            step: Step::FollowUpdate("u1".into())
        }
    );
    // Successful while /version still says 1.25: followed too.
    let o = observed("1.25.16", vec![seen("u1", "1.26", "Successful")], 0);
    assert_eq!(resume(&o, &v("1.27")).step, Step::FollowUpdate("u1".into()));
}

#[test]
fn resume_finishes_the_nodes_of_a_hop_before_the_next() {
    let o = observed("1.26.15", vec![seen("u1", "1.26", "Successful")], 2);
    assert_eq!(
        resume(&o, &v("1.27")),
        Resume {
            hop: v("1.26"),
            step: Step::Nodes
        }
    );
    let o = observed("1.26.15", vec![seen("u1", "1.26", "Successful")], 0);
    assert_eq!(
        resume(&o, &v("1.27")),
        Resume {
            hop: v("1.27"),
            step: Step::Gate
        }
    );
    // A failed update is history: the hop starts again at its gate.
    let o = observed(
        "1.26.15",
        vec![
            seen("u1", "1.26", "Successful"),
            seen("u2", "1.27", "Failed"),
        ],
        0,
    );
    assert_eq!(
        resume(&o, &v("1.27")),
        Resume {
            hop: v("1.27"),
            step: Step::Gate
        }
    );
    let o = observed("1.27.16", vec![], 0);
    assert_eq!(resume(&o, &v("1.27")).step, Step::Done);
}

#[test]
fn verify_names_lagging_nodes_unavailable_workloads_and_broken_pdbs() {
    let mut before = workshop();
    before.workloads.push(crate::model::Workload {
        kind: crate::model::WorkloadKind::Deployment,
        namespace: "default".into(),
        name: "web".into(),
        owner: None,
        replicas: Some(2),
        ready_replicas: Some(2),
        placement: Default::default(),
        annotations: Default::default(),
    });
    let hop = v("1.23");
    // The workshop's nodes run 1.23 (legacy-worker-1), 1.24 (OLD) or newer.
    assert!(before.nodes.iter().any(|n| n.kubelet_version == OLD));
    let same = verify(&before, &before, &hop);
    assert!(same.nodes_behind.is_empty(), "{same:?}");
    let behind = verify(&before, &before, &v("1.25"));
    assert!(!behind.ok());
    assert!(behind.nodes_behind.iter().any(|n| n.contains(OLD)));
    let mut now = before.clone();
    let w = now
        .workloads
        .iter_mut()
        .find(|w| w.replicas.unwrap_or(0) > 0 && w.ready_replicas >= w.replicas)
        .expect("an available workload");
    w.ready_replicas = Some(0);
    let v2 = verify(&before, &now, &hop);
    assert_eq!(v2.unavailable, ["deployment/default/web 0/2 ready"]);
    assert!(v2.describe().contains("not available"));
    let mut now = before.clone();
    now.pdbs.push(crate::model::Pdb {
        namespace: "default".into(),
        name: "web".into(),
        selector: None,
        min_available: Some("2".into()),
        max_unavailable: None,
        disruptions_allowed: 0,
        current_healthy: 1,
        desired_healthy: 2,
        expected_pods: 2,
    });
    let mut held = before.clone();
    held.pdbs = now.pdbs.clone();
    held.pdbs.last_mut().unwrap().current_healthy = 2;
    let v3 = verify(&held, &now, &hop);
    assert_eq!(v3.pdbs_broken, ["pdb/default/web 1 healthy, needs 2"]);
    // One that was already below its minimum is not the hop's doing.
    assert!(verify(&now, &now, &hop).pdbs_broken.is_empty());
}

#[test]
fn addons_move_hop_by_hop_to_each_hops_default() {
    let s = workshop();
    let offer = |v: &str, default: bool| crate::eks::AddonVersionOffer {
        version: v.into(),
        default,
    };
    let proxy = AddonOffers {
        name: "kube-proxy".into(),
        version: "v1.25.16-eksbuild.1".into(),
        offered: [
            ("1.26".to_string(), vec![offer("v1.26.15-eksbuild.2", true)]),
            ("1.27".to_string(), vec![offer("v1.27.16-eksbuild.3", true)]),
        ]
        .into(),
    };
    let cni = AddonOffers {
        name: "vpc-cni".into(),
        version: "v1.16.0-eksbuild.1".into(),
        offered: [
            (
                "1.26".to_string(),
                vec![
                    offer("v1.15.1-eksbuild.1", true),
                    offer("v1.16.0-eksbuild.1", false),
                ],
            ),
            ("1.27".to_string(), vec![offer("v1.18.3-eksbuild.2", true)]),
        ]
        .into(),
    };
    let p = plan(&s, &Config::default(), &opts("1.27"), &[proxy.clone(), cni]).unwrap();
    let moves = |i: usize| -> Vec<(String, String, String)> {
        p.hops[i]
            .addons
            .iter()
            .map(|m| (m.addon.clone(), m.from.clone(), m.to.clone()))
            .collect()
    };
    // vpc-cni is newer than 1.26's default: it stays there, then moves at 1.27.
    assert_eq!(
        moves(0),
        [(
            "kube-proxy".into(),
            "v1.25.16-eksbuild.1".into(),
            "v1.26.15-eksbuild.2".into()
        )]
    );
    assert_eq!(
        moves(1),
        [
            (
                "kube-proxy".into(),
                "v1.26.15-eksbuild.2".into(),
                "v1.27.16-eksbuild.3".into()
            ),
            (
                "vpc-cni".into(),
                "v1.16.0-eksbuild.1".into(),
                "v1.18.3-eksbuild.2".into()
            ),
        ]
    );
    assert!(p.hops[0].commands.iter().any(|c| c
        == "aws eks update-addon --cluster-name eks-upgrades-workshop --addon-name kube-proxy --addon-version v1.26.15-eksbuild.2 --resolve-conflicts PRESERVE"), "{:?}", p.hops[0].commands);
    // --addons skip: none moves, no command.
    let o = UpgradeOptions {
        addons: AddonsMode::Skip,
        ..opts("1.27")
    };
    let p = plan(&s, &Config::default(), &o, &[proxy]).unwrap();
    assert!(p.hops.iter().all(|h| h.addons.is_empty()));
    assert!(
        !p.hops[0]
            .commands
            .iter()
            .any(|c| c.contains("update-addon"))
    );
}

#[test]
fn who_moves_a_nodepool_under_each_nodes_mode() {
    use crate::checks::karpenter::Moves;
    assert_eq!(
        nodes_by(NodesMode::Auto, Moves::KarpenterDrifts),
        NodesBy::Karpenter
    );
    assert_eq!(nodes_by(NodesMode::Auto, Moves::Pinned), NodesBy::Kup);
    assert_eq!(
        nodes_by(NodesMode::Rotate, Moves::KarpenterDrifts),
        NodesBy::Kup
    );
    assert_eq!(
        nodes_by(NodesMode::Karpenter, Moves::KarpenterDrifts),
        NodesBy::Karpenter
    );
    assert_eq!(
        nodes_by(NodesMode::Karpenter, Moves::Pinned),
        NodesBy::Manual
    );
    assert_eq!(
        nodes_by(NodesMode::Karpenter, Moves::Blocked),
        NodesBy::Manual
    );
    // The workshop has no NodePool: nothing is left unmoved.
    assert!(unmoved_pools(&workshop(), &v("1.26"), NodesMode::Karpenter).is_empty());
}

#[test]
fn another_kind_of_update_in_progress_is_waited_for_before_the_gate() {
    let logging = UpdateSeen {
        id: "log1".into(),
        version: None,
        status: "InProgress".into(),
    };
    let o = observed("1.26", vec![logging.clone()], 0);
    assert_eq!(
        resume(&o, &v("1.27")),
        Resume {
            hop: v("1.27"),
            step: Step::WaitOther("log1".into())
        }
    );
    // Ended: the gate comes next; nothing to do at all: done.
    let ended = UpdateSeen {
        status: "Successful".into(),
        ..logging
    };
    assert_eq!(
        resume(&observed("1.26", vec![ended.clone()], 0), &v("1.27")).step,
        Step::Gate
    );
    assert_eq!(
        resume(&observed("1.27", vec![ended], 0), &v("1.27")).step,
        Step::Done
    );
}
