//! The simulated cluster's behaviour: scheduler, controllers (ReplicaSet/Deployment,
//! StatefulSet, DaemonSet, disruption), kubelet (pod start, deletion after grace), node
//! lifecycle (unschedulable taint after cordon), Karpenter (launch, termination finalizer),
//! and the eviction subresource.
//!
//! CONTRACT with the HTTP side:
//! - `settle(&mut SimState)` is called once after the scenario's objects are in the store and
//!   before the listener opens: it brings the cluster to steady state at once (no delays).
//! - `run(shared)` is spawned by the server and loops until the process ends; it must do no
//!   work while nothing changed and no timer is due (the 150,000-pod cluster stays idle).
//! - `evict(&mut SimState, ns, name, &eviction_json, dry_run)` is what `POST .../pods/NAME/eviction`
//!   calls; Ok means 201 Success.
//! - `step(&mut SimState)` runs one pass of every controller at the current sim time (tests
//!   drive the world with it instead of sleeping).

mod controllers;
mod disruption;
mod drift;
mod eviction;
mod karpenter;
mod kubelet;
mod nodeclass;
mod nodegroups;
mod nodes;
pub mod objects;
pub mod schedule;

pub use nodegroups::group_nodes;

pub use disruption::{PdbSpec, PdbStatus, compute_pdb_status};
pub use eviction::evict;

use crate::resources::Kind;
use crate::state::{Shared, SimState};
use crate::store::{ApiError, DeleteOpts};
use jiff::Timestamp;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

/// What the world remembers between passes that the objects themselves do not say. Keyed by
/// object UID, one map per `SimState` (see `with_mem`).
#[derive(Default)]
pub(crate) struct Memory {
    /// Node UID -> sim time the world first saw it cordoned.
    pub cordoned_at: HashMap<String, Timestamp>,
    /// Pod UID -> sim time its kubelet confirms the deletion.
    pub delete_deadline: HashMap<String, Timestamp>,
    /// Pod UIDs whose termination was already accounted for in the safety stats.
    pub seen_terminating: HashSet<String>,
    /// Pod UIDs evicted through the Eviction API (their termination is PDB-checked already).
    pub evicted: HashSet<String>,
    /// Karpenter launches in flight.
    pub launches: Vec<karpenter::Launch>,
    /// Drifted nodes Karpenter is replacing -> their replacement's node name (None: the node
    /// had no pods to move, so no replacement).
    pub drift: HashMap<String, Option<String>>,
    /// Counter for names that must not repeat.
    pub serial: u64,
    /// PDB UIDs whose lowest Ready count is tracked (satisfied at least once).
    pub pdb_tracked: HashSet<String>,
    /// Pod UID -> its summary at a resourceVersion (and the scan that last saw it).
    pub pods: HashMap<String, (Arc<PodSum>, u64)>,
    pub scans: u64,
}

// The world's memory lives beside the SimState (whose fields belong to the HTTP side), keyed
// by its clock's id: the state itself moves (into the server's mutex) after settle().
static MEMORY: LazyLock<Mutex<HashMap<u64, Memory>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

pub(crate) fn with_mem<R>(state: &SimState, f: impl FnOnce(&mut Memory) -> R) -> R {
    let key = state.clock.id();
    let mut all = MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    f(all.entry(key).or_default())
}

/// What the controllers need from a pod beyond the store's index, parsed once per
/// resourceVersion (150,000 pods stay as compact bytes in the store).
#[derive(Debug, Default)]
pub struct PodFacts {
    pub owner_kind: String,
    /// `Kind/namespace/name` of the controller ("" without one).
    pub owner_key: String,
    pub owner_name: String,
    pub requests: objects::Requests,
    pub ready: bool,
    /// The pod has a Ready condition at all (scenario pods may come Running without one).
    pub ready_known: bool,
    /// PodScheduled=False, reason Unschedulable.
    pub unschedulable: bool,
    /// When PodScheduled became True.
    pub scheduled_at: Option<Timestamp>,
    pub created: String,
    pub deletion_grace: i64,
    pub mirror: bool,
    /// DaemonSet pods: the node they are meant for.
    pub ds_target: Option<String>,
}

