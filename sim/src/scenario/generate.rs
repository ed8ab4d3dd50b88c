//! The seeded generator for scale (`--generate nodes=5000,pods=150000,...`): a synthetic
//! cluster whose pods are already bound and Running, so the world has nothing to do at settle.
//!
//! Objects are built straight as JSON and handed to a callback one by one, so a caller that
//! stores them compactly never holds the whole cluster as `Value`s. Pods of one workload are
//! clones of one template with the per-pod fields patched in: the cost is one allocation
//! pass per pod.

use super::expand::{self, Capacity, Labels, NodeParams, PoolLink};
use super::file::{full_version_for, minor_of};
use super::text::Rng;
use super::{ClusterInfo, ManagedNodeGroup, ScenarioError};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{
    ConfigMapProjection, ConfigMapVolumeSource, Container, ContainerPort, DownwardAPIProjection,
    DownwardAPIVolumeFile, EnvVar, EnvVarSource, HTTPGetAction, KeyToPath, ObjectFieldSelector,
    PodSpec, Probe, ProjectedVolumeSource, ResourceRequirements, ServiceAccountTokenProjection,
    Toleration, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};

/// What to generate. Keys of the spec string, with their defaults:
/// `nodes=5000`, `pods=30×nodes`, `deployments=pods/75`, `pools=4` (at most nodes), `daemonsets=2`,
/// `versions=3`, `pdbs=true`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenSpec {
    pub nodes: usize,
    /// All pods, DaemonSet pods included.
    pub pods: usize,
    pub deployments: usize,
    /// Node pools: even ones are EKS managed node groups, odd ones Karpenter NodePools.
    pub pools: usize,
    /// DaemonSets: the first two have a pod on every node, each further one on one slice of
    /// the nodes (see [`GenSpec::ds_slices`]).
    pub daemonsets: usize,
    /// Kubelet minors in use: the control plane's and up to `versions - 1` behind it.
    pub versions: usize,
    /// One PodDisruptionBudget per Deployment.
    pub pdbs: bool,
    /// Helm release secrets (every revision), `HELM_REVISIONS` per release, spread over the
    /// team namespaces; the newest revision of each is deployed, one release in ten renders a
    /// removed API (`policy/v1beta1` PodDisruptionBudget).
    pub helm: usize,
}

/// Revisions the generator keeps per Helm release (Helm's default history is 10).
pub const HELM_REVISIONS: usize = 4;

const KEYS: &[&str] = &[
    "nodes",
    "pods",
    "deployments",
    "pools",
    "daemonsets",
    "versions",
    "pdbs",
    "helm",
];
const MAX_NODES: usize = 20_000;
/// DaemonSets that run on every node (like aws-node and kube-proxy).
const DS_EVERYWHERE: usize = 2;
/// The alphabet of Kubernetes' generated names and hashes (no vowels, no confusable digits).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// The node label that further DaemonSets select (node `j` is in slice `j % slices`).
pub const DS_SLICE_LABEL: &str = "kup-sim.io/ds-slice";

