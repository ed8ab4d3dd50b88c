//! `checks::run`: the one pipeline, and `.kup.yaml`'s ignore rules over every family.

use super::*;
use crate::checks::fixtures::{workshop, workshop_eks};
use crate::checks::placement::tests::placement_workshop;
use crate::model::ControlPlane;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn all(snapshot: &Snapshot, target: &Version, config: &Config) -> Vec<Finding> {
    let run = Run {
        target,
        families: &Family::ALL,
        skew_nodes: None,
    };
    super::run(snapshot, config, &run)
}

fn codes(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

fn ignoring(code: &str) -> Config {
    serde_saphyr::from_str(&format!("ignore:\n  - code: {code}\n"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every family in one snapshot: skew (lagging nodes), versions (one bad kubelet), placement
/// (the placement fixture's workloads), EKS (1.25 past extended support on the snapshot's day).
fn everything() -> Snapshot {
    let mut s = placement_workshop();
    s.eks = EksSection::Read(Box::new(workshop_eks()));
    s.taken_at = workshop().taken_at;
    if let Some(n) = s.nodes.first_mut() {
        n.kubelet_version = "garbage".into();
    }
    s
}

#[test]
fn an_ignore_rule_drops_its_code_in_every_family() {
    let s = everything();
    let target = v("1.26");
    let before = all(&s, &target, &Config::default());
    for code in [
        "KUP-SKEW-001",
        "KUP-VER-001",
        "KUP-PLACE-003",
        "KUP-EKS-004",
    ] {
        assert!(
            codes(&before).contains(&code),
            "{code} in {:?}",
            codes(&before)
        );
        let after = all(&s, &target, &ignoring(code));
        assert!(!codes(&after).contains(&code), "{code} still reported");
        let rest: Vec<&Finding> = before.iter().filter(|f| f.code.as_str() != code).collect();
        assert_eq!(after.iter().collect::<Vec<_>>(), rest, "only {code} goes");
    }
}

#[test]
fn run_reports_only_the_asked_families_sorted() {
    let s = everything();
    let target = v("1.26");
    let run = Run {
        target: &target,
        families: &[Family::Placement],
        skew_nodes: None,
    };
    let f = super::run(&s, &Config::default(), &run);
    assert!(!f.is_empty());
    assert!(f.iter().all(|f| f.code.family() == Family::Placement));
    let mut sorted = f.clone();
    sort_findings(&mut sorted);
    assert_eq!(f, sorted);
    // The placement family is exactly what the verdicts say.
    let from_verdicts: Vec<Finding> = workload_verdicts(&s, &target, &Config::default())
        .into_iter()
        .flat_map(|w| w.findings)
        .collect();
    assert_eq!(f.len(), from_verdicts.len());
}

/// EKS's node groups replace the ones guessed from node labels: one KUP-SKEW-007 per group,
/// from EKS, never both.
#[test]
fn node_groups_are_judged_once() {
    let mut s = workshop();
    let target = v("1.26");
    let from_labels = all(&s, &target, &Config::default());
    let skew7 = |f: &[Finding]| {
        f.iter()
            .filter(|f| f.code == Code::SkewNodeGroupNotAtCluster)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(skew7(&from_labels).len(), 1);
    assert!(skew7(&from_labels)[0].contains("kubelet 1.24"));
    s.eks = EksSection::Read(Box::new(workshop_eks()));
    let from_eks = all(&s, &target, &Config::default());
    assert_eq!(skew7(&from_eks).len(), 1);
    assert!(
        skew7(&from_eks)[0].contains("version 1.24"),
        "{from_eks:#?}"
    );
}

/// An unparseable `/version` with a target given: KUP-VER-001 for the control plane, and the
/// nodes judged against the target.
#[test]
fn an_unreadable_control_plane_is_judged_against_the_target() {
    let mut s = workshop();
    s.control_plane = ControlPlane::new("v1.x-weird", "1", "x", "", None);
    let f = all(&s, &v("1.27"), &Config::default());
    let ver: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == Code::VersionUnparseable)
        .collect();
    assert_eq!(ver.len(), 1);
    assert_eq!(ver[0].subject, "controlplane");
    assert!(ver[0].message.contains("v1.x-weird"));
    assert!(
        f.iter().any(|f| f.code == Code::SkewBeyondPolicy),
        "1.24 nodes are beyond policy of 1.27: {f:#?}"
    );
}

#[test]
fn skew_nodes_narrow_the_skew_family_only() {
    let s = everything();
    let target = v("1.26");
    let none = std::collections::BTreeSet::new();
    let run = Run {
        target: &target,
        families: &Family::ALL,
        skew_nodes: Some(&none),
    };
    let f = super::run(&s, &Config::default(), &run);
    assert!(!f.iter().any(|f| f.subject.starts_with("node/")));
    assert!(f.iter().any(|f| f.code.family() == Family::Placement));
}
