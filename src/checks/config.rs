//! `.kup.yaml`: what the user tells kup about the cluster. Parsed by the shell (a bad file is a
//! usage error); the checks apply it, to every finding of every family.

use serde::Deserialize;

use crate::checks::finding::{Code, Finding};
use crate::model::PoolFilter;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Findings not to report.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
    /// Where workloads of a namespace must land.
    #[serde(default)]
    pub policies: Vec<Policy>,
}

/// Drops findings matching every given field (an absent field matches anything). `namespace`
/// and `name` are those of the finding's subject (`deployment/NS/NAME`, `node/NAME`,
/// `nodegroup/NAME`, `eks/NAME`); a subject without a namespace never matches a `namespace`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IgnoreRule {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub code: Option<Code>,
}

/// "Workloads in `namespace` must land on `pool`": `pool` is `NAME` (any kind) or
/// `nodepool/NAME`, `provisioner/NAME`, `nodegroup/NAME`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    pub namespace: String,
    #[serde(deserialize_with = "pool_filter")]
    pub pool: PoolFilter,
}

fn pool_filter<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PoolFilter, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

impl Config {
    /// Whether an ignore rule drops a finding of `code` about `namespace`/`name`.
    pub fn ignores(&self, code: Code, namespace: Option<&str>, name: Option<&str>) -> bool {
        self.ignore.iter().any(|r| {
            r.code.is_none_or(|c| c == code)
                && r.namespace.as_deref().is_none_or(|n| Some(n) == namespace)
                && r.name.as_deref().is_none_or(|n| Some(n) == name)
        })
    }

    /// Whether the finding survives the ignore rules.
    pub fn keeps(&self, f: &Finding) -> bool {
        let (namespace, name) = subject_parts(&f.subject);
        !self.ignores(f.code, namespace, name)
    }
}

/// `kind/NS/NAME` -> (NS, NAME); `kind/NAME` -> (None, NAME); `controlplane` -> (None, None).
fn subject_parts(subject: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = subject.splitn(3, '/').skip(1);
    match (parts.next(), parts.next()) {
        (Some(ns), Some(name)) => (Some(ns), Some(name)),
        (Some(name), None) => (None, Some(name)),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Config {
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn rules_match_the_subjects_namespace_and_name() {
        let c = config(
            "ignore:\n  - code: KUP-EKS-004\n  - name: ip-1\n    code: KUP-SKEW-001\n  - namespace: kube-system\n",
        );
        let f = |code, subject: &str| Finding::new(code, subject, "", "");
        assert!(!c.keeps(&f(Code::EksUnsupported, "eks/workshop")));
        assert!(!c.keeps(&f(Code::SkewBehind, "node/ip-1")));
        assert!(c.keeps(&f(Code::SkewBehind, "node/ip-2")));
        assert!(!c.keeps(&f(
            Code::PlaceMissingSelector,
            "daemonset/kube-system/aws-node"
        )));
        assert!(c.keeps(&f(Code::PlaceMissingSelector, "deployment/default/nginx")));
        assert!(c.keeps(&f(Code::SkewUpgradeBlocked, "controlplane")));
    }

    #[test]
    fn a_policy_names_a_pool_as_the_pool_flag_does() {
        let c = config("policies:\n  - namespace: payments\n    pool: nodepool/applications\n");
        assert_eq!(c.policies[0].pool.to_string(), "nodepool/applications");
        let bad: Result<Config, _> =
            serde_saphyr::from_str("policies:\n  - namespace: a\n    pool: fleet/x\n");
        assert!(bad.is_err());
    }
}