impl GenSpec {
    pub fn parse(spec: &str) -> Result<GenSpec, ScenarioError> {
        let bad = |m: String| ScenarioError::Generate {
            spec: spec.to_string(),
            message: m,
        };
        let mut given: BTreeMap<&str, &str> = BTreeMap::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("{part:?} is not KEY=VALUE")))?;
            let (k, v) = (k.trim(), v.trim());
            if !KEYS.contains(&k) {
                return Err(bad(format!(
                    "unknown key {k:?}, expected one of {}",
                    KEYS.join(", ")
                )));
            }
            if given.insert(k, v).is_some() {
                return Err(bad(format!("key {k:?} given twice")));
            }
        }
        let num = |k: &str| -> Result<Option<usize>, ScenarioError> {
            given
                .get(k)
                .map(|v| {
                    v.replace('_', "")
                        .parse::<usize>()
                        .map_err(|_| bad(format!("{k}={v}: not a whole number")))
                })
                .transpose()
        };
        let nodes = num("nodes")?.unwrap_or(5000);
        let pods = num("pods")?.unwrap_or(nodes.saturating_mul(30));
        let deployments = num("deployments")?.unwrap_or((pods / 75).max(1));
        let pools = num("pools")?.unwrap_or(nodes.clamp(1, 4));
        let daemonsets = num("daemonsets")?.unwrap_or(2);
        let versions = num("versions")?.unwrap_or(3);
        let pdbs = match given.get("pdbs").copied() {
            None | Some("true") | Some("yes") | Some("1") => true,
            Some("false") | Some("no") | Some("0") => false,
            Some(v) => return Err(bad(format!("pdbs={v}: expected true or false"))),
        };
        let g = GenSpec {
            nodes,
            pods,
            deployments,
            pools,
            daemonsets,
            versions,
            pdbs,
            helm: num("helm")?.unwrap_or(0),
        };
        if nodes == 0 || nodes > MAX_NODES {
            return Err(bad(format!("nodes={nodes}: expected 1..={MAX_NODES}")));
        }
        if pools == 0 || pools > nodes {
            return Err(bad(format!("pools={pools}: expected 1..=nodes ({nodes})")));
        }
        if versions == 0 || versions > 4 {
            return Err(bad(format!("versions={versions}: expected 1..=4")));
        }
        let ds_pods = g.ds_pods();
        if ds_pods > pods {
            return Err(bad(format!(
                "daemonsets={daemonsets} on {nodes} nodes need {ds_pods} pods, more than pods={pods} (DaemonSet pods count within pods)"
            )));
        }
        let app_pods = pods - ds_pods;
        if deployments > app_pods {
            return Err(bad(format!(
                "deployments={deployments} but only {app_pods} pods are left after DaemonSet pods: each needs at least one"
            )));
        }
        if app_pods > 0 && deployments == 0 {
            return Err(bad(format!(
                "{app_pods} pods are left for Deployments but deployments=0"
            )));
        }
        if pods.div_ceil(nodes) > 200 {
            return Err(bad(format!(
                "{} pods per node is more than a node holds (200); add nodes",
                pods.div_ceil(nodes)
            )));
        }
        Ok(g)
    }

    /// Into how many slices the nodes are cut for the DaemonSets beyond the first two: each
    /// such DaemonSet selects one slice (DaemonSet `2 + i` the slice `i % slices`). Chosen so
    /// that their pods take about a quarter of the pods left after the everywhere-DaemonSets;
    /// 1 (every node) when that budget allows, at most `nodes` (one node each).
    pub fn ds_slices(&self) -> usize {
        let extra = self.daemonsets.saturating_sub(DS_EVERYWHERE);
        if extra == 0 {
            return 1;
        }
        let everywhere = self
            .daemonsets
            .min(DS_EVERYWHERE)
            .saturating_mul(self.nodes);
        let budget = (self.pods.saturating_sub(everywhere) / 4).max(1);
        extra
            .saturating_mul(self.nodes)
            .div_ceil(budget)
            .clamp(1, self.nodes)
    }

    /// The nodes DaemonSet `d` runs on: every node, or the size of its slice.
    fn ds_node_count(&self, d: usize) -> usize {
        if d < DS_EVERYWHERE {
            return self.nodes;
        }
        let slices = self.ds_slices();
        let slice = (d - DS_EVERYWHERE) % slices;
        self.nodes / slices + usize::from(slice < self.nodes % slices)
    }

    /// All DaemonSet pods (they count within `pods`).
    pub fn ds_pods(&self) -> usize {
        let everywhere = self
            .daemonsets
            .min(DS_EVERYWHERE)
            .saturating_mul(self.nodes);
        let extra = self.daemonsets.saturating_sub(DS_EVERYWHERE);
        let slices = self.ds_slices();
        // Slice s is selected by extra / slices DaemonSets, one more for the first extra % slices.
        (0..slices).fold(everywhere, |n, s| {
            let sets = extra / slices + usize::from(s < extra % slices);
            let size = self.nodes / slices + usize::from(s < self.nodes % slices);
            n.saturating_add(sets.saturating_mul(size))
        })
    }

    /// How many objects `generate` emits (to reserve space).
    pub fn object_count(&self) -> usize {
        let per_deploy = if self.pdbs { 3 } else { 2 };
        self.nodes
            + self.pools
            + self.pods
            + self.daemonsets
            + self.deployments * per_deploy
            + self.helm
            + 24
    }
}

/// One node being filled.
struct Slot {
    name: String,
    ip: String,
    pods_left: u64,
    cpu_left: u64,
    /// The DaemonSet slice this node is in.
    slice: usize,
}

/// Pool `i`: even ones are managed node groups (`ng-I`), odd ones Karpenter NodePools (`pool-I`).
fn pool_link(i: usize) -> PoolLink {
    if i.is_multiple_of(2) {
        PoolLink::NodeGroup(format!("ng-{i}"))
    } else {
        PoolLink::NodePool(format!("pool-{i}"))
    }
}

fn instance_type_for(spec: &GenSpec) -> &'static str {
    if spec.pods.div_ceil(spec.nodes) > 50 {
        "m5.4xlarge"
    } else {
        "m5.2xlarge"
    }
}

/// The managed node groups of a generated cluster (node `j` is in pool `j % pools`; a group
/// has one Kubernetes minor).
pub fn node_groups(spec: &GenSpec, cluster: &ClusterInfo) -> Vec<ManagedNodeGroup> {
    let cp_minor = minor_of(&cluster.git_version).unwrap_or(29);
    (0..spec.pools)
        .filter_map(|i| match pool_link(i) {
            PoolLink::NodeGroup(name) => {
                let version = format!("1.{}", cp_minor.saturating_sub((i % spec.versions) as u32));
                let size =
                    (spec.nodes / spec.pools + usize::from(i < spec.nodes % spec.pools)) as u32;
                Some(ManagedNodeGroup {
                    name,
                    release_version: format!("{}-20240129", full_version_for(&version)),
                    version,
                    ami_type: "AL2_x86_64".into(),
                    instance_types: vec![instance_type_for(spec).into()],
                    labels: BTreeMap::new(),
                    taints: Vec::new(),
                    min_size: size,
                    max_size: size * 2,
                    desired_size: size,
                    max_unavailable: 1,
                })
            }
            _ => None,
        })
        .collect()
}

