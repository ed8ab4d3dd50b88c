//! Scenario input: the scenario file (sim/README.md documents it), plain Kubernetes
//! manifests, and the seeded generator for scale. Everything ends up as a `Scenario`.
//!
//! CONTRACT: the types below are what the server and the world consume; extend, don't break.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The simulated control plane and its EKS identity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// `/version` gitVersion, e.g. `v1.25.16-eks-3025e55`.
    pub git_version: String,
    /// EKS cluster name, e.g. `eks-upgrades-workshop`.
    pub name: String,
    pub region: String,
    /// EKS platform version, e.g. `eks.15`.
    pub platform_version: String,
    /// 12-digit AWS account id used in ARNs.
    pub account_id: String,
    /// What `/version` serves instead of `git_version`, verbatim (a client's handling of a
    /// version it cannot read); the rest of the simulation keeps `git_version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_version: Option<String>,
    /// Deprecated-API requests and RBAC denials (the scenario's `apiserver:`).
    #[serde(default)]
    pub apiserver: ApiServerSettings,
}

/// Delays in *simulated* time; the sim clock runs `speed` times faster than real time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timing {
    pub node_launch_delay: Duration,
    pub pod_start_delay: Duration,
    /// Default grace period when a pod gives none (pods: 30 s upstream).
    pub default_grace_period: Duration,
    /// How long the node-lifecycle controller takes to add the unschedulable taint after a cordon.
    pub cordon_taint_delay: Duration,
    pub speed: f64,
}

/// Faults, seeded and reproducible. Rates are fractions in 0.0..=1.0 of API requests
/// (never of `/sim/*`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FaultConfig {
    pub rate_429: f64,
    /// Retry-After seconds sent with injected 429s.
    pub retry_after_seconds: u64,
    pub rate_500: f64,
    pub rate_503: f64,
    /// Added to every API response.
    pub latency: Duration,
    /// Watch streams are closed after this many events (None: never).
    pub watch_cut_after_events: Option<u64>,
    /// The next N API requests fail with `fail_next_code` (429, 500 or 503), whatever the
    /// rates: a deterministic fault for tests of retries.
    #[serde(default)]
    pub fail_next: u64,
    #[serde(default)]
    pub fail_next_code: u16,
    /// The next N list requests that carry a `continue` token get 410 Expired, as when a token
    /// outlives etcd's compaction on a real cluster.
    #[serde(default)]
    pub expire_next_continue: u64,
    /// The next N EKS API requests fail with `eks_fail_next_code`: 429 ThrottlingException,
    /// 500 ServerException or 503 ServiceUnavailableException. The rates above never apply
    /// to the EKS API.
    #[serde(default)]
    pub eks_fail_next: u64,
    #[serde(default)]
    pub eks_fail_next_code: u16,
    /// The next UpdateClusterVersion is accepted but ends `Failed` with this error code (e.g.
    /// `ClusterUnreachable`), the control plane left at its version.
    #[serde(default)]
    pub eks_fail_next_cluster_update: Option<String>,
    /// Nodes whose kubelet stops confirming deletions (a lost kubelet): their deleted pods stay
    /// Terminating past the grace period until force-deleted (grace 0) through the API, or
    /// until the node is gone (the pod GC removes them then).
    #[serde(default)]
    pub stuck_kubelet_nodes: Vec<String>,
    /// 406 or 415: every Kubernetes API request whose Accept names
    /// `application/vnd.kubernetes.protobuf` gets that status with a JSON Status, as from a
    /// proxy that cannot pass protobuf.
    #[serde(default)]
    pub protobuf_refuse: Option<u16>,
    /// The next N protobuf list pages are cut to half their length (a truncated body whose
    /// Content-Length matches what is sent).
    #[serde(default)]
    pub corrupt_protobuf_pages: u64,
}

/// The EKS side of a scenario: settings of the simulated EKS API (all optional in the file).
#[derive(Clone, Debug)]
pub struct EksSettings {
    /// How long a managed node group update retries a PDB-blocked eviction before it fails
    /// with PodEvictionFailure (15 minutes on EKS), in sim time.
    pub pod_eviction_timeout: Duration,
    /// Insights added to (or replacing, by name) the computed ones.
    pub insights: Vec<InsightSpec>,
    /// Entries added to (or replacing, by version) the built-in EKS version table.
    pub versions: Vec<EksVersionSpec>,
    /// Installed EKS add-ons (`eks.addons:`), each with a version.
    pub addons: Vec<AddonSpec>,
}

impl Default for EksSettings {
    fn default() -> Self {
        EksSettings {
            pod_eviction_timeout: Duration::from_secs(15 * 60),
            insights: Vec::new(),
            versions: Vec::new(),
            addons: Vec::new(),
        }
    }
}

