//! Where removed APIs are still used, from the three sources that say so without reading live
//! objects: the API server's `/metrics` (the deprecated-API gauge), EKS insights'
//! `deprecationDetails` (converted here, read with the other insights in `eks.rs`), and Helm
//! release secrets, listed by type in pages and decoded one at a time as each page is parsed.

use super::lean::{self, Collect};
use super::list::{Parser, list_lean_with};
use super::retry::{Call, with_retry};
use super::{ClusterError, Connection};
use crate::apis::helm::{self, Release, Unreadable};
use crate::apis::{ApiUsage, ClientStat, HelmScan, InsightDeprecation, Source, metrics};
use kube::api::ListParams;
use serde::Deserialize;

/// The field selector Helm's release secrets are listed by (read-only RBAC stays small).
pub const HELM_SECRET_TYPE: &str = "helm.sh/release.v1";
/// Release secrets per page: a release is kilobytes to a megabyte (charts with CRDs), so a
/// smaller page than other lists bounds what one page holds.
const HELM_PAGE: u32 = 100;

/// Both cluster-side sources; a 403 or 404 makes a source "not read", not a failure.
pub async fn read(conn: &Connection) -> Result<ApiUsage, ClusterError> {
    let (metrics, helm) = futures::try_join!(read_metrics(conn), read_helm(conn))?;
    Ok(ApiUsage { metrics, helm })
}

fn not_read<T>(e: ClusterError) -> Result<Source<T>, ClusterError> {
    match e {
        ClusterError::Forbidden { message, .. } => Ok(Source::NotRead {
            reason: format!("forbidden (403): {message}"),
        }),
        ClusterError::Api {
            code: 404, message, ..
        } => Ok(Source::NotRead {
            reason: format!("not found (404): {message}"),
        }),
        other => Err(other),
    }
}

async fn read_metrics(
    conn: &Connection,
) -> Result<Source<Vec<metrics::DeprecatedRequest>>, ClusterError> {
    let call = Call {
        verb: "get",
        resource: "/metrics",
    };
    let text = with_retry(conn, call, || async {
        let req = http::Request::get("/metrics")
            .body(Vec::new())
            .map_err(kube::Error::HttpError)?;
        conn.client.request_text(req).await
    })
    .await;
    match text {
        Ok(text) => Ok(Source::Read(metrics::parse(&text))),
        Err(e) => not_read(e),
    }
}

async fn read_helm(conn: &Connection) -> Result<Source<HelmScan>, ClusterError> {
    let params = ListParams::default()
        .limit(HELM_PAGE)
        .fields(&format!("type={HELM_SECRET_TYPE}"));
    let items = list_lean_with(
        conn,
        "/api/v1/secrets",
        "secrets",
        params,
        Parser::json(|b, m, o| lean::parse_page(b, m, helm_item, o)),
    )
    .await;
    let items = match items {
        Ok(items) => items,
        Err(e) => return not_read(e),
    };
    let mut scan = HelmScan::default();
    let mut releases = Vec::new();
    for item in items {
        match item {
            HelmItem::Release(r) => {
                scan.secrets += 1;
                releases.push(r);
            }
            HelmItem::Unreadable(u) => {
                scan.secrets += 1;
                scan.unreadable.push(u);
            }
            HelmItem::Skipped(n) => scan.secrets += n,
        }
    }
    scan.releases = helm::newest_per_release(releases);
    scan.unreadable.sort_by(|a, b| a.subject.cmp(&b.subject));
    Ok(Source::Read(scan))
}

/// A release secret as listed: only what the decoder needs.
#[derive(Deserialize)]
struct SecretView {
    #[serde(default)]
    metadata: SecretMeta,
    #[serde(default)]
    data: Option<SecretData>,
}

#[derive(Deserialize, Default)]
struct SecretMeta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    labels: Option<HelmLabels>,
}

/// The labels Helm's driver sets (`name`, `status`, ...).
#[derive(Deserialize)]
struct HelmLabels {
    name: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct SecretData {
    release: Option<String>,
}

/// One secret, decoded as soon as the page parser reaches it; its text is dropped with it.
enum HelmItem {
    Release(Release),
    Unreadable(Unreadable),
    /// Revisions not deployed (Helm's `status` label), not decoded: how many in a row.
    Skipped(u64),
}

impl Collect for HelmItem {
    fn push_into(self, out: &mut Vec<Self>) {
        if let (HelmItem::Skipped(n), Some(HelmItem::Skipped(total))) = (&self, out.last_mut()) {
            *total += n;
            return;
        }
        out.push(self);
    }
}

fn helm_item(s: SecretView) -> HelmItem {
    let labels = s.metadata.labels.as_ref();
    let label_name = labels.and_then(|l| l.name.as_deref());
    // The driver keeps the status label in step with the release: older revisions are
    // `superseded` and need no decoding.
    if labels
        .and_then(|l| l.status.as_deref())
        .is_some_and(|st| st != helm::DEPLOYED)
    {
        return HelmItem::Skipped(1);
    }
    let Some(data) = s.data.and_then(|d| d.release) else {
        return HelmItem::Unreadable(Unreadable {
            subject: helm::subject(
                &s.metadata.namespace,
                helm::release_name(&s.metadata.name, label_name),
            ),
            secret: s.metadata.name.clone(),
            reason: "the secret has no data.release".into(),
        });
    };
    match helm::decode(&s.metadata.namespace, &s.metadata.name, label_name, &data) {
        Ok(Some(r)) => HelmItem::Release(r),
        Ok(None) => HelmItem::Skipped(1),
        Err(u) => HelmItem::Unreadable(u),
    }
}

/// An insight's `deprecationDetails`, as plain data.
pub fn insight_deprecations(i: &aws_sdk_eks::types::Insight) -> Vec<InsightDeprecation> {
    let Some(summary) = i.category_specific_summary() else {
        return Vec::new();
    };
    summary
        .deprecation_details()
        .iter()
        .filter_map(|d| {
            Some(InsightDeprecation {
                usage: d.usage()?.to_string(),
                replaced_with: d
                    .replaced_with()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                stop_serving_version: d
                    .stop_serving_version()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                start_serving_replacement_version: d
                    .start_serving_replacement_version()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                clients: d
                    .client_stats()
                    .iter()
                    .map(|c| ClientStat {
                        user_agent: c.user_agent().unwrap_or_default().to_string(),
                        requests_last_30_days: c.number_of_requests_last30_days().into(),
                        last_request: c
                            .last_request_time()
                            .and_then(|t| jiff::Timestamp::from_second(t.secs()).ok()),
                    })
                    .collect(),
            })
        })
        .collect()
}