/// Generate the cluster; every object goes to `emit`, in apply order (pools, nodes,
/// DaemonSets and their pods, namespaces, then per Deployment: Deployment, ReplicaSet, PDB, pods).
pub fn generate(
    spec: &GenSpec,
    seed: u64,
    cluster: &ClusterInfo,
    now: Timestamp,
    emit: &mut dyn FnMut(Value),
) {
    let mut rng = Rng::new(seed);
    let cp_minor = minor_of(&cluster.git_version).unwrap_or(29);
    let region = cluster.region.as_str();
    let node_created = now
        .checked_sub(SignedDuration::from_hours(30))
        .unwrap_or(now);
    let app_created = now
        .checked_sub(SignedDuration::from_hours(6))
        .unwrap_or(now);
    let density = spec.pods.div_ceil(spec.nodes);
    let instance_type = instance_type_for(spec);
    let mut shape = Capacity::of_instance(instance_type);
    shape.pods = shape.pods.max(density as u64 + 16);

    let links: Vec<PoolLink> = (0..spec.pools).map(pool_link).collect();
    for link in &links {
        if let PoolLink::NodePool(name) = link {
            emit(expand::nodepool(
                "karpenter.sh/v1",
                name,
                &Labels::new(),
                &[],
                &[],
                &[],
                "default",
                &Labels::new(),
            ));
        }
    }

    // Nodes: node j is in pool j % pools; Karpenter pools mix kubelet minors, a managed node
    // group has one.
    let mut slots: Vec<Vec<Slot>> = (0..spec.pools).map(|_| Vec::new()).collect();
    let (cpu_alloc, _) = shape.allocatable();
    let slices = spec.ds_slices();
    let sliced = spec.daemonsets > DS_EVERYWHERE;
    for j in 0..spec.nodes {
        let pool = j % spec.pools;
        let in_pool = j / spec.pools;
        let minor = match &links[pool] {
            PoolLink::NodeGroup(_) => cp_minor.saturating_sub((pool % spec.versions) as u32),
            _ => cp_minor.saturating_sub((in_pool % spec.versions) as u32),
        };
        let kubelet = if minor == cp_minor {
            cluster.git_version.clone()
        } else {
            format!(
                "v{}-eks-{}",
                full_version_for(&format!("1.{minor}")),
                ["a59e1f0", "3025e55", "ae9a62a", "5c5d4a5"][(cp_minor - minor) as usize % 4]
            )
        };
        let zone_index = j % 3;
        // 10.0.0.0/16 for nodes (scenario-file nodes use 192.168.0.0/16), pods in 100.64.0.0/10
        // as with EKS custom networking: no address is used twice.
        let host = j / 3;
        let ip = format!("10.0.{}.{}", zone_index * 80 + host / 250, 4 + host % 250);
        let name = expand::node_name_for_ip(&ip, region);
        let params = NodeParams {
            name: name.clone(),
            ip: ip.clone(),
            kubelet_version: kubelet,
            pool: links[pool].clone(),
            labels: if sliced {
                Labels::from([(DS_SLICE_LABEL.to_string(), (j % slices).to_string())])
            } else {
                Labels::new()
            },
            annotations: Labels::new(),
            taints: Vec::new(),
            instance_type: instance_type.to_string(),
            zone: format!("{region}{}", ['a', 'b', 'c'][zone_index]),
            region: region.to_string(),
            capacity: shape,
            ready: true,
            unschedulable: false,
            created: node_created,
            instance_id: format!("i-0{:016x}", rng.next_u64() >> 4),
        };
        emit(expand::node(&params));
        slots[pool].push(Slot {
            name,
            ip,
            pods_left: shape.pods,
            cpu_left: cpu_alloc,
            slice: j % slices,
        });
    }
    let mut pod_ip: u32 = (100 << 24) | (64 << 16);
    let mut next_ip = || {
        pod_ip += 1;
        format!(
            "{}.{}.{}.{}",
            pod_ip >> 24,
            (pod_ip >> 16) & 255,
            (pod_ip >> 8) & 255,
            pod_ip & 255
        )
    };

    // DaemonSets: the first two on every node, the others on their slice of the nodes.
    for d in 0..spec.daemonsets {
        let name = format!("ds-{d}");
        let labels = Labels::from([("k8s-app".to_string(), name.clone())]);
        let uid = rng.uuid();
        // controller-revision-hash is in the safe alphabet, as upstream's (same draws as before).
        let hash: String = rng
            .hex(10)
            .bytes()
            .map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char)
            .collect();
        let slice = (d >= DS_EVERYWHERE).then(|| (d - DS_EVERYWHERE) % slices);
        let node_selector = match slice {
            Some(s) => Labels::from([(DS_SLICE_LABEL.to_string(), s.to_string())]),
            None => Labels::new(),
        };
        let tpl_spec = pod_spec(&name, &node_selector, true, 10, 32);
        let nodes = spec.ds_node_count(d) as i64;
        emit(json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": "kube-system", "uid": uid, "generation": 1, "labels": labels,
                         "annotations": {"deprecated.daemonset.template.generation": "1"},
                         "creationTimestamp": expand::rfc3339(node_created)},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": expand::to_json(&tpl_spec)},
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}, "revisionHistoryLimit": 10},
            "status": {"currentNumberScheduled": nodes, "desiredNumberScheduled": nodes, "numberAvailable": nodes, "numberMisscheduled": 0,
                       "numberReady": nodes, "observedGeneration": 1, "updatedNumberScheduled": nodes},
        }));
        let owner = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true});
        let mut pod_labels = labels.clone();
        pod_labels.insert("controller-revision-hash".into(), hash);
        pod_labels.insert("pod-template-generation".into(), "1".into());
        let template = pod_template(&tpl_spec, "kube-system", &pod_labels, owner, node_created);
        let mut used = HashSet::new();
        for pool in &mut slots {
            for slot in pool
                .iter_mut()
                .filter(|s| slice.is_none_or(|x| x == s.slice))
            {
                slot.pods_left = slot.pods_left.saturating_sub(1);
                slot.cpu_left = slot.cpu_left.saturating_sub(10);
                let mut pod = template.clone();
                // A DaemonSet pod is pinned to its node through required node affinity.
                pod["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [slot.name]}]}]}}});
                let ip = next_ip();
                personalize(&mut pod, &mut rng, &mut used, &name, slot, &ip);
                emit(pod);
            }
        }
        used.clear();
    }

    // Deployments: replicas spread at random (each at least 1) over the remaining pods.
    let app_pods = spec.pods - spec.ds_pods();
    let mut replicas = vec![1usize; spec.deployments];
    for _ in 0..app_pods.saturating_sub(spec.deployments) {
        let k = rng.below(spec.deployments as u64) as usize;
        replicas[k] += 1;
    }
    let namespaces = spec.deployments.clamp(1, 20);
    for ns in 0..namespaces {
        emit(expand::namespace(&format!("team-{ns}")));
    }
    let mut cursor = vec![0usize; spec.pools];
    for (k, &count) in replicas.iter().enumerate() {
        let pool = k % spec.pools;
        let name = format!("app-{k}");
        let namespace = format!("team-{}", k % namespaces);
        let (pool_key, pool_name) = match &links[pool] {
            PoolLink::NodeGroup(n) => ("eks.amazonaws.com/nodegroup", n.clone()),
            PoolLink::NodePool(n) | PoolLink::Provisioner(n) => {
                ("karpenter.sh/nodepool", n.clone())
            }
            PoolLink::None => ("", String::new()),
        };
        let selector = Labels::from([(pool_key.to_string(), pool_name)]);
        let labels = Labels::from([("app".to_string(), name.clone())]);
        let cpu = [10u64, 20, 25, 50][k % 4];
        let tpl_spec = pod_spec(&name, &selector, false, cpu, 64);
        let (dep_uid, rs_uid) = (rng.uuid(), rng.uuid());
        let hash = rng.suffix(10);
        let rs_name = format!("{name}-{hash}");
        let created = expand::rfc3339(app_created);
        let c = count as i64;
        let tpl_json = expand::to_json(&tpl_spec);
        emit(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "uid": dep_uid, "generation": 1, "labels": labels, "creationTimestamp": created,
                         "annotations": {"deployment.kubernetes.io/revision": "1"}},
            "spec": {"replicas": c, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": tpl_json},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                     "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
            "status": {"observedGeneration": 1, "replicas": c, "updatedReplicas": c, "readyReplicas": c, "availableReplicas": c,
                       "conditions": [
                         {"type": "Available", "status": "True", "lastUpdateTime": created, "lastTransitionTime": created,
                          "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                         {"type": "Progressing", "status": "True", "lastUpdateTime": created, "lastTransitionTime": created,
                          "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")}]},
        }));
        let mut pod_labels = labels.clone();
        pod_labels.insert("pod-template-hash".into(), hash.clone());
        emit(json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": namespace, "uid": rs_uid, "generation": 1, "labels": pod_labels, "creationTimestamp": created,
                         "annotations": {"deployment.kubernetes.io/desired-replicas": c.to_string(), "deployment.kubernetes.io/max-replicas": (c + (c + 3) / 4).to_string(), "deployment.kubernetes.io/revision": "1"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": dep_uid, "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": c, "selector": {"matchLabels": pod_labels}, "template": {"metadata": {"labels": pod_labels}, "spec": tpl_json}},
            "status": {"replicas": c, "fullyLabeledReplicas": c, "readyReplicas": c, "availableReplicas": c, "observedGeneration": 1},
        }));
        if spec.pdbs {
            // Alternate the two PDB styles; both allow one disruption when all pods are Ready.
            let (field, value, desired) = if k % 2 == 0 {
                ("maxUnavailable", json!(1), c - 1)
            } else {
                ("minAvailable", json!("50%"), (c + 1) / 2)
            };
            emit(json!({
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": name, "namespace": namespace, "uid": rng.uuid(), "generation": 1, "creationTimestamp": created},
                "spec": {field: value, "selector": {"matchLabels": labels}},
                "status": {"observedGeneration": 1, "currentHealthy": c, "desiredHealthy": desired, "expectedPods": c,
                           "disruptionsAllowed": (c - desired).max(0),
                           "conditions": [{"type": "DisruptionAllowed", "status": if c > desired { "True" } else { "False" },
                                           "reason": if c > desired { "SufficientPods" } else { "InsufficientPods" }, "message": "",
                                           "lastTransitionTime": created, "observedGeneration": 1}]},
            }));
        }
        let owner = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid, "controller": true, "blockOwnerDeletion": true});
        let template = pod_template(&tpl_spec, &namespace, &pod_labels, owner, app_created);
        let nodes = &mut slots[pool];
        let mut used = HashSet::new();
        for _ in 0..count {
            // Round-robin over the pool, skipping full nodes; the spec checks keep room.
            let mut tries = 0;
            while tries < nodes.len()
                && (nodes[cursor[pool]].pods_left == 0 || nodes[cursor[pool]].cpu_left < cpu)
            {
                cursor[pool] = (cursor[pool] + 1) % nodes.len();
                tries += 1;
            }
            let len = nodes.len();
            let slot = &mut nodes[cursor[pool]];
            slot.pods_left = slot.pods_left.saturating_sub(1);
            slot.cpu_left = slot.cpu_left.saturating_sub(cpu);
            cursor[pool] = (cursor[pool] + 1) % len;
            let mut pod = template.clone();
            let ip = next_ip();
            personalize(&mut pod, &mut rng, &mut used, &rs_name, slot, &ip);
            emit(pod);
        }
    }

    // Helm releases: every revision a Secret, the newest deployed, the others superseded.
    for i in 0..spec.helm {
        let (release, rev) = (i / HELM_REVISIONS, (i % HELM_REVISIONS) as u64 + 1);
        let last = rev == HELM_REVISIONS as u64 || i + 1 == spec.helm;
        let name = format!("app-{release}");
        emit(super::helm::release_secret(
            &format!("team-{}", release % namespaces),
            &name,
            rev,
            if last { "deployed" } else { "superseded" },
            (&name, "1.0.0"),
            &super::helm::manifest(&name, release % 10 == 0),
            app_created,
        ));
    }
}

