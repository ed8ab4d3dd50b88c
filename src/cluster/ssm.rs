//! SSM GetParameter on the EKS optimized-AMI parameters, as Karpenter resolves an
//! EC2NodeClass alias for a Kubernetes version: whether `al2023@latest` or a pinned
//! `al2023@v20250505` finds an AMI at the target. A failure to ask (unreachable, AccessDenied)
//! is recorded as "not confirmed", never an error of the command.

use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use futures::future::join_all;

use super::eks::Eks;
use crate::karpenter::alias::{AliasCheck, ParameterAnswer, outcome, ssm_parameters};
use crate::karpenter::{KarpenterInfo, parse_alias};
use crate::version::Version;

impl Eks {
    /// One check per EC2NodeClass alias (a valid one), at the target's minor.
    pub async fn confirm_aliases(&self, k: &KarpenterInfo, target: &Version) -> Vec<AliasCheck> {
        let wanted: Vec<(String, String, Vec<String>)> = k
            .node_classes
            .iter()
            .flatten()
            .filter_map(|c| {
                let alias = c.ami_selector_terms.iter().find_map(|t| t.alias.clone())?;
                let (family, version) = parse_alias(&alias).ok()?;
                Some((
                    c.name.clone(),
                    alias,
                    ssm_parameters(&family, &version, target),
                ))
            })
            .collect();
        join_all(
            wanted
                .into_iter()
                .map(|(class, alias, parameters)| async move {
                    let answers = join_all(parameters.iter().map(|p| self.parameter(p))).await;
                    AliasCheck {
                        node_class: class,
                        alias,
                        kubernetes: target.minor_str(),
                        outcome: outcome(&answers),
                        parameters,
                    }
                }),
        )
        .await
    }

    async fn parameter(&self, name: &str) -> ParameterAnswer {
        match self.ssm.get_parameter().name(name).send().await {
            Ok(out) => match out.parameter().and_then(|p| p.value()) {
                Some(v) => ParameterAnswer::Value(v.to_string()),
                None => ParameterAnswer::Failed(format!("GetParameter {name}: no value")),
            },
            Err(SdkError::ServiceError(e)) if e.err().is_parameter_not_found() => {
                ParameterAnswer::NotFound
            }
            Err(e) => {
                let what = e
                    .code()
                    .map(str::to_string)
                    .unwrap_or_else(|| DisplayErrorContext(&e).to_string());
                ParameterAnswer::Failed(format!("SSM GetParameter in {}: {what}", self.region))
            }
        }
    }
}
