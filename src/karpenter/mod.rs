//! Karpenter as kup holds it: plain data that `cluster` fills (EC2NodeClasses, NodePools'
//! disruption settings, NodeClaims, the controller's version) and the pure rules about it —
//! which Kubernetes versions a Karpenter release supports, whether a NodeClass's AMI follows
//! the control plane, and what the disruption budgets allow at a given instant.

pub mod alias;
pub mod budget;
pub mod cron;

use serde::Serialize;
use std::collections::BTreeMap;

use crate::version::Version;
pub use budget::{Allowance, Budget, DRIFTED, allowance};

/// What kup read about Karpenter; `None` parts were not read (the reason is in `notes`).
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KarpenterInfo {
    /// The controller Deployment; None when none was found (see `notes`).
    pub controller: Option<Controller>,
    pub node_pools: Option<Vec<NodePoolSpec>>,
    pub node_classes: Option<Vec<NodeClass>>,
    pub node_claims: Option<Vec<NodeClaim>>,
    /// What could not be read and why (a missing CRD, RBAC), or how the version was found.
    pub notes: Vec<String>,
    /// Each alias asked of SSM, at each version asked (`kup upgrade` asks at every hop; empty
    /// when AWS was not asked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<alias::AliasCheck>,
}

impl KarpenterInfo {
    /// What SSM said of the aliases at `target`.
    pub fn aliases_at<'a>(
        &'a self,
        target: &crate::version::Version,
    ) -> impl Iterator<Item = &'a alias::AliasCheck> + 'a {
        let minor = target.minor_str();
        self.aliases.iter().filter(move |a| a.kubernetes == minor)
    }
}

/// The `karpenter` controller Deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Controller {
    pub namespace: String,
    pub name: String,
    /// As found (`1.14.1`, `v0.32.0`); None when neither the label nor the image tag says.
    pub version: Option<String>,
    /// Where the version came from: `app.kubernetes.io/version` or `image`.
    pub version_source: Option<String>,
    pub image: Option<String>,
}

impl Controller {
    pub fn subject(&self) -> String {
        format!("deployment/{}/{}", self.namespace, self.name)
    }
    pub fn parsed(&self) -> Option<Version> {
        self.version.as_deref().and_then(parse_karpenter_version)
    }
}

/// The version in a controller image reference (`repo:1.14.1@sha256:...`), if it has a tag.
pub fn image_tag(image: &str) -> Option<&str> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let (repo, tag) = no_digest.rsplit_once(':')?;
    // A colon before the last `/` is a registry port, not a tag.
    (!tag.contains('/') && !repo.is_empty()).then_some(tag)
}

/// `1.14.1`, `v0.32.0`, `0.37.0-rc.1`: the leading `v` is optional (tags before 0.35 had it).
pub fn parse_karpenter_version(s: &str) -> Option<Version> {
    let v = Version::parse(s).ok()?;
    v.patch.is_some().then_some(v)
}

/// One NodePool's disruption settings (karpenter.sh v1 or v1beta1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpec {
    pub name: String,
    pub api_version: String,
    /// `spec.template.spec.nodeClassRef.name` (the EC2NodeClass).
    pub node_class: Option<String>,
    /// As the API server holds them: absent is defaulted to `nodes: 10%` (by the reader, as
    /// the CRD's default does); an explicit empty list limits nothing.
    pub budgets: Vec<Budget>,
    pub consolidation_policy: Option<String>,
    pub expire_after: Option<String>,
    pub termination_grace_period: Option<String>,
}

/// One `amiSelectorTerms[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmiTerm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssm_parameter: Option<String>,
}

/// An EC2NodeClass (karpenter.k8s.aws v1 or v1beta1), reduced to what decides its AMIs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeClass {
    pub name: String,
    pub api_version: String,
    pub ami_family: Option<String>,
    pub ami_selector_terms: Vec<AmiTerm>,
    /// `status.amis[].id`, deduplicated.
    pub status_amis: Vec<String>,
    /// `status.amis[].name` by id, where the status names them (EKS optimized AMI names carry
    /// their Kubernetes minor).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ami_names: BTreeMap<String, String>,
}

/// One NodeClaim: which node, which pool, which AMI, whether Karpenter calls it drifted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeClaim {
    pub name: String,
    pub node_pool: Option<String>,
    pub node_name: Option<String>,
    pub image_id: Option<String>,
    /// The `Drifted` condition's reason (`AMIDrift`, ...) when it is True.
    pub drifted: Option<String>,
    /// Being deleted (deletionTimestamp set): Karpenter is replacing it.
    pub deleting: bool,
    /// Annotated `karpenter.sh/do-not-disrupt: "true"`: Karpenter leaves its node alone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub do_not_disrupt: bool,
}

