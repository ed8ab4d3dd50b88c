//! Lean views of list pages: serde structs naming only the fields kup reads (serde skips the
//! rest of each object without allocating), converted item by item into the compact model
//! types while the page is parsed. A pod is ~6 KB of JSON; what survives is a few hundred
//! bytes. Fields kup reads keep the strictness of the k8s-openapi types (a Taint without
//! `effect`, a condition without `status`... fail to decode), so a malformed object still
//! gives a clear `Decode` error naming the resource.

use super::convert::kept_annotation;
use super::intern::shared;
use crate::model::{
    Labels, Node, OwnerRef, Pdb, Placement, Pod, Requirement, Selector, Taint, Toleration,
    Workload, WorkloadKind,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// `metadata` of a list: what paging needs.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListMeta {
    #[serde(rename = "continue")]
    pub continue_: Option<String>,
    pub remaining_item_count: Option<i64>,
}

/// Parses one list page from `bytes`, calling `on_meta` as soon as the list's `metadata` has
/// been read (the server writes it before `items`, so the next page can be requested while
/// this one is still being parsed), and pushing each item, converted, onto `out`.
pub fn parse_page<'de, T, M>(
    bytes: &'de [u8],
    on_meta: &mut dyn FnMut(&ListMeta),
    convert: fn(T) -> M,
    out: &mut Vec<M>,
) -> Result<ListMeta, serde_json::Error>
where
    T: Deserialize<'de>,
    M: Collect,
{
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let meta = PageSeed {
        on_meta,
        convert,
        out,
        item: PhantomData,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(meta)
}

struct PageSeed<'o, T, M> {
    on_meta: &'o mut dyn FnMut(&ListMeta),
    convert: fn(T) -> M,
    out: &'o mut Vec<M>,
    item: PhantomData<T>,
}

/// How a converted item joins the list read so far.
pub trait Collect: Sized {
    fn push_into(self, out: &mut Vec<Self>) {
        out.push(self);
    }
}

impl Collect for Node {}
impl Collect for Pdb {}
impl Collect for Workload {}
impl Collect for String {}

/// How far back a pod looks for a neighbour with the same labels.
const SHARE_LOOKBACK: usize = 4;

impl Collect for Pod {
    /// The API lists pods by namespace and name, so the pods of one ReplicaSet (same labels,
    /// names `<replicaset>-<suffix>`) come side by side: a pod whose labels equal a recent
    /// neighbour's shares its map.
    fn push_into(mut self, out: &mut Vec<Pod>) {
        if let Some(same) = out
            .iter()
            .rev()
            .take(SHARE_LOOKBACK)
            .find(|p| p.labels == self.labels)
        {
            self.labels = same.labels.clone();
        }
        out.push(self);
    }
}

impl<'de, T: Deserialize<'de>, M: Collect> DeserializeSeed<'de> for PageSeed<'_, T, M> {
    type Value = ListMeta;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ListMeta, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>, M: Collect> Visitor<'de> for PageSeed<'_, T, M> {
    type Value = ListMeta;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes list object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ListMeta, A::Error> {
        let mut meta = None;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.0.as_ref() {
                "metadata" => {
                    let m: Option<ListMeta> = map.next_value()?;
                    let m = m.unwrap_or_default();
                    (self.on_meta)(&m);
                    meta = Some(m);
                }
                "items" => map.next_value_seed(ItemsSeed {
                    convert: self.convert,
                    out: &mut *self.out,
                    item: PhantomData,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(meta.unwrap_or_else(|| {
            let m = ListMeta::default();
            (self.on_meta)(&m);
            m
        }))
    }
}

struct ItemsSeed<'o, T, M> {
    convert: fn(T) -> M,
    out: &'o mut Vec<M>,
    item: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>, M: Collect> DeserializeSeed<'de> for ItemsSeed<'_, T, M> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `"items": null` is an empty list, as for kube's ObjectList.
        d.deserialize_option(self)
    }
}

impl<'de, T: Deserialize<'de>, M: Collect> Visitor<'de> for ItemsSeed<'_, T, M> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            (self.convert)(item).push_into(self.out);
        }
        Ok(())
    }
}

