//! The resource types kup-sim serves: what discovery lists and what the store keeps.
//! (Owned by the HTTP side; the world reads it.)

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    PodDisruptionBudget,
    /// karpenter.sh/v1alpha5
    Provisioner,
    /// karpenter.sh/v1 and v1beta1 share one storage (served at the version asked for).
    NodePool,
    NodeClaim,
    /// karpenter.k8s.aws/v1 and v1beta1 (one storage, no conversion): the AWS provider's node
    /// class, whose `status.amis` the world's Karpenter resolves.
    EC2NodeClass,
    /// batch/v1: served and stored (their pods are not run: no Job controller).
    Job,
    CronJob,
    /// coordination.k8s.io/v1: stored only (kup rotate takes one as a lock; nothing renews it).
    Lease,
    /// v1 Secrets: stored only (Helm v3 keeps its releases in them).
    Secret,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::PodDisruptionBudget,
        Kind::Provisioner,
        Kind::NodePool,
        Kind::NodeClaim,
        Kind::EC2NodeClass,
        Kind::Job,
        Kind::CronJob,
        Kind::Lease,
        Kind::Secret,
    ];

    /// Dense index (0..ALL.len()) for per-kind tables.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn info(self) -> &'static ResourceInfo {
        // RESOURCES lists every kind exactly once, in `ALL` order (a unit test checks it).
        &RESOURCES[self.index()]
    }

    /// `Pod`, `Deployment`, ...
    pub fn name(self) -> &'static str {
        self.info().kind_name
    }

    /// `pods`, `deployments`, ...
    pub fn plural(self) -> &'static str {
        self.info().plural
    }

    pub fn group(self) -> &'static str {
        self.info().group
    }

    pub fn namespaced(self) -> bool {
        self.info().namespaced
    }

    /// Preferred `apiVersion` (`v1`, `apps/v1`, `karpenter.sh/v1`).
    pub fn api_version(self) -> String {
        self.info().api_version(self.info().versions[0])
    }

    /// Custom resources (Karpenter) are served like CRDs: alphabetical keys, lists repeat
    /// apiVersion/kind per item and carry `"continue": ""`.
    pub fn is_custom(self) -> bool {
        is_crd_group(self.group())
    }

    /// Kind from its `kind` field name (`Pod`).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Static description of a resource (discovery, routing, scope).
#[derive(Debug)]
pub struct ResourceInfo {
    pub kind: Kind,
    /// "" for the core group.
    pub group: &'static str,
    /// Versions served; the first is the preferred/storage version.
    pub versions: &'static [&'static str],
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind_name: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// e.g. ["status"], ["status", "eviction", "binding"]
    pub subresources: &'static [&'static str],
}

impl ResourceInfo {
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }

    /// Verbs of the main resource, in the order the real server lists them.
    pub fn verbs(&self) -> &'static [&'static str] {
        if is_crd_group(self.group) {
            // CRDs list them in this (odd) order upstream.
            &[
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "create",
                "update",
                "watch",
            ]
        } else if self.kind == Kind::Namespace {
            &[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ]
        } else {
            &[
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        }
    }

    pub fn categories(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::Pod
            | Kind::Deployment
            | Kind::ReplicaSet
            | Kind::StatefulSet
            | Kind::DaemonSet => &["all"],
            Kind::Provisioner | Kind::NodePool | Kind::NodeClaim | Kind::EC2NodeClass => {
                &["karpenter"]
            }
            _ => &[],
        }
    }

    pub fn has_subresource(&self, sub: &str) -> bool {
        self.subresources.contains(&sub)
    }
}