/// How a NodeClass's AMI relates to the control plane's version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AmiPolicy {
    /// Resolved per Kubernetes version: nodes drift after the control plane moves.
    FollowsControlPlane { family: String, by: String },
    /// An alias pinned to a release: drifts only if that release exists for the new minor.
    PinnedRelease {
        family: String,
        release: String,
        by: String,
    },
    /// Terms by id, name, tags or SSM parameter: no Kubernetes version in the lookup, so no
    /// drift, and a replaced node comes back on the same AMI.
    PinnedAmi { by: String, amis: Vec<String> },
    /// Karpenter would reject or fail to resolve the selection.
    Invalid { reason: String },
}

pub const ALIAS_FAMILIES: [&str; 6] = [
    "al2",
    "al2023",
    "bottlerocket",
    "windows2019",
    "windows2022",
    "windows2025",
];

impl NodeClass {
    pub fn subject(&self) -> String {
        format!("ec2nodeclass/{}", self.name)
    }

    /// The AMI family in lower case (`spec.amiFamily`, else the alias's), as Karpenter's
    /// `AMIFamily()` picks it.
    pub fn family(&self) -> Option<String> {
        self.ami_family
            .as_ref()
            .map(|f| f.to_ascii_lowercase())
            .or_else(|| {
                self.ami_selector_terms
                    .iter()
                    .find_map(|t| t.alias.as_ref())
                    .and_then(|a| a.split_once('@'))
                    .map(|(f, _)| f.to_ascii_lowercase())
            })
    }

    pub fn ami_policy(&self) -> AmiPolicy {
        let invalid = |reason: String| AmiPolicy::Invalid { reason };
        let terms = &self.ami_selector_terms;
        if let Some(alias) = terms.iter().find_map(|t| t.alias.as_deref()) {
            if terms.len() != 1 {
                return invalid("an alias term must be the only amiSelectorTerm".into());
            }
            return match parse_alias(alias) {
                Ok((family, v)) if v == "latest" => AmiPolicy::FollowsControlPlane {
                    family,
                    by: format!("alias {alias}"),
                },
                Ok((family, release)) => AmiPolicy::PinnedRelease {
                    family,
                    release,
                    by: format!("alias {alias}"),
                },
                Err(e) => invalid(e),
            };
        }
        if terms.is_empty() {
            // v1beta1 without terms: the family's recommended AMI for the cluster's version.
            return match self.ami_family.as_deref() {
                Some(f) if self.api_version.ends_with("v1beta1") && f != "Custom" => {
                    AmiPolicy::FollowsControlPlane {
                        family: f.to_ascii_lowercase(),
                        by: format!("amiFamily {f} without amiSelectorTerms"),
                    }
                }
                _ => invalid(
                    "no amiSelectorTerms (required in v1, and with amiFamily Custom)".into(),
                ),
            };
        }
        let by = terms
            .iter()
            .map(describe_term)
            .collect::<Vec<_>>()
            .join(", ");
        if by.is_empty() {
            return invalid(
                "an amiSelectorTerm names none of alias, id, name, tags, ssmParameter".into(),
            );
        }
        let mut amis: Vec<String> = terms.iter().filter_map(|t| t.id.clone()).collect();
        amis.extend(self.status_amis.iter().cloned());
        amis.sort();
        amis.dedup();
        AmiPolicy::PinnedAmi { by, amis }
    }

    /// The family Karpenter resolves AMIs by: the alias's; without terms (v1beta1) the
    /// amiFamily's recommended AMI; None for id/name/tags/SSM terms, which name the AMI itself
    /// (amiFamily then only shapes the user data).
    pub fn resolving_family(&self) -> Option<String> {
        let terms = &self.ami_selector_terms;
        if let Some(alias) = terms.iter().find_map(|t| t.alias.as_deref()) {
            return alias.split_once('@').map(|(f, _)| f.to_ascii_lowercase());
        }
        terms
            .is_empty()
            .then(|| self.ami_family.as_ref().map(|f| f.to_ascii_lowercase()))
            .flatten()
    }

    /// No EKS-optimized AL2 AMIs exist for Kubernetes 1.33 and later (Karpenter refuses AL2
    /// aliases there).
    pub fn al2_blocks(&self, target: &Version) -> bool {
        self.resolving_family().as_deref() == Some("al2") && (target.major, target.minor) >= (1, 33)
    }

    /// Karpenter refuses a windows2025 alias below Kubernetes 1.35 ("Windows Server 2025
    /// requires EKS version 1.35 or higher").
    pub fn windows2025_blocks(&self, target: &Version) -> bool {
        self.resolving_family().as_deref() == Some("windows2025")
            && (target.major, target.minor) < (1, 35)
    }
}

/// The Kubernetes minor an EKS optimized AMI's name carries: `amazon-eks-node-1.32-v20251110`,
/// `amazon-eks-node-al2023-x86_64-standard-1.33-v20260610`,
/// `bottlerocket-aws-k8s-1.33-x86_64-v1.58.0` — the one `-`-separated part of the form `1.N`.
pub fn ami_name_minor(name: &str) -> Option<(u32, u32)> {
    let mut found = name.split('-').filter_map(|part| {
        let (major, minor) = part.split_once('.')?;
        let parsed = (major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?);
        (parsed.0 == 1).then_some(parsed)
    });
    let first = found.next()?;
    // Two candidates: not a name kup can read.
    found.next().is_none().then_some(first)
}

