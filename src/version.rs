//! Kubernetes version strings and the version-skew policy (pure).
//!
//! Versions compare numerically on (major, minor, patch); a missing patch compares as `.0`.
//! The suffix after `-` or `+` (`-eks-a59e1f0`, `+k3s1`, `-gke.1217000`) is an opaque provider
//! tag: it never orders versions, unlike a semver pre-release would.

use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Debug)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
    /// Provider tag after `-` or `+`, without the separator.
    pub tag: Option<String>,
}

/// Why a version string was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionErrorKind {
    Empty,
    NoMinor,
    /// A component is empty (`1.`, `1..2`).
    EmptyComponent(&'static str),
    NonNumeric(&'static str, String),
    Overflow(&'static str, String),
    TooManyComponents(usize),
    EmptyTag,
    Whitespace,
}

impl fmt::Display for VersionErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "it is empty"),
            Self::NoMinor => write!(f, "it has no minor version (expected MAJOR.MINOR[.PATCH])"),
            Self::EmptyComponent(part) => write!(f, "the {part} version is empty"),
            Self::NonNumeric(part, s) => write!(f, "the {part} version {s:?} is not a number"),
            Self::Overflow(part, s) => write!(f, "the {part} version {s} is too large"),
            Self::TooManyComponents(n) => write!(
                f,
                "it has {n} numeric components (expected MAJOR.MINOR[.PATCH])"
            ),
            Self::EmptyTag => write!(f, "nothing follows the '-' or '+' separator"),
            Self::Whitespace => write!(f, "it contains whitespace"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid Kubernetes version {input:?}: {kind}")]
pub struct VersionError {
    pub input: String,
    pub kind: VersionErrorKind,
}

impl Version {
    pub fn new(major: u32, minor: u32, patch: Option<u32>) -> Version {
        Version {
            major,
            minor,
            patch,
            tag: None,
        }
    }

    /// Parses `v1.24.17-eks-a59e1f0`, `v1.29.6+k3s1`, `v1.28.5-gke.1217000`, `1.28`, `1.28.3`,
    /// `v1.28`. Surrounding whitespace is ignored (copy-paste into `--target`); inner whitespace,
    /// a fourth numeric component, signs and empty parts are errors.
    pub fn parse(s: &str) -> Result<Version, VersionError> {
        let err = |kind| VersionError {
            input: s.to_string(),
            kind,
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(err(VersionErrorKind::Empty));
        }
        if t.chars().any(char::is_whitespace) {
            return Err(err(VersionErrorKind::Whitespace));
        }
        let t = t.strip_prefix('v').unwrap_or(t);
        if t.is_empty() {
            return Err(err(VersionErrorKind::Empty));
        }
        let (core, tag) = match t.find(['-', '+']) {
            Some(i) => {
                let tag = &t[i + 1..];
                if tag.is_empty() {
                    return Err(err(VersionErrorKind::EmptyTag));
                }
                (&t[..i], Some(tag.to_string()))
            }
            None => (t, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 {
            return Err(err(VersionErrorKind::TooManyComponents(parts.len())));
        }
        const NAMES: [&str; 3] = ["major", "minor", "patch"];
        let mut nums = [0u32; 3];
        for (i, part) in parts.iter().enumerate() {
            nums[i] = number(part, NAMES[i]).map_err(err)?;
        }
        if parts.len() < 2 {
            return Err(err(VersionErrorKind::NoMinor));
        }
        Ok(Version {
            major: nums[0],
            minor: nums[1],
            patch: (parts.len() == 3).then_some(nums[2]),
            tag,
        })
    }

    /// From `/version`'s `major` and `minor` fields; EKS and GKE serve `minor: "28+"`.
    pub fn from_major_minor(major: &str, minor: &str) -> Result<Version, VersionError> {
        let err = |kind| VersionError {
            input: format!("{major}.{minor}"),
            kind,
        };
        let minor_digits = minor.trim().strip_suffix('+').unwrap_or(minor.trim());
        Ok(Version::new(
            number(major.trim(), "major").map_err(err)?,
            number(minor_digits, "minor").map_err(err)?,
            None,
        ))
    }

    /// `1.24`: the part the skew policy speaks about.
    pub fn minor_str(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    fn key(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch.unwrap_or(0))
    }
}

fn number(s: &str, part: &'static str) -> Result<u32, VersionErrorKind> {
    if s.is_empty() {
        return Err(VersionErrorKind::EmptyComponent(part));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VersionErrorKind::NonNumeric(part, s.to_string()));
    }
    // All digits, so the only possible failure is overflow.
    s.parse()
        .map_err(|_| VersionErrorKind::Overflow(part, s.to_string()))
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{}", self.major, self.minor, p),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

/// Serialised as its display form (`1.25.16`), the way reports show versions.
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

/// The control plane's version: `gitVersion` when it parses (it has the patch), else
/// `/version`'s major and minor.
pub fn control_plane_version(
    git_version: &str,
    major: &str,
    minor: &str,
) -> Result<Version, VersionError> {
    Version::parse(git_version)
        .or_else(|first| Version::from_major_minor(major, minor).map_err(|_| first))
}

/// Minors from `reference` to `v`: positive when `v` is newer. Kubernetes has no 2.x; a
/// different major counts as 1000 minors per major so it lands beyond any policy.
/// `v1.26.3-eks-…` -> (1, 26); None when the text is no version.
pub fn minor_of(v: &str) -> Option<(u32, u32)> {
    Version::parse(v).ok().map(|v| (v.major, v.minor))
}

/// Whether version text (a kubelet's, a node group's) is at a lower minor than `of`; text that
/// is no version is not.
pub fn minor_below(v: &str, of: &Version) -> bool {
    minor_of(v).is_some_and(|m| m < (of.major, of.minor))
}

pub fn minor_skew(v: &Version, reference: &Version) -> i64 {
    (i64::from(v.major) - i64::from(reference.major)) * 1000 + i64::from(v.minor)
        - i64::from(reference.minor)
}

/// How many minors a kubelet may lag the API server: 3, or 2 for kubelets older than 1.25
/// (kubernetes.io version-skew-policy).
pub fn max_kubelet_lag(kubelet: &Version) -> u32 {
    if (kubelet.major, kubelet.minor) < (1, 25) {
        2
    } else {
        3
    }
}

/// A node's kubelet against the target version (and the current control plane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeVerdict {
    /// Same minor as the target.
    Current,
    /// Older than the target, within policy of it (a warning: replace it eventually).
    Behind { minors: u32 },
    /// Older than the target by more than the policy allows (an error).
    BeyondPolicy { minors: u32, max: u32 },
    /// Newer than the current API server (an error, whatever the target).
    NewerThanApiServer { minors: u32 },
    /// Newer than a target that is below the current control plane (a downgrade target).
    AheadOfTarget { minors: u32 },
}

impl NodeVerdict {
    /// Verdicts that break the skew policy.
    pub fn is_violation(self) -> bool {
        matches!(
            self,
            Self::BeyondPolicy { .. } | Self::NewerThanApiServer { .. }
        )
    }
}

fn clamp_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

pub fn node_verdict(kubelet: &Version, control_plane: &Version, target: &Version) -> NodeVerdict {
    let over_api = minor_skew(kubelet, control_plane);
    if over_api > 0 {
        return NodeVerdict::NewerThanApiServer {
            minors: clamp_u32(over_api),
        };
    }
    let skew = minor_skew(kubelet, target);
    if skew > 0 {
        return NodeVerdict::AheadOfTarget {
            minors: clamp_u32(skew),
        };
    }
    let lag = clamp_u32(-skew);
    let max = max_kubelet_lag(kubelet);
    match lag {
        0 => NodeVerdict::Current,
        l if l <= max => NodeVerdict::Behind { minors: l },
        l => NodeVerdict::BeyondPolicy { minors: l, max },
    }
}

/// A kubelet that must move before the control plane may go to the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocker {
    pub name: String,
    pub kubelet: Version,
    /// Minors between the kubelet and the target.
    pub minors: u32,
    /// What the policy allows for this kubelet.
    pub max: u32,
}

/// What must happen before the control plane may go from `current` to `target`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UpgradePath {
    /// Control-plane versions to pass through, one minor at a time, ending at the target's
    /// minor. Empty when the target is not above the current minor.
    pub steps: Vec<Version>,
    /// Kubelets outside the policy of the target; they must be replaced first. The final
    /// target is the strictest step, so checking it covers the intermediate ones.
    pub blockers: Vec<Blocker>,
}

pub fn upgrade_path<'a>(
    current: &Version,
    target: &Version,
    kubelets: impl IntoIterator<Item = (&'a str, &'a Version)>,
) -> UpgradePath {
    let mut steps = Vec::new();
    if current.major == target.major {
        for minor in current.minor.saturating_add(1)..=target.minor {
            steps.push(if minor == target.minor {
                target.clone()
            } else {
                Version::new(current.major, minor, None)
            });
        }
    } else if target > current {
        // No Kubernetes 2.x exists; name the target as the single step rather than guess.
        steps.push(target.clone());
    }
    if steps.is_empty() {
        return UpgradePath::default();
    }
    let blockers = kubelets
        .into_iter()
        .filter_map(|(name, kubelet)| {
            let lag = -minor_skew(kubelet, target);
            let max = max_kubelet_lag(kubelet);
            (lag > i64::from(max)).then(|| Blocker {
                name: name.to_string(),
                kubelet: kubelet.clone(),
                minors: clamp_u32(lag),
                max,
            })
        })
        .collect();
    UpgradePath { steps, blockers }
}