/// The pod spec of a generated workload: an app container and a log-shipping sidecar, like a
/// typical EKS pod (env, probes, mounts, the projected service-account token).
fn pod_spec(name: &str, node_selector: &Labels, daemon: bool, cpu_m: u64, mem_mi: u64) -> PodSpec {
    let q = |s: String| Quantity(s);
    let res = |cpu: u64, mem: u64| ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".into(), q(format!("{cpu}m"))),
            ("memory".into(), q(format!("{mem}Mi"))),
        ])),
        limits: Some(BTreeMap::from([(
            "memory".into(),
            q(format!("{}Mi", mem * 2)),
        )])),
        claims: None,
    };
    let env = |pairs: &[(&str, &str)]| -> Vec<EnvVar> {
        let mut v: Vec<EnvVar> = pairs
            .iter()
            .map(|(k, val)| EnvVar {
                name: k.to_string(),
                value: Some(val.to_string()),
                value_from: None,
            })
            .collect();
        for (k, path) in [
            ("POD_NAME", "metadata.name"),
            ("POD_NAMESPACE", "metadata.namespace"),
            ("NODE_NAME", "spec.nodeName"),
        ] {
            v.push(EnvVar {
                name: k.into(),
                value: None,
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        api_version: Some("v1".into()),
                        field_path: path.into(),
                    }),
                    ..Default::default()
                }),
            });
        }
        v
    };
    let sa_mount = VolumeMount {
        name: "kube-api-access".into(),
        mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
        read_only: Some(true),
        ..Default::default()
    };
    let probe = |path: &str, port: i32| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::Int(port),
            scheme: Some("HTTP".into()),
            ..Default::default()
        }),
        period_seconds: Some(10),
        timeout_seconds: Some(1),
        success_threshold: Some(1),
        failure_threshold: Some(3),
        ..Default::default()
    };
    let common = |c: Container| Container {
        termination_message_path: Some("/dev/termination-log".into()),
        termination_message_policy: Some("File".into()),
        image_pull_policy: Some("IfNotPresent".into()),
        ..c
    };
    let app = common(Container {
        name: name.to_string(),
        image: Some(format!(
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/{name}:1.4.2"
        )),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: 8080,
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        env: Some(env(&[
            ("LOG_LEVEL", "info"),
            ("HTTP_PORT", "8080"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://otel-collector.observability:4317",
            ),
        ])),
        resources: Some(res(cpu_m, mem_mi)),
        readiness_probe: Some(probe("/ready", 8080)),
        liveness_probe: Some(probe("/healthz", 8080)),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "config".into(),
                mount_path: "/etc/app".into(),
                read_only: Some(true),
                ..Default::default()
            },
            sa_mount.clone(),
        ]),
        ..Default::default()
    });
    let sidecar = common(Container {
        name: "log-router".into(),
        image: Some("public.ecr.aws/aws-observability/aws-for-fluent-bit:2.31.12".into()),
        env: Some(env(&[
            ("AWS_REGION", "us-east-1"),
            ("FLB_LOG_LEVEL", "warn"),
        ])),
        resources: Some(res(5, 32)),
        volume_mounts: Some(vec![sa_mount]),
        ..Default::default()
    });
    let mut tolerations = Vec::new();
    let tol = |key: &str, effect: &str, seconds: Option<i64>| Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        toleration_seconds: seconds,
        value: None,
    };
    if daemon {
        // What the DaemonSet controller adds to its pods.
        tolerations.push(tol("node.kubernetes.io/not-ready", "NoExecute", None));
        tolerations.push(tol("node.kubernetes.io/unreachable", "NoExecute", None));
        tolerations.push(tol("node.kubernetes.io/disk-pressure", "NoSchedule", None));
        tolerations.push(tol(
            "node.kubernetes.io/memory-pressure",
            "NoSchedule",
            None,
        ));
        tolerations.push(tol("node.kubernetes.io/pid-pressure", "NoSchedule", None));
        tolerations.push(tol("node.kubernetes.io/unschedulable", "NoSchedule", None));
    } else {
        // The DefaultTolerationSeconds admission plugin's pair.
        tolerations.push(tol("node.kubernetes.io/not-ready", "NoExecute", Some(300)));
        tolerations.push(tol(
            "node.kubernetes.io/unreachable",
            "NoExecute",
            Some(300),
        ));
    }
    PodSpec {
        containers: vec![app, sidecar],
        volumes: Some(vec![
            Volume {
                name: "config".into(),
                config_map: Some(ConfigMapVolumeSource {
                    name: format!("{name}-config"),
                    default_mode: Some(420),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Volume {
                name: "kube-api-access".into(),
                projected: Some(ProjectedVolumeSource {
                    default_mode: Some(420),
                    sources: Some(vec![
                        VolumeProjection {
                            service_account_token: Some(ServiceAccountTokenProjection {
                                expiration_seconds: Some(3607),
                                path: "token".into(),
                                audience: None,
                            }),
                            ..Default::default()
                        },
                        VolumeProjection {
                            config_map: Some(ConfigMapProjection {
                                name: "kube-root-ca.crt".into(),
                                items: Some(vec![KeyToPath {
                                    key: "ca.crt".into(),
                                    path: "ca.crt".into(),
                                    mode: None,
                                }]),
                                optional: None,
                            }),
                            ..Default::default()
                        },
                        VolumeProjection {
                            downward_api: Some(DownwardAPIProjection {
                                items: Some(vec![DownwardAPIVolumeFile {
                                    path: "namespace".into(),
                                    field_ref: Some(ObjectFieldSelector {
                                        api_version: Some("v1".into()),
                                        field_path: "metadata.namespace".into(),
                                    }),
                                    ..Default::default()
                                }]),
                            }),
                            ..Default::default()
                        },
                    ]),
                }),
                ..Default::default()
            },
        ]),
        node_selector: (!node_selector.is_empty()).then(|| node_selector.clone()),
        tolerations: Some(tolerations),
        restart_policy: Some("Always".into()),
        termination_grace_period_seconds: Some(30),
        dns_policy: Some("ClusterFirst".into()),
        service_account_name: Some("default".into()),
        service_account: Some("default".into()),
        security_context: Some(Default::default()),
        scheduler_name: Some("default-scheduler".into()),
        priority: Some(if daemon { 2000001000 } else { 0 }),
        priority_class_name: daemon.then(|| "system-node-critical".into()),
        enable_service_links: Some(true),
        preemption_policy: Some("PreemptLowerPriority".into()),
        ..Default::default()
    }
}

/// A Running, Ready pod of a workload, with the per-pod fields left to `personalize`.
fn pod_template(
    spec: &PodSpec,
    namespace: &str,
    labels: &Labels,
    owner: Value,
    created: Timestamp,
) -> Value {
    let t = expand::rfc3339(created);
    let started = expand::rfc3339(
        created
            .checked_add(SignedDuration::from_secs(9))
            .unwrap_or(created),
    );
    let cond = |kind: &str, at: &str| json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": at});
    let statuses: Vec<Value> = spec
        .containers
        .iter()
        .map(|c| {
            json!({"name": c.name, "state": {"running": {"startedAt": started}}, "lastState": {}, "ready": true, "restartCount": 0,
                   "image": c.image, "imageID": "", "containerID": "", "started": true,
                   "volumeMounts": c.volume_mounts.iter().flatten().map(|m| json!({"name": m.name, "mountPath": m.mount_path, "readOnly": true, "recursiveReadOnly": "Disabled"})).collect::<Vec<_>>()})
        })
        .collect();
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "", "generateName": "", "namespace": namespace, "uid": "", "generation": 1, "creationTimestamp": t,
                     "labels": labels, "ownerReferences": [owner]},
        "spec": expand::to_json(spec),
        "status": {"phase": "Running",
                   "conditions": [cond("PodReadyToStartContainers", &started), cond("Initialized", &t), cond("Ready", &started),
                                  cond("ContainersReady", &started), cond("PodScheduled", &t)],
                   "hostIP": "", "hostIPs": [], "podIP": "", "podIPs": [], "startTime": t,
                   "containerStatuses": statuses, "qosClass": "Burstable"},
    })
}

