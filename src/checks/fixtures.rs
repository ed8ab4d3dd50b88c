//! A hand-made snapshot like the workshop's cluster, shared by the unit and snapshot tests.

use crate::model::{ControlPlane, Labels, Node, OwnerRef, Pod, PoolKind, PoolRef, Snapshot};

fn ts(s: &str) -> Option<jiff::Timestamp> {
    s.parse().ok()
}

#[allow(clippy::too_many_arguments)]
fn node(
    name: &str,
    kind: PoolKind,
    pool: &str,
    kubelet: &str,
    ready: Option<bool>,
    unschedulable: bool,
    created: &str,
    instance: &str,
    zone: &str,
) -> Node {
    Node {
        name: name.into(),
        pool: PoolRef {
            kind,
            name: pool.into(),
        },
        kubelet_version: kubelet.into(),
        kube_proxy_version: kubelet.into(),
        os_image: String::new(),
        labels: Labels::new(),
        taints: Vec::new(),
        unschedulable,
        ready,
        created: ts(created),
        instance_type: Some(instance.into()),
        zone: Some(zone.into()),
        deleting: false,
        kup_annotations: Labels::new(),
    }
}

pub(crate) fn pod(ns: &str, name: &str, node: &str, phase: &str, owner: (&str, &str)) -> Pod {
    Pod {
        namespace: ns.into(),
        name: name.into(),
        uid: format!("uid-{ns}-{name}"),
        node_name: Some(node.into()),
        phase: phase.into(),
        ready: phase == "Running",
        owner: Some(OwnerRef {
            kind: owner.0.into(),
            name: owner.1.into(),
        }),
        labels: Labels::new().into(),
        mirror: false,
        uses_empty_dir: false,
        do_not_disrupt: false,
        deleting: false,
        placement: None,
    }
}

pub(crate) const OLD: &str = "v1.24.17-eks-a59e1f0";

/// Control plane just upgraded to 1.25; two managed-node-group and two Provisioner nodes still
/// at 1.24, one NodePool node at 1.25, and a NotReady, cordoned 1.23 node of no known pool.
pub(crate) fn workshop() -> Snapshot {
    let m1 = "ip-192-168-12-34.us-west-2.compute.internal";
    let m2 = "ip-192-168-45-67.us-west-2.compute.internal";
    let p1 = "ip-192-168-101-21.us-west-2.compute.internal";
    let p2 = "ip-192-168-102-9.us-west-2.compute.internal";
    let np = "ip-192-168-150-11.us-west-2.compute.internal";
    let legacy = "legacy-worker-1";
    let nodes = vec![
        // Out of order on purpose: reports sort.
        node(
            p2,
            PoolKind::Provisioner,
            "default",
            OLD,
            Some(true),
            false,
            "2026-11-23T22:40:00Z",
            "c5.large",
            "us-west-2b",
        ),
        node(
            m1,
            PoolKind::NodeGroup,
            "mng-1",
            OLD,
            Some(true),
            false,
            "2026-09-01T08:00:00Z",
            "m5.large",
            "us-west-2a",
        ),
        node(
            np,
            PoolKind::NodePool,
            "default",
            "v1.25.16-eks-3025e55",
            Some(true),
            false,
            "2026-11-24T04:57:30Z",
            "m6i.xlarge",
            "us-west-2c",
        ),
        node(
            m2,
            PoolKind::NodeGroup,
            "mng-1",
            OLD,
            Some(true),
            false,
            "2026-09-01T08:01:10Z",
            "m5.large",
            "us-west-2b",
        ),
        node(
            p1,
            PoolKind::Provisioner,
            "default",
            OLD,
            Some(true),
            false,
            "2026-11-24T01:48:00Z",
            "c5.large",
            "us-west-2a",
        ),
        node(
            legacy,
            PoolKind::None,
            "",
            "v1.23.17-eks-8ccc7ba",
            Some(false),
            true,
            "2024-05-02T10:00:00Z",
            "t3.medium",
            "us-west-2a",
        ),
    ];
    let mut pods = Vec::new();
    for (i, n) in [m1, m2, p1, p2, np, legacy].iter().enumerate() {
        pods.push(pod(
            "kube-system",
            &format!("aws-node-{i}"),
            n,
            "Running",
            ("DaemonSet", "aws-node"),
        ));
        pods.push(pod(
            "kube-system",
            &format!("kube-proxy-{i}"),
            n,
            "Running",
            ("DaemonSet", "kube-proxy"),
        ));
    }
    pods.push(pod(
        "kube-system",
        "coredns-7d9f-a",
        m1,
        "Running",
        ("ReplicaSet", "coredns-7d9f"),
    ));
    pods.push(pod(
        "kube-system",
        "coredns-7d9f-b",
        m2,
        "Running",
        ("ReplicaSet", "coredns-7d9f"),
    ));
    for (i, n) in [p1, p1, p2].iter().enumerate() {
        pods.push(pod(
            "default",
            &format!("nginx-6b7f-{i}"),
            n,
            "Running",
            ("ReplicaSet", "nginx-6b7f"),
        ));
    }
    // Finished pods do not count (kubectl describe node lists non-terminated pods).
    pods.push(pod(
        "default",
        "report-28771-x",
        p2,
        "Succeeded",
        ("Job", "report-28771"),
    ));
    let mut unbound = pod(
        "default",
        "nginx-6b7f-3",
        p2,
        "Pending",
        ("ReplicaSet", "nginx-6b7f"),
    );
    unbound.node_name = None;
    pods.push(unbound);
    Snapshot {
        control_plane: ControlPlane::new(
            "v1.25.16-eks-3025e55",
            "1",
            "25+",
            "eks.12",
            Some("eks-upgrades-workshop".into()),
        ),
        nodes,
        pods,
        pdbs: Vec::new(),
        workloads: Vec::new(),
        pools: Vec::new(),
        taken_at: ts("2026-11-24T05:00:00Z"),
        eks: Default::default(),
        karpenter: None,
        core_components: Vec::new(),
        apis: None,
    }
}