/// A scenario's `insights:` entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InsightSpec {
    /// Replaces the computed insight of the same name, if any.
    pub name: String,
    pub id: Option<String>,
    /// UPGRADE_READINESS (default) or MISCONFIGURATION.
    pub category: Option<String>,
    /// Default: the next minor after the control plane's.
    pub kubernetes_version: Option<String>,
    /// PASSING, WARNING, ERROR or UNKNOWN.
    pub status: String,
    pub reason: Option<String>,
    pub description: Option<String>,
    pub recommendation: Option<String>,
    #[serde(default)]
    pub additional_info: std::collections::BTreeMap<String, String>,
    /// kubernetesResourceUri of each affected resource.
    #[serde(default)]
    pub resources: Vec<String>,
}

/// A scenario's `eksVersions:` entry; dates are `YYYY-MM-DD` (UTC midnight).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EksVersionSpec {
    /// `1.36`
    pub version: String,
    pub release_date: String,
    pub end_of_standard_support: String,
    pub end_of_extended_support: String,
    pub patch_version: Option<String>,
    pub platform_version: Option<String>,
    #[serde(default)]
    pub default: bool,
}

/// An EKS managed node group (its nodes are ordinary Node objects in `objects`, labelled
/// `eks.amazonaws.com/nodegroup: NAME`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManagedNodeGroup {
    pub name: String,
    /// Kubernetes minor version of the group, e.g. "1.24".
    pub version: String,
    pub release_version: String,
    pub ami_type: String,
    pub instance_types: Vec<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    /// Taints as k8s JSON objects ({key, value, effect}).
    pub taints: Vec<serde_json::Value>,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_size: u32,
    pub max_unavailable: u32,
}

/// A fully loaded scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub cluster: ClusterInfo,
    pub timing: Timing,
    pub faults: FaultConfig,
    pub node_groups: Vec<ManagedNodeGroup>,
    /// Every initial object as k8s JSON (apiVersion/kind set), in apply order:
    /// namespaces, Karpenter pools, nodes, workloads, PDBs, bare pods.
    /// Pods may be given already bound and Running (the generator does that) or left to the world.
    pub objects: Vec<serde_json::Value>,
    /// Seed for everything random in this run.
    pub seed: u64,
    /// The simulated EKS API's settings (eviction timeout, insights, version table).
    pub eks: EksSettings,
    /// Where the sim clock starts (`cluster.now`, `--now`, or the generator's date); `None`:
    /// the real time, so support dates and ages then depend on the day the sim runs.
    pub now: Option<jiff::Timestamp>,
}

/// Where a scenario comes from (the command line of kup-sim, or kup demo / tests).
#[derive(Clone, Debug, Default)]
pub struct ScenarioSource {
    /// A scenario file path.
    pub file: Option<std::path::PathBuf>,
    /// Scenario YAML text given directly (e.g. a built-in scenario), with a name for error messages.
    pub text: Option<(String, String)>,
    /// `--manifests DIR`: every `*.yaml`/`*.yml` in it, multi-document.
    pub manifests: Option<std::path::PathBuf>,
    /// `--generate nodes=5000,pods=150000,deployments=2000,pools=4,...`
    pub generate: Option<String>,
    pub seed: u64,
    /// `--kube-version`: the control plane's gitVersion when the scenario gives none.
    pub kube_version: Option<String>,
    /// `--now`: where the sim clock starts; overrides the scenario's `cluster.now`.
    pub now: Option<jiff::Timestamp>,
}

mod addons;
pub mod apiserver;
pub(crate) mod expand;
mod file;
pub mod generate;
pub mod helm;
pub mod manifests;
mod text;

pub use addons::{AddonIssueSpec, AddonSpec};
pub use apiserver::ApiServerSettings;
pub(crate) use file::full_version_for;
pub use generate::GenSpec;

use std::path::Path;

/// Names accepted by [`builtin`]; `workshop` is what kup-sim loads when given no source at all.
pub const BUILTIN_NAMES: &[&str] = &[
    "workshop",
    "nodepool-v1",
    "nodepool-v1beta1",
    "no-lag",
    "pdb-blocks",
    "karpenter-v1",
];

/// The control plane used when neither the scenario nor `--kube-version` gives one.
pub const DEFAULT_GIT_VERSION: &str = "v1.25.16-eks-3025e55";

/// Where the clock of a `--generate`d cluster starts (unless `--now` says otherwise): a
/// generated cluster is a benchmark input and must look the same on any day.
pub const GENERATED_NOW: &str = "2025-06-02T00:00:00Z";

