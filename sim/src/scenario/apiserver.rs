//! A scenario's `apiserver:` section: what the API server itself knows besides its objects —
//! the deprecated APIs clients requested (the `/metrics` gauge, and EKS insights'
//! `deprecationDetails` with who called), and what RBAC denies the caller.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiServerSettings {
    /// Deprecated APIs requested since the server started (`apiserver_requested_deprecated_apis`).
    #[serde(default)]
    pub deprecated_api_requests: Vec<DeprecatedApiRequest>,
    /// Resources (plural, `secrets`) and non-resource paths (`/metrics`) every caller is
    /// denied (403), as for a user whose roles do not grant them.
    #[serde(default)]
    pub forbidden: Vec<String>,
}

impl ApiServerSettings {
    pub fn forbids(&self, what: &str) -> bool {
        self.forbidden.iter().any(|f| f == what)
    }

    /// Every `lastRequest` is an RFC 3339 time.
    pub fn validate(&self) -> Result<(), String> {
        for r in &self.deprecated_api_requests {
            if r.version.is_empty() || r.resource.is_empty() {
                return Err(
                    "apiserver.deprecatedApiRequests: version and resource are required".into(),
                );
            }
            for c in &r.clients {
                if c.last_request.parse::<jiff::Timestamp>().is_err() {
                    return Err(format!(
                        "apiserver.deprecatedApiRequests {}/{}: client {:?}: lastRequest {:?} is not an RFC 3339 time",
                        r.version, r.resource, c.user_agent, c.last_request
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One deprecated API that clients requested.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeprecatedApiRequest {
    /// "" (the default) for the core group.
    #[serde(default)]
    pub group: String,
    pub version: String,
    /// Plural, as the metric names it (`ingresses`).
    pub resource: String,
    #[serde(default)]
    pub subresource: String,
    /// `1.25`; "" when no removal is scheduled.
    #[serde(default)]
    pub removed_release: String,
    /// EKS insights: the path of the API that replaces it (`/apis/networking.k8s.io/v1/ingresses`).
    #[serde(default)]
    pub replaced_with: String,
    /// EKS insights: the minor from which the replacement is served.
    #[serde(default)]
    pub start_serving_replacement_version: String,
    /// Who called in the last 30 days (EKS insights' `clientStats`); only entries with clients
    /// appear in the insight (the metric lists every entry).
    #[serde(default)]
    pub clients: Vec<ClientStat>,
}

impl DeprecatedApiRequest {
    /// The request path EKS insights name it by (`/apis/GROUP/VERSION/RESOURCE`, core `/api/v1/...`).
    pub fn usage(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}/{}", self.version, self.resource)
        } else {
            format!("/apis/{}/{}/{}", self.group, self.version, self.resource)
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientStat {
    pub user_agent: String,
    /// Requests in the last 30 days.
    pub requests: i64,
    /// RFC 3339.
    pub last_request: String,
}
