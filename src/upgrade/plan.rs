//! The upgrade plan: one hop per minor from the control plane to `--to`, and for each hop the
//! gate (every finding `kup check --target HOP` makes, at `--fail-on`), the control-plane
//! update, the EKS add-ons, the managed node groups EKS moves, the Karpenter pools (drifted by
//! Karpenter or rotated by kup), the commands kup will run, the steps it cannot do, and an
//! estimated duration. Findings of later hops are predicted from today's cluster: each gate is
//! judged again on the cluster as it is when its hop starts.

use serde::Serialize;

use crate::checks::karpenter::{Moves, WAVE_MINUTES, pool_movements};
use crate::checks::{self, Config, FailOn, Family, Finding};
use crate::eks::EksSection;
use crate::model::{PoolKind, Snapshot};
use crate::version::{Version, minor_of};

/// Minutes an EKS control-plane update takes, for the estimate ("within a few minutes";
/// about ten in practice).
pub const CONTROL_PLANE_MINUTES: i64 = 10;
/// Minutes one add-on update takes, for the estimate.
pub const ADDON_MINUTES: i64 = 2;

/// `--nodes`: who replaces the Karpenter nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum NodesMode {
    /// kup rotates every lagging node itself (cordon, drain, replace).
    Rotate,
    /// Karpenter's drift replaces them; kup waits (pools that do not drift block the plan).
    Karpenter,
    /// Karpenter where it drifts the pool, kup's rotation elsewhere.
    #[default]
    Auto,
}

/// `--addons`: which version EKS add-ons move to at each hop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AddonsMode {
    /// The hop's default version of each add-on.
    #[default]
    Default,
    /// The newest version compatible with the hop.
    Latest,
    /// Leave the add-ons alone.
    Skip,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeOptions {
    pub to: Version,
    pub fail_on: FailOn,
    pub nodes: NodesMode,
    pub addons: AddonsMode,
    pub batch: usize,
}

/// Flag problems the cluster reveals (exit 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeError {
    #[error(
        "--to {to} is older than the control plane ({from}); Kubernetes and EKS never downgrade a control plane"
    )]
    Downgrade { from: String, to: String },
    #[error(
        "the cluster is already at {to} and every node runs it: nothing to upgrade (pass a newer --to)"
    )]
    AlreadyThere { to: String },
    #[error("--to {to}: EKS does not offer {to} (it offers {offered})")]
    NotOffered { to: String, offered: String },
    #[error("the control plane's version {0:?} cannot be read")]
    UnreadableControlPlane(String),
}

/// Who moves a pool's nodes in a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodesBy {
    /// Karpenter's drift (kup waits within the budgets).
    Karpenter,
    /// kup's own rotation.
    Kup,
    /// Nobody: a person must (a pinned AMI, a blocked NodeClass with `--nodes karpenter`).
    Manual,
}