/// The YAML text of a built-in scenario (embedded in the binary).
pub fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "workshop" => include_str!("../../scenarios/workshop.yaml"),
        "nodepool-v1" => include_str!("../../scenarios/nodepool-v1.yaml"),
        "nodepool-v1beta1" => include_str!("../../scenarios/nodepool-v1beta1.yaml"),
        "no-lag" => include_str!("../../scenarios/no-lag.yaml"),
        "pdb-blocks" => include_str!("../../scenarios/pdb-blocks.yaml"),
        "karpenter-v1" => include_str!("../../scenarios/karpenter-v1.yaml"),
        _ => return None,
    })
}

/// Bad scenario input. Every variant names where the problem is, so a user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A problem at a known place in a YAML file (`file:line:column: message`).
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    /// A problem with a file as a whole (or without a known position).
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A bad `--generate` spec.
    #[error("--generate {spec:?}: {message}")]
    Generate { spec: String, message: String },
}

impl ScenarioError {
    pub(crate) fn at(file: &str, line: u64, column: u64, message: impl Into<String>) -> Self {
        ScenarioError::At {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    pub(crate) fn file(file: &str, message: impl Into<String>) -> Self {
        ScenarioError::File {
            file: file.to_string(),
            message: message.into(),
        }
    }

    /// Turn a serde-saphyr error into `file:line:column: message`; `line_offset` is added to
    /// the line when the text was cut out of a larger file (one document of a multi-doc file).
    pub(crate) fn from_yaml(file: &str, line_offset: u64, err: &serde_saphyr::Error) -> Self {
        let message = text::yaml_message(err);
        match err.location() {
            Some(loc) if loc.line() > 0 => {
                Self::at(file, loc.line() + line_offset, loc.column(), message)
            }
            _ => Self::file(file, message),
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            node_launch_delay: Duration::from_secs(60),
            pod_start_delay: Duration::from_secs(5),
            default_grace_period: Duration::from_secs(30),
            cordon_taint_delay: Duration::from_secs(2),
            speed: 60.0,
        }
    }
}

impl ClusterInfo {
    /// The cluster kup-sim describes when the scenario says nothing about it.
    pub fn default_with_version(git_version: &str) -> Self {
        ClusterInfo {
            git_version: git_version.to_string(),
            name: "kup-sim".to_string(),
            region: "us-east-1".to_string(),
            platform_version: "eks.1".to_string(),
            account_id: "111122223333".to_string(),
            served_version: None,
            apiserver: ApiServerSettings::default(),
        }
    }
}

/// Load a scenario: the file or text (or the built-in workshop when nothing at all is given),
/// then the `--manifests` objects appended, then the `--generate` synthetic cluster added.
pub fn load(src: &ScenarioSource) -> Result<Scenario, ScenarioError> {
    let (mut scenario, generated) = load_deferred(src)?;
    if let Some(generated) = generated {
        scenario.objects.reserve(generated.object_count());
        generated.for_each(&mut |obj| scenario.objects.push(obj));
    }
    Ok(scenario)
}

/// The `--generate` part of a scenario, produced on demand: 150,000 pods held as
/// `serde_json::Value`s take ~10 GB, while streaming them into a compact store takes nothing.
#[derive(Clone, Debug)]
pub struct Generated {
    pub spec: GenSpec,
    pub seed: u64,
    pub cluster: ClusterInfo,
    /// Creation timestamps are set relative to this.
    pub now: jiff::Timestamp,
}

impl Generated {
    /// Hand every generated object to `emit`, in apply order; they go after the scenario's
    /// own objects. Reproducible: the same seed and spec give the same objects.
    pub fn for_each(&self, emit: &mut dyn FnMut(serde_json::Value)) {
        generate::generate(&self.spec, self.seed, &self.cluster, self.now, emit);
    }

    /// How many objects `for_each` emits (about).
    pub fn object_count(&self) -> usize {
        self.spec.object_count()
    }
}

/// Like [`load`], but the `--generate` objects are not in `Scenario::objects`: the caller
/// streams them with [`Generated::for_each`] after loading `objects` (the node groups of the
/// generated cluster are already in `Scenario::node_groups`). Use this for big clusters.
pub fn load_deferred(src: &ScenarioSource) -> Result<(Scenario, Option<Generated>), ScenarioError> {
    // A generated cluster is pinned even when its scenario file is not.
    let default_now = match &src.generate {
        Some(_) => GENERATED_NOW
            .parse()
            .unwrap_or_else(|_| jiff::Timestamp::now()),
        None => jiff::Timestamp::now(),
    };
    let mut scenario = load_base(src, default_now)?;
    if src.generate.is_some() {
        scenario.now.get_or_insert(default_now);
    }
    // Generated objects are dated from the same "now" the clock starts at.
    let now = scenario.now.unwrap_or(default_now);
    let generated = match &src.generate {
        None => None,
        Some(spec) => {
            let spec = GenSpec::parse(spec)?;
            scenario
                .node_groups
                .extend(generate::node_groups(&spec, &scenario.cluster));
            Some(Generated {
                spec,
                seed: src.seed,
                cluster: scenario.cluster.clone(),
                now,
            })
        }
    };
    finish(&mut scenario, &source_label(src))?;
    Ok((scenario, generated))
}

/// The file or text (or the built-in workshop when nothing at all is given), then the
/// `--manifests` objects.
fn load_base(src: &ScenarioSource, now: jiff::Timestamp) -> Result<Scenario, ScenarioError> {
    let mut scenario = if let Some(path) = &src.file {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            file: name.clone(),
            source,
        })?;
        file::parse(&name, &text, src, now)?
    } else if let Some((name, text)) = &src.text {
        file::parse(name, text, src, now)?
    } else if src.manifests.is_none() && src.generate.is_none() {
        let text = builtin("workshop").unwrap_or_default();
        file::parse("builtin:workshop", text, src, now)?
    } else {
        let version = src.kube_version.as_deref().unwrap_or(DEFAULT_GIT_VERSION);
        Scenario {
            cluster: ClusterInfo::default_with_version(version),
            timing: Timing::default(),
            faults: FaultConfig::default(),
            node_groups: Vec::new(),
            objects: Vec::new(),
            seed: src.seed,
            eks: EksSettings::default(),
            now: src.now,
        }
    };
    if let Some(dir) = &src.manifests {
        scenario.objects.extend(manifests::load_dir(dir)?);
    }
    Ok(scenario)
}

