//! Amazon Linux 2 at a target of 1.33 or later (EKS publishes no AL2 AMIs from 1.33 on):
//! managed node groups with an `AL2_*` AMI type, and nodes whose osImage is Amazon Linux 2 that
//! no such group or Karpenter NodeClass accounts for (KUP-KARP-004 judges the NodeClasses).
//! Pure.

use std::collections::BTreeMap;

use crate::addons::{al2_blocks, al2023_for, is_al2_os_image};
use crate::checks::finding::{Code, Finding};
use crate::eks::EksSection;
use crate::model::{PoolKind, Snapshot};
use crate::version::Version;

pub fn al2_findings(snapshot: &Snapshot, target: &Version) -> Vec<Finding> {
    if !al2_blocks(target) {
        return Vec::new();
    }
    let t = target.minor_str();
    let mut out = Vec::new();
    let groups = match &snapshot.eks {
        EksSection::Read(info) => info.node_groups.as_deref(),
        EksSection::Skipped { .. } => None,
    };
    let cluster = match &snapshot.eks {
        EksSection::Read(info) => info.cluster.name.as_str(),
        EksSection::Skipped { .. } => "CLUSTER",
    };
    for g in groups.unwrap_or_default() {
        let Some(ami) = g.ami_type.as_deref() else {
            continue;
        };
        let Some(alt) = al2023_for(ami) else { continue };
        out.push(Finding::new(
            Code::EksAl2Target,
            format!("nodegroup/{}", g.name),
            format!(
                "managed node group {} uses AMI type {ami} (Amazon Linux 2); EKS publishes no AL2 AMIs for {t}",
                g.name
            ),
            format!(
                "create a node group with AMI type {alt} (`aws eks create-nodegroup --cluster-name {cluster} \
                 --ami-type {alt} ...`), move the workloads to it, then delete {}",
                g.name
            ),
        ));
    }
    // Nodes nobody above accounts for: self-managed, or a group EKS did not describe.
    let described = |name: &str| {
        groups.is_some_and(|gs| gs.iter().any(|g| g.name == name && g.ami_type.is_some()))
    };
    let mut pools: BTreeMap<(PoolKind, String), Vec<&str>> = BTreeMap::new();
    for n in &snapshot.nodes {
        let karpenter = matches!(n.pool.kind, PoolKind::NodePool | PoolKind::Provisioner);
        let grouped = n.pool.kind == PoolKind::NodeGroup && described(&n.pool.name);
        if karpenter || grouped || !is_al2_os_image(&n.os_image) {
            continue;
        }
        pools
            .entry((n.pool.kind, n.pool.name.clone()))
            .or_default()
            .push(&n.name);
    }
    for ((kind, name), nodes) in pools {
        let subject = match kind {
            PoolKind::None => format!("node/{}", nodes[0]),
            k => format!("{}/{name}", k.word()),
        };
        let what = if kind == PoolKind::None {
            "in no known pool".to_string()
        } else {
            format!("of {} {name}", kind.word())
        };
        out.push(Finding::new(
            Code::EksAl2Target,
            subject,
            format!(
                "{} node(s) {what} run Amazon Linux 2 ({}); EKS publishes no AL2 AMIs for {t}",
                nodes.len(),
                nodes.iter().take(3).copied().collect::<Vec<_>>().join(", ")
            ),
            "launch their replacements from an AL2023 AMI (AMI type AL2023_x86_64_STANDARD, \
             or AL2023_ARM_64_STANDARD on Graviton) before the upgrade"
                .to_string(),
        ));
    }
    out
}
