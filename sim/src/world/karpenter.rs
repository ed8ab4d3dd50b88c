//! Karpenter: launch nodes (at the control plane's version) for pods the scheduler could not
//! place but a pool could host, and terminate deleted nodes through the
//! `karpenter.sh/termination` finalizer (drain through the Eviction API, then remove).
//!
//! Pools are Provisioners (karpenter.sh/v1alpha5) and NodePools (v1 / v1beta1, told apart by
//! the stored object's apiVersion).

use super::objects::{self, NodeFacts, Requests, get, s};
use super::{Pass, with_mem};
use crate::resources::Kind;
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};

pub const TERMINATION_FINALIZER: &str = "karpenter.sh/termination";
pub const NODEPOOL_LABEL: &str = "karpenter.sh/nodepool";
pub const PROVISIONER_LABEL: &str = "karpenter.sh/provisioner-name";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolApi {
    V1alpha5,
    V1beta1,
    V1,
}

/// What a new node of a pool looks like.
#[derive(Clone, Debug)]
pub struct Pool {
    pub api: PoolApi,
    pub api_version: String,
    pub name: String,
    pub uid: String,
    pub weight: i64,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Value>,
    pub startup_taints: Vec<Value>,
    pub requirements: Vec<Value>,
    pub limit_cpu: Option<i128>,
    pub limit_memory: Option<i128>,
    pub node_class_ref: Option<Value>,
    /// v1 NodePools: `template.spec.terminationGracePeriod` and `expireAfter`, copied onto
    /// their NodeClaims as Karpenter does.
    pub claim_spec: Map<String, Value>,
}

impl Pool {
    pub fn from_provisioner(p: &Value) -> Pool {
        let spec = p.get("spec").unwrap_or(&Value::Null);
        Pool {
            api: PoolApi::V1alpha5,
            api_version: s(p, &["apiVersion"]).to_string(),
            name: objects::name(p).to_string(),
            uid: objects::uid(p).to_string(),
            weight: get(spec, &["weight"]).and_then(Value::as_i64).unwrap_or(0),
            labels: string_map(spec.get("labels")),
            taints: list(spec.get("taints")),
            startup_taints: list(spec.get("startupTaints")),
            requirements: list(spec.get("requirements")),
            limit_cpu: get(spec, &["limits", "resources", "cpu"])
                .map(|q| objects::quantity_milli(Some(q))),
            limit_memory: get(spec, &["limits", "resources", "memory"])
                .map(|q| objects::quantity_milli(Some(q))),
            node_class_ref: spec.get("providerRef").cloned(),
            claim_spec: Map::new(),
        }
    }

    pub fn from_nodepool(p: &Value) -> Pool {
        let spec = p.get("spec").unwrap_or(&Value::Null);
        let tspec = get(spec, &["template", "spec"]).unwrap_or(&Value::Null);
        let api_version = s(p, &["apiVersion"]).to_string();
        Pool {
            api: if api_version.ends_with("v1beta1") {
                PoolApi::V1beta1
            } else {
                PoolApi::V1
            },
            api_version,
            name: objects::name(p).to_string(),
            uid: objects::uid(p).to_string(),
            weight: get(spec, &["weight"]).and_then(Value::as_i64).unwrap_or(0),
            labels: string_map(get(spec, &["template", "metadata", "labels"])),
            taints: list(tspec.get("taints")),
            startup_taints: list(tspec.get("startupTaints")),
            requirements: list(tspec.get("requirements")),
            limit_cpu: get(spec, &["limits", "cpu"]).map(|q| objects::quantity_milli(Some(q))),
            limit_memory: get(spec, &["limits", "memory"])
                .map(|q| objects::quantity_milli(Some(q))),
            node_class_ref: tspec.get("nodeClassRef").cloned(),
            claim_spec: ["terminationGracePeriod", "expireAfter"]
                .iter()
                .filter_map(|k| Some((k.to_string(), tspec.get(*k)?.clone())))
                .collect(),
        }
    }