/// Every served resource, in `Kind::ALL` order.
pub static RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        kind: Kind::Namespace,
        group: "",
        versions: &["v1"],
        plural: "namespaces",
        singular: "namespace",
        kind_name: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::Node,
        group: "",
        versions: &["v1"],
        plural: "nodes",
        singular: "node",
        kind_name: "Node",
        namespaced: false,
        short_names: &["no"],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::Pod,
        group: "",
        versions: &["v1"],
        plural: "pods",
        singular: "pod",
        kind_name: "Pod",
        namespaced: true,
        short_names: &["po"],
        subresources: &["binding", "eviction", "status"],
    },
    ResourceInfo {
        kind: Kind::Deployment,
        group: "apps",
        versions: &["v1"],
        plural: "deployments",
        singular: "deployment",
        kind_name: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        subresources: &["scale", "status"],
    },
    ResourceInfo {
        kind: Kind::ReplicaSet,
        group: "apps",
        versions: &["v1"],
        plural: "replicasets",
        singular: "replicaset",
        kind_name: "ReplicaSet",
        namespaced: true,
        short_names: &["rs"],
        subresources: &["scale", "status"],
    },
    ResourceInfo {
        kind: Kind::StatefulSet,
        group: "apps",
        versions: &["v1"],
        plural: "statefulsets",
        singular: "statefulset",
        kind_name: "StatefulSet",
        namespaced: true,
        short_names: &["sts"],
        subresources: &["scale", "status"],
    },
    ResourceInfo {
        kind: Kind::DaemonSet,
        group: "apps",
        versions: &["v1"],
        plural: "daemonsets",
        singular: "daemonset",
        kind_name: "DaemonSet",
        namespaced: true,
        short_names: &["ds"],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::PodDisruptionBudget,
        group: "policy",
        versions: &["v1"],
        plural: "poddisruptionbudgets",
        singular: "poddisruptionbudget",
        kind_name: "PodDisruptionBudget",
        namespaced: true,
        short_names: &["pdb"],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::Provisioner,
        group: "karpenter.sh",
        versions: &["v1alpha5"],
        plural: "provisioners",
        singular: "provisioner",
        kind_name: "Provisioner",
        namespaced: false,
        short_names: &[],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::NodePool,
        group: "karpenter.sh",
        versions: &["v1", "v1beta1"],
        plural: "nodepools",
        singular: "nodepool",
        kind_name: "NodePool",
        namespaced: false,
        short_names: &[],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::NodeClaim,
        group: "karpenter.sh",
        versions: &["v1", "v1beta1"],
        plural: "nodeclaims",
        singular: "nodeclaim",
        kind_name: "NodeClaim",
        namespaced: false,
        short_names: &[],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::EC2NodeClass,
        group: "karpenter.k8s.aws",
        versions: &["v1", "v1beta1"],
        plural: "ec2nodeclasses",
        singular: "ec2nodeclass",
        kind_name: "EC2NodeClass",
        namespaced: false,
        short_names: &["ec2nc", "ec2ncs"],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::Job,
        group: "batch",
        versions: &["v1"],
        plural: "jobs",
        singular: "job",
        kind_name: "Job",
        namespaced: true,
        short_names: &[],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::CronJob,
        group: "batch",
        versions: &["v1"],
        plural: "cronjobs",
        singular: "cronjob",
        kind_name: "CronJob",
        namespaced: true,
        short_names: &["cj"],
        subresources: &["status"],
    },
    ResourceInfo {
        kind: Kind::Lease,
        group: "coordination.k8s.io",
        versions: &["v1"],
        plural: "leases",
        singular: "lease",
        kind_name: "Lease",
        namespaced: true,
        short_names: &[],
        subresources: &[],
    },
    ResourceInfo {
        kind: Kind::Secret,
        group: "",
        versions: &["v1"],
        plural: "secrets",
        singular: "secret",
        kind_name: "Secret",
        namespaced: true,
        short_names: &[],
        subresources: &[],
    },
];

/// Groups served from CRDs (Karpenter's): their objects are shaped like custom resources.
pub fn is_crd_group(group: &str) -> bool {
    matches!(group, "karpenter.sh" | "karpenter.k8s.aws")
}

/// The resource served at (group, version, plural), if any.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static ResourceInfo> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural && r.versions.contains(&version))
}

/// The resource for a kind name under an apiVersion (`apps/v1`, `Deployment`).
pub fn lookup_kind(api_version: &str, kind_name: &str) -> Option<&'static ResourceInfo> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind_name == kind_name && r.versions.contains(&version))
}

/// Groups in the order discovery lists them (core first, then as upstream orders them).
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&r.group) {
            out.push(r.group);
        }
    }
    // The API server lists built-in groups by priority (apps, batch, policy, ...) and CRD
    // groups after them.
    // CRD groups share one priority and are then ordered by name (karpenter.k8s.aws first).
    out.sort_by_key(|g| {
        let rank = match *g {
            "" => 0,
            "apps" => 1,
            "batch" => 2,
            "policy" => 3,
            "coordination.k8s.io" => 4,
            _ => 10,
        };
        (rank, if rank == 10 { *g } else { "" })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_kind_order() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(RESOURCES[i].kind, *k);
            assert_eq!(k.index(), i);
        }
        assert_eq!(RESOURCES.len(), Kind::ALL.len());
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("", "v1", "pods").map(|r| r.kind), Some(Kind::Pod));
        assert_eq!(
            lookup("karpenter.sh", "v1beta1", "nodepools").map(|r| r.kind),
            Some(Kind::NodePool)
        );
        assert!(lookup("karpenter.sh", "v1alpha5", "nodepools").is_none());
        assert_eq!(
            lookup_kind("apps/v1", "Deployment").map(|r| r.kind),
            Some(Kind::Deployment)
        );
        assert_eq!(Kind::PodDisruptionBudget.api_version(), "policy/v1");
    }
}
