//! The lean prost messages of list items (only the fields the lean JSON views read, with the
//! tags of Kubernetes' generated.proto as k8s-pb 0.9 carries them) and their mapping into
//! lean.rs's serde structs.

use super::super::lean::{
    AllAnnotations, AllLabels, Controller, IgnoredAnnotations, KupAnnotations, LabelsView,
    LeanAffinity, LeanCondition, LeanCronJob, LeanCronJobSpec, LeanDaemonSet, LeanDaemonSetStatus,
    LeanJob, LeanJobSpec, LeanJobStatus, LeanJobTemplate, LeanLabelSelector, LeanMeta, LeanName,
    LeanNameMeta, LeanNode, LeanNodeAffinity, LeanNodeInfo, LeanNodeSelector, LeanNodeSpec,
    LeanNodeStatus, LeanOwner, LeanPdb, LeanPdbSpec, LeanPdbStatus, LeanPod, LeanPodSpec,
    LeanPodStatus, LeanRequirement, LeanScaled, LeanScaledSpec, LeanScaledStatus, LeanTaint,
    LeanTemplate, LeanTemplated, LeanTerm, LeanToleration, LeanVolume, NoLabels, NodeReady,
    PodAnnotations, PodReady, UsesEmptyDir,
};
use super::{map_entry, utf8};
use crate::model::{Labels, Workload};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use prost::bytes::Bytes;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::collections::BTreeMap;

// ---- items ---------------------------------------------------------------------------------

/// A list item read from protobuf into its lean view.
pub trait Item: Sized {
    /// The lean prost message of one item.
    type Pb: Message + Default;
    fn from_pb(pb: Self::Pb) -> Result<Self, Bad>;
}

/// Why an item cannot be read, and which object it is.
pub struct Bad {
    pub(super) who: Option<String>,
    pub(super) reason: String,
}

/// A field the JSON view requires: absent, the item is an error saying so.
fn required<T>(v: Option<T>, what: &'static str) -> Result<T, String> {
    v.ok_or_else(|| what.to_string())
}

/// An `omitempty` string: empty is absent.
fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// A repeated field: empty is absent, as the JSON of an `omitempty` list.
fn some_vec<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

// ---- shared messages -----------------------------------------------------------------------

#[derive(Message)]
pub struct PbTime {
    #[prost(int64, optional, tag = "1")]
    seconds: Option<i64>,
    #[prost(int32, optional, tag = "2")]
    nanos: Option<i32>,
}

/// Go writes the zero time as an empty message and reads one back as the zero time, which
/// its JSON writes as null.
fn time(t: Option<PbTime>) -> Result<Option<Time>, String> {
    match t {
        None
        | Some(PbTime {
            seconds: None,
            nanos: None,
        }) => Ok(None),
        Some(t) => {
            let (s, n) = (t.seconds.unwrap_or(0), t.nanos.unwrap_or(0));
            jiff::Timestamp::new(s, n)
                .map(|ts| Some(Time(ts)))
                .map_err(|_| format!("timestamp {s}s {n}ns out of range"))
        }
    }
}

#[derive(Message)]
pub struct PbOwner {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(bool, optional, tag = "6")]
    controller: Option<bool>,
}

/// Object metadata with labels.
#[derive(Message)]
pub struct PbMeta {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "3")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "5")]
    uid: Option<String>,
    #[prost(message, optional, tag = "8")]
    creation_timestamp: Option<PbTime>,
    #[prost(message, optional, tag = "9")]
    deletion_timestamp: Option<PbTime>,
    #[prost(btree_map = "string, string", tag = "11")]
    labels: BTreeMap<String, String>,
    /// Raw map entries, sliced from the page: each view keeps what it needs.
    #[prost(bytes = "bytes", repeated, tag = "12")]
    annotations: Vec<Bytes>,
    #[prost(message, repeated, tag = "13")]
    owner_references: Vec<PbOwner>,
}