/// An installed EKS add-on and what DescribeAddonVersions offers at each hop (read by the
/// shell; empty when the add-ons were not read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddonOffers {
    pub name: String,
    pub version: String,
    /// Hop (`1.26`) -> the versions compatible with it.
    pub offered: std::collections::BTreeMap<String, Vec<crate::eks::AddonVersionOffer>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddonMove {
    pub addon: String,
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMove {
    pub name: String,
    /// Its version now (`1.24`), when EKS or its nodes say.
    pub from: Option<String>,
    pub nodes: usize,
    pub max_unavailable: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolMove {
    /// `nodepool/general`, `provisioner/default`.
    pub pool: String,
    pub nodes: usize,
    pub by: NodesBy,
    /// How Karpenter moves it (NodePools), as `kup check` says.
    pub summary: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    /// `1.26`.
    pub version: String,
    /// Every finding of `kup check --target HOP` (predicted from today's cluster after the
    /// first hop).
    pub gate: Vec<Finding>,
    /// Some gate finding is at or above `--fail-on`, or a pool nobody will move.
    pub blocked: bool,
    /// Judged on the cluster as it is (the first hop); later ones are predictions.
    pub predicted: bool,
    /// EKS add-ons that move at this hop (empty when they were not read or none moves).
    pub addons: Vec<AddonMove>,
    pub node_groups: Vec<GroupMove>,
    pub pools: Vec<PoolMove>,
    /// What kup will run, as the equivalent commands (for the runbook).
    pub commands: Vec<String>,
    /// What kup cannot do: a person must.
    pub manual: Vec<String>,
    pub estimate_minutes: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradePlan {
    pub cluster: Option<String>,
    /// The control plane's version now (`1.25.16`).
    pub from: String,
    pub to: String,
    pub nodes: NodesMode,
    pub addons: AddonsMode,
    /// Nodes still behind the control plane: the run first finishes the hop that left them.
    pub catch_up: usize,
    pub hops: Vec<Hop>,
    pub estimate_minutes: i64,
}

impl UpgradePlan {
    /// The first hop's gate stops the run (the later ones are judged when their hop starts).
    pub fn blocked_now(&self) -> bool {
        self.hops.first().is_some_and(|h| h.blocked)
    }
}

/// The minors from `from` (exclusive) to `to` (inclusive): `1.25 -> 1.27` is `[1.26, 1.27]`.
pub fn hops(from: &Version, to: &Version) -> Vec<Version> {
    if from.major != to.major || to.minor <= from.minor {
        return Vec::new();
    }
    (from.minor + 1..=to.minor)
        .map(|m| Version::new(to.major, m, None))
        .collect()
}

/// The plan for `opts.to` on the cluster as `snapshot` shows it (EKS read into it when kup
/// could; without EKS, node groups come from their nodes' labels).
pub fn plan(
    snapshot: &Snapshot,
    config: &Config,
    opts: &UpgradeOptions,
    addons: &[AddonOffers],
) -> Result<UpgradePlan, UpgradeError> {
    let cp = snapshot.control_plane.version().cloned().ok_or_else(|| {
        UpgradeError::UnreadableControlPlane(snapshot.control_plane.git_version.clone())
    })?;
    let to = Version::new(opts.to.major, opts.to.minor, None);
    let cp_minor = (cp.major, cp.minor);
    let lagging = |m: (u32, u32)| {
        snapshot
            .nodes
            .iter()
            .filter(|n| !n.deleting)
            .filter(|n| minor_of(&n.kubelet_version).is_some_and(|v| v < m))
            .count()
    };
    if (to.major, to.minor) < cp_minor {
        return Err(UpgradeError::Downgrade {
            from: cp.minor_str(),
            to: to.minor_str(),
        });
    }
    let catch_up = lagging(cp_minor);
    if (to.major, to.minor) == cp_minor && catch_up == 0 {
        return Err(UpgradeError::AlreadyThere { to: to.minor_str() });
    }
    let info = match &snapshot.eks {
        EksSection::Read(info) => Some(info.as_ref()),
        _ => None,
    };
    if let Some(versions) = info.and_then(|i| i.versions.as_ref())
        && !versions.is_empty()
        && !versions
            .iter()
            .any(|v| minor_of(&v.version) == Some((to.major, to.minor)))
    {
        return Err(UpgradeError::NotOffered {
            to: to.minor_str(),
            offered: versions
                .iter()
                .map(|v| v.version.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let cluster = info
        .map(|i| i.cluster.name.clone())
        .or_else(|| snapshot.control_plane.cluster_name.clone());
    let name = cluster.clone().unwrap_or_else(|| "CLUSTER".into());
    let groups = node_groups(snapshot);
    let mut out = Vec::new();
    // Each hop's gate judges the cluster as the run will find it: the hop before done (or,
    // for the first, the nodes behind the control plane caught up).
    let mut at = cp.clone();
    // Each add-on's version as the hops before this one leave it.
    let mut versions: Vec<String> = addons.iter().map(|a| a.version.clone()).collect();
    for (i, hop) in hops(&cp, &to).iter().enumerate() {
        let projected = (i > 0 || catch_up > 0).then(|| project(snapshot, &at));
        let judged = projected.as_ref().unwrap_or(snapshot);
        let mut h = one_hop(snapshot, judged, config, opts, hop, i > 0, &groups, &name);
        at = hop.clone();
        if opts.addons != AddonsMode::Skip && !addons.is_empty() {
            let latest = opts.addons == AddonsMode::Latest;
            let mut moves = Vec::new();
            for (a, current) in addons.iter().zip(versions.iter_mut()) {
                let offered = a.offered.get(&h.version).map(Vec::as_slice).unwrap_or(&[]);
                if let Some(to) = super::addons::target_version(current, offered, latest) {
                    moves.push(AddonMove {
                        addon: a.name.clone(),
                        from: std::mem::replace(current, to.clone()),
                        to,
                    });
                }
            }
            // The generic line gives way to the real commands.
            h.commands
                .retain(|c| !c.starts_with("aws eks update-addon "));
            let at = h.commands.len().min(1);
            for (k, m) in moves.iter().enumerate() {
                h.commands.insert(
                    at + k,
                    format!(
                        "aws eks update-addon --cluster-name {name} --addon-name {} --addon-version {} --resolve-conflicts PRESERVE",
                        m.addon, m.to
                    ),
                );
            }
            h.estimate_minutes += (moves.len() as i64 - 3) * ADDON_MINUTES;
            h.addons = moves;
        }
        out.push(h);
    }
    let estimate = out.iter().map(|h| h.estimate_minutes).sum();
    Ok(UpgradePlan {
        cluster,
        from: cp.to_string(),
        to: to.minor_str(),
        nodes: opts.nodes,
        addons: opts.addons,
        catch_up,
        hops: out,
        estimate_minutes: estimate,
    })
}

/// The managed node groups: EKS's list when read, else from node labels.
fn node_groups(snapshot: &Snapshot) -> Vec<GroupMove> {
    let count = |name: &str| {
        snapshot
            .nodes
            .iter()
            .filter(|n| n.pool.kind == PoolKind::NodeGroup && n.pool.name == name)
            .count()
    };
    if let EksSection::Read(info) = &snapshot.eks
        && let Some(groups) = &info.node_groups
    {
        return groups
            .iter()
            .map(|g| GroupMove {
                name: g.name.clone(),
                from: g.version.clone(),
                nodes: count(&g.name),
                max_unavailable: g.max_unavailable_nodes(),
            })
            .collect();
    }
    let mut names: Vec<String> = snapshot
        .nodes
        .iter()
        .filter(|n| n.pool.kind == PoolKind::NodeGroup)
        .map(|n| n.pool.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let from = snapshot
                .nodes
                .iter()
                .filter(|n| n.pool.kind == PoolKind::NodeGroup && n.pool.name == name)
                .filter_map(|n| Version::parse(&n.kubelet_version).ok())
                .map(|v| v.minor_str())
                .min();
            GroupMove {
                nodes: count(&name),
                name,
                from,
                max_unavailable: 1,
            }
        })
        .collect()
}

fn waves(nodes: usize, at_once: usize) -> i64 {
    nodes.div_ceil(at_once.max(1)) as i64
}

/// Who moves a NodePool's nodes under `--nodes`.
pub fn nodes_by(mode: NodesMode, moves: Moves) -> NodesBy {
    let drifts = moves == Moves::KarpenterDrifts;
    match mode {
        NodesMode::Rotate => NodesBy::Kup,
        NodesMode::Auto if drifts => NodesBy::Karpenter,
        NodesMode::Auto => NodesBy::Kup,
        NodesMode::Karpenter if drifts => NodesBy::Karpenter,
        NodesMode::Karpenter => NodesBy::Manual,
    }
}

fn undrifted(pool: &str, summary: &str, nodes: usize, hop: &str) -> String {
    format!(
        "{pool}: {summary}; Karpenter will not replace its {nodes} nodes: replace them \
         (`kup rotate --pool {pool} --target {hop}`) or run with --nodes auto"
    )
}

/// NodePools with nodes behind `hop` that nobody will move under `--nodes` (only with
/// `--nodes karpenter`, for pools Karpenter does not drift): they stop the run at the gate.
pub fn unmoved_pools(snapshot: &Snapshot, hop: &Version, mode: NodesMode) -> Vec<String> {
    pool_movements(snapshot, hop)
        .iter()
        .filter(|m| m.behind > 0 && nodes_by(mode, m.moves) == NodesBy::Manual)
        .map(|m| {
            undrifted(
                &format!("nodepool/{}", m.node_pool),
                &m.summary,
                m.behind,
                &hop.minor_str(),
            )
        })
        .collect()
}

/// The cluster as a run leaves it once everything is at `at`: the control plane, EKS's
/// cluster and node group versions, and every node a pool replaces (nodes of no pool stay).
pub fn project(snapshot: &Snapshot, at: &Version) -> Snapshot {
    let mut s = snapshot.clone();
    let minor = at.minor_str();
    let cp = &snapshot.control_plane;
    if cp
        .version()
        .is_some_and(|v| (v.major, v.minor) < (at.major, at.minor))
    {
        s.control_plane = crate::model::ControlPlane::new(
            format!("v{minor}.0"),
            at.major.to_string(),
            at.minor.to_string(),
            cp.platform.clone(),
            cp.cluster_name.clone(),
        );
    }
    for n in s.nodes.iter_mut().filter(|n| n.pool.kind != PoolKind::None) {
        let behind = Version::parse(&n.kubelet_version)
            .is_ok_and(|v| (v.major, v.minor) < (at.major, at.minor));
        if behind {
            n.kubelet_version = format!("v{minor}.0");
        }
    }
    if let EksSection::Read(info) = &mut s.eks {
        info.cluster.version = minor.clone();
        for g in info.node_groups.iter_mut().flatten() {
            g.version = Some(minor.clone());
        }
        // Insights speak of the cluster as it is now.
        info.insights = None;
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn one_hop(
    snapshot: &Snapshot,
    judged: &Snapshot,
    config: &Config,
    opts: &UpgradeOptions,
    hop: &Version,
    predicted: bool,
    groups: &[GroupMove],
    cluster: &str,
) -> Hop {
    let v = hop.minor_str();
    let run = checks::Run {
        target: hop,
        families: &Family::ALL,
        skew_nodes: None,
    };
    let gate = checks::run(judged, config, &run);
    let mut blocked = checks::exceeds(&gate, opts.fail_on);
    let mut commands = vec![format!(
        "aws eks update-cluster-version --name {cluster} --kubernetes-version {v}"
    )];
    let mut manual = Vec::new();
    let mut minutes = CONTROL_PLANE_MINUTES;
    if opts.addons != AddonsMode::Skip {
        commands.push(format!(
            "aws eks update-addon --cluster-name {cluster} --addon-name NAME --addon-version \
             ({} version for {v}) for each EKS add-on",
            match opts.addons {
                AddonsMode::Latest => "the latest",
                _ => "the default",
            }
        ));
        minutes += 3 * ADDON_MINUTES;
    }
    // After the first hop every group and node is at the previous minor.
    let previous = Version::new(hop.major, hop.minor.saturating_sub(1), None).minor_str();
    let node_groups: Vec<GroupMove> = groups
        .iter()
        .map(|g| GroupMove {
            from: if predicted {
                Some(previous.clone())
            } else {
                g.from.clone()
            },
            ..g.clone()
        })
        .collect();
    for g in &node_groups {
        commands.push(format!(
            "aws eks update-nodegroup-version --cluster-name {cluster} --nodegroup-name {} --kubernetes-version {v}",
            g.name
        ));
        minutes += waves(g.nodes, g.max_unavailable as usize) * WAVE_MINUTES;
    }
    let movements = pool_movements(snapshot, hop);
    let mut pools = Vec::new();
    for m in &movements {
        let nodes = snapshot
            .nodes
            .iter()
            .filter(|n| n.pool.kind == PoolKind::NodePool && n.pool.name == m.node_pool)
            .count();
        let by = nodes_by(opts.nodes, m.moves);
        let pool = format!("nodepool/{}", m.node_pool);
        match by {
            NodesBy::Karpenter => {
                minutes += m.eta_minutes.unwrap_or(waves(nodes, 1) * WAVE_MINUTES);
            }
            NodesBy::Kup => {
                commands.push(format!(
                    "kup rotate --pool {pool} --target {v} --batch {} --yes",
                    opts.batch
                ));
                minutes += waves(nodes, opts.batch) * WAVE_MINUTES;
            }
            NodesBy::Manual if nodes > 0 => {
                blocked = true;
                manual.push(undrifted(&pool, &m.summary, nodes, &v));
            }
            NodesBy::Manual => {}
        }
        pools.push(PoolMove {
            pool,
            nodes,
            by,
            summary: m.summary.clone(),
        });
    }
    // Pools no NodePool describes (Provisioners, unmanaged groups of labels): kup rotates them.
    let mut others: Vec<(String, usize)> = Vec::new();
    for n in &snapshot.nodes {
        // Nodes of no pool have no replacement: `kup check` names them.
        if matches!(
            n.pool.kind,
            PoolKind::NodePool | PoolKind::NodeGroup | PoolKind::None
        ) {
            continue;
        }
        let key = n.pool.to_string();
        match others.iter_mut().find(|(k, _)| *k == key) {
            Some((_, c)) => *c += 1,
            None => others.push((key, 1)),
        }
    }
    for (pool, nodes) in others {
        commands.push(format!(
            "kup rotate --pool {pool} --target {v} --batch {} --yes",
            opts.batch
        ));
        minutes += waves(nodes, opts.batch) * WAVE_MINUTES;
        pools.push(PoolMove {
            pool,
            nodes,
            by: NodesBy::Kup,
            summary: "no NodePool drifts them".into(),
        });
    }
    for f in gate
        .iter()
        .filter(|f| checks::exceeds(std::slice::from_ref(f), opts.fail_on))
    {
        manual.push(format!("{} {}: {}", f.code, f.subject, f.remedy));
    }
    Hop {
        version: v,
        gate,
        blocked,
        predicted,
        addons: Vec::new(),
        node_groups,
        pools,
        commands,
        manual,
        estimate_minutes: minutes,
    }
}