    pub fn pool_label(&self) -> &'static str {
        if self.api == PoolApi::V1alpha5 {
            PROVISIONER_LABEL
        } else {
            NODEPOOL_LABEL
        }
    }

    /// The labels a node of this pool launched for `pod_spec` would carry (before its name is
    /// known): pool labels, the pool name label, single values of `In` requirements (or the
    /// value the pod asks for, when allowed), and the well-known labels Karpenter picks freely.
    pub fn node_labels_for(&self, pod_spec: &Value, region: &str) -> BTreeMap<String, String> {
        let wanted = pod_spec.get("nodeSelector").and_then(Value::as_object);
        let want = |k: &str| wanted.and_then(|w| w.get(k)).and_then(Value::as_str);
        let mut l = BTreeMap::new();
        let defaults = [
            ("kubernetes.io/os", "linux".to_string()),
            ("kubernetes.io/arch", "amd64".to_string()),
            ("karpenter.sh/capacity-type", "on-demand".to_string()),
            ("topology.kubernetes.io/zone", format!("{region}a")),
            ("node.kubernetes.io/instance-type", "m5.large".to_string()),
        ];
        let mut constrained = HashSet::new();
        for (k, v) in &defaults {
            l.insert(k.to_string(), v.clone());
        }
        for r in &self.requirements {
            let key = s(r, &["key"]);
            if s(r, &["operator"]) == "In" {
                let values = objects::string_list(r.get("values"));
                let v = want(key)
                    .filter(|w| values.contains(w))
                    .or(values.first().copied());
                if let Some(v) = v {
                    l.insert(key.to_string(), v.to_string());
                    constrained.insert(key.to_string());
                }
            }
        }
        for (k, _) in &defaults {
            if !constrained.contains(*k)
                && let Some(v) = want(k)
            {
                l.insert(k.to_string(), v.to_string());
            }
        }
        for (k, v) in &self.labels {
            l.insert(k.clone(), v.clone());
        }
        l.insert(self.pool_label().to_string(), self.name.clone());
        l
    }

    /// Could a node of this pool host the pod? Same rules as the scheduler, against the new
    /// node's labels and the pool's taints (startupTaints go away after init).
    pub fn can_host(&self, pod_spec: &Value, region: &str) -> bool {
        let labels = self.node_labels_for(pod_spec, region);
        let taints = Value::Array(self.taints.clone());
        let facts = NodeFacts {
            name: "",
            labels: labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            taints: objects::taints_of(Some(&taints)),
        };
        let taints_ok = objects::untolerated_taint(pod_spec, &facts.taints).is_none();
        // NotIn / DoesNotExist requirements on labels the pod pins.
        let reqs_ok = self.requirements.iter().all(|r| {
            let key = s(r, &["key"]);
            match labels.get(key) {
                Some(v) => objects::requirement_matches(
                    s(r, &["operator"]),
                    Some(v),
                    &objects::string_list(r.get("values")),
                ),
                None => true,
            }
        });
        taints_ok && reqs_ok && objects::matches_node_selection(pod_spec, &facts)
    }

    /// The instance types this pool may launch.
    fn instance_types(&self) -> Vec<InstanceType> {
        let named = self
            .requirements
            .iter()
            .find(|r| {
                s(r, &["key"]) == "node.kubernetes.io/instance-type" && s(r, &["operator"]) == "In"
            })
            .map(|r| objects::string_list(r.get("values")));
        let mut types: Vec<InstanceType> = match named {
            Some(names) => names
                .iter()
                .filter_map(|n| InstanceType::by_name(n))
                .collect(),
            None => [
                "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
                "24xlarge",
            ]
            .iter()
            .filter_map(|size| InstanceType::by_name(&format!("m5.{size}")))
            .collect(),
        };
        types.sort_by_key(|t| (t.cpu, t.memory, t.name.clone()));
        types
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    objects::labels_of(v)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
fn list(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// An EC2 instance type as far as scheduling cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceType {
    pub name: String,
    /// milli-cpu
    pub cpu: i128,
    /// bytes
    pub memory: i128,
    pub pods: i128,
}

impl InstanceType {
    /// `FAMILY.SIZE`: large = 2 vCPU, xlarge = 4, NxLarge = 4N; GiB per vCPU by family letter
    /// (c 2, m 4, r 8); max pods from the ENI limits of the common sizes.
    pub fn by_name(name: &str) -> Option<InstanceType> {
        let (family, size) = name.split_once('.')?;
        let vcpu: i128 = match size {
            "medium" => 1,
            "large" => 2,
            "xlarge" => 4,
            s => 4 * s.strip_suffix("xlarge")?.parse::<i128>().ok()?,
        };
        let per_cpu_gib: i128 = match family.chars().next()? {
            'c' => 2,
            'r' | 'x' => 8,
            _ => 4,
        };
        let pods = match vcpu {
            0..=1 => 17,
            2 => 29,
            3..=8 => 58,
            9..=32 => 234,
            _ => 737,
        };
        Some(InstanceType {
            name: name.to_string(),
            cpu: vcpu * 1000,
            memory: (vcpu * per_cpu_gib) << 30,
            pods,
        })
    }

    /// What the kubelet reports as capacity (memory: the OS keeps a few percent).
    pub fn capacity_memory_ki(&self) -> i128 {
        (self.memory / 1024) * 943 / 1000
    }

    /// EKS' kube-reserved CPU: 6% of the first core, 1% of the second, 0.5% of the next two,
    /// 0.25% above.
    pub fn allocatable_cpu(&self) -> i128 {
        let cores = self.cpu / 1000;
        let mut reserved = 0;
        for c in 0..cores {
            reserved += match c {
                0 => 60,
                1 => 10,
                2 | 3 => 5,
                _ => 2,
            };
        }
        self.cpu - reserved
    }

    /// capacity - (255Mi + 11Mi * max pods) kube-reserved - 100Mi eviction threshold.
    pub fn allocatable_memory_ki(&self) -> i128 {
        self.capacity_memory_ki() - (255 + 11 * self.pods + 100) * 1024
    }

    fn fits(&self, req: Requests, pods: i128) -> bool {
        req.cpu <= self.allocatable_cpu()
            && req.memory <= self.allocatable_memory_ki() * 1024 * 1000
            && pods <= self.pods
    }
}

/// A node launch in flight.
#[derive(Clone, Debug)]
pub struct Launch {
    pub pool: Pool,
    pub node_name: String,
    pub nodeclaim: Option<String>,
    pub instance: InstanceType,
    pub labels: BTreeMap<String, String>,
    pub due: Timestamp,
    pub pods: Vec<String>,
    /// Requests of `pods` plus the DaemonSet pods the node will run.
    pub used: Requests,
    /// The AMI its EC2NodeClass resolved to (None: no EC2NodeClass in the cluster; the node
    /// runs the control plane's version).
    pub image: Option<super::nodeclass::Resolved>,
}

pub(crate) fn pools(pass: &Pass) -> Vec<Pool> {
    let mut pools: Vec<Pool> = pass
        .st
        .store
        .list(Kind::Provisioner, None)
        .iter()
        .filter(|p| !objects::deleting(p))
        .map(Pool::from_provisioner)
        .chain(
            pass.st
                .store
                .list(Kind::NodePool, None)
                .iter()
                .filter(|p| !objects::deleting(p))
                .map(Pool::from_nodepool),
        )
        .collect();
    pools.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.name.cmp(&b.name)));
    pools
}