/// Fill in what differs per pod: name, uid, node, IPs, container ids.
fn personalize(
    pod: &mut Value,
    rng: &mut Rng,
    used: &mut HashSet<String>,
    generate_name: &str,
    slot: &Slot,
    ip: &str,
) {
    // Random suffixes as the API server makes them, redrawn on a clash within the workload.
    let mut suffix = rng.suffix(5);
    while !used.insert(suffix.clone()) {
        suffix = rng.suffix(5);
    }
    let name = format!("{generate_name}-{suffix}");
    pod["metadata"]["generateName"] = Value::String(format!("{generate_name}-"));
    pod["metadata"]["name"] = Value::String(name);
    pod["metadata"]["uid"] = Value::String(rng.uuid());
    pod["spec"]["nodeName"] = Value::String(slot.name.clone());
    let status = &mut pod["status"];
    status["hostIP"] = Value::String(slot.ip.clone());
    status["hostIPs"] = json!([{"ip": slot.ip}]);
    status["podIP"] = Value::String(ip.to_string());
    status["podIPs"] = json!([{"ip": ip}]);
    if let Some(list) = status["containerStatuses"].as_array_mut() {
        for c in list {
            c["containerID"] = Value::String(format!("containerd://{}", rng.hex(64)));
            let image = c["image"].as_str().unwrap_or_default();
            let repo = image.rsplit_once(':').map_or(image, |(r, _)| r);
            c["imageID"] = Value::String(format!("{repo}@sha256:{}", rng.hex(64)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(spec: &str, seed: u64) -> (Vec<Value>, Vec<ManagedNodeGroup>) {
        let spec = GenSpec::parse(spec).expect("valid spec");
        let cluster = ClusterInfo::default_with_version("v1.29.6-eks-1234567");
        let now: Timestamp = "2026-11-24T05:00:00Z".parse().expect("timestamp");
        let mut out = Vec::new();
        generate(&spec, seed, &cluster, now, &mut |v| out.push(v));
        (out, node_groups(&spec, &cluster))
    }

    fn count(objs: &[Value], kind: &str) -> usize {
        objs.iter().filter(|o| o["kind"] == kind).count()
    }

    #[test]
    fn spec_defaults_and_errors() {
        let g = GenSpec::parse("nodes=100").expect("ok");
        assert_eq!(
            g,
            GenSpec {
                nodes: 100,
                pods: 3000,
                deployments: 40,
                pools: 4,
                daemonsets: 2,
                versions: 3,
                pdbs: true,
                helm: 0,
            }
        );
        let g = GenSpec::parse(
            "nodes=5000,pods=150000,deployments=2000,pools=4,daemonsets=3,versions=3,pdbs=false",
        )
        .expect("ok");
        assert_eq!(
            (g.nodes, g.pods, g.deployments, g.daemonsets, g.pdbs),
            (5000, 150000, 2000, 3, false)
        );
        for (bad, what) in [
            ("nodes=10,replicas=3", "unknown key \"replicas\""),
            ("nodes=ten", "not a whole number"),
            ("nodes", "not KEY=VALUE"),
            ("nodes=10,pods=15", "DaemonSet pods count within pods"),
            ("nodes=0", "nodes=0"),
            ("nodes=2,pools=3", "pools=3"),
            ("pdbs=maybe", "pdbs=maybe"),
            ("nodes=1,pods=500", "pods per node"),
            ("nodes=1,nodes=2", "twice"),
            ("nodes=10,daemonsets=18446744073709551615", "daemonsets="),
            ("nodes=18446744073709551615", "nodes="),
        ] {
            let e = GenSpec::parse(bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains(what), "{bad}: {e}");
            assert!(e.starts_with("--generate"), "{e}");
        }
    }

    #[test]
    fn counts_and_placement() {
        let (objs, groups) = run(
            "nodes=40,pods=1000,deployments=30,pools=4,daemonsets=2,versions=3",
            1,
        );
        assert_eq!(count(&objs, "Node"), 40);
        assert_eq!(count(&objs, "Pod"), 1000);
        assert_eq!(count(&objs, "Deployment"), 30);
        assert_eq!(count(&objs, "ReplicaSet"), 30);
        assert_eq!(count(&objs, "PodDisruptionBudget"), 30);
        assert_eq!(count(&objs, "DaemonSet"), 2);
        assert_eq!(count(&objs, "NodePool"), 2);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups.iter().map(|g| g.desired_size).sum::<u32>(), 20);
        let nodes: std::collections::BTreeMap<&str, &Value> = objs
            .iter()
            .filter(|o| o["kind"] == "Node")
            .filter_map(|n| Some((n["metadata"]["name"].as_str()?, n)))
            .collect();
        assert_eq!(nodes.len(), 40, "node names are unique");
        let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
        for pod in objs.iter().filter(|o| o["kind"] == "Pod") {
            let node_name = pod["spec"]["nodeName"].as_str().unwrap_or_default();
            let node = nodes.get(node_name).expect("pod bound to an existing node");
            // Pods of a Deployment sit on a node of the pool they select.
            if let Some(sel) = pod["spec"]["nodeSelector"].as_object() {
                for (k, v) in sel {
                    assert_eq!(&node["metadata"]["labels"][k], v);
                }
            }
            assert_eq!(pod["status"]["phase"], "Running");
            *per_node.entry(node_name).or_default() += 1;
        }
        for (name, n) in per_node {
            let cap: usize = nodes[name]["status"]["allocatable"]["pods"]
                .as_str()
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            assert!(n <= cap, "{name}: {n} pods > {cap}");
        }
        let versions: std::collections::BTreeSet<&str> = nodes
            .values()
            .filter_map(|n| n["status"]["nodeInfo"]["kubeletVersion"].as_str())
            .collect();
        assert_eq!(versions.len(), 3, "{versions:?}");
        assert!(versions.contains("v1.29.6-eks-1234567"));
        let names: std::collections::BTreeSet<(&str, &str)> = objs
            .iter()
            .filter(|o| o["kind"] == "Pod")
            .filter_map(|o| {
                Some((
                    o["metadata"]["namespace"].as_str()?,
                    o["metadata"]["name"].as_str()?,
                ))
            })
            .collect();
        assert_eq!(names.len(), 1000, "pod names are unique");
        let ips: std::collections::BTreeSet<&str> = objs
            .iter()
            .filter_map(|o| o["status"]["podIP"].as_str())
            .collect();
        assert_eq!(ips.len(), 1000, "pod IPs are unique");
        let uids: std::collections::BTreeSet<&str> = objs
            .iter()
            .filter_map(|o| o["metadata"]["uid"].as_str())
            .collect();
        assert_eq!(
            uids.len(),
            objs.iter()
                .filter(|o| o["metadata"]["uid"].is_string())
                .count(),
            "uids are unique"
        );
    }

    #[test]
    fn many_daemonsets_select_slices_of_nodes_and_count_within_pods() {
        let spec = "nodes=100,pods=3000,deployments=40,pools=4,daemonsets=20,versions=3";
        let g = GenSpec::parse(spec).expect("valid spec");
        // 18 sliced DaemonSets over 100 nodes within a quarter of the 2,800 pods left: 1 slice
        // would need 1,800 pods, so 3 slices of 34, 33 and 33 nodes.
        assert_eq!(g.ds_slices(), 3);
        assert_eq!(g.ds_pods(), 2 * 100 + 6 * 34 + 6 * 33 + 6 * 33);
        let (objs, _) = run(spec, 5);
        assert_eq!(count(&objs, "Pod"), 3000);
        assert_eq!(count(&objs, "DaemonSet"), 20);
        let slice_of: BTreeMap<&str, &str> = objs
            .iter()
            .filter(|o| o["kind"] == "Node")
            .filter_map(|n| {
                Some((
                    n["metadata"]["name"].as_str()?,
                    n["metadata"]["labels"][DS_SLICE_LABEL].as_str()?,
                ))
            })
            .collect();
        assert_eq!(slice_of.len(), 100, "every node has a slice label");
        for ds in objs.iter().filter(|o| o["kind"] == "DaemonSet") {
            let name = ds["metadata"]["name"].as_str().unwrap_or_default();
            let selector = &ds["spec"]["template"]["spec"]["nodeSelector"][DS_SLICE_LABEL];
            let pods: Vec<&Value> = objs
                .iter()
                .filter(|o| {
                    o["kind"] == "Pod" && o["metadata"]["ownerReferences"][0]["name"] == name
                })
                .collect();
            assert_eq!(
                ds["status"]["desiredNumberScheduled"],
                json!(pods.len()),
                "{name}"
            );
            let on: std::collections::BTreeSet<&str> = pods
                .iter()
                .filter_map(|p| p["spec"]["nodeName"].as_str())
                .collect();
            assert_eq!(on.len(), pods.len(), "{name}: one pod per node");
            if name == "ds-0" || name == "ds-1" {
                assert!(selector.is_null(), "{name} runs everywhere");
                assert_eq!(pods.len(), 100);
            } else {
                let want = selector
                    .as_str()
                    .expect("a sliced DaemonSet selects its slice");
                assert!(on.iter().all(|n| slice_of[n] == want), "{name}");
                assert_eq!(on.len(), slice_of.values().filter(|s| **s == want).count());
            }
        }
        // Few DaemonSets: no slicing, nodes keep their labels as before.
        let (objs, _) = run("nodes=8,pods=100,deployments=4,daemonsets=2", 5);
        assert!(
            objs.iter()
                .filter(|o| o["kind"] == "Node")
                .all(|n| n["metadata"]["labels"][DS_SLICE_LABEL].is_null())
        );
        // The large cluster is a valid spec, its DaemonSet pods a fraction of all pods.
        let large =
            GenSpec::parse("nodes=5000,pods=150000,deployments=2000,pools=4,daemonsets=200")
                .expect("large spec");
        assert_eq!((large.ds_slices(), large.ds_pods()), (29, 10_000 + 34_140));
    }

    #[test]
    fn node_groups_have_one_minor_and_nodepools_mix_them() {
        let (objs, groups) = run("nodes=40,pods=600,pools=4,versions=3", 9);
        let mut by_pool: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for n in objs.iter().filter(|o| o["kind"] == "Node") {
            let labels = &n["metadata"]["labels"];
            let pool = labels["eks.amazonaws.com/nodegroup"]
                .as_str()
                .or(labels["karpenter.sh/nodepool"].as_str())
                .unwrap_or_default();
            let v = n["status"]["nodeInfo"]["kubeletVersion"]
                .as_str()
                .unwrap_or_default();
            let minor = v.split('.').nth(1).unwrap_or_default().to_string();
            by_pool.entry(pool.to_string()).or_default().insert(minor);
        }
        let minors = |p: &str| by_pool.get(p).cloned().unwrap_or_default();
        assert_eq!(minors("ng-0"), ["29".to_string()].into());
        assert_eq!(minors("ng-2"), ["27".to_string()].into());
        for p in ["pool-1", "pool-3"] {
            assert_eq!(
                minors(p),
                ["27", "28", "29"].map(String::from).into(),
                "{p}"
            );
        }
        let group_versions: Vec<&str> = groups.iter().map(|g| g.version.as_str()).collect();
        assert_eq!(group_versions, ["1.29", "1.27"]);
    }

    #[test]
    fn reproducible_with_the_same_seed() {
        let (a, _) = run("nodes=12,pods=200,deployments=7", 42);
        let (b, _) = run("nodes=12,pods=200,deployments=7", 42);
        let (c, _) = run("nodes=12,pods=200,deployments=7", 43);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn pods_are_about_six_kilobytes() {
        let (objs, _) = run("nodes=4,pods=100,deployments=5,daemonsets=1", 3);
        let pods: Vec<&Value> = objs.iter().filter(|o| o["kind"] == "Pod").collect();
        let total: usize = pods
            .iter()
            .map(|p| serde_json::to_vec(p).map(|v| v.len()).unwrap_or(0))
            .sum();
        let avg = total / pods.len();
        assert!((4500..=8000).contains(&avg), "average pod is {avg} bytes");
        let p = pods[pods.len() - 1];
        assert_eq!(p["spec"]["containers"].as_array().map(Vec::len), Some(2));
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
        assert_eq!(p["spec"]["tolerations"][0]["tolerationSeconds"], 300);
        assert_eq!(p["status"]["conditions"].as_array().map(Vec::len), Some(5));
    }
}