/// What EKS says about the workshop cluster: 1.25 in extended support, its node group on 1.24,
/// one insight warning.
pub(crate) fn workshop_eks() -> crate::eks::EksInfo {
    use crate::eks::{EksCluster, EksInfo, Insight, NodeGroup, VersionSupport};
    let support = |v: &str, std_end: &str, ext_end: &str, status: &str| VersionSupport {
        version: v.into(),
        release_date: None,
        end_of_standard_support: std_end.parse().ok(),
        end_of_extended_support: ext_end.parse().ok(),
        status: Some(status.into()),
        default: false,
    };
    EksInfo {
        cluster: EksCluster {
            name: "eks-upgrades-workshop".into(),
            region: "us-west-2".into(),
            arn: None,
            version: "1.25".into(),
            platform_version: Some("eks.12".into()),
            status: "ACTIVE".into(),
            support_type: Some("EXTENDED".into()),
        },
        versions: Some(vec![
            support("1.25", "2024-05-01", "2025-05-01", "EXTENDED_SUPPORT"),
            support("1.26", "2024-06-11", "2025-06-11", "EXTENDED_SUPPORT"),
            support("1.27", "2024-07-24", "2025-07-24", "EXTENDED_SUPPORT"),
        ]),
        node_groups: Some(vec![NodeGroup {
            name: "mng-1".into(),
            version: Some("1.24".into()),
            release_version: Some("1.24.17-20240514".into()),
            ami_type: Some("AL2_x86_64".into()),
            status: "ACTIVE".into(),
            capacity_type: Some("ON_DEMAND".into()),
            instance_types: vec!["m5.large".into()],
            min_size: Some(1),
            max_size: Some(4),
            desired_size: Some(2),
            max_unavailable: Some(1),
            max_unavailable_percentage: None,
            labels: Labels::new(),
            taints: vec![],
            health_issues: vec![],
        }]),
        insights: Some(vec![Insight {
            id: "kubelet-skew".into(),
            name: "Kubelet version skew".into(),
            status: "WARNING".into(),
            reason: Some("Node kubelet versions lag the control plane".into()),
            kubernetes_version: Some("1.26".into()),
            description: None,
            recommendation: Some("Upgrade the nodes to the control plane's version".into()),
            resources: vec!["node/ip-192-168-1-10".into()],
            deprecations: vec![],
        }]),
        addons: None,
        addon_versions: vec![],
        unavailable: vec![],
    }
}
