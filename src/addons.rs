//! EKS add-ons as kup holds them (plain data that `cluster::addons` fills from aws-sdk-eks),
//! and how an add-on version stands against a target Kubernetes version. Pure.
//!
//! kube-proxy is judged by the Kubernetes version-skew policy rather than by EKS's
//! compatibility lists: EKS builds each kube-proxy for one minor, so the one for the target
//! can only be installed after the control plane has moved, and kube-proxy may lag the API
//! server (up to 3 minors, 2 below 1.25) but never be newer.

use serde::Serialize;

use crate::version::{Version, max_kubelet_lag, minor_skew};

/// DescribeAddon, reduced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Addon {
    pub name: String,
    /// `v1.19.2-eksbuild.1`.
    pub version: String,
    /// ACTIVE, DEGRADED, UPDATING, ...
    pub status: String,
    /// `CODE: message` of each health issue.
    pub health_issues: Vec<String>,
}

/// A core component as a Deployment or DaemonSet in kube-system, whether or not an EKS
/// add-on manages it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoreComponent {
    /// The EKS add-on it corresponds to: kube-proxy, coredns or vpc-cni.
    pub addon: String,
    /// `daemonset/kube-system/aws-node`.
    pub subject: String,
    pub image: String,
}

impl CoreComponent {
    /// The image tag (`v1.32.0-minimal-eksbuild.2`), without a digest.
    pub fn tag(&self) -> Option<&str> {
        let image = self.image.split('@').next().unwrap_or_default();
        let last = image.rsplit('/').next().unwrap_or_default();
        last.split_once(':')
            .map(|(_, t)| t)
            .filter(|t| !t.is_empty())
    }
}

/// The workloads that run the core components: (add-on, kind, name, container).
pub const CORE_WORKLOADS: [(&str, &str, &str, &str); 3] = [
    ("kube-proxy", "daemonset", "kube-proxy", "kube-proxy"),
    ("coredns", "deployment", "coredns", "coredns"),
    ("vpc-cni", "daemonset", "aws-node", "aws-node"),
];

/// DescribeAddonVersions for one add-on: every version with the minors it supports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddonVersions {
    pub name: String,
    pub versions: Vec<AddonVersion>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddonVersion {
    pub version: String,
    /// (cluster version `1.33`, EKS's default there).
    pub compatibilities: Vec<(String, bool)>,
}

impl AddonVersions {
    /// The default version for a minor (`1.33`).
    pub fn default_for(&self, minor: &str) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.compatibilities.iter().any(|(c, d)| c == minor && *d))
            .map(|v| v.version.as_str())
    }

    /// The version to update to before the control plane moves from `current` to `target`:
    /// the target's default when it also runs at `current`, else the newest listed for both.
    pub fn bridge(&self, current: &str, target: &str) -> Option<&str> {
        let both = |v: &&AddonVersion| {
            [current, target]
                .iter()
                .all(|m| v.compatibilities.iter().any(|(c, _)| c == m))
        };
        let default = self.default_for(target);
        self.versions
            .iter()
            .filter(both)
            .find(|v| Some(v.version.as_str()) == default)
            .or_else(|| {
                self.versions
                    .iter()
                    .filter(both)
                    .max_by_key(|v| numeric(&v.version))
            })
            .map(|v| v.version.as_str())
    }

    /// The versions EKS lists for a minor, its default marked: what `kup upgrade` picks from.
    pub fn offered_for(&self, minor: &str) -> Vec<crate::eks::AddonVersionOffer> {
        self.versions
            .iter()
            .filter_map(|v| {
                let mut at = v
                    .compatibilities
                    .iter()
                    .filter(|(c, _)| c == minor)
                    .peekable();
                at.peek()?;
                Some(crate::eks::AddonVersionOffer {
                    version: v.version.clone(),
                    default: at.any(|(_, d)| *d),
                })
            })
            .collect()
    }

    /// Whether EKS lists `version` (compared without the `v`) as compatible with `minor`.
    pub fn compatible(&self, version: &str, minor: &str) -> Option<bool> {
        let v = self
            .versions
            .iter()
            .find(|v| same_version(&v.version, version))?;
        Some(v.compatibilities.iter().any(|(c, _)| c == minor))
    }
}

