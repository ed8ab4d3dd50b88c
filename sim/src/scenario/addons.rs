//! The scenario's `eks:` section: EKS add-ons installed on the cluster (`eks.addons:`),
//! checked against the add-on catalogue (`eks/addon_catalogue.rs`).

use super::{EksVersionSpec, ScenarioError};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// The `eks:` section of a scenario file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct EksSpec {
    #[serde(default)]
    addons: Vec<Spanned<AddonSpec>>,
}

/// An installed EKS add-on (`eks.addons:` entry).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddonSpec {
    /// `vpc-cni`, `coredns`, `kube-proxy`, `aws-ebs-csi-driver`, `eks-pod-identity-agent`, or
    /// any other name (DescribeAddonVersions then offers nothing for it).
    pub name: String,
    /// Default: the catalogue's default for the control plane's minor.
    pub version: Option<String>,
    /// AddonStatus; default ACTIVE.
    pub status: Option<String>,
    /// `health.issues`.
    #[serde(default)]
    pub issues: Vec<AddonIssueSpec>,
    pub service_account_role_arn: Option<String>,
    pub configuration_values: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddonIssueSpec {
    /// AddonIssueCode, e.g. InsufficientNumberOfReplicas.
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub resource_ids: Vec<String>,
}

const STATUSES: &[&str] = &[
    "CREATING",
    "ACTIVE",
    "CREATE_FAILED",
    "UPDATING",
    "DELETING",
    "DELETE_FAILED",
    "DEGRADED",
    "UPDATE_FAILED",
];

const ISSUE_CODES: &[&str] = &[
    "AccessDenied",
    "InternalFailure",
    "ClusterUnreachable",
    "InsufficientNumberOfReplicas",
    "ConfigurationConflict",
    "AdmissionRequestDenied",
    "UnsupportedAddonModification",
    "K8sResourceNotFound",
    "AddonSubscriptionNeeded",
    "AddonPermissionFailure",
];

/// The add-ons of an `eks:` section, each with a concrete version.
pub(crate) fn resolve(
    file: &str,
    spec: EksSpec,
    cluster_minor: u32,
    eks_versions: &[EksVersionSpec],
) -> Result<Vec<AddonSpec>, ScenarioError> {
    let calendar = crate::eks::versions::table(eks_versions);
    let mut out: Vec<AddonSpec> = Vec::new();
    for a in spec.addons {
        let err =
            |m: String| ScenarioError::at(file, a.referenced.line(), a.referenced.column(), m);
        let mut s = a.value.clone();
        if s.name.is_empty() {
            return Err(err("eks.addons: an add-on needs a name".into()));
        }
        if out.iter().any(|o| o.name == s.name) {
            return Err(err(format!("eks.addons: {:?} is listed twice", s.name)));
        }
        match &s.version {
            Some(v) if !v.starts_with('v') || v.len() < 2 => {
                return Err(err(format!(
                    "eks.addons {}: version {v:?} is not a version like v1.19.2-eksbuild.1",
                    s.name
                )));
            }
            Some(_) => {}
            None => {
                let d = crate::eks::addon_catalogue::default_version(
                    &calendar,
                    &s.name,
                    cluster_minor,
                )
                .ok_or_else(|| {
                    err(format!(
                        "eks.addons {}: no default version for Kubernetes 1.{cluster_minor}; give one",
                        s.name
                    ))
                })?;
                s.version = Some(d);
            }
        }
        if let Some(st) = &s.status
            && !STATUSES.contains(&st.as_str())
        {
            return Err(err(format!(
                "eks.addons {}: status {st:?} is not one of {}",
                s.name,
                STATUSES.join(", ")
            )));
        }
        if let Some(i) = s
            .issues
            .iter()
            .find(|i| !ISSUE_CODES.contains(&i.code.as_str()))
        {
            return Err(err(format!(
                "eks.addons {}: issue code {:?} is not one of {}",
                s.name,
                i.code,
                ISSUE_CODES.join(", ")
            )));
        }
        out.push(s);
    }
    Ok(out)
}
