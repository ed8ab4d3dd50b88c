//! Add-on findings: EKS add-ons (DescribeAddon) and the core components running without one
//! (their image tags) against the versions DescribeAddonVersions lists for the target; kube-proxy
//! against the skew policy. Pure.

use crate::addons::{Addon, AddonVerdict, AddonVersions, CoreComponent, judge, numeric};
use crate::checks::finding::{Code, Finding};
use crate::eks::EksSection;
use crate::model::Snapshot;
use crate::version::Version;

/// One row of the report's add-on table: an EKS add-on or a core component without one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddonRow {
    pub name: String,
    /// `addon/NAME`, or the workload (`daemonset/kube-system/kube-proxy`) when self-managed.
    pub subject: String,
    /// True for an EKS add-on, false for a component running without one.
    pub managed: bool,
    /// Installed version (self-managed: the image tag); None when the tag cannot be read.
    pub version: Option<String>,
    /// EKS add-on status (self-managed: None).
    pub status: Option<String>,
    pub health_issues: Vec<String>,
    /// EKS's default version for the target, when listed.
    pub target_default: Option<String>,
    #[serde(flatten)]
    pub verdict: AddonVerdict,
}

/// The add-on rows of a snapshot against the target (empty when neither EKS add-ons nor core
/// components were read).
pub fn addon_rows(snapshot: &Snapshot, target: &Version) -> Vec<AddonRow> {
    let (addons, lists): (&[Addon], &[AddonVersions]) = match &snapshot.eks {
        EksSection::Read(info) => (
            info.addons.as_deref().unwrap_or_default(),
            &info.addon_versions,
        ),
        EksSection::Skipped { .. } => (&[], &[]),
    };
    let list = |name: &str| lists.iter().find(|l| l.name == name);
    let default = |name: &str| {
        list(name)
            .and_then(|l| l.default_for(&target.minor_str()))
            .map(str::to_string)
    };
    let mut rows: Vec<AddonRow> = addons
        .iter()
        .map(|a| AddonRow {
            name: a.name.clone(),
            subject: format!("addon/{}", a.name),
            managed: true,
            version: Some(a.version.clone()),
            status: Some(a.status.clone()),
            health_issues: a.health_issues.clone(),
            target_default: default(&a.name),
            verdict: judge(&a.name, &a.version, target, list(&a.name)),
        })
        .collect();
    // Components an EKS add-on manages are judged as the add-on. Without the add-on list (EKS
    // not read) each is judged by its image, kube-proxy by the skew policy alone.
    let managed = |c: &CoreComponent| addons.iter().any(|a| a.name == c.addon);
    for c in snapshot.core_components.iter().filter(|c| !managed(c)) {
        let tag = c.tag().map(str::to_string);
        let verdict = match &tag {
            Some(t) if numeric(t).is_some() => judge(&c.addon, t, target, list(&c.addon)),
            _ => AddonVerdict::Unknown,
        };
        rows.push(AddonRow {
            name: c.addon.clone(),
            subject: c.subject.clone(),
            managed: false,
            version: tag,
            status: None,
            health_issues: Vec::new(),
            target_default: default(&c.addon),
            verdict,
        });
    }
    rows
}

