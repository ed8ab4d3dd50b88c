//! kup-sim's AMI catalogue: the EKS optimized AMIs an `EC2NodeClass` alias resolves to and the
//! SSM parameters that name them, small and deterministic (no AWS behind it).
//!
//! - Families `al2`, `al2023`, `bottlerocket`; architectures `x86_64` and `arm64`, variant
//!   `standard` only.
//! - Releases: one a month, on the 10th. AL2 and AL2023 name them `vYYYYMMDD` (AL2 from
//!   v20220110 to v20251110 — EKS stopped publishing AL2 AMIs on 2025-11-26 —, AL2023 from
//!   v20230310); Bottlerocket `v1.N.0`, N = 5 + months since January 2022 (v1.5.0 = 2022-01-10).
//!   Every family stops at the end of 2027.
//! - A release carries a Kubernetes minor once EKS has released that minor (the EKS calendar);
//!   AL2 never carries 1.33 or later.
//! - `latest` is the newest release on or before the sim clock's day.
//! - Ids are `ami-0` + 16 hex digits of a hash of family/minor/release/arch, so the same AMI has
//!   the same id on every run and an id names its Kubernetes version.

use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Al2,
    Al2023,
    Bottlerocket,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Al2, Family::Al2023, Family::Bottlerocket];

    /// The alias word (`al2023`).
    pub fn alias(self) -> &'static str {
        match self {
            Family::Al2 => "al2",
            Family::Al2023 => "al2023",
            Family::Bottlerocket => "bottlerocket",
        }
    }

    pub fn from_alias(word: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.alias() == word)
    }

    /// From `spec.amiFamily` (`AL2023`).
    pub fn from_ami_family(word: &str) -> Option<Family> {
        match word {
            "AL2" => Some(Family::Al2),
            "AL2023" => Some(Family::Al2023),
            "Bottlerocket" => Some(Family::Bottlerocket),
            _ => None,
        }
    }

    /// Month index (months since 2022-01) of the first and last release.
    fn release_months(self) -> (i32, i32) {
        let last_2027 = 6 * 12 - 1;
        match self {
            Family::Al2 => (0, 3 * 12 + 10),   // 2022-01 .. 2025-11
            Family::Al2023 => (14, last_2027), // 2023-03 ..
            Family::Bottlerocket => (0, last_2027),
        }
    }

    fn carries_minor(self, minor: u32) -> bool {
        !(self == Family::Al2 && minor >= 33)
    }
}

pub const ARCHES: [&str; 2] = ["x86_64", "arm64"];

/// One AMI of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ami {
    pub id: String,
    pub name: String,
    pub family: Family,
    pub minor: u32,
    /// `v20260610` / `v1.58.0`
    pub release: String,
    /// `x86_64` or `arm64`
    pub arch: &'static str,
}

impl Ami {
    /// The node label value of its architecture (`amd64`).
    pub fn k8s_arch(&self) -> &'static str {
        if self.arch == "arm64" {
            "arm64"
        } else {
            "amd64"
        }
    }

    /// The release's day (midnight UTC): when its parameters were last modified.
    pub fn published(&self) -> Timestamp {
        let (first, last) = self.family.release_months();
        (first..=last)
            .find(|m| release_name(self.family, *m) == self.release)
            .and_then(|m| release_date(m).to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp())
    }

    /// `1.33.5`: the kubelet patch the sim uses for that minor.
    pub fn kubelet_patch(&self) -> String {
        crate::scenario::full_version_for(&format!("1.{}", self.minor))
    }
}

fn release_date(month_index: i32) -> Date {
    let year = 2022 + month_index / 12;
    let month = 1 + month_index % 12;
    Date::new(year as i16, month as i8, 10).unwrap_or_default()
}

fn release_name(family: Family, month_index: i32) -> String {
    match family {
        Family::Bottlerocket => format!("v1.{}.0", 5 + month_index),
        _ => {
            let d = release_date(month_index);
            format!("v{:04}{:02}{:02}", d.year(), d.month(), d.day())
        }
    }
}

/// The day EKS released a Kubernetes minor (AMIs carry it from then on).
fn minor_release(minor: u32) -> Option<Date> {
    let ymd = match minor {
        0..=20 => (2020, 1, 1),
        21 => (2021, 7, 19),
        22 => (2022, 4, 4),
        23 => (2022, 8, 11),
        24 => (2022, 11, 15),
        25 => (2023, 2, 22),
        26 => (2023, 4, 11),
        27 => (2023, 5, 24),
        28 => (2023, 9, 26),
        29 => (2024, 1, 23),
        30 => (2024, 5, 23),
        31 => (2024, 9, 26),
        32 => (2025, 1, 23),
        33 => (2025, 5, 29),
        34 => (2025, 10, 2),
        35 => (2026, 1, 28),
        36 => (2026, 6, 2),
        _ => return None,
    };
    Date::new(ymd.0, ymd.1, ymd.2).ok()
}

