//! The scenario file format (documented in sim/README.md) and its expansion into a `Scenario`.

use super::expand::{self, Capacity, Labels, NodeParams, PodParams, PoolLink};
use super::manifests;
use super::text::{HumanDuration, Scalar};
use super::{
    ClusterInfo, DEFAULT_GIT_VERSION, EksSettings, EksVersionSpec, FaultConfig, InsightSpec,
    ManagedNodeGroup, Scenario, ScenarioError, ScenarioSource, Timing,
};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{Affinity, ResourceRequirements, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

type ScalarMap = BTreeMap<String, Scalar>;

/// Most nodes a scenario file may list (the generator goes up to the same).
const MAX_FILE_NODES: usize = 20_000;

fn plain(map: &ScalarMap) -> Labels {
    map.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScenarioFile {
    #[serde(default)]
    cluster: ClusterSpec,
    #[serde(default)]
    timing: TimingSpec,
    #[serde(default)]
    faults: FaultSpec,
    #[serde(default)]
    node_groups: Vec<Spanned<NodeGroupSpec>>,
    #[serde(default)]
    pools: Vec<Spanned<PoolSpec>>,
    #[serde(default)]
    nodes: Vec<Spanned<NodeSpec>>,
    #[serde(default)]
    namespaces: Vec<String>,
    #[serde(default)]
    workloads: Vec<Spanned<WorkloadSpec>>,
    #[serde(default)]
    pdbs: Vec<Spanned<PdbSpec>>,
    #[serde(default)]
    objects: Vec<Spanned<Value>>,
    /// Insights the simulated EKS API adds to (or overrides among) the computed ones.
    #[serde(default)]
    insights: Vec<Spanned<InsightSpec>>,
    /// Entries added to (or replacing) the built-in EKS version table.
    #[serde(default)]
    eks_versions: Vec<Spanned<EksVersionSpec>>,
    /// EKS add-ons (`eks.addons:`).
    #[serde(default)]
    eks: super::addons::EksSpec,
    /// The Karpenter controller as its Helm chart installs it (a `karpenter` Deployment).
    #[serde(default)]
    karpenter: Option<Spanned<KarpenterSpec>>,
    /// Deprecated-API requests and RBAC denials of the API server.
    #[serde(default)]
    apiserver: Option<Spanned<super::ApiServerSettings>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KarpenterSpec {
    /// Chart and app version, also the image tag (`1.5.0`; pre-0.35 releases were `v0.32.0`).
    version: String,
    #[serde(default = "default_karpenter_namespace")]
    namespace: String,
    /// Helm release name; the Deployment is named like it when it contains "karpenter".
    #[serde(default = "default_karpenter_release")]
    release: String,
    #[serde(default = "default_karpenter_replicas")]
    replicas: i64,
}

fn default_karpenter_namespace() -> String {
    "kube-system".into()
}
fn default_karpenter_release() -> String {
    "karpenter".into()
}
fn default_karpenter_replicas() -> i64 {
    2
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClusterSpec {
    /// gitVersion of the control plane.
    version: Option<String>,
    /// What `/version` serves instead, verbatim (may be unreadable on purpose).
    served_version: Option<String>,
    name: Option<String>,
    region: Option<String>,
    platform_version: Option<String>,
    account_id: Option<Scalar>,
    /// Where the sim clock starts (RFC 3339), so dates and ages are the same on any day.
    now: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TimingSpec {
    node_launch_delay: Option<HumanDuration>,
    pod_start_delay: Option<HumanDuration>,
    default_grace_period: Option<HumanDuration>,
    cordon_taint_delay: Option<HumanDuration>,
    speed: Option<Spanned<f64>>,
    /// Managed node group updates: how long a PDB may block an eviction (EKS: 15m).
    pod_eviction_timeout: Option<HumanDuration>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FaultSpec {
    #[serde(rename = "rate429")]
    rate_429: Option<Spanned<f64>>,
    retry_after_seconds: Option<u64>,
    #[serde(rename = "rate500")]
    rate_500: Option<Spanned<f64>>,
    #[serde(rename = "rate503")]
    rate_503: Option<Spanned<f64>>,
    latency: Option<HumanDuration>,
    watch_cut_after_events: Option<u64>,
    stuck_kubelet_nodes: Option<Vec<String>>,
    protobuf_refuse: Option<Spanned<u16>>,
    corrupt_protobuf_pages: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NodeGroupSpec {
    name: String,
    /// Kubernetes minor, e.g. "1.24" (default: the control plane's).
    version: Option<Scalar>,
    release_version: Option<String>,
    ami_type: Option<String>,
    #[serde(default)]
    instance_types: Vec<String>,
    #[serde(default)]
    labels: ScalarMap,
    #[serde(default)]
    taints: Vec<TaintSpec>,
    min_size: Option<u32>,
    max_size: Option<u32>,
    desired_size: Option<u32>,
    max_unavailable: Option<u32>,
}

/// A taint as `key=value:Effect`, `key:Effect`, or the k8s object.
#[derive(Deserialize)]
#[serde(untagged)]
enum TaintSpec {
    Short(String),
    Full(Taint),
}

impl TaintSpec {
    fn to_taint(&self) -> Result<Taint, String> {
        match self {
            TaintSpec::Full(t) => check_effect(t.clone()),
            TaintSpec::Short(s) => {
                let (kv, effect) = s
                    .rsplit_once(':')
                    .ok_or_else(|| format!("taint {s:?}: expected key[=value]:Effect"))?;
                let (key, value) = match kv.split_once('=') {
                    Some((k, v)) => (k, Some(v.to_string())),
                    None => (kv, None),
                };
                check_effect(Taint {
                    key: key.to_string(),
                    value,
                    effect: effect.to_string(),
                    time_added: None,
                })
            }
        }
    }
}

fn check_effect(t: Taint) -> Result<Taint, String> {
    if t.key.is_empty() {
        return Err("taint without a key".into());
    }
    match t.effect.as_str() {
        "NoSchedule" | "PreferNoSchedule" | "NoExecute" => Ok(t),
        e => Err(format!(
            "taint {}: unknown effect {e:?}, expected NoSchedule, PreferNoSchedule or NoExecute",
            t.key
        )),
    }
}

fn taints(list: &[TaintSpec]) -> Result<Vec<Taint>, String> {
    list.iter().map(TaintSpec::to_taint).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PoolSpec {
    name: String,
    /// `Provisioner` or `NodePool` (default: from apiVersion, else NodePool).
    kind: Option<Spanned<String>>,
    /// `karpenter.sh/v1alpha5`, `karpenter.sh/v1beta1` or `karpenter.sh/v1`.
    api_version: Option<Spanned<String>>,
    #[serde(default)]
    labels: ScalarMap,
    #[serde(default)]
    taints: Vec<TaintSpec>,
    #[serde(default)]
    startup_taints: Vec<TaintSpec>,
    #[serde(default)]
    requirements: Vec<Value>,
    /// EC2NodeClass (or AWSNodeTemplate for Provisioners) name; default `default`.
    node_class: Option<String>,
    #[serde(default)]
    limits: ScalarMap,
    /// NodePools: `spec.disruption.budgets` as Karpenter takes them (default `[{nodes: 10%}]`).
    budgets: Option<Vec<Value>>,
    /// karpenter.sh/v1 NodePools: `spec.template.spec.terminationGracePeriod` (e.g. `24h`).
    termination_grace_period: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NodeSpec {
    name: Option<String>,
    count: Option<u32>,
    /// `{i}` (1-based index in this entry), `{ip}` (dashed IP), `{pool}`.
    name_pattern: Option<String>,
    kubelet_version: Option<String>,
    pool: Option<Spanned<String>>,
    #[serde(default)]
    labels: ScalarMap,
    #[serde(default)]
    annotations: ScalarMap,
    #[serde(default)]
    taints: Vec<TaintSpec>,
    capacity: Option<CapacitySpec>,
    instance_type: Option<String>,
    zone: Option<String>,
    #[serde(default = "yes")]
    ready: bool,
    #[serde(default)]
    unschedulable: bool,
    /// Age of the node at start (default 1h).
    age: Option<HumanDuration>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapacitySpec {
    cpu: Option<Scalar>,
    memory: Option<Scalar>,
    pods: Option<u64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Pod,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorkloadSpec {
    kind: WorkloadKind,
    name: String,
    #[serde(default = "default_ns")]
    namespace: String,
    replicas: Option<Spanned<i32>>,
    /// Labels of the workload, its selector and its pods (default `app: NAME`).
    #[serde(default)]
    labels: ScalarMap,
    /// Pod annotations (e.g. `karpenter.sh/do-not-disrupt: "true"`).
    #[serde(default)]
    annotations: ScalarMap,
    image: Option<String>,
    port: Option<i32>,
    #[serde(default)]
    node_selector: ScalarMap,
    #[serde(default)]
    tolerations: Vec<Toleration>,
    affinity: Option<Affinity>,
    resources: Option<ResourcesSpec>,
    #[serde(default)]
    empty_dir: bool,
    termination_grace_period_seconds: Option<i64>,
    /// Bare pods only: bind to this node instead of leaving them to the scheduler.
    node_name: Option<String>,
}

fn default_ns() -> String {
    "default".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcesSpec {
    #[serde(default)]
    requests: ScalarMap,
    #[serde(default)]
    limits: ScalarMap,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PdbSpec {
    name: String,
    #[serde(default = "default_ns")]
    namespace: String,
    min_available: Option<Scalar>,
    max_unavailable: Option<Scalar>,
    /// matchLabels.
    selector: ScalarMap,
}

fn int_or_string(s: &Scalar) -> IntOrString {
    match s.0.parse::<i32>() {
        Ok(n) => IntOrString::Int(n),
        Err(_) => IntOrString::String(s.0.clone()),
    }
}

/// What a pool name on a node refers to.
#[derive(Clone)]
struct PoolInfo {
    link: PoolLink,
    labels: Labels,
    taints: Vec<Taint>,
    instance_type: Option<String>,
    /// NodePools: their apiVersion and node class, for the node's NodeClaim.
    nodeclaim: Option<(String, String)>,
    kubelet: Option<String>,
}

/// Parse scenario YAML text (`name` is used in error messages) and expand it.
pub(crate) fn parse(
    name: &str,
    text: &str,
    src: &ScenarioSource,
    now: Timestamp,
) -> Result<Scenario, ScenarioError> {
    let file: ScenarioFile = if text.trim().is_empty() {
        ScenarioFile::default()
    } else {
        serde_saphyr::from_str(text).map_err(|e| ScenarioError::from_yaml(name, 0, &e))?
    };
    expand_file(name, file, src, now)
}

fn at<T>(name: &str, s: &Spanned<T>, msg: impl Into<String>) -> ScenarioError {
    ScenarioError::at(name, s.referenced.line(), s.referenced.column(), msg)
}

fn rate(name: &str, r: &Option<Spanned<f64>>) -> Result<f64, ScenarioError> {
    match r {
        None => Ok(0.0),
        Some(s) if (0.0..=1.0).contains(&s.value) => Ok(s.value),
        Some(s) => Err(at(name, s, format!("rate {} is not in 0.0..=1.0", s.value))),
    }
}

fn protobuf_refuse(name: &str, c: &Option<Spanned<u16>>) -> Result<Option<u16>, ScenarioError> {
    match c {
        None => Ok(None),
        Some(s) if s.value == 406 || s.value == 415 => Ok(Some(s.value)),
        Some(s) => Err(at(
            name,
            s,
            format!("faults.protobufRefuse {} is not 406 or 415", s.value),
        )),
    }
}

fn expand_file(
    name: &str,
    f: ScenarioFile,
    src: &ScenarioSource,
    now: Timestamp,
) -> Result<Scenario, ScenarioError> {
    let err = |m: String| ScenarioError::file(name, m);
    // `--now` wins over the file's pin; either one dates every object the file makes.
    let pinned = match (&src.now, &f.cluster.now) {
        (Some(t), _) => Some(*t),
        (None, Some(s)) => Some(s.value.parse::<Timestamp>().map_err(|e| {
            at(
                name,
                s,
                format!(
                    "cluster.now {:?} is not an RFC 3339 time like 2023-12-01T00:00:00Z: {e}",
                    s.value
                ),
            )
        })?),
        (None, None) => None,
    };
    let now = pinned.unwrap_or(now);
    let git_version = f
        .cluster
        .version
        .clone()
        .or_else(|| src.kube_version.clone())
        .unwrap_or_else(|| DEFAULT_GIT_VERSION.to_string());
    let minor = minor_of(&git_version).ok_or_else(|| {
        err(format!(
            "cluster.version {git_version:?} is not a version like v1.25.16-eks-3025e55"
        ))
    })?;
    let defaults = ClusterInfo::default_with_version(&git_version);
    let cluster = ClusterInfo {
        git_version: git_version.clone(),
        name: f.cluster.name.unwrap_or(defaults.name),
        region: f.cluster.region.unwrap_or(defaults.region),
        platform_version: f
            .cluster
            .platform_version
            .unwrap_or(defaults.platform_version),
        account_id: f
            .cluster
            .account_id
            .map(|s| s.0)
            .unwrap_or(defaults.account_id),
        served_version: f.cluster.served_version,
        apiserver: match f.apiserver {
            Some(a) => {
                a.value.validate().map_err(|m| at(name, &a, m))?;
                a.value
            }
            None => Default::default(),
        },
    };
    let d = Timing::default();
    let speed = match &f.timing.speed {
        Some(s) if s.value > 0.0 && s.value.is_finite() => s.value,
        Some(s) => return Err(at(name, s, format!("speed must be > 0, got {}", s.value))),
        None => d.speed,
    };
    let timing = Timing {
        node_launch_delay: f
            .timing
            .node_launch_delay
            .map_or(d.node_launch_delay, |h| h.0),
        pod_start_delay: f.timing.pod_start_delay.map_or(d.pod_start_delay, |h| h.0),
        default_grace_period: f
            .timing
            .default_grace_period
            .map_or(d.default_grace_period, |h| h.0),
        cordon_taint_delay: f
            .timing
            .cordon_taint_delay
            .map_or(d.cordon_taint_delay, |h| h.0),
        speed,
    };
    let faults = FaultConfig {
        rate_429: rate(name, &f.faults.rate_429)?,
        retry_after_seconds: f.faults.retry_after_seconds.unwrap_or(1),
        rate_500: rate(name, &f.faults.rate_500)?,
        rate_503: rate(name, &f.faults.rate_503)?,
        latency: f.faults.latency.map_or(std::time::Duration::ZERO, |h| h.0),
        watch_cut_after_events: f.faults.watch_cut_after_events,
        stuck_kubelet_nodes: f.faults.stuck_kubelet_nodes.clone().unwrap_or_default(),
        protobuf_refuse: protobuf_refuse(name, &f.faults.protobuf_refuse)?,
        corrupt_protobuf_pages: f.faults.corrupt_protobuf_pages.unwrap_or(0),
        ..Default::default()
    };

    let mut objects = Vec::new();
    let mut pools: BTreeMap<String, PoolInfo> = BTreeMap::new();
    let mut node_groups = Vec::new();
    for entry in &f.node_groups {
        let (g, err) = (&entry.value, |m: String| at(name, entry, m));
        let version = g
            .version
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or_else(|| format!("1.{minor}"));
        let group_taints =
            taints(&g.taints).map_err(|m| err(format!("nodeGroups {}: {m}", g.name)))?;
        let release_version = g
            .release_version
            .clone()
            .unwrap_or_else(|| format!("{}-20240129", full_version_for(&version)));
        let kubelet = format!(
            "v{}-eks-a59e1f0",
            release_version.split('-').next().unwrap_or_default()
        );
        let instance_types = if g.instance_types.is_empty() {
            vec!["m5.large".to_string()]
        } else {
            g.instance_types.clone()
        };
        let count = f
            .nodes
            .iter()
            .filter(|n| n.value.pool.as_ref().is_some_and(|p| p.value == g.name))
            .map(|n| n.value.count.unwrap_or(1))
            .sum::<u32>();
        node_groups.push(ManagedNodeGroup {
            name: g.name.clone(),
            version,
            release_version,
            ami_type: g.ami_type.clone().unwrap_or_else(|| "AL2_x86_64".into()),
            instance_types: instance_types.clone(),
            labels: plain(&g.labels),
            taints: group_taints.iter().map(expand::to_json).collect(),
            min_size: g.min_size.unwrap_or(count.min(1)),
            max_size: g.max_size.unwrap_or(count.max(1) * 2),
            desired_size: g.desired_size.unwrap_or(count),
            max_unavailable: g.max_unavailable.unwrap_or(1),
        });
        pools.insert(
            g.name.clone(),
            PoolInfo {
                link: PoolLink::NodeGroup(g.name.clone()),
                labels: plain(&g.labels),
                taints: group_taints,
                instance_type: instance_types.first().cloned(),
                nodeclaim: None,
                kubelet: Some(kubelet),
            },
        );
    }
    for entry in &f.pools {
        let (p, err) = (&entry.value, |m: String| at(name, entry, m));
        let api_version = match (&p.kind, &p.api_version) {
            (_, Some(v)) => match v.value.as_str() {
                "karpenter.sh/v1alpha5" | "karpenter.sh/v1beta1" | "karpenter.sh/v1" => {
                    v.value.clone()
                }
                other => {
                    return Err(at(
                        name,
                        v,
                        format!(
                            "unknown apiVersion {other:?}, expected karpenter.sh/v1alpha5, karpenter.sh/v1beta1 or karpenter.sh/v1"
                        ),
                    ));
                }
            },
            (Some(k), None) => match k.value.as_str() {
                "Provisioner" => "karpenter.sh/v1alpha5".to_string(),
                "NodePool" => "karpenter.sh/v1".to_string(),
                other => {
                    return Err(at(
                        name,
                        k,
                        format!("unknown pool kind {other:?}, expected Provisioner or NodePool"),
                    ));
                }
            },
            (None, None) => "karpenter.sh/v1".to_string(),
        };
        let is_provisioner = api_version == "karpenter.sh/v1alpha5";
        if let Some(k) = &p.kind {
            let want = if is_provisioner {
                "Provisioner"
            } else {
                "NodePool"
            };
            if k.value != want {
                return Err(at(
                    name,
                    k,
                    format!(
                        "kind {:?} does not exist at {api_version} (it serves {want})",
                        k.value
                    ),
                ));
            }
        }
        let labels = plain(&p.labels);
        let pool_taints = taints(&p.taints).map_err(|m| err(format!("pools {}: {m}", p.name)))?;
        let startup =
            taints(&p.startup_taints).map_err(|m| err(format!("pools {}: {m}", p.name)))?;
        let node_class = p.node_class.clone().unwrap_or_else(|| "default".into());
        let limits = plain(&p.limits);
        let obj = if is_provisioner {
            expand::provisioner(
                &p.name,
                &labels,
                &pool_taints,
                &startup,
                &p.requirements,
                &node_class,
                &limits,
            )
        } else {
            expand::nodepool(
                &api_version,
                &p.name,
                &labels,
                &pool_taints,
                &startup,
                &p.requirements,
                &node_class,
                &limits,
            )
        };
        let mut obj = obj;
        if let Some(b) = &p.budgets {
            if is_provisioner {
                return Err(err(format!("pools {}: budgets need a NodePool", p.name)));
            }
            for budget in b {
                crate::cron::Budget::from_value(budget)
                    .map_err(|m| err(format!("pools {}: budget {budget}: {m}", p.name)))?;
            }
            // The CRD's `nodes` is a string: `nodes: 0` is written as "0".
            let budgets: Vec<Value> = b
                .iter()
                .map(|x| {
                    let mut x = x.clone();
                    if let Some(n) = x.get("nodes").filter(|n| n.is_number()) {
                        x["nodes"] = Value::String(n.to_string());
                    }
                    x
                })
                .collect();
            obj["spec"]["disruption"]["budgets"] = Value::Array(budgets);
        }
        if let Some(tgp) = &p.termination_grace_period {
            if api_version != "karpenter.sh/v1" {
                return Err(err(format!(
                    "pools {}: terminationGracePeriod needs a karpenter.sh/v1 NodePool",
                    p.name
                )));
            }
            if crate::cron::parse_go_duration(tgp).is_none() {
                return Err(err(format!(
                    "pools {}: terminationGracePeriod {tgp:?} is not a duration like 24h or 1h30m",
                    p.name
                )));
            }
            obj["spec"]["template"]["spec"]["terminationGracePeriod"] = Value::String(tgp.clone());
        }
        objects.push(obj);
        if pools.contains_key(&p.name) {
            return Err(err(format!(
                "pool {:?} is defined twice (node groups and Karpenter pools share one name space)",
                p.name
            )));
        }
        pools.insert(
            p.name.clone(),
            PoolInfo {
                link: if is_provisioner {
                    PoolLink::Provisioner(p.name.clone())
                } else {
                    PoolLink::NodePool(p.name.clone())
                },
                labels,
                taints: pool_taints,
                instance_type: None,
                nodeclaim: (!is_provisioner).then(|| (api_version.clone(), node_class.clone())),
                kubelet: None,
            },
        );
    }

    let mut node_index = 0usize;
    for entry in &f.nodes {
        let (n, err) = (&entry.value, |m: String| at(name, entry, m));
        let pool = match &n.pool {
            Some(p) => Some(pools.get(&p.value).cloned().ok_or_else(|| {
                let known: Vec<&str> = pools.keys().map(String::as_str).collect();
                at(
                    name,
                    p,
                    format!("unknown pool {:?}, defined pools: {known:?}", p.value),
                )
            })?),
            None => None,
        };
        let count = n.count.unwrap_or(1);
        // Bigger clusters are the generator's job; this keeps a typo from eating the memory.
        if node_index + count as usize > MAX_FILE_NODES {
            return Err(err(format!(
                "more than {MAX_FILE_NODES} nodes; use --generate for big clusters"
            )));
        }
        if n.name.is_some() && count != 1 {
            return Err(err(format!(
                "node {:?}: give either name or count (with namePattern), not both",
                n.name
            )));
        }
        let instance_type = n
            .instance_type
            .clone()
            .or_else(|| pool.as_ref().and_then(|p| p.instance_type.clone()))
            .unwrap_or_else(|| "m5.large".into());
        let mut capacity = Capacity::of_instance(&instance_type);
        if let Some(c) = &n.capacity {
            if let Some(cpu) = &c.cpu {
                capacity.cpu_milli = parse_cpu_milli(&cpu.0)
                    .ok_or_else(|| err(format!("node capacity: bad cpu {:?}", cpu.0)))?;
            }
            if let Some(mem) = &c.memory {
                capacity.memory_ki = parse_memory_ki(&mem.0)
                    .ok_or_else(|| err(format!("node capacity: bad memory {:?}", mem.0)))?;
            }
            if let Some(pods) = c.pods {
                capacity.pods = pods;
            }
        }
        let mut node_taints = pool.as_ref().map(|p| p.taints.clone()).unwrap_or_default();
        node_taints.extend(taints(&n.taints).map_err(|m| err(format!("node {:?}: {m}", n.name)))?);
        let mut labels = pool.as_ref().map(|p| p.labels.clone()).unwrap_or_default();
        labels.extend(plain(&n.labels));
        let kubelet_version = n
            .kubelet_version
            .clone()
            .or_else(|| pool.as_ref().and_then(|p| p.kubelet.clone()))
            .unwrap_or_else(|| git_version.clone());
        let age = n.age.map_or(3600, |h| h.0.as_secs() as i64);
        let created = now
            .checked_sub(SignedDuration::from_secs(age))
            .unwrap_or(now);
        for i in 0..count {
            let zone_index = node_index % 3;
            let zone = n
                .zone
                .clone()
                .unwrap_or_else(|| format!("{}{}", cluster.region, ['a', 'b', 'c'][zone_index]));
            let ip = expand::node_ip(node_index + 20, zone_index);
            let node_name = match (&n.name, &n.name_pattern) {
                (Some(fixed), _) => fixed.clone(),
                (None, Some(pattern)) => pattern
                    .replace("{i}", &(i + 1).to_string())
                    .replace("{ip}", &ip.replace('.', "-"))
                    .replace("{pool}", n.pool.as_ref().map_or("", |p| p.value.as_str())),
                (None, None) => expand::node_name_for_ip(&ip, &cluster.region),
            };
            // The name is the hostname: keep the address consistent with it when it is an ip-name.
            let ip = ip_from_name(&node_name).unwrap_or(ip);
            let params = NodeParams {
                name: node_name.clone(),
                ip,
                kubelet_version: kubelet_version.clone(),
                pool: pool.as_ref().map_or(PoolLink::None, |p| p.link.clone()),
                labels: labels.clone(),
                annotations: plain(&n.annotations),
                taints: node_taints.clone(),
                instance_type: instance_type.clone(),
                zone,
                region: cluster.region.clone(),
                capacity,
                ready: n.ready,
                unschedulable: n.unschedulable,
                created,
                instance_id: format!("i-0{:016x}", 0x5eed_0000u64 + node_index as u64),
            };
            let mut node = expand::node(&params);
            if let PoolLink::NodeGroup(g) = &params.pool
                && let Some(group) = node_groups.iter().find(|x| &x.name == g)
            {
                expand::set_os_image(&mut node, &group.ami_type);
            }
            objects.push(node);
            if let (Some(p), PoolLink::NodePool(pool_name)) = (&pool, &params.pool)
                && let Some((api_version, node_class)) = &p.nodeclaim
            {
                let claim = format!("{pool_name}-{}", short_hash(&node_name));
                objects.push(expand::nodeclaim(
                    api_version,
                    &claim,
                    &params,
                    pool_name,
                    node_class,
                ));
            }
            node_index += 1;
        }
    }

    for ns in &f.namespaces {
        objects.push(expand::namespace(ns));
    }
    for entry in &f.workloads {
        let (w, err) = (&entry.value, |m: String| at(name, entry, m));
        let werr = |m: String| err(format!("workload {}/{}: {m}", w.namespace, w.name));
        let mut labels = plain(&w.labels);
        if labels.is_empty() {
            labels.insert("app".into(), w.name.clone());
        }
        let resources = match &w.resources {
            None => None,
            Some(r) => {
                let q = |m: &ScalarMap| -> Option<BTreeMap<String, Quantity>> {
                    (!m.is_empty()).then(|| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), Quantity(v.0.clone())))
                            .collect()
                    })
                };
                Some(ResourceRequirements {
                    requests: q(&r.requests),
                    limits: q(&r.limits),
                    claims: None,
                })
            }
        };
        let params = PodParams {
            name: w.name.clone(),
            labels,
            annotations: plain(&w.annotations),
            image: w
                .image
                .clone()
                .unwrap_or_else(|| "public.ecr.aws/nginx/nginx:1.25".into()),
            node_selector: plain(&w.node_selector),
            tolerations: w.tolerations.clone(),
            affinity: w.affinity.clone(),
            resources,
            empty_dir: w.empty_dir,
            port: w.port,
            termination_grace_period_seconds: w.termination_grace_period_seconds,
        };
        let replicas = match &w.replicas {
            Some(r) if w.kind == WorkloadKind::DaemonSet => {
                return Err(at(
                    name,
                    r,
                    "a DaemonSet has no replicas (one pod per eligible node)",
                ));
            }
            Some(r) if r.value < 0 => {
                return Err(at(
                    name,
                    r,
                    format!("replicas must be >= 0, got {}", r.value),
                ));
            }
            Some(r) => r.value,
            None => 1,
        };
        if w.node_name.is_some() && w.kind != WorkloadKind::Pod {
            return Err(werr(
                "nodeName is only for kind Pod (controllers' pods are placed by the scheduler)"
                    .into(),
            ));
        }
        match w.kind {
            WorkloadKind::Deployment => {
                objects.push(expand::deployment(&w.namespace, replicas, &params))
            }
            WorkloadKind::StatefulSet => {
                objects.push(expand::statefulset(&w.namespace, replicas, &params))
            }
            WorkloadKind::DaemonSet => objects.push(expand::daemonset(&w.namespace, &params)),
            WorkloadKind::Pod if replicas as usize > MAX_FILE_NODES * 10 => {
                return Err(werr(format!(
                    "replicas {replicas}: at most {} bare pods; use --generate for big clusters",
                    MAX_FILE_NODES * 10
                )));
            }
            WorkloadKind::Pod => {
                for i in 0..replicas {
                    let pod_name = if replicas == 1 {
                        w.name.clone()
                    } else {
                        format!("{}-{i}", w.name)
                    };
                    objects.push(expand::bare_pod(
                        &pod_name,
                        &w.namespace,
                        &params,
                        w.node_name.as_deref(),
                    ));
                }
            }
        }
    }
    for entry in &f.pdbs {
        let (p, err) = (&entry.value, |m: String| at(name, entry, m));
        if p.min_available.is_some() == p.max_unavailable.is_some() {
            return Err(err(format!(
                "pdb {}/{}: give exactly one of minAvailable and maxUnavailable",
                p.namespace, p.name
            )));
        }
        if p.selector.is_empty() {
            return Err(err(format!(
                "pdb {}/{}: selector (matchLabels) is empty",
                p.namespace, p.name
            )));
        }
        objects.push(expand::pdb(
            &p.name,
            &p.namespace,
            p.min_available.as_ref().map(int_or_string),
            p.max_unavailable.as_ref().map(int_or_string),
            &plain(&p.selector),
        ));
    }
    if let Some(k) = &f.karpenter {
        let v = &k.value.version;
        let ok = !v.is_empty()
            && v.trim_start_matches('v')
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            && v.matches('.').count() == 2;
        if !ok {
            return Err(at(
                name,
                k,
                format!("karpenter.version {v:?} is not a version like 1.5.0 (or v0.32.0)"),
            ));
        }
        if k.value.replicas < 0 {
            return Err(at(name, k, "karpenter.replicas must be >= 0"));
        }
        objects.push(expand::karpenter_deployment(
            v,
            &k.value.namespace,
            &k.value.release,
            k.value.replicas,
        ));
    }
    for o in f.objects {
        let (line, column) = (o.referenced.line(), o.referenced.column());
        let objs = manifests::check_object(o.value)
            .map_err(|m| ScenarioError::at(name, line, column, m))?;
        objects.extend(objs);
    }
    let mut eks = EksSettings::default();
    if let Some(t) = f.timing.pod_eviction_timeout {
        eks.pod_eviction_timeout = t.0;
    }
    for i in f.insights {
        let status = i.value.status.as_str();
        if !matches!(status, "PASSING" | "WARNING" | "ERROR" | "UNKNOWN") {
            return Err(at(
                name,
                &i,
                format!(
                    "insight {:?}: status {status:?} is not PASSING, WARNING, ERROR or UNKNOWN",
                    i.value.name
                ),
            ));
        }
        if let Some(c) = &i.value.category
            && !matches!(c.as_str(), "UPGRADE_READINESS" | "MISCONFIGURATION")
        {
            return Err(at(
                name,
                &i,
                format!(
                    "insight {:?}: category {c:?} is not UPGRADE_READINESS or MISCONFIGURATION",
                    i.value.name
                ),
            ));
        }
        eks.insights.push(i.value);
    }
    for v in f.eks_versions {
        let spec = &v.value;
        if minor_of(&spec.version).is_none() {
            return Err(at(
                name,
                &v,
                format!("eksVersions: {:?} is not a version like 1.36", spec.version),
            ));
        }
        for (what, date) in [
            ("releaseDate", &spec.release_date),
            ("endOfStandardSupport", &spec.end_of_standard_support),
            ("endOfExtendedSupport", &spec.end_of_extended_support),
        ] {
            if date.parse::<jiff::civil::Date>().is_err() {
                return Err(at(
                    name,
                    &v,
                    format!(
                        "eksVersions {}: {what} {date:?} is not a date like 2026-01-27",
                        spec.version
                    ),
                ));
            }
        }
        eks.versions.push(v.value);
    }
    eks.addons = super::addons::resolve(name, f.eks, minor, &eks.versions)?;
    Ok(Scenario {
        cluster,
        timing,
        faults,
        node_groups,
        objects,
        seed: src.seed,
        eks,
        now: pinned,
    })
}

/// Minor version from `v1.25.16-eks-3025e55` or `1.25`.
pub(crate) fn minor_of(version: &str) -> Option<u32> {
    let v = version.trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']);
    let major = parts.next()?.parse::<u32>().ok()?;
    let minor = parts.next()?.trim_end_matches('+').parse::<u32>().ok()?;
    (major == 1).then_some(minor)
}

/// The last EKS patch release of a minor (`1.24` -> `1.24.17`), for default kubelet versions.
pub(crate) fn full_version_for(minor: &str) -> String {
    let patch = match minor_of(minor) {
        Some(21) => 14,
        Some(22) => 17,
        Some(23) => 17,
        Some(24) => 17,
        Some(25) => 16,
        Some(26) => 15,
        Some(27) => 16,
        Some(28) => 15,
        Some(29) => 15,
        Some(30) => 14,
        Some(31) => 13,
        Some(32) => 9,
        Some(33) => 5,
        Some(34) => 1,
        _ => 0,
    };
    if minor.matches('.').count() >= 2 {
        minor.trim_start_matches('v').to_string()
    } else {
        format!("{}.{patch}", minor.trim_start_matches('v'))
    }
}

fn ip_from_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("ip-")?;
    let dashed = rest.split('.').next()?;
    let parts: Vec<&str> = dashed.split('-').collect();
    (parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok())).then(|| parts.join("."))
}

fn short_hash(s: &str) -> String {
    // FNV-1a, rendered in the k8s name alphabet: stable NodeClaim names per node.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    super::text::Rng::new(h).suffix(5)
}

pub(crate) fn parse_cpu_milli(s: &str) -> Option<u64> {
    if let Some(m) = s.strip_suffix('m') {
        return m.parse().ok();
    }
    s.parse::<f64>()
        .ok()
        .filter(|v| *v >= 0.0)
        .map(|v| (v * 1000.0).round() as u64)
}

pub(crate) fn parse_memory_ki(s: &str) -> Option<u64> {
    let units: [(&str, f64); 8] = [
        ("Ki", 1.0),
        ("Mi", 1024.0),
        ("Gi", 1048576.0),
        ("Ti", 1073741824.0),
        ("k", 1000.0 / 1024.0),
        ("M", 1e6 / 1024.0),
        ("G", 1e9 / 1024.0),
        ("T", 1e12 / 1024.0),
    ];
    for (suffix, factor) in units {
        if let Some(n) = s.strip_suffix(suffix) {
            return n
                .parse::<f64>()
                .ok()
                .filter(|v| *v >= 0.0)
                .map(|v| (v * factor) as u64);
        }
    }
    s.parse::<f64>()
        .ok()
        .filter(|v| *v >= 0.0)
        .map(|v| (v / 1024.0) as u64)
}
