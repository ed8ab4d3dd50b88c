//! The removal table: every built-in API version the Kubernetes deprecation guide lists as
//! removed from 1.16 through 1.32, the later removals of the kubernetes/api lifecycle data
//! (1.33–1.36 and the scheduled ones), and the judge of one API against a target version.
//! Sources and caveats: docs/research/upgrade-facts.md §6.

use crate::version::Version;
use serde::Serialize;

/// Where a row comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RowSource {
    /// The "Removed APIs by release" sections of the deprecation guide.
    Guide,
    /// kubernetes/api `zz_generated.prerelease-lifecycle.go` (`APILifecycleDeprecated`,
    /// `APILifecycleRemoved`): betas off by default since 1.24 and alphas, which the guide
    /// does not list, or a deprecation with no removal scheduled.
    Lifecycle,
}

/// One API version of one kind. Versions are Kubernetes 1.x minors.
#[derive(Debug, PartialEq, Eq)]
pub struct Removal {
    /// "" for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// The REST resource (what `apiserver_requested_deprecated_apis` names).
    pub resource: &'static str,
    /// The minor it was deprecated in.
    pub deprecated: u32,
    /// The minor that no longer serves it; None when no removal is scheduled.
    pub removed: Option<u32>,
    /// What to use instead (`apps/v1`), or what replaces the feature.
    pub replacement: &'static str,
    pub source: RowSource,
}

impl Removal {
    /// `apps/v1beta1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// What the target does with an API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Not served at the target (removed at or before it).
    Removed,
    /// Deprecated at or before the target, still served by it.
    Deprecated,
}

/// A row and what it means at a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub row: &'static Removal,
    pub verdict: Verdict,
}

/// Judges the API a manifest names (`apiVersion`, `kind`) against the target; None when the
/// table does not know it or it is not deprecated yet at the target.
pub fn judge_kind(api_version: &str, kind: &str, target: &Version) -> Option<Judgement> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let row = REMOVALS
        .iter()
        .find(|r| r.group == group && r.version == version && r.kind == kind)?;
    judge(row, target)
}

/// Judges a REST resource (`group`, `version`, `resource`, as the metric and EKS name it).
pub fn judge_resource(
    group: &str,
    version: &str,
    resource: &str,
    target: &Version,
) -> Option<Judgement> {
    let row = find_resource(group, version, resource)?;
    judge(row, target)
}

/// The row of a REST resource, whatever the target.
pub fn find_resource(group: &str, version: &str, resource: &str) -> Option<&'static Removal> {
    REMOVALS
        .iter()
        .find(|r| r.group == group && r.version == version && r.resource == resource)
}

fn judge(row: &'static Removal, target: &Version) -> Option<Judgement> {
    // Every row is a 1.x API; a target 2.x (none exists) would have removed them all.
    let minor = if target.major > 1 {
        u32::MAX
    } else {
        target.minor
    };
    let verdict = match row.removed {
        Some(removed) if minor >= removed => Verdict::Removed,
        _ if minor >= row.deprecated => Verdict::Deprecated,
        _ => return None,
    };
    Some(Judgement { row, verdict })
}

