//! Karpenter on upgrade day (pure): for each NodePool, how its lagging nodes will move to the
//! target (Karpenter's drift, or not at all), what the disruption budgets allow now, what holds
//! drifted nodes; and the `KUP-KARP-…` findings about it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use super::finding::{Code, Finding, Severity};
use super::placement::pdb_selects;
use crate::karpenter::alias::AliasOutcome;
use crate::karpenter::{
    Allowance, AmiPolicy, Compat, DRIFTED, KarpenterInfo, NodeClass, NodePoolSpec, allowance,
    compat, minimum_for,
};
use crate::model::{Node, PoolKind, Snapshot, WorkloadKind};
use crate::version::{NodeVerdict, Version, node_verdict};

const INITIALIZED: &str = "karpenter.sh/initialized";
const DO_NOT_DISRUPT: &str = "karpenter.sh/do-not-disrupt";

/// Minutes kup assumes one wave of replacements takes (launch, register, drain): only for the
/// estimate, which the reports label as one.
pub const WAVE_MINUTES: i64 = 5;

/// How a NodePool's nodes reach the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Moves {
    /// Karpenter drifts them once the control plane is at the target.
    KarpenterDrifts,
    /// Only if the pinned release exists for the target minor.
    IfReleaseExists,
    /// Never by Karpenter; a replacement launches the same AMI.
    Pinned,
    /// Karpenter cannot launch replacements at the target (AL2 at 1.33+, a bad NodeClass).
    Blocked,
    /// kup could not read the NodeClass.
    Unknown,
}

/// Something holding one node Karpenter must replace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub node: String,
    /// `pod/NS/NAME (karpenter.sh/do-not-disrupt)` or `pod/NS/NAME (pdb/NS/NAME allows 0)`.
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolMovement {
    pub node_pool: String,
    pub node_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ami: Option<AmiPolicy>,
    pub moves: Moves,
    /// The sentence the tables show.
    pub summary: String,
    pub nodes: usize,
    /// Nodes whose kubelet is behind the target.
    pub behind: usize,
    /// NodeClaims Karpenter marks `Drifted`.
    pub drifted: usize,
    /// NodeClaims being deleted (replaced).
    pub being_replaced: usize,
    /// What the budgets allow for `Drifted` at the snapshot's time.
    pub budget: Allowance,
    pub termination_grace_period: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<Hold>,
    /// An estimate: waves of `budget` nodes at `WAVE_MINUTES` each (plus the wait for a
    /// budget window); None when the nodes will not move on their own.
    pub eta_minutes: Option<i64>,
}

/// The node pools Karpenter manages, with how their nodes move; empty when the NodePools were
/// not read.
pub fn pool_movements(snapshot: &Snapshot, target: &Version) -> Vec<PoolMovement> {
    let Some(k) = &snapshot.karpenter else {
        return Vec::new();
    };
    let now = snapshot.taken_at.unwrap_or_else(Timestamp::now);
    k.node_pools
        .iter()
        .flatten()
        .map(|p| movement(snapshot, k, p, target, now))
        .collect()
}