/// Load a scenario from a path, for callers that only have a file (tests, kup demo).
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    load(&ScenarioSource {
        file: Some(path.to_path_buf()),
        ..Default::default()
    })
}

/// What to call the scenario's sources in an error that is about all of them.
fn source_label(src: &ScenarioSource) -> String {
    let mut parts = Vec::new();
    match (&src.file, &src.text) {
        (Some(path), _) => parts.push(path.display().to_string()),
        (None, Some((name, _))) => parts.push(name.clone()),
        (None, None) if src.manifests.is_none() && src.generate.is_none() => {
            parts.push("builtin:workshop".into())
        }
        _ => {}
    }
    if let Some(dir) = &src.manifests {
        parts.push(format!("--manifests {}", dir.display()));
    }
    parts.join(" + ")
}

/// Add missing namespaces, put objects in apply order and refuse duplicates.
fn finish(scenario: &mut Scenario, source: &str) -> Result<(), ScenarioError> {
    use std::collections::BTreeSet;
    let mut have: BTreeSet<String> = BTreeSet::new();
    let mut wanted: BTreeSet<String> = ["default", "kube-system", "kube-public", "kube-node-lease"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for obj in &scenario.objects {
        if text::str_at(obj, "/kind") == "Namespace" {
            have.insert(text::str_at(obj, "/metadata/name").to_string());
        }
        let ns = text::str_at(obj, "/metadata/namespace");
        if !ns.is_empty() {
            wanted.insert(ns.to_string());
        }
    }
    for ns in wanted.difference(&have) {
        scenario.objects.push(expand::namespace(ns));
    }
    // Stable: within a kind the scenario's own order is kept.
    scenario
        .objects
        .sort_by_key(|o| apply_rank(text::str_at(o, "/kind")));
    let mut seen: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for obj in &scenario.objects {
        let key = (
            text::str_at(obj, "/kind"),
            text::str_at(obj, "/metadata/namespace"),
            text::str_at(obj, "/metadata/name"),
        );
        if !seen.insert(key) {
            let what = if key.1.is_empty() {
                format!("{} {}", key.0, key.2)
            } else {
                format!("{} {}/{}", key.0, key.1, key.2)
            };
            return Err(ScenarioError::file(
                source,
                format!("{what} is defined more than once"),
            ));
        }
    }
    Ok(())
}

/// Apply order: namespaces, Karpenter pools, nodes (and their NodeClaims), workloads, PDBs, pods.
fn apply_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "Provisioner" | "NodePool" | "EC2NodeClass" => 1,
        "NodeClaim" => 2,
        "Node" => 3,
        "Deployment" | "StatefulSet" | "DaemonSet" => 4,
        "ReplicaSet" => 5,
        "PodDisruptionBudget" => 6,
        "Pod" => 7,
        _ => 8,
    }
}

#[cfg(test)]
mod tests;
