//! The one Finding type every check produces, and the catalogue of stable codes.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable finding codes. Their strings are API (CI gates and docs refer to them): never
/// renumber or reuse one; add new codes at the end of their family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    SkewBehind,
    SkewBeyondPolicy,
    SkewNewerThanApiServer,
    SkewUpgradeBlocked,
    SkewMultiMinor,
    SkewTargetBelowControlPlane,
    SkewNodeGroupNotAtCluster,
    VersionUnparseable,
    PlaceUnschedulable,
    PlaceMissingToleration,
    PlaceMissingSelector,
    PlaceWildcardToleration,
    PlaceNoLongerFits,
    PlaceOtherPool,
    PlaceStranded,
    PlaceDaemonSetPool,
    PlacePolicy,
    EksVersionMismatch,
    EksStandardSupportEnding,
    EksExtendedSupport,
    EksUnsupported,
    EksTargetNotOffered,
    EksNodeGroupUnhealthy,
    EksInsight,
    KarpTooOld,
    KarpVersionUnknown,
    KarpPinnedAmi,
    KarpAl2Target,
    KarpBudgetNever,
    KarpHeld,
    KarpBadBudget,
    KarpBadNodeClass,
    KarpMissingNodeClass,
    KarpPinnedRelease,
    KarpAliasNoAmi,
    KarpTooNew,
    AddonIncompatible,
    AddonBehindDefault,
    AddonUnhealthy,
    AddonKubeProxySkew,
    EksAl2Target,
    ApiRemovedInHelm,
    ApiRemovedRequested,
    ApiRemovedCalled,
    ApiDeprecated,
    ApiHelmUnreadable,
    ApiSourceNotRead,
}

/// A code's family: the part of its id after `KUP-`. A command reports the families it is
/// about (`kup drift` skew and versions, `kup workloads` placement, `kup check` all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Skew,
    Version,
    Placement,
    Eks,
    Karpenter,
    Addon,
    /// Removed and deprecated Kubernetes APIs still in use.
    Apis,
}

impl Family {
    pub const ALL: [Family; 7] = [
        Family::Skew,
        Family::Version,
        Family::Placement,
        Family::Eks,
        Family::Karpenter,
        Family::Addon,
        Family::Apis,
    ];
}

/// One catalogue entry: everything a code means, in one place.
#[derive(Debug)]
pub struct CodeInfo {
    pub code: Code,
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub description: &'static str,
}