fn ami_id(family: Family, minor: u32, release: &str, arch: &str) -> String {
    let key = format!("{}/1.{minor}/{release}/{arch}", family.alias());
    // FNV-1a: stable across runs and builds.
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("ami-0{h:016x}")
}

fn ami_name(family: Family, minor: u32, release: &str, arch: &str) -> String {
    match (family, arch) {
        (Family::Al2, "arm64") => format!("amazon-eks-arm64-node-1.{minor}-{release}"),
        (Family::Al2, _) => format!("amazon-eks-node-1.{minor}-{release}"),
        (Family::Al2023, _) => {
            format!("amazon-eks-node-al2023-{arch}-standard-1.{minor}-{release}")
        }
        (Family::Bottlerocket, _) => format!("bottlerocket-aws-k8s-1.{minor}-{arch}-{release}"),
    }
}

fn make(family: Family, minor: u32, month_index: i32, arch: &'static str) -> Ami {
    let release = release_name(family, month_index);
    Ami {
        id: ami_id(family, minor, &release, arch),
        name: ami_name(family, minor, &release, arch),
        family,
        minor,
        release,
        arch,
    }
}

/// Month indexes of the releases of `family` that carry `minor`, oldest first.
fn releases_for(family: Family, minor: u32) -> Vec<i32> {
    if !family.carries_minor(minor) {
        return Vec::new();
    }
    let Some(from) = minor_release(minor) else {
        return Vec::new();
    };
    let (first, last) = family.release_months();
    (first..=last)
        .filter(|m| release_date(*m) >= from)
        .collect()
}

/// The AMIs (one per architecture) of an alias `family@version` for a Kubernetes minor at
/// sim time `now`; empty when none exists (`latest` before any release, an unknown release).
pub fn alias_amis(family: Family, version: &str, minor: u32, now: Timestamp) -> Vec<Ami> {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let months = releases_for(family, minor);
    let month = if version == "latest" {
        months
            .iter()
            .rev()
            .find(|m| release_date(**m) <= today)
            .copied()
    } else {
        months
            .iter()
            .find(|m| release_name(family, **m) == version)
            .copied()
    };
    match month {
        Some(m) => ARCHES
            .iter()
            .map(|arch| make(family, minor, m, arch))
            .collect(),
        None => Vec::new(),
    }
}

static BY_ID: LazyLock<HashMap<String, Ami>> = LazyLock::new(|| {
    let mut out = HashMap::new();
    for family in Family::ALL {
        for minor in 20..=36 {
            for m in releases_for(family, minor) {
                for arch in ARCHES {
                    let ami = make(family, minor, m, arch);
                    out.insert(ami.id.clone(), ami);
                }
            }
        }
    }
    out
});

/// The catalogue's AMI with this id.
pub fn by_id(id: &str) -> Option<Ami> {
    BY_ID.get(id).cloned()
}