/// Object metadata without labels (pods read without PDBs).
#[derive(Message)]
pub struct PbMetaNoLabels {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "3")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "5")]
    uid: Option<String>,
    #[prost(message, optional, tag = "8")]
    creation_timestamp: Option<PbTime>,
    #[prost(message, optional, tag = "9")]
    deletion_timestamp: Option<PbTime>,
    #[prost(bytes = "bytes", repeated, tag = "12")]
    annotations: Vec<Bytes>,
    #[prost(message, repeated, tag = "13")]
    owner_references: Vec<PbOwner>,
}

impl From<PbMetaNoLabels> for PbMeta {
    fn from(m: PbMetaNoLabels) -> PbMeta {
        PbMeta {
            name: m.name,
            namespace: m.namespace,
            uid: m.uid,
            creation_timestamp: m.creation_timestamp,
            deletion_timestamp: m.deletion_timestamp,
            labels: BTreeMap::new(),
            annotations: m.annotations,
            owner_references: m.owner_references,
        }
    }
}

impl PbMeta {
    fn who(&self) -> Option<String> {
        let name = self.name.as_deref().filter(|n| !n.is_empty())?;
        Some(match self.namespace.as_deref().filter(|n| !n.is_empty()) {
            Some(ns) => format!("{ns}/{name}"),
            None => name.to_string(),
        })
    }

    fn bad(&self, reason: String) -> Bad {
        Bad {
            who: self.who(),
            reason,
        }
    }

    /// Checks a part of the object read before the metadata, naming the object on failure.
    fn check<T>(&self, r: Result<T, String>) -> Result<T, Bad> {
        r.map_err(|reason| self.bad(reason))
    }
}

/// How a lean view reads annotations from protobuf entries.
pub trait PbAnnotations: Default {
    /// Whether the entries are read at all.
    const READ: bool = true;
    fn note(&mut self, key: &str, value: &str);
}

impl PbAnnotations for PodAnnotations {
    fn note(&mut self, key: &str, value: &str) {
        PodAnnotations::note(self, key, value);
    }
}

impl PbAnnotations for KupAnnotations {
    fn note(&mut self, key: &str, value: &str) {
        KupAnnotations::note(self, Cow::Borrowed(key), Cow::Borrowed(value));
    }
}

impl PbAnnotations for AllAnnotations {
    fn note(&mut self, key: &str, value: &str) {
        self.0.insert(key.to_string(), value.to_string());
    }
}

impl PbAnnotations for IgnoredAnnotations {
    const READ: bool = false;
    fn note(&mut self, _: &str, _: &str) {}
}

/// How a lean view takes labels read from protobuf.
pub trait PbLabels: LabelsView {
    /// The metadata message: without labels, prost skips them.
    type Meta: Message + Default + Into<PbMeta>;
    fn take(labels: Labels) -> Self;
}

impl PbLabels for AllLabels {
    type Meta = PbMeta;
    fn take(labels: Labels) -> Self {
        AllLabels(labels)
    }
}

impl PbLabels for NoLabels {
    type Meta = PbMetaNoLabels;
    fn take(_: Labels) -> Self {
        NoLabels
    }
}

fn lean_meta<A: PbAnnotations, L: PbLabels>(mut m: PbMeta) -> Result<LeanMeta<A, L>, Bad> {
    let mut annotations = A::default();
    if A::READ {
        for entry in std::mem::take(&mut m.annotations) {
            let (k, v) = m.check(map_entry(entry))?;
            annotations.note(m.check(utf8(&k))?, m.check(utf8(&v))?);
        }
    }
    let mut owner_references = Controller::default();
    for o in std::mem::take(&mut m.owner_references) {
        let (Some(kind), Some(name)) = (o.kind, o.name) else {
            return Err(m.bad("owner reference without kind or name".into()));
        };
        owner_references.note(LeanOwner {
            kind,
            name,
            controller: o.controller,
        });
    }
    let (created, deleted) = (m.creation_timestamp.take(), m.deletion_timestamp.take());
    let creation_timestamp = m.check(time(created))?;
    let deletion_timestamp = m.check(time(deleted))?;
    Ok(LeanMeta {
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        labels: L::take(m.labels),
        annotations,
        owner_references,
        creation_timestamp,
        deletion_timestamp,
    })
}

