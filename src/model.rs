//! Compact snapshot of a cluster: what kup keeps after reading the API (raw objects are
//! dropped page by page). Everything in `checks/` and `rotate/` works on these types only.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

pub type Labels = BTreeMap<String, String>;

/// Everything kup read from one cluster, at one moment.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub control_plane: ControlPlane,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub pdbs: Vec<Pdb>,
    pub workloads: Vec<Workload>,
    pub pools: Vec<Pool>,
    /// When the snapshot was taken (for node ages).
    pub taken_at: Option<jiff::Timestamp>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlane {
    /// `/version` gitVersion, e.g. `v1.25.16-eks-3025e55`.
    pub git_version: String,
    /// `/version` major and minor as served (minor may read `25+` on EKS).
    pub major: String,
    pub minor: String,
    pub platform: String,
    /// EKS cluster name (from `--cluster` or the context's EKS ARN), when known.
    pub cluster_name: Option<String>,
}

/// What kind of thing launches or groups a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PoolKind {
    /// Karpenter NodePool (karpenter.sh/v1 or v1beta1).
    NodePool,
    /// Karpenter Provisioner (karpenter.sh/v1alpha5).
    Provisioner,
    /// EKS managed node group.
    NodeGroup,
    /// Not launched by any known pool.
    None,
}

/// A node's pool, as named by its labels.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PoolRef {
    pub kind: PoolKind,
    /// Empty for `PoolKind::None`.
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    /// NoSchedule, PreferNoSchedule or NoExecute.
    pub effect: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Toleration {
    pub key: Option<String>,
    /// Exists or Equal (None means Equal).
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
}

/// One `matchExpressions` entry of a node selector term or a Karpenter requirement.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Requirement {
    pub key: String,
    /// In, NotIn, Exists, DoesNotExist, Gt, Lt.
    pub operator: String,
    pub values: Vec<String>,
}

/// Where a pod template may go: nodeSelector, required node affinity, tolerations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    pub node_selector: Labels,
    /// Required node affinity: OR of terms, each an AND of requirements. Empty = no affinity.
    pub affinity_terms: Vec<Vec<Requirement>>,
    pub tolerations: Vec<Toleration>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub name: String,
    pub pool: PoolRef,
    /// kubelet version as reported (`status.nodeInfo.kubeletVersion`).
    pub kubelet_version: String,
    pub kube_proxy_version: String,
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    /// Ready condition: Some(true) Ready, Some(false) NotReady, None Unknown/absent.
    pub ready: Option<bool>,
    pub created: Option<jiff::Timestamp>,
    pub instance_type: Option<String>,
    pub zone: Option<String>,
    /// Being deleted (deletionTimestamp set).
    pub deleting: bool,
    /// Annotations kup itself reads (rotation markers); others are dropped.
    pub kup_annotations: Labels,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    /// Evictions carry it as a precondition, so a same-named successor is never evicted.
    pub uid: String,
    pub node_name: Option<String>,
    /// Pending, Running, Succeeded, Failed, Unknown.
    pub phase: String,
    pub ready: bool,
    /// The controller owner reference, if any.
    pub owner: Option<OwnerRef>,
    /// Read only with the PodDisruptionBudgets (`ReadScope::pdbs`), whose selectors are their
    /// only use; empty in a snapshot read without PDBs. Shared: the pods of one ReplicaSet
    /// carry the same labels, and at 150,000 pods a map each is ~100 MB.
    #[serde(serialize_with = "shared_labels")]
    pub labels: Arc<Labels>,
    /// Mirror (static) pod: `kubernetes.io/config.mirror` annotation.
    pub mirror: bool,
    pub uses_empty_dir: bool,
    /// `karpenter.sh/do-not-disrupt` or `karpenter.sh/do-not-evict` set to "true".
    pub do_not_disrupt: bool,
    pub deleting: bool,
    /// Kept only for pods without a known owner (bare pods), whose placement is their own.
    /// Boxed: nearly every pod has none, and inline it would cost 64 bytes a pod.
    pub placement: Option<Box<Placement>>,
}

fn shared_labels<S: serde::Serializer>(labels: &Arc<Labels>, s: S) -> Result<S::Ok, S::Error> {
    labels.as_ref().serialize(s)
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pdb {
    pub namespace: String,
    pub name: String,
    /// matchLabels + matchExpressions of `spec.selector`; None selects nothing.
    pub selector: Option<Selector>,
    pub min_available: Option<String>,
    pub max_unavailable: Option<String>,
    pub disruptions_allowed: i32,
    pub current_healthy: i32,
    pub desired_healthy: i32,
    pub expected_pods: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    pub match_labels: Labels,
    pub match_expressions: Vec<Requirement>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
    Pod,
}

impl WorkloadKind {
    /// From an object's (or an owner reference's) `kind`.
    pub fn from_kind(kind: &str) -> Option<WorkloadKind> {
        Some(match kind {
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            "Pod" => WorkloadKind::Pod,
            _ => return None,
        })
    }

    /// The `kind` as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Pod => "Pod",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// Owner of a ReplicaSet (Deployment) or Job (CronJob), so pods can be traced to the top.
    pub owner: Option<OwnerRef>,
    pub replicas: Option<i32>,
    pub ready_replicas: Option<i32>,
    pub placement: Placement,
    pub annotations: Labels,
}

/// A node pool: anything that launches or groups nodes.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pool {
    pub pool: PoolRef,
    /// e.g. `karpenter.sh/v1`, `karpenter.sh/v1alpha5`, `eks` or `labels`.
    pub source: String,
    /// Labels every node of the pool carries (incl. single-value `In` requirements).
    pub labels: Labels,
    pub taints: Vec<Taint>,
    pub startup_taints: Vec<Taint>,
    pub requirements: Vec<Requirement>,
}
