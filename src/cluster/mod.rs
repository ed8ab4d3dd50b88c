//! The only code that talks to the outside: the Kubernetes API (kube) and, later, AWS EKS.
//! Everything here turns remote objects into the compact `model` types as early as possible.

mod addons;
pub mod apis;
mod connect;
mod convert;
mod core_components;
pub mod drain;
pub mod eks;
pub mod intern;
mod karpenter;
mod lean;
mod lean_pb;
mod list;
mod retry;
mod snapshot;
pub mod ssm;
mod wire;

pub use connect::{
    AwsOptions, ConnectOptions, Connection, EksArn, ExecHints, connect, context_names,
};
pub use core_components::{core_components, set_daemonset_image};
pub use snapshot::{ReadScope, node_names, read_snapshot};
pub use wire::{DEFAULT_LIST_CONCURRENCY, ListOptions, Wire};

use std::path::PathBuf;

/// Everything that can go wrong talking to a cluster, each saying what failed, on which
/// object, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot read kubeconfig {path}: {reason}")]
    KubeconfigRead { path: PathBuf, reason: String },
    #[error("invalid kubeconfig {path}: {reason}")]
    KubeconfigInvalid { path: String, reason: String },
    #[error("no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config")]
    KubeconfigMissing,
    #[error("context \"{context}\" not found in kubeconfig {path} (known contexts: {known})")]
    UnknownContext {
        context: String,
        path: String,
        known: String,
    },
    #[error(
        "kubeconfig {path} has no current-context: pass --context NAME (known contexts: {known})"
    )]
    NoCurrentContext { path: String, known: String },
    #[error("cannot use context \"{context}\": {reason}")]
    BadContext { context: String, reason: String },
    #[error("cannot reach the API server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the API server at {url} did not answer in time ({what}); raise --request-timeout")]
    Timeout { url: String, what: String },
    #[error(
        "cannot get credentials for context \"{context}\" ({what}): {reason}; check the kubeconfig's \
         user entry (an exec plugin such as `aws eks get-token` may need a new login, e.g. `aws sso login`)"
    )]
    Credentials {
        context: String,
        what: String,
        reason: String,
    },
    #[error(
        "unauthorized (401) to {verb} {resource} at {url}: {message}; check the kubeconfig credentials"
    )]
    Unauthorized {
        verb: String,
        resource: String,
        url: String,
        message: String,
    },
    #[error(
        "forbidden (403) to {verb} {resource}: {message}; kup needs `{verb}` on `{resource}` (see README, RBAC)"
    )]
    Forbidden {
        verb: String,
        resource: String,
        message: String,
    },
    #[error(
        "the API server answered {code} to {verb} {resource} after {attempts} attempt(s): {message}"
    )]
    Api {
        verb: String,
        resource: String,
        code: u16,
        message: String,
        attempts: u32,
    },
    #[error("cannot decode {resource} from the API server: {reason}")]
    Decode { resource: String, reason: String },
    #[error("the API server reports version \"{version}\", which kup cannot read: {reason}")]
    BadServerVersion { version: String, reason: String },
    #[error(
        "EKS {call} for cluster \"{cluster}\" in {region} failed: {reason} (credentials: {credentials})"
    )]
    Eks {
        call: String,
        cluster: String,
        region: String,
        reason: String,
        credentials: String,
    },
    #[error(
        "EKS cluster \"{cluster}\" not found in {region} ({call}: {message}); check --cluster and --region"
    )]
    EksClusterNotFound {
        call: String,
        cluster: String,
        region: String,
        message: String,
    },
    #[error(
        "no AWS region for EKS cluster \"{cluster}\": pass --region, set AWS_REGION, or give the profile a region"
    )]
    EksNoRegion { cluster: String },
}

impl ClusterError {
    /// A problem of the user's configuration (exit 2) rather than of the cluster (exit 3).
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            ClusterError::KubeconfigRead { .. }
                | ClusterError::KubeconfigInvalid { .. }
                | ClusterError::KubeconfigMissing
                | ClusterError::UnknownContext { .. }
                | ClusterError::NoCurrentContext { .. }
                | ClusterError::BadContext { .. }
        )
    }
}
