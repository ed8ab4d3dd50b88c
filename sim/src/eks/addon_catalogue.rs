//! The EKS add-on versions kup-sim offers (DescribeAddonVersions), as data: which add-on
//! version is compatible with which Kubernetes minor, and which one is the default there.
//!
//! Version strings follow EKS's `vMAJOR.MINOR.PATCH-eksbuild.N`. The ranges are modelled on
//! EKS's published compatibility (newer add-ons drop old minors; the default moves forward
//! with the minor); kube-proxy is built per minor from the EKS calendar (`versions.rs`) because
//! each of its versions is made for exactly one Kubernetes minor.

use super::versions::VersionInfo;

/// Open end of a range: every minor the calendar offers from `first` on.
const OPEN: u32 = u32::MAX;

/// (add-on, version, first minor, last minor, default from, default to); `(0, 0)`: never the
/// default. Newest first within an add-on, as EKS lists them.
const ROWS: &[(&str, &str, u32, u32, u32, u32)] = &[
    ("vpc-cni", "v1.20.4-eksbuild.2", 28, OPEN, 34, OPEN),
    ("vpc-cni", "v1.19.2-eksbuild.1", 27, OPEN, 32, 33),
    ("vpc-cni", "v1.18.3-eksbuild.2", 25, 32, 30, 31),
    ("vpc-cni", "v1.16.0-eksbuild.1", 25, 30, 28, 29),
    ("vpc-cni", "v1.15.1-eksbuild.1", 23, 29, 25, 27),
    ("vpc-cni", "v1.12.6-eksbuild.2", 23, 28, 23, 24),
    ("coredns", "v1.12.1-eksbuild.2", 31, OPEN, 34, OPEN),
    ("coredns", "v1.11.4-eksbuild.2", 29, OPEN, 32, 33),
    ("coredns", "v1.11.3-eksbuild.2", 29, 33, 31, 31),
    ("coredns", "v1.11.1-eksbuild.13", 29, 32, 29, 30),
    ("coredns", "v1.10.1-eksbuild.38", 26, 30, 27, 28),
    ("coredns", "v1.9.3-eksbuild.22", 25, 28, 25, 26),
    ("coredns", "v1.8.7-eksbuild.10", 23, 25, 23, 24),
    (
        "aws-ebs-csi-driver",
        "v1.45.0-eksbuild.2",
        27,
        OPEN,
        34,
        OPEN,
    ),
    ("aws-ebs-csi-driver", "v1.38.1-eksbuild.2", 25, OPEN, 32, 33),
    ("aws-ebs-csi-driver", "v1.35.0-eksbuild.1", 24, OPEN, 29, 31),
    ("aws-ebs-csi-driver", "v1.25.0-eksbuild.1", 23, 30, 23, 28),
    (
        "eks-pod-identity-agent",
        "v1.3.8-eksbuild.2",
        25,
        OPEN,
        33,
        OPEN,
    ),
    (
        "eks-pod-identity-agent",
        "v1.3.4-eksbuild.1",
        24,
        OPEN,
        28,
        32,
    ),
    (
        "eks-pod-identity-agent",
        "v1.0.0-eksbuild.1",
        24,
        29,
        24,
        27,
    ),
];

/// Add-ons the catalogue knows, with their DescribeAddonVersions `type`.
pub const ADDONS: &[(&str, &str)] = &[
    ("vpc-cni", "networking"),
    ("coredns", "networking"),
    ("kube-proxy", "networking"),
    ("aws-ebs-csi-driver", "storage"),
    ("eks-pod-identity-agent", "security"),
];

/// One add-on version and the minors it works with.
#[derive(Clone, Debug, PartialEq)]
pub struct AddonVersion {
    pub addon: String,
    pub version: String,
    /// (minor, is the default there), oldest first.
    pub compatibilities: Vec<(u32, bool)>,
}

impl AddonVersion {
    pub fn compatible_with(&self, minor: u32) -> bool {
        self.compatibilities.iter().any(|(m, _)| *m == minor)
    }
    pub fn default_for(&self, minor: u32) -> bool {
        self.compatibilities.iter().any(|&(m, d)| m == minor && d)
    }
}

