//! Version-skew findings: each node against the target, and what blocks the control plane.

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::finding::{Code, Finding, Severity};
use crate::model::{Node, PoolKind, Snapshot};
use crate::version::{NodeVerdict, Version, max_kubelet_lag, node_verdict, upgrade_path};

/// How many node names a control-plane finding spells out before "and N more".
const NAMES_SHOWN: usize = 5;

/// Every node of the snapshot, node groups guessed from their nodes' labels.
pub fn skew_findings(snapshot: &Snapshot, target: &Version) -> Vec<Finding> {
    findings(snapshot, target, None, true)
}

/// `only`: the nodes to judge (`kup check -l`), all when None. `groups_from_labels`: judge
/// managed node groups by their nodes' labels (false when EKS said which groups lag).
pub(crate) fn findings(
    snapshot: &Snapshot,
    target: &Version,
    only: Option<&BTreeSet<String>>,
    groups_from_labels: bool,
) -> Vec<Finding> {
    let nodes: Vec<&Node> = snapshot
        .nodes
        .iter()
        .filter(|n| only.is_none_or(|names| names.contains(&n.name)))
        .collect();
    let mut findings = Vec::new();
    let cp = match &snapshot.control_plane.parsed {
        Ok(v) => Some(v.clone()),
        Err(e) => {
            findings.push(Finding::new(
                Code::VersionUnparseable,
                "controlplane",
                format!(
                    "the control plane reports gitVersion {:?} (major {:?}, minor {:?}): {}",
                    snapshot.control_plane.git_version,
                    snapshot.control_plane.major,
                    snapshot.control_plane.minor,
                    e.kind
                ),
                "check `kubectl version`; kup compares the nodes with the target only and \
                 cannot tell whether a kubelet is newer than the API server",
            ));
            None
        }
    };
    // Without a control-plane version the target stands in for it (see the finding above).
    let cluster = snapshot
        .control_plane
        .cluster_name
        .as_deref()
        .unwrap_or("CLUSTER");
    let cp_or_target = cp.as_ref().unwrap_or(target);
    // NodePools whose replacements would not reach the target (a pinned AMI, AL2 past 1.32):
    // the remedy must not promise Karpenter's drift there.
    let stuck: BTreeSet<String> = super::karpenter::pool_movements(snapshot, target)
        .into_iter()
        .filter(|m| {
            matches!(
                m.moves,
                super::karpenter::Moves::Pinned | super::karpenter::Moves::Blocked
            )
        })
        .map(|m| m.node_pool)
        .collect();

    let mut kubelets: Vec<(&str, Version)> = Vec::with_capacity(nodes.len());
    for node in nodes.iter().copied() {
        let kubelet = match Version::parse(&node.kubelet_version) {
            Ok(v) => v,
            Err(e) => {
                findings.push(Finding::new(
                    Code::VersionUnparseable,
                    format!("node/{}", node.name),
                    format!(
                        "node {} reports kubelet version {:?}: {}",
                        node.name, node.kubelet_version, e.kind
                    ),
                    format!(
                        "check `kubectl get node {}` (status.nodeInfo.kubeletVersion); kup \
                         leaves this node out of the skew checks",
                        node.name
                    ),
                ));
                continue;
            }
        };
        let stuck = node.pool.kind == PoolKind::NodePool && stuck.contains(&node.pool.name);
        if let Some(f) = node_finding(node, &kubelet, cp_or_target, target, cluster, stuck) {
            findings.push(f);
        }
        kubelets.push((node.name.as_str(), kubelet));
    }

    if let Some(cp) = &cp {
        findings.extend(control_plane_findings(cp, target, &kubelets, cluster));
        if groups_from_labels && target.minor_str() != cp.minor_str() && target > cp {
            findings.extend(node_group_findings(&nodes, cp, target, cluster));
        }
    }
    findings
}

/// Managed node groups whose nodes run another minor than the cluster, by name, with those
/// nodes' kubelet minors. EKS's UpdateClusterVersion refuses to start while any exists.
pub fn node_groups_not_at<'a>(
    nodes: impl IntoIterator<Item = &'a Node>,
    cp: &Version,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in nodes {
        if node.pool.kind != PoolKind::NodeGroup {
            continue;
        }
        if let Ok(k) = Version::parse(&node.kubelet_version)
            && !at_control_plane(&k, cp)
        {
            groups
                .entry(node.pool.name.clone())
                .or_default()
                .insert(k.minor_str());
        }
    }
    groups
}

fn node_group_findings(
    nodes: &[&Node],
    cp: &Version,
    target: &Version,
    cluster: &str,
) -> Vec<Finding> {
    node_groups_not_at(nodes.iter().copied(), cp)
        .into_iter()
        .map(|(name, minors)| {
            let minors: Vec<String> = minors.into_iter().collect();
            let runs = format!("kubelet {}", minors.join(", "));
            node_group_finding(&name, &runs, cp, target, cluster)
        })
        .collect()
}