/// The few fields of a pod the world reads, deserialized straight from the stored bytes
/// (unknown fields are skipped without building a `Value` tree).
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct MiniPod {
    metadata: MiniMeta,
    spec: MiniSpec,
    status: MiniStatus,
}
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct MiniMeta {
    namespace: String,
    owner_references: Vec<MiniOwner>,
    creation_timestamp: String,
    deletion_grace_period_seconds: Option<i64>,
    annotations: Option<HashMap<String, serde::de::IgnoredAny>>,
}
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MiniOwner {
    kind: String,
    name: String,
    controller: Option<bool>,
}
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct MiniSpec {
    containers: Vec<MiniContainer>,
    init_containers: Vec<MiniContainer>,
    overhead: Option<Value>,
    affinity: Option<Value>,
}
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MiniContainer {
    resources: Option<Value>,
}
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MiniStatus {
    conditions: Vec<MiniCondition>,
}
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct MiniCondition {
    #[serde(rename = "type")]
    type_: String,
    status: String,
    reason: String,
    last_transition_time: Option<String>,
}

impl PodFacts {
    pub fn of(pod: &Value) -> PodFacts {
        use serde::Deserialize;
        PodFacts::from_mini(MiniPod::deserialize(pod).unwrap_or_default())
    }

    pub fn from_bytes(body: &[u8]) -> PodFacts {
        PodFacts::from_mini(serde_json::from_slice(body).unwrap_or_default())
    }

    fn from_mini(m: MiniPod) -> PodFacts {
        let owner = m
            .metadata
            .owner_references
            .iter()
            .find(|o| o.controller == Some(true));
        let scheduled = m
            .status
            .conditions
            .iter()
            .find(|c| c.type_ == "PodScheduled");
        let as_spec = |list: &[MiniContainer]| {
            Value::Array(
                list.iter()
                    .map(|c| serde_json::json!({"resources": c.resources}))
                    .collect(),
            )
        };
        let spec = serde_json::json!({
            "containers": as_spec(&m.spec.containers),
            "initContainers": as_spec(&m.spec.init_containers),
            "overhead": m.spec.overhead,
        });
        let ds_target = m.spec.affinity.as_ref().and_then(|a| {
            controllers::ds_target(&serde_json::json!({"spec": {"affinity": a}}))
                .map(str::to_string)
        });
        PodFacts {
            owner_kind: owner.map(|o| o.kind.clone()).unwrap_or_default(),
            owner_key: owner
                .map(|o| objects::key(&o.kind, &m.metadata.namespace, &o.name))
                .unwrap_or_default(),
            owner_name: owner.map(|o| o.name.clone()).unwrap_or_default(),
            requests: objects::pod_requests(&spec),
            ready: m
                .status
                .conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True"),
            ready_known: m.status.conditions.iter().any(|c| c.type_ == "Ready"),
            unschedulable: scheduled.is_some_and(|c| c.reason == "Unschedulable"),
            scheduled_at: scheduled
                .filter(|c| c.status == "True")
                .and_then(|c| c.last_transition_time.as_deref()?.parse().ok()),
            created: m.metadata.creation_timestamp,
            deletion_grace: m.metadata.deletion_grace_period_seconds.unwrap_or(0),
            mirror: m
                .metadata
                .annotations
                .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror")),
            ds_target,
        }
    }
}

/// A pod as one pass sees it: the store's index plus the parsed facts.
#[derive(Clone, Debug)]
pub struct PodSum {
    pub ns: String,
    pub name: String,
    pub uid: String,
    pub rv: u64,
    /// spec.nodeName ("" when unbound).
    pub node: String,
    pub phase: String,
    pub deleting: bool,
    pub labels: Vec<(String, String)>,
    pub f: Arc<PodFacts>,
}

impl PodSum {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// Counts toward its controller's replicas: not terminating, not finished.
    pub fn active(&self) -> bool {
        !self.deleting && !matches!(self.phase.as_str(), "Succeeded" | "Failed")
    }
    pub fn from_value(pod: &Value, facts: Arc<PodFacts>) -> PodSum {
        let idx = crate::store::ObjIndex::of(pod);
        PodSum {
            ns: idx.namespace,
            name: idx.name,
            uid: idx.uid,
            rv: idx.resource_version,
            node: idx.node_name.unwrap_or_default(),
            phase: idx.phase.unwrap_or_default(),
            deleting: idx.deleting,
            labels: idx.labels,
            f: facts,
        }
    }
}