/// Complete due launches, initialise new nodes, start launches for unschedulable pods.
/// Returns true when a node appeared (the scheduler should look again).
pub(crate) fn provision(pass: &mut Pass) -> bool {
    let appeared = complete_launches(pass);
    if appeared {
        // The scheduler places the pods this node was for before anything else launches.
        return true;
    }
    let candidates: Vec<(String, String, String, Requests)> = pass
        .pods()
        .filter(|p| {
            super::schedule::is_pending_unbound(p)
                && p.f.unschedulable
                && p.f.owner_kind != "DaemonSet"
        })
        .map(|p| (p.ns.clone(), p.name.clone(), p.uid.clone(), p.f.requests))
        .collect();
    if candidates.is_empty() {
        return appeared;
    }
    let covered: HashSet<String> = with_mem(pass.st, |m| {
        m.launches.iter().flat_map(|l| l.pods.clone()).collect()
    });
    let pending: Vec<(String, Value, Requests)> = candidates
        .into_iter()
        .filter(|(_, _, uid, _)| !covered.contains(uid))
        .filter_map(|(ns, name, uid, req)| {
            Some((uid, pass.pod_value(&ns, &name)?.get("spec")?.clone(), req))
        })
        .collect();
    if pending.is_empty() {
        return appeared;
    }
    // A NodePool whose EC2NodeClass is missing or not Ready launches nothing.
    let classes = super::nodeclass::resolutions(pass);
    let pools: Vec<Pool> = pools(pass)
        .into_iter()
        .filter(|p| {
            super::nodeclass::launch_image(&classes, p.node_class_ref.as_ref(), "amd64").is_ok()
        })
        .collect();
    if pools.is_empty() {
        return appeared;
    }
    let region = pass.st.cluster.region.clone();
    let ds_overhead = daemonset_overhead(pass);
    // As Karpenter's scheduler: pods that fit on a node already launching go there (pods
    // evicted one by one from a drained node share one new node, however the passes fall).
    let pending: Vec<(String, Value, Requests)> = with_mem(pass.st, |m| {
        pending
            .into_iter()
            .filter(|(uid, spec, req)| {
                let slot = m.launches.iter_mut().find(|l| {
                    l.pool.can_host(spec, &region)
                        && l.pool
                            .node_labels_for(spec, &region)
                            .iter()
                            .all(|(k, v)| l.labels.get(k) == Some(v))
                        && l.instance.fits(
                            Requests {
                                cpu: l.used.cpu + req.cpu,
                                memory: l.used.memory + req.memory,
                            },
                            l.pods.len() as i128 + 1 + ds_overhead.2,
                        )
                });
                match slot {
                    Some(l) => {
                        l.pods.push(uid.clone());
                        l.used.cpu += req.cpu;
                        l.used.memory += req.memory;
                        false
                    }
                    None => true,
                }
            })
            .collect()
    });
    // Group pods by (pool, the node labels they need).
    let mut groups: BTreeMap<GroupKey, Vec<(String, Requests)>> = BTreeMap::new();
    for (uid, spec, req) in &pending {
        if let Some(i) = pools.iter().position(|p| p.can_host(spec, &region)) {
            groups
                .entry((i, pools[i].node_labels_for(spec, &region)))
                .or_default()
                .push((uid.clone(), *req));
        }
    }
    let nodes = pass.nodes();
    for ((i, labels), mut pods) in groups {
        let pool = &pools[i];
        let types = pool.instance_types();
        let Some(largest) = types.last().cloned() else {
            continue;
        };
        pods.sort_by_key(|p| std::cmp::Reverse((p.1.cpu, p.1.memory)));
        // First-fit into nodes of the largest type, then shrink each to the smallest that fits.
        let mut bins: Vec<(Requests, Vec<String>)> = Vec::new();
        for (uid, req) in pods {
            let slot = bins.iter_mut().find(|(used, list)| {
                largest.fits(
                    Requests {
                        cpu: used.cpu + req.cpu,
                        memory: used.memory + req.memory,
                    },
                    list.len() as i128 + 1 + ds_overhead.2,
                )
            });
            match slot {
                Some((used, list)) => {
                    used.cpu += req.cpu;
                    used.memory += req.memory;
                    list.push(uid);
                }
                None => {
                    let start = Requests {
                        cpu: ds_overhead.0.cpu + req.cpu,
                        memory: ds_overhead.0.memory + req.memory,
                    };
                    if largest.fits(start, 1 + ds_overhead.2) {
                        bins.push((start, vec![uid]));
                    }
                }
            }
        }
        for (used, uids) in bins {
            let Some(instance) = types
                .iter()
                .find(|t| t.fits(used, uids.len() as i128 + ds_overhead.2))
                .cloned()
            else {
                continue;
            };
            if !within_limits(pass, pool, &nodes, &instance) {
                continue;
            }
            let arch = labels
                .get("kubernetes.io/arch")
                .map_or("amd64", String::as_str);
            let Ok(image) =
                super::nodeclass::launch_image(&classes, pool.node_class_ref.as_ref(), arch)
            else {
                continue;
            };
            start_launch(pass, pool, &labels, instance, uids, used, &nodes, image);
        }
    }
    appeared
}