const CATALOGUE: &[CodeInfo] = &[
    CodeInfo {
        code: Code::SkewBehind,
        id: "KUP-SKEW-001",
        title: "kubelet behind the target",
        severity: Severity::Warning,
        description: "A node's kubelet is older than the target version but within the skew policy; replace the node to finish the upgrade.",
    },
    CodeInfo {
        code: Code::SkewBeyondPolicy,
        id: "KUP-SKEW-002",
        title: "kubelet beyond the skew policy",
        severity: Severity::Error,
        description: "A node's kubelet lags the target by more minors than the policy allows (3, or 2 for kubelets older than 1.25).",
    },
    CodeInfo {
        code: Code::SkewNewerThanApiServer,
        id: "KUP-SKEW-003",
        title: "kubelet newer than the API server",
        severity: Severity::Error,
        description: "A node's kubelet is a newer minor than the API server, which the skew policy never allows.",
    },
    CodeInfo {
        code: Code::SkewUpgradeBlocked,
        id: "KUP-SKEW-004",
        title: "control-plane upgrade blocked by nodes",
        severity: Severity::Error,
        description: "Moving the control plane to the target would put some kubelets outside the skew policy; replace those nodes first.",
    },
    CodeInfo {
        code: Code::SkewMultiMinor,
        id: "KUP-SKEW-005",
        title: "target more than one minor ahead",
        severity: Severity::Warning,
        description: "The control plane upgrades one minor at a time; the finding names the intermediate versions.",
    },
    CodeInfo {
        code: Code::SkewTargetBelowControlPlane,
        id: "KUP-SKEW-006",
        title: "target older than the control plane",
        severity: Severity::Error,
        description: "The target is an older minor than the control plane, which cannot be downgraded.",
    },
    CodeInfo {
        code: Code::SkewNodeGroupNotAtCluster,
        id: "KUP-SKEW-007",
        title: "managed node group not at the cluster version",
        severity: Severity::Error,
        description: "EKS refuses to upgrade the control plane while a managed node group runs a different minor than the cluster; update the node group first.",
    },
    CodeInfo {
        code: Code::VersionUnparseable,
        id: "KUP-VER-001",
        title: "unparseable version",
        severity: Severity::Error,
        description: "A node or the control plane reports a version kup cannot parse; it is left out of the skew checks.",
    },
    CodeInfo {
        code: Code::PlaceUnschedulable,
        id: "KUP-PLACE-001",
        title: "workload fits no pool and no node",
        severity: Severity::Error,
        description: "Its nodeSelector, node affinity and tolerations match no node pool and no existing node: its pods stay Pending.",
    },
    CodeInfo {
        code: Code::PlaceMissingToleration,
        id: "KUP-PLACE-002",
        title: "selects a pool without tolerating its taint",
        severity: Severity::Error,
        description: "It selects a tainted pool by its labels but lacks a toleration for the taint: Pending forever, or (warning) it lands on other nodes instead.",
    },
    CodeInfo {
        code: Code::PlaceMissingSelector,
        id: "KUP-PLACE-003",
        title: "tolerates a pool's taint without selecting it",
        severity: Severity::Warning,
        description: "It tolerates a tainted pool's taint but has no nodeSelector for it, so its pods may land on other nodes.",
    },
    CodeInfo {
        code: Code::PlaceWildcardToleration,
        id: "KUP-PLACE-004",
        title: "wildcard toleration",
        severity: Severity::Warning,
        description: "A toleration with operator Exists and no key tolerates every taint, including the one put on nodes being drained (DaemonSets are exempt).",
    },
    CodeInfo {
        code: Code::PlaceNoLongerFits,
        id: "KUP-PLACE-005",
        title: "pods run where the template no longer fits",
        severity: Severity::Warning,
        description: "Running pods sit on nodes their workload's current nodeSelector, affinity or tolerations no longer allow.",
    },
    CodeInfo {
        code: Code::PlaceOtherPool,
        id: "KUP-PLACE-006",
        title: "pods run on another pool",
        severity: Severity::Info,
        description: "Running pods sit on nodes of a pool the workload does not fit (e.g. old nodes); they move when those nodes are rotated.",
    },
    CodeInfo {
        code: Code::PlaceStranded,
        id: "KUP-PLACE-007",
        title: "rotation would strand the workload",
        severity: Severity::Error,
        description: "Only nodes behind the target fit it and no pool would launch a replacement: rotating them leaves its pods Pending.",
    },
    CodeInfo {
        code: Code::PlaceDaemonSetPool,
        id: "KUP-PLACE-008",
        title: "DaemonSet will not run on a pool",
        severity: Severity::Warning,
        description: "A DaemonSet does not tolerate a pool's taint (warning) or its selector excludes the pool (info).",
    },
    CodeInfo {
        code: Code::PlacePolicy,
        id: "KUP-PLACE-009",
        title: "placement policy violated",
        severity: Severity::Error,
        description: "A .kup.yaml policy says the namespace's workloads must land on a pool, and this one may not (or runs elsewhere).",
    },
    CodeInfo {
        code: Code::EksVersionMismatch,
        id: "KUP-EKS-001",
        title: "EKS and the API server disagree on the version",
        severity: Severity::Warning,
        description: "DescribeCluster reports another minor than the API server's /version (an update in progress, or the kubeconfig points at another cluster).",
    },
    CodeInfo {
        code: Code::EksStandardSupportEnding,
        id: "KUP-EKS-002",
        title: "standard support ends soon",
        severity: Severity::Warning,
        description: "The cluster's version leaves EKS standard support within 90 days; after that it runs in extended support, billed extra.",
    },
    CodeInfo {
        code: Code::EksExtendedSupport,
        id: "KUP-EKS-003",
        title: "version in extended support",
        severity: Severity::Warning,
        description: "The cluster's version is past the end of EKS standard support (extended support is billed extra, and ends too).",
    },
    CodeInfo {
        code: Code::EksUnsupported,
        id: "KUP-EKS-004",
        title: "version past the end of support",
        severity: Severity::Error,
        description: "The cluster's version is past the end of EKS extended support: EKS upgrades the control plane automatically.",
    },
    CodeInfo {
        code: Code::EksTargetNotOffered,
        id: "KUP-EKS-005",
        title: "target version not offered by EKS",
        severity: Severity::Error,
        description: "The --target minor is not among the versions DescribeClusterVersions lists (or is no longer supported).",
    },
    CodeInfo {
        code: Code::EksNodeGroupUnhealthy,
        id: "KUP-EKS-006",
        title: "managed node group not healthy",
        severity: Severity::Warning,
        description: "A managed node group is not ACTIVE or reports health issues; EKS may refuse or fail its update.",
    },
    CodeInfo {
        code: Code::EksInsight,
        id: "KUP-EKS-007",
        title: "EKS upgrade insight",
        severity: Severity::Warning,
        description: "An EKS upgrade-readiness insight is not passing: error for ERROR, warning for WARNING, info for UNKNOWN.",
    },
    CodeInfo {
        code: Code::KarpTooOld,
        id: "KUP-KARP-001",
        title: "Karpenter too old for the target",
        severity: Severity::Error,
        description: "The installed Karpenter does not support the target Kubernetes version (its compatibility matrix): after the control plane moves it may stop launching nodes. Upgrade Karpenter first.",
    },
    CodeInfo {
        code: Code::KarpVersionUnknown,
        id: "KUP-KARP-002",
        title: "Karpenter version unknown",
        severity: Severity::Warning,
        description: "NodePools exist but kup found no `karpenter` Deployment with a readable version (or a release newer than its table), so it cannot tell whether Karpenter supports the target.",
    },
    CodeInfo {
        code: Code::KarpPinnedAmi,
        id: "KUP-KARP-003",
        title: "pinned AMI: nodes will not follow",
        severity: Severity::Warning,
        description: "The NodePool's EC2NodeClass selects its AMI by id, name, tags or SSM parameter: Karpenter never drifts these nodes, and a replaced node comes back on the same AMI and kubelet. Error when they would fall outside the skew policy at the target.",
    },
    CodeInfo {
        code: Code::KarpAl2Target,
        id: "KUP-KARP-004",
        title: "AL2 NodeClass at 1.33 or later",
        severity: Severity::Error,
        description: "No EKS-optimized Amazon Linux 2 AMIs exist for Kubernetes 1.33 and later: move the EC2NodeClass to al2023 or bottlerocket before the upgrade.",
    },
    CodeInfo {
        code: Code::KarpBudgetNever,
        id: "KUP-KARP-005",
        title: "budget never allows drift",
        severity: Severity::Warning,
        description: "A disruption budget of 0 with no schedule applies to Drifted: Karpenter will never replace drifted nodes of this NodePool.",
    },
    CodeInfo {
        code: Code::KarpHeld,
        id: "KUP-KARP-006",
        title: "pods hold drifted nodes",
        severity: Severity::Warning,
        description: "Pods with karpenter.sh/do-not-disrupt or PDBs allowing 0 disruptions hold nodes Karpenter must drift, until the NodePool's terminationGracePeriod (if any) runs out.",
    },
    CodeInfo {
        code: Code::KarpBadBudget,
        id: "KUP-KARP-007",
        title: "invalid disruption budget",
        severity: Severity::Error,
        description: "A budget's nodes, schedule (5-field UTC cron) or duration cannot be read; Karpenter fails closed and disrupts nothing in this NodePool.",
    },
    CodeInfo {
        code: Code::KarpBadNodeClass,
        id: "KUP-KARP-008",
        title: "invalid AMI selection",
        severity: Severity::Error,
        description: "The EC2NodeClass's amiSelectorTerms cannot be resolved (unknown alias family, malformed alias, no terms).",
    },
    CodeInfo {
        code: Code::KarpMissingNodeClass,
        id: "KUP-KARP-009",
        title: "NodePool names a missing EC2NodeClass",
        severity: Severity::Error,
        description: "The NodePool's nodeClassRef names an EC2NodeClass that does not exist: Karpenter cannot launch its nodes.",
    },
    CodeInfo {
        code: Code::KarpPinnedRelease,
        id: "KUP-KARP-010",
        title: "alias pinned to a release",
        severity: Severity::Info,
        description: "The EC2NodeClass's alias names a release (al2023@v20250505): its nodes drift to the target only if that release is published for the target minor.",
    },
    CodeInfo {
        code: Code::KarpAliasNoAmi,
        id: "KUP-KARP-011",
        title: "alias finds no AMI at the target",
        severity: Severity::Error,
        description: "SSM has none of the EKS optimized-AMI parameters Karpenter resolves the EC2NodeClass's alias by at the target minor (a pinned release not published for it): Karpenter cannot launch nodes after the upgrade.",
    },
    CodeInfo {
        code: Code::KarpTooNew,
        id: "KUP-KARP-012",
        title: "Karpenter too new for the target",
        severity: Severity::Error,
        description: "The installed Karpenter needs a newer Kubernetes than the target (its compatibility matrix's minimum): it may refuse to run against that control plane.",
    },
    CodeInfo {
        code: Code::AddonIncompatible,
        id: "KUP-ADDON-001",
        title: "add-on not compatible with the target",
        severity: Severity::Error,
        description: "DescribeAddonVersions does not list the installed version of an EKS add-on (or of coredns / aws-node running without one, by image tag) for the target Kubernetes version; update it to a version compatible with both before the control plane moves.",
    },
    CodeInfo {
        code: Code::AddonBehindDefault,
        id: "KUP-ADDON-002",
        title: "add-on behind the target's default",
        severity: Severity::Warning,
        description: "The add-on works at the target but is older than EKS's default version for it; kube-proxy is updated to the target's minor after the control plane.",
    },
    CodeInfo {
        code: Code::AddonUnhealthy,
        id: "KUP-ADDON-003",
        title: "add-on not healthy",
        severity: Severity::Warning,
        description: "An EKS add-on is not ACTIVE (DEGRADED, UPDATE_FAILED, ...) or reports health issues; its update may fail or hide a broken component.",
    },
    CodeInfo {
        code: Code::AddonKubeProxySkew,
        id: "KUP-ADDON-004",
        title: "kube-proxy outside the skew policy",
        severity: Severity::Error,
        description: "kube-proxy must not be newer than the API server and may lag it (and the kubelets beside it) by at most 3 minors (2 below 1.25); judged at the target.",
    },
    CodeInfo {
        code: Code::EksAl2Target,
        id: "KUP-EKS-008",
        title: "Amazon Linux 2 nodes at 1.33 or later",
        severity: Severity::Error,
        description: "No EKS-optimized Amazon Linux 2 AMIs exist for Kubernetes 1.33 and later: move the managed node group (AL2_* AMI type) or the nodes running Amazon Linux 2 to AL2023 before the upgrade.",
    },
    CodeInfo {
        code: Code::ApiRemovedInHelm,
        id: "KUP-API-001",
        title: "Helm release renders a removed API",
        severity: Severity::Error,
        description: "The deployed revision of a Helm release has objects at an API version the target no longer serves: its next `helm upgrade` fails after the control-plane upgrade.",
    },
    CodeInfo {
        code: Code::ApiRemovedRequested,
        id: "KUP-API-002",
        title: "removed API still requested",
        severity: Severity::Error,
        description: "The API server's apiserver_requested_deprecated_apis gauge says a client requested an API version the target no longer serves (since that server process started).",
    },
    CodeInfo {
        code: Code::ApiRemovedCalled,
        id: "KUP-API-003",
        title: "removed API still called (EKS insights)",
        severity: Severity::Error,
        description: "EKS upgrade insights saw calls in the last 30 days to an API version the target no longer serves; the finding names the callers (user agent, requests, last request).",
    },
    CodeInfo {
        code: Code::ApiDeprecated,
        id: "KUP-API-004",
        title: "deprecated API still in use",
        severity: Severity::Info,
        description: "A Helm release, the API server's gauge or EKS insights show use of a deprecated API version that the target still serves; move before the release that removes it.",
    },
    CodeInfo {
        code: Code::ApiHelmUnreadable,
        id: "KUP-API-005",
        title: "Helm release secret unreadable",
        severity: Severity::Warning,
        description: "A helm.sh/release.v1 Secret is not base64, not gzip, not JSON, or its manifest is not YAML: its APIs were not judged.",
    },
    CodeInfo {
        code: Code::ApiSourceNotRead,
        id: "KUP-API-006",
        title: "removed-API source not read",
        severity: Severity::Info,
        description: "kup could not read one source of API usage (the API server's /metrics or the Helm release Secrets, e.g. RBAC 403); removed APIs it would show are not judged.",
    },
];