/// Summaries of the pods (of one namespace, or all), parsing only pods that changed since the
/// last pass.
pub(crate) fn pod_sums(st: &mut SimState, ns: Option<&str>) -> Vec<Arc<PodSum>> {
    let (mut cache, scan) = with_mem(st, |m| {
        m.scans += 1;
        (std::mem::take(&mut m.pods), m.scans)
    });
    let mut out = Vec::with_capacity(st.store.count(Kind::Pod).min(1 << 20));
    for (_, stored) in st.store.scan(Kind::Pod, ns, None) {
        let idx = &stored.index;
        match cache.get_mut(idx.uid.as_str()) {
            Some((sum, seen)) if sum.rv == idx.resource_version => {
                *seen = scan;
                out.push(sum.clone());
            }
            _ => {
                let sum = Arc::new(PodSum {
                    ns: idx.namespace.clone(),
                    name: idx.name.clone(),
                    uid: idx.uid.clone(),
                    rv: idx.resource_version,
                    node: idx.node_name.clone().unwrap_or_default(),
                    phase: idx.phase.clone().unwrap_or_default(),
                    deleting: idx.deleting,
                    labels: idx.labels.clone(),
                    f: Arc::new(PodFacts::from_bytes(&stored.body)),
                });
                cache.insert(idx.uid.clone(), (sum.clone(), scan));
                out.push(sum);
            }
        }
    }
    if ns.is_none() {
        // Bare pods that vanished without the world removing them (an API delete of an
        // unbound pod, a grace-0 force delete) are lost all the same.
        let lost = cache
            .values()
            .filter(|(p, seen)| *seen != scan && p.f.owner_key.is_empty())
            .count();
        st.safety.pods_lost += lost as u64;
        cache.retain(|_, (_, seen)| *seen == scan);
    }
    with_mem(st, |m| m.pods = cache);
    out
}

/// Hash of `namespace/name` for the pass's index (no allocation per lookup).
fn pod_key(ns: &str, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ns.bytes().chain(std::iter::once(0)).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A list read in a pass: the store's resourceVersion, the count of the pass's pod writes and
/// the kind's fingerprint when read.
struct CachedList {
    rv: u64,
    pod_writes: u64,
    fingerprint: (usize, u64),
    list: Arc<Vec<Value>>,
}

/// Changes whenever an object of the kind does: every write gives the object the store's
/// next resourceVersion (so the highest one rises), a removal lowers the count.
fn fingerprint(st: &SimState, kind: Kind) -> (usize, u64) {
    let max = st
        .store
        .scan(kind, None, None)
        .map(|(_, o)| o.index.resource_version)
        .max()
        .unwrap_or(0);
    (st.store.count(kind), max)
}

/// One pass of the world over summaries of the pods (kept current as the pass writes), so
/// the 150,000 pods are scanned once per pass and parsed only when they changed.
pub(crate) struct Pass<'a> {
    pub st: &'a mut SimState,
    pub now: Timestamp,
    /// settle(): every delay is zero.
    pub instant: bool,
    pods: Vec<Option<Arc<PodSum>>>,
    /// `pod_key` -> index in `pods`; the rare hash collisions go to `pod_collisions`.
    pod_index: HashMap<u64, usize>,
    pod_collisions: HashMap<(String, String), usize>,
    pub next_due: Option<Timestamp>,
    /// Lists of the other kinds (5,000 nodes and 2,000 ReplicaSets are read by several
    /// controllers), kept while valid: see `list`.
    lists: HashMap<Kind, CachedList>,
    /// Pod writes this pass made through its own helpers.
    pod_writes: u64,
}

impl<'a> Pass<'a> {
    fn new(st: &'a mut SimState, instant: bool) -> Self {
        let now = st.clock.now();
        let list = pod_sums(st, None);
        let mut pass = Pass {
            st,
            now,
            instant,
            pods: Vec::with_capacity(list.len()),
            pod_index: HashMap::with_capacity(list.len()),
            pod_collisions: HashMap::new(),
            next_due: None,
            lists: HashMap::new(),
            pod_writes: 0,
        };
        for p in list {
            pass.insert_pod(p);
        }
        pass
    }

    fn index_of(&self, ns: &str, name: &str) -> Option<usize> {
        let i = *self.pod_index.get(&pod_key(ns, name))?;
        match &self.pods[i] {
            Some(p) if p.ns == ns && p.name == name => Some(i),
            _ if self.pod_collisions.is_empty() => None,
            _ => self
                .pod_collisions
                .get(&(ns.to_string(), name.to_string()))
                .copied(),
        }
    }