#[derive(Message)]
pub struct PbCondition {
    #[prost(string, optional, tag = "1")]
    type_: Option<String>,
    #[prost(string, optional, tag = "2")]
    status: Option<String>,
}

fn condition(c: &PbCondition) -> Result<LeanCondition<'_>, String> {
    Ok(LeanCondition {
        type_: Cow::Borrowed(required(c.type_.as_deref(), "condition without type")?),
        status: Cow::Borrowed(required(c.status.as_deref(), "condition without status")?),
    })
}

/// A NodeSelectorRequirement or a LabelSelectorRequirement (same fields, same tags).
#[derive(Message)]
pub struct PbRequirement {
    #[prost(string, optional, tag = "1")]
    key: Option<String>,
    #[prost(string, optional, tag = "2")]
    operator: Option<String>,
    #[prost(string, repeated, tag = "3")]
    values: Vec<String>,
}

fn requirement(r: PbRequirement) -> Result<LeanRequirement, String> {
    Ok(LeanRequirement {
        key: required(r.key, "selector requirement without key")?,
        operator: required(r.operator, "selector requirement without operator")?,
        values: some_vec(r.values),
    })
}

fn requirements(rs: Vec<PbRequirement>) -> Result<Option<Vec<LeanRequirement>>, String> {
    let rs = rs
        .into_iter()
        .map(requirement)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(some_vec(rs))
}

#[derive(Message)]
pub struct PbToleration {
    #[prost(string, optional, tag = "1")]
    key: Option<String>,
    #[prost(string, optional, tag = "2")]
    operator: Option<String>,
    #[prost(string, optional, tag = "3")]
    value: Option<String>,
    #[prost(string, optional, tag = "4")]
    effect: Option<String>,
}

#[derive(Message)]
pub struct PbNodeSelectorTerm {
    #[prost(message, repeated, tag = "1")]
    match_expressions: Vec<PbRequirement>,
}

#[derive(Message)]
pub struct PbNodeSelector {
    #[prost(message, repeated, tag = "1")]
    node_selector_terms: Vec<PbNodeSelectorTerm>,
}

#[derive(Message)]
pub struct PbNodeAffinity {
    #[prost(message, optional, tag = "1")]
    required_during_scheduling_ignored_during_execution: Option<PbNodeSelector>,
}

#[derive(Message)]
pub struct PbAffinity {
    #[prost(message, optional, tag = "1")]
    node_affinity: Option<PbNodeAffinity>,
}

/// An empty message (an `emptyDir` is only checked for presence).
#[derive(Message)]
pub struct PbPresent {}

#[derive(Message)]
pub struct PbVolumeSource {
    #[prost(message, optional, tag = "2")]
    empty_dir: Option<PbPresent>,
}

#[derive(Message)]
pub struct PbVolume {
    /// Go inlines VolumeSource in JSON; protobuf nests it.
    #[prost(message, optional, tag = "2")]
    volume_source: Option<PbVolumeSource>,
}

#[derive(Message)]
pub struct PbPodSpec {
    #[prost(message, repeated, tag = "1")]
    volumes: Vec<PbVolume>,
    #[prost(btree_map = "string, string", tag = "7")]
    node_selector: BTreeMap<String, String>,
    #[prost(string, optional, tag = "10")]
    node_name: Option<String>,
    #[prost(message, optional, tag = "18")]
    affinity: Option<PbAffinity>,
    #[prost(message, repeated, tag = "22")]
    tolerations: Vec<PbToleration>,
}