/// Every row. Rows with `RowSource::Guide` are the guide's; the `deprecated` minors of those
/// come from the lifecycle data where it has the type (and from the API server's own warning,
/// `... is deprecated in v1.16+`, for CustomResourceDefinition and APIService, whose types live
/// outside kubernetes/api).
#[rustfmt::skip]
pub static REMOVALS: &[Removal] = &[
    // 1.16
    row("extensions", "v1beta1", "NetworkPolicy", "networkpolicies", 9, Some(16), "networking.k8s.io/v1", RowSource::Guide),
    row("extensions", "v1beta1", "DaemonSet", "daemonsets", 8, Some(16), "apps/v1", RowSource::Guide),
    row("apps", "v1beta2", "DaemonSet", "daemonsets", 9, Some(16), "apps/v1", RowSource::Guide),
    row("extensions", "v1beta1", "Deployment", "deployments", 8, Some(16), "apps/v1", RowSource::Guide),
    row("apps", "v1beta1", "Deployment", "deployments", 8, Some(16), "apps/v1", RowSource::Guide),
    row("apps", "v1beta2", "Deployment", "deployments", 9, Some(16), "apps/v1", RowSource::Guide),
    row("apps", "v1beta1", "StatefulSet", "statefulsets", 8, Some(16), "apps/v1", RowSource::Guide),
    row("apps", "v1beta2", "StatefulSet", "statefulsets", 9, Some(16), "apps/v1", RowSource::Guide),
    row("extensions", "v1beta1", "ReplicaSet", "replicasets", 8, Some(16), "apps/v1", RowSource::Guide),
    row("apps", "v1beta1", "ReplicaSet", "replicasets", 8, Some(16), "apps/v1", RowSource::Guide),
    row("apps", "v1beta2", "ReplicaSet", "replicasets", 9, Some(16), "apps/v1", RowSource::Guide),
    row("extensions", "v1beta1", "PodSecurityPolicy", "podsecuritypolicies", 11, Some(16), "policy/v1beta1 (itself removed in 1.25: Pod Security Admission)", RowSource::Guide),
    // 1.22
    row("admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", 16, Some(22), "admissionregistration.k8s.io/v1", RowSource::Guide),
    row("admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", 16, Some(22), "admissionregistration.k8s.io/v1", RowSource::Guide),
    row("apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition", "customresourcedefinitions", 16, Some(22), "apiextensions.k8s.io/v1", RowSource::Guide),
    row("apiregistration.k8s.io", "v1beta1", "APIService", "apiservices", 19, Some(22), "apiregistration.k8s.io/v1", RowSource::Guide),
    row("authentication.k8s.io", "v1beta1", "TokenReview", "tokenreviews", 19, Some(22), "authentication.k8s.io/v1", RowSource::Guide),
    row("authorization.k8s.io", "v1beta1", "LocalSubjectAccessReview", "localsubjectaccessreviews", 19, Some(22), "authorization.k8s.io/v1", RowSource::Guide),
    row("authorization.k8s.io", "v1beta1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", 19, Some(22), "authorization.k8s.io/v1", RowSource::Guide),
    row("authorization.k8s.io", "v1beta1", "SubjectAccessReview", "subjectaccessreviews", 19, Some(22), "authorization.k8s.io/v1", RowSource::Guide),
    row("authorization.k8s.io", "v1beta1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", 19, Some(22), "authorization.k8s.io/v1", RowSource::Guide),
    row("certificates.k8s.io", "v1beta1", "CertificateSigningRequest", "certificatesigningrequests", 19, Some(22), "certificates.k8s.io/v1", RowSource::Guide),
    row("coordination.k8s.io", "v1beta1", "Lease", "leases", 19, Some(22), "coordination.k8s.io/v1", RowSource::Guide),
    row("extensions", "v1beta1", "Ingress", "ingresses", 14, Some(22), "networking.k8s.io/v1", RowSource::Guide),
    row("networking.k8s.io", "v1beta1", "Ingress", "ingresses", 19, Some(22), "networking.k8s.io/v1", RowSource::Guide),
    row("networking.k8s.io", "v1beta1", "IngressClass", "ingressclasses", 19, Some(22), "networking.k8s.io/v1", RowSource::Guide),
    row("rbac.authorization.k8s.io", "v1beta1", "ClusterRole", "clusterroles", 17, Some(22), "rbac.authorization.k8s.io/v1", RowSource::Guide),
    row("rbac.authorization.k8s.io", "v1beta1", "ClusterRoleBinding", "clusterrolebindings", 17, Some(22), "rbac.authorization.k8s.io/v1", RowSource::Guide),
    row("rbac.authorization.k8s.io", "v1beta1", "Role", "roles", 17, Some(22), "rbac.authorization.k8s.io/v1", RowSource::Guide),
    row("rbac.authorization.k8s.io", "v1beta1", "RoleBinding", "rolebindings", 17, Some(22), "rbac.authorization.k8s.io/v1", RowSource::Guide),
    row("scheduling.k8s.io", "v1beta1", "PriorityClass", "priorityclasses", 14, Some(22), "scheduling.k8s.io/v1", RowSource::Guide),
    row("storage.k8s.io", "v1beta1", "CSIDriver", "csidrivers", 19, Some(22), "storage.k8s.io/v1", RowSource::Guide),
    row("storage.k8s.io", "v1beta1", "CSINode", "csinodes", 17, Some(22), "storage.k8s.io/v1", RowSource::Guide),
    row("storage.k8s.io", "v1beta1", "StorageClass", "storageclasses", 19, Some(22), "storage.k8s.io/v1", RowSource::Guide),
    row("storage.k8s.io", "v1beta1", "VolumeAttachment", "volumeattachments", 19, Some(22), "storage.k8s.io/v1", RowSource::Guide),
    // 1.25
    row("batch", "v1beta1", "CronJob", "cronjobs", 21, Some(25), "batch/v1", RowSource::Guide),
    row("discovery.k8s.io", "v1beta1", "EndpointSlice", "endpointslices", 21, Some(25), "discovery.k8s.io/v1", RowSource::Guide),
    row("events.k8s.io", "v1beta1", "Event", "events", 22, Some(25), "events.k8s.io/v1", RowSource::Guide),
    row("autoscaling", "v2beta1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", 22, Some(25), "autoscaling/v2", RowSource::Guide),
    row("policy", "v1beta1", "PodDisruptionBudget", "poddisruptionbudgets", 21, Some(25), "policy/v1 (an empty selector now selects every pod)", RowSource::Guide),
    row("policy", "v1beta1", "PodSecurityPolicy", "podsecuritypolicies", 21, Some(25), "none: Pod Security Admission or an admission webhook", RowSource::Guide),
    row("node.k8s.io", "v1beta1", "RuntimeClass", "runtimeclasses", 22, Some(25), "node.k8s.io/v1", RowSource::Guide),
    // 1.26
    row("flowcontrol.apiserver.k8s.io", "v1beta1", "FlowSchema", "flowschemas", 23, Some(26), "flowcontrol.apiserver.k8s.io/v1", RowSource::Guide),
    row("flowcontrol.apiserver.k8s.io", "v1beta1", "PriorityLevelConfiguration", "prioritylevelconfigurations", 23, Some(26), "flowcontrol.apiserver.k8s.io/v1", RowSource::Guide),
    row("autoscaling", "v2beta2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", 23, Some(26), "autoscaling/v2", RowSource::Guide),
    // 1.27
    row("storage.k8s.io", "v1beta1", "CSIStorageCapacity", "csistoragecapacities", 24, Some(27), "storage.k8s.io/v1", RowSource::Guide),
    // 1.29
    row("flowcontrol.apiserver.k8s.io", "v1beta2", "FlowSchema", "flowschemas", 26, Some(29), "flowcontrol.apiserver.k8s.io/v1", RowSource::Guide),
    row("flowcontrol.apiserver.k8s.io", "v1beta2", "PriorityLevelConfiguration", "prioritylevelconfigurations", 26, Some(29), "flowcontrol.apiserver.k8s.io/v1", RowSource::Guide),
    // 1.32
    row("flowcontrol.apiserver.k8s.io", "v1beta3", "FlowSchema", "flowschemas", 29, Some(32), "flowcontrol.apiserver.k8s.io/v1", RowSource::Guide),
    row("flowcontrol.apiserver.k8s.io", "v1beta3", "PriorityLevelConfiguration", "prioritylevelconfigurations", 29, Some(32), "flowcontrol.apiserver.k8s.io/v1", RowSource::Guide),
    // 1.33 – 1.36: the guide names no removal; these are off-by-default betas and alphas.
    row("authentication.k8s.io", "v1beta1", "SelfSubjectReview", "selfsubjectreviews", 30, Some(33), "authentication.k8s.io/v1", RowSource::Lifecycle),
    row("admissionregistration.k8s.io", "v1beta1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", 31, Some(34), "admissionregistration.k8s.io/v1", RowSource::Lifecycle),
    row("admissionregistration.k8s.io", "v1beta1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", 31, Some(34), "admissionregistration.k8s.io/v1", RowSource::Lifecycle),
    row("storage.k8s.io", "v1alpha1", "VolumeAttributesClass", "volumeattributesclasses", 32, Some(35), "storage.k8s.io/v1", RowSource::Lifecycle),
    row("storagemigration.k8s.io", "v1alpha1", "StorageVersionMigration", "storageversionmigrations", 33, Some(36), "none named", RowSource::Lifecycle),
    // Deprecated, removed after 1.36 or never scheduled.
    row("certificates.k8s.io", "v1alpha1", "ClusterTrustBundle", "clustertrustbundles", 34, Some(37), "none named", RowSource::Lifecycle),
    row("networking.k8s.io", "v1beta1", "IPAddress", "ipaddresses", 34, Some(37), "networking.k8s.io/v1", RowSource::Lifecycle),
    row("networking.k8s.io", "v1beta1", "ServiceCIDR", "servicecidrs", 34, Some(37), "networking.k8s.io/v1", RowSource::Lifecycle),
    row("storage.k8s.io", "v1beta1", "VolumeAttributesClass", "volumeattributesclasses", 34, Some(37), "storage.k8s.io/v1", RowSource::Lifecycle),
    row("", "v1", "Endpoints", "endpoints", 33, None, "discovery.k8s.io/v1 EndpointSlice", RowSource::Lifecycle),
    row("", "v1", "ComponentStatus", "componentstatuses", 19, None, "none: query the components' health endpoints", RowSource::Lifecycle),
];

