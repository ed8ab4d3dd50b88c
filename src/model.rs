//! Compact snapshot of a cluster: what kup keeps after reading the API (raw objects are
//! dropped page by page). Everything in `checks/` and `rotate/` works on these types only.

use serde::Serialize;

use crate::eks::EksSection;
use crate::version::{Version, VersionError, control_plane_version};
use std::collections::BTreeMap;
use std::sync::Arc;

mod shared;
pub use shared::SharedStr;

pub type Labels = BTreeMap<String, String>;

/// The node annotation holding `kup rotate`'s marker (`rotate::Marker`): written by the
/// cluster code, read by the planner.
pub const ROTATION_ANNOTATION: &str = "kup.dev/rotation";

/// The workloads whose pods `kup rotate` moves off a node, written with the cordon as
/// `Kind/NAMESPACE/NAME,...` (`rotate::marker::format_workloads`): a run that resumes after
/// those pods are gone (an earlier run evicted them) still waits for the workloads to be
/// available again before it calls the node verified.
pub const WORKLOADS_ANNOTATION: &str = "kup.dev/rotation-workloads";

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
    /// When the snapshot was taken (for node ages and EKS support dates).
    pub taken_at: Option<jiff::Timestamp>,
    /// What EKS says about the cluster (`kup check`), or why it was not read.
    pub eks: EksSection,
    /// What kup read about Karpenter (`kup check`, `kup drift`, `kup rotate`); None when the
    /// command did not ask.
    pub karpenter: Option<crate::karpenter::KarpenterInfo>,
    /// kube-proxy, coredns and aws-node in kube-system with their images (`kup check`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub core_components: Vec<crate::addons::CoreComponent>,
    /// Where removed APIs are used (`kup check`); None when the command did not ask.
    pub apis: Option<crate::apis::ApiUsage>,
}

#[derive(Clone, Debug, Serialize)]
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
    /// The version, parsed once when the snapshot is taken (see `ControlPlane::new`).
    #[serde(skip)]
    pub parsed: Result<Version, VersionError>,
}

impl ControlPlane {
    /// From `/version`'s fields; parses the version here, once, for every check and report.
    pub fn new(
        git_version: impl Into<String>,
        major: impl Into<String>,
        minor: impl Into<String>,
        platform: impl Into<String>,
        cluster_name: Option<String>,
    ) -> ControlPlane {
        let (git_version, major, minor) = (git_version.into(), major.into(), minor.into());
        let parsed = control_plane_version(&git_version, &major, &minor);
        ControlPlane {
            git_version,
            major,
            minor,
            platform: platform.into(),
            cluster_name,
            parsed,
        }
    }

    /// The control plane's version, None when `/version` does not parse.
    pub fn version(&self) -> Option<&Version> {
        self.parsed.as_ref().ok()
    }
}

impl Default for ControlPlane {
    fn default() -> ControlPlane {
        ControlPlane::new("", "", "", "", None)
    }
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

impl PoolKind {
    /// The kinds a node's labels can name, in the order a node's labels are read.
    pub const NAMED: [PoolKind; 3] = [
        PoolKind::NodePool,
        PoolKind::Provisioner,
        PoolKind::NodeGroup,
    ];

    /// The word flags, policies and labels use: `nodepool`, `provisioner`, `nodegroup`, `none`.
    pub fn word(self) -> &'static str {
        match self {
            PoolKind::NodePool => "nodepool",
            PoolKind::Provisioner => "provisioner",
            PoolKind::NodeGroup => "nodegroup",
            PoolKind::None => "none",
        }
    }

    /// A kind's word as a user writes it (any case, singular or plural, like kubectl's
    /// resource names); `none` is not a kind one can name.
    pub fn parse(word: &str) -> Option<PoolKind> {
        let w = word.to_ascii_lowercase();
        let w = w.strip_suffix('s').unwrap_or(&w);
        PoolKind::NAMED.into_iter().find(|k| k.word() == w)
    }

    /// The label naming a node's pool, which every node of that pool carries.
    pub fn identity_label(self) -> Option<&'static str> {
        match self {
            PoolKind::NodePool => Some("karpenter.sh/nodepool"),
            PoolKind::Provisioner => Some("karpenter.sh/provisioner-name"),
            PoolKind::NodeGroup => Some("eks.amazonaws.com/nodegroup"),
            PoolKind::None => None,
        }
    }

    /// Karpenter launches nodes of this kind for pending pods (a node group only grows
    /// through EKS).
    pub fn is_karpenter(self) -> bool {
        matches!(self, PoolKind::NodePool | PoolKind::Provisioner)
    }
}

impl PoolRef {
    /// The pool a node's labels name (its first identity label), or none.
    pub fn of_labels(labels: &Labels) -> PoolRef {
        PoolKind::NAMED
            .into_iter()
            .find_map(|kind| {
                let name = labels.get(kind.identity_label()?)?;
                Some(PoolRef {
                    kind,
                    name: name.clone(),
                })
            })
            .unwrap_or(PoolRef {
                kind: PoolKind::None,
                name: String::new(),
            })
    }
}

