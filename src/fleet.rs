//! `kup fleet`'s core, pure: which contexts to read, the target each cluster is judged against,
//! one compact row per cluster made from its `kup check` report (the report and its snapshot
//! are dropped once the row is made), the rows sorted most urgent first, and the exit code.

use crate::checks::{FailOn, Finding, Severity};
use crate::eks::EksSection;
use crate::error::exit;
use crate::report::CheckReport;
use crate::version::Version;
use jiff::civil::Date;
use serde::Serialize;
use std::cmp::Reverse;

/// `--target`: one version for every cluster, or `+1`, each cluster's next minor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetTarget {
    Version(Version),
    NextMinor,
}

impl std::str::FromStr for FleetTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<FleetTarget, String> {
        if s.trim() == "+1" {
            return Ok(FleetTarget::NextMinor);
        }
        Version::parse(s).map(FleetTarget::Version).map_err(|e| {
            format!("{e}; give a version like 1.30, or +1 for each cluster's next minor")
        })
    }
}

impl FleetTarget {
    /// The version to judge a cluster against, given its control plane's; None when it
    /// depends on a control-plane version that did not parse.
    pub fn resolve(
        target: Option<&FleetTarget>,
        control_plane: Option<&Version>,
    ) -> Option<Version> {
        match target {
            Some(FleetTarget::Version(v)) => Some(v.clone()),
            Some(FleetTarget::NextMinor) => {
                control_plane.map(|cp| Version::new(cp.major, cp.minor + 1, None))
            }
            None => control_plane.cloned(),
        }
    }

    /// As the report shows it: `1.30`, `+1`, or `control plane`.
    pub fn label(target: Option<&FleetTarget>) -> String {
        match target {
            Some(FleetTarget::Version(v)) => v.to_string(),
            Some(FleetTarget::NextMinor) => "+1".to_string(),
            None => "control plane".to_string(),
        }
    }
}

/// The contexts to read: `--contexts` (each must exist, in the order given), else every
/// context of the kubeconfig, kept when `--match` matches. Err: a message for a usage error.
pub fn select_contexts(
    known: &[String],
    only: &[String],
    matching: Option<&regex::Regex>,
) -> Result<Vec<String>, String> {
    let mut chosen: Vec<String> = if only.is_empty() {
        known.to_vec()
    } else {
        let mut v: Vec<String> = Vec::new();
        for name in only.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            if !known.iter().any(|k| k == name) {
                return Err(format!(
                    "--contexts: no context \"{name}\" in the kubeconfig (known: {})",
                    known_list(known)
                ));
            }
            if !v.iter().any(|c| c == name) {
                v.push(name.to_string());
            }
        }
        v
    };
    if let Some(re) = matching {
        chosen.retain(|c| re.is_match(c));
        if chosen.is_empty() {
            return Err(format!(
                "--match {re}: no context matches (known: {})",
                known_list(known)
            ));
        }
    }
    if chosen.is_empty() {
        return Err("the kubeconfig has no contexts".to_string());
    }
    Ok(chosen)
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    }
}

/// One cluster of the fleet.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetRow {
    pub context: String,
    /// The EKS cluster name (from EKS, else the context's ARN or exec entry); null when the
    /// context names none.
    pub cluster: Option<String>,
    /// The control plane's version (`1.25.16`); null when unread or unparseable.
    pub version: Option<String>,
    /// The version this cluster was judged against.
    pub target: Option<String>,
    /// The EKS support window of the cluster's version; null when EKS was not read.
    pub eks_support: Option<EksSupport>,
    pub nodes: usize,
    /// Nodes whose kubelet lags the target (behind or beyond the skew policy).
    pub nodes_behind: usize,
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
    /// The first finding of the report (errors first): what to fix first.
    pub top_blocker: Option<TopFinding>,
    /// Why the cluster could not be read; its other fields are then empty.
    pub error: Option<String>,
    /// The findings, for `-o junit` (not in the JSON document: `kup check` has them).
    #[serde(skip)]
    pub findings: Vec<Finding>,
    /// Why EKS was not read, for `-o junit` (the EKS codes are skipped there).
    #[serde(skip)]
    pub eks_skipped: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EksSupport {
    /// STANDARD_SUPPORT, EXTENDED_SUPPORT or UNSUPPORTED, when EKS says.
    pub status: Option<String>,
    pub end_of_standard_support: Option<Date>,
    pub end_of_extended_support: Option<Date>,
}

