//! Pools that no API object describes: an EKS managed node group is known by its nodes'
//! `eks.amazonaws.com/nodegroup` label, so its labels and taints are what all its nodes share.
//! (DescribeNodegroup will say it directly once the EKS section reads it.)

use crate::model::{Labels, Node, Pool, PoolKind, PoolRef, Taint};
use std::collections::BTreeMap;

/// Labels that differ per node by nature, never part of a pool's shape.
const PER_NODE_LABELS: &[&str] = &[
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.ebs.csi.aws.com/zone",
    "topology.k8s.aws/zone-id",
];

/// One pool per managed node group that has nodes and no pool record yet.
pub fn node_group_pools(nodes: &[Node], known: &[Pool]) -> Vec<Pool> {
    let mut groups: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
    for n in nodes.iter().filter(|n| n.pool.kind == PoolKind::NodeGroup) {
        groups.entry(n.pool.name.as_str()).or_default().push(n);
    }
    groups
        .into_iter()
        .filter(|(name, _)| {
            !known
                .iter()
                .any(|p| p.pool.kind == PoolKind::NodeGroup && p.pool.name == *name)
        })
        .map(|(name, members)| {
            let mut labels: Labels = members[0].labels.clone();
            labels.retain(|k, v| {
                !PER_NODE_LABELS.contains(&k.as_str())
                    && members.iter().all(|m| m.labels.get(k) == Some(v))
            });
            let taints: Vec<Taint> = members[0]
                .taints
                .iter()
                .filter(|t| !t.is_transient() && members.iter().all(|m| m.taints.contains(t)))
                .cloned()
                .collect();
            Pool {
                pool: PoolRef {
                    kind: PoolKind::NodeGroup,
                    name: name.to_string(),
                },
                source: "eks (from node labels)".into(),
                labels,
                taints,
                startup_taints: Vec::new(),
                requirements: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(
        name: &str,
        group: &str,
        zone: &str,
        extra: &[(&str, &str)],
        taints: Vec<Taint>,
    ) -> Node {
        let mut labels: Labels = [
            ("eks.amazonaws.com/nodegroup", group),
            ("kubernetes.io/hostname", name),
            ("topology.kubernetes.io/zone", zone),
            ("node.kubernetes.io/instance-type", "m5.large"),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        labels.insert("role".into(), "system".into());
        Node {
            name: name.into(),
            pool: PoolRef {
                kind: PoolKind::NodeGroup,
                name: group.into(),
            },
            kubelet_version: "v1.24.17".into(),
            kube_proxy_version: String::new(),
            os_image: String::new(),
            labels,
            taints,
            unschedulable: false,
            ready: Some(true),
            created: None,
            instance_type: None,
            zone: None,
            deleting: false,
            kup_annotations: Labels::new(),
        }
    }

    fn taint(key: &str) -> Taint {
        Taint {
            key: key.into(),
            value: None,
            effect: "NoSchedule".into(),
        }
    }

    #[test]
    fn a_node_group_is_what_its_nodes_share() {
        let nodes = vec![
            node(
                "a",
                "mng",
                "us-east-1a",
                &[("only-a", "x")],
                vec![
                    taint("dedicated"),
                    taint("node.kubernetes.io/unschedulable"),
                ],
            ),
            node("b", "mng", "us-east-1b", &[], vec![taint("dedicated")]),
            node("c", "other", "us-east-1a", &[], vec![]),
        ];
        let pools = node_group_pools(&nodes, &[]);
        assert_eq!(pools.len(), 2);
        let mng = &pools[0];
        assert_eq!(mng.pool.name, "mng");
        assert_eq!(mng.labels.get("role").map(String::as_str), Some("system"));
        assert_eq!(
            mng.labels
                .get("eks.amazonaws.com/nodegroup")
                .map(String::as_str),
            Some("mng")
        );
        assert!(
            !mng.labels.contains_key("only-a")
                && !mng.labels.contains_key("kubernetes.io/hostname")
        );
        assert!(
            !mng.labels.contains_key("topology.kubernetes.io/zone"),
            "zones differ per node"
        );
        assert_eq!(
            mng.taints,
            vec![taint("dedicated")],
            "the cordon taint is transient"
        );
        // Already known (e.g. from DescribeNodegroup): not derived again.
        let known = node_group_pools(&nodes, &pools[..1]);
        assert_eq!(known.len(), 1);
        assert_eq!(known[0].pool.name, "other");
    }
}