    fn insert_pod(&mut self, p: Arc<PodSum>) {
        if let Some(i) = self.index_of(&p.ns, &p.name) {
            self.pods[i] = Some(p);
            return;
        }
        let i = self.pods.len();
        let key = pod_key(&p.ns, &p.name);
        match self
            .pod_index
            .get(&key)
            .and_then(|&j| self.pods[j].as_ref())
        {
            Some(_) => {
                self.pod_collisions
                    .insert((p.ns.clone(), p.name.clone()), i);
            }
            None => {
                self.pod_index.insert(key, i);
            }
        }
        self.pods.push(Some(p));
    }

    /// All objects of a (non-pod) kind, re-read only when objects of that kind changed since
    /// the last read: not when every write since was one of this pass's own pod writes, nor
    /// when the kind's fingerprint is the same (status writes to other kinds).
    pub fn list(&mut self, kind: Kind) -> Arc<Vec<Value>> {
        let rv = self.st.store.resource_version();
        let pod_writes = self.pod_writes;
        if let Some(c) = self.lists.get_mut(&kind) {
            if rv - c.rv == pod_writes - c.pod_writes {
                return c.list.clone();
            }
            if fingerprint(self.st, kind) == c.fingerprint {
                c.rv = rv;
                c.pod_writes = pod_writes;
                return c.list.clone();
            }
        }
        let list = Arc::new(self.st.store.list(kind, None));
        let cached = CachedList {
            rv,
            pod_writes,
            fingerprint: fingerprint(self.st, kind),
            list: list.clone(),
        };
        self.lists.insert(kind, cached);
        list
    }

    pub fn nodes(&mut self) -> Arc<Vec<Value>> {
        self.list(Kind::Node)
    }

    /// Count `n` pod writes made directly on the store (see `list`).
    pub fn count_pod_writes(&mut self, n: usize) {
        self.pod_writes += n as u64;
    }

    pub fn pods(&self) -> impl Iterator<Item = &PodSum> {
        self.pods.iter().flatten().map(|p| &**p)
    }

    pub fn pod_arcs(&self) -> impl Iterator<Item = &Arc<PodSum>> {
        self.pods.iter().flatten()
    }

    pub fn pod(&self, ns: &str, name: &str) -> Option<&PodSum> {
        self.pods[self.index_of(ns, name)?].as_deref()
    }

    /// The full object of a pod (parsed from the store).
    pub fn pod_value(&self, ns: &str, name: &str) -> Option<Value> {
        self.st.store.get(Kind::Pod, ns, name)
    }

    /// Record a pod written to the store in the snapshot.
    pub fn put_pod(&mut self, pod: Value) {
        let sum = Arc::new(PodSum::from_value(&pod, Arc::new(PodFacts::of(&pod))));
        with_mem(self.st, |m| {
            let scan = m.scans;
            m.pods.insert(sum.uid.clone(), (sum.clone(), scan));
        });
        self.insert_pod(sum);
    }

    pub fn forget_pod(&mut self, ns: &str, name: &str) {
        if let Some(i) = self.index_of(ns, name) {
            self.pods[i] = None;
        }
    }

    /// Re-read one pod from the store into the snapshot (after evict() wrote it).
    pub fn refresh_pod(&mut self, ns: &str, name: &str) {
        match self.st.store.get(Kind::Pod, ns, name) {
            Some(p) => self.put_pod(p),
            None => self.forget_pod(ns, name),
        }
    }

    /// Re-read every pod (cheap: unchanged pods keep their summaries).
    pub fn resync(&mut self) {
        let list = pod_sums(self.st, None);
        self.pods.clear();
        self.pod_index.clear();
        self.pod_collisions.clear();
        for p in list {
            self.insert_pod(p);
        }
    }

    pub fn due(&mut self, at: Timestamp) {
        if self.next_due.is_none_or(|d| at < d) {
            self.next_due = Some(at);
        }
    }

    /// `delay` from `since` has passed (always, in settle()). Otherwise note the deadline.
    pub fn elapsed(&mut self, since: Timestamp, delay: Duration) -> bool {
        if self.instant {
            return true;
        }
        let at = since + jiff::SignedDuration::try_from(delay).unwrap_or_default();
        if at <= self.now {
            true
        } else {
            self.due(at);
            false
        }
    }

    pub fn update_pod(
        &mut self,
        ns: &str,
        name: &str,
        f: &mut dyn FnMut(&mut Value),
    ) -> Option<Value> {
        let out = self.st.store.update(Kind::Pod, ns, name, f).ok()?;
        self.pod_writes += 1;
        self.put_pod(out.clone());
        Some(out)
    }

