//! A NodeClass that pins its AMI (id, name, tags, SSM parameter) is a trap only for nodes that
//! already run the selected AMI: Karpenter drifts the others onto it (`AMIDrift`), and whether
//! that reaches the target depends on the Kubernetes version the selected AMI is built for.

use super::Moves;
use crate::karpenter::{KarpenterInfo, NodeClass, ami_name_minor};
use crate::model::{Node, Snapshot};
use crate::version::Version;

/// How the behind nodes of a pinned pool move, when kup can tell better than "never": None
/// keeps the pinned verdict (a node runs the selected AMI or runs an unknown one, or the
/// selected AMI's version is unknown).
pub(super) fn replacement(
    snapshot: &Snapshot,
    k: &KarpenterInfo,
    class: &NodeClass,
    amis: &[String],
    behind: &[&Node],
    target: &Version,
) -> Option<(Moves, String)> {
    if amis.is_empty() || behind.is_empty() {
        return None;
    }
    let image_of = |node: &str| {
        k.node_claims
            .iter()
            .flatten()
            .find(|c| c.node_name.as_deref() == Some(node))
            .and_then(|c| c.image_id.as_deref())
    };
    // A node on a selected AMI (or on one kup cannot see) comes back on that same AMI.
    if behind
        .iter()
        .any(|n| image_of(&n.name).is_none_or(|i| amis.iter().any(|a| a == i)))
    {
        return None;
    }
    let minors: Vec<(u32, u32)> = amis
        .iter()
        .map(|a| ami_minor(snapshot, k, class, a))
        .collect::<Option<_>>()?;
    let list = amis.join(", ");
    let want = (target.major, target.minor);
    if minors.iter().all(|m| *m == want) {
        return Some((
            Moves::KarpenterDrifts,
            format!(
                "Karpenter drifts them to pinned AMI {list}, built for {}",
                target.minor_str()
            ),
        ));
    }
    let mut built: Vec<String> = minors.iter().map(|(a, b)| format!("{a}.{b}")).collect();
    built.sort();
    built.dedup();
    Some((
        Moves::Pinned,
        format!(
            "pinned AMI {list}, built for {}: Karpenter drifts them to it, which does not reach {}",
            built.join(", "),
            target.minor_str()
        ),
    ))
}

/// The Kubernetes minor an AMI is built for: its EKS optimized name in `status.amis`, else the
/// kubelet of a node that already runs it.
fn ami_minor(
    snapshot: &Snapshot,
    k: &KarpenterInfo,
    class: &NodeClass,
    ami: &str,
) -> Option<(u32, u32)> {
    if let Some(m) = class.ami_names.get(ami).and_then(|n| ami_name_minor(n)) {
        return Some(m);
    }
    k.node_claims
        .iter()
        .flatten()
        .filter(|c| c.image_id.as_deref() == Some(ami))
        .filter_map(|c| c.node_name.as_deref())
        .filter_map(|name| snapshot.nodes.iter().find(|n| n.name == name))
        .find_map(|n| Version::parse(&n.kubelet_version).ok())
        .map(|v| (v.major, v.minor))
}