fn pod_spec(s: PbPodSpec) -> Result<LeanPodSpec, String> {
    let mut volumes = UsesEmptyDir::default();
    for v in &s.volumes {
        let empty_dir = v.volume_source.as_ref().and_then(|s| s.empty_dir.as_ref());
        volumes.note(&LeanVolume {
            empty_dir: empty_dir.map(|_| IgnoredAny),
        });
    }
    let affinity = match s.affinity {
        None => None,
        Some(a) => Some(LeanAffinity {
            node_affinity: match a.node_affinity {
                None => None,
                Some(na) => Some(LeanNodeAffinity {
                    required_during_scheduling_ignored_during_execution: match na
                        .required_during_scheduling_ignored_during_execution
                    {
                        None => None,
                        Some(sel) => Some(LeanNodeSelector {
                            node_selector_terms: sel
                                .node_selector_terms
                                .into_iter()
                                .map(|t| {
                                    Ok(LeanTerm {
                                        match_expressions: requirements(t.match_expressions)?,
                                    })
                                })
                                .collect::<Result<_, String>>()?,
                        }),
                    },
                }),
            },
        }),
    };
    let tolerations = s
        .tolerations
        .into_iter()
        .map(|t| LeanToleration {
            key: nonempty(t.key),
            operator: nonempty(t.operator),
            value: nonempty(t.value),
            effect: nonempty(t.effect),
        })
        .collect();
    Ok(LeanPodSpec {
        node_name: nonempty(s.node_name),
        node_selector: (!s.node_selector.is_empty()).then_some(s.node_selector),
        affinity,
        tolerations: some_vec(tolerations),
        volumes,
    })
}

#[derive(Message)]
pub struct PbTemplate {
    #[prost(message, optional, tag = "2")]
    spec: Option<PbPodSpec>,
}

fn template(t: Option<PbTemplate>) -> Result<Option<LeanTemplate>, String> {
    t.map(|t| {
        Ok(LeanTemplate {
            spec: t.spec.map(pod_spec).transpose()?,
        })
    })
    .transpose()
}

// ---- nodes ---------------------------------------------------------------------------------

#[derive(Message)]
pub struct PbTaint {
    #[prost(string, optional, tag = "1")]
    key: Option<String>,
    #[prost(string, optional, tag = "2")]
    value: Option<String>,
    #[prost(string, optional, tag = "3")]
    effect: Option<String>,
}

#[derive(Message)]
pub struct PbNodeSpec {
    #[prost(bool, optional, tag = "4")]
    unschedulable: Option<bool>,
    #[prost(message, repeated, tag = "5")]
    taints: Vec<PbTaint>,
}

#[derive(Message)]
pub struct PbNodeInfo {
    #[prost(string, optional, tag = "5")]
    os_image: Option<String>,
    #[prost(string, optional, tag = "7")]
    kubelet_version: Option<String>,
    #[prost(string, optional, tag = "8")]
    kube_proxy_version: Option<String>,
}

#[derive(Message)]
pub struct PbNodeStatus {
    #[prost(message, repeated, tag = "4")]
    conditions: Vec<PbCondition>,
    #[prost(message, optional, tag = "7")]
    node_info: Option<PbNodeInfo>,
}

#[derive(Message)]
pub struct PbNode {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PbMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PbNodeSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<PbNodeStatus>,
}