#[allow(clippy::too_many_arguments)]
const fn row(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    resource: &'static str,
    deprecated: u32,
    removed: Option<u32>,
    replacement: &'static str,
    source: RowSource,
) -> Removal {
    Removal {
        group,
        version,
        kind,
        resource,
        deprecated,
        removed,
        replacement,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u32) -> Version {
        Version::new(1, minor, None)
    }

    #[test]
    fn every_row_is_removed_at_its_release_deprecated_before_and_unknown_earlier() {
        for r in REMOVALS {
            let at = |m: u32| judge_kind(&r.api_version(), r.kind, &v(m)).map(|j| j.verdict);
            let by_resource =
                |m: u32| judge_resource(r.group, r.version, r.resource, &v(m)).map(|j| j.verdict);
            let name = format!("{} {}", r.api_version(), r.kind);
            if let Some(removed) = r.removed {
                assert!(r.deprecated < removed, "{name}: deprecated before removed");
                assert_eq!(at(removed), Some(Verdict::Removed), "{name} at 1.{removed}");
                assert_eq!(at(removed + 3), Some(Verdict::Removed), "{name} later");
                assert_eq!(by_resource(removed), Some(Verdict::Removed), "{name}");
                assert_eq!(at(removed - 1), Some(Verdict::Deprecated), "{name} before");
            } else {
                assert_eq!(at(40), Some(Verdict::Deprecated), "{name} stays served");
            }
            assert_eq!(
                at(r.deprecated),
                Some(Verdict::Deprecated),
                "{name} deprecated"
            );
            assert_eq!(at(r.deprecated - 1), None, "{name} before its deprecation");
            assert!(!r.replacement.is_empty(), "{name}");
            let judged = judge_kind(&r.api_version(), r.kind, &v(r.deprecated));
            assert_eq!(judged.map(|j| j.row), Some(r), "{name} finds its own row");
        }
    }

    #[test]
    fn rows_are_unique_by_kind_and_by_resource() {
        for (i, a) in REMOVALS.iter().enumerate() {
            for b in &REMOVALS[i + 1..] {
                let same_gv = a.group == b.group && a.version == b.version;
                assert!(
                    !(same_gv && a.kind == b.kind),
                    "{} {}",
                    a.api_version(),
                    a.kind
                );
                assert!(!(same_gv && a.resource == b.resource), "{}", a.resource);
            }
        }
    }

    #[test]
    fn the_guides_removals_by_release() {
        let removed_in = |m: u32| -> Vec<String> {
            REMOVALS
                .iter()
                .filter(|r| r.source == RowSource::Guide && r.removed == Some(m))
                .map(|r| format!("{} {}", r.api_version(), r.kind))
                .collect()
        };
        assert_eq!(removed_in(16).len(), 12);
        assert_eq!(removed_in(22).len(), 23);
        assert_eq!(removed_in(25).len(), 7);
        assert_eq!(removed_in(26).len(), 3);
        assert_eq!(
            removed_in(27),
            ["storage.k8s.io/v1beta1 CSIStorageCapacity"]
        );
        assert_eq!(removed_in(29).len(), 2);
        assert_eq!(removed_in(32).len(), 2);
        // The guide has no section for these releases: nothing generally served was removed.
        for m in [17, 18, 19, 20, 21, 23, 24, 28, 30, 31, 33, 34, 35, 36] {
            assert_eq!(removed_in(m), Vec::<String>::new(), "1.{m}");
        }
        // What 1.33–1.36 removed were betas off by default and alphas (lifecycle data).
        let late: Vec<&str> = REMOVALS
            .iter()
            .filter(|r| r.removed.is_some_and(|m| (33..=36).contains(&m)))
            .map(|r| r.kind)
            .collect();
        assert_eq!(
            late,
            [
                "SelfSubjectReview",
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
                "VolumeAttributesClass",
                "StorageVersionMigration"
            ]
        );
    }

    #[test]
    fn unknown_and_current_apis_are_not_judged() {
        assert_eq!(judge_kind("apps/v1", "Deployment", &v(36)), None);
        assert_eq!(judge_kind("karpenter.sh/v1beta1", "NodePool", &v(36)), None);
        assert_eq!(judge_resource("", "v1", "pods", &v(36)), None);
        // The core group has no prefix.
        let cs = judge_kind("v1", "ComponentStatus", &v(30)).map(|j| j.verdict);
        assert_eq!(cs, Some(Verdict::Deprecated));
    }

    #[test]
    fn a_target_judges_each_row_alone() {
        let t = v(25);
        let verdict = |av: &str, k: &str| judge_kind(av, k, &t).map(|j| j.verdict);
        assert_eq!(verdict("batch/v1beta1", "CronJob"), Some(Verdict::Removed));
        assert_eq!(
            verdict("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
            Some(Verdict::Deprecated)
        );
        assert_eq!(
            verdict("storage.k8s.io/v1beta1", "CSIStorageCapacity"),
            Some(Verdict::Deprecated)
        );
        assert_eq!(
            verdict("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
            None
        );
    }
}
