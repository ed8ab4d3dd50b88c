//! The one shared state of a running sim: the HTTP handlers and the world loop lock it.

use crate::clock::Clock;
use crate::scenario::{ClusterInfo, FaultConfig, ManagedNodeGroup, Timing};
use crate::stats::SafetyStats;
use crate::store::Store;

pub struct SimState {
    pub store: Store,
    pub clock: Clock,
    pub cluster: ClusterInfo,
    pub timing: Timing,
    pub faults: FaultConfig,
    pub node_groups: Vec<ManagedNodeGroup>,
    /// Written by the world (evictions, pod deletions, cordons), read by `/sim/stats`.
    pub safety: SafetyStats,
    pub seed: u64,
    /// The simulated EKS API's own state: node group status, updates, insights settings.
    pub eks: crate::eks_state::EksState,
}

pub type Shared = std::sync::Arc<std::sync::Mutex<SimState>>;