/// Pods of one pool needing the same node labels launch together.
type GroupKey = (usize, BTreeMap<String, String>);

/// Requests (and pod count) of the DaemonSet pods every new node will run.
fn daemonset_overhead(pass: &Pass) -> (Requests, (), i128) {
    let mut r = Requests::default();
    let mut n = 0;
    for ds in pass.st.store.list(Kind::DaemonSet, None) {
        let q =
            objects::pod_requests(get(&ds, &["spec", "template", "spec"]).unwrap_or(&Value::Null));
        r.cpu += q.cpu;
        r.memory += q.memory;
        n += 1;
    }
    (r, (), n)
}

fn within_limits(pass: &Pass, pool: &Pool, nodes: &[Value], new: &InstanceType) -> bool {
    if pool.limit_cpu.is_none() && pool.limit_memory.is_none() {
        return true;
    }
    let mut cpu = new.cpu;
    let mut mem = new.memory * 1000;
    for n in nodes
        .iter()
        .filter(|n| objects::label(n, pool.pool_label()) == Some(pool.name.as_str()))
    {
        cpu += objects::quantity_milli(get(n, &["status", "capacity", "cpu"]));
        mem += objects::quantity_milli(get(n, &["status", "capacity", "memory"]));
    }
    with_mem(pass.st, |m| {
        for l in m.launches.iter().filter(|l| l.pool.uid == pool.uid) {
            cpu += l.instance.cpu;
            mem += l.instance.memory * 1000;
        }
    });
    pool.limit_cpu.is_none_or(|l| cpu <= l) && pool.limit_memory.is_none_or(|l| mem <= l)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn start_launch(
    pass: &mut Pass,
    pool: &Pool,
    labels: &BTreeMap<String, String>,
    instance: InstanceType,
    pods: Vec<String>,
    used: Requests,
    nodes: &[Value],
    image: Option<super::nodeclass::Resolved>,
) -> Option<String> {
    let taken: HashSet<String> = nodes
        .iter()
        .map(|n| objects::name(n).to_string())
        .chain(with_mem(pass.st, |m| {
            m.launches
                .iter()
                .map(|l| l.node_name.clone())
                .collect::<Vec<_>>()
        }))
        .collect();
    let region = pass.st.cluster.region.clone();
    let mut node_name = String::new();
    for _ in 0..1000 {
        let serial = with_mem(pass.st, |m| {
            m.serial += 1;
            m.serial
        });
        let h = objects::splitmix(pass.st.seed ^ serial.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let ip = format!("192.168.{}.{}", (h >> 8) % 256, 1 + h % 254);
        let name = crate::scenario::expand::node_name_for_ip(&ip, &region);
        if !taken.contains(&name) {
            node_name = name;
            break;
        }
    }
    if node_name.is_empty() {
        return None;
    }
    let mut labels = labels.clone();
    labels.insert(
        "node.kubernetes.io/instance-type".into(),
        instance.name.clone(),
    );
    let mut nodeclaim = None;
    if pool.api != PoolApi::V1alpha5 {
        let claim_name = format!(
            "{}-{}",
            pool.name,
            objects::suffix(objects::fnv64(&node_name))
        );
        let claim = nodeclaim_object(pool, &claim_name, &labels, &instance);
        if pass.st.store.create(Kind::NodeClaim, claim).is_ok() {
            nodeclaim = Some(claim_name);
        }
    }
    let delay = pass.st.timing.node_launch_delay;
    let due = if pass.instant {
        pass.now
    } else {
        pass.now + jiff::SignedDuration::try_from(delay).unwrap_or_default()
    };
    pass.due(due);
    let launch = Launch {
        pool: pool.clone(),
        node_name,
        nodeclaim,
        instance,
        labels,
        due,
        pods,
        used,
        image,
    };
    let name = launch.node_name.clone();
    with_mem(pass.st, |m| m.launches.push(launch));
    Some(name)
}

fn nodeclaim_object(
    pool: &Pool,
    name: &str,
    labels: &BTreeMap<String, String>,
    it: &InstanceType,
) -> Value {
    let mut requirements = pool.requirements.clone();
    requirements.retain(|r| s(r, &["key"]) != "node.kubernetes.io/instance-type");
    requirements.push(
        json!({"key": "node.kubernetes.io/instance-type", "operator": "In", "values": [it.name]}),
    );
    requirements.push(json!({"key": NODEPOOL_LABEL, "operator": "In", "values": [pool.name]}));
    let mut spec = json!({
        "requirements": requirements,
        "resources": {"requests": {"pods": "1"}},
    });
    if let Some(r) = &pool.node_class_ref {
        spec["nodeClassRef"] = r.clone();
    }
    for (k, v) in &pool.claim_spec {
        spec[k.as_str()] = v.clone();
    }
    if !pool.taints.is_empty() {
        spec["taints"] = json!(pool.taints);
    }
    if !pool.startup_taints.is_empty() {
        spec["startupTaints"] = json!(pool.startup_taints);
    }
    let mut meta_labels: Map<String, Value> = pool
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    meta_labels.insert(NODEPOOL_LABEL.into(), json!(pool.name));
    if let Some(it) = labels.get("node.kubernetes.io/instance-type") {
        meta_labels.insert("node.kubernetes.io/instance-type".into(), json!(it));
    }
    json!({
        "apiVersion": pool.api_version,
        "kind": "NodeClaim",
        "metadata": {
            "name": name,
            "labels": meta_labels,
            "annotations": {"karpenter.sh/nodepool-hash-version": "v3"},
            "finalizers": [TERMINATION_FINALIZER],
            "ownerReferences": [{"apiVersion": pool.api_version, "kind": "NodePool", "name": pool.name,
                                 "uid": pool.uid, "blockOwnerDeletion": true}],
        },
        "spec": spec,
    })
}

/// The Node of a finished launch, shaped like a real EKS/Karpenter node.
pub fn node_object(l: &Launch, git_version: &str, region: &str, now: Timestamp) -> Value {
    let t = objects::ts(now);
    let name = &l.node_name;
    let ip = name
        .strip_prefix("ip-")
        .and_then(|r| r.split('.').next())
        .map(|r| r.replace('-', "."))
        .unwrap_or_else(|| "192.168.0.1".to_string());
    let zone = l
        .labels
        .get("topology.kubernetes.io/zone")
        .cloned()
        .unwrap_or_else(|| format!("{region}a"));
    let arch = l
        .labels
        .get("kubernetes.io/arch")
        .cloned()
        .unwrap_or_else(|| "amd64".into());
    let os = l
        .labels
        .get("kubernetes.io/os")
        .cloned()
        .unwrap_or_else(|| "linux".into());
    let mut labels: Map<String, Value> = l
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    for (k, v) in [
        ("beta.kubernetes.io/arch", arch.clone()),
        ("beta.kubernetes.io/os", os.clone()),
        ("beta.kubernetes.io/instance-type", l.instance.name.clone()),
        (
            "failure-domain.beta.kubernetes.io/region",
            region.to_string(),
        ),
        ("failure-domain.beta.kubernetes.io/zone", zone.clone()),
        ("topology.kubernetes.io/region", region.to_string()),
        ("topology.kubernetes.io/zone", zone.clone()),
        ("kubernetes.io/hostname", name.clone()),
        ("node.kubernetes.io/instance-type", l.instance.name.clone()),
        ("karpenter.sh/registered", "true".into()),
    ] {
        labels.insert(k.into(), json!(v));
    }
    let mut taints = l.pool.taints.clone();
    taints.extend(l.pool.startup_taints.iter().cloned());
    let h = objects::fnv64(name);
    let cap_mem = format!("{}Ki", l.instance.capacity_memory_ki());
    let alloc_mem = format!("{}Ki", l.instance.allocatable_memory_ki());
    let cpu = format!("{}", l.instance.cpu / 1000);
    let alloc_cpu = format!("{}m", l.instance.allocatable_cpu());
    let pods = l.instance.pods.to_string();
    let cond = |ty: &str, status: &str, reason: &str, message: &str| json!({"type": ty, "status": status, "lastHeartbeatTime": t, "lastTransitionTime": t, "reason": reason, "message": message});
    let mut spec = json!({"providerID": format!("aws:///{zone}/i-{:017x}", h)});
    // What the node's AMI family reports.
    let image_name = l.image.as_ref().map_or("", |i| i.name.as_str());
    let (os_image, kernel) = if image_name.contains("al2023") {
        (
            "Amazon Linux 2023.7.20250609",
            "6.1.134-152.225.amzn2023.x86_64",
        )
    } else if image_name.starts_with("bottlerocket") {
        ("Bottlerocket OS 1.40.0 (aws-k8s)", "6.1.134")
    } else {
        ("Amazon Linux 2", "5.10.198-187.748.amzn2.x86_64")
    };
    if !taints.is_empty() {
        spec["taints"] = json!(taints);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "alpha.kubernetes.io/provided-node-ip": ip,
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
            "finalizers": [TERMINATION_FINALIZER],
        },
        "spec": spec,
        "status": {
            "capacity": {"cpu": cpu, "ephemeral-storage": "20959212Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                         "memory": cap_mem, "pods": pods},
            "allocatable": {"cpu": alloc_cpu, "ephemeral-storage": "18242267924", "hugepages-1Gi": "0",
                            "hugepages-2Mi": "0", "memory": alloc_mem, "pods": pods},
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "InternalDNS", "address": name},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": format!("{:032x}", u128::from(h) << 64 | u128::from(h.rotate_left(17))),
                "systemUUID": format!("ec2{:05x}-0000-0000-0000-{:012x}", h & 0xfffff, h >> 16 & 0xffff_ffff_ffff),
                "bootID": format!("{:08x}-0000-4000-8000-{:012x}", h >> 32, h & 0xffff_ffff_ffff),
                "kernelVersion": kernel,
                "osImage": os_image,
                "containerRuntimeVersion": "containerd://1.7.2",
                "kubeletVersion": git_version,
                "kubeProxyVersion": git_version,
                "operatingSystem": os,
                "architecture": arch,
            },
        },
    })
}