fn movement(
    snapshot: &Snapshot,
    k: &KarpenterInfo,
    pool: &NodePoolSpec,
    target: &Version,
    now: Timestamp,
) -> PoolMovement {
    let nodes: Vec<&Node> = snapshot
        .nodes
        .iter()
        .filter(|n| n.pool.kind == PoolKind::NodePool && n.pool.name == pool.name)
        .collect();
    let behind: Vec<&Node> = nodes
        .iter()
        .copied()
        .filter(|n| {
            Version::parse(&n.kubelet_version)
                .is_ok_and(|v| (v.major, v.minor) < (target.major, target.minor))
        })
        .collect();
    let claims: Vec<_> = k
        .node_claims
        .iter()
        .flatten()
        .filter(|c| c.node_pool.as_deref() == Some(pool.name.as_str()))
        .collect();
    let drifted_nodes: BTreeSet<&str> = claims
        .iter()
        .filter(|c| c.drifted.is_some())
        .filter_map(|c| c.node_name.as_deref())
        .collect();
    let drifted = claims.iter().filter(|c| c.drifted.is_some()).count();
    let being_replaced = claims.iter().filter(|c| c.deleting).count();
    // Karpenter's budget counts initialized nodes only (label karpenter.sh/initialized=true,
    // BuildDisruptionBudgetMapping); NotReady or deleting ones already use it up.
    let initialized: Vec<&Node> = nodes
        .iter()
        .copied()
        .filter(|n| n.labels.get(INITIALIZED).is_some_and(|v| v == "true"))
        .collect();
    let disrupting = initialized
        .iter()
        .filter(|n| n.deleting || n.ready != Some(true))
        .count();
    let budget = allowance(&pool.budgets, DRIFTED, initialized.len(), disrupting, now);
    let class = class_of(k, pool);
    let (ami, mut moves, mut summary) =
        describe(pool, class, k, snapshot.control_plane.version(), target);
    if let (Some(AmiPolicy::PinnedAmi { amis, .. }), Some(class), Moves::Pinned) =
        (&ami, class, moves)
        && let Some((m, s)) = pinned::replacement(snapshot, k, class, amis, &behind, target)
    {
        (moves, summary) = (m, s);
    }
    // SSM's answer at the target, where it was asked, settles an alias.
    let asked = pool
        .node_class
        .as_deref()
        .and_then(|c| k.aliases_at(target).find(|a| a.node_class == c));
    if let Some(a) =
        asked.filter(|_| matches!(moves, Moves::KarpenterDrifts | Moves::IfReleaseExists))
    {
        match &a.outcome {
            AliasOutcome::Missing => {
                moves = Moves::Blocked;
                summary = format!(
                    "alias {} finds no AMI for {} (SSM): Karpenter cannot launch nodes after the upgrade",
                    a.alias, a.kubernetes
                );
            }
            AliasOutcome::Found { .. } if moves == Moves::IfReleaseExists => {
                moves = Moves::KarpenterDrifts;
                summary = format!(
                    "Karpenter drifts them (alias {}; SSM confirms it for {})",
                    a.alias, a.kubernetes
                );
            }
            _ => {}
        }
    }
    // The nodes Karpenter must replace: drifted now, or behind and following the control plane.
    let to_move: BTreeSet<&str> = drifted_nodes
        .iter()
        .copied()
        .chain(
            behind
                .iter()
                .filter(|_| matches!(moves, Moves::KarpenterDrifts | Moves::IfReleaseExists))
                .map(|n| n.name.as_str()),
        )
        .collect();
    let held = holds(snapshot, k, &to_move);
    let remaining = behind.len().max(drifted);
    let eta_minutes = match moves {
        Moves::KarpenterDrifts if remaining == 0 => Some(0),
        Moves::KarpenterDrifts | Moves::IfReleaseExists if !budget.never => {
            eta(remaining, &budget, now)
        }
        _ => None,
    };
    PoolMovement {
        node_pool: pool.name.clone(),
        node_class: pool.node_class.clone(),
        ami,
        moves,
        summary,
        nodes: nodes.len(),
        behind: behind.len(),
        drifted,
        being_replaced,
        budget,
        termination_grace_period: pool.termination_grace_period.clone(),
        held,
        eta_minutes,
    }
}

fn class_of<'a>(k: &'a KarpenterInfo, pool: &NodePoolSpec) -> Option<&'a NodeClass> {
    let name = pool.node_class.as_deref()?;
    k.node_classes.iter().flatten().find(|c| c.name == name)
}