    pub fn create_pod(&mut self, pod: Value) -> Result<Value, ApiError> {
        let out = self.st.store.create(Kind::Pod, pod)?;
        self.pod_writes += 1;
        self.put_pod(out.clone());
        Ok(out)
    }

    /// The kubelet (or the pod GC) confirms a pod is gone. A pod with finalizers is not removed
    /// (as on a real server, even by a grace-0 delete): its kubelet reports it terminated and
    /// deletes it with grace 0, and the store removes it when the last finalizer goes.
    pub fn remove_pod(&mut self, ns: &str, name: &str) {
        let finalizers = self
            .st
            .store
            .get_stored(Kind::Pod, ns, name)
            .map_or(0, |s| s.index.finalizers);
        if finalizers > 0 {
            self.confirm_with_finalizers(ns, name);
            return;
        }
        if let Some(old) = self.st.store.remove(Kind::Pod, ns, name) {
            self.pod_writes += 1;
            let uid = objects::uid(&old).to_string();
            if objects::controller_ref(&old).is_none() {
                self.st.safety.pods_lost += 1;
            }
            with_mem(self.st, |m| {
                m.delete_deadline.remove(&uid);
                m.seen_terminating.remove(&uid);
                m.evicted.remove(&uid);
                m.pods.remove(&uid);
            });
        }
        self.forget_pod(ns, name);
    }

    /// The kubelet's last word on a stopped pod that finalizers keep: terminated status, then
    /// a grace-0 delete. Once only: afterwards the pod's grace is 0 and nothing changes.
    fn confirm_with_finalizers(&mut self, ns: &str, name: &str) {
        let Some(old) = self.st.store.get(Kind::Pod, ns, name) else {
            return;
        };
        let confirmed = old
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            == Some(0);
        // Only a pod whose containers ran has anything to report.
        let ran = old.pointer("/status/containerStatuses").is_some();
        let terminal = matches!(
            objects::s(&old, &["status", "phase"]),
            "Succeeded" | "Failed"
        );
        if ran && !terminal {
            let now = self.now;
            self.update_pod(ns, name, &mut |p| kubelet::mark_terminated(p, now));
        }
        if confirmed {
            return;
        }
        let rv = self.st.store.resource_version();
        let opts = DeleteOpts {
            grace_period_seconds: Some(0),
            uid: None,
        };
        if self.st.store.delete(Kind::Pod, ns, name, &opts).is_ok()
            && self.st.store.resource_version() != rv
        {
            self.pod_writes += 1;
            self.refresh_pod(ns, name);
        }
        // A bare pod that vanishes later is counted lost then (see pod_sums).
        let uid = objects::uid(&old).to_string();
        with_mem(self.st, |m| {
            m.delete_deadline.remove(&uid);
        });
    }

    pub fn delete_pod(&mut self, ns: &str, name: &str, grace: Option<i64>) {
        let opts = DeleteOpts {
            grace_period_seconds: grace,
            uid: None,
        };
        if self.st.store.delete(Kind::Pod, ns, name, &opts).is_ok() {
            self.pod_writes += 1;
            self.refresh_pod(ns, name);
        }
    }
}

/// One pass of every controller at the state's current sim time. Returns the next time a
/// timer (pod start, grace period, node launch, cordon taint) falls due, if any.
pub fn step(state: &mut SimState) -> Option<Timestamp> {
    run_pass(state, false)
}

fn run_pass(state: &mut SimState, instant: bool) -> Option<Timestamp> {
    // KUP_SIM_TRACE=1 prints what each controller costs per pass (sizing big clusters).
    let trace = std::env::var_os("KUP_SIM_TRACE").is_some();
    let mut t = std::time::Instant::now();
    let mut lap = |what: &str| {
        if trace {
            eprintln!("world: {what} {:?}", t.elapsed());
            t = std::time::Instant::now();
        }
    };
    let mut pass = Pass::new(state, instant);
    lap("snapshot");
    nodes::lifecycle(&mut pass);
    lap("nodes");
    karpenter::terminate(&mut pass);
    lap("terminate");
    controllers::garbage_collect(&mut pass);
    lap("gc");
    controllers::deployments(&mut pass);
    lap("deployments");
    controllers::replicasets(&mut pass);
    lap("replicasets");
    controllers::statefulsets(&mut pass);
    controllers::daemonsets(&mut pass);
    lap("sts+ds");
    // A control-plane update that ends moves `/version` before Karpenter looks at its aliases.
    if let Some(at) = crate::eks::cluster_update::advance(pass.st, pass.now) {
        pass.due(at);
    }
    nodeclass::run(&mut pass);
    drift::run(&mut pass);
    lap("nodeclass+drift");
    schedule::schedule_pending(&mut pass);
    if karpenter::provision(&mut pass) {
        schedule::schedule_pending(&mut pass);
    }
    lap("schedule+provision");
    nodegroups::run(&mut pass);
    kubelet::run(&mut pass);
    lap("kubelet");
    controllers::statuses(&mut pass);
    lap("statuses");
    disruption::run(&mut pass);
    lap("disruption");
    pass.next_due
}

