//! UpdateClusterVersion (`POST /clusters/{name}/updates {"version": "1.NN"}`) as EKS does it:
//! one minor at a time ("Unsupported Kubernetes minor version update from 1.22 to 1.25."),
//! only once every managed node group is at the cluster's minor ("Nodegroups NAME must be
//! updated to match cluster version 1.18 before updating cluster version"), one update at a
//! time (ResourceInUseException), the cluster UPDATING for `UPDATE_TIME` of simulated time;
//! then `/version` and the platform version move (the path `PUT /sim/control-plane` takes, so
//! Karpenter's aliases re-resolve and drift follows) and the update is Successful.
//! `FaultConfig::eks_fail_next_cluster_update` makes the next one end Failed with that error
//! code instead, the version unchanged.

use super::{EksError, invalid, uuid_like, versions};
use crate::state::SimState;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// How long a control-plane update takes (EKS: "should finish within a few minutes"; in
/// practice about ten).
pub const UPDATE_TIME: SignedDuration = SignedDuration::from_mins(10);

#[derive(Clone, Debug)]
pub struct ClusterUpdate {
    pub id: String,
    /// `1.26`.
    pub version: String,
    pub platform_version: String,
    pub status: crate::eks_state::UpdateStatus,
    pub created_at: Timestamp,
    pub due: Timestamp,
    pub client_request_token: Option<String>,
    /// Set when the update was started: it fails with this error code at its end.
    pub fail_with: Option<String>,
    pub errors: Vec<Value>,
}

impl ClusterUpdate {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "type": "VersionUpdate",
            "params": [
                {"type": "Version", "value": self.version},
                {"type": "PlatformVersion", "value": self.platform_version},
            ],
            "createdAt": super::epoch(self.created_at),
            "errors": self.errors,
        })
    }
}

/// The cluster update in progress, if any.
pub fn active(st: &SimState) -> Option<&ClusterUpdate> {
    st.eks
        .cluster_updates
        .iter()
        .find(|u| u.status == crate::eks_state::UpdateStatus::InProgress)
}

/// `POST /clusters/{name}/updates`.
pub(super) fn start(st: &mut SimState, body: &[u8]) -> Result<Value, EksError> {
    let cluster = st.cluster.name.clone();
    let req = super::request_body(body)?;
    let text = |k: &str| req.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(version) = text("version") else {
        return Err(invalid(
            "1 validation error detected: Value null at 'version' failed to satisfy constraint: Member must not be null",
        )
        .with("clusterName", &cluster));
    };
    let token = text("clientRequestToken");
    if let Some(t) = &token
        && let Some(u) = st
            .eks
            .cluster_updates
            .iter()
            .find(|u| u.client_request_token.as_deref() == Some(t))
    {
        return Ok(json!({"update": u.json()}));
    }
    let now = st.clock.now();
    let current = super::control_plane_minor(&st.cluster.git_version);
    let minor = versions::minor(&version);
    let known = versions::released(&st.eks.settings.versions, now)
        .into_iter()
        .find(|v| v.version == version);
    if minor == 0 || !version.starts_with("1.") || version.matches('.').count() != 1 {
        return Err(invalid("unsupported Kubernetes version").with("clusterName", &cluster));
    }
    if minor != current + 1 {
        return Err(invalid(format!(
            "Unsupported Kubernetes minor version update from 1.{current} to {version}."
        ))
        .with("clusterName", &cluster));
    }
    let Some(known) = known else {
        return Err(invalid("unsupported Kubernetes version").with("clusterName", &cluster));
    };
    if active(st).is_some() || st.eks.updates.iter().any(|u| u.status.is_in_progress()) {
        return Err(EksError::new(
            409,
            "ResourceInUseException",
            format!("Cluster {cluster} has an update in progress; wait for it to finish"),
        )
        .with("clusterName", &cluster));
    }
    let behind: Vec<String> = st
        .node_groups
        .iter()
        .filter(|g| versions::minor(&g.version) != current)
        .map(|g| g.name.clone())
        .collect();
    if !behind.is_empty() {
        return Err(invalid(format!(
            "Nodegroups {} must be updated to match cluster version 1.{current} before updating cluster version",
            behind.join(", ")
        ))
        .with("clusterName", &cluster));
    }
    st.eks.serial += 1;
    let id = uuid_like(st.seed ^ 0xC1_05_7E, st.eks.serial);
    let fail_with = std::mem::take(&mut st.faults.eks_fail_next_cluster_update);
    let u = ClusterUpdate {
        id,
        version,
        platform_version: known.platform,
        status: crate::eks_state::UpdateStatus::InProgress,
        created_at: now,
        due: now + UPDATE_TIME,
        client_request_token: token,
        fail_with,
        errors: Vec::new(),
    };
    let out = json!({"update": u.json()});
    st.eks.cluster_updates.push(u);
    st.eks.wake = true;
    Ok(out)
}

/// The world's part: finish the update that is due. Returns when to look again.
pub(crate) fn advance(st: &mut SimState, now: Timestamp) -> Option<Timestamp> {
    let i = st
        .eks
        .cluster_updates
        .iter()
        .position(|u| u.status == crate::eks_state::UpdateStatus::InProgress)?;
    let u = &mut st.eks.cluster_updates[i];
    if now < u.due {
        return Some(u.due);
    }
    if let Some(code) = u.fail_with.take() {
        u.status = crate::eks_state::UpdateStatus::Failed;
        u.errors.push(json!({
            "errorCode": code,
            "errorMessage": format!("The control plane update to {} failed ({code}); the cluster stays at its version", u.version),
            "resourceIds": [st.cluster.name],
        }));
        return None;
    }
    u.status = crate::eks_state::UpdateStatus::Successful;
    let (version, platform) = (u.version.clone(), u.platform_version.clone());
    if let Some(v) = crate::server::control_plane_version(&version, &st.cluster.git_version) {
        st.cluster.git_version = v;
    }
    st.cluster.platform_version = platform;
    None
}