fn same_version(a: &str, b: &str) -> bool {
    a.trim_start_matches('v') == b.trim_start_matches('v')
}

/// `v1.19.2-eksbuild.1` -> (1, 19, 2); an image tag like `v1.11.4-eksbuild.2` too.
pub fn numeric(version: &str) -> Option<(u32, u32, u32)> {
    let core = version.trim_start_matches('v').split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    let a = parts.next()??;
    let b = parts.next()??;
    let c = parts.next().flatten().unwrap_or(0);
    Some((a, b, c))
}

/// How an add-on version stands against the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "verdict")]
pub enum AddonVerdict {
    /// At (or past) the target's default.
    Current,
    /// Compatible with the target, older than its default (the row's `targetDefault`).
    Behind {
        #[serde(skip)]
        default: String,
    },
    /// EKS lists it as not compatible with the target.
    Incompatible {
        #[serde(skip)]
        default: Option<String>,
    },
    /// kube-proxy newer than the target (the API server) — never allowed.
    KubeProxyTooNew,
    /// kube-proxy older than the target by more than the skew policy allows.
    KubeProxyTooOld {
        #[serde(rename = "maxLag")]
        max_lag: u32,
    },
    /// The versions EKS offers for it were not read or do not list it.
    Unknown,
}

/// Judges `version` of add-on `name` against `target`, with what DescribeAddonVersions said.
pub fn judge(
    name: &str,
    version: &str,
    target: &Version,
    catalog: Option<&AddonVersions>,
) -> AddonVerdict {
    let minor = target.minor_str();
    let default = catalog
        .and_then(|c| c.default_for(&minor))
        .map(str::to_string);
    if name == "kube-proxy" {
        let Some((ma, mi, pa)) = numeric(version) else {
            return AddonVerdict::Unknown;
        };
        let kp = Version::new(ma, mi, Some(pa));
        let skew = minor_skew(&kp, target);
        if skew > 0 {
            return AddonVerdict::KubeProxyTooNew;
        }
        let lag = max_kubelet_lag(&kp);
        if -skew > i64::from(lag) {
            return AddonVerdict::KubeProxyTooOld { max_lag: lag };
        }
        return match default {
            Some(d) if older(version, &d) => AddonVerdict::Behind { default: d },
            // Behind the target's minor even without the list: update after the control plane.
            None if skew < 0 => AddonVerdict::Behind {
                default: format!("v{}.x", target.minor_str()),
            },
            _ => AddonVerdict::Current,
        };
    }
    let Some(catalog) = catalog else {
        return AddonVerdict::Unknown;
    };
    match catalog.compatible(version, &minor) {
        Some(false) => AddonVerdict::Incompatible { default },
        Some(true) => match default {
            Some(d) if older(version, &d) => AddonVerdict::Behind { default: d },
            _ => AddonVerdict::Current,
        },
        // A version EKS does not list (an image built elsewhere): judge it by the numbers
        // against the versions that are compatible with the target.
        None => {
            let compatible: Vec<(u32, u32, u32)> = catalog
                .versions
                .iter()
                .filter(|v| v.compatibilities.iter().any(|(c, _)| *c == minor))
                .filter_map(|v| numeric(&v.version))
                .collect();
            let (Some(lo), Some(v)) = (compatible.iter().min(), numeric(version)) else {
                return AddonVerdict::Unknown;
            };
            if v < *lo {
                AddonVerdict::Incompatible { default }
            } else {
                match default {
                    Some(d) if older(version, &d) => AddonVerdict::Behind { default: d },
                    _ => AddonVerdict::Current,
                }
            }
        }
    }
}

/// `a` is an older version than `b` (by numbers, then the eksbuild number).
/// `v1.19.2-eksbuild.3` -> ((1, 19, 2), 3): the order EKS's add-on versions go in.
pub fn version_key(v: &str) -> Option<((u32, u32, u32), u32)> {
    let build = v
        .rsplit_once("eksbuild.")
        .and_then(|(_, n)| n.parse::<u32>().ok())
        .unwrap_or(0);
    Some((numeric(v)?, build))
}