fn describe_term(t: &AmiTerm) -> String {
    let mut parts = Vec::new();
    if let Some(id) = &t.id {
        parts.push(format!("id {id}"));
    }
    if let Some(n) = &t.name {
        parts.push(format!("name {n}"));
    }
    if !t.tags.is_empty() {
        let tags: Vec<String> = t.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(format!("tags {}", tags.join(",")));
    }
    if let Some(p) = &t.ssm_parameter {
        parts.push(format!("ssmParameter {p}"));
    }
    parts.join(" ")
}

/// `family@version`, as the CRD's rules admit it.
pub fn parse_alias(alias: &str) -> Result<(String, String), String> {
    let Some((family, version)) = alias.split_once('@') else {
        return Err(format!("alias {alias:?} must have the form family@version"));
    };
    if family.is_empty() || !family.bytes().all(|b| b.is_ascii_alphanumeric()) || version.is_empty()
    {
        return Err(format!("alias {alias:?} must have the form family@version"));
    }
    let family = family.to_string();
    if !ALIAS_FAMILIES.contains(&family.as_str()) {
        return Err(format!(
            "alias {alias:?} names an unknown family {family:?} (one of {})",
            ALIAS_FAMILIES.join(", ")
        ));
    }
    if family.starts_with("windows") && version != "latest" {
        return Err(format!(
            "alias {alias:?}: windows families may only use version 'latest'"
        ));
    }
    Ok((family, version.to_string()))
}

/// The Kubernetes minors a Karpenter release supports: from the provider's
/// `compatibility.yaml`, refined by the code's `MinK8sVersion`/`MaxK8sVersion` where they
/// disagree (1.6.0–1.6.5 and 1.7.0–1.7.3 accept only up to 1.33, though the published page
/// says 1.34 needs ">= 1.6"). Rows: first release of the row, min minor, max minor.
const MATRIX: &[((u32, u32, u32), u32, u32)] = &[
    ((0, 21, 0), 21, 24),
    ((0, 25, 0), 21, 25),
    ((0, 28, 0), 23, 27),
    ((0, 31, 0), 23, 28),
    ((0, 34, 0), 23, 29),
    ((0, 37, 0), 23, 30),
    ((1, 0, 0), 25, 30),
    ((1, 0, 5), 25, 31),
    ((1, 1, 0), 25, 31),
    ((1, 2, 0), 25, 32),
    ((1, 5, 0), 26, 33),
    ((1, 6, 0), 26, 33),
    ((1, 6, 6), 26, 34),
    ((1, 7, 0), 26, 33),
    ((1, 7, 4), 26, 34),
    ((1, 8, 0), 26, 34),
    ((1, 9, 0), 26, 35),
    ((1, 13, 0), 26, 36),
];

/// The newest Karpenter minor line the matrix knows (1.14.x).
const NEWEST_KNOWN: (u32, u32) = (1, 14);

/// The range of Kubernetes `1.x` minors a Karpenter version supports; None when kup's table
/// does not know the release (older than 0.21, newer than 1.14).
pub fn supported_minors(karpenter: &Version) -> Option<(u32, u32)> {
    let v = (
        karpenter.major,
        karpenter.minor,
        karpenter.patch.unwrap_or(0),
    );
    if (v.0, v.1) > NEWEST_KNOWN {
        return None;
    }
    MATRIX
        .iter()
        .rev()
        .find(|(from, _, _)| *from <= v)
        .map(|&(_, lo, hi)| (lo, hi))
}

/// The oldest Karpenter release that supports Kubernetes `1.minor` (the remedy's version).
pub fn minimum_for(minor: u32) -> Option<String> {
    MATRIX
        .iter()
        .find(|(_, lo, hi)| *lo <= minor && minor <= *hi)
        .map(|((a, b, c), _, _)| format!("{a}.{b}.{c}"))
}

/// Whether a Karpenter version supports the target Kubernetes version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compat {
    Supported,
    /// The target is newer than the release supports.
    TooOld {
        max: u32,
    },
    /// The target is older than the release supports.
    TooNew {
        min: u32,
    },
    Unknown,
}

pub fn compat(karpenter: &Version, target: &Version) -> Compat {
    match supported_minors(karpenter) {
        None => Compat::Unknown,
        Some(_) if target.major != 1 => Compat::Unknown,
        Some((_, hi)) if target.minor > hi => Compat::TooOld { max: hi },
        Some((lo, _)) if target.minor < lo => Compat::TooNew { min: lo },
        Some(_) => Compat::Supported,
    }
}

#[cfg(test)]
mod tests;
