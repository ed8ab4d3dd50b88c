//! The EKS API through aws-sdk-eks: which cluster and region, credentials through aws-config's
//! standard chain (profiles, SSO, env, `AWS_ENDPOINT_URL(_EKS)`), and the calls kup makes,
//! turned into the plain `crate::eks` types at once.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_eks::Client;
use aws_sdk_eks::config::{Credentials, Region};
use aws_sdk_eks::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_eks::primitives::DateTime;
use aws_sdk_eks::types::{Category, InsightsFilter};
use futures::StreamExt;
use jiff::civil::Date;

mod addon_update;
mod upgrade;

pub use upgrade::ClusterUpdate;

use super::{ClusterError, Connection};
use crate::eks::{EksCluster, EksInfo, Insight, NodeGroup, VersionSupport, taint_effect};
use crate::model::Taint;

/// Attempts per call, as for the Kubernetes API (the SDK backs off between them, longer on
/// throttling).
const ATTEMPTS: u32 = 6;
/// Attempts per SSM GetParameter (alias confirmation only).
const SSM_ATTEMPTS: u32 = 2;
/// Insights a report details (DescribeInsight each); the rest are listed by their summary.
const INSIGHTS_DESCRIBED: usize = 20;
/// Describe calls in flight at once: enough to be quick, few enough not to throttle ourselves.
pub(super) const CONCURRENT_DESCRIBES: usize = 8;

/// A client for one EKS cluster.
#[derive(Clone, Debug)]
pub struct Eks {
    client: Client,
    /// SSM in the same account and region, for the AMI parameters Karpenter resolves aliases by.
    pub(super) ssm: aws_sdk_ssm::Client,
    pub cluster: String,
    pub region: String,
    /// Where credentials come from, for messages.
    pub credentials: String,
}

/// The state of one update (DescribeUpdate) of a node group or an add-on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateState {
    pub id: String,
    /// InProgress, Successful, Failed or Cancelled.
    pub status: String,
    /// `CODE: message (resources)` of each error.
    pub errors: Vec<String>,
}

impl UpdateState {
    pub(super) fn of(id: &str, u: &aws_sdk_eks::types::Update) -> Self {
        UpdateState {
            id: id.to_string(),
            status: u
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "Unknown".into()),
            errors: error_details(u.errors()),
        }
    }
}

/// What an EKS update belongs to.
#[derive(Clone, Copy, Debug)]
pub(super) enum UpdateOf<'a> {
    Cluster,
    Nodegroup(&'a str),
    Addon(&'a str),
}

/// Opens the EKS client for the connection's EKS cluster; None when the context names none
/// (no `--cluster`, no EKS ARN, no `aws eks get-token` entry).
pub async fn open(conn: &Connection) -> Result<Option<Eks>, ClusterError> {
    let Some(id) = &conn.eks else {
        return Ok(None);
    };
    let profile = conn
        .aws
        .profile
        .clone()
        .or_else(|| conn.exec_hints.profile.clone());
    let region = conn
        .aws
        .region
        .clone()
        .or_else(|| id.region.clone())
        .or_else(|| conn.exec_hints.region.clone());
    // Setting a timeout config replaces the SDK's defaults: keep its 3.1 s connect timeout.
    let mut timeouts = TimeoutConfig::builder().connect_timeout(Duration::from_millis(3100));
    if let Some(t) = conn.request_timeout {
        timeouts = timeouts.operation_attempt_timeout(t);
    }
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts.build());
    // AWS_MAX_ATTEMPTS (or the profile's max_attempts) wins, as in the AWS CLI.
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS));
    }
    if let Some(p) = &profile {
        // A profile that was asked for is used, as with the AWS CLI: the default chain would
        // prefer AWS_ACCESS_KEY_ID from the environment over it.
        loader = loader.profile_name(p).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(p)
                .build(),
        );
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r));
    }
    let credentials = match &conn.aws.demo_endpoint {
        Some(endpoint) => {
            loader = loader
                .endpoint_url(endpoint)
                .credentials_provider(Credentials::new(
                    "kup-demo", "kup-demo", None, None, "kup-demo",
                ));
            "kup demo's simulated cluster".to_string()
        }
        None => credential_source(
            conn.aws.profile.as_deref(),
            conn.exec_hints.profile.as_deref(),
            |k| std::env::var(k).ok(),
        ),
    };
    let config = loader.load().await;
    let Some(region) = config.region().map(|r| r.to_string()) else {
        return Err(ClusterError::EksNoRegion {
            cluster: id.name.clone(),
        });
    };
    Ok(Some(Eks {
        client: Client::new(&config),
        // A confirmation, not a need: two attempts, so an unreachable SSM delays little.
        ssm: aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::config::Builder::from(&config)
                .retry_config(RetryConfig::standard().with_max_attempts(SSM_ATTEMPTS))
                .build(),
        ),
        cluster: id.name.clone(),
        region,
        credentials,
    }))
}

