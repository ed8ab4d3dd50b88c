//! DescribeClusterVersions: EKS's Kubernetes version calendar, with each version's support
//! status computed against the sim clock.
//!
//! Dates are from the Amazon EKS release calendar (docs.aws.amazon.com, "Understand the
//! Kubernetes version lifecycle on EKS"): standard support lasts 14 months from the EKS
//! release, extended support 12 more. A scenario can add or replace entries (`eksVersions:`).

use crate::scenario::EksVersionSpec;
use jiff::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub struct VersionInfo {
    pub version: String,
    pub release: Timestamp,
    pub end_standard: Timestamp,
    pub end_extended: Timestamp,
    pub patch: String,
    pub platform: String,
    pub default: bool,
}

/// (minor, EKS release, end of standard support, end of extended support, patch, platform).
const CALENDAR: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "1.23",
        "2022-08-11",
        "2023-10-11",
        "2024-10-11",
        "1.23.17",
        "eks.16",
    ),
    (
        "1.24",
        "2022-11-15",
        "2024-01-31",
        "2025-01-31",
        "1.24.17",
        "eks.20",
    ),
    (
        "1.25",
        "2023-02-22",
        "2024-05-01",
        "2025-05-01",
        "1.25.16",
        "eks.20",
    ),
    (
        "1.26",
        "2023-04-11",
        "2024-06-11",
        "2025-06-11",
        "1.26.15",
        "eks.21",
    ),
    (
        "1.27",
        "2023-05-24",
        "2024-07-24",
        "2025-07-24",
        "1.27.16",
        "eks.25",
    ),
    (
        "1.28",
        "2023-09-26",
        "2024-11-26",
        "2025-11-26",
        "1.28.15",
        "eks.31",
    ),
    (
        "1.29",
        "2024-01-23",
        "2025-03-23",
        "2026-03-23",
        "1.29.15",
        "eks.34",
    ),
    (
        "1.30",
        "2024-05-23",
        "2025-07-23",
        "2026-07-23",
        "1.30.14",
        "eks.30",
    ),
    (
        "1.31",
        "2024-09-26",
        "2025-11-26",
        "2026-11-26",
        "1.31.13",
        "eks.26",
    ),
    (
        "1.32",
        "2025-01-23",
        "2026-03-23",
        "2027-03-23",
        "1.32.9",
        "eks.20",
    ),
    (
        "1.33",
        "2025-05-29",
        "2026-07-29",
        "2027-07-29",
        "1.33.5",
        "eks.13",
    ),
    (
        "1.34",
        "2025-10-02",
        "2026-12-02",
        "2027-12-02",
        "1.34.1",
        "eks.6",
    ),
    (
        "1.35",
        "2026-01-27",
        "2027-03-27",
        "2028-03-27",
        "1.35.0",
        "eks.2",
    ),
];

fn day(s: &str) -> Option<Timestamp> {
    let d: jiff::civil::Date = s.parse().ok()?;
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// The built-in calendar with the scenario's entries applied, oldest first.
pub fn table(extra: &[EksVersionSpec]) -> Vec<VersionInfo> {
    let mut out: Vec<VersionInfo> = CALENDAR
        .iter()
        .filter_map(|(v, r, s, e, p, pl)| {
            Some(VersionInfo {
                version: v.to_string(),
                release: day(r)?,
                end_standard: day(s)?,
                end_extended: day(e)?,
                patch: p.to_string(),
                platform: pl.to_string(),
                default: false,
            })
        })
        .collect();
    for x in extra {
        // The scenario loader checked the dates; a bad one here is skipped, not a panic.
        let (Some(release), Some(end_standard), Some(end_extended)) = (
            day(&x.release_date),
            day(&x.end_of_standard_support),
            day(&x.end_of_extended_support),
        ) else {
            continue;
        };
        let info = VersionInfo {
            version: x.version.clone(),
            release,
            end_standard,
            end_extended,
            patch: x
                .patch_version
                .clone()
                .unwrap_or_else(|| format!("{}.0", x.version)),
            platform: x
                .platform_version
                .clone()
                .unwrap_or_else(|| "eks.1".to_string()),
            default: x.default,
        };
        match out.iter_mut().find(|v| v.version == x.version) {
            Some(v) => *v = info,
            None => out.push(info),
        }
    }
    out.sort_by_key(|v| minor(&v.version));
    out
}

pub fn minor(v: &str) -> u32 {
    v.trim_start_matches('v')
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// VersionStatus at `now`.
pub fn version_status(v: &VersionInfo, now: Timestamp) -> &'static str {
    if now < v.end_standard {
        "STANDARD_SUPPORT"
    } else if now < v.end_extended {
        "EXTENDED_SUPPORT"
    } else {
        "UNSUPPORTED"
    }
}

/// The deprecated ClusterVersionStatus spelling of the same.
pub fn cluster_version_status(v: &VersionInfo, now: Timestamp) -> &'static str {
    match version_status(v, now) {
        "STANDARD_SUPPORT" => "standard-support",
        "EXTENDED_SUPPORT" => "extended-support",
        _ => "unsupported",
    }
}

/// Released versions at `now`, newest first, with the default marked: the scenario's choice,
/// else the newest but one in standard support (EKS defaults to a well-settled version).
pub fn released(extra: &[EksVersionSpec], now: Timestamp) -> Vec<VersionInfo> {
    let mut list: Vec<VersionInfo> = table(extra)
        .into_iter()
        .filter(|v| v.release <= now)
        .collect();
    list.reverse();
    if !list.iter().any(|v| v.default) {
        let standard: Vec<usize> = list
            .iter()
            .enumerate()
            .filter(|(_, v)| version_status(v, now) == "STANDARD_SUPPORT")
            .map(|(i, _)| i)
            .collect();
        if let Some(&i) = standard.get(1).or(standard.first()) {
            list[i].default = true;
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_clock() {
        let t = table(&[]);
        let v125 = t.iter().find(|v| v.version == "1.25").cloned();
        let v125 = v125.expect("1.25 in the table");
        let at = |s: &str| day(s).expect("date");
        assert_eq!(version_status(&v125, at("2024-04-30")), "STANDARD_SUPPORT");
        assert_eq!(version_status(&v125, at("2024-05-01")), "EXTENDED_SUPPORT");
        assert_eq!(version_status(&v125, at("2025-05-02")), "UNSUPPORTED");
        assert_eq!(
            cluster_version_status(&v125, at("2024-06-01")),
            "extended-support"
        );
    }

    #[test]
    fn scenario_entries_replace_and_extend() {
        let extra = vec![EksVersionSpec {
            version: "1.36".into(),
            release_date: "2026-05-20".into(),
            end_of_standard_support: "2027-07-20".into(),
            end_of_extended_support: "2028-07-20".into(),
            patch_version: None,
            platform_version: None,
            default: true,
        }];
        let now = day("2026-06-01").expect("date");
        let list = released(&extra, now);
        assert_eq!(list[0].version, "1.36");
        assert!(list[0].default);
        assert_eq!(list.iter().filter(|v| v.default).count(), 1);
        let before = released(&extra, day("2026-05-01").expect("date"));
        assert_eq!(before[0].version, "1.35");
    }
}