/// KUP-SKEW-007 for one managed node group that `runs` another minor (`kubelet 1.24` from its
/// nodes, `version 1.24` from EKS).
pub(crate) fn node_group_finding(
    name: &str,
    runs: &str,
    cp: &Version,
    target: &Version,
    cluster: &str,
) -> Finding {
    Finding::new(
        Code::SkewNodeGroupNotAtCluster,
        format!("nodegroup/{name}"),
        format!(
            "managed node group {name} runs {runs} while the cluster is at {}; EKS refuses \
             to upgrade the control plane to {} until every managed node group is at {}",
            cp.minor_str(),
            target.minor_str(),
            cp.minor_str()
        ),
        format!(
            "update the node group first: `kup rotate --pool {name}` or `aws eks \
             update-nodegroup-version --cluster-name {cluster} --nodegroup-name {name}`"
        ),
    )
}

fn node_finding(
    node: &Node,
    kubelet: &Version,
    cp: &Version,
    target: &Version,
    cluster: &str,
    stuck: bool,
) -> Option<Finding> {
    let subject = format!("node/{}", node.name);
    let against = if at_control_plane(target, cp) {
        format!("the control plane {}", target.minor_str())
    } else {
        format!("the target {}", target.minor_str())
    };
    let allows = |max: u32| {
        if max == 2 {
            "the policy allows 2 for kubelets older than 1.25".to_string()
        } else {
            format!("the policy allows {max}")
        }
    };
    match node_verdict(kubelet, cp, target) {
        NodeVerdict::Current | NodeVerdict::AheadOfTarget { .. } => None,
        NodeVerdict::Behind { minors } => {
            let mut f = Finding::new(
                Code::SkewBehind,
                subject,
                format!(
                    "kubelet {} is {} behind {}, within policy ({})",
                    kubelet,
                    plural(minors, "minor"),
                    against,
                    allows(max_kubelet_lag(kubelet))
                ),
                replace_remedy(node, kubelet, cp, target, cluster, stuck),
            );
            // At the control plane's minor already: nothing can be done before the control
            // plane moves, so this must not fail `--fail-on warning`.
            if at_control_plane(kubelet, cp) {
                f.severity = Severity::Info;
            }
            Some(f)
        }
        NodeVerdict::BeyondPolicy { minors, max } => Some(Finding::new(
            Code::SkewBeyondPolicy,
            subject,
            format!(
                "kubelet {} is {} behind {}; {}",
                kubelet,
                plural(minors, "minor"),
                against,
                allows(max)
            ),
            replace_remedy(node, kubelet, cp, target, cluster, stuck),
        )),
        NodeVerdict::NewerThanApiServer { minors } => Some(Finding::new(
            Code::SkewNewerThanApiServer,
            subject,
            format!(
                "kubelet {} is {} newer than the API server {}",
                kubelet,
                plural(minors, "minor"),
                cp
            ),
            format!(
                "upgrade the control plane to {} first, or replace the node with one at {}: \
                 `kup rotate {}`",
                kubelet.minor_str(),
                cp.minor_str(),
                node.name
            ),
        )),
    }
}

/// How to bring one node to the target, by what launched it.
fn replace_remedy(
    node: &Node,
    kubelet: &Version,
    cp: &Version,
    target: &Version,
    cluster: &str,
    stuck: bool,
) -> String {
    if stuck {
        return format!(
            "nodepool/{} cannot bring it to {} (its EC2NodeClass pins the AMI or cannot launch \
             there: see the KUP-KARP findings); fix the EC2NodeClass, then `kup rotate {}`",
            node.pool.name,
            target.minor_str(),
            node.name
        );
    }
    // Replacements come up at the control plane's version, so a node already there can only
    // move after the control plane does.
    if at_control_plane(kubelet, cp) && target > cp {
        return format!(
            "nothing to do before the control-plane upgrade; once the control plane is at {}, \
             replace the node: `kup rotate {}`",
            target.minor_str(),
            node.name
        );
    }
    let name = &node.name;
    match node.pool.kind {
        PoolKind::NodePool | PoolKind::Provisioner => format!(
            "replace the node: `kup rotate {name}`, or let Karpenter drift it (it launches the \
             replacement at the control-plane version)"
        ),
        PoolKind::NodeGroup => format!(
            "update the managed node group: `kup rotate {name}` or `aws eks \
             update-nodegroup-version --nodegroup-name {} --cluster-name {cluster}`",
            node.pool.name
        ),
        PoolKind::None => format!(
            "drain the node with `kup rotate {name}`, then replace it with a node at {} (it \
             belongs to no known pool)",
            cp.minor_str()
        ),
    }
}