/// Says which credentials the standard chain will use, as far as the settings tell.
pub fn credential_source(
    flag_profile: Option<&str>,
    exec_profile: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> String {
    if let Some(p) = flag_profile {
        return format!("profile \"{p}\" (--profile)");
    }
    if let Some(p) = exec_profile {
        return format!("profile \"{p}\" (the kubeconfig's exec entry)");
    }
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID") {
        return "environment (AWS_ACCESS_KEY_ID)".into();
    }
    if let Some(p) = env("AWS_PROFILE").filter(|p| !p.is_empty()) {
        return format!("profile \"{p}\" (AWS_PROFILE)");
    }
    if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".into();
    }
    "the default chain (environment, ~/.aws profiles and SSO, web identity, container, \
     instance metadata)"
        .into()
}

impl Eks {
    /// DescribeCluster, DescribeClusterVersions, the node groups and the upgrade insights,
    /// concurrently. Only DescribeCluster must work: the others may be denied by an IAM policy
    /// (or missing from an endpoint), which the section then says.
    pub async fn read(&self) -> Result<EksInfo, ClusterError> {
        let (cluster, versions, node_groups, insights, addons) = futures::join!(
            self.describe_cluster(),
            self.cluster_versions(),
            self.node_groups_each(),
            self.insights_each(),
            self.addons_each(),
        );
        let cluster = cluster?;
        let mut unavailable = Vec::new();
        let versions = partial(versions, &mut unavailable);
        let node_groups = partial(node_groups, &mut unavailable).map(|(groups, failed)| {
            unavailable.extend(failed);
            groups
        });
        let insights = partial(insights, &mut unavailable).map(|(insights, failed)| {
            unavailable.extend(failed);
            insights
        });
        let mut addon_versions = Vec::new();
        let addons = partial(addons, &mut unavailable).map(|(addons, lists, failed)| {
            unavailable.extend(failed);
            addon_versions = lists;
            addons
        });
        Ok(EksInfo {
            cluster,
            versions,
            node_groups,
            insights,
            addons,
            addon_versions,
            unavailable,
        })
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    pub async fn describe_cluster(&self) -> Result<EksCluster, ClusterError> {
        let call = "DescribeCluster";
        let out = self
            .client
            .describe_cluster()
            .name(&self.cluster)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        let c = out
            .cluster()
            .ok_or_else(|| self.malformed(call, "no cluster"))?;
        Ok(EksCluster {
            name: c.name().unwrap_or(&self.cluster).to_string(),
            region: self.region.clone(),
            arn: c.arn().map(str::to_string),
            version: c
                .version()
                .ok_or_else(|| self.malformed(call, "no version"))?
                .to_string(),
            platform_version: c.platform_version().map(str::to_string),
            status: c
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
            support_type: c
                .upgrade_policy()
                .and_then(|p| p.support_type())
                .map(|s| s.as_str().to_string()),
        })
    }

    /// Every version EKS offers (including unsupported ones, so the cluster's own is there),
    /// oldest first.
    pub async fn cluster_versions(&self) -> Result<Vec<VersionSupport>, ClusterError> {
        let call = "DescribeClusterVersions";
        let items: Vec<_> = self
            .client
            .describe_cluster_versions()
            .include_all(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error(call, e))?;
        let mut versions: Vec<VersionSupport> = items
            .iter()
            .filter_map(|v| {
                Some(VersionSupport {
                    version: v.cluster_version()?.to_string(),
                    release_date: v.release_date().and_then(day),
                    end_of_standard_support: v.end_of_standard_support_date().and_then(day),
                    end_of_extended_support: v.end_of_extended_support_date().and_then(day),
                    status: v
                        .version_status()
                        .map(|s| s.as_str().to_string())
                        .or_else(|| v.status().map(|s| s.as_str().to_string())),
                    default: v.default_version(),
                })
            })
            .collect();
        versions.sort_by_key(|v| minor_key(&v.version));
        versions.dedup_by(|a, b| a.version == b.version);
        Ok(versions)
    }

    /// ListNodegroups (paginated), then DescribeNodegroup for each (a few at a time); any
    /// failure fails it (rotate acts on the list).
    pub async fn node_groups(&self) -> Result<Vec<NodeGroup>, ClusterError> {
        let (groups, failed) = self.node_groups_each().await?;
        match failed.into_iter().next() {
            Some(reason) => Err(self.failed("DescribeNodegroup", reason)),
            None => Ok(groups),
        }
    }

    /// The node groups that could be described, and why the others could not (one deleted
    /// between the list and its describe, say): a report keeps what it has.
    async fn node_groups_each(&self) -> Result<(Vec<NodeGroup>, Vec<String>), ClusterError> {
        let names: Vec<String> = self
            .client
            .list_nodegroups()
            .cluster_name(&self.cluster)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("ListNodegroups", e))?;
        let (mut groups, failed) =
            each(&names, "DescribeNodegroup", |n| self.describe_nodegroup(n)).await;
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((groups, failed))
    }