pub fn addon_findings(snapshot: &Snapshot, target: &Version) -> Vec<Finding> {
    let cluster = match &snapshot.eks {
        EksSection::Read(info) => info.cluster.name.clone(),
        EksSection::Skipped { .. } => snapshot
            .control_plane
            .cluster_name
            .clone()
            .unwrap_or_else(|| "CLUSTER".into()),
    };
    let t = target.minor_str();
    let (addons_read, lists) = match &snapshot.eks {
        EksSection::Read(info) => (info.addons.is_some(), info.addon_versions.as_slice()),
        EksSection::Skipped { .. } => (false, &[][..]),
    };
    let current = snapshot.control_plane.version().map(Version::minor_str);
    let mut out = Vec::new();
    for row in addon_rows(snapshot, target) {
        let name = &row.name;
        let installed = row.version.as_deref().unwrap_or("unknown");
        let how = if row.managed {
            format!("EKS add-on {name} {installed}")
        } else if addons_read {
            format!("{name} {installed} (no EKS add-on; image tag)")
        } else {
            format!("{name} {installed} (image tag; EKS add-ons not read)")
        };
        let update = |to: &str| {
            if row.managed {
                format!(
                    "aws eks update-addon --cluster-name {cluster} --addon-name {name} \
                     --addon-version {to}"
                )
            } else {
                format!(
                    "update {} to {to} (or install the EKS add-on {name}: `aws eks create-addon \
                     --cluster-name {cluster} --addon-name {name} --addon-version {to}`)",
                    row.subject
                )
            }
        };
        match &row.verdict {
            AddonVerdict::Incompatible { default } => {
                let bridge = current.as_deref().and_then(|c| {
                    lists
                        .iter()
                        .find(|l| l.name == *name)
                        .and_then(|l| l.bridge(c, &t))
                });
                let remedy = match (bridge, current.as_deref()) {
                    (Some(b), Some(c)) => format!(
                        "before upgrading the control plane, move it to {b} (listed for {c} and {t}): {}",
                        update(b)
                    ),
                    _ => format!(
                        "before upgrading the control plane, move it to a version DescribeAddonVersions \
                         lists for both the current version and {t}: {}",
                        update(default.as_deref().unwrap_or("VERSION"))
                    ),
                };
                out.push(Finding::new(
                    Code::AddonIncompatible,
                    row.subject.clone(),
                    format!(
                        "{how} is not compatible with Kubernetes {t}; EKS's default for {t} is {}",
                        default.as_deref().unwrap_or("not listed")
                    ),
                    remedy,
                ))
            }
            AddonVerdict::Behind { default } => out.push(Finding::new(
                Code::AddonBehindDefault,
                row.subject.clone(),
                format!("{how} is behind EKS's default for {t}, {default}"),
                if name == "kube-proxy" {
                    format!(
                        "after the control plane reaches {t}: {}",
                        update(default)
                    )
                } else {
                    update(default)
                },
            )),
            AddonVerdict::KubeProxyTooNew => out.push(Finding::new(
                Code::AddonKubeProxySkew,
                row.subject.clone(),
                format!("{how} is newer than the target {t}; kube-proxy must not be newer than the API server"),
                format!(
                    "run kube-proxy at {t} or older: {}",
                    update(row.target_default.as_deref().unwrap_or(&format!("v{t}.x")))
                ),
            )),
            AddonVerdict::KubeProxyTooOld { max_lag } => out.push(Finding::new(
                Code::AddonKubeProxySkew,
                row.subject.clone(),
                format!(
                    "{how} would lag the API server at {t} by more than {max_lag} minors"
                ),
                format!(
                    "update kube-proxy one minor at a time before the control plane moves: {}",
                    update("VERSION")
                ),
            )),
            AddonVerdict::Current | AddonVerdict::Unknown => {}
        }
        if name == "kube-proxy"
            && let Some((ma, mi, pa)) = row.version.as_deref().and_then(numeric)
        {
            let kp = Version::new(ma, mi, Some(pa));
            let kubelets: Vec<Version> = snapshot
                .nodes
                .iter()
                .filter_map(|n| Version::parse(&n.kubelet_version).ok())
                .collect();
            if let Some((k, skew)) = crate::addons::kube_proxy_vs_kubelets(&kp, &kubelets) {
                let count = kubelets
                    .iter()
                    .filter(|x| x.minor_str() == k.minor_str())
                    .count();
                out.push(Finding::new(
                    Code::AddonKubeProxySkew,
                    row.subject.clone(),
                    format!(
                        "{how} is {} minors {} the kubelets of {count} node(s) at {}",
                        skew.abs(),
                        if skew > 0 { "ahead of" } else { "behind" },
                        k.minor_str()
                    ),
                    if skew > 0 {
                        "replace the old nodes first (kup rotate), then update kube-proxy"
                            .to_string()
                    } else {
                        format!("update kube-proxy: {}", update("VERSION"))
                    },
                ));
            }
        }
        if row.managed {
            let status = row.status.as_deref().unwrap_or("UNKNOWN");
            if status != "ACTIVE" || !row.health_issues.is_empty() {
                let issues = if row.health_issues.is_empty() {
                    String::new()
                } else {
                    format!(": {}", row.health_issues.join("; "))
                };
                out.push(Finding::new(
                    Code::AddonUnhealthy,
                    row.subject.clone(),
                    format!("EKS add-on {name} is {status}{issues}"),
                    format!(
                        "fix the add-on before the upgrade (`aws eks describe-addon --cluster-name \
                         {cluster} --addon-name {name}` names the resources)"
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::addons::{AddonVersion, CoreComponent};
    use crate::checks::fixtures::{workshop, workshop_eks};

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn list(name: &str, versions: &[(&str, &[(&str, bool)])]) -> AddonVersions {
        AddonVersions {
            name: name.into(),
            versions: versions
                .iter()
                .map(|(v, c)| AddonVersion {
                    version: v.to_string(),
                    compatibilities: c.iter().map(|(m, d)| (m.to_string(), *d)).collect(),
                })
                .collect(),
        }
    }

    fn addon(name: &str, version: &str, status: &str, issues: &[&str]) -> Addon {
        Addon {
            name: name.into(),
            version: version.into(),
            status: status.into(),
            health_issues: issues.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The workshop moved on to 1.32 (kubelets too), about to go to 1.33: vpc-cni too old for
    /// 1.33, coredns degraded, kube-proxy at 1.32's default, the EBS CSI driver current, and
    /// its node group still on AL2.
    pub(crate) fn upgrade_to_1_33() -> Snapshot {
        let mut s = workshop();
        s.control_plane =
            crate::model::ControlPlane::new("v1.32.9-eks-1a2b3c4", "1", "32", "eks.20", None);
        for n in &mut s.nodes {
            n.kubelet_version = "v1.32.9-eks-1a2b3c4".into();
            n.os_image = "Amazon Linux 2".into();
        }
        let mut eks = workshop_eks();
        eks.cluster.version = "1.32".into();
        let support = |v: &str, std_end: &str, ext_end: &str| crate::eks::VersionSupport {
            version: v.into(),
            release_date: None,
            end_of_standard_support: std_end.parse().ok(),
            end_of_extended_support: ext_end.parse().ok(),
            status: Some("STANDARD_SUPPORT".into()),
            default: false,
        };
        eks.versions = Some(vec![
            support("1.32", "2026-03-23", "2027-03-23"),
            support("1.33", "2026-07-29", "2027-07-29"),
        ]);
        eks.insights = Some(vec![]);
        if let Some(groups) = eks.node_groups.as_mut() {
            for g in groups {
                g.version = Some("1.32".into());
                g.release_version = Some("1.32.9-20251120".into());
            }
        }
        eks.addons = Some(vec![
            addon("aws-ebs-csi-driver", "v1.38.1-eksbuild.2", "ACTIVE", &[]),
            addon(
                "coredns",
                "v1.11.4-eksbuild.2",
                "DEGRADED",
                &[
                    "InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas.",
                ],
            ),
            addon("kube-proxy", "v1.32.0-eksbuild.2", "ACTIVE", &[]),
            addon("vpc-cni", "v1.18.3-eksbuild.2", "ACTIVE", &[]),
        ]);
        eks.addon_versions = vec![
            list(
                "vpc-cni",
                &[
                    ("v1.20.4-eksbuild.2", &[("1.32", false), ("1.33", false)]),
                    ("v1.19.2-eksbuild.1", &[("1.32", true), ("1.33", true)]),
                    ("v1.18.3-eksbuild.2", &[("1.31", true), ("1.32", false)]),
                ],
            ),
            list(
                "coredns",
                &[
                    ("v1.12.1-eksbuild.2", &[("1.32", false), ("1.33", false)]),
                    ("v1.11.4-eksbuild.2", &[("1.32", true), ("1.33", true)]),
                ],
            ),
            list(
                "kube-proxy",
                &[
                    ("v1.33.0-eksbuild.2", &[("1.33", true)]),
                    ("v1.32.0-eksbuild.2", &[("1.32", true)]),
                ],
            ),
            list(
                "aws-ebs-csi-driver",
                &[("v1.38.1-eksbuild.2", &[("1.32", true), ("1.33", true)])],
            ),
        ];
        s.eks = EksSection::Read(Box::new(eks));
        s.taken_at = "2025-12-01T09:00:00Z".parse().ok();
        s
    }

    fn codes(f: &[Finding]) -> Vec<(String, String)> {
        let mut v: Vec<_> = f
            .iter()
            .map(|f| (f.code.as_str().to_string(), f.subject.clone()))
            .collect();
        v.sort();
        v
    }

    fn pair(c: &str, s: &str) -> (String, String) {
        (c.to_string(), s.to_string())
    }

    #[test]
    fn managed_addons_against_1_33() {
        let s = upgrade_to_1_33();
        let f = addon_findings(&s, &v("1.33"));
        assert_eq!(
            codes(&f),
            [
                pair("KUP-ADDON-001", "addon/vpc-cni"),
                pair("KUP-ADDON-002", "addon/kube-proxy"),
                pair("KUP-ADDON-003", "addon/coredns"),
            ]
        );
        let incompatible = f.iter().find(|f| f.subject == "addon/vpc-cni").unwrap();
        assert!(
            incompatible
                .message
                .contains("EKS's default for 1.33 is v1.19.2-eksbuild.1"),
            "{}",
            incompatible.message
        );
        assert!(
            incompatible
                .remedy
                .contains("--addon-version v1.19.2-eksbuild.1")
        );
        let kp = f.iter().find(|f| f.subject == "addon/kube-proxy").unwrap();
        assert!(
            kp.remedy
                .starts_with("after the control plane reaches 1.33"),
            "{}",
            kp.remedy
        );
        // At the current version nothing is off but the degraded add-on.
        assert_eq!(
            codes(&addon_findings(&s, &v("1.32"))),
            [
                pair("KUP-ADDON-002", "addon/vpc-cni"),
                pair("KUP-ADDON-003", "addon/coredns")
            ]
        );
    }

    #[test]
    fn self_managed_components_by_image_tag() {
        let mut s = upgrade_to_1_33();
        if let EksSection::Read(info) = &mut s.eks {
            info.addons = Some(vec![]);
        }
        let ecr = "602401143452.dkr.ecr.us-east-1.amazonaws.com";
        s.core_components = vec![
            CoreComponent {
                addon: "kube-proxy".into(),
                subject: "daemonset/kube-system/kube-proxy".into(),
                image: format!("{ecr}/eks/kube-proxy:v1.34.1-minimal-eksbuild.1"),
            },
            CoreComponent {
                addon: "coredns".into(),
                subject: "deployment/kube-system/coredns".into(),
                image: format!("{ecr}/eks/coredns:v1.10.1-eksbuild.7"),
            },
            CoreComponent {
                addon: "vpc-cni".into(),
                subject: "daemonset/kube-system/aws-node".into(),
                image: format!("{ecr}/amazon-k8s-cni:v1.19.2-eksbuild.1@sha256:abc"),
            },
        ];
        let f = addon_findings(&s, &v("1.33"));
        assert_eq!(
            codes(&f),
            [
                pair("KUP-ADDON-001", "deployment/kube-system/coredns"),
                pair("KUP-ADDON-004", "daemonset/kube-system/kube-proxy"),
            ]
        );
        let rows = addon_rows(&s, &v("1.33"));
        let cni = rows.iter().find(|r| r.name == "vpc-cni").unwrap();
        assert_eq!(cni.version.as_deref(), Some("v1.19.2-eksbuild.1"));
        assert_eq!(cni.verdict, AddonVerdict::Current);
        assert!(!cni.managed);
        // Too old: kube-proxy 1.29 at a 1.33 target; and far behind the kubelets it runs beside.
        s.core_components[0].image = format!("{ecr}/eks/kube-proxy:v1.28.15-minimal-eksbuild.1");
        let f = addon_findings(&s, &v("1.33"));
        let kp: Vec<&Finding> = f
            .iter()
            .filter(|f| f.code == Code::AddonKubeProxySkew)
            .collect();
        assert_eq!(kp.len(), 2, "{kp:#?}");
        assert!(
            kp.iter()
                .any(|f| f.message.contains("by more than 3 minors"))
        );
        assert!(
            kp.iter()
                .any(|f| f.message.contains("4 minors behind the kubelets"))
        );
    }

    #[test]
    fn without_eks_kube_proxy_is_still_judged_by_the_policy() {
        let mut s = upgrade_to_1_33();
        s.eks = EksSection::default();
        s.core_components = vec![CoreComponent {
            addon: "kube-proxy".into(),
            subject: "daemonset/kube-system/kube-proxy".into(),
            image: "registry.k8s.io/kube-proxy:v1.34.0".into(),
        }];
        let f = addon_findings(&s, &v("1.33"));
        assert_eq!(
            codes(&f),
            [pair("KUP-ADDON-004", "daemonset/kube-system/kube-proxy")]
        );
    }

    #[test]
    fn al2_node_group_at_1_33() {
        let s = upgrade_to_1_33();
        let f = crate::checks::al2::al2_findings(&s, &v("1.33"));
        // The group EKS describes (its nodes are not reported twice) and the node in no pool;
        // the Karpenter nodes are KUP-KARP-004's.
        assert_eq!(
            codes(&f),
            [
                pair("KUP-EKS-008", "node/legacy-worker-1"),
                pair("KUP-EKS-008", "nodegroup/mng-1")
            ]
        );
        let g = f.iter().find(|f| f.subject == "nodegroup/mng-1").unwrap();
        assert!(g.remedy.contains("AL2023_x86_64_STANDARD"), "{}", g.remedy);
        assert!(crate::checks::al2::al2_findings(&s, &v("1.32")).is_empty());
        // Without EKS, the nodes' osImage says it, per pool.
        let mut s = s;
        s.eks = EksSection::default();
        let f = crate::checks::al2::al2_findings(&s, &v("1.33"));
        assert_eq!(
            codes(&f),
            [
                pair("KUP-EKS-008", "node/legacy-worker-1"),
                pair("KUP-EKS-008", "nodegroup/mng-1")
            ]
        );
        let g = f.iter().find(|f| f.subject == "nodegroup/mng-1").unwrap();
        assert!(
            g.message
                .contains("node(s) of nodegroup mng-1 run Amazon Linux 2"),
            "{}",
            g.message
        );
    }
}