fn at_control_plane(kubelet: &Version, cp: &Version) -> bool {
    (kubelet.major, kubelet.minor) == (cp.major, cp.minor)
}

fn control_plane_findings(
    cp: &Version,
    target: &Version,
    kubelets: &[(&str, Version)],
    cluster: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if (target.major, target.minor) < (cp.major, cp.minor) {
        out.push(Finding::new(
            Code::SkewTargetBelowControlPlane,
            "controlplane",
            format!(
                "the target {} is older than the control plane {}, which cannot be downgraded",
                target.minor_str(),
                cp
            ),
            format!(
                "pass `--target {}` or newer (the default is the control plane's version)",
                cp.minor_str()
            ),
        ));
        return out;
    }
    let path = upgrade_path(cp, target, kubelets.iter().map(|(n, v)| (*n, v)));
    if path.steps.len() > 1 {
        let steps: Vec<String> = path.steps.iter().map(Version::minor_str).collect();
        out.push(Finding::new(
            Code::SkewMultiMinor,
            "controlplane",
            format!(
                "the target {} is {} above the control plane {}; the control plane moves one \
                 minor at a time: {}",
                target.minor_str(),
                plural(path.steps.len() as u32, "minor"),
                cp,
                steps.join(", then ")
            ),
            format!(
                "upgrade in steps (`aws eks update-cluster-version --name {cluster} \
                 --kubernetes-version {}`, ...) and run `kup check --target` before each step",
                steps[0]
            ),
        ));
    }
    if !path.blockers.is_empty() {
        let mut names: Vec<&str> = path.blockers.iter().map(|b| b.name.as_str()).collect();
        names.sort_unstable();
        let shown = names
            .iter()
            .take(NAMES_SHOWN)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let more = names.len().saturating_sub(NAMES_SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        // The furthest the control plane may go with these nodes still in place.
        let ceiling = path
            .blockers
            .iter()
            .map(|b| b.kubelet.minor + b.max)
            .min()
            .unwrap_or(target.minor);
        out.push(Finding::new(
            Code::SkewUpgradeBlocked,
            "controlplane",
            format!(
                "moving the control plane to {} would leave {} outside the skew policy: {}{}",
                target.minor_str(),
                plural(names.len() as u32, "node"),
                shown,
                more
            ),
            format!(
                "replace those nodes first (`kup rotate`), or stop the control plane at {}.{}",
                target.major, ceiling
            ),
        ));
    }
    out
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::workshop;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn codes(findings: &[Finding]) -> Vec<(String, String)> {
        findings
            .iter()
            .map(|f| (f.code.to_string(), f.subject.clone()))
            .collect()
    }

    #[test]
    fn workshop_against_the_control_plane() {
        let s = workshop();
        let f = skew_findings(&s, &v("1.25.16"));
        // Five lagging nodes, all within policy; the 1.25 NodePool node is current.
        assert_eq!(f.len(), 5, "{f:#?}");
        assert!(f.iter().all(|f| f.code == Code::SkewBehind));
        assert!(f.iter().all(|f| f.severity == Severity::Warning));
        assert!(
            !f.iter()
                .any(|f| f.subject == "node/ip-192-168-150-11.us-west-2.compute.internal")
        );
        let mng = f
            .iter()
            .find(|f| f.subject == "node/ip-192-168-12-34.us-west-2.compute.internal")
            .map(|f| f.remedy.as_str())
            .unwrap_or_default();
        assert!(
            mng.contains("update-nodegroup-version --nodegroup-name mng-1"),
            "{mng}"
        );
    }

    #[test]
    fn target_two_minors_ahead_blocks_on_the_1_23_node_only() {
        let s = workshop();
        let f = skew_findings(&s, &v("1.27"));
        let c = codes(&f);
        // 1.24 kubelets: lag 3 > 2 at 1.27; the 1.23 one lag 4; the 1.25 one lag 2 (ok).
        assert!(
            c.contains(&("KUP-SKEW-005".into(), "controlplane".into())),
            "{c:?}"
        );
        assert!(
            c.contains(&("KUP-SKEW-004".into(), "controlplane".into())),
            "{c:?}"
        );
        let beyond = f
            .iter()
            .filter(|f| f.code == Code::SkewBeyondPolicy)
            .count();
        assert_eq!(beyond, 5);
        let blocked = f
            .iter()
            .find(|f| f.code == Code::SkewUpgradeBlocked)
            .map(|f| (f.message.clone(), f.remedy.clone()))
            .unwrap_or_default();
        assert!(
            blocked.0.contains("5 nodes outside the skew policy"),
            "{}",
            blocked.0
        );
        assert!(!blocked.0.contains("more"), "{}", blocked.0);
        assert!(
            blocked.1.ends_with("stop the control plane at 1.25"),
            "{}",
            blocked.1
        );
        let multi = f
            .iter()
            .find(|f| f.code == Code::SkewMultiMinor)
            .map(|f| f.message.clone())
            .unwrap_or_default();
        assert!(multi.ends_with("1.26, then 1.27"), "{multi}");
    }

    #[test]
    fn target_one_minor_ahead_blocks_on_the_1_23_node() {
        let f = skew_findings(&workshop(), &v("1.26"));
        let c = codes(&f);
        assert!(!c.iter().any(|(code, _)| code == "KUP-SKEW-005"));
        let blocked: Vec<_> = f
            .iter()
            .filter(|f| f.code == Code::SkewUpgradeBlocked)
            .collect();
        assert_eq!(blocked.len(), 1);
        assert!(
            blocked[0].message.ends_with(": legacy-worker-1"),
            "{}",
            blocked[0].message
        );
        // The NodePool node at 1.25 is behind 1.26 but can only move after the control plane.
        let np = f
            .iter()
            .find(|f| f.subject == "node/ip-192-168-150-11.us-west-2.compute.internal")
            .map(|f| (f.remedy.clone(), Some(f.severity)))
            .unwrap_or_default();
        assert!(
            np.0.starts_with("nothing to do before the control-plane upgrade"),
            "{np:?}"
        );
        assert_eq!(np.1, Some(Severity::Info));
    }

    #[test]
    fn newer_kubelet_and_unparseable_versions() {
        let mut s = workshop();
        s.nodes[0].kubelet_version = "v1.26.2".into();
        s.nodes[1].kubelet_version = "garbage".into();
        let f = skew_findings(&s, &v("1.25.16"));
        let newer: Vec<_> = f
            .iter()
            .filter(|f| f.code == Code::SkewNewerThanApiServer)
            .collect();
        assert_eq!(newer.len(), 1);
        assert_eq!(newer[0].subject, format!("node/{}", s.nodes[0].name));
        let bad: Vec<_> = f
            .iter()
            .filter(|f| f.code == Code::VersionUnparseable)
            .collect();
        assert_eq!(bad.len(), 1);
        assert!(bad[0].message.contains("\"garbage\""), "{}", bad[0].message);
        assert_eq!(bad[0].severity, Severity::Error);
    }

    #[test]
    fn unparseable_control_plane_is_named_and_nodes_still_checked() {
        let mut s = workshop();
        s.control_plane = crate::model::ControlPlane::new("vX", "1", "", "", None);
        let f = skew_findings(&s, &v("1.25"));
        assert_eq!(f[0].code, Code::VersionUnparseable);
        assert_eq!(f[0].subject, "controlplane");
        assert!(f[0].message.contains("\"vX\""));
        assert_eq!(f.iter().filter(|f| f.code == Code::SkewBehind).count(), 5);
    }

    #[test]
    fn managed_node_groups_off_the_cluster_minor_block_an_eks_upgrade() {
        let s = workshop();
        let f = skew_findings(&s, &v("1.26"));
        let ng: Vec<_> = f
            .iter()
            .filter(|f| f.code == Code::SkewNodeGroupNotAtCluster)
            .collect();
        assert_eq!(ng.len(), 1, "{f:#?}");
        assert_eq!(ng[0].subject, "nodegroup/mng-1");
        assert!(
            ng[0]
                .message
                .contains("runs kubelet 1.24 while the cluster is at 1.25")
        );
        // No upgrade planned: nothing is blocked.
        let now = skew_findings(&s, &v("1.25"));
        assert!(
            !now.iter()
                .any(|f| f.code == Code::SkewNodeGroupNotAtCluster)
        );
    }

    #[test]
    fn downgrade_target_is_an_error() {
        let f = skew_findings(&workshop(), &v("1.24"));
        assert!(
            f.iter()
                .any(|f| f.code == Code::SkewTargetBelowControlPlane)
        );
    }

    #[test]
    fn many_blockers_are_abbreviated() {
        let mut s = workshop();
        let template = s.nodes[0].clone();
        s.nodes = (0..8)
            .map(|i| {
                let mut n = template.clone();
                n.name = format!("n{i}");
                n
            })
            .collect();
        let f = skew_findings(&s, &v("1.27"));
        let blocked = f
            .iter()
            .find(|f| f.code == Code::SkewUpgradeBlocked)
            .map(|f| f.message.clone())
            .unwrap_or_default();
        assert!(
            blocked.ends_with("n0, n1, n2, n3, n4 and 3 more"),
            "{blocked}"
        );
    }
}