fn older(a: &str, b: &str) -> bool {
    match (version_key(a), version_key(b)) {
        (Some(x), Some(y)) => x < y,
        _ => false,
    }
}

/// kube-proxy (version `kp`) against the kubelets it runs beside: the policy allows up to 3
/// minors (2 below 1.25) either way. Returns the kubelet furthest off, if any is out.
pub fn kube_proxy_vs_kubelets<'a>(
    kp: &Version,
    kubelets: impl IntoIterator<Item = &'a Version>,
) -> Option<(&'a Version, i64)> {
    let lag = i64::from(max_kubelet_lag(kp));
    kubelets
        .into_iter()
        .map(|k| (k, minor_skew(kp, k)))
        .filter(|(_, s)| s.abs() > lag)
        .max_by_key(|(_, s)| s.abs())
}

/// AMI types of managed node groups that run Amazon Linux 2, and their AL2023 replacement.
pub fn al2023_for(ami_type: &str) -> Option<&'static str> {
    match ami_type {
        "AL2_x86_64" => Some("AL2023_x86_64_STANDARD"),
        "AL2_x86_64_GPU" => Some("AL2023_x86_64_NVIDIA"),
        "AL2_ARM_64" => Some("AL2023_ARM_64_STANDARD"),
        t if t.starts_with("AL2_") => Some("AL2023_x86_64_STANDARD"),
        _ => None,
    }
}

/// A node's `status.nodeInfo.osImage` is Amazon Linux 2 (not 2023).
pub fn is_al2_os_image(os_image: &str) -> bool {
    let s = os_image.trim();
    s == "Amazon Linux 2"
        || (s.starts_with("Amazon Linux 2 ") && !s.starts_with("Amazon Linux 2023"))
}

