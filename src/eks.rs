//! What EKS says about a cluster, as kup holds it: plain data that `cluster::eks` fills from
//! aws-sdk-eks and `checks::eks` judges. Dates are calendar days (EKS publishes support windows
//! by day).

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::model::Taint;

/// DescribeCluster, reduced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EksCluster {
    pub name: String,
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `MAJOR.MINOR`, as EKS reports it (`1.25`).
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// ACTIVE, UPDATING, ...
    pub status: String,
    /// STANDARD or EXTENDED (the cluster's upgrade policy), when EKS says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_type: Option<String>,
}

/// One DescribeClusterVersions entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionSupport {
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_standard_support: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_extended_support: Option<Date>,
    /// STANDARD_SUPPORT, EXTENDED_SUPPORT or UNSUPPORTED, when EKS says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// EKS's default version for new clusters.
    pub default: bool,
}

/// DescribeNodegroup, reduced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeGroup {
    pub name: String,
    /// `MAJOR.MINOR`; None for groups on a custom AMI that EKS does not version.
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ami_type: Option<String>,
    /// ACTIVE, UPDATING, DEGRADED, ...
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_type: Option<String>,
    pub instance_types: Vec<String>,
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
    pub desired_size: Option<i32>,
    /// The update config: how many nodes EKS replaces at once (a count or a percentage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unavailable_percentage: Option<i32>,
    pub labels: BTreeMap<String, String>,
    /// In Kubernetes form (`NoSchedule`, not EKS's `NO_SCHEDULE`).
    pub taints: Vec<Taint>,
    /// `CODE: message` of each health issue.
    pub health_issues: Vec<String>,
}

impl NodeGroup {
    /// How many nodes an update replaces at once, as EKS computes it (default 1).
    pub fn max_unavailable_nodes(&self) -> u32 {
        if let Some(n) = self.max_unavailable {
            return n.max(1) as u32;
        }
        if let Some(p) = self.max_unavailable_percentage {
            let desired = self.desired_size.unwrap_or(0).max(0) as u32;
            return ((desired * p.clamp(0, 100) as u32) / 100).max(1);
        }
        1
    }
}

/// An upgrade insight (ListInsights + DescribeInsight).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Insight {
    pub id: String,
    pub name: String,
    /// PASSING, WARNING, ERROR or UNKNOWN.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
    /// What the insight is about (`arn` or Kubernetes resource), at most a few.
    pub resources: Vec<String>,
    /// `categorySpecificSummary.deprecationDetails`: deprecated APIs called, and who called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deprecations: Vec<crate::apis::InsightDeprecation>,
}

/// Everything `kup check` reads from EKS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EksInfo {
    pub cluster: EksCluster,
    /// Every version EKS offers, oldest first; None when it could not be read (see
    /// `unavailable`), so nothing is judged on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionSupport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_groups: Option<Vec<NodeGroup>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insights: Option<Vec<Insight>>,
    /// Installed EKS add-ons (ListAddons + DescribeAddon); None when not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addons: Option<Vec<crate::addons::Addon>>,
    /// DescribeAddonVersions for the installed add-ons and the core components (kube-proxy,
    /// coredns, vpc-cni); what the report judges them by (not printed: it is long).
    #[serde(skip)]
    pub addon_versions: Vec<crate::addons::AddonVersions>,
    /// Calls that failed while DescribeCluster worked (`ListInsights: AccessDeniedException:
    /// ...`): an IAM policy or an endpoint without them; the rest of the section stands.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<String>,
}

impl EksInfo {
    pub fn version(&self, minor: &str) -> Option<&VersionSupport> {
        self.versions().iter().find(|v| v.version == minor)
    }

    pub fn versions(&self) -> &[VersionSupport] {
        self.versions.as_deref().unwrap_or_default()
    }

    pub fn node_groups(&self) -> &[NodeGroup] {
        self.node_groups.as_deref().unwrap_or_default()
    }

    pub fn insights(&self) -> &[Insight] {
        self.insights.as_deref().unwrap_or_default()
    }

    /// The versions EKS still supports (standard or extended), oldest first.
    pub fn offered(&self) -> Vec<&str> {
        self.versions()
            .iter()
            .filter(|v| v.status.as_deref() != Some("UNSUPPORTED"))
            .map(|v| v.version.as_str())
            .collect()
    }

    /// The node groups whose version is another minor than the cluster's.
    pub fn node_groups_off_cluster_minor(&self) -> impl Iterator<Item = &NodeGroup> {
        let cluster = crate::version::Version::parse(&self.cluster.version).ok();
        self.node_groups().iter().filter(move |g| {
            let v = g
                .version
                .as_deref()
                .and_then(|v| crate::version::Version::parse(v).ok());
            matches!((&v, &cluster), (Some(v), Some(c)) if v.minor_str() != c.minor_str())
        })
    }
}

/// A day as the reports print it, or `unknown`.
pub fn day_or_unknown(d: Option<Date>) -> String {
    d.map(|d| d.to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The EKS part of a report: read, or skipped with the reason (the rest of the report stands).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum EksSection {
    Read(Box<EksInfo>),
    Skipped { reason: String },
}

impl Default for EksSection {
    fn default() -> EksSection {
        EksSection::Skipped {
            reason: "not read".into(),
        }
    }
}

/// EKS writes taint effects in its own enum spelling.
pub fn taint_effect(eks: &str) -> String {
    match eks {
        "NO_SCHEDULE" => "NoSchedule".into(),
        "NO_EXECUTE" => "NoExecute".into(),
        "PREFER_NO_SCHEDULE" => "PreferNoSchedule".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(max: Option<i32>, pct: Option<i32>, desired: i32) -> NodeGroup {
        NodeGroup {
            name: "ng".into(),
            version: Some("1.24".into()),
            release_version: None,
            ami_type: None,
            status: "ACTIVE".into(),
            capacity_type: None,
            instance_types: vec![],
            min_size: Some(1),
            max_size: Some(10),
            desired_size: Some(desired),
            max_unavailable: max,
            max_unavailable_percentage: pct,
            labels: BTreeMap::new(),
            taints: vec![],
            health_issues: vec![],
        }
    }

    #[test]
    fn max_unavailable_as_eks_counts_it() {
        assert_eq!(group(Some(3), None, 10).max_unavailable_nodes(), 3);
        assert_eq!(group(None, Some(50), 10).max_unavailable_nodes(), 5);
        // A percentage never rounds down to zero nodes.
        assert_eq!(group(None, Some(10), 4).max_unavailable_nodes(), 1);
        assert_eq!(group(None, None, 4).max_unavailable_nodes(), 1);
        assert_eq!(group(Some(0), None, 4).max_unavailable_nodes(), 1);
    }

    #[test]
    fn eks_taint_effects_become_kubernetes_ones() {
        assert_eq!(taint_effect("NO_SCHEDULE"), "NoSchedule");
        assert_eq!(taint_effect("NO_EXECUTE"), "NoExecute");
        assert_eq!(taint_effect("PREFER_NO_SCHEDULE"), "PreferNoSchedule");
    }

    #[test]
    fn skipped_section_serialises_with_its_reason() {
        let s = EksSection::Skipped {
            reason: "no EKS cluster".into(),
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"status": "skipped", "reason": "no EKS cluster"})
        );
    }
}

/// One add-on version DescribeAddonVersions offers for a Kubernetes minor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddonVersionOffer {
    /// `v1.19.2-eksbuild.1`.
    pub version: String,
    /// EKS's default version for that minor.
    pub default: bool,
}
