//! Versioned machine documents (`apiVersion: kup/v1`): what `kup drift` and `kup check` report.
//! The shapes are documented in `docs/output.md`; only additive changes keep `kup/v1`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::checks::karpenter::{PoolMovement, pool_movements};
use crate::checks::{Finding, Severity, node_groups_not_at, sort_findings};
use crate::eks::EksSection;
use crate::karpenter::{AmiPolicy, Controller, supported_minors};
use crate::model::{Node, PoolRef, Snapshot};
use crate::version::{NodeVerdict, Version, minor_skew, node_verdict, upgrade_path};

pub const API_VERSION: &str = "kup/v1";

/// A node's verdict as reported (the version module's verdict without its numbers, plus
/// `unknown` for kubelet versions that do not parse).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Current,
    Behind,
    BeyondPolicy,
    NewerThanApiServer,
    AheadOfTarget,
    Unknown,
}

impl Verdict {
    /// The words the tables show.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Current => "current",
            Verdict::Behind => "behind",
            Verdict::BeyondPolicy => "beyond policy",
            Verdict::NewerThanApiServer => "newer than API server",
            Verdict::AheadOfTarget => "ahead of target",
            Verdict::Unknown => "unknown",
        }
    }
}

impl From<NodeVerdict> for Verdict {
    fn from(v: NodeVerdict) -> Self {
        match v {
            NodeVerdict::Current => Verdict::Current,
            NodeVerdict::Behind { .. } => Verdict::Behind,
            NodeVerdict::BeyondPolicy { .. } => Verdict::BeyondPolicy,
            NodeVerdict::NewerThanApiServer { .. } => Verdict::NewerThanApiServer,
            NodeVerdict::AheadOfTarget { .. } => Verdict::AheadOfTarget,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneInfo {
    /// As served by `/version`, e.g. `v1.25.16-eks-3025e55`.
    pub git_version: String,
    /// Parsed, e.g. `1.25.16`; null when it does not parse.
    pub version: Option<String>,
    /// EKS platform version (e.g. `eks.12`) when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// A node's age on the server's clock. Documents show it as `{seconds, human}`; the human
/// form is kubectl's AGE, which `output` owns (its `Serialize` and `human()` live in
/// `output/duration.rs`, so the report does not reach into the renderer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Age {
    pub seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftRow {
    pub name: String,
    pub pool: PoolRef,
    /// kubelet version as the node reports it.
    pub kubelet: String,
    /// Minor versions from the target (`-1` one behind); null when the kubelet does not parse.
    pub skew: Option<i64>,
    pub verdict: Verdict,
    /// As kubectl shows it: `Ready`, `NotReady` or `Unknown`, plus `,SchedulingDisabled`.
    pub status: String,
    pub ready: Option<bool>,
    pub unschedulable: bool,
    pub age: Option<Age>,
    /// Non-terminated pods bound to the node, not being deleted.
    pub pods: usize,
    /// Pods bound to the node with a deletionTimestamp: leaving, not running there any more.
    pub terminating: usize,
    pub instance_type: Option<String>,
    pub zone: Option<String>,
    pub kube_proxy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolDrift {
    pub pool: PoolRef,
    pub nodes: Vec<DriftRow>,
}

/// Node counts by verdict against one version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkewSummary {
    /// The version the nodes were compared with.
    pub against: String,
    pub nodes: usize,
    pub current: usize,
    pub behind: usize,
    pub beyond_policy: usize,
    pub newer: usize,
    pub ahead_of_target: usize,
    pub unknown: usize,
}

impl SkewSummary {
    fn of<'a>(against: &Version, rows: impl IntoIterator<Item = &'a DriftRow>) -> SkewSummary {
        let mut s = SkewSummary {
            against: against.to_string(),
            ..SkewSummary::default()
        };
        for r in rows {
            s.nodes += 1;
            match r.verdict {
                Verdict::Current => s.current += 1,
                Verdict::Behind => s.behind += 1,
                Verdict::BeyondPolicy => s.beyond_policy += 1,
                Verdict::NewerThanApiServer => s.newer += 1,
                Verdict::AheadOfTarget => s.ahead_of_target += 1,
                Verdict::Unknown => s.unknown += 1,
            }
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub control_plane: ControlPlaneInfo,
    /// The version nodes are compared with (the control plane's unless `--target`).
    pub target: String,
    /// Pools sorted by kind then name; nodes by name.
    pub pools: Vec<PoolDrift>,
    pub summary: SkewSummary,
    /// How Karpenter's NodePools move to the target; absent when Karpenter was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karpenter: Option<KarpenterSection>,
}

/// What kup read about Karpenter and what it means for the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KarpenterSection {
    /// The controller Deployment; null when not found (see `notes`).
    pub controller: Option<Controller>,
    /// The Kubernetes minors the controller's release supports (`1.25`–`1.32`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports: Option<SupportedRange>,
    pub node_classes: Vec<NodeClassLine>,
    /// One entry per NodePool: how its nodes move, budget now, progress, estimate.
    pub node_pools: Vec<PoolMovement>,
    /// Parts not read (missing CRD, RBAC) and why.
    pub notes: Vec<String>,
    /// Each EC2NodeClass alias resolved through SSM at the target (absent when AWS was not
    /// asked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<crate::karpenter::alias::AliasCheck>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupportedRange {
    pub min: String,
    pub max: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeClassLine {
    pub name: String,
    pub api_version: String,
    pub ami_family: Option<String>,
    pub ami: AmiPolicy,
}

pub fn karpenter_section(snapshot: &Snapshot, target: &Version) -> Option<KarpenterSection> {
    let k = snapshot.karpenter.as_ref()?;
    let supports = k
        .controller
        .as_ref()
        .and_then(Controller::parsed)
        .and_then(|v| supported_minors(&v))
        .map(|(lo, hi)| SupportedRange {
            min: format!("1.{lo}"),
            max: format!("1.{hi}"),
        });
    let mut node_classes: Vec<NodeClassLine> = k
        .node_classes
        .iter()
        .flatten()
        .map(|c| NodeClassLine {
            name: c.name.clone(),
            api_version: c.api_version.clone(),
            ami_family: c.family(),
            ami: c.ami_policy(),
        })
        .collect();
    node_classes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut node_pools = pool_movements(snapshot, target);
    node_pools.sort_by(|a, b| a.node_pool.cmp(&b.node_pool));
    Some(KarpenterSection {
        controller: k.controller.clone(),
        supports,
        node_classes,
        node_pools,
        notes: k.notes.clone(),
        aliases: k.aliases_at(target).cloned().collect(),
    })
}

impl DriftReport {
    /// True when the target is not the control plane's version.
    pub fn target_differs(&self) -> bool {
        self.control_plane.version.as_deref() != Some(self.target.as_str())
    }
}

fn control_plane_info(snapshot: &Snapshot) -> (ControlPlaneInfo, Option<Version>) {
    let cp = snapshot.control_plane.version().cloned();
    let platform = &snapshot.control_plane.platform;
    (
        ControlPlaneInfo {
            git_version: snapshot.control_plane.git_version.clone(),
            version: cp.as_ref().map(Version::to_string),
            platform: (!platform.is_empty()).then(|| platform.clone()),
        },
        cp,
    )
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn status(node: &Node) -> String {
    let ready = match node.ready {
        Some(true) => "Ready",
        Some(false) => "NotReady",
        None => "Unknown",
    };
    if node.unschedulable {
        format!("{ready},SchedulingDisabled")
    } else {
        ready.to_string()
    }
}

/// Per node name: (non-terminated pods, pods being deleted), in one pass over the pods.
fn pods_per_node(snapshot: &Snapshot) -> HashMap<&str, (usize, usize)> {
    let mut counts = HashMap::with_capacity(snapshot.nodes.len());
    for pod in &snapshot.pods {
        // A deleted pod is leaving whatever its phase (a finalizer holds a Succeeded one).
        let running = !matches!(pod.phase.as_str(), "Succeeded" | "Failed");
        if let Some(node) = pod.node_name.as_deref()
            && (pod.deleting || running)
        {
            let c: &mut (usize, usize) = counts.entry(node).or_default();
            if pod.deleting {
                c.1 += 1;
            } else {
                c.0 += 1;
            }
        }
    }
    counts
}

fn drift_rows(
    snapshot: &Snapshot,
    pods: &HashMap<&str, (usize, usize)>,
    cp: Option<&Version>,
    target: &Version,
) -> Vec<DriftRow> {
    // Without a control-plane version the target stands in for it.
    let cp = cp.unwrap_or(target);
    snapshot
        .nodes
        .iter()
        .map(|node| {
            let kubelet = Version::parse(&node.kubelet_version).ok();
            let (skew, verdict) = match &kubelet {
                Some(k) => (
                    Some(minor_skew(k, target)),
                    Verdict::from(node_verdict(k, cp, target)),
                ),
                None => (None, Verdict::Unknown),
            };
            let age = match (snapshot.taken_at, node.created) {
                (Some(now), Some(created)) => {
                    let seconds = now.as_second() - created.as_second();
                    Some(Age { seconds })
                }
                _ => None,
            };
            DriftRow {
                name: node.name.clone(),
                pool: node.pool.clone(),
                kubelet: node.kubelet_version.clone(),
                skew,
                verdict,
                status: status(node),
                ready: node.ready,
                unschedulable: node.unschedulable,
                age,
                pods: pods.get(node.name.as_str()).map_or(0, |c| c.0),
                terminating: pods.get(node.name.as_str()).map_or(0, |c| c.1),
                instance_type: node.instance_type.clone(),
                zone: node.zone.clone(),
                kube_proxy: non_empty(&node.kube_proxy_version),
            }
        })
        .collect()
}

pub fn drift_report(snapshot: &Snapshot, target: &Version) -> DriftReport {
    let (control_plane, cp) = control_plane_info(snapshot);
    let rows = drift_rows(snapshot, &pods_per_node(snapshot), cp.as_ref(), target);
    let summary = SkewSummary::of(target, &rows);
    let mut by_pool: BTreeMap<PoolRef, Vec<DriftRow>> = BTreeMap::new();
    for row in rows {
        by_pool.entry(row.pool.clone()).or_default().push(row);
    }
    let pools = by_pool
        .into_iter()
        .map(|(pool, mut nodes)| {
            nodes.sort_by(|a, b| a.name.cmp(&b.name));
            PoolDrift { pool, nodes }
        })
        .collect();
    DriftReport {
        api_version: API_VERSION,
        kind: "DriftReport",
        control_plane,
        target: target.to_string(),
        pools,
        summary,
        karpenter: karpenter_section(snapshot, target),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckSkew {
    /// Nodes against the control plane as it is; null when its version does not parse.
    pub current: Option<SkewSummary>,
    /// Nodes against the target.
    pub target: SkewSummary,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeSteps {
    /// Control-plane minors to pass through to reach the target (empty: nothing to upgrade).
    pub steps: Vec<String>,
    /// Nodes that must be replaced before the control plane may go to the target.
    pub blocked_by: Vec<String>,
    /// EKS managed node groups not at the control plane's minor (EKS refuses the upgrade).
    pub blocked_by_node_groups: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl FindingCounts {
    pub fn of(findings: &[Finding]) -> FindingCounts {
        let mut c = FindingCounts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub control_plane: ControlPlaneInfo,
    pub target: String,
    pub skew: CheckSkew,
    pub upgrade: UpgradeSteps,
    /// What EKS says (DescribeCluster, support dates, node groups, insights), or why it was
    /// skipped.
    pub eks: EksSection,
    /// Karpenter's controller, NodeClasses and NodePools; absent when Karpenter was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karpenter: Option<KarpenterSection>,
    /// EKS add-ons and core components running without one, against the target; absent when
    /// none were read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addons: Vec<crate::checks::addons::AddonRow>,
    /// Removed APIs: each source's state and every deprecated or removed API in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_apis: Option<crate::checks::apis::Section>,
    /// Sorted by severity (errors first), then code, then subject.
    pub findings: Vec<Finding>,
    pub summary: FindingCounts,
}

impl CheckReport {
    pub fn target_differs(&self) -> bool {
        self.control_plane.version.as_deref() != Some(self.target.as_str())
    }
}

/// The readiness document: the snapshot's versions arranged against the target, and the
/// findings `checks::run` made of it (sorted there).
pub fn check_report(
    snapshot: &Snapshot,
    target: &Version,
    mut findings: Vec<Finding>,
) -> CheckReport {
    sort_findings(&mut findings);
    let (control_plane, cp) = control_plane_info(snapshot);
    let pods = pods_per_node(snapshot);
    let target_rows = drift_rows(snapshot, &pods, cp.as_ref(), target);
    let current = cp.as_ref().map(|cp| {
        let rows = drift_rows(snapshot, &pods, Some(cp), cp);
        SkewSummary::of(cp, &rows)
    });
    let upgrade = match &cp {
        Some(cp) => {
            let kubelets: Vec<(&str, Version)> = snapshot
                .nodes
                .iter()
                .filter_map(|n| {
                    Version::parse(&n.kubelet_version)
                        .ok()
                        .map(|v| (n.name.as_str(), v))
                })
                .collect();
            let path = upgrade_path(cp, target, kubelets.iter().map(|(n, v)| (*n, v)));
            let mut blocked_by: Vec<String> = path.blockers.into_iter().map(|b| b.name).collect();
            blocked_by.sort();
            let blocked_by_node_groups = match &snapshot.eks {
                _ if path.steps.is_empty() => Vec::new(),
                // EKS's own versions (they also cover groups with no node) over the guess
                // from node labels.
                EksSection::Read(info) if info.node_groups.is_some() => info
                    .node_groups_off_cluster_minor()
                    .map(|g| g.name.clone())
                    .collect(),
                _ => node_groups_not_at(&snapshot.nodes, cp)
                    .into_keys()
                    .collect(),
            };
            UpgradeSteps {
                steps: path.steps.iter().map(Version::minor_str).collect(),
                blocked_by,
                blocked_by_node_groups,
            }
        }
        None => UpgradeSteps::default(),
    };
    CheckReport {
        api_version: API_VERSION,
        kind: "CheckReport",
        control_plane,
        target: target.to_string(),
        skew: CheckSkew {
            current,
            target: SkewSummary::of(target, &target_rows),
        },
        upgrade,
        eks: snapshot.eks.clone(),
        karpenter: karpenter_section(snapshot, target),
        addons: crate::checks::addons::addon_rows(snapshot, target),
        removed_apis: crate::checks::apis::section(snapshot, target),
        summary: FindingCounts::of(&findings),
        findings,
    }
}

/// `kup workloads`: where every workload's pods can go and where they run now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadsReport {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The version nodes are judged against (lagging nodes get rotated).
    pub target: String,
    /// Every pool kup knows, sorted.
    pub pools: Vec<PoolRef>,
    /// Sorted by namespace, kind, name.
    pub workloads: Vec<crate::checks::WorkloadVerdict>,
    /// The placement findings, sorted like every report's (errors first).
    pub findings: Vec<Finding>,
    pub summary: FindingCounts,
}

/// `workloads`: `checks::workload_verdicts`, whose findings are the placement family of
/// `checks::run` with the same config (a test holds them equal), taken from the verdicts so
/// that placement is worked out once.
pub fn workloads_report(
    snapshot: &Snapshot,
    target: &Version,
    workloads: Vec<crate::checks::WorkloadVerdict>,
) -> WorkloadsReport {
    let mut findings: Vec<Finding> = workloads
        .iter()
        .flat_map(|w| w.findings.iter().cloned())
        .collect();
    sort_findings(&mut findings);
    let mut pools: Vec<PoolRef> = snapshot.pools.iter().map(|p| p.pool.clone()).collect();
    pools.sort();
    pools.dedup();
    WorkloadsReport {
        api_version: API_VERSION,
        kind: "WorkloadsReport",
        target: target.to_string(),
        pools,
        summary: FindingCounts::of(&findings),
        workloads,
        findings,
    }
}

/// `check_report` of what `checks::run` finds with no config: skew, versions and EKS (the
/// fixtures' placement has its own tests).
#[cfg(test)]
pub(crate) fn checked(snapshot: &Snapshot, target: &Version) -> CheckReport {
    use crate::checks::{Config, Family, Run};
    let run = Run {
        target,
        families: &[Family::Skew, Family::Version, Family::Eks],
        skew_nodes: None,
    };
    check_report(
        snapshot,
        target,
        crate::checks::run(snapshot, &Config::default(), &run),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures::workshop;
    use crate::checks::{Code, Finding};

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn drift_groups_by_pool_kind_then_name_and_sorts_nodes() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        let pools: Vec<String> = r
            .pools
            .iter()
            .map(|p| format!("{:?}/{}", p.pool.kind, p.pool.name))
            .collect();
        assert_eq!(
            pools,
            [
                "NodePool/default",
                "Provisioner/default",
                "NodeGroup/mng-1",
                "None/"
            ]
        );
        let prov: Vec<&str> = r.pools[1].nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            prov,
            [
                "ip-192-168-101-21.us-west-2.compute.internal",
                "ip-192-168-102-9.us-west-2.compute.internal"
            ]
        );
        assert_eq!(
            r.summary,
            SkewSummary {
                against: "1.25.16".into(),
                nodes: 6,
                current: 1,
                behind: 5,
                ..SkewSummary::default()
            }
        );
        assert!(!r.target_differs());
    }

    #[test]
    fn drift_rows_carry_skew_status_age_and_pods() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        let rows: Vec<&DriftRow> = r.pools.iter().flat_map(|p| &p.nodes).collect();
        let legacy = rows.iter().find(|n| n.name == "legacy-worker-1").copied();
        let Some(legacy) = legacy else {
            panic!("legacy node missing")
        };
        assert_eq!(legacy.status, "NotReady,SchedulingDisabled");
        assert_eq!(legacy.skew, Some(-2));
        assert_eq!(legacy.verdict, Verdict::Behind);
        assert_eq!(legacy.age.map(|a| a.human()).as_deref(), Some("2y205d"));
        let p1 = rows
            .iter()
            .find(|n| n.name.starts_with("ip-192-168-101-21"))
            .copied();
        let Some(p1) = p1 else { panic!("p1 missing") };
        // 2 daemonset pods + 2 nginx.
        assert_eq!(p1.pods, 4);
        assert_eq!(p1.age.map(|a| a.human()).as_deref(), Some("3h12m"));
        let p2 = rows
            .iter()
            .find(|n| n.name.starts_with("ip-192-168-102-9"))
            .copied();
        // The Succeeded job pod and the unbound Pending pod do not count.
        assert_eq!(p2.map(|n| n.pods), Some(3));
        let np = rows
            .iter()
            .find(|n| n.name.starts_with("ip-192-168-150-11"))
            .copied();
        assert_eq!(
            np.and_then(|n| n.age).map(|a| (a.seconds, a.human())),
            Some((150, "2m30s".into()))
        );
        assert_eq!(np.map(|n| n.skew), Some(Some(0)));
    }

    #[test]
    fn drift_against_a_target_ahead() {
        let r = drift_report(&workshop(), &v("1.26"));
        assert!(r.target_differs());
        assert_eq!((r.summary.behind, r.summary.beyond_policy), (5, 1));
    }

    #[test]
    fn unparseable_kubelet_is_unknown_with_null_skew() {
        let mut s = workshop();
        s.nodes[0].kubelet_version = "n/a".into();
        let r = drift_report(&s, &v("1.25"));
        assert_eq!(r.summary.unknown, 1);
        let row = r
            .pools
            .iter()
            .flat_map(|p| &p.nodes)
            .find(|n| n.kubelet == "n/a");
        assert_eq!(row.map(|r| r.skew), Some(None));
    }

    #[test]
    fn check_report_sorts_findings_and_counts() {
        let extra = vec![
            Finding::new(Code::SkewBeyondPolicy, "node/zzz", "m", "r"),
            Finding {
                severity: Severity::Info,
                ..Finding::new(Code::SkewBehind, "node/aaa", "m", "r")
            },
        ];
        let s = workshop();
        let mut findings = checked(&s, &v("1.27")).findings;
        findings.extend(extra);
        let r = check_report(&s, &v("1.27"), findings);
        let order: Vec<(Severity, &str, &str)> = r
            .findings
            .iter()
            .map(|f| (f.severity, f.code.as_str(), f.subject.as_str()))
            .collect();
        let mut sorted = order.clone();
        sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)).then(a.2.cmp(b.2)));
        assert_eq!(order, sorted);
        assert_eq!(order.first().map(|o| o.0), Some(Severity::Error));
        let infos: Vec<&str> = order
            .iter()
            .filter(|o| o.0 == Severity::Info)
            .map(|o| o.2)
            .collect();
        assert_eq!(
            infos,
            [
                "node/aaa",
                "node/ip-192-168-150-11.us-west-2.compute.internal"
            ]
        );
        assert_eq!(
            r.summary,
            FindingCounts {
                error: 8,
                warning: 1,
                info: 2
            }
        );
        assert_eq!(r.upgrade.steps, ["1.26", "1.27"]);
        assert_eq!(r.upgrade.blocked_by.len(), 5);
        assert_eq!(r.upgrade.blocked_by_node_groups, ["mng-1"]);
        assert_eq!(r.skew.current.as_ref().map(|c| c.behind), Some(5));
        assert_eq!(r.skew.target.beyond_policy, 5);
    }

    #[test]
    fn check_report_json_shape() {
        let r = checked(&workshop(), &v("1.25.16"));
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn drift_report_json_shape() {
        let r = drift_report(&workshop(), &v("1.25.16"));
        insta::assert_json_snapshot!(r);
    }
}