#[cfg(test)]
mod tests {

    #[test]
    fn minor_below_compares_minors_and_ignores_text_that_is_no_version() {
        let v126 = Version::new(1, 26, None);
        assert!(minor_below("v1.25.16-eks-59bf375", &v126));
        assert!(!minor_below("v1.26.0", &v126));
        assert!(!minor_below("v1.27.1", &v126));
        assert!(!minor_below("banana", &v126));
        assert_eq!(minor_of("1.26"), Some((1, 26)));
        assert_eq!(minor_of(""), None);
    }
    use super::*;

    fn v(s: &str) -> Version {
        match Version::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    fn kind(s: &str) -> VersionErrorKind {
        match Version::parse(s) {
            Ok(v) => panic!("{s:?} parsed as {v}"),
            Err(e) => e.kind,
        }
    }

    #[test]
    fn parses_every_provider_form() {
        let cases = [
            ("v1.24.17-eks-a59e1f0", 1, 24, Some(17), Some("eks-a59e1f0")),
            ("v1.29.6+k3s1", 1, 29, Some(6), Some("k3s1")),
            ("v1.28.5-gke.1217000", 1, 28, Some(5), Some("gke.1217000")),
            ("1.28", 1, 28, None, None),
            ("1.28.3", 1, 28, Some(3), None),
            ("v1.28", 1, 28, None, None),
            (" 1.28.3\n", 1, 28, Some(3), None),
            ("v1.30.0-rc.1", 1, 30, Some(0), Some("rc.1")),
        ];
        for (s, major, minor, patch, tag) in cases {
            let got = v(s);
            assert_eq!(
                (got.major, got.minor, got.patch, got.tag.as_deref()),
                (major, minor, patch, tag),
                "{s}"
            );
        }
    }

    #[test]
    fn odd_inputs_are_errors_not_panics() {
        use VersionErrorKind::*;
        assert_eq!(kind(""), Empty);
        assert_eq!(kind("   "), Empty);
        assert_eq!(kind("v"), Empty);
        assert_eq!(kind("1"), NoMinor);
        assert_eq!(kind("v1"), NoMinor);
        assert_eq!(kind("1."), EmptyComponent("minor"));
        assert_eq!(kind(".1"), EmptyComponent("major"));
        assert_eq!(kind("1..2"), EmptyComponent("minor"));
        assert_eq!(kind("1.2."), EmptyComponent("patch"));
        assert_eq!(kind("1.x"), NonNumeric("minor", "x".into()));
        assert_eq!(kind("1.-2"), EmptyComponent("minor"));
        assert_eq!(kind("+1.2"), EmptyComponent("major"));
        assert_eq!(kind("1.2.3.4"), TooManyComponents(4));
        assert_eq!(
            kind("99999999999.1"),
            Overflow("major", "99999999999".into())
        );
        assert_eq!(kind("1.28-"), EmptyTag);
        assert_eq!(kind("1. 28"), Whitespace);
        assert_eq!(kind("1.28 rc"), Whitespace);
        assert_eq!(kind("１.２"), NonNumeric("major", "１".into()));
        assert_eq!(kind("vv1.2"), NonNumeric("major", "v1".into()));
    }

    #[test]
    fn no_input_panics() {
        // Every string of up to 4 characters over an alphabet of the interesting ones.
        let alphabet = ['v', '1', '9', '.', '-', '+', ' ', 'x', '0', '\u{e9}'];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = inputs
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            inputs.extend(longer);
        }
        inputs.sort();
        inputs.dedup();
        let mut ok = 0;
        for s in &inputs {
            if let Ok(v) = Version::parse(s) {
                ok += 1;
                // Whatever parses displays as digits and dots.
                assert!(
                    v.to_string()
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.')
                );
            }
            let _ = Version::from_major_minor(s, s);
        }
        assert!(ok > 0);
    }