fn describe(
    pool: &NodePoolSpec,
    class: Option<&NodeClass>,
    k: &KarpenterInfo,
    cp: Option<&Version>,
    target: &Version,
) -> (Option<AmiPolicy>, Moves, String) {
    let Some(class) = class else {
        // No EC2NodeClass at all: another provider's node classes, or none kup can read.
        let classes = k.node_classes.as_ref().filter(|c| !c.is_empty());
        return match (&pool.node_class, classes) {
            (None, _) => (
                None,
                Moves::Unknown,
                "the NodePool names no EC2NodeClass".into(),
            ),
            (Some(_), None) => (None, Moves::Unknown, "no EC2NodeClass read".into()),
            (Some(n), Some(_)) => (
                None,
                Moves::Blocked,
                format!("EC2NodeClass {n} does not exist"),
            ),
        };
    };
    let policy = class.ami_policy();
    let (moves, summary) = match &policy {
        _ if class.al2_blocks(target) => (
            Moves::Blocked,
            format!(
                "AL2 NodeClass: no AL2 AMIs for {}; Karpenter cannot launch replacements",
                target.minor_str()
            ),
        ),
        _ if class.windows2025_blocks(target) => (
            Moves::Blocked,
            format!(
                "windows2025 alias: Windows Server 2025 AMIs need Kubernetes 1.35 or later, not {}",
                target.minor_str()
            ),
        ),
        AmiPolicy::FollowsControlPlane { by, .. } => {
            let when = match cp {
                Some(cp) if (cp.major, cp.minor) < (target.major, target.minor) => {
                    format!(" once the control plane is at {}", target.minor_str())
                }
                _ => String::new(),
            };
            (
                Moves::KarpenterDrifts,
                format!("Karpenter drifts them{when} ({by})"),
            )
        }
        AmiPolicy::PinnedRelease { release, by, .. } => (
            Moves::IfReleaseExists,
            format!(
                "Karpenter drifts them only if release {release} exists for {} ({by})",
                target.minor_str()
            ),
        ),
        AmiPolicy::PinnedAmi { by, amis } => {
            let what = if amis.is_empty() {
                by.clone()
            } else {
                amis.join(", ")
            };
            (
                Moves::Pinned,
                format!(
                    "pinned AMI {what}: Karpenter will not drift them, and a replacement would launch the same AMI"
                ),
            )
        }
        AmiPolicy::Invalid { reason } => (
            Moves::Blocked,
            format!("EC2NodeClass {}: {reason}", class.name),
        ),
    };
    (Some(policy), moves, summary)
}

/// What keeps Karpenter from disrupting the given nodes: the node's (or its NodeClaim's) own
/// `karpenter.sh/do-not-disrupt`, pods so annotated, pods whose PDB allows 0.
fn holds(snapshot: &Snapshot, k: &KarpenterInfo, nodes: &BTreeSet<&str>) -> Vec<Hold> {
    let mut out = Vec::new();
    for node in &snapshot.nodes {
        if !nodes.contains(node.name.as_str()) {
            continue;
        }
        let on_node = node
            .kup_annotations
            .get(DO_NOT_DISRUPT)
            .is_some_and(|v| v == "true");
        let on_claim = k
            .node_claims
            .iter()
            .flatten()
            .any(|c| c.node_name.as_deref() == Some(node.name.as_str()) && c.do_not_disrupt);
        if on_node || on_claim {
            let what = if on_node { "node" } else { "nodeclaim of" };
            out.push(Hold {
                node: node.name.clone(),
                by: format!("{what} {} ({DO_NOT_DISRUPT})", node.name),
            });
        }
    }
    for pod in &snapshot.pods {
        let Some(node) = pod.node_name.as_deref().filter(|n| nodes.contains(n)) else {
            continue;
        };
        if matches!(pod.phase.as_str(), "Succeeded" | "Failed") || pod.mirror {
            continue;
        }
        let subject = format!("pod/{}/{}", pod.namespace, pod.name);
        if pod.do_not_disrupt {
            out.push(Hold {
                node: node.to_string(),
                by: format!("{subject} (karpenter.sh/do-not-disrupt)"),
            });
        }
        if let Some(pdb) = snapshot
            .pdbs
            .iter()
            .find(|p| p.disruptions_allowed <= 0 && pdb_selects(p, pod))
        {
            out.push(Hold {
                node: node.to_string(),
                by: format!("{subject} (pdb/{}/{} allows 0)", pdb.namespace, pdb.name),
            });
        }
    }
    out.sort_by(|a, b| (&a.node, &a.by).cmp(&(&b.node, &b.by)));
    out
}

/// Waves of the allowed size, each `WAVE_MINUTES`, after waiting for a window if none is open.
fn eta(remaining: usize, budget: &Allowance, now: Timestamp) -> Option<i64> {
    if remaining == 0 {
        return Some(0);
    }
    let (wait, per_wave) = match (budget.allowed, budget.cap) {
        (None, _) => (0, remaining),
        // Used up by nodes already being replaced: the next wave follows them.
        (Some(0), Some(c)) if c > 0 => (WAVE_MINUTES, c),
        // Closed until a window opens; after it, assume one node at a time.
        (Some(0), _) => (budget.next_change?.duration_since(now).as_mins().max(0), 1),
        (Some(a), _) => (0, a),
    };
    Some(wait + remaining.div_ceil(per_wave) as i64 * WAVE_MINUTES)
}