/// `nodepool/default`, `provisioner/default`, `nodegroup/mng-1`, `<none>`.
impl std::fmt::Display for PoolRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            PoolKind::None => f.write_str("<none>"),
            kind => write!(f, "{}/{}", kind.word(), self.name),
        }
    }
}

/// `--pool NAME` (a pool of any kind) or `KIND/NAME`; also a policy's pool in `.kup.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolFilter {
    pub kind: Option<PoolKind>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid pool {0:?}: expected NAME or KIND/NAME with KIND one of nodepool, provisioner, \
     nodegroup"
)]
pub struct BadPool(pub String);

impl std::str::FromStr for PoolFilter {
    type Err = BadPool;
    fn from_str(s: &str) -> Result<PoolFilter, BadPool> {
        let bad = || BadPool(s.to_string());
        let (kind, name) = match s.split_once('/') {
            Some((k, n)) => (Some(PoolKind::parse(k).ok_or_else(bad)?), n),
            None => (None, s),
        };
        if name.is_empty() || name.contains('/') {
            return Err(bad());
        }
        Ok(PoolFilter {
            kind,
            name: name.to_string(),
        })
    }
}

impl PoolFilter {
    pub fn matches(&self, pool: &PoolRef) -> bool {
        pool.kind != PoolKind::None
            && pool.name == self.name
            && self.kind.is_none_or(|k| k == pool.kind)
    }
}

/// As the user would write it: `default` or `nodepool/default`.
impl std::fmt::Display for PoolFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Some(kind) => write!(f, "{}/{}", kind.word(), self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl Serialize for PoolFilter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    /// NoSchedule, PreferNoSchedule or NoExecute.
    pub effect: String,
}

impl Taint {
    /// A taint that comes and goes with a node's life (cordon, drain, start-up, pressure,
    /// Karpenter's and the cluster autoscaler's disruption, kup's own): not the shape of the
    /// node's pool, and not something a pod must tolerate to fit the node in steady state.
    /// `node.kubernetes.io/unschedulable` is the cordon kup itself sets while rotating:
    /// counting it would call every pod on a rotating node misplaced.
    pub fn is_transient(&self) -> bool {
        const PREFIXES: &[&str] = &[
            "node.kubernetes.io/",
            "node.cloudprovider.kubernetes.io/",
            "karpenter.sh/",
            "kup.dev/",
        ];
        const KEYS: &[&str] = &[
            "ToBeDeletedByClusterAutoscaler",
            "DeletionCandidateOfClusterAutoscaler",
        ];
        PREFIXES.iter().any(|p| self.key.starts_with(p)) || KEYS.contains(&self.key.as_str())
    }
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
    /// `status.nodeInfo.osImage` (`Amazon Linux 2`, `Amazon Linux 2023.7.20250609`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os_image: String,
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
    /// Annotations kup itself reads (rotation markers, `karpenter.sh/do-not-disrupt`); others
    /// are dropped.
    pub kup_annotations: Labels,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnerRef {
    pub kind: SharedStr,
    pub name: SharedStr,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    /// Namespace, node name, phase and owner are shared between the pods that have the same
    /// (see `SharedStr`): at 150,000 pods a `String` each would cost ~30 MB.
    pub namespace: SharedStr,
    pub name: String,
    /// Evictions carry it as a precondition, so a same-named successor is never evicted.
    pub uid: String,
    pub node_name: Option<SharedStr>,
    /// Pending, Running, Succeeded, Failed, Unknown.
    pub phase: SharedStr,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_kinds_have_one_word_and_one_identity_label() {
        for kind in PoolKind::NAMED {
            assert_eq!(PoolKind::parse(kind.word()), Some(kind));
            assert_eq!(PoolKind::parse(&format!("{}S", kind.word())), Some(kind));
            let label = kind.identity_label().unwrap_or_default();
            let labels = Labels::from([(label.to_string(), "p".to_string())]);
            assert_eq!(
                PoolRef::of_labels(&labels),
                PoolRef {
                    kind,
                    name: "p".into()
                }
            );
        }
        assert_eq!(PoolKind::parse("none"), None);
        assert_eq!(PoolRef::of_labels(&Labels::new()).kind, PoolKind::None);
    }

    #[test]
    fn pool_refs_and_filters_display_as_users_write_them() {
        let np = PoolRef {
            kind: PoolKind::NodePool,
            name: "default".into(),
        };
        assert_eq!(np.to_string(), "nodepool/default");
        let none = PoolRef {
            kind: PoolKind::None,
            name: String::new(),
        };
        assert_eq!(none.to_string(), "<none>");
        let any: PoolFilter = "default".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(any.matches(&np) && !any.matches(&none));
        let typed: PoolFilter = "NodePools/default"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(typed.to_string(), "nodepool/default");
        for bad in ["", "x/default", "nodepool/", "nodepool/a/b", "none/x"] {
            assert!(bad.parse::<PoolFilter>().is_err(), "{bad:?}");
        }
    }
}