    #[test]
    fn error_names_the_string_and_the_reason() {
        let e = Version::parse("1.x").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid Kubernetes version "1.x": the minor version "x" is not a number"#
        );
    }

    #[test]
    fn from_major_minor_accepts_plus() {
        assert_eq!(
            Version::from_major_minor("1", "28+").map(|v| v.minor),
            Ok(28)
        );
        assert_eq!(
            Version::from_major_minor("1", "28").map(|v| v.minor),
            Ok(28)
        );
        assert!(Version::from_major_minor("1", "").is_err());
        assert!(Version::from_major_minor("", "28").is_err());
        assert!(Version::from_major_minor("1", "28++").is_err());
        let e = Version::from_major_minor("1", "x+").unwrap_err();
        assert_eq!(e.input, "1.x+");
    }

    #[test]
    fn ordering_ignores_the_tag_and_is_numeric() {
        assert_eq!(v("v1.24.17-eks-a59e1f0"), v("1.24.17"));
        assert_eq!(v("v1.24.17-eks-a"), v("v1.24.17+k3s1"));
        assert!(v("1.9") < v("1.10"));
        assert!(v("1.24.9") < v("1.24.17"));
        assert!(v("1.28") < v("1.28.1"));
        assert_eq!(v("1.28"), v("1.28.0"));
        // A semver pre-release would sort before 1.30.0; an opaque tag does not.
        assert_eq!(v("1.30.0-rc.1").cmp(&v("1.30.0")), Ordering::Equal);
    }

    #[test]
    fn serialises_as_display() {
        assert_eq!(
            serde_json::to_string(&v("v1.24.17-eks-a59e1f0")).unwrap_or_default(),
            "\"1.24.17\""
        );
    }

    #[test]
    fn display_and_minor_str() {
        let x = v("v1.24.17-eks-a59e1f0");
        assert_eq!(x.to_string(), "1.24.17");
        assert_eq!(x.minor_str(), "1.24");
        assert_eq!(v("v1.28").to_string(), "1.28");
    }

    #[test]
    fn control_plane_version_falls_back_to_major_minor() {
        assert_eq!(
            control_plane_version("v1.25.16-eks-3025e55", "1", "25+").map(|v| v.patch),
            Ok(Some(16))
        );
        assert_eq!(
            control_plane_version("weird", "1", "25+").map(|v| v.minor_str()),
            Ok("1.25".into())
        );
        let e = control_plane_version("weird", "1", "x").unwrap_err();
        assert_eq!(e.input, "weird");
    }

    #[test]
    fn lag_limit_is_two_below_1_25_and_three_from_1_25() {
        assert_eq!(max_kubelet_lag(&v("1.23.4")), 2);
        assert_eq!(max_kubelet_lag(&v("1.24.17")), 2);
        assert_eq!(max_kubelet_lag(&v("1.25.0")), 3);
        assert_eq!(max_kubelet_lag(&v("1.30")), 3);
    }

    #[test]
    fn skew_table() {
        use NodeVerdict::*;
        let cases = [
            // kubelet, control plane, target, verdict
            ("1.25.16", "1.25.16", "1.25.16", Current),
            ("1.25.1", "1.25.16", "1.25", Current),
            ("1.24.17", "1.25.16", "1.25.16", Behind { minors: 1 }),
            ("1.23.17", "1.25.16", "1.25.16", Behind { minors: 2 }),
            (
                "1.22.17",
                "1.25.16",
                "1.25.16",
                BeyondPolicy { minors: 3, max: 2 },
            ),
            ("1.26.1", "1.29.0", "1.29.0", Behind { minors: 3 }),
            (
                "1.25.1",
                "1.29.0",
                "1.29.0",
                BeyondPolicy { minors: 4, max: 3 },
            ),
            (
                "1.26.0",
                "1.25.16",
                "1.25.16",
                NewerThanApiServer { minors: 1 },
            ),
            // Newer than the API server even if the target would allow it.
            (
                "1.26.0",
                "1.25.16",
                "1.26",
                NewerThanApiServer { minors: 1 },
            ),
            // Target two minors ahead: 1.24 kubelets may lag only 2.
            ("1.24.17", "1.25.16", "1.26", Behind { minors: 2 }),
            (
                "1.24.17",
                "1.25.16",
                "1.27",
                BeyondPolicy { minors: 3, max: 2 },
            ),
            ("1.25.3", "1.25.16", "1.28", Behind { minors: 3 }),
            (
                "1.25.3",
                "1.25.16",
                "1.29",
                BeyondPolicy { minors: 4, max: 3 },
            ),
            ("1.25.3", "1.25.16", "1.24", AheadOfTarget { minors: 1 }),
        ];
        for (k, cp, t, want) in cases {
            assert_eq!(node_verdict(&v(k), &v(cp), &v(t)), want, "{k} {cp} {t}");
        }
    }

    #[test]
    fn signed_skew_for_the_column() {
        assert_eq!(minor_skew(&v("1.24.17"), &v("1.25.16")), -1);
        assert_eq!(minor_skew(&v("1.25.1"), &v("1.25.16")), 0);
        assert_eq!(minor_skew(&v("1.26.0"), &v("1.25.16")), 1);
        assert_eq!(minor_skew(&v("2.0"), &v("1.30")), 970);
    }

    #[test]
    fn a_1_24_kubelet_blocks_a_control_plane_two_minors_ahead_only_past_1_26() {
        let k124 = v("v1.24.17-eks-a59e1f0");
        let k125 = v("1.25.16");
        let nodes = [("old", &k124), ("new", &k125)];
        let to_126 = upgrade_path(&v("1.25.16"), &v("1.26"), nodes);
        assert!(to_126.blockers.is_empty(), "{to_126:?}");
        assert_eq!(to_126.steps, vec![v("1.26")]);

        // From 1.24 straight to 1.26 is two steps; the 1.24 kubelet may lag 2: allowed.
        let from_124 = upgrade_path(&v("1.24.17"), &v("1.26"), nodes);
        assert_eq!(from_124.steps, vec![v("1.25"), v("1.26")]);
        assert!(from_124.blockers.is_empty());

        let to_127 = upgrade_path(&v("1.25.16"), &v("1.27.3"), nodes);
        assert_eq!(to_127.steps, vec![v("1.26"), v("1.27.3")]);
        assert_eq!(
            to_127.blockers,
            vec![Blocker {
                name: "old".into(),
                kubelet: k124.clone(),
                minors: 3,
                max: 2
            }]
        );
    }

    #[test]
    fn a_1_23_kubelet_blocks_1_26() {
        let k = v("1.23.9");
        let p = upgrade_path(&v("1.25.0"), &v("1.26"), [("n", &k)]);
        assert_eq!(p.blockers.len(), 1);
        assert_eq!((p.blockers[0].minors, p.blockers[0].max), (3, 2));
    }

    #[test]
    fn no_steps_when_the_target_is_not_ahead() {
        let k = v("1.20");
        assert_eq!(
            upgrade_path(&v("1.25.16"), &v("1.25"), [("n", &k)]),
            UpgradePath::default()
        );
        assert_eq!(
            upgrade_path(&v("1.25.16"), &v("1.24"), [("n", &k)]),
            UpgradePath::default()
        );
    }
}