/// Where Karpenter's own drift of some NodePools stands (`kup rotate --mode karpenter`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowStatus {
    pub pools: Vec<PoolMovement>,
    /// Nodes of those pools still behind the target.
    pub behind: Vec<String>,
    /// What keeps the remaining nodes where they are, one line per cause.
    pub blocked_by: Vec<String>,
    /// Workloads not yet back to their desired Ready replicas (`Kind/NS/NAME ready/desired`).
    pub unready: Vec<String>,
}

impl FollowStatus {
    /// Every selected node at the target, nothing being replaced, every workload Ready again.
    pub fn done(&self) -> bool {
        self.behind.is_empty()
            && self.pools.iter().all(|p| p.being_replaced == 0)
            && self.unready.is_empty()
    }

    /// Nodes are behind, none is being replaced, and no pool that has them can ever move them
    /// on its own (pinned or blocked class, budgets that never or no longer allow Drifted, a
    /// budget Karpenter cannot read): waiting longer changes nothing.
    pub fn cannot_move(&self) -> bool {
        !self.behind.is_empty()
            && self.pools.iter().all(|p| p.being_replaced == 0)
            && self.pools.iter().filter(|p| p.behind > 0).all(|p| {
                matches!(p.moves, Moves::Pinned | Moves::Blocked | Moves::Unknown)
                    || p.budget.never
                    || !p.budget.errors.is_empty()
                    // Capped at 0 with no window ahead (not merely used up for now).
                    || (p.budget.cap == Some(0) && p.budget.next_change.is_none())
            })
    }
}

/// A Deployment or StatefulSet: (namespace, kind, name).
pub type WatchedWorkload = (String, WorkloadKind, String);

/// The Deployments and StatefulSets with pods on the nodes of the given NodePools (a pod's
/// ReplicaSet traced to its Deployment).
pub fn workloads_on_pools(snapshot: &Snapshot, pools: &[String]) -> BTreeSet<WatchedWorkload> {
    let nodes: BTreeSet<&str> = snapshot
        .nodes
        .iter()
        .filter(|n| n.pool.kind == PoolKind::NodePool && pools.contains(&n.pool.name))
        .map(|n| n.name.as_str())
        .collect();
    let find = |ns: &str, kind: &str, name: &str| {
        let kind = WorkloadKind::from_kind(kind)?;
        snapshot
            .workloads
            .iter()
            .find(|w| w.namespace == ns && w.kind == kind && w.name == name)
    };
    let mut out = BTreeSet::new();
    for pod in &snapshot.pods {
        if !pod.node_name.as_deref().is_some_and(|n| nodes.contains(n)) {
            continue;
        }
        let Some(owner) = &pod.owner else { continue };
        let mut w = find(&pod.namespace, &owner.kind, &owner.name);
        if let Some(rs) = w.filter(|w| w.kind == WorkloadKind::ReplicaSet)
            && let Some(o) = &rs.owner
        {
            w = find(&rs.namespace, &o.kind, &o.name).or(w);
        }
        if let Some(w) =
            w.filter(|w| matches!(w.kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet))
        {
            out.insert((w.namespace.clone(), w.kind, w.name.clone()));
        }
    }
    out
}

