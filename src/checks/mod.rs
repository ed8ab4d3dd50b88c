//! Pure checks: `Snapshot -> Vec<Finding>`. Every family produces the one `Finding` type, and
//! `run` is the one pipeline every command uses: the families it asks for, then the user's
//! `Config` (`.kup.yaml`) over all of them, then the order every report shows.

pub mod addons;
pub mod al2;
pub mod apis;
pub mod config;
pub mod eks;
pub mod finding;
pub mod karpenter;
pub mod placement;
pub mod skew;

use std::collections::BTreeSet;

pub use config::{Config, IgnoreRule, Policy};
pub use eks::eks_findings;
pub use finding::{
    Code, CodeInfo, FailOn, Family, Finding, Severity, UnknownCode, catalogue, exceeds,
    sort_findings,
};
pub use placement::{RunsOn, WorkloadVerdict, placement_findings, workload_verdicts};
pub use skew::{node_groups_not_at, skew_findings};

use crate::eks::EksSection;
use crate::model::Snapshot;
use crate::version::Version;

/// What one run judges, besides the snapshot and the user's config.
#[derive(Clone, Copy, Debug)]
pub struct Run<'a> {
    /// The version the cluster is judged against (`--target`, or the control plane's).
    pub target: &'a Version,
    /// The families the command reports.
    pub families: &'a [Family],
    /// `kup check -l`: the nodes the skew family judges. Placement always sees every node:
    /// a pool's shape and where a workload can go come from all of them.
    pub skew_nodes: Option<&'a BTreeSet<String>>,
}

/// Every finding of the asked families, with the ignore rules applied, sorted.
pub fn run(snapshot: &Snapshot, config: &Config, run: &Run) -> Vec<Finding> {
    let wants = |f: Family| run.families.contains(&f);
    let eks = match &snapshot.eks {
        EksSection::Read(info) if wants(Family::Eks) => Some(info),
        _ => None,
    };
    let mut findings = Vec::new();
    if wants(Family::Skew) || wants(Family::Version) {
        // What EKS says about its node groups (it also knows groups with no node) replaces
        // the guess from node labels.
        let groups_from_labels = eks.is_none_or(|i| i.node_groups.is_none());
        findings.extend(skew::findings(
            snapshot,
            run.target,
            run.skew_nodes,
            groups_from_labels,
        ));
    }
    if wants(Family::Placement) {
        findings.extend(placement_findings(snapshot, run.target, config));
    }
    if wants(Family::Karpenter) {
        findings.extend(karpenter::findings(snapshot, run.target));
    }
    if wants(Family::Addon) {
        findings.extend(addons::addon_findings(snapshot, run.target));
    }
    if wants(Family::Eks) {
        findings.extend(al2::al2_findings(snapshot, run.target));
    }
    if wants(Family::Apis) {
        findings.extend(apis::findings(snapshot, run.target));
    }
    // Support dates are judged on the day the snapshot was taken (the server's clock).
    if let (Some(info), Some(taken)) = (eks, snapshot.taken_at) {
        let today = taken.to_zoned(jiff::tz::TimeZone::UTC).date();
        findings.extend(eks_findings(
            info,
            snapshot.control_plane.version(),
            run.target,
            today,
        ));
    }
    findings.retain(|f| wants(f.code.family()) && config.keeps(f));
    sort_findings(&mut findings);
    findings
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests;