fn complete_launches(pass: &mut Pass) -> bool {
    let now = pass.now;
    let instant = pass.instant;
    let due: Vec<Launch> = with_mem(pass.st, |m| {
        let (ready, waiting): (Vec<Launch>, Vec<Launch>) =
            m.launches.drain(..).partition(|l| instant || l.due <= now);
        m.launches = waiting;
        ready
    });
    let waiting: Vec<Timestamp> = with_mem(pass.st, |m| m.launches.iter().map(|l| l.due).collect());
    for d in waiting {
        pass.due(d);
    }
    let git = pass.st.cluster.git_version.clone();
    let region = pass.st.cluster.region.clone();
    let mut appeared = false;
    for l in due {
        let kubelet = l
            .image
            .as_ref()
            .map_or(git.as_str(), |i| i.kubelet.as_str());
        let node = node_object(&l, kubelet, &region, now);
        let Ok(node) = pass.st.store.create(Kind::Node, node) else {
            continue;
        };
        appeared = true;
        pass.st.safety.nodes_launched += 1;
        if let Some(claim) = &l.nodeclaim {
            let conditions: Vec<Value> = ["Launched", "Registered", "Initialized", "Ready"]
                .iter()
                .map(|ty| json!({"type": ty, "status": "True", "lastTransitionTime": objects::ts(now), "reason": ty, "message": ""}))
                .collect();
            let status = json!({
                "nodeName": l.node_name,
                "providerID": get(&node, &["spec", "providerID"]).cloned().unwrap_or(Value::Null),
                "imageID": l.image.as_ref().map_or("ami-0123456789abcdef0", |i| i.id.as_str()),
                "capacity": get(&node, &["status", "capacity"]).cloned().unwrap_or(Value::Null),
                "allocatable": get(&node, &["status", "allocatable"]).cloned().unwrap_or(Value::Null),
                "conditions": conditions,
            });
            let _ = pass.st.store.update(Kind::NodeClaim, "", claim, &mut |c| {
                if let Some(o) = c.as_object_mut() {
                    o.insert("status".into(), status.clone());
                }
            });
        }
        // Initialisation: startup taints go, the node is marked initialized.
        let startup: HashSet<String> = l
            .pool
            .startup_taints
            .iter()
            .map(|t| s(t, &["key"]).to_string())
            .collect();
        let _ = pass
            .st
            .store
            .update(Kind::Node, "", &l.node_name, &mut |n| {
                super::nodes::remove_taints(n, |k| startup.contains(k));
                n["metadata"]["labels"]["karpenter.sh/initialized"] = json!("true");
            });
    }
    appeared
}