/// Catalogue AMIs whose name matches `pattern` (`*` and `?` wildcards, as EC2's name filter).
pub fn by_name(pattern: &str) -> Vec<Ami> {
    let mut out: Vec<Ami> = BY_ID
        .values()
        .filter(|a| wildcard(pattern, &a.name))
        .cloned()
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn wildcard(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((b'?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// The SSM parameter path Karpenter reads for an alias AMI (`latest`: the `recommended` /
/// `latest` parameter; else the release's own one).
pub fn ssm_path(ami: &Ami, latest: bool) -> String {
    let k8s = format!("1.{}", ami.minor);
    let (arch, v) = (ami.arch, &ami.release);
    match ami.family {
        Family::Al2 => {
            let dir = if arch == "arm64" {
                "amazon-linux-2-arm64"
            } else {
                "amazon-linux-2"
            };
            let leaf = if latest {
                "recommended".to_string()
            } else if arch == "arm64" {
                format!("amazon-eks-arm64-node-{k8s}-{v}")
            } else {
                format!("amazon-eks-node-{k8s}-{v}")
            };
            format!("/aws/service/eks/optimized-ami/{k8s}/{dir}/{leaf}/image_id")
        }
        Family::Al2023 => {
            let leaf = if latest {
                "recommended".to_string()
            } else {
                format!("amazon-eks-node-al2023-{arch}-standard-{k8s}-{v}")
            };
            format!(
                "/aws/service/eks/optimized-ami/{k8s}/amazon-linux-2023/{arch}/standard/{leaf}/image_id"
            )
        }
        Family::Bottlerocket => {
            let leaf = if latest {
                "latest"
            } else {
                v.trim_start_matches('v')
            };
            format!("/aws/service/bottlerocket/aws-k8s-{k8s}/{arch}/{leaf}/image_id")
        }
    }
}

/// The AMI an SSM parameter path names at sim time `now` (None: no such parameter).
pub fn ssm_lookup(path: &str, now: Timestamp) -> Option<Ami> {
    // The Kubernetes minor is the path segment after optimized-ami/ or aws-k8s-.
    let minor = if let Some(rest) = path.strip_prefix("/aws/service/eks/optimized-ami/") {
        rest.split('/').next()?.to_string()
    } else if let Some(rest) = path.strip_prefix("/aws/service/bottlerocket/aws-k8s-") {
        rest.split('/').next()?.to_string()
    } else {
        return None;
    };
    let minor: u32 = minor.strip_prefix("1.")?.parse().ok()?;
    for family in Family::ALL {
        if let Some(ami) = alias_amis(family, "latest", minor, now)
            .into_iter()
            .find(|a| ssm_path(a, true) == path)
        {
            return Some(ami);
        }
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        for m in releases_for(family, minor) {
            if release_date(m) > today {
                break;
            }
            for arch in ARCHES {
                let ami = make(family, minor, m, arch);
                if ssm_path(&ami, false) == path {
                    return Some(ami);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &str) -> Timestamp {
        t.parse().unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    #[test]
    fn latest_follows_the_clock_and_the_minor() {
        let now = at("2026-06-15T09:00:00Z");
        let amis = alias_amis(Family::Al2023, "latest", 33, now);
        assert_eq!(amis.len(), 2);
        assert_eq!(amis[0].release, "v20260610");
        assert_eq!(
            amis[0].name,
            "amazon-eks-node-al2023-x86_64-standard-1.33-v20260610"
        );
        assert!(amis[0].id.starts_with("ami-0") && amis[0].id.len() == 21);
        assert_eq!(amis[0].kubelet_patch(), "1.33.5");
        // 1.36 was released on 2026-06-02: the June release carries it, May's does not.
        assert_eq!(
            alias_amis(Family::Al2023, "latest", 36, now)[0].release,
            "v20260610"
        );
        assert!(alias_amis(Family::Al2023, "v20260510", 36, now).is_empty());
        assert!(alias_amis(Family::Al2023, "latest", 37, now).is_empty());
    }

    #[test]
    fn al2_stops_at_1_32_and_pins_need_an_existing_release() {
        let now = at("2026-06-15T09:00:00Z");
        assert!(alias_amis(Family::Al2, "latest", 33, now).is_empty());
        let last = alias_amis(Family::Al2, "latest", 32, now);
        assert_eq!(last[0].release, "v20251110");
        assert_eq!(last[0].name, "amazon-eks-node-1.32-v20251110");
        assert_eq!(alias_amis(Family::Al2023, "v20250510", 32, now).len(), 2);
        assert!(alias_amis(Family::Al2023, "v20250511", 32, now).is_empty());
        let br = alias_amis(Family::Bottlerocket, "latest", 33, now);
        assert_eq!(br[0].release, "v1.58.0");
        assert_eq!(
            by_id(&br[1].id).map(|a| (a.minor, a.arch)),
            Some((33, "arm64"))
        );
    }

    #[test]
    fn ssm_paths_round_trip() {
        let now = at("2026-06-15T09:00:00Z");
        let p = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id";
        let ami = ssm_lookup(p, now).unwrap_or_else(|| panic!("{p}"));
        assert_eq!(ami.id, alias_amis(Family::Al2023, "latest", 33, now)[0].id);
        let pinned = "/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.32-v20250510/image_id";
        assert_eq!(ssm_lookup(pinned, now).map(|a| a.arch), Some("arm64"));
        let al2 = "/aws/service/eks/optimized-ami/1.32/amazon-linux-2/recommended/image_id";
        assert_eq!(ssm_lookup(al2, now).map(|a| a.family), Some(Family::Al2));
        let al2_pin = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2-arm64/amazon-eks-arm64-node-1.31-v20250110/image_id";
        assert!(ssm_lookup(al2_pin, now).is_some());
        assert!(
            ssm_lookup(
                "/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/image_id",
                now
            )
            .is_none()
        );
        let br = "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/1.58.0/image_id";
        assert_eq!(
            ssm_lookup(br, now).map(|a| a.release),
            Some("v1.58.0".into())
        );
        assert!(
            ssm_lookup(
                "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id",
                now
            )
            .is_some()
        );
        // A release after the clock's day does not exist yet.
        let future = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.33-v20260710/image_id";
        assert!(ssm_lookup(future, now).is_none());
        assert!(ssm_lookup("/nope", now).is_none());
        assert!(wildcard(
            "amazon-eks-node-1.3?-*",
            "amazon-eks-node-1.32-v20251110"
        ));
        assert!(!by_name("amazon-eks-node-1.32-v2025111*").is_empty());
    }
}
