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
#[serde(rename_all = "camelCase", tag = "state")]
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