fn node_spec(s: PbNodeSpec) -> Result<LeanNodeSpec, String> {
    let taints = s
        .taints
        .into_iter()
        .map(|t| {
            Ok(LeanTaint {
                key: required(t.key, "taint without key")?,
                value: t.value,
                effect: required(t.effect, "taint without effect")?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(LeanNodeSpec {
        taints: some_vec(taints),
        unschedulable: s.unschedulable,
    })
}

fn node_status(s: PbNodeStatus) -> Result<LeanNodeStatus, String> {
    let (mut seen, mut conditions) = (false, NodeReady::default());
    for c in &s.conditions {
        conditions.note(&mut seen, &condition(c)?);
    }
    let node_info = s
        .node_info
        .map(|i| {
            Ok::<_, String>(LeanNodeInfo {
                kubelet_version: required(i.kubelet_version, "nodeInfo without kubeletVersion")?,
                kube_proxy_version: required(
                    i.kube_proxy_version,
                    "nodeInfo without kubeProxyVersion",
                )?,
                os_image: i.os_image.unwrap_or_default(),
            })
        })
        .transpose()?;
    Ok(LeanNodeStatus {
        node_info,
        conditions,
    })
}

impl Item for LeanNode {
    type Pb = PbNode;
    fn from_pb(n: PbNode) -> Result<Self, Bad> {
        let meta = n.metadata.unwrap_or_default();
        let spec = meta.check(n.spec.map(node_spec).transpose())?;
        let status = meta.check(n.status.map(node_status).transpose())?;
        Ok(LeanNode {
            metadata: lean_meta(meta)?,
            spec,
            status,
        })
    }
}

#[derive(Message)]
pub struct PbNameMeta {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
}

#[derive(Message)]
pub struct PbName {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PbNameMeta>,
}

/// Only an object's name (node selections, namespaces).
impl Item for LeanName {
    type Pb = PbName;
    fn from_pb(n: PbName) -> Result<Self, Bad> {
        Ok(LeanName {
            metadata: LeanNameMeta {
                name: n.metadata.and_then(|m| m.name),
            },
        })
    }
}

// ---- pods ----------------------------------------------------------------------------------

#[derive(Message)]
pub struct PbPodStatus {
    #[prost(string, optional, tag = "1")]
    phase: Option<String>,
    #[prost(message, repeated, tag = "2")]
    conditions: Vec<PbCondition>,
}

#[derive(Message)]
#[prost(skip_debug)]
pub struct PbPod<M: Message + Default> {
    #[prost(message, optional, tag = "1")]
    metadata: Option<M>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PbPodSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<PbPodStatus>,
}

// prost's derived Debug does not carry the type parameter's bounds.
impl<M: Message + Default> std::fmt::Debug for PbPod<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("PbPod").finish_non_exhaustive()
    }
}

fn pod_status(s: PbPodStatus) -> Result<LeanPodStatus, String> {
    let mut conditions = PodReady::default();
    for c in &s.conditions {
        conditions.note(&condition(c)?);
    }
    Ok(LeanPodStatus {
        phase: nonempty(s.phase),
        conditions,
    })
}

impl<L: PbLabels> Item for LeanPod<L> {
    type Pb = PbPod<L::Meta>;
    fn from_pb(p: PbPod<L::Meta>) -> Result<Self, Bad> {
        let meta: PbMeta = p.metadata.unwrap_or_default().into();
        let spec = meta.check(p.spec.map(pod_spec).transpose())?;
        let status = meta.check(p.status.map(pod_status).transpose())?;
        Ok(LeanPod {
            metadata: lean_meta(meta)?,
            spec,
            status,
        })
    }
}

// ---- PodDisruptionBudgets ------------------------------------------------------------------

#[derive(Message)]
pub struct PbIntOrString {
    #[prost(int64, optional, tag = "1")]
    type_: Option<i64>,
    #[prost(int32, optional, tag = "2")]
    int_val: Option<i32>,
    #[prost(string, optional, tag = "3")]
    str_val: Option<String>,
}

/// Go's IntOrString: type 0 an int (the default), 1 a string.
fn int_or_string(v: PbIntOrString) -> Result<IntOrString, String> {
    match v.type_.unwrap_or(0) {
        0 => Ok(IntOrString::Int(v.int_val.unwrap_or(0))),
        1 => Ok(IntOrString::String(v.str_val.unwrap_or_default())),
        t => Err(format!("IntOrString of unknown type {t}")),
    }
}

#[derive(Message)]
pub struct PbLabelSelector {
    #[prost(btree_map = "string, string", tag = "1")]
    match_labels: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "2")]
    match_expressions: Vec<PbRequirement>,
}

#[derive(Message)]
pub struct PbPdbSpec {
    #[prost(message, optional, tag = "1")]
    min_available: Option<PbIntOrString>,
    #[prost(message, optional, tag = "2")]
    selector: Option<PbLabelSelector>,
    #[prost(message, optional, tag = "3")]
    max_unavailable: Option<PbIntOrString>,
}

#[derive(Message)]
pub struct PbPdbStatus {
    #[prost(int32, optional, tag = "3")]
    disruptions_allowed: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    current_healthy: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    desired_healthy: Option<i32>,
    #[prost(int32, optional, tag = "6")]
    expected_pods: Option<i32>,
}

#[derive(Message)]
pub struct PbPdb {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PbMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PbPdbSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<PbPdbStatus>,
}

