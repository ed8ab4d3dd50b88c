//! The rotation plan: which nodes, in which order and batches, what each will evict, and what
//! will stop it. Pure: `Snapshot -> RotatePlan`, so every prediction is unit-tested on plain
//! data; the executor (shell) only carries it out.
//!
//! Decisions (documented for users in `kup rotate --help` / README by the shell):
//! - Order: nodes an earlier run left half-done first (furthest phase first), so a resumed run
//!   finishes what is already disrupted before disrupting more; then by pool, so a batch draws
//!   its replacements from one place when it can; within a pool the furthest-behind kubelet
//!   first (closest to falling out of the skew policy), then the oldest node (most likely to
//!   carry drift and long-lived pods better moved early), then the name for determinism.
//! - `--max-unavailable P%` is a share of every node in the cluster that is not being deleted,
//!   rounded down like a Deployment's maxUnavailable, but at least 1 so a rotation can proceed.
//!   The effective batch is `min(--batch, --max-unavailable)`; batches never exceed it.
//! - Blockers are predictions, each naming the pods and why; a blocker is `blocking` unless the
//!   flag that allows it (`override`) was given, in which case it stays listed as a warning.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::marker::{Marker, Phase, ROTATION_ANNOTATION};
use crate::checks::karpenter::{Moves, pool_movements};
use crate::checks::placement::{
    fits_pool, is_wildcard, labels_fit, pdb_selects, steady_taints, tolerates, untolerated,
};
use crate::model::{
    Node, OwnerRef, Pdb, Placement, Pod, Pool, PoolFilter, PoolKind, PoolRef, Snapshot, Taint,
    Workload, WorkloadKind,
};
use crate::version::{Version, minor_skew};

/// What happens to each node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Cordon, drain, then replace (delete Karpenter nodes; others are left drained).
    #[default]
    Replace,
    /// Cordon and drain, then stop.
    Drain,
    /// Only cordon.
    Cordon,
    /// Change nothing: follow Karpenter's own drift of the selected NodePools to the end.
    Karpenter,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Replace => "replace",
            Mode::Drain => "drain",
            Mode::Cordon => "cordon",
            Mode::Karpenter => "karpenter",
        }
    }
}

/// `--max-unavailable N|P%`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxUnavailable {
    Count(usize),
    /// 1..=100: a share of the cluster's nodes (see the module docs).
    Percent(u8),
}

impl MaxUnavailable {
    /// How many nodes that allows out of `total`: a percentage rounds down, but never below 1.
    pub fn resolve(self, total: usize) -> usize {
        match self {
            MaxUnavailable::Count(n) => n,
            MaxUnavailable::Percent(p) => (total * usize::from(p) / 100).max(1),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid --max-unavailable {0:?}: expected a number of nodes (at least 1) or a percentage \
     from 1% to 100%"
)]
pub struct MaxUnavailableError(pub String);

impl FromStr for MaxUnavailable {
    type Err = MaxUnavailableError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MaxUnavailableError(s.to_string());
        let t = s.trim();
        match t.strip_suffix('%') {
            Some(p) => match p.trim().parse::<u8>() {
                Ok(p) if (1..=100).contains(&p) => Ok(MaxUnavailable::Percent(p)),
                _ => Err(err()),
            },
            None => match t.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(MaxUnavailable::Count(n)),
                _ => Err(err()),
            },
        }
    }
}

impl fmt::Display for MaxUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxUnavailable::Count(n) => write!(f, "{n}"),
            MaxUnavailable::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// As the user wrote it: `2` or `25%`.