    pub async fn describe_nodegroup(&self, name: &str) -> Result<NodeGroup, ClusterError> {
        let call = "DescribeNodegroup";
        let out = self
            .client
            .describe_nodegroup()
            .cluster_name(&self.cluster)
            .nodegroup_name(name)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        let g = out
            .nodegroup()
            .ok_or_else(|| self.malformed(call, "no nodegroup"))?;
        let scaling = g.scaling_config();
        let update = g.update_config();
        Ok(NodeGroup {
            name: g.nodegroup_name().unwrap_or(name).to_string(),
            version: g.version().map(str::to_string),
            release_version: g.release_version().map(str::to_string),
            ami_type: g.ami_type().map(|a| a.as_str().to_string()),
            status: g
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
            capacity_type: g.capacity_type().map(|c| c.as_str().to_string()),
            instance_types: g.instance_types().to_vec(),
            min_size: scaling.and_then(|s| s.min_size()),
            max_size: scaling.and_then(|s| s.max_size()),
            desired_size: scaling.and_then(|s| s.desired_size()),
            max_unavailable: update.and_then(|u| u.max_unavailable()),
            max_unavailable_percentage: update.and_then(|u| u.max_unavailable_percentage()),
            labels: g
                .labels()
                .map(|l| {
                    l.iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<BTreeMap<_, _>>()
                })
                .unwrap_or_default(),
            taints: g
                .taints()
                .iter()
                .map(|t| Taint {
                    key: t.key().unwrap_or_default().to_string(),
                    value: t.value().map(str::to_string),
                    effect: taint_effect(t.effect().map(|e| e.as_str()).unwrap_or_default()),
                })
                .collect(),
            health_issues: g
                .health()
                .map(|h| {
                    h.issues()
                        .iter()
                        .map(|i| issue_text(i.code().map(|c| c.as_str()), i.message()))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// ListInsights (UPGRADE_READINESS, paginated) and DescribeInsight for the ones not
    /// passing (the summary has no recommendation); why a DescribeInsight failed, for each.
    async fn insights_each(&self) -> Result<(Vec<Insight>, Vec<String>), ClusterError> {
        let summaries: Vec<_> = self
            .client
            .list_insights()
            .cluster_name(&self.cluster)
            .filter(
                InsightsFilter::builder()
                    .categories(Category::UpgradeReadiness)
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("ListInsights", e))?;
        let mut insights: Vec<Insight> = summaries
            .iter()
            .map(|s| Insight {
                id: s.id().unwrap_or_default().to_string(),
                name: s.name().unwrap_or_default().to_string(),
                status: s
                    .insight_status()
                    .and_then(|st| st.status())
                    .map(|st| st.as_str().to_string())
                    .unwrap_or_else(|| "UNKNOWN".into()),
                reason: s
                    .insight_status()
                    .and_then(|st| st.reason())
                    .map(str::to_string),
                kubernetes_version: s.kubernetes_version().map(str::to_string),
                description: s.description().map(str::to_string),
                recommendation: None,
                resources: Vec::new(),
                deprecations: Vec::new(),
            })
            .collect();
        let wanted: Vec<String> = insights
            .iter()
            .filter(|i| i.status != "PASSING" && !i.id.is_empty())
            .take(INSIGHTS_DESCRIBED)
            .map(|i| i.id.clone())
            .collect();
        let (details, failed) = each(&wanted, "DescribeInsight", |id| {
            self.describe_insight(id.to_string())
        })
        .await;
        for (id, recommendation, resources, deprecations) in details {
            if let Some(i) = insights.iter_mut().find(|i| i.id == id) {
                i.recommendation = recommendation;
                i.resources = resources;
                i.deprecations = deprecations;
            }
        }
        insights.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok((insights, failed))
    }

    async fn describe_insight(
        &self,
        id: String,
    ) -> Result<
        (
            String,
            Option<String>,
            Vec<String>,
            Vec<crate::apis::InsightDeprecation>,
        ),
        ClusterError,
    > {
        let call = "DescribeInsight";
        let out = self
            .client
            .describe_insight()
            .cluster_name(&self.cluster)
            .id(&id)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        let Some(i) = out.insight() else {
            return Ok((id, None, Vec::new(), Vec::new()));
        };
        /// A few resources are enough to act on; the CLI shows the rest.
        const RESOURCES_SHOWN: usize = 5;
        let mut resources: Vec<String> = i
            .resources()
            .iter()
            .filter_map(|r| r.kubernetes_resource_uri().or(r.arn()).map(str::to_string))
            .collect();
        if resources.len() > RESOURCES_SHOWN {
            let more = resources.len() - RESOURCES_SHOWN;
            resources.truncate(RESOURCES_SHOWN);
            resources.push(format!("and {more} more"));
        }
        Ok((
            id,
            i.recommendation().map(str::to_string),
            resources,
            super::apis::insight_deprecations(i),
        ))
    }

    /// UpdateNodegroupVersion to `version` (the cluster's); returns the update id.
    pub async fn update_nodegroup_version(
        &self,
        nodegroup: &str,
        version: &str,
    ) -> Result<String, ClusterError> {
        let call = "UpdateNodegroupVersion";
        let out = self
            .client
            .update_nodegroup_version()
            .cluster_name(&self.cluster)
            .nodegroup_name(nodegroup)
            .version(version)
            .send()
            .await
            .map_err(|e| self.error(call, e))?;
        self.update_id(call, out.update())
    }

    /// The node group's updates, newest first (ListUpdates), to resume following one.
    pub async fn nodegroup_updates(&self, nodegroup: &str) -> Result<Vec<String>, ClusterError> {
        let ids: Vec<String> = self
            .client
            .list_updates()
            .name(&self.cluster)
            .nodegroup_name(nodegroup)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.error("ListUpdates", e))?;
        Ok(ids)
    }

    pub async fn describe_update(
        &self,
        nodegroup: &str,
        id: &str,
    ) -> Result<UpdateState, ClusterError> {
        let u = self.update(UpdateOf::Nodegroup(nodegroup), id).await?;
        Ok(UpdateState::of(id, &u))
    }

    /// DescribeUpdate: EKS wants the node group's or add-on's name beside the cluster's.
    pub(super) async fn update(
        &self,
        of: UpdateOf<'_>,
        id: &str,
    ) -> Result<aws_sdk_eks::types::Update, ClusterError> {
        let call = "DescribeUpdate";
        let req = self
            .client
            .describe_update()
            .name(&self.cluster)
            .update_id(id);
        let req = match of {
            UpdateOf::Cluster => req,
            UpdateOf::Nodegroup(n) => req.nodegroup_name(n),
            UpdateOf::Addon(a) => req.addon_name(a),
        };
        let out = req.send().await.map_err(|e| self.error(call, e))?;
        out.update()
            .cloned()
            .ok_or_else(|| self.malformed(call, "no update"))
    }

    /// The id of the update a write started (UpdateClusterVersion, UpdateNodegroupVersion,
    /// UpdateAddon).
    pub(super) fn update_id(
        &self,
        call: &str,
        update: Option<&aws_sdk_eks::types::Update>,
    ) -> Result<String, ClusterError> {
        update
            .and_then(|u| u.id())
            .map(str::to_string)
            .ok_or_else(|| self.malformed(call, "no update id"))
    }

    pub(super) fn error<E, R>(&self, call: &str, e: SdkError<E, R>) -> ClusterError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        if let SdkError::ServiceError(se) = &e {
            let err = se.err();
            let code = err.code().unwrap_or("Unknown");
            let message = err.message().unwrap_or_default().to_string();
            if code == "ResourceNotFoundException"
                && matches!(
                    call,
                    "DescribeCluster" | "ListNodegroups" | "ListInsights" | "ListUpdates"
                )
            {
                return ClusterError::EksClusterNotFound {
                    call: call.into(),
                    cluster: self.cluster.clone(),
                    region: self.region.clone(),
                    message,
                };
            }
            return self.failed(call, format!("{code}: {message}"));
        }
        let reason = match &e {
            SdkError::TimeoutError(_) => "timed out (raise --request-timeout)".to_string(),
            _ => causes(&e),
        };
        self.failed(call, reason)
    }

    fn failed(&self, call: &str, reason: String) -> ClusterError {
        ClusterError::Eks {
            call: call.into(),
            cluster: self.cluster.clone(),
            region: self.region.clone(),
            reason,
            credentials: self.credentials.clone(),
        }
    }

    pub(super) fn malformed(&self, call: &str, what: &str) -> ClusterError {
        self.failed(call, format!("malformed answer: {what}"))
    }
}

/// `CODE: message (resources)` of each of an update's errors.
fn error_details(errors: &[aws_sdk_eks::types::ErrorDetail]) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            let mut s = format!(
                "{}: {}",
                e.error_code().map(|c| c.as_str()).unwrap_or("Unknown"),
                e.error_message().unwrap_or_default()
            );
            if !e.resource_ids().is_empty() {
                s.push_str(&format!(" ({})", e.resource_ids().join(", ")));
            }
            s
        })
        .collect()
}