/// Every code, in catalogue order (the README table is generated from this).
pub fn catalogue() -> &'static [CodeInfo] {
    CATALOGUE
}

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        // The catalogue is in declaration order (a test checks it), so the discriminant indexes it.
        &CATALOGUE[self as usize]
    }
    pub fn as_str(self) -> &'static str {
        self.info().id
    }
    pub fn title(self) -> &'static str {
        self.info().title
    }
    pub fn default_severity(self) -> Severity {
        self.info().severity
    }
    pub fn description(self) -> &'static str {
        self.info().description
    }
    pub fn family(self) -> Family {
        match self.as_str().split('-').nth(1) {
            Some("SKEW") => Family::Skew,
            Some("VER") => Family::Version,
            Some("PLACE") => Family::Placement,
            Some("KARP") => Family::Karpenter,
            Some("ADDON") => Family::Addon,
            Some("API") => Family::Apis,
            _ => Family::Eks,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Codes read from configuration (`.kup.yaml`) by their string, e.g. `KUP-PLACE-003`.
impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown finding code {0:?} (see the table of codes in the README)")]
pub struct UnknownCode(pub String);

impl std::str::FromStr for Code {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CATALOGUE
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(s.trim()))
            .map(|c| c.code)
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// What the finding is about, kubectl-style: `node/NAME`, `controlplane`, `deployment/NS/NAME`.
    pub subject: String,
    pub message: String,
    /// What to do about it, concretely.
    pub remedy: String,
}

impl Finding {
    /// A finding at its code's default severity.
    pub fn new(
        code: Code,
        subject: impl Into<String>,
        message: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            subject: subject.into(),
            message: message.into(),
            remedy: remedy.into(),
        }
    }
}