/// No EKS-optimized AL2 AMIs exist for Kubernetes 1.33 and later.
pub fn al2_blocks(target: &Version) -> bool {
    (target.major, target.minor) >= (1, 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn coredns() -> AddonVersions {
        let c = |m: &str, d: bool| (m.to_string(), d);
        AddonVersions {
            name: "coredns".into(),
            versions: vec![
                AddonVersion {
                    version: "v1.12.1-eksbuild.2".into(),
                    compatibilities: vec![c("1.33", false), c("1.34", true)],
                },
                AddonVersion {
                    version: "v1.11.4-eksbuild.2".into(),
                    compatibilities: vec![c("1.32", true), c("1.33", true), c("1.34", false)],
                },
                AddonVersion {
                    version: "v1.10.1-eksbuild.38".into(),
                    compatibilities: vec![c("1.30", false)],
                },
            ],
        }
    }

    #[test]
    fn offered_for_a_minor_lists_its_versions_with_the_default_marked() {
        let offer = |v: &str, default: bool| crate::eks::AddonVersionOffer {
            version: v.into(),
            default,
        };
        let cat = coredns();
        assert_eq!(
            cat.offered_for("1.33"),
            vec![
                offer("v1.12.1-eksbuild.2", false),
                offer("v1.11.4-eksbuild.2", true)
            ]
        );
        assert_eq!(
            cat.offered_for("1.30"),
            vec![offer("v1.10.1-eksbuild.38", false)]
        );
        assert!(cat.offered_for("1.29").is_empty());
    }

    #[test]
    fn compatibility_and_default_from_the_lists() {
        let cat = coredns();
        assert_eq!(
            judge("coredns", "v1.10.1-eksbuild.38", &v("1.33"), Some(&cat)),
            AddonVerdict::Incompatible {
                default: Some("v1.11.4-eksbuild.2".into())
            }
        );
        assert_eq!(
            judge("coredns", "v1.11.4-eksbuild.2", &v("1.34"), Some(&cat)),
            AddonVerdict::Behind {
                default: "v1.12.1-eksbuild.2".into()
            }
        );
        assert_eq!(
            judge("coredns", "v1.11.4-eksbuild.2", &v("1.33"), Some(&cat)),
            AddonVerdict::Current
        );
        // Ahead of the default but compatible: current.
        assert_eq!(
            judge("coredns", "v1.12.1-eksbuild.2", &v("1.33"), Some(&cat)),
            AddonVerdict::Current
        );
        assert_eq!(
            judge("coredns", "v1.11.4-eksbuild.2", &v("1.33"), None),
            AddonVerdict::Unknown
        );
    }

    #[test]
    fn unlisted_versions_are_judged_by_their_numbers() {
        let cat = coredns();
        assert!(matches!(
            judge("coredns", "v1.9.3", &v("1.33"), Some(&cat)),
            AddonVerdict::Incompatible { .. }
        ));
        assert_eq!(
            judge("coredns", "v1.11.5", &v("1.33"), Some(&cat)),
            AddonVerdict::Current
        );
        assert!(matches!(
            judge("coredns", "v1.11.4", &v("1.34"), Some(&cat)),
            AddonVerdict::Behind { .. }
        ));
    }

    #[test]
    fn kube_proxy_follows_the_skew_policy() {
        let t = v("1.33");
        assert_eq!(
            judge("kube-proxy", "v1.34.0-eksbuild.2", &t, None),
            AddonVerdict::KubeProxyTooNew
        );
        assert_eq!(
            judge("kube-proxy", "v1.29.0-eksbuild.1", &t, None),
            AddonVerdict::KubeProxyTooOld { max_lag: 3 }
        );
        // Below 1.25 only 2 minors.
        assert_eq!(
            judge("kube-proxy", "v1.23.17", &v("1.26"), None),
            AddonVerdict::KubeProxyTooOld { max_lag: 2 }
        );
        assert!(matches!(
            judge("kube-proxy", "v1.32.0-eksbuild.2", &t, None),
            AddonVerdict::Behind { .. }
        ));
        assert_eq!(
            judge("kube-proxy", "v1.33.0-eksbuild.2", &t, None),
            AddonVerdict::Current
        );
    }

    #[test]
    fn kube_proxy_against_kubelets() {
        let kubelets = [v("1.29.4"), v("1.33.1")];
        assert_eq!(
            kube_proxy_vs_kubelets(&v("1.33.0"), &kubelets),
            Some((&kubelets[0], 4))
        );
        assert_eq!(kube_proxy_vs_kubelets(&v("1.32.0"), &kubelets), None);
    }

    #[test]
    fn amazon_linux_2_and_its_successor() {
        assert!(is_al2_os_image("Amazon Linux 2"));
        assert!(!is_al2_os_image("Amazon Linux 2023.7.20250609"));
        assert!(!is_al2_os_image("Bottlerocket OS 1.20.0 (aws-k8s-1.29)"));
        assert_eq!(al2023_for("AL2_ARM_64"), Some("AL2023_ARM_64_STANDARD"));
        assert_eq!(al2023_for("AL2_x86_64"), Some("AL2023_x86_64_STANDARD"));
        assert_eq!(al2023_for("AL2023_x86_64_STANDARD"), None);
        assert!(al2_blocks(&v("1.33")) && !al2_blocks(&v("1.32")));
    }

    #[test]
    fn bridge_runs_before_and_after_the_upgrade() {
        let cat = coredns();
        // 1.33's default also runs at 1.32.
        assert_eq!(cat.bridge("1.32", "1.33"), Some("v1.11.4-eksbuild.2"));
        // 1.34's default is listed for 1.33 too.
        assert_eq!(cat.bridge("1.33", "1.34"), Some("v1.12.1-eksbuild.2"));
        assert_eq!(cat.bridge("1.30", "1.33"), None);
    }

    #[test]
    fn older_compares_numbers_then_build() {
        assert!(older("v1.11.4-eksbuild.1", "v1.11.4-eksbuild.2"));
        assert!(older("v1.9.3-eksbuild.22", "v1.10.1-eksbuild.1"));
        assert!(!older("v1.12.1-eksbuild.2", "v1.11.4-eksbuild.2"));
    }
}
