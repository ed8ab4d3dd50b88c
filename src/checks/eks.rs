//! EKS findings: what DescribeCluster, DescribeClusterVersions, the node groups and the upgrade
//! insights say, judged against the API server's version and the target. Pure.

use jiff::civil::Date;

use crate::checks::finding::{Code, Finding, Severity};
use crate::checks::skew::node_group_finding;
use crate::eks::EksInfo;
use crate::version::Version;

/// "Leaves standard support within 90 days" (issue: warn a quarter ahead).
pub const SUPPORT_WARNING_DAYS: i32 = 90;

/// `api_server`: the control plane's version from `/version` (None when unreadable).
pub fn eks_findings(
    info: &EksInfo,
    api_server: Option<&Version>,
    target: &Version,
    today: Date,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = &info.cluster.name;
    let subject = format!("eks/{name}");
    let eks_version = Version::parse(&info.cluster.version).ok();

    if let (Some(api), Some(eks)) = (api_server, &eks_version)
        && api.minor_str() != eks.minor_str()
    {
        out.push(Finding::new(
            Code::EksVersionMismatch,
            subject.clone(),
            format!(
                "EKS reports cluster {name} at {} (status {}) while the API server reports {}",
                info.cluster.version,
                info.cluster.status,
                api.minor_str()
            ),
            format!(
                "if an update is in progress, wait for `aws eks describe-cluster --name {name}` \
                 to show ACTIVE; otherwise check that the kubeconfig context points at cluster {name}"
            ),
        ));
    }

    if let Some(support) = info.version(&info.cluster.version) {
        let status = support.status.as_deref().unwrap_or("");
        let past = |d: Option<Date>| d.is_some_and(|d| d < today);
        if status == "UNSUPPORTED" || past(support.end_of_extended_support) {
            out.push(Finding::new(
                Code::EksUnsupported,
                subject.clone(),
                format!(
                    "EKS {} is past the end of extended support{}",
                    support.version,
                    on(support.end_of_extended_support)
                ),
                upgrade_remedy(name, info),
            ));
        } else if status == "EXTENDED_SUPPORT" || past(support.end_of_standard_support) {
            out.push(Finding::new(
                Code::EksExtendedSupport,
                subject.clone(),
                format!(
                    "EKS {} left standard support{} and runs in extended support until {}",
                    support.version,
                    on(support.end_of_standard_support),
                    crate::eks::day_or_unknown(support.end_of_extended_support)
                ),
                upgrade_remedy(name, info),
            ));
        } else if let Some(end) = support.end_of_standard_support {
            let days = (end - today).get_days();
            if days <= SUPPORT_WARNING_DAYS {
                // What happens then depends on the cluster's upgrade policy.
                let then = if info.cluster.support_type.as_deref() == Some("STANDARD") {
                    "then EKS upgrades the control plane automatically (upgrade policy STANDARD)"
                } else {
                    "extended support after that is billed extra"
                };
                out.push(Finding::new(
                    Code::EksStandardSupportEnding,
                    subject.clone(),
                    format!(
                        "EKS {} leaves standard support on {end} (in {days} day(s)); {then}",
                        support.version
                    ),
                    upgrade_remedy(name, info),
                ));
            }
        }
    }

    // Only judged when DescribeClusterVersions was read: no list is not "not offered".
    if info.versions.is_some()
        && eks_version
            .as_ref()
            .is_some_and(|v| v.minor_str() != target.minor_str())
    {
        let offered = info.version(&target.minor_str());
        let gone = offered.is_some_and(|v| v.status.as_deref() == Some("UNSUPPORTED"));
        if offered.is_none() || gone {
            let known = info.offered();
            out.push(Finding::new(
                Code::EksTargetNotOffered,
                subject.clone(),
                format!(
                    "EKS {} version {} (EKS offers {})",
                    if gone {
                        "no longer supports"
                    } else {
                        "does not offer"
                    },
                    target.minor_str(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
                "choose a --target among the versions EKS offers".to_string(),
            ));
        }
    }

    if let Some(eks) = &eks_version
        && target.minor_str() != eks.minor_str()
        && target > eks
    {
        for ng in info.node_groups_off_cluster_minor() {
            let version = ng.version.as_deref().unwrap_or("?");
            out.push(node_group_finding(
                &ng.name,
                &format!("version {version}"),
                eks,
                target,
                name,
            ));
        }
    }
    for ng in info.node_groups() {
        if ng.status != "ACTIVE" || !ng.health_issues.is_empty() {
            let issues = if ng.health_issues.is_empty() {
                String::new()
            } else {
                format!("; health issues: {}", ng.health_issues.join("; "))
            };
            out.push(Finding::new(
                Code::EksNodeGroupUnhealthy,
                format!("nodegroup/{}", ng.name),
                format!("managed node group {} is {}{issues}", ng.name, ng.status),
                format!(
                    "see `aws eks describe-nodegroup --cluster-name {name} --nodegroup-name {}`; \
                     EKS updates only ACTIVE node groups",
                    ng.name
                ),
            ));
        }
    }

    for insight in info.insights() {
        // Deprecated-API insights with details are judged, callers named, by `checks::apis`.
        if !insight.deprecations.is_empty() {
            continue;
        }
        // An insight about a version beyond the target does not fail this check's gate.
        let beyond_target = insight
            .kubernetes_version
            .as_deref()
            .and_then(|v| Version::parse(v).ok())
            .is_some_and(|v| v.minor_str() != target.minor_str() && &v > target);
        let severity = match insight.status.as_str() {
            "PASSING" => continue,
            "ERROR" if !beyond_target => Severity::Error,
            "ERROR" | "WARNING" => Severity::Warning,
            _ => Severity::Info,
        };
        let mut message = format!("{} is {}", insight.name, insight.status);
        if let Some(reason) = &insight.reason {
            message.push_str(&format!(": {reason}"));
        }
        if !insight.resources.is_empty() {
            message.push_str(&format!(" ({})", insight.resources.join(", ")));
        }
        let remedy = insight.recommendation.clone().unwrap_or_else(|| {
            format!(
                "see `aws eks describe-insight --cluster-name {name} --id {}`",
                insight.id
            )
        });
        out.push(Finding {
            severity,
            ..Finding::new(
                Code::EksInsight,
                format!("insight/{}", insight.id),
                message,
                remedy,
            )
        });
    }
    out
}

fn on(d: Option<Date>) -> String {
    d.map(|d| format!(" on {d}")).unwrap_or_default()
}

/// The next minor EKS offers, named in the remedy.
fn upgrade_remedy(name: &str, info: &EksInfo) -> String {
    let next = Version::parse(&info.cluster.version).ok().and_then(|v| {
        let next = format!("{}.{}", v.major, v.minor + 1);
        info.version(&next).map(|s| s.version.clone())
    });
    match next {
        Some(next) => format!(
            "plan the upgrade to {next}: `kup check --target {next}`, then `aws eks \
             update-cluster-version --name {name} --kubernetes-version {next}`"
        ),
        None => format!("plan the next upgrade: `kup check --target VERSION` for cluster {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eks::{EksCluster, Insight, NodeGroup, VersionSupport};
    use std::collections::BTreeMap;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn support(v: &str, std_end: &str, ext_end: &str, status: &str) -> VersionSupport {
        VersionSupport {
            version: v.into(),
            release_date: None,
            end_of_standard_support: Some(date(std_end)),
            end_of_extended_support: Some(date(ext_end)),
            status: Some(status.into()),
            default: false,
        }
    }

    fn info(version: &str) -> EksInfo {
        EksInfo {
            cluster: EksCluster {
                name: "prod".into(),
                region: "us-west-2".into(),
                arn: None,
                version: version.into(),
                platform_version: Some("eks.12".into()),
                status: "ACTIVE".into(),
                support_type: None,
            },
            versions: Some(vec![
                support("1.31", "2025-11-26", "2026-11-26", "EXTENDED_SUPPORT"),
                support("1.32", "2026-03-23", "2027-03-23", "EXTENDED_SUPPORT"),
                support("1.33", "2026-07-29", "2027-07-29", "EXTENDED_SUPPORT"),
                support("1.34", "2026-12-02", "2027-12-02", "STANDARD_SUPPORT"),
                support("1.35", "2027-03-27", "2028-03-27", "STANDARD_SUPPORT"),
            ]),
            node_groups: Some(vec![]),
            insights: Some(vec![]),
            addons: None,
            addon_versions: vec![],
            unavailable: vec![],
        }
    }

    fn ng(name: &str, version: &str, status: &str) -> NodeGroup {
        NodeGroup {
            name: name.into(),
            version: Some(version.into()),
            release_version: None,
            ami_type: None,
            status: status.into(),
            capacity_type: None,
            instance_types: vec![],
            min_size: None,
            max_size: None,
            desired_size: None,
            max_unavailable: None,
            max_unavailable_percentage: None,
            labels: BTreeMap::new(),
            taints: vec![],
            health_issues: vec![],
        }
    }

    fn insight(id: &str, status: &str, version: &str) -> Insight {
        Insight {
            id: id.into(),
            name: format!("insight {id}"),
            status: status.into(),
            reason: Some("why".into()),
            kubernetes_version: Some(version.into()),
            description: None,
            recommendation: Some("do this".into()),
            resources: vec!["node/a".into()],
            deprecations: vec![],
        }
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code.as_str()).collect()
    }

    const TODAY: &str = "2026-11-24";

    #[test]
    fn standard_support_ending_within_90_days_warns() {
        let f = eks_findings(&info("1.34"), Some(&v("1.34")), &v("1.34"), date(TODAY));
        assert_eq!(codes(&f), ["KUP-EKS-002"], "{f:#?}");
        assert!(f[0].message.contains("billed extra"), "{}", f[0].message);
        // A cluster on the STANDARD upgrade policy is upgraded by EKS instead.
        let mut standard = info("1.34");
        standard.cluster.support_type = Some("STANDARD".into());
        let f = eks_findings(&standard, Some(&v("1.34")), &v("1.34"), date(TODAY));
        assert!(
            f[0].message
                .contains("upgrades the control plane automatically"),
            "{f:#?}"
        );
        assert!(
            f[0].message.contains("2026-12-02 (in 8 day(s))"),
            "{}",
            f[0].message
        );
        assert!(f[0].remedy.contains("--target 1.35"), "{}", f[0].remedy);
        // 91 days ahead: nothing yet.
        let f = eks_findings(
            &info("1.35"),
            Some(&v("1.35")),
            &v("1.35"),
            date("2026-12-26"),
        );
        assert!(f.is_empty(), "{f:#?}");
        let f = eks_findings(
            &info("1.35"),
            Some(&v("1.35")),
            &v("1.35"),
            date("2026-12-27"),
        );
        assert_eq!(codes(&f), ["KUP-EKS-002"]);
    }

    #[test]
    fn extended_and_past_support() {
        let f = eks_findings(&info("1.33"), Some(&v("1.33")), &v("1.33"), date(TODAY));
        assert_eq!(codes(&f), ["KUP-EKS-003"]);
        assert!(
            f[0].message.contains("until 2027-07-29"),
            "{}",
            f[0].message
        );
        // 1.31's extended support ended two days after TODAY; a week later it is unsupported.
        let f = eks_findings(
            &info("1.31"),
            Some(&v("1.31")),
            &v("1.31"),
            date("2026-12-01"),
        );
        assert_eq!(codes(&f), ["KUP-EKS-004"]);
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn version_mismatch_with_the_api_server() {
        let f = eks_findings(&info("1.35"), Some(&v("1.34.2")), &v("1.35"), date(TODAY));
        assert!(codes(&f).contains(&"KUP-EKS-001"), "{f:#?}");
        assert!(f[0].message.contains("EKS reports cluster prod at 1.35"));
    }

    #[test]
    fn nothing_is_judged_on_versions_or_groups_not_read() {
        let mut i = info("1.35");
        i.versions = None;
        i.node_groups = None;
        let f = eks_findings(&i, Some(&v("1.35")), &v("1.36"), date(TODAY));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn an_error_insight_about_a_later_version_only_warns() {
        let mut i = info("1.35");
        i.insights = Some(vec![insight("x", "ERROR", "1.36")]);
        let now = eks_findings(&i, Some(&v("1.35")), &v("1.35"), date("2026-01-01"));
        assert_eq!(now[0].severity, Severity::Warning, "{now:#?}");
        if let Some(v) = i.versions.as_mut() {
            v.push(support(
                "1.36",
                "2027-07-01",
                "2028-07-01",
                "STANDARD_SUPPORT",
            ));
        }
        let next = eks_findings(&i, Some(&v("1.35")), &v("1.36"), date("2026-01-01"));
        assert_eq!(next[0].severity, Severity::Error, "{next:#?}");
    }

    #[test]
    fn target_must_be_offered() {
        let f = eks_findings(&info("1.35"), Some(&v("1.35")), &v("1.36"), date(TODAY));
        assert_eq!(codes(&f), ["KUP-EKS-005"], "{f:#?}");
        assert!(f[0].message.contains("does not offer version 1.36"));
        assert!(
            f[0].message
                .contains("(EKS offers 1.31, 1.32, 1.33, 1.34, 1.35)"),
            "{}",
            f[0].message
        );
        let f = eks_findings(
            &info("1.34"),
            Some(&v("1.34")),
            &v("1.35"),
            date("2026-01-01"),
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn node_groups_on_another_minor_block_the_next_upgrade_only() {
        let mut i = info("1.35");
        i.node_groups = Some(vec![
            ng("old", "1.34", "ACTIVE"),
            ng("new", "1.35", "ACTIVE"),
        ]);
        let now = eks_findings(&i, Some(&v("1.35")), &v("1.35"), date("2026-01-01"));
        assert!(now.is_empty(), "{now:#?}");
        if let Some(v) = i.versions.as_mut() {
            v.push(support(
                "1.36",
                "2027-07-01",
                "2028-07-01",
                "STANDARD_SUPPORT",
            ));
        }
        let next = eks_findings(&i, Some(&v("1.35")), &v("1.36"), date("2026-01-01"));
        assert_eq!(codes(&next), ["KUP-SKEW-007"], "{next:#?}");
        assert_eq!(next[0].subject, "nodegroup/old");
        assert!(
            next[0]
                .message
                .contains("runs version 1.34 while the cluster is at 1.35"),
            "{}",
            next[0].message
        );
    }

    #[test]
    fn unhealthy_node_groups_and_insights() {
        let mut i = info("1.35");
        let mut degraded = ng("ng", "1.35", "DEGRADED");
        degraded.health_issues = vec!["AsgInstanceLaunchFailures: no capacity".into()];
        i.node_groups = Some(vec![degraded]);
        i.insights = Some(vec![
            insight("a", "PASSING", "1.35"),
            insight("b", "WARNING", "1.35"),
            insight("c", "ERROR", "1.35"),
            insight("d", "UNKNOWN", "1.35"),
        ]);
        let f = eks_findings(&i, Some(&v("1.35")), &v("1.35"), date("2026-01-01"));
        let got: Vec<(&str, &str, Severity)> = f
            .iter()
            .map(|f| (f.code.as_str(), f.subject.as_str(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("KUP-EKS-006", "nodegroup/ng", Severity::Warning),
                ("KUP-EKS-007", "insight/b", Severity::Warning),
                ("KUP-EKS-007", "insight/c", Severity::Error),
                ("KUP-EKS-007", "insight/d", Severity::Info),
            ]
        );
        assert!(
            f[0].message
                .contains("DEGRADED; health issues: AsgInstanceLaunchFailures")
        );
        assert_eq!(f[2].message, "insight c is ERROR: why (node/a)");
        assert_eq!(f[2].remedy, "do this");
    }
}