impl Serialize for MaxUnavailable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the user asked for (flags of `kup rotate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOptions {
    /// Explicit NODE names; empty means every lagging node.
    pub nodes: Vec<String>,
    /// `--pool NAME` (any kind) or `KIND/NAME` (`nodepool`, `provisioner`, `nodegroup`).
    pub pool: Option<PoolFilter>,
    /// Nodes matching `-l` (the shell lists them with a label-selector query); None without
    /// `-l`. Narrows like `--pool`: a current node it matches is not rotated. Keep the full node
    /// list in the snapshot: the nodes left running decide where evicted pods can go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector_nodes: Option<Vec<String>>,
    /// `--batch N`: nodes disrupted at once (at least 1).
    pub batch: usize,
    pub max_unavailable: Option<MaxUnavailable>,
    /// Evict pods without a controller and pods marked do-not-disrupt.
    pub force: bool,
    /// Evict pods using emptyDir (their data is lost).
    pub delete_emptydir_data: bool,
    pub mode: Mode,
    /// Managed node groups EKS can move (read through the EKS API): their lagging nodes are
    /// replaced by UpdateNodegroupVersion rather than left drained. Empty without EKS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eks_node_groups: Vec<EksNodeGroup>,
    /// `--ignore-budgets`: disrupt more nodes of a NodePool at once than its disruption
    /// budgets allow now.
    pub ignore_budgets: bool,
}

/// A managed node group as `kup rotate` needs it from EKS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EksNodeGroup {
    pub name: String,
    /// Its version (`1.24`), as EKS says.
    pub version: Option<String>,
    /// How many nodes EKS replaces at once (its update config).
    pub max_unavailable: u32,
    /// ACTIVE, UPDATING (an update in progress: followed, not started again), ...
    pub status: String,
}

impl EksNodeGroup {
    /// The node groups EKS can move: ACTIVE ones, or UPDATING (that update is followed).
    /// Groups on a custom AMI are left out: EKS does not version them, their launch template
    /// does.
    pub fn movable(groups: &[crate::eks::NodeGroup]) -> Vec<EksNodeGroup> {
        groups
            .iter()
            .filter(|g| matches!(g.status.as_str(), "ACTIVE" | "UPDATING"))
            .filter(|g| g.ami_type.as_deref() != Some("CUSTOM"))
            .map(|g| EksNodeGroup {
                max_unavailable: g.max_unavailable_nodes(),
                name: g.name.clone(),
                version: g.version.clone(),
                status: g.status.clone(),
            })
            .collect()
    }
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            nodes: Vec::new(),
            pool: None,
            selector_nodes: None,
            batch: 1,
            max_unavailable: None,
            force: false,
            delete_emptydir_data: false,
            mode: Mode::Replace,
            eks_node_groups: Vec::new(),
            ignore_budgets: false,
        }
    }
}

/// Bad selection flags: the shell reports them and exits 2.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("no such node: {}; `kubectl get nodes` lists them", .0.join(", "))]
    UnknownNodes(Vec<String>),
    #[error("no pool {0:?}: no node and no NodePool, Provisioner or node group has that name")]
    UnknownPool(String),
    #[error("--batch must be at least 1")]
    ZeroBatch,
}

/// Why a predicted blocker stops (or slows) a drain. The kebab-case names are API: they appear
/// in `-o json` plans and `blocked` events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockReason {
    /// A pod without a controller: evicted, nothing recreates it.
    NoController,
    /// A pod with an emptyDir volume: its data is lost.
    EmptyDir,
    /// `karpenter.sh/do-not-disrupt` (or `do-not-evict`).
    DoNotDisrupt,
    /// A PodDisruptionBudget that allows 0 disruptions: evictions get 429 until it relents.
    PdbAllowsNone,
    /// Two or more PDBs select the pod: the API answers every eviction with 500.
    MultiplePdbs,
    /// A managed node group whose update would replace more nodes at once than `--batch`.
    NodeGroupMaxUnavailable,
    /// A wildcard toleration: evicted pods are scheduled back onto the cordoned node.
    WildcardToleration,
    /// An explicit toleration of `node.kubernetes.io/unschedulable`: the same, on purpose.
    ToleratesCordon,
    /// After the rotation no node and no pool fits the workload: its pods would stay Pending.
    Stranded,
    /// A Karpenter replacement would not reach the target: the EC2NodeClass pins the AMI (or
    /// cannot launch at the target at all), so the new node comes back on the same kubelet.
    PinnedAmi,
    /// The NodePool's disruption budgets allow no node to be disrupted now.
    BudgetAllowsNone,
    /// The budgets allow some, but nodes Karpenter is disrupting now take them all: frees
    /// itself as Karpenter finishes (`kup upgrade` waits for it).
    BudgetInUse,
}

impl BlockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::NoController => "no-controller",
            BlockReason::EmptyDir => "empty-dir",
            BlockReason::DoNotDisrupt => "do-not-disrupt",
            BlockReason::PdbAllowsNone => "pdb-allows-none",
            BlockReason::MultiplePdbs => "multiple-pdbs",
            BlockReason::NodeGroupMaxUnavailable => "node-group-max-unavailable",
            BlockReason::WildcardToleration => "wildcard-toleration",
            BlockReason::ToleratesCordon => "tolerates-cordon",
            BlockReason::Stranded => "stranded",
            BlockReason::PinnedAmi => "pinned-ami",
            BlockReason::BudgetAllowsNone => "budget-allows-none",
            BlockReason::BudgetInUse => "budget-in-use",
        }
    }

    /// The stop policy, the one answer the executor, the text plan and the JSON plan share:
    /// whether a blocker of this reason stops the run before it changes anything (unless a
    /// flag allows it). A PDB that allows no disruption now does not: its evictions are
    /// retried (429) until `--drain-timeout`, and only then does the run stop, on that node.
    pub fn stops_run(self) -> bool {
        self != BlockReason::PdbAllowsNone
    }
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for PodRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The top-level workload a pod belongs to (Deployment rather than its ReplicaSet).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedPod {
    pub namespace: String,
    pub name: String,
    /// The pod's UID when planned: its eviction carries it as a precondition, so a same-named
    /// successor is never evicted in its place.
    pub uid: String,
    /// Its controller (`ReplicaSet/nginx-6b7f`); None for a bare pod.
    pub owner: Option<OwnerRef>,
    /// The workload to wait for after the eviction, when kup read it.
    pub workload: Option<WorkloadRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blocker {
    pub reason: BlockReason,
    pub node: String,
    pub pods: Vec<PodRef>,
    /// The PDBs involved (`NS/NAME`), for PDB reasons.
    pub pdbs: Vec<String>,
    pub workload: Option<WorkloadRef>,
    /// True when it stops the run before anything changes (`BlockReason::stops_run`); false
    /// when a flag allows it, or when it is waited for (a PDB allowing no disruption now).
    pub blocking: bool,
    /// The flag that allows it, if any (`--force`, `--delete-emptydir-data`).
    #[serde(rename = "override")]
    pub override_flag: Option<&'static str>,
    pub message: String,
}

/// What happens to a node after its drain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplaceAction {
    /// Delete the Node; Karpenter's termination finalizer removes the instance and the pool
    /// launches a replacement at the control-plane version for the pending pods.
    DeleteNode,
    /// Leave it cordoned and drained; the message says what the user must do.
    LeaveDrained,
    /// `--mode cordon`: leave it cordoned, pods in place.
    LeaveCordoned,
    /// A managed node group's node: EKS replaces it (UpdateNodegroupVersion), kup follows.
    UpdateNodeGroup,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    pub action: ReplaceAction,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedNode {
    pub name: String,
    pub pool: PoolRef,
    pub kubelet: String,
    /// Whether its kubelet lags the target (false for a named node that does not).
    pub lagging: bool,
    /// The marker an earlier run left: the executor continues after this phase.
    pub resume: Option<Marker>,
    pub replacement: Replacement,
    /// Pods to evict (none in `--mode cordon`), sorted by namespace and name.
    pub pods: Vec<PlannedPod>,
    pub blockers: Vec<Blocker>,
    /// Things worth saying that stop nothing.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub nodes: Vec<PlannedNode>,
}

/// A managed node group moved by EKS: one UpdateNodegroupVersion for all its lagging nodes,
/// which EKS replaces `max_unavailable` at a time (new nodes first, then drains the old ones
/// through the Eviction API).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeGroupStep {
    pub name: String,
    /// The group's version now and the one it moves to (the control plane's minor).
    pub from: Option<String>,
    pub to: String,
    pub max_unavailable: u32,
    /// An update is already in progress (an earlier run, or someone else): followed.
    pub in_progress: bool,
    /// Its lagging nodes, with the pods EKS will evict and what the plan predicts for them.
    pub nodes: Vec<PlannedNode>,
}

/// A NodePool's budget for `Drifted` at the snapshot's time, as the plan applies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolBudget {
    pub node_pool: String,
    /// Nodes of the pool one batch may hold.
    pub allowed: usize,
    /// When the budgets next change (a window opens or closes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_change: Option<jiff::Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedNode {
    pub name: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    pub nodes: usize,
    pub batches: usize,
    /// Nodes an earlier run left half-done, continued by this one.
    pub resumed: usize,
    pub evictions: usize,
    /// Blockers that stop the drain.
    pub blocking: usize,
    /// Blockers a flag allows (listed, not stopping).
    pub allowed: usize,
    /// Blockers waited for while the run goes on (a PDB allowing no disruption now).
    pub waits: usize,
    /// Nodes left out because their kubelet is already at the target.
    pub up_to_date: usize,
    pub by_reason: BTreeMap<BlockReason, usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatePlan {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub target: Version,
    pub options: PlanOptions,
    /// `min(--batch, --max-unavailable)`.
    pub effective_batch: usize,
    pub batches: Vec<Batch>,
    /// Managed node groups EKS moves, after the batches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_groups: Vec<NodeGroupStep>,
    /// Karpenter NodePools whose disruption budgets cap how many of their nodes one batch
    /// holds (none with `--ignore-budgets`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<PoolBudget>,
    pub summary: PlanSummary,
    pub skipped: Vec<SkippedNode>,
}

impl RotatePlan {
    /// Every planned node: the batches', then the node groups'.
    pub fn nodes(&self) -> impl Iterator<Item = &PlannedNode> {
        self.batches
            .iter()
            .flat_map(|b| &b.nodes)
            .chain(self.node_groups.iter().flat_map(|g| &g.nodes))
    }

    pub fn blockers(&self) -> impl Iterator<Item = &Blocker> {
        self.nodes().flat_map(|n| &n.blockers)
    }

    /// The blockers that stop the run before it changes anything.
    pub fn stopping_blockers(&self) -> impl Iterator<Item = &Blocker> {
        self.blockers().filter(|b| b.blocking)
    }

    /// No blocker stops it (blockers a flag allows, or that are waited for, do not count).
    pub fn is_clear(&self) -> bool {
        self.summary.blocking == 0
    }
}

/// The nodes a run takes (by name, `--pool`, `-l`, lag and markers), and those it leaves out.
struct Selection<'a> {
    chosen: Vec<Chosen<'a>>,
    skipped: Vec<SkippedNode>,
    /// Left out because their kubelet is at the target already.
    up_to_date: usize,
}

/// Whether the plan would hold nodes of a managed node group, which EKS may move in replace
/// mode: the shell reads the node groups (an EKS call) only then, and before planning, so that
/// there is one plan.
pub fn needs_node_groups(
    snapshot: &Snapshot,
    target: &Version,
    opts: &PlanOptions,
) -> Result<bool, PlanError> {
    Ok(opts.mode == Mode::Replace
        && select(snapshot, target, opts)?
            .chosen
            .iter()
            .any(|c| c.node.pool.kind == PoolKind::NodeGroup))
}

fn select<'a>(
    snapshot: &'a Snapshot,
    target: &Version,
    opts: &PlanOptions,
) -> Result<Selection<'a>, PlanError> {
    let unknown: Vec<String> = opts
        .nodes
        .iter()
        .filter(|n| !snapshot.nodes.iter().any(|x| &x.name == *n))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(PlanError::UnknownNodes(unknown));
    }
    let pool_filter = opts.pool.as_ref();
    if let Some(f) = &pool_filter
        && !snapshot.nodes.iter().any(|n| f.matches(&n.pool))
        && !snapshot.pools.iter().any(|p| f.matches(&p.pool))
    {
        return Err(PlanError::UnknownPool(f.name.clone()));
    }
    let named: BTreeSet<&str> = opts.nodes.iter().map(String::as_str).collect();

    let mut skipped = Vec::new();
    let mut up_to_date = 0;
    // (node, resume marker, lagging, parsed kubelet, notes)
    let mut chosen: Vec<Chosen> = Vec::new();
    for node in &snapshot.nodes {
        let is_named = named.contains(node.name.as_str());
        let in_pool = pool_filter.is_none_or(|f| f.matches(&node.pool))
            && opts
                .selector_nodes
                .as_ref()
                .is_none_or(|l| l.iter().any(|n| n == &node.name));
        let marker = Marker::of(&node.kup_annotations);
        if (!named.is_empty() && !is_named) || !in_pool {
            // Narrowed out. Say so only where it matters: a half-done node or a named one.
            if let Some(m) = &marker {
                skipped.push(skip(
                    node,
                    format!(
                        "left by an earlier run ({}) but outside this selection: run kup rotate \
                         without narrowing to finish it, or kup rotate --abort",
                        raw_marker(node, m)
                    ),
                ));
            } else if is_named {
                skipped.push(skip(
                    node,
                    match pool_filter {
                        Some(f) if !f.matches(&node.pool) => format!("not in pool {f}"),
                        _ => "does not match the -l selector".to_string(),
                    },
                ));
            }
            continue;
        }
        let kubelet = Version::parse(&node.kubelet_version).ok();
        let lagging = kubelet.as_ref().is_some_and(|v| minor_skew(v, target) < 0);
        let mut notes = Vec::new();
        let resume = match marker {
            Some(Err(e)) => {
                skipped.push(skip(
                    node,
                    format!("{e}; fix or remove it, or run kup rotate --abort"),
                ));
                continue;
            }
            Some(Ok(m)) if m.phase == Phase::Verified => {
                // Deleted nodes are gone; a verified node still here was left cordoned and
                // drained (node group, no pool, --mode drain) for the user to replace.
                skipped.push(skip(
                    node,
                    format!("already rotated by run {} (verified)", m.run_id),
                ));
                continue;
            }
            Some(Ok(m)) => {
                notes.push(format!(
                    "continues run {} after phase {}",
                    m.run_id, m.phase
                ));
                Some(m)
            }
            None => None,
        };
        if resume.is_none() {
            if node.deleting {
                if is_named || lagging {
                    skipped.push(skip(node, "already being deleted".to_string()));
                }
                continue;
            }
            match &kubelet {
                None if is_named => notes.push(format!(
                    "kubelet version {:?} does not parse; rotated because it was named",
                    node.kubelet_version
                )),
                None => {
                    skipped.push(skip(
                        node,
                        format!(
                            "kubelet version {:?} does not parse; name the node to rotate it",
                            node.kubelet_version
                        ),
                    ));
                    continue;
                }
                Some(v) if !lagging && is_named => notes.push(format!(
                    "kubelet {v} is not behind {}; rotated because it was named",
                    target.minor_str()
                )),
                Some(_) if !lagging => {
                    up_to_date += 1;
                    continue;
                }
                Some(_) => {}
            }
        }
        chosen.push(Chosen {
            node,
            resume,
            lagging,
            kubelet,
            notes,
        });
    }
    Ok(Selection {
        chosen,
        skipped,
        up_to_date,
    })
}

/// Plans the rotation of `snapshot`'s nodes to `target`.
pub fn plan(
    snapshot: &Snapshot,
    target: &Version,
    opts: &PlanOptions,
) -> Result<RotatePlan, PlanError> {
    if opts.batch == 0 {
        return Err(PlanError::ZeroBatch);
    }
    let Selection {
        mut chosen,
        mut skipped,
        up_to_date,
    } = select(snapshot, target, opts)?;
    chosen.sort_by(|a, b| {
        // Further phase first; then unmarked nodes.
        let phase = |c: &Chosen| std::cmp::Reverse(c.resume.as_ref().map(|m| m.phase));
        phase(a)
            .cmp(&phase(b))
            .then_with(|| a.node.pool.cmp(&b.node.pool))
            .then_with(|| cmp_none_last(&a.kubelet, &b.kubelet))
            .then_with(|| cmp_none_last(&a.node.created, &b.node.created))
            .then_with(|| a.node.name.cmp(&b.node.name))
    });

    let total = snapshot.nodes.iter().filter(|n| !n.deleting).count();
    let effective_batch = opts
        .max_unavailable
        .map_or(opts.batch, |m| opts.batch.min(m.resolve(total)))
        .max(1);

    let ctx = Context::new(snapshot, target, &chosen, opts);
    let mut planned: Vec<PlannedNode> = chosen.iter().map(|c| ctx.plan_node(c, opts)).collect();
    let node_groups = ctx.node_group_steps(&mut planned, effective_batch);
    let budgets = karpenter_limits(snapshot, target, opts, &mut planned);

    // Counted over every planned node, the node groups' included.
    let every: Vec<&PlannedNode> = planned
        .iter()
        .chain(node_groups.iter().flat_map(|g| &g.nodes))
        .collect();
    let mut summary = PlanSummary {
        nodes: every.len(),
        resumed: every.iter().filter(|n| n.resume.is_some()).count(),
        evictions: every.iter().map(|n| n.pods.len()).sum(),
        up_to_date,
        ..PlanSummary::default()
    };
    for b in every.iter().flat_map(|n| &n.blockers) {
        if b.blocking {
            summary.blocking += 1;
        } else if b.override_flag.is_some() {
            summary.allowed += 1;
        } else {
            summary.waits += 1;
        }
        *summary.by_reason.entry(b.reason).or_default() += 1;
    }
    let batches = batches_within(planned, effective_batch, &budgets);
    summary.batches = batches.len() + node_groups.len();
    skipped.sort_by(|a: &SkippedNode, b| a.name.cmp(&b.name));
    Ok(RotatePlan {
        api_version: "kup/v1",
        kind: "RotatePlan",
        target: target.clone(),
        options: opts.clone(),
        effective_batch,
        batches,
        node_groups,
        budgets,
        summary,
        skipped,
    })
}

/// What Karpenter says about the planned NodePool nodes: a blocker where the replacement would
/// not reach the target (pinned AMI, AL2 past 1.32, a missing or bad EC2NodeClass) or where the
/// budgets allow nothing now; and each pool's budget, which caps its nodes per batch.
fn karpenter_limits(
    snapshot: &Snapshot,
    target: &Version,
    opts: &PlanOptions,
    planned: &mut [PlannedNode],
) -> Vec<PoolBudget> {
    let movements = pool_movements(snapshot, target);
    let mut budgets = Vec::new();
    for m in &movements {
        let nodes: Vec<&mut PlannedNode> = planned
            .iter_mut()
            .filter(|n| n.pool.kind == PoolKind::NodePool && n.pool.name == m.node_pool)
            .collect();
        if nodes.is_empty() {
            continue;
        }
        let allowed = m.budget.allowed;
        if let Some(a) = allowed.filter(|_| !opts.ignore_budgets) {
            budgets.push(PoolBudget {
                node_pool: m.node_pool.clone(),
                allowed: a,
                next_change: m.budget.next_change,
            });
        }
        for n in nodes {
            let replaced = n.replacement.action == ReplaceAction::DeleteNode;
            if replaced && matches!(m.moves, Moves::Pinned | Moves::Blocked) {
                n.blockers.push(node_blocker(
                    BlockReason::PinnedAmi,
                    &n.name,
                    true,
                    None,
                    format!(
                        "its replacement would not reach {}: nodepool/{}: {}",
                        target.minor_str(),
                        m.node_pool,
                        m.summary
                    ),
                ));
            }
            if allowed == Some(0) && opts.mode != Mode::Cordon {
                let when = m
                    .budget
                    .next_change
                    .map(|t| {
                        format!(
                            " (the budgets change at {})",
                            t.strftime("%Y-%m-%d %H:%M UTC")
                        )
                    })
                    .unwrap_or_default();
                let (reason, message) = match m.budget.cap.filter(|c| *c > 0) {
                    Some(cap) => (
                        BlockReason::BudgetInUse,
                        format!(
                            "nodepool/{}'s disruption budgets allow {cap} node(s) now, all taken by \
                             nodes Karpenter is disrupting",
                            m.node_pool
                        ),
                    ),
                    None => (
                        BlockReason::BudgetAllowsNone,
                        format!(
                            "nodepool/{}'s disruption budgets allow 0 nodes to be disrupted now{when}",
                            m.node_pool
                        ),
                    ),
                };
                n.blockers.push(node_blocker(
                    reason,
                    &n.name,
                    !opts.ignore_budgets,
                    Some("--ignore-budgets"),
                    message,
                ));
            }
        }
    }
    budgets
}

/// Batches of at most `size` nodes, none holding more nodes of a NodePool than its budget
/// allows now (a pool allowed 0 still gets one a batch: its blocker stops the run, or
/// `--ignore-budgets` said so).
fn batches_within(planned: Vec<PlannedNode>, size: usize, budgets: &[PoolBudget]) -> Vec<Batch> {
    let cap = |n: &PlannedNode| {
        budgets
            .iter()
            .find(|b| n.pool.kind == PoolKind::NodePool && b.node_pool == n.pool.name)
            .map(|b| b.allowed.max(1))
    };
    let mut batches: Vec<Batch> = Vec::new();
    let mut current: Vec<PlannedNode> = Vec::new();
    for n in planned {
        let same_pool = current.iter().filter(|c| c.pool == n.pool).count();
        let full = current.len() >= size || cap(&n).is_some_and(|c| same_pool >= c);
        if full && !current.is_empty() {
            batches.push(Batch {
                nodes: std::mem::take(&mut current),
            });
        }
        current.push(n);
    }
    if !current.is_empty() {
        batches.push(Batch { nodes: current });
    }
    batches
}

fn cmp_none_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

fn skip(node: &Node, reason: String) -> SkippedNode {
    SkippedNode {
        name: node.name.clone(),
        reason,
    }
}

fn raw_marker(node: &Node, m: &Result<Marker, super::marker::MarkerError>) -> String {
    match m {
        Ok(m) => format!("{ROTATION_ANNOTATION}={m}"),
        Err(_) => format!(
            "{ROTATION_ANNOTATION}={}",
            node.kup_annotations
                .get(ROTATION_ANNOTATION)
                .map(String::as_str)
                .unwrap_or_default()
        ),
    }
}

struct Chosen<'a> {
    node: &'a Node,
    resume: Option<Marker>,
    lagging: bool,
    kubelet: Option<Version>,
    notes: Vec<String>,
}

type Key<'a> = (&'a str, WorkloadKind, &'a str);

struct Context<'a> {
    snapshot: &'a Snapshot,
    target: &'a Version,
    workloads: HashMap<Key<'a>, &'a Workload>,
    pools: HashMap<&'a PoolRef, &'a Pool>,
    /// Nodes this plan takes away (cordoned, then drained or deleted).
    rotated: BTreeSet<&'a str>,
    /// Managed node groups EKS moves to the target (so they launch replacements).
    updating: BTreeMap<&'a str, &'a EksNodeGroup>,
}

/// The taint the node controller puts on a cordoned node.
fn unschedulable_taint() -> Taint {
    Taint {
        key: "node.kubernetes.io/unschedulable".to_string(),
        value: None,
        effect: "NoSchedule".to_string(),
    }
}

impl<'a> Context<'a> {
    fn new(
        snapshot: &'a Snapshot,
        target: &'a Version,
        chosen: &[Chosen<'a>],
        opts: &'a PlanOptions,
    ) -> Self {
        Self::rotating(
            snapshot,
            target,
            chosen.iter().map(|c| c.node.name.as_str()).collect(),
            opts,
        )
    }

    fn rotating(
        snapshot: &'a Snapshot,
        target: &'a Version,
        rotated: BTreeSet<&'a str>,
        opts: &'a PlanOptions,
    ) -> Self {
        // EKS moves a node group only to the cluster's own version, and only in replace mode.
        let at_control_plane = snapshot
            .control_plane
            .version()
            .is_some_and(|cp| cp.minor_str() == target.minor_str());
        let updating = if opts.mode == Mode::Replace && at_control_plane {
            opts.eks_node_groups
                .iter()
                .map(|g| (g.name.as_str(), g))
                .collect()
        } else {
            BTreeMap::new()
        };
        Context {
            updating,
            snapshot,
            target,
            workloads: snapshot
                .workloads
                .iter()
                .map(|w| ((w.namespace.as_str(), w.kind, w.name.as_str()), w))
                .collect(),
            pools: snapshot.pools.iter().map(|p| (&p.pool, p)).collect(),
            rotated,
        }
    }

    /// Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob; bounded against owner cycles.
    fn top(&self, pod: &'a Pod) -> Option<&'a Workload> {
        let owner = pod.owner.as_ref()?;
        let mut w = *self.workloads.get(&(
            pod.namespace.as_str(),
            WorkloadKind::from_kind(&owner.kind).filter(|k| *k != WorkloadKind::Pod)?,
            owner.name.as_str(),
        ))?;
        for _ in 0..8 {
            let Some(next) = w.owner.as_ref().and_then(|o| {
                self.workloads.get(&(
                    w.namespace.as_str(),
                    WorkloadKind::from_kind(&o.kind).filter(|k| *k != WorkloadKind::Pod)?,
                    o.name.as_str(),
                ))
            }) else {
                break;
            };
            w = next;
        }
        Some(w)
    }

    /// The PDBs selecting the pod, sorted by name so messages are stable.
    fn pdbs_of(&self, pod: &Pod) -> Vec<&'a Pdb> {
        let mut out: Vec<&Pdb> = self
            .snapshot
            .pdbs
            .iter()
            .filter(|p| pdb_selects(p, pod))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Somewhere its pods can run once every rotated node is gone: a Karpenter pool that fits
    /// (it launches nodes for pending pods), or a remaining schedulable, Ready node that fits.
    /// Managed node groups count as launching only when EKS moves them (UpdateNodegroupVersion
    /// starts new nodes first); otherwise kup leaves their nodes cordoned.
    fn has_home(&self, placement: &Placement) -> bool {
        let launches = self.snapshot.pools.iter().any(|pool| {
            let launching = match pool.pool.kind {
                PoolKind::NodePool | PoolKind::Provisioner => true,
                PoolKind::NodeGroup => self.updating.contains_key(pool.pool.name.as_str()),
                PoolKind::None => false,
            };
            launching && fits_pool(placement, pool)
        });
        launches
            || self.snapshot.nodes.iter().any(|n| {
                !self.rotated.contains(n.name.as_str())
                    && !n.unschedulable
                    && !n.deleting
                    && n.ready != Some(false)
                    && labels_fit(placement, &n.labels)
                    && untolerated(&placement.tolerations, self.steady_taints(n)).is_empty()
            })
    }

    fn steady_taints(&self, node: &'a Node) -> impl Iterator<Item = &'a Taint> + use<'a, '_> {
        steady_taints(node, self.pools.get(&node.pool).copied())
    }

    fn replacement(&self, node: &Node, mode: Mode) -> Replacement {
        let target = self.target.minor_str();
        match (mode, node.pool.kind) {
            (Mode::Karpenter, _) => Replacement {
                action: ReplaceAction::LeaveCordoned,
                message: "--mode karpenter: kup changes nothing; Karpenter replaces it".to_string(),
            },
            (Mode::Cordon, _) => Replacement {
                action: ReplaceAction::LeaveCordoned,
                message: "--mode cordon: left cordoned with its pods".to_string(),
            },
            (Mode::Drain, _) => Replacement {
                action: ReplaceAction::LeaveDrained,
                message: format!(
                    "--mode drain: left cordoned and drained; delete or replace it yourself \
                     (`kubectl delete node {}` for a Karpenter node)",
                    node.name
                ),
            },
            (Mode::Replace, PoolKind::NodePool | PoolKind::Provisioner) => Replacement {
                action: ReplaceAction::DeleteNode,
                message: format!(
                    "delete the node: Karpenter's finalizer terminates the instance and {} \
                     launches a replacement at {target} for the evicted pods",
                    node.pool
                ),
            },
            (Mode::Replace, PoolKind::NodeGroup)
                if self.updating.contains_key(node.pool.name.as_str()) =>
            {
                Replacement {
                    action: ReplaceAction::UpdateNodeGroup,
                    message: format!(
                        "managed node group {}: EKS replaces it (UpdateNodegroupVersion to \
                         {target}: new nodes first, then the old ones drained through the \
                         Eviction API, {} at a time)",
                        node.pool.name,
                        self.updating
                            .get(node.pool.name.as_str())
                            .map_or(1, |g| g.max_unavailable)
                    ),
                }
            }
            (Mode::Replace, PoolKind::NodeGroup) => Replacement {
                action: ReplaceAction::LeaveDrained,
                message: format!(
                    "managed node group {}: left cordoned and drained; update the node group \
                     (`aws eks update-nodegroup-version --cluster-name {} --nodegroup-name {} \
                     --kubernetes-version {target}`) to replace its nodes",
                    node.pool.name,
                    self.snapshot
                        .control_plane
                        .cluster_name
                        .as_deref()
                        .unwrap_or("CLUSTER"),
                    node.pool.name
                ),
            },
            (Mode::Replace, PoolKind::None) => Replacement {
                action: ReplaceAction::LeaveDrained,
                message: format!(
                    "no known pool launches it: left cordoned and drained; start a node at \
                     {target} for its pods, then `kubectl delete node {}` and terminate the \
                     instance",
                    node.name
                ),
            },
        }
    }

    /// Takes the nodes EKS replaces out of `planned`, one step per node group. A group that
    /// replaces more nodes at once than the batch allows gets a blocker on each node.
    fn node_group_steps(
        &self,
        planned: &mut Vec<PlannedNode>,
        effective_batch: usize,
    ) -> Vec<NodeGroupStep> {
        let mut steps: Vec<NodeGroupStep> = Vec::new();
        let (moved, kept): (Vec<PlannedNode>, Vec<PlannedNode>) = std::mem::take(planned)
            .into_iter()
            .partition(|n| n.replacement.action == ReplaceAction::UpdateNodeGroup);
        *planned = kept;
        for mut n in moved {
            let Some(g) = self.updating.get(n.pool.name.as_str()) else {
                continue;
            };
            if g.max_unavailable as usize > effective_batch {
                n.blockers.push(node_blocker(
                    BlockReason::NodeGroupMaxUnavailable,
                    &n.name,
                    true,
                    None,
                    format!(
                        "managed node group {} replaces {} nodes at once (its maxUnavailable), \
                         more than the {effective_batch} this run may disrupt: pass --batch {} \
                         or lower it (`aws eks update-nodegroup-config --cluster-name {} \
                         --nodegroup-name {} --update-config maxUnavailable={effective_batch}`)",
                        g.name,
                        g.max_unavailable,
                        g.max_unavailable,
                        self.snapshot
                            .control_plane
                            .cluster_name
                            .as_deref()
                            .unwrap_or("CLUSTER"),
                        g.name
                    ),
                ));
            }
            match steps.iter_mut().find(|s| s.name == g.name) {
                Some(s) => s.nodes.push(n),
                None => steps.push(NodeGroupStep {
                    name: g.name.clone(),
                    from: g.version.clone(),
                    to: self.target.minor_str(),
                    max_unavailable: g.max_unavailable,
                    in_progress: g.status == "UPDATING",
                    nodes: vec![n],
                }),
            }
        }
        steps
    }

    fn plan_node(&self, c: &Chosen<'a>, opts: &PlanOptions) -> PlannedNode {
        let node = c.node;
        let mut pods: Vec<&Pod> = if opts.mode == Mode::Cordon {
            Vec::new()
        } else {
            self.snapshot
                .pods
                .iter()
                .filter(|p| p.node_name.as_deref() == Some(node.name.as_str()) && evictable(p))
                .collect()
        };
        pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut blockers = Vec::new();
        // Per-workload blockers are reported once per node, naming all its pods there.
        let mut by_workload: BTreeMap<WorkloadRef, (&Workload, Vec<PodRef>)> = BTreeMap::new();
        let mut planned = Vec::new();
        for p in &pods {
            let top = self.top(p);
            let workload = top.map(workload_ref);
            let pod_ref = PodRef {
                namespace: p.namespace.to_string(),
                name: p.name.clone(),
            };
            let mut found = Vec::new();
            self.pod_blockers(node, p, &pod_ref, workload.as_ref(), opts, &mut found);
            for b in found {
                // One PDB blocker per node and budget, naming all the pods it holds there.
                let same = |x: &&mut Blocker| {
                    matches!(
                        b.reason,
                        BlockReason::PdbAllowsNone | BlockReason::MultiplePdbs
                    ) && x.reason == b.reason
                        && x.pdbs == b.pdbs
                };
                match blockers.iter_mut().find(same) {
                    Some(x) => x.pods.extend(b.pods),
                    None => blockers.push(b),
                }
            }
            if let (Some(w), Some(r)) = (top, &workload) {
                by_workload
                    .entry(r.clone())
                    .or_insert_with(|| (w, Vec::new()))
                    .1
                    .push(pod_ref);
            }
            planned.push(PlannedPod {
                namespace: p.namespace.to_string(),
                name: p.name.clone(),
                uid: p.uid.clone(),
                owner: p.owner.clone(),
                workload,
            });
        }
        self.workload_blockers(&node.name, by_workload, &mut blockers);
        let mut notes = c.notes.clone();
        if node.ready != Some(true) && !planned.is_empty() {
            notes.push(
                "not Ready: its kubelet may never confirm pod deletions, so evicted pods can \
                 stay Terminating until they are force-deleted"
                    .to_string(),
            );
        }
        if node.unschedulable && c.resume.is_none() {
            notes.push(
                "already cordoned, not by kup: it stays cordoned whatever happens".to_string(),
            );
        }
        PlannedNode {
            name: node.name.clone(),
            pool: node.pool.clone(),
            kubelet: node.kubelet_version.clone(),
            lagging: c.lagging,
            resume: c.resume.clone(),
            replacement: self.replacement(node, opts.mode),
            pods: planned,
            blockers,
            notes,
        }
    }

    /// Per-workload blockers, once per node naming all its pods there: a toleration that brings
    /// evicted pods straight back, or no place left for them.
    fn workload_blockers(
        &self,
        node: &str,
        by_workload: BTreeMap<WorkloadRef, (&Workload, Vec<PodRef>)>,
        blockers: &mut Vec<Blocker>,
    ) {
        let cordon = unschedulable_taint();
        for (r, (w, pod_refs)) in by_workload {
            // A cordoned node still takes pods that tolerate its unschedulable taint (the
            // scheduler's NodeUnschedulable rule): they come straight back.
            if let Some(tol) = w
                .placement
                .tolerations
                .iter()
                .find(|t| tolerates(t, &cordon))
            {
                let (reason, what) = if is_wildcard(tol) {
                    let effect = crate::checks::placement::rules::wildcard_scope(tol);
                    (
                        BlockReason::WildcardToleration,
                        format!(
                            "tolerates {effect} (`operator: Exists` without a key), including \
                             node.kubernetes.io/unschedulable"
                        ),
                    )
                } else {
                    (
                        BlockReason::ToleratesCordon,
                        "tolerates node.kubernetes.io/unschedulable".to_string(),
                    )
                };
                blockers.push(Blocker {
                    reason,
                    node: node.to_string(),
                    pods: pod_refs.clone(),
                    pdbs: Vec::new(),
                    workload: Some(r.clone()),
                    blocking: true,
                    override_flag: None,
                    message: format!(
                        "{} {what}: the scheduler puts its evicted pods straight back on this \
                         cordoned node, so the drain never finishes; give it only the \
                         tolerations it needs",
                        workload_label(&r)
                    ),
                });
            }
            if !self.has_home(&w.placement) {
                blockers.push(Blocker {
                    reason: BlockReason::Stranded,
                    node: node.to_string(),
                    pods: pod_refs,
                    pdbs: Vec::new(),
                    workload: Some(r.clone()),
                    blocking: true,
                    override_flag: None,
                    message: format!(
                        "{}: once the selected nodes are rotated no remaining node and no \
                         Karpenter pool fits its nodeSelector, affinity and tolerations, so its \
                         evicted pods would stay Pending; `kup workloads` shows how to fix it",
                        workload_label(&r)
                    ),
                });
            }
        }
    }

    fn pod_blockers(
        &self,
        node: &Node,
        p: &Pod,
        pod_ref: &PodRef,
        workload: Option<&WorkloadRef>,
        opts: &PlanOptions,
        out: &mut Vec<Blocker>,
    ) {
        // An owner of a kind kup lists that is not in the snapshot has been deleted.
        let missing_owner = p.owner.as_ref().filter(|o| {
            WorkloadKind::from_kind(&o.kind).is_some_and(|k| {
                k != WorkloadKind::Pod
                    && !self
                        .workloads
                        .contains_key(&(p.namespace.as_str(), k, o.name.as_str()))
            })
        });
        local_blockers(&node.name, p, missing_owner, pod_ref, workload, opts, out);
        self.pdb_blockers(&node.name, p, pod_ref, workload, out);
    }

    /// Several PDBs selecting the pod (500 on every eviction), or one allowing no disruption now.
    fn pdb_blockers(
        &self,
        node: &str,
        p: &Pod,
        pod_ref: &PodRef,
        workload: Option<&WorkloadRef>,
        out: &mut Vec<Blocker>,
    ) {
        let blocker = pod_blocker(node, pod_ref, workload);
        let pdbs = self.pdbs_of(p);
        let names: Vec<String> = pdbs
            .iter()
            .map(|b| format!("{}/{}", b.namespace, b.name))
            .collect();
        if pdbs.len() > 1 {
            out.push(blocker(
                BlockReason::MultiplePdbs,
                true,
                None,
                names.clone(),
                format!(
                    "selected by {} PodDisruptionBudgets ({}): the API answers every eviction of \
                     these pods with 500 until only one selects them",
                    pdbs.len(),
                    names.join(", ")
                ),
            ));
        } else if let [pdb] = pdbs.as_slice()
            && pdb.disruptions_allowed <= 0
            // The API evicts a pod that is not Running without asking its PDB.
            && p.phase == "Running"
        {
            out.push(blocker(
                BlockReason::PdbAllowsNone,
                true,
                None,
                names,
                format!(
                    "PodDisruptionBudget {}/{} allows 0 disruptions now ({} healthy, {} \
                     required): evicting its pods here gets 429, retried until \
                     --drain-timeout; relax the PDB or make more of its pods Ready",
                    pdb.namespace, pdb.name, pdb.current_healthy, pdb.desired_healthy
                ),
            ));
        }
    }
}

/// A blocker about the node itself (no pod): its replacement, its budget, its node group.
fn node_blocker(
    reason: BlockReason,
    node: &str,
    blocking: bool,
    override_flag: Option<&'static str>,
    message: String,
) -> Blocker {
    Blocker {
        reason,
        node: node.to_string(),
        pods: Vec::new(),
        pdbs: Vec::new(),
        workload: None,
        blocking,
        override_flag,
        message,
    }
}

/// Builds the blockers of one pod on `node`: (reason, blocking, override flag, PDBs, message).
fn pod_blocker<'b>(
    node: &'b str,
    pod_ref: &'b PodRef,
    workload: Option<&'b WorkloadRef>,
) -> impl Fn(BlockReason, bool, Option<&'static str>, Vec<String>, String) -> Blocker + 'b {
    move |reason, blocking, flag, pdbs, message| Blocker {
        reason,
        node: node.to_string(),
        pods: vec![pod_ref.clone()],
        pdbs,
        workload: workload.cloned(),
        blocking: blocking && reason.stops_run(),
        override_flag: flag,
        message,
    }
}

/// The blockers a pod raises by itself (no controller, emptyDir, do-not-disrupt), with no need
/// for the rest of the snapshot: the executor re-applies them to pods that reached a node after
/// the plan was made.
fn local_blockers(
    node: &str,
    p: &Pod,
    missing_owner: Option<&OwnerRef>,
    pod_ref: &PodRef,
    workload: Option<&WorkloadRef>,
    opts: &PlanOptions,
    out: &mut Vec<Blocker>,
) {
    let blocker = pod_blocker(node, pod_ref, workload);
    // A controller that no longer exists (its ReplicaSet deleted) recreates nothing either.
    let gone = missing_owner.map(|o| format!(" ({} {} no longer exists)", o.kind, o.name));
    if p.owner.is_none() || gone.is_some() {
        let (verb, what) = match &gone {
            Some(g) => ("has lost", format!("its controller{g}")),
            None => ("has", "no controller".to_string()),
        };
        out.push(blocker(
            BlockReason::NoController,
            !opts.force,
            Some("--force"),
            Vec::new(),
            if opts.force {
                format!("pod {pod_ref} {verb} {what}: evicted for good, nothing recreates it")
            } else {
                format!(
                    "pod {pod_ref} {verb} {what}: nothing would recreate it, so it is \
                     refused; recreate it under a Deployment, or pass --force to evict it \
                     for good"
                )
            },
        ));
    }
    if p.uses_empty_dir {
        out.push(blocker(
            BlockReason::EmptyDir,
            !opts.delete_emptydir_data,
            Some("--delete-emptydir-data"),
            Vec::new(),
            if opts.delete_emptydir_data {
                format!("pod {pod_ref} uses emptyDir: its data is deleted with it")
            } else {
                format!(
                    "pod {pod_ref} uses emptyDir, whose data is lost on eviction, so it is \
                         refused; pass --delete-emptydir-data to accept that"
                )
            },
        ));
    }
    if p.do_not_disrupt {
        out.push(blocker(
            BlockReason::DoNotDisrupt,
            !opts.force,
            Some("--force"),
            Vec::new(),
            if opts.force {
                format!(
                    "pod {pod_ref} is marked karpenter.sh/do-not-disrupt: evicted anyway (--force)"
                )
            } else {
                format!(
                    "pod {pod_ref} is marked karpenter.sh/do-not-disrupt, so it is refused; \
                         wait until it may be disrupted (remove the annotation) or pass --force"
                )
            },
        ));
    }
}

/// What the executor does with the pods it finds on a cordoned node just before it would call
/// the node drained: the evictable ones to evict (planned or not), and the blockers of those the
/// plan did not know about, judged by the same rules as the plan.
pub fn late_pods(
    node: &str,
    pods: &[Pod],
    opts: &PlanOptions,
) -> (Vec<(PodRef, String)>, Vec<Blocker>) {
    let mut evict = Vec::new();
    let mut blockers = Vec::new();
    let mut pods: Vec<&Pod> = pods.iter().filter(|p| evictable(p)).collect();
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    for p in pods {
        let pod_ref = PodRef {
            namespace: p.namespace.to_string(),
            name: p.name.clone(),
        };
        local_blockers(node, p, None, &pod_ref, None, opts, &mut blockers);
        evict.push((pod_ref, p.uid.clone()));
    }
    (evict, blockers)
}

/// The plan's other predictions for pods that reached `node` after the plan was made, judged
/// on the snapshot the plan was made from: several PDBs or one allowing no disruption (its
/// status then), and per workload a toleration that brings them straight back or no place left
/// for them. Pods of workloads the snapshot does not know get only `late_pods`' own checks.
pub fn late_blockers(
    snapshot: &Snapshot,
    plan: &RotatePlan,
    node: &str,
    pods: &[Pod],
) -> Vec<Blocker> {
    let ctx = Context::rotating(
        snapshot,
        &plan.target,
        plan.nodes().map(|n| n.name.as_str()).collect(),
        &plan.options,
    );
    let mut blockers = Vec::new();
    let mut by_workload: BTreeMap<WorkloadRef, (&Workload, Vec<PodRef>)> = BTreeMap::new();
    let mut pods: Vec<&Pod> = pods.iter().filter(|p| evictable(p)).collect();
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    for p in pods {
        let pod_ref = PodRef {
            namespace: p.namespace.to_string(),
            name: p.name.clone(),
        };
        let top = ctx.top(p);
        let workload = top.map(workload_ref);
        ctx.pdb_blockers(node, p, &pod_ref, workload.as_ref(), &mut blockers);
        if let (Some(w), Some(r)) = (top, workload) {
            by_workload
                .entry(r)
                .or_insert_with(|| (w, Vec::new()))
                .1
                .push(pod_ref);
        }
    }
    ctx.workload_blockers(node, by_workload, &mut blockers);
    blockers
}

/// A pod being deleted that a drain must still see gone, whatever its phase: Terminating pods
/// stay on the node until the kubelet confirms and every finalizer is removed, and a kubelet
/// reports a finalizer-held pod `Succeeded` once its containers stopped.
pub fn leaving(p: &Pod) -> bool {
    p.deleting && !p.mirror && !daemon_pod(p)
}

/// kubectl drain's filter: not mirror pods, not DaemonSet pods, not already terminating, not
/// finished.
fn evictable(p: &Pod) -> bool {
    !p.deleting && !p.mirror && p.phase != "Succeeded" && p.phase != "Failed" && !daemon_pod(p)
}

fn daemon_pod(p: &Pod) -> bool {
    p.owner.as_ref().is_some_and(|o| o.kind == "DaemonSet")
}

fn workload_ref(w: &Workload) -> WorkloadRef {
    WorkloadRef {
        kind: w.kind,
        namespace: w.namespace.clone(),
        name: w.name.clone(),
    }
}

/// `deployment/default/nginx`, the subject form findings use.
pub fn workload_label(w: &WorkloadRef) -> String {
    format!(
        "{}/{}/{}",
        format!("{:?}", w.kind).to_ascii_lowercase(),
        w.namespace,
        w.name
    )
}

/// What `kup rotate --abort` does: uncordon the nodes kup cordoned and drop their markers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortPlan {
    pub nodes: Vec<AbortNode>,
    /// Marked nodes left alone (being deleted: Karpenter is terminating them).
    pub skipped: Vec<SkippedNode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortNode {
    pub name: String,
    /// The raw marker value, as found (even when unreadable).
    pub marker: String,
    /// Cordoned now, by kup: uncordon it. Either way, remove the marker.
    pub uncordon: bool,
    /// Why a cordoned node stays cordoned (someone else cordoned it, or the marker is
    /// unreadable so kup cannot tell).
    pub keep_cordon: Option<String>,
}

/// Nodes carrying a rotation marker, sorted by name. Needs only the nodes (`--abort` reads
/// nothing else).
pub fn abort_plan(nodes: &[Node]) -> AbortPlan {
    let mut out = AbortPlan::default();
    for node in nodes {
        let Some(raw) = node.kup_annotations.get(ROTATION_ANNOTATION) else {
            continue;
        };
        // Only a node actually being deleted is left alone: a run can stop between recording
        // `deleted` and the delete call, leaving a cordoned node nobody is terminating.
        if node.deleting {
            out.skipped.push(skip(
                node,
                format!(
                    "deleted by kup ({ROTATION_ANNOTATION}={raw}): it is being terminated, \
                     nothing to undo"
                ),
            ));
            continue;
        }
        let keep_cordon = match Marker::parse(raw) {
            _ if !node.unschedulable => None,
            Ok(m) if m.already_cordoned => {
                Some("it was already cordoned when kup marked it".to_string())
            }
            Ok(_) => None,
            Err(_) => Some(
                "its marker is unreadable, so kup cannot tell who cordoned it (`kubectl \
                 uncordon` it if that was kup)"
                    .to_string(),
            ),
        };
        out.nodes.push(AbortNode {
            name: node.name.clone(),
            marker: raw.clone(),
            uncordon: node.unschedulable && keep_cordon.is_none(),
            keep_cordon,
        });
    }
    out.nodes.sort_by(|a, b| a.name.cmp(&b.name));
    out.skipped.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
#[path = "plan_tests.rs"]
pub(crate) mod tests;