/// Bring the loaded scenario to steady state at once (no delays).
pub fn settle(state: &mut SimState) {
    // Each pass may enable the next (Deployment -> ReplicaSet -> Pods -> bound -> Running ->
    // PDB status); stop as soon as a pass writes nothing.
    for _ in 0..256 {
        let before = state.store.resource_version();
        run_pass(state, true);
        if state.store.resource_version() == before {
            break;
        }
    }
    disruption::reset_min_ready(state);
}

/// The world loop: a pass whenever the store changed or a timer fell due.
pub async fn run(shared: Shared) {
    let tick = Duration::from_millis(25);
    // settle() has just run: nothing to do until something changes.
    let mut last_rv = Some(
        shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .store
            .resource_version(),
    );
    let mut next_due: Option<Timestamp> = None;
    loop {
        tokio::time::sleep(tick).await;
        let started = std::time::Instant::now();
        let shared2 = shared.clone();
        // A pass over a big cluster takes a while: run it on the blocking pool, not on an
        // async worker the API needs.
        let outcome = tokio::task::spawn_blocking(move || {
            let mut st = shared2.lock().unwrap_or_else(|e| e.into_inner());
            let rv = st.store.resource_version();
            let now = st.clock.now();
            if last_rv == Some(rv) && next_due.is_none_or(|d| d > now) && !st.eks.wake {
                return None;
            }
            // If the pass wrote, the next tick runs another pass (its writes may enable more
            // work); a pass that writes nothing lets the loop go idle.
            Some((step(&mut st), rv))
        })
        .await;
        match outcome {
            Ok(Some((due, rv))) => {
                next_due = due;
                last_rv = Some(rv);
            }
            Ok(None) => continue,
            // A panic in a pass must not stop the world: try again on the next tick.
            Err(_) => last_rv = None,
        }
        // Leave the lock to the API for at least as long as the pass held it.
        let took = started.elapsed();
        if took > tick {
            tokio::time::sleep(took).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settled() -> SimState {
        let src = crate::scenario::ScenarioSource {
            generate: Some("nodes=6,pods=60,deployments=3,pools=2".into()),
            seed: 5,
            ..Default::default()
        };
        let sc = crate::scenario::load(&src).unwrap_or_else(|e| panic!("{e}"));
        crate::server::build_state(sc, None).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_pass_rereads_a_list_only_when_its_kind_changed() {
        let mut st = settled();
        let mut pass = Pass::new(&mut st, false);
        let nodes = pass.list(Kind::Node);
        let first = objects::name(&nodes[0]).to_string();
        let deps = pass.list(Kind::Deployment);
        let dep = &deps[0];
        pass.st
            .store
            .update(
                Kind::Deployment,
                objects::namespace(dep),
                objects::name(dep),
                &mut |d| d["metadata"]["annotations"] = json!({"touched": "yes"}),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            Arc::ptr_eq(&nodes, &pass.list(Kind::Node)),
            "a write to another kind keeps the list"
        );
        assert_eq!(
            pass.list(Kind::Deployment)[0]["metadata"]["annotations"]["touched"],
            "yes"
        );
        pass.st
            .store
            .update(Kind::Node, "", &first, &mut |n| {
                n["metadata"]["labels"]["touched"] = json!("yes")
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let after = pass.list(Kind::Node);
        assert_eq!(after[0]["metadata"]["labels"]["touched"], "yes");
        assert!(pass.st.store.remove(Kind::Node, "", &first).is_some());
        let after = pass.list(Kind::Node);
        assert_eq!(after.len(), nodes.len() - 1, "a removal is seen");
        assert!(after.iter().all(|n| objects::name(n) != first));
    }
}
