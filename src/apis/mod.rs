//! Removed and deprecated Kubernetes APIs: the removal table (`removals`), and what kup read
//! about which APIs are still in use, as plain data that `cluster::apis` fills and
//! `checks::apis` judges. Never the stored version of live objects: the API server converts
//! those, so reading them proves nothing (and adds deprecated-API traffic of its own).

pub mod helm;
pub mod metrics;
pub mod removals;

use serde::Serialize;

/// One source of API usage: read, or why not (RBAC, an endpoint the server does not expose).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
// Adjacently tagged: an internally tagged variant cannot hold a list.
#[serde(rename_all = "camelCase", tag = "state", content = "value")]
pub enum Source<T> {
    Read(T),
    NotRead { reason: String },
}

impl<T> Source<T> {
    pub fn read(&self) -> Option<&T> {
        match self {
            Source::Read(t) => Some(t),
            Source::NotRead { .. } => None,
        }
    }
}

/// What kup read about API usage in the cluster (`kup check`). EKS insights' deprecation
/// details travel with the EKS section (`eks::Insight::deprecations`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiUsage {
    /// `apiserver_requested_deprecated_apis` series of the API server that answered.
    pub metrics: Source<Vec<metrics::DeprecatedRequest>>,
    /// The newest deployed revision of every Helm v3 release.
    pub helm: Source<HelmScan>,
}

/// One `deprecationDetails` entry of an EKS insight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InsightDeprecation {
    /// The deprecated API's path (`/apis/autoscaling/v2beta2/horizontalpodautoscalers`).
    pub usage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_with: Option<String>,
    /// The minor that stops serving it (`1.26`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_serving_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_serving_replacement_version: Option<String>,
    /// Who called it in the last 30 days.
    pub clients: Vec<ClientStat>,
}

impl InsightDeprecation {
    /// (group, version, resource) of `usage` (`/api/v1/x` is the core group).
    pub fn api(&self) -> Option<(&str, &str, &str)> {
        let parts: Vec<&str> = self.usage.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["api", version, resource, ..] => Some(("", version, resource)),
            ["apis", group, version, resource, ..] => Some((group, version, resource)),
            _ => None,
        }
    }

    /// `api/GROUP/VERSION/RESOURCE` (`core` for the core group), or the usage as given.
    pub fn subject(&self) -> String {
        match self.api() {
            Some((g, v, r)) => {
                format!("api/{}/{v}/{r}", if g.is_empty() { "core" } else { g })
            }
            None => format!("api/{}", self.usage.trim_matches('/')),
        }
    }
}

/// One caller of a deprecated API (EKS insights' `clientStats`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientStat {
    pub user_agent: String,
    pub requests_last_30_days: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_request: Option<jiff::Timestamp>,
}

/// Helm release secrets, reduced to what their manifests name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmScan {
    /// Secrets of type `helm.sh/release.v1` listed (every revision).
    pub secrets: u64,
    /// The newest deployed revision of each release, by namespace then name.
    pub releases: Vec<helm::Release>,
    /// Release secrets kup could not decode, each naming `helm/NAMESPACE/RELEASE`.
    pub unreadable: Vec<helm::Unreadable>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_serialise_read_or_not_read() {
        let read: Source<Vec<u32>> = Source::Read(vec![1]);
        let json = serde_json::to_value(&read).unwrap();
        assert_eq!(json, serde_json::json!({"state": "read", "value": [1]}));
        let not: Source<Vec<u32>> = Source::NotRead {
            reason: "403".into(),
        };
        let json = serde_json::to_value(&not).unwrap();
        assert_eq!(json["state"], "notRead");
        assert_eq!(json["value"]["reason"], "403");
    }
}