/// The NodePools `only` names (all when None), their nodes behind the target, and what holds
/// them: a pinned or blocked NodeClass, a budget that allows nothing now, pods that refuse to
/// leave.
/// `watched`: the Deployments and StatefulSets whose readiness the run waits for (those with
/// pods on the selected pools' nodes, collected by the caller as the run goes).
pub fn follow_status(
    snapshot: &Snapshot,
    target: &Version,
    only: Option<&str>,
    watched: &BTreeSet<WatchedWorkload>,
) -> FollowStatus {
    let pools: Vec<PoolMovement> = pool_movements(snapshot, target)
        .into_iter()
        .filter(|m| only.is_none_or(|o| o == m.node_pool))
        .collect();
    let mut behind: Vec<String> = snapshot
        .nodes
        .iter()
        .filter(|n| n.pool.kind == PoolKind::NodePool && !n.deleting)
        .filter(|n| pools.iter().any(|p| p.node_pool == n.pool.name))
        .filter(|n| {
            Version::parse(&n.kubelet_version)
                .is_ok_and(|v| (v.major, v.minor) < (target.major, target.minor))
        })
        .map(|n| n.name.clone())
        .collect();
    behind.sort();
    let mut blocked_by = Vec::new();
    for m in pools.iter().filter(|m| m.behind > 0) {
        let p = format!("nodepool/{}", m.node_pool);
        match m.moves {
            Moves::Pinned | Moves::Blocked | Moves::Unknown => {
                blocked_by.push(format!("{p}: {}", m.summary));
            }
            _ => {}
        }
        if !m.budget.errors.is_empty() {
            blocked_by.push(format!("{p}: {}", m.budget.errors.join("; ")));
        } else if m.budget.never {
            blocked_by.push(format!("{p}: its budgets never allow Drifted disruptions"));
        } else if m.budget.allowed == Some(0) {
            let when = m
                .budget
                .next_change
                .map(|t| format!(" until {}", t.strftime("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default();
            blocked_by.push(format!("{p}: its budgets allow 0 disruptions now{when}"));
        }
        for h in &m.held {
            blocked_by.push(format!("{p}: {} holds {}", h.by, h.node));
        }
    }
    let unready = snapshot
        .workloads
        .iter()
        .filter(|w| watched.contains(&(w.namespace.clone(), w.kind, w.name.clone())))
        .filter_map(|w| {
            let want = w.replicas.unwrap_or(1);
            let ready = w.ready_replicas.unwrap_or(0);
            (ready < want).then(|| {
                format!(
                    "{}/{}/{} {ready}/{want}",
                    w.kind.as_str(),
                    w.namespace,
                    w.name
                )
            })
        })
        .collect();
    FollowStatus {
        pools,
        behind,
        blocked_by,
        unready,
    }
}

/// The `KUP-KARP-…` findings.
pub fn findings(snapshot: &Snapshot, target: &Version) -> Vec<Finding> {
    let Some(k) = &snapshot.karpenter else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let uses_karpenter = k.node_pools.as_ref().is_some_and(|p| !p.is_empty())
        || snapshot
            .nodes
            .iter()
            .any(|n| n.pool.kind == PoolKind::NodePool);
    controller_findings(k, target, uses_karpenter, &mut out);
    let cp = snapshot.control_plane.version().cloned();
    for class in k.node_classes.iter().flatten() {
        if class.al2_blocks(target) {
            out.push(Finding::new(
                Code::KarpAl2Target,
                class.subject(),
                format!(
                    "EC2NodeClass {} uses the AL2 family; EKS publishes no AL2 AMIs for {} (1.32 was the last)",
                    class.name,
                    target.minor_str()
                ),
                "switch the EC2NodeClass to al2023 or bottlerocket (e.g. alias al2023@latest) and let Karpenter replace the nodes before moving the control plane past 1.32",
            ));
        }
        if class.windows2025_blocks(target) {
            out.push(Finding::new(
                Code::KarpAliasNoAmi,
                class.subject(),
                format!(
                    "EC2NodeClass {}: Karpenter resolves no windows2025 AMI below Kubernetes 1.35 (target {}): it cannot launch these nodes",
                    class.name,
                    target.minor_str()
                ),
                "use windows2022 for targets below 1.35",
            ));
        }
        if let AmiPolicy::Invalid { reason } = class.ami_policy() {
            out.push(Finding::new(
                Code::KarpBadNodeClass,
                class.subject(),
                format!("EC2NodeClass {}: {reason}", class.name),
                "fix spec.amiSelectorTerms (an alias such as al2023@latest, or id/name/tags terms with spec.amiFamily)",
            ));
        }
    }
    let refused = |name: &str| {
        k.node_classes
            .iter()
            .flatten()
            .any(|c| c.name == name && (c.windows2025_blocks(target) || c.al2_blocks(target)))
    };
    for a in k.aliases_at(target) {
        // Refused by Karpenter's own rule: said once, above.
        if a.outcome == AliasOutcome::Missing && !refused(&a.node_class) {
            out.push(Finding::new(
                Code::KarpAliasNoAmi,
                format!("ec2nodeclass/{}", a.node_class),
                format!(
                    "EC2NodeClass {}: alias {} finds no AMI for {} (SSM has none of {}): Karpenter cannot launch nodes after the upgrade",
                    a.node_class,
                    a.alias,
                    a.kubernetes,
                    a.parameters.join(", ")
                ),
                "point the alias at a release published for the target (or @latest) before moving the control plane",
            ));
        }
    }
    for m in pool_movements(snapshot, target) {
        pool_findings(snapshot, k, &m, target, cp.as_ref(), &mut out);
    }
    out
}

fn controller_findings(
    k: &KarpenterInfo,
    target: &Version,
    uses_karpenter: bool,
    out: &mut Vec<Finding>,
) {
    let Some(c) = &k.controller else {
        if uses_karpenter {
            out.push(Finding::new(
                Code::KarpVersionUnknown,
                "deployment/karpenter",
                "NodePools exist but no Deployment labelled app.kubernetes.io/name=karpenter was found, so kup cannot tell whether Karpenter supports the target",
                "check Karpenter's version by hand (`kubectl get deploy -A -l app.kubernetes.io/name=karpenter -o wide`) against its compatibility matrix, or give kup RBAC to list deployments",
            ));
        }
        return;
    };
    let Some(v) = c.parsed() else {
        out.push(Finding::new(
            Code::KarpVersionUnknown,
            c.subject(),
            format!(
                "the Karpenter Deployment carries no readable version (image {}, no app.kubernetes.io/version label)",
                c.image.as_deref().unwrap_or("unknown")
            ),
            "check Karpenter's version by hand against its compatibility matrix",
        ));
        return;
    };
    let version = c.version.as_deref().unwrap_or_default();
    match compat(&v, target) {
        Compat::Supported => {}
        Compat::TooOld { max } => {
            let need = minimum_for(target.minor)
                .map(|m| format!("{m} or later"))
                .unwrap_or_else(|| "a release that supports it".into());
            out.push(Finding::new(
                Code::KarpTooOld,
                c.subject(),
                format!(
                    "Karpenter {version} supports Kubernetes up to 1.{max}, not {}: after the control plane moves it may stop provisioning nodes",
                    target.minor_str()
                ),
                format!("upgrade Karpenter to {need} before the control plane (one Karpenter minor at a time, per its upgrade guide)"),
            ));
        }
        Compat::TooNew { min } => out.push(Finding::new(
                Code::KarpTooNew,
                c.subject(),
                format!(
                    "Karpenter {version} needs Kubernetes 1.{min} or later, not {}",
                    target.minor_str()
                ),
                "install a Karpenter release that supports the target (see its compatibility matrix)",
            )),
        Compat::Unknown => out.push(Finding {
            severity: Severity::Info,
            ..Finding::new(
                Code::KarpVersionUnknown,
                c.subject(),
                format!("kup's compatibility table does not know Karpenter {version} (it knows 0.21 to 1.14)"),
                "check Karpenter's compatibility matrix for the target by hand",
            )
        }),
    }
}

fn pool_findings(
    snapshot: &Snapshot,
    k: &KarpenterInfo,
    m: &PoolMovement,
    target: &Version,
    cp: Option<&Version>,
    out: &mut Vec<Finding>,
) {
    let subject = format!("nodepool/{}", m.node_pool);
    if let (Some(name), Some(classes)) = (&m.node_class, &k.node_classes)
        && m.ami.is_none()
        && !classes.is_empty()
    {
        out.push(Finding::new(
            Code::KarpMissingNodeClass,
            &subject,
            format!("NodePool {} names EC2NodeClass {name}, which does not exist", m.node_pool),
            format!("create EC2NodeClass {name} or point spec.template.spec.nodeClassRef at an existing one"),
        ));
    }
    for e in &m.budget.errors {
        out.push(Finding::new(
            Code::KarpBadBudget,
            &subject,
            format!("NodePool {}: {e}", m.node_pool),
            "fix spec.disruption.budgets: nodes `3` or `10%`, schedule a 5-field UTC cron or @daily, duration such as 8h or 1h30m",
        ));
    }
    if m.budget.never && m.budget.errors.is_empty() {
        out.push(Finding::new(
            Code::KarpBudgetNever,
            &subject,
            format!(
                "NodePool {}'s disruption budgets allow 0 Drifted disruptions at all times: Karpenter will never replace its drifted nodes",
                m.node_pool
            ),
            "add a scheduled window (schedule + duration) or raise `nodes` for reason Drifted, or rotate the nodes with `kup rotate --ignore-budgets`",
        ));
    }
    if !m.held.is_empty() {
        let pods: BTreeSet<&str> = m.held.iter().map(|h| h.by.as_str()).collect();
        let nodes: BTreeSet<&str> = m.held.iter().map(|h| h.node.as_str()).collect();
        // A node's own annotation keeps Karpenter from choosing it at all: no drain starts, so
        // no terminationGracePeriod runs.
        let node_level = m
            .held
            .iter()
            .any(|h| h.by.starts_with("node ") || h.by.starts_with("nodeclaim of "));
        let until = match &m.termination_grace_period {
            _ if node_level => {
                "until the annotation goes (Karpenter does not choose such a node for drift)".into()
            }
            Some(tgp) => format!("until the NodePool's terminationGracePeriod ({tgp}) runs out"),
            None => "indefinitely (the NodePool has no terminationGracePeriod)".into(),
        };
        out.push(Finding::new(
            Code::KarpHeld,
            &subject,
            format!(
                "{} node(s) Karpenter must replace are held {until} by: {}",
                nodes.len(),
                pods.into_iter().collect::<Vec<_>>().join(", ")
            ),
            "remove the karpenter.sh/do-not-disrupt annotation or relax the PDBs for the upgrade, or set spec.template.spec.terminationGracePeriod",
        ));
    }
    match &m.ami {
        Some(AmiPolicy::PinnedAmi { .. }) if m.behind > 0 && m.moves == Moves::Pinned => {
            // Where the pinned nodes stand once the control plane is at the target.
            let verdicts: BTreeMap<&str, NodeVerdict> = snapshot
                .nodes
                .iter()
                .filter(|n| n.pool.kind == PoolKind::NodePool && n.pool.name == m.node_pool)
                .filter_map(|n| {
                    let v = Version::parse(&n.kubelet_version).ok()?;
                    Some((n.name.as_str(), node_verdict(&v, target, target)))
                })
                .collect();
            let beyond = verdicts.values().filter(|v| v.is_violation()).count();
            let severity = if beyond > 0 {
                Severity::Error
            } else {
                Severity::Warning
            };
            let now = match cp {
                Some(cp) if (cp.major, cp.minor) < (target.major, target.minor) => {
                    "when the control plane moves, "
                }
                _ => "",
            };
            out.push(Finding {
                severity,
                ..Finding::new(
                    Code::KarpPinnedAmi,
                    &subject,
                    format!(
                        "{} of {} node(s) are behind {}; {now}{}{}",
                        m.behind,
                        m.nodes,
                        target.minor_str(),
                        m.summary,
                        if beyond > 0 {
                            format!("; {beyond} would be outside the skew policy at {}", target.minor_str())
                        } else {
                            String::new()
                        }
                    ),
                    format!(
                        "point EC2NodeClass {} at an alias (al2023@latest) or an AMI built for {}, then let Karpenter drift the nodes",
                        m.node_class.as_deref().unwrap_or("?"),
                        target.minor_str()
                    ),
                )
            });
        }
        Some(AmiPolicy::PinnedRelease { release, .. })
            if m.behind > 0
                && alias_outcome(k, m, target).is_none_or(|o| *o != AliasOutcome::Missing) =>
        {
            let ssm = match alias_outcome(k, m, target) {
                Some(AliasOutcome::Found { image_ids }) => format!(
                    "; SSM confirms release {release} for {} ({})",
                    target.minor_str(),
                    image_ids.join(", ")
                ),
                Some(AliasOutcome::NotConfirmed { reason }) => {
                    format!("; not confirmed via SSM: {reason}")
                }
                _ => String::new(),
            };
            out.push(Finding::new(
                Code::KarpPinnedRelease,
                &subject,
                format!(
                    "{} node(s) behind {}: {}{ssm}",
                    m.behind,
                    target.minor_str(),
                    m.summary
                ),
                format!(
                    "check that release {release} is published for {}, or use @latest",
                    target.minor_str()
                ),
            ))
        }
        _ => {}
    }
}

/// What SSM said about the alias of the pool's EC2NodeClass, if it was asked.
fn alias_outcome<'a>(
    k: &'a KarpenterInfo,
    m: &PoolMovement,
    target: &Version,
) -> Option<&'a AliasOutcome> {
    let class = m.node_class.as_deref()?;
    k.aliases_at(target)
        .find(|a| a.node_class == class)
        .map(|a| &a.outcome)
}

mod pinned;
#[cfg(test)]
mod tests;