/// The threshold for a failing exit code (`--fail-on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Never,
}

/// True when some finding is at or above the `--fail-on` threshold (exit code 1).
pub fn exceeds(findings: &[Finding], fail_on: FailOn) -> bool {
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Never => return false,
    };
    findings.iter().any(|f| f.severity >= threshold)
}

/// Sorts findings the way every report shows them: errors first, then by code and subject.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.code.as_str().cmp(b.code.as_str()))
            .then_with(|| a.subject.cmp(&b.subject))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_is_in_declaration_order_and_ids_are_unique() {
        let mut ids = HashSet::new();
        for (i, c) in catalogue().iter().enumerate() {
            assert_eq!(c.code as usize, i, "{} out of order", c.id);
            assert!(ids.insert(c.id), "duplicate {}", c.id);
            assert!(c.id.starts_with("KUP-"), "{}", c.id);
            assert!(!c.description.contains('\n'));
            assert_eq!(c.code.info().id, c.id);
        }
    }

    #[test]
    fn codes_round_trip_through_strings() {
        for c in catalogue() {
            assert_eq!(c.id.parse::<Code>(), Ok(c.code));
        }
        assert_eq!("kup-skew-001".parse::<Code>(), Ok(Code::SkewBehind));
        assert!("KUP-NOPE-001".parse::<Code>().is_err());
    }

    #[test]
    fn finding_serialises_code_as_its_string_and_severity_lowercase() {
        let f = Finding::new(Code::SkewBeyondPolicy, "node/a", "m", "r");
        let json = serde_json::to_value(&f).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"code": "KUP-SKEW-002", "severity": "error",
                "subject": "node/a", "message": "m", "remedy": "r"})
        );
    }

    #[test]
    fn severity_orders_info_warning_error() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
    }

    #[test]
    fn fail_on_thresholds() {
        let warn = [Finding::new(Code::SkewBehind, "node/a", "", "")];
        let err = [Finding::new(Code::SkewBeyondPolicy, "node/a", "", "")];
        let info = [Finding {
            severity: Severity::Info,
            ..Finding::new(Code::SkewBehind, "node/a", "", "")
        }];
        assert!(!exceeds(&[], FailOn::Warning));
        assert!(!exceeds(&warn, FailOn::Error));
        assert!(exceeds(&warn, FailOn::Warning));
        assert!(exceeds(&err, FailOn::Error));
        assert!(exceeds(&err, FailOn::Warning));
        assert!(!exceeds(&err, FailOn::Never));
        assert!(!exceeds(&info, FailOn::Warning));
    }
}