fn pdb_spec(s: PbPdbSpec) -> Result<LeanPdbSpec, String> {
    let selector = s
        .selector
        .map(|sel| {
            Ok::<_, String>(LeanLabelSelector {
                match_labels: (!sel.match_labels.is_empty()).then_some(sel.match_labels),
                match_expressions: requirements(sel.match_expressions)?,
            })
        })
        .transpose()?;
    Ok(LeanPdbSpec {
        selector,
        min_available: s.min_available.map(int_or_string).transpose()?,
        max_unavailable: s.max_unavailable.map(int_or_string).transpose()?,
    })
}

fn pdb_status(s: PbPdbStatus) -> Result<LeanPdbStatus, String> {
    Ok(LeanPdbStatus {
        current_healthy: required(s.current_healthy, "status without currentHealthy")?,
        desired_healthy: required(s.desired_healthy, "status without desiredHealthy")?,
        disruptions_allowed: required(s.disruptions_allowed, "status without disruptionsAllowed")?,
        expected_pods: required(s.expected_pods, "status without expectedPods")?,
    })
}

impl Item for LeanPdb {
    type Pb = PbPdb;
    fn from_pb(p: PbPdb) -> Result<Self, Bad> {
        let meta = p.metadata.unwrap_or_default();
        let spec = meta.check(p.spec.map(pdb_spec).transpose())?;
        let status = meta.check(p.status.map(pdb_status).transpose())?;
        Ok(LeanPdb {
            metadata: lean_meta(meta)?,
            spec,
            status,
        })
    }
}

// ---- workloads -----------------------------------------------------------------------------

/// The spec of a Deployment, StatefulSet or ReplicaSet: the same tags in all three.
#[derive(Message)]
pub struct PbScaledSpec {
    #[prost(int32, optional, tag = "1")]
    replicas: Option<i32>,
    #[prost(message, optional, tag = "3")]
    template: Option<PbTemplate>,
}

/// `readyReplicas`, whose tag differs between the three kinds.
pub trait ReadyReplicas: Message + Default {
    fn ready_replicas(&self) -> Option<i32>;
}

#[derive(Message)]
pub struct PbDeploymentStatus {
    #[prost(int32, optional, tag = "7")]
    ready_replicas: Option<i32>,
}

#[derive(Message)]
pub struct PbStatefulSetStatus {
    #[prost(int32, optional, tag = "3")]
    ready_replicas: Option<i32>,
}

#[derive(Message)]
pub struct PbReplicaSetStatus {
    #[prost(int32, optional, tag = "4")]
    ready_replicas: Option<i32>,
}

#[derive(Message)]
#[prost(skip_debug)]
pub struct PbScaled<S: ReadyReplicas> {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PbMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PbScaledSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<S>,
}

impl<S: ReadyReplicas> std::fmt::Debug for PbScaled<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("PbScaled")
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

fn lean_scaled<S: ReadyReplicas>(w: PbScaled<S>) -> Result<LeanScaled, Bad> {
    let meta = w.metadata.unwrap_or_default();
    let spec = meta.check(
        w.spec
            .map(|s| {
                Ok(LeanScaledSpec {
                    replicas: s.replicas,
                    template: template(s.template)?,
                })
            })
            .transpose(),
    )?;
    Ok(LeanScaled {
        metadata: lean_meta(meta)?,
        spec,
        status: w.status.map(|s| LeanScaledStatus {
            ready_replicas: s.ready_replicas(),
        }),
    })
}

macro_rules! scaled_kind {
    ($item:ident, $status:ident, $convert:ident, $doc:literal) => {
        impl ReadyReplicas for $status {
            fn ready_replicas(&self) -> Option<i32> {
                self.ready_replicas
            }
        }

        #[doc = $doc]
        pub struct $item(LeanScaled);

        impl Item for $item {
            type Pb = PbScaled<$status>;
            fn from_pb(w: PbScaled<$status>) -> Result<Self, Bad> {
                lean_scaled(w).map($item)
            }
        }

        pub fn $convert(w: $item) -> Workload {
            super::super::lean::$convert(w.0)
        }
    };
}