/// Every add-on version, newest first per add-on, for the minors in `calendar`.
pub fn catalogue(calendar: &[VersionInfo]) -> Vec<AddonVersion> {
    let minors: Vec<u32> = calendar
        .iter()
        .map(|v| super::versions::minor(&v.version))
        .collect();
    let mut out = Vec::new();
    for (name, _) in ADDONS {
        if *name == "kube-proxy" {
            // Newest minor first; per minor the newest patch (when there is one) before the
            // `.0` build that is the default.
            for v in calendar.iter().rev() {
                let m = super::versions::minor(&v.version);
                if v.patch != format!("1.{m}.0") {
                    out.push(AddonVersion {
                        addon: "kube-proxy".into(),
                        version: format!("v{}-eksbuild.1", v.patch),
                        compatibilities: vec![(m, false)],
                    });
                }
                out.push(AddonVersion {
                    addon: "kube-proxy".into(),
                    version: format!("v1.{m}.0-eksbuild.2"),
                    compatibilities: vec![(m, true)],
                });
            }
            continue;
        }
        for &(n, version, first, last, dfrom, dto) in ROWS {
            if n != *name {
                continue;
            }
            let compatibilities: Vec<(u32, bool)> = minors
                .iter()
                .filter(|&&m| m >= first && m <= last)
                .map(|&m| (m, dfrom != 0 && m >= dfrom && m <= dto))
                .collect();
            if !compatibilities.is_empty() {
                out.push(AddonVersion {
                    addon: n.to_string(),
                    version: version.to_string(),
                    compatibilities,
                });
            }
        }
    }
    out
}

/// The default version of an add-on for a minor, if the catalogue has one.
pub fn default_version(calendar: &[VersionInfo], addon: &str, minor: u32) -> Option<String> {
    catalogue(calendar)
        .into_iter()
        .find(|v| v.addon == addon && v.default_for(minor))
        .map(|v| v.version)
}

/// The `type` of a known add-on.
pub fn addon_type(addon: &str) -> Option<&'static str> {
    ADDONS.iter().find(|(n, _)| *n == addon).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eks::versions;

    #[test]
    fn every_addon_has_exactly_one_default_per_minor() {
        let cal = versions::table(&[]);
        let cat = catalogue(&cal);
        for v in &cal {
            let m = versions::minor(&v.version);
            for (name, _) in ADDONS {
                if !cat.iter().any(|a| a.addon == *name && a.compatible_with(m)) {
                    // eks-pod-identity-agent starts at 1.24.
                    assert_eq!((*name, m), ("eks-pod-identity-agent", 23));
                    continue;
                }
                let defaults = cat
                    .iter()
                    .filter(|a| a.addon == *name && a.default_for(m))
                    .count();
                assert_eq!(defaults, 1, "{name} at 1.{m}");
            }
        }
    }

    #[test]
    fn kube_proxy_matches_its_minor() {
        let cal = versions::table(&[]);
        assert_eq!(
            default_version(&cal, "kube-proxy", 32).as_deref(),
            Some("v1.32.0-eksbuild.2")
        );
        let cat = catalogue(&cal);
        let patch = cat
            .iter()
            .find(|a| a.version == "v1.32.9-eksbuild.1")
            .expect("newest 1.32 kube-proxy");
        assert!(patch.compatible_with(32) && !patch.compatible_with(33));
        assert!(!patch.default_for(32));
    }

    #[test]
    fn ranges_follow_the_table() {
        let cal = versions::table(&[]);
        let cat = catalogue(&cal);
        let old = cat
            .iter()
            .find(|a| a.version == "v1.12.6-eksbuild.2")
            .expect("old vpc-cni");
        assert!(old.compatible_with(28) && !old.compatible_with(29));
        assert_eq!(
            default_version(&cal, "coredns", 33).as_deref(),
            Some("v1.11.4-eksbuild.2")
        );
        assert_eq!(
            default_version(&cal, "coredns", 34).as_deref(),
            Some("v1.12.1-eksbuild.2")
        );
    }

    #[test]
    fn open_ranges_reach_minors_a_scenario_adds() {
        let extra = vec![crate::scenario::EksVersionSpec {
            version: "1.36".into(),
            release_date: "2026-05-20".into(),
            end_of_standard_support: "2027-07-20".into(),
            end_of_extended_support: "2028-07-20".into(),
            patch_version: Some("1.36.1".into()),
            platform_version: None,
            default: false,
        }];
        let cal = versions::table(&extra);
        assert_eq!(
            default_version(&cal, "vpc-cni", 36).as_deref(),
            Some("v1.20.4-eksbuild.2")
        );
        assert_eq!(
            default_version(&cal, "kube-proxy", 36).as_deref(),
            Some("v1.36.0-eksbuild.2")
        );
        assert_eq!(default_version(&cal, "vpc-cni", 22), None);
    }
}