/// The innermost causes of an SDK error, without the SDK's wrapper layers ("dispatch
/// failure", "other") or Debug dumps.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        let text = match text.as_str() {
            "dispatch failure" | "other" | "io error" | "unhandled error" => String::new(),
            "the credential provider was not enabled" => "no AWS credentials found".to_string(),
            _ => text,
        };
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    if parts.is_empty() {
        DisplayErrorContext(e).to_string()
    } else {
        parts.join(": ")
    }
}

/// A call's result, or None and why (for the section's "not read" line).
fn partial<T>(r: Result<T, ClusterError>, unavailable: &mut Vec<String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            unavailable.push(reason_of(e));
            None
        }
    }
}

/// One call per name, a few at a time: what answered, and `CALL NAME: reason` for each that did
/// not (one deleted between the list and its describe, say), so a report keeps what it has.
pub(super) async fn each<'a, T, F, Fut>(
    names: &'a [String],
    call: &str,
    describe: F,
) -> (Vec<T>, Vec<String>)
where
    F: Fn(&'a str) -> Fut,
    Fut: std::future::Future<Output = Result<T, ClusterError>>,
{
    let results: Vec<_> = futures::stream::iter(names.iter().map(|n| describe(n)))
        .buffered(CONCURRENT_DESCRIBES)
        .collect()
        .await;
    let mut read = Vec::new();
    let mut failed = Vec::new();
    for (name, r) in names.iter().zip(results) {
        match r {
            Ok(v) => read.push(v),
            Err(e) => failed.push(format!("{call} {name}: {}", reason_of(e))),
        }
    }
    (read, failed)
}

/// A node group's or add-on's health issue as the report shows it: `CODE: message`.
pub(super) fn issue_text(code: Option<&str>, message: Option<&str>) -> String {
    format!(
        "{}: {}",
        code.unwrap_or("Unknown"),
        message.unwrap_or_default()
    )
}

/// `CALL: reason` without the cluster/region/credentials the section already shows.
pub(super) fn reason_of(e: ClusterError) -> String {
    match e {
        ClusterError::Eks { call, reason, .. } => format!("{call}: {reason}"),
        e => e.to_string(),
    }
}

fn day(t: &DateTime) -> Option<Date> {
    let ts = jiff::Timestamp::from_second(t.secs()).ok()?;
    Some(ts.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// Sorts `1.9` before `1.10`.
fn minor_key(v: &str) -> (u32, u32, String) {
    let mut parts = v.split('.');
    let major = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(u32::MAX);
    let minor = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(u32::MAX);
    (major, minor, v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_sources_in_the_chain_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            credential_source(Some("p"), Some("q"), env(&[])),
            "profile \"p\" (--profile)"
        );
        assert_eq!(
            credential_source(None, Some("q"), env(&[("AWS_ACCESS_KEY_ID", "x")])),
            "profile \"q\" (the kubeconfig's exec entry)"
        );
        assert_eq!(
            credential_source(
                None,
                None,
                env(&[("AWS_ACCESS_KEY_ID", "x"), ("AWS_PROFILE", "p")])
            ),
            "environment (AWS_ACCESS_KEY_ID)"
        );
        assert_eq!(
            credential_source(None, None, env(&[("AWS_PROFILE", "p")])),
            "profile \"p\" (AWS_PROFILE)"
        );
        assert!(credential_source(None, None, env(&[])).starts_with("the default chain"));
    }

    #[test]
    fn versions_sort_numerically() {
        let mut v = vec!["1.10", "1.9", "1.29", "1.3"];
        v.sort_by_key(|s| minor_key(s));
        assert_eq!(v, ["1.3", "1.9", "1.10", "1.29"]);
    }

    #[test]
    fn days_from_epoch_seconds() {
        assert_eq!(
            day(&DateTime::from_secs(1_764_115_200)),
            Some("2025-11-26".parse().unwrap())
        );
    }
}