scaled_kind!(
    Deployment,
    PbDeploymentStatus,
    deployment,
    "A Deployment read from protobuf."
);
scaled_kind!(
    StatefulSet,
    PbStatefulSetStatus,
    stateful_set,
    "A StatefulSet read from protobuf."
);
scaled_kind!(
    ReplicaSet,
    PbReplicaSetStatus,
    replica_set,
    "A ReplicaSet read from protobuf."
);

#[derive(Message)]
pub struct PbDaemonSetSpec {
    #[prost(message, optional, tag = "2")]
    template: Option<PbTemplate>,
}

#[derive(Message)]
pub struct PbDaemonSetStatus {
    #[prost(int32, optional, tag = "3")]
    desired_number_scheduled: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    number_ready: Option<i32>,
}

#[derive(Message)]
pub struct PbDaemonSet {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PbMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PbDaemonSetSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<PbDaemonSetStatus>,
}

impl Item for LeanDaemonSet {
    type Pb = PbDaemonSet;
    fn from_pb(d: PbDaemonSet) -> Result<Self, Bad> {
        let meta = d.metadata.unwrap_or_default();
        let spec = meta.check(
            d.spec
                .map(|s| {
                    Ok(LeanTemplated {
                        template: template(s.template)?,
                    })
                })
                .transpose(),
        )?;
        let status = meta.check(
            d.status
                .map(|s| {
                    Ok(LeanDaemonSetStatus {
                        desired_number_scheduled: required(
                            s.desired_number_scheduled,
                            "status without desiredNumberScheduled",
                        )?,
                        number_ready: required(s.number_ready, "status without numberReady")?,
                    })
                })
                .transpose(),
        )?;
        Ok(LeanDaemonSet {
            metadata: lean_meta(meta)?,
            spec,
            status,
        })
    }
}

#[derive(Message)]
pub struct PbJobSpec {
    #[prost(int32, optional, tag = "1")]
    parallelism: Option<i32>,
    #[prost(message, optional, tag = "6")]
    template: Option<PbTemplate>,
}

#[derive(Message)]
pub struct PbJobStatus {
    #[prost(int32, optional, tag = "4")]
    active: Option<i32>,
}

#[derive(Message)]
pub struct PbJob {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PbMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PbJobSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<PbJobStatus>,
}

fn job_spec(s: PbJobSpec) -> Result<LeanJobSpec, String> {
    Ok(LeanJobSpec {
        parallelism: s.parallelism,
        template: template(s.template)?,
    })
}

impl Item for LeanJob {
    type Pb = PbJob;
    fn from_pb(j: PbJob) -> Result<Self, Bad> {
        let meta = j.metadata.unwrap_or_default();
        let spec = meta.check(j.spec.map(job_spec).transpose())?;
        Ok(LeanJob {
            metadata: lean_meta(meta)?,
            spec,
            status: j.status.map(|s| LeanJobStatus {
                // `active` is a non-pointer `omitempty` int: 0 is absent in JSON.
                active: s.active.filter(|a| *a != 0),
            }),
        })
    }
}

#[derive(Message)]
pub struct PbJobTemplate {
    #[prost(message, optional, tag = "2")]
    spec: Option<PbJobSpec>,
}

#[derive(Message)]
pub struct PbCronJobSpec {
    #[prost(message, optional, tag = "5")]
    job_template: Option<PbJobTemplate>,
}

#[derive(Message)]
pub struct PbCronJob {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PbMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PbCronJobSpec>,
}

impl Item for LeanCronJob {
    type Pb = PbCronJob;
    fn from_pb(c: PbCronJob) -> Result<Self, Bad> {
        let meta = c.metadata.unwrap_or_default();
        let spec = meta.check(
            c.spec
                .map(|s| {
                    Ok(LeanCronJobSpec {
                        job_template: s
                            .job_template
                            .map(|t| {
                                Ok::<_, String>(LeanJobTemplate {
                                    spec: t.spec.map(job_spec).transpose()?,
                                })
                            })
                            .transpose()?,
                    })
                })
                .transpose(),
        )?;
        Ok(LeanCronJob {
            metadata: lean_meta(meta)?,
            spec,
        })
    }
}