impl EksSupport {
    /// The day that matters next: the end of extended support once in it, else of standard.
    pub fn deadline(&self) -> Option<Date> {
        match self.status.as_deref() {
            Some("EXTENDED_SUPPORT") | Some("UNSUPPORTED") => self
                .end_of_extended_support
                .or(self.end_of_standard_support),
            _ => self
                .end_of_standard_support
                .or(self.end_of_extended_support),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopFinding {
    pub code: String,
    pub severity: Severity,
    pub subject: String,
    pub message: String,
}

impl FleetRow {
    /// The row of a cluster that was read; takes the report (it is dropped here).
    pub fn of(context: &str, eks_cluster: Option<String>, report: CheckReport) -> FleetRow {
        let (cluster, eks_support, eks_skipped) = match &report.eks {
            EksSection::Read(info) => {
                let support = info.version(&info.cluster.version).map(|v| EksSupport {
                    status: v.status.clone(),
                    end_of_standard_support: v.end_of_standard_support,
                    end_of_extended_support: v.end_of_extended_support,
                });
                (Some(info.cluster.name.clone()), support, None)
            }
            EksSection::Skipped { reason } => (eks_cluster, None, Some(reason.clone())),
        };
        let top_blocker = report
            .findings
            .iter()
            .find(|f| f.severity >= Severity::Warning)
            .map(|f| TopFinding {
                code: f.code.to_string(),
                severity: f.severity,
                subject: f.subject.clone(),
                message: f.message.clone(),
            });
        let skew = &report.skew.target;
        FleetRow {
            context: context.to_string(),
            cluster,
            version: report.control_plane.version.clone(),
            target: Some(report.target.clone()),
            eks_support,
            nodes: skew.nodes,
            nodes_behind: skew.behind + skew.beyond_policy,
            errors: report.summary.error,
            warnings: report.summary.warning,
            info: report.summary.info,
            top_blocker,
            error: None,
            findings: report.findings,
            eks_skipped,
        }
    }

    /// The row of a cluster that could not be read.
    pub fn unreadable(context: &str, error: String) -> FleetRow {
        FleetRow {
            context: context.to_string(),
            cluster: None,
            version: None,
            target: None,
            eks_support: None,
            nodes: 0,
            nodes_behind: 0,
            errors: 0,
            warnings: 0,
            info: 0,
            top_blocker: None,
            error: Some(error),
            findings: Vec::new(),
            eks_skipped: None,
        }
    }

    fn fails(&self, fail_on: FailOn) -> bool {
        match fail_on {
            FailOn::Error => self.errors > 0,
            FailOn::Warning => self.errors + self.warnings > 0,
            FailOn::Never => false,
        }
    }
}

/// Most urgent first: clusters that could not be read (nobody knows their state), then by
/// errors, the nearest EKS support deadline, warnings, nodes behind; ties by context.
pub fn sort_rows(rows: &mut [FleetRow]) {
    rows.sort_by(|a, b| {
        let key = |r: &FleetRow| {
            (
                r.error.is_none(),
                Reverse(r.errors),
                // Some(day) sorts before None: a known deadline is more urgent than none.
                r.eks_support
                    .as_ref()
                    .and_then(EksSupport::deadline)
                    .map_or((1, Date::MAX), |d| (0, d)),
                Reverse(r.warnings),
                Reverse(r.nodes_behind),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.context.cmp(&b.context))
    });
}

/// 3 when any cluster could not be read, else 1 when any has findings at or above
/// `--fail-on`, else 0.
pub fn exit_code(rows: &[FleetRow], fail_on: FailOn) -> i32 {
    if rows.iter().any(|r| r.error.is_some()) {
        exit::API
    } else if rows.iter().any(|r| r.fails(fail_on)) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// The `-o json|yaml` document.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetReport {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// `--target` as given: a version, `+1`, or `control plane`.
    pub target: String,
    /// Sorted most urgent first.
    pub clusters: Vec<FleetRow>,
    pub summary: FleetSummary,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    pub clusters: usize,
    pub unreadable: usize,
    pub errors: usize,
    pub warnings: usize,
    pub nodes_behind: usize,
}

pub fn fleet_report(target: Option<&FleetTarget>, mut rows: Vec<FleetRow>) -> FleetReport {
    sort_rows(&mut rows);
    let summary = FleetSummary {
        clusters: rows.len(),
        unreadable: rows.iter().filter(|r| r.error.is_some()).count(),
        errors: rows.iter().map(|r| r.errors).sum(),
        warnings: rows.iter().map(|r| r.warnings).sum(),
        nodes_behind: rows.iter().map(|r| r.nodes_behind).sum(),
    };
    FleetReport {
        api_version: crate::report::API_VERSION,
        kind: "FleetReport",
        target: FleetTarget::label(target),
        clusters: rows,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(context: &str, errors: usize, warnings: usize, deadline: Option<&str>) -> FleetRow {
        let mut r = FleetRow::unreadable(context, String::new());
        r.error = None;
        r.errors = errors;
        r.warnings = warnings;
        r.eks_support = deadline.map(|d| EksSupport {
            status: Some("STANDARD_SUPPORT".into()),
            end_of_standard_support: Some(d.parse().unwrap()),
            end_of_extended_support: None,
        });
        r
    }

    #[test]
    fn targets() {
        let cp = Version::parse("v1.29.3-eks-1").unwrap();
        let next = FleetTarget::resolve(Some(&"+1".parse().unwrap()), Some(&cp)).unwrap();
        assert_eq!(next.to_string(), "1.30");
        let fixed = FleetTarget::resolve(Some(&"1.31".parse().unwrap()), None).unwrap();
        assert_eq!(fixed.to_string(), "1.31");
        assert_eq!(FleetTarget::resolve(None, Some(&cp)), Some(cp.clone()));
        assert_eq!(
            FleetTarget::resolve(Some(&FleetTarget::NextMinor), None),
            None
        );
        assert!("+2".parse::<FleetTarget>().is_err());
        assert!("1.x".parse::<FleetTarget>().is_err());
    }

    #[test]
    fn contexts_are_chosen_by_name_or_pattern() {
        let known: Vec<String> = ["prod-eu", "prod-us", "staging"].map(String::from).to_vec();
        assert_eq!(select_contexts(&known, &[], None).unwrap(), known);
        let only = [
            "staging".to_string(),
            "prod-us".to_string(),
            "staging".to_string(),
        ];
        assert_eq!(
            select_contexts(&known, &only, None).unwrap(),
            ["staging", "prod-us"]
        );
        let err = select_contexts(&known, &["nope".into()], None).unwrap_err();
        assert!(
            err.contains("nope") && err.contains("prod-eu, prod-us, staging"),
            "{err}"
        );
        let re = regex::Regex::new("^prod-").unwrap();
        assert_eq!(
            select_contexts(&known, &[], Some(&re)).unwrap(),
            ["prod-eu", "prod-us"]
        );
        let none = regex::Regex::new("^dev").unwrap();
        assert!(select_contexts(&known, &[], Some(&none)).is_err());
        assert!(select_contexts(&[], &[], None).is_err());
    }

    #[test]
    fn most_urgent_first_and_the_exit_code() {
        let mut unreadable = FleetRow::unreadable("zz-down", "connection refused".into());
        unreadable.context = "zz-down".into();
        let rows = vec![
            row("b-clean", 0, 0, None),
            row("c-warn", 0, 3, None),
            row("d-deadline-late", 0, 0, Some("2026-07-01")),
            row("e-deadline-soon", 0, 0, Some("2025-11-26")),
            row("f-errors", 2, 0, None),
            unreadable,
        ];
        let report = fleet_report(None, rows.clone());
        let order: Vec<&str> = report.clusters.iter().map(|r| r.context.as_str()).collect();
        assert_eq!(
            order,
            [
                "zz-down",
                "f-errors",
                "e-deadline-soon",
                "d-deadline-late",
                "c-warn",
                "b-clean"
            ]
        );
        assert_eq!(report.summary.unreadable, 1);
        assert_eq!(report.summary.errors, 2);
        assert_eq!(exit_code(&rows, FailOn::Never), exit::API);
        let readable: Vec<FleetRow> = rows.into_iter().filter(|r| r.error.is_none()).collect();
        assert_eq!(exit_code(&readable, FailOn::Error), exit::FINDINGS);
        let clean: Vec<FleetRow> = readable.iter().filter(|r| r.errors == 0).cloned().collect();
        assert_eq!(exit_code(&clean, FailOn::Error), exit::OK);
        assert_eq!(exit_code(&clean, FailOn::Warning), exit::FINDINGS);
    }

    #[test]
    fn extended_support_counts_to_its_own_end() {
        let s = EksSupport {
            status: Some("EXTENDED_SUPPORT".into()),
            end_of_standard_support: Some("2025-01-01".parse().unwrap()),
            end_of_extended_support: Some("2026-01-01".parse().unwrap()),
        };
        assert_eq!(s.deadline(), Some("2026-01-01".parse().unwrap()));
    }
}