/// A string borrowed from the page when it has no escapes (keys and values kup only looks at).
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A `map<string,string>` read entry by entry, keeping only what `keep` wants.
fn filter_map<'de, D, F>(d: D, what: &'static str, mut keep: F) -> Result<(), D::Error>
where
    D: Deserializer<'de>,
    F: FnMut(Str<'de>, Str<'de>),
{
    struct V<F>(F, &'static str);
    impl<'de, F: FnMut(Str<'de>, Str<'de>)> Visitor<'de> for V<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.1)
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some((k, v)) = map.next_entry::<Str<'de>, Str<'de>>()? {
                (self.0)(k, v);
            }
            Ok(())
        }
    }
    d.deserialize_any(V(&mut keep, what))
}

/// A list (or null) read element by element into an accumulator, without a Vec.
fn fold_seq<'de, D, T, A, F>(d: D, init: A, f: F) -> Result<A, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
    F: FnMut(&mut A, T),
{
    struct V<T, A, F>(A, F, PhantomData<T>);
    impl<'de, T: Deserialize<'de>, A, F: FnMut(&mut A, T)> Visitor<'de> for V<T, A, F> {
        type Value = A;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_unit<E: de::Error>(self) -> Result<A, E> {
            Ok(self.0)
        }
        fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<A, S::Error> {
            while let Some(x) = seq.next_element::<T>()? {
                (self.1)(&mut self.0, x);
            }
            Ok(self.0)
        }
    }
    d.deserialize_any(V(init, f, PhantomData))
}

// ---- shared pieces -------------------------------------------------------------------------

#[derive(Deserialize)]
pub(super) struct LeanOwner {
    pub(super) kind: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) controller: Option<bool>,
}

/// The controller owner reference (`controller: true`), the others skipped.
#[derive(Default)]
pub(super) struct Controller(pub(super) Option<OwnerRef>);

impl<'de> Deserialize<'de> for Controller {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        fold_seq(d, Controller(None), Controller::note)
    }
}

impl Controller {
    /// Reads one owner reference (shared with the protobuf wire).
    pub(super) fn note(&mut self, o: LeanOwner) {
        if self.0.is_none() && o.controller == Some(true) {
            self.0 = Some(OwnerRef {
                kind: shared(&o.kind),
                name: shared(&o.name),
            });
        }
    }
}

/// A node's Ready condition: Some(true) Ready, Some(false) NotReady, None Unknown/absent.
#[derive(Default)]
pub(super) struct NodeReady(pub(super) Option<bool>);

impl<'de> Deserialize<'de> for NodeReady {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (_, ready) = fold_seq(d, (false, NodeReady(None)), |(seen, ready), c| {
            ready.note(seen, &c)
        })?;
        Ok(ready)
    }
}

impl NodeReady {
    /// Reads one condition; `seen` tells whether the Ready one came already (the first wins).
    pub(super) fn note(&mut self, seen: &mut bool, c: &LeanCondition) {
        if !*seen && c.type_ == "Ready" {
            *seen = true;
            self.0 = match c.status.as_ref() {
                "True" => Some(true),
                "False" => Some(false),
                _ => None,
            };
        }
    }
}

/// Whether a pod has a Ready condition that is True.
#[derive(Default)]
pub(super) struct PodReady(pub(super) bool);

impl<'de> Deserialize<'de> for PodReady {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        fold_seq(d, PodReady(false), |r, c| r.note(&c))
    }
}

impl PodReady {
    pub(super) fn note(&mut self, c: &LeanCondition) {
        self.0 |= c.type_ == "Ready" && c.status == "True";
    }
}

/// Whether any volume is an emptyDir.
#[derive(Default)]
pub(super) struct UsesEmptyDir(pub(super) bool);

impl<'de> Deserialize<'de> for UsesEmptyDir {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        fold_seq(d, UsesEmptyDir(false), |u, v| u.note(&v))
    }
}

impl UsesEmptyDir {
    pub(super) fn note(&mut self, v: &LeanVolume) {
        self.0 |= v.empty_dir.is_some();
    }
}

#[derive(Deserialize)]
pub(super) struct LeanCondition<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) type_: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) status: Cow<'a, str>,
}

#[derive(Deserialize)]
pub(super) struct LeanTaint {
    pub(super) key: String,
    #[serde(default)]
    pub(super) value: Option<String>,
    pub(super) effect: String,
}

