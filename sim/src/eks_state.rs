//! What the simulated EKS API remembers beside the Kubernetes objects: node group status,
//! node group updates (and the progress of their rolls), the scenario's EKS settings.
//! Part of `SimState`: the EKS API (`eks/`) starts updates, the world (`world/nodegroups.rs`)
//! rolls them.

use crate::scenario::EksSettings;
use jiff::Timestamp;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct EksState {
    pub settings: EksSettings,
    /// When the cluster was "created" (DescribeCluster createdAt).
    pub created_at: Option<Timestamp>,
    /// Per node group, by name; a group without an entry is ACTIVE since `created_at`.
    pub groups: BTreeMap<String, GroupState>,
    /// Every node group update, in creation order.
    pub updates: Vec<NodegroupUpdate>,
    /// Every control-plane update (UpdateClusterVersion), in creation order.
    pub cluster_updates: Vec<crate::eks::cluster_update::ClusterUpdate>,
    /// Counter for update ids and node names.
    pub serial: u64,
    /// Installed EKS add-ons and their updates.
    pub addons: crate::eks::addons::AddonsState,
    /// Set by the API when an update starts: the world loop runs a pass even though no
    /// object changed.
    pub wake: bool,
}

#[derive(Clone, Debug)]
pub struct GroupState {
    pub updating: bool,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateStatus {
    InProgress,
    Successful,
    Failed,
}

impl UpdateStatus {
    pub fn is_in_progress(self) -> bool {
        self == UpdateStatus::InProgress
    }
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::InProgress => "InProgress",
            UpdateStatus::Successful => "Successful",
            UpdateStatus::Failed => "Failed",
        }
    }
}

/// Where a managed node group roll is (EKS's documented phases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Launch `surge` nodes at the new version.
    ScaleUp,
    /// Replace the old nodes, at most maxUnavailable at a time.
    Upgrade,
    /// Remove the surge again.
    ScaleDown,
    Done,
}

/// One node being drained by a roll.
#[derive(Clone, Debug)]
pub struct Drain {
    pub node: String,
    pub started: Timestamp,
    /// Since when every evictable pod is gone (the node goes 60 s later).
    pub drained_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct NodegroupUpdate {
    pub id: String,
    pub nodegroup: String,
    pub version: String,
    pub release_version: String,
    /// kubelet version of the nodes this update launches.
    pub kubelet_version: String,
    pub force: bool,
    /// The roll has looked at the group (sizes and zones below are set).
    pub started: bool,
    pub client_request_token: Option<String>,
    pub status: UpdateStatus,
    pub created_at: Timestamp,
    /// ErrorDetail objects (JSON, as served).
    pub errors: Vec<serde_json::Value>,
    pub phase: Phase,
    /// Nodes launched on top of the group's size for the update.
    pub surge: u32,
    /// The group's node count when the update started.
    pub original_size: u32,
    /// Launches in flight: (node name, zone, due).
    pub launches: Vec<(String, String, Timestamp)>,
    pub draining: Vec<Drain>,
    /// Zones of the old nodes, to launch replacements in (round robin).
    pub zones: Vec<String>,
}

impl EksState {
    pub fn new(settings: EksSettings, now: Timestamp) -> Self {
        let created = now - jiff::SignedDuration::from_hours(24 * 400);
        let addons = crate::eks::addons::AddonsState::new(
            &settings.addons,
            created + jiff::SignedDuration::from_hours(24 * 30),
        );
        EksState {
            settings,
            created_at: Some(created),
            addons,
            ..Default::default()
        }
    }

    pub fn cluster_created(&self, now: Timestamp) -> Timestamp {
        self.created_at
            .unwrap_or(now - jiff::SignedDuration::from_hours(24 * 400))
    }

    /// The group's status record (created on first use).
    pub fn group(&mut self, name: &str, now: Timestamp) -> &mut GroupState {
        let created = self.cluster_created(now) + jiff::SignedDuration::from_hours(24 * 30);
        self.groups
            .entry(name.to_string())
            .or_insert_with(|| GroupState {
                updating: false,
                created_at: created,
                modified_at: created,
            })
    }

    /// The update in progress for a group, if any.
    pub fn active_update(&self, nodegroup: &str) -> Option<&NodegroupUpdate> {
        self.updates
            .iter()
            .find(|u| u.nodegroup == nodegroup && u.status == UpdateStatus::InProgress)
    }
}
