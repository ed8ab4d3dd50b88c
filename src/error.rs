//! The library's error type and the exit codes it maps to (documented in the README;
//! they are API: scripts and CI branch on them).

use crate::cluster::ClusterError;

/// Exit codes.
pub mod exit {
    /// Nothing at or above `--fail-on`.
    pub const OK: i32 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: i32 = 1;
    /// Usage or configuration error (bad flag, bad kubeconfig, unknown context).
    pub const USAGE: i32 = 2;
    /// The cluster or the cloud API failed (unreachable, 401/403, 5xx after retries).
    pub const API: i32 = 3;
    /// `rotate` stopped before finishing; state is left resumable.
    pub const ROTATE_STOPPED: i32 = 4;
}

#[derive(Debug, thiserror::Error)]
pub enum KupError {
    /// A flag value or combination that cannot work.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    #[error("the simulated cluster failed: {0}")]
    Sim(String),
}

impl KupError {
    pub fn exit_code(&self) -> i32 {
        match self {
            KupError::Usage(_) => exit::USAGE,
            KupError::Cluster(e) if e.is_configuration() => exit::USAGE,
            KupError::Cluster(_) => exit::API,
            KupError::Io(_) => exit::USAGE,
            KupError::Sim(_) => exit::API,
        }
    }
}
