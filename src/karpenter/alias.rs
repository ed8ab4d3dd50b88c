//! Confirming an EC2NodeClass alias the way Karpenter resolves it: the SSM parameters of the
//! EKS optimized AMIs for the target's Kubernetes minor (Karpenter's `DescribeImageQuery` per
//! family; paths in docs/research/upgrade-facts.md §2.4). Pure: which parameters to ask for,
//! and what the answers mean. `cluster::ssm` asks.

use serde::Serialize;

use crate::version::Version;

/// What SSM said about one alias at the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasCheck {
    pub node_class: String,
    pub alias: String,
    /// The Kubernetes minor asked for (`1.33`).
    pub kubernetes: String,
    pub parameters: Vec<String>,
    pub outcome: AliasOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "camelCase")]
pub enum AliasOutcome {
    /// At least one parameter resolved (Karpenter skips the missing ones).
    #[serde(rename_all = "camelCase")]
    Found { image_ids: Vec<String> },
    /// Every parameter is absent: Karpenter finds no AMI ("failed to discover any AMIs for
    /// alias") and cannot launch nodes.
    Missing,
    /// SSM could not be asked (unreachable, AccessDenied): neither confirmed nor refuted.
    NotConfirmed { reason: String },
}

/// One answer to one GetParameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParameterAnswer {
    Value(String),
    NotFound,
    Failed(String),
}

/// The standard-variant parameters Karpenter reads for `family@version` at `target`'s minor
/// (x86_64 and arm64); empty for a family kup does not know.
pub fn ssm_parameters(family: &str, version: &str, target: &Version) -> Vec<String> {
    let k = target.minor_str();
    let latest = version == "latest";
    let eks = "/aws/service/eks/optimized-ami";
    match family {
        "al2023" => ["x86_64", "arm64"]
            .iter()
            .map(|arch| {
                let leaf = if latest {
                    "recommended".to_string()
                } else {
                    format!("amazon-eks-node-al2023-{arch}-standard-{k}-{version}")
                };
                format!("{eks}/{k}/amazon-linux-2023/{arch}/standard/{leaf}/image_id")
            })
            .collect(),
        "al2" => [
            ("amazon-linux-2", "node"),
            ("amazon-linux-2-arm64", "arm64-node"),
        ]
        .iter()
        .map(|(dir, node)| {
            let leaf = if latest {
                "recommended".to_string()
            } else {
                format!("amazon-eks-{node}-{k}-{version}")
            };
            format!("{eks}/{k}/{dir}/{leaf}/image_id")
        })
        .collect(),
        // Bottlerocket's SSM path drops the `v` its releases carry on GitHub.
        "bottlerocket" => ["x86_64", "arm64"]
            .iter()
            .map(|arch| {
                let leaf = if latest {
                    "latest"
                } else {
                    version.trim_start_matches('v')
                };
                format!("/aws/service/bottlerocket/aws-k8s-{k}/{arch}/{leaf}/image_id")
            })
            .collect(),
        w if w.starts_with("windows") => {
            let year = w.trim_start_matches("windows");
            vec![format!(
                "/aws/service/ami-windows-latest/Windows_Server-{year}-English-Core-EKS_Optimized-{k}/image_id"
            )]
        }
        _ => Vec::new(),
    }
}

/// Karpenter's reading of the answers: any value resolves the alias; all absent means no AMI;
/// a failure with nothing found leaves it unconfirmed.
pub fn outcome(answers: &[ParameterAnswer]) -> AliasOutcome {
    let found: Vec<String> = answers
        .iter()
        .filter_map(|a| match a {
            ParameterAnswer::Value(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    if !found.is_empty() {
        return AliasOutcome::Found { image_ids: found };
    }
    match answers.iter().find_map(|a| match a {
        ParameterAnswer::Failed(e) => Some(e.clone()),
        _ => None,
    }) {
        Some(reason) => AliasOutcome::NotConfirmed { reason },
        None if answers.is_empty() => AliasOutcome::NotConfirmed {
            reason: "kup knows no SSM parameter for this family".into(),
        },
        None => AliasOutcome::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn parameters_per_family_as_karpenter_reads_them() {
        let t = v("1.33");
        assert_eq!(
            ssm_parameters("al2023", "latest", &t)[0],
            "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id"
        );
        assert_eq!(
            ssm_parameters("al2023", "v20250505", &t)[1],
            "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/amazon-eks-node-al2023-arm64-standard-1.33-v20250505/image_id"
        );
        assert_eq!(
            ssm_parameters("al2", "v20240807", &v("1.32"))[1],
            "/aws/service/eks/optimized-ami/1.32/amazon-linux-2-arm64/amazon-eks-arm64-node-1.32-v20240807/image_id"
        );
        assert_eq!(
            ssm_parameters("bottlerocket", "v1.58.0", &t)[0],
            "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/1.58.0/image_id"
        );
        assert_eq!(
            ssm_parameters("windows2022", "latest", &t),
            vec!["/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.33/image_id".to_string()]
        );
        assert!(ssm_parameters("ubuntu", "latest", &t).is_empty());
    }

    #[test]
    fn any_value_resolves_all_absent_is_missing_a_failure_is_unconfirmed() {
        use ParameterAnswer::*;
        assert_eq!(
            outcome(&[NotFound, Value("ami-1".into())]),
            AliasOutcome::Found {
                image_ids: vec!["ami-1".into()]
            }
        );
        assert_eq!(outcome(&[NotFound, NotFound]), AliasOutcome::Missing);
        assert!(matches!(
            outcome(&[NotFound, Failed("AccessDeniedException".into())]),
            AliasOutcome::NotConfirmed { .. }
        ));
        assert!(matches!(outcome(&[]), AliasOutcome::NotConfirmed { .. }));
    }
}