impl From<LeanTaint> for Taint {
    fn from(t: LeanTaint) -> Taint {
        Taint {
            key: t.key,
            value: t.value.filter(|v| !v.is_empty()),
            effect: t.effect,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct LeanToleration {
    #[serde(default)]
    pub(super) key: Option<String>,
    #[serde(default)]
    pub(super) operator: Option<String>,
    #[serde(default)]
    pub(super) value: Option<String>,
    #[serde(default)]
    pub(super) effect: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct LeanRequirement {
    pub(super) key: String,
    pub(super) operator: String,
    #[serde(default)]
    pub(super) values: Option<Vec<String>>,
}

impl From<LeanRequirement> for Requirement {
    fn from(r: LeanRequirement) -> Requirement {
        Requirement {
            key: r.key,
            operator: r.operator,
            values: r.values.unwrap_or_default(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanAffinity {
    pub(super) node_affinity: Option<LeanNodeAffinity>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanNodeAffinity {
    pub(super) required_during_scheduling_ignored_during_execution: Option<LeanNodeSelector>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LeanNodeSelector {
    pub(super) node_selector_terms: Vec<LeanTerm>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanTerm {
    pub(super) match_expressions: Option<Vec<LeanRequirement>>,
}

/// The parts of a pod spec kup reads: where it may go, where it is, whether it uses emptyDir.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanPodSpec {
    pub(super) node_name: Option<String>,
    pub(super) node_selector: Option<Labels>,
    pub(super) affinity: Option<LeanAffinity>,
    pub(super) tolerations: Option<Vec<LeanToleration>>,
    pub(super) volumes: UsesEmptyDir,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanVolume {
    pub(super) empty_dir: Option<IgnoredAny>,
}

impl LeanPodSpec {
    fn placement(self) -> Placement {
        let affinity_terms = self
            .affinity
            .and_then(|a| a.node_affinity)
            .and_then(|na| na.required_during_scheduling_ignored_during_execution)
            .map(|sel| {
                sel.node_selector_terms
                    .into_iter()
                    .map(|t| {
                        t.match_expressions
                            .unwrap_or_default()
                            .into_iter()
                            .map(Requirement::from)
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default();
        Placement {
            node_selector: self.node_selector.unwrap_or_default(),
            affinity_terms,
            tolerations: self
                .tolerations
                .unwrap_or_default()
                .into_iter()
                .map(|t| Toleration {
                    key: t.key,
                    operator: t.operator,
                    value: t.value,
                    effect: t.effect,
                })
                .collect(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanTemplate {
    pub(super) spec: Option<LeanPodSpec>,
}

/// Object metadata; `A` is how annotations are read (filtered, or all of them), `L` how
/// labels are.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanMeta<A, L = AllLabels> {
    pub(super) name: Option<String>,
    pub(super) namespace: Option<String>,
    pub(super) uid: Option<String>,
    pub(super) labels: L,
    pub(super) annotations: A,
    pub(super) owner_references: Controller,
    pub(super) creation_timestamp: Option<Time>,
    pub(super) deletion_timestamp: Option<Time>,
}

/// How an object's labels are read.
pub trait LabelsView: Default {
    fn into_labels(self) -> Labels;
}

/// Every label.
#[derive(Default)]
pub struct AllLabels(pub(super) Labels);

impl<'de> Deserialize<'de> for AllLabels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AllLabels(
            Option::<Labels>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

impl LabelsView for AllLabels {
    fn into_labels(self) -> Labels {
        self.0
    }
}

/// No labels: a pod's labels only serve PodDisruptionBudget selectors, so a snapshot read
/// without PDBs skips them (at 150,000 pods their maps are ~100 MB).
#[derive(Default)]
pub struct NoLabels;

impl<'de> Deserialize<'de> for NoLabels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(NoLabels)
    }
}

impl LabelsView for NoLabels {
    fn into_labels(self) -> Labels {
        Labels::new()
    }
}

/// All annotations (workloads keep theirs).
#[derive(Default)]
pub(super) struct AllAnnotations(pub(super) Labels);

impl<'de> Deserialize<'de> for AllAnnotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AllAnnotations(
            Option::<Labels>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

/// Only the annotations kup itself writes on nodes (rotation markers).
#[derive(Default)]
pub(super) struct KupAnnotations(pub(super) Labels);

impl<'de> Deserialize<'de> for KupAnnotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut kept = KupAnnotations::default();
        filter_map(d, "a map of annotations", |k, v| kept.note(k.0, v.0))?;
        Ok(kept)
    }
}

impl KupAnnotations {
    pub(super) fn note(&mut self, key: Cow<str>, value: Cow<str>) {
        if kept_annotation(&key) {
            self.0.insert(key.into_owned(), value.into_owned());
        }
    }
}

/// What a pod's annotations tell kup.
#[derive(Default)]
pub(super) struct PodAnnotations {
    pub(super) mirror: bool,
    pub(super) do_not_disrupt: bool,
}

impl<'de> Deserialize<'de> for PodAnnotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut a = PodAnnotations::default();
        filter_map(d, "a map of annotations", |k, v| a.note(&k.0, &v.0))?;
        Ok(a)
    }
}

impl PodAnnotations {
    pub(super) fn note(&mut self, key: &str, value: &str) {
        match key {
            "kubernetes.io/config.mirror" => self.mirror = true,
            "karpenter.sh/do-not-disrupt" | "karpenter.sh/do-not-evict" => {
                self.do_not_disrupt |= value == "true";
            }
            _ => {}
        }
    }
}

// ---- nodes ---------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct LeanNode {
    #[serde(default)]
    pub(super) metadata: LeanMeta<KupAnnotations>,
    #[serde(default)]
    pub(super) spec: Option<LeanNodeSpec>,
    #[serde(default)]
    pub(super) status: Option<LeanNodeStatus>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanNodeSpec {
    pub(super) taints: Option<Vec<LeanTaint>>,
    pub(super) unschedulable: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanNodeStatus {
    pub(super) node_info: Option<LeanNodeInfo>,
    pub(super) conditions: NodeReady,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LeanNodeInfo {
    pub(super) kubelet_version: String,
    pub(super) kube_proxy_version: String,
    #[serde(default)]
    pub(super) os_image: String,
}

pub fn node(n: LeanNode) -> Node {
    let meta = n.metadata;
    let labels = meta.labels.into_labels();
    let spec = n.spec.unwrap_or_default();
    let status = n.status.unwrap_or_default();
    let ready = status.conditions.0;
    let label = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).cloned());
    let instance_type = label(&[
        "node.kubernetes.io/instance-type",
        "beta.kubernetes.io/instance-type",
    ]);
    let zone = label(&[
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    ]);
    let (kubelet_version, kube_proxy_version, os_image) = status
        .node_info
        .map(|i| (i.kubelet_version, i.kube_proxy_version, i.os_image))
        .unwrap_or_default();
    Node {
        name: meta.name.unwrap_or_default(),
        pool: crate::model::PoolRef::of_labels(&labels),
        kubelet_version,
        kube_proxy_version,
        os_image,
        taints: spec
            .taints
            .unwrap_or_default()
            .into_iter()
            .map(Taint::from)
            .collect(),
        unschedulable: spec.unschedulable.unwrap_or(false),
        ready,
        created: meta.creation_timestamp.map(|t| t.0),
        instance_type,
        zone,
        deleting: meta.deletion_timestamp.is_some(),
        kup_annotations: meta.annotations.0,
        labels,
    }
}

/// Only a node's name (`-l` selections).
#[derive(Deserialize)]
pub struct LeanName {
    #[serde(default)]
    pub(super) metadata: LeanNameMeta,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanNameMeta {
    pub(super) name: Option<String>,
}

pub fn name(n: LeanName) -> String {
    n.metadata.name.unwrap_or_default()
}

// ---- pods ----------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct LeanPod<L> {
    #[serde(default)]
    pub(super) metadata: LeanMeta<PodAnnotations, L>,
    #[serde(default)]
    pub(super) spec: Option<LeanPodSpec>,
    #[serde(default)]
    pub(super) status: Option<LeanPodStatus>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanPodStatus {
    pub(super) phase: Option<String>,
    pub(super) conditions: PodReady,
}

pub fn pod<L: LabelsView>(p: LeanPod<L>) -> Pod {
    let meta = p.metadata;
    let owner = meta.owner_references.0;
    let mut spec = p.spec.unwrap_or_default();
    let status = p.status.unwrap_or_default();
    let ready = status.conditions.0;
    let uses_empty_dir = spec.volumes.0;
    let node_name = spec.node_name.take().filter(|n| !n.is_empty());
    Pod {
        namespace: shared(meta.namespace.as_deref().unwrap_or_default()),
        name: meta.name.unwrap_or_default(),
        uid: meta.uid.unwrap_or_default(),
        node_name: node_name.as_deref().map(shared),
        phase: shared(status.phase.as_deref().unwrap_or("Unknown")),
        ready,
        mirror: meta.annotations.mirror,
        uses_empty_dir,
        do_not_disrupt: meta.annotations.do_not_disrupt,
        deleting: meta.deletion_timestamp.is_some(),
        placement: owner.is_none().then(|| Box::new(spec.placement())),
        owner,
        labels: meta.labels.into_labels().into(),
    }
}

// ---- PodDisruptionBudgets ------------------------------------------------------------------

#[derive(Deserialize)]
pub struct LeanPdb {
    #[serde(default)]
    pub(super) metadata: LeanMeta<IgnoredAnnotations>,
    #[serde(default)]
    pub(super) spec: Option<LeanPdbSpec>,
    #[serde(default)]
    pub(super) status: Option<LeanPdbStatus>,
}

/// Annotations kup does not read.
#[derive(Default)]
pub(super) struct IgnoredAnnotations;

impl<'de> Deserialize<'de> for IgnoredAnnotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(IgnoredAnnotations)
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanPdbSpec {
    pub(super) selector: Option<LeanLabelSelector>,
    pub(super) min_available: Option<IntOrString>,
    pub(super) max_unavailable: Option<IntOrString>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanLabelSelector {
    pub(super) match_labels: Option<Labels>,
    pub(super) match_expressions: Option<Vec<LeanRequirement>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LeanPdbStatus {
    pub(super) current_healthy: i32,
    pub(super) desired_healthy: i32,
    pub(super) disruptions_allowed: i32,
    pub(super) expected_pods: i32,
}

fn int_or_string(v: IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s,
    }
}

pub fn pdb(p: LeanPdb) -> Pdb {
    let spec = p.spec.unwrap_or_default();
    let status = p.status.unwrap_or_default();
    Pdb {
        namespace: p.metadata.namespace.unwrap_or_default(),
        name: p.metadata.name.unwrap_or_default(),
        selector: spec.selector.map(|s| Selector {
            match_labels: s.match_labels.unwrap_or_default(),
            match_expressions: s
                .match_expressions
                .unwrap_or_default()
                .into_iter()
                .map(Requirement::from)
                .collect(),
        }),
        min_available: spec.min_available.map(int_or_string),
        max_unavailable: spec.max_unavailable.map(int_or_string),
        disruptions_allowed: status.disruptions_allowed,
        current_healthy: status.current_healthy,
        desired_healthy: status.desired_healthy,
        expected_pods: status.expected_pods,
    }
}

// ---- workloads -----------------------------------------------------------------------------

/// A Deployment, StatefulSet or ReplicaSet: replicas, ready replicas, pod template.
#[derive(Deserialize)]
pub struct LeanScaled {
    #[serde(default)]
    pub(super) metadata: LeanMeta<AllAnnotations>,
    #[serde(default)]
    pub(super) spec: Option<LeanScaledSpec>,
    #[serde(default)]
    pub(super) status: Option<LeanScaledStatus>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanScaledSpec {
    pub(super) replicas: Option<i32>,
    pub(super) template: Option<LeanTemplate>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanScaledStatus {
    pub(super) ready_replicas: Option<i32>,
}

fn workload(
    kind: WorkloadKind,
    meta: LeanMeta<AllAnnotations>,
    template: Option<LeanTemplate>,
    replicas: Option<i32>,
    ready_replicas: Option<i32>,
) -> Workload {
    let spec = template.and_then(|t| t.spec).unwrap_or_default();
    Workload {
        kind,
        owner: meta.owner_references.0,
        namespace: meta.namespace.unwrap_or_default(),
        name: meta.name.unwrap_or_default(),
        replicas,
        ready_replicas,
        placement: spec.placement(),
        annotations: meta.annotations.0,
    }
}

fn scaled(kind: WorkloadKind, w: LeanScaled) -> Workload {
    let spec = w.spec.unwrap_or_default();
    let ready = w.status.and_then(|s| s.ready_replicas);
    workload(
        kind,
        w.metadata,
        spec.template,
        Some(spec.replicas.unwrap_or(1)),
        Some(ready.unwrap_or(0)),
    )
}

pub fn deployment(w: LeanScaled) -> Workload {
    scaled(WorkloadKind::Deployment, w)
}

pub fn stateful_set(w: LeanScaled) -> Workload {
    scaled(WorkloadKind::StatefulSet, w)
}

pub fn replica_set(w: LeanScaled) -> Workload {
    scaled(WorkloadKind::ReplicaSet, w)
}

#[derive(Deserialize)]
pub struct LeanDaemonSet {
    #[serde(default)]
    pub(super) metadata: LeanMeta<AllAnnotations>,
    #[serde(default)]
    pub(super) spec: Option<LeanTemplated>,
    #[serde(default)]
    pub(super) status: Option<LeanDaemonSetStatus>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanTemplated {
    pub(super) template: Option<LeanTemplate>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LeanDaemonSetStatus {
    pub(super) desired_number_scheduled: i32,
    pub(super) number_ready: i32,
}

pub fn daemon_set(d: LeanDaemonSet) -> Workload {
    let status = d.status.unwrap_or_default();
    workload(
        WorkloadKind::DaemonSet,
        d.metadata,
        d.spec.unwrap_or_default().template,
        Some(status.desired_number_scheduled),
        Some(status.number_ready),
    )
}

#[derive(Deserialize)]
pub struct LeanJob {
    #[serde(default)]
    pub(super) metadata: LeanMeta<AllAnnotations>,
    #[serde(default)]
    pub(super) spec: Option<LeanJobSpec>,
    #[serde(default)]
    pub(super) status: Option<LeanJobStatus>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanJobSpec {
    pub(super) parallelism: Option<i32>,
    pub(super) template: Option<LeanTemplate>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanJobStatus {
    pub(super) active: Option<i32>,
}

pub fn job(j: LeanJob) -> Workload {
    let spec = j.spec.unwrap_or_default();
    workload(
        WorkloadKind::Job,
        j.metadata,
        spec.template,
        spec.parallelism,
        j.status.and_then(|s| s.active),
    )
}

#[derive(Deserialize)]
pub struct LeanCronJob {
    #[serde(default)]
    pub(super) metadata: LeanMeta<AllAnnotations>,
    #[serde(default)]
    pub(super) spec: Option<LeanCronJobSpec>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct LeanCronJobSpec {
    pub(super) job_template: Option<LeanJobTemplate>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct LeanJobTemplate {
    pub(super) spec: Option<LeanJobSpec>,
}

pub fn cron_job(c: LeanCronJob) -> Workload {
    let template = c
        .spec
        .and_then(|s| s.job_template)
        .and_then(|t| t.spec)
        .and_then(|s| s.template);
    workload(WorkloadKind::CronJob, c.metadata, template, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::convert;
    use serde_json::{Value, json};

    /// Parses `items` as one page with the lean view and converts the same objects with the
    /// typed path; both must give the same model.
    fn same<'a, T, K, M>(items: &[Value], lean: fn(T) -> M, typed: fn(K) -> M, buf: &'a mut Vec<u8>)
    where
        T: Deserialize<'a>,
        K: serde::de::DeserializeOwned,
        M: serde::Serialize + Collect,
    {
        *buf = serde_json::to_vec(&json!({"kind": "List", "metadata": {}, "items": items}))
            .expect("json");
        let mut out = Vec::new();
        parse_page(buf, &mut |_| {}, lean, &mut out).expect("lean page");
        let typed: Vec<M> = items
            .iter()
            .map(|i| typed(serde_json::from_value(i.clone()).expect("typed object")))
            .collect();
        assert_eq!(
            serde_json::to_value(&out).expect("json"),
            serde_json::to_value(&typed).expect("json")
        );
    }

    fn node_json() -> Value {
        json!({
            "metadata": {"name": "ip-1", "creationTimestamp": "2026-11-20T10:00:00Z",
                "labels": {"karpenter.sh/nodepool": "default",
                "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "us-east-1a"},
                "annotations": {"kup.dev/rotation": "run1/cordoned", "other": "x\"y"}},
            "spec": {"unschedulable": true, "taints": [{"key": "applications", "value": "", "effect": "NoSchedule"}]},
            "status": {"nodeInfo": {"kubeletVersion": "v1.24.17-eks-a59e1f0", "kubeProxyVersion": "v1.24.17-eks-a59e1f0",
                "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "", "kernelVersion": "", "machineID": "",
                "operatingSystem": "linux", "osImage": "", "systemUUID": ""},
                "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "Unknown"}],
                "images": [{"names": ["a"], "sizeBytes": 1}]}
        })
    }

    fn pod_spec() -> Value {
        json!({"containers": [{"name": "c", "image": "nginx", "env": [{"name": "A", "value": "b"}]}],
            "nodeSelector": {"node-type": "applications"},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]},
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["x"]}]}]}},
                "podAntiAffinity": {}},
            "tolerations": [{"key": "applications", "operator": "Exists", "effect": "NoSchedule"},
                {"operator": "Exists"}],
            "volumes": [{"name": "cfg", "configMap": {"name": "x"}}, {"name": "scratch", "emptyDir": {}}],
            "nodeName": "ip-1"})
    }

    #[test]
    fn nodes_match_the_typed_conversion() {
        let bare = json!({"metadata": {"name": "ip-2", "annotations": null, "labels": null}});
        let mut buf = Vec::new();
        same(&[node_json(), bare], node, convert::node, &mut buf);
    }

    #[test]
    fn pods_match_the_typed_conversion() {
        let bare = json!({"metadata": {"name": "p", "namespace": "default", "uid": "u1",
            "deletionTimestamp": "2026-11-20T10:00:00Z",
            "annotations": {"karpenter.sh/do-not-evict": "true", "kubernetes.io/config.mirror": "h"}},
            "spec": pod_spec(),
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        let owned = json!({"metadata": {"name": "q", "namespace": "default", "labels": {"app": "nginx"},
            "annotations": {"karpenter.sh/do-not-disrupt": "false"},
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u"},
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "nginx-1", "uid": "u", "controller": true}]},
            "spec": pod_spec(), "status": {"conditions": [{"type": "Ready", "status": "False"}]}});
        let empty = json!({});
        let mut buf = Vec::new();
        same(
            &[bare.clone(), owned.clone(), empty],
            pod::<AllLabels>,
            convert::pod,
            &mut buf,
        );
        // Without PDBs the labels are skipped, nothing else changes.
        let page = serde_json::to_vec(&json!({"items": [bare, owned]})).expect("json");
        let (mut all, mut none) = (Vec::new(), Vec::new());
        parse_page(&page, &mut |_| {}, pod::<AllLabels>, &mut all).expect("page");
        parse_page(&page, &mut |_| {}, pod::<NoLabels>, &mut none).expect("page");
        assert_eq!(all[1].labels.get("app").map(String::as_str), Some("nginx"));
        assert!(none.iter().all(|p| p.labels.is_empty()));
        for p in all.iter_mut() {
            p.labels = Default::default();
        }
        assert_eq!(
            serde_json::to_value(&all).expect("json"),
            serde_json::to_value(&none).expect("json")
        );
    }

    #[test]
    fn neighbouring_pods_with_equal_labels_share_one_map() {
        let item = |name: &str, app: &str| json!({"metadata": {"name": name, "namespace": "n", "labels": {"app": app}}});
        let page = serde_json::to_vec(&json!({"items": [
            item("a-1", "a"), item("a-2", "a"), item("b-1", "b"), item("a-3", "a")]}))
        .expect("json");
        let mut out = Vec::new();
        parse_page(&page, &mut |_| {}, pod::<AllLabels>, &mut out).expect("page");
        // A second page continues the same list: sharing crosses page boundaries.
        let next = serde_json::to_vec(&json!({"items": [item("b-2", "b")]})).expect("json");
        parse_page(&next, &mut |_| {}, pod::<AllLabels>, &mut out).expect("page");
        let apps: Vec<&str> = out.iter().map(|p| p.labels["app"].as_str()).collect();
        assert_eq!(apps, ["a", "a", "b", "a", "b"]);
        assert!(std::sync::Arc::ptr_eq(&out[0].labels, &out[1].labels));
        assert!(std::sync::Arc::ptr_eq(&out[0].labels, &out[3].labels));
        assert!(std::sync::Arc::ptr_eq(&out[2].labels, &out[4].labels));
        assert!(!std::sync::Arc::ptr_eq(&out[0].labels, &out[2].labels));
    }

    #[test]
    fn pdbs_and_workloads_match_the_typed_conversion() {
        let pdbs = [
            json!({"metadata": {"name": "a", "namespace": "n"}, "spec": {"maxUnavailable": 1,
                "selector": {"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "t", "operator": "Exists"}]}},
                "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3}}),
            json!({"metadata": {"name": "b", "namespace": "n"}, "spec": {"minAvailable": "50%"}}),
        ];
        let mut buf = Vec::new();
        same(&pdbs, pdb, convert::pdb, &mut buf);

        let template = json!({"metadata": {"labels": {"app": "a"}}, "spec": pod_spec()});
        let meta = json!({"name": "a", "namespace": "n", "annotations": {"deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "a", "uid": "u", "controller": true}]});
        let scaled = [
            json!({"metadata": meta, "spec": {"replicas": 3, "selector": {}, "template": template},
            "status": {"readyReplicas": 2}}),
            json!({"metadata": {"name": "z"}, "spec": {"selector": {}, "template": {}}}),
        ];
        let mut buf = Vec::new();
        same(&scaled, deployment, convert::deployment, &mut buf);
        let mut buf = Vec::new();
        same(&scaled, replica_set, convert::replica_set, &mut buf);
        let sts = [
            json!({"metadata": {"name": "s"}, "spec": {"selector": {}, "serviceName": "s", "template": template}}),
        ];
        let mut buf = Vec::new();
        same(&sts, stateful_set, convert::stateful_set, &mut buf);

        // DaemonSets, Jobs and CronJobs (the typed path keeps no converter for them).
        let ds = json!({"metadata": {"name": "d"}, "spec": {"selector": {}, "template": template},
            "status": {"currentNumberScheduled": 5, "desiredNumberScheduled": 5, "numberMisscheduled": 0, "numberReady": 4}});
        let cj = json!({"metadata": {"name": "c"}, "spec": {"schedule": "* * * * *",
            "jobTemplate": {"spec": {"parallelism": 2, "template": template}}}});
        let page = serde_json::to_vec(&json!({"items": [ds]})).expect("json");
        let mut out = Vec::new();
        parse_page(&page, &mut |_| {}, daemon_set, &mut out).expect("daemonsets");
        assert_eq!((out[0].replicas, out[0].ready_replicas), (Some(5), Some(4)));
        assert_eq!(out[0].placement.tolerations.len(), 2);
        let page = serde_json::to_vec(&json!({"items": [cj]})).expect("json");
        let mut out = Vec::new();
        parse_page(&page, &mut |_| {}, cron_job, &mut out).expect("cronjobs");
        assert_eq!(out[0].kind, WorkloadKind::CronJob);
        assert_eq!(out[0].placement.affinity_terms.len(), 2);
        assert_eq!(out[0].replicas, None);
    }

    #[test]
    fn metadata_is_reported_before_items_and_null_items_are_empty() {
        let page = br#"{"kind":"PodList","metadata":{"continue":"abc","remainingItemCount":7},"items":[{"metadata":{"name":"a"}}]}"#;
        let mut out = Vec::new();
        let mut seen = None;
        let meta = parse_page(
            page,
            &mut |m| seen = Some((m.continue_.clone(), m.remaining_item_count)),
            pod::<AllLabels>,
            &mut out,
        )
        .expect("page");
        assert_eq!(seen, Some((Some("abc".into()), Some(7))));
        assert_eq!(meta.remaining_item_count, Some(7));
        assert_eq!(out.len(), 1);

        let mut out: Vec<Pod> = Vec::new();
        let mut calls = 0;
        parse_page(
            br#"{"items":null}"#,
            &mut |_| calls += 1,
            pod::<AllLabels>,
            &mut out,
        )
        .expect("null items");
        assert!(out.is_empty());
        assert_eq!(calls, 1, "a list without metadata still ends the paging");
    }

    #[test]
    fn malformed_objects_are_decode_errors() {
        let mut out = Vec::new();
        let bad_taint = br#"{"items":[{"metadata":{"name":"n"},"spec":{"taints":[{"key":"k"}]}}]}"#;
        let err =
            parse_page(bad_taint, &mut |_| {}, node, &mut out).expect_err("taint without effect");
        assert!(err.to_string().contains("missing field `effect`"), "{err}");

        let mut out = Vec::new();
        let bad_phase = br#"{"items":[{"status":{"phase":3}}]}"#;
        let err = parse_page(bad_phase, &mut |_| {}, pod::<AllLabels>, &mut out)
            .expect_err("numeric phase");
        assert!(err.to_string().contains("invalid type"), "{err}");

        let mut out = Vec::new();
        let bad_pdb = br#"{"items":[{"status":{"currentHealthy":1}}]}"#;
        assert!(parse_page(bad_pdb, &mut |_| {}, pdb, &mut out).is_err());

        let mut out: Vec<Pod> = Vec::new();
        assert!(parse_page(b"{\"items\":[]} x", &mut |_| {}, pod::<AllLabels>, &mut out).is_err());
        assert!(parse_page(b"[1]", &mut |_| {}, pod::<AllLabels>, &mut out).is_err());
    }
}