// ---------------------------------------------------------------------------------------------
// Termination.

fn disrupted_taint(api: PoolApi) -> Value {
    match api {
        PoolApi::V1 => json!({"key": "karpenter.sh/disrupted", "effect": "NoSchedule"}),
        _ => {
            json!({"key": "karpenter.sh/disruption", "value": "disrupting", "effect": "NoSchedule"})
        }
    }
}

fn has_finalizer(v: &Value) -> bool {
    objects::string_list(get(v, &["metadata", "finalizers"])).contains(&TERMINATION_FINALIZER)
}

pub(crate) fn terminate(pass: &mut Pass) {
    let nodes = pass.nodes();
    let claims = pass.st.store.list(Kind::NodeClaim, None);
    // A deleted NodeClaim takes its node with it.
    for c in claims.iter().filter(|c| objects::deleting(c)) {
        let node = s(c, &["status", "nodeName"]);
        match nodes.iter().find(|n| objects::name(n) == node) {
            Some(n) if !objects::deleting(n) => {
                let _ = pass
                    .st
                    .store
                    .delete(Kind::Node, "", node, &Default::default());
            }
            Some(_) => {}
            None => {
                pass.st.store.remove(Kind::NodeClaim, "", objects::name(c));
            }
        }
    }
    let nodepool_api: std::collections::HashMap<String, PoolApi> = pass
        .st
        .store
        .list(Kind::NodePool, None)
        .iter()
        .map(|p| (objects::name(p).to_string(), Pool::from_nodepool(p).api))
        .collect();
    for n in nodes
        .iter()
        .filter(|n| objects::deleting(n) && has_finalizer(n))
    {
        let name = objects::name(n).to_string();
        let api = match objects::label(n, NODEPOOL_LABEL) {
            Some(pool) => nodepool_api.get(pool).copied().unwrap_or(PoolApi::V1),
            None => PoolApi::V1alpha5,
        };
        let taint = disrupted_taint(api);
        if !objects::taints_of(get(n, &["spec", "taints"]))
            .iter()
            .any(|t| t.key == s(&taint, &["key"]))
        {
            let _ = pass.st.store.update(Kind::Node, "", &name, &mut |n| {
                super::nodes::push_taint(n, taint.clone())
            });
        }
        // As Karpenter's drain: terminal pods and pods stuck terminating (a minute past their
        // deletionTimestamp, e.g. on a lost kubelet) no longer hold the node.
        let deadlines = super::with_mem(pass.st, |m| m.delete_deadline.clone());
        let now = pass.now;
        let stuck_at = |uid: &str| {
            deadlines
                .get(uid)
                .map(|d| *d + jiff::SignedDuration::from_secs(60))
        };
        let on_node: Vec<(String, String, bool)> = pass
            .pods()
            .filter(|p| p.node == name && p.f.owner_kind != "DaemonSet" && !p.f.mirror)
            .filter(|p| !matches!(p.phase.as_str(), "Succeeded" | "Failed"))
            .filter(|p| !(p.deleting && stuck_at(&p.uid).is_some_and(|t| t < now)))
            .map(|p| (p.ns.clone(), p.name.clone(), p.deleting))
            .collect();
        let wake: Vec<jiff::Timestamp> = pass
            .pods()
            .filter(|p| p.node == name && p.deleting)
            .filter_map(|p| stuck_at(&p.uid))
            .filter(|t| *t >= now)
            .collect();
        for t in wake {
            pass.due(t);
        }
        // The NodeClaim's terminationGracePeriod, from the node's deletion: until it runs out
        // do-not-disrupt pods stay; once out, pods still there are deleted, PDBs or not.
        let claim = claims
            .iter()
            .find(|c| s(c, &["status", "nodeName"]) == name);
        let pool_obj = objects::label(n, NODEPOOL_LABEL)
            .and_then(|p| pass.st.store.get(Kind::NodePool, "", p));
        let grace_end = super::drift::termination_grace(claim, pool_obj.as_ref()).and_then(|tgp| {
            s(n, &["metadata", "deletionTimestamp"])
                .parse::<Timestamp>()
                .ok()
                .map(|t| t + tgp)
        });
        let expired = grace_end.is_some_and(|t| t <= now);
        if let Some(t) = grace_end.filter(|t| *t > now) {
            pass.due(t);
        }
        let mut blocked = false;
        let mut evicted_any = false;
        for (ns, pod, deleting) in &on_node {
            if *deleting {
                continue;
            }
            if expired {
                pass.delete_pod(ns, pod, None);
                continue;
            }
            let dnd = pass.pod_value(ns, pod).is_some_and(|p| {
                objects::annotation(&p, super::drift::DO_NOT_DISRUPT) == Some("true")
            });
            if dnd {
                // Held until the grace period ends (a timer above) or the pod goes.
                continue;
            }
            if super::evict(pass.st, ns, pod, &Value::Null, false).is_err() {
                blocked = true;
            } else {
                evicted_any = true;
            }
        }
        if evicted_any {
            // Evictions wrote pods (and the ReplicaSets' replacements) behind the pass's back.
            pass.resync();
        }
        if blocked {
            // Karpenter retries blocked evictions with a backoff.
            let retry = pass.now + jiff::SignedDuration::from_secs(5);
            pass.due(retry);
        }
        if on_node.is_empty() {
            let _ = pass.st.store.update(Kind::Node, "", &name, &mut |n| {
                if let Some(f) = n["metadata"]
                    .get_mut("finalizers")
                    .and_then(Value::as_array_mut)
                {
                    f.retain(|f| f.as_str() != Some(TERMINATION_FINALIZER));
                }
            });
            pass.st.store.remove(Kind::Node, "", &name);
            pass.st.safety.nodes_terminated += 1;
            for c in claims
                .iter()
                .filter(|c| s(c, &["status", "nodeName"]) == name)
            {
                pass.st.store.remove(Kind::NodeClaim, "", objects::name(c));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provisioner() -> Pool {
        Pool::from_provisioner(
            &json!({"apiVersion": "karpenter.sh/v1alpha5", "kind": "Provisioner",
            "metadata": {"name": "default", "uid": "p1"},
            "spec": {"labels": {"node-type": "applications"},
                     "taints": [{"key": "applications", "effect": "NoSchedule"}],
                     "startupTaints": [{"key": "ebs.csi/agent-not-ready", "effect": "NoExecute"}]}}),
        )
    }

    #[test]
    fn pool_hosts_only_pods_with_selector_and_toleration() {
        let pool = provisioner();
        let both = json!({"nodeSelector": {"node-type": "applications"},
                          "tolerations": [{"key": "applications", "operator": "Exists", "effect": "NoSchedule"}]});
        assert!(
            pool.can_host(&both, "us-east-1"),
            "startupTaints need no toleration"
        );
        let no_tol = json!({"nodeSelector": {"node-type": "applications"}});
        assert!(!pool.can_host(&no_tol, "us-east-1"));
        let wrong = json!({"nodeSelector": {"node-type": "batch"},
                           "tolerations": [{"operator": "Exists"}]});
        assert!(!pool.can_host(&wrong, "us-east-1"));
        let by_pool = json!({"nodeSelector": {"karpenter.sh/provisioner-name": "default"},
                             "tolerations": [{"operator": "Exists"}]});
        assert!(pool.can_host(&by_pool, "us-east-1"));
    }

    #[test]
    fn nodepool_requirements_become_labels() {
        let pool = Pool::from_nodepool(
            &json!({"apiVersion": "karpenter.sh/v1", "kind": "NodePool",
            "metadata": {"name": "apps", "uid": "np"},
            "spec": {"template": {"metadata": {"labels": {"team": "a"}}, "spec": {
                "requirements": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-west-2a", "us-west-2b"]},
                                 {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}]}}}}),
        );
        assert_eq!(pool.api, PoolApi::V1);
        let l = pool.node_labels_for(
            &json!({"nodeSelector": {"topology.kubernetes.io/zone": "us-west-2b"}}),
            "us-west-2",
        );
        assert_eq!(
            l.get("topology.kubernetes.io/zone").map(String::as_str),
            Some("us-west-2b")
        );
        assert_eq!(
            l.get("kubernetes.io/arch").map(String::as_str),
            Some("arm64")
        );
        assert_eq!(l.get(NODEPOOL_LABEL).map(String::as_str), Some("apps"));
        assert!(!pool.can_host(
            &json!({"nodeSelector": {"kubernetes.io/arch": "amd64"}}),
            "us-west-2"
        ));
        assert!(!pool.can_host(
            &json!({"nodeSelector": {"topology.kubernetes.io/zone": "us-west-2c"}}),
            "us-west-2"
        ));
    }

    #[test]
    fn instance_sizes_match_eks() {
        let m5 = InstanceType::by_name("m5.large").unwrap_or_else(|| panic!("m5.large"));
        assert_eq!((m5.cpu, m5.pods, m5.allocatable_cpu()), (2000, 29, 1930));
        assert_eq!(
            m5.capacity_memory_ki() - m5.allocatable_memory_ki(),
            674 * 1024
        );
        assert_eq!(
            InstanceType::by_name("c5.4xlarge").map(|t| (t.cpu, t.memory >> 30)),
            Some((16000, 32))
        );
        assert_eq!(InstanceType::by_name("bogus"), None);
    }
}
